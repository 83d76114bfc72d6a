import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { Redis } from 'ioredis';
import { createApp } from '../../src/app.ts';
import { buildConfig, loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { loadVoiceFlows, type VoiceFlows } from '../../src/voice/prompts.ts';
import type { SmsSender } from '../../src/payments/sms.ts';
import { parseTwiml, type TwimlNode } from './twiml.ts';
import { inboundCallParams, newCallSid } from '../../src/simulator/webhook-params.ts';

export const TEST_BASE_URL = 'https://dialpass.example.test';

export interface TestApp {
  config: Config;
  redis: RedisClient;
  flows: VoiceFlows;
  /** Where the app really listens (loopback); PUBLIC_BASE_URL is TEST_BASE_URL, as behind a proxy. */
  url: string;
  clock: { now: number };
  close(): Promise<void>;
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
    ...overrides,
  });
}

/**
 * Starts the real app on a loopback port against the real Redis, with keys under a prefix of
 * its own so tests never see each other's data; close() deletes that prefix's keys.
 */
export async function startTestApp(overrides: Record<string, string> = {}, options: { redis?: RedisClient; sms?: SmsSender } = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const prefix = `t${randomBytes(6).toString('hex')}:`;
  const redis = options.redis ?? createRedisClient(config, { keyPrefix: prefix });
  const clock = { now: Date.now() };
  const app = createApp({ config, redis, logger: createLogger(config), flows, now: () => clock.now, sms: options.sms });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    config,
    redis,
    flows,
    url: `http://127.0.0.1:${port}`,
    clock,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      if (!options.redis) {
        await deleteKeysWithPrefix(config, `${config.redis.keyPrefix}${prefix}`);
        redis.disconnect();
      }
    },
  };
}

async function deleteKeysWithPrefix(config: Config, prefix: string): Promise<void> {
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

/**
 * POSTs a form-encoded webhook signed exactly as Twilio signs it (twilio's own helper over
 * PUBLIC_BASE_URL + path + sorted params), and parses the TwiML answer.
 */
export async function postTwilio(app: TestApp, pathOrUrl: string, params: Record<string, string>, signWith?: string): Promise<TwilioPostResult> {
  const publicUrl = pathOrUrl.startsWith('http') ? pathOrUrl : `${app.config.publicBaseUrl}${pathOrUrl}`;
  const path = publicUrl.slice(app.config.publicBaseUrl.length);
  const signature = twilio.getExpectedTwilioSignature(signWith ?? app.config.twilio.authToken, publicUrl, params);
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  const body = await res.text();
  const isXml = (res.headers.get('content-type') ?? '').includes('xml');
  return { status: res.status, body, verbs: isXml ? parseTwiml(body) : [] };
}

/** The standard parameters Twilio sends with every voice webhook. */
export const callParams = (callSid: string, from = '+819012345678', extra: Record<string, string> = {}) =>
  inboundCallParams({ callSid, from, to: '+815000001234' }, extra);

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
