/**
 * The operator's record of what happened: an append-only audit trail (a Redis Stream) of every
 * event that moves money or changes an account, per-day counters for the console's figures, and
 * cursor-friendly indexes (sorted sets) of members, codes and merchants.
 *
 * Redis Cluster: one stream is one slot. We chose ONE global `{ops}` slot, written by the app
 * right after the event's own (member / code / merchant slot) script succeeded, over per-slot
 * streams merged on read: merging would mean knowing every slot that ever held an event and a
 * k-way merge on every page of the console, while the `{ops}` slot costs one small script per
 * money event on one node, far below what a node takes, and the events of one turn of the event
 * loop share one call. The recording is idempotent
 * (record-activities.lua keeps a seen marker per event key), and every caller records on the first
 * success AND on each replay, so a Twilio or merchant retry records an event whose first
 * recording was lost. An app crash between a member's charge and this script, with no retry ever
 * coming, no longer loses the line (issue 24): the charge fragment (charge.lua) writes the event
 * into the member's audit outbox in the same step as the charge, the member is marked for the
 * relay first, and relayAuditOutboxes (the background worker) records what is left there, once,
 * through this same script.
 *
 * Recording never fails or slows the money path: it is not awaited by callers, and an error is
 * logged and counted (activityErrors) rather than thrown.
 */
import type { ChargeMethod } from '../config.ts';
import type { Logger } from '../logger.ts';
import { activations, chargedAmount, charges, redemptions, redisErrors } from './metrics.ts';
import { calendarDay } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { Cluster } from 'ioredis';

/** Longer than any retry can come (call steps are kept two days). */
const SEEN_TTL_SECONDS = 3 * 24 * 3600;

/** Positions of the indexes in record-activities.lua's KEYS. */
const INDEX = { members: 3, codes: 4, merchants: 5, pending: 6, calls: 7 } as const;
type IndexName = keyof typeof INDEX;

export type ActivityKind =
  | 'registration.created'
  | 'account.activated'
  | 'account.renewed'
  | 'account.pin_changed'
  /** A password reset link was mailed (issue 25), and one was used: a new password, every session ended. */
  | 'account.password_reset_sent'
  | 'account.password_reset'
  | 'code.purchased'
  | 'code.redeemed'
  | 'code.redemption_voided'
  | 'payment_request.created'
  | 'payment_request.approved'
  | 'payment_request.declined'
  | 'payment_request.expired'
  | 'merchant.created'
  | 'merchant.api_key_rotated'
  /** Counted only (never in the audit trail): a call ended, by Twilio's final CallStatus. */
  | 'call.ended';

/** Kinds that charge a member: the console's ledger list. */
export const CHARGE_KINDS: ReadonlySet<string> = new Set<ActivityKind>(['account.activated', 'account.renewed', 'code.purchased', 'payment_request.approved']);

export interface Activity {
  kind: ActivityKind;
  /** Unique per event and the same on every retry of it (e.g. `buy:<member>:<CallSid>:<nonce>`). */
  key: string;
  at: number;
  /** Who did it: `call:<CallSid>`, `member:<id>`, `merchant:<id>`, `operator`, `worker`. */
  actor: string;
  /** Whose account or money it touches. */
  memberId?: string;
  merchantId?: string;
  amount?: number;
  /** How a charge was collected (CHARGE_METHOD_<KIND> at the time): shown on the console's ledger; a demo (`none`) is never revenue. */
  method?: ChargeMethod;
  /** A short, secret-free description (last four digits, a request ID, a redemption ID). */
  detail?: string;
  /** Not written to the audit stream (counters only): events that neither move money nor change an account. */
  countOnly?: boolean;
  day?: Record<string, number>;
  totals?: Record<string, number>;
  add?: [IndexName, number, string][];
  remove?: [IndexName, string][];
}

export interface ActivityDeps {
  redis: RedisClient;
  config: { timeZone: string; currency: string };
}

const loggers = new WeakMap<RedisClient, Logger>();
/** Recording failures since start, per process (exposed on /metrics). */
export const activityErrors = { count: 0 };

/** createApp registers its logger, so a failed recording is logged where the app logs. */
export function logActivityFailuresTo(redis: RedisClient, logger: Logger): void {
  loggers.set(redis, logger);
}

/** Events sent in one script call at most; more in one turn of the event loop go in further calls. */
const MAX_BATCH = 100;

interface QueuedActivity {
  activity: Pick<Activity, 'kind' | 'key' | 'amount'>;
  seenKey: string;
  dayKey: string;
  event: string;
  done: () => void;
}

