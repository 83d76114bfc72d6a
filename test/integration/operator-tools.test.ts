import { expect } from 'chai';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, codeBoughtByPhone, merchantPost, type TestMerchant } from '../support/payments.ts';
import { TestCall } from '../support/call.ts';

/** The console's and the dashboard's pages as a signed-in browser gets them (their cookie, no Origin: same-site). */
async function signedIn(app: TestApp, path: string, field: string, secret: string): Promise<string> {
  const res = await fetch(`${app.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ [field]: secret }).toString() });
  expect(res.status, path).to.equal(303);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}
const get = async (app: TestApp, path: string, cookie: string) => {
  const res = await fetch(`${app.url}${path}`, { redirect: 'manual', headers: { Cookie: cookie } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};
const testIds = (html: string, testId: string) => [...html.matchAll(new RegExp(`data-testid="${testId}"[^>]*`, 'g'))].map((m) => m[0]);

describe('the operator finds members and calls, and a bad date range is explained (the console and the dashboard)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let admin: string;
  let member: ActiveMember;
  let shop: TestMerchant;
  let buyingCall: string;

  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000' });
    admin = await signedIn(app, '/admin', 'token', app.config.adminToken);
    member = await activeMember(app, { pin: '1357' });
    // A second member, activated by a call from another line.
    const other = await register(app, 'Ōta Sachiko', 'sachiko.ota@example.org');
    const activation = new TestCall(app, '+819099990000');
    await activation.dial();
    await activation.press('1');
    await activation.press(`${other.provisionalId}#`);
    await activation.hangUp();
    shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Pan-ya Komugi' }, adminAuth(app))).body;
    const call = new TestCall(app);
    await call.dial();
    await call.press('2');
    await call.press(`${member.formalId}#`);
    await call.press('1357#');
    await call.press('1');
    await call.press('#');
    await call.press('1');
    await call.hangUp();
    buyingCall = call.callSid;
    await codeBoughtByPhone(app, member, '1357', '1');
  });
  after(async () => {
    await app?.close();
  });

  it('members are found by formal ID, member ID, or part of the e-mail address or name, whatever the case or width', async () => {
    const found = async (q: string) => testIds((await get(app, `/admin/members?q=${encodeURIComponent(q)}`, admin)).text, 'member').map((t) => /data-member="(\d+)"/.exec(t)![1]);
    expect(await found(member.formalId)).to.deep.equal([member.provisionalId]);
    expect(await found(member.provisionalId)).to.deep.equal([member.provisionalId]);
    expect(await found('HANAKO@')).to.include(member.provisionalId);
    expect(await found('ｈａｎａｋｏ')).to.include(member.provisionalId);
    expect(await found('sachiko.ota')).to.have.length(1);
    expect(await found('Ōta')).to.have.length(1);
    expect(await found('nobody-by-this-name')).to.deep.equal([]);
  });

  it('a CallSid leads to the call\'s page (its record, what it did, its charges) and filters the audit trail to that call', async () => {
    const ledger = await get(app, `/admin/ledger?member=${member.provisionalId}`, admin);
    expect(ledger.text).to.include(`href="/admin/calls/${buyingCall}"`);
    const page = await get(app, `/admin/calls/${buyingCall}?lang=en`, admin);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('data-testid="call-record"').and.include('Completed').and.include('090-');
    expect(testIds(page.text, 'call-event').map((t) => /data-kind="([^"]+)"/.exec(t)![1])).to.deep.equal(['code.purchased']);
    expect(testIds(page.text, 'call-charge')).to.have.length(1);
    const audit = await get(app, `/admin/audit?call=${buyingCall}`, admin);
    expect(testIds(audit.text, 'audit').map((t) => /data-kind="([^"]+)"/.exec(t)![1])).to.deep.equal(['code.purchased']);
    expect(audit.text).to.include('data-testid="call-filter"');
    const everything = await get(app, '/admin/audit', admin);
    expect(testIds(everything.text, 'audit').length).to.be.greaterThan(3);
  });

  it('a date range that is not real days, or runs backwards, answers 400 on its page with the error beside the field; a good one is the CSV', async () => {
    for (const query of ['from=2026-12-31&to=2026-01-01', 'from=2026-02-30', 'to=yesterday']) {
      const res = await get(app, `/admin/ledger.csv?${query}&lang=en`, admin);
      expect(res.status, query).to.equal(400);
      expect(res.type).to.include('text/html');
      expect(res.text).to.include('data-testid="error-summary"').and.match(/aria-invalid="true"/);
    }
    expect((await get(app, '/admin/ledger.csv?from=2026-12-31&to=2026-01-01&lang=en', admin)).text).to.include('The start date must be on or before the end date.');
    const good = await get(app, '/admin/ledger.csv?from=2000-01-01&to=2100-01-01', admin);
    expect(good.status).to.equal(200);
    expect(good.type).to.include('text/csv');
    expect((await get(app, `/admin/merchants/${shop.merchantId}/settlement.csv?from=2026-05-01&to=2026-04-01`, admin)).status).to.equal(400);

    const dashboard = await signedIn(app, '/merchant', 'apiKey', shop.apiKey);
    const bad = await get(app, '/merchant/settlement.csv?from=2026-05-01&to=2026-04-01&lang=ja', dashboard);
    expect(bad.status).to.equal(400);
    expect(bad.text).to.include('開始日は終了日と同じか').and.include('aria-describedby="from-error"');
    expect((await get(app, '/merchant/settlement.csv?from=2026-04-01&to=2026-05-01', dashboard)).status).to.equal(200);
  });

  it('an operator\'s script asking the API for a settlement CSV with a date that is not a real day, or a range that runs backwards, gets 400 invalid_input; a good range gets those days only', async () => {
    const code = await codeBoughtByPhone(app, member, '1357', '1');
    const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 300 }, merchantPost(shop));
    expect(redeemed.status, JSON.stringify(redeemed.body)).to.equal(201);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: app.config.timeZone }).format(app.clock.now);
    const csv = (query: string) => fetch(`${app.url}/api/admin/merchants/${shop.merchantId}/settlement.csv?${query}`, { headers: adminAuth(app) });
    for (const [query, field] of [['from=x', 'from'], ['from=2026-02-30', 'from'], ['to=yesterday', 'to'], ['from=2026-05-01&to=2026-04-01', 'from']] as const) {
      const res = await csv(query);
      expect(res.status, query).to.equal(400);
      const body = await res.json();
      expect(body.error.code, query).to.equal('invalid_input');
      expect(body.error.message, query).to.match(new RegExp(`^Please check: ${field} must be`));
    }
    const rows = async (query: string) => (await (await csv(query)).text()).trim().split('\r\n').slice(1);
    expect(await rows(`from=${today}&to=${today}`)).to.have.length(1);
    expect(await rows('from=2000-01-01&to=2000-01-31'), 'days outside the range are left out').to.deep.equal([]);
    expect(await rows(''), 'no range: every day').to.have.length(1);
  });

  it('a wrong token on the console\'s sign-in comes back at the same address with the error beside the field', async () => {
    const res = await fetch(`${app.url}/admin?lang=en`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=wrong' });
    expect(res.status).to.equal(401);
    const html = await res.text();
    expect(html).to.match(/id="token"[^>]*aria-invalid="true"[^>]*aria-describedby="token-error"/);
    expect(html).to.include('action="/admin"');
  });
});
