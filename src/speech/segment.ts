import type { Locale } from '../config.ts';

/**
 * What every reading of a transcript starts with. Twilio hands back whatever its recogniser wrote
 * (docs/TWILIO-BEHAVIOUR.md, Speech): full-width or ASCII digits, kanji, hiragana or katakana,
 * English words with punctuation. NFKC folds full-width and half-width forms, lower case folds
 * English, and hiragana become katakana so one table holds each kana reading.
 */
export function foldTranscript(text: string): string {
  let out = '';
  for (const char of text.normalize('NFKC').toLowerCase()) {
    const code = char.codePointAt(0)!;
    // Hiragana ぁ (U+3041) … ゖ (U+3096) sit 0x60 below their katakana.
    out += code >= 0x3041 && code <= 0x3096 ? String.fromCodePoint(code + 0x60) : char;
  }
  return out;
}

/**
 * The units a transcript is cut into: Japanese is written without spaces, so each character is a
 * unit and a token is a run of them; English is cut into words at spaces and punctuation (a hyphen
 * too: "eight-five-oh"), and a token is a run of words ("buy a code").
 */
export function unitsOf(folded: string, locale: Locale): string[] {
  // Spaces in Japanese are only where the recogniser paused: a space is no unit of its own.
  if (locale === 'ja-JP') return [...folded.replace(/\s+/g, '')];
  return folded
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A table of tokens (each a phrase in the language's own units) and what each means. */
export class TokenTable<T> {
  private readonly byFirst = new Map<string, { units: string[]; value: T }[]>();

  constructor(
    private readonly locale: Locale,
    entries: Iterable<readonly [string, T]>,
  ) {
    for (const [phrase, value] of entries) this.add(phrase, value);
  }

  add(phrase: string, value: T): void {
    const units = unitsOf(foldTranscript(phrase), this.locale);
    if (units.length === 0) return;
    const list = this.byFirst.get(units[0]!) ?? [];
    list.push({ units, value });
    this.byFirst.set(units[0]!, list);
  }

  /** The tokens that start at `at`, with how many units each covers. */
  matchesAt(units: string[], at: number): { length: number; value: T }[] {
    const found: { length: number; value: T }[] = [];
    for (const entry of this.byFirst.get(units[at]!) ?? []) {
      if (entry.units.every((u, i) => units[at + i] === u)) found.push({ length: entry.units.length, value: entry.value });
    }
    return found;
  }
}

/** At most this many readings are kept apart at any point; more means the utterance is too ambiguous to act on. */
const MAX_READINGS = 8;

/**
 * Every way of covering the whole utterance with tokens from the table, read by `read` (each
 * token's meaning as a string; readings that come out the same are one). A unit that no token
 * covers leaves no reading at all: whole tokens only, so the ク of ください is never a 9 when
 * ください is in the table, and nothing is guessed around a word it does not know. Undefined when
 * nothing covers the utterance, or when more distinct readings remain than can be told apart.
 */
export function readings<T>(units: string[], table: TokenTable<T>, read: (value: T) => string): Set<string> | undefined {
  // From the end backwards: at[i] holds every reading of units[i…].
  const at: (Set<string> | undefined)[] = new Array(units.length + 1);
  at[units.length] = new Set(['']);
  for (let i = units.length - 1; i >= 0; i--) {
    const here = new Set<string>();
    for (const match of table.matchesAt(units, i)) {
      const rest = at[i + match.length];
      if (!rest) continue;
      const head = read(match.value);
      for (const tail of rest) here.add(head + tail);
      if (here.size > MAX_READINGS) return undefined;
    }
    at[i] = here.size ? here : undefined;
  }
  return at[0];
}