const queues = new WeakMap<RedisClient, QueuedActivity[]>();
/** Batches sent and not yet answered, per client: what a shutdown waits for before it quits Redis. */
const inFlight = new WeakMap<RedisClient, Set<Promise<void>>>();

/**
 * Queues the event; every event queued in the same turn of the event loop is recorded by one
 * record-activities.lua call at the next (setImmediate). One script call per money event cost a
 * webhook about 30 µs of app CPU and 15 µs of Redis (docs/PERFORMANCE.md); batched, most of that
 * is shared. Resolves once the batch is written or has failed (never rejects).
 */
export function recordActivity(deps: ActivityDeps, activity: Activity): Promise<void> {
  const { redis, config } = deps;
  const event = activityEvent(config, activity);
  return new Promise<void>((done) => {
    let queue = queues.get(redis);
    if (!queue) {
      const turn: QueuedActivity[] = [];
      queues.set(redis, (queue = turn));
      setImmediate(() => {
        queues.delete(redis);
        let sent = inFlight.get(redis);
        if (!sent) inFlight.set(redis, (sent = new Set()));
        for (let i = 0; i < turn.length; i += MAX_BATCH) {
          const batch = recordBatch(redis, turn.slice(i, i + MAX_BATCH)).then(() => undefined);
          sent.add(batch);
          void batch.finally(() => sent.delete(batch));
        }
      });
    }
    queue.push({ activity: { kind: activity.kind, key: activity.key, amount: activity.amount }, seenKey: keys.opsSeen(activity.key), dayKey: keys.opsDay(calendarDay(activity.at, config.timeZone)), event, done });
  });
}

/** The event as record-activities.lua takes it (JSON). */
function activityEvent(config: ActivityDeps['config'], activity: Activity): string {
  const audit = activity.countOnly
    ? []
    : [
        'kind', activity.kind,
        'at', String(activity.at),
        'actor', activity.actor,
        'member', activity.memberId ?? '',
        'merchant', activity.merchantId ?? '',
        'amount', activity.amount === undefined ? '' : String(activity.amount),
        'currency', activity.amount === undefined ? '' : config.currency,
        'detail', activity.detail ?? '',
        ...(activity.method ? ['method', activity.method] : []),
      ];
  const event = JSON.stringify({
    audit,
    day: activity.day ?? {},
    totals: activity.totals ?? {},
    add: (activity.add ?? []).map(([index, score, member]) => [INDEX[index], score, member]),
    remove: (activity.remove ?? []).map(([index, member]) => [INDEX[index], member]),
  });
  return event;
}

/** What a money script keeps in its audit outbox for the relay: the event's key and its payload (JSON). */
export function auditOutboxEntry(config: ActivityDeps['config'], activity: Activity): [key: string, payload: string] {
  return [activity.key, JSON.stringify({ kind: activity.kind, key: activity.key, amount: activity.amount, day: calendarDay(activity.at, config.timeZone), event: activityEvent(config, activity) })];
}

/** Members with audit outbox entries (score: when marked); the relay looks at marks older than this. */
const RELAY_GRACE_MS = 2000;
const RELAY_MEMBERS_PER_PASS = 200;

/**
 * Marks the member for the relay, then runs the money script that may write an audit outbox entry;
 * as for merchants' webhook marks, one connection keeps the order on a single Redis (the mark rides
 * ahead in the same write); a cluster awaits the mark first.
 */
export async function afterMarkingAudit<T>(redis: RedisClient, memberId: string, at: number, change: () => Promise<T>): Promise<T> {
  const mark = redis.zadd(keys.auditOutboxes(), at, memberId);
  if (redis instanceof Cluster) await mark;
  const [, result] = await Promise.all([mark, change()]);
  return result;
}

/**
 * The relay (background worker): for each member marked over RELAY_GRACE_MS ago, records every
 * event left in the member's audit outbox (record-activities.lua: once, whoever recorded it
 * first), then removes those entries and the mark unless it was renewed meanwhile. Returns how
 * many events it recorded now (events the app had already recorded are not counted).
 */
