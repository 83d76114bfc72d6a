import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { keys } from '../../src/store/keys.ts';
import { MAX_CALL_AGE_SECONDS } from '../../src/voice/call-state.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { createMerchant, merchantPost } from '../support/payments.ts';
import { jsonRequest } from '../support/harness.ts';
import { findVerb, spokenText } from '../support/twiml.ts';

describe('real callers: languages, withheld numbers, limits that hold under bursts', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  for (const withheld of ['anonymous', 'Restricted', '+266696687', '+7378742833', '+2562533', '+8656696', '']) {
    it(`a caller whose number is withheld ("${withheld}") is asked, in both languages, to call again with it shown; nothing is counted against any line`, async () => {
      const call = new TestCall(app, withheld);
      await call.dial();
      expect(call.hungUp()).to.equal(true);
      const says = call.events.filter((e) => e.type === 'say');
      expect(says.map((e) => e.language)).to.deep.equal(['ja-JP', 'en-US']);
      // 186 is dialled digit by digit, so it is read that way (say-as digits: いち・はち・ろく).
      expect(call.heardText()).to.include('1 8 6').and.to.include('without withholding your number');
      expect(call.heardNumbers()).to.include('186');
      expect(await app.redis.exists(keys.lineWrongEntries(withheld))).to.equal(0);
    });
  }

  it('a line a member has used before is greeted in the member language, greeting included', async () => {
    const line = uniqueCallerNumber();
    await activeMember(app, { from: line, locale: 'en-US' });
    const call = new TestCall(app, line);
    const { verbs } = await call.dial();
    const says = findVerb(verbs, 'Gather')!.children.filter((c) => c.name === 'Say');
    expect(says[0]!.attributes.language).to.equal('en-US');
    // The member's language is known: no other-language offer (9 still switches).
    expect(spokenText(verbs)).to.include('Thank you for calling dialpass').and.to.not.include('日本語は9');
  });

  it('a member whose language the call knows hears the menu again after a renewal, an approval or a decline without the other-language offer, and 9 still switches', async () => {
    const offer = /For English, press 9|日本語は9/;
    const line = uniqueCallerNumber();
    const member = await activeMember(app, { from: line, pin: '2468' });
    const shop = await createMerchant(app);
    const requestNumber = async () => (await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 500, description: 'Tea' }, merchantPost(shop))).body.number as string;
    const signedIn = async (key: string) => {
      const call = new TestCall(app, line);
      await call.dial();
      await call.press(key);
      await call.press(`${member.formalId}#`);
      await call.press('2468#');
      return call;
    };

    const menuAgain = new TestCall(app, line);
    expect(spokenText((await menuAgain.dial()).verbs)).to.not.match(offer);
    expect(spokenText((await menuAgain.press('0')).verbs), 'the menu asked for again, on a member\'s line').to.include('本登録は1').and.not.match(offer);

    const renewing = await signedIn('4');
    const renewed = spokenText((await renewing.press('1')).verbs);
    expect(renewed).to.include('更新しました').and.not.match(offer);

    for (const [choice, said] of [['1', '承認しました'], ['2', 'お断りしました']] as const) {
      const deciding = await signedIn('3');
      await deciding.press(`${await requestNumber()}#`);
      const decided = spokenText((await deciding.press(choice)).verbs);
      expect(decided, `after pressing ${choice}`).to.include(said).and.include('本登録は1').and.not.match(offer);
      if (choice === '2') {
        // Not offered, still there: 9 switches the call to English.
        expect(spokenText((await deciding.press('9')).verbs)).to.include('To buy a code, 2');
      }
    }

    const firstTime = new TestCall(app);
    await firstTime.dial();
    expect(spokenText((await firstTime.press('0')).verbs), 'a caller whose language is not known is still offered the other one').to.match(offer);
  });

  it('wrong entries add up across steps until the caller proves who they are: a wrong menu key and two formal-ID typos end the call', async () => {
    const call = new TestCall(app, uniqueCallerNumber());
    await call.dial();
    await call.press('0'); // the menu, from the first-call greeting
    await call.press('7'); // not on the menu: 1
    await call.press('2');
    await call.press('12345670#'); // 2
    expect(call.hungUp()).to.equal(false);
    const { verbs } = await call.press('12345671#'); // 3, at another step than the first
    expect(call.hungUp()).to.equal(true);
    expect(spokenText(verbs)).to.include('入力の誤りが続いたため');
  });

  it('a member who mistypes the formal ID and the PIN, then signs in, has three more tries at the request number: the count starts over once they are known', async () => {
    const line = uniqueCallerNumber();
    const member = await activeMember(app, { pin: '1357' });
    const call = new TestCall(app, line);
    await call.dial();
    await call.press('0');
    await call.press('3');
    await call.press('12345670#'); // formal ID typo: 1
    await call.press(`${member.formalId}#`);
    await call.press('0000#'); // wrong PIN: 2
    await call.press('1357#'); // signed in: the count starts over
    await call.press('1#'); // request-number typo: 1 (four wrong entries in the call)
    await call.press('2#'); // 2
    expect(call.hungUp(), 'four wrong entries in the call, two since signing in').to.equal(false);
    expect(spokenText(call.last.verbs)).to.not.include('入力の誤りが続いたため');
    await call.press('3#'); // 3 since signing in
    expect(call.hungUp()).to.equal(true);
    expect(spokenText(call.last.verbs)).to.include('入力の誤りが続いたため');
  });

  it('an English registrant who keys the provisional ID in the Japanese menu hears the rest of the call in English', async () => {
    const { provisionalId } = await register(app, 'Jo', 'jo@example.com', 'en-US');
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.press(`${provisionalId}#`);
    const says = call.events.filter((e) => e.type === 'say');
    expect(says.every((e) => e.language === 'en-US')).to.equal(true);
    expect(call.heardText()).to.include('Your formal ID is').and.to.include('300 yen');
  });

  it('a mistyped entry and silence are each asked again; the second silence in a row ends the call', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.silence();
    expect(call.heardText()).to.include('入力が確認できませんでした');
    await call.press('123#');
    expect(call.heardText()).to.include('誤り');
    await call.silence();
    expect(call.hungUp()).to.equal(false);
    await call.silence();
    expect(call.hungUp()).to.equal(true);
  });

  it('forty calls from one line keying wrong IDs at once get exactly the daily limit of guesses checked', async () => {
    const strict = await startTestApp({ LINE_MAX_WRONG_ENTRIES_PER_DAY: '20' });
    try {
      const line = uniqueCallerNumber();
      const calls = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const call = new TestCall(strict, line);
          await call.dial();
          await call.press('1');
          return call;
        }),
      );
      await Promise.all(calls.map((c) => c.press('00000000000#')));
      const refused = calls.filter((c) => c.heardText().includes('この電話番号からの誤った入力が多すぎる')).length;
      expect(refused).to.equal(20);
      expect(Number(await strict.redis.get(keys.lineWrongEntries(line)))).to.equal(20);
    } finally {
      await strict.close();
    }
  });

  it('eight simultaneous wrong PINs for one member get exactly five checked before phone use locks', async () => {
    const member = await activeMember(app, { pin: '1357' });
    const calls = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const call = new TestCall(app);
        await call.dial();
        await call.press('4');
        await call.press(`${member.formalId}#`);
        return call;
      }),
    );
    await Promise.all(calls.map((c) => c.press('9999#')));
    expect(calls.filter((c) => c.heardText().includes('暗証番号が違います')).length).to.equal(4);
    expect(calls.filter((c) => c.heardText().includes('停止しています')).length).to.equal(4);
    expect(await app.redis.hget(keys.account(member.provisionalId), 'pinFailures')).to.equal('5');
  });

  it('a signed step replayed after any call could have ended is refused, and nothing is charged', async () => {
    const member = await activeMember(app, { pin: '2468' });
    const call = new TestCall(app);
    await call.dial();
    await call.press('4');
    await call.press(`${member.formalId}#`);
    await call.press('2468#');
    const saved = app.clock.now;
    app.clock.now += (MAX_CALL_AGE_SECONDS + 60) * 1000;
    try {
      await call.press('1');
      expect(call.heardText()).to.include('時間切れ');
      expect(call.hungUp()).to.equal(true);
      expect(await readLedger(app.redis, member.provisionalId)).to.have.length(1);
    } finally {
      app.clock.now = saved;
    }
  });
});
