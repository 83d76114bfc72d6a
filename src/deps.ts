import type { Config } from './config.ts';
import type { RedisClient } from './store/redis.ts';

/**
 * What nearly every feature function needs: the configuration, Redis and the clock (tests move
 * the clock to see things expire). Features that need more extend it.
 */
export interface CoreDeps {
  config: Config;
  redis: RedisClient;
  now: () => number;
}
