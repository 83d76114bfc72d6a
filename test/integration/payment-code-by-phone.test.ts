import { expect } from 'chai';
import { readLedger, type LedgerEntry } from '../../src/accounts/ledger.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, plainRedis, register, scanKeys, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { buyOnCall, createMerchant, merchantAuth, merchantPost, signInToBuy } from '../support/payments.ts';
import { findVerb, spokenNumbers, spokenText, type TwimlNode } from '../support/twiml.ts';

const PIN = '2468';

async function purchasesInLedger(app: TestApp, memberId: string): Promise<LedgerEntry[]> {
  return (await readLedger(app.redis, memberId)).filter((e) => e.kind === 'code_purchase');
}

const gatherAction = (verbs: TwimlNode[]) => findVerb(verbs, 'Gather')?.attributes.action ?? '';

describe('buying a payment code by phone (menu 2)', () => {
  let app: TestApp;
  const texts: { to: string; body: string }[] = [];
  before(async () => {
    app = await startTestApp(
      { CODE_DENOMINATIONS: '500,1000,3000', MONTHLY_SPENDING_CAP: '4000', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_SMS_FROM: '+815000009999' },
      { sms: { send: async (to, body) => void texts.push({ to, body }) } },
    );
  });
  after(() => app.close());

  it('a member signs in with formal ID and PIN, picks an amount, hears the code twice with amount and expiry, and a merchant redeems it', async () => {
    const member = await activeMember(app, { pin: PIN, from: '+819011112222' });
    const call = await signInToBuy(app, member, PIN, '+819011112222');
    const menu = spokenText(call.last.verbs);
    expect(menu).to.include('500円は1').and.to.include('3,000円は3');
    expect(gatherAction(call.last.verbs)).to.include('/twilio/voice/pay/amount');

    // No step waits for # alone: an amount is a code any merchant takes; 9 chooses one merchant first.
    expect(menu).to.include('加盟店専用は9');
    await call.press('2');
    expect(findVerb(call.last.verbs, 'Gather')!.attributes.action).to.include('/twilio/voice/pay/confirm');
    expect(spokenText(call.last.verbs)).to.include('1,000円').and.to.include('どこでも使える');
    const heard = await call.press('1');
    const code = spokenNumbers(heard.verbs)[0]!;
    expect(spokenNumbers(heard.verbs).slice(0, 2)).to.deep.equal([code, code]);
    expect(code).to.match(/^\d{16}$/);
    // Read in four groups of four, slowly.
    expect(heard.body.match(/<say-as interpret-as="digits">\d{4}<\/say-as>/g)).to.have.length(8);
    const expiry = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(app.clock.now + 90 * 86_400_000);
    expect(spokenText(heard.verbs)).to.include('1,000').and.to.include(expiry);

    const ledger = await purchasesInLedger(app, member.provisionalId);
    expect(ledger).to.have.length(1);
    expect(ledger[0]).to.include({ amount: 1000, currency: 'JPY', callSid: call.callSid, from: '+819011112222', codeLast4: code.slice(-4) });

    const again = await call.press('1');
    expect(spokenNumbers(again.verbs)[0]).to.equal(code);

    const shop = await createMerchant(app);
    const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 400, orderId: 'A-1' }, merchantPost(shop));
    expect(redeemed.status).to.equal(201);
    expect(redeemed.body).to.include({ amount: 400, currency: 'JPY', remaining: 600 });
    expect(redeemed.body.redemptionId).to.be.a('string');
  });

  it('the code is also texted to the calling number when SMS is configured', async () => {
    const member = await activeMember(app, { pin: PIN, from: '+819033334444' });
    const call = await signInToBuy(app, member, PIN, '+819033334444');
    const before = texts.length;
    const code = await buyOnCall(call, '1');
    expect(spokenText(call.last.verbs)).to.include('ショートメッセージ');
    expect(texts.slice(before)).to.have.length(1);
    expect(texts.at(-1)!.to).to.equal('+819033334444');
    expect(texts.at(-1)!.body.replace(/ /g, '')).to.include(code);
  });

  it('right after activation, key 2 goes straight to the amount menu without asking for ID or PIN again', async () => {
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.press(`${provisionalId}#`);
    await call.press('2');
    expect(gatherAction(call.last.verbs)).to.include('/twilio/voice/pay/amount');
    const code = await buyOnCall(call, '1');
    expect(code).to.match(/^\d{16}$/);
    expect(await purchasesInLedger(app, provisionalId)).to.have.length(1);
  });

  it('a Twilio retry of the confirming request replays the same code and charges once; a second purchase in the call is a new code', async () => {
    const member = await activeMember(app, { pin: PIN });
    const call = await signInToBuy(app, member, PIN);
    await call.press('1');
    const first = await call.press('1');
    // Twilio retries the very same request: same URL (same purchase nonce), same CallSid, same body.
    const retry = await call.twilioRetriesLastRequest();
    expect(spokenNumbers(retry.verbs)[0]).to.equal(spokenNumbers(first.verbs)[0]);
    expect(await purchasesInLedger(app, member.provisionalId)).to.have.length(1);

    await call.press('2');
    const second = await buyOnCall(call, '1');
    expect(second).to.not.equal(spokenNumbers(first.verbs)[0]);
    expect(await purchasesInLedger(app, member.provisionalId)).to.have.length(2);
  });

  it('a code can be restricted to one merchant by keying its number; a wrong merchant number is asked again', async () => {
    const member = await activeMember(app, { pin: PIN });
    const [cafe, bakery] = [await createMerchant(app, 'Café'), await createMerchant(app, 'Bakery')];
    const call = await signInToBuy(app, member, PIN);
    await call.press('9');
    expect(spokenText(call.last.verbs)).to.include('加盟店番号を入力');
    const mistyped = cafe.merchantId.slice(0, -1) + String((Number(cafe.merchantId.at(-1)) + 1) % 10);
    await call.press(`${mistyped}#`);
    expect(spokenText(call.last.verbs)).to.include('誤り');
    await call.press(`${cafe.merchantId}#`);
    // The amounts again, for that merchant only (no 9 any more), then its price names the merchant.
    expect(spokenText(call.last.verbs)).to.include('500円は1').and.not.include('加盟店専用は9');
    await call.press('1');
    expect(spokenNumbers(call.last.verbs)).to.include(cafe.merchantId);
    const code = spokenNumbers((await call.press('1')).verbs)[0]!;
    expect(spokenText(call.last.verbs)).to.include('でのみ使えます');

    const elsewhere = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(bakery));
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.body.error.code).to.equal('wrong_merchant');
    const check = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(bakery));
    expect(check.status).to.equal(403);
    const there = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100 }, merchantPost(cafe));
    expect(there.status).to.equal(201);
    expect(there.body.remaining).to.equal(400);
  });

  it('a purchase that would pass the monthly cap is refused with the remaining allowance spoken, and nothing is charged', async () => {
    const member = await activeMember(app, { pin: PIN });
    const call = await signInToBuy(app, member, PIN);
    await buyOnCall(call, '3'); // 3,000 of 4,000
    await call.press('2');
    await call.press('2'); // 1,000: fits exactly
    await call.press('1');
    expect(spokenNumbers(call.last.verbs)[0]).to.match(/^\d{16}$/);
    await call.press('2');
    await call.press('1'); // 500 more: over the cap
    const refused = await call.press('1');
    const said = spokenText(refused.verbs);
    expect(said).to.include('4,000円').and.to.include('あと0円').and.to.include('この通話の料金300円は、電話会社から請求されます');
    expect(spokenNumbers(refused.verbs)).to.deep.equal([]);
    expect(await purchasesInLedger(app, member.provisionalId)).to.have.length(2);
    expect(await app.redis.get(keys.monthlySpend(member.provisionalId, new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(app.clock.now).slice(0, 7)))).to.equal('4000');
  });

  it('when part of the allowance is left, the refusal names it and offers the amounts again', async () => {
    const member = await activeMember(app, { pin: PIN });
    const call = await signInToBuy(app, member, PIN);
    await buyOnCall(call, '3');
    await call.press('2');
    await call.press('3');
    const refused = await call.press('1');
    expect(spokenText(refused.verbs)).to.include('あと1,000円');
    expect(gatherAction(refused.verbs)).to.include('/twilio/voice/pay/amount');
  });

  it('concurrent purchases in two calls cannot together pass the cap', async () => {
    const member = await activeMember(app, { pin: PIN });
    const calls = await Promise.all([signInToBuy(app, member, PIN), signInToBuy(app, member, PIN)]);
    for (const call of calls) {
      await call.press('3');
    }
    const results = await Promise.all(calls.map((call) => call.press('1')));
    const codes = results.map((r) => spokenNumbers(r.verbs)[0]).filter(Boolean);
    expect(codes).to.have.length(1);
    expect(await purchasesInLedger(app, member.provisionalId)).to.have.length(1);
  });

  it('a wrong formal ID is asked for again; five wrong PINs lock phone purchases until a new PIN is set on the web', async () => {
    const member = await activeMember(app, { pin: PIN });
    const call = new TestCall(app);
    await call.dial();
    await call.press('2');
    await call.press('12345670#');
    expect(gatherAction(call.last.verbs)).to.include('/sign-in/id');
    await call.press(`${member.formalId}#`);
    await call.press('0000#');
    expect(spokenText(call.last.verbs)).to.include('暗証番号が違います');
    await call.press('1111#');
    expect(call.hungUp()).to.equal(true); // third wrong entry in the call

    const second = new TestCall(app);
    await second.dial();
    await second.press('2');
    await second.press(`${member.formalId}#`);
    await second.press('2222#');
    await second.press('3333#');
    await second.press('4444#'); // fifth wrong PIN
    expect(spokenText(second.last.verbs)).to.include('新しい暗証番号を設定すると');
    expect(second.hungUp()).to.equal(true);

    const locked = new TestCall(app);
    await locked.dial();
    await locked.press('2');
    await locked.press(`${member.formalId}#`);
    expect(spokenText(locked.last.verbs)).to.include('電話でのお手続きを停止しています');
    expect(locked.hungUp()).to.equal(true);

    const newPin = await jsonRequest(app, 'PUT', '/api/me/pin', { pin: '97531' }, { Cookie: member.cookie });
    expect(newPin.status).to.equal(204);
    const unlocked = await signInToBuy(app, member, '97531');
    expect(await buyOnCall(unlocked, '1')).to.match(/^\d{16}$/);
  });

  it('no code is stored in plaintext: Redis holds only its keyed hash and last four digits', async () => {
    const member = await activeMember(app, { pin: PIN });
    const call = await signInToBuy(app, member, PIN);
    const code = await buyOnCall(call, '1');
    const plain = plainRedis(app.config);
    const dump: string[] = [];
    for (const key of await scanKeys(app.config, `${app.config.redis.keyPrefix}${app.keyPrefix}*`)) {
      const type = await plain.type(key);
      if (type === 'string') dump.push(key, (await plain.get(key)) ?? '');
      if (type === 'hash') dump.push(key, JSON.stringify(await plain.hgetall(key)));
      if (type === 'list') dump.push(key, JSON.stringify(await plain.lrange(key, 0, -1)));
    }
    plain.disconnect();
    expect(dump.join('\n')).to.include(code.slice(-4));
    expect(dump.join('\n')).to.not.include(code);
    expect(dump.join('\n')).to.not.include(code.slice(0, 12));
  });
});
