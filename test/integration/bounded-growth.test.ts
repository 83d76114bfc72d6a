import { expect } from 'chai';
import { codeHash } from '../../src/payments/code-secrets.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantPost } from '../support/payments.ts';

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
