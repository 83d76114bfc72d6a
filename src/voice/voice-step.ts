import type { Config } from '../config.ts';
import type { SmsSender } from '../payments/sms.ts';
import type { RedisClient } from '../store/redis.ts';
import { keys } from '../store/keys.ts';
import { callUrl, type CallState } from './call-state.ts';
import type { VoiceFlows } from './prompts.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';

export interface VoiceDeps {
  config: Config;
  redis: RedisClient;
  flows: VoiceFlows;
  now: () => number;
  /** Set only when SMS is configured (payment codes are then also texted to the caller). */
  sms?: SmsSender;
}

/** One webhook's worth of a call: who is calling, what they keyed, and the state carried so far. */
export interface CallInput {
  callSid: string;
  from: string;
  to: string;
  /** Keys pressed in the gather that led here; undefined when the gather timed out. */
  digits?: string;
  state: CallState;
}

export type VoiceStep = (deps: VoiceDeps, call: CallInput) => Promise<VoiceReply>;

export const MAX_WRONG_ENTRIES_PER_CALL = 3;
const LINE_WINDOW_SECONDS = 24 * 3600;

export interface AskOptions {
  finishOnKey?: string;
  numDigits?: number;
  timeout?: number;
}

/**
 * A prompt that waits for keys. If the caller keys nothing, Twilio falls through to the
 * Redirect, which comes back to the same step without Digits: the step treats that as silence.
 */
export function ask(deps: VoiceDeps, state: CallState, path: string, speech: Speech[], options: AskOptions = {}): Verb[] {
  const action = callUrl(deps.config.publicBaseUrl, path, state);
  return [
    { verb: 'gather', action, speech, ...options },
    { verb: 'redirect', url: action },
  ];
}

export const hangUp = (deps: VoiceDeps, state: CallState, ...before: Speech[]): VoiceReply => ({
  locale: state.locale,
  verbs: [...before.map((speech) => ({ verb: 'say', speech }) as Verb), { verb: 'say', speech: deps.flows.say('common', 'goodbye', state.locale) }, { verb: 'hangup' }],
});

/**
 * A wrong entry: say why, then ask again, unless this was the third in the call, in which case
 * the call ends politely.
 */
export function wrongEntry(deps: VoiceDeps, call: CallInput, reason: Speech, askAgain: (state: CallState) => Verb[]): VoiceReply {
  const state = { ...call.state, wrongEntries: call.state.wrongEntries + 1 };
  if (state.wrongEntries >= MAX_WRONG_ENTRIES_PER_CALL) {
    return hangUp(deps, state, reason, deps.flows.say('common', 'tooManyWrongEntries', state.locale));
  }
  return { locale: state.locale, verbs: [{ verb: 'say', speech: reason }, ...askAgain(state)] };
}

/** Whether this calling line has used up its wrong entries for the day (guessing IDs or PINs). */
export async function lineIsBlocked(deps: VoiceDeps, from: string): Promise<boolean> {
  const count = await deps.redis.get(keys.lineWrongEntries(from));
  return Number(count ?? 0) >= deps.config.lineMaxWrongEntriesPerDay;
}

export async function countLineWrongEntry(deps: VoiceDeps, from: string): Promise<void> {
  await deps.redis.dpCountFailure(keys.lineWrongEntries(from), LINE_WINDOW_SECONDS);
}

export const lineBlockedReply = (deps: VoiceDeps, state: CallState): VoiceReply =>
  hangUp(deps, state, deps.flows.say('common', 'lineBlocked', state.locale));

export const apologyReply = (deps: Pick<VoiceDeps, 'flows'>, state: CallState): VoiceReply => ({
  locale: state.locale,
  verbs: [{ verb: 'say', speech: deps.flows.say('common', 'apology', state.locale) }, { verb: 'hangup' }],
});

/** Keys the caller pressed, or '' for silence; anything but digits, * and # counts as garbage. */
export const keyed = (call: CallInput): string => (call.digits ?? '').trim();
