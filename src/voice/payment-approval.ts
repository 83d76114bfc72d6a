import { maskedCard } from '../accounts/kept-card.ts';
import { methodFor } from '../charging/methods.ts';
import { decidePaymentRequest, findPaymentRequestByNumber, holdPaymentRequest, paymentRequestNumbers, type PaymentRequest } from '../payments/payment-requests.ts';
import { keys } from '../store/keys.ts';
import type { CallState } from './call-state.ts';
import { askDecision, askRequestNumber, mainMenu, spokenAmount } from './asks.ts';
import { paidThroughProcessor, startCardPayment } from './card-entry.ts';
import { chargeAfter, notChargedNote, notSoldHere, pricePointIn } from './charge-words.ts';
import type { Verb, VoiceReply } from './twiml.ts';
import {
  callerLine,
  heard,
  keyed,
  lineGuess,
  refundLineAttempt,
  reply,
  silence,
  wrongEntry,
  type CallInput,
  type PayResult,
  type VoiceDeps,
  type VoiceStep,
  type CardPaidFinisher,
} from './voice-step.ts';

// Flow values in the signed URL state: pr = request id, pq = the number keyed (to say the request again).

function decisionPrompt(deps: VoiceDeps, state: CallState, request: PaymentRequest, number: string): Verb[] {
  const next = { ...state, extra: { pr: request.id, pq: number } };
  const prompt = deps.flows.say('payment-approval', 'confirm', state.locale, {
    merchant: request.merchantName,
    amount: spokenAmount(deps, request.amount, state.locale),
    description: request.description,
  });
  return askDecision(deps, next, prompt, request.amount);
}

/** The request number: the line's guess is counted first (request numbers are short) and handed back when right. */
export const requestNumberEntered: VoiceStep = async (deps, call) => {
  if (!call.state.memberId) return mainMenu(deps, call.state);
  const entered = keyed(call);
  const retry = (s: CallState) => askRequestNumber(deps, s);
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const asked = { ...call, state };
  const guess = await lineGuess(deps, call, state);
  if ('refused' in guess) return guess.refused;
  const { line } = guess;
  const refuse = (key: 'mistypedNumber' | 'unknownNumber' | 'expired' | 'alreadyDecided') =>
    wrongEntry(deps, asked, deps.flows.say('payment-approval', key, state.locale), retry);
  if (paymentRequestNumbers.check(entered) !== 'ok') return refuse('mistypedNumber');
  const found = await findPaymentRequestByNumber(deps, entered);
  if (found.outcome === 'unknown') return refuse('unknownNumber');
  await refundLineAttempt(deps, line);
  if (found.outcome !== 'found') return refuse(found.outcome === 'expired' ? 'expired' : 'alreadyDecided');
  // premium-rate: only a number billing exactly this amount can collect it; the request stays pending.
  const point = pricePointIn(deps, state, 'payment_approval', found.request.amount);
  if (!point.collectable) return mainMenu(deps, state, ...notSoldHere(deps, state, point, found.request.amount));
  return reply(state, decisionPrompt(deps, state, found.request, entered));
};

/** The request was read out: 1 approves (by card, once the card is charged), 2 declines. */
export const requestDecided: VoiceStep = async (deps, call) => {
  const requestId = call.state.extra.pr;
  const number = call.state.extra.pq;
  if (!call.state.memberId || !requestId || !number) return mainMenu(deps, call.state);
  const choice = keyed(call);
  // Said again from the number, which reads the request's current details.
  const askAgain = async (s: CallState): Promise<Verb[]> => {
    const found = await findPaymentRequestByNumber(deps, number);
    return found.outcome === 'found' ? decisionPrompt(deps, s, found.request, number) : askRequestNumber(deps, s);
  };
  if (choice === '') {
    const again = await askAgain({ ...call.state, silences: call.state.silences + 1 });
    return silence(deps, call, () => again);
  }
  const state = heard(call.state);
  if (choice !== '1' && choice !== '2') {
    const again = await askAgain({ ...state, wrongEntries: state.wrongEntries + 1 });
    return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), () => again);
  }
  if (choice === '1' && paidThroughProcessor(methodFor(deps.config, 'payment_approval'))) return holdAndPay(deps, call, state, number);
  return decide(deps, call, state, choice === '1');
};

