import type { Locale } from '../config.ts';
import { INTENTS, type Intent } from './intents.ts';
import { foldTranscript, readings, TokenTable, unitsOf } from './segment.ts';
import { EN_AMOUNT_TOKENS, INTENT_PHRASES, JA_AMOUNT_TOKENS, WORD_FILLERS } from './vocabulary.ts';

export { INTENTS, INTENT_PHRASES, type Intent };

/**
 * The words a caller may say instead of a menu key, and yes / no. An utterance means one thing
 * only when the whole of it is covered by one word's phrases and fillers: "はい、お願いします" is
 * yes, "yes… no" is two things and so nothing, and a word of no table at all is nothing too.
 */



const tableFor = (locale: Locale) => {
  const entries: [string, Intent | ''][] = [];
  for (const intent of INTENTS) for (const phrase of INTENT_PHRASES[intent][locale]) entries.push([phrase, intent]);
  for (const filler of WORD_FILLERS[locale]) entries.push([filler, '']);
  return new TokenTable<Intent | ''>(locale, entries);
};
const TABLES: Record<Locale, TokenTable<Intent | ''>> = { 'ja-JP': tableFor('ja-JP'), 'en-US': tableFor('en-US') };

/**
 * The one word (of `allowed`) the caller said, or undefined: nothing recognised, a word this
 * prompt does not offer, or two different words in one utterance.
 */
export function spokenIntent(transcript: string, locale: Locale, allowed: readonly Intent[] = INTENTS): Intent | undefined {
  const units = unitsOf(foldTranscript(transcript), locale);
  if (units.length === 0 || units.length > 100) return undefined;
  // Each reading is the intents said, one letter each (their index), fillers read as nothing.
  const found = readings(units, TABLES[locale], (value) => (value ? String.fromCharCode(65 + INTENTS.indexOf(value)) : ''));
  if (!found) return undefined;
  const said = new Set<Intent>();
  for (const reading of found) for (const letter of reading) said.add(INTENTS[letter.charCodeAt(0) - 65]!);
  if (said.size !== 1) return undefined;
  const [intent] = said;
  return allowed.includes(intent!) ? intent : undefined;
}

/* Amounts said as amounts ("千円", "ごひゃくえん", "one thousand yen", "1,000"): for the amount menu. */

const AMOUNT_TABLES: Record<Locale, TokenTable<string>> = { 'ja-JP': new TokenTable('ja-JP', JA_AMOUNT_TOKENS), 'en-US': new TokenTable('en-US', EN_AMOUNT_TOKENS) };

/** A reading's value: digits written out ("1000"), or counted in words ("五百" = 5H, "one thousand" = 1S). */
function amountOf(reading: string): number | undefined {
  if (/^\d+$/.test(reading)) return Number(reading);
  let total = 0;
  let group = 0;
  let digits = '';
  // Within a group the multipliers come largest first (五百二十, not 十百): each must be below the last.
  let lastInGroup = Infinity;
  let lastGroup = Infinity;
  for (let i = 0; i < reading.length; i++) {
    const c = reading[i]!;
    if (c >= '0' && c <= '9') digits += c;
    else if (c === '>') {
      digits += `1${reading[++i]}`;
    } else if (c === '<') {
      digits += reading[++i]!;
      // forty-five: the unit follows; forty alone is 40.
      if (/[1-9]/.test(reading[i + 1] ?? '') && !/[JHSM]/.test(reading[i + 2] ?? '')) digits += reading[++i]!;
      else digits += '0';
    } else if (c === 'J' || c === 'H') {
      const unit = digits === '' ? 1 : Number(digits);
      const multiplier = c === 'J' ? 10 : 100;
      if (digits.length > 1 || multiplier >= lastInGroup) return undefined;
      group += unit * multiplier;
      lastInGroup = multiplier;
      digits = '';
    } else if (c === 'S' || c === 'M') {
      const multiplier = c === 'S' ? 1000 : 10000;
      if (multiplier >= lastGroup) return undefined;
      const value = group + (digits === '' ? (group ? 0 : 1) : Number(digits));
      total += value * multiplier;
      lastGroup = multiplier;
      lastInGroup = Infinity;
      group = 0;
      digits = '';
    } else return undefined;
  }
  const value = total + group + (digits === '' ? 0 : Number(digits));
  return value > 0 ? value : undefined;
}

/** The amount a caller said, in whole units of the currency, or undefined. */
export function spokenAmount(transcript: string, locale: Locale): number | undefined {
  const folded = foldTranscript(transcript).replace(/(\d),(?=\d{3}\b)/g, '$1');
  // An English number written in figures is one word: its digits are read one by one, as in Japanese.
  const units = unitsOf(folded, locale).flatMap((w) => (locale === 'en-US' && /^\d+$/.test(w) ? [...w] : [w]));
  if (units.length === 0 || units.length > 60) return undefined;
  const found = readings(units, AMOUNT_TABLES[locale], (t) => t);
  if (!found) return undefined;
  const values = new Set<number>();
  for (const reading of found) {
    const value = amountOf(reading);
    if (value === undefined) return undefined;
    values.add(value);
  }
  return values.size === 1 ? [...values][0] : undefined;
}
