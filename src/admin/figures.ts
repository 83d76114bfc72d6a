import type { CoreDeps } from '../deps.ts';
import { indexPage, type Page } from '../accounts/history.ts';
import type { Config } from '../config.ts';
import { settlementDays, type SettlementDay } from '../merchants/settlement.ts';
import { calendarDay } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { CHARGE_KINDS } from '../observability/activity.ts';

/** What the console reads with. */
export type AdminDeps = CoreDeps;

/** The counters record-activities.lua keeps per day (HINCRBY), all zero when nothing happened. */
export const DAY_FIELDS = [
  'registrations',
  'activations',
  'renewals',
  'revenue',
  // Demo (CHARGE_METHOD_<KIND>=none) charges: recorded in the ledgers, collected from nobody, never revenue.
  'demo',
  'codes_sold',
  'codes_sold_amount',
  'redemptions',
  'redeemed_amount',
  'voids',
  'voided_amount',
  'requests_created',
  'requests_approved',
  'requests_declined',
  'requests_expired',
  // Calls by how they ended (Twilio's final CallStatus), from the status callback.
  'calls_completed',
  'calls_busy',
  'calls_no_answer',
  'calls_failed',
  'calls_canceled',
] as const;
export type DayField = (typeof DAY_FIELDS)[number];
export type DayFigures = Record<DayField, number> & { day: string };

export interface Dashboard {
  today: DayFigures;
  month: DayFigures;
  /** The last CHART_DAYS days, oldest first. */
  days: DayFigures[];
  pendingRegistrations: number;
  /** Sold on codes and not redeemed (voids give back); unspent amounts on expired codes included. */
  outstanding: number;
  members: number;
  merchants: number;
}

export const CHART_DAYS = 30;
const DAY_MS = 86_400_000;

const emptyDay = (day: string): DayFigures => ({ day, ...(Object.fromEntries(DAY_FIELDS.map((f) => [f, 0])) as Record<DayField, number>) });

/** Calendar days (TIME_ZONE) going back from `now`, newest first; steps of 24 h with duplicates dropped (DST). */
function daysBack(now: number, timeZone: string, count: number, stopBefore?: string): string[] {
  const days: string[] = [];
  for (let i = 0; days.length < count && i < count + 2; i++) {
    const day = calendarDay(now - i * DAY_MS, timeZone);
    if (stopBefore && day < stopBefore) break;
    if (days.at(-1) !== day) days.push(day);
  }
  return days;
}

/** Every figure on the console's front page: at most 61 day hashes and four small reads, all in the `{ops}` slot (one pipeline). */
export async function dashboard(deps: AdminDeps): Promise<Dashboard> {
  const { redis, config } = deps;
  const now = deps.now();
  const today = calendarDay(now, config.timeZone);
  const chartDays = daysBack(now, config.timeZone, CHART_DAYS);
  const monthDays = daysBack(now, config.timeZone, 31, `${today.slice(0, 7)}-01`);
  const wanted = [...new Set([...chartDays, ...monthDays])];
  const pipeline = redis.pipeline();
  for (const day of wanted) pipeline.hgetall(keys.opsDay(day));
  pipeline.zcount(keys.opsPendingRegistrations(), `(${now}`, '+inf');
  pipeline.hget(keys.opsTotals(), 'outstanding');
  pipeline.zcard(keys.opsMembers());
  pipeline.zcard(keys.opsMerchants());
  const results = (await pipeline.exec())!.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const byDay = new Map<string, DayFigures>();
  wanted.forEach((day, i) => {
    const figures = emptyDay(day);
    for (const [field, value] of Object.entries(results[i] as Record<string, string>)) if (field in figures) figures[field as DayField] = Number(value);
    byDay.set(day, figures);
  });
  const month = emptyDay(today.slice(0, 7));
  for (const day of monthDays) for (const field of DAY_FIELDS) month[field] += byDay.get(day)![field];
  const [pending, outstanding, members, merchants] = results.slice(wanted.length) as [number, string | null, number, number];
  return {
    today: byDay.get(today)!,
    month,
    days: chartDays.map((d) => byDay.get(d)!).reverse(),
    pendingRegistrations: pending,
    outstanding: Number(outstanding ?? 0),
    members,
    merchants,
  };
}

export interface AuditEntry {
  id: string;
  kind: string;
  at: number;
  actor: string;
  memberId: string;
  merchantId: string;
  amount?: number;
  currency: string;
  detail: string;
  /** Charges: how it was collected (absent on events recorded before it was). */
  method?: string;
}

export const AUDIT_PER_PAGE = 50;
/** How many stream entries one filtered page may read before it stops and offers "older". */
const AUDIT_SCAN_LIMIT = 2000;

