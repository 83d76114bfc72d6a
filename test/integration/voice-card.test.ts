import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { TEST_CARD_APPROVED, TEST_CARD_DECLINED } from '../../simulator/test-cards.ts';
import { keys } from '../../src/store/keys.ts';
import { PATHS } from '../../src/voice/paths.ts';
import { startAppProcess } from '../support/app-process.ts';
import { launchBrowser } from '../support/browser.ts';
import { TestCall } from '../support/call.ts';
import { deleteKeysWithPrefix, jsonRequest, plainRedis, register, scanKeys, startTestApp, testConfig, type TestApp } from '../support/harness.ts';
import { createMerchant, merchantAuth } from '../support/payments.ts';
import { findVerb, spokenNumbers, spokenText } from '../support/twiml.ts';
import { payPromptProblems, twimlProblems } from '../support/twiml-rules.ts';

/** The caller keys a card into <Pay>: number, expiry (December 2039), security code. */
async function keyCard(call: TestCall, card = TEST_CARD_APPROVED) {
  await call.press(`${card}#`);
  await call.press('1239#');
  return call.press('123#');
}

/** Menu 1 with CHARGE_METHOD=card: the ID, the price, 1 to pay by card; the caller is then at the card number. */
async function activationUpToCard(app: TestApp, provisionalId: string) {
  const call = new TestCall(app);
  await call.dial();
  await call.press('1');
  await call.press(`${provisionalId}#`);
  expect(call.heardText()).to.include('300円').and.to.include('クレジットカード');
  await call.press('1');
  return call;
}

async function logIn(app: TestApp, formalId: string, password: string, pin: string) {
  const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const res = await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin }) });
  expect(res.status).to.equal(204);
}

/** A member activated by card, with a phone PIN. */
async function cardMember(app: TestApp, pin = '2468') {
  const { provisionalId, password } = await register(app);
  const call = await activationUpToCard(app, provisionalId);
  const formalId = spokenNumbers((await keyCard(call)).verbs)[0]!;
  await call.hangUp();
  await logIn(app, formalId, password, pin);
  return { provisionalId, password, formalId, pin };
}

async function signIn(app: TestApp, menuKey: string, member: { formalId: string; pin: string }) {
  const call = new TestCall(app);
  await call.dial();
  await call.press(menuKey);
  await call.press(`${member.formalId}#`);
  await call.press(`${member.pin}#`);
  return call;
}

