import { LOCALES } from '../config.ts';
import type { CallState } from './call-state.ts';
import { memberActionFor, askFormalId } from './sign-in.ts';
import { askProvisionalId } from './activation.ts';
import { ask, hangUp, keyed, wrongEntry, type CallInput, type VoiceDeps, type VoiceStep } from './voice-step.ts';
import type { Speech, Verb, VoiceReply } from './twiml.ts';

export const MENU_PATH = '/twilio/voice/menu';
const MAX_MENU_REPEATS = 3;

export function menuPrompt(deps: VoiceDeps, state: CallState): Verb[] {
  return ask(deps, state, MENU_PATH, [deps.flows.say('main-menu', 'menu', state.locale)], { numDigits: 1 });
}

export function mainMenu(deps: VoiceDeps, state: CallState, ...before: Speech[]): VoiceReply {
  return { locale: state.locale, verbs: [...before.map((speech) => ({ verb: 'say', speech }) as Verb), ...menuPrompt(deps, state)] };
}

/** POST /twilio/voice: a call comes in. No Redis here, so pick-up is as fast as it can be. */
export const answerCall: VoiceStep = async (deps, call) =>
  mainMenu(deps, call.state, deps.flows.say('main-menu', 'welcome', call.state.locale));

const MENU_ACTIONS: Record<string, string> = { '2': 'buy', '3': 'approve', '4': 'renew' };

export const chooseFromMenu: VoiceStep = async (deps, call) => {
  const choice = keyed(call);
  const { state } = call;
  if (choice === '' || choice === '0') {
    const repeats = state.menuRepeats + 1;
    if (repeats > MAX_MENU_REPEATS) return hangUp(deps, state);
    const before = choice === '' ? [deps.flows.say('common', 'noInput', state.locale)] : [];
    return mainMenu(deps, { ...state, menuRepeats: repeats }, ...before);
  }
  if (choice === '1') return { locale: state.locale, verbs: askProvisionalId(deps, { ...state, menuRepeats: 0 }) };
  if (choice === '9') {
    const locale = LOCALES.find((l) => l !== state.locale)!;
    const switched = { ...state, locale, menuRepeats: 0 };
    return mainMenu(deps, switched, deps.flows.say('main-menu', 'languageSwitched', locale));
  }
  const action = MENU_ACTIONS[choice];
  if (action) {
    const next = { ...state, menuRepeats: 0, next: action };
    if (state.memberId) return memberActionFor(action)(deps, { ...call, state: next }, state.memberId);
    return { locale: state.locale, verbs: askFormalId(deps, next) };
  }
  return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => menuPrompt(deps, s));
};

export type { CallInput };
