/** What ended an entry of keys, as Twilio would see it. */
export type EntryEnd = 'finish-key' | 'num-digits' | 'timeout' | 'silence';

export interface KeyEntry {
  /** What Twilio sends as Digits: the keys before the finish key, at most numDigits of them. */
  digits: string;
  /** What Twilio sends as FinishedOnKey: the finish key if it ended the entry, else ''. */
  finishedOnKey: string;
  ended: EntryEnd;
  /** Keys pressed after the entry ended; Twilio drops them. */
  ignored: string;
}

export interface KeyRules {
  numDigits?: number;
  /** '' when no key ends the entry. */
  finishOnKey: string;
}

export const DTMF_KEYS = /^[0-9*#]*$/;

/** Keys as a person types them: spaces and dashes are only for reading. */
export const normalizeKeys = (typed: string): string => typed.replace(/[\s-]+/g, '');

/**
 * Applies Twilio's <Gather> rules to keys pressed in a row: the finish key ends the entry (and is
 * not part of Digits), reaching numDigits ends it, and running out of keys means the caller waited
 * for the timeout: what was keyed so far is sent, or nothing at all.
 */
export function collectKeys(keys: string, rules: KeyRules): KeyEntry {
  let digits = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (rules.finishOnKey && key === rules.finishOnKey) {
      return { digits, finishedOnKey: key, ended: 'finish-key', ignored: keys.slice(i + 1) };
    }
    digits += key;
    if (rules.numDigits !== undefined && digits.length >= rules.numDigits) {
      return { digits, finishedOnKey: '', ended: 'num-digits', ignored: keys.slice(i + 1) };
    }
  }
  return { digits, finishedOnKey: '', ended: digits ? 'timeout' : 'silence', ignored: '' };
}
