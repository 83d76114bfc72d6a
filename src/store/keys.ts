/**
 * Every Redis key dialpass uses is built here and nowhere else.
 *
 * Keys that one Lua script touches together share a hash tag (the part in braces), so the
 * scripts also run on Redis Cluster: everything about one member lives under `{m:<memberId>}`.
 * The member ID is the provisional ID the member registered with; it never changes.
 * The deployment-wide prefix (REDIS_KEY_PREFIX) is applied by the client, not here.
 */
/** The merchant a payment request belongs to: its ID is `pr_` + the merchant ID (8 digits) + 14 random characters. */
export const requestMerchant = (requestId: string) => requestId.slice(3, 11);

export const keys = {
  pendingRegistration: (memberId: string) => `{m:${memberId}}:pending`,
  account: (memberId: string) => `{m:${memberId}}:account`,
  memberLedger: (memberId: string) => `{m:${memberId}}:ledger`,
  /** SCAN MATCH pattern for every member's ledger (the client's key prefix goes in front). */
  memberLedgerPattern: () => '{m:*}:ledger',
  /** The member a ledger key (as SCAN returns it, prefix removed) belongs to. */
  memberOfLedgerKey: (key: string) => /^\{m:([^}]+)\}:ledger$/.exec(key)?.[1],
  /** How many entries `npm run archive` has trimmed off the ledger's head (src/archive/): an entry's index for good is this plus its list position. */
  memberLedgerArchived: (memberId: string) => `{m:${memberId}}:ledger:archived`,
  /** Result of one money-moving call step, so a Twilio retry replays instead of charging again. */
  callStep: (memberId: string, callSid: string, step: string) => `{m:${memberId}}:step:${callSid}:${step}`,
  /**
   * Results of this member's call steps that the caller may not have heard (`<CallSid>|<step>` ->
   * when, ms): written before the step charges, removed once a later request of the call shows its
   * answer was played, read out after the PIN on the next call (src/voice/unheard.ts).
   */
  memberUnheard: (memberId: string) => `{m:${memberId}}:unheard`,
  monthlySpend: (memberId: string, yearMonth: string) => `{m:${memberId}}:spend:${yearMonth}`,
  /** Charges a processor took and gave back in full (newest first, the last 50): the member page lists them. */
  memberRefunds: (memberId: string) => `{m:${memberId}}:refunds`,
  /** Amounts held against the monthly cap while a card is charged (hold ID -> amount, counter, expiry; scripts/cap-holds.lua). */
  capHolds: (memberId: string) => `{m:${memberId}}:cap-holds`,
  /** The card a member paid with last (CHARGE_METHOD=card): masked number, type, a reusable token if the connector gave one. */
  memberCard: (memberId: string) => `{m:${memberId}}:card`,
  /**
   * A member's payment codes (code hash -> bought at, ms) and the payment requests they keyed
   * (request ID -> first keyed, ms), for the member's history. The code and the request live in
   * other slots, so these are written just before the step that creates or decides them (ZADD NX:
   * idempotent) and the history shows only what the record itself confirms.
   */
  memberCodes: (memberId: string) => `{m:${memberId}}:codes`,
  memberPaymentRequests: (memberId: string) => `{m:${memberId}}:preqs`,
  /** The member's one live password reset link (tokenHash, expiresAt), replaced by each new request, deleted when used or expired. */
  passwordReset: (memberId: string) => `{m:${memberId}}:pwreset`,
  /** A reset link's token (hashed) to its member, so the link need carry nothing else. */
  passwordResetToken: (tokenHash: string) => `pwreset:{${tokenHash}}`,
  /** Reset e-mails sent for one formal ID (PASSWORD_RESETS_PER_DAY) and reset requests or wrong links from one client address. */
  passwordResetsByFormalId: (formalId: string) => `pwreset-fid:{${formalId}}`,
  passwordResetsByAddress: (address: string) => `pwreset-ip:{${address}}`,
  formalIdIndex: (formalId: string) => `fid:{${formalId}}`,
  loginFailures: (formalId: string) => `login-fail:{${formalId}}`,
  loginFailuresByAddress: (address: string) => `login-fail-ip:{${address}}`,
  /** Registrations from one client address in the current window (each one costs a password hash). */
  registrationsByAddress: (address: string) => `register-ip:{${address}}`,
  lineWrongEntries: (phoneNumber: string) => `line-wrong:{${phoneNumber}}`,
  /** The language last used by a member on this calling line, so the greeting can be in it. */
  lineLocale: (phoneNumber: string) => `line-lang:{${phoneNumber}}`,
  /**
   * Every session of one owner (an operator, a merchant, a member) in one hash: field = SHA-256 of
   * the session ID, value = "<expires at ms>|<tag>" (src/web/sessions.ts). Ending them all is one DEL.
   */
  sessions: (kind: 'admin' | 'merchant' | 'member', owner: string) => (kind === 'member' ? `{m:${owner}}:sessions` : `sessions:{${kind}:${owner}}`),
  call: (callSid: string) => `call:{${callSid}}`,
  /** A payment code, under a tag of its keyed hash: redemption and void touch only this slot. */
  paymentCode: (codeHash: string) => `code:{${codeHash}}`,
  codeRedemptions: (codeHash: string) => `code:{${codeHash}}:redemptions`,
  /** Redemptions and voids debited on the code and not yet booked for their merchant (an outbox). */
  codeUnsettled: (codeHash: string) => `code:{${codeHash}}:unsettled`,
  /**
   * Where the reconciler finds codes that may have unsettled entries: one of 16 shards (so no
   * single key takes every redemption), marked before the debit.
   */
  unsettledCodes: (shard: string) => `unsettled:{${shard}}`,
  /** Everything about one merchant shares `{mer:<merchantId>}`. */
  merchant: (merchantId: string) => `{mer:${merchantId}}:merchant`,
  merchantRedemptions: (merchantId: string) => `{mer:${merchantId}}:redemptions`,
  /** SCAN MATCH pattern for every merchant's redemption order (src/archive/), and the merchant a key so found belongs to. */
  merchantRedemptionOrderPattern: () => '{mer:*}:redemptions:order',
  merchantOfRedemptionOrderKey: (key: string) => /^\{mer:([^}]+)\}:redemptions:order$/.exec(key)?.[1],
  merchantSettlement: (merchantId: string) => `{mer:${merchantId}}:settlement`,
  /** Redemption IDs by when they were redeemed, and payment request IDs by when they were made: the merchant dashboard's lists. */
  merchantRedemptionOrder: (merchantId: string) => `{mer:${merchantId}}:redemptions:order`,
  merchantPaymentRequests: (merchantId: string) => `{mer:${merchantId}}:preq:all`,
  merchantIdempotency: (merchantId: string, keyHash: string) => `{mer:${merchantId}}:idem:${keyHash}`,
  merchantCodeChecks: (merchantId: string) => `{mer:${merchantId}}:rl:checks`,
  merchantFailures: (merchantId: string) => `{mer:${merchantId}}:rl:failures`,
  /** Limited attempts (redemptions, balance checks) started and not yet settled. */
  merchantAttemptsInFlight: (merchantId: string) => `{mer:${merchantId}}:rl:inflight`,
  /**
   * A merchant's payment request lives in the merchant's slot, so deciding or expiring it writes
   * the webhook event in the same step. Its ID starts with the merchant's (`pr_<8 digits>…`), so
   * the key follows from the ID alone. The pending set orders the undecided ones by expiry.
   */
  paymentRequest: (requestId: string) => `{mer:${requestMerchant(requestId)}}:preq:${requestId}`,
  pendingPaymentRequests: (merchantId: string) => `{mer:${merchantId}}:preq:pending`,
  /** The short number members key, to the request ID (its own slot: SET NX). */
  paymentRequestNumber: (number: string) => `preq-num:{${number}}`,
  /** The webhook outbox of a merchant (see scripts/outbox-lib.lua). */
  outbox: (merchantId: string) => `{mer:${merchantId}}:outbox`,
  outboxOrder: (merchantId: string) => `{mer:${merchantId}}:outbox:order`,
  outboxDue: (merchantId: string) => `{mer:${merchantId}}:outbox:due`,
  /**
   * Merchants with background work (a delivery or an expiry) and when it is due. Marked after the
   * change; a worker reschedules or drops a merchant once it has looked (reschedule-mark.lua).
   */
  merchantsWithWork: () => 'outbox-due:{merchants}',
  /**
   * Card charges <Pay> made that dialpass could not apply (the ID was activated by another call
   * meanwhile, the request was taken): `<CallSid>/<kind>` -> JSON, for the operator to refund.
   */
  cardChargesToRefund: () => 'card-refunds:{all}',
  /**
   * A card charge made through the processor's API (CARD_PROCESSOR=stripe), from the moment it is
   * named until it is booked or settled: the payment's reference at the processor, the amount,
   * and until when the call step is left to finish it (src/charging/card-charges.ts).
   */
  cardCharge: (memberId: string, callSid: string, step: string) => `{m:${memberId}}:card-charge:${callSid}:${step}`,
  /** Card charges under way (`<member>|<CallSid>|<step>` -> lease end, ms): the background settles those whose lease ran out. */
  cardChargesPending: () => 'card-charges:{pending}',
  /** A carrier-billing payment (the operator's paymentId) -> the charge it is (`<member>|<CallSid>|<step>`), for the operator's notifications. */
  carrierPayment: (paymentId: string) => `carrier-payment:{${paymentId}}`,
  /** A CloudEvent from the operator already applied (its id), so a resent one is applied once. */
  carrierEventSeen: (eventId: string) => `carrier-event:{${eventId}}`,
  /**
   * The operator's view (src/observability/activity.ts): one `{ops}` slot, so one script records an event
   * in the audit stream, the day's counters and the list indexes at once.
   */
  opsSeen: (eventKey: string) => `{ops}:seen:${eventKey}`,
  opsAudit: () => '{ops}:audit',
  opsDay: (day: string) => `{ops}:day:${day}`,
  opsTotals: () => '{ops}:totals',
  opsMembers: () => '{ops}:members',
  opsCodes: () => '{ops}:codes',
  opsMerchants: () => '{ops}:merchants',
  opsPendingRegistrations: () => '{ops}:pending',
  /** Calls that ended (CallSid -> ended at, ms), for the console's calls list; a call's record (`call:{<CallSid>}`) lives 90 days. */
  opsCalls: () => '{ops}:calls',
  /** A member's operator events written by the charge script itself (activity key -> payload), until the relay records them. */
  auditOutbox: (memberId: string) => `{m:${memberId}}:audit-outbox`,
  /** Members whose audit outbox may hold events (member -> when marked, ms); marked before the charge. */
  auditOutboxes: () => 'audit-outboxes:{relay}',
  adminLoginFailures: (address: string) => `admin-login-fail:{${address}}`,
  merchantLoginFailures: (address: string) => `merchant-login-fail:{${address}}`,
  /** Wrong METRICS_TOKENs per client address (ADMIN_TOKEN's are adminLoginFailures, on every route that takes it). */
  metricsTokenFailures: (address: string) => `metrics-token-fail:{${address}}`,
  /** Held by the one `npm run archive` running (src/archive/): two at once would export entries twice. */
  archiveLock: () => 'archive:{lock}',
  /** Ledger entries the operator has written off after reconciling with the carrier: entry ID -> JSON (kept, never deleted). */
  carrierWriteOffs: () => 'carrier:{write-offs}',
} as const;

/** How long a call step's result is kept for replaying Twilio retries: far beyond any call. */
export const CALL_STEP_TTL_SECONDS = 2 * 24 * 3600;
