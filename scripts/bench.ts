// npm run bench: drives the app with autocannon next to two bare-Express baselines, in one run, and
// reports every figure as a ratio to its baseline. See docs/PERFORMANCE.md for what limits each one.
//   --duration S   measured seconds per run (default 10)      --warmup S   warm-up seconds per run (default 3)
//   --connections 1,10,50   concurrency levels               --only name[,name]   scenarios to run
//   --quick        a few minutes on 2 cores (3 s runs, 1 s warm-up)
//   --no-memory    skip the Redis memory figures             --memory-count N   items per memory figure (default 100000)
//   --profile name profile the app with --cpu-prof during that scenario (profile in bench/)
//   --out path     where the JSON goes (default bench/results.json; the pages' figures beside it, *-surfaces.json)
//   --calls N      simultaneous calls in the `calls` scenario (default 1000)
//   --instances N  also run every scenario against N app processes (node:cluster) and report N against 1
//   --url URL      drive a running deployment instead (its settings from .env / the environment; see remote.ts)
//   --against DIR  also run every scenario against the app of another checkout (a git worktree of an earlier
//                  commit, with node_modules) on the same Redis, interleaved: a before/after in one run
//   --only surfaces   the member, console and merchant pages over --memory-count entries each, 200 ms budget
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MissingRedisError } from './lib/managed-redis.ts';
import { renderMarkdown } from './lib/bench/report.ts';
import { runRemoteBench } from './lib/bench/remote.ts';
import { runBench, type BenchOptions } from './lib/bench/run.ts';
import { benchSurfaces, renderSurfaces } from './lib/bench/surfaces.ts';

const root = join(import.meta.dirname, '..');

function parseOptions(argv: string[]): { options: BenchOptions; out: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-memory': { type: 'boolean', default: false },
      'memory-count': { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      instances: { type: 'string' },
      calls: { type: 'string' },
      url: { type: 'string' },
      against: { type: 'string' },
    },
  });
  const number = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const connections = (values.connections ?? '1,10,50').split(',').map((c) => number('connections', c.trim(), 1, 1));
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const options: BenchOptions = {
    durationSeconds: number('duration', values.duration, values.quick ? 3 : 10, 1),
    warmupSeconds: number('warmup', values.warmup, values.quick ? 1 : 3, 0),
    connections: connections.map(Math.round),
    only: values.profile && only.length === 0 ? [values.profile] : only,
    memory: !values['no-memory'],
    memoryCount: Math.round(number('memory-count', values['memory-count'], 100_000, 1)),
    profile: values.profile,
    profileDir: join(root, 'bench'),
    instances: Math.round(number('instances', values.instances, 1, 1)),
    calls: values.calls === undefined ? undefined : Math.round(number('calls', values.calls, 1000, 1)),
    url: values.url,
    against: values.against === undefined ? undefined : resolve(values.against),
    log: (line) => console.error(line),
  };
  if (options.against) {
    if (options.url || (options.instances ?? 1) > 1) throw new Error('--against compares two checkouts on this machine: not with --url or --instances');
    if (!existsSync(join(options.against, 'scripts', 'lib', 'bench', 'server-process.ts'))) throw new Error(`--against ${options.against}: not a dialpass checkout (no scripts/lib/bench/server-process.ts)`);
    if (!existsSync(join(options.against, 'node_modules'))) throw new Error(`--against ${options.against}: run npm ci there first (or link this checkout's node_modules)`);
  }
  return { options, out: resolve(values.out ?? join(root, 'bench', 'results.json')) };
}

async function main(): Promise<void> {
  const { options, out } = parseOptions(process.argv.slice(2));
  // "surfaces" (the member, console and merchant pages over 100,000 entries) runs on its own:
  // it is measured against a fixed budget, not against a baseline.
  const surfacesWanted = !options.url && (options.only.length === 0 || options.only.includes('surfaces'));
  const only = options.only.filter((name) => name !== 'surfaces');
  const skipMain = options.only.length > 0 && only.length === 0;
  const results = skipMain ? undefined : options.url ? await runRemoteBench({ ...options, only, url: options.url }) : await runBench({ ...options, only });
  const surfaces = surfacesWanted ? await benchSurfaces({ entries: options.memoryCount, log: options.log }) : undefined;
  mkdirSync(dirname(out), { recursive: true });
  if (results) {
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(renderMarkdown(results));
  }
  if (surfaces) {
    const surfacesOut = out.replace(/\.json$/, '') + '-surfaces.json';
    writeFileSync(surfacesOut, `${JSON.stringify(surfaces, null, 2)}\n`);
    console.log(renderSurfaces(surfaces));
    console.error(`bench: pages JSON written to ${surfacesOut}`);
    if (!results) return;
  }
  console.error(`bench: JSON written to ${out}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    const expected = error instanceof MissingRedisError || /^bench: |^--/.test(String(error?.message));
    console.error(expected ? `bench: ${String(error.message).replace(/^bench: /, '')}` : error);
    process.exit(1);
  },
);
