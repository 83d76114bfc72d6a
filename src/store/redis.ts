import { readFileSync } from 'node:fs';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type Result } from 'ioredis';
import type { Config } from '../config.ts';

/** Redis or Redis Cluster: everything in dialpass works with either. */
export type RedisClient = Redis | Cluster;

/**
 * Every Lua script, with how many of its arguments are keys (null: the caller passes the count
 * first, for scripts with an optional key). The file is `scripts/<file>.lua`; its header
 * documents KEYS, ARGV and return codes. A line `--- @include "<name>"` in a script is replaced by
 * `scripts/<name>.lua` when the script is registered (BullMQ's style): `charge` (the one charge
 * primitive: every script that charges a member) and `outbox-lib` (every script that reports to a
 * merchant writes its event in the same step as the change).
 */
/** The charge block's keys (scripts/charge.lua): every charging script takes them first. */
const CHARGE_KEY_COUNT = 5;

const SCRIPTS = {
  dpCreatePendingRegistration: { file: 'create-pending-registration', numberOfKeys: 2 },
  dpClaimProvisionalId: { file: 'claim-provisional-id', numberOfKeys: CHARGE_KEY_COUNT + 2 },
  dpRenewAccess: { file: 'renew-access', numberOfKeys: CHARGE_KEY_COUNT + 1 },
  dpCountFailure: { file: 'count-failure', numberOfKeys: 1 },
  dpTakeAttempt: { file: 'take-attempt', numberOfKeys: 1 },
  dpLineRightEntry: { file: 'line-right-entry', numberOfKeys: 2 },
  dpTakePinAttempt: { file: 'take-pin-attempt', numberOfKeys: 1 },
  dpBuyCode: { file: 'buy-code', numberOfKeys: CHARGE_KEY_COUNT },
  dpHoldCap: { file: 'hold-cap', numberOfKeys: 2 },
  dpIssueCode: { file: 'issue-code', numberOfKeys: 1 },
  dpRedeemCode: { file: 'redeem-code', numberOfKeys: 3 },
  dpVoidRedemption: { file: 'void-redemption', numberOfKeys: 3 },
  dpRescheduleMark: { file: 'reschedule-mark', numberOfKeys: 1 },
  dpRecordRedemption: { file: 'record-redemption', numberOfKeys: null },
  dpBeginMerchantPost: { file: 'begin-merchant-post', numberOfKeys: null },
  dpSettleAttempt: { file: 'settle-attempt', numberOfKeys: 2 },
  dpChargeApproval: { file: 'charge-approval', numberOfKeys: CHARGE_KEY_COUNT },
  dpDecidePaymentRequest: { file: 'decide-payment-request', numberOfKeys: 7 },
  dpExpirePaymentRequest: { file: 'expire-payment-request', numberOfKeys: 6 },
  dpClaimDeliveries: { file: 'claim-deliveries', numberOfKeys: 3 },
  dpFinishDelivery: { file: 'finish-delivery', numberOfKeys: 2 },
  dpRetryDelivery: { file: 'retry-delivery', numberOfKeys: 2 },
  dpReplacePasswordHash: { file: 'replace-password-hash', numberOfKeys: 1 },
  dpResetPassword: { file: 'reset-password', numberOfKeys: 3 },
  dpRecordActivities: { file: 'record-activities', numberOfKeys: null },
  dpRotateApiKey: { file: 'rotate-api-key', numberOfKeys: 1 },
  dpOpenSession: { file: 'open-session', numberOfKeys: 1 },
  dpTrimLedgerHead: { file: 'trim-ledger-head', numberOfKeys: 2 },
  dpTrimRedemptions: { file: 'trim-redemptions', numberOfKeys: 2 },
} satisfies Record<string, { file: string; numberOfKeys: number | null; outbox?: boolean }>;

type Arg = string | number;

