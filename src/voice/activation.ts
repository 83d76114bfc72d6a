import { getAccount } from '../accounts/accounts.ts';
import { provisionalIds } from '../identifiers/ids.ts';
import { claimProvisionalId } from '../registration/registration.ts';
import { formatAmount, formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { mainMenu } from './menu.ts';
import { memberActionFor } from './sign-in.ts';
import type { Speech, Verb } from './twiml.ts';
import {
  ask,
  countLineWrongEntry,
  hangUp,
  keyed,
  lineBlockedReply,
  lineIsBlocked,
  wrongEntry,
  type VoiceDeps,
  type VoiceStep,
} from './voice-step.ts';

export const ACTIVATION_PATH = '/twilio/voice/activation';
export const AFTER_ACTIVATION_PATH = '/twilio/voice/activation/next';

export function askProvisionalId(deps: VoiceDeps, state: CallState): Verb[] {
  return ask(deps, state, ACTIVATION_PATH, [deps.flows.say('activation', 'askProvisionalId', state.locale)], {
    finishOnKey: '#',
    timeout: 10,
  });
}

function afterFormalIdPrompt(deps: VoiceDeps, state: CallState): Verb[] {
  return ask(deps, state, AFTER_ACTIVATION_PATH, [deps.flows.say('activation', 'afterFormalId', state.locale)], { numDigits: 1 });
}

/** Menu 1, after `#`: check the provisional ID, claim it, and read out the formal ID. */
export const provisionalIdEntered: VoiceStep = async (deps, call) => {
  const { state } = call;
  const entered = keyed(call);
  const retry = (s: CallState) => askProvisionalId(deps, s);
  if (entered === '') return wrongEntry(deps, call, deps.flows.say('common', 'noInput', state.locale), retry);
  if (await lineIsBlocked(deps, call.from)) return lineBlockedReply(deps, state);

  const refuse = async (reason: Speech) => {
    await countLineWrongEntry(deps, call.from);
    return wrongEntry(deps, call, reason, retry);
  };
  if (provisionalIds.check(entered) !== 'ok') return refuse(deps.flows.say('activation', 'mistyped', state.locale));

  const result = await claimProvisionalId(deps, { provisionalId: entered, callSid: call.callSid, from: call.from });
  switch (result.outcome) {
    case 'already_used':
      return refuse(deps.flows.say('activation', 'alreadyActivated', state.locale));
    case 'unknown_or_expired': {
      const hours = String(Math.round(deps.config.pendingRegistrationTtlSeconds / 3600));
      return refuse(deps.flows.say('activation', 'unknownOrExpired', state.locale, { hours }));
    }
    default: {
      const known = { ...state, memberId: result.memberId };
      const formalId = { digits: result.formalId, groupSize: 3 };
      const amount = formatAmount(deps.config.activationCharge, deps.config.currency, state.locale);
      const date = formatDate(result.accessExpiresAt, state.locale, deps.config.timeZone);
      return {
        locale: state.locale,
        verbs: [
          { verb: 'say', speech: deps.flows.say('activation', 'activated', state.locale, { amount, formalId }) },
          { verb: 'say', speech: deps.flows.say('activation', 'accessUntil', state.locale, { date }) },
          ...afterFormalIdPrompt(deps, known),
        ],
      };
    }
  }
};

/** After the formal ID: 1 hears it again, 2 buys a payment code, 0 goes to the menu, silence ends the call. */
export const afterFormalId: VoiceStep = async (deps, call) => {
  const { state } = call;
  const choice = keyed(call);
  if (!state.memberId) return mainMenu(deps, state);
  if (choice === '') return hangUp(deps, state);
  if (choice === '0') return mainMenu(deps, state);
  if (choice === '2') return memberActionFor('buy')(deps, { ...call, state: { ...state, next: 'buy' } }, state.memberId);
  if (choice === '1') {
    const account = await getAccount(deps.redis, state.memberId);
    if (!account) return mainMenu(deps, state);
    const formalId = { digits: account.formalId, groupSize: 3 };
    return {
      locale: state.locale,
      verbs: [{ verb: 'say', speech: deps.flows.say('activation', 'formalIdAgain', state.locale, { formalId }) }, ...afterFormalIdPrompt(deps, state)],
    };
  }
  return wrongEntry(deps, call, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => afterFormalIdPrompt(deps, s));
};
