// `npm run bench -- …`: the options, their help text, and what a wrong one says (one line, no stack trace).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchOptions } from './results.ts';

export const HELP = `npm run bench -- [options]

Drives the app with autocannon beside two bare-Express baselines and a floor stand-in per step
(the same checks and Redis round trips, a fixed answer), interleaved in 1-second slices, and
prints every figure as a ratio in the same run. docs/PERFORMANCE.md explains each figure.

  --quick              3 s per run after 1 s warm-up (about 8 minutes on 2 cores)
  --duration S         measured seconds per run (default 10)
  --warmup S           warm-up seconds per run (default 3)
  --connections LIST   concurrency levels, e.g. 10,50 (default 1,10,50)
  --only NAMES         scenarios to run, comma-separated: incoming-call, claim-provisional-id,
                       buy-payment-code, merchant-redemption, activation-call, login, logins,
                       calls, surfaces
  --no-memory          skip the Redis memory figures
  --memory-count N     items per memory figure (default 100000)
  --profile NAME       profile the app and the scenario's floor (--cpu-prof) during scenario NAME:
                       where each request's microseconds go, app against floor, by area
  --against DIR        also run every scenario against the app of another checkout (a git
                       worktree of an earlier commit, with node_modules): before/after in one run
  --instances N        also run every scenario against N app processes (node:cluster); judged
                       only where the machine has N + 2 cores, NOT JUDGED below that
  --calls N            simultaneous calls in the calls scenario (default 1000)
  --url URL            drive a running deployment instead (its .env; see docs/SCALING.md)
  --save               write the JSON to bench/results.json (the committed figures)
  --out PATH           write the JSON there (default bench/latest.json, not committed)
  --help               this text
`;

export interface CliOptions {
  options: BenchOptions;
  /** Where the JSON goes. */
  out: string;
}

/** A mistake in the command line: printed as one line, exit 2. */
export class UsageError extends Error {}

/** The server-process.ts of another checkout (bench --against). */
export function againstEntry(dir: string): string {
  return join(dir, 'scripts', 'lib', 'bench', 'server-process.ts');
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
export const COMMITTED_RESULTS = join(ROOT, 'bench', 'results.json');
const LATEST_RESULTS = join(ROOT, 'bench', 'latest.json');

/** The options of a command line; undefined for --help. Throws UsageError for anything it does not take. */
export function parseBenchOptions(argv: string[], log: (line: string) => void): CliOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'no-memory': { type: 'boolean', default: false },
        'memory-count': { type: 'string' },
        profile: { type: 'string' },
        out: { type: 'string' },
        save: { type: 'boolean', default: false },
        instances: { type: 'string' },
        calls: { type: 'string' },
        url: { type: 'string' },
        against: { type: 'string' },
      },
    }));
  } catch (error) {
    // parseArgs's own wording ("Unknown option '--x'. To specify a positional argument…"), first sentence only.
    throw new UsageError(`${String((error as Error).message).split('. ')[0]!.replace(/\.$/, '')} (npm run bench -- --help lists the options)`);
  }
  if (values.help) return undefined;
  const number = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min} (got ${JSON.stringify(value)})`);
    return n;
  };
  const connections = (values.connections ?? '1,10,50').split(',').map((c) => Math.round(number('connections', c.trim(), 1, 1)));
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const options: BenchOptions = {
    durationSeconds: number('duration', values.duration, values.quick ? 3 : 10, 1),
    warmupSeconds: number('warmup', values.warmup, values.quick ? 1 : 3, 0),
    connections,
    only: values.profile && only.length === 0 ? [values.profile] : only,
    memory: !values['no-memory'],
    memoryCount: Math.round(number('memory-count', values['memory-count'], 100_000, 1)),
    profile: values.profile,
    profileDir: join(ROOT, 'bench'),
    instances: Math.round(number('instances', values.instances, 1, 1)),
    calls: values.calls === undefined ? undefined : Math.round(number('calls', values.calls, 1000, 1)),
    url: values.url,
    against: values.against === undefined ? undefined : resolve(values.against),
    log,
  };
  if (options.against) {
    if (options.url || (options.instances ?? 1) > 1) throw new UsageError('--against compares two checkouts on this machine: not with --url or --instances');
    if (!existsSync(againstEntry(options.against))) throw new UsageError(`--against ${options.against}: not a dialpass checkout (no ${againstEntry(options.against)})`);
    if (!existsSync(join(options.against, 'node_modules'))) throw new UsageError(`--against ${options.against}: run npm ci there first (or link this checkout's node_modules)`);
  }
  if (values.save && values.out) throw new UsageError('--save writes bench/results.json; --out writes elsewhere: give one of them');
  const out = values.save ? COMMITTED_RESULTS : resolve(values.out ?? LATEST_RESULTS);
  return { options, out };
}
