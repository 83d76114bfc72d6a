import { Html, esc } from './layout.ts';
import type { WebLang } from './messages.ts';

/**
 * Dates on the pages: one style per language. Japanese 「2026年12月7日 14:05」, English
 * "Dec 7, 2026, 2:05 PM JST" (the zone said, since an English reader may be anywhere). Each is a
 * <time> that never breaks inside (site.css: time { white-space: nowrap }), so a narrow screen
 * never splits 年月日.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
function format(lang: WebLang, timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${lang}|${timeZone}|${withTime}`;
  let f = formats.get(key);
  if (!f) {
    const locale = lang === 'ja' ? 'ja-JP' : 'en-US';
    const dateStyle = lang === 'ja' ? 'long' : 'medium';
    f = new Intl.DateTimeFormat(locale, withTime ? { dateStyle, timeStyle: 'short', timeZone } : { dateStyle, timeZone });
    formats.set(key, f);
  }
  return f;
}

const zoneNames = new Map<string, string>();
/** The zone's short name for English readers: JST for Tokyo (Intl says "GMT+9"), Intl's own elsewhere. */
export function zoneName(timeZone: string): string {
  let name = zoneNames.get(timeZone);
  if (name === undefined) {
    name =
      timeZone === 'Asia/Tokyo'
        ? 'JST'
        : (new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(Date.now()).find((p) => p.type === 'timeZoneName')?.value ?? timeZone);
    zoneNames.set(timeZone, name);
  }
  return name;
}

/** Date and time as text (for sentences and attributes). */
export function dateTimeText(ms: number, lang: WebLang, timeZone: string): string {
  const text = format(lang, timeZone, true).format(ms);
  return lang === 'en' ? `${text} ${zoneName(timeZone)}` : text;
}

export const dateText = (ms: number, lang: WebLang, timeZone: string): string => format(lang, timeZone, false).format(ms);

const timeTag = (ms: number, text: string) => new Html(`<time datetime="${new Date(ms).toISOString()}">${esc(text)}</time>`);

/** A moment as a <time> element; '—' for none. */
export const dateTime = (ms: number | null | undefined, lang: WebLang, timeZone: string): Html | string => (ms ? timeTag(ms, dateTimeText(ms, lang, timeZone)) : '—');

/** A day as a <time> element. */
export const date = (ms: number, lang: WebLang, timeZone: string): Html => timeTag(ms, dateText(ms, lang, timeZone));

/** A calendar day kept as YYYY-MM-DD (settlement days, the console's days), in the same style as every other date. */
export function calendarDate(day: string, lang: WebLang): Html | string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
  const text = format(lang, 'UTC', false).format(Date.parse(`${day}T12:00:00Z`));
  return new Html(`<time datetime="${day}">${esc(text)}</time>`);
}

/** A calendar day as text ("2026年12月7日", "Dec 7, 2026"), and short (「12/7」, "Dec 7") for a chart's axis. */
export const calendarDateText = (day: string, lang: WebLang): string => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? format(lang, 'UTC', false).format(Date.parse(`${day}T12:00:00Z`)) : day);
const shortFormats = { ja: new Intl.DateTimeFormat('ja-JP', { month: 'numeric', day: 'numeric', timeZone: 'UTC' }), en: new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }) };
export const shortDayText = (day: string, lang: WebLang): string => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? shortFormats[lang].format(Date.parse(`${day}T12:00:00Z`)) : day);

const monthFormats = { ja: new Intl.DateTimeFormat('ja-JP', { year: 'numeric', month: 'long', timeZone: 'UTC' }), en: new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'long', timeZone: 'UTC' }) };
/** A month kept as YYYY-MM: 「2026年12月」, "December 2026". */
export function calendarMonth(month: string, lang: WebLang): Html | string {
  if (!/^\d{4}-\d{2}$/.test(month)) return month;
  return new Html(`<time datetime="${month}">${esc(monthFormats[lang].format(Date.parse(`${month}-15T12:00:00Z`)))}</time>`);
}

/** A sentence with a piece of it (a date, a number) replaced by richer HTML, the rest escaped. */
export function sentence(text: string, piece: string, replacement: Html): Html {
  return new Html(esc(text).replace(esc(piece), replacement.value));
}
