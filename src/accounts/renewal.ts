import type { Config } from '../config.ts';
import { CALL_STEP_TTL_SECONDS, keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import type { RedisClient } from '../store/redis.ts';

export interface RenewalDeps {
  config: Config;
  redis: RedisClient;
  now: () => number;
}

export type RenewalResult = { outcome: 'renewed' | 'replayed'; accessExpiresAt: number } | { outcome: 'no_account' };

/**
 * Extends access by ACCESS_PERIOD_DAYS from the later of now and the current expiry, recording
 * the renewal charge; once per call step, so a Twilio retry neither charges nor extends twice.
 */
export async function renewAccess(deps: RenewalDeps, request: { memberId: string; callSid: string; from: string }): Promise<RenewalResult> {
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
  );
  const outcome = scriptOutcome(code);
  if (outcome === 'done') return { outcome: 'renewed', accessExpiresAt: Number(expires) };
  if (outcome === 'replayed') return { outcome: 'replayed', accessExpiresAt: Number(expires) };
  return { outcome: 'no_account' };
}
