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
  /** The calling number as Twilio sent it; '' when withheld (see callerLine). */
  from: string;
  to: string;
  /** Keys pressed in the gather that led here; undefined when Twilio fell through on silence. */
  digits?: string;
  /**
   * Twilio's SHAKEN/STIR verification of the caller ID, when the call carried a PASSporT
   * (`StirVerstat`, e.g. TN-Validation-Passed-A, TN-Validation-Failed); absent elsewhere.
   */
  stirVerstat?: string;
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
const LINE_WINDOW_SECONDS = 24 * 3600;
/** How long a line remembers its member's language: about a year of calls. */
const LINE_LOCALE_TTL_SECONDS = 400 * 86400;

/**
 * Values Twilio puts in From when the caller withheld their number: words, or the keypad spelling
 * of ANONYMOUS, RESTRICTED, UNAVAIL(ABLE) or UNKNOWN with a plus (docs/TWILIO-BEHAVIOUR.md).
 */
const WITHHELD_CALLER_IDS = new Set(['anonymous', 'restricted', 'unavailable', 'unknown', 'private', 'blocked', '+266696687', '+7378742833', '+2562533', '+8656696', '+86282452253']);

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
  /** Twilio requests the action with Digits='' on # alone or silence (the "# alone" prompts). */
  actionOnEmptyResult?: boolean;
  timeout?: number;
}

/**
 * A prompt that waits for keys. If the caller keys nothing, Twilio falls through to the
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
    },
    { verb: 'redirect', url: action },
  ];
}

export const hangUp = (deps: VoiceDeps, state: CallState, ...before: Speech[]): VoiceReply => ({
  locale: state.locale,
  verbs: [...before.map(say), say(deps.flows.say('common', 'goodbye', state.locale)), { verb: 'hangup' }],
});

/**
 * A wrong entry: say why, then ask again, unless this was the third in the call, in which case
 * the call ends politely.
 */
export function wrongEntry(deps: VoiceDeps, call: CallInput, reason: Speech, askAgain: (state: CallState) => Verb[]): VoiceReply {
  const state = { ...call.state, wrongEntries: call.state.wrongEntries + 1, silences: 0 };
  if (state.wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) {
    return hangUp(deps, state, reason, deps.flows.say('common', 'tooManyWrongEntries', state.locale));
  }
  return reply(state, [say(reason), ...askAgain(state)]);
}

/** Nothing keyed: the first time the prompt is said again, the second time in a row the call ends. */
export function silence(deps: VoiceDeps, call: CallInput, askAgain: (state: CallState) => Verb[]): VoiceReply {
  const { state } = call;
  if (state.silences >= 1) return hangUp(deps, state, deps.flows.say('common', 'noInputGoodbye', state.locale));
  const again = { ...state, silences: state.silences + 1 };
  return reply(again, [say(deps.flows.say('common', 'noInput', state.locale)), ...askAgain(again)]);
}

/** What the caller keyed, or '' when nothing (silence: Digits absent or empty). */
export const keyed = (call: CallInput): string => (call.digits ?? '').trim();

/** A state that has heard a key: the silence count starts over. */
export const heard = (state: CallState): CallState => (state.silences ? { ...state, silences: 0 } : state);

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
  if (!line) return { refused: hangUp(deps, state, deps.flows.say('common', 'withheldNumber', state.locale)) };
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
