import { getMerchant } from '../merchants/merchants.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { buyCode, recallPurchase, type PurchasedCode } from '../payments/purchase.ts';
import { formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { askAfterCode, askAmount, askMerchant, askPurchaseConfirmation, mainMenu, merchantDigits, newNonce, spokenAmount, startMemberAction } from './asks.ts';
import { paidThroughProcessor, startCardPayment } from './card-entry.ts';
import { chargeAfter, notChargedNote, notSoldHere, pricePointIn } from './charge-words.ts';
import { methodFor } from '../charging/methods.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';
import { apologyReply, callerLine, heard, keyed, reply, say, silence, wrongEntry, type CallInput, type PayResult, type VoiceDeps, type VoiceStep, type CardPaidFinisher } from './voice-step.ts';
import { maskedCard } from '../accounts/kept-card.ts';

// Flow values in the signed URL state: a = amount, mr = merchant (9 at the amounts), pn = purchase nonce.

const codeDigits = (code: string) => ({ digits: code, groupSize: 4 });

/** The amount (a code any merchant takes, or the one merchant chosen with 9), or 9 to choose a merchant first. */
export const amountChosen: VoiceStep = async (deps, call) => {
  if (!call.state.memberId) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askAmount(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  if (choice === '0') return mainMenu(deps, state);
  const merchant = state.extra.mr;
  if (choice === '9' && !merchant) return reply(state, askMerchant(deps, state));
  const amount = deps.config.codeDenominations[Number(choice) - 1];
  if (!/^[1-8]$/.test(choice) || amount === undefined) return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);
  // premium-rate: this number may not bill this amount (another does), or this call has paid already.
  const point = pricePointIn(deps, state, 'code_purchase', amount);
  if (!point.collectable) return point.why === 'elsewhere' ? reply(state, [...notSoldHere(deps, state, point, amount).map(say), ...askAmount(deps, state)]) : mainMenu(deps, state, ...notSoldHere(deps, state, point, amount));
  const next = { ...state, extra: { a: String(amount), ...(merchant ? { mr: merchant } : {}), pn: newNonce() } };
  return reply(next, askPurchaseConfirmation(deps, next));
};

/** After 9: a merchant number and #; then the amounts again, for a code only that merchant takes. */
export const merchantEntered: VoiceStep = async (deps, call) => {
  if (!call.state.memberId) return mainMenu(deps, call.state);
  const retry = (s: CallState) => askMerchant(deps, s);
  const entered = keyed(call).replace(/#$/, '');
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  if (merchantIds.check(entered) !== 'ok') return wrongEntry(deps, { ...call, state }, deps.flows.say('payment-code', 'mistypedMerchant', state.locale), retry);
  if (!(await getMerchant(deps.redis, entered))) return wrongEntry(deps, { ...call, state }, deps.flows.say('payment-code', 'unknownMerchant', state.locale), retry);
  const chosen = { ...state, extra: { mr: entered } };
  return reply(chosen, askAmount(deps, chosen));
};

function codeSpeech(deps: VoiceDeps, state: CallState, purchase: PurchasedCode, key: 'issued' | 'codeAgain'): Verb[] {
  const vars = {
    amount: spokenAmount(deps, purchase.amount, state.locale),
    code: codeDigits(purchase.code),
    date: formatDate(purchase.expiresAt, state.locale, deps.config.timeZone),
  };
  const verbs = [say(deps.flows.say('payment-code', key, state.locale, vars))];
  if (purchase.merchantId) verbs.push(say(deps.flows.say('payment-code', 'onlyAtMerchant', state.locale, { merchant: merchantDigits(purchase.merchantId) })));
  return verbs;
}

/** Speech flattened for a text message: digits in groups of four. */
const plainText = (speech: Speech) =>
  speech.parts.map((part) => ('text' in part ? part.text : (part.digits.match(/.{1,4}/g) ?? []).join(' '))).join('');

const E164 = /^\+\d{6,15}$/;

/**
 * The price was said: 1 buys, 2 cancels. By card, 1 holds the amount against the monthly cap and
 * pays (unless this purchase is already paid: a retry replays the code).
 */
export const purchaseConfirmed: VoiceStep = async (deps, call) => {
  const memberId = call.state.memberId;
  const { a, pn } = call.state.extra;
  if (!memberId || !a || !pn) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askPurchaseConfirmation(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const { locale } = state;
  const method = methodFor(deps.config, 'code_purchase');
  if (choice === '2') return mainMenu(deps, state, deps.flows.say('payment-code', 'cancelled', locale), ...notChargedNote(deps, state, method));
  if (choice !== '1') return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', locale), retry);
  if (await recallPurchase(deps, memberId, call.callSid, pn)) return buy(deps, call, state);
  const point = pricePointIn(deps, state, 'code_purchase', Number(a));
  if (!point.collectable) return mainMenu(deps, state, ...notSoldHere(deps, state, point, Number(a)));
  if (paidThroughProcessor(method)) {
    const paying = await startCardPayment(deps, call, state, 'buy', Number(a), purchasePaidByCard);
    return 'capRefused' in paying ? capRefusal(deps, state, paying.capRefused) : paying;
  }
  return buy(deps, call, state);
};

function capRefusal(deps: VoiceDeps, state: CallState, remaining: number): VoiceReply {
  const { locale } = state;
  const refusal = deps.flows.say('payment-code', 'capExceeded', locale, {
    cap: spokenAmount(deps, deps.config.monthlySpendingCap, locale),
    remaining: spokenAmount(deps, remaining, locale),
  });
  const said = [refusal, ...notChargedNote(deps, state, methodFor(deps.config, 'code_purchase'))];
  const canBuyLess = deps.config.codeDenominations.some((d) => d <= remaining);
  if (!canBuyLess) return mainMenu(deps, state, ...said);
  return reply(state, [...said.map(say), ...askAmount(deps, state)]);
}

/**
 * Buys the code (once per nonce: a Twilio retry replays the same code without a second charge)
 * and reads it out; `payment`: what the card connector confirmed (CHARGE_METHOD=card).
 */
export async function buy(deps: VoiceDeps, call: CallInput, state: CallState, payment?: PayResult): Promise<VoiceReply> {
  const { locale } = state;
  const { a, mr, pn } = state.extra;
  const memberId = state.memberId!;
  const line = callerLine(call.from);
  const card = payment && { confirmationCode: payment.confirmationCode ?? '', maskedCard: maskedCard(payment.last4 ?? ''), serverReference: payment.serverReference };
  const result = await buyCode(deps, { memberId, callSid: call.callSid, from: line ?? '', to: state.to, nonce: pn!, amount: Number(a), merchantId: mr, payment: card });
  if (result.outcome === 'cap_exceeded') return capRefusal(deps, state, result.remaining);
  const verbs = codeSpeech(deps, state, result, 'issued');
  // How it is billed was said before the caller agreed; a card also hears which card paid.
  if (card) verbs.splice(1, 0, say(chargeAfter(deps, state, 'code_purchase', result.amount, card.maskedCard)));
  if (deps.sms && line && E164.test(line)) {
    if (result.outcome === 'bought') {
      const text = deps.flows.say('payment-code', 'smsText', locale, {
        amount: spokenAmount(deps, result.amount, locale),
        code: codeDigits(result.code),
        date: formatDate(result.expiresAt, locale, deps.config.timeZone),
      });
      // Not awaited: the caller is waiting on the line and has the code by voice anyway.
      void deps.sms.send(line, plainText(text), call.callSid);
    }
    verbs.push(say(deps.flows.say('payment-code', 'sentBySms', locale)));
  }
  const after = { ...state, premiumPaid: state.premiumPaid || methodFor(deps.config, 'code_purchase') === 'premium-rate', extra: { pn: pn! } };
  return reply(after, [...verbs, ...askAfterCode(deps, after)]);
}

/** After the code: 1 hears it again, 2 buys another, 0 main menu. */
export const afterCode: VoiceStep = async (deps, call) => {
  const memberId = call.state.memberId;
  if (!memberId) return mainMenu(deps, call.state);
  const choice = keyed(call);
  if (choice === '') return silence(deps, call, (s) => askAfterCode(deps, s));
  const state = heard(call.state);
  if (choice === '0') return mainMenu(deps, state);
  if (choice === '2') return startMemberAction(deps, { ...state, next: 'buy' }, memberId);
  if (choice === '1' && state.extra.pn) {
    const purchase = await recallPurchase(deps, memberId, call.callSid, state.extra.pn);
    if (!purchase) return apologyReply(deps, state);
    return reply(state, [...codeSpeech(deps, state, purchase, 'codeAgain'), ...askAfterCode(deps, state)]);
  }
  return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => askAfterCode(deps, s));
};

/** By card: the payment code this call's card paid for. */
export const purchasePaidByCard: CardPaidFinisher = (deps, call, payment) => buy(deps, call, call.state, payment);
