import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { calendarMonth } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { startCarrierStandIn, type CarrierStandIn } from '../../simulator/carrier-billing.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { camaraProblems, exchangeProblems } from '../support/camara-schemas.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { createMerchant, merchantAuth } from '../support/payments.ts';
import { spokenNumbers, spokenText } from '../support/twiml.ts';

const PIN = '2468';
const SINK_TOKEN = 'sink-token-for-the-operator-0123456789abcdef';

/** The app charging every kind to the calling line's bill through the operator stand-in. */
export async function carrierApp(env: Record<string, string> = {}) {
  const operator = await startCarrierStandIn();
  const app = await startTestApp({ CHARGE_METHOD: 'carrier-billing', ...operator.env, CARRIER_BILLING_SINK_TOKEN: SINK_TOKEN, CODE_DENOMINATIONS: '1000,3000,5000', ...env });
  // The operator posts to PUBLIC_BASE_URL; a proxy in front of the app would forward it here.
  operator.deliverNotificationsTo((sink) => sink.replace(app.config.publicBaseUrl, app.url));
  return { app, operator, close: async () => (await app.close(), await operator.close()) };
}

/** A member activated on the phone bill, with a PIN, calling from `line`. */
async function memberOn(app: TestApp, line: string) {
  const { provisionalId, password } = await register(app);
  const call = new TestCall(app, line);
  await call.dial();
  await call.press('1');
  await call.press(`${provisionalId}#`);
  expect(call.heardText()).to.include('携帯電話のご利用料金と合わせて請求されます');
  const formalId = spokenNumbers((await call.press('1')).verbs)[0]!;
  expect(formalId, call.last.body).to.match(/^\d{9}$/);
  await call.hangUp();
  const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: PIN }) });
  return { provisionalId, formalId, line, cookie };
}

/** Menu 2, 3,000 yen: the caller is at the price. */
async function atCodePrice(app: TestApp, member: { formalId: string; line: string }) {
  const call = new TestCall(app, member.line);
  await call.dial();
  await call.press('2');
  await call.press(`${member.formalId}#`);
  await call.press(`${PIN}#`);
  await call.press('2');
  return call;
}

const codeIn = (call: TestCall) => spokenNumbers(call.last.verbs).find((n) => n.length === 16);
const purchases = async (app: TestApp, memberId: string) => (await readLedger(app.redis, memberId)).filter((e) => e.kind === 'code_purchase');
const spent = async (app: TestApp, memberId: string) => Number((await app.redis.get(keys.monthlySpend(memberId, calendarMonth(app.clock.now, app.config.timeZone)))) ?? 0);