/**
 * By card: the request is taken by this call first (no one else can pay it, and it cannot expire
 * under a card being charged), then its amount is held against the monthly cap, then the card.
 */
async function holdAndPay(deps: VoiceDeps, call: CallInput, state: CallState, number: string): Promise<VoiceReply> {
  const requestId = state.extra.pr!;
  const found = await findPaymentRequestByNumber(deps, number);
  const held = found.outcome === 'found' ? await holdPaymentRequest(deps, { requestId, memberId: state.memberId!, callSid: call.callSid }, true) : found.outcome;
  if (held === 'approved') return decide(deps, call, state, true);
  if (held === 'expired') return mainMenu(deps, state, deps.flows.say('payment-approval', 'expired', state.locale), ...notChargedNote(deps, state, methodFor(deps.config, 'payment_approval')));
  if (held !== 'held' || found.outcome !== 'found') return mainMenu(deps, state, deps.flows.say('payment-approval', 'alreadyDecided', state.locale));
  const paying = await startCardPayment(deps, call, state, 'apr', found.request.amount, approvalPaidByCard);
  if (!('capRefused' in paying)) return paying;
  await holdPaymentRequest(deps, { requestId, memberId: state.memberId!, callSid: call.callSid }, false);
  return capRefusal(deps, state, paying.capRefused);
}

const capRefusal = (deps: VoiceDeps, state: CallState, remaining: number) => {
  const amount = (n: number) => spokenAmount(deps, n, state.locale);
  const refusal = deps.flows.say('payment-approval', 'capExceeded', state.locale, { cap: amount(deps.config.monthlySpendingCap), remaining: amount(remaining) });
  return mainMenu(deps, state, refusal, ...notChargedNote(deps, state, methodFor(deps.config, 'payment_approval')));
};

/**
 * Approves (claim, charge, approve: each once per call, so a Twilio retry replays) or declines,
 * and says how it went; `payment`: what the card connector confirmed (CHARGE_METHOD=card).
 */
export async function decide(deps: VoiceDeps, call: CallInput, state: CallState, approve: boolean, payment?: PayResult): Promise<VoiceReply & { approved?: true }> {
  const requestId = state.extra.pr!;
  const line = callerLine(call.from) ?? '';
  const card = payment && { confirmationCode: payment.confirmationCode ?? '', maskedCard: maskedCard(payment.last4 ?? ''), serverReference: payment.serverReference };
  const result = await decidePaymentRequest(deps, { requestId, approve, memberId: state.memberId!, callSid: call.callSid, from: line, to: state.to, payment: card });
  const method = methodFor(deps.config, 'payment_approval');
  const amount = (n: number) => spokenAmount(deps, n, state.locale);
  switch (result.outcome) {
    case 'approved': {
      const merchant = (await findMerchantName(deps, requestId)) ?? '';
      const told = mainMenu(
        deps,
        { ...state, premiumPaid: state.premiumPaid || method === 'premium-rate' },
        deps.flows.say('payment-approval', 'approved', state.locale, { amount: amount(result.amount), merchant }),
        // How it is billed was said before the caller agreed; a card also hears which card paid.
        ...(card ? [chargeAfter(deps, state, 'payment_approval', result.amount, card.maskedCard)] : []),
      );
      return { ...told, approved: true };
    }
    case 'declined':
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'declined', state.locale), ...notChargedNote(deps, state, method));
    case 'cap_exceeded':
      return capRefusal(deps, state, result.remaining);
    case 'expired':
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'expired', state.locale), ...notChargedNote(deps, state, method));
    default:
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'alreadyDecided', state.locale));
  }
}

async function findMerchantName(deps: VoiceDeps, requestId: string): Promise<string | null> {
  const merchantId = await deps.redis.hget(keys.paymentRequest(requestId), 'merchantId');
  return merchantId ? deps.redis.hget(keys.merchant(merchantId), 'name') : null;
}

/** By card: the payment request this call's card paid; undefined when it could not be approved. */
export const approvalPaidByCard: CardPaidFinisher = async (deps, call, payment) => {
  const decided = await decide(deps, call, call.state, true, payment);
  return decided.approved ? decided : undefined;
};
