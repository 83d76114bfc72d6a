import { API_TEXT, type ApiText } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { AppError } from '../http/errors.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';

export const FAILURE_WINDOW_SECONDS = 3600;
const CHECK_WINDOW_SECONDS = 60;

const tooMany = (seconds: number, text: (seconds: number) => ApiText) =>
  new AppError(429, 'rate_limited', text(seconds), { 'Retry-After': String(Math.max(1, seconds)) });

/** The 429 for a merchant blocked for guessing; `secondsLeft` ≤ 0 when the counter has no TTL. */
export const blockedForGuessing = (secondsLeft: number) => tooMany(secondsLeft > 0 ? secondsLeft : FAILURE_WINDOW_SECONDS, API_TEXT.tooManyFailedAttempts);

/** Attempts of a process that died are never settled; the in-flight count forgets them after this. */
export const INFLIGHT_TTL_SECONDS = 60;

/**
 * Codes are only safe against guessing if each merchant can make few wrong tries: mistyped and
 * unknown codes (and codes of another merchant) count as failures in a fixed one-hour window of
 * MERCHANT_FAILURES_PER_HOUR. The decision comes first and counts what is still in flight: a
 * limited request is let through only while failures + attempts in flight < the allowance
 * (begin-merchant-post.lua, one atomic step), and settles afterwards (settle-attempt.lua).
 * Checking first and counting afterwards let a burst of parallel guesses all pass the check
 * before any of them was counted. The price: one merchant can have at most (allowance − failures)
 * limited requests in flight at once; past that it gets 429 with Retry-After: 1.
 */
export class GuessAttempt {
  private failedGuess = false;
  private settled = false;
  constructor(
    private readonly deps: CoreDeps,
    private readonly merchantId: string,
  ) {}

  /** This attempt was a failed guess: it stays counted. */
  failed(): void {
    this.failedGuess = true;
  }

  /**
   * Hands the end of this (successful) attempt to a script about to run in the merchant's slot
   * anyway (record-redemption.lua); true if it is to end it there. Once only, like settle().
   */
  endedBy(): boolean {
    if (this.settled || this.failedGuess) return false;
    this.settled = true;
    return true;
  }

  /** Ends the attempt; a failed guess stays counted in the window. Once only. */
  async settle(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.deps.redis.dpSettleAttempt(keys.merchantFailures(this.merchantId), keys.merchantAttemptsInFlight(this.merchantId), this.failedGuess ? '1' : '0', FAILURE_WINDOW_SECONDS);
  }
}

/** Takes one attempt from the merchant's guessing allowance, or throws the 429. */
export async function takeAttempt(deps: CoreDeps, merchantId: string): Promise<GuessAttempt> {
  const [code, seconds] = await deps.redis.dpBeginMerchantPost(2, keys.merchantFailures(merchantId), keys.merchantAttemptsInFlight(merchantId), deps.config.merchantFailuresPerHour, INFLIGHT_TTL_SECONDS);
  if (scriptOutcome(code) === 'rate_limited') throw blockedForGuessing(Number(seconds));
  return new GuessAttempt(deps, merchantId);
}

/** Balance checks are also limited per minute, right or wrong (counted and decided in one INCR). */
export async function countCodeCheck(deps: CoreDeps, merchantId: string): Promise<void> {
  const [count, ttl] = await deps.redis.dpCountFailure(keys.merchantCodeChecks(merchantId), CHECK_WINDOW_SECONDS);
  if (count > deps.config.merchantCodeChecksPerMinute) throw tooMany(ttl, API_TEXT.tooManyBalanceChecks);
}
