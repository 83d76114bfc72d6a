import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import twilio from 'twilio';
import { hashPassword } from '../../../src/accounts/passwords.ts';
import { buildConfig, processEnv, type Config } from '../../../src/config.ts';
import { createRedisClient } from '../../../src/store/redis.ts';
import { startManagedRedis } from '../managed-redis.ts';
import { CALLS_SCENARIO, measureCalls, SIMULTANEOUS_CALLS, type CallsFigures } from './calls.ts';
import { LOGIN_BURSTS_SCENARIO, measureLoginBursts, type LoginBurstFigures } from './logins.ts';
import { measureRedisMemory, type RedisMemoryFigures } from './memory.ts';
import { summariseCpuProfile, type ProfileSummary } from './profile.ts';
import { BASELINES, BENCH_PUBLIC_BASE_URL, createScenarios, type BaselineName, type BenchContext, type Scenario, type Workload } from './scenarios.ts';
import { spawnServer, type ServerChild } from './server-child.ts';
import { evaluateTargets, type TargetResult } from './targets.ts';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  /** Scenario names to run; empty: all. */
  only: string[];
  /** Measure Redis memory per item (100,000 of each by default). */
  memory: boolean;
  memoryCount: number;
  /** Another checkout of dialpass (e.g. a git worktree of the previous commit): every scenario runs against its app and this one's, interleaved. */
  against?: string;
  /** Scenario name whose app process is profiled with --cpu-prof (the profile goes to profileDir). */
  profile?: string;
  profileDir: string;
  /** App processes to compare with one (npm run bench -- --instances N); 1 or absent: no comparison. */
  instances?: number;
  /** Simultaneous calls in the `calls` scenario (default 1,000). */
  calls?: number;
  /** A running deployment to drive instead of local processes (remote.ts). */
  url?: string;
  log: (line: string) => void;
}

export interface Measurement {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** non-2xx answers + socket errors/timeouts + answers that were not what a correct request gets. */
  errors: number;
  errorDetail: { non2xx: number; socketErrors: number; timeouts: number; wrongAnswers: number };
  totalRequests: number;
  /** Peak resident memory of the process under load during this run. */
  peakRssBytes: number;
  /** CPU time of the process under load (all threads) per completed request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** Redis's CPU time per completed request, in microseconds (scenarios only; the baselines use no Redis). */
  redisCpuMicrosPerRequest?: number;
  /** Redis commands per completed request, by command (scenarios only): what one request costs Redis and the client. */
  redisCommandsPerRequest?: Record<string, number>;
}

export interface ResultRow {
  scenario: string;
  title: string;
  baseline: BaselineName;
  connections: number;
  measured: Measurement;
  baselineMeasured: Measurement;
  /**
   * Scenario requests/s over its baseline's: the median over the paired slices (each scenario
   * slice against the baseline slice run next to it), so a burst of interference from outside
   * the bench that hits one slice does not decide the figure.
   */
  ratio: number;
  /** Each pair's ratio, in run order. */
  pairRatios: number[];
  /** All scenario requests over all baseline requests, for comparison with `ratio`. */
  pooledRatio: number;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; os: string; node: string; redis: string };
  options: Omit<BenchOptions, 'log'>;
  rows: ResultRow[];
  pending: { scenario: string; title: string; reason: string }[];
  redisMemory: RedisMemoryFigures | null;
  /** The `logins` scenario: bursts of simultaneous logins (null when not run). */
  loginBursts: LoginBurstFigures[] | null;
  /** The `calls` scenario: simultaneous simulated calls through the activation flow (null when not run). */
  calls: CallsFigures | null;
  /** With --instances N: the same scenarios against N app processes, each against one. */
  scaling: ScalingResults | null;
  /** With --against DIR: this checkout's app against that one's, same scenarios, interleaved slices. */
  comparison?: { against: string; rows: ComparisonRow[] };
  /** With --url: the scenarios against a running deployment, no baseline (its machine is not ours). */
  remote?: { url: string; rows: { scenario: string; connections: number; measured: Measurement }[] };
  targets: TargetResult[];
  profile: ProfileSummary | null;
}

export interface ScalingRow {
  scenario: string;
  connections: number;
  one: Measurement;
  many: Measurement;
  /** N processes' requests/s over one's: median of the paired slices. */
  ratio: number;
  pairRatios: number[];
}

