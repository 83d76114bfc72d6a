import { expect } from 'chai';
import { Agent, request as httpRequest } from 'node:http';
import { dammCheckDigit } from '../../src/identifiers/damm.ts';
import { keys } from '../../src/store/keys.ts';
import { sha256 } from '../../src/shared/hashing.ts';
import { codeHash } from '../../src/payments/code-secrets.ts';
import { unsettledShard } from '../../src/payments/redemption.ts';
import { jsonRequest, scanKeys, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, codeBoughtByPhone, createMerchant, merchantAuth, merchantPost, type TestMerchant } from '../support/payments.ts';

const PIN = '1357';
// CODE_DENOMINATIONS below: key 1 = 500, 2 = 1000, 3 = 5000.
const HOUR = 3_600_000;

/** A well-formed code (right check digit) that was never issued. */
function unissuedCode(): string {
  const body = Array.from({ length: 15 }, () => Math.floor(Math.random() * 10)).join('');
  return body + dammCheckDigit(body);
}

const mistype = (code: string) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10) + code.slice(6);

describe('the merchant API: balance checks, redemptions, voids, settlement', () => {
  let app: TestApp;
  let member: ActiveMember;
  let shop: TestMerchant;
  const buy = (amountKey = '2', merchantId?: string) => codeBoughtByPhone(app, member, PIN, amountKey, merchantId);
  const redeem = (code: string, amount: number, headers: Record<string, string> = {}, merchant = shop, extra: Record<string, unknown> = {}) =>
    jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount, ...extra }, merchantPost(merchant, headers));

  before(async () => {
    // A merchant may have at most MERCHANT_FAILURES_PER_HOUR limited requests in flight; the
    // concurrency stories below keep 64 in flight for one merchant.
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000,5000', MONTHLY_SPENDING_CAP: '1000000', MERCHANT_FAILURES_PER_HOUR: '100' });
    member = await activeMember(app, { pin: PIN });
    shop = await createMerchant(app);
  });
  after(() => app.close());

  describe('operators create merchants', () => {
    it('POST /api/admin/merchants needs the operator token and answers merchantId (digits), apiKey and webhookSecret', async () => {
      const none = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'X' });
      expect(none.status).to.equal(401);
      const wrong = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'X' }, { Authorization: 'Bearer not-the-admin-token' });
      expect(wrong.status).to.equal(401);
      expect(wrong.body.error.code).to.equal('invalid_admin_token');
      const bad = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: '', webhookUrl: 'ftp://x' }, adminAuth(app));
      expect(bad.status).to.equal(422);
      expect(bad.body.error.code).to.equal('invalid_input');
      const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Bookshop', webhookUrl: 'https://shop.example/hooks' }, adminAuth(app));
      expect(made.status).to.equal(201);
      expect(made.body.merchantId).to.match(/^\d{8}$/);
      expect(made.body.merchantId.slice(-1)).to.equal(dammCheckDigit(made.body.merchantId.slice(0, -1)));
      expect(made.body.apiKey).to.be.a('string').with.length.above(32);
      expect(made.body.webhookSecret).to.be.a('string');
      const stored = JSON.stringify(await app.redis.hgetall(`{mer:${made.body.merchantId}}:merchant`));
      expect(stored).to.not.include(made.body.apiKey);
    });

    it('a wrong or missing API key is 401', async () => {
      const code = await buy('1');
      const none = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`);
      expect(none.status).to.equal(401);
      const forged = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, { Authorization: `Bearer ${shop.apiKey.slice(0, -2)}xx` });
      expect(forged.status).to.equal(401);
      expect(forged.body.error.code).to.equal('invalid_api_key');
    });

    it('merchant calls answer JSON errors throughout: an unknown path is 404, a body that is not JSON 400 or 415', async () => {
      const unknown = await jsonRequest(app, 'GET', '/api/merchant/no-such-thing', undefined, merchantAuth(shop));
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.be.a('string');
      const broken = await fetch(`${app.url}/api/merchant/redemptions`, { method: 'POST', headers: { ...merchantPost(shop), 'Content-Type': 'application/json' }, body: '{"code":' });
      expect(broken.status).to.equal(400);
      expect((await broken.json()).error.code).to.be.a('string');
      const form = await fetch(`${app.url}/api/merchant/redemptions`, { method: 'POST', headers: { ...merchantPost(shop), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'code=1' });
      expect(form.status).to.equal(415);
      expect(form.headers.get('cache-control')).to.equal('no-store');
    });

    it('a documented path called with a method it does not take is 405 with Allow (the OpenAPI document decides), not 404', async () => {
      const wrong = await jsonRequest(app, 'DELETE', '/api/merchant/redemptions', undefined, merchantAuth(shop));
      expect(wrong.status).to.equal(405);
      expect(wrong.headers.get('allow')).to.equal('POST');
      expect(wrong.body.error).to.deep.equal({ code: 'method_not_allowed', message: 'This endpoint does not take DELETE; it takes POST.' });
      const get = await jsonRequest(app, 'GET', '/api/merchant/redemptions/rd_x/void', undefined, merchantAuth(shop));
      expect([get.status, get.headers.get('allow')]).to.deep.equal([405, 'POST']);
      const put = await jsonRequest(app, 'PUT', '/api/merchant/codes/123', {}, merchantAuth(shop));
      expect([put.status, put.headers.get('allow')]).to.deep.equal([405, 'GET, HEAD']);
      // Not documented: still 404.
      expect((await jsonRequest(app, 'DELETE', '/api/merchant/no-such-thing', undefined, merchantAuth(shop))).status).to.equal(404);
    });
  });

  describe('balance checks and redemptions', () => {
    it('GET /api/merchant/codes/{code} shows amount, remaining, currency, expiry and status', async () => {
      const code = await buy('2');
      const res = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ amount: 1000, remaining: 1000, currency: 'JPY', status: 'active' });
      expect(Date.parse(res.body.expiresAt) - app.clock.now).to.be.closeTo(90 * 24 * HOUR, 60_000);
      const grouped = await jsonRequest(app, 'GET', `/api/merchant/codes/${code.match(/.{4}/g)!.join('-')}`, undefined, merchantAuth(shop));
      expect(grouped.body.remaining).to.equal(1000);
    });

    it('partial redemptions until the balance is spent: then insufficient_balance, then already_redeemed', async () => {
      const code = await buy('2');
      const first = await redeem(code, 300, {}, shop, { orderId: 'order-1' });
      expect(first.status).to.equal(201);
      expect(first.body).to.include({ amount: 300, currency: 'JPY', remaining: 700 });
      const tooMuch = await redeem(code, 701);
      expect(tooMuch.status).to.equal(409);
      expect(tooMuch.body.error.code).to.equal('insufficient_balance');
      const rest = await redeem(code, 700);
      expect(rest.body.remaining).to.equal(0);
      const spent = await redeem(code, 1);
      expect(spent.status).to.equal(409);
      expect(spent.body.error.code).to.equal('already_redeemed');
      const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(check.body).to.include({ remaining: 0, status: 'redeemed' });
    });

    it('a mistyped code is 422 invalid_code, an unissued one 404 unknown_code, a bad body 422 invalid_input', async () => {
      const code = await buy('1');
      const typo = await redeem(mistype(code), 100);
      expect(typo.status).to.equal(422);
      expect(typo.body.error.code).to.equal('invalid_code');
      const short = await redeem('1234', 100);
      expect(short.body.error.code).to.equal('invalid_code');
      const unknown = await redeem(unissuedCode(), 100);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('unknown_code');
      for (const body of [{ code }, { code, amount: 0 }, { code, amount: 1.5 }, { code, amount: '100' }, { amount: 100 }]) {
        const res = await jsonRequest(app, 'POST', '/api/merchant/redemptions', body, merchantPost(shop));
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.body.error.code).to.equal('invalid_input');
      }
      const unknownCheck = await jsonRequest(app, 'GET', `/api/merchant/codes/${unissuedCode()}`, undefined, merchantAuth(shop));
      expect(unknownCheck.status).to.equal(404);
    });

    it('after CODE_TTL_DAYS the code is 410 expired, for redemption, and its balance check says so', async () => {
      const code = await buy('1');
      const start = app.clock.now;
      try {
        app.clock.now = start + 90 * 24 * HOUR - 1000;
        expect((await redeem(code, 100)).status).to.equal(201);
        app.clock.now = start + 90 * 24 * HOUR + 1000;
        const late = await redeem(code, 100);
        expect(late.status).to.equal(410);
        expect(late.body.error.code).to.equal('expired');
        const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
        expect(check.body).to.include({ status: 'expired', remaining: 400 });
      } finally {
        app.clock.now = start;
      }
    });
  });

  describe('voids', () => {
    it('the redeeming merchant can void within the window: the amount goes back; others cannot; twice is harmless', async () => {
      const code = await buy('2');
      const other = await createMerchant(app, 'Other');
      const { body } = await redeem(code, 600);
      const stranger = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(other));
      expect(stranger.status).to.equal(404);
      const voided = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(shop));
      expect(voided.status).to.equal(200);
      expect(voided.body).to.include({ redemptionId: body.redemptionId, status: 'voided', amount: 600, remaining: 1000 });
      const again = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(shop));
      expect(again.status).to.equal(200);
      expect(again.body.remaining).to.equal(1000);
      expect((await redeem(code, 1000)).status).to.equal(201);
    });

    it('after VOID_WINDOW_HOURS a void is 409 void_window_passed; an unknown redemption is 404', async () => {
      const code = await buy('1');
      const { body } = await redeem(code, 200);
      const start = app.clock.now;
      try {
        app.clock.now = start + 24 * HOUR + 1000;
        const late = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(shop));
        expect(late.status).to.equal(409);
        expect(late.body.error.code).to.equal('void_window_passed');
      } finally {
        app.clock.now = start;
      }
      const unknown = await jsonRequest(app, 'POST', '/api/merchant/redemptions/rd_AAAAAAAAAAAAAAAAAAAAAA/void', undefined, merchantPost(shop));
      expect(unknown.status).to.equal(404);
    });
  });

  describe('Idempotency-Key', () => {
    it('the same key and body return the first response again and redeem once; another body with the key is 422', async () => {
      const code = await buy('2');
      const key = { 'Idempotency-Key': 'order-77-payment' };
      const first = await redeem(code, 250, key);
      const retry = await redeem(code, 250, key);
      expect(first.status).to.equal(201);
      expect(retry.status).to.equal(201);
      expect(retry.body).to.deep.equal(first.body);
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(check.body.remaining).to.equal(750);
      const reused = await redeem(code, 251, key);
      expect(reused.status).to.equal(422);
      expect(reused.body.error.code).to.equal('idempotency_key_reused');
    });

    it('racing retries with one key redeem once', async () => {
      const code = await buy('2');
      const key = { 'Idempotency-Key': 'race-1' };
      const results = await Promise.all(Array.from({ length: 20 }, () => redeem(code, 100, key)));
      expect(new Set(results.map((r) => r.body.redemptionId)).size).to.equal(1);
      const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(check.body.remaining).to.equal(900);
    });

    it('errors are replayed too, even after the situation changed', async () => {
      const code = await buy('1');
      const { body } = await redeem(code, 400);
      const key = { 'Idempotency-Key': 'too-much-once' };
      const refused = await redeem(code, 300, key);
      expect(refused.status).to.equal(409);
      await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(shop));
      const replayed = await redeem(code, 300, key);
      expect(replayed.status).to.equal(409);
      expect(replayed.body).to.deep.equal(refused.body);
      expect((await redeem(code, 300, { 'Idempotency-Key': 'fresh' })).status).to.equal(201);
    });

    it('keys are scoped per merchant and kept 24 hours', async () => {
      const code = await buy('2');
      const other = await createMerchant(app, 'Second shop');
      const key = { 'Idempotency-Key': 'shared-name' };
      const mine = await redeem(code, 100, key);
      const theirs = await redeem(code, 100, key, other);
      expect(theirs.status).to.equal(201);
      expect(theirs.body.redemptionId).to.not.equal(mine.body.redemptionId);
      expect(theirs.body.remaining).to.equal(800);
      const prefix = `${app.config.redis.keyPrefix}${app.keyPrefix}`;
      const ttl = await app.redis.ttl((await scanKeys(app.config, `${prefix}*idem*`))[0]!.slice(prefix.length));
      expect(ttl).to.be.within(24 * 3600 - 60, 24 * 3600);
    });

    it('when a merchant redeems, voids or asks for a payment without an Idempotency-Key, it is refused with 400 idempotency_key_required and nothing moves', async () => {
      const code = await buy('1');
      const bare = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantAuth(shop));
      expect(bare.status).to.equal(400);
      expect(bare.body.error.code).to.equal('idempotency_key_required');
      const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(check.body.remaining).to.equal(500);
      const { body } = await redeem(code, 100);
      const bareVoid = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantAuth(shop));
      expect(bareVoid.status).to.equal(400);
      expect(bareVoid.body.error.code).to.equal('idempotency_key_required');
      const bareRequest = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 100, description: 'Tea' }, merchantAuth(shop));
      expect(bareRequest.status).to.equal(400);
      expect(bareRequest.body.error.code).to.equal('idempotency_key_required');
    });

    it('when a merchant reuses a key after its 24-hour record has expired, a new and distinct redemption is made and booked', async () => {
      const code = await buy('2');
      const key = { 'Idempotency-Key': 'reused-next-day' };
      const first = await redeem(code, 100, key);
      // The record's 24 h are over (Redis expired it).
      await app.redis.del(keys.merchantIdempotency(shop.merchantId, sha256('reused-next-day')));
      const second = await redeem(code, 100, key);
      expect(second.status).to.equal(201);
      expect(second.body.redemptionId).to.not.equal(first.body.redemptionId);
      expect(second.body.remaining).to.equal(800);
      expect(await app.redis.hexists(keys.merchantRedemptions(shop.merchantId), second.body.redemptionId)).to.equal(1);
      // Voiding the new one refunds the new one only.
      const voided = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${second.body.redemptionId}/void`, undefined, merchantPost(shop));
      expect(voided.body).to.include({ redemptionId: second.body.redemptionId, remaining: 900 });
    });

    it('redemption IDs are random, not derived from the key: the same key at two merchants names two redemptions', async () => {
      const code = await buy('2');
      const a = await redeem(code, 10, { 'Idempotency-Key': 'same-everywhere' });
      expect(a.body.redemptionId).to.match(/^rd_[A-Za-z0-9_-]{22}$/);
    });

    it('void retries with a key replay the first answer', async () => {
      const code = await buy('1');
      const { body } = await redeem(code, 100);
      const path = `/api/merchant/redemptions/${body.redemptionId}/void`;
      const first = await jsonRequest(app, 'POST', path, undefined, merchantAuth(shop, { 'Idempotency-Key': 'void-1' }));
      const again = await jsonRequest(app, 'POST', path, undefined, merchantAuth(shop, { 'Idempotency-Key': 'void-1' }));
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal(first.body);
    });
  });

  describe('settlement', () => {
    it('each merchant sees redeemed totals per day, net of voids; the operator gets a CSV', async () => {
      const seller = await createMerchant(app, 'Settling shop');
      const code = await buy('3');
      await redeem(code, 1200, {}, seller);
      const { body } = await redeem(code, 300, {}, seller);
      await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(seller));
      const start = app.clock.now;
      try {
        app.clock.now = start + 24 * HOUR;
        await redeem(code, 500, {}, seller);
      } finally {
        app.clock.now = start;
      }
      const day = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(ms);
      const view = await jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, merchantAuth(seller));
      expect(view.status).to.equal(200);
      expect(view.body.currency).to.equal('JPY');
      expect(view.body.days).to.deep.equal([
        { date: day(start), redemptions: 2, redeemed: 1500, approvals: 0, approved: 0, voided: 300, adjustments: 0, net: 1200 },
        { date: day(start + 24 * HOUR), redemptions: 1, redeemed: 500, approvals: 0, approved: 0, voided: 0, adjustments: 0, net: 500 },
      ]);

      const csvPath = `/api/admin/merchants/${seller.merchantId}/settlement.csv`;
      expect((await fetch(`${app.url}${csvPath}`, { headers: merchantAuth(seller) })).status).to.equal(401);
      const csv = await fetch(`${app.url}${csvPath}`, { headers: adminAuth(app) });
      expect(csv.status).to.equal(200);
      expect(csv.headers.get('content-type')).to.include('text/csv');
      expect((await csv.text()).trim().split('\r\n')).to.deep.equal([
        'merchant_id,date,redemptions,redeemed,approvals,approved,voided,adjustments,net,currency',
        `${seller.merchantId},${day(start)},2,1500,0,0,300,0,1200,JPY`,
        `${seller.merchantId},${day(start + 24 * HOUR)},1,500,0,0,0,0,500,JPY`,
      ]);
      expect((await fetch(`${app.url}/api/admin/merchants/12345678/settlement.csv`, { headers: adminAuth(app) })).status).to.equal(404);
    });

    it('a void after the redemption’s day has closed is an adjustment in the current period: the closed day’s figures never change', async () => {
      const seller = await createMerchant(app, 'Closing shop');
      const code = await buy('3');
      const start = app.clock.now;
      const day = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(ms);
      try {
        const { body } = await redeem(code, 1000, {}, seller);
        const settlement = async () => (await jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, merchantAuth(seller))).body.days;
        const closedDay = { date: day(start), redemptions: 1, redeemed: 1000, approvals: 0, approved: 0, voided: 0, adjustments: 0, net: 1000 };
        expect(await settlement()).to.deep.equal([closedDay]);
        // 20 hours later, within the 24-hour void window, on the next calendar day (the first day has closed).
        let later = start + 20 * HOUR;
        if (day(later) === day(start)) later = start + 23 * HOUR;
        expect(day(later)).to.not.equal(day(start));
        app.clock.now = later;
        const voided = await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(seller));
        expect(voided.status, JSON.stringify(voided.body)).to.equal(200);
        expect(await settlement(), 'the closed day as it was paid out; the void shown as an adjustment today').to.deep.equal([
          closedDay,
          { date: day(later), redemptions: 0, redeemed: 0, approvals: 0, approved: 0, voided: 0, adjustments: 1000, net: -1000 },
        ]);
        const csv = await (await fetch(`${app.url}/api/admin/merchants/${seller.merchantId}/settlement.csv`, { headers: adminAuth(app) })).text();
        expect(csv.trim().split('\r\n').slice(1)).to.deep.equal([`${seller.merchantId},${day(start)},1,1000,0,0,0,0,1000,JPY`, `${seller.merchantId},${day(later)},0,0,0,0,0,1000,-1000,JPY`]);
        // A retry of the void changes nothing more.
        await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(seller));
        expect((await settlement())[1].adjustments).to.equal(1000);
      } finally {
        app.clock.now = start;
      }
    });
  });

  describe('a redemption is never half done', () => {
    it('when the process dies after debiting a code and before booking it for the merchant, the reconciler books it once and settlement equals the debits', async () => {
      const seller = await createMerchant(app, 'Crashing till');
      const code = await buy('2');
      const hash = codeHash(code, app.config.hashPepper);
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(app.clock.now);
      // What redeemCode does up to the crash: mark the code for the reconciler, debit it (with its outbox entry).
      await app.redis.zadd(keys.unsettledCodes(unsettledShard(hash)), Date.now(), hash);
      const [status] = await app.redis.dpRedeemCode(keys.paymentCode(hash), keys.codeRedemptions(hash), keys.codeUnsettled(hash), 'rd_crashedcrashedcrashed0', seller.merchantId, 300, app.clock.now, '', hash, day);
      expect(status).to.equal(1);
      const settledNet = async () => ((await jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, merchantAuth(seller))).body.days as { net: number }[]).reduce((sum, d) => sum + d.net, 0);
      expect(await settledNet()).to.equal(0);
      for (let i = 0; i < 100 && (await settledNet()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await settledNet()).to.equal(300);
      expect(await app.redis.hlen(keys.codeUnsettled(hash))).to.equal(0);
      await app.background!.runOnce();
      expect(await settledNet()).to.equal(300);
      // The booked redemption can be voided like any other.
      const voided = await jsonRequest(app, 'POST', '/api/merchant/redemptions/rd_crashedcrashedcrashed0/void', undefined, merchantPost(seller));
      expect(voided.body).to.include({ status: 'voided', remaining: 1000 });
      expect(await settledNet()).to.equal(0);
    });

    it('after ordinary redemptions and voids the reconciler finds nothing to book and forgets the codes', async () => {
      const code = await buy('2');
      const { body } = await redeem(code, 100);
      await jsonRequest(app, 'POST', `/api/merchant/redemptions/${body.redemptionId}/void`, undefined, merchantPost(shop));
      const hash = codeHash(code, app.config.hashPepper);
      const shard = keys.unsettledCodes(unsettledShard(hash));
      expect(await app.redis.zscore(shard, hash)).to.not.equal(null);
      for (let i = 0; i < 100 && (await app.redis.zscore(shard, hash)) !== null; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await app.redis.zscore(shard, hash)).to.equal(null);
      expect(await app.redis.hlen(keys.codeUnsettled(hash))).to.equal(0);
    });
  });

  describe('under concurrency', () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    after(() => agent.destroy());

    /** POST over a keep-alive agent: many requests in flight on a bounded pool of sockets. */
    function post(path: string, body: unknown, merchant: TestMerchant): Promise<{ status: number; body: any }> {
      const url = new URL(`${app.url}${path}`);
      const payload = JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...merchantPost(merchant) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    }

    it('1,000 concurrent redemptions of the whole amount of one code: exactly one succeeds', async function () {
      const code = await buy('2');
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 1000 }, () => post('/api/merchant/redemptions', { code, amount: 1000 }, shop)));
      const ms = performance.now() - started;
      const ok = results.filter((r) => r.status === 201);
      expect(ok).to.have.length(1);
      expect(results.filter((r) => r.status === 409 && r.body.error.code === 'already_redeemed')).to.have.length(999);
      console.log(`      1,000 concurrent full redemptions: ${ms.toFixed(0)} ms`);
    });

    it('1,000 concurrent partial redemptions of 10 from a 5,000 code: exactly 500 succeed and the balance ends at 0', async () => {
      const code = await buy('3');
      const merchants = [shop, await createMerchant(app, 'Second till')];
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => post('/api/merchant/redemptions', { code, amount: 10 }, merchants[i % 2]!)));
      const ms = performance.now() - started;
      const ok = results.filter((r) => r.status === 201);
      expect(ok).to.have.length(500);
      expect(ok.reduce((sum, r) => sum + r.body.amount, 0)).to.equal(5000);
      expect(new Set(ok.map((r) => r.body.remaining)).size).to.equal(500);
      const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
      expect(check.body.remaining).to.equal(0);
      console.log(`      1,000 concurrent partial redemptions: ${ms.toFixed(0)} ms`);
    });
  });
});

