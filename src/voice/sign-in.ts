import { clearPinFailures, getAccount, getAccountByFormalId, recordPinFailure } from '../accounts/accounts.ts';
import { PIN_FAILURE_LIMIT } from '../accounts/login.ts';
import { pinMatches } from '../accounts/passwords.ts';
import { formalIds } from '../identifiers/ids.ts';
import type { CallState } from './call-state.ts';
import { mainMenu } from './menu.ts';
import { renewByPhone } from './renewal.ts';
import type { Verb, VoiceReply } from './twiml.ts';
import {
  ask,
  countLineWrongEntry,
  hangUp,
  keyed,
  lineBlockedReply,
  lineIsBlocked,
  wrongEntry,
  type CallInput,
  type VoiceDeps,
  type VoiceStep,
} from './voice-step.ts';

export const FORMAL_ID_PATH = '/twilio/voice/sign-in/id';
export const PIN_PATH = '/twilio/voice/sign-in/pin';

/** What a signed-in caller can do; the key is `CallState.next`. */
export type MemberAction = (deps: VoiceDeps, call: CallInput, memberId: string) => Promise<VoiceReply>;

const unavailable: MemberAction = async (deps, call) =>
  mainMenu(deps, { ...call.state, next: undefined }, deps.flows.say('main-menu', 'unavailable', call.state.locale));

const registeredActions: Record<string, MemberAction> = {};

/** Lets a feature (payments, approvals) plug its phone action in without this module importing it. */
export function registerMemberAction(name: string, action: MemberAction): void {
  registeredActions[name] = action;
}

// Looked up at call time, not import time: the flow modules import one another.
export const memberActionFor = (name: string | undefined): MemberAction =>
  registeredActions[name ?? ''] ?? (name === 'renew' ? renewByPhone : unavailable);

export function askFormalId(deps: VoiceDeps, state: CallState): Verb[] {
  return ask(deps, state, FORMAL_ID_PATH, [deps.flows.say('sign-in', 'askFormalId', state.locale)], { finishOnKey: '#', timeout: 10 });
}

function askPin(deps: VoiceDeps, state: CallState): Verb[] {
  return ask(deps, state, PIN_PATH, [deps.flows.say('sign-in', 'askPin', state.locale)], { finishOnKey: '#', timeout: 10 });
}

const pinLockedReply = (deps: VoiceDeps, state: CallState) => hangUp(deps, state, deps.flows.say('sign-in', 'pinLocked', state.locale));

export const formalIdEntered: VoiceStep = async (deps, call) => {
  const { state } = call;
  const entered = keyed(call);
  const retry = (s: CallState) => askFormalId(deps, s);
  if (entered === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (await lineIsBlocked(deps, call.from)) return lineBlockedReply(deps, state);
  if (formalIds.check(entered) !== 'ok') {
    await countLineWrongEntry(deps, call.from);
    return wrongEntry(deps, call, deps.flows.say('sign-in', 'mistyped', state.locale), retry);
  }
  const account = await getAccountByFormalId(deps.redis, entered);
  if (!account) {
    await countLineWrongEntry(deps, call.from);
    return wrongEntry(deps, call, deps.flows.say('sign-in', 'unknownFormalId', state.locale), retry);
  }
  if (!account.pinHash) return hangUp(deps, state, deps.flows.say('sign-in', 'noPinSet', state.locale));
  if (account.pinFailures >= PIN_FAILURE_LIMIT) return pinLockedReply(deps, state);
  return { locale: state.locale, verbs: askPin(deps, { ...state, pendingMemberId: account.memberId }) };
};

export const pinEntered: VoiceStep = async (deps, call) => {
  const { state } = call;
  const memberId = state.pendingMemberId;
  if (!memberId) return mainMenu(deps, state);
  const entered = keyed(call);
  const retry = (s: CallState) => askPin(deps, s);
  if (entered === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (await lineIsBlocked(deps, call.from)) return lineBlockedReply(deps, state);
  const account = await getAccount(deps.redis, memberId);
  if (!account?.pinHash) return mainMenu(deps, { ...state, pendingMemberId: undefined });
  if (account.pinFailures >= PIN_FAILURE_LIMIT) return pinLockedReply(deps, state);
  if (!/^\d{4,8}$/.test(entered) || !pinMatches(entered, memberId, deps.config.hashPepper, account.pinHash)) {
    const [failures] = await Promise.all([recordPinFailure(deps.redis, memberId), countLineWrongEntry(deps, call.from)]);
    if (failures >= PIN_FAILURE_LIMIT) return pinLockedReply(deps, state);
    return wrongEntry(deps, call, deps.flows.say('sign-in', 'wrongPin', state.locale), retry);
  }
  if (account.pinFailures > 0) await clearPinFailures(deps.redis, memberId);
  const signedIn = { ...state, pendingMemberId: undefined, memberId };
  return memberActionFor(state.next)(deps, { ...call, state: signedIn }, memberId);
};
