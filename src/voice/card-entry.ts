import { keptCard, processorCustomer, rememberCard } from '../accounts/kept-card.ts';
import { holdCap, releaseCap } from '../charging/cap-holds.ts';
import { abandonCharge, cardChargeSettled, chargeCard, confirmCharge, prepareCharge, refundCardCharge, type CardChargeResult } from '../charging/card-charges.ts';
import { cardProcessorFor, carrierBillingFor, type CardProcessor, type PaymentProcessor } from '../charging/card-processor.ts';
import type { CarrierBillingClient } from '../charging/carrier-billing.ts';
import { methodFor } from '../charging/methods.ts';
import type { ChargeMethod } from '../config.ts';
import { holdPaymentRequest } from '../payments/payment-requests.ts';
import type { CallState } from './call-state.ts';
import { askCarrierCode, askKeepCard, cardMember, cardStep, mainMenu, payByCard, type CardCharge } from './asks.ts';
import { notChargedNote } from './charge-words.ts';
import type { Speech, VoiceReply } from './twiml.ts';
import { callerLine, reply, type CallInput, type CardPaidFinisher, type PayResult, type VoiceDeps } from './voice-step.ts';

/**
 * Paying by card, shared by every step that sells something (activation, renewal, codes,
 * approvals), after the caller pressed 1 at the price. Not a call step itself: the steps call it
 * with their own finisher (what the charge buys), so no step imports another.
 *
 *  - codes and approvals first hold their amount against the monthly cap (two calls racing can
 *    never pass it together); whatever charges nothing gives the hold back;
 *  - CARD_PROCESSOR=stripe: a member with a kept card pays with it at once (no card keyed); anyone
 *    else is asked whether to keep the card, then <Pay> tokenizes it and dialpass charges it
 *    through the processor (cardPaid, in card-payment.ts);
 *  - otherwise <Pay> charges it through the Pay Connector, as the connector is set up.
 */
export async function startCardPayment(
  deps: VoiceDeps,
  call: CallInput,
  state: CallState,
  charge: CardCharge,
  amount: number,
  finish: CardPaidFinisher,
): Promise<VoiceReply | { capRefused: number }> {
  const memberId = cardMember(charge, state);
  if (!memberId) return mainMenu(deps, state);
  const paying: CallState = { ...state, extra: { ...state.extra, ck: charge, ca: String(amount) } };
  const hold = { memberId, callSid: call.callSid, step: cardStep(charge, paying) };
  if (charge === 'buy' || charge === 'apr') {
    const refused = await holdCap(deps.redis, deps.config, hold, amount, deps.now());
    if (refused !== undefined) return { capRefused: refused };
  }
  if (methodFor(deps.config, kindOf(charge)) === 'carrier-billing') return startCarrierBilling(deps, { ...call, state: paying }, charge, amount, finish);
  const processor = cardProcessorFor(deps.config);
  if (!processor) return payByCard(deps, paying, charge, amount);
  const kept = charge !== 'act' && state.keptCard ? await keptCard(deps.redis, memberId) : undefined;
  if (kept?.token && kept.customer) {
    const outcome = await chargeCard({ ...deps, processor }, { ...hold, kind: kindOf(charge), amount, paymentMethod: kept.token, customer: kept.customer, keep: false });
    return finishProcessorCharge(deps, processor, { ...call, state: paying }, outcome, { last4: kept.last4, cardType: kept.type, kept: true }, finish);
  }
  return reply(paying, askKeepCard(deps, paying));
}

/** Whether a method is paid in the call through a processor (card, carrier billing) rather than by the call itself or not at all. */
export const paidThroughProcessor = (method: ChargeMethod) => method === 'card' || method === 'carrier-billing';

export const kindOf = (charge: CardCharge) => (({ act: 'activation', ren: 'renewal', buy: 'code_purchase', apr: 'payment_approval' }) as const)[charge];

/**
 * The processor's answer to a charge, as the caller hears it. Charged: the step's finisher books
 * it (a card kept on the caller's word is kept only now); if it can no longer be booked (the ID was
 * activated by another call meanwhile), it is refunded at once. Declined or not made: nothing was
 * charged and the caller is told so. An answer that needs the cardholder: the card is keyed into
 * <Pay>, which charges it through the Pay Connector. No answer: the caller is told the truth, and
 * the background settles it from what the processor says (src/charging/card-charges.ts).
 */
