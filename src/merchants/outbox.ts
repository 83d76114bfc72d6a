import { API_TEXT } from '../http/api-text.ts';
import { createHmac, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Cluster } from 'ioredis';
import { nanoid } from 'nanoid';
import type { Config } from '../config.ts';
import type { CoreDeps } from '../deps.ts';
import { AppError } from '../http/errors.ts';
import { OutboundRefused, outboundPolicy, postOutbound } from '../http/outbound.ts';
import type { Logger } from '../logger.ts';
import { calendarDay } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import type { RedisClient } from '../store/redis.ts';
import { chargeRecord, recordActivity } from '../observability/activity.ts';
import { webhookDeliveries } from '../observability/metrics.ts';

/**
 * The merchant webhook outbox. Every event a merchant must learn of is written by the Lua script
 * that makes the change (outbox-lib.lua), in the merchant's slot; delivery runs from Redis in the
 * background worker of every app instance: a due set per merchant, claims that lapse, retries on
 * Svix's schedule. Nothing about a pending delivery lives in a process, so a restart or a second
 * instance changes nothing: each event is delivered once (receivers still dedupe on webhook-id,
 * since a worker can die after the POST and before recording it).
 */
export interface OutboxDeps extends CoreDeps {
  logger?: Logger;
}

export type EventType = 'payment_request.approved' | 'payment_request.declined' | 'payment_request.expired' | 'redemption.created' | 'redemption.voided';

export const newEventId = () => `evt_${nanoid(22)}`;

/** The keys every reporting script takes after its own: merchant hash, outbox, its order and due sets. */
export const outboxKeys = (merchantId: string) => [keys.merchant(merchantId), keys.outbox(merchantId), keys.outboxOrder(merchantId), keys.outboxDue(merchantId)] as const;

/**
 * One move of a payment request (decide-payment-request.lua): claim, approve, decline or release.
 * An approval writes its event and books the amount to the merchant's settlement on today's day
 * (TIME_ZONE) in the same step, so what the merchant is owed follows every approval exactly once.
 * A demo approval (CHARGE_METHOD_APPROVALS=none) charged the member nothing, so nothing is owed for
 * it and nothing is booked: the settlement is what the operator pays out on.
 */
export function movePaymentRequest(
  redis: RedisClient,
  config: Pick<Config, 'timeZone' | 'charging'>,
  move: { merchantId: string; requestId: string; action: 'claim' | 'approve' | 'decline' | 'release'; memberId: string; callSid: string; now: number },
) {
  const { merchantId, requestId, now } = move;
  return redis.dpDecidePaymentRequest(
    keys.paymentRequest(requestId),
    keys.pendingPaymentRequests(merchantId),
    ...outboxKeys(merchantId),
    keys.merchantSettlement(merchantId),
    move.action,
    move.memberId,
    move.callSid,
    now,
    requestId,
    newEventId(),
    new Date(now).toISOString(),
    calendarDay(now, config.timeZone),
    config.charging.methods.approvals === 'none' ? '0' : '1',
  );
}

/**
 * Runs a script that may write an event after marking the merchant as having work, so a crash
 * right after the script is still found. As for settlement marks, one connection keeps the order,
 * so on a single Redis the mark rides in the same pipeline; a cluster awaits it first.
 */
export async function afterMarkingMerchant<T>(redis: RedisClient, merchantId: string, at: number, change: () => Promise<T>, options: { onlyEarlier?: boolean } = {}): Promise<T> {
  // A mark for now always overwrites (a worker that looked before it must see it changed); a mark
  // for later (an expiry) must not push back work that is due sooner.
  const mark = options.onlyEarlier ? redis.zadd(keys.merchantsWithWork(), 'LT', at, merchantId) : redis.zadd(keys.merchantsWithWork(), at, merchantId);
  if (redis instanceof Cluster) await mark;
  const [, result] = await Promise.all([mark, change()]);
  return result;
}

/**
 * Delay after the n-th failed attempt, in multiples of WEBHOOK_RETRY_BASE_MS: Svix's schedule
 * (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h at the default base of 5 s).
 */
const RETRY_MULTIPLES = [1, 60, 360, 1440, 3600, 7200, 7200];
export const retryDelayMs = (failedAttempts: number, baseMs: number) => RETRY_MULTIPLES[Math.min(failedAttempts, RETRY_MULTIPLES.length) - 1]! * baseMs;

