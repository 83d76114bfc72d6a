import { runKillScenario } from '../support/kill-scenario.ts';

describe('fault: the app is killed again and again', () => {
  it('when the app is SIGKILLed in five rounds of a redemption stream (8 tills), settlement always equals the debits, each redemption is booked once, and every webhook is delivered once', async () => {
    const result = await runKillScenario({ kill: 'app', rounds: 5, streamMs: 1500, parallel: 8, approvals: 3, log: console.log });
    console.log(`      ${result.sent} redemptions, ${result.retried} retried, ${result.unbookedAtKill} debited but unbooked at a kill; settled ${result.settled} = debited ${result.debited}; ${result.webhooks} webhooks`);
  }).timeout(300_000);
});
