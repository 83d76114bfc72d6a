import { decidePaymentRequest, findPaymentRequestByNumber, paymentRequestNumbers, type PaymentRequest } from '../payments/payment-requests.ts';
import { keys } from '../store/keys.ts';
import type { CallState } from './call-state.ts';
import { askDecision, askRequestNumber, mainMenu, spokenAmount } from './asks.ts';
import type { Verb } from './twiml.ts';
import {
  callerLine,
  heard,
  keyed,
  lineGuess,
  refundLineAttempt,
  reply,
  silence,
  wrongEntry,
  type VoiceDeps,
  type VoiceStep,
} from './voice-step.ts';

// Flow values in the signed URL state: pr = request id, pq = the number keyed (to say the request again).

function decisionPrompt(deps: VoiceDeps, state: CallState, request: PaymentRequest, number: string): Verb[] {
  const next = { ...state, extra: { pr: request.id, pq: number } };
  const prompt = deps.flows.say('payment-approval', 'confirm', state.locale, {
    merchant: request.merchantName,
    amount: spokenAmount(deps, request.amount, state.locale),
    description: request.description,
  });
  return askDecision(deps, next, prompt);
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
  return reply(state, decisionPrompt(deps, state, found.request, entered));
};

/** The request was read out: 1 approves (claim, charge, approve: each once per call), 2 declines. */
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
  const line = callerLine(call.from) ?? '';
  const result = await decidePaymentRequest(deps, { requestId, approve: choice === '1', memberId: state.memberId!, callSid: call.callSid, from: line });
  const amount = (n: number) => spokenAmount(deps, n, state.locale);
  switch (result.outcome) {
    case 'approved': {
      const merchant = (await findMerchantName(deps, requestId)) ?? '';
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'approved', state.locale, { amount: amount(result.amount), merchant }));
    }
    case 'declined':
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'declined', state.locale));
    case 'cap_exceeded':
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'capExceeded', state.locale, { cap: amount(deps.config.monthlySpendingCap), remaining: amount(result.remaining) }));
    case 'expired':
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'expired', state.locale));
    default:
      return mainMenu(deps, state, deps.flows.say('payment-approval', 'alreadyDecided', state.locale));
  }
};

async function findMerchantName(deps: VoiceDeps, requestId: string): Promise<string | null> {
  const merchantId = await deps.redis.hget(keys.paymentRequest(requestId), 'merchantId');
  return merchantId ? deps.redis.hget(keys.merchant(merchantId), 'name') : null;
}
