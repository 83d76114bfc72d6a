import { streamLedgers, type LedgerEntry } from '../accounts/ledger.ts';
import { premiumNumberOf } from '../charging/methods.ts';
import { compactNumber, type Config, type PremiumNumber } from '../config.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import type { CarrierRecord } from './statement.ts';

/**
 * One premium-rate call as dialpass knows it: what the carrier should have billed for it. The
 * carrier bills every answered call to a premium-rate number its tariff (per call, or per started
 * minute), whatever the caller bought; so a call is known from Twilio's status callback (number
 * reached, calling line, duration), and the ledger adds what the call sold (at most one thing: a
 * call pays once). A call whose record has gone (older than 90 days) is known from its sale alone.
 */
export interface PremiumCall {
  callSid: string;
  from: string;
  /** The premium-rate number it reached (Twilio's To). */
  to: string;
  /** When the call began (ms): from its record, or its first charge. */
  at: number;
  /** Seconds the call lasted (its record's CallDuration); undefined when only the ledger knows it. */
  durationSeconds?: number;
  /** What the carrier should bill: the number's tariff per call, or per started minute of the call. */
  amount: number;
  /** The ledger entries of what it sold ([] when the caller bought nothing: the call is billed all the same). */
  entryIds: string[];
  memberId?: string;
  /**
   * A carrier-billing charge (not a call): the operator's serverReferenceCode, or its paymentId
   * when it gave none. The statement line that names it is its bill, whatever its time.
   */
  reference?: string;
}

/** @deprecated the name before calls were known from their records; kept for the report's readers. */
export type LedgerCall = PremiumCall;

export interface AmountDifference {
  record: CarrierRecord;
  call: PremiumCall;
  /** Carrier minus expected: positive, the carrier billed more than the number's tariff. */
  difference: number;
}

export interface ReconcileReport {
  period: { fromMs: number; toMs: number };
  matched: { count: number; amount: number };
  /** Billed otherwise than the tariff of the number the call reached (a wrong tariff, a wrong duration). */
  differences: AmountDifference[];
  /** Billed by the carrier, no call in dialpass: a caller billed for a call dialpass never answered. */
  carrierOnly: CarrierRecord[];
  /** Calls dialpass answered on a premium-rate number, and carrier-billing charges, that the carrier did not bill: money to claim. */
  ledgerOnly: PremiumCall[];
  /** Unbilled calls the operator has written off (kept on record, not claimed). */
  writtenOff: PremiumCall[];
  /** Billed calls in which the caller bought nothing (the tariff is the call's price all the same): for customer care, not a dispute. */
  soldNothing: number;
  /** premium-rate ledger entries at a price their number does not bill (none, when dialpass sells only tariffs). */
  mispriced: { entryId: string; amount: number; to: string; tariff?: number }[];
  totals: {
    carrierBilled: number;
    /** What the carrier should have billed for every premium-rate call in the period. */
    ledgerRecorded: number;
    /** What both sides agree on: the carrier's payout should be this. */
    agreed: number;
    /** To dispute with the carrier: calls it did not bill, or billed short. */
    toDispute: number;
    /** Billed by the carrier beyond the tariffs: to refund callers or ask the carrier about. */
    carrierOver: number;
  };
  ledgerEntriesRead: number;
  callRecordsRead: number;
}

export interface ReconcileOptions {
  /** A carrier record matches a call starting from its start minus this to its end plus this (default 120 s). */
  toleranceMs?: number;
  /** The period the statement covers; by default from its first call to its last. */
  fromMs?: number;
  toMs?: number;
}

/** No call lasts longer than Twilio's 4-hour limit (docs/TWILIO-BEHAVIOUR.md). */
const MAX_CALL_MS = 4 * 3600_000;

/** What the carrier bills for a call to `number` lasting `seconds`: the tariff per call, or per started minute. */
export const tariffFor = (number: PremiumNumber, seconds: number) => (number.per === 'call' ? number.amount : number.amount * Math.max(1, Math.ceil(seconds / 60)));

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

/** The premium-rate number a carrier record's called number names (its To, or the number callers dial). */
function numberCalled(config: Pick<Config, 'charging'>, called: string): PremiumNumber | undefined {
  if (!called) return undefined;
  const compact = compactNumber(called);
  return premiumNumberOf(config, compact) ?? config.charging.premiumNumbers.find((n) => compactNumber(n.dial) === compact || compactNumber(n.dial).replace(/^0/, '+81') === compact);
}

/**
 * Matches a carrier statement to the calls dialpass answered on its premium-rate numbers
 * (PREMIUM_RATE_NUMBERS): by calling number, time (a carrier record covers its call from start to
 * end, with a tolerance), called number when the statement has one, and amount (the tariff of the
 * number reached). A line with a reference is a carrier-billing payment instead: it matches the
 * ledger's carrier-billing charge with that serverReferenceCode or paymentId, exactly. Only these
 * are the carrier's to bill (card charges were collected by the card processor; `none` charged
 * nothing).
 */
