import { customAlphabet } from 'nanoid';
import { LOCALES, type Locale } from '../config.ts';
import { methodFor, type ChargeKind } from '../charging/methods.ts';
import { chargeBefore, notPayableInCall, paysWithKeptCard, pricePointIn, spokenAmount } from './charge-words.ts';
import { callUrl, type CallState } from './call-state.ts';
import { PATHS, PAY_STATUS_PATH } from './paths.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';
import { ask, reply, say, type VoiceDeps } from './voice-step.ts';

/**
 * Every prompt that waits for keys, in one place: steps import these, never each other, so the
 * flow has no import cycles and each step is a plain function from what was keyed to a reply.
 */

export const otherLocale = (locale: Locale): Locale => LOCALES.find((l) => l !== locale)!;
export { spokenAmount };

/**
 * The call speaks a member's language (docs/CONTRACT.md, "Who hears which language"): the line is
 * a member's, or the caller has keyed an ID or signed in. Such a call is never offered the other
 * language again, wherever the menu comes back (after a renewal, an approval, a decline, 0…);
 * 9 still switches.
 */
export const speaksMemberLanguage = (state: CallState): boolean => Boolean(state.languageKnown || state.memberId || state.pendingMemberId);

/**
 * The main menu: for a caller whose language is not known, the other language offered in its own
 * voice first, then the choices; a member's call hears the choices alone (9 still switches).
 */
export function menuPrompt(deps: VoiceDeps, state: CallState, greet = false): Verb[] {
  const { locale } = state;
  const speech: Speech[] = [];
  if (greet) speech.push(deps.flows.say('main-menu', 'welcome', locale));
  if (!speaksMemberLanguage(state)) speech.push(deps.flows.say('main-menu', 'otherLanguage', otherLocale(locale)));
  speech.push(deps.flows.say('main-menu', 'menu', locale));
  return ask(deps, state, PATHS.menu, speech, { oneKey: true });
}

/** Seconds the first-call greeting waits for the next key: a menu key alone is taken after this. */
export const FIRST_CALL_TIMEOUT_SECONDS = 5;

/**
 * A line dialpass has never heard (most likely someone calling to register): the provisional ID
 * and # straight away, without a menu key; 0 (then the wait, or #) for the menu, 9 and # for the
 * other language. One <Gather> that ends on #, so the ID is one entry.
 */
export function firstCallPrompt(deps: VoiceDeps, state: CallState, greet = true): Verb[] {
  const { locale } = state;
  const speech: Speech[] = [];
  if (greet) speech.push(deps.flows.say('main-menu', 'welcome', locale), deps.flows.say('main-menu', 'otherLanguageAtGreeting', otherLocale(locale)));
  // A caller who asked for the language by voice is asked for the ID in as few words (they will say it).
  speech.push(!greet && state.spoke ? deps.flows.say('speech', 'askProvisionalIdSpoken', locale) : deps.flows.say('main-menu', 'firstCall', locale));
  return ask(deps, { ...state, extra: { f: '1' } }, PATHS.menu, speech, { timeout: FIRST_CALL_TIMEOUT_SECONDS });
}

export function mainMenu(deps: VoiceDeps, state: CallState, ...before: Speech[]): VoiceReply {
  // The member's language stays known when the formal ID keyed is let go (languageKnown).
  const clean = { ...state, languageKnown: speaksMemberLanguage(state) || undefined, next: undefined, pendingMemberId: undefined, extra: {} };
  return reply(clean, [...before.map(say), ...menuPrompt(deps, clean)]);
}

export const askProvisionalId = (deps: VoiceDeps, state: CallState) =>
  ask(deps, state, PATHS.provisionalId, [deps.flows.say('activation', 'askProvisionalId', state.locale)]);

export const askAfterFormalId = (deps: VoiceDeps, state: CallState) =>
  ask(deps, state, PATHS.afterFormalId, [deps.flows.say('activation', 'afterFormalId', state.locale)], { oneKey: true });

export const askFormalId = (deps: VoiceDeps, state: CallState) => ask(deps, state, PATHS.formalId, [deps.flows.say('sign-in', 'askFormalId', state.locale)]);

