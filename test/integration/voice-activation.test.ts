import { expect } from 'chai';
import { keys } from '../../src/store/keys.ts';
import { readLedger } from '../../src/accounts/ledger.ts';
import { dammCheckDigit } from '../../src/identifiers/damm.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { findVerb, spokenNumbers, spokenText, textOf } from '../support/twiml.ts';

const mistype = (id: string) => id.slice(0, 3) + String((Number(id[3]) + 1) % 10) + id.slice(4);

describe('activating by phone', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  async function atActivationPrompt(from?: string) {
    const call = new TestCall(app, from);
    await call.dial();
    await call.press('1');
    return call;
  }

  it('when the call comes in, the caller hears the menu in the default language and may press one key', async () => {
    const call = new TestCall(app);
    const { status, verbs } = await call.dial();
    expect(status).to.equal(200);
    const gather = findVerb(verbs, 'Gather')!;
    expect(gather.attributes).to.include({ numDigits: '1', input: 'dtmf', method: 'POST' });
    expect(gather.attributes.action).to.match(/^https:\/\/dialpass\.example\.test\/twilio\/voice\/menu\?/);
    const say = gather.children.find((c) => c.name === 'Say')!;
    expect(say.attributes).to.include({ language: 'ja-JP', voice: 'Polly.Mizuki' });
    expect(findVerb(verbs, 'Redirect'), 'silence falls through to a redirect').to.exist;
  });

  it('an unknown caller is offered English in an English voice right after the greeting, and 9 switches the menu to English', async () => {
    const call = new TestCall(app);
    const { verbs } = await call.dial();
    const says = findVerb(verbs, 'Gather')!.children.filter((c) => c.name === 'Say');
    expect(says[1]!.attributes).to.include({ language: 'en-US', voice: 'Polly.Joanna' });
    expect(textOf(says[1]!)).to.include('For English, press 9');
    const english = await call.press('9');
    const menu = findVerb(english.verbs, 'Gather')!.children.filter((c) => c.name === 'Say');
    expect(menu.at(-1)!.attributes).to.include({ language: 'en-US', voice: 'Polly.Joanna' });
    expect(spokenText(english.verbs)).to.include('To activate, press 1');
    expect(menu[0]!.attributes, 'Japanese is offered back in a Japanese voice').to.include({ language: 'ja-JP' });
  });

  it('when the caller keys nothing at the menu, it is said again once; a second silence ends the call politely', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.silence();
    expect(call.hungUp()).to.equal(false);
    expect(call.heardText()).to.include('入力が確認できませんでした');
    await call.silence();
    expect(call.hungUp()).to.equal(true);
    expect(call.heardText()).to.include('通話を終了します');
  });

  it('in the one-key menu, # is a key like any other: the caller is told it is not on the menu', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.press('#');
    expect(call.heardText()).to.include('そのボタンはメニューにありません');
    expect(call.hungUp()).to.equal(false);
  });

  it('when the caller keys a mistyped provisional ID, they are told it does not add up and asked again', async () => {
    const { provisionalId } = await register(app);
    const call = await atActivationPrompt();
    const { verbs } = await call.press(`${mistype(provisionalId)}#`);
    expect(spokenText(verbs)).to.include('番号に誤りがある');
    expect(findVerb(verbs, 'Gather')!.attributes.action).to.include('/twilio/voice/activation');
    expect(call.hungUp()).to.equal(false);
    const activated = await call.press(`${provisionalId}#`);
    expect(spokenNumbers(activated.verbs)).to.have.length(2);
  });

  it('when the caller keys garbage, it counts as a wrong entry and they are asked again', async () => {
    const call = await atActivationPrompt();
    const { status, verbs } = await call.press('12*#');
    expect(status).to.equal(200);
    expect(spokenText(verbs)).to.include('番号に誤りがある');
    expect(findVerb(verbs, 'Gather')).to.exist;
  });

  it('after three wrong entries in one call, the call ends politely', async () => {
    const call = await atActivationPrompt('+819000000001');
    await call.press('00000000000#');
    await call.press('11111111111#');
    expect(call.hungUp()).to.equal(false);
    const { verbs } = await call.press('22222222222#');
    expect(call.hungUp()).to.equal(true);
    expect(spokenText(verbs)).to.include('入力の誤りが続いたため');
    expect(findVerb(verbs, 'Gather')).to.not.exist;
  });

  it('an already activated provisional ID is told apart from a typo, and the formal ID is not read to the second caller', async () => {
    const { provisionalId } = await register(app);
    const first = await atActivationPrompt();
    const formalId = spokenNumbers((await first.press(`${provisionalId}#`)).verbs)[0]!;
    const second = await atActivationPrompt('+819011112222');
    const { verbs } = await second.press(`${provisionalId}#`);
    expect(spokenText(verbs)).to.include('すでに有効化されています');
    expect(spokenNumbers(verbs)).to.be.empty;
    expect(spokenText(verbs)).to.not.include(formalId);
  });

  it('when the call dropped during the read-out, calling again from the line that paid and keying the provisional ID reads the formal ID again, and charges nothing more', async () => {
    const { provisionalId } = await register(app);
    const first = await atActivationPrompt('+819077770001');
    const formalId = spokenNumbers((await first.press(`${provisionalId}#`)).verbs)[0]!;
    await first.hangUp();
    const again = await atActivationPrompt('+819077770001');
    const { verbs } = await again.press(`${provisionalId}#`);
    // Dialpass charges nothing more; the premium-rate number still bills this call its tariff, and the caller hears so.
    expect(spokenText(verbs)).to.include('この電話から有効化済み').and.include('この通話の料金300円は、電話会社から請求されます');
    expect(spokenNumbers(verbs)).to.deep.equal([formalId, formalId]);
    expect((await readLedger(app.redis, provisionalId)).length).to.equal(1);
    const { verbs: onceMore } = await again.press('1');
    expect(spokenNumbers(onceMore), 'the after-formal-ID menu works as after a first activation').to.deep.equal([formalId]);
  });

  it('an unknown provisional ID with a valid check digit is told apart from a typo', async () => {
    const call = await atActivationPrompt();
    const { verbs } = await call.press(`1234567890${dammCheckDigit('1234567890')}#`);
    expect(spokenText(verbs)).to.include('見つからないか、有効期限が切れています');
  });

  it('a provisional ID used after PENDING_REGISTRATION_TTL_SECONDS has expired and says so', async () => {
    const shortLived = await startTestApp({ PENDING_REGISTRATION_TTL_SECONDS: '1' });
    try {
      const { provisionalId } = await register(shortLived);
      await new Promise((r) => setTimeout(r, 1500));
      const call = new TestCall(shortLived);
      await call.dial();
      await call.press('1');
      const { verbs } = await call.press(`${provisionalId}#`);
      expect(spokenText(verbs)).to.include('有効期限が切れています');
      expect(spokenNumbers(verbs)).to.be.empty;
    } finally {
      await shortLived.close();
    }
  });

  it('activation grants ACCESS_PERIOD_DAYS of access and records one charge against the calling line', async () => {
    const { provisionalId } = await register(app);
    const call = await atActivationPrompt('+819099998888');
    await call.press(`${provisionalId}#`);
    const account = await app.redis.hgetall(keys.account(provisionalId));
    expect(Number(account.accessExpiresAt) - app.clock.now).to.equal(30 * 86_400_000);
    const ledger = await readLedger(app.redis, provisionalId);
    expect(ledger).to.have.length(1);
    expect(ledger[0]).to.include({ kind: 'activation', amount: 300, currency: 'JPY', callSid: call.callSid, from: '+819099998888', at: app.clock.now });
    expect(await app.redis.exists(keys.pendingRegistration(provisionalId))).to.equal(0);
  });

  it('after hearing the formal ID, pressing 1 reads it again', async () => {
    const { provisionalId } = await register(app);
    const call = await atActivationPrompt();
    const formalId = spokenNumbers((await call.press(`${provisionalId}#`)).verbs)[0];
    const { verbs } = await call.press('1');
    expect(spokenNumbers(verbs)).to.deep.equal([formalId]);
  });

  it('twenty simultaneous calls keying the same provisional ID produce exactly one formal ID and one charge', async () => {
    const { provisionalId } = await register(app);
    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => atActivationPrompt(`+81901000${String(i).padStart(4, '0')}`)));
    const answers = await Promise.all(calls.map((c) => c.press(`${provisionalId}#`)));
    const heard = answers.map((a) => spokenNumbers(a.verbs)[0]).filter(Boolean);
    expect(heard).to.have.length(1);
    expect((await readLedger(app.redis, provisionalId)).length).to.equal(1);
    const account = await app.redis.hgetall(keys.account(provisionalId));
    expect(account.formalId).to.equal(heard[0]);
    expect(await app.redis.get(keys.formalIdIndex(heard[0]!))).to.equal(provisionalId);
  });

  it('a Twilio retry of the same request (same CallSid, same step) returns the same TwiML and charges nothing more', async () => {
    const { provisionalId } = await register(app);
    const call = await atActivationPrompt();
    const first = await call.press(`${provisionalId}#`);
    const retry = await call.twilioRetriesLastRequest();
    expect(retry.body).to.equal(first.body);
    expect((await readLedger(app.redis, provisionalId)).length).to.equal(1);
  });

  it('formal IDs are unique across many activations', async () => {
    const formalIds = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const { provisionalId } = await register(app);
      const call = await atActivationPrompt();
      formalIds.add(spokenNumbers((await call.press(`${provisionalId}#`)).verbs)[0]!);
    }
    expect(formalIds.size).to.equal(15);
  });

  it("when the caller hangs up, Twilio's status callback records how the call ended and how long it took", async () => {
    const call = new TestCall(app, '+819012345678');
    await call.dial();
    await call.hangUp();
    const statusAnswer = call.events.filter((e) => e.type === 'response').at(-1);
    expect(statusAnswer).to.deep.include({ status: 204 });
    const record = await app.redis.hgetall(keys.call(call.callSid));
    expect(record).to.include({ CallStatus: 'completed', From: '+819012345678' });
    expect(Number(record.CallDuration)).to.be.at.least(1);
  });
});
