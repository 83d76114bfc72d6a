// One local run of `npm run bench`, start to finish: a private Redis, the app, the bare baselines
// and the floor stand-in, each scenario at each concurrency (measure.ts), then the other figures.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import { Redis } from 'ioredis';
import twilio from 'twilio';
import { hashPassword } from '../../../src/accounts/passwords.ts';
import { buildConfig, processEnv, type Config } from '../../../src/config.ts';
import { recordActivity } from '../../../src/observability/activity.ts';
import { createRedisClient, type RedisClient } from '../../../src/store/redis.ts';
import { startManagedRedis } from '../managed-redis.ts';
import { CALLS_SCENARIO, measureCalls, SIMULTANEOUS_CALLS, type CallsFigures } from './calls.ts';
import { FLOOR_STEPS, type FloorAnswer } from './floors.ts';
import { LOGIN_BURSTS_SCENARIO, measureLoginBursts, type LoginBurstFigures } from './logins.ts';
import { measureInterleaved, median, redisCommandCounts, redisCpuMicros, requestsAnswered, roundRatios, type Side } from './measure.ts';
import { measureRedisMemory, type RedisMemoryFigures } from './memory.ts';
import { scaleModel, type ModelInputs } from './model.ts';
import { againstEntry } from './options.ts';
import { floorProfileComparison, summariseCpuProfile } from './profile.ts';
import type { BenchOptions, BenchResults, ComparisonRow, ResultRow, ScalingResults, ScalingRow } from './results.ts';
import { BASELINES, BENCH_PUBLIC_BASE_URL, BENCH_SERVICE_NUMBER, createScenarios, type BaselineName, type BenchContext, type Scenario, type Workload } from './scenarios.ts';
import { spawnServer, type ServerChild } from './server-child.ts';
import { evaluateTargets } from './targets.ts';

export type { BenchOptions, BenchResults } from './results.ts';

function baselineWorkload(scenario: Scenario): Workload {
  const own = BASELINES[scenario.baseline];
  return scenario.baselineRequests ? { requests: scenario.baselineRequests, verifyBody: own.verifyBody } : own;
}

// Seeding is sized from the fastest rate seen so far, with headroom; the first guess is generous.
const FIRST_RATE_GUESS = 8000;
const SEED_HEADROOM = 1.5;

async function fetchPickUpTwiml(app: ServerChild, config: Config): Promise<string> {
  const params = { AccountSid: `AC${'0'.repeat(32)}`, CallSid: `CA${'0'.repeat(32)}`, From: '+819012345678', To: BENCH_SERVICE_NUMBER };
  const signature = twilio.getExpectedTwilioSignature(config.twilio.authToken, `${config.publicBaseUrl}/twilio/voice`, params);
  const res = await fetch(`${app.url}/twilio/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('<Gather')) throw new Error(`bench: the app did not answer a signed pick-up (${res.status}): ${body.slice(0, 200)}`);
  return body;
}

/** The main thread's profile (CPU.<date>.<time>.<pid>.0.<seq>) in a process's own folder; tsx's loader thread writes one too. */
function newestProfile(dir: string): string | undefined {
  return readdirSync(dir)
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

const floorWorkload = (scenario: Scenario): Workload => (scenario.floorRequests ? { requests: scenario.floorRequests, verifyBody: scenario.verifyBody } : scenario);

/**
 * Each floored scenario's request sequence sent once to the app, as autocannon would send it:
 * the answers, by path, are what the floors answer with (same status, type and body).
 */
async function sampleAnswers(app: ServerChild, scenarios: Scenario[], ctx: BenchContext): Promise<Record<string, FloorAnswer>> {
  const answers: Record<string, FloorAnswer> = {};
  for (const scenario of scenarios) {
    await scenario.setup?.(ctx, 8);
    const context: Record<string, unknown> = {};
    type Built = { method?: string; path?: string; headers?: Record<string, string>; body?: string };
    for (const request of scenario.requests(ctx) as (autocannon.Request & { setupRequest?: (req: Built, context: object) => Built; onResponse?: (status: number, body: string, context: object) => void })[]) {
      const defaults: Built = { method: 'POST', path: '/', headers: {} };
      const built: Built = request.setupRequest ? request.setupRequest(defaults, context) : { ...defaults, ...(request as Built) };
      const res = await fetch(`${app.url}${built.path}`, { method: built.method, headers: built.headers, body: built.body });
      const body = await res.text();
      request.onResponse?.(res.status, body, context);
      const path = new URL(built.path ?? '/', app.url).pathname;
      if (!scenario.verifyBody(body) || res.status >= 300) throw new Error(`bench: ${scenario.name}: the app's answer to ${path} is not a correct one (${res.status}): ${body.slice(0, 200)}`);
      if (!FLOOR_STEPS.some((step) => step.path === path)) throw new Error(`bench: ${scenario.name} requests ${path}, which has no floor (floors.ts)`);
      answers[path] ??= { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
    }
  }
  return answers;
}

