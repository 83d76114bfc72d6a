// The `logins` scenario: bursts of simultaneous logins (20 and 100 at once), each by a member of
// its own from an address of its own, as a crowd signing in after an announcement. Not autocannon:
// every login starts at the same instant and the burst is over when the last answer is in.
import { activateMembers, seedPendingRegistrations } from './seed.ts';
import type { BenchContext } from './scenarios.ts';
import type { ServerChild } from './server-child.ts';

export const LOGIN_BURSTS_SCENARIO = 'logins';
export const LOGIN_BURST_SIZES = [20, 100] as const;
/** Bursts of each size; figures are over all of them. */
const ROUNDS = 3;

export interface LoginBurstFigures {
  simultaneous: number;
  rounds: number;
  ok: number;
  /** Answers other than 200 (503 busy included: the pool refuses what it cannot queue). */
  errors: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  /** Logins answered per second of wall time, the burst's own throughput. */
  loginsPerSecond: number;
  /** App CPU (every thread) per login; 1e6 / this is logins per second one core sustains. */
  cpuMicrosPerLogin: number;
  loginsPerSecondPerCore: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
}

const MiB = 2 ** 20;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
/** A documentation-range address per login (RFC 5737), sent as the proxy would; the app trusts X-Forwarded-For from loopback. */
const addressFor = (n: number) => `198.51.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;

async function oneLogin(url: string, formalId: string, password: string, address: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ formalId, password }),
  });
  const body = await res.text();
  const ok = res.status === 200 && body.includes('"accessExpiresAt"');
  return { status: ok ? 200 : res.status === 200 ? 0 : res.status, ms: performance.now() - started };
}

/** Runs ROUNDS bursts of each size against the app (one process, or `targets` taking them in turn). */
export async function measureLoginBursts(ctx: BenchContext, app: ServerChild, url = app.url): Promise<LoginBurstFigures[]> {
  const figures: LoginBurstFigures[] = [];
  let addressCounter = 0;
  for (const size of LOGIN_BURST_SIZES) {
    const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, size * ROUNDS);
    const formalIds = await activateMembers(ctx.redis, ctx.config, memberIds);
    await app.settle();
    const rssBefore = app.rss();
    const peakRss = app.watchRss();
    const cpuBefore = await app.cpuMicros();
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let wallMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const results = await Promise.all(
        formalIds.slice(round * size, (round + 1) * size).map((formalId) => oneLogin(url, formalId, ctx.password, addressFor(addressCounter++))),
      );
      wallMs += performance.now() - started;
      for (const r of results) {
        latencies.push(r.ms);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    }
    await app.settle();
    const cpuMicros = (await app.cpuMicros()) - cpuBefore;
    const ok = statuses['200'] ?? 0;
    const sorted = latencies.sort((a, b) => a - b);
    const cpuMicrosPerLogin = Math.round(cpuMicros / Math.max(ok, 1));
    figures.push({
      simultaneous: size,
      rounds: ROUNDS,
      ok,
      errors: latencies.length - ok,
      statuses,
      latencyMs: { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1) ?? 0) },
      loginsPerSecond: Math.round((ok / Math.max(wallMs, 1)) * 1000),
      cpuMicrosPerLogin,
      loginsPerSecondPerCore: Math.round(1e6 / Math.max(cpuMicrosPerLogin, 1)),
      rssBeforeMiB: Math.round(rssBefore / MiB),
      rssPeakMiB: Math.round(peakRss() / MiB),
      rssAfterMiB: Math.round(app.rss() / MiB),
    });
  }
  return figures;
}
