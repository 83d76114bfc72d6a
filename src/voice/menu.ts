import { LOCALES, type Locale } from '../config.ts';
import { keys } from '../store/keys.ts';
import { initialCallState } from './call-state.ts';
import { askFormalId, askProvisionalId, firstCallPrompt, mainMenu, MENU_ACTIONS, menuPrompt, otherLocale, startMemberAction } from './asks.ts';
import { notPayableInCall } from './charge-words.ts';
import { callerLine, hangUp, heard, keyed, reply, say, silence, wrongEntry, type VoiceDeps, type VoiceStep, WITHHELD_VARS } from './voice-step.ts';
import type { VoiceReply } from './twiml.ts';

const MAX_MENU_REPEATS = 3;

/**
 * POST /twilio/voice: a call comes in. A withheld number is asked to call again with it shown
 * (it could be neither charged to a line nor held to a line's limits). A line that a member has
 * used before is greeted in that member's language; anyone else in the default language, with the
 * other language offered in its own voice within the first seconds.
 */
export const pickUp: VoiceStep = async (deps, call) => {
  const line = callerLine(call.from);
  if (!line) {
    const first = call.state.locale;
    return {
      locale: first,
      verbs: [say(deps.flows.say('common', 'withheldNumber', first, WITHHELD_VARS)), say(deps.flows.say('common', 'withheldNumber', otherLocale(first), WITHHELD_VARS)), { verb: 'hangup' }],
    };
  }
  // A caller still hears the menu when Redis is away: the language is a nicety, not a need. A
  // caller ID that failed SHAKEN/STIR verification is not recognised as the line it claims.
  const known = call.callerIdFailed ? null : await deps.redis.get(keys.lineLocale(line)).catch(() => null);
  const memberLocale = LOCALES.find((l) => l === known);
  return greeting(deps, memberLocale ?? call.state.locale, memberLocale ? 'member' : 'first');
};

/**
 * The greeting depends only on the language and the second the call began (the signed state), so
 * one reply per language is kept for the current second: routes render each reply object once.
 */
const greetings = new WeakMap<VoiceDeps, Map<string, { startedAt: number; reply: VoiceReply }>>();
/**
 * `member`: a line a member used, greeted in their language with the one-key menu. `first`: a line
 * never heard, greeted with the provisional ID first (firstCallPrompt): a first-time caller keys
 * it and # at once, without a menu key.
 */
function greeting(deps: VoiceDeps, locale: Locale, kind: 'member' | 'first'): VoiceReply {
  let byLocale = greetings.get(deps);
  if (!byLocale) greetings.set(deps, (byLocale = new Map()));
  const started = initialCallState(locale, deps.now());
  const state = kind === 'member' ? { ...started, languageKnown: true } : started;
  const kept = byLocale.get(`${kind}/${locale}`);
  if (kept?.startedAt === state.startedAt) return kept.reply;
  const fresh = reply(state, kind === 'member' ? menuPrompt(deps, state, true) : firstCallPrompt(deps, state));
  byLocale.set(`${kind}/${locale}`, { startedAt: state.startedAt, reply: fresh });
  return fresh;
}

/**
 * /twilio/voice/menu. An entry of more than one key comes from the first-call greeting: a
 * provisional ID, handed to the activation step (given by the call-flow table, so no step
 * imports another); one key is a menu choice.
 */
export const menuOrProvisionalId =
  (provisionalIdEntered: VoiceStep): VoiceStep =>
  async (deps, call) => {
    if (keyed(call).length > 1) return provisionalIdEntered(deps, { ...call, state: { ...call.state, extra: {} } });
    return chooseFromMenu(deps, call);
  };

/** The one-key main menu. */
export const chooseFromMenu: VoiceStep = async (deps, call) => {
  const choice = keyed(call);
  if (choice === '') return silence(deps, call, (s) => menuPrompt(deps, s));
  const state = heard(call.state);
  if (choice === '0') {
    const repeats = state.menuRepeats + 1;
    if (repeats > MAX_MENU_REPEATS) return hangUp(deps, state);
    const again = { ...state, menuRepeats: repeats };
    return reply(again, menuPrompt(deps, again));
  }
  if (choice === '1') {
    const unpayable = notPayableInCall(deps, state, 'activate');
    if (unpayable) return mainMenu(deps, state, ...unpayable);
    return reply(state, askProvisionalId(deps, { ...state, menuRepeats: 0 }));
  }
  if (choice === '9') {
    const switched = { ...state, locale: otherLocale(state.locale), menuRepeats: 0, extra: {} };
    // From the first-call greeting: the provisional ID first again, now in the language chosen.
    if (state.extra.f) return reply(switched, firstCallPrompt(deps, switched, false));
    return reply(switched, menuPrompt(deps, switched));
  }
  const action = MENU_ACTIONS[choice];
  if (action) {
    // Said before the formal ID and PIN, so nobody signs in for something this call cannot sell.
    const unpayable = notPayableInCall(deps, state, action);
    if (unpayable) return mainMenu(deps, state, ...unpayable);
    const next = { ...state, menuRepeats: 0, next: action };
    if (state.memberId) return startMemberAction(deps, next, state.memberId);
    return reply(next, askFormalId(deps, next));
  }
  return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => menuPrompt(deps, s));
};
