/**
 * Speech in a <Gather>, as Twilio documents it (docs/TWILIO-BEHAVIOUR.md, Speech; [Gather]):
 * `input="dtmf speech"` listens and takes keys, the first input detected wins; speech comes back
 * to `action` as `SpeechResult` and `Confidence` (0.0–1.0, and possibly absent), never with
 * `Digits`. `speechModel` takes the values listed in the reference, each for its own languages;
 * with a `speechModel` set, `speechTimeout` must be a whole number of seconds, not `auto`
 * (warning 13335 "speechTimeout auto cannot be used with model"). A caller of the simulator
 * speaks with a `say:` entry: `say:ろくごーにー`, `say@0.35:six five two` (that confidence),
 * `say@none:six five two` (no Confidence field at all, as Twilio may send).
 */

/** Deepgram nova-2's languages (Deepgram changelog, 14 May 2024: "Nova-2 Expanded to 36 Languages"), by BCP-47 prefix. */
const DEEPGRAM_NOVA_2 = ['bg', 'ca', 'zh', 'cs', 'da', 'nl', 'en', 'et', 'fi', 'fr', 'de', 'el', 'hi', 'hu', 'id', 'it', 'ja', 'ko', 'lv', 'lt', 'ms', 'no', 'nb', 'pl', 'pt', 'ro', 'ru', 'sk', 'es', 'sv', 'th', 'tr', 'uk', 'vi'];

/** [Gather] "Generic speech-to-text models": the languages of experimental_conversations and experimental_utterances. */
const EXPERIMENTAL = ['ar-*', 'da-DK', 'de-DE', 'en-AU', 'en-GB', 'en-IN', 'en-US', 'es-ES', 'es-US', 'fi-FI', 'fr-CA', 'fr-FR', 'hi-IN', 'ja-JP', 'ko-KR', 'mk-MK', 'nl-NL', 'no-NO', 'pl-PL', 'pt-BR', 'pt-PT', 'ro-RO', 'ru-RU', 'th-TH', 'tr-TR', 'uk-UA', 'vi-VN'];

/**
 * Every `speechModel` value the reference accepts, with the languages it documents for it:
 * a list of tags (`ar-*` for every Arabic), a list of prefixes (`prefix:`), or 'provider' where the
 * reference sends you to the provider's own list (Google STT V2, Deepgram nova-3; `default` is
 * "any supported"). A model not here is refused.
 */
export const SPEECH_MODELS: Record<string, { tags: readonly string[] } | { prefixes: readonly string[] } | 'provider'> = {
  default: 'provider',
  numbers_and_commands: { prefixes: DEEPGRAM_NOVA_2 },
  phone_call: { tags: ['en-US', 'en-GB', 'en-AU', 'fr-FR', 'fr-CA', 'ja-JP', 'ru-RU', 'es-US', 'es-ES', 'pt-BR'] },
  experimental_conversations: { tags: EXPERIMENTAL },
  experimental_utterances: { tags: EXPERIMENTAL },
  googlev2_long: 'provider',
  googlev2_short: 'provider',
  googlev2_telephony: 'provider',
  googlev2_telephony_short: 'provider',
  'deepgram_nova-2': { prefixes: DEEPGRAM_NOVA_2 },
  'deepgram_nova-3': 'provider',
};

/** Whether Twilio lists `model` as taking `language` (true where it defers to the provider's list). */
export function speechModelTakes(model: string, language: string): boolean {
  const rule = SPEECH_MODELS[model];
  if (!rule) return false;
  if (rule === 'provider') return true;
  if ('tags' in rule) return rule.tags.some((tag) => tag === language || (tag.endsWith('-*') && language.startsWith(tag.slice(0, -1))));
  const prefix = language.split('-')[0]!.toLowerCase();
  return rule.prefixes.includes(prefix) || rule.prefixes.includes(language);
}

/** What a <Gather> listens with: its language, model and how long a pause ends the speech. */
export interface Listening {
  language: string;
  /** undefined when the <Gather> names none (Twilio's `default`). */
  speechModel?: string;
  /** Seconds of pause that end the speech; 'auto' ends at the first pause. */
  speechTimeout: number | 'auto';
  hints: string[];
}

/** How sure the simulated recogniser is when the caller's entry does not say: a clear line. */
export const DEFAULT_CONFIDENCE = 0.92;

/** What the caller said: the transcript Twilio would hand over, and its Confidence (undefined: the field is left out). */
export interface SpokenEntry {
  transcript: string;
  confidence?: number;
}

/** A caller's answer that is speech (`say:…`, `say@0.4:…`, `say@none:…`), or undefined for keys. */
export function spokenEntry(answer: string): SpokenEntry | undefined {
  const match = /^say(?:@(none|0(?:\.\d+)?|1(?:\.0+)?))?:([\s\S]*)$/.exec(answer.trim());
  if (!match) return undefined;
  const transcript = match[2]!.trim();
  if (match[1] === 'none') return { transcript };
  return { transcript, confidence: match[1] === undefined ? DEFAULT_CONFIDENCE : Number(match[1]) };
}

/**
 * The fields Twilio adds to the action request for speech ([Gather], action): SpeechResult, and
 * Confidence when the provider gave one. No Digits: the speech came first.
 */
export function speechFields(entry: SpokenEntry): Record<string, string> {
  const fields: Record<string, string> = { SpeechResult: entry.transcript };
  if (entry.confidence !== undefined) fields.Confidence = entry.confidence.toFixed(8).replace(/0+$/, '').replace(/\.$/, '.0');
  return fields;
}

/**
 * Seconds a caller takes to say an entry aloud, for the time estimate: Japanese about eight
 * kana (or four kanji or figures) a second, English about two and a half words a second, and
 * then the pause Twilio waits before it takes the speech as finished (`speechTimeout`; `auto`
 * about one second).
 */
export function speakingSeconds(entry: SpokenEntry, listening: Pick<Listening, 'speechTimeout'>): number {
  const text = entry.transcript;
  const kana = (text.match(/[\u3040-\u30ff]/g) ?? []).length;
  const dense = (text.match(/[\u4e00-\u9fff0-9０-９]/g) ?? []).length;
  const words = (text.replace(/[\u3040-\u30ff\u4e00-\u9fff0-9０-９]/g, ' ').match(/[A-Za-z]+/g) ?? []).length;
  const speaking = kana / 8 + dense / 4 + words / 2.5;
  const pause = listening.speechTimeout === 'auto' ? 1 : listening.speechTimeout;
  return Math.max(0.6, speaking) + pause;
}
