import { renewAccess } from '../accounts/renewal.ts';
import { formatDate } from '../shared/format.ts';
import type { CallState } from './call-state.ts';
import { askRenewal, mainMenu, spokenAmount } from './asks.ts';
import { apologyReply, callerLine, heard, keyed, silence, wrongEntry, type VoiceStep } from './voice-step.ts';

/**
 * Menu 4, signed in: the price was said; 1 renews (charged once per call, whatever is pressed
 * afterwards), 2 cancels without a charge.
 */
export const renewalConfirmed: VoiceStep = async (deps, call) => {
  const { memberId } = call.state;
  const nonce = call.state.extra.rn;
  if (!memberId || !nonce) return mainMenu(deps, call.state);
  const choice = keyed(call);
  const retry = (s: CallState) => askRenewal(deps, s);
  if (choice === '') return silence(deps, call, retry);
  const state = heard(call.state);
  const { locale } = state;
  if (choice === '2') return mainMenu(deps, state, deps.flows.say('renewal', 'cancelled', locale));
  if (choice !== '1') return wrongEntry(deps, { ...call, state }, deps.flows.say('main-menu', 'invalidChoice', locale), retry);
  const result = await renewAccess(deps, { memberId, callSid: call.callSid, from: callerLine(call.from) ?? '', nonce });
  if (result.outcome === 'no_account') return apologyReply(deps, state);
  const date = formatDate(result.accessExpiresAt, locale, deps.config.timeZone);
  if (result.outcome === 'already_renewed') return mainMenu(deps, state, deps.flows.say('renewal', 'alreadyRenewed', locale, { date }));
  const amount = spokenAmount(deps, deps.config.activationCharge, locale);
  return mainMenu(deps, state, deps.flows.say('renewal', 'renewed', locale, { amount, date }));
};
