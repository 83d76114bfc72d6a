import { streamLedgers, type LedgerEntry } from '../accounts/ledger.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import type { CarrierRecord } from './statement.ts';

/** The charges of one call in dialpass's ledger: what the carrier should have billed for that call. */
export interface LedgerCall {
  memberId: string;
  callSid: string;
  from: string;
  /** When the first charge of the call was recorded (ms). */
  at: number;
  amount: number;
  entryIds: string[];
}

export interface AmountDifference {
  record: CarrierRecord;
  call: LedgerCall;
  /** Carrier minus ledger: positive, the carrier billed more than dialpass recorded. */
  difference: number;
}

export interface ReconcileReport {
  period: { fromMs: number; toMs: number };
  matched: { count: number; amount: number };
  differences: AmountDifference[];
  /** Billed by the carrier, not in the ledger: a caller billed for nothing dialpass did. */
  carrierOnly: CarrierRecord[];
  /** In the ledger, not billed by the carrier: money to claim. */
  ledgerOnly: LedgerCall[];
  /** Ledger-only calls the operator has written off (kept on record, not claimed). */
  writtenOff: LedgerCall[];
  totals: {
    carrierBilled: number;
    ledgerRecorded: number;
    /** What both sides agree on: the carrier's payout should be this. */
    agreed: number;
    /** To dispute with the carrier: charges it did not bill, or billed short. */
    toDispute: number;
    /** Billed by the carrier beyond the ledger: to refund callers or ask the carrier about. */
    carrierOver: number;
  };
  ledgerEntriesRead: number;
}

export interface ReconcileOptions {
  /** A carrier record matches ledger charges from its start minus this to its end plus this (default 120 s). */
  toleranceMs?: number;
  /** The period the statement covers; by default from its first call to its last. */
  fromMs?: number;
  toMs?: number;
}

/** No call lasts longer than Twilio's 4-hour limit (docs/TWILIO-BEHAVIOUR.md). */
const MAX_CALL_MS = 4 * 3600_000;

