import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { z } from 'zod';
import { AppError, invalidInput } from '../http/errors.ts';
import { paymentCodes } from '../identifiers/ids.ts';
import type { AnswerStore } from '../merchants/idempotency.ts';
import { countCodeCheck, takeAttempt, type GuessAttempt } from '../merchants/rate-limit.ts';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../store/redis.ts';
import { calendarDay } from '../shared/calendar.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { codeHash } from './code-secrets.ts';
import { afterMarkingMerchant, newEventId, outboxKeys } from '../merchants/outbox.ts';
import { recordActivity } from '../observability/activity.ts';

export interface CodeBalance {
  amount: number;
  remaining: number;
  currency: string;
  expiresAt: string;
  status: 'active' | 'redeemed' | 'expired';
}

export interface RedemptionContext {
  op: string;
  attempt?: GuessAttempt;
}

export interface Redemption {
  redemptionId: string;
  amount: number;
  currency: string;
  remaining: number;
}

/** What merchants may key: the 16 digits, optionally in groups separated by spaces or hyphens. */
const normaliseCode = (input: unknown) => (typeof input === 'string' ? input.replace(/[\s-]/g, '') : '');

const unknownCode = () => new AppError(404, 'unknown_code', API_TEXT.unknownCode);

/**
 * The check digit turns most typos into 422 before any lookup. Mistyped and unknown codes both
 * count against the merchant's failure allowance, which is what makes guessing hopeless.
 */
function hashOfValidCode(deps: CoreDeps, attempt: GuessAttempt | undefined, input: unknown): string {
  const code = normaliseCode(input);
  const check = paymentCodes.check(code);
  if (check !== 'ok') {
    attempt?.failed();
    throw new AppError(422, 'invalid_code', check === 'mistyped' ? API_TEXT.codeMistyped : API_TEXT.codeLength);
  }
  return codeHash(code, deps.config.hashPepper);
}

/** GET /api/merchant/codes/{code}: what is left on a code, for the merchant allowed to take it. */
export async function checkCode(deps: CoreDeps, merchantId: string, input: unknown): Promise<CodeBalance> {
  const attempt = await takeAttempt(deps, merchantId);
  try {
    return await balanceOf(deps, merchantId, attempt, input);
  } finally {
    await attempt.settle();
  }
}

async function balanceOf(deps: CoreDeps, merchantId: string, attempt: GuessAttempt, input: unknown): Promise<CodeBalance> {
  await countCodeCheck(deps, merchantId);
  const hash = hashOfValidCode(deps, attempt, input);
  const code = await deps.redis.hgetall(keys.paymentCode(hash));
  if (!code.amount) {
    attempt.failed();
    throw unknownCode();
  }
  if (code.merchantId && code.merchantId !== merchantId) {
    attempt.failed();
    throw wrongMerchant();
  }
  const remaining = Number(code.remaining);
  const expiresAt = Number(code.expiresAt);
  return {
    amount: Number(code.amount),
    remaining,
    currency: code.currency!,
    expiresAt: new Date(expiresAt).toISOString(),
    status: deps.now() >= expiresAt ? 'expired' : remaining <= 0 ? 'redeemed' : 'active',
  };
}

const wrongMerchant = () => new AppError(403, 'wrong_merchant', API_TEXT.wrongMerchant);

const redemptionInput = z.object({
  code: z.string().max(40, 'is too long'),
  amount: z.number().int('must be a whole number').positive('must be positive').max(1_000_000_000, 'is too large'),
  orderId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
});


/** What the merchant's slot keeps per redemption (record-redemption.lua). */
export interface BookedRedemption {
  codeHash: string;
  amount: number;
  at: number;
  /** `at` as ISO 8601, for the webhook event (Lua has no date formatting). */
  atIso: string;
  day: string;
  orderId: string;
}

/**
 * Books a redemption or a void in the merchant's slot, once per redemption ID, with its webhook
 * event; with an Idempotency-Key the merchant's answer is stored in the same script.
 */
