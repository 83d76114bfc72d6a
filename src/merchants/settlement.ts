import { csvLine } from '../shared/csv.ts';
import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';

export interface SettlementDay {
  date: string;
  redemptions: number;
  redeemed: number;
  /** Payment requests members approved by phone on this day (charged to them; owed to the merchant). */
  approvals: number;
  approved: number;
  /** Voided on the redemption's own day, while that day was open. */
  voided: number;
  /** Taken off on this day for voids of redemptions of earlier, closed days (see below). */
  adjustments: number;
  /** What the merchant is owed for the day: redeemed + approved - voided - adjustments. */
  net: number;
}

/**
 * Redeemed and approved totals per calendar day (TIME_ZONE), oldest first. A day is **closed** once it has ended
 * in TIME_ZONE: its figures never change afterwards, so a payout can be made on them. A void made
 * on the redemption's own day counts against that day (`voided`); a void made later (within
 * VOID_WINDOW_HOURS) is an adjustment on the day it was made (`adjustments`, the current period).
 */
export async function settlementDays(deps: CoreDeps, merchantId: string): Promise<SettlementDay[]> {
  const totals = await deps.redis.hgetall(keys.merchantSettlement(merchantId));
  const days = new Map<string, SettlementDay>();
  for (const [field, value] of Object.entries(totals)) {
    const [date, kind] = field.split(':') as [string, string];
    const day = days.get(date) ?? { date, redemptions: 0, redeemed: 0, approvals: 0, approved: 0, voided: 0, adjustments: 0, net: 0 };
    if (kind === 'count') day.redemptions = Number(value);
    if (kind === 'redeemed') day.redeemed = Number(value);
    if (kind === 'voided') day.voided = Number(value);
    if (kind === 'adjusted') day.adjustments = Number(value);
    if (kind === 'approvals') day.approvals = Number(value);
    if (kind === 'approved') day.approved = Number(value);
    day.net = day.redeemed + day.approved - day.voided - day.adjustments;
    days.set(date, day);
  }
  return [...days.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** A merchant's settlement days as CSV (the shared writer: src/shared/csv.ts). */
export function settlementCsv(merchantId: string, currency: string, days: SettlementDay[]): string {
  let text = csvLine(['merchant_id', 'date', 'redemptions', 'redeemed', 'approvals', 'approved', 'voided', 'adjustments', 'net', 'currency']);
  for (const d of days) text += csvLine([merchantId, d.date, d.redemptions, d.redeemed, d.approvals, d.approved, d.voided, d.adjustments, d.net, currency]);
  return text;
}
