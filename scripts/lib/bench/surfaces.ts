// The people-around-the-call pages with a lot of data behind them: a member with 100,000 ledger
// entries, an audit trail of 100,000 events, 100,000 members and codes in the operator's lists,
// and a merchant with 100,000 redemptions. Each page is asked for in turn (one at a time, so the
// figure is the page's own time) and must answer in at most 200 ms; the app's memory is read
// before and after, to show it does not grow with the data (every list reads one page).
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createApp } from '../../../src/app.ts';
import { hashPassword } from '../../../src/accounts/passwords.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import { apiKeyHash } from '../../../src/merchants/merchants.ts';
import { calendarDay } from '../../../src/shared/calendar.ts';
import { formalIds, provisionalIds } from '../../../src/identifiers/ids.ts';
import { keys } from '../../../src/store/keys.ts';
import { createRedisClient } from '../../../src/store/redis.ts';
import { loadVoiceFlows } from '../../../src/voice/prompts.ts';
import { startManagedRedis } from '../managed-redis.ts';

export interface SurfaceTiming {
  page: string;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  withinBudget: boolean;
}

export interface SurfacesResult {
  entries: number;
  budgetMs: number;
  pages: SurfaceTiming[];
  heapBeforeMb: number;
  heapAfterMb: number;
}

const BUDGET_MS = 200;

