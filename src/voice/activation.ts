import { getAccount } from '../accounts/accounts.ts';
import { provisionalIds } from '../identifiers/ids.ts';
import { claimProvisionalId } from '../registration/registration.ts';
import { formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { askAfterFormalId, askProvisionalId, mainMenu, spokenAmount, startMemberAction } from './asks.ts';
import {
  heard,
  keyed,
  lineGuess,
  refundLineAttempt,
  rememberLineLocale,
  reply,
  say,
  silence,
  wrongEntry,
  type VoiceStep,
} from './voice-step.ts';

/**
 * Menu 1, after `#`: check the provisional ID, claim it, and read out the formal ID. The line's
 * guess is counted before the ID is checked and handed back when it was right. From here on the
 * call speaks the language the member registered in.
 */
export const provisionalIdEntered: VoiceStep = async (deps, call) => {
  const entered = keyed(call);
  const retry = (s: CallState) => askProvisionalId(deps, s);
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const guess = await lineGuess(deps, call, state);
  if ('refused' in guess) return guess.refused;
  const { line } = guess;
  const asked = { ...call, state };
  if (provisionalIds.check(entered) !== 'ok') return wrongEntry(deps, asked, deps.flows.say('activation', 'mistyped', state.locale), retry);

  const result = await claimProvisionalId(deps, { provisionalId: entered, callSid: call.callSid, from: line });
  switch (result.outcome) {
    case 'already_used': {
      const inTheirLanguage = { ...asked, state: { ...state, locale: result.locale ?? state.locale } };
      return wrongEntry(deps, inTheirLanguage, deps.flows.say('activation', 'alreadyActivated', inTheirLanguage.state.locale), retry);
    }
    case 'unknown_or_expired': {
      const hours = String(Math.round(deps.config.pendingRegistrationTtlSeconds / 3600));
      return wrongEntry(deps, asked, deps.flows.say('activation', 'unknownOrExpired', state.locale, { hours }), retry);
    }
    default: {
      const locale = result.locale ?? state.locale;
      await Promise.all([refundLineAttempt(deps, line), rememberLineLocale(deps, line, locale)]);
      const known: CallState = { ...state, locale, memberId: result.memberId, wrongEntries: 0 };
      const formalId = { digits: result.formalId, groupSize: 3 };
      const amount = spokenAmount(deps, deps.config.activationCharge, locale);
      const date = formatDate(result.accessExpiresAt, locale, deps.config.timeZone);
      return reply(known, [
        say(deps.flows.say('activation', 'activated', locale, { amount, formalId })),
        say(deps.flows.say('activation', 'accessUntil', locale, { date })),
        ...askAfterFormalId(deps, known),
      ]);
    }
  }
};

/** After the formal ID: 1 hears it again, 2 buys a payment code, 0 goes to the menu. */
export const afterFormalId: VoiceStep = async (deps, call) => {
  const choice = keyed(call);
  if (!call.state.memberId) return mainMenu(deps, call.state);
  if (choice === '') return silence(deps, call, (s) => askAfterFormalId(deps, s));
  const state = heard(call.state);
  const memberId = state.memberId!;
  if (choice === '0') return mainMenu(deps, state);
  if (choice === '2') return startMemberAction(deps, { ...state, next: 'buy' }, memberId);
  if (choice === '1') {
    const account = await getAccount(deps.redis, memberId);
    if (!account) return mainMenu(deps, state);
    const formalId = { digits: account.formalId, groupSize: 3 };
    return reply(state, [say(deps.flows.say('activation', 'formalIdAgain', state.locale, { formalId })), ...askAfterFormalId(deps, state)]);
  }
  return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', state.locale), (s) => askAfterFormalId(deps, s));
};