describe('paying by card over the phone (CHARGE_METHOD=card, Twilio <Pay>)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ CHARGE_METHOD: 'card', PAY_CONNECTOR: 'Stripe_JP' });
  });
  after(() => app.close());

  it('activation: the caller hears the price, agrees, keys a card into <Pay> in their language, and hears the formal ID and which card paid; the ledger holds the confirmation and the last four digits only', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    const pay = findVerb(call.last.verbs, 'Pay')!;
    expect(pay.attributes).to.include({ chargeAmount: '300', currency: 'jpy', paymentConnector: 'Stripe_JP', paymentMethod: 'credit-card', postalCode: 'false' });
    expect(new URL(pay.attributes.action!).pathname).to.equal(PATHS.cardPaid);
    expect(call.heardText(), 'nothing is charged before the card').to.not.include('本登録が完了しました');
    expect(call.heardText()).to.include('クレジットカード番号とシャープ');
    expect(await readLedger(app.redis, provisionalId)).to.have.length(0);
    const paid = await keyCard(call);
    expect(spokenText(paid.verbs)).to.include('本登録が完了しました').and.to.include('カードに請求しました');
    expect(spokenNumbers(paid.verbs)).to.include('4242');
    const [entry, ...more] = await readLedger(app.redis, provisionalId);
    expect(more).to.have.length(0);
    expect(entry).to.include({ kind: 'activation', method: 'card', amount: 300, currency: 'JPY', card: 'xxxx4242', callSid: call.callSid });
    expect(entry!.confirmation).to.match(/^ch_sim_/);
  });

  it('a Japanese caller hears Japanese from the first card prompt to the last: every step <Pay> documents has our own <Prompt>, retries and processing included', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    const pay = findVerb(call.last.verbs, 'Pay')!;
    expect(payPromptProblems(pay)).to.deep.equal([]);
    const steps = pay.children.filter((c) => c.name === 'Prompt').map((p) => p.attributes.for);
    expect(new Set(steps)).to.deep.equal(new Set(['payment-card-number', 'expiration-date', 'security-code', 'postal-code', 'payment-processing']));
    const heard: { language?: string; text: string }[] = [];
    const listen = () => heard.push(...call.events.flatMap((e) => (e.type === 'say' ? [{ language: e.language, text: e.text }] : [])));
    await call.press('1234#'); // not a card number: asked again
    listen();
    await call.press(`${TEST_CARD_APPROVED}#`);
    listen();
    await call.press('1339#'); // month 13: asked again
    listen();
    await call.press('1239#');
    listen();
    await call.press('123#');
    listen();
    const during = heard.slice(0, heard.findIndex((h) => h.text.includes('本登録が完了しました')));
    expect(during.map((h) => h.text).join(' ')).to.include('カード番号を確認できませんでした').and.to.include('有効期限を確認できませんでした').and.to.include('処理しています');
    expect(during.filter((h) => h.language !== 'ja-JP'), 'nothing in English').to.deep.equal([]);
  });

  it('when Twilio retries the <Pay> action request, the same formal ID is read and the card is recorded once', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    const first = spokenNumbers((await keyCard(call)).verbs)[0];
    const retry = await call.twilioRetriesLastRequest();
    expect(spokenNumbers(retry.verbs)[0]).to.equal(first);
    expect(await readLedger(app.redis, provisionalId)).to.have.length(1);
  });

  it('a declined card charges nothing and is said so; the provisional ID can still be activated', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    await keyCard(call, TEST_CARD_DECLINED);
    expect(call.heardText()).to.include('カードが承認されませんでした').and.to.include('カードへの請求はありません');
    expect(await readLedger(app.redis, provisionalId)).to.have.length(0);
    expect(await app.redis.exists(keys.account(provisionalId))).to.equal(0);
    expect(await app.redis.exists(keys.pendingRegistration(provisionalId))).to.equal(1);
  });

  it('* stops the card entry: nothing is charged, and the caller hears so', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    await call.press('4242*');
    expect(call.heardText()).to.include('カードでのお支払いを取りやめました').and.to.include('カードへの請求はありません');
    expect(await readLedger(app.redis, provisionalId)).to.have.length(0);
  });

  it('a caller who keys nothing is asked again, then told no card was taken and nothing was charged', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    await call.silence();
    expect(call.heardText()).to.include('カード番号を確認できませんでした');
    await call.silence();
    expect(call.heardText()).to.include('カード情報を受け付けられませんでした').and.to.include('カードへの請求はありません');
    expect(await readLedger(app.redis, provisionalId)).to.have.length(0);
  });

  it('a caller who hangs up mid-card is not charged', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToCard(app, provisionalId);
    await call.press(`${TEST_CARD_APPROVED}#`);
    await call.hangUp();
    expect(await readLedger(app.redis, provisionalId)).to.have.length(0);
    expect(await app.redis.exists(keys.pendingRegistration(provisionalId))).to.equal(1);
  });

  it('when another call activates the same ID while this caller keys a card, the charge is kept for a refund and the caller is told so', async () => {
    const { provisionalId } = await register(app);
    const slow = await activationUpToCard(app, provisionalId);
    const fast = await activationUpToCard(app, provisionalId);
    await keyCard(fast);
    expect(spokenText(fast.last.verbs)).to.include('本登録が完了しました');
    await keyCard(slow);
    expect(slow.heardText()).to.include('カードには請求されましたが').and.to.include('返金');
    expect(await readLedger(app.redis, provisionalId), 'one activation on the ledger').to.have.length(1);
    const refund = JSON.parse((await app.redis.hget(keys.cardChargesToRefund(), `${slow.callSid}/act`))!);
    expect(refund).to.include({ memberId: provisionalId, charge: 'act', last4: '4242' });
    expect(refund.confirmationCode).to.match(/^ch_sim_/);
  });

  it('renewal and a code purchase by card: each charged once (a retried action replays the same code), with the card on the ledger', async () => {
    const member = await cardMember(app);
    const renewing = await signIn(app, '4', member);
    expect(renewing.heardText()).to.include('料金は300円です').and.to.include('クレジットカード');
    await renewing.press('1');
    await keyCard(renewing);
    expect(renewing.heardText()).to.include('更新しました').and.to.include('カードに請求しました');
    await renewing.hangUp();

    const buying = await signIn(app, '2', member);
    await buying.press('1');
    await buying.press('1');
    expect(findVerb(buying.last.verbs, 'Pay')!.attributes.chargeAmount).to.equal('500');
    const code = spokenNumbers((await keyCard(buying)).verbs).join('');
    const again = await buying.twilioRetriesLastRequest();
    expect(spokenNumbers(again.verbs).join('')).to.equal(code);
    const ledger = await readLedger(app.redis, member.provisionalId);
    expect(ledger.map((e) => `${e.kind}/${e.method}/${e.card}`)).to.deep.equal(['activation/card/xxxx4242', 'renewal/card/xxxx4242', 'code_purchase/card/xxxx4242']);
  });

  it('a payment request approved by card: a declined card gives the request back (still pending); an approved one approves it once', async () => {
    const member = await cardMember(app);
    const shop = await createMerchant(app);
    const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 800, description: 'Tea' }, merchantAuth(shop, { 'Idempotency-Key': randomBytes(8).toString('hex') }));
    const approve = async (card: string) => {
      const call = await signIn(app, '3', member);
      await call.press(`${created.body.number}#`);
      await call.press('1');
      expect(findVerb(call.last.verbs, 'Pay')!.attributes.chargeAmount).to.equal('800');
      await keyCard(call, card);
      return call;
    };
    const declined = await approve(TEST_CARD_DECLINED);
    expect(declined.heardText()).to.include('カードへの請求はありません');
    const status = async () => (await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${created.body.id}`, undefined, merchantAuth(shop))).body.status;
    expect(await status()).to.equal('pending');
    const approved = await approve(TEST_CARD_APPROVED);
    expect(approved.heardText()).to.include('承認しました').and.to.include('カードに請求しました');
    await approved.twilioRetriesLastRequest();
    expect(await status()).to.equal('approved');
    const approvals = (await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'payment_approval');
    expect(approvals).to.have.length(1);
    expect(approvals[0]).to.include({ amount: 800, method: 'card', paymentRequest: created.body.id });
  });

  it('the member page shows the card last paid with (type and last four digits) and forgets it on request', async () => {
    const member = await cardMember(app);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${app.url}/login?lang=en`);
      await page.fill('#formalId', member.formalId);
      await page.fill('#password', member.password);
      await page.click('button[type=submit].primary');
      const section = page.getByTestId('payment-card');
      expect(await section.innerText()).to.include('VISA ending 4242');
      expect(await page.content()).to.not.include(TEST_CARD_APPROVED);
      await section.getByRole('button').click();
      // Asked first, without JavaScript; nothing is forgotten until confirmed.
      await page.getByTestId('confirmation').waitFor();
      expect(await app.redis.exists(keys.memberCard(member.provisionalId))).to.equal(1);
      await page.getByTestId('confirm').click();
      await page.waitForURL(/card=forgotten/);
      expect(await page.getByTestId('payment-card').count()).to.equal(0);
      expect(await app.redis.exists(keys.memberCard(member.provisionalId))).to.equal(0);
    } finally {
      await browser.close();
    }
  });

  it('every <Pay> document keeps Twilio rules (a voice per language, no long digit runs)', async () => {
    const { provisionalId } = await register(app, 'Jane Doe', 'jane@example.com', 'en-US');
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    await call.press(`${provisionalId}#`);
    expect(call.heardText()).to.include('paid by card');
    await call.press('1');
    expect(call.heardText()).to.include('Key your card number');
    expect(twimlProblems(call.last.body)).to.deep.equal([]);
    await call.hangUp();
  });
});