/**
 * The PIN: keys only unless SPEECH_PIN (a PIN said aloud can be overheard); a caller who has been
 * speaking is told why this prompt does not listen (one who keys hears the usual, shorter words).
 */
export const askPin = (deps: VoiceDeps, state: CallState) => {
  const keysOnly = !deps.config.speech.pin;
  const prompt = keysOnly && deps.config.speech.enabled && state.spoke ? deps.flows.say('speech', 'askPinKeysOnly', state.locale) : deps.flows.say('sign-in', 'askPin', state.locale);
  return ask(deps, state, PATHS.pin, [prompt], { keysOnly });
};

/** A fresh nonce names one consent (renewal, purchase): the same nonce again is a Twilio retry. */
export const newNonce = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

export function askRenewal(deps: VoiceDeps, state: CallState): Verb[] {
  const withConsent = { ...state, extra: { rn: state.extra.rn ?? newNonce() } };
  const prompt = deps.flows.say('renewal', 'confirm', state.locale, {
    days: String(deps.config.accessPeriodDays),
    amount: spokenAmount(deps, deps.config.activationCharge, state.locale),
  });
  // How it is paid comes before the keys that agree to it.
  const how = chargeBefore(deps, state, 'renewal', deps.config.activationCharge);
  return ask(deps, withConsent, PATHS.renewConfirm, [prompt, how, deps.flows.say('renewal', 'confirmChoices', state.locale)], { oneKey: true });
}

/**
 * The amounts on offer (a code any merchant takes), and 9 for a code only one merchant takes: its
 * number first, then the amount. No step waits for # alone.
 */
export function askAmount(deps: VoiceDeps, state: CallState): Verb[] {
  const { locale } = state;
  const merchant = state.extra.mr;
  // Options run on in Japanese ("500円は1、1,000円は2、…を押してください"); English ones are sentences.
  const gap = locale === 'ja-JP' ? [] : [{ text: ' ' }];
  // On premium-rate a number sells only the amount its tariff bills; the keys stay the same on every number.
  const sold = (amount: number) => methodFor(deps.config, 'code_purchase') !== 'premium-rate' || pricePointIn(deps, state, 'code_purchase', amount).collectable;
  const options = deps.config.codeDenominations.flatMap((amount, i) => !sold(amount) ? [] : [
    ...deps.flows.say('payment-code', 'amountOption', locale, { amount: spokenAmount(deps, amount, locale), key: String(i + 1) }).parts,
    ...gap,
  ]);
  const oneMerchant = merchant ? [] : [...deps.flows.say('payment-code', 'amountOneMerchant', locale).parts, ...gap];
  const menu: Speech = { locale, parts: [...options, ...oneMerchant, ...deps.flows.say('payment-code', 'amountMenuEnd', locale).parts] };
  return ask(deps, { ...state, extra: merchant ? { mr: merchant, ...(state.extra.mn ? { mn: state.extra.mn } : {}) } : {} }, PATHS.payAmount, [menu], { oneKey: true });
}

/** Key 9 at the amounts: the merchant's number and #, for a code only that merchant takes. */
export const askMerchant = (deps: VoiceDeps, state: CallState) => ask(deps, { ...state, extra: {} }, PATHS.payMerchant, [deps.flows.say('payment-code', 'askMerchant', state.locale)]);

export const merchantDigits = (merchantId: string) => ({ digits: merchantId, groupSize: 4 });

/** The chosen merchant as the caller knows it: its name (`mn`, kept with the choice), else its number. */
const merchantNamed = (state: CallState) => state.extra.mn || merchantDigits(state.extra.mr!);

