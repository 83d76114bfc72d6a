import { activationConsent, activationPaidByCard, afterFormalId, provisionalIdEntered } from './activation.ts';
import { cardKeepStep, cardPaidStep } from './card-payment.ts';
import { carrierCodeStep } from './carrier-payment.ts';
import { menuOrProvisionalId, pickUp } from './menu.ts';
import { approvalPaidByCard, requestDecided, requestNumberEntered } from './payment-approval.ts';
import { afterCode, amountChosen, merchantEntered, purchaseConfirmed, purchasePaidByCard } from './payment-code.ts';
import { PATHS, type StepPath } from './paths.ts';
import { renewalConfirmed, renewalPaidByCard } from './renewal.ts';
import { formalIdEntered, pinEntered } from './sign-in.ts';
import type { VoiceStep } from './voice-step.ts';
import { languageWords, listening, type Listens } from './heard.ts';

/**
 * How a call moves: each webhook path, the step that answers it, and where its answer can lead.
 * Every step is a plain function (deps, what was keyed) → TwiML data; steps ask through asks.ts.
 * Any step: silence once → asked again; silence twice, or a third wrong entry → goodbye.
 *
 * | path                      | step                  | keys → next                                                           |
 * |---------------------------|-----------------------|-----------------------------------------------------------------------|
 * | /twilio/voice             | pickUp                | withheld number → told, hang up; a member's line: greeting + menu; a new line: greeting + "provisional ID and #" |
 * | /twilio/voice/menu        | menuOrProvisionalId   | an ID# (new line) → as …/activation · 1 → provisionalId · 2,3,4 → formalId (or the action, if known) · 9 → other language · 0 → menu |
 * | …/activation              | provisionalIdEntered  | ID# → formal ID read twice → afterFormalId (card: price → activationConsent) |
 * | …/activation/pay          | activationConsent     | card only: 1 → <Pay> → cardPaid · 2 → menu, nothing charged           |
 * | …/activation/next         | afterFormalId         | 1 → ID again · 2 → payAmount · 0 → menu                               |
 * | …/sign-in/id              | formalIdEntered       | ID# → pin (in the member's language)                                  |
 * | …/sign-in/pin             | pinEntered            | PIN# → payAmount (2) · approvalNumber (3) · renewConfirm (4)          |
 * | …/renew/confirm           | renewalConfirmed      | price said; 1 → renewed, menu · 2 → menu                              |
 * | …/pay/amount              | amountChosen          | 1-n → payConfirm (any merchant, or the one chosen) · 9 → payMerchant · 0 → menu |
 * | …/pay/merchant            | merchantEntered       | number# → payAmount, for that merchant only                           |
 * | …/pay/confirm             | purchaseConfirmed     | price said (kept card: which card); 1 → code read twice → payAfter · 2 → menu |
 * | …/pay/after               | afterCode             | 1 → code again · 2 → payAmount · 0 → menu                             |
 * | …/approve/number          | requestNumberEntered  | number# → request read out → approvalDecision                         |
 * | …/approve/decision        | requestDecided        | 1 → approved, menu · 2 → declined, menu                               |
 * | …/card/keep               | cardKeep              | CARD_PROCESSOR=stripe: 1 keep the card, 2 do not → <Pay> tokenizes → cardPaid |
 * | …/card/paid               | cardPaid              | <Pay>'s action: a token → charged through the processor; success → recorded, told (formal ID, code…) · else told the card was not charged, menu |
 * | …/carrier/code            | carrierCode           | carrier-billing, when the operator asks: the code it texted# → confirmed, told · wrong → again (third: let go) |
 *
 * When a kind is paid by card (CHARGE_METHOD_<KIND>=card) every "1 → charged" above (renew,
 * pay/confirm, approve/decision, and activation/pay) goes to the card instead: the kept card at
 * once (CARD_PROCESSOR=stripe), or cardKeep and <Pay>, or <Pay> charging through the connector.
 * On premium-rate a price is sold only on a number whose tariff is that price, once per call:
 * elsewhere the caller hears which number sells it (charge-words.ts).
 */
