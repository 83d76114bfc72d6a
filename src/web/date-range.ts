import type { FieldErrors } from './forms.ts';

export interface DateRangeCheck {
  values: { from?: string; to?: string };
  /** Empty when the range is good (both days optional; given ones real calendar days, from ≤ to). */
  errors: FieldErrors;
}

const realDay = (day: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === day;
};

/** A CSV export's `from`/`to` (YYYY-MM-DD, as <input type=date> sends them): what is wrong with them, in the page's words. */
export function checkDateRange(query: { from?: unknown; to?: unknown }, words: { badDate: string; badRange: string }): DateRangeCheck {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 40) : undefined) || undefined;
  const values = { from: text(query.from), to: text(query.to) };
  const errors: FieldErrors = {};
  if (values.from && !realDay(values.from)) errors.from = words.badDate;
  if (values.to && !realDay(values.to)) errors.to = words.badDate;
  if (!errors.from && !errors.to && values.from && values.to && values.from > values.to) errors.from = words.badRange;
  return { values, errors };
}