export function askPurchaseConfirmation(deps: VoiceDeps, state: CallState): Verb[] {
  const amount = spokenAmount(deps, Number(state.extra.a), state.locale);
  const merchant = state.extra.mr;
  // A kept card pays after one key: the price, the merchant and the card in one sentence.
  if (methodFor(deps.config, 'code_purchase') === 'card' && paysWithKeptCard(deps, state)) {
    const lastFour = { digits: state.keptCard! };
    const prompt = merchant
      ? deps.flows.say('payment-code', 'confirmOneMerchantKeptCard', state.locale, { amount, merchant: merchantNamed(state), lastFour })
      : deps.flows.say('payment-code', 'confirmAnyMerchantKeptCard', state.locale, { amount, lastFour });
    return ask(deps, state, PATHS.payConfirm, [prompt], { oneKey: true });
  }
  const prompt = merchant
    ? deps.flows.say('payment-code', 'confirmOneMerchant', state.locale, { amount, merchant: merchantNamed(state) })
    : deps.flows.say('payment-code', 'confirmAnyMerchant', state.locale, { amount });
  const how = chargeBefore(deps, state, 'code_purchase', Number(state.extra.a));
  return ask(deps, state, PATHS.payConfirm, [prompt, how, deps.flows.say('payment-code', 'confirmChoices', state.locale)], { oneKey: true });
}

export const askAfterCode = (deps: VoiceDeps, state: CallState) =>
  ask(deps, state, PATHS.payAfter, [deps.flows.say('payment-code', 'afterCode', state.locale)], { oneKey: true });

export const askRequestNumber = (deps: VoiceDeps, state: CallState): Verb[] =>
  ask(deps, { ...state, extra: {} }, PATHS.approvalNumber, [deps.flows.say('payment-approval', 'askNumber', state.locale)]);

export const askDecision = (deps: VoiceDeps, state: CallState, prompt: Speech, amount: number): Verb[] =>
  ask(deps, state, PATHS.approvalDecision, [prompt, chargeBefore(deps, state, 'payment_approval', amount), deps.flows.say('payment-approval', 'confirmChoices', state.locale)], { oneKey: true });

export type MemberAction = 'buy' | 'approve' | 'renew';
export const MENU_ACTIONS: Record<string, MemberAction> = { '2': 'buy', '3': 'approve', '4': 'renew' };

/** Where a signed-in (or just activated) caller goes for what they chose in the menu. */
export function startMemberAction(deps: VoiceDeps, state: CallState, memberId: string, before: Speech[] = []): VoiceReply {
  const signedIn: CallState = { ...state, memberId, next: undefined, pendingMemberId: undefined, extra: {} };
  const action = state.next as MemberAction | undefined;
  const unpayable = action && notPayableInCall(deps, signedIn, action);
  if (unpayable) return mainMenu(deps, signedIn, ...before, ...unpayable);
  const prompt =
    state.next === 'buy'
      ? askAmount(deps, signedIn)
      : state.next === 'approve'
        ? askRequestNumber(deps, signedIn)
        : state.next === 'renew'
          ? askRenewal(deps, signedIn)
          : menuPrompt(deps, signedIn);
  return reply(signedIn, [...before.map(say), ...prompt]);
}

/** What a card pays for (the `ck` value in the signed state of <Pay>'s action URL). */
export type CardCharge = 'act' | 'ren' | 'buy' | 'apr';

export const CARD_CHARGE_KIND: Record<CardCharge, ChargeKind> = { act: 'activation', ren: 'renewal', buy: 'code_purchase', apr: 'payment_approval' };

const CARD_DESCRIPTIONS: Record<CardCharge, string> = { act: 'activation', ren: 'renewal', buy: 'payment code', apr: 'payment request' };

/** The call step a card charge is booked under, as the charging scripts name it (one charge per step). */
export function cardStep(charge: CardCharge, state: CallState): string {
  switch (charge) {
    case 'act':
      return 'activate';
    case 'ren':
      return 'renew';
    case 'buy':
      return `buy-${state.extra.pn}`;
    case 'apr':
      return `approve-${state.extra.pr}`;
  }
}

/** The member a card charge is for: the provisional ID being activated, or the signed-in member. */
export const cardMember = (charge: CardCharge, state: CallState): string | undefined => (charge === 'act' ? state.extra.pi : state.memberId);

/**
 * A card payment through Twilio's <Pay>, after the caller agreed to the price: `charge` mode has
 * the Pay Connector charge `amount` in CURRENCY; `tokenize` mode (CARD_PROCESSOR=stripe) only
 * tokenizes the card (tokenType="payment-method": a Stripe PaymentMethod) and dialpass charges it
 * through the processor when the action comes. The action URL carries what the payment is for, so
 * the result reaches cardPaid (card-payment.ts). <Pay> speaks no Japanese, so every step it
 * documents is said by our own <Prompt>s in the caller's language.
 */
