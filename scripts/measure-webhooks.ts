// npm run measure:webhooks: how fast a backlog of webhook events drains, and whether a slow
// merchant slows the others. Seeds --merchants merchants (default 10) with --per-merchant expired
// payment requests each (default 300: a backlog of 3,000 `payment_request.expired` events) in a
// throwaway redis-server, with one local receiver that answers at once; with --slow, one more
// merchant whose endpoint answers after 9 s has as many events. Then starts the background worker
// as the app does (WORKER_POLL_MS 1000, the default limits) and reports how long until every fast
// merchant's event was received, and the rate. Flags: --merchants 10 --per-merchant 300 --slow
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startBackgroundWork } from '../src/background.ts';
import { buildConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createMerchant } from '../src/merchants/merchants.ts';
import { createPaymentRequest } from '../src/payments/payment-requests.ts';
import { createRedisClient } from '../src/store/redis.ts';
import { startManagedRedis } from './lib/managed-redis.ts';

const USAGE = 'usage: npm run measure:webhooks -- [--merchants 10] [--per-merchant 300] [--slow]';
const { values } = (() => {
  try {
    return parseArgs({ options: { merchants: { type: 'string', default: '10' }, 'per-merchant': { type: 'string', default: '300' }, slow: { type: 'boolean', default: false }, help: { type: 'boolean' } } });
  } catch (error) {
    console.error(`measure:webhooks: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const merchants = Number(values.merchants);
const perMerchant = Number(values['per-merchant']);
if (!Number.isInteger(merchants) || merchants < 1 || !Number.isInteger(perMerchant) || perMerchant < 1) {
  console.error(`measure:webhooks: --merchants and --per-merchant must be whole numbers above 0\n${USAGE}`);
  process.exit(2);
}

const managed = await startManagedRedis({ log: () => undefined });
const config = buildConfig({ REDIS_URL: managed.url, LOG_LEVEL: 'silent', PAYMENT_REQUEST_TTL_MINUTES: '1' });
const redis = createRedisClient(config);
const logger = createLogger(config);
let offset = 0;
const now = () => Date.now() + offset;
const deps = { config, redis, logger, now };

let fastReceived = 0;
let slowReceived = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/slow') {
      setTimeout(() => {
        slowReceived++;
        res.writeHead(204).end();
      }, 9000);
      return;
    }
    fastReceived++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
try {
  const shops = [];
  for (let m = 0; m < merchants; m++) shops.push((await createMerchant(deps, { name: `Shop ${m}`, webhookUrl: `${base}/fast` })).merchantId);
  if (values.slow) shops.push((await createMerchant(deps, { name: 'Slow shop', webhookUrl: `${base}/slow` })).merchantId);
  await Promise.all(
    shops.map(async (merchantId) => {
      for (let i = 0; i < perMerchant; i++) await createPaymentRequest(deps, merchantId, { amount: 100, description: 'Backlog' }, String(i).padStart(14, '0'));
    }),
  );
  const fastTotal = merchants * perMerchant;
  offset = 2 * 60_000;
  const started = performance.now();
  const background = startBackgroundWork(deps);
  while (fastReceived < fastTotal) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  // (The worker before issue 24 had no deliveries(): the script also runs on older checkouts, for a before/after.)
  const peak = 'deliveries' in background ? (background as { deliveries(): { peak: number } }).deliveries().peak : '?';
  await (background.stop as (deadlineAt?: number) => Promise<void>)(Date.now() + 1000);
  console.log(
    [
      `backlog ${fastTotal.toLocaleString('en-US')} events of ${merchants} merchants${values.slow ? ` (+ ${perMerchant} of a merchant whose endpoint answers in 9 s: ${slowReceived} of them answered meanwhile)` : ''}`,
      `drained in ${seconds.toFixed(2)} s: ${Math.round(fastTotal / seconds).toLocaleString('en-US')} events/s, ${(fastTotal / seconds / merchants).toFixed(1)} per merchant per s; at most ${peak} deliveries at once`,
    ].join('\n'),
  );
} finally {
  receiver.closeAllConnections();
  receiver.close();
  redis.disconnect();
  await managed.stop();
}
process.exit(0);
