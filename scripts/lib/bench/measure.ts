// How the bench measures: autocannon runs cut into 1-second slices, the sides being compared
// (bare baseline, floor, scenario; or two apps) taking turns, and CPU time read around each slice.
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import type { BenchOptions, Measurement } from './results.ts';
import type { BenchContext, Workload } from './scenarios.ts';
import type { ServerChild } from './server-child.ts';

/** What one autocannon run returns with skipAggregateResult: raw histograms that can be merged. */
export type RawRun = autocannon.Result & { totalCompletedRequests: number };
// Exported by autocannon (documented in its README) but missing from @types/autocannon.
const { aggregateResult } = autocannon as unknown as { aggregateResult(results: RawRun[], opts: { url: string }): autocannon.Result };

interface CpuTotals {
  /** Microseconds of CPU used by the process under load during its slices. */
  server: number;
  redis?: number;
  /** Redis commands run during the slices, by command name (processes that use Redis only). */
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

export const sliceRate = (run: RawRun) => run.totalCompletedRequests / Math.max(run.duration, 1e-9);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Requests each server answered in drive(), warm-ups included (to put a whole-process profile per request). */
const answered = new WeakMap<object, number>();
export const requestsAnswered = (target: object) => answered.get(target) ?? 0;

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
  const result = (await run) as RawRun;
  answered.set(target, requestsAnswered(target) + result.totalCompletedRequests);
  return result;
}

/** Longest single run; a measured run is cut into slices of at most this, the sides taking turns. */
export const SLICE_SECONDS = 1;

export interface Side {
  target: ServerChild;
  workload: Workload;
  /** Seeds what this side will consume in `seconds`. */
  prepare?: (seconds: number) => Promise<void>;
  /** Redis's CPU time so far in microseconds (sides that use Redis only). */
  redisCpuMicros?: () => Promise<number>;
  /** Redis's commands so far, by name (sides that use Redis only). */
  redisCommands?: () => Promise<Record<string, number>>;
  /** Wait until the process is idle after each of its slices (apps: queued work must not spill into another side's slice). */
  settles?: boolean;
}

export interface Interleaved {
  /** One measurement per side, in the order given. */
  measured: Measurement[];
  /** Requests/s of each side in each round of slices: rates[round][side]. */
  rates: number[][];
}

/** Each round's ratio of side `a` to side `b` (requests/s), in run order. */
export const roundRatios = (run: Interleaved, a: number, b: number) => run.rates.map((round) => round[a]! / Math.max(round[b]!, 1e-9));

/**
 * Measures two or more sides at one concurrency, interleaved: each warms up, then the measured
 * time is cut into rounds of one slice per side, run forwards and backwards in turn (A B C, C B A,
 * A B C…), so drift from other work on the machine lands on every side alike and each round
 * compares slices run next to each other. Slices are merged with autocannon's own histogram
 * aggregation. CPU time is read around each slice, after the process settled where it asks to.
 */
export async function measureInterleaved(sides: Side[], ctx: BenchContext, connections: number, options: Pick<BenchOptions, 'durationSeconds' | 'warmupSeconds'>): Promise<Interleaved> {
  const rounds = Math.max(1, Math.round(options.durationSeconds / SLICE_SECONDS));
  const sliceSeconds = options.durationSeconds / rounds;
  for (const side of sides) await side.prepare?.(options.warmupSeconds + options.durationSeconds);
  if (options.warmupSeconds > 0) {
    for (const side of sides) {
      await drive(side.target, side.workload, ctx, connections, options.warmupSeconds);
      if (side.settles) await side.target.settle();
    }
  }
  const slices = sides.map(() => [] as RawRun[]);
  const peaks = sides.map(() => 0);
  const cpu: CpuTotals[] = sides.map(() => ({ server: 0 }));
  const rates: number[][] = [];
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    const rate: number[] = sides.map(() => 0);
    for (const i of order) {
      const side = sides[i]!;
      const peakRss = side.target.watchRss();
      const [serverBefore, redisBefore, commandsBefore] = await Promise.all([side.target.cpuMicros(), side.redisCpuMicros?.(), side.redisCommands?.()]);
      const run = await drive(side.target, side.workload, ctx, connections, sliceSeconds);
      slices[i]!.push(run);
      rate[i] = sliceRate(run);
      peaks[i] = Math.max(peaks[i]!, peakRss());
      // Work still queued in an app (password hashes, operator events) must not spill into another side's slice.
      if (side.settles) await side.target.settle();
      const [serverAfter, redisAfter, commandsAfter] = await Promise.all([side.target.cpuMicros(), side.redisCpuMicros?.(), side.redisCommands?.()]);
      const totals = cpu[i]!;
      totals.server += serverAfter - serverBefore;
      if (commandsBefore && commandsAfter) {
        const counted = (totals.redisCommands ??= {});
        for (const [name, calls] of Object.entries(commandsAfter)) counted[name] = (counted[name] ?? 0) + calls - (commandsBefore[name] ?? 0);
      }
      if (redisBefore !== undefined && redisAfter !== undefined) totals.redis = (totals.redis ?? 0) + redisAfter - redisBefore;
    }
    rates.push(rate);
  }
  return { measured: sides.map((side, i) => measurement(side.target.url, slices[i]!, peaks[i]!, cpu[i]!)), rates };
}

/** Redis's own CPU time (user + system, all threads) from INFO, in microseconds. */
export async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
}

/** Calls so far per Redis command, from INFO commandstats (`cmdstat_evalsha:calls=12,...`). */
export async function redisCommandCounts(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}
