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
  /**
   * Finish keys pressed before any digit: the current <Gather> reference says finishOnKey "only
   * works when a digit sequence precedes it", so they end nothing and are not part of Digits; the
   * caller goes on waiting (docs/TWILIO-BEHAVIOUR.md, Gather). Counted for the time estimate.
   */
  unheeded?: number;
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
 * not part of Digits) once a digit precedes it, reaching numDigits ends it, and running out of
 * keys means the caller waited for the timeout: what was keyed so far is sent, or nothing at all.
 * A finish key before any digit ends nothing: the caller sits through the timeout (the current
 * reference; an earlier edition ended the <Gather> at once: the simulator takes the slower).
 */
export function collectKeys(keys: string, rules: KeyRules): KeyEntry {
  let digits = '';
  let unheeded = 0;
  const entry = (fields: Omit<KeyEntry, 'unheeded'>): KeyEntry => (unheeded ? { ...fields, unheeded } : fields);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (rules.finishOnKey && key === rules.finishOnKey) {
      if (digits === '') {
        unheeded++;
        continue;
      }
      return entry({ digits, finishedOnKey: key, ended: 'finish-key', ignored: keys.slice(i + 1) });
    }
    digits += key;
    if (rules.numDigits !== undefined && digits.length >= rules.numDigits) {
      return entry({ digits, finishedOnKey: '', ended: 'num-digits', ignored: keys.slice(i + 1) });
    }
  }
  return entry({ digits, finishedOnKey: '', ended: digits ? 'timeout' : 'silence', ignored: '' });
}
