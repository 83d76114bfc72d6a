import { randomInt } from 'node:crypto';

/**
 * A Japanese mobile number of its own for each simulated call unless one is given, so that two
 * tries share no line limits and no remembered language, as two real phones would not.
 */
export const randomCallerNumber = () => `+8190${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

/** A phone number as Twilio writes it (E.164: + and digits); dashes, spaces and brackets are dropped. */
export function phoneNumber(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const compact = value.replace(/[\s\-().]/g, '');
  return /^\+?\d{3,15}$/.test(compact) ? compact : undefined;
}

/**
 * What Twilio sends as From when the caller withholds their number, as text (docs/TWILIO-BEHAVIOUR.md,
 * "Withheld caller IDs"); the keypad spellings (+266696687 …) are phone numbers already.
 */
export const WITHHELD_FROM = ['anonymous', 'Restricted', 'unavailable', 'unknown', 'private', 'blocked'] as const;

/** A From Twilio could send: a phone number (E.164), a withheld caller ID in Twilio's spelling, or '' (no caller ID). */
export function callingNumber(value: unknown): string | undefined {
  if (value === '') return '';
  const withheld = typeof value === 'string' && WITHHELD_FROM.find((word) => word.toLowerCase() === value.trim().toLowerCase());
  return withheld || phoneNumber(value);
}
