import { createHash, randomBytes } from 'node:crypto';

/** A CallSid as Twilio makes them: `CA` and 32 hex digits. */
export const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

export const PLACEHOLDER_ACCOUNT_SID = `AC${'0'.repeat(32)}`;

export interface InboundCall {
  callSid: string;
  from: string;
  to: string;
  accountSid?: string;
  callStatus?: string;
  /** The number that forwarded the call to the Twilio number, when the carrier says so (a premium-rate number forwarding, docs/CHARGING.md). */
  forwardedFrom?: string;
  /** CNAM: only when the number has VoiceCallerIdLookup on. */
  callerName?: string;
  /**
   * SHAKEN/STIR verification of the caller ID (US calls with an identity header only):
   * TN-Validation-Passed-A/B/C, TN-Validation-Failed(-A/B/C), No-TN-Validation.
   */
  stirVerstat?: string;
}

/** The SHAKEN/STIR results Twilio documents for StirVerstat (docs/TWILIO-BEHAVIOUR.md, Requests). */
export const STIR_VERSTATS = [
  'TN-Validation-Passed-A',
  'TN-Validation-Passed-B',
  'TN-Validation-Passed-C',
  'TN-Validation-Failed-A',
  'TN-Validation-Failed-B',
  'TN-Validation-Failed-C',
  'TN-Validation-Failed',
  'No-TN-Validation',
] as const;

/**
 * Where a number is, as Twilio fills FromCountry/FromState/FromCity/FromZip (and To…): the ISO
 * country of its calling code, and for North American numbers the area's state, city and ZIP.
 * Twilio sends the fields empty when it knows no more (a Japanese mobile: country only).
 */
const NANP_AREAS: Record<string, [state: string, city: string, zip: string]> = {
  '212': ['NY', 'NEW YORK', '10001'],
  '415': ['CA', 'SAN FRANCISCO', '94103'],
  '312': ['IL', 'CHICAGO', '60601'],
  '206': ['WA', 'SEATTLE', '98101'],
};
const COUNTRY_CODES: [prefix: string, country: string][] = [
  ['+81', 'JP'],
  ['+1', 'US'],
  ['+44', 'GB'],
  ['+82', 'KR'],
  ['+86', 'CN'],
  ['+61', 'AU'],
];

export function numberGeography(number: string): { country: string; state: string; city: string; zip: string } {
  const country = COUNTRY_CODES.find(([prefix]) => number.startsWith(prefix))?.[1] ?? '';
  const area = country === 'US' ? NANP_AREAS[number.slice(2, 5)] : undefined;
  return { country, state: area?.[0] ?? '', city: area?.[1] ?? '', zip: area?.[2] ?? '' };
}

/**
 * CallToken: what Twilio gives an inbound PSTN call so that a <Dial> or a REST call can forward
 * it with its caller ID's attestation: JSON with a signed token, the same on every request of the
 * call (derived from the CallSid here, so a retry sends it byte for byte).
 */
export function callToken(callSid: string): string {
  const part = (label: string) => createHash('sha256').update(`${label}:${callSid}`).digest('base64url');
  const jwt = `${part('header').slice(0, 36)}.${part('claims')}${part('more')}.${part('signature')}${part('sig2')}`;
  return JSON.stringify({ parentCallInfoToken: jwt, identityHeaderTokens: [] });
}

/**
 * The form fields Twilio sends with every webhook of an inbound voice call ([Voice webhooks]):
 * the call, where each number is (From…, To…, and the older Caller…/Called… names), the
 * CallToken, and when they apply ForwardedFrom, CallerName and StirVerstat. The simulator, the
 * tests and the benchmark all build their requests from this one place.
 */
export function inboundCallParams(call: InboundCall, extra: Record<string, string> = {}): Record<string, string> {
  const from = numberGeography(call.from);
  const to = numberGeography(call.to);
  return {
    AccountSid: call.accountSid ?? PLACEHOLDER_ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    CallStatus: call.callStatus ?? 'in-progress',
    CallToken: callToken(call.callSid),
    Called: call.to,
    CalledCity: to.city,
    CalledCountry: to.country,
    CalledState: to.state,
    CalledZip: to.zip,
    Caller: call.from,
    CallerCity: from.city,
    CallerCountry: from.country,
    CallerState: from.state,
    CallerZip: from.zip,
    Direction: 'inbound',
    From: call.from,
    FromCity: from.city,
    FromCountry: from.country,
    FromState: from.state,
    FromZip: from.zip,
    To: call.to,
    ToCity: to.city,
    ToCountry: to.country,
    ToState: to.state,
    ToZip: to.zip,
    ...(call.callerName !== undefined ? { CallerName: call.callerName } : {}),
    ...(call.forwardedFrom !== undefined ? { ForwardedFrom: call.forwardedFrom } : {}),
    ...(call.stirVerstat !== undefined ? { StirVerstat: call.stirVerstat } : {}),
    ...extra,
  };
}