/** The keys every charging script takes first (scripts/charge.lua); built by chargeCall in accounts/ledger.ts. */
export type ChargeKeys = [step: string, ledger: string, spend: string, capHolds: string, auditOutbox: string];
/** The arguments every charging script takes first (scripts/charge.lua). */
export type ChargeArgv = [
  entryId: string,
  callSid: string,
  from: string,
  amount: Arg,
  currency: string,
  nowMs: Arg,
  monthlyCap: Arg,
  spendTtlSeconds: Arg,
  stepTtlSeconds: Arg,
  kind: string,
  method: string,
  confirmationCode: string,
  maskedCard: string,
  ledgerFields: string,
  capHoldId: string,
  auditKey: string,
  auditEvent: string,
];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    dpCreatePendingRegistration(pending: string, account: string, ttlSeconds: Arg, ...fieldValues: Arg[]): Result<number, Context>;
    dpClaimProvisionalId(...args: [...ChargeKeys, pending: string, account: string, ...ChargeArgv, formalId: string, periodMs: Arg]): Result<[number, string?, string?, string?], Context>;
    dpRenewAccess(...args: [...ChargeKeys, account: string, ...ChargeArgv, periodMs: Arg, nonce: string]): Result<[number, string?], Context>;
    dpCountFailure(counter: string, windowSeconds: Arg): Result<[number, number], Context>;
    dpTakeAttempt(counter: string, action: 'take', windowSeconds: Arg, limit: Arg): Result<[0 | 1, number, number], Context>;
    dpLineRightEntry(guessCounter: string, lineLocale: string, locale: string, localeTtlSeconds: Arg): Result<[number, number, number], Context>;
    dpTakeAttempt(counter: string, action: 'refund'): Result<[1, number, number], Context>;
    dpTakePinAttempt(account: string, limit: Arg): Result<[number, number?], Context>;
    dpBuyCode(...args: [...ChargeKeys, ...ChargeArgv, codeHash: string, sealedCode: string, last4: string, merchantId: string, expiresAtMs: Arg]): Result<[number, ...string[]], Context>;
    dpIssueCode(code: string, ...args: Arg[]): Result<number, Context>;
    dpRedeemCode(
      code: string,
      redemptions: string,
      unsettled: string,
      redemptionId: string,
      merchantId: string,
      amount: Arg,
      nowMs: Arg,
      orderId: string,
      codeHash: string,
      day: string,
      voidWindowMs?: Arg,
    ): Result<[number, string?, string?, string?, string?, string?], Context>;
    dpVoidRedemption(code: string, redemptions: string, unsettled: string, redemptionId: string, merchantId: string, nowMs: Arg, windowMs: Arg, today: string): Result<[number, string?, string?, string?], Context>;
    dpRescheduleMark(index: string, member: string, seenScore: Arg, newScore: Arg | ''): Result<number, Context>;
    dpHoldCap(spend: string, capHolds: string, action: 'hold', holdId: string, amount: Arg, cap: Arg, nowMs: Arg, holdMs: Arg, spendTtlSeconds: Arg): Result<[number, string], Context>;
    dpHoldCap(spend: string, capHolds: string, action: 'release', holdId: string): Result<[number], Context>;
    dpChargeApproval(...args: [...ChargeKeys, ...ChargeArgv, requestId: string]): Result<[number, string?], Context>;
    dpDecidePaymentRequest(
      request: string,
      pending: string,
      merchant: string,
      outbox: string,
      outboxOrder: string,
      outboxDue: string,
      settlement: string,
      action: 'claim' | 'approve' | 'decline' | 'release',
      memberId: string,
      callSid: string,
      nowMs: Arg,
      requestId: string,
      eventId: string,
      nowIso: string,
      today: string,
      owed: '1' | '0',
    ): Result<[number, string?], Context>;
    dpExpirePaymentRequest(
      request: string,
      pending: string,
      merchant: string,
      outbox: string,
      outboxOrder: string,
      outboxDue: string,
      requestId: string,
      nowMs: Arg,
      nowIso: string,
      eventId: string,
      recheckAtMs: Arg,
    ): Result<number, Context>;
    dpRecordRedemption(
      numberOfKeys: 8,
      redemptions: string,
      settlement: string,
      merchant: string,
      outbox: string,
      outboxOrder: string,
      outboxDue: string,
      inflight: string,
      redemptionOrder: string,
      kind: 'redeem' | 'void',
      redemptionId: string,
      record: string,
      eventId: string,
      nowIso: string,
      nowMs: Arg,
      currency: string,
      endsAttempt: '1' | '0',
    ): Result<number, Context>;
    dpRecordRedemption(
      numberOfKeys: 9,
      redemptions: string,
      settlement: string,
      merchant: string,
      outbox: string,
      outboxOrder: string,
      outboxDue: string,
      inflight: string,
      redemptionOrder: string,
      idempotencyRecord: string,
      kind: 'redeem' | 'void',
      redemptionId: string,
      record: string,
      eventId: string,
      nowIso: string,
      nowMs: Arg,
      currency: string,
      endsAttempt: '1' | '0',
      idempotencyRecordWithAnswer: string,
      keepSeconds: Arg,
    ): Result<number, Context>;
    dpClaimDeliveries(outbox: string, due: string, merchant: string, nowMs: Arg, claimMs: Arg, max: Arg, token: string): Result<[string, string, string, string, string, string][], Context>;
    dpFinishDelivery(
      outbox: string,
      due: string,
      eventId: string,
      token: string,
      outcome: 'delivered' | 'retry' | 'failed',
      httpStatus: Arg,
      error: string,
      nextAttemptMs: Arg,
      nowMs: Arg,
    ): Result<number, Context>;
    dpRetryDelivery(outbox: string, due: string, eventId: string, nowMs: Arg): Result<[number, string?], Context>;
    dpRotateApiKey(merchant: string, mode: 'rotate' | 'end-overlap' | 'reset', newKeyHash: string, previousUntilMs: Arg, nowMs: Arg, heldKeyHash: string): Result<number, Context>;
    dpOpenSession(sessions: string, field: string, value: string, nowMs: Arg, maxSessions: Arg): Result<number, Context>;
    /** keys: audit, totals, the 5 indexes, then each event's seen marker and day; argv: ttl, then each event's JSON. */
    dpRecordActivities(numberOfKeys: number, ...keysThenArgv: Arg[]): Result<number[], Context>;
    dpBeginMerchantPost(numberOfKeys: 2, failures: string, inflight: string, allowedFailures: Arg, inflightTtlSeconds: Arg): Result<[number, (string | number)?], Context>;
    dpBeginMerchantPost(
      numberOfKeys: 3,
      failures: string,
      inflight: string,
      idempotencyRecord: string,
      allowedFailures: Arg,
      inflightTtlSeconds: Arg,
      claim: string,
      keepSeconds: Arg,
    ): Result<[number, (string | number)?], Context>;
    dpSettleAttempt(failures: string, inflight: string, failedGuess: '1' | '0', windowSeconds: Arg): Result<number, Context>;
    dpTrimLedgerHead(ledger: string, archivedCount: string, ...exportedEntryIds: string[]): Result<number, Context>;
    dpTrimRedemptions(redemptions: string, redemptionOrder: string, cutoffMs: Arg, ...exportedRedemptionIds: string[]): Result<number, Context>;
    dpReplacePasswordHash(account: string, verifiedHash: string, newHash: string): Result<0 | 1, Context>;
    dpResetPassword(account: string, resetRecord: string, sessions: string, tokenHash: string, nowMs: Arg, passwordHash: string): Result<number, Context>;
  }
}

