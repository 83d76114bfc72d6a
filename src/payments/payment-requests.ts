import { Cluster } from 'ioredis';
import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { methodFor, payableRequestAmounts } from '../charging/methods.ts';
import { z } from 'zod';
import { AppError, invalidInput } from '../http/errors.ts';
import { assertWebhookUrlAllowed, outboundPolicy } from '../http/outbound.ts';
import { digitIdentifierFor } from '../identifiers/ids.ts';
import type { Logger } from '../logger.ts';
import { chargeCall, type ChargeArgs } from '../accounts/ledger.ts';
import { keys, requestMerchant } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { afterMarkingMerchant, movePaymentRequest } from '../merchants/outbox.ts';
import { afterMarkingAudit, chargeRecord, recordActivity, type Activity } from '../observability/activity.ts';

export type PaymentRequestStatus = 'pending' | 'approved' | 'declined' | 'expired';

export interface PaymentRequestView {
  id: string;
  number: string;
  status: PaymentRequestStatus;
  amount: number;
  currency: string;
  description: string;
  orderId?: string;
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
}

export interface PaymentRequest {
  id: string;
  merchantId: string;
  merchantName: string;
  amount: number;
  description: string;
  expiresAt: number;
}

/** 7 random digits + check digit: keyed by the member in the call, unique among live requests. */
export const paymentRequestNumbers = digitIdentifierFor(7);

const RETENTION_MS = 30 * 86_400_000;

const requestInput = z.object({
  amount: z.number().int('must be a whole number').positive('must be positive').max(1_000_000_000, 'is too large'),
  description: z.string().trim().min(1, 'is required').max(140, 'must be at most 140 characters'),
  orderId: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(500, 'is too long').optional(),
});

/** Claimed is an internal state (a call is deciding); merchants see it as still pending. */
function view(id: string, h: Record<string, string>, now: number): PaymentRequestView {
  const expiresAt = Number(h.expiresAt);
  const raw = h.status === 'claimed' ? 'pending' : (h.status as PaymentRequestStatus);
  return {
    id,
    number: h.number!,
    status: raw === 'pending' && now >= expiresAt ? 'expired' : raw,
    amount: Number(h.amount),
    currency: h.currency!,
    description: h.description!,
    ...(h.orderId ? { orderId: h.orderId } : {}),
    createdAt: new Date(Number(h.createdAt)).toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    ...(h.decidedAt ? { decidedAt: new Date(Number(h.decidedAt)).toISOString() } : {}),
  };
}

/**
 * POST /api/merchant/payment-requests. The ID is `pr_` + the operation ID of the Idempotency-Key's
 * claim (random, shared by every retry under the key) and creation is create-if-absent, so
 * racing retries make one request.
 */
export async function createPaymentRequest(deps: CoreDeps, merchantId: string, input: unknown, op: string): Promise<PaymentRequestView> {
  const parsed = requestInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { config, redis } = deps;
  // A request nobody could pay is refused when it is made, not when a member calls (CHARGE_METHOD_APPROVALS=premium-rate).
  const payable = payableRequestAmounts(config);
  if (payable && !payable.includes(parsed.data.amount)) throw new AppError(422, 'amount_not_payable', API_TEXT.amountNotPayable(payable.join(', ')));
  await assertWebhookUrlAllowed(parsed.data.webhookUrl, outboundPolicy(config));
  // The merchant's ID first (its slot, see keys.paymentRequest), then 14 random characters (84 bits).
  const id = `pr_${merchantId}${op.slice(0, 14)}`;
  const now = deps.now();
  const expiresAt = now + config.paymentRequestTtlMinutes * 60_000;
  const requestKey = keys.paymentRequest(id);
  const existing = await redis.hgetall(requestKey);
  if (existing.number) return view(id, existing, now);
  let number = '';
  for (let attempt = 0; ; attempt++) {
    number = paymentRequestNumbers.generate();
    if ((await redis.set(keys.paymentRequestNumber(number), id, 'PX', expiresAt - now, 'NX')) === 'OK') break;
    if (attempt === 9) throw new Error('could not find a free payment request number in 10 tries');
  }
  const record = {
    merchantId,
    number,
    status: 'pending',
    amount: parsed.data.amount,
    currency: config.currency,
    description: parsed.data.description,
    orderId: parsed.data.orderId ?? '',
    webhookUrl: parsed.data.webhookUrl ?? '',
    createdAt: now,
    expiresAt,
  };
  if (!(await redis.hsetnx(requestKey, 'number', number))) {
    await redis.del(keys.paymentRequestNumber(number));
    return view(id, await redis.hgetall(requestKey), now);
  }
  void recordActivity(deps, { kind: 'payment_request.created', key: `preq:${id}`, at: now, actor: `merchant:${merchantId}`, merchantId, amount: parsed.data.amount, detail: id, countOnly: true, day: { requests_created: 1 } });
  const created = view(id, Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)])), now);
  // `view` is what its webhook events carry: the scripts that decide or expire it set the status.
  // In the pending set (in the merchant's slot), the background worker expires it on time.
  await afterMarkingMerchant(redis, merchantId, expiresAt, () =>
    redis
      .multi()
      .hset(requestKey, { ...record, view: JSON.stringify(created) })
      .pexpireat(requestKey, expiresAt + RETENTION_MS)
      .zadd(keys.pendingPaymentRequests(merchantId), expiresAt, id)
      .zadd(keys.merchantPaymentRequests(merchantId), now, id)
      // Requests themselves are gone after their retention; so are their places in the list.
      .zremrangebyscore(keys.merchantPaymentRequests(merchantId), '-inf', now - RETENTION_MS - config.paymentRequestTtlMinutes * 60_000)
      .exec(),
    { onlyEarlier: true },
  );
  return created;
}

