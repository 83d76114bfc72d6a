import type { Config } from '../config.ts';
import { CALL_STEP_TTL_SECONDS, keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import type { RedisClient } from '../store/redis.ts';
import { chargeCounters, recordActivity } from '../admin/activity.ts';

export interface RenewalDeps {
  config: Config;
  redis: RedisClient;
  now: () => number;
}

export type RenewalResult = { outcome: 'renewed' | 'replayed' | 'already_renewed'; accessExpiresAt: number } | { outcome: 'no_account' };

export interface RenewalRequest {
  memberId: string;
  callSid: string;
  from: string;
  /** The consent the caller gave (pressing 1 after hearing the price); the same nonce again is a retry. */
  nonce: string;
}

/**
 * Extends access by ACCESS_PERIOD_DAYS from the later of now and the current expiry, recording
 * the renewal charge; at most once per call, so neither a Twilio retry nor pressing 4 again
 * charges twice.
 */
export async function renewAccess(deps: RenewalDeps, request: RenewalRequest): Promise<RenewalResult> {
  const { config, redis } = deps;
  const [code, expires] = await redis.dpRenewAccess(
    keys.account(request.memberId),
    keys.memberLedger(request.memberId),
    keys.callStep(request.memberId, request.callSid, 'renew'),
    request.callSid,
    request.from,
    config.activationCharge,
    config.currency,
    deps.now(),
    config.accessPeriodDays * 86_400_000,
    CALL_STEP_TTL_SECONDS,
    request.nonce,
  );
  const outcome = scriptOutcome(code);
  if (outcome === 'done' || outcome === 'replayed') {
    const amount = config.activationCharge;
    const { memberId, callSid } = request;
    void recordActivity(deps, { kind: 'account.renewed', key: `renew:${memberId}:${callSid}:${request.nonce}`, at: deps.now(), actor: `call:${callSid}`, memberId, amount, day: chargeCounters(amount, 'renewals') });
  }
  if (outcome === 'done') return { outcome: 'renewed', accessExpiresAt: Number(expires) };
  if (outcome === 'replayed') return { outcome: 'replayed', accessExpiresAt: Number(expires) };
  if (outcome === 'already_used') return { outcome: 'already_renewed', accessExpiresAt: Number(expires) };
  return { outcome: 'no_account' };
}
