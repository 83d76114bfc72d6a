// Fault tests prove by killing: the app runs as a child process against a Redis of the test's
// own, a stream of merchant requests is cut by SIGKILL (of the app or of redis-server), and what
// Redis holds afterwards is checked against what the merchant was told.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startManagedRedis, type ManagedRedis } from '../../scripts/lib/managed-redis.ts';
import { codeHash } from '../../src/payments/code-secrets.ts';
import { placeCall, type CallEvent } from '../../simulator/call.ts';
import { processEnv } from '../../src/config.ts';
import { keys } from '../../src/store/keys.ts';
import { scriptedCaller } from './twiml-app.ts';
import { webhookReceiver } from './webhooks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHILD = join(ROOT, 'test', 'support', 'app-child.ts');
const TSX = createRequire(import.meta.url).resolve('tsx');

export const FAULT_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  PUBLIC_BASE_URL: 'https://dialpass.fault.test',
  TWILIO_AUTH_TOKEN: 'fault-test-auth-token-0123456789',
  HASH_PEPPER: 'fault-test-pepper-0123456789abcdef',
  ADMIN_TOKEN: 'fault-test-admin-token-0123456789',
  REDIS_KEY_PREFIX: 'fault:',
  // The drills run their own redis-server; a cluster set for the suite (npm run test:cluster) is not theirs.
  REDIS_CLUSTER_NODES: '',
  SERVICE_PHONE_NUMBER: '+815000009999',
  CODE_DENOMINATIONS: '5000,10000',
  MONTHLY_SPENDING_CAP: '1000000',
  MERCHANT_FAILURES_PER_HOUR: '1000',
  WORKER_POLL_MS: '20',
  RECONCILE_INTERVAL_MS: '200',
  WEBHOOK_RETRY_BASE_MS: '5',
  WEBHOOK_MAX_ATTEMPTS: '30',
  WEBHOOK_TIMEOUT_MS: '1000',
};

/** The app as a child process: SIGKILL it, start another on the same Redis. */
export class AppProcess {
  private child?: ChildProcess;
  url = '';

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', TSX, CHILD], {
      env: { ...processEnv(), ...FAULT_ENV, ...this.env, PORT: '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the app did not start within 30 s')), 30_000);
      child.once('message', (m: { port: number }) => {
        clearTimeout(timer);
        resolve(m.port);
      });
      child.once('exit', (code) => reject(new Error(`the app exited (${code}) before it listened`)));
    });
    this.url = `http://127.0.0.1:${port}`;
  }

  /** SIGKILL: no shutdown of any kind, as when a machine or container dies. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(forced);
  }
}

/** A Redis of the test's own, with an append-only file fsynced on every write, that can be killed and restarted on its port. */
export async function ownRedis(): Promise<{ url: string; kill(): Promise<void>; restart(): Promise<void>; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dialpass-fault-redis-'));
  let redis: ManagedRedis = await startManagedRedis({ dataDir, persistent: true, appendfsync: 'always', log: () => undefined });
  const port = redis.port;
  return {
    url: redis.url,
    kill: () => redis.kill('SIGKILL'),
    async restart() {
      redis = await startManagedRedis({ dataDir, persistent: true, appendfsync: 'always', port, log: () => undefined });
    },
    async stop() {
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function call(app: AppProcess, path: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const simulate = (app: AppProcess, entries: string[], from: string) =>
  placeCall({ baseUrl: FAULT_ENV.PUBLIC_BASE_URL, connectTo: app.url, authToken: FAULT_ENV.TWILIO_AUTH_TOKEN, from, to: FAULT_ENV.SERVICE_PHONE_NUMBER }, scriptedCaller(entries));

/** A number said twice in a row: how the app reads out formal IDs and codes. */
const readTwice = (events: CallEvent[]) => {
  const numbers = events.flatMap((e) => (e.type === 'say' ? e.numbers : []));
  return numbers.find((n, i) => numbers.indexOf(n) !== i);
};

export interface Shop {
  merchantId: string;
  apiKey: string;
  webhookSecret: string;
}

/** A member, activated and buying codes by (simulated) phone calls, and a merchant with a webhook. */
export async function setUp(app: AppProcess, hookUrl: string, codes: number) {
  const admin = { Authorization: `Bearer ${FAULT_ENV.ADMIN_TOKEN}` };
  const shop = (await call(app, '/api/admin/merchants', 'POST', { name: 'Fault shop', webhookUrl: hookUrl }, admin)).body as Shop;
  const registered = (await call(app, '/api/registrations', 'POST', { name: 'Taro Kill', email: 'taro@example.com' })).body as { provisionalId: string; password: string };
  const from = '+819011112222';
  const activation = await simulate(app, ['1', `${registered.provisionalId}#`], from);
  const formalId = readTwice(activation.events)!;
  expect(formalId).to.match(/^\d{9}$/);
  const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password: registered.password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const pin = '5151';
  await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin }) });
  const bought: string[] = [];
  for (let i = 0; i < codes; i++) {
    // Codes for this merchant only: 9 and its number at the amounts, then the amount (2) and 1 to buy.
    const purchase = await simulate(app, ['2', `${formalId}#`, `${pin}#`, '9', `${shop.merchantId}#`, '2', '1'], from);
    const code = readTwice(purchase.events);
    expect(code, 'a code read out twice').to.match(/^\d{16}$/);
    bought.push(code!);
  }
  return { shop, formalId, pin, from, codes: bought };
}