describe('what a caller is told about the money, under each CHARGE_METHOD', () => {
  it('premium-rate: the activation fee is billed to the phone line, and a later price says so before the caller agrees', async () => {
    const app = await startTestApp({ CHARGE_METHOD: 'premium-rate', CHARGE_METHOD_CODES: 'none', CHARGE_METHOD_APPROVALS: 'none' });
    try {
      const { provisionalId, password } = await register(app);
      const call = new TestCall(app);
      await call.dial();
      await call.press('1');
      await call.press(`${provisionalId}#`);
      expect(call.heardText()).to.include('料金は300円です').and.to.include('電話会社からこの回線に請求されます');
      const formalId = spokenNumbers(call.last.verbs)[0]!;
      await call.hangUp();
      await logIn(app, formalId, password, '1357');
      const renewing = await signIn(app, '4', { formalId, pin: '1357' });
      expect(renewing.heardText()).to.include('電話料金と一緒に請求されます');
      expect((await readLedger(app.redis, provisionalId))[0]).to.include({ method: 'premium-rate' });
    } finally {
      await app.close();
    }
  });

  it('none: the caller hears it is a demo and nothing is really charged; access works as usual', async () => {
    const app = await startTestApp({ CHARGE_METHOD: 'none' });
    try {
      const { provisionalId } = await register(app, 'Jane Doe', 'jane@example.com', 'en-US');
      const call = new TestCall(app);
      await call.dial();
      await call.press('1');
      await call.press(`${provisionalId}#`);
      expect(call.heardText()).to.include('This is a demo, so nothing was really charged');
      expect(spokenNumbers(call.last.verbs)[0]).to.match(/^\d{9}$/);
      expect((await readLedger(app.redis, provisionalId))[0]).to.include({ kind: 'activation', method: 'none' });
    } finally {
      await app.close();
    }
  });

  it('card: a purchase past the monthly cap is refused before any card is asked for', async () => {
    const app = await startTestApp({ CHARGE_METHOD: 'card', MONTHLY_SPENDING_CAP: '600' });
    try {
      const member = await cardMember(app);
      const call = await signIn(app, '2', member);
      await call.press('2');
      await call.press('1');
      expect(findVerb(call.last.verbs, 'Pay'), 'no <Pay>').to.equal(undefined);
      expect(call.heardText()).to.include('あと600円');
      expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.have.length(0);
    } finally {
      await app.close();
    }
  });
});

