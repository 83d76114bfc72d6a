import { recallPurchase } from '../payments/purchase.ts';
import { formatDate } from '../shared/format.ts';
import { CALL_STEP_TTL_SECONDS, keys } from '../store/keys.ts';
import type { CallState } from './call-state.ts';
import { spokenAmount } from './charge-words.ts';
import type { Speech } from './twiml.ts';
import type { VoiceDeps } from './voice-step.ts';

/**
 * Results a caller may not have heard. A step that charges (a code bought, a renewal, a payment
 * approved) can commit and still never be told: its answer is lost or comes after Twilio's 15 s,
 * and Twilio plays the fallback URL instead, which cannot know what happened (docs/TWILIO-BEHAVIOUR.md,
 * "When an answer never arrives"). So each such step is noted for the member *before* it charges
 * (ZADD NX: a retry notes it again, harmlessly), and the note leaves only when a later request of
 * the same call shows that the answer was played (its URL carries `d=` with the note: Twilio asks
 * for it only after the <Say> before the <Gather>). A note whose step never charged has no step
 * result (the step marker, kept 2 days) and is dropped. On the member's next call, right after the
 * PIN, every note with a result is read out, before anything else.
 */

const SEPARATOR = '|';
const noteOf = (callSid: string, step: string) => `${callSid}${SEPARATOR}${step}`;
/** A note whose step has no result yet may be a step still running: left alone this long. */
const IN_FLIGHT_MS = 60_000;

/** Before a step charges: its result, once made, must reach the caller. Returns the note (for `d=`). */
export async function expectResult(deps: Pick<VoiceDeps, 'redis' | 'now'>, memberId: string, callSid: string, step: string): Promise<string> {
  const note = noteOf(callSid, step);
  const key = keys.memberUnheard(memberId);
  await deps.redis.multi().zadd(key, 'NX', deps.now(), note).expire(key, CALL_STEP_TTL_SECONDS).exec();
  return note;
}

/** A later request of the call came: the answer holding these results was played. */
export async function resultsHeard(deps: Pick<VoiceDeps, 'redis'>, memberId: string, delivered: string): Promise<void> {
  const notes = delivered.split(',').filter((n) => n.includes(SEPARATOR));
  if (notes.length) await deps.redis.zrem(keys.memberUnheard(memberId), ...notes);
}

/**
 * What the member has not heard, as speech, and the notes it covers (to send as `d=`): codes
 * (read twice, as when bought), renewals and approvals, oldest first.
 */
export async function unheardResults(deps: VoiceDeps, memberId: string, state: CallState): Promise<{ speech: Speech[]; notes: string[] }> {
  const key = keys.memberUnheard(memberId);
  const now = deps.now();
  const raw = await deps.redis.zrange(key, 0, '-1', 'WITHSCORES');
  const speech: Speech[] = [];
  const notes: string[] = [];
  const stale: string[] = [];
  const { locale } = state;
  const date = (ms: number) => formatDate(ms, locale, deps.config.timeZone);
  for (let i = 0; i < raw.length; i += 2) {
    const note = raw[i]!;
    const at = Number(raw[i + 1]);
    const [callSid, step] = note.split(SEPARATOR) as [string, string];
    if (now - at > CALL_STEP_TTL_SECONDS * 1000) {
      stale.push(note);
      continue;
    }
    const said = await resultSpeech(deps, memberId, callSid, step, state, date);
    if (said) {
      speech.push(...said);
      notes.push(note);
    } else if (now - at > IN_FLIGHT_MS) stale.push(note);
  }
  if (stale.length) await deps.redis.zrem(key, ...stale);
  return { speech, notes };
}

async function resultSpeech(deps: VoiceDeps, memberId: string, callSid: string, step: string, state: CallState, date: (ms: number) => string): Promise<Speech[] | undefined> {
  const { locale } = state;
  if (step.startsWith('buy-')) {
    const purchase = await recallPurchase(deps, memberId, callSid, step.slice('buy-'.length));
    if (!purchase) return undefined;
    const vars = { amount: spokenAmount(deps, purchase.amount, locale), code: { digits: purchase.code, groupSize: 4 }, date: date(purchase.expiresAt) };
    const said = [deps.flows.say('payment-code', 'unheardCode', locale, vars)];
    if (purchase.merchantId) said.push(deps.flows.say('payment-code', 'onlyAtMerchant', locale, { merchant: { digits: purchase.merchantId, groupSize: 4 } }));
    return said;
  }
  const marker = keys.callStep(memberId, callSid, step);
  if (step === 'renew') {
    const expires = await deps.redis.hget(marker, 'accessExpiresAt');
    return expires ? [deps.flows.say('renewal', 'unheardRenewed', locale, { date: date(Number(expires)) })] : undefined;
  }
  if (step.startsWith('approve-')) {
    const requestId = await deps.redis.hget(marker, 'paymentRequest');
    if (!requestId) return undefined;
    const [amount, merchantId] = await deps.redis.hmget(keys.paymentRequest(requestId), 'amount', 'merchantId');
    const merchant = merchantId ? ((await deps.redis.hget(keys.merchant(merchantId), 'name')) ?? '') : '';
    return [deps.flows.say('payment-approval', 'unheardApproved', locale, { amount: spokenAmount(deps, Number(amount), locale), merchant })];
  }
  return undefined;
}