/** Runs the whole benchmark: a private Redis, the app and both baselines in processes of their own. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date();
  const log = options.log;
  const scenarios = createScenarios();
  const names = [...scenarios.map((s) => s.name), LOGIN_BURSTS_SCENARIO, CALLS_SCENARIO];
  const unknown = options.only.filter((name) => !names.includes(name));
  if (unknown.length) throw new Error(`bench: no scenario called ${unknown.join(', ')} (there are: ${names.join(', ')})`);
  const runs = (name: string) => options.only.length === 0 || options.only.includes(name);
  const selected = scenarios.filter((s) => options.only.length === 0 || options.only.includes(s.name));

  const managed = await startManagedRedis({ log });
  const children: ServerChild[] = [];
  const plain = new Redis(managed.url);
  try {
    const env = {
      ...processEnv(),
      NODE_ENV: 'production',
      // The call pays the activation fee (premium-rate); codes and requests take the same path whatever
      // collects them, and premium-rate would need a number per amount: measured as a demo (none).
      CHARGE_METHOD: 'premium-rate',
      CHARGE_METHOD_APPROVALS: 'none',
      CHARGE_METHOD_CODES: 'none',
      PORT: '0',
      REDIS_URL: managed.url,
      REDIS_CLUSTER_NODES: '',
      REDIS_KEY_PREFIX: 'dp:',
      PUBLIC_BASE_URL: BENCH_PUBLIC_BASE_URL,
      SERVICE_PHONE_NUMBER: BENCH_SERVICE_NUMBER,
      TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
      SESSION_SECRET: randomBytes(24).toString('hex'),
      ADMIN_TOKEN: randomBytes(24).toString('hex'),
      HASH_PEPPER: randomBytes(24).toString('hex'),
      LOG_LEVEL: 'warn',
    };
    const config = buildConfig(env);
    const redis = createRedisClient(config);
    const password = 'BenchPassw0rdXy';
    const ctx: BenchContext = { config, redis, password, passwordHash: await hashPassword(password) };
    const redisVersion = /^redis_version:(\S+)/m.exec(await plain.info('server'))?.[1] ?? 'unknown';

    let redisMemory: RedisMemoryFigures | null = null;
    if (options.memory) {
      log(`bench: Redis memory, ${options.memoryCount.toLocaleString('en-US')} of each item…`);
      redisMemory = await measureRedisMemory(ctx, plain, options.memoryCount);
    }

    const profileStart = Date.now();
    const profileDirOf = (kind: string) => {
      if (!options.profile) return undefined;
      const dir = join(options.profileDir, `${kind}-${profileStart}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const appProfileDir = profileDirOf('app');
    const app = await spawnServer('app', { env, cpuProfileDir: appProfileDir });
    children.push(app);
    const twiml = await fetchPickUpTwiml(app, config);
    const baselineServers: Record<BaselineName, ServerChild> = {
      'twiml-baseline': await spawnServer('twiml-baseline', { env, twiml }),
      'json-baseline': await spawnServer('json-baseline', { env }),
    };
    children.push(...Object.values(baselineServers));
    const runnable = selected.filter((s): s is Scenario & { pending: undefined } => !s.pending);
    // The floors answer each path with the app's own answer to it, taken once here.
    const floored = runnable.filter((s) => s.floored);
    const floorProfileDir = profileDirOf('floor');
    const floor = floored.length > 0 ? await spawnServer('floor', { env, answers: await sampleAnswers(app, floored, ctx), cpuProfileDir: floorProfileDir }) : undefined;
    if (floor) children.push(floor);
    const many = (options.instances ?? 1) > 1 ? await spawnServer('app', { env: { ...env, BENCH_INSTANCES: String(options.instances) } }) : undefined;
    if (many) children.push(many);
    const scalingRows: ScalingRow[] = [];
    const other = options.against ? await spawnServer('app', { env, entry: againstEntry(options.against) }) : undefined;
    if (other) children.push(other);
    const comparisonRows: ComparisonRow[] = [];
    const usesRedis = { redisCpuMicros: () => redisCpuMicros(plain), redisCommands: () => redisCommandCounts(plain), settles: true } as const;

    const rows: ResultRow[] = [];
    for (const scenario of runnable) {
      let fastestRate = FIRST_RATE_GUESS;
      for (const connections of options.connections) {
        log(`bench: ${scenario.name} at ${connections} connection(s)…`);
        const prepare = async (seconds: number) => {
          await scenario.setup?.(ctx, Math.ceil(fastestRate * SEED_HEADROOM * seconds) + 100);
        };
        // Bare Express, the floor, the app: one slice each per round, in turn.
        const sides: Side[] = [{ target: baselineServers[scenario.baseline], workload: baselineWorkload(scenario) }];
        const floorSide = floor && scenario.floored ? sides.push({ target: floor, workload: floorWorkload(scenario), ...usesRedis }) - 1 : undefined;
        const appSide = sides.push({ target: app, workload: scenario, prepare, ...usesRedis }) - 1;
        const run = await measureInterleaved(sides, ctx, connections, options);
        const measured = run.measured[appSide]!;
        const baselineMeasured = run.measured[0]!;
        fastestRate = Math.max(fastestRate, measured.requestsPerSecond);
        const pairRatios = roundRatios(run, appSide, 0);
        const floorRatios = floorSide === undefined ? undefined : roundRatios(run, appSide, floorSide);
        rows.push({
          scenario: scenario.name,
          title: scenario.title,
          baseline: scenario.baseline,
          connections,
          measured,
          baselineMeasured,
          ratio: median(pairRatios),
          pairRatios,
          pooledRatio: baselineMeasured.requestsPerSecond > 0 ? measured.requestsPerSecond / baselineMeasured.requestsPerSecond : 0,
          ...(floorSide === undefined ? {} : { floor: { measured: run.measured[floorSide]!, ratio: median(floorRatios!), pairRatios: floorRatios! } }),
        });
        if (many) {
          log(`bench: ${scenario.name} at ${connections} connection(s), 1 against ${options.instances} app processes…`);
          // Both sides draw on one seeded pool, so it is seeded for both.
          const scaled = await measureInterleaved(
            [
              { target: app, workload: scenario },
              { target: many, workload: scenario, prepare: async (seconds) => prepare(2 * seconds), redisCpuMicros: () => redisCpuMicros(plain), settles: true },
            ],
            ctx,
            connections,
            options,
          );
          const [one, manyMeasured] = scaled.measured as [typeof measured, typeof measured];
          fastestRate = Math.max(fastestRate, manyMeasured.requestsPerSecond);
          const ratios = roundRatios(scaled, 1, 0);
          scalingRows.push({ scenario: scenario.name, connections, one, many: manyMeasured, ratio: median(ratios), pairRatios: ratios });
        }
        if (other) {
          log(`bench: ${scenario.name} at ${connections} connection(s), this checkout against ${options.against}…`);
          const compared = await measureInterleaved(
            [
              { target: other, workload: scenario, ...usesRedis },
              { target: app, workload: scenario, prepare: async (seconds) => prepare(2 * seconds), ...usesRedis },
            ],
            ctx,
            connections,
            options,
          );
          const ratios = roundRatios(compared, 1, 0);
          comparisonRows.push({ scenario: scenario.name, connections, theirs: compared.measured[0]!, ours: compared.measured[1]!, ratio: median(ratios), pairRatios: ratios });
        }
      }
    }

    let model: BenchResults['model'] = null;
    if (rows.some((r) => r.scenario === 'activation-call')) {
      log('bench: Redis CPU per operator event, for the scaling model…');
      const inputs = modelInputs(rows, await measureOpsEvent(ctx, plain));
      if (inputs) model = { inputs, rows: scaleModel(inputs) };
    }

    let loginBursts: LoginBurstFigures[] | null = null;
    if (runs(LOGIN_BURSTS_SCENARIO)) {
      log(`bench: ${LOGIN_BURSTS_SCENARIO}, bursts of simultaneous logins…`);
      loginBursts = await measureLoginBursts(ctx, app);
    }
    let calls: CallsFigures | null = null;
    if (runs(CALLS_SCENARIO)) {
      log(`bench: ${CALLS_SCENARIO}, ${options.calls ?? SIMULTANEOUS_CALLS} simultaneous simulated calls…`);
      calls = await measureCalls(ctx, app, options.calls);
    }
    let scaling: ScalingResults | null = null;
    if (many) {
      scaling = { instances: options.instances!, cores: availableParallelism(), rows: scalingRows, loginBursts: null, calls: null };
      if (runs(LOGIN_BURSTS_SCENARIO)) {
        log(`bench: ${LOGIN_BURSTS_SCENARIO} against ${options.instances} app processes…`);
        scaling.loginBursts = await measureLoginBursts(ctx, many);
      }
      if (runs(CALLS_SCENARIO)) {
        log(`bench: ${CALLS_SCENARIO} against ${options.instances} app processes…`);
        scaling.calls = await measureCalls(ctx, many, options.calls, options.calls ?? SIMULTANEOUS_CALLS);
      }
    }

    await Promise.all(children.map((child) => child.stop()));
    children.length = 0;
    redis.disconnect();
    const profilePath = appProfileDir ? newestProfile(appProfileDir) : undefined;
    const floorProfilePath = floorProfileDir ? newestProfile(floorProfileDir) : undefined;

    const cpu = cpus();
    const { log: _log, ...recordedOptions } = options;
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpuModel: cpu[0]?.model.trim() ?? 'unknown',
        cpus: cpu.length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${process.platform} ${release()}`,
        node: process.version,
        redis: redisVersion,
      },
      options: recordedOptions,
      rows,
      pending: selected.filter((s) => s.pending).map((s) => ({ scenario: s.name, title: s.title, reason: s.pending! })),
      redisMemory,
      loginBursts,
      calls,
      scaling,
      ...(options.against ? { comparison: { against: options.against, rows: comparisonRows } } : {}),
      targets: evaluateTargets(selected, rows, redisMemory, loginBursts, calls, scaling),
      model,
      profile: profilePath ? summariseCpuProfile(profilePath, options.profile!) : null,
      profileAgainstFloor: profilePath ? floorProfileComparison(options.profile!, { path: profilePath, requests: requestsAnswered(app) }, floorProfilePath && floor ? { path: floorProfilePath, requests: requestsAnswered(floor) } : undefined) : null,
    };
  } finally {
    await Promise.all(children.map((child) => child.stop().catch(() => undefined)));
    plain.disconnect();
    await managed.stop();
  }
}

/** The model's inputs from a run's activation-call row at its highest concurrency. */
function modelInputs(rows: ResultRow[], opsMicrosPerEvent: number): ModelInputs | undefined {
  const calls = rows.filter((r) => r.scenario === 'activation-call').sort((a, b) => b.connections - a.connections)[0];
  if (!calls || calls.measured.redisCpuMicrosPerRequest === undefined) return undefined;
  return { appMicrosPerWebhook: calls.measured.cpuMicrosPerRequest, redisMicrosPerWebhook: calls.measured.redisCpuMicrosPerRequest, opsMicrosPerEvent };
}

/**
 * Redis CPU per operator event: `events` account.activated events recorded through the app's own
 * recordActivity, 500 at a time (batched per turn as at load), Redis's CPU read around them.
 */
async function measureOpsEvent(deps: { redis: RedisClient; config: { timeZone: string; currency: string } }, plain: Redis, events = 20_000): Promise<number> {
  const before = await redisCpuMicros(plain);
  const at = Date.now();
  for (let start = 0; start < events; start += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => {
        const n = start + i;
        return recordActivity(deps, { kind: 'account.activated', key: `model:${at}:${n}`, at, actor: `call:CAmodel${n}`, memberId: String(10_000_000_000 + n), amount: 300, day: { activations: 1, charges: 1, charged_amount: 300 }, add: [['members', at, String(10_000_000_000 + n)]] });
      }),
    );
  }
  return Math.round(((await redisCpuMicros(plain)) - before) / events);
}
