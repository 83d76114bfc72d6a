// The configuration and Redis an operator's command (carrier:reconcile, archive) works with.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../src/config.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';

/** REDIS_URL (or REDIS_CLUSTER_NODES), or the redis-server `npm start` runs (its port is in the data directory's lock file); undefined when there is none. */
function operatorRedisUrl(config: Config): string | undefined {
  if (config.redis.url || config.redis.clusterNodes.length) return config.redis.url ?? '';
  const lock = join(config.redis.dataDir ?? join(new URL('../..', import.meta.url).pathname, '.data', 'redis'), 'dialpass.lock');
  const port = existsSync(lock) ? (JSON.parse(readFileSync(lock, 'utf8')) as { port?: number }).port : undefined;
  return port ? `redis://127.0.0.1:${port}` : undefined;
}

/** Loads the configuration and connects; a configuration error or no Redis to reach goes to `fail` (exit code 1). */
export function operatorSetup(fail: (message: string, code?: number) => never): { config: Config; redis: RedisClient } {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 1);
    throw error;
  }
  const url = operatorRedisUrl(config) ?? fail('REDIS_URL is empty and no `npm start` is running its own redis-server: start dialpass, or set REDIS_URL', 1);
  return { config, redis: createRedisClient({ ...config, redis: { ...config.redis, url } }) };
}
