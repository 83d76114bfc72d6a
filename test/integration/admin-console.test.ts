import { readFileSync } from 'node:fs';
import { formulaCells } from '../support/spreadsheet.ts';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { codesPage as memberCodes } from '../../src/accounts/history.ts';
import { readLedger, type LedgerEntry } from '../../src/accounts/ledger.ts';
import { settlementDays } from '../../src/merchants/settlement.ts';
import { calendarDay } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { buyOnCall, createMerchant, merchantPost, signInToBuy, type TestMerchant } from '../support/payments.ts';
import { decideByPhone, rows } from '../support/surfaces.ts';
import { TestCall } from '../support/call.ts';

const PIN = '2580';

async function signInToConsole(page: Page, app: TestApp, lang: 'ja' | 'en' = 'en') {
  await page.context().clearCookies();
  await page.goto(`${app.url}/admin?lang=${lang}`);
  await page.fill('#token', app.config.adminToken);
  await Promise.all([page.waitForURL(`${app.url}/admin`), page.click('button[type=submit]')]);
  await page.waitForSelector('[data-testid=today]');
}

/** The figures of one `dl.figures` block as field -> number. */
const figures = (page: Page, testId: string) =>
  page.locator(`[data-testid=${testId}] [data-field]`).evaluateAll((divs) => Object.fromEntries(divs.map((d) => [(d as HTMLElement).dataset.field!, Number((d as HTMLElement).dataset.value)])));

