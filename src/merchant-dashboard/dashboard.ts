import type { CookieOptions, Request, Response } from 'express';
import { indexPage, type Page } from '../accounts/history.ts';
import { limitedAddress } from '../http/client-address.ts';
import { getPaymentRequest, type PaymentRequestStatus, type PaymentRequestView } from '../payments/payment-requests.ts';
import { keys } from '../store/keys.ts';
import { limitedSignIn, type SignInResult } from '../web/sign-in-limit.ts';
import { endSession, openSession, sessionOf } from '../web/sessions.ts';
import { API_KEY, apiKeyHash, validKeyHashes } from '../merchants/merchants.ts';
import { constantTimeEqual } from '../shared/hashing.ts';
import type { CoreDeps } from '../deps.ts';
import { settlementCsv, settlementDays, type SettlementDay } from '../merchants/settlement.ts';

export const MERCHANT_COOKIE = 'dp_merchant';
const SESSION_MS = 8 * 3600_000;
export const DASHBOARD_PER_PAGE = 25;

/**
 * The dashboard's session: a server-side record (src/web/sessions.ts) named by a random ID in a
 * cookie signed with SESSION_SECRET; the record keeps the keyed hash of the API key it was opened
 * with. Once that key stops working (rotated and past its overlap, revoked, reset by the operator),
 * so does the session; logout, and the operator's reset, end it at once.
 */
export const merchantCookieOptions = (publicBaseUrl: string): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure: publicBaseUrl.startsWith('https://'),
  signed: true,
  maxAge: SESSION_MS,
  path: '/merchant',
});

export type MerchantSignIn = { result: Exclude<SignInResult, 'ok'> } | { result: 'ok'; cookie: string; merchantId: string };

/** Sign-in with the merchant's API key, attempts per client address limited. */
export async function signInMerchant(deps: CoreDeps, apiKey: unknown, address: string | undefined): Promise<MerchantSignIn> {
  const key = typeof apiKey === 'string' ? apiKey.trim() : '';
  const merchantId = API_KEY.exec(key)?.[1];
  let opened = '';
  const result = await limitedSignIn(deps.redis, keys.merchantLoginFailures(limitedAddress(address)), async () => {
    if (!merchantId) return false;
    const hash = apiKeyHash(key, deps.config.hashPepper);
    const match = (await validKeyHashes(deps, merchantId)).find((v) => constantTimeEqual(v.hash, hash));
    if (match) opened = match.hash;
    return Boolean(match);
  });
  if (result !== 'ok') return { result };
  return { result, merchantId: merchantId!, cookie: await openMerchantSession(deps, merchantId!, opened) };
}

/** A new session for a merchant signed in with the key of this hash; returns the cookie's value. */
export const openMerchantSession = (deps: CoreDeps, merchantId: string, keyHash: string) => openSession(deps.redis, 'merchant', merchantId, SESSION_MS, deps.now(), keyHash);

export interface MerchantSession {
  merchantId: string;
  /** The keyed hash of the API key the session was opened with. */
  keyHash: string;
  /** Opened with the current key (not one in its overlap): only such a session may change the keys. */
  current: boolean;
}

/** The signed-in merchant, or null: the session must be live and its key must still work. */
export async function merchantOfSession(deps: CoreDeps, req: Request): Promise<MerchantSession | null> {
  const session = await sessionOf(deps.redis, 'merchant', req.signedCookies?.[MERCHANT_COOKIE], deps.now());
  if (!session || !/^\d{8}$/.test(session.owner)) return null;
  const valid = await validKeyHashes(deps, session.owner);
  const match = valid.find((v) => constantTimeEqual(v.hash, session.tag));
  return match ? { merchantId: session.owner, keyHash: match.hash, current: match.until === Infinity } : null;
}

/** Logout: this session ends on the server. */
export const endMerchantSession = (deps: CoreDeps, req: Request) => endSession(deps.redis, 'merchant', req.signedCookies?.[MERCHANT_COOKIE]);

export interface RedemptionRow {
  redemptionId: string;
  at: number;
  amount: number;
  orderId: string;
  codeLast4: string;
  status: 'redeemed' | 'voided';
}

export async function redemptionsPage(deps: CoreDeps, merchantId: string, cursor: unknown): Promise<Page<RedemptionRow>> {
  const { entries, next } = await indexPage(deps.redis, keys.merchantRedemptionOrder(merchantId), cursor, DASHBOARD_PER_PAGE);
  const records = entries.length ? await deps.redis.hmget(keys.merchantRedemptions(merchantId), ...entries.map(([id]) => id)) : [];
  const booked = records.map((json) => (json ? (JSON.parse(json) as { codeHash: string; amount: number; at: number; orderId?: string; voided?: boolean }) : null));
  const last4s = await Promise.all(booked.map((r) => (r ? deps.redis.hget(keys.paymentCode(r.codeHash), 'last4') : null)));
  const items: RedemptionRow[] = [];
  entries.forEach(([redemptionId], i) => {
    const r = booked[i];
    if (!r) return;
    items.push({ redemptionId, at: r.at, amount: r.amount, orderId: r.orderId ?? '', codeLast4: last4s[i] ?? '', status: r.voided ? 'voided' : 'redeemed' });
  });
  return { items, next };
}

