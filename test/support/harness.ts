import type { AddressInfo } from 'node:net';
import { Agent as HttpAgent, createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createApp } from '../../src/app.ts';
import { simulatorRouters } from '../../scripts/lib/simulator-routers.ts';
import { startBackgroundWork, type BackgroundWork } from '../../src/background.ts';
import { buildConfig, loadConfig, processEnv, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { loadVoiceFlows, type VoiceFlows } from '../../src/voice/prompts.ts';
import type { SmsSender } from '../../src/payments/sms.ts';
import type { TwimlNode } from './twiml.ts';
import { activitiesRecorded } from '../../src/observability/activity.ts';
import { newCallSid } from '../../simulator/webhook-params.ts';

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
  /** The app's logger (default: silent in tests). */
  logger?: Logger;
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
  const logger = options.logger ?? createLogger(config);
  // The app's clock stands still unless a test moves it; the worker's runs on from it, so retries
  // come due as real time passes, and a test that moves the clock moves the worker too.
  const startedAt = Date.now();
  const instance = async (client: RedisClient) => {
    const app = createApp({ config, redis: client, logger, flows, now: () => clock.now, sms: options.sms, extraRouters: simulatorRouters(config, logger) });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const background = options.worker === false ? undefined : startBackgroundWork({ config, redis: client, logger, now: () => clock.now + (Date.now() - startedAt) });
    return { server, port: (server.address() as AddressInfo).port, background };
  };
  const first = await instance(redis);
  // npm run test:cluster: a second instance of the same deployment (its own Redis connections,
  // its own background worker) and a front that hands requests to the two in turn, as a load
  // balancer would. Tests that bring their own client or instances keep one.
  const twinRedis = TEST_INSTANCES > 1 && !options.redis && !options.keyPrefix ? createRedisClient(config, { keyPrefix: prefix }) : undefined;
  const twin = twinRedis ? await instance(twinRedis) : undefined;
  const front = twin ? await alternatingFront([first.port, twin.port]) : undefined;
  const backgrounds = [first.background, twin?.background].filter((b): b is BackgroundWork => b !== undefined);
  const background: BackgroundWork | undefined =
    backgrounds.length === 0
      ? undefined
      : {
          runOnce: async () => void (await Promise.all(backgrounds.map((b) => b.runOnce()))),
          stop: async (deadlineAt?: number) => void (await Promise.all(backgrounds.map((b) => b.stop(deadlineAt)))),
          deliveries: () => backgrounds.map((b) => b.deliveries()).reduce((a, b) => ({ inFlight: a.inFlight + b.inFlight, peak: Math.max(a.peak, b.peak) })),
        };
  return {
    config,
    redis,
    flows,
    url: `http://127.0.0.1:${front?.port ?? first.port}`,
    clock,
    keyPrefix: prefix,
    background,
    async close() {
      await background?.stop();
      await front?.close();
      for (const { server } of twin ? [first, twin] : [first]) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
      // Operator events of the last requests go out a turn after them: written before the keys go.
      await Promise.all([activitiesRecorded(redis), twinRedis && activitiesRecorded(twinRedis)]);
      twinRedis?.disconnect();
      if (options.keyPrefix) {
        redis.disconnect();
      } else if (!options.redis) {
        await deleteKeysWithPrefix(config, `${config.redis.keyPrefix}${prefix}`);
        redis.disconnect();
      }
    },
  };
}

/** TEST_INSTANCES=2 (npm run test:cluster sets it): every test app is two instances behind an alternating front. */
const TEST_INSTANCES = Number(processEnv().TEST_INSTANCES ?? 1);

/**
 * A minimal load balancer on loopback: each request goes to the next instance in turn, whatever
 * connection it came on. The browser call simulator keeps a call in the instance that placed it,
 * so /simulator requests are pinned to the first instance, as sticky sessions would do.
 */
async function alternatingFront(ports: number[]): Promise<{ port: number; close(): Promise<void> }> {
  const agent = new HttpAgent({ keepAlive: true });
  let next = 0;
  const front = createHttpServer((req, res) => {
    const port = req.url?.startsWith('/simulator') ? ports[0]! : ports[next++ % ports.length]!;
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    port: (front.address() as AddressInfo).port,
    async close() {
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
      agent.destroy();
    },
  };
}

/**
 * A client with no key prefix and no scripts, on the same Redis or cluster as the app: for tests
 * that look at raw keys. On a cluster it routes each key to its master.
 */
export function plainRedis(config: Config): Redis | Cluster {
  if (config.redis.clusterNodes.length > 0) return new Cluster(config.redis.clusterNodes);
  return new Redis(config.redis.url!);
}

/** Runs `visit` on every master: the one Redis, or each master of a cluster (a SCAN sees one node only). */
async function eachMaster<T>(client: Redis | Cluster, visit: (node: Redis) => Promise<T>): Promise<T[]> {
  if (client instanceof Cluster) {
    // The slot table is loaded on connect; before it is, nodes('master') is empty.
    if (client.status !== 'ready') await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject));
    return Promise.all(client.nodes('master').map(visit));
  }
  return [await visit(client)];
}

/** Every key matching `pattern` (full names, REDIS_KEY_PREFIX included), by SCAN on every master; never KEYS. */
export async function scanKeys(config: Config, pattern: string): Promise<string[]> {
  const plain = plainRedis(config);
  try {
    const perNode = await eachMaster(plain, async (node) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return found;
    });
    return perNode.flat();
  } finally {
    plain.disconnect();
  }
}

/** Deletes a test's keys on one Redis or on every master of a cluster (one UNLINK per key: keys in different slots cannot share a command there). */
export async function deleteKeysWithPrefix(config: Config, prefix: string): Promise<void> {
  const plain = plainRedis(config);
  try {
    await eachMaster(plain, async (node) => {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (found.length) {
          const pipeline = node.pipeline();
          for (const key of found) pipeline.unlink(key);
          await pipeline.exec();
        }
        cursor = next;
      } while (cursor !== '0');
    });
  } finally {
    plain.disconnect();
  }
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