const scriptSource = (file: string) => readFileSync(new URL(`./scripts/${file}.lua`, import.meta.url), 'utf8');

const INCLUDE = /^--- @include "([a-z0-9-]+)"$/gm;

/** A script's source with each `--- @include "<name>"` line replaced by scripts/<name>.lua (itself with its includes). */
export const scriptWithIncludes = (file: string): string => scriptSource(file).replace(INCLUDE, (_line, name: string) => scriptWithIncludes(name).trimEnd());

let loadedScripts: { name: string; lua: string; numberOfKeys: number | undefined }[] | undefined;

export function defineScripts(client: RedisClient): void {
  loadedScripts ??= Object.entries(SCRIPTS).map(([name, script]) => ({
    name,
    lua: scriptWithIncludes(script.file),
    numberOfKeys: script.numberOfKeys ?? undefined,
  }));
  for (const { name, lua, numberOfKeys } of loadedScripts) client.defineCommand(name, { lua, numberOfKeys });
}

export interface RedisOptions {
  /** Extra prefix, e.g. one per test, on top of REDIS_KEY_PREFIX. */
  keyPrefix?: string;
  /** Connection errors; ioredis reconnects by itself, so these are for the log. */
  onError?: (error: Error) => void;
}

/** Sockets whose writes are already coalesced (a reconnect brings a new socket). */
const coalescedSockets = new WeakSet<Redis['stream']>();

/**
 * Sends every command written to one Redis connection in one event-loop turn as one write.
 * ioredis's autopipelining does the same by building a Pipeline per turn and slot (a batch object,
 * a promise and a callback per command), which at a webhook app's load cost more CPU than the
 * syscalls it saved (before/after with this in its place: docs/PERFORMANCE.md, 2026-12-02).
 * Corking the socket on the turn's first write and uncorking it on setImmediate, the deferral
 * autopipelining itself uses, keeps its batching without the objects.
 */
function coalesceWrites(socket: Redis['stream'] | undefined): void {
  if (!socket || coalescedSockets.has(socket)) return;
  coalescedSockets.add(socket);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return Reflect.apply(write, socket, args) as boolean;
  }) as typeof socket.write;
}

/** Coalesces a connection's writes now and after every reconnect. */
function coalesceWritesOf(node: Redis): void {
  node.on('connect', () => coalesceWrites(node.stream));
}

