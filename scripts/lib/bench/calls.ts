// The `calls` scenario: 1,000 simultaneous simulated calls through the whole activation flow
// (pick-up, menu 1, provisional ID keyed, formal ID heard, hang-up and status callback), each
// from a line of its own with a provisional ID of its own, driven by the same call simulator
// the tests use (simulator/call.ts, Twilio's documented behaviour). Every webhook is timed.
import { request } from 'node:http';
import { placeCall, type KeyRequest } from '../../../simulator/call.ts';
import { seedPendingRegistrations } from './seed.ts';
import type { BenchContext } from './scenarios.ts';

export const CALLS_SCENARIO = 'calls';
export const SIMULTANEOUS_CALLS = 1000;

export interface WebhookLatency {
  path: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
}

export interface CallsFigures {
  calls: number;
  /** Calls that failed, or did not end with a formal ID read out; and webhooks answered other than 200. */
  errors: number;
  errorSamples: string[];
  wallMs: number;
  callsPerSecond: number;
  webhooks: WebhookLatency[];
  /** App CPU (every thread, every process) per call, in microseconds; 0 for a remote deployment. */
  cpuMicrosPerCall: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const round = (ms: number) => Math.round(ms * 10) / 10;
/** A Japanese mobile number per call, so no line's guessing allowance is shared. */
const callerFor = (n: number) => `+8190${String(10_000_000 + ((n * 7919) % 89_999_999)).padStart(8, '0')}`;

/**
 * One webhook on a connection of its own, as Twilio's requests arrive. fetch's pooled keep-alive
 * connections go stale while a thousand calls keep this process busy, and a POST sent on a
 * connection the server has just closed fails: a fault of the load generator, not of the app.
 */
function postOnNewConnection(url: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers as Record<string, string>, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        const status = res.statusCode ?? 0;
        resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers }));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
}

export interface CallsTarget {
  url: string;
  cpuMicros(): Promise<number>;
  settle(): Promise<void>;
}

/** Seeds `count` provisional IDs, then places every call at once and waits for all of them. */
export async function measureCalls(ctx: BenchContext, target: CallsTarget, count = SIMULTANEOUS_CALLS, callOffset = 0): Promise<CallsFigures> {
  const ids = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, count);
  await target.settle();
  const byPath = new Map<string, number[]>();
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (why: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(why);
  };
  const timedFetch: typeof fetch = async (input, init) => {
    const started = performance.now();
    const res = await postOnNewConnection(String(input), init ?? {});
    const path = new URL(String(input)).pathname;
    const list = byPath.get(path) ?? [];
    list.push(performance.now() - started);
    byPath.set(path, list);
    if (res.status !== 200 && res.status !== 204) fail(`${path} answered ${res.status}`);
    return res;
  };
  const cpuBefore = await target.cpuMicros();
  const started = performance.now();
  await Promise.all(
    ids.map(async (provisionalId, i) => {
      let step = 0;
      const caller = {
        // Menu: 1 (activate); then the provisional ID; then, having heard the formal ID, hang up.
        keys: async (_request: KeyRequest) => [`1`, `${provisionalId}#`][step++] ?? null,
      };
      try {
        const record = await placeCall(
          {
            baseUrl: ctx.config.publicBaseUrl,
            connectTo: target.url,
            authToken: ctx.config.twilio.authToken,
            from: callerFor(callOffset + i),
            to: ctx.config.servicePhoneNumber,
            fetch: timedFetch,
            requestTimeoutMs: 60_000,
          },
          caller,
        );
        const formalIdHeard = record.events.some((e) => e.type === 'say' && e.numbers.some((n) => /^\d{9}$/.test(n)));
        if (record.error) fail(`call ${record.callSid}: ${record.error.message}`);
        else if (!formalIdHeard) fail(`call ${record.callSid}: no formal ID was read out`);
      } catch (error) {
        fail(`call ${i}: ${(error as Error).message}`);
      }
    }),
  );
  const wallMs = performance.now() - started;
  await target.settle();
  const cpuMicros = (await target.cpuMicros()) - cpuBefore;
  const webhooks = [...byPath.entries()].map(([path, times]) => {
    const sorted = times.sort((a, b) => a - b);
    return { path, requests: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
  });
  return {
    calls: count,
    errors,
    errorSamples,
    wallMs: Math.round(wallMs),
    callsPerSecond: Math.round((count / wallMs) * 1000),
    webhooks,
    cpuMicrosPerCall: Math.round(cpuMicros / count),
  };
}
