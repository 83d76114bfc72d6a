import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';
import { releaseCap } from './cap-holds.ts';
import { processorNamed, type CardChargeOutcome, type PaymentProcessor, type ProcessorChargeRequest } from './card-processor.ts';
import type { ChargeKind } from './methods.ts';

/**
 * Charges made through a processor's API (a card, CARD_PROCESSOR=stripe; the calling line's phone
 * bill, carrier-billing), so that none is ever made twice or lost (docs/CHARGING.md, "Exactly
 * once"):
 *
 *  1. a record of the charge is written in the member's slot and indexed with a lease: until the
 *     lease ends, the call step that makes it is left to finish it;
 *  2. the processor prepares the payment (no money moves: a PaymentIntent, a reservation on the
 *     line) and its reference is stored;
 *  3. the processor confirms it, with one idempotency key per call step, so a retry, a Twilio
 *     retry or a restart replays instead of charging again;
 *  4. the step books the charge (the one charge primitive) and drops the record.
 *
 * Whatever stops this midway (the app dies, the caller hangs up while a code is asked for, the
 * processor does not answer), the background finds the record once its lease ends and reads the
 * payment at the processor: booked already, dropped; never charged (or only reserved), made
 * uncharged for good; charged but never booked, refunded in full, as the caller was told ("if you
 * were charged, it will be refunded in full").
 */

export interface ChargeDeps extends CoreDeps {
  processor: PaymentProcessor;
}
/** @deprecated the name from before carrier billing. */
export type CardChargeDeps = ChargeDeps;

export interface ChargeOrder {
  memberId: string;
  callSid: string;
  /** The call step the charge is booked under (activate, renew, buy-<nonce>, approve-<request>). */
  step: string;
  kind: ChargeKind;
  amount: number;
  /** A card: the tokenized or kept card, the member's customer, whether to keep it. */
  paymentMethod?: string;
  customer?: string;
  keep?: boolean;
  /** Carrier billing: the calling line to charge (E.164). */
  phoneNumber?: string;
}
/** @deprecated the name from before carrier billing. */
export type CardChargeOrder = ChargeOrder;

/** What charging gave: the processor's outcome, or `failed` when no payment could even be named (nothing was charged). */
export type CardChargeResult = CardChargeOutcome | { status: 'failed'; why: string };

/** What preparing gave: named (perhaps waiting for a code texted to the line), or refused (nothing reserved, said so). */
export type PrepareResult = { status: 'prepared'; reference: string; validation?: { authorizationId: string } } | { status: 'declined'; code: string } | { status: 'failed'; why: string };

type StepRef = Pick<ChargeOrder, 'memberId' | 'callSid' | 'step'>;

const indexMember = (order: StepRef) => `${order.memberId}|${order.callSid}|${order.step}`;

/** One payment's idempotency key (Stripe) and clientCorrelator (carrier billing), from the call step alone. */
export const idempotencyKey = (order: StepRef) => `dialpass:${order.memberId}:${order.callSid}:${order.step}`;

const requestFor = (deps: CoreDeps, order: ChargeOrder): ProcessorChargeRequest => ({
  idempotencyKey: idempotencyKey(order),
  amount: order.amount,
  currency: deps.config.currency,
  paymentMethod: order.paymentMethod,
  customer: order.customer,
  keep: order.keep,
  phoneNumber: order.phoneNumber,
  referenceCode: idempotencyKey(order),
  description: `dialpass ${order.kind.replace('_', ' ')}`,
  metadata: { member: order.memberId, callSid: order.callSid, step: order.step },
});

/**
 * Steps 1 and 2: the record, then the payment named at the processor (a Twilio retry of the step
 * finds the reference already stored and reuses it).
 */
export async function prepareCharge(deps: ChargeDeps, order: ChargeOrder): Promise<PrepareResult> {
  const { redis, config, processor } = deps;
  const recordKey = keys.cardCharge(order.memberId, order.callSid, order.step);
  await redis.hset(recordKey, { processor: processor.name, kind: order.kind, amount: order.amount, at: deps.now(), ...(order.phoneNumber ? { line: order.phoneNumber } : {}) });
  await redis.expire(recordKey, 7 * 86400);
  await redis.zadd(keys.cardChargesPending(), deps.now() + config.cardChargeLeaseSeconds * 1000, indexMember(order));
  const stored = await redis.hmget(recordKey, 'reference', 'authorizationId');
  if (stored[0]) return { status: 'prepared', reference: stored[0], ...(stored[1] ? { validation: { authorizationId: stored[1] } } : {}) };
  let prepared;
  try {
    prepared = await processor.prepare(requestFor(deps, order));
  } catch (error) {
    // Not known whether the processor named a payment: left to the background, which asks it.
    if (processor.name === 'carrier-billing') return { status: 'failed', why: error instanceof Error ? error.message : String(error) };
    // A card's PaymentIntent is only created here, never confirmed: nothing can have been charged.
    await dropRecord(deps, order);
    return { status: 'failed', why: error instanceof Error ? error.message : String(error) };
  }
  if ('declined' in prepared) {
    await dropRecord(deps, order);
    return { status: 'declined', code: prepared.declined };
  }
  await redis.hset(recordKey, { reference: prepared.reference, ...(prepared.validation ? { authorizationId: prepared.validation.authorizationId } : {}), ...(prepared.serverReference ? { serverReference: prepared.serverReference } : {}) });
  // The operator's notifications name the payment: they find the charge through this.
  if (processor.name === 'carrier-billing') await redis.set(keys.carrierPayment(prepared.reference), indexMember(order), 'EX', 7 * 86400);
  return { status: 'prepared', reference: prepared.reference, validation: prepared.validation };
}

