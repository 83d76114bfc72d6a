import { AppError } from '../http/errors.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import type { MerchantDeps } from './merchants.ts';

const FAILURE_WINDOW_SECONDS = 3600;
const CHECK_WINDOW_SECONDS = 60;

const tooMany = (seconds: number, what: string) =>
  new AppError(429, 'rate_limited', `Too many ${what}; try again in ${Math.max(1, seconds)} second(s).`, { 'Retry-After': String(Math.max(1, seconds)) });

/** The 429 for a merchant blocked for guessing; `secondsLeft` ≤ 0 when the counter has no TTL. */
export const blockedForGuessing = (secondsLeft: number) => tooMany(secondsLeft > 0 ? secondsLeft : FAILURE_WINDOW_SECONDS, 'failed attempts');

/**
 * Codes are only safe against guessing if each merchant can make few wrong tries: mistyped and
 * unknown codes count as failures in a fixed one-hour window, and once MERCHANT_FAILURES_PER_HOUR
 * is reached every balance check and redemption of that merchant answers 429 until it resets.
 * The check is begin-merchant-post.lua; redemptions run it together with their Idempotency-Key
 * (see runMerchantPost), balance checks through here.
 */
export async function assertNotBlocked(deps: MerchantDeps, merchantId: string): Promise<void> {
  const [code, seconds] = await deps.redis.dpBeginMerchantPost(1, keys.merchantFailures(merchantId), deps.config.merchantFailuresPerHour);
  if (scriptOutcome(code) === 'rate_limited') throw blockedForGuessing(Number(seconds));
}

export async function countFailure(deps: MerchantDeps, merchantId: string): Promise<void> {
  await deps.redis.dpCountFailure(keys.merchantFailures(merchantId), FAILURE_WINDOW_SECONDS);
}

/** Balance checks are also limited per minute, right or wrong. */
export async function countCodeCheck(deps: MerchantDeps, merchantId: string): Promise<void> {
  const [count, ttl] = await deps.redis.dpCountFailure(keys.merchantCodeChecks(merchantId), CHECK_WINDOW_SECONDS);
  if (count > deps.config.merchantCodeChecksPerMinute) throw tooMany(ttl, 'balance checks');
}
