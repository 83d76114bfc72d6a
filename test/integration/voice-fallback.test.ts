import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { startFaultyFront, type FrontFault } from '../support/faulty-front.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { createMerchant, merchantAuth } from '../support/payments.ts';
import { startCarrierStandIn, type CarrierStandIn } from '../../simulator/carrier-billing.ts';
import { spokenNumbers } from '../support/twiml.ts';

const PIN = '2468';
const FALLBACK_JA = 'お手続きの結果をお伝えできませんでした';

/**
 * A step whose answer never reaches Twilio (the app down behind its proxy, the answer lost on the
 * way back, or later than Twilio's 15 s): Twilio plays the number's fallback URL, which dialpass
 * answers with words true whatever happened; nothing is charged twice, and the next call hears
 * what was done. Every call goes through the simulator, through a front that fails on purpose.
 */
describe('when a step\'s answer never arrives: the fallback URL and the next call', () => {
  let app: TestApp;
  let front: Awaited<ReturnType<typeof startFaultyFront>>;
  before(async () => {
    app = await startTestApp();
    front = await startFaultyFront(app.url);
  });
  after(async () => {
    await front.close();
    await app.close();
  });

  /** Requests to `path` meet `fault`; everything else (the fallback URL included) passes. */
  const failOn = (path: string, fault: FrontFault) => front.set((req) => (new URL(req.url ?? '/', 'http://x').pathname === path ? fault : 'pass'));

  async function member(): Promise<{ line: string; member: ActiveMember }> {
    const line = uniqueCallerNumber();
    return { line, member: await activeMember(app, { pin: PIN, from: line }) };
  }

  /** Signs in for a code through the front and presses 1 at the price, with the confirmation meeting `fault`. */
  async function buyThrough(line: string, who: ActiveMember, fault: FrontFault): Promise<TestCall> {
    front.set(() => 'pass');
    const call = new TestCall(app, line, undefined, { via: front.url });
    await call.dial();
    await call.press('2');
    await call.press(`${who.formalId}#`);
    await call.press(`${PIN}#`);
    await call.press('1');
    failOn('/twilio/voice/pay/confirm', fault);
    await call.press('1');
    return call;
  }

  const purchases = async (who: ActiveMember) => (await readLedger(app.redis, who.provisionalId)).filter((e) => e.kind === 'code_purchase');

  async function signIn(line: string, who: ActiveMember, menuKey = '2'): Promise<TestCall> {
    const call = new TestCall(app, line);
    await call.dial();
    await call.press(menuKey);
    await call.press(`${who.formalId}#`);
    await call.press(`${PIN}#`);
    return call;
  }

  it('a step answered 500 before the app saw it: the caller hears the fallback, nothing was charged, and the next call has nothing to tell', async () => {
    const { line, member: who } = await member();
    const call = await buyThrough(line, who, 'refuse');
    expect(call.events.some((e) => e.type === 'fallback' && e.errorCode === '11200')).to.equal(true);
    expect(call.heardText()).to.include(FALLBACK_JA);
    expect(call.hungUp()).to.equal(true);
    expect(await purchases(who)).to.have.length(0);
    const next = await signIn(line, who);
    expect(next.heardText()).to.not.include('前回の通話');
    expect(next.heardText()).to.include('500円は1');
  });

  it('a step that charged and whose answer was lost on the way back (500): charged once, and the next call reads the code first, once', async () => {
    const { line, member: who } = await member();
    const call = await buyThrough(line, who, 'lose-answer');
    expect(call.heardText()).to.include(FALLBACK_JA);
    const [bought, ...more] = await purchases(who);
    expect(more).to.deep.equal([]);
    const next = await signIn(line, who);
    expect(next.heardText()).to.include('前回の通話でお伝えできなかったコードです');
    const [code, again] = next.heardNumbers();
    expect(code).to.equal(again).and.to.match(/^\d{16}$/);
    expect(code!.slice(-4)).to.equal(bought!.codeLast4);
    // The recovery call then offers the menu; it charges nothing more.
    expect(next.gatherAction()).to.include('/twilio/voice/menu');
    await next.press('0');
    expect(await purchases(who)).to.have.length(1);
    const third = await signIn(line, who);
    expect(third.heardText(), 'heard once, then no more').to.not.include('前回の通話');
  });

  it('a step that charged and answered after 16 s: Twilio gave up at 15 s (error 11205) and played the fallback; charged once, the code read on the next call', async function () {
    this.timeout(90_000);
    const { line, member: who } = await member();
    const call = await buyThrough(line, who, { holdMs: 16_000 });
    const fallback = call.events.find((e) => e.type === 'fallback');
    expect(fallback).to.include({ errorCode: '11205' });
    expect((fallback as { errorUrl: string }).errorUrl).to.include('/twilio/voice/pay/confirm');
    expect(call.heardText()).to.include(FALLBACK_JA);
    expect(await purchases(who)).to.have.length(1);
    expect(await app.redis.zcard(keys.memberCodes(who.provisionalId))).to.equal(1);
    const next = await signIn(line, who);
    expect(next.heardText()).to.include('前回の通話でお伝えできなかったコードです');
    expect(next.heardNumbers()[0]!.slice(-4)).to.equal((await purchases(who))[0]!.codeLast4);
  });

  it('a code heard in full is not read again on the next call', async () => {
    const { line, member: who } = await member();
    const call = await signIn(line, who);
    await call.press('1');
    await call.press('1');
    expect(call.heardText()).to.include('購入しました');
    await call.press('0');
    const next = await signIn(line, who);
    expect(next.heardText()).to.not.include('前回の通話');
  });

  it('an approval whose answer was lost: approved and charged once, and the next call says it was approved', async () => {
    const { line, member: who } = await member();
    const shop = await createMerchant(app, 'Pan-ya Komugi');
    const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 800, description: 'Bread' }, merchantAuth(shop, { 'Idempotency-Key': `fb-${line}` }));
    expect(created.status).to.equal(201);
    front.set(() => 'pass');
    const call = new TestCall(app, line, undefined, { via: front.url });
    await call.dial();
    await call.press('3');
    await call.press(`${who.formalId}#`);
    await call.press(`${PIN}#`);
    await call.press(`${created.body.number}#`);
    failOn('/twilio/voice/approve/decision', 'lose-answer');
    await call.press('1');
    expect(call.heardText()).to.include(FALLBACK_JA);
    expect((await readLedger(app.redis, who.provisionalId)).filter((e) => e.kind === 'payment_approval')).to.have.length(1);
    expect(await app.redis.hget(keys.paymentRequest(created.body.id), 'status')).to.equal('approved');
    const next = await signIn(line, who, '3');
    expect(next.heardText()).to.include('前回の通話で、Pan-ya Komugiへの800円のお支払いを承認しました');
  });

  it('the fallback speaks the language of the step that failed, and both languages when the voice URL itself failed', async () => {
    const { provisionalId } = await register(app, 'Jo', 'jo@example.com', 'en-US');
    front.set(() => 'pass');
    const call = new TestCall(app, uniqueCallerNumber(), undefined, { via: front.url });
    await call.dial();
    await call.press('1');
    await call.press(`${provisionalId}#`);
    failOn('/twilio/voice/activation/next', 'refuse');
    await call.press('2');
    expect(call.heardText()).to.include('a problem on our side kept us from telling you the result').and.to.not.include(FALLBACK_JA);
    failOn('/twilio/voice', 'refuse');
    const down = new TestCall(app, uniqueCallerNumber(), undefined, { via: front.url });
    await down.dial();
    expect(down.heardText()).to.include(FALLBACK_JA).and.to.include('a problem on our side');
  });
});

