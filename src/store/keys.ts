/**
 * Every Redis key dialpass uses is built here and nowhere else.
 *
 * Keys that one Lua script touches together share a hash tag (the part in braces), so the
 * scripts also run on Redis Cluster: everything about one member lives under `{m:<memberId>}`.
 * The member ID is the provisional ID the member registered with; it never changes.
 * The deployment-wide prefix (REDIS_KEY_PREFIX) is applied by the client, not here.
 */
export const keys = {
  pendingRegistration: (memberId: string) => `{m:${memberId}}:pending`,
  account: (memberId: string) => `{m:${memberId}}:account`,
  memberLedger: (memberId: string) => `{m:${memberId}}:ledger`,
  /** Result of one money-moving call step, so a Twilio retry replays instead of charging again. */
  callStep: (memberId: string, callSid: string, step: string) => `{m:${memberId}}:step:${callSid}:${step}`,
  monthlySpend: (memberId: string, yearMonth: string) => `{m:${memberId}}:spend:${yearMonth}`,
  formalIdIndex: (formalId: string) => `fid:{${formalId}}`,
  loginFailures: (formalId: string) => `login-fail:{${formalId}}`,
  loginFailuresByAddress: (address: string) => `login-fail-ip:{${address}}`,
  /** Registrations from one client address in the current window (each one costs a scrypt hash). */
  registrationsByAddress: (address: string) => `register-ip:{${address}}`,
  lineWrongEntries: (phoneNumber: string) => `line-wrong:{${phoneNumber}}`,
  session: (tokenHash: string) => `session:{${tokenHash}}`,
  call: (callSid: string) => `call:{${callSid}}`,
  /** A payment code, under a tag of its keyed hash: redemption and void touch only this slot. */
  paymentCode: (codeHash: string) => `code:{${codeHash}}`,
  codeRedemptions: (codeHash: string) => `code:{${codeHash}}:redemptions`,
  /** Everything about one merchant shares `{mer:<merchantId>}`. */
  merchant: (merchantId: string) => `{mer:${merchantId}}:merchant`,
  merchantRedemptions: (merchantId: string) => `{mer:${merchantId}}:redemptions`,
  merchantSettlement: (merchantId: string) => `{mer:${merchantId}}:settlement`,
  merchantIdempotency: (merchantId: string, keyHash: string) => `{mer:${merchantId}}:idem:${keyHash}`,
  merchantCodeChecks: (merchantId: string) => `{mer:${merchantId}}:rl:checks`,
  merchantFailures: (merchantId: string) => `{mer:${merchantId}}:rl:failures`,
  /** A merchant's payment request, and the short number members key for it (its own slot: SET NX). */
  paymentRequest: (requestId: string) => `preq:{${requestId}}`,
  paymentRequestNumber: (number: string) => `preq-num:{${number}}`,
} as const;

/** How long a call step's result is kept for replaying Twilio retries: far beyond any call. */
export const CALL_STEP_TTL_SECONDS = 2 * 24 * 3600;