/**
 * Standard Webhooks signature: base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", keyed with the
 * bytes of the secret after `whsec_`.
 */
export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The older `Dialpass-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, kept for receivers written against it. */
export function legacySignature(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookHeaders(secret: string, id: string, body: string, timestamp: number): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'dialpass-webhooks',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardSignature(secret, id, timestamp, body),
    'Dialpass-Signature': legacySignature(secret, body, timestamp),
  };
}

/** Merchants looked at per pass (besides those whose deliveries fill their share), and deliveries claimed per merchant and pass. */
const MERCHANTS_PER_PASS = 50;
const CLAIMS_PER_MERCHANT = 20;

/**
 * The deliveries this process has on the wire. A pass claims only what fits (WEBHOOK_CONCURRENCY
 * in all, WEBHOOK_CONCURRENCY_PER_MERCHANT for one merchant) and starts it without waiting for
 * it, so a slow or hostile endpoint holds at most its merchant's share of slots for at most
 * WEBHOOK_TIMEOUT_MS each, and nothing else (expiry, other merchants, the reconciler, shutdown)
 * ever waits on it. Nothing waits in memory: what is not claimed stays due in Redis.
 */
export class DeliveryDispatcher {
  private readonly perMerchant = new Map<string, number>();
  private total = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  peak = 0;

  constructor(
    private readonly deps: OutboxDeps,
    /** Called when a delivery ends (a slot is free): the worker looks again at once. */
    private readonly onFreed: () => void = () => {},
  ) {
    // Every delivery on the wire listens for the shutdown signal.
    setMaxListeners(deps.config.webhookConcurrency + 10, this.abort.signal);
  }

  /**
   * Takes up to `most` slots for this merchant now, before claiming (passes over several merchants
   * claim at once: a slot is counted from the moment it is promised). Slots not used go back with
   * release(); used ones come back when their delivery ends.
   */
  reserve(merchantId: string, most: number): number {
    const { webhookConcurrency, webhookConcurrencyPerMerchant } = this.deps.config;
    const room = Math.max(0, Math.min(most, webhookConcurrencyPerMerchant - (this.perMerchant.get(merchantId) ?? 0), webhookConcurrency - this.total));
    if (room > 0) this.adjust(merchantId, room);
    return room;
  }

  hasRoom(merchantId: string): boolean {
    const { webhookConcurrency, webhookConcurrencyPerMerchant } = this.deps.config;
    return this.total < webhookConcurrency && (this.perMerchant.get(merchantId) ?? 0) < webhookConcurrencyPerMerchant;
  }

  release(merchantId: string, slots: number): void {
    if (slots > 0) this.adjust(merchantId, -slots);
  }

  private adjust(merchantId: string, by: number): void {
    this.total += by;
    this.peak = Math.max(this.peak, this.total);
    const count = (this.perMerchant.get(merchantId) ?? 0) + by;
    if (count === 0) this.perMerchant.delete(merchantId);
    else this.perMerchant.set(merchantId, count);
  }

  /** Merchants whose share is full: a pass looks past them. */
  get fullMerchants(): number {
    let n = 0;
    for (const count of this.perMerchant.values()) if (count >= this.deps.config.webhookConcurrencyPerMerchant) n++;
    return n;
  }

  get inFlight(): number {
    return this.total;
  }

  /** Starts a claimed delivery in a slot reserved for it. */
  start(merchantId: string, token: string, claim: Claim): void {
    const done: Promise<void> = deliverOne(this.deps, merchantId, token, claim, this.abort.signal)
      .then(
        () => undefined,
        (err: unknown) => this.deps.logger?.error({ err, merchantId }, 'a webhook delivery failed to record'),
      )
      .finally(() => {
        this.adjust(merchantId, -1);
        this.running.delete(done);
        this.onFreed();
      });
    this.running.add(done);
  }

  /**
   * Waits for the deliveries on the wire; at `deadlineAt` (ms, wall clock) the rest are cut and
   * recorded as failed attempts to retry (their receivers may have seen them: at least once).
   */
  async drain(deadlineAt = Infinity): Promise<void> {
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running]);
    if (deadlineAt !== Infinity) {
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadlineAt - Date.now()))));
      await Promise.race([all, cut]);
      clearTimeout(timer);
      this.abort.abort();
    }
    await all;
  }
}

type Claim = [string, string, string, string, string, string];
const EXPIRIES_PER_MERCHANT = 50;
/**
 * A mark this fresh is left as it is, so the merchant is looked at again next pass: the change
 * it announces may not have run yet (the mark goes first). Past it, the mark moves to the next
 * due time or goes.
 */
const MARK_GRACE_MS = 1000;
/** A request past its expiry but claimed by a call is looked at again after this. */
const CLAIMED_RECHECK_MS = 60_000;

/** How long a claim holds: longer than an attempt can take, so two workers never POST one event at once. */
const claimMs = (config: Config) => config.webhookTimeoutMs * 2 + 1000;

/**
 * One pass of the outbox worker: for each merchant with work due, expire the payment requests
 * whose time is up (each with its event, atomically), deliver the events that are due, then
 * reschedule the merchant for its next due time or drop it.
 */
export async function runOutboxPass(deps: OutboxDeps, dispatcher: DeliveryDispatcher, options: { deliveriesOnly?: boolean } = {}): Promise<number> {
  const { redis } = deps;
  const now = deps.now();
  const due = await redis.zrangebyscore(keys.merchantsWithWork(), '-inf', now, 'WITHSCORES', 'LIMIT', 0, MERCHANTS_PER_PASS + dispatcher.fullMerchants);
  let started = 0;
  const work: Promise<void>[] = [];
  for (let i = 0; i < due.length; i += 2) {
    const merchantId = due[i]!;
    const seen = Number(due[i + 1]);
    // A pass run because a slot came free only fills slots; the regular pass also expires.
    if (options.deliveriesOnly && !dispatcher.hasRoom(merchantId)) continue;
    work.push(
      processMerchant(deps, merchantId, seen, dispatcher, options.deliveriesOnly).then(
        (n) => void (started += n),
        (err) => deps.logger?.error({ err, merchantId }, 'outbox pass failed for a merchant'),
      ),
    );
  }
  await Promise.all(work);
  return started;
}

/** Expires the merchant's requests that are due, then starts the deliveries that fit; never waits for one. */
async function processMerchant(deps: OutboxDeps, merchantId: string, seen: number, dispatcher: DeliveryDispatcher, deliveriesOnly = false): Promise<number> {
  const { redis, config } = deps;
  if (!deliveriesOnly) await expireDueRequests(deps, merchantId);
  const now = deps.now();
  const token = randomBytes(9).toString('base64url');
  const room = dispatcher.reserve(merchantId, CLAIMS_PER_MERCHANT);
  let claimed: Claim[] = [];
  try {
    if (room > 0) claimed = await redis.dpClaimDeliveries(keys.outbox(merchantId), keys.outboxDue(merchantId), keys.merchant(merchantId), now, claimMs(config), room, token);
  } finally {
    dispatcher.release(merchantId, room - claimed.length);
  }
  for (const claim of claimed) dispatcher.start(merchantId, token, claim);
  // When is this merchant next due: its earliest delivery (a claim counts: it may lapse) or expiry.
  // ioredis 6 types a ZRANGE stop as a string; the reply is the flat [member, score] list (test/integration/redis-replies.test.ts).
  const [[, nextDelivery], [, nextExpiry]] = (await Promise.all([
    redis.zrange(keys.outboxDue(merchantId), 0, '0', 'WITHSCORES'),
    redis.zrange(keys.pendingPaymentRequests(merchantId), 0, '0', 'WITHSCORES'),
  ])) as [string[], string[]];
  const candidates = [nextDelivery, nextExpiry].filter((s): s is string => s !== undefined).map(Number);
  if (seen <= deps.now() - MARK_GRACE_MS) {
    await redis.dpRescheduleMark(keys.merchantsWithWork(), merchantId, seen, candidates.length ? Math.min(...candidates) : '');
  }
  return claimed.length;
}

async function expireDueRequests(deps: OutboxDeps, merchantId: string): Promise<void> {
  const { redis } = deps;
  const now = deps.now();
  const ids = await redis.zrangebyscore(keys.pendingPaymentRequests(merchantId), '-inf', now, 'LIMIT', 0, EXPIRIES_PER_MERCHANT);
  // One script per request, all sent at once (the client writes them in one go).
  await Promise.all(ids.map(async (id) => {
    const expired = await redis.dpExpirePaymentRequest(
      keys.paymentRequest(id),
      keys.pendingPaymentRequests(merchantId),
      keys.merchant(merchantId),
      keys.outbox(merchantId),
      keys.outboxOrder(merchantId),
      keys.outboxDue(merchantId),
      id,
      now,
      new Date(now).toISOString(),
      newEventId(),
      now + CLAIMED_RECHECK_MS,
    );
    // Claimed and due: if the call that holds it has ended, settle it (approve if charged, else release).
    if (expired === 3) await settleHeldRequest(deps, merchantId, id, now);
    if (expired === 1) void recordActivity(deps, { kind: 'payment_request.expired', key: `expire:${id}`, at: now, actor: 'worker', merchantId, detail: id, countOnly: true, day: { requests_expired: 1 } });
  }));
}

/** Twilio's final CallStatus values: the call is over. */
const CALL_ENDED = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/**
 * Asks the worker to look at a request a call held, at `at` (the call's end plus CALL_END_GRACE_MS):
 * its place in the merchant's pending set is brought forward (never pushed back), the merchant marked.
 */
export async function settleHeldRequestAfter(deps: Pick<CoreDeps, 'redis'>, requestId: string, at: number): Promise<void> {
  const merchantId = /^pr_(\d{8})/.exec(requestId)?.[1];
  if (!merchantId) return;
  await afterMarkingMerchant(deps.redis, merchantId, at, () => deps.redis.zadd(keys.pendingPaymentRequests(merchantId), 'XX', 'LT', at, requestId), { onlyEarlier: true });
}

/**
 * A request still claimed by a call that has ended (CALL_END_GRACE_MS ago at least, so no step of
 * it is still running): the app died between the claim and the decision, or the line dropped. If
 * the member was charged for it (the approval's charge step exists), the approval is finished;
 * otherwise the claim is released (pending again, or expired by the next sweep if its time is up).
 */
async function settleHeldRequest(deps: OutboxDeps, merchantId: string, requestId: string, now: number): Promise<'approved' | 'released' | 'waiting'> {
  const { redis } = deps;
  const [memberId, callSid] = await redis.hmget(keys.paymentRequest(requestId), 'claimedBy', 'claimCall');
  if (!memberId || !callSid) return 'waiting';
  const [status, recordedAt] = await redis.hmget(keys.call(callSid), 'CallStatus', 'recordedAt');
  if (!status || !CALL_ENDED.has(status) || Number(recordedAt) > now - deps.config.callEndGraceMs) return 'waiting';
  const charged = (await redis.exists(keys.callStep(memberId, callSid, `approve-${requestId}`))) === 1;
  const action = charged ? 'approve' : 'release';
  const run = () => movePaymentRequest(redis, deps.config, { merchantId, requestId, action, memberId, callSid, now });
  const [code] = charged ? await afterMarkingMerchant(redis, merchantId, now, run) : await run();
  if (code === 1 && charged) {
    const amount = Number(await redis.hget(keys.paymentRequest(requestId), 'amount'));
    void recordActivity(deps, { kind: 'payment_request.approved', key: `approved:${requestId}`, at: now, actor: 'worker', memberId, merchantId, amount, detail: requestId, ...chargeRecord(amount, 'requests_approved', deps.config.charging.methods.approvals) });
  }
  if (code === 1 && !charged) await redis.zadd(keys.pendingPaymentRequests(merchantId), 'GT', Number(await redis.hget(keys.paymentRequest(requestId), 'expiresAt')), requestId);
  deps.logger?.warn({ requestId, callSid, action }, 'a payment request held by a call that ended was settled by the worker');
  return charged ? 'approved' : 'released';
}

async function deliverOne(deps: OutboxDeps, merchantId: string, token: string, claim: Claim, signal?: AbortSignal): Promise<boolean> {
  const { config, redis } = deps;
  const [eventId, body, url, secret, attemptsSoFar, manual] = claim;
  let status = 0;
  let error = '';
  if (!url || !secret) {
    error = 'no webhook URL';
  } else {
    try {
      // The signature's time is the wall clock: receivers compare it with theirs.
      const res = await postOutbound(url, webhookHeaders(secret, eventId, body, Math.floor(Date.now() / 1000)), body, outboundPolicy(config), signal);
      status = res.status;
      if (status < 200 || status >= 300) error = `answered ${status}`;
    } catch (err) {
      error = err instanceof OutboundRefused ? `webhook_url_not_allowed: ${err.message}` : String((err as Error).message ?? err).slice(0, 200);
    }
  }
  const ok = error === '';
  const attempts = Number(attemptsSoFar) + 1;
  const now = deps.now();
  const outcome = ok ? 'delivered' : manual === '1' || attempts >= config.webhookMaxAttempts ? 'failed' : 'retry';
  const next = outcome === 'retry' ? now + retryDelayMs(attempts, config.webhookRetryBaseMs) : 0;
  if (!ok) deps.logger?.warn({ merchantId, eventId, attempts, error, outcome }, 'webhook attempt failed');
  webhookDeliveries.inc({ outcome });
  await redis.dpFinishDelivery(keys.outbox(merchantId), keys.outboxDue(merchantId), eventId, token, outcome, status, error, next, now);
  // The merchant's mark was set to when the claim would lapse; a retry due sooner brings it forward.
  if (outcome === 'retry') await redis.zadd(keys.merchantsWithWork(), 'LT', next, merchantId);
  return ok;
}

interface DeliveryState {
  type: EventType;
  createdAt: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  seq: number;
  nextAttemptAt?: number;
  lastAttemptAt?: number;
  lastResponseStatus?: number;
  lastError?: string;
}

export interface DeliveryView {
  eventId: string;
  type: EventType;
  createdAt: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function deliveryView(eventId: string, s: DeliveryState): DeliveryView {
  return {
    eventId,
    type: s.type,
    createdAt: new Date(s.createdAt).toISOString(),
    status: s.status,
    attempts: s.attempts,
    lastAttemptAt: iso(s.lastAttemptAt),
    lastResponseStatus: s.lastResponseStatus || null,
    lastError: s.lastError || null,
    nextAttemptAt: s.status === 'pending' ? iso(s.nextAttemptAt) : null,
  };
}

const MAX_PAGE = 100;

/** GET /api/merchant/webhook-deliveries: newest first, `cursor` from the previous page's `nextCursor`. */
export async function listDeliveries(deps: OutboxDeps, merchantId: string, query: { cursor?: unknown; limit?: unknown }): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new AppError(422, 'invalid_input', API_TEXT.limitOutOfRange(MAX_PAGE));
  const cursor = query.cursor === undefined ? undefined : String(query.cursor);
  if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new AppError(422, 'invalid_input', API_TEXT.unknownCursor);
  const ids = await deps.redis.zrevrangebyscore(keys.outboxOrder(merchantId), cursor === undefined ? '+inf' : `(${cursor}`, '-inf', 'LIMIT', 0, limit + 1);
  const page = ids.slice(0, limit);
  const states = page.length ? await deps.redis.hmget(keys.outbox(merchantId), ...page.map((id) => `s:${id}`)) : [];
  const deliveries: DeliveryView[] = [];
  let lastSeq: number | undefined;
  page.forEach((id, i) => {
    const json = states[i];
    if (!json) return;
    const state = JSON.parse(json) as DeliveryState;
    lastSeq = state.seq;
    deliveries.push(deliveryView(id, state));
  });
  return { deliveries, nextCursor: ids.length > limit && lastSeq !== undefined ? String(lastSeq) : null };
}

/** POST /api/merchant/webhook-deliveries/{eventId}/retry: one more attempt, now. */
export async function retryDelivery(deps: OutboxDeps, merchantId: string, eventId: string): Promise<DeliveryView> {
  const notFound = () => new AppError(404, 'unknown_event', API_TEXT.unknownEvent);
  if (!/^evt_[A-Za-z0-9_-]{1,60}$/.test(eventId)) throw notFound();
  const now = deps.now();
  const [code, state] = await afterMarkingMerchant(deps.redis, merchantId, now, () => deps.redis.dpRetryDelivery(keys.outbox(merchantId), keys.outboxDue(merchantId), eventId, now));
  const outcome = scriptOutcome(code);
  if (outcome === 'not_found') throw notFound();
  if (outcome === 'already_used') throw new AppError(409, 'delivery_pending', API_TEXT.deliveryPending);
  return deliveryView(eventId, JSON.parse(state!) as DeliveryState);
}
