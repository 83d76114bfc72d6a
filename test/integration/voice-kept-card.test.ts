import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { keys } from '../../src/store/keys.ts';
import { calendarMonth } from '../../src/shared/calendar.ts';
import { startStripeStandIn, STRIPE_TEST_CARDS, type StripeStandIn } from '../../simulator/stripe.ts';
import { launchBrowser } from '../support/browser.ts';
import { TestCall } from '../support/call.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { findVerb, spokenNumbers, spokenText } from '../support/twiml.ts';

/** The caller keys a card into <Pay>: number, expiry (December 2039), security code. */
async function keyCard(call: TestCall, card: string = STRIPE_TEST_CARDS.succeeds) {
  await call.press(`${card}#`);
  await call.press('1239#');
  return call.press('123#');
}

/** The app with cards charged through Stripe's API (the stand-in), and the stand-in. */
export async function stripeApp(env: Record<string, string> = {}): Promise<{ app: TestApp; stripe: StripeStandIn; close(): Promise<void> }> {
  const stripe = await startStripeStandIn();
  const app = await startTestApp({ CHARGE_METHOD: 'card', CARD_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_URL: stripe.url, PAY_CONNECTOR: 'Stripe_JP', ...env });
  return { app, stripe, close: async () => (await app.close(), await stripe.close()) };
}

/** Menu 1 by card: the ID, the price, 1 to pay; the caller is asked whether to keep the card. */
async function activationUpToKeep(app: TestApp, provisionalId: string, from?: string) {
  const call = new TestCall(app, from);
  await call.dial();
  await call.press('1');
  await call.press(`${provisionalId}#`);
  await call.press('1');
  return call;
}

async function setPin(app: TestApp, formalId: string, password: string, pin: string) {
  const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const res = await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin }) });
  expect(res.status).to.equal(204);
}

/** A member activated by card who kept it (or not), with a phone PIN. */
async function memberWithCard(app: TestApp, keep: '1' | '2' = '1', card: string = STRIPE_TEST_CARDS.succeeds) {
  const { provisionalId, password } = await register(app);
  const call = await activationUpToKeep(app, provisionalId);
  await call.press(keep);
  const formalId = spokenNumbers((await keyCard(call, card)).verbs)[0]!;
  await call.hangUp();
  await setPin(app, formalId, password, '2468');
  return { provisionalId, password, formalId, pin: '2468' };
}

async function signIn(app: TestApp, menuKey: string, member: { formalId: string; pin: string }) {
  const call = new TestCall(app);
  await call.dial();
  await call.press(menuKey);
  await call.press(`${member.formalId}#`);
  await call.press(`${member.pin}#`);
  return call;
}

/** Menu 2, 500 yen, any merchant: the caller is at the price. */
async function upToCodePrice(app: TestApp, member: { formalId: string; pin: string }) {
  const call = await signIn(app, '2', member);
  await call.press('1');
  return call;
}