/** Index of the first record starting at or after `ms` (binary search over records sorted by start). */
function firstStartingFrom(list: CarrierRecord[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.startMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const entryIdOf = (memberId: string, entry: LedgerEntry) => entry.id ?? `${memberId}/${entry.callSid}/${entry.kind}`;

/**
 * Matches a carrier statement to the ledger: by calling number, time (a carrier record covers
 * its call from start to end, with a tolerance) and amount (the sum of the call's charges). Only
 * premium-rate charges are the carrier's to bill (card charges were collected by the card
 * connector; `none` charged nothing).
 */
export async function reconcile(redis: RedisClient, statement: AsyncIterable<CarrierRecord>, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const tolerance = options.toleranceMs ?? 120_000;
  const byNumber = new Map<string, CarrierRecord[]>();
  let first = Infinity;
  let last = -Infinity;
  let carrierBilled = 0;
  for await (const record of statement) {
    let list = byNumber.get(record.callingNumber);
    if (!list) byNumber.set(record.callingNumber, (list = []));
    list.push(record);
    first = Math.min(first, record.startMs);
    last = Math.max(last, record.startMs + record.durationSeconds * 1000);
    carrierBilled += record.amount;
  }
  for (const list of byNumber.values()) list.sort((a, b) => a.startMs - b.startMs);
  const fromMs = options.fromMs ?? first - tolerance;
  const toMs = options.toMs ?? last + tolerance;
  const matchedRecords = new Set<CarrierRecord>();
  const writeOffs = new Set(await redis.hkeys(keys.carrierWriteOffs()));
  const report: ReconcileReport = {
    period: { fromMs, toMs },
    matched: { count: 0, amount: 0 },
    differences: [],
    carrierOnly: [],
    ledgerOnly: [],
    writtenOff: [],
    totals: { carrierBilled, ledgerRecorded: 0, agreed: 0, toDispute: 0, carrierOver: 0 },
    ledgerEntriesRead: 0,
  };

  const settle = (call: LedgerCall) => {
    report.totals.ledgerRecorded += call.amount;
    // The number's records are sorted by start: look only from the earliest start a call as long as
    // any can be (4 h, Twilio's limit) could have covered this charge.
    const list = byNumber.get(call.from) ?? [];
    const candidates: CarrierRecord[] = [];
    for (let i = firstStartingFrom(list, call.at - tolerance - MAX_CALL_MS); i < list.length && list[i]!.startMs <= call.at + tolerance; i++) {
      const r = list[i]!;
      if (!matchedRecords.has(r) && call.at <= r.startMs + r.durationSeconds * 1000 + tolerance) candidates.push(r);
    }
    const closest = (list: CarrierRecord[]) => list.reduce<CarrierRecord | undefined>((best, r) => (!best || Math.abs(r.startMs - call.at) < Math.abs(best.startMs - call.at) ? r : best), undefined);
    const same = closest(candidates.filter((r) => r.amount === call.amount));
    const record = same ?? closest(candidates);
    if (!record) {
      if (call.entryIds.every((id) => writeOffs.has(id))) report.writtenOff.push(call);
      else report.ledgerOnly.push(call);
      return;
    }
    matchedRecords.add(record);
    if (record.amount === call.amount) {
      report.matched.count++;
      report.matched.amount += call.amount;
    } else report.differences.push({ record, call, difference: record.amount - call.amount });
  };

  for await (const { memberId, entries } of streamLedgers(redis)) {
    const calls = new Map<string, LedgerCall>();
    for (const entry of entries) {
      report.ledgerEntriesRead++;
      if ((entry.method ?? 'premium-rate') !== 'premium-rate' || entry.at < fromMs || entry.at > toMs || !entry.from) continue;
      const call = calls.get(entry.callSid);
      if (call) {
        call.amount += entry.amount;
        call.at = Math.min(call.at, entry.at);
        call.entryIds.push(entryIdOf(memberId, entry));
      } else calls.set(entry.callSid, { memberId, callSid: entry.callSid, from: entry.from, at: entry.at, amount: entry.amount, entryIds: [entryIdOf(memberId, entry)] });
    }
    for (const call of calls.values()) settle(call);
  }

  for (const list of byNumber.values()) for (const record of list) if (!matchedRecords.has(record)) report.carrierOnly.push(record);
  const { totals } = report;
  totals.agreed = report.matched.amount + report.differences.reduce((sum, d) => sum + Math.min(d.record.amount, d.call.amount), 0);
  totals.toDispute = report.ledgerOnly.reduce((sum, c) => sum + c.amount, 0) + report.differences.reduce((sum, d) => sum + Math.max(0, -d.difference), 0);
  totals.carrierOver = report.carrierOnly.reduce((sum, r) => sum + r.amount, 0) + report.differences.reduce((sum, d) => sum + Math.max(0, d.difference), 0);
  return report;
}

export class WriteOffError extends Error {
  override name = 'WriteOffError';
}

/**
 * Marks one ledger entry written off (the carrier will not pay it, and the operator stops
 * claiming it). Recorded beside the ledger, which is never changed: the entry stays as it was.
 */
export async function writeOff(redis: RedisClient, entryId: string, reason: string, nowMs: number): Promise<{ entry: LedgerEntry; already: boolean }> {
  const memberId = entryId.split('/')[0] ?? '';
  const entries = memberId ? (await redis.lrange(keys.memberLedger(memberId), 0, -1)).map((e) => JSON.parse(e) as LedgerEntry) : [];
  const entry = entries.find((e) => entryIdOf(memberId, e) === entryId);
  if (!entry) throw new WriteOffError(`no ledger entry ${entryId} (an entry ID is <member>/<CallSid>/<step>, as the reconcile report lists it; entries older than the online window are in the archive, npm run archive)`);
  const fresh = await redis.hsetnx(keys.carrierWriteOffs(), entryId, JSON.stringify({ at: nowMs, reason, amount: entry.amount, kind: entry.kind, callSid: entry.callSid }));
  return { entry, already: fresh === 0 };
}
