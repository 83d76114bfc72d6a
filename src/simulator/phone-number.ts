/** The number the simulators call from unless told otherwise (a Japanese mobile number). */
export const DEFAULT_CALLER_NUMBER = '+819012345678';

/** A phone number as Twilio writes it (E.164: + and digits); dashes, spaces and brackets are dropped. */
export function phoneNumber(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const compact = value.replace(/[\s\-().]/g, '');
  return /^\+?\d{3,15}$/.test(compact) ? compact : undefined;
}