describe('the card kept for next time (CARD_PROCESSOR=stripe: <Pay> tokenizes, dialpass charges through Stripe)', () => {
  let app: TestApp;
  let stripe: StripeStandIn;
  let close: () => Promise<void>;
  before(async () => {
    ({ app, stripe, close } = await stripeApp());
  });
  after(() => close());

  it('a first-time caller who keeps the card: <Pay> only tokenizes it, dialpass charges it once through Stripe and keeps it on the member\'s customer', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToKeep(app, provisionalId);
    expect(call.heardText()).to.include('カードを次回のために登録するには1');
    await call.press('1');
    const pay = findVerb(call.last.verbs, 'Pay')!;
    expect(pay.attributes).to.include({ tokenType: 'payment-method', paymentConnector: 'Stripe_JP' });
    expect(pay.attributes.chargeAmount, 'a tokenize: no chargeAmount').to.equal(undefined);
    const paid = await keyCard(call);
    expect(spokenText(paid.verbs)).to.include('有効化しました').and.to.include('カードに請求しました');
    const charges = stripe.charged().filter((c) => c.metadata.member === provisionalId);
    expect(charges.map((c) => c.amount)).to.deep.equal([300]);
    const [entry, ...more] = await readLedger(app.redis, provisionalId);
    expect(more).to.deep.equal([]);
    expect(entry).to.include({ kind: 'activation', method: 'card', amount: 300, confirmation: charges[0]!.id, card: 'xxxx4242' });
    const kept = await app.redis.hgetall(keys.memberCard(provisionalId));
    expect(kept.token).to.match(/^pm_/);
    expect(stripe.paymentMethods.get(kept.token!)!.customer).to.equal(kept.customer).and.to.match(/^cus_/);
  });

  it('a returning member pays with the kept card after the PIN and one key: the last four digits are said with the price, and no card is keyed', async () => {
    const member = await memberWithCard(app);
    const call = await upToCodePrice(app, member);
    expect(call.heardText()).to.include('500円のコードを、末尾').and.to.include('のカードで購入するには1');
    expect(spokenNumbers(call.last.verbs)).to.include('4242');
    const bought = await call.press('1');
    expect(findVerb(bought.verbs, 'Pay'), 'no card asked for').to.equal(undefined);
    const code = spokenNumbers(bought.verbs).find((n) => n.length === 16);
    expect(code).to.match(/^\d{16}$/);
    expect(spokenText(bought.verbs)).to.include('カードに請求しました');
    // A Twilio retry of the same step replays: the same code, no second charge.
    const again = await call.twilioRetriesLastRequest();
    expect(spokenNumbers(again.verbs).find((n) => n.length === 16)).to.equal(code);
    const charges = stripe.charged().filter((c) => c.metadata.member === member.provisionalId);
    expect(charges.map((c) => c.amount)).to.deep.equal([300, 500]);
    const ledger = await readLedger(app.redis, member.provisionalId);
    expect(ledger.map((e) => `${e.kind}/${e.amount}/${e.confirmation}`)).to.deep.equal(charges.map((c, i) => `${i ? 'code_purchase' : 'activation'}/${c.amount}/${c.id}`));
  });

  it('a caller who pays without keeping the card is charged through Stripe all the same, and asked for the card in full next time', async () => {
    const member = await memberWithCard(app, '2');
    const kept = await app.redis.hgetall(keys.memberCard(member.provisionalId));
    expect(kept.token ?? '').to.equal('');
    const call = await upToCodePrice(app, member);
    expect(call.heardText()).to.include('次にカード情報をお伺いします');
    await call.press('1');
    expect(call.heardText()).to.include('カードを次回のために登録するには1');
  });

  it('a kept card the issuer now declines: the caller is told, nothing is charged, and the monthly allowance held for it comes back', async () => {
    const member = await memberWithCard(app);
    const token = (await app.redis.hget(keys.memberCard(member.provisionalId), 'token'))!;
    stripe.issuerDeclines(token);
    const call = await upToCodePrice(app, member);
    await call.press('1');
    expect(call.heardText()).to.include('末尾').and.to.include('のカードは承認されませんでした').and.to.include('カードへの請求はありません');
    expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.deep.equal([]);
    const month = calendarMonth(app.clock.now, app.config.timeZone);
    expect(Number((await app.redis.get(keys.monthlySpend(member.provisionalId, month))) ?? 0)).to.equal(0);
    expect(await app.redis.hlen(keys.capHolds(member.provisionalId))).to.equal(0);
  });

  it('an off-session charge the issuer wants authenticated falls back to <Pay>, where the Pay Connector charges the card with the caller on the line', async () => {
    const { provisionalId } = await register(app);
    const call = await activationUpToKeep(app, provisionalId);
    await call.press('1');
    const asked = await keyCard(call, STRIPE_TEST_CARDS.authenticationRequired);
    expect(spokenText(asked.verbs)).to.include('カード情報の入力が必要です');
    expect(findVerb(asked.verbs, 'Pay')!.attributes).to.include({ chargeAmount: '300' });
    const paid = await keyCard(call, STRIPE_TEST_CARDS.authenticationRequired);
    expect(spokenText(paid.verbs)).to.include('有効化しました');
    const ledger = await readLedger(app.redis, provisionalId);
    expect(ledger).to.have.length(1);
    const succeeded = stripe.charged().filter((c) => c.id === ledger[0]!.confirmation);
    expect(succeeded, 'the connector\'s charge is the one booked').to.have.length(1);
  });

  it('when Stripe charged but its answer was lost, the client retries with the same idempotency key: charged once, booked once', async () => {
    const member = await memberWithCard(app);
    const call = await upToCodePrice(app, member);
    stripe.breakNext(/\/confirm$/, 'drop');
    const bought = await call.press('1');
    expect(spokenNumbers(bought.verbs).find((n) => n.length === 16)).to.match(/^\d{16}$/);
    expect(stripe.charged().filter((c) => c.metadata.member === member.provisionalId)).to.have.length(2);
    expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.have.length(1);
  });

  it('when Stripe cannot be reached after it charged, the caller hears the truth, and the background settles it from Stripe: refunded in full, never charged twice, the allowance given back', async () => {
    const member = await memberWithCard(app);
    const call = await upToCodePrice(app, member);
    stripe.breakNext(/\/confirm$/, 'drop-and-go-down');
    await call.press('1');
    stripe.comeBack();
    expect(call.heardText()).to.include('確認できませんでした').and.to.include('二重に請求されることはありません').and.to.include('全額を返金');
    expect((await readLedger(app.redis, member.provisionalId)).filter((e) => e.kind === 'code_purchase')).to.deep.equal([]);
    const purchase = stripe.charged().filter((c) => c.metadata.member === member.provisionalId && c.amount === 500);
    expect(purchase, 'Stripe did charge it').to.have.length(1);
    // The lease the call step had runs out; the background reads the payment and refunds it.
    app.clock.now += (app.config.cardChargeLeaseSeconds + 1) * 1000;
    await app.background!.runOnce();
    expect(stripe.charged().filter((c) => c.id === purchase[0]!.id)[0]!.refunded).to.equal(true);
    expect(stripe.refunds.filter((r) => r.payment_intent === purchase[0]!.id)).to.have.length(1);
    await app.background!.runOnce();
    expect(stripe.refunds.filter((r) => r.payment_intent === purchase[0]!.id), 'refunded once').to.have.length(1);
    const month = calendarMonth(app.clock.now, app.config.timeZone);
    expect(Number((await app.redis.get(keys.monthlySpend(member.provisionalId, month))) ?? 0)).to.equal(0);
    expect(await app.redis.zcard(keys.cardChargesPending())).to.equal(0);
  });

  it('the member page shows the kept card; forgetting it detaches it at Stripe, so it can never be charged again', async () => {
    const member = await memberWithCard(app);
    const token = (await app.redis.hget(keys.memberCard(member.provisionalId), 'token'))!;
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${app.url}/login?lang=en`);
      await page.fill('#formalId', member.formalId);
      await page.fill('#password', member.password);
      await page.click('button[type=submit].primary');
      const section = page.getByTestId('payment-card');
      expect(await section.innerText()).to.include('VISA ending 4242').and.to.include('kept for your next payment');
      await section.getByRole('button').click();
      // Asked first (without JavaScript): nothing is detached until confirmed.
      await page.getByTestId('confirmation').waitFor();
      expect(stripe.paymentMethods.get(token)!.customer).to.match(/^cus_/);
      await page.getByTestId('confirm').click();
      await page.waitForURL(/card=forgotten/);
      expect(await page.getByTestId('payment-card').count()).to.equal(0);
    } finally {
      await browser.close();
    }
    expect(stripe.paymentMethods.get(token)!.customer, 'detached').to.equal(null);
    const call = await upToCodePrice(app, member);
    expect(call.heardText()).to.include('次にカード情報をお伺いします').and.not.include('末尾');
  });
});
