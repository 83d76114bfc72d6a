import { recordActivity } from '../observability/activity.ts';
import { keys } from '../store/keys.ts';
import { settleHeldRequestAfter } from '../merchants/outbox.ts';
import { chargesOfCall, settleSoon } from '../charging/card-charges.ts';
import { cardProcessorFor, carrierBillingFor } from '../charging/card-processor.ts';
import type { VoiceDeps } from './voice-step.ts';

const CALL_RECORD_TTL_SECONDS = 90 * 86400;
const FIELDS = ['CallStatus', 'CallDuration', 'From', 'To', 'Direction', 'Timestamp'] as const;

/** Twilio's final CallStatus values ([Call resource]: a call ends in one of these, and the status callback says which). */
const ENDED = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** POST /twilio/voice/status: how the call ended and how long it took, kept 90 days for billing disputes. */
export async function recordCallStatus(deps: Pick<VoiceDeps, 'redis' | 'now' | 'config'>, body: Record<string, unknown>): Promise<void> {
  const callSid = body.CallSid;
  if (typeof callSid !== 'string' || !/^[A-Za-z0-9]{2,64}$/.test(callSid)) return;
  const record: Record<string, string> = { recordedAt: String(deps.now()) };
  for (const name of FIELDS) {
    const value = body[name];
    if (typeof value === 'string' && value.length <= 64) record[name] = value;
  }
  const [[, held]] = (await deps.redis.multi().hmget(keys.call(callSid), 'holdRequest').hset(keys.call(callSid), record).expire(keys.call(callSid), CALL_RECORD_TTL_SECONDS).exec()) as [[unknown, (string | null)[]], ...unknown[]];
  const heldRequest = held?.[0];
  // The operator's calls by outcome and calls list: once per call, whichever retry of the callback comes.
  const status = record.CallStatus;
  if (status && ENDED.has(status)) {
    const now = deps.now();
    const recorded = recordActivity(deps, {
      kind: 'call.ended',
      countOnly: true,
      key: `call:${callSid}:ended`,
      at: now,
      actor: `call:${callSid}`,
      day: { [`calls_${status.replace('-', '_')}`]: 1 },
      add: [['calls', now, callSid]],
    });
    // The list names only calls whose record still exists: it keeps the records' 90 days, no more.
    // Trimmed beside the event (same turn, not one round trip after it), and once a minute per
    // client rather than on every call's end: a minute more of a 90-day list changes nothing.
    const last = lastTrim.get(deps.redis) ?? -Infinity;
    if (now - last >= TRIM_EVERY_MS || now < last) {
      lastTrim.set(deps.redis, now);
      await Promise.all([recorded, deps.redis.zremrangebyscore(keys.opsCalls(), '-inf', `(${now - CALL_RECORD_TTL_SECONDS * 1000}`)]);
    } else await recorded;
    // A charge the call left open (a reservation on the line waiting for a code the caller never
    // keyed) is settled soon after: let go, never charged.
    if (cardProcessorFor(deps.config) || carrierBillingFor(deps.config)) for (const entry of await chargesOfCall(deps, callSid)) await settleSoon(deps, entry);
    // A payment request this call held and never decided is settled once any step still running has finished.
    if (heldRequest) await settleHeldRequestAfter(deps, heldRequest, now + deps.config.callEndGraceMs);
  }
}

const TRIM_EVERY_MS = 60_000;
/** When each client last trimmed the calls list. */
const lastTrim = new WeakMap<object, number>();
