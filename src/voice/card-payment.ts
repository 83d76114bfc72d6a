import { rememberCard } from '../accounts/kept-card.ts';
import { cardProcessorFor } from '../charging/card-processor.ts';
import { keys } from '../store/keys.ts';
import type { CallState } from './call-state.ts';
import { askKeepCard, cardMember, mainMenu, payByCard, type CardCharge } from './asks.ts';
import { chargeTokenizedCard, giveBack } from './card-entry.ts';
import { notChargedNote } from './charge-words.ts';
import { heard, keyed, silence, wrongEntry, type CardPaidFinisher, type VoiceStep } from './voice-step.ts';

/** What the caller hears when <Pay> ended without a charge, by Result ([Pay]: Twilio's POST to the action URL). */
const NOT_CHARGED: Record<string, 'cancelled' | 'declined' | 'notEntered'> = {
  'caller-interrupted-with-star': 'cancelled',
  'payment-connector-error': 'declined',
  'too-many-failed-attempts': 'notEntered',
};

/**
 * CARD_PROCESSOR=stripe, before the card is keyed: 1 keeps it for next time (paid with after the
 * PIN and one key in later calls), 2 pays without keeping it. Either way <Pay> only tokenizes it.
 */
export const cardKeepStep: VoiceStep = async (deps, call) => {
  const charge = call.state.extra.ck as CardCharge | undefined;
  if (!charge || !call.state.extra.ca) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askKeepCard(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  if (choice !== '1' && choice !== '2') return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);
  return payByCard(deps, { ...state, extra: { ...state.extra, kp: choice === '1' ? '1' : '0' } }, charge, Number(state.extra.ca), [], 'tokenize');
};

/**
 * <Pay>'s action. Success with a PaymentToken (a tokenize, CARD_PROCESSOR=stripe): dialpass
 * charges the card through the processor now. Success with a PaymentConfirmationCode (the Pay
 * Connector charged it): the charge is recorded with that code and the masked card through the
 * same step as premium-rate (a Twilio retry of this request replays: one ledger entry). Any other
 * Result charged nothing: the caller is told so, and the cap hold and a held request go back. A
 * connector's charge dialpass cannot apply (the ID was activated by another call meanwhile) is
 * kept for the operator to refund, and said truthfully.
 */
export const cardPaidStep = (finish: Record<CardCharge, CardPaidFinisher>): VoiceStep => async (deps, call) => {
  const { state, payment } = call;
  const charge = state.extra.ck as CardCharge | undefined;
  if (!payment || !charge) return mainMenu(deps, state);
  const memberId = cardMember(charge, state);
  if (!memberId) return mainMenu(deps, state);
  if (payment.result !== 'success') {
    await giveBack(deps, call, charge);
    // The caller has gone: what we answer is never played ([Pay]: caller-hung-up).
    if (payment.result === 'caller-hung-up') return { locale: state.locale, verbs: [{ verb: 'hangup' }] };
    return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('card', NOT_CHARGED[payment.result] ?? 'failed', state.locale), ...notChargedNote(deps, state, 'card'));
  }
  const processor = cardProcessorFor(deps.config);
  if (payment.token && !payment.confirmationCode && processor) return chargeTokenizedCard(deps, processor, call, payment, finish[charge]);
  const told = await finish[charge](deps, call, payment);
  if (!told) {
    await deps.redis.hset(
      keys.cardChargesToRefund(),
      `${call.callSid}/${charge}`,
      JSON.stringify({ memberId, charge, confirmationCode: payment.confirmationCode ?? '', last4: payment.last4 ?? '', at: deps.now() }),
    );
    return mainMenu(deps, { ...state, memberId: charge === 'act' ? undefined : state.memberId, extra: {} }, deps.flows.say('card', 'chargedButNotDone', state.locale));
  }
  if (payment.last4) await rememberCard(deps.redis, deps.config, memberId, { last4: payment.last4, type: payment.cardType ?? '', at: deps.now() });
  return told;
};