/** What each charge buys once a card or the phone bill paid it (each step file exports its own). */
const PAID_BY_PROCESSOR = { act: activationPaidByCard, ren: renewalPaidByCard, buy: purchasePaidByCard, apr: approvalPaidByCard };

/**
 * What each prompt hears besides keys (heard.ts): the words that stand for its keys, the amounts
 * of the amount menu, or a number, read back in the groups it is written in before the step gets
 * it. The PIN listens only with SPEECH_PIN (asks.ts askPin); <Pay> never listens.
 */
const YES_NO = { '1': ['yes'], '2': ['no'] } as const;
const AGAIN_BUY_MENU = { '1': ['again'], '2': ['buy'], '0': ['menu'] } as const;
const LISTENS: Partial<Record<StepPath, Listens>> = {
  // A one-key choice at the menu, or (from the first-call greeting) the provisional ID itself.
  [PATHS.menu]: { words: (_, s) => ({ '1': ['activate'], '2': ['buy'], '3': ['approve'], '4': ['renew'], '9': languageWords(s.locale)['9']!, '0': ['menu', 'again', ...languageWords(s.locale)['0']!] }), number: [3, 4, 4] },
  [PATHS.provisionalId]: { number: [3, 4, 4] },
  [PATHS.afterFormalId]: { words: () => AGAIN_BUY_MENU },
  [PATHS.formalId]: { number: [3, 3, 3] },
  [PATHS.pin]: { number: [], when: (deps) => deps.config.speech.pin },
  [PATHS.renewConfirm]: { words: () => ({ '1': ['yes', 'renew'], '2': ['no'] }) },
  [PATHS.payAmount]: {
    words: () => ({ '9': ['merchant'], '0': ['menu'] }),
    amounts: (deps) => Object.fromEntries(deps.config.codeDenominations.map((amount, i) => [String(i + 1), amount])),
  },
  [PATHS.payMerchant]: { number: [4, 4] },
  [PATHS.payConfirm]: { words: () => ({ '1': ['yes', 'buy'], '2': ['no'] }) },
  [PATHS.payAfter]: { words: () => AGAIN_BUY_MENU },
  [PATHS.approvalNumber]: { number: [4, 4] },
  [PATHS.approvalDecision]: { words: () => ({ '1': ['yes', 'approve'], '2': ['no'] }) },
  [PATHS.activationConsent]: { words: () => YES_NO },
  [PATHS.cardKeep]: { words: () => YES_NO },
  [PATHS.carrierCode]: { number: [] },
};

const STEPS_BY_PATH: Record<StepPath, VoiceStep> = {
  [PATHS.pickUp]: pickUp,
  [PATHS.menu]: menuOrProvisionalId(provisionalIdEntered),
  [PATHS.provisionalId]: provisionalIdEntered,
  [PATHS.afterFormalId]: afterFormalId,
  [PATHS.formalId]: formalIdEntered,
  [PATHS.pin]: pinEntered,
  [PATHS.renewConfirm]: renewalConfirmed,
  [PATHS.payAmount]: amountChosen,
  [PATHS.payMerchant]: merchantEntered,
  [PATHS.payConfirm]: purchaseConfirmed,
  [PATHS.payAfter]: afterCode,
  [PATHS.approvalNumber]: requestNumberEntered,
  [PATHS.approvalDecision]: requestDecided,
  [PATHS.activationConsent]: activationConsent,
  [PATHS.cardKeep]: cardKeepStep,
  [PATHS.cardPaid]: cardPaidStep(PAID_BY_PROCESSOR),
  [PATHS.carrierCode]: carrierCodeStep(PAID_BY_PROCESSOR),
};

export const CALL_FLOW = Object.fromEntries(
  Object.entries(STEPS_BY_PATH).map(([path, step]) => {
    const listens = LISTENS[path as StepPath];
    return [path, listens ? listening(path, listens, step) : step];
  }),
) as Record<StepPath, VoiceStep>;

const STEPS = new Map<string, VoiceStep>(Object.entries(CALL_FLOW));

export const stepFor = (path: string): VoiceStep | undefined => STEPS.get(path);
