import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, codeBoughtByPhone, merchantAuth, merchantPost, type TestMerchant } from '../support/payments.ts';
import { eventually, sleep, webhookReceiver } from '../support/webhooks.ts';

const PIN = '2468';

describe('merchant webhooks go out from a durable outbox', () => {
  let app: TestApp;
  let member: ActiveMember;
  before(async () => {
    app = await startTestApp({ MONTHLY_SPENDING_CAP: '1000000', CODE_DENOMINATIONS: '500,1000,5000' });
    member = await activeMember(app, { pin: PIN });
  });
  after(() => app.close());

  async function merchantWithHook(hookUrl: string, name = 'Hooked shop'): Promise<TestMerchant> {
    const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name, webhookUrl: hookUrl }, adminAuth(app));
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    return made.body;
  }
  const deliveries = async (merchant: TestMerchant, query = '') =>
    (await jsonRequest(app, 'GET', `/api/merchant/webhook-deliveries${query}`, undefined, merchantAuth(merchant))).body;

  it('when a code is redeemed and voided, the merchant gets redemption.created then redemption.voided, each once, signed the Standard Webhooks way', async () => {
    const hook = await webhookReceiver();
    try {
      const shop = await merchantWithHook(hook.url);
      const code = await codeBoughtByPhone(app, member, PIN, '2');
      const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 300, orderId: 'A-7' }, merchantPost(shop));
      await jsonRequest(app, 'POST', `/api/merchant/redemptions/${redeemed.body.redemptionId}/void`, undefined, merchantPost(shop));
      const got = await hook.waitFor(2);
      await sleep(200);
      // Deliveries run in parallel, so arrival order is not promised (as with Svix).
      expect(got.map((d) => d.type).sort()).to.deep.equal(['redemption.created', 'redemption.voided']);
      const wh = new Webhook(shop.webhookSecret);
      for (const d of got) {
        const event = wh.verify(d.body, d.headers as Record<string, string>) as { id: string; data: Record<string, unknown> };
        expect(event.id).to.equal(d.id).and.match(/^evt_/);
        expect(event.data).to.include({ redemptionId: redeemed.body.redemptionId, amount: 300, currency: 'JPY', orderId: 'A-7' });
      }
      expect(new Set(got.map((d) => d.id)).size).to.equal(2);
      const log = await deliveries(shop);
      expect(log.deliveries.map((d: { type: string; status: string; attempts: number }) => [d.type, d.status, d.attempts])).to.deep.equal([
        ['redemption.voided', 'delivered', 1],
        ['redemption.created', 'delivered', 1],
      ]);
      expect(log.deliveries[0].lastResponseStatus).to.equal(204);
    } finally {
      await hook.close();
    }
  });

  it('when the receiver is down, the event is retried on schedule and delivered once it is back up, once', async () => {
    const hook = await webhookReceiver({ down: true });
    try {
      const shop = await merchantWithHook(hook.url);
      const code = await codeBoughtByPhone(app, member, PIN, '1');
      await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
      // The receiver sees an attempt before the worker records its outcome: wait for the record.
      const pending = await eventually(async () => {
        const first = (await deliveries(shop)).deliveries[0];
        return first && first.attempts >= 2 ? first : undefined;
      });
      expect(pending).to.include({ status: 'pending', lastResponseStatus: 503 });
      expect(pending.attempts).to.be.at.least(2);
      expect(pending.nextAttemptAt).to.be.a('string');
      hook.state.down = false;
      // With WEBHOOK_RETRY_BASE_MS=50 the third attempt comes 3 s (60 × base) after the second.
      const got = await hook.waitFor(1, 8000);
      await sleep(200);
      expect(got).to.have.length(1);
      expect((await deliveries(shop)).deliveries[0]).to.include({ status: 'delivered' });
    } finally {
      await hook.close();
    }
  }).timeout(30_000);

  it('when a delivery fails every attempt it is marked failed; the merchant asks for a retry and it is delivered', async () => {
    const quick = await startTestApp({ WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_RETRY_BASE_MS: '20' });
    const hook = await webhookReceiver({ down: true });
    try {
      const made = await jsonRequest(quick, 'POST', '/api/admin/merchants', { name: 'Flaky', webhookUrl: hook.url }, adminAuth(quick));
      const shop = made.body as TestMerchant;
      const buyer = await activeMember(quick, { pin: PIN });
      const code = await codeBoughtByPhone(quick, buyer, PIN, '1');
      await jsonRequest(quick, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
      const log = async () => (await jsonRequest(quick, 'GET', '/api/merchant/webhook-deliveries', undefined, merchantAuth(shop))).body.deliveries[0];
      const failed = await eventually(async () => ((await log())?.status === 'failed' ? log() : undefined));
      expect(failed).to.include({ status: 'failed', attempts: 2, lastResponseStatus: 503, nextAttemptAt: null });
      hook.state.down = false;
      const retried = await jsonRequest(quick, 'POST', `/api/merchant/webhook-deliveries/${failed.eventId}/retry`, undefined, merchantAuth(shop));
      expect(retried.status).to.equal(202);
      expect(retried.body).to.include({ eventId: failed.eventId, status: 'pending' });
      await hook.waitFor(1);
      expect(await eventually(async () => (await log()).status === 'delivered')).to.equal(true);
      expect((await log()).attempts).to.equal(3);
      const unknown = await jsonRequest(quick, 'POST', '/api/merchant/webhook-deliveries/evt_nope/retry', undefined, merchantAuth(shop));
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('unknown_event');
    } finally {
      await hook.close();
      await quick.close();
    }
  });

  it('the delivery log is paged newest first with a cursor', async () => {
    const hook = await webhookReceiver();
    try {
      const shop = await merchantWithHook(hook.url, 'Paged shop');
      const code = await codeBoughtByPhone(app, member, PIN, '3');
      for (let i = 0; i < 5; i++) await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 10, orderId: `p-${i}` }, merchantPost(shop));
      await hook.waitFor(5);
      const first = await deliveries(shop, '?limit=2');
      expect(first.deliveries).to.have.length(2);
      expect(first.nextCursor).to.be.a('string');
      const second = await deliveries(shop, `?limit=2&cursor=${first.nextCursor}`);
      const third = await deliveries(shop, `?limit=2&cursor=${second.nextCursor}`);
      expect(third.deliveries).to.have.length(1);
      expect(third.nextCursor).to.equal(null);
      const ids = [...first.deliveries, ...second.deliveries, ...third.deliveries].map((d: { eventId: string }) => d.eventId);
      expect(new Set(ids).size).to.equal(5);
      expect([...ids].sort()).to.deep.equal(hook.received.map((d) => d.id).sort());
      const bad = await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries?limit=1000', undefined, merchantAuth(shop));
      expect(bad.status).to.equal(422);
    } finally {
      await hook.close();
    }
  });

  it('when a member approves a payment request by phone, the merchant gets payment_request.approved once, verifiable with a Standard Webhooks library, and the old Dialpass-Signature still checks', async () => {
    const hook = await webhookReceiver();
    try {
      const shop = await merchantWithHook(hook.url, 'Ramen stand');
      const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 1200, description: 'Ramen set' }, merchantPost(shop));
      expect(created.body.id).to.match(/^pr_\d{8}[A-Za-z0-9_-]{14}$/);
      const call = new TestCall(app);
      await call.dial();
      await call.press('3');
      await call.press(`${member.formalId}#`);
      await call.press(`${PIN}#`);
      await call.press(`${created.body.number}#`);
      await call.press('1');
      const [delivery] = await hook.waitFor(1);
      await sleep(200);
      expect(hook.received).to.have.length(1);
      const event = new Webhook(shop.webhookSecret).verify(delivery!.body, delivery!.headers as Record<string, string>) as { id: string; type: string; data: Record<string, unknown> };
      expect(event.type).to.equal('payment_request.approved');
      expect(event.id).to.equal(delivery!.headers['webhook-id']);
      expect(event.data).to.include({ id: created.body.id, status: 'approved', amount: 1200, description: 'Ramen set' });
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery!.headers['dialpass-signature']))!;
      expect(v1).to.equal(createHmac('sha256', shop.webhookSecret).update(`${t}.${delivery!.body}`).digest('hex'));
      // A forged body does not verify.
      expect(() => new Webhook(shop.webhookSecret).verify(delivery!.body.replace('1200', '12'), delivery!.headers as Record<string, string>)).to.throw();
    } finally {
      await hook.close();
    }
  });

  it('when a payment request runs out of time, the sweep marks it expired and the merchant gets payment_request.expired once', async () => {
    const hook = await webhookReceiver();
    const start = app.clock.now;
    try {
      const shop = await merchantWithHook(hook.url, 'Tea house');
      const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 100, description: 'Tea' }, merchantPost(shop));
      app.clock.now = start + 16 * 60_000;
      const [delivery] = await hook.waitFor(1);
      await sleep(200);
      expect(hook.received).to.have.length(1);
      expect(delivery!.type).to.equal('payment_request.expired');
      expect(JSON.parse(delivery!.body).data).to.include({ id: created.body.id, status: 'expired', amount: 100 });
      const seen = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop));
      expect(seen.body.status).to.equal('expired');
    } finally {
      app.clock.now = start;
      await hook.close();
    }
  });

  it('when a merchant has no webhook URL, nothing is queued for it', async () => {
    const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'No hooks' }, adminAuth(app));
    const shop = made.body as TestMerchant;
    const code = await codeBoughtByPhone(app, member, PIN, '1');
    expect((await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop))).status).to.equal(201);
    expect((await deliveries(shop)).deliveries).to.deep.equal([]);
  });
});

