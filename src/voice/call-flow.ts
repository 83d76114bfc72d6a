import { activationConsent, activationPaidByCard, afterFormalId, provisionalIdEntered } from './activation.ts';
import { cardKeepStep, cardPaidStep } from './card-payment.ts';
import { carrierCodeStep } from './carrier-payment.ts';
import { chooseFromMenu, pickUp } from './menu.ts';
import { approvalPaidByCard, requestDecided, requestNumberEntered } from './payment-approval.ts';
import { afterCode, amountChosen, merchantEntered, purchaseConfirmed, purchasePaidByCard } from './payment-code.ts';
import { PATHS, type StepPath } from './paths.ts';
import { renewalConfirmed, renewalPaidByCard } from './renewal.ts';
import { formalIdEntered, pinEntered } from './sign-in.ts';
import type { VoiceStep } from './voice-step.ts';

/**
 * How a call moves: each webhook path, the step that answers it, and where its answer can lead.
 * Every step is a plain function (deps, what was keyed) → TwiML data; steps ask through asks.ts.
 * Any step: silence once → asked again; silence twice, or a third wrong entry → goodbye.
 *
 * | path                      | step                  | keys → next                                                           |
 * |---------------------------|-----------------------|-----------------------------------------------------------------------|
 * | /twilio/voice             | pickUp                | withheld number → told, hang up; else greeting + menu                 |
 * | /twilio/voice/menu        | chooseFromMenu        | 1 → provisionalId · 2,3,4 → formalId (or the action, if known) · 9 → other language · 0 → menu |
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

export const CALL_FLOW: Record<StepPath, VoiceStep> = {
  [PATHS.pickUp]: pickUp,
  [PATHS.menu]: chooseFromMenu,
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

const STEPS = new Map<string, VoiceStep>(Object.entries(CALL_FLOW));

export const stepFor = (path: string): VoiceStep | undefined => STEPS.get(path);
