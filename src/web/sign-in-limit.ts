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
