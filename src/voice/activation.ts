import { getAccount } from '../accounts/accounts.ts';
import { maskedCard } from '../accounts/kept-card.ts';
import { provisionalIds } from '../identifiers/ids.ts';
import { claimProvisionalId, provisionalIdStatus } from '../registration/registration.ts';
import { formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { askActivationConsent, askAfterFormalId, askProvisionalId, mainMenu, spokenAmount, startMemberAction } from './asks.ts';
import { paidThroughProcessor, startCardPayment } from './card-entry.ts';
import { chargeAfter, notChargedNote, notSoldHere, pricePointIn } from './charge-words.ts';
import { methodFor } from '../charging/methods.ts';
import type { VoiceReply } from './twiml.ts';
import {
  callerLine,
  heard,
  keyed,
  lineGuess,
  rightEntryOnLine,
  reply,
  say,
  silence,
  wrongEntry,
  type CallInput,
  type PayResult,
  type VoiceDeps,
  type VoiceStep,
  type CardPaidFinisher,
} from './voice-step.ts';

// Flow values in the signed URL state (activation by card): pi = the provisional ID being paid for.

/**
 * Menu 1, after `#`: check the provisional ID, claim it, and read out the formal ID. The line's
 * guess is counted before the ID is checked and handed back when it was right. From here on the
 * call speaks the language the member registered in. By card the ID is only looked at here; the
 * price is said, and the claim waits for the card (activationConsent). On premium-rate only a
 * number billing the activation fee activates, once per call.
 */
export const provisionalIdEntered: VoiceStep = async (deps, call) => {
  const entered = keyed(call);
  const retry = (s: CallState) => askProvisionalId(deps, s);
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const fee = deps.config.activationCharge;
  const point = pricePointIn(deps, state, 'activation', fee);
  if (!point.collectable) return mainMenu(deps, state, ...notSoldHere(deps, state, point, fee));
  const guess = await lineGuess(deps, call, state);
  if ('refused' in guess) return guess.refused;
  const { line } = guess;
  const asked = { ...call, state };
  if (provisionalIds.check(entered) !== 'ok') return wrongEntry(deps, asked, deps.flows.say('activation', 'mistyped', state.locale), retry);

  const unknownOrExpired = () => {
    const hours = String(Math.round(deps.config.pendingRegistrationTtlSeconds / 3600));
    return wrongEntry(deps, asked, deps.flows.say('activation', 'unknownOrExpired', state.locale, { hours }), retry);
  };
  const alreadyActivated = async (locale = state.locale) => {
    // The line that paid for the activation hears its formal ID again, free: a call that dropped
    // during the read-out, or a caller who missed it, would otherwise have paid for nothing (the
    // formal ID is given only by voice). The provisional ID and the paying line together prove it.
    // Not for a caller ID that failed SHAKEN/STIR verification: the line may be spoofed.
    const account = await getAccount(deps.redis, entered);
    if (account?.line && account.line === line && !call.callerIdFailed) {
      await welcome(account.locale);
      const known: CallState = { ...state, locale: account.locale, memberId: entered, wrongEntries: 0, extra: {} };
      const formalId = { digits: account.formalId, groupSize: 3 };
      const free = notChargedNote(deps, known).map(say);
      return reply(known, [say(deps.flows.say('activation', 'activatedFromThisLine', account.locale, { formalId })), ...free, ...askAfterFormalId(deps, known)]);
    }
    const inTheirLanguage = { ...asked, state: { ...state, locale } };
    return wrongEntry(deps, inTheirLanguage, deps.flows.say('activation', 'alreadyActivated', locale), retry);
  };
  const welcome = async (locale = state.locale) => {
    await rightEntryOnLine(deps, line, locale);
  };

  if (paidThroughProcessor(methodFor(deps.config, 'activation'))) {
    const found = await provisionalIdStatus(deps.redis, entered);
    if (found.status === 'unknown') return unknownOrExpired();
    if (found.status === 'activated') return alreadyActivated(found.locale);
    const locale = found.locale ?? state.locale;
    await welcome(locale);
    const consenting: CallState = { ...state, locale, languageKnown: true, wrongEntries: 0, extra: { pi: entered } };
    return reply(consenting, askActivationConsent(deps, consenting));
  }

  const activated = await activate(deps, call, state, entered, line);
  if ('reply' in activated) {
    await welcome(activated.locale);
    return activated.reply;
  }
  return activated.outcome === 'already_used' ? alreadyActivated(activated.locale) : unknownOrExpired();
};

/** Activation by card: the price was said; 1 pays by card, 2 stops without a charge. */
export const activationConsent: VoiceStep = async (deps, call) => {
  const provisionalId = call.state.extra.pi;
  if (!provisionalId) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askActivationConsent(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  if (choice === '2') {
    const method = methodFor(deps.config, 'activation');
    return mainMenu(deps, state, method === 'card' ? deps.flows.say('card', 'cancelled', state.locale) : deps.flows.say('carrier-billing', 'cancelled', state.locale), ...notChargedNote(deps, state, method));
  }
  if (choice !== '1') return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);
  // Looked at again: activated meanwhile by this call (a retry replays it) or another (no card asked).
  const found = await provisionalIdStatus(deps.redis, provisionalId);
  if (found.status === 'pending') {
    const paying = await startCardPayment(deps, call, state, 'act', deps.config.activationCharge, activationPaidByCard);
    return 'capRefused' in paying ? mainMenu(deps, state) : paying;
  }
  const activated = await activate(deps, call, state, provisionalId, callerLine(call.from) ?? '');
  if ('reply' in activated) return activated.reply;
  const hours = String(Math.round(deps.config.pendingRegistrationTtlSeconds / 3600));
  const why = activated.outcome === 'already_used' ? deps.flows.say('activation', 'alreadyActivated', state.locale) : deps.flows.say('activation', 'unknownOrExpired', state.locale, { hours });
  return mainMenu(deps, state, why);
};

/**
 * Claims the ID (once per call: a Twilio retry replays the same formal ID) and reads the formal
 * ID out; or says why not. `payment` is what the card connector confirmed (CHARGE_METHOD=card).
 */
export async function activate(
  deps: VoiceDeps,
  call: CallInput,
  state: CallState,
  provisionalId: string,
  line: string,
  payment?: PayResult,
): Promise<{ reply: VoiceReply; locale: CallState['locale'] } | { outcome: 'already_used' | 'unknown_or_expired'; locale?: CallState['locale'] }> {
  const card = payment && { confirmationCode: payment.confirmationCode ?? '', maskedCard: maskedCard(payment.last4 ?? ''), serverReference: payment.serverReference };
  const result = await claimProvisionalId(deps, { provisionalId, callSid: call.callSid, from: line, to: state.to, payment: card });
  if (result.outcome === 'already_used') return { outcome: 'already_used', locale: result.locale };
  if (result.outcome === 'unknown_or_expired') return { outcome: 'unknown_or_expired' };
  const locale = result.locale ?? state.locale;
  const premiumPaid = state.premiumPaid || methodFor(deps.config, 'activation') === 'premium-rate';
  const known: CallState = { ...state, locale, memberId: result.memberId, wrongEntries: 0, premiumPaid, extra: {} };
  const formalId = { digits: result.formalId, groupSize: 3 };
  const fee = deps.config.activationCharge;
  const amount = spokenAmount(deps, fee, locale);
  const date = formatDate(result.accessExpiresAt, locale, deps.config.timeZone);
  return {
    locale,
    reply: reply(known, [
      say(deps.flows.say('activation', 'activated', locale, { amount, formalId })),
      say(chargeAfter(deps, known, 'activation', fee, card?.maskedCard)),
      say(deps.flows.say('activation', 'accessUntil', locale, { date })),
      ...askAfterFormalId(deps, known),
    ]),
  };
}

/** After the formal ID: 1 hears it again, 2 buys a payment code, 0 goes to the menu. */
export const afterFormalId: VoiceStep = async (deps, call) => {
  const choice = keyed(call);
  if (!call.state.memberId) return mainMenu(deps, call.state);
  if (choice === '') return silence(deps, call, (s) => askAfterFormalId(deps, s));
  const state = heard(call.state);
  const memberId = state.memberId!;
  if (choice === '0') return mainMenu(deps, state);
  if (choice === '2') return startMemberAction(deps, { ...state, next: 'buy' }, memberId);
  if (choice === '1') {
    const account = await getAccount(deps.redis, memberId);
    if (!account) return mainMenu(deps, state);
    const formalId = { digits: account.formalId, groupSize: 3 };
    return reply(state, [say(deps.flows.say('activation', 'formalIdAgain', state.locale, { formalId })), ...askAfterFormalId(deps, state)]);
  }
  return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => askAfterFormalId(deps, s));
};

/** By card: the activation this call's card paid for. */
export const activationPaidByCard: CardPaidFinisher = async (deps, call, payment) => {
  const activated = await activate(deps, call, call.state, call.state.extra.pi!, callerLine(call.from) ?? '', payment);
  return 'reply' in activated ? activated.reply : undefined;
};
