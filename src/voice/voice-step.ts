import type { Locale } from '../config.ts';
import type { CoreDeps } from '../deps.ts';
import type { SmsSender } from '../payments/sms.ts';
import { keys } from '../store/keys.ts';
import { callUrl, type CallState } from './call-state.ts';
import type { VoiceFlows } from './prompts.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';

export interface VoiceDeps extends CoreDeps {
  flows: VoiceFlows;
  /** Set only when SMS is configured (payment codes are then also texted to the caller). */
  sms?: SmsSender;
}

/** One webhook's worth of a call: who is calling, what they keyed, and the state carried so far. */
export interface CallInput {
  callSid: string;
  /**
   * The calling line as dialpass takes it (whoTheCallerIs): Twilio's From, or '' when it is
   * withheld, or when a forwarding replaced the caller's number with its own (see callerLine).
   */
  from: string;
  to: string;
  /**
   * SHAKEN/STIR said the caller ID failed verification (StirVerstat TN-Validation-Failed…): the
   * line is not trusted for what the line alone unlocks (the free re-read of a formal ID, the
   * language remembered for it, carrier billing on it); it is still held to every per-line limit.
   */
  callerIdFailed?: boolean;
  /** Keys pressed in the gather that led here; undefined when Twilio fell through on silence. */
  digits?: string;
  /**
   * What the caller said instead (Twilio's SpeechResult, and Confidence when it sent one): turned
   * into keys, or read back first, by heard.ts before the step sees it.
   */
  speech?: { result: string; confidence?: number };
  /**
   * Set by heard.ts when speech was not understood, too unsure, or its read-back was turned down:
   * the step re-asks through `silence()` (as for nothing keyed) and the miss counts as a wrong entry.
   */
  misheard?: 'not-understood' | 'low-confidence' | 'rejected';
  state: CallState;
  /** What <Pay> reported on its action request (CHARGE_METHOD=card), never a card number. */
  payment?: PayResult;
}

/** The fields of Twilio's <Pay> action request dialpass uses (docs/TWILIO-BEHAVIOUR.md, <Pay>). */
export interface PayResult {
  /** success, too-many-failed-attempts, payment-connector-error, caller-interrupted-with-star, caller-hung-up, validation-error, internal-error */
  result: string;
  confirmationCode?: string;
  /** The last four digits of the masked PaymentCardNumber, nothing more. */
  last4?: string;
  cardType?: string;
  /** Only when the connector tokenized (Twilio sends none for a charge). */
  token?: string;
  /** Carrier billing: the operator's serverReferenceCode, for its statements. */
  serverReference?: string;
  error?: string;
}

export type VoiceStep = (deps: VoiceDeps, call: CallInput) => Promise<VoiceReply>;

/**
 * CHARGE_METHOD=card: how a charge finishes once <Pay> says the card was charged (records it, says
 * what it bought); undefined when it can no longer be applied. Each charging step file exports its
 * own, and the call-step table hands them to the cardPaid step, so no step imports another.
 */
export type CardPaidFinisher = (deps: VoiceDeps, call: CallInput, payment: PayResult) => Promise<VoiceReply | undefined>;

export const MAX_WRONG_ENTRIES_PER_CALL = 3;

/** 186, the prefix that shows the number for one call in Japan, read as the digits it is dialled with (いち・はち・ろく). */
export const WITHHELD_VARS = { prefix: { digits: '186', groupSize: 3 } } as const;
const LINE_WINDOW_SECONDS = 24 * 3600;
/** How long a line remembers its member's language: about a year of calls. */
const LINE_LOCALE_TTL_SECONDS = 400 * 86400;

/**
 * Values Twilio puts in From when the caller withheld their number: words, or the keypad spelling
 * of ANONYMOUS, RESTRICTED, UNAVAIL(ABLE) or UNKNOWN with a plus (docs/TWILIO-BEHAVIOUR.md).
 */
const WITHHELD_CALLER_IDS = new Set(['anonymous', 'restricted', 'unavailable', 'unknown', 'private', 'blocked', '+266696687', '+7378742833', '+2562533', '+8656696', '+86282452253']);

/**
 * Who is calling, from Twilio's fields (docs/TWILIO-BEHAVIOUR.md, "Who the caller is"): `From` is
 * the caller's line, also on a call a premium-rate number forwarded to the Twilio number (the
 * carrier keeps the calling number, docs/CHARGING.md; `ForwardedFrom` is then the premium-rate
 * number, never the caller). A `From` that is the forwarding number itself, or one of dialpass's
 * own numbers, means the forwarding lost the caller's number: no line, as if withheld, so that
 * callers never share one line's limits, language or free re-reads. `StirVerstat` failing marks
 * the caller ID as untrusted. Every other field (FromCountry…, CallerName, CallToken, and any
 * Twilio adds) is ignored.
 */
