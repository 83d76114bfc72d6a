import { expect } from 'chai';
import { getAccount } from '../../src/accounts/accounts.ts';
import { readLedger } from '../../src/accounts/ledger.ts';
import { spokenDigits } from '../../src/speech/spoken-number.ts';
import { keys } from '../../src/store/keys.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { findVerb, spokenText } from '../support/twiml.ts';
import { TRANSCRIPTS } from '../support/spoken-transcripts.ts';
import { createMerchant, merchantAuth, merchantPost } from '../support/payments.ts';
import { jsonRequest } from '../support/harness.ts';

/** The digits as a Japanese caller says them: kana, one reading each (ゼロ, ヨン, ナナ, キュウ). */
const JA_SAID = ['ぜろ', 'いち', 'にー', 'さん', 'よん', 'ごー', 'ろく', 'なな', 'はち', 'きゅう'];
const EN_SAID = ['oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const sayJa = (digits: string, groups = [3, 4, 4]) => {
  const out: string[] = [];
  for (let i = 0, g = 0; i < digits.length; i += groups[g++] ?? 4) out.push([...digits.slice(i, i + (groups[g] ?? 4))].map((d) => JA_SAID[Number(d)]).join(''));
  return `えーと、${out.join('、')}です`;
};
const sayEn = (digits: string) => `my number is ${[...digits].map((d) => EN_SAID[Number(d)]).join(' ')}`;
const mistype = (id: string) => id.slice(0, 3) + String((Number(id[3]) + 1) % 10) + id.slice(4);

