import type { CoreDeps } from '../deps.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../store/keys.ts';
import { book, type BookedRedemption } from './redemption.ts';

const SHARDS = Array.from({ length: 16 }, (_, i) => i.toString(16));
/** Codes looked at per shard and pass: the scan stays bounded however much is pending. */
const BATCH = 200;

interface UnsettledEntry extends Partial<BookedRedemption> {
  kind: 'redeem' | 'void';
  redemptionId: string;
  merchantId: string;
}

export interface ReconcileResult {
  codes: number;
  booked: number;
}

/**
 * Books every redemption and void that was debited on its code but not booked for its merchant
 * (the process died between the two slots). Runs at start and every RECONCILE_INTERVAL_MS in the
 * background worker, on any number of app instances at once: booking is once per redemption ID.
 * Codes marked less than `graceMs` ago are left to the request still finishing them.
 */
export async function reconcileSettlement(deps: CoreDeps & { logger?: Logger }, graceMs: number): Promise<ReconcileResult> {
  const { redis } = deps;
  const result: ReconcileResult = { codes: 0, booked: 0 };
  for (const shard of SHARDS) {
    const shardKey = keys.unsettledCodes(shard);
    const marked = await redis.zrangebyscore(shardKey, '-inf', Date.now() - graceMs, 'WITHSCORES', 'LIMIT', 0, BATCH);
    for (let i = 0; i < marked.length; i += 2) {
      const codeHash = marked[i]!;
      const markedAt = Number(marked[i + 1]);
      result.codes++;
      const outbox = keys.codeUnsettled(codeHash);
      const entries = Object.entries(await redis.hgetall(outbox)).map(([field, json]) => ({ field, entry: JSON.parse(json) as UnsettledEntry }));
      // A redemption before its void: the void finds what it undoes.
      entries.sort((a, b) => (a.entry.kind === b.entry.kind ? 0 : a.entry.kind === 'redeem' ? -1 : 1));
      for (const { field, entry } of entries) {
        const record =
          entry.kind === 'redeem'
            ? { codeHash, amount: entry.amount!, at: entry.at!, atIso: new Date(entry.at!).toISOString(), day: entry.day!, orderId: entry.orderId ?? '' }
            : // A void is booked on the day it was made (voids written before issue 24 carry no day: the redemption's).
              entry.day
              ? { day: entry.day }
              : undefined;
        const booked = await book(deps, entry.merchantId, entry.kind, entry.redemptionId, record);
        if (booked === 1) {
          result.booked++;
          deps.logger?.warn({ redemptionId: entry.redemptionId, kind: entry.kind }, 'reconciler booked a debit its request had not');
        }
        await redis.hdel(outbox, field);
      }
      await redis.dpRescheduleMark(shardKey, codeHash, markedAt, '');
    }
  }
  return result;
}
