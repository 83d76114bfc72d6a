import type { Config } from '../config.ts';
import { calendarMonth } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

/** How long a month's spend counter lives: long enough to outlive the month it counts. */
export const SPEND_TTL_SECONDS = 40 * 24 * 3600;

/** The hold a card charge of this call step takes against the monthly cap (scripts/cap-holds.lua). */
export const capHoldId = (callSid: string, step: string) => `${callSid}/${step}`;

/** How long a hold lasts if nothing charges or releases it (a call that died): longer than a card entry and a charge take. */
const CAP_HOLD_MS = 15 * 60_000;

type CapConfig = Pick<Config, 'monthlySpendingCap' | 'timeZone'>;

/**
 * Holds `amount` against the monthly cap before a card is asked for or charged (the cap held,
 * not only checked: two calls racing never pass it together); undefined when held, or the
 * allowance left when the amount would pass the cap. The same call step again holds nothing more.
 */
export async function holdCap(redis: RedisClient, config: CapConfig, hold: { memberId: string; callSid: string; step: string }, amount: number, nowMs: number): Promise<number | undefined> {
  const spend = keys.monthlySpend(hold.memberId, calendarMonth(nowMs, config.timeZone));
  const [status, remaining] = await redis.dpHoldCap(spend, keys.capHolds(hold.memberId), 'hold', capHoldId(hold.callSid, hold.step), amount, config.monthlySpendingCap, nowMs, CAP_HOLD_MS, SPEND_TTL_SECONDS);
  return status === 1 ? undefined : Number(remaining);
}

/** Gives a hold back when nothing was charged (declined, stopped, hung up); nothing happens if it was charged or already given back. */
export async function releaseCap(redis: RedisClient, config: Pick<Config, 'timeZone'>, hold: { memberId: string; callSid: string; step: string }, nowMs: number): Promise<void> {
  await redis.dpHoldCap(keys.monthlySpend(hold.memberId, calendarMonth(nowMs, config.timeZone)), keys.capHolds(hold.memberId), 'release', capHoldId(hold.callSid, hold.step));
}