export async function reconcile(redis: RedisClient, config: Pick<Config, 'charging'>, statement: AsyncIterable<CarrierRecord>, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const tolerance = options.toleranceMs ?? 120_000;
  const byNumber = new Map<string, CarrierRecord[]>();
  const referenced: CarrierRecord[] = [];
  let first = Infinity;
  let last = -Infinity;
  let carrierBilled = 0;
  for await (const record of statement) {
    first = Math.min(first, record.startMs);
    last = Math.max(last, record.startMs + record.durationSeconds * 1000);
    carrierBilled += record.amount;
    if (record.reference) {
      referenced.push(record);
      continue;
    }
    let list = byNumber.get(record.callingNumber);
    if (!list) byNumber.set(record.callingNumber, (list = []));
    list.push(record);
  }
  for (const list of byNumber.values()) list.sort((a, b) => a.startMs - b.startMs);
  const fromMs = options.fromMs ?? first - tolerance;
  const toMs = options.toMs ?? last + tolerance;
  const report: ReconcileReport = {
    period: { fromMs, toMs },
    matched: { count: 0, amount: 0 },
    differences: [],
    carrierOnly: [],
    ledgerOnly: [],
    writtenOff: [],
    soldNothing: 0,
    mispriced: [],
    totals: { carrierBilled, ledgerRecorded: 0, agreed: 0, toDispute: 0, carrierOver: 0 },
    ledgerEntriesRead: 0,
    callRecordsRead: 0,
  };
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return report;

  const calls = await premiumCallsFromRecords(redis, config, fromMs, toMs, report);
  // Carrier-billing charges by both names the operator may print (all of them: a payment booked
  // just outside the period may still be on this statement).
  const billingCharges = new Map<string, PremiumCall>();
  const billingByReference = new Map<string, PremiumCall>();
  for await (const { memberId, entries } of streamLedgers(redis)) {
    for (const entry of entries) {
      report.ledgerEntriesRead++;
      if (entry.method === 'carrier-billing') {
        const id = entryIdOf(memberId, entry);
        const charge: PremiumCall = { callSid: entry.callSid, from: entry.from, to: '', at: entry.at, amount: entry.amount, entryIds: [id], memberId, reference: entry.serverReference || entry.confirmation };
        billingCharges.set(id, charge);
        for (const name of [entry.serverReference, entry.confirmation]) if (name) billingByReference.set(name, charge);
        continue;
      }
      if ((entry.method ?? 'premium-rate') !== 'premium-rate' || !entry.from) continue;
      const id = entryIdOf(memberId, entry);
      // A sale belongs to the call it was made in, whenever in the call it was booked.
      const known = calls.get(entry.callSid);
      if (known) {
        known.entryIds.push(id);
        known.memberId ??= memberId;
      }
      if (entry.at < fromMs || entry.at > toMs) continue;
      const number = entry.to ? premiumNumberOf(config, entry.to) : undefined;
      if (entry.to && (!number || number.per !== 'call' || number.amount !== entry.amount)) report.mispriced.push({ entryId: id, amount: entry.amount, to: entry.to, tariff: number?.amount });
      if (known) continue;
      // No record of the call (older than the records' 90 days, or written before numbers had tariffs): its sale stands for it.
      calls.set(entry.callSid, { callSid: entry.callSid, from: entry.from, to: entry.to ?? '', at: entry.at, amount: number && number.per === 'call' ? number.amount : entry.amount, entryIds: [id], memberId });
    }
  }

  const matchedRecords = new Set<CarrierRecord>();
  const writeOffs = new Set(await redis.hkeys(keys.carrierWriteOffs()));
  for (const call of calls.values()) {
    report.totals.ledgerRecorded += call.amount;
    // The number's records are sorted by start: look only from the earliest start a call as long as
    // any can be (4 h, Twilio's limit) could have covered this one.
    const list = byNumber.get(call.from) ?? [];
    const candidates: CarrierRecord[] = [];
    for (let i = firstStartingFrom(list, call.at - tolerance - MAX_CALL_MS); i < list.length && list[i]!.startMs <= call.at + tolerance; i++) {
      const r = list[i]!;
      const sameNumber = !r.calledNumber || !call.to || numberCalled(config, r.calledNumber)?.to === call.to;
      if (!matchedRecords.has(r) && sameNumber && call.at <= r.startMs + r.durationSeconds * 1000 + tolerance) candidates.push(r);
    }
    const closest = (from: CarrierRecord[]) => from.reduce<CarrierRecord | undefined>((best, r) => (!best || Math.abs(r.startMs - call.at) < Math.abs(best.startMs - call.at) ? r : best), undefined);
    const record = closest(candidates.filter((r) => r.amount === call.amount)) ?? closest(candidates);
    if (!record) {
      const ids = call.entryIds.length ? call.entryIds : [call.callSid];
      if (ids.every((id) => writeOffs.has(id))) report.writtenOff.push(call);
      else report.ledgerOnly.push(call);
      continue;
    }
    matchedRecords.add(record);
    if (call.entryIds.length === 0) report.soldNothing++;
    if (record.amount === call.amount) {
      report.matched.count++;
      report.matched.amount += call.amount;
    } else report.differences.push({ record, call, difference: record.amount - call.amount });
  }

  const billed = new Set<PremiumCall>();
  for (const record of referenced) {
    const charge = billingByReference.get(record.reference);
    if (!charge || billed.has(charge)) {
      report.carrierOnly.push(record);
      continue;
    }
    billed.add(charge);
    if (charge.at < fromMs || charge.at > toMs) report.totals.ledgerRecorded += charge.amount;
    if (record.amount === charge.amount) {
      report.matched.count++;
      report.matched.amount += charge.amount;
    } else report.differences.push({ record, call: charge, difference: record.amount - charge.amount });
  }
  for (const charge of billingCharges.values()) {
    if (charge.at < fromMs || charge.at > toMs) continue;
    report.totals.ledgerRecorded += charge.amount;
    if (billed.has(charge)) continue;
    if (writeOffs.has(charge.entryIds[0]!)) report.writtenOff.push(charge);
    else report.ledgerOnly.push(charge);
  }

  for (const list of byNumber.values()) for (const record of list) if (!matchedRecords.has(record)) report.carrierOnly.push(record);
  const { totals } = report;
  totals.agreed = report.matched.amount + report.differences.reduce((sum, d) => sum + Math.min(d.record.amount, d.call.amount), 0);
  totals.toDispute = report.ledgerOnly.reduce((sum, c) => sum + c.amount, 0) + report.differences.reduce((sum, d) => sum + Math.max(0, -d.difference), 0);
  totals.carrierOver = report.carrierOnly.reduce((sum, r) => sum + r.amount, 0) + report.differences.reduce((sum, d) => sum + Math.max(0, d.difference), 0);
  return report;
}