/**
 * Newest first, from just before the cursor (a stream ID, exclusive). With a filter, reads on in
 * batches until the page is full or AUDIT_SCAN_LIMIT entries were looked at, so a page's cost is
 * bounded however rare the kind is.
 */
export async function auditPage(deps: AdminDeps, cursor: unknown, filter?: (entry: AuditEntry) => boolean): Promise<Page<AuditEntry>> {
  const start = typeof cursor === 'string' && /^\d{1,16}-\d{1,10}$/.test(cursor) ? `(${cursor}` : '+';
  const items: AuditEntry[] = [];
  let from = start;
  let scanned = 0;
  let last: string | undefined;
  for (;;) {
    const batch = await deps.redis.xrevrange(keys.opsAudit(), from, '-', 'COUNT', filter ? 200 : AUDIT_PER_PAGE + 1);
    if (!batch.length) return { items };
    for (const [id, flat] of batch) {
      scanned++;
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      const entry: AuditEntry = {
        id,
        kind: f.kind ?? '',
        at: Number(f.at),
        actor: f.actor ?? '',
        memberId: f.member ?? '',
        merchantId: f.merchant ?? '',
        amount: f.amount ? Number(f.amount) : undefined,
        currency: f.currency ?? '',
        detail: f.detail ?? '',
        ...(f.method ? { method: f.method } : {}),
      };
      if (filter && !filter(entry)) {
        last = id;
        if (scanned >= AUDIT_SCAN_LIMIT) return { items, next: id };
        continue;
      }
      if (items.length === AUDIT_PER_PAGE) return { items, next: items.at(-1)!.id };
      items.push(entry);
      last = id;
    }
    from = `(${last}`;
  }
}

export const isCharge = (entry: AuditEntry) => CHARGE_KINDS.has(entry.kind);

export interface MemberRow {
  memberId: string;
  formalIdTail: string;
  name: string;
  email: string;
  activatedAt: number;
  accessExpiresAt: number;
}

export const LIST_PER_PAGE = 25;

async function memberRows(redis: RedisClient, memberIds: string[]): Promise<MemberRow[]> {
  const records = await Promise.all(memberIds.map((id) => redis.hmget(keys.account(id), 'formalId', 'name', 'email', 'activatedAt', 'accessExpiresAt')));
  return memberIds.flatMap((memberId, i) => {
    const [formalId, name, email, activatedAt, accessExpiresAt] = records[i]!;
    if (!formalId) return [];
    return [{ memberId, formalIdTail: formalId.slice(-4), name: name ?? '', email: email ?? '', activatedAt: Number(activatedAt), accessExpiresAt: Number(accessExpiresAt) }];
  });
}

/** How many members a search by e-mail or name reads before it stops and offers "older". */
const MEMBER_SCAN_LIMIT = 2000;

/**
 * Members newest first. `q` of digits finds one member by formal ID or member (provisional) ID,
 * exactly; any other `q` finds members whose e-mail address or name holds it (case and width
 * folded), reading the members index newest first in batches, at most MEMBER_SCAN_LIMIT a page.
 */
export async function membersPage(deps: AdminDeps, cursor: unknown, q?: string): Promise<Page<MemberRow>> {
  const query = (q ?? '').normalize('NFKC').trim();
  const digits = query.replace(/[\s-]/g, '');
  if (/^\d{1,32}$/.test(digits)) {
    const byFormal = await deps.redis.get(keys.formalIdIndex(digits));
    return { items: await memberRows(deps.redis, [...new Set([byFormal ?? '', digits].filter(Boolean))]) };
  }
  if (query) {
    const needle = query.toLowerCase();
    const items: MemberRow[] = [];
    let at: unknown = cursor;
    let scanned = 0;
    for (;;) {
      const { entries, next } = await indexPage(deps.redis, keys.opsMembers(), at, 200);
      const rows = await memberRows(deps.redis, entries.map(([id]) => id));
      const byId = new Map(rows.map((r) => [r.memberId, r]));
      for (const [i, [id, score]] of entries.entries()) {
        scanned++;
        const row = byId.get(id);
        if (row && `${row.email}\n${row.name}`.normalize('NFKC').toLowerCase().includes(needle)) {
          items.push(row);
          if (items.length === LIST_PER_PAGE) return { items, next: i < entries.length - 1 || next ? `${score}:${id}` : undefined };
        }
      }
      if (!next) return { items };
      if (scanned >= MEMBER_SCAN_LIMIT) return { items, next };
      at = next;
    }
  }
  const { entries, next } = await indexPage(deps.redis, keys.opsMembers(), cursor, LIST_PER_PAGE);
  return { items: await memberRows(deps.redis, entries.map(([id]) => id)), next };
}