export interface ComparisonRow {
  scenario: string;
  connections: number;
  theirs: Measurement;
  ours: Measurement;
  /** This checkout's requests/s over the other's: median of the paired slices. */
  ratio: number;
  pairRatios: number[];
}

export interface ScalingResults {
  instances: number;
  /** Cores this machine offers (load generator, Redis and every app process share them). */
  cores: number;
  rows: ScalingRow[];
  loginBursts: LoginBurstFigures[] | null;
  calls: CallsFigures | null;
}

/** What one autocannon run returns with skipAggregateResult: raw histograms that can be merged. */
type RawRun = autocannon.Result & { totalCompletedRequests: number };
// Exported by autocannon (documented in its README) but missing from @types/autocannon.
const { aggregateResult } = autocannon as unknown as { aggregateResult(results: RawRun[], opts: { url: string }): autocannon.Result };

interface CpuTotals {
  /** Microseconds of CPU used by the process under load during its slices. */
  server: number;
  redis?: number;
  /** Redis commands run during the slices, by command name (scenarios only). */
  redisCommands?: Record<string, number>;
}

export function measurement(url: string, slices: RawRun[], peakRssBytes: number, cpu: CpuTotals): Measurement {
  const merged = aggregateResult(slices, { url });
  const completed = slices.reduce((sum, r) => sum + r.totalCompletedRequests, 0);
  const seconds = slices.reduce((sum, r) => sum + r.duration, 0);
  const errorDetail = { non2xx: merged.non2xx, socketErrors: merged.errors - merged.timeouts, timeouts: merged.timeouts, wrongAnswers: merged.mismatches };
  return {
    requestsPerSecond: Math.round(completed / Math.max(seconds, 1e-9)),
    latencyMs: { p50: merged.latency.p50, p99: merged.latency.p99, max: merged.latency.max },
    errors: errorDetail.non2xx + merged.errors + errorDetail.wrongAnswers,
    errorDetail,
    totalRequests: completed,
    peakRssBytes,
    cpuMicrosPerRequest: Math.round(cpu.server / Math.max(completed, 1)),
    ...(cpu.redis === undefined ? {} : { redisCpuMicrosPerRequest: Math.round(cpu.redis / Math.max(completed, 1)) }),
    ...(cpu.redisCommands === undefined ? {} : { redisCommandsPerRequest: perRequest(cpu.redisCommands, completed) }),
  };
}

/** Commands per completed request, by name, to two decimals; the bench's own INFO calls left out. */
function perRequest(commands: Record<string, number>, completed: number): Record<string, number> {
  const entries = Object.entries(commands)
    .filter(([name, calls]) => name !== 'info' && calls > 0)
    .map(([name, calls]) => [name, Math.round((calls / Math.max(completed, 1)) * 100) / 100] as const)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(entries);
}

const sliceRate = (run: RawRun) => run.totalCompletedRequests / Math.max(run.duration, 1e-9);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function drive(target: Pick<ServerChild, 'url'>, workload: Workload, ctx: BenchContext, connections: number, seconds: number): Promise<RawRun> {
  const run = autocannon({
    url: target.url,
    connections,
    duration: seconds,
    timeout: 30,
    skipAggregateResult: true,
    requests: workload.requests(ctx),
    verifyBody: (body) => workload.verifyBody(String(body)),
  });
  return (await run) as RawRun;
}

/** Longest single run; a measured run is cut into slices of at most this, baseline and scenario alternating. */
export const SLICE_SECONDS = 1;

interface Side {
  target: ServerChild;
  workload: Workload;
  /** Seeds what this side will consume in `seconds` (scenarios only). */
  prepare?: (seconds: number) => Promise<void>;
  /** Redis's CPU time so far in microseconds (scenarios only). */
  redisCpuMicros?: () => Promise<number>;
  /** Redis's commands so far, by name (scenarios only). */
  redisCommands?: () => Promise<Record<string, number>>;
}

interface PairMeasurement {
  baseline: Measurement;
  scenario: Measurement;
  pairRatios: number[];
}

