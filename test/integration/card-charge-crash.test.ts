import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { calendarMonth } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { createRedisClient } from '../../src/store/redis.ts';
import { startStripeStandIn, STRIPE_TEST_CARDS, type StripeStandIn } from '../../simulator/stripe.ts';
import { startCarrierStandIn, type CarrierStandIn } from '../../simulator/carrier-billing.ts';
import { startAppProcess, type AppProcess } from '../support/app-process.ts';
import { TestCall } from '../support/call.ts';
import { deleteKeysWithPrefix, register, testConfig, type TestApp } from '../support/harness.ts';
import { spokenNumbers } from '../support/twiml.ts';

const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * The app as a process of its own (npm start's entry), charging cards through the Stripe
 * stand-in, killed with SIGKILL while Stripe is charging: the charge's outcome is then known only
 * to Stripe, and the restarted app must settle it from there.
 */
describe('a card charge through the processor survives the app being killed mid-charge', () => {
  let stripe: StripeStandIn;
  let proc: AppProcess | undefined;
  const prefix = `cardcrash${randomBytes(4).toString('hex')}:`;
  const env = () => ({
    CHARGE_METHOD: 'card',
    CARD_PROCESSOR: 'stripe',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_API_URL: stripe.url,
    PAY_CONNECTOR: 'Stripe_JP',
    REDIS_KEY_PREFIX: prefix,
    PUBLIC_BASE_URL: 'https://dialpass.crash.test',
    TWILIO_AUTH_TOKEN: 'crash-test-auth-token-0123456789ab',
    CARD_CHARGE_LEASE_SECONDS: '3',
    WORKER_POLL_MS: '50',
  });
  before(async () => {
    stripe = await startStripeStandIn();
  });
  after(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await deleteKeysWithPrefix(testConfig(env()), prefix);
    await stripe.close();
  });

  it('SIGKILLed after Stripe charged and before the charge was booked: once restarted, the background reads the payment at Stripe and refunds it: charged once, refunded once, nothing booked, the allowance given back', async function () {
    this.timeout(180_000);
    const config = testConfig(env());
    const start = () => startAppProcess({ ...env(), REDIS_URL: config.redis.url ?? '', REDIS_CLUSTER_NODES: config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') });
    proc = await start();
    const redis = createRedisClient(config);
    try {
      const app = { config, url: proc.url, redis } as unknown as TestApp;
      // A member who kept a card, with a PIN.
      const { provisionalId, password } = await register(app);
      const first = new TestCall(app);
      await first.dial();
      await first.press('1');
      await first.press(`${provisionalId}#`);
      await first.press('1');
      await first.press('1'); // keep the card
      await first.press(`${STRIPE_TEST_CARDS.succeeds}#`);
      await first.press('1239#');
      const formalId = spokenNumbers((await first.press('123#')).verbs)[0]!;
      await first.hangUp();
      const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: '2468' }) });

      // A code by the kept card; Stripe charges it, and its answer takes long enough for the kill.
      const call = new TestCall(app);
      await call.dial();
      await call.press('2');
      await call.press(`${formalId}#`);
      await call.press('2468#');
      await call.press('1');
      stripe.breakNext(/\/confirm$/, { delayMs: 20_000 });
      const confirming = call.press('1').then(
        () => 'answered',
        () => 'the call failed',
      );
      const charged = () => stripe.charged().filter((c) => c.metadata.member === provisionalId && c.amount === 500);
      await until('Stripe to charge the code', () => charged().length === 1);
      proc.child.kill('SIGKILL');
      await proc.exited;
      expect(await confirming, 'the webhook died with the app').to.equal('the call failed');
      expect((await readLedger(redis, provisionalId)).filter((e) => e.kind === 'code_purchase')).to.deep.equal([]);

      proc = await start();
      const [payment] = charged();
      await until('the restarted app to settle the charge', () => stripe.refunds.some((r) => r.payment_intent === payment!.id));
      await until('the charge record to go', async () => (await redis.zcard(keys.cardChargesPending())) === 0);
      expect(charged(), 'charged once').to.have.length(1);
      expect(stripe.refunds.filter((r) => r.payment_intent === payment!.id), 'refunded once').to.have.length(1);
      expect((await readLedger(redis, provisionalId)).filter((e) => e.kind === 'code_purchase'), 'nothing booked').to.deep.equal([]);
      const month = calendarMonth(Date.now(), config.timeZone);
      expect(Number((await redis.get(keys.monthlySpend(provisionalId, month))) ?? 0), 'the allowance given back').to.equal(0);
      // The operator sees it among the card charges refunded.
      const recorded = Object.values(await redis.hgetall(keys.cardChargesToRefund())).map((v) => JSON.parse(v) as { reference?: string; refunded?: boolean });
      expect(recorded.filter((r) => r.reference === payment!.id)).to.deep.equal([{ ...recorded.find((r) => r.reference === payment!.id)!, refunded: true }]);
    } finally {
      redis.disconnect();
    }
  });
});

/**
 * The same, for a charge on the calling line's phone bill (carrier-billing, the operator
 * stand-in): killed after the reservation and before the confirmation (the caller was keying the
 * code the operator texted), and killed after the confirmation and before its answer.
 */
