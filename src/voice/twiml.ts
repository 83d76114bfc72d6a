import type { Locale } from '../config.ts';

/**
 * Something to say: plain text, or digits read one by one in groups (an ID, a code). Amounts and
 * dates are text, already written as words for the voice ("300円", "300 yen").
 */
export type SpeechPart = { text: string } | { digits: string; groupSize?: number | number[] };

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
      /** Also listens for speech in this language (input="dtmf speech", the language's model, pause and hints); undefined: keys only. */
      listen?: Locale;
      speech: Speech[];
    }
  | { verb: 'redirect'; url: string }
  | { verb: 'hangup' }
  | PayVerb;

/**
 * Every step of a card <Pay> that Twilio documents a <Prompt for> for ([Prompt], `for`): the three
 * fields dialpass asks, the postal code (not asked: postalCode="false", Japanese cards are not
 * checked against one, but said in the caller's language should a connector ask for it) and the
 * processing message. Bank-account steps belong to ach-debit, which dialpass does not use.
 */
export const PAY_PROMPT_STEPS = ['payment-card-number', 'expiration-date', 'security-code', 'postal-code', 'payment-processing'] as const;
export type PayPromptStep = (typeof PAY_PROMPT_STEPS)[number];

/**
 * Twilio <Pay>: the caller keys a card into Twilio's PCI environment; the Pay Connector charges
 * `chargeAmount`, or, without one, only tokenizes the card (`tokenType`: with a Stripe connector,
 * `payment-method` gives a Stripe PaymentMethod ID). Only the result comes back to `action`
 * (docs/TWILIO-BEHAVIOUR.md, <Pay>).
 */
export interface PayVerb {
  verb: 'pay';
  action: string;
  statusCallback: string;
  /** Undefined: tokenize only. */
  chargeAmount?: number;
  tokenType?: 'payment-method';
  /** ISO 4217, lower case as Twilio writes it (jpy). */
  currency: string;
  paymentConnector: string;
  description: string;
  /** Per step: what is said first, and (for a field) what is said after a time-out or an invalid entry. */
  prompts: Record<PayPromptStep, { ask: Speech; retry?: Speech }>;
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

/** How a <Gather> listens in one language (SPEECH_MODEL_*, SPEECH_TIMEOUT_*, SPEECH_HINTS_*). */
export interface ListenSettings {
  model: string;
  timeout: number;
  hints: string[];
}

/** A pause between digit groups, long enough to write a group down. */
export const DIGIT_GROUP_BREAK_MS = 500;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPING = /[&<>"']/;
// Most of what a call says has nothing to escape: a test is cheaper than a replace that builds a new string.
export const escapeXml = (value: string) => (NEEDS_ESCAPING.test(value) ? value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!) : value);

/** Digits in groups: every `groupSize` digits, or groups of the given lengths (a phone number as written: 0990-50-0300). */
function renderDigits(digits: string, groupSize: number | number[]): string {
  const groups: string[] = [];
  if (typeof groupSize === 'number') for (let i = 0; i < digits.length; i += groupSize) groups.push(digits.slice(i, i + groupSize));
  else for (let i = 0, g = 0; i < digits.length; i += groupSize[g++] ?? digits.length) groups.push(digits.slice(i, i + (groupSize[g] ?? digits.length)));
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

/** The errorType values ([Prompt]) after which each field is asked again. */
export const PAY_RETRY_ERRORS: Partial<Record<PayPromptStep, string>> = {
  'payment-card-number': 'timeout invalid-card-number invalid-card-type',
  'expiration-date': 'timeout invalid-date',
  'security-code': 'timeout invalid-security-code',
  'postal-code': 'timeout',
};

function renderPay(verb: PayVerb, voices: Record<Locale, VoiceSettings>): string {
  const amount = verb.chargeAmount === undefined ? '' : ` chargeAmount="${verb.chargeAmount}"`;
  const tokenType = verb.tokenType ? ` tokenType="${verb.tokenType}"` : '';
  const attributes =
    `input="dtmf" paymentMethod="credit-card"${amount}${tokenType} currency="${escapeXml(verb.currency)}"` +
    ` paymentConnector="${escapeXml(verb.paymentConnector)}" action="${escapeXml(verb.action)}" statusCallback="${escapeXml(verb.statusCallback)}"` +
    ` timeout="${verb.timeout}" maxAttempts="${verb.maxAttempts}" securityCode="true" postalCode="false"` +
    ` validCardTypes="visa mastercard amex jcb diners-club" description="${escapeXml(verb.description)}"`;
  let prompts = '';
  for (const step of PAY_PROMPT_STEPS) {
    const { ask, retry } = verb.prompts[step];
    prompts += `<Prompt for="${step}">${renderSay(ask, voices)}</Prompt>`;
    if (retry && PAY_RETRY_ERRORS[step]) prompts += `<Prompt for="${step}" errorType="${PAY_RETRY_ERRORS[step]}">${renderSay(retry, voices)}</Prompt>`;
  }
  return `<Pay ${attributes}>${prompts}</Pay>`;
}

/**
 * Renders TwiML by hand: the verb set is small and fixed, and string building is several times
 * cheaper per webhook than the twilio helper's XML builder. Each <Say> takes the voice of its
 * own language, so one answer can offer English in an English voice amid Japanese.
 */
export function renderTwiml(reply: VoiceReply, voices: Record<Locale, VoiceSettings>, listening?: Record<Locale, ListenSettings>): string {
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
        const listen = verb.listen && listening?.[verb.listen];
        // A listening <Gather> hears the language of the voice that asks; with a speechModel the pause must be whole seconds (never auto).
        const input = listen
          ? `input="dtmf speech" language="${escapeXml(voices[verb.listen!].language)}" speechModel="${escapeXml(listen.model)}" speechTimeout="${listen.timeout}"${listen.hints.length ? ` hints="${escapeXml(listen.hints.join(', '))}"` : ''}`
          : 'input="dtmf"';
        let attributes = `${input} action="${escapeXml(verb.action)}" method="POST" timeout="${verb.timeout}" finishOnKey="${escapeXml(verb.finishOnKey)}"`;
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
