import type { Locale } from '../config.ts';

/** Something to say: plain text, or digits to be read one by one, slowly, in groups. */
export type SpeechPart = { text: string } | { digits: string; groupSize?: number };
export type Speech = SpeechPart[];

export type Verb =
  | { verb: 'say'; speech: Speech }
  | { verb: 'pause'; seconds: number }
  | {
      verb: 'gather';
      action: string;
      numDigits?: number;
      finishOnKey?: string;
      timeout?: number;
      speech: Speech[];
    }
  | { verb: 'redirect'; url: string }
  | { verb: 'hangup' };

/** What one webhook answers: the verbs, spoken in one locale. */
export interface VoiceReply {
  locale: Locale;
  verbs: Verb[];
}

export interface VoiceSettings {
  voice: string;
  language: string;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const escapeXml = (value: string) => value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

function renderDigits(digits: string, groupSize: number): string {
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += groupSize) groups.push(digits.slice(i, i + groupSize));
  // say-as digits reads "1234" as one-two-three-four; the breaks give time to write each group down.
  const spoken = groups.map((g) => `<say-as interpret-as="digits">${escapeXml(g)}</say-as>`).join('<break time="700ms"/>');
  return `<prosody rate="slow">${spoken}</prosody>`;
}

function renderSpeech(speech: Speech): string {
  let out = '';
  for (const part of speech) {
    out += 'text' in part ? escapeXml(part.text) : renderDigits(part.digits, part.groupSize ?? 4);
  }
  return out;
}

function renderSay(speech: Speech, voice: VoiceSettings): string {
  return `<Say voice="${escapeXml(voice.voice)}" language="${escapeXml(voice.language)}">${renderSpeech(speech)}</Say>`;
}

/**
 * Renders TwiML by hand: the verb set is small and fixed, and string building is several times
 * cheaper per webhook than the twilio helper's XML builder.
 */
export function renderTwiml(reply: VoiceReply, voices: Record<Locale, VoiceSettings>): string {
  const voice = voices[reply.locale];
  let body = '';
  for (const verb of reply.verbs) {
    switch (verb.verb) {
      case 'say':
        body += renderSay(verb.speech, voice);
        break;
      case 'pause':
        body += `<Pause length="${verb.seconds}"/>`;
        break;
      case 'gather': {
        let attributes = `input="dtmf" action="${escapeXml(verb.action)}" method="POST" timeout="${verb.timeout ?? 6}"`;
        if (verb.numDigits !== undefined) attributes += ` numDigits="${verb.numDigits}"`;
        if (verb.finishOnKey !== undefined) attributes += ` finishOnKey="${escapeXml(verb.finishOnKey)}"`;
        body += `<Gather ${attributes}>${verb.speech.map((s) => renderSay(s, voice)).join('')}</Gather>`;
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
