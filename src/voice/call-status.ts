import { keys } from '../store/keys.ts';
import type { VoiceDeps } from './voice-step.ts';

const CALL_RECORD_TTL_SECONDS = 90 * 86400;
const FIELDS = ['CallStatus', 'CallDuration', 'From', 'To', 'Direction', 'Timestamp'] as const;

/** POST /twilio/voice/status: how the call ended and how long it took, kept 90 days for billing disputes. */
export async function recordCallStatus(deps: Pick<VoiceDeps, 'redis' | 'now'>, body: Record<string, unknown>): Promise<void> {
  const callSid = body.CallSid;
  if (typeof callSid !== 'string' || !/^[A-Za-z0-9]{2,64}$/.test(callSid)) return;
  const record: Record<string, string> = { recordedAt: String(deps.now()) };
  for (const name of FIELDS) {
    const value = body[name];
    if (typeof value === 'string' && value.length <= 64) record[name] = value;
  }
  await deps.redis.multi().hset(keys.call(callSid), record).expire(keys.call(callSid), CALL_RECORD_TTL_SECONDS).exec();
}
