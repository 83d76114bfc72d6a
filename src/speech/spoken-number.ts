import type { Locale } from '../config.ts';
import { foldTranscript, readings, TokenTable, unitsOf } from './segment.ts';
import { EN_DIGITS, EN_NUMBER_FILLERS, EN_TEENS, EN_TENS, JA_DIGITS, JA_NUMBER_FILLERS, JA_SEPARATORS } from './vocabulary.ts';

/**
 * Spoken numbers, as a recogniser writes them, back to digits (an ID, a merchant or request
 * number, a one-key choice said aloud). Table-driven, one table per language; every table entry
 * is folded the same way as the transcript (foldTranscript), so hiragana and katakana, full-width
 * and ASCII are one. A token is one of:
 *
 * - a digit (its reading): `0`–`9` as written, or the reading as a string of its digit;
 * - `D` / `T`: English "double" / "triple", said before a digit;
 * - `<n`: English tens (forty = `<4`), `>n`: English teens (thirteen = `>3`), `H`: hundred;
 * - '': a separator or a filler, dropped.
 *
 * Anything left over that is not a filler makes the utterance "not understood", and so does an
 * utterance that the tables read two different ways: it is asked again, never guessed.
 */

const DIGIT_CHARS = [...'0123456789'].map((d) => [d, d] as const);






type Token = string;

/** A pause in an English transcript, as one word no one says (see enUnits). */
const PAUSE = 'zpausez';

function table(locale: Locale): TokenTable<Token> {
  const entries: (readonly [string, Token])[] = [...DIGIT_CHARS];
  if (locale === 'ja-JP') {
    for (const [digit, words] of Object.entries(JA_DIGITS)) for (const word of words) entries.push([word, digit]);
    for (const separator of JA_SEPARATORS) entries.push([separator, '']);
    for (const filler of JA_NUMBER_FILLERS) entries.push([filler, '']);
  } else {
    for (const [digit, words] of Object.entries(EN_DIGITS)) for (const word of words) entries.push([word, digit]);
    EN_TEENS.forEach((word, n) => entries.push([word, `>${n}`]));
    for (const [word, digit] of Object.entries(EN_TENS)) entries.push([word, `<${digit}`]);
    entries.push(['double', 'D'], ['triple', 'T'], ['hundred', 'H']);
    // The pause mark of enUnits: it is only a unit of its own, never a word's.
    entries.push([PAUSE, '|']);
    for (const filler of EN_NUMBER_FILLERS) entries.push([filler, '']);
  }
  return new TokenTable<Token>(locale, entries);
}

const TABLES: Record<Locale, TokenTable<Token>> = { 'ja-JP': table('ja-JP'), 'en-US': table('en-US') };

/**
 * English words: ASCII numbers ("850", "4313") are one word each; they become one token per digit
 * here. A comma or full stop is where the recogniser heard a pause: it stays, as `|`, so that
 * "eight hundred fifty, four" is 850 then 4 while "eight hundred fifty four" is 854.
 */
function enUnits(folded: string): string[] {
  return unitsOf(folded.replace(/[,.;:!?]+/g, ` ${PAUSE} `), 'en-US').flatMap((word) => (/^\d+$/.test(word) ? [...word] : [word]));
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * The token string of one reading, as digits: double/triple repeat the next digit, tens take the
 * unit that follows (forty three = 43, forty = 40), teens are two digits, and "eight hundred fifty"
 * is 850. Undefined when the words do not make a number (double at the end, hundred alone…).
 */
function digitsOf(reading: string): string | undefined {
  let out = '';
  for (let i = 0; i < reading.length; i++) {
    const c = reading[i]!;
    if (isDigit(c)) {
      if (reading[i + 1] !== 'H') {
        out += c;
        continue;
      }
      // "eight hundred …": three digits.
      i += 1;
      const next = reading[i + 1];
      if (next === '>') {
        out += `${c}1${reading[i + 2]}`;
        i += 2;
      } else if (next === '<') {
        const unit = reading[i + 3];
        const hasUnit = isDigit(unit) && unit !== '0' && reading[i + 4] !== 'H';
        out += `${c}${reading[i + 2]}${hasUnit ? unit : '0'}`;
        i += hasUnit ? 3 : 2;
      } else if (isDigit(next) && next === '0' && isDigit(reading[i + 2]) && reading[i + 3] !== 'H') {
        out += `${c}0${reading[i + 2]}`;
        i += 2;
      } else if (isDigit(next) && reading[i + 2] !== 'H') {
        out += `${c}0${next}`;
        i += 1;
      } else out += `${c}00`;
    } else if (c === '<') {
      const unit = reading[i + 2];
      const hasUnit = isDigit(unit) && unit !== '0' && reading[i + 3] !== 'H';
      out += `${reading[i + 1]}${hasUnit ? unit : '0'}`;
      i += hasUnit ? 2 : 1;
    } else if (c === '>') {
      out += `1${reading[i + 1]}`;
      i += 1;
    } else if (c === '|') {
      continue;
    } else if (c === 'D' || c === 'T') {
      const next = reading[i + 1];
      if (!isDigit(next) || reading[i + 2] === 'H') return undefined;
      out += next!.repeat(c === 'D' ? 2 : 3);
      i += 1;
    } else return undefined; // hundred with nothing before it
  }
  return out;
}

/**
 * The digits a caller said, or undefined when the utterance is not a number: not understood.
 * An utterance with no digit at all (only fillers) is not understood either.
 */
export function spokenDigits(transcript: string, locale: Locale): string | undefined {
  const folded = foldTranscript(transcript);
  const units = locale === 'ja-JP' ? unitsOf(folded, locale) : enUnits(folded);
  if (units.length === 0 || units.length > 200) return undefined;
  const found = readings(units, TABLES[locale], (token) => token);
  if (!found) return undefined;
  const numbers = new Set<string>();
  for (const reading of found) {
    const digits = digitsOf(reading);
    if (digits === undefined) return undefined;
    numbers.add(digits);
  }
  if (numbers.size !== 1) return undefined;
  const [digits] = numbers;
  return digits ? digits : undefined;
}
