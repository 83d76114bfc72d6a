import { expect } from 'chai';
import { domesticNumber } from '../../src/web/phone.ts';
import type { Page } from 'playwright-core';
import { readLedger, type LedgerEntry } from '../../src/accounts/ledger.ts';
import { CHARGES_PER_PAGE, indexPage } from '../../src/accounts/history.ts';
import { calendarMonth } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { decideByPhone, logInInBrowser, rows } from '../support/surfaces.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { buyOnCall, createMerchant, merchantPost, signInToBuy, type TestMerchant } from '../support/payments.ts';

const PIN = '1357';

describe("a member's history on the member page (headless Chromium)", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: TestBrowser;
  let member: ActiveMember;
  let shop: TestMerchant;
  const codes: string[] = [];
  const requests: { id: string; amount: number; status: string }[] = [];

  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000,3000', MONTHLY_SPENDING_CAP: '10000' });
    browser = await launchBrowser();
    // Mid-month, so the day's charges all fall in one month of the cap.
    app.clock.now = Date.parse('2026-12-10T01:00:00Z');
    // A day of activity: activation, two codes (one for one shop only), a part redemption,
    // one payment request approved and one declined.
    member = await activeMember(app, { pin: PIN });
    shop = await createMerchant(app, 'Kissa Hoshi');
    const later = () => (app.clock.now += 20 * 60_000);
    later();
    codes.push(await buyOnCall(await signInToBuy(app, member, PIN), '2'));
    later();
    codes.push(await buyOnCall(await signInToBuy(app, member, PIN), '1', shop.merchantId));
    const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: codes[0], amount: 400 }, merchantPost(shop));
    expect(redeemed.status).to.equal(201);
    for (const [amount, key] of [
      [1200, '1'],
      [300, '2'],
    ] as const) {
      later();
      const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount, description: `Order ${amount}` }, merchantPost(shop));
      expect(made.status).to.equal(201);
      await decideByPhone(app, member, PIN, made.body.number, key);
      requests.push({ id: made.body.id, amount, status: key === '1' ? 'approved' : 'declined' });
    }
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  for (const lang of ['en', 'ja'] as const) {
    it(`in ${lang}, every charge, code, request and the monthly limit shown match the ledger`, async () => {
      const page = await browser.context.newPage();
      await logInInBrowser(page, app, member, lang);
      const ledger = await readLedger(app.redis, member.provisionalId);
      expect(ledger.map((e) => e.kind)).to.deep.equal(['activation', 'code_purchase', 'code_purchase', 'payment_approval']);

      const charges = await rows(page, 'charge');
      expect(charges.map((c) => [Number(c.index), c.kind, Number(c.amount)])).to.deep.equal(ledger.map((e, i) => [i, e.kind, e.amount]).reverse());
      // Members see the line that paid, as it is written in Japan, never Twilio's CallSid.
      for (const [i, c] of charges.entries()) expect(c.text).to.include(domesticNumber(ledger[ledger.length - 1 - i]!.from)).and.not.include(ledger[ledger.length - 1 - i]!.callSid);
      expect(charges[0]!.text).to.include('Kissa Hoshi').and.include('Order 1200');
      expect(charges[2]!.text).to.include(codes[0]!.slice(-4));

      const month = calendarMonth(app.clock.now, app.config.timeZone);
      const spentInLedger = ledger
        .filter((e) => (e.kind === 'code_purchase' || e.kind === 'payment_approval') && calendarMonth(e.at, app.config.timeZone) === month)
        .reduce((sum, e) => sum + e.amount, 0);
      expect(spentInLedger).to.equal(2700);
      const cap = await page.locator('[data-testid=cap]').evaluate((el) => ({ ...(el as HTMLElement).dataset, text: el.textContent ?? '' }) as Record<string, string>);
      expect([Number(cap.cap), Number(cap.spent), Number(cap.left)]).to.deep.equal([10_000, spentInLedger, 10_000 - spentInLedger]);
      expect(cap.text).to.include(lang === 'en' ? '¥7,300 left' : '残り ￥7,300');

      const shownCodes = await rows(page, 'code');
      expect(shownCodes.map((c) => [c.last4, Number(c.remaining), c.status])).to.deep.equal([
        [codes[1]!.slice(-4), 500, 'active'],
        [codes[0]!.slice(-4), 600, 'active'],
      ]);
      expect(shownCodes[0]!.text).to.include('Kissa Hoshi');
      expect(shownCodes[1]!.text).to.include(lang === 'en' ? 'Any merchant' : 'どの加盟店でも');
      // Nothing on the page shows a whole code.
      const body = (await page.textContent('main'))!;
      for (const code of codes) expect(body).to.not.include(code);

      const shownRequests = await rows(page, 'request');
      expect(shownRequests.map((r) => [r.id, r.status, Number(r.amount)])).to.deep.equal(requests.map((r) => [r.id, r.status, r.amount]).reverse());
      expect(body).to.include(lang === 'en' ? 'Payment requests' : '支払いリクエスト');
      await page.close();
    });
  }

  it('a long ledger pages back with "Older", every entry exactly once, newest first', async () => {
    const longStanding = await activeMember(app, { pin: PIN });
    // Years of renewals: entries as renew-access.lua writes them.
    const first = (await readLedger(app.redis, longStanding.provisionalId))[0]!;
    const renewals: LedgerEntry[] = Array.from({ length: 2 * CHARGES_PER_PAGE + 5 }, (_, i) => ({ ...first, kind: 'renewal', at: first.at + (i + 1) * 86_400_000, callSid: `CA${String(i).padStart(32, '0')}` }));
    await app.redis.rpush(keys.memberLedger(longStanding.provisionalId), ...renewals.map((e) => JSON.stringify(e)));
    const ledger = await readLedger(app.redis, longStanding.provisionalId);

    const page = await browser.context.newPage();
    await logInInBrowser(page, app, longStanding, 'en');
    const seen: number[] = [];
    for (;;) {
      const charges = await rows(page, 'charge');
      expect(charges.length).to.be.at.most(CHARGES_PER_PAGE);
      for (const c of charges) {
        expect(Number(c.amount)).to.equal(ledger[Number(c.index)]!.amount);
        expect(c.text).to.include(domesticNumber(ledger[Number(c.index)]!.from));
      }
      seen.push(...charges.map((c) => Number(c.index)));
      const older = page.locator('[data-testid=charges-older]');
      if (!(await older.count())) break;
      await Promise.all([page.waitForLoadState(), older.click()]);
    }
    expect(seen).to.deep.equal(ledger.map((_, i) => i).reverse());
    await page.click('[data-testid=charges-newest]');
    expect(Number((await rows(page, 'charge'))[0]!.index)).to.equal(ledger.length - 1);
    await page.close();
  });

  it('index pages with ties on the same millisecond skip none and repeat none', async () => {
    const key = keys.memberCodes('history-ties');
    const members = Array.from({ length: 25 }, (_, i) => `h${String(i).padStart(2, '0')}`);
    await app.redis.zadd(key, ...members.flatMap((m, i) => [i < 15 ? 1000 : 2000 + i, m]));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await indexPage(app.redis, key, cursor, 4);
      seen.push(...page.entries.map(([m]) => m));
      cursor = page.next;
    } while (cursor);
    expect(seen).to.have.length(25);
    expect(new Set(seen).size).to.equal(25);
    await app.redis.del(key);
  });
});