/**
 * Measures a scenario and its baseline at one concurrency, interleaved: both warm up, then the
 * measured time is cut into slices run in ABBA order (B S S B B S…), so drift from other work on
 * the machine lands on both alike, and each scenario slice pairs with the baseline slice next to
 * it. Slices are merged with autocannon's own histogram aggregation. CPU time is read around each
 * slice, for the scenario after it has settled, so work it queued (password hashes) is counted.
 */
async function measurePair(baseline: Side, scenario: Side, ctx: BenchContext, connections: number, options: BenchOptions): Promise<PairMeasurement> {
  const sliceCount = Math.max(1, Math.round(options.durationSeconds / SLICE_SECONDS));
  const sliceSeconds = options.durationSeconds / sliceCount;
  await scenario.prepare?.(options.warmupSeconds + options.durationSeconds);
  if (options.warmupSeconds > 0) {
    await drive(baseline.target, baseline.workload, ctx, connections, options.warmupSeconds);
    await drive(scenario.target, scenario.workload, ctx, connections, options.warmupSeconds);
    await scenario.target.settle();
  }
  const slices = { baseline: [] as RawRun[], scenario: [] as RawRun[] };
  const peak = { baseline: 0, scenario: 0 };
  const cpu: Record<'baseline' | 'scenario', CpuTotals> = { baseline: { server: 0 }, scenario: { server: 0 } };
  for (let i = 0; i < sliceCount; i++) {
    const order = i % 2 === 0 ? (['baseline', 'scenario'] as const) : (['scenario', 'baseline'] as const);
    for (const which of order) {
      const side = which === 'baseline' ? baseline : scenario;
      const peakRss = side.target.watchRss();
      const [serverBefore, redisBefore, commandsBefore] = await Promise.all([side.target.cpuMicros(), side.redisCpuMicros?.(), side.redisCommands?.()]);
      slices[which].push(await drive(side.target, side.workload, ctx, connections, sliceSeconds));
      peak[which] = Math.max(peak[which], peakRss());
      // Work still queued in an app (e.g. password hashes) must not spill into the other side's
      // slice: the scenario's, and with --against both apps'.
      if (which === 'scenario' || side.redisCommands) await side.target.settle();
      const [serverAfter, redisAfter, commandsAfter] = await Promise.all([side.target.cpuMicros(), side.redisCpuMicros?.(), side.redisCommands?.()]);
      cpu[which].server += serverAfter - serverBefore;
      if (commandsBefore && commandsAfter) {
        const counted = (cpu[which].redisCommands ??= {});
        for (const [name, calls] of Object.entries(commandsAfter)) counted[name] = (counted[name] ?? 0) + calls - (commandsBefore[name] ?? 0);
      }
      if (redisBefore !== undefined && redisAfter !== undefined) cpu[which].redis = (cpu[which].redis ?? 0) + redisAfter - redisBefore;
    }
  }
  return {
    baseline: measurement(baseline.target.url, slices.baseline, peak.baseline, cpu.baseline),
    scenario: measurement(scenario.target.url, slices.scenario, peak.scenario, cpu.scenario),
    pairRatios: slices.scenario.map((run, i) => sliceRate(run) / Math.max(sliceRate(slices.baseline[i]!), 1e-9)),
  };
}

function baselineWorkload(scenario: Scenario): Workload {
  const own = BASELINES[scenario.baseline];
  return scenario.baselineRequests ? { requests: scenario.baselineRequests, verifyBody: own.verifyBody } : own;
}

/** Redis's own CPU time (user + system, all threads) from INFO, in microseconds. */
async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
}

