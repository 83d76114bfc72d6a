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
  | { verb: 'hangup' };

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
export const escapeXml = (value: string) => value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

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
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
}