export function book<Body>(
  deps: CoreDeps,
  merchantId: string,
  kind: 'redeem' | 'void',
  redemptionId: string,
  /** The redemption to book, or for a void the calendar day it was made on. */
  record: BookedRedemption | { day: string } | undefined,
  answer?: Body,
  store?: AnswerStore<Body>,
  attempt?: GuessAttempt,
) {
  const now = deps.now();
  const [merchant, outbox, order, due] = outboxKeys(merchantId);
  const booking = [keys.merchantRedemptions(merchantId), keys.merchantSettlement(merchantId), merchant, outbox, order, due, keys.merchantAttemptsInFlight(merchantId), keys.merchantRedemptionOrder(merchantId)] as const;
  // A successful redemption's guessing attempt ends in the booking script: one command fewer.
  const endsAttempt = attempt?.endedBy() ? '1' : '0';
  const event = [newEventId(), new Date(now).toISOString(), now, deps.config.currency, endsAttempt] as const;
  const json = record ? JSON.stringify(record) : '';
  return afterMarkingMerchant(deps.redis, merchantId, now, () =>
    store && answer !== undefined
      ? deps.redis.dpRecordRedemption(9, ...booking, store.key, kind, redemptionId, json, ...event, store.record(answer), store.keepSeconds)
      : deps.redis.dpRecordRedemption(8, ...booking, kind, redemptionId, json, ...event),
  );
}

/** The reconciler shard a code is marked in. */
export const unsettledShard = (codeHash: string) => (codeHash.charCodeAt(0) % 16).toString(16);

/**
 * Runs a debit (or void) on a code after marking the code for the reconciler, so a crash right
 * after the debit is always found. One connection runs commands in the order they were sent, so
 * on a single Redis the mark goes in the same pipeline, ahead of the debit, without a round trip
 * of its own; a cluster may send the two to different nodes, so there the mark is awaited first.
 * The mark's time is wall-clock (not the injectable clock): the reconciler compares it with its own.
 */
async function afterMarking<T>(redis: RedisClient, codeHash: string, debit: () => Promise<T>): Promise<T> {
  const mark = redis.zadd(keys.unsettledCodes(unsettledShard(codeHash)), Date.now(), codeHash);
  if (redis instanceof Cluster) await mark;
  const [, result] = await Promise.all([mark, debit()]);
  return result;
}

/** The entry is booked: it leaves the code's outbox. Not awaited: if it is lost, the reconciler finds the entry booked already. */
function settled(deps: CoreDeps, codeHash: string, field: string): void {
  deps.redis.hdel(keys.codeUnsettled(codeHash), field).catch(() => undefined);
}

/**
 * POST /api/merchant/redemptions, once runMerchantPost has taken a guessing attempt and claimed
 * the Idempotency-Key. Atomic for money even across a crash:
 *  1. the code is marked in a reconciler shard (so a crash after step 2 is found);
 *  2. redeem-code.lua in the code's slot: every check, the debit, and the redemption written to
 *     the code's unsettled outbox, in one step (this alone rules out double spending);
 *  3. record-redemption.lua books it in the merchant's slot (void lookup, settlement, the
 *     redemption.created event and the stored answer), once per redemption ID;
 *  4. the outbox entry is dropped. A crash between 2 and 4 leaves the entry; the reconciler
 *     (settlement-reconciler.ts) books it, and a retry under the same key books it too: both
 *     are the same redemption ID, so it is booked once.
 */
