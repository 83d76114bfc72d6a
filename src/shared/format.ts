import type { Locale } from '../config.ts';

// Intl formatting costs a few microseconds a call and webhooks speak dates and amounts on every
// answer, so formatters are built once and recent answers remembered.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const moneyFormats = new Map<string, Intl.NumberFormat>();
/** The last date said per locale and time zone, by minute: every UTC offset in use is a whole number of minutes. */
const lastDates = new Map<string, { minute: number; text: string }>();
const amounts = new Map<string, string>();
const AMOUNTS_REMEMBERED = 1000;

function formatter<F>(cache: Map<string, F>, key: string, build: () => F): F {
  let format = cache.get(key);
  if (!format) {
    format = build();
    cache.set(key, format);
  }
  return format;
}

/** A date as people say it: "2026年12月21日" or "December 21, 2026", in the service's time zone. */
export function formatDate(ms: number, locale: Locale, timeZone: string): string {
  const key = `${locale}|${timeZone}`;
  const minute = Math.floor(ms / 60_000);
  const last = lastDates.get(key);
  if (last?.minute === minute) return last.text;
  const text = formatter(dateFormats, key, () => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone })).format(ms);
  lastDates.set(key, { minute, text });
  return text;
}

export function formatDateTime(ms: number, locale: Locale, timeZone: string): string {
  return formatter(dateTimeFormats, `${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone })).format(ms);
}

const zonedFormats = new Map<string, Intl.DateTimeFormat>();
/**
 * A date and time that says its zone ("2026年12月21日 21:05 JST", "December 21, 2026 at 9:05 PM
 * GMT+9"): for a moment someone must act by, read by people who may be elsewhere.
 */
export function formatDateTimeWithZone(ms: number, locale: Locale, timeZone: string): string {
  return formatter(zonedFormats, `${locale}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone })).format(ms);
}

/** An amount with its currency, e.g. "￥300" or "¥300". */
export function formatAmount(amount: number, currency: string, locale: Locale): string {
  const key = `${locale}|${currency}|${amount}`;
  let text = amounts.get(key);
  if (text === undefined) {
    text = formatter(moneyFormats, `${locale}|${currency}`, () => new Intl.NumberFormat(locale, { style: 'currency', currency })).format(amount);
    if (amounts.size >= AMOUNTS_REMEMBERED) amounts.clear();
    amounts.set(key, text);
  }
  return text;
}

const spokenMoneyFormats = new Map<string, Intl.NumberFormat>();
const spokenAmounts = new Map<string, string>();

/**
 * An amount as a voice should say it: words for the currency, never a sign ("300円",
 * "1,000 yen", "12.50 US dollars"). Text-to-speech reads "￥300" unreliably, and grouping
 * commas keep long amounts from being read as a run of digits.
 */
export function formatAmountSpoken(amount: number, currency: string, locale: Locale): string {
  const key = `${locale}|${currency}|${amount}`;
  let text = spokenAmounts.get(key);
  if (text === undefined) {
    const format = formatter(spokenMoneyFormats, `${locale}|${currency}`, () => new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'name' }));
    text = format.format(amount).replace(/Japanese yen$/, 'yen');
    if (spokenAmounts.size >= AMOUNTS_REMEMBERED) spokenAmounts.clear();
    spokenAmounts.set(key, text);
  }
  return text;
}
