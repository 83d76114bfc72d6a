import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { chargeCall, type ChargeArgs } from './ledger.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { afterMarkingAudit, chargeRecord, recordActivity, type Activity } from '../observability/activity.ts';
import { methodFor } from '../charging/methods.ts';

/** The call step a renewal is charged under: one renewal per call. */
const RENEW_STEP = 'renew';

export type RenewalResult = { outcome: 'renewed' | 'replayed' | 'already_renewed'; accessExpiresAt: number } | { outcome: 'no_account' };

export interface RenewalRequest {
  memberId: string;
  callSid: string;
  from: string;
  /** The number the call reached (premium-rate: its tariff is the price). */
  to?: string;
  /** The consent the caller gave (pressing 1 after hearing the price); the same nonce again is a retry. */
  nonce: string;
  /** CHARGE_METHOD=card: what the connector confirmed. */
  payment?: ChargeArgs['payment'];
}

/**
 * Extends access by ACCESS_PERIOD_DAYS from the later of now and the current expiry, recording
 * the renewal charge; at most once per call, so neither a Twilio retry nor pressing 4 again
 * charges twice.
 */
export async function renewAccess(deps: CoreDeps, request: RenewalRequest): Promise<RenewalResult> {
  const { config, redis } = deps;
  const { memberId, callSid } = request;
  const amount = config.activationCharge;
  const now = deps.now();
  const activity: Activity = { kind: 'account.renewed', key: `renew:${memberId}:${callSid}:${request.nonce}`, at: now, actor: `call:${callSid}`, memberId, amount, ...chargeRecord(amount, 'renewals', methodFor(config, 'renewal')) };
  const charge = chargeCall(config, now, {
    memberId,
    kind: 'renewal',
    step: RENEW_STEP,
    callSid,
    from: request.from,
    to: request.to,
    amount,
    cap: 'none',
    payment: request.payment,
    audit: activity,
  });
  const [code, expires] = await afterMarkingAudit(redis, memberId, now, () =>
    redis.dpRenewAccess(...charge.keys, keys.account(memberId), ...charge.argv, config.accessPeriodDays * 86_400_000, request.nonce),
  );
  const outcome = scriptOutcome(code);
  if (outcome === 'done' || outcome === 'replayed') void recordActivity(deps, activity);
  if (outcome === 'done') return { outcome: 'renewed', accessExpiresAt: Number(expires) };
  if (outcome === 'replayed') return { outcome: 'replayed', accessExpiresAt: Number(expires) };
  if (outcome === 'already_used') return { outcome: 'already_renewed', accessExpiresAt: Number(expires) };
  return { outcome: 'no_account' };
}

/** Whether this call has renewed already, under which consent and until when (the step marker renew-access.lua leaves). */
export async function renewedInCall(redis: RedisClient, memberId: string, callSid: string): Promise<{ nonce: string; accessExpiresAt: number } | undefined> {
  const [nonce, expires] = await redis.hmget(keys.callStep(memberId, callSid, RENEW_STEP), 'nonce', 'accessExpiresAt');
  return nonce ? { nonce, accessExpiresAt: Number(expires) } : undefined;
}
