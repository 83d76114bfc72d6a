import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseTwiml, type TwimlNode } from './twiml.ts';
import { parseTwimlDocument } from '../../simulator/twiml-document.ts';

/** The <Say> voices and languages twilio-node itself lists (its SayVoice and SayLanguage types). */
function twilioSayTypes(): { voices: Set<string>; languages: Set<string> } {
  const file = createRequire(import.meta.url).resolve('twilio/lib/twiml/VoiceResponse.d.ts');
  const source = readFileSync(file, 'utf8');
  const union = (name: string) => new Set([...(new RegExp(`type ${name} = ([^;]*);`).exec(source)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!));
  return { voices: union('SayVoice'), languages: union('SayLanguage') };
}

const SAY_TYPES = twilioSayTypes();

/**
 * The language each Amazon Polly voice we may use speaks (Amazon Polly's voice list); a voice
 * must say its own language, or Twilio reads Japanese with an English voice.
 */
const POLLY_VOICE_LANGUAGES: Record<string, string> = {
  'Polly.Mizuki': 'ja-JP',
  'Polly.Takumi': 'ja-JP',
  'Polly.Kazuha-Neural': 'ja-JP',
  'Polly.Tomoko-Neural': 'ja-JP',
  'Polly.Takumi-Neural': 'ja-JP',
  'Polly.Joanna': 'en-US',
  'Polly.Matthew': 'en-US',
  'Polly.Salli': 'en-US',
  'Polly.Joanna-Neural': 'en-US',
  'Polly.Matthew-Neural': 'en-US',
};

/** Twilio's basic voices read no SSML; Polly's standard voices read say-as, break and prosody. */
const NO_SSML_VOICES = new Set(['man', 'woman', 'alice']);

const text = (node: TwimlNode): string => (node.name === '#text' ? (node.text ?? '') : node.children.map(text).join(''));
const textOutsideDigits = (node: TwimlNode): string =>
  node.name === '#text' ? (node.text ?? '') : node.name === 'say-as' && node.attributes['interpret-as'] === 'digits' ? ' ' : node.children.map(textOutsideDigits).join(' ');

/**
 * Every rule docs/TWILIO-BEHAVIOUR.md says our TwiML keeps; returns what a document breaks
 * (empty when it keeps them all).
 */
export function twimlProblems(xml: string): string[] {
  const problems: string[] = [];
  try {
    parseTwimlDocument(xml);
  } catch (error) {
    return [(error as Error).message];
  }
  const verbs = parseTwiml(xml).filter((v) => v.name !== '#text');
  verbs.forEach((verb, i) => {
    if (verb.name === 'Gather') {
      const next = verbs[i + 1]?.name;
      if (next !== 'Redirect' && next !== 'Hangup') problems.push(`a <Gather> is followed by ${next ? `<${next}>` : 'nothing'}, not <Redirect> or <Hangup>: silence would end the call`);
    }
  });
  const last = verbs.at(-1)?.name;
  if (last !== 'Redirect' && last !== 'Hangup') problems.push(`the document ends with ${last ? `<${last}>` : 'nothing'}: the call would end without a goodbye or a next step`);
  for (const pay of verbs.filter((v) => v.name === 'Pay')) problems.push(...payPromptProblems(pay));
  const prompted = (v: TwimlNode) => v.children.filter((c) => c.name === 'Prompt').flatMap((p) => p.children.filter((c) => c.name === 'Say'));
  const says = verbs.flatMap((v) => (v.name === 'Say' ? [v] : v.name === 'Gather' ? v.children.filter((c) => c.name === 'Say') : v.name === 'Pay' ? prompted(v) : []));
  for (const say of says) {
    const { voice, language } = say.attributes;
    if (!voice || !SAY_TYPES.voices.has(voice)) problems.push(`<Say voice="${voice}"> is not a voice twilio-node lists`);
    if (!language || !SAY_TYPES.languages.has(language)) problems.push(`<Say language="${language}"> is not a language twilio-node lists`);
    if (voice && POLLY_VOICE_LANGUAGES[voice] && POLLY_VOICE_LANGUAGES[voice] !== language) problems.push(`${voice} speaks ${POLLY_VOICE_LANGUAGES[voice]}, not ${language}`);
    if (voice && NO_SSML_VOICES.has(voice) && say.children.some((c) => c.name !== '#text')) problems.push(`${voice} reads no SSML`);
    const plain = textOutsideDigits(say);
    if (/\d{5,}/.test(plain)) problems.push(`a run of five or more digits outside <say-as interpret-as="digits">: "${plain.trim().slice(0, 80)}"`);
    if (/[¥￥$€£]/.test(text(say))) problems.push(`an amount with a currency sign instead of words: "${text(say).slice(0, 80)}"`);
  }
  return problems;
}

/**
 * The steps of a card <Pay> Twilio documents a <Prompt for> for ([Prompt]: seven steps, of which
 * these five belong to paymentMethod="credit-card"), and the errorTypes after which each field is
 * asked again. <Pay> has no Japanese voice of its own: a step without our <Prompt> would be said
 * in Twilio's English to a Japanese caller.
 */
const CARD_PAY_STEPS: Record<string, string[]> = {
  'payment-card-number': ['timeout', 'invalid-card-number', 'invalid-card-type'],
  'expiration-date': ['timeout', 'invalid-date'],
  'security-code': ['timeout', 'invalid-security-code'],
  'postal-code': ['timeout'],
  'payment-processing': [],
};

/** What a <Pay> leaves to Twilio's own (English) words, or says in more than one language. */
export function payPromptProblems(pay: TwimlNode): string[] {
  const problems: string[] = [];
  const prompts = pay.children.filter((c) => c.name === 'Prompt');
  const languages = new Set(prompts.flatMap((p) => p.children.filter((c) => c.name === 'Say').map((say) => say.attributes.language)));
  if (languages.size !== 1) problems.push(`a <Pay> speaks ${languages.size === 0 ? 'no language of ours' : [...languages].join(' and ')}: every step is said in the caller's one language`);
  for (const [step, errors] of Object.entries(CARD_PAY_STEPS)) {
    const forStep = prompts.filter((p) => p.attributes.for === step);
    if (!forStep.some((p) => !p.attributes.errorType && p.children.some((c) => c.name === 'Say'))) problems.push(`<Pay> has no <Prompt for="${step}"> of its own: Twilio would say it in English`);
    const covered = new Set(forStep.flatMap((p) => (p.attributes.errorType ?? '').split(/\s+/).filter(Boolean)));
    const missing = errors.filter((e) => !covered.has(e));
    if (missing.length) problems.push(`<Pay> has no <Prompt for="${step}" errorType> for ${missing.join(', ')}: Twilio would say that retry in English`);
  }
  return problems;
}

/** The keys a one-key prompt offers ("…は1、", "press 2.", ", 3."), so a test can press each one. */
export function offeredKeys(promptText: string): string[] {
  return [...new Set([...promptText.matchAll(/(?:press |は|、|, )([0-9])(?=[、。.,を]|$)/g)].map((m) => m[1]!))];
}