export const REQUEST_STATUSES: PaymentRequestStatus[] = ['pending', 'approved', 'declined', 'expired'];
/** A filtered page reads at most this many requests before it stops and offers "older". */
const REQUEST_SCAN_LIMIT = 500;

export async function paymentRequestsPage(deps: CoreDeps, merchantId: string, cursor: unknown, status?: PaymentRequestStatus): Promise<Page<PaymentRequestView>> {
  const items: PaymentRequestView[] = [];
  let at: unknown = cursor;
  let scanned = 0;
  for (;;) {
    const { entries, next } = await indexPage(deps.redis, keys.merchantPaymentRequests(merchantId), at, DASHBOARD_PER_PAGE);
    const views = await Promise.all(entries.map(([id]) => getPaymentRequest(deps, merchantId, id).catch(() => null)));
    for (const [i, view] of views.entries()) {
      scanned++;
      if (!view || (status && view.status !== status)) continue;
      items.push(view);
      if (items.length === DASHBOARD_PER_PAGE) {
        const [id, score] = entries[i]!;
        return { items, next: i < entries.length - 1 || next ? `${score}:${id}` : undefined };
      }
    }
    if (!next || scanned >= REQUEST_SCAN_LIMIT) return { items, next };
    at = next;
  }
}

export interface SettlementPeriod {
  period: string;
  redemptions: number;
  redeemed: number;
  approvals: number;
  approved: number;
  voided: number;
  adjustments: number;
  net: number;
}

/** Settlement days summed per calendar month, newest first. */
export function settlementByMonth(days: SettlementDay[]): SettlementPeriod[] {
  const months = new Map<string, SettlementPeriod>();
  for (const d of days) {
    const period = d.date.slice(0, 7);
    const m = months.get(period) ?? { period, redemptions: 0, redeemed: 0, approvals: 0, approved: 0, voided: 0, adjustments: 0, net: 0 };
    m.redemptions += d.redemptions;
    m.redeemed += d.redeemed;
    m.approvals += d.approvals;
    m.approved += d.approved;
    m.voided += d.voided;
    m.adjustments += d.adjustments;
    m.net += d.net;
    months.set(period, m);
  }
  return [...months.values()].sort((a, b) => (a.period < b.period ? 1 : -1));
}

const isoDay = (value: unknown) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined);

/** A merchant's settlement days from `from` to `to` (query, YYYY-MM-DD, both optional) as CSV, written line by line. */
export async function sendSettlementCsv(deps: CoreDeps, res: Response, merchantId: string, query: { from?: unknown; to?: unknown }): Promise<void> {
  const from = isoDay(query.from) ?? '0000-00-00';
  const to = isoDay(query.to) ?? '9999-99-99';
  const days = (await settlementDays(deps, merchantId)).filter((d) => d.date >= from && d.date <= to);
  res.type('text/csv').set('Content-Disposition', `attachment; filename="settlement-${merchantId}.csv"`);
  res.end(settlementCsv(merchantId, deps.config.currency, days));
}

export interface EventDetail {
  eventId: string;
  /** The body as POSTed to the webhook (JSON text). */
  payload: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: number;
  lastAttemptAt?: number;
  lastResponseStatus?: number;
  lastError?: string;
  nextAttemptAt?: number;
}

/** One event of the merchant's webhook outbox: what is sent and how its delivery went (outbox-lib.lua keeps `b:` and `s:` per event). */
export async function eventDetail(deps: CoreDeps, merchantId: string, eventId: string): Promise<EventDetail | null> {
  if (!/^evt_[A-Za-z0-9_-]{1,60}$/.test(eventId)) return null;
  const [body, state] = await deps.redis.hmget(keys.outbox(merchantId), `b:${eventId}`, `s:${eventId}`);
  if (!body || !state) return null;
  const s = JSON.parse(state) as Omit<EventDetail, 'eventId' | 'payload'>;
  let payload = body;
  try {
    payload = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // shown as stored
  }
  return {
    eventId,
    payload,
    type: s.type,
    status: s.status,
    attempts: s.attempts,
    createdAt: s.createdAt,
    lastAttemptAt: s.lastAttemptAt,
    lastResponseStatus: s.lastResponseStatus || undefined,
    lastError: s.lastError || undefined,
    nextAttemptAt: s.status === 'pending' ? s.nextAttemptAt : undefined,
  };
}

/** One redemption of the merchant, for the void confirmation; null when there is none (or it was archived). */
export async function redemptionRow(deps: CoreDeps, merchantId: string, redemptionId: string): Promise<RedemptionRow | null> {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(redemptionId)) return null;
  const json = await deps.redis.hget(keys.merchantRedemptions(merchantId), redemptionId);
  if (!json) return null;
  const r = JSON.parse(json) as { codeHash: string; amount: number; at: number; orderId?: string; voided?: boolean };
  const last4 = await deps.redis.hget(keys.paymentCode(r.codeHash), 'last4');
  return { redemptionId, at: r.at, amount: r.amount, orderId: r.orderId ?? '', codeLast4: last4 ?? '', status: r.voided ? 'voided' : 'redeemed' };
}
