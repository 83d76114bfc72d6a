import type { Config } from '../config.ts';
import { limitedAddress } from '../http/client-address.ts';
import { constantTimeEqual } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

const WINDOW_SECONDS = 15 * 60;
const ATTEMPTS_PER_WINDOW = 10;

export type SignInResult = 'ok' | 'wrong' | 'locked';

/**
 * A sign-in to the operator console or the merchant dashboard: each attempt is counted before the
 * secret is checked (take-attempt.lua, per client address), a right one gives its attempt back.
 */
export async function limitedSignIn(redis: RedisClient, counterKey: string, check: () => Promise<boolean> | boolean): Promise<SignInResult> {
  const [allowed] = await redis.dpTakeAttempt(counterKey, 'take', WINDOW_SECONDS, ATTEMPTS_PER_WINDOW);
  if (!allowed) return 'locked';
  if (!(await check())) return 'wrong';
  await redis.dpTakeAttempt(counterKey, 'refund');
  return 'ok';
}

/**
 * Checks ADMIN_TOKEN wherever it is given (the console's form, `Authorization: Bearer` on
 * /api/admin): one counter per client address for every route, taken before the check, so
 * guesses through the API count toward the console's lock and the other way round, and a locked
 * address is refused even the right token until the window ends.
 */
export function checkAdminToken(redis: RedisClient, config: Config, token: unknown, address: string | undefined): Promise<SignInResult> {
  return limitedSignIn(redis, keys.adminLoginFailures(limitedAddress(address)), () => typeof token === 'string' && constantTimeEqual(token.trim(), config.adminToken));
}

/** The same for METRICS_TOKEN on GET /metrics, with a counter of its own. */
export function checkMetricsToken(redis: RedisClient, expected: string, token: string, address: string | undefined): Promise<SignInResult> {
  return limitedSignIn(redis, keys.metricsTokenFailures(limitedAddress(address)), () => constantTimeEqual(token, expected));
}
