import type { ChargeMethod, Locale } from '../config.ts';
import { methodFor, premiumNumberOf, pricePoint, type ChargeKind, type PricePoint } from '../charging/methods.ts';
import { formatAmountSpoken } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import type { Speech, SpeechPart } from './twiml.ts';
import type { VoiceDeps } from './voice-step.ts';

/**
 * Every sentence a caller hears about money comes from here, chosen for the method that really
 * collects that kind of charge and the number the call reached (docs/CHARGING.md): on a
 * premium-rate number the call itself is the price, whatever the caller chooses, so "you have not
 * been charged" is never said there; a price a number cannot bill is not sold on it.
 */

export const spokenAmount = (deps: Pick<VoiceDeps, 'config'>, amount: number, locale: Locale) => formatAmountSpoken(amount, deps.config.currency, locale);

/** A number callers dial, read digit by digit in the groups it is written in (0990-50-0300). */
export function phoneNumberSpeech(dial: string): Extract<SpeechPart, { digits: string }> {
  const groups = dial.replace(/^\+/, '').split(/[\s()-]+/).filter(Boolean);
  return { digits: groups.join(''), groupSize: groups.map((g) => g.length) };
}

/** How a price of this kind is collected in this call, or why it cannot be here. */
export const pricePointIn = (deps: Pick<VoiceDeps, 'config'>, state: Pick<CallState, 'to' | 'premiumPaid'>, kind: ChargeKind, amount: number): PricePoint =>
  pricePoint(deps.config, kind, amount, state);

const lastFour = (maskedCard: string) => ({ digits: maskedCard.replace(/\D/g, '').slice(-4) });

/** Whether a card charge in this call pays with the member's kept card (CARD_PROCESSOR=stripe). */
export const paysWithKeptCard = (deps: Pick<VoiceDeps, 'config'>, state: Pick<CallState, 'keptCard'>) => deps.config.charging.cardProcessor === 'stripe' && Boolean(state.keptCard);

/** Said with a price, before the caller agrees: how it will really be collected. */
export function chargeBefore(deps: VoiceDeps, state: CallState, kind: ChargeKind, amount: number): Speech {
  const { locale } = state;
  switch (methodFor(deps.config, kind)) {
    case 'premium-rate':
      // The price was just said: the call itself is it, whatever the caller chooses next.
      return deps.flows.say('charging', 'beforePremiumRate', locale);
    case 'card':
      if (kind !== 'activation' && paysWithKeptCard(deps, state)) return deps.flows.say('charging', 'beforeKeptCard', locale, { lastFour: lastFour(state.keptCard!) });
      return deps.flows.say('charging', 'beforeCard', locale);
    case 'carrier-billing':
      return deps.flows.say('charging', 'beforeCarrierBilling', locale);
    case 'none':
      // A demo costs nothing itself; on a number whose carrier bills every call, the call still does.
      return demoWords(deps, state, 'beforeNone');
  }
}

/**
 * A demo's words, before and after alike: on a plain number, "nothing will really be charged"; on
 * a premium-rate number that is false (its carrier bills the call its tariff whatever is chosen),
 * so the caller hears in one short sentence that the demo is free and what this call costs.
 */
function demoWords(deps: VoiceDeps, state: Pick<CallState, 'to' | 'locale'>, plain: 'beforeNone' | 'afterNone'): Speech {
  const { locale } = state;
  const number = premiumNumberOf(deps.config, state.to);
  if (!number) return deps.flows.say('charging', plain, locale);
  const amount = spokenAmount(deps, number.amount, locale);
  return deps.flows.say('charging', number.per === 'call' ? 'demoCallBilled' : 'demoCallBilledPerMinute', locale, { amount });
}

/** What this call itself costs, on a premium-rate number (its carrier bills it whatever the caller chooses); undefined elsewhere. */
function callBilledNote(deps: VoiceDeps, state: Pick<CallState, 'to' | 'locale'>): Speech | undefined {
  const number = premiumNumberOf(deps.config, state.to);
  if (!number) return undefined;
  const amount = spokenAmount(deps, number.amount, state.locale);
  return deps.flows.say('charging', number.per === 'call' ? 'callStillBilled' : 'callStillBilledPerMinute', state.locale, { amount });
}

