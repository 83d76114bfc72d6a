import type { CallEvent } from './call.ts';
import type { SpokenSegment } from './twiml-document.ts';
import { speakingSeconds } from './speech.ts';

/**
 * How long a call takes a caller, estimated from the TwiML it really got: Japanese at 7.5 morae a
 * second, English at 2.5 words a second, a digit read one by one 0.5 s, SSML breaks and <Pause>
 * as written, 0.5 s per key pressed, and a silent <Gather> its whole timeout. The caller is taken
 * to listen to each prompt to its end before pressing keys (no barge-in), so the figures are an
 * upper bound for someone who knows the menu.
 */
export const RATES = { jaMoraePerSecond: 7.5, enWordsPerSecond: 2.5, secondsPerDigit: 0.5, secondsPerKey: 0.5 } as const;

const SMALL_KANA = /[ゃゅょぁぃぅぇぉゎャュョァィゥェォヮ]/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}ー]/u;
const KANJI = /\p{Script=Han}/u;

/**
 * Morae in Japanese text, estimated: a kana is one (small ゃ ゅ ょ join the one before), a kanji
 * about two (most on-readings are two morae), a Latin letter one and a half (ID = アイディー). Punctuation is not spoken.
 */
export function japaneseMorae(text: string): number {
  let morae = 0;
  // A number written in figures is read as a number word: about three morae per figure that is
  // not zero (3,000 = さんぜん, 2026 = にせんにじゅうろく).
  const withoutNumbers = text.replace(/[0-9][0-9,]*/g, (number) => {
    morae += 3 * number.replace(/[^1-9]/g, '').length;
    return '';
  });
  for (const char of withoutNumbers) {
    if (SMALL_KANA.test(char)) continue;
    if (KANA.test(char)) morae += 1;
    else if (KANJI.test(char)) morae += 2;
    else if (/[A-Za-z]/.test(char)) morae += 1.5;
  }
  return morae;
}

/** Words in English text; a number is about one word per figure that is not zero, plus one (1,000 = one thousand). */
export function englishWords(text: string): number {
  let words = 0;
  for (const token of text.split(/\s+/)) {
    const digits = token.replace(/[^0-9]/g, '');
    if (digits) words += digits.replace(/0/g, '').length + (digits.length > 2 ? 1 : 0);
    else if (/[A-Za-z]/.test(token)) words += 1;
  }
  return words;
}

const isJapanese = (language?: string) => (language ?? '').toLowerCase().startsWith('ja');

export function textSeconds(text: string, language?: string): number {
  return isJapanese(language) ? japaneseMorae(text) / RATES.jaMoraePerSecond : englishWords(text) / RATES.enWordsPerSecond;
}

/** Seconds to say one <Say>, and when (from its start) each run of digits begins. */
export function saySeconds(segments: SpokenSegment[], language?: string): { seconds: number; digitsAt: number[] } {
  let seconds = 0;
  const digitsAt: number[] = [];
  for (const segment of segments) {
    if ('text' in segment) seconds += textSeconds(segment.text, language);
    else if ('digits' in segment) {
      digitsAt.push(seconds);
      seconds += segment.digits.length * RATES.secondsPerDigit;
    } else seconds += segment.pauseSeconds;
  }
  return { seconds, digitsAt };
}

export interface TimelineEntry {
  /** Seconds after pick-up when this starts. */
  at: number;
  seconds: number;
  kind: 'say' | 'pause' | 'keys' | 'silence' | 'speech';
  text: string;
  language?: string;
  /** For a <Say>: when each number read out starts, and the numbers. */
  numbersAt?: number[];
  numbers?: string[];
}

/** The caller's side of a simulated call, second by second. */
export function callTimeline(events: CallEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let at = 0;
  for (const event of events) {
    if (event.type === 'say') {
      const { seconds, digitsAt } = saySeconds(event.segments, event.language);
      const total = seconds * Math.max(1, event.loop);
      entries.push({ at, seconds: total, kind: 'say', text: event.text, language: event.language, numbersAt: digitsAt.map((d) => at + d), numbers: event.numbers });
      at += total;
    } else if (event.type === 'pause') {
      entries.push({ at, seconds: event.seconds, kind: 'pause', text: `(${event.seconds} s pause)` });
      at += event.seconds;
    } else if (event.type === 'speech') {
      // Speaking, then the pause Twilio waits before it takes the speech as ended; speech to a
      // prompt that does not listen is followed by its whole timeout, as silence.
      const seconds = speakingSeconds(event, { speechTimeout: event.heard ? event.speechTimeout : event.timeout });
      entries.push({ at, seconds, kind: 'speech', text: `「${event.transcript}」${event.heard ? '' : ' (not listened to)'}` });
      at += seconds;
    } else if (event.type === 'keys') {
      // A finish key pressed before any digit ends nothing: pressed all the same, then the wait.
      const pressed = event.digits.length + (event.finishedOnKey ? 1 : 0) + (event.unheeded ?? 0);
      const waited = event.ended === 'timeout' || event.ended === 'silence' ? event.timeout : 0;
      const seconds = pressed * RATES.secondsPerKey + waited;
      const keyed = `${'#'.repeat(event.unheeded ?? 0)}${event.digits}${event.finishedOnKey}`;
      entries.push({ at, seconds, kind: pressed ? 'keys' : 'silence', text: pressed ? `${keyed}${waited && event.unheeded ? ` (then ${event.timeout} s waiting)` : ''}` : '(silence)' });
      at += seconds;
    }
  }
  return entries;
}

/** When the caller starts hearing the first run of at least `minDigits` digits (an ID, a code). */
export function firstNumberHeardAt(timeline: TimelineEntry[], minDigits: number): number | undefined {
  for (const entry of timeline) {
    const index = entry.numbers?.findIndex((n) => n.length >= minDigits) ?? -1;
    if (index >= 0) return entry.numbersAt?.[index];
  }
  return undefined;
}

/** When the caller has heard the whole of the first run of digits that `matches` (by default: `minDigits` digits or more). */
export function firstNumberEndsAt(timeline: TimelineEntry[], minDigits: number, matches = (n: string) => n.length >= minDigits): number | undefined {
  for (const entry of timeline) {
    const index = entry.numbers?.findIndex(matches) ?? -1;
    if (index < 0) continue;
    // Digits at 0.5 s each, with the group breaks in between: up to where the next text begins.
    const start = entry.numbersAt![index]!;
    const groups = Math.ceil(entry.numbers![index]!.length / 4);
    return start + entry.numbers![index]!.length * RATES.secondsPerDigit + (groups - 1) * 0.5;
  }
  return undefined;
}

/** When the caller has heard the whole of `number` the first time it is said (not a number read back to them). */
export const numberEndsAt = (timeline: TimelineEntry[], number: string): number | undefined => firstNumberEndsAt(timeline, number.length, (n) => n === number);

/** When a <Say> containing `text` starts. */
export const heardAt = (timeline: TimelineEntry[], text: string): number | undefined => timeline.find((e) => e.kind === 'say' && e.text.includes(text))?.at;