describe('the outbox survives restarts and shares work between instances', () => {
  it('when the instance that tried first is stopped mid-retry and a new instance starts, the event is delivered once (was 0 of 1 after a restart)', async () => {
    const hook = await webhookReceiver({ down: true });
    // The retry after the first failure comes 600 ms later: time for the first instance to go.
    const first = await startTestApp({ WEBHOOK_RETRY_BASE_MS: '600' });
    let second: TestApp | undefined;
    try {
      const made = await jsonRequest(first, 'POST', '/api/admin/merchants', { name: 'Restarted', webhookUrl: hook.url }, adminAuth(first));
      const shop = made.body as TestMerchant;
      const buyer = await activeMember(first, { pin: PIN });
      const code = await codeBoughtByPhone(first, buyer, PIN, '1');
      await jsonRequest(first, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
      await eventually(async () => hook.state.attempts >= 1);
      await first.background!.stop();
      hook.state.down = false;
      second = await startTestApp({ WEBHOOK_RETRY_BASE_MS: '600' }, { keyPrefix: first.keyPrefix });
      const got = await hook.waitFor(1);
      await sleep(300);
      expect(got.map((d) => d.type)).to.deep.equal(['redemption.created']);
      expect(hook.state.attempts).to.equal(2);
    } finally {
      await second?.close();
      await first.close();
      await hook.close();
    }
  });

  it('when two instances run the worker, each of 30 events is delivered exactly once', async () => {
    const hook = await webhookReceiver();
    const one = await startTestApp({ MONTHLY_SPENDING_CAP: '1000000', CODE_DENOMINATIONS: '500,1000,5000' });
    const two = await startTestApp({}, { keyPrefix: one.keyPrefix });
    try {
      const made = await jsonRequest(one, 'POST', '/api/admin/merchants', { name: 'Busy', webhookUrl: hook.url }, adminAuth(one));
      const shop = made.body as TestMerchant;
      const buyer = await activeMember(one, { pin: PIN });
      const code = await codeBoughtByPhone(one, buyer, PIN, '3');
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => jsonRequest(i % 2 ? one : two, 'POST', '/api/merchant/redemptions', { code, amount: 10 }, merchantPost(shop))),
      );
      const got = await hook.waitFor(30);
      await sleep(500);
      expect(got).to.have.length(30);
      expect(new Set(got.map((d) => d.id)).size).to.equal(30);
      expect(hook.state.attempts).to.equal(30);
    } finally {
      await two.close();
      await one.close();
      await hook.close();
    }
  });
});