/** GET /api/merchant/payment-requests/{id}: only the merchant that made it sees it. */
export async function getPaymentRequest(deps: CoreDeps, merchantId: string, id: string): Promise<PaymentRequestView> {
  const h = /^pr_\d{8}[A-Za-z0-9_-]{14}$/.test(id) && requestMerchant(id) === merchantId ? await deps.redis.hgetall(keys.paymentRequest(id)) : {};
  if (!h.number || h.merchantId !== merchantId) throw new AppError(404, 'unknown_payment_request', API_TEXT.unknownPaymentRequest);
  return view(id, h, deps.now());
}

export type LookupResult = { outcome: 'found'; request: PaymentRequest } | { outcome: 'unknown' | 'expired' | 'decided' };

/** Menu 3: the request behind the number the member keyed. */
export async function findPaymentRequestByNumber(deps: CoreDeps, number: string): Promise<LookupResult> {
  const id = await deps.redis.get(keys.paymentRequestNumber(number));
  if (!id) return { outcome: 'unknown' };
  const h = await deps.redis.hgetall(keys.paymentRequest(id));
  if (!h.number) return { outcome: 'unknown' };
  const state = view(id, h, deps.now()).status;
  if (state === 'expired') return { outcome: 'expired' };
  if (state !== 'pending') return { outcome: 'decided' };
  const merchantName = (await deps.redis.hget(keys.merchant(h.merchantId!), 'name')) ?? '';
  return { outcome: 'found', request: { id, merchantId: h.merchantId!, merchantName, amount: Number(h.amount), description: h.description!, expiresAt: Number(h.expiresAt) } };
}

export interface DecisionDeps extends CoreDeps {
  logger?: Logger;
}

export type DecisionResult =
  | { outcome: 'approved' | 'declined'; amount: number }
  | { outcome: 'cap_exceeded'; remaining: number }
  | { outcome: 'unknown' | 'expired' | 'decided' };

/**
 * Approval across two slots, each step idempotent for this CallSid: claim the request (merchant
 * slot; from then on no other call can take it), charge the member (member slot: cap, spend,
 * ledger, step marker), then mark it approved. Over the cap, the claim is released. A Twilio retry
 * redoes the steps and each answers "already done by this call". Approving or declining writes
 * the webhook event in the same script, to the merchant's outbox; the background worker delivers it.
 */
