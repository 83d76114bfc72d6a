import { renewAccess } from '../accounts/renewal.ts';
import { formatAmount, formatDate } from '../shared/format.ts';
import { mainMenu } from './menu.ts';
import type { MemberAction } from './sign-in.ts';
import { apologyReply } from './voice-step.ts';

/** Menu 4 once signed in: renew, say until when, and go back to the menu. */
export const renewByPhone: MemberAction = async (deps, call, memberId) => {
  const state = { ...call.state, next: undefined };
  const result = await renewAccess(deps, { memberId, callSid: call.callSid, from: call.from });
  if (result.outcome === 'no_account') return apologyReply(deps, state);
  const amount = formatAmount(deps.config.activationCharge, deps.config.currency, state.locale);
  const date = formatDate(result.accessExpiresAt, state.locale, deps.config.timeZone);
  return mainMenu(deps, state, deps.flows.say('renewal', 'renewed', state.locale, { amount, date }));
};