/** Step 3: confirm the prepared payment; an outcome still unknown after reading it back is handed to the background. */
export async function confirmCharge(deps: ChargeDeps, order: ChargeOrder, reference: string): Promise<CardChargeResult> {
  const { redis, processor } = deps;
  let outcome: CardChargeResult = await processor.confirm(reference, requestFor(deps, order));
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

/** Charges a card for one call step (prepare, then confirm); a second call for the same step (a Twilio retry) reuses the same payment. */
export async function chargeCard(deps: ChargeDeps, order: ChargeOrder): Promise<CardChargeResult> {
  const prepared = await prepareCharge(deps, order);
  if (prepared.status !== 'prepared') return prepared.status === 'declined' ? { status: 'declined', code: prepared.code } : prepared;
  return confirmCharge(deps, order, prepared.reference);
}

/** Nothing will be charged after all (the caller said no, hung up, or the code was refused): the reservation goes at once. */
export async function abandonCharge(deps: ChargeDeps, order: StepRef): Promise<void> {
  const reference = await deps.redis.hget(keys.cardCharge(order.memberId, order.callSid, order.step), 'reference');
  if (reference) await deps.processor.cancel(reference);
  await dropRecord(deps, order);
}

/** The charge is booked (or was refunded): its record goes. */
export async function cardChargeSettled(deps: CoreDeps, order: StepRef): Promise<void> {
  await dropRecord(deps, order);
}

async function dropRecord(deps: CoreDeps, order: StepRef) {
  await deps.redis.del(keys.cardCharge(order.memberId, order.callSid, order.step));
  await deps.redis.zrem(keys.cardChargesPending(), indexMember(order));
}

/** A charge that was made but could not be booked (refunded through the processor): kept for the operator to see. */
export async function refundCardCharge(deps: ChargeDeps, order: StepRef & { kind: ChargeKind; amount: number; reference: string; why: string }): Promise<void> {
  let refunded = true;
  try {
    await deps.processor.refund(order.reference, `${idempotencyKey(order)}:refund`);
  } catch {
    // No refund API (carrier billing without CARRIER_BILLING_REFUND_API_URL): listed for the operator to refund by hand.
    refunded = false;
  }
  await deps.redis.hset(
    keys.cardChargesToRefund(),
    `${order.callSid}/${order.step}`,
    JSON.stringify({ memberId: order.memberId, kind: order.kind, processor: deps.processor.name, reference: order.reference, refunded, why: order.why, at: deps.now() }),
  );
  // The member sees it on their page: what was taken, how, and that it was given back (or is being).
  const refund = JSON.stringify({ at: deps.now(), kind: order.kind, amount: order.amount, processor: deps.processor.name, refunded, reference: order.reference });
  await deps.redis.multi().lrem(keys.memberRefunds(order.memberId), 0, refund).lpush(keys.memberRefunds(order.memberId), refund).ltrim(keys.memberRefunds(order.memberId), 0, 49).exec();
}

/**
 * A charge whose call is over (its end was reported, or the operator said something of it after):
 * settled once `afterMs` has passed, unless it is settled before. Never sooner than a call step
 * begun before the end could still be finishing it (its requests to the processor are bounded:
 * 30 s covers them), so what the step told the caller stands.
 */
export async function settleSoon(deps: CoreDeps, entry: string, afterMs = 30_000): Promise<void> {
  const at = deps.now() + afterMs;
  const current = await deps.redis.zscore(keys.cardChargesPending(), entry);
  if (current !== null && Number(current) > at) await deps.redis.zadd(keys.cardChargesPending(), 'XX', at, entry);
}

/** The charges under way in one call (its end was reported: what it left open is settled soon). */
export async function chargesOfCall(deps: CoreDeps, callSid: string): Promise<string[]> {
  const pending = await deps.redis.zrange(keys.cardChargesPending(), '0', '-1');
  return pending.filter((entry) => entry.split('|')[1] === callSid);
}

/**
 * The background's part: every charge whose lease has run out is settled by what its processor
 * says of it. Returns how many were settled.
 */
export async function settleCardCharges(deps: CoreDeps, limit = 50): Promise<number> {
  const { redis } = deps;
  const due = await redis.zrangebyscore(keys.cardChargesPending(), '-inf', deps.now(), 'LIMIT', 0, limit);
  let settled = 0;
  for (const entry of due) {
    const [memberId = '', callSid = '', step = ''] = entry.split('|');
    const order = { memberId, callSid, step };
    const record = await redis.hgetall(keys.cardCharge(memberId, callSid, step));
    const processor = record.kind ? processorNamed(deps.config, record.processor ?? 'stripe') : undefined;
    if (!record.kind || !processor) {
      await redis.zrem(keys.cardChargesPending(), entry);
      continue;
    }
    const with_ = { ...deps, processor };
    try {
      // A reservation whose answer was lost before its reference was stored is found by its key.
      const reference = record.reference || (await processor.findByKey?.(idempotencyKey(order)));
      if (await redis.exists(keys.callStep(memberId, callSid, step))) {
        // Booked by its call step, which died before dropping the record.
      } else if (reference) {
        const found = await processor.status(reference);
        if (found === 'pending') {
          await redis.zadd(keys.cardChargesPending(), deps.now() + deps.config.cardChargeLeaseSeconds * 1000, entry);
          continue;
        }
        if (found === 'succeeded') await refundCardCharge(with_, { ...order, kind: record.kind as ChargeKind, amount: Number(record.amount ?? 0), reference, why: 'charged, but the call ended before the charge was booked' });
        else await processor.cancel(reference);
        await releaseCap(redis, deps.config, order, deps.now());
      } else {
        // Never named at the processor (or, for carrier billing, not known): nothing can have been confirmed.
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
