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
 * recording was lost. What remains: an app crash between the money script and this one, with no
 * retry ever coming, loses the audit line (never the money: the ledger, the code and the
 * merchant's settlement are the books). Closing that gap means writing an outbox entry inside the
 * money scripts themselves and relaying it here; that belongs in the shared charge fragment now
 * being written (issue 15 notes), not in four scripts about to be replaced.
 *
 * Recording never fails or slows the money path: it is not awaited by callers, and an error is
 * logged and counted (activityErrors) rather than thrown.
 */
import type { Logger } from '../logger.ts';
import { activations, chargedAmount, charges, redemptions, redisErrors } from './metrics.ts';
import { calendarDay } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

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
  activity: Activity;
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
      ];
  const event = JSON.stringify({
    audit,
    day: activity.day ?? {},
    totals: activity.totals ?? {},
    add: (activity.add ?? []).map(([index, score, member]) => [INDEX[index], score, member]),
    remove: (activity.remove ?? []).map(([index, member]) => [INDEX[index], member]),
  });
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
          const batch = recordBatch(redis, turn.slice(i, i + MAX_BATCH));
          sent.add(batch);
          void batch.finally(() => sent.delete(batch));
        }
      });
    }
    queue.push({ activity, seenKey: keys.opsSeen(activity.key), dayKey: keys.opsDay(calendarDay(activity.at, config.timeZone)), event, done });
  });
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

async function recordBatch(redis: RedisClient, batch: QueuedActivity[]): Promise<void> {
  const shared = [keys.opsAudit(), keys.opsTotals(), keys.opsMembers(), keys.opsCodes(), keys.opsMerchants(), keys.opsPendingRegistrations(), keys.opsCalls()];
  const eventKeys = batch.flatMap((queued) => [queued.seenKey, queued.dayKey]);
  try {
    const recorded = await redis.dpRecordActivities(shared.length + eventKeys.length, ...shared, ...eventKeys, SEEN_TTL_SECONDS, ...batch.map((queued) => queued.event));
    batch.forEach((queued, i) => {
      if (recorded[i] === 1) countInMetrics(queued.activity);
      // One event's error (the script runs each in pcall) is that event's alone.
      if (recorded[i] === -1) failed(redis, [queued], new Error('record-activities.lua could not record this event'));
    });
  } catch (error) {
    failed(redis, batch, error);
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
function countInMetrics(activity: Activity): void {
  const kind = CHARGE_OF[activity.kind];
  if (kind) {
    charges.inc({ kind });
    chargedAmount.inc({ kind }, activity.amount ?? 0);
  }
  if (activity.kind === 'account.activated') activations.inc();
  if (activity.kind === 'code.redeemed') redemptions.inc({ kind: 'redeemed' });
  if (activity.kind === 'code.redemption_voided') redemptions.inc({ kind: 'voided' });
}

/** Revenue: what members were charged (activation, renewal, codes, approved requests). */
export const chargeCounters = (amount: number, counter: string): Record<string, number> => ({ [counter]: 1, revenue: amount });