describe('a charge on the phone bill survives the app being killed between its two steps, and during the second', () => {
  let operator: CarrierStandIn;
  let proc: AppProcess | undefined;
  const prefix = `carriercrash${randomBytes(4).toString('hex')}:`;
  const env = () => ({
    CHARGE_METHOD: 'carrier-billing',
    ...operator.env,
    REDIS_KEY_PREFIX: prefix,
    PUBLIC_BASE_URL: 'https://dialpass.crash.test',
    TWILIO_AUTH_TOKEN: 'crash-test-auth-token-0123456789ab',
    CARD_CHARGE_LEASE_SECONDS: '3',
    WORKER_POLL_MS: '50',
    CODE_DENOMINATIONS: '1000,3000',
  });
  before(async () => {
    operator = await startCarrierStandIn();
  });
  after(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await deleteKeysWithPrefix(testConfig(env()), prefix);
    await operator.close();
  });

  const start = (config: ReturnType<typeof testConfig>) =>
    startAppProcess({ ...env(), REDIS_URL: config.redis.url ?? '', REDIS_CLUSTER_NODES: config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') });

  /** A member activated on the phone bill from `line`, with a PIN; the call at the 3,000-yen price. */
  async function atPrice(app: TestApp, line: string) {
    const { provisionalId, password } = await register(app);
    const first = new TestCall(app, line);
    await first.dial();
    await first.press('1');
    await first.press(`${provisionalId}#`);
    const formalId = spokenNumbers((await first.press('1')).verbs)[0]!;
    await first.hangUp();
    const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: '2468' }) });
    const call = new TestCall(app, line);
    await call.dial();
    await call.press('2');
    await call.press(`${formalId}#`);
    await call.press('2468#');
    await call.press('2');
    return { call, provisionalId };
  }
  const onLine = (line: string) => [...operator.payments.values()].filter((p) => p.amountTransaction.phoneNumber === line && Number(p.amountTransaction.paymentAmount.chargingInformation.amount) === 3000);

  it('killed between the reservation and its confirmation: once restarted, the reservation is let go; nothing is charged, the allowance comes back', async function () {
    this.timeout(180_000);
    const config = testConfig(env());
    proc = await start(config);
    const redis = createRedisClient(config);
    try {
      const app = { config, url: proc.url, redis } as unknown as TestApp;
      const line = `+8190${String(Date.now()).slice(-8)}`;
      const { call, provisionalId } = await atPrice(app, line);
      operator.lines.set(line, { validation: true });
      await call.press('1');
      expect(call.heardText()).to.include('確認コード');
      expect(onLine(line).map((p) => p.paymentStatus)).to.deep.equal(['pending_validation']);
      proc.child.kill('SIGKILL');
      await proc.exited;
      proc = await start(config);
      await until('the reservation to be let go', () => onLine(line)[0]?.paymentStatus === 'cancelled');
      expect(operator.charged().filter((c) => c.phoneNumber === line && c.amount === 3000)).to.deep.equal([]);
      await until('the allowance to come back', async () => Number((await redis.get(keys.monthlySpend(provisionalId, calendarMonth(Date.now(), config.timeZone)))) ?? 0) === 0);
      expect((await readLedger(redis, provisionalId)).filter((e) => e.kind === 'code_purchase')).to.deep.equal([]);
    } finally {
      redis.disconnect();
    }
  });

  it('killed after the confirmation and before its answer: once restarted, the payment is read back and refunded in full through the Refund API, once; nothing is booked, no reservation is left', async function () {
    this.timeout(180_000);
    const config = testConfig(env());
    proc ??= await start(config);
    if (proc.child.exitCode !== null) proc = await start(config);
    const redis = createRedisClient(config);
    try {
      const app = { config, url: proc.url, redis } as unknown as TestApp;
      const line = `+8180${String(Date.now()).slice(-8)}`;
      const { call, provisionalId } = await atPrice(app, line);
      operator.breakNext(/\/confirm$/, { delayMs: 20_000 });
      const confirming = call.press('1').then(
        () => 'answered',
        () => 'the call failed',
      );
      await until('the operator to charge the line', () => onLine(line)[0]?.paymentStatus === 'succeeded');
      proc.child.kill('SIGKILL');
      await proc.exited;
      expect(await confirming).to.equal('the call failed');
      proc = await start(config);
      const [payment] = onLine(line);
      await until('the restarted app to refund it', () => operator.refunds.some((r) => r.paymentId === payment!.paymentId));
      expect(operator.charged().filter((c) => c.phoneNumber === line && c.amount === 3000)).to.have.length(1);
      expect(operator.refunds.filter((r) => r.paymentId === payment!.paymentId)).to.have.length(1);
      expect((await readLedger(redis, provisionalId)).filter((e) => e.kind === 'code_purchase')).to.deep.equal([]);
      expect(onLine(line).filter((p) => p.paymentStatus === 'reserved' || p.paymentStatus === 'pending_validation')).to.deep.equal([]);
    } finally {
      redis.disconnect();
    }
  });
});
