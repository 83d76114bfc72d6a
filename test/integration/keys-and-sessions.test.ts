import { expect } from 'chai';
import { endSessionsOf } from '../../src/accounts/sessions.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { adminAuth, createMerchant, merchantAuth, type TestMerchant } from '../support/payments.ts';

/** A form post as a browser on the same site sends it; returns the status, the page and the cookie it set (name=value). */
async function postForm(app: TestApp, path: string, form: Record<string, string>, cookie?: string) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  const set = res.headers.get('set-cookie');
  return { status: res.status, text: await res.text(), location: res.headers.get('location'), cookie: set ? set.split(';')[0]! : undefined };
}

/** Is this cookie a live session there: the page answers 200 instead of sending to the sign-in (303; not /merchant or /admin themselves, which show the sign-in form). */
async function opens(app: TestApp, path: string, cookie: string): Promise<boolean> {
  const res = await fetch(`${app.url}${path}`, { redirect: 'manual', headers: { Cookie: cookie } });
  await res.arrayBuffer();
  return res.status === 200;
}

const signInMerchant = async (app: TestApp, apiKey: string) => {
  const res = await postForm(app, '/merchant/login', { apiKey });
  expect(res.status, res.text).to.equal(303);
  return res.cookie!;
};
const newKeyOn = (page: string) => /data-testid="new-api-key">([^<]+)</.exec(page)?.[1];
const apiWorks = async (app: TestApp, apiKey: string) => (await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries', undefined, { Authorization: `Bearer ${apiKey}` })).status === 200;

describe('a leaked merchant key can be revoked, and every session ends on the server', () => {
  let app: TestApp;
  let shop: TestMerchant;
  beforeEach(async () => {
    app = await startTestApp();
    shop = await createMerchant(app, 'Leaky Shop');
  });
  afterEach(() => app.close());

  it('a key in its overlap cannot rotate: its session gets 403 and no key, so a thief cannot mint a fresh key or push the merchant’s into overlap', async () => {
    const thief = await signInMerchant(app, shop.apiKey);
    const owner = await signInMerchant(app, shop.apiKey);
    const rotated = await postForm(app, '/merchant/api-key', { confirm: 'yes' }, owner);
    const ownersKey = newKeyOn(rotated.text)!;
    expect(ownersKey).to.match(/^dpk_/);
    // The thief still holds the old key (and a session opened with it) during the overlap.
    expect(await apiWorks(app, shop.apiKey), 'the old key works through its overlap').to.equal(true);
    const refused = await postForm(app, '/merchant/api-key', { confirm: 'yes' }, thief);
    expect(refused.status).to.equal(403);
    expect(newKeyOn(refused.text), 'no key is minted for an old-key session').to.equal(undefined);
    const fromOldKey = await postForm(app, '/merchant/api-key', { confirm: 'yes' }, await signInMerchant(app, shop.apiKey));
    expect(fromOldKey.status, 'a fresh sign-in with the old key cannot rotate either').to.equal(403);
    expect(await postForm(app, '/merchant/api-key/revoke-previous', {}, thief).then((r) => r.status), 'nor end the overlap').to.equal(403);
    expect(await apiWorks(app, ownersKey), 'the merchant’s new key is still current').to.equal(true);
  });

  it('“revoke the old key now” stops the key in its overlap at once, and the sessions opened with it', async () => {
    const thief = await signInMerchant(app, shop.apiKey);
    const owner = await signInMerchant(app, shop.apiKey);
    const ownersKey = newKeyOn((await postForm(app, '/merchant/api-key', { confirm: 'yes' }, owner)).text)!;
    const ownerAfter = await signInMerchant(app, ownersKey);
    expect(await apiWorks(app, shop.apiKey)).to.equal(true);
    const revoked = await postForm(app, '/merchant/api-key/revoke-previous', {}, ownerAfter);
    expect(revoked.status).to.equal(200);
    expect(revoked.text).to.include('data-testid="key-notice"');
    expect(await apiWorks(app, shop.apiKey), 'the old key is refused at once').to.equal(false);
    expect(await opens(app, '/merchant/redemptions', thief), 'the old key’s session has ended').to.equal(false);
    expect((await postForm(app, '/merchant/login', { apiKey: shop.apiKey })).status).to.equal(401);
    expect(await apiWorks(app, ownersKey)).to.equal(true);
    expect(await opens(app, '/merchant/redemptions', ownerAfter)).to.equal(true);
  });

  it('the operator revokes every key of a merchant: old keys stop, every dashboard session ends, a new key is shown once', async () => {
    const session = await signInMerchant(app, shop.apiKey);
    const rotated = await postForm(app, '/merchant/api-key', { confirm: 'yes' }, session);
    const newKey = newKeyOn(rotated.text)!;
    const newSession = rotated.cookie!;
    expect(await opens(app, '/merchant/redemptions', newSession)).to.equal(true);
    const unauthorised = await jsonRequest(app, 'POST', `/api/admin/merchants/${shop.merchantId}/revoke-keys`, {}, merchantAuth(shop));
    expect(unauthorised.status).to.equal(401);
    const reset = await jsonRequest(app, 'POST', `/api/admin/merchants/${shop.merchantId}/revoke-keys`, {}, adminAuth(app));
    expect(reset.status, JSON.stringify(reset.body)).to.equal(200);
    expect(reset.body.apiKey).to.match(new RegExp(`^dpk_${shop.merchantId}_`));
    expect(await apiWorks(app, shop.apiKey), 'the key in overlap').to.equal(false);
    expect(await apiWorks(app, newKey), 'the current key').to.equal(false);
    expect(await opens(app, '/merchant/redemptions', newSession), 'the dashboard session').to.equal(false);
    expect(await apiWorks(app, reset.body.apiKey)).to.equal(true);
    expect((await jsonRequest(app, 'POST', '/api/admin/merchants/99999999/revoke-keys', {}, adminAuth(app))).status).to.equal(404);
  });

  it('logging out ends the merchant’s and the operator’s session on the server: a copy of the cookie opens nothing', async () => {
    const merchant = await signInMerchant(app, shop.apiKey);
    expect(await opens(app, '/merchant/redemptions', merchant)).to.equal(true);
    await postForm(app, '/merchant/logout', {}, merchant);
    expect(await opens(app, '/merchant/redemptions', merchant), 'merchant cookie replayed after logout').to.equal(false);

    const admin = (await postForm(app, '/admin/login', { token: app.config.adminToken })).cookie!;
    expect(await opens(app, '/admin/members', admin)).to.equal(true);
    await postForm(app, '/admin/logout', {}, admin);
    expect(await opens(app, '/admin/members', admin), 'admin cookie replayed after logout').to.equal(false);
  });

  it('the operator’s cookie is a random identifier: nothing in it is derived from ADMIN_TOKEN, and two sign-ins differ', async () => {
    const first = (await postForm(app, '/admin/login', { token: app.config.adminToken })).cookie!;
    const second = (await postForm(app, '/admin/login', { token: app.config.adminToken })).cookie!;
    const value = (cookie: string) => decodeURIComponent(cookie.split('=')[1]!).replace(/^s:/, '').replace(/\.[^.]+$/, '');
    expect(value(first)).to.match(/^operator\.[A-Za-z0-9_-]{43}$/);
    expect(value(first)).to.not.equal(value(second));
    const { createHash } = await import('node:crypto');
    const oldTag = createHash('sha256').update(`admin-session:${app.config.adminToken}`).digest('hex').slice(0, 16);
    expect(first).to.not.include(oldTag);
    expect(await opens(app, '/admin/members', first)).to.equal(true);
    expect(await opens(app, '/admin/members', second)).to.equal(true);
  });

  it('a member’s logout ends that session, and endSessionsOf(memberId) ends every session of the member at once (for a password change)', async () => {
    const member = await activeMember(app);
    const login = async () => (await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password })).headers.get('set-cookie')!.split(';')[0]!;
    const [a, b, c] = [await login(), await login(), await login()];
    const me = async (cookie: string) => (await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: cookie })).status;
    expect([await me(a), await me(b), await me(c)]).to.deep.equal([200, 200, 200]);
    await jsonRequest(app, 'POST', '/api/logout', undefined, { Cookie: a });
    expect([await me(a), await me(b), await me(c)]).to.deep.equal([401, 200, 200]);
    await endSessionsOf(app.redis, member.provisionalId);
    expect([await me(b), await me(c)]).to.deep.equal([401, 401]);
  });
});

