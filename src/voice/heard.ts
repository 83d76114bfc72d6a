import type { Locale } from '../config.ts';
import { spokenDigits } from '../speech/spoken-number.ts';
import { spokenAmount, spokenIntent, type Intent } from '../speech/spoken-words.ts';
import type { CallState } from './call-state.ts';
import { READ_BACK_BREAK_MS, type Verb } from './twiml.ts';
import { ask, hangUp, reply, say, wrongEntry, type CallInput, type VoiceDeps, type VoiceStep } from './voice-step.ts';

/**
 * What a prompt listens for, beside its keys (docs/TWILIO-BEHAVIOUR.md, Speech):
 *
 * - `words`: a one-key menu; each key and the words that stand for it (「登録」 / "activate" for 1).
 *   A single digit said ("いち", "one") is that key.
 * - `amounts`: the amount menu; an amount said ("千円", "one thousand yen") picks its key.
 * - `number`: an ID or number, with the digit groups it is read back in.
 *
 * Keys said or words heard act at once, as keys would: none of them charges anything by itself
 * (a price is always said first, and agreeing to it is the caller's yes). A number heard is read
 * back and acts only once the caller says yes or presses 1: no charge, claim or approval is made
 * from a number the caller did not confirm.
 */
export interface Listens {
  words?: (deps: VoiceDeps, state: CallState) => Record<string, readonly Intent[]>;
  amounts?: (deps: VoiceDeps, state: CallState) => Record<string, number>;
  number?: readonly number[];
  /** Whether the prompt listens at all under this configuration (the PIN: only with SPEECH_PIN). */
  when?: (deps: VoiceDeps) => boolean;
}

/** What a transcript comes to at one prompt. */
export type Understood = { key: string } | { number: string } | { missed: 'not-understood' | 'low-confidence' };

/** The signed-state value that holds a number being read back (heard digits). */
const READ_BACK = 'hd';

export function understand(deps: VoiceDeps, listens: Listens, state: CallState, speech: NonNullable<CallInput['speech']>): Understood {
  // Twilio may send no Confidence at all ([Gather]): then the read-back (or the price said before a yes) decides.
  if (speech.confidence !== undefined && speech.confidence < deps.config.speech.minConfidence) return { missed: 'low-confidence' };
  const { locale } = state;
  const digits = spokenDigits(speech.result, locale);
  if (digits !== undefined) {
    if (listens.words && digits.length === 1) return { key: digits };
    if (listens.number) return { number: digits };
  }
  if (listens.amounts) {
    const amount = spokenAmount(speech.result, locale);
    const key = amount === undefined ? undefined : Object.entries(listens.amounts(deps, state)).find(([, offered]) => offered === amount)?.[0];
    if (key) return { key };
  }
  if (listens.words) {
    const words = listens.words(deps, state);
    const intent = spokenIntent(speech.result, locale, Object.values(words).flat());
    const key = intent && Object.entries(words).find(([, said]) => said.includes(intent))?.[0];
    if (key) return { key };
  }
  return { missed: 'not-understood' };
}

/** Digit groups for reading a number back: as the ID is written when the length fits, else fours. */
function groupsFor(digits: string, groups: readonly number[] | undefined): number | number[] {
  return groups && groups.reduce((a, b) => a + b, 0) === digits.length ? [...groups] : 4;
}

/**
 * "I heard 8 5 0, 4 3 1 3, 9 9 5 7. Say yes or press 1.": a one-key question at the same step; the
 * number waits in the signed state of its action URL (the caller cannot change it).
 */
function readBack(deps: VoiceDeps, state: CallState, path: string, digits: string, groups: readonly number[] | undefined): Verb[] {
  const asking: CallState = { ...state, extra: { ...state.extra, [READ_BACK]: digits } };
  return ask(deps, asking, path, [deps.flows.say('speech', 'readBack', state.locale, { digits: { digits, groupSize: groupsFor(digits, groups), breakMs: READ_BACK_BREAK_MS } })], { oneKey: true });
}

const YES_NO: Record<string, readonly Intent[]> = { '1': ['yes'], '2': ['no'] };

/**
 * A step that also listens: speech is turned into the keys the step already takes, or a number
 * is read back first; the step itself never sees a transcript. Speech Twilio would not send (to a
 * prompt that does not listen) is taken as nothing said.
 */
export function listening(path: string, listens: Listens, step: VoiceStep): VoiceStep {
  return async (deps, call) => {
    const pending = call.state.extra[READ_BACK];
    if (pending !== undefined) return readBackAnswered(deps, call, path, listens, step, pending);
    if (!call.speech) return step(deps, call);
    const { speech, ...rest } = call;
    // Speech to a prompt that does not listen (speech off, the PIN): as nothing said, as Twilio would hear it.
    if (!deps.config.speech.enabled || (listens.when && !listens.when(deps))) return step(deps, { ...rest, digits: undefined });
    // From here on the call knows the caller speaks (the keys-only PIN prompt says why).
    const keysOnly = { ...rest, state: { ...call.state, spoke: true } };
    const understood = understand(deps, listens, call.state, speech);
    if ('key' in understood) return step(deps, { ...keysOnly, digits: understood.key });
    if ('number' in understood) return reply(keysOnly.state, readBack(deps, keysOnly.state, path, understood.number, listens.number));
    return step(deps, { ...keysOnly, digits: undefined, misheard: understood.missed });
  };
}

/** The answer to a read-back: yes (1) hands the number to the step as if keyed; no (2) asks for it again. */
async function readBackAnswered(deps: VoiceDeps, call: CallInput, path: string, listens: Listens, step: VoiceStep, digits: string) {
  const { [READ_BACK]: _, ...extra } = call.state.extra;
  const state: CallState = { ...call.state, extra };
  const { speech, ...keysOnly } = call;
  let answer = (call.digits ?? '').trim();
  if (speech) {
    const understood = understand(deps, { words: () => YES_NO }, call.state, speech);
    answer = 'key' in understood ? understood.key : '?';
  }
  if (answer === '1') return step(deps, { ...keysOnly, digits, state: { ...state, silences: 0 } });
  if (answer === '2') return step(deps, { ...keysOnly, digits: undefined, state, misheard: 'rejected' });
  const again = (s: CallState) => readBack(deps, { ...s, extra }, path, digits, listens.number);
  if (answer === '') {
    if (call.state.silences >= 1) return hangUp(deps, call.state, deps.flows.say('common', 'noInputGoodbye', call.state.locale));
    const waiting = { ...state, silences: call.state.silences + 1 };
    return reply(waiting, [say(deps.flows.say('common', 'noInput', state.locale)), ...again(waiting)]);
  }
  // Neither yes nor no: a wrong entry of the call, and the same question.
  return wrongEntry(deps, { ...keysOnly, state }, deps.flows.say('speech', 'notUnderstood', state.locale), again);
}

/** The words of each language switch at a menu: the other language's name switches (9), this one's is the menu again (0). */
export const languageWords = (locale: Locale): Record<string, readonly Intent[]> =>
  locale === 'ja-JP' ? { '9': ['english'], '0': ['japanese'] } : { '9': ['japanese'], '0': ['english'] };
