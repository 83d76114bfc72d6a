import { expect } from 'chai';
import { scanKeys, startTestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';

describe('test isolation on one Redis or a Redis Cluster', () => {
  it("when a test app closes, every key it wrote is gone from every master (SCAN per node, never KEYS)", async function () {
    this.timeout(30_000);
    const app = await startTestApp();
    const prefix = `${app.config.redis.keyPrefix}${app.keyPrefix}`;
    await activeMember(app);
    const written = await scanKeys(app.config, `${prefix}*`);
    // A member's account, ledger, formal-ID index and login counters land in several slots (on a cluster, several masters).
    expect(written.length).to.be.greaterThan(3);
    await app.close();
    expect(await scanKeys(app.config, `${prefix}*`)).to.deep.equal([]);
  });
});
