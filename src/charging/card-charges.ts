import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';
import { releaseCap } from './cap-holds.ts';
import type { CardChargeOutcome, CardChargeRequest, CardProcessor } from './card-processor.ts';
import type { ChargeKind } from './methods.ts';

/**
 * Card charges made through the processor's API (CARD_PROCESSOR=stripe), so that none is ever
 * made twice or lost (docs/CHARGING.md, "A charge whose outcome is unknown"):
 *
 *  1. a record of the charge is written in the member's slot and indexed with a lease: until the
 *     lease ends, the call step that makes it is left to finish it;
 *  2. the processor prepares the payment (no money moves) and its reference is stored;
 *  3. the processor confirms it, with one idempotency key per call step, so a retry, a Twilio
 *     retry or a restart replays instead of charging again;
 *  4. the step books the charge (the one charge primitive) and drops the record.
 *
 * Whatever stops this midway (the app dies, the processor does not answer), the background finds
 * the record once its lease ends and reads the payment at the processor: booked already, dropped;
 * never charged, made uncharged for good; charged but never booked, refunded in full, as the caller
 * was told ("if your card was charged, it will be refunded in full").
 */

export interface CardChargeDeps extends CoreDeps {
  processor: CardProcessor;
}

export interface CardChargeOrder {
  memberId: string;
  callSid: string;
  /** The call step the charge is booked under (activate, renew, buy-<nonce>, approve-<request>). */
  step: string;
  kind: ChargeKind;
  amount: number;
  paymentMethod: string;
  customer?: string;
  keep: boolean;
}

/** What charging gave: the processor's outcome, or `failed` when no payment could even be named (nothing was charged). */
export type CardChargeResult = CardChargeOutcome | { status: 'failed'; why: string };

const indexMember = (order: Pick<CardChargeOrder, 'memberId' | 'callSid' | 'step'>) => `${order.memberId}|${order.callSid}|${order.step}`;

const idempotencyKey = (order: Pick<CardChargeOrder, 'memberId' | 'callSid' | 'step'>) => `dialpass:${order.memberId}:${order.callSid}:${order.step}`;

/** Charges the card for one call step; a second call for the same step (a Twilio retry) reuses the same payment. */
export async function chargeCard(deps: CardChargeDeps, order: CardChargeOrder): Promise<CardChargeResult> {
  const { redis, config, processor } = deps;
  const recordKey = keys.cardCharge(order.memberId, order.callSid, order.step);
  const leaseUntil = deps.now() + config.cardChargeLeaseSeconds * 1000;
  await redis.hset(recordKey, { kind: order.kind, amount: order.amount, at: deps.now() });
  await redis.expire(recordKey, 7 * 86400);
  await redis.zadd(keys.cardChargesPending(), leaseUntil, indexMember(order));
  const request: CardChargeRequest = {
    idempotencyKey: idempotencyKey(order),
    amount: order.amount,
    currency: config.currency,
    paymentMethod: order.paymentMethod,
    customer: order.customer,
    keep: order.keep,
    description: `dialpass ${order.kind.replace('_', ' ')}`,
    metadata: { member: order.memberId, callSid: order.callSid, step: order.step },
  };
  let reference = await redis.hget(recordKey, 'reference');
  if (!reference) {
    try {
      reference = (await processor.prepare(request)).reference;
    } catch (error) {
      // Nothing was confirmed, so nothing can have been charged.
      await dropRecord(deps, order);
      return { status: 'failed', why: error instanceof Error ? error.message : String(error) };
    }
    await redis.hset(recordKey, 'reference', reference);
  }
  let outcome = await processor.confirm(reference, request);
  if (outcome.status === 'unknown') {
    // The idempotent confirm was retried already; now the payment itself is read.
    const found = await processor.status(reference).catch(() => 'pending' as const);
    if (found === 'succeeded') outcome = { status: 'succeeded', reference };
    else if (found === 'not-charged') outcome = { status: 'declined', code: 'processing_error' };
  }
  if (outcome.status === 'unknown') {
    // Handed to the background at once: the caller is told the truth and nothing is booked.
    await redis.zadd(keys.cardChargesPending(), deps.now(), indexMember(order));
  } else if (outcome.status !== 'succeeded') await dropRecord(deps, order);
  return outcome;
}

/** The charge is booked (or was refunded): its record goes. */
export async function cardChargeSettled(deps: CoreDeps, order: Pick<CardChargeOrder, 'memberId' | 'callSid' | 'step'>): Promise<void> {
  await dropRecord(deps, order);
}

async function dropRecord(deps: CoreDeps, order: Pick<CardChargeOrder, 'memberId' | 'callSid' | 'step'>) {
  await deps.redis.del(keys.cardCharge(order.memberId, order.callSid, order.step));
  await deps.redis.zrem(keys.cardChargesPending(), indexMember(order));
}

/** A charge that was made but could not be booked (refunded through the processor): kept for the operator to see. */
export async function refundCardCharge(deps: CardChargeDeps, order: Pick<CardChargeOrder, 'memberId' | 'callSid' | 'step' | 'kind'> & { reference: string; why: string }): Promise<void> {
  await deps.processor.refund(order.reference, `${idempotencyKey(order)}:refund`);
  await deps.redis.hset(
    keys.cardChargesToRefund(),
    `${order.callSid}/${order.step}`,
    JSON.stringify({ memberId: order.memberId, kind: order.kind, reference: order.reference, refunded: true, why: order.why, at: deps.now() }),
  );
}

/**
 * The background's part: every charge whose lease has run out is settled by what the processor
 * says of it. Returns how many were settled.
 */
export async function settleCardCharges(deps: CardChargeDeps, limit = 50): Promise<number> {
  const { redis } = deps;
  const due = await redis.zrangebyscore(keys.cardChargesPending(), '-inf', deps.now(), 'LIMIT', 0, limit);
  let settled = 0;
  for (const entry of due) {
    const [memberId = '', callSid = '', step = ''] = entry.split('|');
    const order = { memberId, callSid, step };
    const record = await redis.hgetall(keys.cardCharge(memberId, callSid, step));
    if (!record.kind) {
      await redis.zrem(keys.cardChargesPending(), entry);
      continue;
    }
    try {
      if (await redis.exists(keys.callStep(memberId, callSid, step))) {
        // Booked by its call step, which died before dropping the record.
      } else if (record.reference) {
        const found = await deps.processor.status(record.reference);
        if (found === 'pending') {
          await redis.zadd(keys.cardChargesPending(), deps.now() + deps.config.cardChargeLeaseSeconds * 1000, entry);
          continue;
        }
        if (found === 'succeeded') await refundCardCharge(deps, { ...order, kind: record.kind as ChargeKind, reference: record.reference, why: 'charged, but the call ended before the charge was booked' });
        else await deps.processor.cancel(record.reference);
        await releaseCap(redis, deps.config, order, deps.now());
      } else {
        // Never confirmed: nothing can have been charged.
        await releaseCap(redis, deps.config, order, deps.now());
      }
      await dropRecord(deps, order);
      settled++;
    } catch {
      // The processor is away: tried again after another lease.
      await redis.zadd(keys.cardChargesPending(), deps.now() + deps.config.cardChargeLeaseSeconds * 1000, entry);
    }
  }
  return settled;
}
