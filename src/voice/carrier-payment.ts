import { keys } from '../store/keys.ts';
import { carrierBillingFor } from '../charging/card-processor.ts';
import type { CallState } from './call-state.ts';
import { askCarrierCode, cardMember, cardStep, mainMenu, type CardCharge } from './asks.ts';
import { abandonCarrierCharge, confirmCarrierCharge } from './card-entry.ts';
import { notChargedNote } from './charge-words.ts';
import { hangUp, heard, keyed, MAX_WRONG_ENTRIES_PER_CALL, reply, say, type CardPaidFinisher, type VoiceStep } from './voice-step.ts';

/**
 * Carrier billing, when the operator asked for validation: the caller keys the code it texted to
 * the phone. Right: the reservation is confirmed and the purchase told. Wrong: asked again, and
 * after the third in the call, or a second silence, the reservation is let go (nothing is
 * charged, and the caller hears so). A caller who hangs up leaves it to the background, which lets
 * it go when the call's end is reported (or the lease runs out).
 */
export const carrierCodeStep = (finish: Record<CardCharge, CardPaidFinisher>): VoiceStep => async (deps, call) => {
  const charge = call.state.extra.ck as CardCharge | undefined;
  const memberId = charge && cardMember(charge, call.state);
  const client = carrierBillingFor(deps.config);
  if (!charge || !memberId || !client) return mainMenu(deps, call.state);
  const [reference, authorizationId] = await deps.redis.hmget(keys.cardCharge(memberId, call.callSid, cardStep(charge, call.state)), 'reference', 'authorizationId');
  if (!reference || !authorizationId) return mainMenu(deps, call.state);
  const { locale } = call.state;
  const code = keyed(call).replace(/#$/, '');
  const giveUp = async (state: CallState, ...why: Parameters<typeof hangUp>[2][]) => {
    await abandonCarrierCharge(deps, { ...call, state }, charge);
    return hangUp(deps, state, ...why, ...notChargedNote(deps, state, 'carrier-billing'));
  };
  if (code === '') {
    if (call.state.silences >= 1) return giveUp(call.state, deps.flows.say('common', 'noInputGoodbye', locale));
    const again = { ...call.state, silences: call.state.silences + 1 };
    return reply(again, [say(deps.flows.say('common', 'noInput', locale)), ...askCarrierCode(deps, again)]);
  }
  const state = heard(call.state);
  const checked = /^\d{3,10}$/.test(code) ? await client.validate(reference, authorizationId, code) : 'wrong-code';
  if (checked === 'reserved') return confirmCarrierCharge(deps, client, { ...call, state }, reference, finish[charge]);
  if (checked === 'denied') {
    await abandonCarrierCharge(deps, { ...call, state }, charge);
    return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('carrier-billing', 'declined', locale), ...notChargedNote(deps, state, 'carrier-billing'));
  }
  const wrong = { ...state, wrongEntries: state.wrongEntries + 1 };
  if (wrong.wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) return giveUp(wrong, deps.flows.say('carrier-billing', 'wrongCode', locale), deps.flows.say('common', 'tooManyWrongEntries', locale));
  return reply(wrong, [say(deps.flows.say('carrier-billing', 'wrongCode', locale)), ...askCarrierCode(deps, wrong)]);
};