export async function redeemCode(deps: CoreDeps, merchantId: string, input: unknown, context: RedemptionContext, answerStore?: AnswerStore<Redemption>): Promise<Redemption> {
  const parsed = redemptionInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { amount, orderId } = parsed.data;
  const hash = hashOfValidCode(deps, context.attempt, parsed.data.code);
  // The operation ID of the Idempotency-Key's claim: random, shared by every retry under the key.
  const redemptionId = `rd_${context.op}`;
  const now = deps.now();
  const day = calendarDay(now, deps.config.timeZone);
  const [status, remaining, currency, redeemedAmount, at, bookedDay] = await afterMarking(deps.redis, hash, () =>
    deps.redis.dpRedeemCode(
      keys.paymentCode(hash),
      keys.codeRedemptions(hash),
      keys.codeUnsettled(hash),
      redemptionId,
      merchantId,
      amount,
      now,
      orderId ?? '',
      hash,
      day,
      deps.config.voidWindowHours * 3_600_000,
    ),
  );
  switch (scriptOutcome(status)) {
    case 'not_found':
      context.attempt?.failed();
      throw unknownCode();
    case 'expired':
      throw new AppError(410, 'expired', API_TEXT.codeExpired);
    case 'wrong_merchant':
      context.attempt?.failed();
      throw wrongMerchant();
    case 'already_redeemed':
      throw new AppError(409, 'already_redeemed', API_TEXT.alreadyRedeemed);
    case 'insufficient_balance':
      throw new AppError(409, 'insufficient_balance', API_TEXT.insufficientBalance(remaining));
    case 'done':
    case 'replayed': {
      // A replay books what was debited then (amount, time, day), as the reconciler would.
      const booked = redeemedAmount === undefined ? amount : Number(redeemedAmount);
      const bookedAt = at ? Number(at) : now;
      const record: BookedRedemption = { codeHash: hash, amount: booked, at: bookedAt, atIso: new Date(bookedAt).toISOString(), day: bookedDay || day, orderId: orderId ?? '' };
      const redemption: Redemption = { redemptionId, amount: booked, currency: currency!, remaining: Number(remaining) };
      await book(deps, merchantId, 'redeem', redemptionId, record, redemption, answerStore, context.attempt);
      settled(deps, hash, redemptionId);
      void recordActivity(deps, { kind: 'code.redeemed', key: `redeem:${redemptionId}`, at: bookedAt, actor: `merchant:${merchantId}`, merchantId, amount: booked, detail: redemptionId, day: { redemptions: 1, redeemed_amount: booked }, totals: { outstanding: -booked } });
      return redemption;
    }
    default:
      throw new Error(`unexpected redemption outcome ${status}`);
  }
}

export interface VoidedRedemption extends Redemption {
  status: 'voided';
}

/** POST /api/merchant/redemptions/{id}/void: only the redeeming merchant finds it (its own slot). */
export async function voidRedemption(deps: CoreDeps, merchantId: string, redemptionId: string, answerStore?: AnswerStore<VoidedRedemption>): Promise<VoidedRedemption> {
  const notFound = () => new AppError(404, 'unknown_redemption', API_TEXT.unknownRedemption);
  if (!/^rd_[A-Za-z0-9_-]{22}$/.test(redemptionId)) throw notFound();
  const booked = await deps.redis.hget(keys.merchantRedemptions(merchantId), redemptionId);
  if (!booked) throw notFound();
  const { codeHash: hash } = JSON.parse(booked) as { codeHash: string };
  // The settlement day the void is booked on: the redemption's own if still today, else an adjustment today.
  const voidDay = calendarDay(deps.now(), deps.config.timeZone);
  const [status, remaining, amount, currency] = await afterMarking(deps.redis, hash, () =>
    deps.redis.dpVoidRedemption(keys.paymentCode(hash), keys.codeRedemptions(hash), keys.codeUnsettled(hash), redemptionId, merchantId, deps.now(), deps.config.voidWindowHours * 3_600_000, voidDay),
  );
  const outcome = scriptOutcome(status);
  if (outcome === 'not_found') throw notFound();
  if (outcome === 'void_window_passed') {
    throw new AppError(409, 'void_window_passed', API_TEXT.voidWindowPassed(deps.config.voidWindowHours));
  }
  const voided: VoidedRedemption = { redemptionId, status: 'voided', amount: Number(amount), currency: currency!, remaining: Number(remaining) };
  await book(deps, merchantId, 'void', redemptionId, { day: voidDay }, voided, answerStore);
  settled(deps, hash, `void:${redemptionId}`);
  void recordActivity(deps, { kind: 'code.redemption_voided', key: `void:${redemptionId}`, at: deps.now(), actor: `merchant:${merchantId}`, merchantId, amount: voided.amount, detail: redemptionId, day: { voids: 1, voided_amount: voided.amount }, totals: { outstanding: voided.amount } });
  return voided;
}