export async function finishProcessorCharge(
  deps: VoiceDeps,
  processor: CardProcessor,
  call: CallInput,
  outcome: CardChargeResult,
  /** `keepToken`: the card's token, to keep on the caller's word; `kept`: it is the kept card already. */
  card: { last4: string; cardType: string; keepToken?: string; kept: boolean },
  finish: CardPaidFinisher,
): Promise<VoiceReply> {
  const { state } = call;
  const charge = state.extra.ck as CardCharge;
  const memberId = cardMember(charge, state)!;
  const order = { memberId, callSid: call.callSid, step: cardStep(charge, state), kind: kindOf(charge) };
  const { locale } = state;
  const notCharged = async (...why: Speech[]) => {
    await giveBack(deps, call, charge);
    return mainMenu(deps, { ...state, extra: {} }, ...why, ...notChargedNote(deps, state, 'card'));
  };
  switch (outcome.status) {
    case 'succeeded': {
      const payment: PayResult = { result: 'success', confirmationCode: outcome.reference, last4: card.last4, cardType: card.cardType };
      const told = await finish(deps, call, payment);
      if (!told) {
        await refundCardCharge({ ...deps, processor }, { ...order, amount: Number(state.extra.ca), reference: outcome.reference, why: 'charged, but could no longer be applied' });
        await cardChargeSettled(deps, order);
        return mainMenu(deps, { ...state, memberId: charge === 'act' ? undefined : state.memberId, extra: {} }, deps.flows.say('card', 'chargedButNotDone', locale));
      }
      await cardChargeSettled(deps, order);
      if (!card.kept) await rememberCard(deps.redis, deps.config, memberId, { last4: card.last4, type: card.cardType, token: card.keepToken, at: deps.now() });
      return told;
    }
    case 'declined':
      return notCharged(card.kept ? deps.flows.say('card', 'keptCardDeclined', locale, { lastFour: { digits: card.last4 } }) : deps.flows.say('card', 'declined', locale));
    case 'failed':
      return notCharged(deps.flows.say('card', 'failed', locale));
    case 'authentication-required':
      // Off-session the issuer will not take it; keyed into <Pay>, the connector charges it with the caller on the line.
      return payByCard(deps, state, charge, Number(state.extra.ca), [deps.flows.say('card', 'authenticationNeeded', locale)]);
    case 'unknown':
      return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('card', 'outcomeUnknown', locale));
  }
}

/** Nothing was charged: the cap hold and a held payment request go back. */
export async function giveBack(deps: VoiceDeps, call: CallInput, charge: CardCharge): Promise<void> {
  const { state } = call;
  const memberId = cardMember(charge, state);
  if (!memberId) return;
  if (charge === 'buy' || charge === 'apr') await releaseCap(deps.redis, deps.config, { memberId, callSid: call.callSid, step: cardStep(charge, state) }, deps.now());
  if (charge === 'apr' && state.extra.pr) await holdPaymentRequest(deps, { requestId: state.extra.pr, memberId, callSid: call.callSid }, false);
}

/** CARD_PROCESSOR=stripe: <Pay> tokenized the card; dialpass charges it through the processor (kept, if the caller said so). */
export async function chargeTokenizedCard(deps: VoiceDeps, processor: CardProcessor, call: CallInput, payment: PayResult, finish: CardPaidFinisher): Promise<VoiceReply> {
  const { state } = call;
  const charge = state.extra.ck as CardCharge;
  const memberId = cardMember(charge, state)!;
  const keep = state.extra.kp === '1';
  let customer: string | undefined;
  let outcome: CardChargeResult;
  try {
    customer = keep ? await processorCustomer(deps.redis, deps.config, memberId) : undefined;
    outcome = await chargeCard(
      { ...deps, processor },
      { memberId, callSid: call.callSid, step: cardStep(charge, state), kind: kindOf(charge), amount: Number(state.extra.ca), paymentMethod: payment.token!, customer, keep },
    );
  } catch (error) {
    outcome = { status: 'failed', why: error instanceof Error ? error.message : String(error) };
  }
  return finishProcessorCharge(deps, processor, call, outcome, { last4: payment.last4 ?? '', cardType: payment.cardType ?? '', keepToken: keep ? payment.token : undefined, kept: false }, finish);
}

