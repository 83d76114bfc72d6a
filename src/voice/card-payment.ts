import { rememberCard } from '../accounts/kept-card.ts';
import { holdPaymentRequest } from '../payments/payment-requests.ts';
import { keys } from '../store/keys.ts';
import { mainMenu, type CardCharge } from './asks.ts';
import type { CardPaidFinisher, VoiceStep } from './voice-step.ts';

/** What the caller hears when <Pay> ended without a charge, by Result ([Pay]: Twilio's POST to the action URL). */
const NOT_CHARGED: Record<string, 'cancelled' | 'declined' | 'notEntered'> = {
  'caller-interrupted-with-star': 'cancelled',
  'payment-connector-error': 'declined',
  'too-many-failed-attempts': 'notEntered',
};

/**
 * <Pay>'s action (CHARGE_METHOD=card). Only Result=success moved money: then the charge is
 * recorded with the connector's confirmation code and the masked card, through the same step as
 * premium-rate (so a Twilio retry of this request replays: one ledger entry), and the caller
 * hears the outcome. Any other Result charged nothing, and the caller is told so; a request held
 * for this payment is given back. A success dialpass cannot apply (the ID was activated by
 * another call meanwhile) is kept for a refund and said truthfully.
 */
export const cardPaidStep = (finish: Record<CardCharge, CardPaidFinisher>): VoiceStep => async (deps, call) => {
  const { state, payment } = call;
  const charge = state.extra.ck as CardCharge | undefined;
  if (!payment || !charge) return mainMenu(deps, state);
  if (payment.result !== 'success') {
    if (charge === 'apr' && state.memberId && state.extra.pr) await holdPaymentRequest(deps, { requestId: state.extra.pr, memberId: state.memberId, callSid: call.callSid }, false);
    // The caller has gone: what we answer is never played ([Pay]: caller-hung-up).
    if (payment.result === 'caller-hung-up') return { locale: state.locale, verbs: [{ verb: 'hangup' }] };
    return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('card', NOT_CHARGED[payment.result] ?? 'failed', state.locale));
  }
  const memberId = charge === 'act' ? state.extra.pi : state.memberId;
  if (!memberId) return mainMenu(deps, state);
  const reply = await finish[charge](deps, call, payment);
  if (!reply) {
    await deps.redis.hset(
      keys.cardChargesToRefund(),
      `${call.callSid}/${charge}`,
      JSON.stringify({ memberId, charge, confirmationCode: payment.confirmationCode ?? '', last4: payment.last4 ?? '', at: deps.now() }),
    );
    return mainMenu(deps, { ...state, memberId: charge === 'act' ? undefined : state.memberId, extra: {} }, deps.flows.say('card', 'chargedButNotDone', state.locale));
  }
  if (payment.last4) await rememberCard(deps.redis, memberId, { last4: payment.last4, type: payment.cardType ?? '', token: payment.token, at: deps.now() });
  return reply;
};
