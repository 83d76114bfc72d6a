import { maskedCard } from '../accounts/kept-card.ts';
import { renewAccess, renewedInCall } from '../accounts/renewal.ts';
import { methodFor } from '../charging/methods.ts';
import { formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { askRenewal, mainMenu, spokenAmount } from './asks.ts';
import { paidThroughProcessor, startCardPayment } from './card-entry.ts';
import { chargeAfter, notChargedNote, notSoldHere, pricePointIn } from './charge-words.ts';
import type { VoiceReply } from './twiml.ts';
import { apologyReply, callerLine, heard, keyed, silence, wrongEntry, type CallInput, type PayResult, type VoiceDeps, type VoiceStep, type CardPaidFinisher } from './voice-step.ts';

/**
 * Menu 4, signed in: the price was said; 1 renews (charged once per call, whatever is pressed
 * afterwards), 2 cancels without a charge. By card, 1 pays first (unless this call has renewed
 * already: one renewal per call, so no card is charged for nothing). On premium-rate only a number
 * that bills the renewal price sells it, once per call.
 */
export const renewalConfirmed: VoiceStep = async (deps, call) => {
  const { memberId } = call.state;
  const nonce = call.state.extra.rn;
  if (!memberId || !nonce) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askRenewal(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const { locale } = state;
  const method = methodFor(deps.config, 'renewal');
  if (choice === '2') return mainMenu(deps, state, deps.flows.say('renewal', 'cancelled', locale), ...notChargedNote(deps, state, method));
  if (choice !== '1') return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', locale), retry);
  const renewed = await renewedInCall(deps.redis, memberId, call.callSid);
  if (renewed && renewed.nonce !== nonce) return alreadyRenewed(deps, state, renewed.accessExpiresAt);
  if (!renewed) {
    const point = pricePointIn(deps, state, 'renewal', deps.config.activationCharge);
    if (!point.collectable) return mainMenu(deps, state, ...notSoldHere(deps, state, point, deps.config.activationCharge));
    if (paidThroughProcessor(method)) {
      const paying = await startCardPayment(deps, call, state, 'ren', deps.config.activationCharge, renewalPaidByCard);
      return 'capRefused' in paying ? mainMenu(deps, state) : paying;
    }
  }
  return renew(deps, call, state);
};

const alreadyRenewed = (deps: VoiceDeps, state: CallState, accessExpiresAt: number) =>
  mainMenu(deps, state, deps.flows.say('renewal', 'alreadyRenewed', state.locale, { date: formatDate(accessExpiresAt, state.locale, deps.config.timeZone) }));

/** Renews once per consent (a Twilio retry replays) and says until when; `payment`: what the card connector or processor confirmed. */
export async function renew(deps: VoiceDeps, call: CallInput, state: CallState, payment?: PayResult): Promise<VoiceReply> {
  const { locale } = state;
  const card = payment && { confirmationCode: payment.confirmationCode ?? '', maskedCard: maskedCard(payment.last4 ?? ''), serverReference: payment.serverReference };
  const result = await renewAccess(deps, { memberId: state.memberId!, callSid: call.callSid, from: callerLine(call.from) ?? '', to: state.to, nonce: state.extra.rn!, payment: card });
  if (result.outcome === 'no_account') return apologyReply(deps, state);
  if (result.outcome === 'already_renewed') return alreadyRenewed(deps, state, result.accessExpiresAt);
  const date = formatDate(result.accessExpiresAt, locale, deps.config.timeZone);
  const price = deps.config.activationCharge;
  const amount = spokenAmount(deps, price, locale);
  const paid = { ...state, premiumPaid: state.premiumPaid || methodFor(deps.config, 'renewal') === 'premium-rate' };
  // How it is billed was said before the caller agreed; a card also hears which card paid.
  const paidBy = card ? [chargeAfter(deps, state, 'renewal', price, card.maskedCard)] : [];
  return mainMenu(deps, paid, deps.flows.say('renewal', 'renewed', locale, { amount, date }), ...paidBy);
}

/** By card: the renewal this call's card paid for. */
export const renewalPaidByCard: CardPaidFinisher = (deps, call, payment) => renew(deps, call, call.state, payment);