/**
 * On the phone bill (issue 29) a purchase the operator asks to validate is charged on the step
 * where the caller keys the texted code (/twilio/voice/carrier/code), not on the price's step: an
 * answer lost there must be read on the next call too.
 */
describe('when the answer to a texted code (carrier billing) never arrives', () => {
  let operator: CarrierStandIn;
  let app: TestApp;
  let front: Awaited<ReturnType<typeof startFaultyFront>>;
  before(async () => {
    operator = await startCarrierStandIn();
    app = await startTestApp({ CHARGE_METHOD: 'carrier-billing', ...operator.env, CODE_DENOMINATIONS: '1000,3000,5000' });
    front = await startFaultyFront(app.url);
  });
  after(async () => {
    await front.close();
    await app.close();
    await operator.close();
  });

  it('a code charged on the phone bill whose answer was lost on the way back: charged once, and the next call reads the code first', async () => {
    const line = uniqueCallerNumber();
    const { provisionalId, password } = await register(app);
    const first = new TestCall(app, line);
    await first.dial();
    await first.press(`${provisionalId}#`);
    const formalId = spokenNumbers((await first.press('1')).verbs)[0]!;
    expect(formalId, first.last.body).to.match(/^\d{9}$/);
    await first.hangUp();
    const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: PIN }) });

    operator.lines.set(line, { validation: true });
    front.set(() => 'pass');
    const call = new TestCall(app, line, undefined, { via: front.url });
    await call.dial();
    await call.press('2');
    await call.press(`${formalId}#`);
    await call.press(`${PIN}#`);
    await call.press('2');
    await call.press('1');
    expect(call.gatherAction(), call.last.body).to.include('/twilio/voice/carrier/code');
    front.set((req) => (new URL(req.url ?? '/', 'http://x').pathname === '/twilio/voice/carrier/code' ? 'lose-answer' : 'pass'));
    await call.press(`${operator.sms.get(line)!.at(-1)}#`);
    expect(call.heardText()).to.include(FALLBACK_JA);
    const bought = (await readLedger(app.redis, provisionalId)).filter((e) => e.kind === 'code_purchase');
    expect(bought).to.have.length(1);

    const next = new TestCall(app, line);
    await next.dial();
    await next.press('2');
    await next.press(`${formalId}#`);
    await next.press(`${PIN}#`);
    expect(next.heardText()).to.include('前回の通話でお伝えできなかったコードです');
    const [code, again] = next.heardNumbers();
    expect(code).to.equal(again).and.to.match(/^\d{16}$/);
    expect(code!.slice(-4)).to.equal(bought[0]!.codeLast4);
  });
});