/** Calls so far per Redis command, from INFO commandstats (`cmdstat_evalsha:calls=12,...`). */
async function redisCommandCounts(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

// Seeding is sized from the fastest rate seen so far, with headroom; the first guess is generous.
const FIRST_RATE_GUESS = 8000;
const SEED_HEADROOM = 1.5;

async function fetchPickUpTwiml(app: ServerChild, config: Config): Promise<string> {
  const params = { AccountSid: `AC${'0'.repeat(32)}`, CallSid: `CA${'0'.repeat(32)}`, From: '+819012345678', To: '+815000001234' };
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

/** The main thread's profile (CPU.<date>.<time>.<pid>.0.<seq>); tsx's loader thread writes one too. */
function newestProfile(dir: string, since: number): string | undefined {
  return readdirSync(dir)
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
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
      SERVICE_PHONE_NUMBER: '+815000009999',
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
    if (options.profile) mkdirSync(options.profileDir, { recursive: true });
    const app = await spawnServer('app', { env, cpuProfileDir: options.profile ? options.profileDir : undefined });
    children.push(app);
    const twiml = await fetchPickUpTwiml(app, config);
    const baselineServers: Record<BaselineName, ServerChild> = {
      'twiml-baseline': await spawnServer('twiml-baseline', { env, twiml }),
      'json-baseline': await spawnServer('json-baseline', { env }),
    };
    children.push(...Object.values(baselineServers));
    const many = (options.instances ?? 1) > 1 ? await spawnServer('app', { env: { ...env, BENCH_INSTANCES: String(options.instances) } }) : undefined;
    if (many) children.push(many);
    const scalingRows: ScalingRow[] = [];
    const other = options.against ? await spawnServer('app', { env, entry: join(options.against, 'scripts', 'lib', 'bench', 'server-process.ts') }) : undefined;
    if (other) children.push(other);
    const comparisonRows: ComparisonRow[] = [];

    const rows: ResultRow[] = [];
    const runnable = selected.filter((s): s is Scenario & { pending: undefined } => !s.pending);
    for (const scenario of runnable) {
      let fastestRate = FIRST_RATE_GUESS;
      for (const connections of options.connections) {
        log(`bench: ${scenario.name} at ${connections} connection(s)…`);
        const prepare = async (seconds: number) => {
          await scenario.setup?.(ctx, Math.ceil(fastestRate * SEED_HEADROOM * seconds) + 100);
        };
        const pair = await measurePair(
          { target: baselineServers[scenario.baseline], workload: baselineWorkload(scenario) },
          { target: app, workload: scenario, prepare, redisCpuMicros: () => redisCpuMicros(plain), redisCommands: () => redisCommandCounts(plain) },
          ctx,
          connections,
          options,
        );
        const { baseline: baselineMeasured, scenario: measured } = pair;
        fastestRate = Math.max(fastestRate, measured.requestsPerSecond);
        rows.push({
          scenario: scenario.name,
          title: scenario.title,
          baseline: scenario.baseline,
          connections,
          measured,
          baselineMeasured,
          ratio: median(pair.pairRatios),
          pairRatios: pair.pairRatios,
          pooledRatio: baselineMeasured.requestsPerSecond > 0 ? measured.requestsPerSecond / baselineMeasured.requestsPerSecond : 0,
        });
        if (many) {
          log(`bench: ${scenario.name} at ${connections} connection(s), 1 against ${options.instances} app processes…`);
          // Both sides draw on one seeded pool, so it is seeded for both.
          const scaled = await measurePair(
            { target: app, workload: scenario },
            { target: many, workload: scenario, prepare: async (seconds) => prepare(2 * seconds), redisCpuMicros: () => redisCpuMicros(plain) },
            ctx,
            connections,
            options,
          );
          fastestRate = Math.max(fastestRate, scaled.scenario.requestsPerSecond);
          scalingRows.push({ scenario: scenario.name, connections, one: scaled.baseline, many: scaled.scenario, ratio: median(scaled.pairRatios), pairRatios: scaled.pairRatios });
        }
        if (other) {
          log(`bench: ${scenario.name} at ${connections} connection(s), this checkout against ${options.against}…`);
          const commands = () => redisCommandCounts(plain);
          const compared = await measurePair(
            { target: other, workload: scenario, redisCpuMicros: () => redisCpuMicros(plain), redisCommands: commands },
            { target: app, workload: scenario, prepare: async (seconds) => prepare(2 * seconds), redisCpuMicros: () => redisCpuMicros(plain), redisCommands: commands },
            ctx,
            connections,
            options,
          );
          comparisonRows.push({ scenario: scenario.name, connections, theirs: compared.baseline, ours: compared.scenario, ratio: median(compared.pairRatios), pairRatios: compared.pairRatios });
        }
      }
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
    const profilePath = options.profile ? newestProfile(options.profileDir, profileStart) : undefined;

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
      profile: profilePath ? summariseCpuProfile(profilePath, options.profile!) : null,
    };
  } finally {
    await Promise.all(children.map((child) => child.stop().catch(() => undefined)));
    plain.disconnect();
    await managed.stop();
  }
}
