// npm run measure:durability: what `appendfsync always` costs against `everysec` on a purchase-like
// write (the two Lua scripts a payment-code purchase runs: buy-code.lua charges the ledger and the
// monthly spend, issue-code.lua stores the code), through ioredis as the app uses it, against a
// managed redis-server with the append-only file on. Prints a Markdown table.
// Flags: --seconds 4 (per cell), --concurrency 1,16,64
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildConfig } from '../src/config.ts';
import { chargeCall } from '../src/accounts/ledger.ts';
import { keys } from '../src/store/keys.ts';
import { createRedisClient } from '../src/store/redis.ts';
import { startManagedRedis } from './lib/managed-redis.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, concurrency: { type: 'string', default: '1,16,64' } } });
const seconds = Number(values.seconds);
const levels = values.concurrency!.split(',').map(Number);

async function purchase(redis: ReturnType<typeof createRedisClient>, member: string): Promise<void> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const now = Date.now();
  const codeHash = randomBytes(16).toString('hex');
  const charge = chargeCall(
    { currency: 'JPY', monthlySpendingCap: 10_000_000, timeZone: 'Asia/Tokyo', charging: buildConfig({}).charging },
    now,
    { memberId: member, kind: 'code_purchase', step: 'buy-1', callSid, from: '+819012345678', amount: 500, cap: 'enforce', ledgerFields: { codeLast4: '1234' } },
  );
  await redis.dpBuyCode(...charge.keys, ...charge.argv, codeHash, 'sealed-code-placeholder-0123456789', '1234', '', now + 90 * 86400_000);
  await redis.dpIssueCode(keys.paymentCode(codeHash), 500, 'JPY', member, '', now + 90 * 86400_000, now, '1234', now + 180 * 86400_000);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

console.log(`| appendfsync | concurrent purchases | purchases/s | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|`);
for (const mode of ['everysec', 'always'] as const) {
  const managed = await startManagedRedis({ persistent: true, appendfsync: mode, log: () => undefined });
  const redis = createRedisClient(buildConfig({ REDIS_URL: managed.url }));
  try {
    for (const concurrency of levels) {
      const latencies: number[] = [];
      const until = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, worker) => {
          const member = `9${String(worker).padStart(10, '0')}`;
          while (performance.now() < until) {
            const started = performance.now();
            await purchase(redis, member);
            latencies.push(performance.now() - started);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      const f = (n: number) => n.toFixed(2);
      console.log(`| ${mode} | ${concurrency} | ${Math.round(latencies.length / seconds)} | ${f(quantile(latencies, 0.5))} | ${f(quantile(latencies, 0.99))} | ${f(latencies.at(-1) ?? 0)} |`);
    }
  } finally {
    redis.disconnect();
    await managed.stop();
  }
}
process.exit(0);
