import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, merchantAuth, merchantPost, type TestMerchant } from '../support/payments.ts';
import { findVerb, spokenText } from '../support/twiml.ts';

const PIN = '8080';

interface Received {
  signature: string;
  body: string;
}

/** A merchant's webhook endpoint on loopback that fails the first `failFirst` deliveries. */
async function webhookReceiver(failFirst: number) {
  const received: Received[] = [];
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) return void res.writeHead(500).end();
      received.push({ signature: String(req.headers['dialpass-signature']), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const waitFor = async (n: number) => {
    for (let i = 0; i < 100 && received.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    return received;
  };
  return { url, received, attempts: () => calls, waitFor, close: () => new Promise((r) => server.close(r)) };
}

describe('payment requests approved by phone (menu 3)', () => {
  let app: TestApp;
  let member: ActiveMember;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let shop: TestMerchant;

  before(async () => {
    app = await startTestApp({ MONTHLY_SPENDING_CAP: '5000', WEBHOOK_RETRY_BASE_MS: '20', PAYMENT_REQUEST_TTL_MINUTES: '15' });
    hook = await webhookReceiver(1);
    member = await activeMember(app, { pin: PIN });
    const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Ramen Taro', webhookUrl: hook.url }, adminAuth(app));
    shop = made.body;
  });
  after(async () => {
    await hook.close();
    await app.close();
  });

  const createRequest = (body: Record<string, unknown> = { amount: 1200, description: 'Ramen set' }, headers: Record<string, string> = {}) =>
    jsonRequest(app, 'POST', '/api/merchant/payment-requests', body, merchantPost(shop, headers));

  async function keyRequestNumber(number: string, who = member): Promise<TestCall> {
    const call = new TestCall(app);
    await call.dial();
    await call.press('3');
    await call.press(`${who.formalId}#`);
    await call.press(`${PIN}#`);
    await call.press(`${number}#`);
    return call;
  }

  const ledger = async (memberId: string) =>
    (await readLedger(app.redis, memberId)).filter((entry) => entry.kind === 'payment_approval');

  it('a merchant creates a request; the member keys its number, hears who asks how much for what, approves; the merchant sees it and gets a signed webhook', async () => {
    const created = await createRequest();
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ status: 'pending' });
    expect(created.body.id).to.match(/^pr_/);
    expect(created.body.number).to.match(/^\d{8}$/);
    expect(Date.parse(created.body.expiresAt) - app.clock.now).to.equal(15 * 60_000);

    const call = await keyRequestNumber(created.body.number);
    const said = spokenText(call.last.verbs);
    expect(said).to.include('Ramen Taro').and.to.include('1,200').and.to.include('Ramen set');
    await call.press('1');
    expect(spokenText(call.last.verbs)).to.include('承認しました');
    expect(await ledger(member.provisionalId)).to.have.length(1);

    const seen = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop));
    expect(seen.status).to.equal(200);
    expect(seen.body).to.include({ id: created.body.id, status: 'approved', amount: 1200, currency: 'JPY' });

    const [delivery] = await hook.waitFor(1);
    expect(hook.attempts()).to.equal(2); // the first attempt got a 500 and was retried
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery!.signature)!;
    expect(v1).to.equal(createHmac('sha256', shop.webhookSecret).update(`${t}.${delivery!.body}`).digest('hex'));
    expect(JSON.parse(delivery!.body)).to.deep.include({ type: 'payment_request.approved' });
    expect(JSON.parse(delivery!.body).data).to.include({ id: created.body.id, status: 'approved' });
  });

  it('a Twilio retry of the approving request charges once; a second caller keying the number hears it is already dealt with', async () => {
    const created = await createRequest({ amount: 300, description: 'Gyoza' });
    const call = await keyRequestNumber(created.body.number);
    await call.press('1');
    const retry = await call.twilioRetriesLastRequest();
    expect(spokenText(retry.verbs)).to.include('承認しました');
    const before = (await ledger(member.provisionalId)).length;
    expect(before).to.equal(2);

    const other = await activeMember(app, { pin: PIN });
    const late = await keyRequestNumber(created.body.number, other);
    expect(spokenText(late.last.verbs)).to.include('すでに処理されています');
    expect(await ledger(other.provisionalId)).to.have.length(0);
  });

  it('declining charges nothing, and the merchant sees declined', async () => {
    const created = await createRequest({ amount: 500, description: 'Beer' });
    const call = await keyRequestNumber(created.body.number);
    await call.press('2');
    expect(spokenText(call.last.verbs)).to.include('お断りしました');
    const seen = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop));
    expect(seen.body.status).to.equal('declined');
    expect(await ledger(member.provisionalId)).to.have.length(2);
    const deliveries = await hook.waitFor(3);
    expect(deliveries.map((d) => JSON.parse(d.body).type)).to.include('payment_request.declined');
  });

  it('over the monthly cap the approval is refused with the allowance left, and the request stays pending', async () => {
    const created = await createRequest({ amount: 4000, description: 'Banquet' });
    const call = await keyRequestNumber(created.body.number);
    await call.press('1');
    expect(spokenText(call.last.verbs)).to.include('あと3,500円');
    const seen = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop));
    expect(seen.body.status).to.equal('pending');
  });

  it('after PAYMENT_REQUEST_TTL_MINUTES the request is expired, by phone and over the API', async () => {
    const created = await createRequest({ amount: 100, description: 'Tea' });
    const start = app.clock.now;
    try {
      app.clock.now = start + 16 * 60_000;
      const seen = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop));
      expect(seen.body.status).to.equal('expired');
      const call = await keyRequestNumber(created.body.number);
      expect(spokenText(call.last.verbs)).to.include('有効期限が切れています');
    } finally {
      app.clock.now = start;
    }
  });

  it('a mistyped or unknown number is explained and asked for again', async () => {
    const created = await createRequest({ amount: 100, description: 'Tea' });
    const n = created.body.number as string;
    const call = await keyRequestNumber(n.slice(0, 3) + String((Number(n[3]) + 1) % 10) + n.slice(4));
    expect(spokenText(call.last.verbs)).to.include('誤り');
    expect(findVerb(call.last.verbs, 'Gather')!.attributes.action).to.include('/approve/number');
  });

  it('bad bodies are 422, other merchants cannot read a request, and an Idempotency-Key makes one request', async () => {
    expect((await createRequest({ amount: -1, description: 'x' })).status).to.equal(422);
    expect((await createRequest({ amount: 100 })).status).to.equal(422);
    const first = await createRequest({ amount: 700, description: 'Lunch' }, { 'Idempotency-Key': 'lunch-1' });
    const again = await createRequest({ amount: 700, description: 'Lunch' }, { 'Idempotency-Key': 'lunch-1' });
    expect(again.body).to.deep.equal(first.body);
    const other = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Other' }, adminAuth(app))).body as TestMerchant;
    const peek = await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${first.body.id}`, undefined, merchantAuth(other));
    expect(peek.status).to.equal(404);
  });

  it('a demo approval (CHARGE_METHOD_APPROVALS=none, the default here) charged the member nothing, so the merchant is owed nothing for it: its settlement stays empty, as the dashboard says', async () => {
    expect(app.config.charging.methods.approvals, 'this story needs the demo').to.equal('none');
    const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Demo Owed Shop', webhookUrl: hook.url }, adminAuth(app));
    const demoShop: TestMerchant = made.body;
    const approved = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 700, description: 'Tea' }, merchantPost(demoShop, { 'Idempotency-Key': 'demo-owed-1' }));
    const approving = await keyRequestNumber(approved.body.number);
    await approving.press('1');
    const entries = (await ledger(member.provisionalId)).filter((e) => e.paymentRequest === approved.body.id);
    expect(entries.map((e) => [e.amount, e.method]), 'approved, in the demo').to.deep.equal([[700, 'none']]);
    const view = await jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, merchantAuth(demoShop));
    expect(view.body.days, 'nothing owed for what no one paid').to.deep.equal([]);
    const csv = await (await fetch(`${app.url}/api/admin/merchants/${demoShop.merchantId}/settlement.csv`, { headers: adminAuth(app) })).text();
    expect(csv.trim().split('\r\n'), 'the payout file: no line').to.have.length(1);
  });
});

describe('what a merchant is owed follows the approved requests members really paid (CHARGE_METHOD_APPROVALS=premium-rate)', () => {
  const REQUEST_NUMBER = '+815000000700';
  let app: TestApp;
  let member: ActiveMember;
  let shop: TestMerchant;

  before(async () => {
    app = await startTestApp({
      CHARGE_METHOD_APPROVALS: 'premium-rate',
      PREMIUM_RATE_NUMBERS: `+815000001234=300/call@0990-50-0300,${REQUEST_NUMBER}=700/call@0990-50-0700`,
      WEBHOOK_RETRY_BASE_MS: '20',
    });
    member = await activeMember(app, { pin: PIN });
    shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Owed Shop' }, adminAuth(app))).body;
  });
  after(async () => app.close());

  async function keyRequestNumber(number: string, to: string): Promise<TestCall> {
    const call = new TestCall(app, undefined, to);
    await call.dial();
    await call.press('3');
    await call.press(`${member.formalId}#`);
    await call.press(`${PIN}#`);
    await call.press(`${number}#`);
    return call;
  }

  it('each approval is booked once (a Twilio retry adds nothing), a decline nothing', async () => {
    const request = (amount: number, key: string) =>
      jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount, description: 'Tea' }, merchantPost(shop, { 'Idempotency-Key': key }));
    const approved = await request(700, 'owed-1');
    const declined = await request(300, 'owed-2');
    expect([approved.status, declined.status]).to.deep.equal([201, 201]);
    const approving = await keyRequestNumber(approved.body.number, REQUEST_NUMBER);
    await approving.press('1');
    await approving.twilioRetriesLastRequest();
    const charged = (await readLedger(app.redis, member.provisionalId)).filter((e) => e.paymentRequest === approved.body.id);
    expect(charged.map((e) => [e.amount, e.method]), 'the member paid it on the phone bill').to.deep.equal([[700, 'premium-rate']]);
    const declining = await keyRequestNumber(declined.body.number, app.config.servicePhoneNumber);
    await declining.press('2');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(app.clock.now);
    const view = await jsonRequest(app, 'GET', '/api/merchant/settlement', undefined, merchantAuth(shop));
    expect(view.body.days).to.deep.equal([{ date: today, redemptions: 0, redeemed: 0, approvals: 1, approved: 700, voided: 0, adjustments: 0, net: 700 }]);
    const csv = await (await fetch(`${app.url}/api/admin/merchants/${shop.merchantId}/settlement.csv`, { headers: adminAuth(app) })).text();
    expect(csv.trim().split('\r\n')[1]).to.equal(`${shop.merchantId},${today},0,0,1,700,0,0,700,JPY`);
  });
});