export async function decidePaymentRequest(
  deps: DecisionDeps,
  decision: { requestId: string; approve: boolean; memberId: string; callSid: string; from: string; to?: string; payment?: ChargeArgs['payment'] },
): Promise<DecisionResult> {
  const { config, redis } = deps;
  const { requestId } = decision;
  const requestKey = keys.paymentRequest(requestId);
  const merchantId = requestMerchant(requestId);
  const decide = (action: DecisionAction) => decisionStep(deps, decision, action);
  // Indexed for the member's history before anything is decided; the history shows only what the request confirms.
  const [amountField] = await Promise.all([redis.hget(requestKey, 'amount'), redis.zadd(keys.memberPaymentRequests(decision.memberId), 'NX', deps.now(), requestId)]);
  const amount = Number(amountField);
  const activityOf = (outcome: 'approved' | 'declined'): Activity => ({
    kind: outcome === 'approved' ? 'payment_request.approved' : 'payment_request.declined',
    key: `${outcome}:${requestId}`,
    at: deps.now(),
    actor: `call:${decision.callSid}`,
    memberId: decision.memberId,
    merchantId,
    amount,
    detail: requestId,
    ...(outcome === 'approved' ? chargeRecord(amount, 'requests_approved', methodFor(config, 'payment_approval')) : { day: { requests_declined: 1 } }),
  });
  const recorded = (result: DecisionResult): DecisionResult => {
    if (result.outcome !== 'approved' && result.outcome !== 'declined') return result;
    void recordActivity(deps, activityOf(result.outcome));
    return result;
  };
  if (!decision.approve) return recorded(declinedOrRefused((await decide('decline')).outcome, amount, 'declined'));
  const claim = await decide('claim');
  if (claim.outcome === 'replayed' && claim.status === 'declined') return recorded({ outcome: 'declined', amount });
  if (claim.outcome !== 'done' && claim.outcome !== 'replayed') return declinedOrRefused(claim.outcome, amount, 'approved');
  const charge = chargeCall(config, deps.now(), {
    memberId: decision.memberId,
    kind: 'payment_approval',
    step: `approve-${requestId}`,
    callSid: decision.callSid,
    from: decision.from,
    to: decision.to,
    amount,
    cap: decision.payment ? 'held' : 'enforce',
    payment: decision.payment,
    ledgerFields: { paymentRequest: requestId },
    audit: activityOf('approved'),
  });
  const [charged, remaining] = await afterMarkingAudit(redis, decision.memberId, deps.now(), () => redis.dpChargeApproval(...charge.keys, ...charge.argv, requestId));
  if (scriptOutcome(charged) === 'cap_exceeded') {
    await decide('release');
    return { outcome: 'cap_exceeded', remaining: Number(remaining) };
  }
  await decide('approve');
  return recorded({ outcome: 'approved', amount });
}

type DecisionAction = 'claim' | 'approve' | 'decline' | 'release';
/** The call record's hold marker outlives any call; the status callback then keeps the record 90 days. */
const HOLD_MARK_TTL_SECONDS = 2 * 86400;

/** One move of the request (decide-payment-request.lua), once per call: a retry answers "already done by this call". */
async function decisionStep(deps: DecisionDeps, decision: { requestId: string; memberId: string; callSid: string }, action: DecisionAction) {
  const { redis } = deps;
  const { requestId } = decision;
  const merchantId = requestMerchant(requestId);
  const now = deps.now();
  const run = () => movePaymentRequest(redis, deps.config, { merchantId, requestId, action, memberId: decision.memberId, callSid: decision.callSid, now });
  // Only a decision writes an event, so only a decision marks the merchant for the worker.
  if (action === 'claim') {
    // The call says what it holds before it takes it: when the call ends without deciding (the
    // app died mid-step), its status callback finds the request (merchants/outbox.ts settleHeldRequest).
    const marked = redis.multi().hset(keys.call(decision.callSid), 'holdRequest', requestId, 'holdMember', decision.memberId).expire(keys.call(decision.callSid), HOLD_MARK_TTL_SECONDS).exec();
    if (redis instanceof Cluster) await marked;
    const [, [code, status]] = await Promise.all([marked, run()]);
    return { outcome: scriptOutcome(code), status };
  }
  const [code, status] = action === 'approve' || action === 'decline' ? await afterMarkingMerchant(redis, merchantId, now, run) : await run();
  return { outcome: scriptOutcome(code), status };
}

/**
 * CHARGE_METHOD=card: before the card is asked for, this call takes the request (no other member
 * can pay it meanwhile, and it cannot expire under a card being charged); `release` gives it back
 * when the card was not charged. Answers whether this call holds it ('approved': this call already paid it).
 */
export async function holdPaymentRequest(
  deps: DecisionDeps,
  decision: { requestId: string; memberId: string; callSid: string },
  hold: boolean,
): Promise<'held' | 'approved' | 'released' | 'expired' | 'unknown' | 'decided'> {
  const { outcome, status } = await decisionStep(deps, decision, hold ? 'claim' : 'release');
  if (!hold) return 'released';
  if (outcome === 'done' || (outcome === 'replayed' && status === 'claimed')) return 'held';
  if (outcome === 'replayed' && status === 'approved') return 'approved';
  if (outcome === 'expired') return 'expired';
  if (outcome === 'not_found') return 'unknown';
  return 'decided';
}

function declinedOrRefused(outcome: string, amount: number, done: 'approved' | 'declined'): DecisionResult {
  if (outcome === 'done' || outcome === 'replayed') return { outcome: done, amount };
  if (outcome === 'expired') return { outcome: 'expired' };
  if (outcome === 'not_found') return { outcome: 'unknown' };
  return { outcome: 'decided' };
}
