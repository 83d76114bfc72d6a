import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createApp } from '../../src/app.ts';
import { startBackgroundWork, type BackgroundWork } from '../../src/background.ts';
import { buildConfig, loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { loadVoiceFlows, type VoiceFlows } from '../../src/voice/prompts.ts';
import type { SmsSender } from '../../src/payments/sms.ts';
import type { TwimlNode } from './twiml.ts';
import { newCallSid } from '../../src/simulator/webhook-params.ts';

export const TEST_BASE_URL = 'https://dialpass.example.test';

export interface TestApp {
  config: Config;
  redis: RedisClient;
  flows: VoiceFlows;
  /** Where the app really listens (loopback); PUBLIC_BASE_URL is TEST_BASE_URL, as behind a proxy. */
  url: string;
  clock: { now: number };
  /** The key prefix of this app's data (pass it to a second instance of the same deployment). */
  keyPrefix: string;
  /** The app's background worker (deliveries, expiry, reconciler); absent with `worker: false`. */
  background?: BackgroundWork;
  close(): Promise<void>;
}

export interface TestAppOptions {
  redis?: RedisClient;
  sms?: SmsSender;
  /** Share another test app's keys (two instances of one deployment); its owner deletes them. */
  keyPrefix?: string;
  /** Start the background worker (default true). */
  worker?: boolean;
}

const flows = loadVoiceFlows();

/** The environment's Redis (npm test sets REDIS_URL) plus test settings. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const base = loadConfig();
  return buildConfig({
    NODE_ENV: 'test',
    REDIS_URL: base.redis.url,
    REDIS_CLUSTER_NODES: base.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(','),
    // Every test request comes from 127.0.0.1: one test app stands for many people on one address.
    REGISTRATIONS_PER_ADDRESS_PER_HOUR: '100000',
    PUBLIC_BASE_URL: TEST_BASE_URL,
    TWILIO_AUTH_TOKEN: 'test-auth-token-0123456789abcdef',
    SERVICE_PHONE_NUMBER: '+815000001234',
    // The background worker runs in every test app, quickly.
    WORKER_POLL_MS: '20',
    RECONCILE_INTERVAL_MS: '200',
    WEBHOOK_RETRY_BASE_MS: '50',
    ...overrides,
  });
}

/**
 * Starts the real app on a loopback port against the real Redis, with keys under a prefix of
 * its own so tests never see each other's data; close() deletes that prefix's keys.
 */
export async function startTestApp(overrides: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const prefix = options.keyPrefix ?? `t${randomBytes(6).toString('hex')}:`;
  const redis = options.redis ?? createRedisClient(config, { keyPrefix: prefix });
  const clock = { now: Date.now() };
  const logger = createLogger(config);
  const app = createApp({ config, redis, logger, flows, now: () => clock.now, sms: options.sms });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  // The app's clock stands still unless a test moves it; the worker's runs on from it, so retries
  // come due as real time passes, and a test that moves the clock moves the worker too.
  const startedAt = Date.now();
  const background = options.worker === false ? undefined : startBackgroundWork({ config, redis, logger, now: () => clock.now + (Date.now() - startedAt) });
  return {
    config,
    redis,
    flows,
    url: `http://127.0.0.1:${port}`,
    clock,
    keyPrefix: prefix,
    background,
    async close() {
      await background?.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      if (options.keyPrefix) {
        redis.disconnect();
      } else if (!options.redis) {
        await deleteKeysWithPrefix(config, `${config.redis.keyPrefix}${prefix}`);
        redis.disconnect();
      }
    },
  };
}

export async function deleteKeysWithPrefix(config: Config, prefix: string): Promise<void> {
  if (!config.redis.url) return;
  const plain = new Redis(config.redis.url);
  let cursor = '0';
  do {
    const [next, found] = await plain.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (found.length) await plain.unlink(...found);
    cursor = next;
  } while (cursor !== '0');
  plain.disconnect();
}

export { newCallSid };

export interface TwilioPostResult {
  status: number;
  body: string;
  verbs: TwimlNode[];
}

export interface JsonResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function jsonRequest<T = any>(app: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResult<T>> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Registers through the JSON API. */
export async function register(app: TestApp, name = 'Hanako Yamada', email = 'hanako@example.com', locale?: string) {
  const res = await jsonRequest<{ provisionalId: string; password: string; phoneNumber: string; expiresAt: string }>(app, 'POST', '/api/registrations', {
    name,
    email,
    ...(locale ? { locale } : {}),
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
