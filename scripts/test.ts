// npm test: runs mocha over test/unit and test/integration against a real Redis. With no
// REDIS_URL it starts a throwaway redis-server for the run; the browser tests need Debian's
// chromium, installed here when missing (as root). Extra arguments go to mocha; test files
// named there run instead of the whole suite (npm test -- test/integration/x.test.ts).
// `--cluster` (npm run test:cluster): the same tests against a throwaway 3-master + 3-replica
// Redis Cluster (REDIS_CLUSTER_NODES) instead of one redis-server, each test app being two
// instances that take requests in turn.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { processEnv } from '../src/config.ts';
import { MissingRedisError, startManagedCluster, startManagedRedis } from './lib/managed-redis.ts';
import { ensureChromium, MissingChromiumError } from './lib/ensure-chromium.ts';

async function main(): Promise<number> {
  const env = processEnv();
  ensureChromium((line) => console.log(line));
  let stopRedis = async () => {};
  const cluster = process.argv.includes('--cluster');
  if (cluster) {
    const started = performance.now();
    const local = await startManagedCluster({ log: (line) => console.log(line) });
    env.REDIS_URL = '';
    env.REDIS_CLUSTER_NODES = local.nodesEnv;
    // Every test app is two instances taking requests in turn (test/support/harness.ts).
    env.TEST_INSTANCES = '2';
    stopRedis = local.stop;
    console.log(`test: using a throwaway Redis Cluster (3 masters + 3 replicas, ready in ${((performance.now() - started) / 1000).toFixed(1)} s) at ${local.nodesEnv}`);
  } else if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    const redis = await startManagedRedis({ log: (line) => console.log(line) });
    env.REDIS_URL = redis.url;
    stopRedis = redis.stop;
    console.log(`test: using a throwaway redis-server at ${redis.url}`);
  }
  const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  const args = process.argv.slice(2).filter((arg) => arg !== '--cluster');
  const namesFiles = args.some((arg) => !arg.startsWith('-') && arg.endsWith('.ts'));
  const spec = namesFiles ? [] : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'];
  const child = spawn(process.execPath, [mocha, ...args, ...spec], { stdio: 'inherit', env });
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  await stopRedis();
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof MissingRedisError || error instanceof MissingChromiumError ? `test: ${error.message}` : error);
    process.exit(1);
  },
);