describe('charging the calling line\'s own phone bill (CHARGE_METHOD=carrier-billing: the CAMARA Carrier Billing API)', () => {
  let app: TestApp;
  let operator: CarrierStandIn;
  let close: () => Promise<void>;
  before(async () => {
    ({ app, operator, close } = await carrierApp());
  });
  after(async () => {
    // Every request dialpass sent the operator, and every answer, fits the published spec.
    const problems = exchangeProblems(operator.exchanges);
    await close();
    expect(problems, problems.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('a 3,000-yen code: the price says it goes on the mobile phone bill, 1 reserves it on the calling line (two-step, a correlator from the call step) and confirms it; the ledger keeps the operator\'s paymentId and serverReferenceCode', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    expect(call.heardText()).to.include('3,000円').and.to.include('携帯電話料金と合わせて請求されます');
    await call.press('1');
    expect(codeIn(call)).to.match(/^\d{16}$/);
    expect(spokenText(call.last.verbs)).to.include('携帯電話料金と合わせて請求します');
    const [charged, ...more] = operator.charged().filter((c) => c.phoneNumber === member.line && c.amount === 3000);
    expect(more).to.deep.equal([]);
    expect(charged!.clientCorrelator).to.equal(`dialpass:${member.provisionalId}:${call.callSid}:buy-${(await purchases(app, member.provisionalId))[0]!.id!.split('/buy-')[1]}`);
    const [entry] = await purchases(app, member.provisionalId);
    expect(entry).to.include({ method: 'carrier-billing', amount: 3000, confirmation: charged!.paymentId, serverReference: `srv-${charged!.paymentId}` });
    expect(entry!.card, 'no card').to.equal(undefined);
    // The two steps, in order, for this line.
    const steps = operator.exchanges.filter((x) => (x.request as { phoneNumber?: string; amountTransaction?: { phoneNumber?: string } })?.amountTransaction?.phoneNumber === member.line || x.path.includes(charged!.paymentId)).map((x) => `${x.method} ${x.path.replace(charged!.paymentId, '{id}').replace(/\/[A-Za-z0-9_-]{17,}\//, '/{other}/')} ${x.status}`);
    expect(steps).to.include.members(['POST /carrier-billing/v0.5/payments/prepare 201', 'POST /carrier-billing/v0.5/payments/{id}/confirm 202', 'GET /carrier-billing/v0.5/payments/{id} 200']);
  });

  it('when the operator asks for validation, the caller keys the code it texted to the phone in the same call; a wrong code is asked again', async () => {
    const line = uniqueCallerNumber();
    const member = await memberOn(app, line);
    operator.lines.set(line, { validation: true });
    const call = await atCodePrice(app, member);
    await call.press('1');
    expect(call.heardText()).to.include('確認コードが届きます');
    const sent = operator.sms.get(line)!.at(-1)!;
    await call.press(`${sent === '000000' ? '111111' : '000000'}#`);
    expect(call.heardText()).to.include('確認コードが違います');
    await call.press(`${sent}#`);
    expect(codeIn(call)).to.match(/^\d{16}$/);
    expect(operator.charged().filter((c) => c.phoneNumber === line && c.amount === 3000)).to.have.length(1);
  });

  it('a caller who gives up at the code (three wrong codes) is told nothing was charged, and the reservation is let go at once', async () => {
    const line = uniqueCallerNumber();
    const member = await memberOn(app, line);
    operator.lines.set(line, { validation: true });
    const call = await atCodePrice(app, member);
    await call.press('1');
    for (let i = 0; i < 3; i++) await call.press('999999#');
    expect(call.hungUp()).to.equal(true);
    expect(call.heardText()).to.include('携帯電話の料金には請求されていません');
    const reserved = [...operator.payments.values()].filter((p) => p.amountTransaction.phoneNumber === line && p.amountTransaction.paymentAmount.chargingInformation.amount === 3000);
    expect(reserved.map((p) => p.paymentStatus)).to.deep.equal(['cancelled']);
    expect(await spent(app, member.provisionalId)).to.equal(0);
  });

  it('a caller who hangs up while the code is asked for: once the call\'s end is reported, the reservation is let go and the allowance held for it comes back', async () => {
    const line = uniqueCallerNumber();
    const member = await memberOn(app, line);
    operator.lines.set(line, { validation: true });
    const call = await atCodePrice(app, member);
    await call.press('1');
    await call.hangUp();
    expect(await spent(app, member.provisionalId), 'held while the code is asked for').to.equal(3000);
    app.clock.now += 35_000;
    await app.background!.runOnce();
    const reserved = [...operator.payments.values()].filter((p) => p.amountTransaction.phoneNumber === line && p.amountTransaction.paymentAmount.chargingInformation.amount === 3000);
    expect(reserved.map((p) => p.paymentStatus)).to.deep.equal(['cancelled']);
    expect(await spent(app, member.provisionalId)).to.equal(0);
  });

  it('a line the operator denies is told so; nothing is charged and nothing is held', async () => {
    const line = uniqueCallerNumber();
    const member = await memberOn(app, line);
    operator.lines.set(line, { deny: true });
    const call = await atCodePrice(app, member);
    await call.press('1');
    expect(call.heardText()).to.include('携帯電話会社がこのお支払いを承認しませんでした').and.to.include('携帯電話の料金には請求されていません');
    expect(await purchases(app, member.provisionalId)).to.deep.equal([]);
    expect(await spent(app, member.provisionalId)).to.equal(0);
  });

  it('a line whose SIM changed recently is never charged (CAMARA SIM Swap), and nothing is reserved on it', async () => {
    const line = uniqueCallerNumber();
    const member = await memberOn(app, line);
    operator.lines.set(line, { simSwapped: true });
    const before = operator.payments.size;
    const call = await atCodePrice(app, member);
    await call.press('1');
    expect(call.heardText()).to.include('携帯電話料金でのお支払いをご利用いただけません');
    expect(operator.payments.size).to.equal(before);
  });

  it('429 TOO_MANY_REQUESTS is waited out (Retry-After) and the payment goes through once', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    operator.tooManyRequestsNext();
    await call.press('1');
    expect(codeIn(call)).to.match(/^\d{16}$/);
    expect(operator.charged().filter((c) => c.phoneNumber === member.line && c.amount === 3000)).to.have.length(1);
  });

  it('a lost answer to the reservation: sent again with the same clientCorrelator, the operator answers 409, and the payment it made is found and used: charged once', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    operator.breakNext(/\/payments\/prepare$/, 'drop');
    await call.press('1');
    expect(codeIn(call)).to.match(/^\d{16}$/);
    expect(operator.exchanges.some((x) => x.path.endsWith('/payments/prepare') && x.status === 409)).to.equal(true);
    expect(operator.charged().filter((c) => c.phoneNumber === member.line && c.amount === 3000)).to.have.length(1);
    expect(await purchases(app, member.provisionalId)).to.have.length(1);
  });

  it('a Twilio retry of the confirming step replays the same code; the line is charged once', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    await call.press('1');
    const code = codeIn(call);
    const retry = await call.twilioRetriesLastRequest();
    expect(spokenNumbers(retry.verbs).find((n) => n.length === 16)).to.equal(code);
    expect(operator.charged().filter((c) => c.phoneNumber === member.line && c.amount === 3000)).to.have.length(1);
  });

  it('a payment request approved on the phone bill, and activation by the line that calls', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const activation = (await readLedger(app.redis, member.provisionalId))[0]!;
    expect(activation).to.include({ kind: 'activation', method: 'carrier-billing', amount: 300 });
    const shop = await createMerchant(app, 'Line Shop');
    const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 1200, description: 'Tea' }, merchantAuth(shop, { 'Idempotency-Key': randomBytes(8).toString('hex') }));
    const call = new TestCall(app, member.line);
    await call.dial();
    await call.press('3');
    await call.press(`${member.formalId}#`);
    await call.press(`${PIN}#`);
    await call.press(`${created.body.number}#`);
    expect(call.heardText()).to.include('携帯電話料金と合わせて請求されます');
    await call.press('1');
    expect(call.heardText()).to.include('承認しました');
    expect((await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop))).body.status).to.equal('approved');
    expect(operator.charged().filter((c) => c.phoneNumber === member.line).map((c) => c.amount).sort((a, b) => a - b)).to.deep.equal([300, 1200]);
  });

  it('the operator\'s notifications (CloudEvents with the sink\'s bearer token) are taken once each; a wrong token is refused; what the call told stands', async () => {
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    await call.press('1');
    const mine = operator.events.filter((e) => operator.payments.get(e.event.data.paymentId)?.amountTransaction.phoneNumber === member.line);
    expect(mine.map((e) => e.event.type.replace('org.camaraproject.carrier-billing.v0.', ''))).to.include.members(['payment-reserved', 'payment-completed']);
    for (const { event, status } of mine) {
      expect(status).to.equal(204);
      expect(camaraProblems('cloudEvent', event)).to.deep.equal([]);
    }
    const completed = mine.find((e) => e.event.type.endsWith('payment-completed'))!.event;
    const again = await fetch(`${app.url}/carrier-billing/events`, { method: 'POST', headers: { 'Content-Type': 'application/cloudevents+json', Authorization: `Bearer ${SINK_TOKEN}` }, body: JSON.stringify(completed) });
    expect(again.status).to.equal(204);
    const wrong = await fetch(`${app.url}/carrier-billing/events`, { method: 'POST', headers: { 'Content-Type': 'application/cloudevents+json', Authorization: 'Bearer nope' }, body: JSON.stringify(completed) });
    expect(wrong.status).to.equal(401);
    expect((await wrong.json()).error.code).to.equal('unauthenticated');
    await app.background!.runOnce();
    expect(await purchases(app, member.provisionalId), 'booked once, not refunded').to.have.length(1);
    expect(operator.refunds).to.deep.equal([]);
  });

  it('when the operator cannot be reached after it charged, the caller hears the truth; the background reads the payment back and refunds it in full through the Refund API, once', async function () {
    this.timeout(60_000);
    const member = await memberOn(app, uniqueCallerNumber());
    const call = await atCodePrice(app, member);
    // The confirm is made, but its answer never comes in time (twice: the client sends it again), and the payment cannot be read back.
    operator.breakNext(/\/confirm$/, { delayMs: 7000 });
    operator.breakNext(/\/confirm$/, { delayMs: 7000 });
    operator.breakNext(/\/payments\/[A-Za-z0-9_-]{15,}$/, 'drop');
    operator.breakNext(/\/payments\/[A-Za-z0-9_-]{15,}$/, 'drop');
    await call.press('1');
    expect(call.heardText()).to.include('お支払いを確認できませんでした').and.to.include('全額を返金');
    const [payment] = operator.charged().filter((c) => c.phoneNumber === member.line && c.amount === 3000);
    expect(payment, 'the operator did charge it').to.exist;
    app.clock.now += (app.config.cardChargeLeaseSeconds + 1) * 1000;
    await app.background!.runOnce();
    await app.background!.runOnce();
    expect(operator.refunds.filter((r) => r.paymentId === payment!.paymentId)).to.have.length(1);
    expect(await purchases(app, member.provisionalId)).to.deep.equal([]);
    expect(await spent(app, member.provisionalId)).to.equal(0);
    // The member page says so.
    const page = await (await fetch(`${app.url}/service`, { headers: { Cookie: member.cookie } })).text();
    expect(page).to.include('data-testid="refund"').and.to.include('3,000').and.to.include('携帯電話料金').and.to.include('全額を返金しました');
  });
});
