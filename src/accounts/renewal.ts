import type { CoreDeps } from '../deps.ts';
import { CALL_STEP_TTL_SECONDS, keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';

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
export async function renewAccess(deps: CoreDeps, request: RenewalRequest): Promise<RenewalResult> {
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
  if (outcome === 'done') return { outcome: 'renewed', accessExpiresAt: Number(expires) };
  if (outcome === 'replayed') return { outcome: 'replayed', accessExpiresAt: Number(expires) };
  if (outcome === 'already_used') return { outcome: 'already_renewed', accessExpiresAt: Number(expires) };
  return { outcome: 'no_account' };
}