describe('ADMIN_TOKEN and METRICS_TOKEN cannot be guessed at speed', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ METRICS_TOKEN: 'metrics-token-for-the-test-4f9c2a7e1b' });
  });
  after(() => app.close());

  it('wrong ADMIN_TOKENs through /api/admin count per address with the console’s sign-ins: after 10, every route answers 429, even to the right token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      statuses.push((await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Guess' }, { Authorization: `Bearer wrong-token-${i}-xxxxxxxxxxxx` })).status);
    }
    expect(statuses.filter((s) => s === 401)).to.have.length(10);
    expect(statuses.filter((s) => s === 429)).to.have.length(20);
    const right = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Right' }, adminAuth(app));
    expect(right.status, 'the right token is refused too while the address is locked').to.equal(429);
    expect(right.headers.get('retry-after')).to.match(/^\d+$/);
    expect(right.body.error.code).to.equal('rate_limited');
    const console = await postForm(app, '/admin/login', { token: app.config.adminToken });
    expect(console.status, 'the console is locked by the API guesses').to.equal(429);
  });

  it('wrong METRICS_TOKENs are limited per address the same way', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer guess-${i}` } });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401)).to.have.length(10);
    expect(statuses.filter((s) => s === 429)).to.have.length(5);
    const right = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${app.config.metrics.token}` } });
    await right.arrayBuffer();
    expect(right.status).to.equal(429);
  });
});
