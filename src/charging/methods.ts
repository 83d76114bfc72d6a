import { compactNumber, type ChargeKindSetting, type ChargeMethod, type Config, type PremiumNumber } from '../config.ts';

/** What a member is charged for: one ledger entry of this kind per call step. */
export type ChargeKind = 'activation' | 'renewal' | 'code_purchase' | 'payment_approval';

const SETTING_OF: Record<ChargeKind, ChargeKindSetting> = { activation: 'activation', renewal: 'renewal', code_purchase: 'codes', payment_approval: 'approvals' };

type ChargingConfig = Pick<Config, 'charging'>;

/** The method that collects this kind of charge (CHARGE_METHOD_<KIND>, default CHARGE_METHOD). */
export const methodFor = (config: ChargingConfig, kind: ChargeKind): ChargeMethod => config.charging.methods[SETTING_OF[kind]];

/** Whether any kind is collected by this method. */
export const usesMethod = (config: ChargingConfig, method: ChargeMethod): boolean => Object.values(config.charging.methods).includes(method);

const byTo = new WeakMap<Config['charging'], Map<string, PremiumNumber>>();

/** The premium-rate number a call reached (its `To`), with its tariff; undefined for any other number. */
export function premiumNumberOf(config: ChargingConfig, to: string): PremiumNumber | undefined {
  let map = byTo.get(config.charging);
  if (!map) byTo.set(config.charging, (map = new Map(config.charging.premiumNumbers.map((n) => [n.to, n]))));
  return map.get(to) ?? map.get(compactNumber(to));
}

/** The numbers whose carrier bills exactly `amount` per call: the only ones that can sell that price on premium-rate. */
export const premiumNumbersFor = (config: ChargingConfig, amount: number): PremiumNumber[] =>
  config.charging.premiumNumbers.filter((n) => n.per === 'call' && n.amount === amount);

/**
 * Whether a price can be collected in this call, and how (docs/CHARGING.md):
 *  - `card`, `none`: always;
 *  - `premium-rate`: only on a number whose carrier bills exactly this price per call, and once
 *    per call (the carrier bills a call once, so a call pays for one thing). Otherwise the caller
 *    is told the number that sells it (`elsewhere`), or that no number does (`nowhere`).
 */
export type PricePoint =
  | { collectable: true; method: ChargeMethod; number?: PremiumNumber }
  | { collectable: false; why: 'elsewhere'; number: PremiumNumber }
  | { collectable: false; why: 'nowhere' | 'call-paid' };

export function pricePoint(config: ChargingConfig, kind: ChargeKind, amount: number, call: { to: string; premiumPaid?: boolean }): PricePoint {
  const method = methodFor(config, kind);
  if (method !== 'premium-rate') return { collectable: true, method };
  const here = premiumNumberOf(config, call.to);
  if (here && here.per === 'call' && here.amount === amount) return call.premiumPaid ? { collectable: false, why: 'call-paid' } : { collectable: true, method, number: here };
  const elsewhere = premiumNumbersFor(config, amount)[0];
  return elsewhere ? { collectable: false, why: 'elsewhere', number: elsewhere } : { collectable: false, why: 'nowhere' };
}

/** The amounts a merchant may ask for (payment requests) under the approvals method: undefined means any. */
export function payableRequestAmounts(config: ChargingConfig): number[] | undefined {
  if (methodFor(config, 'payment_approval') !== 'premium-rate') return undefined;
  return [...new Set(config.charging.premiumNumbers.filter((n) => n.per === 'call').map((n) => n.amount))].sort((a, b) => a - b);
}
