// npm run bench -- --url https://staging.example: drives a running deployment instead of local
// processes. The bench signs webhooks and seeds what the scenarios consume (pending registrations,
// members, payment codes, merchants) with the deployment's own settings, read from .env and the
// environment like the app reads them: PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, HASH_PEPPER,
// REDIS_URL or REDIS_CLUSTER_NODES, REDIS_KEY_PREFIX. So it writes test data into that Redis: use
// a staging deployment. No baseline (the deployment's machine is not ours) and no Redis memory
// figure (that one empties Redis); requests/s, latency and errors only.
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { hashPassword } from '../../../src/accounts/passwords.ts';
import { loadConfig } from '../../../src/config.ts';
import { createRedisClient } from '../../../src/store/redis.ts';
import { CALLS_SCENARIO, measureCalls, type CallsFigures } from './calls.ts';
import { LOGIN_BURSTS_SCENARIO, measureLoginBursts, type LoginBurstFigures } from './logins.ts';
import { drive, measurement, SLICE_SECONDS } from './measure.ts';
import type { BenchOptions, BenchResults, Measurement } from './results.ts';
import { createScenarios, type BenchContext } from './scenarios.ts';
import type { ServerChild } from './server-child.ts';
import { evaluateTargets } from './targets.ts';

const SEED_RATE_GUESS = 3000;

/** What the bench knows of a process it did not start: where it listens, nothing more. */
function remoteTarget(url: string): ServerChild {
  return {
    kind: 'app',
    url: url.replace(/\/+$/, ''),
    pid: 0,
    rss: () => 0,
    watchRss: () => () => 0,
    cpuMicros: async () => 0,
    settle: () => new Promise((r) => setTimeout(r, 500)),
    stop: async () => undefined,
  };
}

export async function runRemoteBench(options: BenchOptions & { url: string }): Promise<BenchResults> {
  const startedAt = new Date();
  const { log } = options;
  const config = loadConfig();
  if (!config.redis.url && config.redis.clusterNodes.length === 0) throw new Error('bench: --url needs the deployment’s REDIS_URL or REDIS_CLUSTER_NODES (to seed what the scenarios use)');
  log(`bench: driving ${options.url}; seeding test data under ${config.redis.keyPrefix} in its Redis, signing as ${config.publicBaseUrl}`);
  const redis = createRedisClient(config);
  const password = 'BenchPassw0rdXy';
  const ctx: BenchContext = { config, redis, password, passwordHash: await hashPassword(password) };
  const target = remoteTarget(options.url);
  const health = await fetch(`${target.url}/healthz`).catch((error: Error) => error);
  if (health instanceof Error || !health.ok) throw new Error(`bench: ${target.url}/healthz did not answer 200 (${health instanceof Error ? health.message : health.status})`);

  const scenarios = createScenarios();
  const selected = scenarios.filter((s) => !s.pending && (options.only.length === 0 || options.only.includes(s.name)));
  const runs = (name: string) => options.only.length === 0 || options.only.includes(name);
  const rows: { scenario: string; connections: number; measured: Measurement }[] = [];
  try {
    for (const scenario of selected) {
      for (const connections of options.connections) {
        log(`bench: ${scenario.name} at ${connections} connection(s) against ${target.url}…`);
        await scenario.setup?.(ctx, Math.ceil(SEED_RATE_GUESS * 1.5 * (options.warmupSeconds + options.durationSeconds)) + 100);
        if (options.warmupSeconds > 0) await drive(target, scenario, ctx, connections, options.warmupSeconds);
        const slices = [];
        for (let left = options.durationSeconds; left > 0; left -= SLICE_SECONDS) slices.push(await drive(target, scenario, ctx, connections, Math.min(SLICE_SECONDS, left)));
        rows.push({ scenario: scenario.name, connections, measured: measurement(target.url, slices, 0, { server: 0 }) });
      }
    }
    let loginBursts: LoginBurstFigures[] | null = null;
    if (runs(LOGIN_BURSTS_SCENARIO)) loginBursts = await measureLoginBursts(ctx, target);
    let calls: CallsFigures | null = null;
    if (runs(CALLS_SCENARIO)) calls = await measureCalls(ctx, target, options.calls);
    const { log: _log, ...recordedOptions } = options;
    const cpu = cpus();
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpuModel: `load generator: ${cpu[0]?.model.trim() ?? 'unknown'}`, cpus: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${process.platform} ${release()}`, node: process.version, redis: 'remote' },
      options: recordedOptions,
      rows: [],
      pending: [],
      redisMemory: null,
      loginBursts,
      calls,
      scaling: null,
      remote: { url: target.url, rows },
      targets: evaluateTargets([], [], null, loginBursts, calls, null),
      profile: null,
    };
  } finally {
    redis.disconnect();
  }
}