describe('webhook delivery re-checks the address', () => {
  it('when a saved host name now resolves to loopback (loopback not allowed), the delivery is refused, logged, and the listener receives nothing', async () => {
    const hook = await webhookReceiver();
    const app = await startTestApp({ OUTBOUND_ALLOW_LOOPBACK: 'false' });
    try {
      const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Rebound', webhookUrl: 'https://93.184.215.14/hooks' }, adminAuth(app));
      const shop = made.body as TestMerchant;
      // As if DNS for the saved name now answered 127.0.0.1 (rebinding).
      await app.redis.hset(keys.merchant(shop.merchantId), 'webhookUrl', `http://localhost:${hook.port}/hooks`);
      const buyer = await activeMember(app, { pin: PIN });
      const code = await codeBoughtByPhone(app, buyer, PIN, '1');
      await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
      const log = async () => (await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries', undefined, merchantAuth(shop))).body.deliveries[0];
      const tried = await eventually(async () => ((await log())?.attempts >= 1 ? log() : undefined));
      expect(tried.lastError).to.match(/^webhook_url_not_allowed/);
      expect(hook.state.attempts).to.equal(0);
    } finally {
      await app.close();
      await hook.close();
    }
  });
});

describe('the outbox index stays small', () => {
  it('once a merchant\'s events are delivered, the worker forgets the merchant instead of looking at it again and again', async () => {
    const hook = await webhookReceiver();
    const app = await startTestApp({ MONTHLY_SPENDING_CAP: '1000000' });
    try {
      const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Quiet later', webhookUrl: hook.url }, adminAuth(app));
      const shop = made.body as TestMerchant;
      const buyer = await activeMember(app, { pin: PIN });
      const code = await codeBoughtByPhone(app, buyer, PIN, '1');
      await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(shop));
      await hook.waitFor(1);
      const forgotten = await eventually(async () => (await app.redis.zscore(keys.merchantsWithWork(), shop.merchantId)) === null, 30_000);
      expect(forgotten, 'the merchant leaves outbox-due:{merchants}').to.equal(true);
    } finally {
      await app.close();
      await hook.close();
    }
  });
});
