import { csvLine } from '../shared/csv.ts';
import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';

export interface SettlementDay {
  date: string;
  redemptions: number;
  redeemed: number;
  voided: number;
  net: number;
}

/** Redeemed totals per calendar day (TIME_ZONE), oldest first; voids count against the day of the redemption. */
export async function settlementDays(deps: CoreDeps, merchantId: string): Promise<SettlementDay[]> {
  const totals = await deps.redis.hgetall(keys.merchantSettlement(merchantId));
  const days = new Map<string, SettlementDay>();
  for (const [field, value] of Object.entries(totals)) {
    const [date, kind] = field.split(':') as [string, string];
    const day = days.get(date) ?? { date, redemptions: 0, redeemed: 0, voided: 0, net: 0 };
    if (kind === 'count') day.redemptions = Number(value);
    if (kind === 'redeemed') day.redeemed = Number(value);
    if (kind === 'voided') day.voided = Number(value);
    day.net = day.redeemed - day.voided;
    days.set(date, day);
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** A merchant's settlement days as CSV (the shared writer: src/shared/csv.ts). */
export function settlementCsv(merchantId: string, currency: string, days: SettlementDay[]): string {
  let text = csvLine(['merchant_id', 'date', 'redemptions', 'redeemed', 'voided', 'net', 'currency']);
  for (const d of days) text += csvLine([merchantId, d.date, d.redemptions, d.redeemed, d.voided, d.net, currency]);
  return text;
}