/** A line carrier billing can charge: shown, in E.164 (CAMARA's phoneNumber pattern). */
const E164 = /^\+[1-9][0-9]{4,14}$/;

/**
 * Carrier billing (the mobile operator's CAMARA Carrier Billing API), after the caller pressed 1:
 * the amount is reserved on the calling line (`prepare`), then confirmed; when the operator asks
 * for validation, the caller first keys the code it texts to the phone (carrierCode). A withheld or
 * unverifiable line, or one whose SIM changed recently (SIM_SWAP_API_URL), is never charged.
 */
async function startCarrierBilling(deps: VoiceDeps, call: CallInput, charge: CardCharge, amount: number, finish: CardPaidFinisher): Promise<VoiceReply> {
  const { state } = call;
  const { locale } = state;
  const client = carrierBillingFor(deps.config);
  const line = callerLine(call.from);
  const refuse = async (key: 'notAvailable' | 'declined' | 'failed') => {
    await giveBack(deps, call, charge);
    return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('carrier-billing', key, locale), ...notChargedNote(deps, state, 'carrier-billing'));
  };
  // A caller ID that failed SHAKEN/STIR verification may not be the caller's line: it is not billed.
  if (!client || !line || !E164.test(line) || /failed/i.test(call.stirVerstat ?? '')) return refuse('notAvailable');
  const simSwap = deps.config.charging.carrierBilling?.simSwap;
  // A number moved to a new SIM (a stolen number) would bill its owner: unless the operator says it did not change, no charge.
  if (simSwap && (await client.simSwapped(line, simSwap.maxAgeHours)) !== false) return refuse('notAvailable');
  const memberId = cardMember(charge, state)!;
  const order = { memberId, callSid: call.callSid, step: cardStep(charge, state), kind: kindOf(charge), amount, phoneNumber: line };
  const prepared = await prepareCharge({ ...deps, processor: client }, order);
  if (prepared.status === 'declined') return refuse('declined');
  if (prepared.status === 'failed') return refuse('failed');
  if (prepared.validation) return reply(state, askCarrierCode(deps, state));
  return confirmCarrierCharge(deps, client, call, prepared.reference, finish);
}

/** Carrier billing, the reservation made (and validated): confirm it and say what happened. */
export async function confirmCarrierCharge(deps: VoiceDeps, client: CarrierBillingClient, call: CallInput, reference: string, finish: CardPaidFinisher): Promise<VoiceReply> {
  const { state } = call;
  const { locale } = state;
  const charge = state.extra.ck as CardCharge;
  const memberId = cardMember(charge, state)!;
  const order = { memberId, callSid: call.callSid, step: cardStep(charge, state), kind: kindOf(charge), amount: Number(state.extra.ca), phoneNumber: callerLine(call.from) };
  const processor = { ...deps, processor: client as PaymentProcessor };
  const outcome = await confirmCharge(processor, order, reference);
  switch (outcome.status) {
    case 'succeeded': {
      const told = await finish(deps, call, { result: 'success', confirmationCode: outcome.reference, serverReference: outcome.serverReference });
      if (!told) {
        await refundCardCharge(processor, { ...order, reference: outcome.reference, why: 'charged, but could no longer be applied' });
        await cardChargeSettled(deps, order);
        return mainMenu(deps, { ...state, memberId: charge === 'act' ? undefined : state.memberId, extra: {} }, deps.flows.say('carrier-billing', 'chargedButNotDone', locale));
      }
      await cardChargeSettled(deps, order);
      return told;
    }
    case 'unknown':
      return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('carrier-billing', 'outcomeUnknown', locale));
    default:
      await giveBack(deps, call, charge);
      return mainMenu(deps, { ...state, extra: {} }, deps.flows.say('carrier-billing', 'declined', locale), ...notChargedNote(deps, state, 'carrier-billing'));
  }
}

/** Nothing will be charged after all (silence, wrong codes, a refusal): the reservation is let go at once, and what was held for it. */
export async function abandonCarrierCharge(deps: VoiceDeps, call: CallInput, charge: CardCharge): Promise<void> {
  const client = carrierBillingFor(deps.config);
  const memberId = cardMember(charge, call.state);
  if (client && memberId) await abandonCharge({ ...deps, processor: client }, { memberId, callSid: call.callSid, step: cardStep(charge, call.state) }).catch(() => undefined);
  await giveBack(deps, call, charge);
}