describe('the operator console at /admin (headless Chromium)', function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: TestBrowser;
  let members: ActiveMember[];
  let shop: TestMerchant;
  let ledger: LedgerEntry[];
  const bought: string[] = [];
  const deps = () => ({ config: app.config, redis: app.redis, now: () => app.clock.now });
  const yesterday = Date.parse('2026-12-09T03:00:00Z');
  const today = Date.parse('2026-12-10T01:00:00Z');

  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000,3000', MONTHLY_SPENDING_CAP: '10000' });
    browser = await launchBrowser();
    // Yesterday: one member joins. Today: another joins, a third registers and has not called
    // yet, a merchant opens, codes are bought, redeemed and one redemption voided, a payment
    // request is approved (and Twilio retries the approving request) and one declined.
    app.clock.now = yesterday;
    const early = await activeMember(app, { pin: PIN });
    app.clock.now = today;
    const member = await activeMember(app, { pin: PIN });
    members = [early, member];
    await register(app, 'Not Yet Called', 'later@example.com');
    shop = await createMerchant(app, 'Yatai Ken');
    const later = () => (app.clock.now += 10 * 60_000);
    later();
    const anyShop = await buyOnCall(await signInToBuy(app, member, PIN), '2');
    later();
    bought.push(anyShop, await buyOnCall(await signInToBuy(app, member, PIN), '1', shop.merchantId));
    later();
    expect((await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: anyShop, amount: 400 }, merchantPost(shop))).status).to.equal(201);
    const second = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: anyShop, amount: 100 }, merchantPost(shop));
    expect((await jsonRequest(app, 'POST', `/api/merchant/redemptions/${second.body.redemptionId}/void`, undefined, merchantPost(shop))).status).to.equal(200);
    for (const [amount, key] of [
      [1200, '1'],
      [300, '2'],
    ] as const) {
      later();
      const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount, description: `Order ${amount}` }, merchantPost(shop));
      await decideByPhone(app, member, PIN, made.body.number, key, { twilioRetries: true });
    }
    ledger = [...(await readLedger(app.redis, early.provisionalId)), ...(await readLedger(app.redis, member.provisionalId))];
    // Recording for the operator is not awaited by the money path: give the last one a moment.
    await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const sum = (entries: LedgerEntry[]) => entries.reduce((t, e) => t + e.amount, 0);
  const onDay = (day: string) => ledger.filter((e) => calendarDay(e.at, app.config.timeZone) === day);
  const count = (entries: LedgerEntry[], kind: LedgerEntry['kind']) => entries.filter((e) => e.kind === kind).length;
  /** What members were really charged: a demo (`none`) collects nothing and is never revenue. */
  const collected = (entries: LedgerEntry[]) => entries.filter((e) => e.method !== 'none');
  const demos = (entries: LedgerEntry[]) => entries.filter((e) => e.method === 'none');

  it("the front page's figures for now, today and this month, and the revenue chart, match the ledger and the merchant's books; demo charges are counted apart, never as revenue", async () => {
    const page = await browser.context.newPage();
    await signInToConsole(page, app);
    const tz = app.config.timeZone;
    const day = calendarDay(today, tz);
    const todays = onDay(day);
    const settlement = await settlementDays(deps(), shop.merchantId);
    const codes = (await memberCodes(deps(), members[1]!.provisionalId, undefined)).items;

    expect(await figures(page, 'now')).to.deep.equal({
      pending: 1,
      outstanding: codes.reduce((t, c) => t + c.remaining, 0),
      members: 2,
      merchants: 1,
    });
    expect(codes.reduce((t, c) => t + c.remaining, 0)).to.equal(1500 - 400);

    const shownToday = await figures(page, 'today');
    expect(shownToday).to.include({
      registrations: 2,
      activations: count(todays, 'activation'),
      renewals: count(todays, 'renewal'),
      revenue: sum(collected(todays)),
      demo: sum(demos(todays)),
      codes_sold: count(todays, 'code_purchase'),
      codes_sold_amount: sum(todays.filter((e) => e.kind === 'code_purchase')),
      redemptions: settlement.reduce((t, d) => t + d.redemptions, 0),
      redeemed_amount: settlement.reduce((t, d) => t + d.redeemed, 0),
      voided_amount: settlement.reduce((t, d) => t + d.voided, 0),
      requests_created: 2,
      requests_approved: count(todays, 'payment_approval'),
      requests_declined: 1,
    });
    // The development default: the activation (300) is premium-rate, the codes (1000, 500) and the
    // approved request (1200) are a demo: only the activation is revenue, the rest is counted apart.
    expect(shownToday.revenue).to.equal(300);
    expect(shownToday.demo).to.equal(1000 + 500 + 1200);
    const month = await figures(page, 'month');
    expect(month).to.include({ registrations: 3, activations: 2, revenue: sum(collected(ledger)), demo: sum(demos(ledger)) });
    expect(await page.locator('[data-testid=today] [data-field=demo] dt').textContent()).to.equal('Demo (not charged)');

    const bars = await page.locator('[data-testid=revenue-chart] rect.bar').evaluateAll((rects) => rects.map((r) => [(r as SVGElement).dataset.day, Number((r as SVGElement).dataset.revenue)]));
    expect(bars).to.have.length(30);
    expect(bars.at(-1)).to.deep.equal([day, sum(collected(todays))]);
    expect(bars.at(-2)).to.deep.equal([calendarDay(yesterday, tz), sum(collected(onDay(calendarDay(yesterday, tz))))]);
    expect(bars.slice(0, -2).every(([, revenue]) => revenue === 0)).to.equal(true);
    await page.close();
  });

  it('the lists of members, charges (each with how it was collected), codes and merchants, and the audit trail, show what happened, once each', async () => {
    const page = await browser.context.newPage();
    await signInToConsole(page, app, 'ja');

    await page.goto(`${app.url}/admin/members`);
    expect((await rows(page, 'member')).map((m) => m.member)).to.deep.equal(members.map((m) => m.provisionalId).reverse());
    await page.fill('#q', members[0]!.formalId);
    await Promise.all([page.waitForURL(/q=/), page.click('form.search button')]);
    expect((await rows(page, 'member')).map((m) => m.member)).to.deep.equal([members[0]!.provisionalId]);

    await page.goto(`${app.url}/admin/ledger`);
    const charges = await rows(page, 'audit');
    expect(charges.map((c) => Number(c.amount)).sort()).to.deep.equal(ledger.map((e) => e.amount).sort());
    // How each charge was collected, in the page's language (with the method's code for the operator).
    expect(charges.map((c) => `${c.amount} ${c.method}`).sort()).to.deep.equal(ledger.map((e) => `${e.amount} ${e.method}`).sort());
    expect(await page.locator('table th').allTextContents()).to.include('請求方法');
    const methodWords = { 'premium-rate': '通話料金（電話会社）', none: 'デモ（請求なし）' } as Record<string, string>;
    for (const c of charges) expect(c.text).to.include(methodWords[c.method!]!);
    await page.goto(`${app.url}/admin/ledger?member=${members[1]!.provisionalId}`);
    const own = (await readLedger(app.redis, members[1]!.provisionalId)).reverse();
    expect((await rows(page, 'charge')).map((c) => [Number(c.amount), c.method])).to.deep.equal(own.map((e) => [e.amount, e.method]));
    expect((await rows(page, 'charge')).map((c) => c.text).join(' ')).to.include('デモ（請求なし）').and.to.include('通話料金（電話会社）');

    await page.goto(`${app.url}/admin/codes`);
    expect((await rows(page, 'code')).map((c) => [Number(c.remaining), c.status])).to.deep.equal([
      [500, 'active'],
      [600, 'active'],
    ]);

    await page.goto(`${app.url}/admin/merchants`);
    const settlement = await settlementDays(deps(), shop.merchantId);
    expect((await rows(page, 'merchant')).map((m) => [m.merchant, Number(m.net)])).to.deep.equal([[shop.merchantId, settlement.reduce((t, d) => t + d.net, 0)]]);
    await page.click(`a[href="/admin/merchants/${shop.merchantId}"]`);
    expect(Number(await page.locator('[data-testid=merchant-total] [data-field=net]').getAttribute('data-value')), 'redeemed 400 net; the approved request of 1,200 was a demo, owed to no one').to.equal(400);

    await page.goto(`${app.url}/admin/audit`);
    const audit = await rows(page, 'audit');
    const kinds = audit.map((a) => a.kind);
    const times = (kind: string) => kinds.filter((k) => k === kind).length;
    expect(times('registration.created')).to.equal(3);
    expect(times('account.activated')).to.equal(2);
    expect(times('account.pin_changed')).to.equal(2);
    expect(times('code.purchased')).to.equal(2);
    expect(times('code.redeemed')).to.equal(2);
    expect(times('code.redemption_voided')).to.equal(1);
    // Twilio retried both deciding requests: each is in the trail once.
    expect(times('payment_request.approved')).to.equal(1);
    expect(times('payment_request.declined')).to.equal(1);
    expect(times('merchant.created')).to.equal(1);
    expect(audit.find((a) => a.kind === 'code.redeemed')!.text).to.include(`merchant:${shop.merchantId}`);
    // Nothing secret is in the trail.
    for (const code of bought) expect(audit.map((a) => a.text).join(' ')).to.not.include(code);
    await page.close();
  });

  it("a merchant's settlement CSV for a date range streams the merchant's books", async () => {
    const page = await browser.context.newPage();
    await signInToConsole(page, app);
    const day = calendarDay(today, app.config.timeZone);
    const res = await page.request.get(`${app.url}/admin/merchants/${shop.merchantId}/settlement.csv?from=${day}&to=${day}`);
    expect(res.status()).to.equal(200);
    expect(res.headers()['content-type']).to.include('text/csv');
    const [header, ...lines] = (await res.text()).trim().split('\r\n');
    expect(header).to.equal('merchant_id,date,redemptions,redeemed,approvals,approved,voided,adjustments,net,currency');
    const settlement = (await settlementDays(deps(), shop.merchantId)).filter((d) => d.date === day);
    expect(lines.map((l) => l.split(','))).to.deep.equal(settlement.map((d) => [shop.merchantId, d.date, String(d.redemptions), String(d.redeemed), String(d.approvals), String(d.approved), String(d.voided), String(d.adjustments), String(d.net), 'JPY']));
    const none = await page.request.get(`${app.url}/admin/merchants/${shop.merchantId}/settlement.csv?from=2020-01-01&to=2020-01-31`);
    expect((await none.text()).trim().split('\r\n')).to.have.length(1);
    await page.close();
  });

  it('the ledger CSV for a date range streams every charge from the members\' ledgers, and nothing outside the range', async () => {
    const page = await browser.context.newPage();
    await signInToConsole(page, app);
    await page.goto(`${app.url}/admin/ledger`);
    const day = calendarDay(today, app.config.timeZone);
    await page.fill('#from', day);
    await page.fill('#to', day);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('form[action="/admin/ledger.csv"] button')]);
    const text = readFileSync((await download.path())!, 'utf8');
    const [header, ...lines] = text.trim().split('\r\n');
    expect(header).to.equal('entry_id,at,day,member_id,kind,method,amount,currency,call_sid,calling_number,confirmation,card,code_last4,payment_request');
    const rows = lines.map((l) => l.split(','));
    const expected = ledger.filter((e) => calendarDay(e.at, app.config.timeZone) === day);
    expect(expected.length).to.be.greaterThan(0);
    expect(rows.map((r) => r[0]).sort()).to.deep.equal(expected.map((e) => e.id).sort());
    expect(rows.reduce((sum, r) => sum + Number(r[6]), 0)).to.equal(expected.reduce((sum, e) => sum + e.amount, 0));
    expect(text, 'calling numbers are there, as text').to.match(/"'\+81\d+"/);
    expect(formulaCells(text), 'no cell opens as a formula (calling numbers start with +)').to.deep.equal([]);
    const none = await page.request.get(`${app.url}/admin/ledger.csv?from=2020-01-01&to=2020-01-31`);
    expect((await none.text()).trim().split('\r\n')).to.deep.equal([header]);
    expect((await fetch(`${app.url}/admin/ledger.csv`, { redirect: 'manual' })).status, 'only for the operator').to.equal(303);
    await page.close();
  });

  it("calls by outcome and the calls list show every call that ended, once, with Twilio's final status", async () => {
    const page = await browser.context.newPage();
    await signInToConsole(page, app);
    const before = (await figures(page, 'today')).calls_completed!;
    const call = new TestCall(app, '+819012340001');
    await call.dial();
    await call.hangUp();
    await page.goto(`${app.url}/admin`);
    expect((await figures(page, 'today')).calls_completed).to.equal(before + 1);
    await page.click('a[href="/admin/calls"]');
    const listed = (await rows(page, 'call')).filter((r) => r.call === call.callSid);
    expect(listed).to.have.length(1);
    expect(listed[0]!.status).to.equal('completed');
    expect(listed[0]!.text, 'the calling number as written in Japan').to.include('090-1234-0001');
    await page.close();
  });

  it('without a session every page leads to the sign-in; a wrong token is refused; another site cannot post the sign-in', async () => {
    const codes = await fetch(`${app.url}/admin/codes`, { redirect: 'manual' });
    expect(codes.status).to.equal(303);
    expect(codes.headers.get('location')).to.equal('/admin');
    const front = await (await fetch(`${app.url}/admin`)).text();
    expect(front).to.include('name="token"').and.not.include('data-testid="today"');
    const form = (token: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token }) });
    expect((await form('not-the-token')).status).to.equal(401);
    expect((await form(app.config.adminToken, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })).status).to.equal(403);
    const good = await form(app.config.adminToken);
    expect(good.status).to.equal(303);
    const cookie = good.headers.get('set-cookie')!;
    expect(cookie).to.include('HttpOnly').and.include('SameSite=Strict').and.include('Path=/admin');
    // A forged cookie (unsigned) is not a session.
    expect((await fetch(`${app.url}/admin/codes`, { redirect: 'manual', headers: { Cookie: `dp_admin=${encodeURIComponent(`${Date.now() + 3600_000}.x`)}` } })).status).to.equal(303);
    const signed = cookie.split(';')[0]!;
    expect((await fetch(`${app.url}/admin/codes`, { headers: { Cookie: signed } })).status).to.equal(200);
    // Keys the operator's indexes live under are all in one slot.
    expect(new Set([keys.opsAudit(), keys.opsCodes(), keys.opsDay('2026-12-10')].map((k) => /\{(.+?)\}/.exec(k)![1]))).to.deep.equal(new Set(['ops']));
  });
});