export function whoTheCallerIs(fields: { from?: string; forwardedFrom?: string; to?: string; stirVerstat?: string }, ownNumbers: readonly string[]): { from: string; callerIdFailed: boolean } {
  const compact = (n: string | undefined) => (n ?? '').trim().replace(/[\s()-]/g, '');
  const from = compact(fields.from);
  const lost = from !== '' && (from === compact(fields.forwardedFrom) || from === compact(fields.to) || ownNumbers.includes(from));
  return { from: lost ? '' : (fields.from ?? ''), callerIdFailed: /^TN-Validation-Failed/i.test(fields.stirVerstat ?? '') };
}

/** The calling line, or undefined when the caller withheld their number: such a call shares nothing with others. */
export function callerLine(from: string): string | undefined {
  const value = from.trim();
  if (!value || WITHHELD_CALLER_IDS.has(value.toLowerCase())) return undefined;
  return /^\+?[0-9]{3,15}$/.test(value) ? value : undefined;
}

export const say = (speech: Speech): Verb => ({ verb: 'say', speech });
export const reply = (state: CallState, verbs: Verb[]): VoiceReply => ({ locale: state.locale, verbs });

export interface AskOptions {
  /** One-key menus: the first key decides, and # or * is a key like any other. */
  oneKey?: boolean;
  /** Keys only, whatever SPEECH_INPUT says (the PIN, unless SPEECH_PIN). */
  keysOnly?: boolean;
  /** Twilio requests the action with Digits='' on # alone or silence (the "# alone" prompts). */
  actionOnEmptyResult?: boolean;
  timeout?: number;
}

/**
 * Whether a prompt also listens (docs/TWILIO-BEHAVIOUR.md, Speech): when speech is on, unless the
 * prompt is keys only, or the caller's speech was missed twice in a row (the keypad is asked for).
 */
export const listensNow = (deps: VoiceDeps, state: CallState, options: Pick<AskOptions, 'keysOnly'> = {}): boolean =>
  deps.config.speech.enabled && !options.keysOnly && state.speechMisses < KEYPAD_AFTER_MISSES;

/**
 * A prompt that waits for keys (and listens, in the call's language: listensNow). If the caller keys nothing, Twilio falls through to the
 * Redirect, which comes back to the same step without Digits: the step treats that as silence.
 * An entry (an ID, a PIN) ends with # or after 10 s without a key.
 */
export function ask(deps: VoiceDeps, state: CallState, path: string, speech: Speech[], options: AskOptions = {}): Verb[] {
  const action = callUrl(deps.config.publicBaseUrl, path, state);
  return [
    {
      verb: 'gather',
      action,
      speech,
      finishOnKey: options.oneKey ? '' : '#',
      numDigits: options.oneKey ? 1 : undefined,
      timeout: options.timeout ?? (options.oneKey ? 6 : 10),
      actionOnEmptyResult: options.actionOnEmptyResult,
      listen: listensNow(deps, state, options) ? state.locale : undefined,
      shortAnswer: options.oneKey || undefined,
    },
    { verb: 'redirect', url: action },
  ];
}

export const hangUp = (deps: VoiceDeps, state: CallState, ...before: Speech[]): VoiceReply => ({
  locale: state.locale,
  verbs: [...before.map(say), say(deps.flows.say('common', 'goodbye', state.locale)), { verb: 'hangup' }],
});

/**
 * A wrong entry: say why, then ask again, unless this was the third in the call since the caller
 * was last proved (a provisional ID taken, or formal ID + right PIN, reset the count), in which
 * case the call ends politely. Guessing is bounded across calls by the line's daily limit.
 */
export function wrongEntry(deps: VoiceDeps, call: CallInput, reason: Speech, askAgain: (state: CallState) => Verb[]): VoiceReply {
  const state = { ...call.state, wrongEntries: call.state.wrongEntries + 1, silences: 0 };
  if (state.wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) {
    return hangUp(deps, state, reason, deps.flows.say('common', 'tooManyWrongEntries', state.locale));
  }
  return reply(state, [say(reason), ...askAgain(state)]);
}

/**
 * Nothing keyed: the first time the prompt is said again, the second time in a row the call ends.
 * Speech that was not understood (heard.ts) comes here too, as nothing keyed would: it is a wrong
 * entry of the call (the same limit as keys), said so, and asked again; from the second miss in a
 * row the prompt asks for the keypad and stops listening until something is understood.
 */