export interface CodeRow {
  codeHash: string;
  boughtAt: number;
  last4: string;
  owner: string;
  amount: number;
  remaining: number;
  expiresAt: number;
  merchantId: string;
  status: 'active' | 'spent' | 'expired' | 'removed';
}

export async function codesPage(deps: AdminDeps, cursor: unknown): Promise<Page<CodeRow>> {
  const { entries, next } = await indexPage(deps.redis, keys.opsCodes(), cursor, LIST_PER_PAGE);
  const records = await Promise.all(entries.map(([hash]) => deps.redis.hmget(keys.paymentCode(hash), 'last4', 'owner', 'amount', 'remaining', 'expiresAt', 'merchantId')));
  const now = deps.now();
  return {
    items: entries.map(([codeHash, boughtAt], i) => {
      const [last4, owner, amount, remaining, expiresAt, merchantId] = records[i]!;
      const left = Number(remaining ?? 0);
      const status = !last4 ? 'removed' : left <= 0 ? 'spent' : now >= Number(expiresAt) ? 'expired' : 'active';
      return { codeHash, boughtAt, last4: last4 ?? '', owner: owner ?? '', amount: Number(amount ?? 0), remaining: left, expiresAt: Number(expiresAt ?? 0), merchantId: merchantId ?? '', status };
    }),
    next,
  };
}

export interface CallRow {
  callSid: string;
  endedAt: number;
  from: string;
  status: string;
  durationSeconds: number;
}

/** Calls that ended, newest first (a call's record is kept 90 days; older ones show as removed). */
export async function callsPage(deps: AdminDeps, cursor: unknown): Promise<Page<CallRow>> {
  const { entries, next } = await indexPage(deps.redis, keys.opsCalls(), cursor, LIST_PER_PAGE);
  const records = await Promise.all(entries.map(([callSid]) => deps.redis.hmget(keys.call(callSid), 'From', 'CallStatus', 'CallDuration')));
  return {
    items: entries.map(([callSid, endedAt], i) => {
      const [from, status, duration] = records[i]!;
      return { callSid, endedAt, from: from ?? '', status: status ?? 'removed', durationSeconds: Number(duration ?? 0) };
    }),
    next,
  };
}

export interface MerchantRow {
  merchantId: string;
  name: string;
  webhookUrl: string;
  createdAt: number;
  settlement: Omit<SettlementDay, 'date'>;
}

export const settlementTotal = (days: SettlementDay[]) =>
  days.reduce(
    (t, d) => ({
      redemptions: t.redemptions + d.redemptions,
      redeemed: t.redeemed + d.redeemed,
      approvals: t.approvals + d.approvals,
      approved: t.approved + d.approved,
      voided: t.voided + d.voided,
      adjustments: t.adjustments + d.adjustments,
      net: t.net + d.net,
    }),
    { redemptions: 0, redeemed: 0, approvals: 0, approved: 0, voided: 0, adjustments: 0, net: 0 },
  );

export async function merchantRow(deps: AdminDeps, merchantId: string, createdAt?: number): Promise<MerchantRow | null> {
  const [[name, webhookUrl, created], days] = await Promise.all([deps.redis.hmget(keys.merchant(merchantId), 'name', 'webhookUrl', 'createdAt'), settlementDays(deps, merchantId)]);
  if (!name) return null;
  return { merchantId, name, webhookUrl: webhookUrl ?? '', createdAt: createdAt ?? Number(created), settlement: settlementTotal(days) };
}

/** Merchants newest first; `q` finds one by its ID. */
export async function merchantsPage(deps: AdminDeps, cursor: unknown, q?: string): Promise<Page<MerchantRow>> {
  const id = (q ?? '').trim();
  if (id) {
    const row = /^\d{8}$/.test(id) ? await merchantRow(deps, id) : null;
    return { items: row ? [row] : [] };
  }
  const { entries, next } = await indexPage(deps.redis, keys.opsMerchants(), cursor, LIST_PER_PAGE);
  const rows = await Promise.all(entries.map(([merchantId, at]) => merchantRow(deps, merchantId, at)));
  return { items: rows.filter((r): r is MerchantRow => r !== null), next };
}

export interface CallStory {
  callSid: string;
  record: Record<string, string>;
  /** What the call did, oldest first: every audit event whose actor is this call. */
  events: AuditEntry[];
}

/** A call's whole story for the console: its record (how it ended) and what it did (audit events, charges among them). */
export async function callStory(deps: AdminDeps, callSid: string): Promise<CallStory> {
  const [record, page] = await Promise.all([deps.redis.hgetall(keys.call(callSid)), auditPage(deps, undefined, (e) => e.actor === `call:${callSid}`)]);
  return { callSid, record, events: [...page.items].reverse() };
}
