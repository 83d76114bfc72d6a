import type { CoreDeps } from '../deps.ts';
import type { Config } from '../config.ts';
import { calendarMonth } from '../shared/calendar.ts';
import { keys, requestMerchant } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import type { LedgerEntry } from './ledger.ts';

/** What the history reads with. */
export type HistoryDeps = CoreDeps;

export const CHARGES_PER_PAGE = 20;
export const CODES_PER_PAGE = 10;
export const REQUESTS_PER_PAGE = 10;

/** One ledger entry with its position in the member's ledger (its stable cursor: the ledger only grows). */
export interface Charge extends LedgerEntry {
  index: number;
  /** For an approved payment request: who asked and what for, while the request is kept. */
  merchantName?: string;
  description?: string;
}

export interface MemberCode {
  codeHash: string;
  boughtAt: number;
  last4: string;
  amount: number;
  remaining: number;
  currency: string;
  expiresAt: number;
  merchantId?: string;
  merchantName?: string;
  status: 'active' | 'spent' | 'expired';
}

export interface MemberRequest {
  id: string;
  keyedAt: number;
  status: 'approved' | 'declined';
  amount: number;
  currency: string;
  description: string;
  merchantName: string;
  decidedAt: number;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next (older) page, absent on the last. */
  next?: string;
}

/** A page of charges; `archived`: how many of the oldest were exported by `npm run archive` and trimmed (src/archive/). */
export interface ChargesPage extends Page<Charge> {
  archived: number;
}

export interface MonthlyCap {
  month: string;
  cap: number;
  spent: number;
  left: number;
  currency: string;
}

/** A charge a processor took and gave back in full (the call ended before the purchase was booked). */
export interface MemberRefund {
  at: number;
  kind: Charge['kind'];
  amount: number;
  processor: 'stripe' | 'carrier-billing';
  /** False: listed for the operator to refund by hand (no refund API). */
  refunded: boolean;
}

export interface MemberHistory {
  cap: MonthlyCap;
  charges: ChargesPage;
  codes: Page<MemberCode>;
  requests: Page<MemberRequest>;
  refunds: MemberRefund[];
}

export interface HistoryCursors {
  charges?: unknown;
  codes?: unknown;
  requests?: unknown;
}

const merchantNames = (redis: RedisClient, merchantIds: string[]) => {
  const unique = [...new Set(merchantIds.filter(Boolean))];
  return Promise.all(unique.map(async (id) => [id, (await redis.hget(keys.merchant(id), 'name')) ?? ''] as const)).then((pairs) => new Map(pairs));
};

/**
 * Newest first, CHARGES_PER_PAGE at a time. The ledger only grows at its tail, and `npm run
 * archive` counts what it trims off its head, so an entry's index (archived count + position in
 * the list) never changes: the cursor is the index of the oldest entry shown, and the next page
 * ends just before it. Each page reads the count and its entries in one transaction (one slot).
 */
export async function chargesPage(deps: HistoryDeps, memberId: string, cursor: unknown): Promise<ChargesPage> {
  const ledgerKey = keys.memberLedger(memberId);
  const archivedKey = keys.memberLedgerArchived(memberId);
  const before = typeof cursor === 'string' && /^\d{1,9}$/.test(cursor) ? Number(cursor) : undefined;
  let archived: number;
  let start: number;
  let raw: string[];
  if (before === undefined) {
    const [[, count], [, length], [, tail]] = (await deps.redis.multi().get(archivedKey).llen(ledgerKey).lrange(ledgerKey, -CHARGES_PER_PAGE, -1).exec()) as [[null, string | null], [null, number], [null, string[]]];
    archived = Number(count ?? 0);
    raw = tail;
    start = archived + length - tail.length;
  } else {
    archived = Number((await deps.redis.get(archivedKey)) ?? 0);
    start = Math.max(archived, before - CHARGES_PER_PAGE);
    raw = before > start ? await deps.redis.lrange(ledgerKey, start - archived, before - 1 - archived) : [];
  }
  const charges: Charge[] = raw.map((json, i) => ({ ...(JSON.parse(json) as LedgerEntry), index: start + i })).reverse();
  const requested = charges.filter((c) => c.paymentRequest);
  if (requested.length) {
    const [details, names] = await Promise.all([
      Promise.all(requested.map((c) => deps.redis.hget(keys.paymentRequest(c.paymentRequest!), 'description'))),
      merchantNames(deps.redis, requested.map((c) => requestMerchant(c.paymentRequest!))),
    ]);
    requested.forEach((charge, i) => {
      charge.description = details[i] ?? undefined;
      charge.merchantName = names.get(requestMerchant(charge.paymentRequest!)) || undefined;
    });
  }
  return { items: charges, next: start > archived ? String(start) : undefined, archived };
}

