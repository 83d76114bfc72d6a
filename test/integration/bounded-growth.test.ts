import { expect } from 'chai';
import { codeHash } from '../../src/payments/code-secrets.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantPost } from '../support/payments.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';

const PIN = '1357';
const HOUR = 3_600_000;

describe('bounded growth: a code’s redemption records end with the code record, or with the void window after its last redemption', function () {
  this.timeout(60_000);

  async function redeemedCodeTtls(app: TestApp): Promise<{ recordMs: number; redemptionsMs: number }> {
    const shop = await createMerchant(app, 'Bounded Café');
    const member = await activeMember(app, { pin: PIN });
    const code = await codeBoughtByPhone(app, member, PIN, '1');
    const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
    expect(redeemed.status).to.equal(201);
    const hash = codeHash(code, app.config.hashPepper);
    return { recordMs: await app.redis.pttl(keys.paymentCode(hash)), redemptionsMs: await app.redis.pttl(keys.codeRedemptions(hash)) };
  }

  it('a code redeemed within its life keeps its redemption records exactly as long as the code record (its life plus 90 days kept for disputes)', async () => {
    const app = await startTestApp({ CODE_TTL_DAYS: '90', VOID_WINDOW_HOURS: '24' });
    try {
      const { recordMs, redemptionsMs } = await redeemedCodeTtls(app);
      expect(recordMs).to.be.within(179 * 24 * HOUR, 180 * 24 * HOUR);
      expect(Math.abs(redemptionsMs - recordMs)).to.be.below(60_000);
    } finally {
      await app.close();
    }
  });

  it('when the void window outlasts the code, the records stay until the window ends, so a void is still possible', async () => {
    // The code record lives 1 + 90 days; a void window of 100 days outlasts it.
    const app = await startTestApp({ CODE_TTL_DAYS: '1', VOID_WINDOW_HOURS: '2400' });
    try {
      const { recordMs, redemptionsMs } = await redeemedCodeTtls(app);
      expect(recordMs).to.be.below(91 * 24 * HOUR + 60_000);
      expect(redemptionsMs).to.be.within(2400 * HOUR - 60_000, 2400 * HOUR);
    } finally {
      await app.close();
    }
  });
});

describe('bounded growth: the console’s calls list keeps the call records’ 90 days, no more', function () {
  this.timeout(60_000);
  const DAY = 86_400_000;

  it('a call that ended more than 90 days ago leaves the list as later calls end, checked at most once a minute', async () => {
    const app = await startTestApp();
    try {
      const endCall = async () => {
        const call = new TestCall(app, uniqueCallerNumber());
        await call.dial();
        await call.hangUp();
        return call.callSid;
      };
      const listed = async (callSid: string) => (await app.redis.zscore(keys.opsCalls(), callSid)) !== null;
      await app.redis.zadd(keys.opsCalls(), app.clock.now - 91 * DAY, 'CAlongago1', app.clock.now - 89 * DAY, 'CArecent1');
      const first = await endCall();
      expect(await listed('CAlongago1'), 'older than 90 days').to.equal(false);
      expect(await listed('CArecent1'), 'within 90 days').to.equal(true);
      expect(await listed(first)).to.equal(true);
      // A minute on, the next call's end trims again.
      await app.redis.zadd(keys.opsCalls(), app.clock.now - 91 * DAY, 'CAlongago2');
      app.clock.now += 61_000;
      const second = await endCall();
      expect(await listed('CAlongago2')).to.equal(false);
      expect(await listed(second)).to.equal(true);
    } finally {
      await app.close();
    }
  });
});
