import { decidePaymentRequest, findPaymentRequestByNumber, paymentRequestNumbers } from '../payments/payment-requests.ts';
import { formatAmount } from '../shared/format.ts';
import { keys } from '../store/keys.ts';
import type { CallState } from './call-state.ts';
import { mainMenu } from './menu.ts';
import { registerMemberAction, type MemberAction } from './sign-in.ts';
import type { Verb } from './twiml.ts';
import { ask, countLineWrongEntry, keyed, lineBlockedReply, lineIsBlocked, wrongEntry, type VoiceDeps, type VoiceStep } from './voice-step.ts';

export const APPROVAL_NUMBER_PATH = '/twilio/voice/approve/number';
export const APPROVAL_DECISION_PATH = '/twilio/voice/approve/decision';

const askNumber = (deps: VoiceDeps, state: CallState): Verb[] =>
  ask(deps, { ...state, extra: {} }, APPROVAL_NUMBER_PATH, [deps.flows.say('payment-approval', 'askNumber', state.locale)], { finishOnKey: '#', timeout: 10 });

export const approveByPhone: MemberAction = async (deps, call, memberId) => ({
  locale: call.state.locale,
  verbs: askNumber(deps, { ...call.state, memberId, next: undefined }),
});

/** The request number: a wrong one counts against the line, as request numbers are short. */
export const requestNumberEntered: VoiceStep = async (deps, call) => {
  const { state } = call;
  if (!state.memberId) return mainMenu(deps, state);
  const entered = keyed(call);
  const retry = (s: CallState) => askNumber(deps, s);
  if (entered === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (await lineIsBlocked(deps, call.from)) return lineBlockedReply(deps, state);
  const refuse = async (key: 'mistypedNumber' | 'unknownNumber' | 'expired' | 'alreadyDecided') => {
    await countLineWrongEntry(deps, call.from);
    return wrongEntry(deps, call, deps.flows.say('payment-approval', key, state.locale), retry);
  };
  if (paymentRequestNumbers.check(entered) !== 'ok') return refuse('mistypedNumber');
  const found = await findPaymentRequestByNumber(deps, entered);
  if (found.outcome !== 'found') return refuse(({ unknown: 'unknownNumber', expired: 'expired', decided: 'alreadyDecided' } as const)[found.outcome]);
  const { request } = found;
  const next = { ...state, extra: { pr: request.id } };
  const prompt = deps.flows.say('payment-approval', 'confirm', state.locale, {
    merchant: request.merchantName,
    amount: formatAmount(request.amount, deps.config.currency, state.locale),
    description: request.description,
  });
  return { locale: state.locale, verbs: ask(deps, next, APPROVAL_DECISION_PATH, [prompt], { numDigits: 1 }) };
};

/** 1 approves (claim, charge, approve: each once per call), 2 declines. */
export const requestDecided: VoiceStep = async (deps, call) => {
  const { state } = call;
  const requestId = state.extra.pr;
  if (!state.memberId || !requestId) return mainMenu(deps, state);
  const choice = keyed(call);
  // Anything but 1 or 2: start again from the number, which replays the request's details.
  const retry = (s: CallState) => askNumber(deps, s);
  if (choice === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (choice !== '1' && choice !== '2') return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);
  const result = await decidePaymentRequest(deps, { requestId, approve: choice === '1', memberId: state.memberId, callSid: call.callSid, from: call.from });
  const back = { ...state, extra: {} };
  const amount = (n: number) => formatAmount(n, deps.config.currency, state.locale);
  switch (result.outcome) {
    case 'approved': {
      const merchant = (await findMerchantName(deps, requestId)) ?? '';
      return mainMenu(deps, back, deps.flows.say('payment-approval', 'approved', state.locale, { amount: amount(result.amount), merchant }));
    }
    case 'declined':
      return mainMenu(deps, back, deps.flows.say('payment-approval', 'declined', state.locale));
    case 'cap_exceeded':
      return mainMenu(deps, back, deps.flows.say('payment-approval', 'capExceeded', state.locale, { cap: amount(deps.config.monthlySpendingCap), remaining: amount(result.remaining) }));
    case 'expired':
      return mainMenu(deps, back, deps.flows.say('payment-approval', 'expired', state.locale));
    default:
      return mainMenu(deps, back, deps.flows.say('payment-approval', 'alreadyDecided', state.locale));
  }
};

async function findMerchantName(deps: VoiceDeps, requestId: string): Promise<string | null> {
  const merchantId = await deps.redis.hget(keys.paymentRequest(requestId), 'merchantId');
  return merchantId ? deps.redis.hget(keys.merchant(merchantId), 'name') : null;
}

export const PAYMENT_APPROVAL_STEPS: [string, VoiceStep][] = [
  [APPROVAL_NUMBER_PATH, requestNumberEntered],
  [APPROVAL_DECISION_PATH, requestDecided],
];

registerMemberAction('approve', approveByPhone);