describe('saying it instead of keying it', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('every prompt of a first call listens in the call\'s language: the greeting in Japanese with the model, pause and hints of Japanese', async () => {
    const call = new TestCall(app);
    const { verbs } = await call.dial();
    const gather = findVerb(verbs, 'Gather')!;
    expect(gather.attributes).to.include({ input: 'dtmf speech', language: 'ja-JP', speechModel: 'numbers_and_commands', speechTimeout: '2' });
    expect(gather.attributes.hints).to.include('登録').and.to.include('イングリッシュ');
  });

  it('a first-time Japanese caller who only speaks: the provisional ID said at the greeting is read back, nothing is claimed until はい, then the formal ID', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.say(sayJa(provisionalId));
    expect(call.heardNumbers()).to.deep.equal([provisionalId]);
    expect(call.heardText()).to.include('と承りました').and.to.include('はい');
    expect(await getAccount(app.redis, provisionalId), 'nothing is claimed from speech not confirmed').to.equal(null);
    await call.say('はい');
    const [formalId, again] = call.heardNumbers();
    expect(formalId).to.match(/^\d{9}$/);
    expect(again).to.equal(formalId);
    expect((await getAccount(app.redis, provisionalId))?.formalId).to.equal(formalId);
  });

  it('an English caller says "English" at the Japanese greeting, then the ID in words; "yes" activates', async () => {
    const { provisionalId } = await register(app, 'Jane Doe', 'jane@example.com', 'en-US');
    const call = new TestCall(app);
    await call.dial();
    await call.say('English');
    const asked = findVerb(call.last.verbs, 'Gather')!;
    expect(asked.attributes).to.include({ input: 'dtmf speech', language: 'en-US' });
    await call.say(sayEn(provisionalId));
    expect(call.heardText()).to.include('I heard').and.to.include('Say yes or press 1');
    expect(call.heardNumbers()).to.deep.equal([provisionalId]);
    await call.say('Yes, that\'s right');
    expect(call.heardNumbers()[0]).to.match(/^\d{9}$/);
    expect(await getAccount(app.redis, provisionalId)).to.not.equal(null);
  });

  it('"no" at the read-back asks again and claims nothing; 1 on the keypad confirms a number said, as yes does', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.say(sayJa(mistype(provisionalId)));
    await call.say('いいえ');
    expect(call.heardText()).to.include('もう一度');
    expect(await getAccount(app.redis, provisionalId)).to.equal(null);
    await call.say(sayJa(provisionalId));
    expect(call.heardNumbers()).to.deep.equal([provisionalId]);
    await call.press('1');
    expect(call.heardNumbers()[0]).to.match(/^\d{9}$/);
  });

  it('a number heard and confirmed is checked as keys are: its check digit tells a slip from an unknown ID, and the line\'s guess is taken only then', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.say(sayJa(mistype(provisionalId)));
    expect(await app.redis.get(keys.lineWrongEntries(call.from)), 'a read-back takes no guess').to.equal(null);
    await call.say('はい');
    expect(call.heardText()).to.include('誤り');
    expect(Number(await app.redis.get(keys.lineWrongEntries(call.from)))).to.equal(1);
  });

  it('speech not understood is asked again and counts as a wrong entry; from the second miss the keypad is asked for and the prompt stops listening; a third ends the call', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.say('ろくごーにーさかな');
    expect(call.heardText()).to.include('聞き取れませんでした');
    expect(findVerb(call.last.verbs, 'Gather')!.attributes.input).to.equal('dtmf speech');
    await call.say('もしもし');
    expect(call.heardText()).to.include('ボタンで入力してください');
    expect(findVerb(call.last.verbs, 'Gather')!.attributes.input).to.equal('dtmf');
    // Speech to a prompt that no longer listens is silence, as Twilio would hear it.
    await call.say('ろくごーにー');
    expect(call.heardText()).to.include('入力が確認できませんでした');
    await call.press('12345#');
    expect(call.hungUp()).to.equal(true);
    expect(call.heardText()).to.include('入力の誤りが続いた');
  });

  it('too little confidence is asked again; no Confidence at all (Twilio need not send one) is read back as usual', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.say(sayJa(provisionalId), 0.2);
    expect(call.heardText()).to.include('聞き取れませんでした');
    expect(call.heardNumbers()).to.deep.equal([]);
    await call.say(sayJa(provisionalId), 'none');
    expect(call.heardNumbers()).to.deep.equal([provisionalId]);
  });

  it('the PIN is keys only: to a caller who has spoken its prompt says so, and it does not listen', async () => {
    const member = await activeMember(app, { pin: '4827' });
    const call = new TestCall(app);
    await call.dial();
    await call.say('購入');
    await call.say(sayJa(member.formalId, [3, 3, 3]));
    expect(call.heardNumbers()).to.deep.equal([member.formalId]);
    await call.say('はい');
    const pin = findVerb(call.last.verbs, 'Gather')!;
    expect(pin.attributes.input).to.equal('dtmf');
    expect(call.heardText()).to.include('声に出さず');
    await call.say('よんはちにーなな');
    expect(call.heardText()).to.include('入力が確認できませんでした');
  });

  it('a member who only speaks buys a code: 購入, formal ID read back, PIN keyed, 千円, はい; いいえ at the price charges nothing', async () => {
    const member = await activeMember(app, { pin: '4827' });
    const signIn = async () => {
      const call = new TestCall(app);
      await call.dial();
      await call.say('購入');
      await call.say(sayJa(member.formalId, [3, 3, 3]));
      await call.say('はい');
      await call.press('4827#');
      return call;
    };
    const declined = await signIn();
    await declined.say('千円');
    expect(declined.gatherAction()).to.include('/twilio/voice/pay/confirm');
    await declined.say('いいえ');
    expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.have.length(0);
    const bought = await signIn();
    await bought.say('千円');
    await bought.say('はい、お願いします');
    expect(bought.heardNumbers()[0]).to.match(/^\d{16}$/);
    expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.have.length(1);
  });

  it('a payment request approved by voice: its number read back and confirmed, the request said, 承認; a number turned down at its read-back approves nothing', async () => {
    const member = await activeMember(app, { pin: '4827' });
    const shop = await createMerchant(app, 'Koe Ramen');
    const created = await jsonRequest<{ id: string; number: string }>(app, 'POST', '/api/merchant/payment-requests', { amount: 800, description: 'Ramen' }, merchantPost(shop));
    const number = created.body.number;
    const call = new TestCall(app);
    await call.dial();
    await call.say('承認');
    await call.say(sayJa(member.formalId, [3, 3, 3]));
    await call.say('はい');
    await call.press('4827#');
    await call.say(sayJa(number, [4, 4]));
    expect(call.heardNumbers()).to.deep.equal([number]);
    await call.say('いいえ');
    const status = async () => (await jsonRequest<{ status: string }>(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop))).body.status;
    expect(await status()).to.equal('pending');
    await call.say(sayJa(number, [4, 4]));
    await call.say('はい');
    expect(call.heardText()).to.include('Koe Ramen');
    expect(await status()).to.equal('pending');
    await call.say('承認します');
    expect(await status()).to.equal('approved');
  });

  it(`the transcript set (${TRANSCRIPTS.length}), each said to the provisional-ID prompt through the simulator: read back as the number it is, or asked again; never another number`, async function () {
    this.timeout(240_000);
    const wrong: string[] = [];
    let understood = 0;
    let numbers = 0;
    for (const t of TRANSCRIPTS) {
      const call = new TestCall(app);
      await call.dial();
      // At the provisional-ID prompt: 1 in Japanese; 9 and pound for English, then 1.
      if (t.locale === 'en-US') await call.press('9#');
      await call.press('1');
      expect(call.gatherAction()).to.include('/twilio/voice/activation');
      await call.say(t.said);
      const readBack = call.heardNumbers();
      const askedAgain = call.heardText().includes(t.locale === 'ja-JP' ? '聞き取れませんでした' : 'did not catch');
      if (t.digits !== null) numbers++;
      if (t.digits !== null && readBack.length === 1 && readBack[0] === t.digits) understood++;
      else if (readBack.length > 0 || !(askedAgain || t.said.trim() === '')) wrong.push(`${t.locale} "${t.said}": heard back ${readBack.join(' ') || 'nothing'}${t.digits ? `, said ${t.digits}` : ''}`);
      await call.hangUp();
    }
    expect(wrong).to.deep.equal([]);
    expect(understood / numbers).to.be.at.least(0.95);
  });
});

describe('speech settings', () => {
  it('SPEECH_PIN=true: the PIN prompt listens too, and a PIN said is read back before it is checked', async () => {
    const app = await startTestApp({ SPEECH_PIN: 'true' });
    try {
      const member = await activeMember(app, { pin: '4827' });
      const call = new TestCall(app);
      await call.dial();
      await call.say('購入');
      await call.say(sayJa(member.formalId, [3, 3, 3]));
      await call.say('はい');
      expect(findVerb(call.last.verbs, 'Gather')!.attributes.input).to.equal('dtmf speech');
      await call.say('よんはちにーなな');
      expect(call.heardNumbers()).to.deep.equal(['4827']);
      await call.say('はい');
      expect(call.gatherAction()).to.include('/twilio/voice/pay/amount');
    } finally {
      await app.close();
    }
  });

  it('SPEECH_INPUT=false: no prompt listens, and speech is silence', async () => {
    const app = await startTestApp({ SPEECH_INPUT: 'false' });
    try {
      const call = new TestCall(app);
      const { verbs } = await call.dial();
      expect(findVerb(verbs, 'Gather')!.attributes).to.include({ input: 'dtmf' }).and.not.have.property('language');
      await call.say('登録');
      expect(call.heardText()).to.include('入力が確認できませんでした').and.not.include('声でお答え');
    } finally {
      await app.close();
    }
  });
});
