/** The small integer codes every Lua script returns, mapped to names in one place. */
const OUTCOMES = {
  1: 'done',
  0: 'replayed',
  [-1]: 'not_found',
  [-2]: 'already_used',
  [-3]: 'taken',
  [-4]: 'insufficient_balance',
  [-5]: 'cap_exceeded',
  [-6]: 'expired',
  [-7]: 'wrong_merchant',
  [-8]: 'already_redeemed',
  [-9]: 'void_window_passed',
  [-10]: 'rate_limited',
} as const;

export type ScriptOutcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

export class UnexpectedScriptResult extends Error {
  override name = 'UnexpectedScriptResult';
}

export function scriptOutcome(code: unknown): ScriptOutcome {
  const outcome = OUTCOMES[Number(code) as keyof typeof OUTCOMES];
  if (outcome === undefined) throw new UnexpectedScriptResult(`a Lua script returned an unknown code: ${String(code)}`);
  return outcome;
}