/** Connects to Redis (or Redis Cluster) as configured, with every Lua script registered. */
export function createRedisClient(config: Config, options: RedisOptions = {}): RedisClient {
  const keyPrefix = `${config.redis.keyPrefix}${options.keyPrefix ?? ''}`;
  // Fail fast instead of queueing while Redis is away: a webhook must answer within Twilio's
  // timeout, and a Twilio route turns the error into a spoken apology. No autopipelining:
  // coalesceWrites batches the same commands more cheaply.
  const common = { keyPrefix, maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: 3000, enableAutoPipelining: false };
  let client: RedisClient;
  if (config.redis.clusterNodes.length > 0) {
    const cluster = new Cluster(config.redis.clusterNodes, { keyPrefix, redisOptions: common });
    cluster.on('+node', coalesceWritesOf);
    client = cluster;
  } else {
    if (!config.redis.url) throw new Error('REDIS_URL is not set (npm start and npm test set it when they run their own redis-server)');
    const node = new Redis(config.redis.url, common);
    coalesceWritesOf(node);
    client = node;
  }
  client.on('error', options.onError ?? (() => undefined));
  defineScripts(client);
  waitForReplicasAfterMoneyWrites(client, config, keyPrefix);
  return client;
}

/**
 * The scripts whose effect is money or what a caller was told about it: a charge, a debit, an
 * issued code, a booking for a merchant, and the Idempotency-Key's claim. Their answers wait for
 * a replica (see below).
 */
const MONEY_SCRIPTS = [
  'dpClaimProvisionalId',
  'dpRenewAccess',
  'dpBuyCode',
  'dpIssueCode',
  'dpRedeemCode',
  'dpVoidRedemption',
  'dpRecordRedemption',
  'dpChargeApproval',
  'dpDecidePaymentRequest',
  // Not money, but what makes a merchant's retry replay: a claim lost in a failover would give the
  // retry a new operation ID, and the code, debited under the old one, would answer "spent".
  'dpBeginMerchantPost',
  // Not money either, but a trim lost in a failover would bring exported entries back, and the
  // next `npm run archive` would export them a second time.
  'dpTrimLedgerHead',
  'dpTrimRedemptions',
] as const satisfies readonly (keyof typeof SCRIPTS)[];

/** A money write reached its master but not the replicas it must wait for in time: retry (the same Idempotency-Key or call step replays it). */
export class ReplicaWaitError extends Error {
  override name = 'ReplicaWaitError';
}

/**
 * Redis replicates asynchronously: a master that dies right after answering can take an
 * acknowledged charge with it, and the replica that takes over never saw it. So after each money
 * script, the client sends WAIT on the connection to the master that ran it and acknowledges the
 * write only once REDIS_WAIT_REPLICAS replicas have it (default: 1 where that master has a
 * replica, as on Redis Cluster with replicas; 0 on a single Redis). Short of that within
 * REDIS_WAIT_TIMEOUT_MS it throws ReplicaWaitError, which clients see as a retryable 503 or a
 * spoken apology; every money step is idempotent, so the retry replays what was done.
 */
function waitForReplicasAfterMoneyWrites(client: RedisClient, config: Config, keyPrefix: string): void {
  const configured = config.redis.waitReplicas;
  // Nothing to wait for: no wrapper on the hot path.
  if (configured === 0 || (configured === undefined && !(client instanceof Cluster))) return;
  const timeoutMs = config.redis.waitTimeoutMs;
  const target = (firstKey: string): { node: Redis; replicas: number } | undefined => {
    if (!(client instanceof Cluster)) return configured ? { node: client, replicas: configured } : undefined;
    // slots[slot] lists the master first, then its replicas, as the cluster last reported them.
    const owners = client.slots[calculateSlot(`${keyPrefix}${firstKey}`)];
    const node = owners && client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owners[0]);
    const replicas = configured ?? (owners && owners.length > 1 ? 1 : 0);
    return node && replicas > 0 ? { node, replicas } : undefined;
  };
  const commands = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of MONEY_SCRIPTS) {
    const run = commands[name]!;
    const numberOfKeys = SCRIPTS[name].numberOfKeys;
    // A pipeline copies the client's script functions and auto-pipelining calls them on one: there
    // (this !== client) the command is only queued, so it runs as is, without a WAIT.
    commands[name] = function (this: unknown, ...args: unknown[]) {
      return this === client ? runAndWait(args) : run.apply(this, args);
    };
    const runAndWait = async (args: unknown[]) => {
      const result = await run.apply(client, args);
      // With a variable key count the count comes first, then the keys.
      const firstKey = String(numberOfKeys === null ? args[1] : args[0]);
      const wanted = target(firstKey);
      if (wanted) {
        const acknowledged = await wanted.node.wait(wanted.replicas, timeoutMs);
        if (acknowledged < wanted.replicas) {
          throw new ReplicaWaitError(`a money write reached ${acknowledged} of ${wanted.replicas} replica(s) within ${timeoutMs} ms`);
        }
      }
      return result;
    };
  }
}
