import { getAccount, getAccountByFormalId } from '../accounts/accounts.ts';
import { keptCard } from '../accounts/kept-card.ts';
import { PIN_FAILURE_LIMIT } from '../accounts/login.ts';
import { pinMatches } from '../accounts/passwords.ts';
import { formalIds } from '../identifiers/ids.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import type { CallState } from './call-state.ts';
import { askFormalId, askPin, mainMenu, startMemberAction } from './asks.ts';
import { notChargedNote } from './charge-words.ts';
import { unheardResults } from './unheard.ts';
import {
  callerLine,
  hangUp,
  heard,
  keyed,
  lineBlockedReply,
  lineGuess,
  refundLineAttempt,
  rightEntryOnLine,
  reply,
  silence,
  takeLineAttempt,
  wrongEntry,
  type VoiceDeps,
  type VoiceStep,
  WITHHELD_VARS,
} from './voice-step.ts';

const pinLockedReply = (deps: VoiceDeps, state: CallState) => hangUp(deps, state, deps.flows.say('sign-in', 'pinLocked', state.locale));

/** The formal ID, then #: once it is known, the call speaks the member's language. */
export const formalIdEntered: VoiceStep = async (deps, call) => {
  const entered = keyed(call);
  const retry = (s: CallState) => askFormalId(deps, s);
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const asked = { ...call, state };
  const guess = await lineGuess(deps, call, state);
  if ('refused' in guess) return guess.refused;
  const { line } = guess;
  if (formalIds.check(entered) !== 'ok') return wrongEntry(deps, asked, deps.flows.say('sign-in', 'mistyped', state.locale), retry);
  const account = await getAccountByFormalId(deps.redis, entered);
  if (!account) return wrongEntry(deps, asked, deps.flows.say('sign-in', 'unknownFormalId', state.locale), retry);
  await refundLineAttempt(deps, line);
  const theirs: CallState = { ...state, locale: account.locale, languageKnown: true };
  if (!account.pinHash) return hangUp(deps, theirs, deps.flows.say('sign-in', 'noPinSet', theirs.locale));
  if (account.pinFailures >= PIN_FAILURE_LIMIT) return pinLockedReply(deps, theirs);
  const next = { ...theirs, pendingMemberId: account.memberId };
  return reply(next, askPin(deps, next));
};

/**
 * The phone PIN, then #. The attempt is counted against the member (and the line) before the PIN
 * is checked, so simultaneous guesses cannot get past the lock; a right PIN clears the count.
 */
export const pinEntered: VoiceStep = async (deps, call) => {
  const memberId = call.state.pendingMemberId;
  if (!memberId) return mainMenu(deps, call.state);
  const entered = keyed(call);
  const retry = (s: CallState) => askPin(deps, s);
  if (entered === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const line = callerLine(call.from);
  if (!line) return hangUp(deps, state, deps.flows.say('common', 'withheldNumber', state.locale, WITHHELD_VARS));
  const account = await getAccount(deps.redis, memberId);
  if (!account?.pinHash) return mainMenu(deps, state);
  if (!(await takeLineAttempt(deps, line))) return lineBlockedReply(deps, state);
  const [taken, attempts] = await deps.redis.dpTakePinAttempt(keys.account(memberId), PIN_FAILURE_LIMIT);
  if (scriptOutcome(taken) !== 'done') {
    await refundLineAttempt(deps, line);
    return pinLockedReply(deps, state);
  }
  if (!/^\d{4,8}$/.test(entered) || !pinMatches(entered, memberId, deps.config.hashPepper, account.pinHash)) {
    if (Number(attempts) >= PIN_FAILURE_LIMIT) return pinLockedReply(deps, state);
    return wrongEntry(deps, { ...call, state }, deps.flows.say('sign-in', 'wrongPin', state.locale), retry);
  }
  const [, , kept] = await Promise.all([
    deps.redis.hset(keys.account(memberId), 'pinFailures', 0),
    rightEntryOnLine(deps, line, account.locale),
    // A card kept at the processor pays after one key; its last four digits are said with the price.
    deps.config.charging.cardProcessor === 'stripe' ? keptCard(deps.redis, memberId) : undefined,
  ]);
  const keptLast4 = kept?.token ? kept.last4 : undefined;
  const signedIn: CallState = { ...state, memberId, pendingMemberId: undefined, wrongEntries: 0, keptCard: keptLast4 };
  // A result an earlier call never told (its answer lost, or too late for Twilio) comes first,
  // then the menu: nothing is offered again that the caller may already have.
  const unheard = await unheardResults(deps, memberId, signedIn);
  if (unheard.notes.length) {
    const notes = unheard.notes.join(',');
    return { ...mainMenu(deps, { ...signedIn, delivered: notes }, ...unheard.speech, ...notChargedNote(deps, signedIn)), tells: { memberId, notes } };
  }
  return startMemberAction(deps, signedIn, memberId);
};
