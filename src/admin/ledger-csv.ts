import type { Response } from 'express';
import { streamLedgers } from '../accounts/ledger.ts';
import { calendarDay } from '../shared/calendar.ts';
import { csvLine } from '../shared/csv.ts';
import type { AdminDeps } from './figures.ts';

const isoDay = (value: unknown) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined);
const HEADER = ['entry_id', 'at', 'day', 'member_id', 'kind', 'method', 'amount', 'currency', 'call_sid', 'calling_number', 'confirmation', 'card', 'code_last4', 'payment_request'];

/**
 * Every charge of a date range (`from`, `to`: calendar days in TIME_ZONE, both included) as CSV,
 * read from the members' ledgers themselves (the books, not the audit trail) and written member
 * by member as it is read: nothing holds more than one SCAN batch. Rows come grouped by member;
 * what `npm run archive` moved out of Redis is in its own CSV files.
 */
export async function sendLedgerCsv(deps: AdminDeps, res: Response, query: { from?: unknown; to?: unknown }): Promise<void> {
  const from = isoDay(query.from) ?? '0000-00-00';
  const to = isoDay(query.to) ?? '9999-99-99';
  const { timeZone } = deps.config;
  res.type('text/csv').set('Content-Disposition', `attachment; filename="ledger-${from === '0000-00-00' ? 'start' : from}-${to === '9999-99-99' ? 'now' : to}.csv"`);
  res.write(csvLine(HEADER));
  for await (const { memberId, entries } of streamLedgers(deps.redis)) {
    let rows = '';
    for (const e of entries) {
      const day = calendarDay(e.at, timeZone);
      if (day < from || day > to) continue;
      const row = [e.id ?? `${memberId}/${e.callSid}/${e.kind}`, new Date(e.at).toISOString(), day, memberId, e.kind, e.method ?? '', e.amount, e.currency, e.callSid, e.from, e.confirmation, e.card, e.codeLast4, e.paymentRequest];
      rows += csvLine(row);
    }
    // Honour backpressure: a slow download must not make the ledgers pile up in memory.
    if (rows && !res.write(rows)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}
