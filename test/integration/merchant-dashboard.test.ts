import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { settlementDays } from '../../src/merchants/settlement.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, buyOnCall, merchantAuth, merchantPost, signInToBuy, type TestMerchant } from '../support/payments.ts';
import { decideByPhone, rows } from '../support/surfaces.ts';

const PIN = '4680';

async function signInToDashboard(page: Page, app: TestApp, apiKey: string, lang: 'ja' | 'en' = 'en') {
  await page.context().clearCookies();
  await page.goto(`${app.url}/merchant?lang=${lang}`);
  await page.fill('#apiKey', apiKey);
  await Promise.all([page.waitForURL(`${app.url}/merchant`), page.click('button[type=submit]')]);
  await page.waitForSelector('[data-testid=owed]');
}

describe('the merchant dashboard at /merchant (headless Chromium)', function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: TestBrowser;
  let member: ActiveMember;
  let shop: TestMerchant;
  let hookServer: Server;
  /** The merchant's endpoint answers 500 until the test mends it. */
  let endpointWorks = false;
  const requestIds: Record<string, string> = {};
  let voidedId = '';
  const deps = () => ({ config: app.config, redis: app.redis, now: () => app.clock.now });

  before(async function () {
    this.timeout(90_000);
    hookServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(endpointWorks ? 204 : 500).end());
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000,3000', MONTHLY_SPENDING_CAP: '10000', WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_RETRY_BASE_MS: '20', MERCHANT_KEY_OVERLAP_HOURS: '24' });
    browser = await launchBrowser();
    app.clock.now = Date.parse('2026-12-10T01:00:00Z');
    member = await activeMember(app, { pin: PIN });
    shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Sakaba Umi', webhookUrl: hookUrl }, adminAuth(app))).body;
    // A day at the shop: a code redeemed twice (one voided), three payment requests: approved, declined, left pending.
    const code = await buyOnCall(await signInToBuy(app, member, PIN), '2');
    expect((await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 400, orderId: 'T-1' }, merchantPost(shop))).status).to.equal(201);
    // A minute later: two redemptions in the same millisecond have no order of their own.
    app.clock.now += 60_000;
    const second = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100, orderId: 'T-2' }, merchantPost(shop));
    voidedId = second.body.redemptionId;
    expect((await jsonRequest(app, 'POST', `/api/merchant/redemptions/${voidedId}/void`, undefined, merchantPost(shop))).status).to.equal(200);
    for (const [amount, outcome] of [
      [1200, 'approved'],
      [300, 'declined'],
      [700, 'pending'],
    ] as const) {
      app.clock.now += 60_000;
      const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount, description: `Table ${amount}` }, merchantPost(shop));
      requestIds[outcome] = made.body.id;
      if (outcome !== 'pending') await decideByPhone(app, member, PIN, made.body.number, outcome === 'approved' ? '1' : '2');
    }
    // Every delivery fails twice (WEBHOOK_MAX_ATTEMPTS) and is marked failed. On a loaded machine
    // (the cluster run: two instances, each money write waiting for a replica) this can take a while;
    // a claim whose worker stalled lapses after 2 × WEBHOOK_TIMEOUT_MS + 1 s and is taken again.
    const failedBy = Date.now() + 45_000;
    let settled = false;
    while (!settled && Date.now() < failedBy) {
      const { body } = await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries', undefined, merchantAuth(shop));
      settled = body.deliveries.length >= 5 && body.deliveries.every((d: { status: string }) => d.status === 'failed');
      if (!settled) await new Promise((r) => setTimeout(r, 50));
    }
    expect(settled, 'every delivery failed twice and was marked failed').to.equal(true);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await new Promise((r) => hookServer?.close(r));
  });

  it('what the merchant is owed, to date and per month, and the CSV, match the settlement books', async () => {
    const page = await browser.context.newPage();
    await signInToDashboard(page, app, shop.apiKey, 'ja');
    const days = await settlementDays(deps(), shop.merchantId);
    const net = days.reduce((t, d) => t + d.net, 0);
    expect(net, 'redeemed 400 net; the approved request of 1,200 was a demo (CHARGE_METHOD_APPROVALS=none): charged to no one, owed to no one').to.equal(400);
    expect(Number(await page.getAttribute('[data-testid=owed]', 'data-value'))).to.equal(net);
    // Members paid with codes and by approving requests; in a deployment where either is a demo, the page says so.
    expect(Number(await page.getAttribute('[data-testid=paid]', 'data-value'))).to.equal(days.reduce((t, d) => t + d.redeemed + d.approved, 0));
    const { codes, approvals } = app.config.charging.methods;
    expect(await page.locator('[data-testid=demo-note]').count(), `codes ${codes}, approvals ${approvals}`).to.equal(codes === 'none' || approvals === 'none' ? 1 : 0);
    expect((await rows(page, 'settlement-month')).map((m) => [m.period, Number(m.net)])).to.deep.equal([['2026-12', net]]);
    expect((await rows(page, 'settlement-day')).map((d) => [d.date, Number(d.net)])).to.deep.equal(days.map((d) => [d.date, d.net]).reverse());

    const csv = await page.request.get(`${app.url}/merchant/settlement.csv?from=2026-12-01&to=2026-12-31`);
    expect(csv.headers()['content-type']).to.include('text/csv');
    const [header, ...lines] = (await csv.text()).trim().split('\r\n');
    expect(header).to.equal('merchant_id,date,redemptions,redeemed,approvals,approved,voided,adjustments,net,currency');
    expect(lines.map((l) => l.split(','))).to.deep.equal(days.map((d) => [shop.merchantId, d.date, String(d.redemptions), String(d.redeemed), String(d.approvals), String(d.approved), String(d.voided), String(d.adjustments), String(d.net), 'JPY']));
    await page.close();
  });

  it('redemptions with their voids, and payment requests by status', async () => {
    const page = await browser.context.newPage();
    await signInToDashboard(page, app, shop.apiKey);
    await page.click('a[href="/merchant/redemptions"]');
    const redemptions = await rows(page, 'redemption');
    expect(redemptions.map((r) => [Number(r.amount), r.status])).to.deep.equal([
      [100, 'voided'],
      [400, 'redeemed'],
    ]);
    expect(redemptions[0]!.id).to.equal(voidedId);
    expect(redemptions[1]!.text).to.include('T-1');

    await page.click('a[href="/merchant/requests"]');
    expect((await rows(page, 'payment-request')).map((r) => [r.id, r.status])).to.deep.equal([
      [requestIds.pending, 'pending'],
      [requestIds.declined, 'declined'],
      [requestIds.approved, 'approved'],
    ]);
    await page.selectOption('#status', 'approved');
    await Promise.all([page.waitForURL(/status=approved/), page.click('form.search button')]);
    expect((await rows(page, 'payment-request')).map((r) => [r.id, Number(r.amount)])).to.deep.equal([[requestIds.approved, 1200]]);
    await page.close();
  });

  it('webhook deliveries show status, response code and attempts; "send again" delivers once the endpoint works', async () => {
    const page = await browser.context.newPage();
    await signInToDashboard(page, app, shop.apiKey);
    await page.goto(`${app.url}/merchant/webhooks`);
    const deliveries = await rows(page, 'delivery');
    expect(deliveries.length).to.be.at.least(5);
    for (const d of deliveries) expect([d.status, d.attempts, d.response]).to.deep.equal(['failed', '2', '500']);
    const { body } = await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries', undefined, merchantAuth(shop));
    expect(deliveries.map((d) => d.event)).to.deep.equal(body.deliveries.map((d: { eventId: string }) => d.eventId));

    endpointWorks = true;
    const first = deliveries[0]!.event!;
    await Promise.all([page.waitForURL(/sent=1/), page.click(`tr[data-event="${first}"] [data-testid=send-again]`)]);
    let status = '';
    for (let i = 0; i < 100 && status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await page.goto(`${app.url}/merchant/webhooks`);
      status = (await page.getAttribute(`tr[data-event="${first}"]`, 'data-status'))!;
    }
    expect(status).to.equal('delivered');
    expect(await page.getAttribute(`tr[data-event="${first}"]`, 'data-response')).to.equal('204');
    expect(await page.getAttribute(`tr[data-event="${first}"]`, 'data-attempts')).to.equal('3');
    await page.close();
  });

  it('a void from the dashboard asks first, then voids once however often the confirmation is sent (the API\'s Idempotency rules)', async () => {
    const code = await buyOnCall(await signInToBuy(app, member, PIN), '1');
    const made = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 200, orderId: 'T-void' }, merchantPost(shop));
    expect(made.status).to.equal(201);
    const redemptionId = made.body.redemptionId as string;
    const voidedBefore = (await settlementDays(deps(), shop.merchantId)).reduce((t, d) => t + d.voided, 0);
    const page = await browser.context.newPage();
    await signInToDashboard(page, app, shop.apiKey);
    await page.goto(`${app.url}/merchant/redemptions`);
    await Promise.all([page.waitForEvent('framenavigated'), page.click(`tr[data-id="${redemptionId}"] [data-testid=void]`)]);
    expect(await page.locator('[data-testid=confirmation]').count(), 'asked first').to.equal(1);
    expect((await settlementDays(deps(), shop.merchantId)).reduce((t, d) => t + d.voided, 0), 'nothing voided by the first press').to.equal(voidedBefore);
    const key = (await page.getAttribute('input[name=idempotencyKey]', 'value'))!;
    expect(key).to.match(/^dashboard-void-/);
    await Promise.all([page.waitForURL(/\/merchant\/redemptions\?voided=1$/), page.click('[data-testid=confirm]')]);
    expect(await page.getAttribute(`tr[data-id="${redemptionId}"]`, 'data-status')).to.equal('voided');
    // The same confirmation sent again (a double press, a resent form): the first answer, no second void.
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const again = await fetch(`${app.url}/merchant/redemptions/${redemptionId}/void`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: new URLSearchParams({ confirm: 'yes', idempotencyKey: key }).toString(),
    });
    expect(again.status).to.equal(303);
    expect((await settlementDays(deps(), shop.merchantId)).reduce((t, d) => t + d.voided, 0), 'voided once').to.equal(voidedBefore + 200);
    const balance = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
    expect(balance.body.remaining, 'the amount back on the code once').to.equal(balance.body.amount);
    await page.close();
  });

  it('a rotated API key: the new one works at once, the old one through the overlap and not after; the dashboard stays signed in', async () => {
    const page = await browser.context.newPage();
    await signInToDashboard(page, app, shop.apiKey);
    await page.goto(`${app.url}/merchant/api-key`);
    await page.click('[data-testid=rotate]');
    // Asked first (no JavaScript needed), then issued.
    await page.click('[data-testid=confirm]');
    const newKey = (await page.textContent('[data-testid=new-api-key]'))!.trim();
    expect(newKey).to.match(new RegExp(`^dpk_${shop.merchantId}_`)).and.not.equal(shop.apiKey);
    const settlement = (key: string) => jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, { Authorization: `Bearer ${key}` });
    expect((await settlement(newKey)).status).to.equal(200);
    expect((await settlement(shop.apiKey)).status).to.equal(200);
    // The session was re-opened with the new key when it was issued.
    await page.goto(`${app.url}/merchant`);
    expect(await page.locator('[data-testid=owed]').count()).to.equal(1);
    app.clock.now += 23 * 3600_000;
    expect((await settlement(shop.apiKey)).status).to.equal(200);
    app.clock.now += 2 * 3600_000;
    expect((await settlement(shop.apiKey)).status).to.equal(401);
    expect((await settlement(newKey)).status).to.equal(200);
    // A session opened with the old key has ended with its overlap.
    await page.context().clearCookies();
    await page.goto(`${app.url}/merchant`);
    await page.fill('#apiKey', shop.apiKey);
    await page.click('button[type=submit]');
    expect(await page.textContent('#apiKey-error')).to.include('not right');
    await page.close();
  });

  it('without a session the pages lead to the sign-in, and another site cannot post to the dashboard', async () => {
    const res = await fetch(`${app.url}/merchant/redemptions`, { redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).to.deep.equal([303, '/merchant']);
    const crossSite = await fetch(`${app.url}/merchant/api-key`, { method: 'POST', redirect: 'manual', headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).to.equal(403);
  });
});
