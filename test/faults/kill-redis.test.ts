import { runKillScenario } from '../support/kill-scenario.ts';

describe('fault: redis-server is killed', () => {
  it('when redis-server (AOF, appendfsync always) is SIGKILLed mid-stream and restarted, settlement equals the debits, each acknowledged redemption is booked once, and every webhook is delivered once', async () => {
    const result = await runKillScenario({ kill: 'redis', rounds: 3, streamMs: 1000, parallel: 8, approvals: 2, log: console.log });
    console.log(`      ${result.sent} redemptions, ${result.retried} retried, settled ${result.settled} = debited ${result.debited}; ${result.webhooks} webhooks`);
  }).timeout(300_000);
});
