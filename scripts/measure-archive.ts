// npm run measure:archive: how long `npm run archive` takes, and what it gives back in Redis.
// Seeds --members members (default 1,000) with --per-member old charges each (default 100: 100,000
// ledger entries sixteen months old) and two recent ones, through the charge primitive, into a
// throwaway redis-server; then archives once (export to CSV, fsync, trim) and reports the time,
// the CSV size and Redis used_memory before and after. Flags: --members 1000 --per-member 100
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { archive, ARCHIVE_FILES } from '../src/archive/archive.ts';
import { buildConfig } from '../src/config.ts';
import { createRedisClient } from '../src/store/redis.ts';
import { seedLedger, type SeededCall } from './lib/carrier-statements.ts';
import { startManagedRedis } from './lib/managed-redis.ts';

const { values } = parseArgs({ options: { members: { type: 'string', default: '1000' }, 'per-member': { type: 'string', default: '100' } } });
const members = Number(values.members);
const perMember = Number(values['per-member']);
const managed = await startManagedRedis({ log: () => undefined });
const config = buildConfig({ REDIS_URL: managed.url });
const redis = createRedisClient(config);
const outDir = mkdtempSync(join(tmpdir(), 'dialpass-archive-'));
const now = Date.now();
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
try {
  const calls = (count: number, at: number, tag: string): SeededCall[] =>
    Array.from({ length: members * count }, (_, i) => ({
      memberId: String(20_000_000_000 + (i % members)),
      callSid: `CA${tag}${String(i).padStart(10, '0')}`,
      from: `+8190${String(i % members).padStart(8, '0')}`,
      at: at + Math.floor(i / members) * 60_000,
      charges: [{ kind: 'renewal' as const, amount: 300 }],
    }));
  await seedLedger(redis, config, calls(perMember, now - 16 * 31 * 86_400_000, 'old'));
  await seedLedger(redis, config, calls(2, now - 86_400_000, 'new'));
  const before = await usedMemory();
  const started = performance.now();
  const report = await archive(redis, { outDir, now, onlineMonths: config.ledgerOnlineMonths, voidWindowHours: config.voidWindowHours });
  const seconds = (performance.now() - started) / 1000;
  const after = await usedMemory();
  const csvBytes = statSync(join(report.runDir!, ARCHIVE_FILES.ledger)).size;
  const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MiB`;
  console.log(
    [
      `archive ${report.exported.ledger.toLocaleString('en-US')} ledger entries of ${members} members: ${seconds.toFixed(2)} s (${Math.round(report.exported.ledger / seconds).toLocaleString('en-US')} entries/s)`,
      `trimmed ${report.trimmed.ledger.toLocaleString('en-US')}, head changed ${report.headChanged.length}; ledger.csv ${mb(csvBytes)} (${Math.round(csvBytes / report.exported.ledger)} B per entry)`,
      `Redis used_memory ${mb(before)} -> ${mb(after)} (${Math.round((before - after) / report.trimmed.ledger)} B per archived entry)`,
    ].join('\n'),
  );
} finally {
  redis.disconnect();
  await managed.stop();
  rmSync(outDir, { recursive: true, force: true });
}
process.exit(0);
