import { expect } from 'chai';
import { keys } from '../../src/store/keys.ts';
import { readLedger } from '../../src/accounts/ledger.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { findVerb, spokenText } from '../support/twiml.ts';

describe('renewing access by phone (menu 4)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  async function signIn(formalId: string, pin: string) {
    const call = new TestCall(app);
    await call.dial();
    await call.press('4');
    await call.press(`${formalId}#`);
    await call.press(`${pin}#`);
    return call;
  }

  /** Signed in, the caller hears the price and presses 1. */
  async function renew(formalId: string, pin: string) {
    const call = await signIn(formalId, pin);
    expect(call.heardText()).to.include('料金は300円です');
    await call.press('1');
    return call;
  }

  it('formal ID and PIN lead to the price; pressing 1 renews access for another period and records another charge', async () => {
    const member = await activeMember(app, { pin: '4321' });
    const before = Number(await app.redis.hget(keys.account(member.provisionalId), 'accessExpiresAt'));
    const call = await signIn(member.formalId, '4321');
    expect(call.heardText()).to.include('料金は300円です');
    expect((await readLedger(app.redis, member.provisionalId)).length, 'nothing is charged before the caller agrees').to.equal(1);
    await call.press('1');
    expect(spokenText(call.last.verbs)).to.include('更新しました');
    const after = Number(await app.redis.hget(keys.account(member.provisionalId), 'accessExpiresAt'));
    expect(after - before).to.equal(30 * 86_400_000);
    const ledger = await readLedger(app.redis, member.provisionalId);
    expect(ledger.map((entry) => entry.kind)).to.deep.equal(['activation', 'renewal']);
  });

  it('renewing after access expired counts the new period from now', async () => {
    const member = await activeMember(app, { pin: '4321' });
    const saved = app.clock.now;
    app.clock.now += 40 * 86_400_000;
    try {
      await renew(member.formalId, '4321');
      const after = Number(await app.redis.hget(keys.account(member.provisionalId), 'accessExpiresAt'));
      expect(after).to.equal(app.clock.now + 30 * 86_400_000);
    } finally {
      app.clock.now = saved;
    }
  });

  it('a Twilio retry of the renewing request renews and charges only once', async () => {
    const member = await activeMember(app, { pin: '4321' });
    const call = await renew(member.formalId, '4321');
    const retry = await call.twilioRetriesLastRequest();
    expect(retry.body).to.equal(call.last.body);
    expect((await readLedger(app.redis, member.provisionalId)).length).to.equal(2);
  });

  it('silence or 2 at the price charges nothing; a second renewal in the same call is refused without a charge', async () => {
    const member = await activeMember(app, { pin: '4321' });
    const call = await signIn(member.formalId, '4321');
    await call.silence();
    expect(call.heardText()).to.include('入力が確認できませんでした');
    await call.press('2');
    // On a premium-rate number the call is the price, renewed or not: never "you have not been charged".
    expect(call.heardText()).to.include('更新を取りやめました').and.to.include('この通話の料金300円は、電話会社から請求されます').and.not.include('料金はかかっていません');
    expect((await readLedger(app.redis, member.provisionalId)).length).to.equal(1);
    await call.press('4');
    await call.press('1');
    expect(call.heardText()).to.include('更新しました');
    // The call has paid for one renewal: a second is refused at the menu, before any price.
    await call.press('4');
    expect(call.heardText()).to.include('すでに1件のお支払いに充てられています');
    expect((await readLedger(app.redis, member.provisionalId)).length).to.equal(2);
  });

  it('a wrong PIN is explained and asked for again', async () => {
    const member = await activeMember(app, { pin: '4321' });
    const call = await signIn(member.formalId, '9999');
    expect(spokenText(call.last.verbs)).to.include('暗証番号が違います');
    expect(findVerb(call.last.verbs, 'Gather')!.attributes.action).to.include('/twilio/voice/sign-in/pin');
    await call.press('4321#');
    await call.press('1');
    expect(spokenText(call.last.verbs)).to.include('更新しました');
  });

  it('a member without a PIN is told to set one on the member page', async () => {
    const member = await activeMember(app);
    const call = new TestCall(app);
    await call.dial();
    await call.press('4');
    await call.press(`${member.formalId}#`);
    expect(spokenText(call.last.verbs)).to.include('会員ページで暗証番号を設定');
    expect(call.hungUp()).to.equal(true);
  });

  it('five wrong PINs in a row lock phone use until a new PIN is set on the web', async () => {
    const member = await activeMember(app, { pin: '4321' });
    for (const wrong of ['1111', '2222']) {
      const call = await signIn(member.formalId, wrong);
      await call.press('3333#');
    }
    const call = new TestCall(app);
    await call.dial();
    await call.press('4');
    await call.press(`${member.formalId}#`);
    await call.press('5555#');
    expect(spokenText(call.last.verbs)).to.include('電話でのお手続きを停止しています');
    expect(call.hungUp()).to.equal(true);

    const locked = new TestCall(app);
    await locked.dial();
    await locked.press('4');
    await locked.press(`${member.formalId}#`);
    expect(spokenText(locked.last.verbs)).to.include('電話でのお手続きを停止しています');

    await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: member.cookie }, body: JSON.stringify({ pin: '8642' }) });
    const unlocked = await renew(member.formalId, '8642');
    expect(spokenText(unlocked.last.verbs)).to.include('更新しました');
  });

  it('inside an activation call paid on premium-rate, menu 4 is refused before anything is asked: the call has paid for the activation', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.press(`${provisionalId}#`);
    await call.press('0');
    const { verbs } = await call.press('4');
    expect(spokenText(verbs)).to.include('この通話の料金は、すでに1件のお支払いに充てられています').and.not.include('正式ID');
    expect((await readLedger(app.redis, provisionalId)).length).to.equal(1);
  });

  it('inside the activation call, menu 4 goes to the price without asking for the formal ID or PIN again (renewal by another method than the call)', async () => {
    const byCard = await startTestApp({ CHARGE_METHOD_RENEWAL: 'none' });
    try {
      const { provisionalId } = await register(byCard);
      const call = new TestCall(byCard);
      await call.dial();
      await call.press('1');
      await call.press(`${provisionalId}#`);
      await call.press('0');
      await call.press('4');
      const { verbs } = await call.press('1');
      expect(spokenText(verbs)).to.include('更新しました');
      expect((await readLedger(byCard.redis, provisionalId)).map((e) => e.method)).to.deep.equal(['premium-rate', 'none']);
    } finally {
      await byCard.close();
    }
  });

  it('a mistyped formal ID is explained and asked for again', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.press('4');
    const { verbs } = await call.press('12345678#');
    expect(spokenText(verbs)).to.include('正式IDに誤り');
    expect(findVerb(verbs, 'Gather')!.attributes.action).to.include('/twilio/voice/sign-in/id');
  });
});