export function silence(deps: VoiceDeps, call: CallInput, askAgain: (state: CallState) => Verb[]): VoiceReply {
  if (call.misheard) return misheard(deps, call, askAgain);
  const { state } = call;
  if (state.silences >= 1) return hangUp(deps, state, deps.flows.say('common', 'noInputGoodbye', state.locale));
  const again = { ...state, silences: state.silences + 1 };
  // Someone who cannot key (hands busy, an old handset) learns here that saying it works too.
  const canSpeak = listensNow(deps, again) ? [say(deps.flows.say('speech', 'youCanSpeak', state.locale))] : [];
  return reply(again, [say(deps.flows.say('common', 'noInput', state.locale)), ...canSpeak, ...askAgain(again)]);
}

/** Speech that could not be used: a wrong entry of the call, then the prompt again (for the keypad from the second miss). */
function misheard(deps: VoiceDeps, call: CallInput, askAgain: (state: CallState) => Verb[]): VoiceReply {
  const misses = call.state.speechMisses + 1;
  const state = { ...call.state, wrongEntries: call.state.wrongEntries + 1, silences: 0, speechMisses: misses };
  const { locale } = state;
  const why = deps.flows.say('speech', call.misheard === 'rejected' ? 'tryAgain' : 'notUnderstood', locale);
  if (state.wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) return hangUp(deps, state, why, deps.flows.say('common', 'tooManyWrongEntries', locale));
  const keypad = misses >= KEYPAD_AFTER_MISSES ? [say(deps.flows.say('speech', 'useKeypad', locale))] : [];
  return reply(state, [say(why), ...keypad, ...askAgain(state)]);
}

/** Speech misses in a row after which a prompt asks for the keypad and stops listening. */
export const KEYPAD_AFTER_MISSES = 2;

/** What the caller keyed, or '' when nothing (silence: Digits absent or empty). */
export const keyed = (call: CallInput): string => (call.digits ?? '').trim();

/** A state that has heard a key (or understood words): the silence and speech-miss counts start over. */
export const heard = (state: CallState): CallState => (state.silences || state.speechMisses ? { ...state, silences: 0, speechMisses: 0 } : state);

/**
 * Takes one of the line's guesses for today BEFORE the entry is checked (count first, so a burst
 * of calls cannot get past the limit); a right entry hands it back with `refundLineAttempt`.
 */
export async function takeLineAttempt(deps: VoiceDeps, line: string): Promise<boolean> {
  const [allowed] = await deps.redis.dpTakeAttempt(keys.lineWrongEntries(line), 'take', LINE_WINDOW_SECONDS, deps.config.lineMaxWrongEntriesPerDay);
  return allowed === 1;
}

/**
 * Before an ID or number keyed on the phone is checked: the calling line, with one of its guesses
 * taken; or the reply that ends the call (number withheld, or the line's guesses used up today).
 */
export async function lineGuess(deps: VoiceDeps, call: CallInput, state: CallState): Promise<{ line: string } | { refused: VoiceReply }> {
  const line = callerLine(call.from);
  if (!line) return { refused: hangUp(deps, state, deps.flows.say('common', 'withheldNumber', state.locale, WITHHELD_VARS)) };
  if (!(await takeLineAttempt(deps, line))) return { refused: lineBlockedReply(deps, state) };
  return { line };
}

export async function refundLineAttempt(deps: VoiceDeps, line: string): Promise<void> {
  await deps.redis.dpTakeAttempt(keys.lineWrongEntries(line), 'refund');
}

/**
 * A right ID keyed on this line: its guess is handed back and the member's language remembered,
 * so their next call is greeted in it; one script, not two commands, on every activation and sign-in.
 */
export async function rightEntryOnLine(deps: VoiceDeps, line: string, locale: Locale): Promise<void> {
  await deps.redis.dpLineRightEntry(keys.lineWrongEntries(line), keys.lineLocale(line), locale, LINE_LOCALE_TTL_SECONDS);
}

export const lineBlockedReply = (deps: VoiceDeps, state: CallState): VoiceReply =>
  hangUp(deps, state, deps.flows.say('common', 'lineBlocked', state.locale));


export const apologyReply = (deps: Pick<VoiceDeps, 'flows'>, state: Pick<CallState, 'locale'>): VoiceReply => ({
  locale: state.locale,
  verbs: [{ verb: 'say', speech: deps.flows.say('common', 'apology', state.locale) }, { verb: 'hangup' }],
});

/**
 * What the fallback URL answers (Twilio requests it when a step failed or answered after 15 s): true
 * whatever happened before, since the step may have completed or not. Said in `locales`, in order,
 * then the call ends. A static copy (`npm run twilio:configure -- --print-fallback-twiml`) can be
 * hosted apart from the app.
 */
export const fallbackReply = (deps: Pick<VoiceDeps, 'flows'>, locales: readonly Locale[]): VoiceReply => ({
  locale: locales[0]!,
  verbs: [...locales.map((locale) => say(deps.flows.say('common', 'fallback', locale))), { verb: 'hangup' }],
});
