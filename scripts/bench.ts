// npm run bench: drives the app with autocannon beside two bare-Express baselines and a floor
// stand-in per Redis-touching step, in one interleaved run, and reports every figure as a ratio.
// `npm run bench -- --help` lists the options; docs/PERFORMANCE.md explains the figures.
//
// Where the bench's code is (scripts/lib/bench/):
//   options.ts   the command line and its help          scenarios.ts  what each scenario sends and expects
//   run.ts       one local run, start to finish         floors.ts     the floor stand-in of each step
//   measure.ts   slices, interleaving, CPU and Redis    targets.ts    PASS / MISS, and a MISS's microseconds
//   results.ts   the JSON's shape                       report.ts     the Markdown tables
//   server-*.ts  the processes under test               calls.ts, logins.ts, memory.ts, surfaces.ts, remote.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MissingRedisError } from './lib/managed-redis.ts';
import { COMMITTED_RESULTS, HELP, parseBenchOptions, UsageError } from './lib/bench/options.ts';
import { renderMarkdown } from './lib/bench/report.ts';
import { runRemoteBench } from './lib/bench/remote.ts';
import { runBench } from './lib/bench/run.ts';
import { benchSurfaces, renderSurfaces } from './lib/bench/surfaces.ts';

async function main(): Promise<void> {
  const parsed = parseBenchOptions(process.argv.slice(2), (line) => console.error(line));
  if (!parsed) {
    process.stdout.write(HELP);
    return;
  }
  const { options, out } = parsed;
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
  console.error(`bench: JSON written to ${out}${out === COMMITTED_RESULTS ? '' : ' (npm run bench -- --save writes bench/results.json)'}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}`);
      process.exit(2);
    }
    const expected = error instanceof MissingRedisError || /^bench: |^--/.test(String(error?.message));
    console.error(expected ? `bench: ${String(error.message).replace(/^bench: /, '')}` : error);
    process.exit(1);
  },
);