/** Said once a charge is made: how it was collected (a card: which one, by its last four digits only). */
export function chargeAfter(deps: VoiceDeps, state: CallState, kind: ChargeKind, amount: number, maskedCard?: string): Speech {
  const { locale } = state;
  switch (methodFor(deps.config, kind)) {
    case 'premium-rate':
      return deps.flows.say('charging', 'afterPremiumRate', locale, { amount: spokenAmount(deps, amount, locale) });
    case 'card':
      return deps.flows.say('charging', 'afterCard', locale, { lastFour: lastFour(maskedCard ?? '') });
    case 'carrier-billing':
      return deps.flows.say('charging', 'afterCarrierBilling', locale);
    case 'none':
      return demoWords(deps, state, 'afterNone');
  }
}

/**
 * Said whenever nothing was bought (cancelled, declined, refused): what is still true about the
 * money. A card that was not charged is said so; on a premium-rate number the call itself is
 * billed all the same, so the caller hears that instead of "not charged".
 */
export function notChargedNote(deps: VoiceDeps, state: Pick<CallState, 'to' | 'locale'>, method?: ChargeMethod): Speech[] {
  const { locale } = state;
  const notes: Speech[] = [];
  if (method === 'card') notes.push(deps.flows.say('charging', 'cardNotCharged', locale));
  if (method === 'carrier-billing') notes.push(deps.flows.say('charging', 'carrierNotCharged', locale));
  const call = callBilledNote(deps, state);
  if (call) notes.push(call);
  else if (method !== 'card' && method !== 'carrier-billing') notes.push(deps.flows.say('charging', 'notCharged', locale));
  return notes;
}

/** Why a price is not taken in this call: another number sells it, none does, or this call has paid for one thing already. */
export function notSoldHere(deps: VoiceDeps, state: CallState, point: Extract<PricePoint, { collectable: false }>, amount: number): Speech[] {
  const { locale } = state;
  const spoken = spokenAmount(deps, amount, locale);
  const why =
    point.why === 'elsewhere'
      ? deps.flows.say('charging', 'soldElsewhere', locale, { amount: spoken, number: phoneNumberSpeech(point.number.dial) })
      : point.why === 'nowhere'
        ? deps.flows.say('charging', 'soldNowhere', locale, { amount: spoken })
        : deps.flows.say('charging', 'callPaid', locale);
  return [why, ...notChargedNote(deps, state)];
}

/**
 * Before a menu choice goes further: what keeps it from being paid in this call, said at once
 * (so the caller does not sign in for nothing), or undefined. Approvals depend on the request's
 * amount and are checked once it is read out.
 */
export function notPayableInCall(deps: VoiceDeps, state: CallState, action: 'activate' | 'renew' | 'buy' | 'approve'): Speech[] | undefined {
  const fee = deps.config.activationCharge;
  if (action === 'activate' || action === 'renew') {
    const point = pricePointIn(deps, state, action === 'activate' ? 'activation' : 'renewal', fee);
    return point.collectable ? undefined : notSoldHere(deps, state, point, fee);
  }
  if (action !== 'buy' || methodFor(deps.config, 'code_purchase') !== 'premium-rate') return undefined;
  const points = deps.config.codeDenominations.map((amount) => ({ amount, point: pricePointIn(deps, state, 'code_purchase', amount) }));
  if (points.some(({ point }) => point.collectable)) return undefined;
  const { locale } = state;
  if (points.some(({ point }) => !point.collectable && point.why === 'call-paid')) return [deps.flows.say('charging', 'callPaid', locale), ...notChargedNote(deps, state)];
  const gap = locale === 'ja-JP' ? [] : [{ text: ' ' }];
  const options = points.flatMap(({ amount, point }) =>
    !point.collectable && point.why === 'elsewhere'
      ? [...deps.flows.say('payment-code', 'codeNumberOption', locale, { amount: spokenAmount(deps, amount, locale), number: phoneNumberSpeech(point.number.dial) }).parts, ...gap]
      : [],
  );
  const list: Speech = { locale, parts: [...options, ...deps.flows.say('payment-code', 'codeNumbersEnd', locale).parts] };
  return [deps.flows.say('payment-code', 'codeNumbersIntro', locale), list, ...notChargedNote(deps, state)];
}