/** A full garbage collection before each memory reading, so the figures are what is kept, not what waits for collection. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
const BATCH = 2000;
const DAY_MS = 86_400_000;

export async function benchSurfaces(options: { entries?: number; samples?: number; log: (line: string) => void }): Promise<SurfacesResult> {
  const entries = options.entries ?? 100_000;
  const samples = options.samples ?? 30;
  const redisServer = await startManagedRedis({ log: options.log });
  const config = loadConfig({ REDIS_URL: redisServer.url, REDIS_CLUSTER_NODES: '', NODE_ENV: 'development', PUBLIC_BASE_URL: 'http://127.0.0.1', LOG_LEVEL: 'silent' });
  const redis = createRedisClient(config, { keyPrefix: 'surfaces:' });
  const now = Date.now();
  const app = createApp({ config, redis, logger: createLogger(config), flows: loadVoiceFlows(), now: () => now });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    options.log(`surfaces: seeding ${entries.toLocaleString('en')} of each…`);
    const seeded = await seed(redis, config, entries, now);
    const cookies = await signIn(base, config.adminToken, seeded);
    const pages: [string, string, string][] = [
      ['member page (history, newest)', '/service', cookies.member],
      ['member page, charges half-way back', `/service?charges=${Math.floor(entries / 2)}`, cookies.member],
      ['console overview', '/admin', cookies.admin],
      ['console members', '/admin/members', cookies.admin],
      ['console members, search', `/admin/members?q=${seeded.formalId}`, cookies.admin],
      ['console charges', '/admin/ledger', cookies.admin],
      ["console one member's charges", `/admin/ledger?member=${seeded.memberId}`, cookies.admin],
      ['console audit trail', '/admin/audit', cookies.admin],
      ['console audit, a rare kind', '/admin/audit?kind=merchant.created', cookies.admin],
      ['console codes', '/admin/codes', cookies.admin],
      ['console merchants', '/admin/merchants', cookies.admin],
      ['console one merchant', `/admin/merchants/${seeded.merchantId}`, cookies.admin],
      ['merchant owed', '/merchant', cookies.merchant],
      ['merchant redemptions', '/merchant/redemptions', cookies.merchant],
      ['merchant requests, approved', '/merchant/requests?status=approved', cookies.merchant],
      ['merchant webhooks', '/merchant/webhooks', cookies.merchant],
      ['merchant settlement CSV', '/merchant/settlement.csv', cookies.merchant],
    ];
    // One pass over every page first: the first request of all pays for compiling the app's code.
    for (const [, path, cookie] of pages) await (await fetch(`${base}${path}`, { headers: { Cookie: cookie } })).arrayBuffer();
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const timings: SurfaceTiming[] = [];
    for (const [page, path, cookie] of pages) {
      const times: number[] = [];
      for (let i = 0; i < samples + 3; i++) {
        const started = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { Cookie: cookie }, redirect: 'manual' });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`bench: ${path} answered ${res.status}`);
        if (i >= 3) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
      const timing = { page, medianMs: at(0.5), p95Ms: at(0.95), maxMs: at(1), withinBudget: at(0.95) <= BUDGET_MS };
      timings.push(timing);
      options.log(`surfaces: ${page}: median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms`);
    }
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    return { entries, budgetMs: BUDGET_MS, pages: timings, heapBeforeMb: mb(heapBefore), heapAfterMb: mb(heapAfter) };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    redis.disconnect();
    await redisServer.stop();
  }
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

interface Seeded {
  memberId: string;
  formalId: string;
  password: string;
  merchantId: string;
  apiKey: string;
}

/** Writes the data as the app's scripts do (same keys, same shapes), pipelined in batches. */
async function seed(redis: ReturnType<typeof createRedisClient>, config: ReturnType<typeof loadConfig>, count: number, now: number): Promise<Seeded> {
  const memberId = provisionalIds.generate();
  const formalId = formalIds.generate();
  const password = 'bench-password-1';
  const merchantId = '48213570';
  const apiKey = `dpk_${merchantId}_${'b'.repeat(32)}`;
  await redis.hset(keys.account(memberId), { formalId, name: 'Hanako Yamada', email: 'h@example.com', locale: 'ja-JP', passwordHash: await hashPassword(password), pinFailures: 0, accessExpiresAt: now + 30 * DAY_MS, activatedAt: now - 400 * DAY_MS });
  await redis.set(keys.formalIdIndex(formalId), memberId);
  await redis.hset(keys.merchant(merchantId), { apiKeyHash: apiKeyHash(apiKey, config.hashPepper), name: 'Bench Bistro', webhookUrl: '', webhookSecret: 'whsec_x', createdAt: now - 400 * DAY_MS });
  for (let start = 0; start < count; start += BATCH) {
    const pipeline = redis.pipeline();
    const n = Math.min(BATCH, count - start);
    const ledger: string[] = [];
    for (let i = start; i < start + n; i++) {
      const at = now - (count - i) * 60_000;
      const kind = i % 4 === 0 ? 'code_purchase' : i % 4 === 1 ? 'payment_approval' : 'renewal';
      ledger.push(JSON.stringify({ kind, amount: 500, currency: 'JPY', callSid: `CA${String(i).padStart(32, '0')}`, from: '+819012345678', at, ...(kind === 'code_purchase' ? { codeLast4: String(i % 10000).padStart(4, '0') } : {}), ...(kind === 'payment_approval' ? { paymentRequest: `pr_${merchantId}${String(i).padStart(14, '0')}` } : {}) }));
      const other = String(20000000000 + i);
      pipeline.hset(keys.account(other), 'formalId', String(200000000 + i), 'name', `Member ${i}`, 'email', `m${i}@example.com`, 'accessExpiresAt', now + DAY_MS, 'activatedAt', at);
      pipeline.zadd(keys.opsMembers(), at, other);
      const hash = `h${String(i).padStart(20, '0')}`;
      pipeline.zadd(keys.opsCodes(), at, hash);
      if (i < 2000) {
        pipeline.zadd(keys.memberCodes(memberId), at, hash);
        pipeline.hset(keys.paymentCode(hash), 'amount', 1000, 'remaining', 600, 'currency', 'JPY', 'owner', memberId, 'merchantId', '', 'expiresAt', now + 90 * DAY_MS, 'createdAt', at, 'last4', String(i).padStart(4, '0'));
        const requestId = `pr_${merchantId}${String(i).padStart(14, '0')}`;
        pipeline.zadd(keys.memberPaymentRequests(memberId), at, requestId);
        pipeline.zadd(keys.merchantPaymentRequests(merchantId), at, requestId);
        pipeline.hset(keys.paymentRequest(requestId), 'merchantId', merchantId, 'number', String(50000000 + i), 'status', i % 3 ? 'approved' : 'declined', 'claimedBy', memberId, 'amount', 500, 'currency', 'JPY', 'description', 'Lunch', 'createdAt', at, 'expiresAt', at + 900_000, 'decidedAt', at + 60_000);
      }
      const redemptionId = `rd_${String(i).padStart(22, '0')}`;
      pipeline.hset(keys.merchantRedemptions(merchantId), redemptionId, JSON.stringify({ codeHash: hash, amount: 100, at, atIso: new Date(at).toISOString(), day: calendarDay(at, config.timeZone), orderId: `O-${i}` }));
      pipeline.zadd(keys.merchantRedemptionOrder(merchantId), at, redemptionId);
      pipeline.xadd(keys.opsAudit(), '*', 'kind', i % 2 ? 'code.redeemed' : 'code.purchased', 'at', String(at), 'actor', `merchant:${merchantId}`, 'member', memberId, 'merchant', merchantId, 'amount', '100', 'currency', 'JPY', 'detail', redemptionId);
    }
    pipeline.rpush(keys.memberLedger(memberId), ...ledger);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
  const days = redis.pipeline();
  for (let d = 0; d < 400; d++) {
    const day = calendarDay(now - d * DAY_MS, config.timeZone);
    days.hset(keys.opsDay(day), 'registrations', 30, 'activations', 25, 'revenue', 25_000, 'codes_sold', 20, 'redemptions', 250);
    days.hset(keys.merchantSettlement(merchantId), `${day}:count`, 250, `${day}:redeemed`, 25_000, `${day}:voided`, 0);
  }
  await days.exec();
  return { memberId, formalId, password, merchantId, apiKey };
}

/** Signs in as the member, the operator and the merchant through the real forms; returns the cookies. */
async function signIn(base: string, adminToken: string, seeded: Seeded): Promise<{ member: string; admin: string; merchant: string }> {
  const post = async (path: string, form: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
    const cookie = res.headers.get('set-cookie')?.split(';')[0];
    if (res.status !== 303 || !cookie) throw new Error(`bench: signing in at ${path} answered ${res.status}`);
    return cookie;
  };
  return {
    member: await post('/login', { formalId: seeded.formalId, password: seeded.password }),
    admin: await post('/admin/login', { token: adminToken }),
    merchant: await post('/merchant/login', { apiKey: seeded.apiKey }),
  };
}

export function renderSurfaces(result: SurfacesResult): string {
  const lines = [
    `### Pages with ${result.entries.toLocaleString('en')} entries behind them (budget ${result.budgetMs} ms at p95, one request at a time)`,
    '',
    '| page | median ms | p95 ms | max ms | within budget |',
    '|---|---:|---:|---:|---|',
    ...result.pages.map((p) => `| ${p.page} | ${p.medianMs} | ${p.p95Ms} | ${p.maxMs} | ${p.withinBudget ? 'yes' : '**no**'} |`),
    '',
    `App heap (after a full GC) before the ${result.pages.length} pages were asked for ${result.heapBeforeMb} MB, after ${result.heapAfterMb} MB: no page keeps what it read.`,
  ];
  return lines.join('\n');
}
