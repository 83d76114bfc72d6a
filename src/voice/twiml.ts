import type { Locale } from '../config.ts';

/**
 * Something to say: plain text, or digits read one by one in groups (an ID, a code). Amounts and
 * dates are text, already written as words for the voice ("300円", "300 yen").
 */
export type SpeechPart = { text: string } | { digits: string; groupSize?: number };

/** One thing said, in one language: it becomes one <Say> with that language's voice. */
export interface Speech {
  locale: Locale;
  parts: SpeechPart[];
}

export type Verb =
  | { verb: 'say'; speech: Speech }
  | { verb: 'pause'; seconds: number }
  | {
      verb: 'gather';
      action: string;
      /** Undefined: no limit; the finish key (or the timeout) ends the entry. */
      numDigits?: number;
      /** '' for one-key menus, so that # is a key like any other and not "nothing pressed". */
      finishOnKey: string;
      timeout: number;
      /**
       * Twilio requests the action even when nothing was keyed (the finish key alone, or the
       * timeout). Without it, Twilio falls through to the next verb: see docs/TWILIO-BEHAVIOUR.md.
       */
      actionOnEmptyResult?: boolean;
      speech: Speech[];
    }
  | { verb: 'redirect'; url: string }
  | { verb: 'hangup' }
  | PayVerb;

/** The card fields dialpass asks for in <Pay> (no postal code: Japanese cards are not checked against one). */
export type PayField = 'payment-card-number' | 'expiration-date' | 'security-code';

/**
 * Twilio <Pay>: the caller keys a card into Twilio's PCI environment and the Pay Connector charges
 * `chargeAmount`; only the result comes back to `action` (docs/TWILIO-BEHAVIOUR.md, <Pay>).
 */
export interface PayVerb {
  verb: 'pay';
  action: string;
  statusCallback: string;
  chargeAmount: number;
  /** ISO 4217, lower case as Twilio writes it (jpy). */
  currency: string;
  paymentConnector: string;
  description: string;
  /** Per field: what is said first, and what is said after a time-out or an invalid entry. */
  prompts: Record<PayField, { ask: Speech; retry: Speech }>;
  timeout: number;
  maxAttempts: number;
}

/** What one webhook answers. `locale` is the caller's language, for whatever comes next. */
export interface VoiceReply {
  locale: Locale;
  verbs: Verb[];
}

export interface VoiceSettings {
  voice: string;
  language: string;
}

/** A pause between digit groups, long enough to write a group down. */
export const DIGIT_GROUP_BREAK_MS = 500;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPING = /[&<>"']/;
// Most of what a call says has nothing to escape: a test is cheaper than a replace that builds a new string.
export const escapeXml = (value: string) => (NEEDS_ESCAPING.test(value) ? value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!) : value);

function renderDigits(digits: string, groupSize: number): string {
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += groupSize) groups.push(digits.slice(i, i + groupSize));
  // say-as digits reads "1234" as one-two-three-four in every Polly voice; the breaks give time
  // to write each group down. Both are SSML that Polly's standard voices support.
  const spoken = groups.map((g) => `<say-as interpret-as="digits">${escapeXml(g)}</say-as>`).join(`<break time="${DIGIT_GROUP_BREAK_MS}ms"/>`);
  return `<prosody rate="slow">${spoken}</prosody>`;
}

function renderSpeech(speech: Speech): string {
  let out = '';
  for (const part of speech.parts) {
    out += 'text' in part ? escapeXml(part.text) : renderDigits(part.digits, part.groupSize ?? 4);
  }
  return out;
}

function renderSay(speech: Speech, voices: Record<Locale, VoiceSettings>): string {
  const voice = voices[speech.locale];
  return `<Say voice="${escapeXml(voice.voice)}" language="${escapeXml(voice.language)}">${renderSpeech(speech)}</Say>`;
}

const PAY_RETRY_ERRORS: Record<PayField, string> = {
  'payment-card-number': 'timeout invalid-card-number invalid-card-type',
  'expiration-date': 'timeout invalid-date',
  'security-code': 'timeout invalid-security-code',
};

function renderPay(verb: PayVerb, voices: Record<Locale, VoiceSettings>): string {
  const attributes =
    `input="dtmf" paymentMethod="credit-card" chargeAmount="${verb.chargeAmount}" currency="${escapeXml(verb.currency)}"` +
    ` paymentConnector="${escapeXml(verb.paymentConnector)}" action="${escapeXml(verb.action)}" statusCallback="${escapeXml(verb.statusCallback)}"` +
    ` timeout="${verb.timeout}" maxAttempts="${verb.maxAttempts}" securityCode="true" postalCode="false"` +
    ` validCardTypes="visa mastercard amex jcb diners-club" description="${escapeXml(verb.description)}"`;
  let prompts = '';
  for (const [field, { ask, retry }] of Object.entries(verb.prompts) as [PayField, { ask: Speech; retry: Speech }][]) {
    prompts += `<Prompt for="${field}">${renderSay(ask, voices)}</Prompt>`;
    prompts += `<Prompt for="${field}" errorType="${PAY_RETRY_ERRORS[field]}">${renderSay(retry, voices)}</Prompt>`;
  }
  return `<Pay ${attributes}>${prompts}</Pay>`;
}

/**
 * Renders TwiML by hand: the verb set is small and fixed, and string building is several times
 * cheaper per webhook than the twilio helper's XML builder. Each <Say> takes the voice of its
 * own language, so one answer can offer English in an English voice amid Japanese.
 */
export function renderTwiml(reply: VoiceReply, voices: Record<Locale, VoiceSettings>): string {
  let body = '';
  for (const verb of reply.verbs) {
    switch (verb.verb) {
      case 'say':
        body += renderSay(verb.speech, voices);
        break;
      case 'pause':
        body += `<Pause length="${verb.seconds}"/>`;
        break;
      case 'gather': {
        let attributes = `input="dtmf" action="${escapeXml(verb.action)}" method="POST" timeout="${verb.timeout}" finishOnKey="${escapeXml(verb.finishOnKey)}"`;
        if (verb.numDigits !== undefined) attributes += ` numDigits="${verb.numDigits}"`;
        if (verb.actionOnEmptyResult) attributes += ' actionOnEmptyResult="true"';
        body += `<Gather ${attributes}>${verb.speech.map((s) => renderSay(s, voices)).join('')}</Gather>`;
        break;
      }
      case 'redirect':
        body += `<Redirect method="POST">${escapeXml(verb.url)}</Redirect>`;
        break;
      case 'hangup':
        body += '<Hangup/>';
        break;
      case 'pay':
        body += renderPay(verb, voices);
        break;
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
}
