import { runKillScenario } from '../support/kill-scenario.ts';

describe('money is never lost when the app is killed (fast; npm run test:faults runs the longer variants)', () => {
  it('when the app is SIGKILLed mid-stream of redemptions and restarted, and the merchant retries what went unanswered with the same Idempotency-Keys, settlement equals the debits, each redemption is booked once, and every webhook is delivered once', async () => {
    const result = await runKillScenario({ kill: 'app', rounds: 1, streamMs: 400, parallel: 4, approvals: 1, log: console.log });
    console.log(`      ${result.sent} redemptions, ${result.retried} retried after the kill, ${result.unbookedAtKill} debited but unbooked at the kill; settled ${result.settled} = debited ${result.debited}`);
  }).timeout(60_000);
});