describe('the merchant API against code guessing', () => {
  let app: TestApp;
  let member: ActiveMember;
  before(async () => {
    app = await startTestApp({ MERCHANT_FAILURES_PER_HOUR: '3', MERCHANT_CODE_CHECKS_PER_MINUTE: '5' });
    member = await activeMember(app, { pin: PIN });
  });
  after(() => app.close());

  it('after MERCHANT_FAILURES_PER_HOUR wrong codes the merchant gets 429 with Retry-After, even for a real code; other merchants are unaffected', async () => {
    const guesser = await createMerchant(app, 'Guesser');
    const honest = await createMerchant(app, 'Honest');
    const code = await codeBoughtByPhone(app, member, PIN, '1');
    for (const wrong of [unissuedCode(), mistype(code), unissuedCode()]) {
      const res = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: wrong, amount: 1 }, merchantPost(guesser));
      expect([404, 422]).to.include(res.status);
    }
    const blocked = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 1 }, merchantPost(guesser));
    expect(blocked.status).to.equal(429);
    expect(blocked.body.error.code).to.equal('rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).to.be.within(1, 3600);
    const blockedCheck = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(guesser));
    expect(blockedCheck.status).to.equal(429);
    const fine = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 1 }, merchantPost(honest));
    expect(fine.status).to.equal(201);
  });

  it('while blocked, an answer stored under an Idempotency-Key is still replayed, and a new key is refused without being remembered', async () => {
    const guesser = await createMerchant(app, 'Retrying guesser');
    const code = await codeBoughtByPhone(app, member, PIN, '1');
    const redeemWithKey = (key: string, codeToTry = code) =>
      jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: codeToTry, amount: 100 }, merchantPost(guesser, { 'Idempotency-Key': key }));
    const paid = await redeemWithKey('before-the-block');
    expect(paid.status).to.equal(201);
    for (let i = 0; i < 3; i++) expect((await redeemWithKey(`guess-${i}`, unissuedCode())).status).to.equal(404);

    const replayed = await redeemWithKey('before-the-block');
    expect(replayed.status).to.equal(201);
    expect(replayed.body).to.deep.equal(paid.body);
    expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
    const refused = await redeemWithKey('during-the-block');
    expect(refused.status).to.equal(429);
    expect(refused.body.error.code).to.equal('rate_limited');

    await app.redis.del(keys.merchantFailures(guesser.merchantId));
    const afterReset = await redeemWithKey('during-the-block');
    expect(afterReset.status).to.equal(201);
    expect(afterReset.headers.get('idempotent-replayed')).to.equal(null);
    expect(afterReset.body.remaining).to.equal(300);
  });

  it('when a merchant fires a burst of 20 parallel bad guesses with a limit of 3, exactly 3 are tried and the other 17 get 429 with Retry-After', async () => {
    const burster = await createMerchant(app, 'Burster');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        jsonRequest(app, 'POST', '/api/merchant/redemptions', { code: unissuedCode(), amount: 1 }, merchantPost(burster, { 'Idempotency-Key': `burst-${i}` })),
      ),
    );
    const tried = results.filter((r) => r.status === 404);
    const refused = results.filter((r) => r.status === 429);
    console.log(`      burst of 20 bad guesses, limit 3: ${tried.length} tried, ${refused.length} refused`);
    expect(tried).to.have.length(3);
    expect(refused).to.have.length(17);
    for (const r of refused) expect(Number(r.headers.get('retry-after'))).to.be.within(1, 3600);
  });

  it('when a merchant fires a burst of parallel balance checks of unknown codes, only the hourly failure limit is tried', async () => {
    const checker = await createMerchant(app, 'Burst checker');
    const results = await Promise.all(Array.from({ length: 5 }, () => jsonRequest(app, 'GET', `/api/merchant/codes/${unissuedCode()}`, undefined, merchantAuth(checker))));
    expect(results.filter((r) => r.status === 404)).to.have.length(3);
    expect(results.filter((r) => r.status === 429)).to.have.length(2);
  });

  it('successful redemptions do not use up the guessing allowance', async () => {
    const busy = await createMerchant(app, 'Busy till');
    const code = await codeBoughtByPhone(app, member, PIN, '2');
    for (let i = 0; i < 6; i++) {
      const res = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 10 }, merchantPost(busy, { 'Idempotency-Key': `busy-${i}` }));
      expect(res.status).to.equal(201);
    }
  });

  it('when one merchant has more redemptions in flight than its guessing allowance, the extra ones get 429 with Retry-After: 1, and settle when done', async () => {
    const busy = await createMerchant(app, 'Crowded till');
    const code = await codeBoughtByPhone(app, member, PIN, '2');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 10 }, merchantPost(busy, { 'Idempotency-Key': `crowd-${i}` }))),
    );
    for (const r of results.filter((r) => r.status === 429)) expect(r.headers.get('retry-after')).to.equal('1');
    expect(results.filter((r) => r.status === 201).length).to.be.within(1, 10);
    expect(await app.redis.get(keys.merchantAttemptsInFlight(busy.merchantId))).to.equal('0');
  });

  it('balance checks are limited per minute, right or wrong', async () => {
    const checker = await createMerchant(app, 'Checker');
    const code = await codeBoughtByPhone(app, member, PIN, '1');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(checker))).status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429]);
  });
});