export async function relayAuditOutboxes(deps: ActivityDeps & { now?: () => number }): Promise<number> {
  const { redis } = deps;
  const marked = await redis.zrangebyscore(keys.auditOutboxes(), '-inf', Date.now() - RELAY_GRACE_MS, 'WITHSCORES', 'LIMIT', 0, RELAY_MEMBERS_PER_PASS);
  let recordedNow = 0;
  for (let i = 0; i < marked.length; i += 2) {
    const memberId = marked[i]!;
    const outbox = keys.auditOutbox(memberId);
    const entries = Object.entries(await redis.hgetall(outbox));
    for (let j = 0; j < entries.length; j += MAX_BATCH) {
      const batch: QueuedActivity[] = entries.slice(j, j + MAX_BATCH).map(([, payload]) => {
        const p = JSON.parse(payload) as { kind: ActivityKind; key: string; amount?: number; day: string; event: string };
        return { activity: { kind: p.kind, key: p.key, amount: p.amount }, seenKey: keys.opsSeen(p.key), dayKey: keys.opsDay(p.day), event: p.event, done: () => {} };
      });
      const results = await recordBatch(redis, batch);
      recordedNow += results.filter((r) => r === 1).length;
      // Only what is now in the audit trail leaves the outbox; a failed event stays for the next pass.
      const done = batch.filter((_, k) => results[k] === 0 || results[k] === 1).map((q) => q.activity.key);
      if (done.length) await redis.hdel(outbox, ...done);
    }
    await redis.dpRescheduleMark(keys.auditOutboxes(), memberId, marked[i + 1]!, '');
  }
  return recordedNow;
}

function failed(redis: RedisClient, events: QueuedActivity[], error: unknown): void {
  activityErrors.count += events.length;
  redisErrors.inc({ where: 'activity' }, events.length);
  const logger = loggers.get(redis);
  for (const { activity } of events) logger?.error({ err: error, kind: activity.kind, key: activity.key }, 'could not record an activity for the operator');
}

/** Resolves once every event queued so far on this client is recorded (or has failed): before a shutdown quits Redis. */
export async function activitiesRecorded(redis: RedisClient): Promise<void> {
  if (queues.has(redis)) await new Promise((resolve) => setImmediate(resolve));
  await Promise.all([...(inFlight.get(redis) ?? [])]);
}

async function recordBatch(redis: RedisClient, batch: QueuedActivity[]): Promise<number[]> {
  const shared = [keys.opsAudit(), keys.opsTotals(), keys.opsMembers(), keys.opsCodes(), keys.opsMerchants(), keys.opsPendingRegistrations(), keys.opsCalls()];
  const eventKeys = batch.flatMap((queued) => [queued.seenKey, queued.dayKey]);
  try {
    const recorded = await redis.dpRecordActivities(shared.length + eventKeys.length, ...shared, ...eventKeys, SEEN_TTL_SECONDS, ...batch.map((queued) => queued.event));
    batch.forEach((queued, i) => {
      if (recorded[i] === 1) countInMetrics(queued.activity);
      // One event's error (the script runs each in pcall) is that event's alone.
      if (recorded[i] === -1) failed(redis, [queued], new Error('record-activities.lua could not record this event'));
    });
    return recorded;
  } catch (error) {
    failed(redis, batch, error);
    return batch.map(() => -1);
  } finally {
    for (const queued of batch) queued.done();
  }
}

const CHARGE_OF: Partial<Record<ActivityKind, string>> = {
  'account.activated': 'activation',
  'account.renewed': 'renewal',
  'code.purchased': 'code_purchase',
  'payment_request.approved': 'payment_approval',
};

/** Counted once per event across every instance: only by the one whose recording was the first. */
function countInMetrics(activity: Pick<Activity, 'kind' | 'amount'>): void {
  const kind = CHARGE_OF[activity.kind];
  if (kind) {
    charges.inc({ kind });
    chargedAmount.inc({ kind }, activity.amount ?? 0);
  }
  if (activity.kind === 'account.activated') activations.inc();
  if (activity.kind === 'code.redeemed') redemptions.inc({ kind: 'redeemed' });
  if (activity.kind === 'code.redemption_voided') redemptions.inc({ kind: 'voided' });
}

/**
 * Revenue: what members were really charged (activation, renewal, codes, approved requests). A
 * demo (`none`) collects nothing, so its amount is counted apart as `demo`, never as revenue.
 */
export const chargeCounters = (amount: number, counter: string, method: ChargeMethod): Record<string, number> =>
  method === 'none' ? { [counter]: 1, demo: amount } : { [counter]: 1, revenue: amount };

/** A charge's part of its operator event: how it was collected, and the day's counters (revenue, or demo). */
export const chargeRecord = (amount: number, counter: string, method: ChargeMethod): Pick<Activity, 'method' | 'day'> => ({ method, day: chargeCounters(amount, counter, method) });