/**
 * A page of a member-slot index (newest first), cursor `<score>:<member>` exclusive: the next page
 * starts below that score, or at it with members after it (ZREVRANGEBYSCORE orders ties by member,
 * descending).
 */
export async function indexPage(redis: RedisClient, key: string, cursor: unknown, limit: number): Promise<{ entries: [string, number][]; next?: string }> {
  const parsed = typeof cursor === 'string' ? /^(\d{1,16}):(.{1,200})$/.exec(cursor) : null;
  const max = parsed ? parsed[1]! : '+inf';
  // Entries tied with the cursor's score are read again and skipped; a few extra cover them.
  const slack = parsed ? 20 : 0;
  const flat = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1 + slack);
  let entries: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push([flat[i]!, Number(flat[i + 1])]);
  if (parsed) {
    const score = Number(parsed[1]);
    entries = entries.filter(([member, s]) => s < score || member < parsed[2]!);
  }
  const more = entries.length > limit;
  entries = entries.slice(0, limit);
  const last = entries.at(-1);
  return { entries, next: more && last ? `${last[1]}:${last[0]}` : undefined };
}

export async function codesPage(deps: HistoryDeps, memberId: string, cursor: unknown): Promise<Page<MemberCode>> {
  const { entries, next } = await indexPage(deps.redis, keys.memberCodes(memberId), cursor, CODES_PER_PAGE);
  const records = await Promise.all(
    entries.map(([hash]) => deps.redis.hmget(keys.paymentCode(hash), 'last4', 'amount', 'remaining', 'currency', 'expiresAt', 'merchantId', 'owner')),
  );
  const names = await merchantNames(deps.redis, records.map((r) => r[5] ?? ''));
  const now = deps.now();
  const items: MemberCode[] = [];
  entries.forEach(([codeHash, boughtAt], i) => {
    const [last4, amount, remaining, currency, expiresAt, merchantId, owner] = records[i]!;
    // Gone (past its retention) or not this member's: the ledger still shows the purchase.
    if (!last4 || owner !== memberId) return;
    const left = Number(remaining);
    const expiry = Number(expiresAt);
    items.push({
      codeHash,
      boughtAt,
      last4,
      amount: Number(amount),
      remaining: left,
      currency: currency!,
      expiresAt: expiry,
      merchantId: merchantId || undefined,
      merchantName: merchantId ? names.get(merchantId) || merchantId : undefined,
      status: left <= 0 ? 'spent' : now >= expiry ? 'expired' : 'active',
    });
  });
  return { items, next };
}

export async function requestsPage(deps: HistoryDeps, memberId: string, cursor: unknown): Promise<Page<MemberRequest>> {
  const { entries, next } = await indexPage(deps.redis, keys.memberPaymentRequests(memberId), cursor, REQUESTS_PER_PAGE);
  const records = await Promise.all(
    entries.map(([id]) => deps.redis.hmget(keys.paymentRequest(id), 'status', 'claimedBy', 'amount', 'currency', 'description', 'decidedAt')),
  );
  const names = await merchantNames(deps.redis, entries.map(([id]) => requestMerchant(id)));
  const items: MemberRequest[] = [];
  entries.forEach(([id, keyedAt], i) => {
    const [status, claimedBy, amount, currency, description, decidedAt] = records[i]!;
    // Only what this member decided: keyed and then hung up, or decided by someone else, is not theirs.
    if ((status !== 'approved' && status !== 'declined') || claimedBy !== memberId) return;
    items.push({ id, keyedAt, status, amount: Number(amount), currency: currency!, description: description ?? '', merchantName: names.get(requestMerchant(id)) ?? '', decidedAt: Number(decidedAt) });
  });
  return { items, next };
}

/** The monthly cap on code purchases and approvals (MONTHLY_SPENDING_CAP) and what this month has used of it. */
export async function monthlyCap(deps: HistoryDeps, memberId: string): Promise<MonthlyCap> {
  const { config } = deps;
  const month = calendarMonth(deps.now(), config.timeZone);
  const spent = Number((await deps.redis.get(keys.monthlySpend(memberId, month))) ?? 0);
  return { month, cap: config.monthlySpendingCap, spent, left: Math.max(0, config.monthlySpendingCap - spent), currency: config.currency };
}

export async function memberHistory(deps: HistoryDeps, memberId: string, cursors: HistoryCursors): Promise<MemberHistory> {
  const [cap, charges, codes, requests, refunds] = await Promise.all([
    monthlyCap(deps, memberId),
    chargesPage(deps, memberId, cursors.charges),
    codesPage(deps, memberId, cursors.codes),
    requestsPage(deps, memberId, cursors.requests),
    deps.redis.lrange(keys.memberRefunds(memberId), 0, 9),
  ]);
  return { cap, charges, codes, requests, refunds: refunds.map((r) => JSON.parse(r) as MemberRefund) };
}