/** Every answered call that ended in the period on a premium-rate number, from the records the status callback keeps (90 days). */
async function premiumCallsFromRecords(redis: RedisClient, config: Pick<Config, 'charging'>, fromMs: number, toMs: number, report: ReconcileReport): Promise<Map<string, PremiumCall>> {
  const calls = new Map<string, PremiumCall>();
  if (config.charging.premiumNumbers.length === 0) return calls;
  // A call that began in the period ended at most 4 hours after it.
  const ended = await redis.zrangebyscore(keys.opsCalls(), fromMs, toMs + MAX_CALL_MS);
  for (let i = 0; i < ended.length; i += 500) {
    const batch = ended.slice(i, i + 500);
    const records = await Promise.all(batch.map((callSid) => redis.hgetall(keys.call(callSid))));
    batch.forEach((callSid, n) => {
      const record = records[n]!;
      report.callRecordsRead++;
      const number = record.To ? premiumNumberOf(config, record.To) : undefined;
      if (!number || record.CallStatus !== 'completed' || !record.From) return;
      const seconds = Number(record.CallDuration ?? 0);
      const endedAt = Number(record.recordedAt ?? 0);
      const at = endedAt - seconds * 1000;
      if (!(seconds > 0) || at < fromMs || at > toMs) return;
      calls.set(callSid, { callSid, from: compactNumber(record.From), to: number.to, at, durationSeconds: seconds, amount: tariffFor(number, seconds), entryIds: [] });
    });
  }
  return calls;
}

export class WriteOffError extends Error {
  override name = 'WriteOffError';
}

/**
 * Marks one unbilled call written off (the carrier will not pay it, and the operator stops
 * claiming it), by its ledger entry ID (`<member>/<CallSid>/<step>`) or, for a call that sold
 * nothing, its CallSid. Recorded beside the ledger, which is never changed.
 */
export async function writeOff(redis: RedisClient, entryId: string, reason: string, nowMs: number): Promise<{ entry: { kind: string; amount: number; callSid: string }; already: boolean }> {
  let entry: { kind: string; amount: number; callSid: string } | undefined;
  if (entryId.includes('/')) {
    const memberId = entryId.split('/')[0] ?? '';
    const entries = memberId ? (await redis.lrange(keys.memberLedger(memberId), 0, -1)).map((e) => JSON.parse(e) as LedgerEntry) : [];
    entry = entries.find((e) => entryIdOf(memberId, e) === entryId);
  } else if (/^CA[0-9a-zA-Z]{2,62}$/.test(entryId) && (await redis.exists(keys.call(entryId)))) {
    entry = { kind: 'call', amount: 0, callSid: entryId };
  }
  if (!entry) throw new WriteOffError(`no ledger entry or call ${entryId} (an entry ID is <member>/<CallSid>/<step>, as the reconcile report lists it, or the CallSid of a call that sold nothing; entries older than the online window are in the archive, npm run archive)`);
  const fresh = await redis.hsetnx(keys.carrierWriteOffs(), entryId, JSON.stringify({ at: nowMs, reason, amount: entry.amount, kind: entry.kind, callSid: entry.callSid }));
  return { entry, already: fresh === 0 };
}