/** Approves a payment request by phone (menu 3), as a member would. */
export async function approveByPhone(app: AppProcess, member: { formalId: string; pin: string; from: string }, number: string) {
  return simulate(app, ['3', `${member.formalId}#`, `${member.pin}#`, `${number}#`, '1'], member.from);
}

export async function createPaymentRequest(app: AppProcess, shop: Shop, amount: number) {
  const res = await call(app, '/api/merchant/payment-requests', 'POST', { amount, description: 'Fault tea' }, { Authorization: `Bearer ${shop.apiKey}`, 'Idempotency-Key': randomUUID() });
  expect(res.status).to.equal(201);
  return res.body as { id: string; number: string };
}

export interface SentRedemption {
  key: string;
  code: string;
  amount: number;
  /** The 201 answer, if the merchant got one. */
  acked?: { redemptionId: string };
}

/**
 * Keeps `parallel` merchant tills redeeming 10 at a time from the codes, each request under its
 * own Idempotency-Key, until `stop` is set; a request that gets no 201 (the app died, Redis is
 * away) is left unacknowledged for the retry round.
 */
export async function redemptionStream(app: AppProcess, shop: Shop, codes: string[], parallel: number, stop: { now: boolean }): Promise<SentRedemption[]> {
  const sent: SentRedemption[] = [];
  let n = 0;
  const till = async () => {
    while (!stop.now) {
      const r: SentRedemption = { key: randomUUID(), code: codes[n++ % codes.length]!, amount: 10 };
      sent.push(r);
      try {
        const res = await call(app, '/api/merchant/redemptions', 'POST', { code: r.code, amount: r.amount }, { Authorization: `Bearer ${shop.apiKey}`, 'Idempotency-Key': r.key });
        if (res.status === 201) r.acked = res.body;
        else if (res.status < 500) throw new Error(`unexpected answer ${res.status} ${JSON.stringify(res.body)}`);
      } catch (error) {
        if ((error as Error).message.startsWith('unexpected')) throw error;
        // No answer: the process died under it, or Redis was away.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, till));
  return sent;
}

/** Retries every unacknowledged redemption with its own Idempotency-Key until each has its 201. */
export async function retryUnacknowledged(app: AppProcess, shop: Shop, sent: SentRedemption[]): Promise<number> {
  const open = sent.filter((r) => !r.acked);
  for (const r of open) {
    for (let attempt = 0; !r.acked; attempt++) {
      const res = await call(app, '/api/merchant/redemptions', 'POST', { code: r.code, amount: r.amount }, { Authorization: `Bearer ${shop.apiKey}`, 'Idempotency-Key': r.key }).catch(() => undefined);
      if (res?.status === 201) r.acked = res.body;
      else if (attempt > 50) throw new Error(`a retry never succeeded: ${res?.status} ${JSON.stringify(res?.body)}`);
      else await new Promise((x) => setTimeout(x, 100));
    }
  }
  return open.length;
}

/** What Redis says: the sum of debits on the codes, and the merchant's booked settlement. */
export async function moneyInRedis(redisUrl: string, shop: Shop, codes: string[]) {
  const redis = new Redis(redisUrl, { keyPrefix: FAULT_ENV.REDIS_KEY_PREFIX });
  try {
    let debited = 0;
    let debits = 0;
    for (const code of codes) {
      const hash = codeHash(code, FAULT_ENV.HASH_PEPPER);
      const [amount, remaining] = await redis.hmget(keys.paymentCode(hash), 'amount', 'remaining');
      debited += Number(amount) - Number(remaining);
      debits += await redis.hlen(keys.codeRedemptions(hash));
    }
    const settlement = await redis.hgetall(keys.merchantSettlement(shop.merchantId));
    let settled = 0;
    let booked = 0;
    for (const [field, value] of Object.entries(settlement)) {
      if (field.endsWith(':redeemed')) settled += Number(value);
      if (field.endsWith(':voided')) settled -= Number(value);
      if (field.endsWith(':count')) booked += Number(value);
    }
    const redemptionIds = await redis.hkeys(keys.merchantRedemptions(shop.merchantId));
    let unsettled = 0;
    for (const code of codes) unsettled += await redis.hlen(keys.codeUnsettled(codeHash(code, FAULT_ENV.HASH_PEPPER)));
    return { debited, debits, settled, booked, redemptionIds, unsettled };
  } finally {
    redis.disconnect();
  }
}

export { webhookReceiver };
