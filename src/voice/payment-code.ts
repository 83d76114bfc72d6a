import { customAlphabet } from 'nanoid';
import { getMerchant } from '../merchants/merchants.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { buyCode, recallPurchase, type PurchasedCode } from '../payments/purchase.ts';
import { formatAmount, formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { mainMenu } from './menu.ts';
import { registerMemberAction, type MemberAction } from './sign-in.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';
import { apologyReply, ask, hangUp, keyed, wrongEntry, type VoiceDeps, type VoiceStep } from './voice-step.ts';

export const PAY_AMOUNT_PATH = '/twilio/voice/pay/amount';
export const PAY_MERCHANT_PATH = '/twilio/voice/pay/merchant';
export const PAY_CONFIRM_PATH = '/twilio/voice/pay/confirm';
export const PAY_AFTER_PATH = '/twilio/voice/pay/after';

// Flow values in the signed URL state: a = amount, mr = merchant, pn = purchase nonce.
const newNonce = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

const amountText = (deps: VoiceDeps, amount: number, state: CallState) => formatAmount(amount, deps.config.currency, state.locale);
const codeDigits = (code: string) => ({ digits: code, groupSize: 4 });
const merchantDigits = (merchantId: string) => ({ digits: merchantId, groupSize: 4 });
const say = (speech: Speech): Verb => ({ verb: 'say', speech });
const reply = (state: CallState, verbs: Verb[]): VoiceReply => ({ locale: state.locale, verbs });

function askAmount(deps: VoiceDeps, state: CallState): Verb[] {
  const { locale } = state;
  const options = deps.config.codeDenominations.flatMap((amount, i) =>
    deps.flows.say('payment-code', 'amountOption', locale, { amount: amountText(deps, amount, state), key: String(i + 1) }),
  );
  const menu = [...deps.flows.say('payment-code', 'chooseAmount', locale), ...options, ...deps.flows.say('payment-code', 'amountMenuEnd', locale)];
  return ask(deps, { ...state, extra: {} }, PAY_AMOUNT_PATH, [menu], { numDigits: 1 });
}

const askMerchant = (deps: VoiceDeps, state: CallState) =>
  ask(deps, state, PAY_MERCHANT_PATH, [deps.flows.say('payment-code', 'askMerchant', state.locale)], { finishOnKey: '#', timeout: 10 });

function askConfirmation(deps: VoiceDeps, state: CallState): Verb[] {
  const amount = amountText(deps, Number(state.extra.a), state);
  const merchant = state.extra.mr;
  const prompt = merchant
    ? deps.flows.say('payment-code', 'confirmOneMerchant', state.locale, { amount, merchant: merchantDigits(merchant) })
    : deps.flows.say('payment-code', 'confirmAnyMerchant', state.locale, { amount });
  return ask(deps, state, PAY_CONFIRM_PATH, [prompt], { numDigits: 1 });
}

const askAfterCode = (deps: VoiceDeps, state: CallState) =>
  ask(deps, state, PAY_AFTER_PATH, [deps.flows.say('payment-code', 'afterCode', state.locale)], { numDigits: 1 });

/** Signed in (or just activated): start with the amount menu. */
export const buyCodeByPhone: MemberAction = async (deps, call, memberId) =>
  reply(call.state, askAmount(deps, { ...call.state, memberId, next: undefined }));

export const amountChosen: VoiceStep = async (deps, call) => {
  const { state } = call;
  if (!state.memberId) return mainMenu(deps, state);
  const choice = keyed(call);
  const retry = (s: CallState) => askAmount(deps, s);
  if (choice === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (choice === '0') return mainMenu(deps, { ...state, extra: {} });
  const amount = deps.config.codeDenominations[Number(choice) - 1];
  if (!/^[1-9]$/.test(choice) || amount === undefined) return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);
  return reply(state, askMerchant(deps, { ...state, extra: { a: String(amount) } }));
};

/** A merchant number then #, or # alone (Digits present but empty) for any merchant. */
export const merchantEntered: VoiceStep = async (deps, call) => {
  const { state } = call;
  if (!state.memberId || !state.extra.a) return mainMenu(deps, state);
  const retry = (s: CallState) => askMerchant(deps, s);
  if (call.digits === undefined) return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  const entered = keyed(call);
  if (entered === '') return reply(state, askConfirmation(deps, { ...state, extra: { a: state.extra.a, pn: newNonce() } }));
  if (merchantIds.check(entered) !== 'ok') return wrongEntry(deps, call, deps.flows.say('payment-code', 'mistypedMerchant', state.locale), retry);
  if (!(await getMerchant(deps.redis, entered))) return wrongEntry(deps, call, deps.flows.say('payment-code', 'unknownMerchant', state.locale), retry);
  return reply(state, askConfirmation(deps, { ...state, extra: { a: state.extra.a, mr: entered, pn: newNonce() } }));
};

function codeSpeech(deps: VoiceDeps, state: CallState, purchase: PurchasedCode, key: 'issued' | 'codeAgain'): Verb[] {
  const vars = {
    amount: amountText(deps, purchase.amount, state),
    code: codeDigits(purchase.code),
    date: formatDate(purchase.expiresAt, state.locale, deps.config.timeZone),
  };
  const verbs = [say(deps.flows.say('payment-code', key, state.locale, vars))];
  if (purchase.merchantId) verbs.push(say(deps.flows.say('payment-code', 'onlyAtMerchant', state.locale, { merchant: merchantDigits(purchase.merchantId) })));
  return verbs;
}

/** Speech flattened for a text message: digits in groups of four. */
const plainText = (speech: Speech) =>
  speech.map((part) => ('text' in part ? part.text : (part.digits.match(/.{1,4}/g) ?? []).join(' '))).join('');

const E164 = /^\+\d{6,15}$/;

/** 1 buys (once per nonce: a Twilio retry replays the same code without a second charge), 2 cancels. */
export const purchaseConfirmed: VoiceStep = async (deps, call) => {
  const { state } = call;
  const memberId = state.memberId;
  const { a, mr, pn } = state.extra;
  if (!memberId || !a || !pn) return mainMenu(deps, state);
  const choice = keyed(call);
  const retry = (s: CallState) => askConfirmation(deps, s);
  if (choice === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (choice === '2') return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('payment-code', 'cancelled', state.locale));
  if (choice !== '1') return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), retry);

  const result = await buyCode(deps, { memberId, callSid: call.callSid, from: call.from, nonce: pn, amount: Number(a), merchantId: mr });
  if (result.outcome === 'cap_exceeded') {
    const refusal = deps.flows.say('payment-code', 'capExceeded', state.locale, {
      cap: amountText(deps, deps.config.monthlySpendingCap, state),
      remaining: amountText(deps, result.remaining, state),
    });
    const canBuyLess = deps.config.codeDenominations.some((d) => d <= result.remaining);
    if (!canBuyLess) return mainMenu(deps, { ...state, extra: {} }, refusal);
    return reply(state, [say(refusal), ...askAmount(deps, state)]);
  }
  const verbs = codeSpeech(deps, state, result, 'issued');
  if (deps.sms && E164.test(call.from)) {
    if (result.outcome === 'bought') {
      const text = deps.flows.say('payment-code', 'smsText', state.locale, {
        amount: amountText(deps, result.amount, state),
        code: codeDigits(result.code),
        date: formatDate(result.expiresAt, state.locale, deps.config.timeZone),
      });
      // Not awaited: the caller is waiting on the line and has the code by voice anyway.
      void deps.sms.send(call.from, plainText(text));
    }
    verbs.push(say(deps.flows.say('payment-code', 'sentBySms', state.locale)));
  }
  return reply(state, [...verbs, ...askAfterCode(deps, { ...state, extra: { pn } })]);
};

/** After the code: 1 hears it again, 2 buys another, 0 main menu, silence ends the call. */
export const afterCode: VoiceStep = async (deps, call) => {
  const { state } = call;
  const memberId = state.memberId;
  if (!memberId) return mainMenu(deps, state);
  const choice = keyed(call);
  if (choice === '') return hangUp(deps, state);
  if (choice === '0') return mainMenu(deps, { ...state, extra: {} });
  if (choice === '2') return reply(state, askAmount(deps, state));
  if (choice === '1' && state.extra.pn) {
    const purchase = await recallPurchase(deps, memberId, call.callSid, state.extra.pn);
    if (!purchase) return apologyReply(deps, state);
    return reply(state, [...codeSpeech(deps, state, purchase, 'codeAgain'), ...askAfterCode(deps, state)]);
  }
  return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => askAfterCode(deps, s));
};

export const PAYMENT_CODE_STEPS: [string, VoiceStep][] = [
  [PAY_AMOUNT_PATH, amountChosen],
  [PAY_MERCHANT_PATH, merchantEntered],
  [PAY_CONFIRM_PATH, purchaseConfirmed],
  [PAY_AFTER_PATH, afterCode],
];

registerMemberAction('buy', buyCodeByPhone);