export function payByCard(deps: VoiceDeps, state: CallState, charge: CardCharge, amount: number, before: Speech[] = [], mode: 'charge' | 'tokenize' = 'charge'): VoiceReply {
  const { locale } = state;
  const paying: CallState = { ...state, extra: { ...state.extra, ck: charge, ca: String(amount) } };
  const text = (key: CardPromptKey) => deps.flows.say('card', key, locale);
  return reply(paying, [
    ...before.map(say),
    {
      verb: 'pay',
      action: callUrl(deps.config.publicBaseUrl, PATHS.cardPaid, paying),
      statusCallback: `${deps.config.publicBaseUrl}${PAY_STATUS_PATH}`,
      ...(mode === 'charge' ? { chargeAmount: amount } : { tokenType: 'payment-method' as const }),
      currency: deps.config.currency.toLowerCase(),
      paymentConnector: deps.config.payConnector,
      description: `dialpass ${CARD_DESCRIPTIONS[charge]}`,
      prompts: {
        'payment-card-number': { ask: text('askCardNumber'), retry: text('retryCardNumber') },
        'expiration-date': { ask: text('askExpirationDate'), retry: text('retryExpirationDate') },
        'security-code': { ask: text('askSecurityCode'), retry: text('retrySecurityCode') },
        'postal-code': { ask: text('askPostalCode'), retry: text('retryPostalCode') },
        'payment-processing': { ask: text('processing') },
      },
      timeout: CARD_ENTRY_TIMEOUT_SECONDS,
      maxAttempts: CARD_ENTRY_ATTEMPTS,
    },
    // Twilio requests the action when <Pay> ends, whatever the Result; its reference also says an
    // entry given up after maxAttempts goes on with the next verb. Should that happen, the caller
    // hears the truth and a goodbye instead of silence (docs/TWILIO-BEHAVIOUR.md, <Pay>).
    say(deps.flows.say('card', 'failed', locale)),
    say(deps.flows.say('charging', 'cardNotCharged', locale)),
    say(deps.flows.say('common', 'goodbye', locale)),
    { verb: 'hangup' },
  ]);
}

type CardPromptKey = 'askCardNumber' | 'askExpirationDate' | 'askSecurityCode' | 'askPostalCode' | 'retryCardNumber' | 'retryExpirationDate' | 'retrySecurityCode' | 'retryPostalCode' | 'processing';

/** Carrier billing, when the operator asks for validation: the code it has just texted to the calling line, then #. */
export const askCarrierCode = (deps: VoiceDeps, state: CallState): Verb[] => ask(deps, state, PATHS.carrierCode, [deps.flows.say('carrier-billing', 'askCode', state.locale)], { timeout: 15 });

/** CARD_PROCESSOR=stripe, before <Pay>: keep this card for next time (1) or pay without keeping it (2)? */
export const askKeepCard = (deps: VoiceDeps, state: CallState): Verb[] => ask(deps, state, PATHS.cardKeep, [deps.flows.say('card', 'keepCard', state.locale)], { oneKey: true });

/** Seconds <Pay> waits for the next key of a field; and how many tries each field gets. */
export const CARD_ENTRY_TIMEOUT_SECONDS = 7;
export const CARD_ENTRY_ATTEMPTS = 2;

/** Activation by card or on the phone bill, menu 1: the ID can be activated; the price is said and the caller agrees first. */
export const askActivationConsent = (deps: VoiceDeps, state: CallState): Verb[] => {
  const amount = spokenAmount(deps, deps.config.activationCharge, state.locale);
  const consent = methodFor(deps.config, 'activation') === 'carrier-billing' ? deps.flows.say('carrier-billing', 'consentActivation', state.locale, { amount }) : deps.flows.say('card', 'consentActivation', state.locale, { amount });
  return ask(deps, state, PATHS.activationConsent, [consent], { oneKey: true });
};