describe('the monthly cap held, not only checked, while cards are charged', () => {
  it('eight calls of one member racing to buy 500-yen codes by card under a 2,000-yen cap: four are asked for a card, four are refused first; a card given up gives its share back', async function () {
    this.timeout(120_000);
    const app = await startTestApp({ CHARGE_METHOD: 'card', MONTHLY_SPENDING_CAP: '2000' });
    try {
      const member = await cardMember(app);
      // Signed in one after another: eight PINs keyed at once would meet the PIN lock, which counts
      // each attempt before checking it (five at a time: see the PIN tests). The race is the purchases.
      const calls = [];
      for (let i = 0; i < 8; i++) calls.push(await signIn(app, '2', member));
      for (const call of calls) {
        await call.press('1');
      }
      // All at the price at once: each 1 holds 500 against the cap before any card is asked for.
      await Promise.all(calls.map((call) => call.press('1')));
      const paying = calls.filter((call) => findVerb(call.last.verbs, 'Pay'));
      const refused = calls.filter((call) => !findVerb(call.last.verbs, 'Pay'));
      expect(paying).to.have.length(4);
      for (const call of refused) expect(call.heardText()).to.include('上限2,000円');
      // One caller stops at the card: its 500 goes back, and another call can hold it.
      await paying[0]!.press('*');
      const late = await signIn(app, '2', member);
      await late.press('1');
      await late.press('1');
      expect(findVerb(late.last.verbs, 'Pay'), 'the freed 500 is held by a new purchase').to.exist;
      await Promise.all([...paying.slice(1), late].map((call) => keyCard(call)));
      const purchases = (await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase');
      expect(purchases.map((e) => e.amount)).to.deep.equal([500, 500, 500, 500]);
      const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(app.clock.now).slice(0, 7);
      expect(await app.redis.get(keys.monthlySpend(member.provisionalId, month))).to.equal('2000');
      expect(await app.redis.hlen(keys.capHolds(member.provisionalId))).to.equal(0);
    } finally {
      await app.close();
    }
  });
  it('a hold left by a call that died is given back after its lifetime, even when nothing else touched the holds in between', async () => {
    const app = await startTestApp({ CHARGE_METHOD: 'card', MONTHLY_SPENDING_CAP: '2000' });
    try {
      const memberId = `m${randomBytes(4).toString('hex')}`;
      const spend = keys.monthlySpend(memberId, '2026-12');
      const holds = keys.capHolds(memberId);
      // A call holds the whole cap, then dies at the card (nothing releases it); its hold lasts 100 ms.
      const t0 = app.clock.now;
      expect((await app.redis.dpHoldCap(spend, holds, 'hold', 'CAdead/buy-1', 2000, 2000, t0, 100, 3600))[0]).to.equal(1);
      // Real time passes well beyond the hold's lifetime (a floor: load only makes it longer) and no call comes meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The next call finds the dead hold expired and given back: the whole cap is there again.
      const [status, remaining] = await app.redis.dpHoldCap(spend, holds, 'hold', 'CAnext/buy-1', 2000, 2000, t0 + 500, 100, 3600);
      expect([status, remaining], 'the dead hold was given back').to.deep.equal([1, '0']);
      expect(await app.redis.get(spend)).to.equal('2000');
    } finally {
      await app.close();
    }
  });
});

describe('no full card number is ever kept or logged', () => {
  it('after card payments (approved and declined), no request, TwiML answer, log line, Redis key or value holds the card number', async function () {
    this.timeout(60_000);
    const prefix = `cardscan${randomBytes(4).toString('hex')}:`;
    const env = { CHARGE_METHOD: 'card', LOG_LEVEL: 'trace', NODE_ENV: 'development', REDIS_KEY_PREFIX: prefix, PUBLIC_BASE_URL: 'https://dialpass.card.test', TWILIO_AUTH_TOKEN: 'card-test-auth-token-0123456789ab' };
    const config = testConfig(env);
    const proc = await startAppProcess({ ...env, REDIS_URL: config.redis.url ?? '' });
    const plain = plainRedis(config);
    try {
      const app = { config, url: proc.url, redis: plain } as unknown as TestApp;
      const seen: string[] = [];
      for (const card of [TEST_CARD_DECLINED, TEST_CARD_APPROVED]) {
        const { provisionalId } = await register(app);
        const call = await activationUpToCard(app, provisionalId);
        await keyCard(call, card);
        seen.push(...call.events.map((e) => JSON.stringify(e)));
        await call.hangUp();
      }
      expect(seen.join('\n')).to.include('PaymentCardNumber');
      const values: string[] = [];
      for (const key of await scanKeys(config, `${prefix}*`)) {
        const type = await plain.type(key);
        values.push(key);
        if (type === 'string') values.push((await plain.get(key)) ?? '');
        if (type === 'hash') values.push(JSON.stringify(await plain.hgetall(key)));
        if (type === 'list') values.push(...(await plain.lrange(key, 0, -1)));
        if (type === 'set') values.push(...(await plain.smembers(key)));
        if (type === 'zset') values.push(...(await plain.zrange(key, '0', '-1')));
      }
      expect(values.join('\n')).to.include('xxxx4242');
      expect(proc.stdout().length, 'the app logged at trace level').to.be.greaterThan(0);
      for (const card of [TEST_CARD_APPROVED, TEST_CARD_DECLINED]) {
        expect(seen.join('\n'), 'requests and TwiML').to.not.include(card);
        expect(proc.stdout() + proc.stderr(), 'log lines').to.not.include(card);
        expect(values.join('\n'), 'Redis').to.not.include(card);
      }
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await deleteKeysWithPrefix(config, prefix);
      plain.disconnect();
    }
  });
});
