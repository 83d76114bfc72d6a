// npm run measure:reconcile: how long `npm run carrier:reconcile` takes for a month of calls.
// Seeds N premium-rate calls (default 10,000) on four numbers of different tariffs (their call
// records, and their sales through the charge primitive) into a throwaway redis-server, writes the
// carrier's statement with planted discrepancies, and times reconcile() (statement read line by
// line, call records read from the ended-calls list, ledger streamed by SCAN): best of --runs. The Node process is one thread; pin it with `taskset -c 0` for "one core".
// Flags: --calls 10000 --runs 3
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reconcile } from '../src/carrier/reconcile.ts';
import { readStatement } from '../src/carrier/statement.ts';
import { buildConfig } from '../src/config.ts';
import { createRedisClient } from '../src/store/redis.ts';
import { generateCalls, PREMIUM_TRAFFIC_ENV, seedCalls, writeStatement } from './lib/carrier-statements.ts';
import { startManagedRedis } from './lib/managed-redis.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const count = Number(values.calls);
const managed = await startManagedRedis({ log: () => undefined });
const config = buildConfig({ REDIS_URL: managed.url, ...PREMIUM_TRAFFIC_ENV });
const redis = createRedisClient(config);
const dir = mkdtempSync(join(tmpdir(), 'dialpass-reconcile-'));
try {
  const calls = generateCalls(count, Date.parse('2026-11-01T00:00:00Z'), config.charging.premiumNumbers);
  await seedCalls(redis, config, calls);
  const planted = writeStatement(join(dir, 'statement.csv'), calls, { dropEvery: 500, misbillEvery: 400, extra: 20 });
  const times: number[] = [];
  let summary = '';
  for (let run = 0; run < Number(values.runs); run++) {
    const started = performance.now();
    const report = await reconcile(redis, config, readStatement(planted.path));
    times.push(performance.now() - started);
    summary = `matched ${report.matched.count}, differences ${report.differences.length} (planted ${planted.misbilled.length}), dialpass only ${report.ledgerOnly.length} (planted ${planted.dropped.length}), carrier only ${report.carrierOnly.length} (planted ${planted.extra}), ${report.callRecordsRead} call records, ${report.ledgerEntriesRead} ledger entries`;
  }
  const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;
  console.log(`reconcile ${count} calls: best ${ms(Math.min(...times))}, runs ${times.map(ms).join(' / ')}\n${summary}`);
} finally {
  redis.disconnect();
  await managed.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
