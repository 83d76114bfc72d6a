import type { CoreDeps } from '../deps.ts';
import { paymentCodes } from '../identifiers/ids.ts';
import { chargeCall, type ChargeArgs } from '../accounts/ledger.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { codeHash, lastFour, openCode, sealCode } from './code-secrets.ts';
import { afterMarkingAudit, chargeCounters, recordActivity, type Activity } from '../observability/activity.ts';
import { methodFor } from '../charging/methods.ts';

export interface PurchaseRequest {
  memberId: string;
  callSid: string;
  from: string;
  /** The number the call reached (premium-rate: its tariff is the price). */
  to?: string;
  /** Distinguishes purchases within one call; the same nonce again is a retry of the same purchase. */
  nonce: string;
  amount: number;
  merchantId?: string;
  /** CHARGE_METHOD=card: what the connector confirmed. */
  payment?: ChargeArgs['payment'];
}

export interface PurchasedCode {
  code: string;
  amount: number;
  merchantId?: string;
  expiresAt: number;
}

export type PurchaseResult = ({ outcome: 'bought' | 'replayed' } & PurchasedCode) | { outcome: 'cap_exceeded'; remaining: number };

const DAY_MS = 86_400_000;
// A spent or expired code stays a while for disputes, voids and settlement questions.
const CODE_RETENTION_MS = 90 * DAY_MS;

const purchaseStep = (nonce: string) => `buy-${nonce}`;

/**
 * Buys a payment code in two single-slot steps, both idempotent:
 *  1. buy-code.lua in the member's slot: cap check, spend counter, ledger charge and the step
 *     marker (which remembers the code's hash and the code sealed), all at once;
 *  2. issue-code.lua in the code's own slot: create the code record if it is not there yet.
 * A retry (same CallSid and nonce) gets step 1's stored result, so it is neither charged again
 * nor given a different code, and it redoes step 2, which completes a purchase whose first
 * attempt died in between and leaves an existing code (perhaps partly spent) untouched.
 */
export async function buyCode(deps: CoreDeps, request: PurchaseRequest): Promise<PurchaseResult> {
  const { config, redis } = deps;
  const now = deps.now();
  const fresh = paymentCodes.generate();
  const freshHash = codeHash(fresh, config.hashPepper);
  // The operator's event as the charge writes it (a replay records the stored code's, under the same key).
  const purchased = (hash: string, last4: string, price: number, merchantId: string | undefined): Activity => ({
    kind: 'code.purchased',
    key: `buy:${request.memberId}:${request.callSid}:${request.nonce}`,
    at: now,
    actor: `call:${request.callSid}`,
    memberId: request.memberId,
    merchantId,
    amount: price,
    detail: `code ending ${last4}`,
    method: methodFor(config, 'code_purchase'),
    day: { ...chargeCounters(price, 'codes_sold', methodFor(config, 'code_purchase')), codes_sold_amount: price },
    totals: { outstanding: price },
    add: [['codes', now, hash]],
  });
  const charge = chargeCall(config, now, {
    memberId: request.memberId,
    kind: 'code_purchase',
    step: purchaseStep(request.nonce),
    callSid: request.callSid,
    from: request.from,
    to: request.to,
    amount: request.amount,
    cap: request.payment ? 'held' : 'enforce',
    payment: request.payment,
    ledgerFields: { codeLast4: lastFour(fresh) },
    audit: purchased(freshHash, lastFour(fresh), request.amount, request.merchantId || undefined),
  });
  const [status, ...fields] = await afterMarkingAudit(redis, request.memberId, now, () =>
    redis.dpBuyCode(...charge.keys, ...charge.argv, freshHash, sealCode(fresh, config.hashPepper), lastFour(fresh), request.merchantId ?? '', now + config.codeTtlDays * DAY_MS),
  );
  const outcome = scriptOutcome(status);
  if (outcome === 'cap_exceeded') return { outcome, remaining: Number(fields[0]) };
  const [hash, sealed, amount, merchantId, expiresAt, last4] = fields as [string, string, string, string, string, string];
  // The member's index first (idempotent), so no issued code is ever missing from their history.
  await redis.zadd(keys.memberCodes(request.memberId), 'NX', now, hash);
  await redis.dpIssueCode(keys.paymentCode(hash), amount, config.currency, request.memberId, merchantId, expiresAt, now, last4, Number(expiresAt) + CODE_RETENTION_MS);
  const price = Number(amount);
  void recordActivity(deps, purchased(hash, last4, price, merchantId || undefined));
  return {
    outcome: outcome === 'done' ? 'bought' : 'replayed',
    code: openCode(sealed, config.hashPepper),
    amount: Number(amount),
    merchantId: merchantId || undefined,
    expiresAt: Number(expiresAt),
  };
}

/** The code bought in this call step, to be read out again; undefined once the step marker is gone. */
export async function recallPurchase(deps: CoreDeps, memberId: string, callSid: string, nonce: string): Promise<PurchasedCode | undefined> {
  const [sealed, amount, merchantId, expiresAt] = await deps.redis.hmget(keys.callStep(memberId, callSid, purchaseStep(nonce)), 'code', 'amount', 'merchantId', 'expiresAt');
  if (!sealed) return undefined;
  return { code: openCode(sealed, deps.config.hashPepper), amount: Number(amount), merchantId: merchantId || undefined, expiresAt: Number(expiresAt) };
}
