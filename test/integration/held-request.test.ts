import { expect } from 'chai';
import { Redis } from 'ioredis';
import { placeCall, type CallEvent, type Caller } from '../../simulator/call.ts';
import { TEST_CARD_APPROVED } from '../../simulator/test-cards.ts';
import { keys } from '../../src/store/keys.ts';
import { AppProcess, FAULT_ENV, ownRedis } from '../support/fault-kit.ts';
import { scriptedCaller } from '../support/twiml-app.ts';
import { eventually } from '../support/webhooks.ts';

const json = async (app: AppProcess, path: string, method: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${app.url}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json().catch(() => ({}))) as any };
};
const readTwice = (events: CallEvent[]) => {
  const numbers = events.flatMap((e) => (e.type === 'say' ? e.numbers : []));
  return numbers.find((n, i) => numbers.indexOf(n) !== i);
};

describe('a payment request held by a call that dies is released when the call ends (the app killed mid-call)', () => {
  it('the app is SIGKILLed while the caller keys a card for a request it holds; the call ends; the next instance releases the request on the status callback', async function () {
    this.timeout(120_000);
    const redis = await ownRedis();
    const env = { REDIS_URL: redis.url, CHARGE_METHOD: 'card', PAY_CONNECTOR: 'Stripe_JP', CALL_END_GRACE_MS: '300' };
    let app = new AppProcess(env);
    const db = new Redis(redis.url, { keyPrefix: FAULT_ENV.REDIS_KEY_PREFIX });
    try {
      await app.start();
      // Where the simulated Twilio sends each request: the app that is up now (a restart changes the port).
      let current = app.url;
      let down = false;
      let upAgain: () => void = () => {};
      const restarted = new Promise<void>((resolve) => (upAgain = resolve));
      const routed: typeof fetch = async (input, init) => {
        const url = new URL(String(input));
        if (url.pathname === '/twilio/voice/status' && down) await restarted;
        else if (down) throw new TypeError('fetch failed (the app is down)');
        return fetch(`${current}${url.pathname}${url.search}`, init);
      };
      const dial = (caller: Caller, from = '+819033334444') =>
        placeCall({ baseUrl: FAULT_ENV.PUBLIC_BASE_URL, connectTo: 'http://app.invalid', fetch: routed, authToken: FAULT_ENV.TWILIO_AUTH_TOKEN, from, to: FAULT_ENV.SERVICE_PHONE_NUMBER }, caller);

      // A member who paid the activation by card, and a merchant's request.
      const registered = (await json(app, '/api/registrations', 'POST', { name: 'Held Caller', email: 'held@example.com' })).body;
      const activation = await dial(scriptedCaller(['1', `${registered.provisionalId}#`, '1', `${TEST_CARD_APPROVED}#`, '1239#', '123#']));
      const formalId = readTwice(activation.events)!;
      expect(formalId).to.match(/^\d{9}$/);
      const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password: registered.password }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: '5151' }) });
      const shop = (await json(app, '/api/admin/merchants', 'POST', { name: 'Held shop' }, { Authorization: `Bearer ${FAULT_ENV.ADMIN_TOKEN}` })).body;
      const created = await json(app, '/api/merchant/payment-requests', 'POST', { amount: 800, description: 'Tea' }, { Authorization: `Bearer ${shop.apiKey}`, 'Idempotency-Key': 'held-1' });
      expect(created.status).to.equal(201);
      const status = () => db.hget(keys.paymentRequest(created.body.id), 'status');

      // The approval call reaches <Pay>: the request is held by this call while the card is keyed.
      let atCard: () => void = () => {};
      const reachedCard = new Promise<void>((resolve) => (atCard = resolve));
      let hangUp: () => void = () => {};
      const hungUp = new Promise<void>((resolve) => (hangUp = resolve));
      const script = scriptedCaller(['3', `${formalId}#`, '5151#', `${created.body.number}#`, '1']);
      const caller: Caller = {
        async keys(request) {
          if (request.purpose !== 'payment-card-number') return script.keys(request);
          atCard();
          await hungUp;
          return null; // the caller hangs up; the action request finds no app
        },
      };
      const approval = dial(caller);
      await reachedCard;
      expect(await status()).to.equal('claimed');

      await app.kill();
      down = true;
      hangUp();
      // The call has ended (its action request failed); its status callback waits for an app.
      app = new AppProcess(env);
      await app.start();
      current = app.url;
      down = false;
      upAgain();
      // The simulated Twilio reports the failed action request as the call's failure, after its status callback.
      const failure = await approval.then(() => undefined, (error: Error) => error);
      expect(failure?.message).to.include('/twilio/voice/card/paid').and.include('the app is down');
      const released = await eventually(async () => (await status()) === 'pending', 30_000);
      expect(released, 'released once the call had ended').to.equal(true);
      // Nobody was charged for it, and it can be paid by someone else now.
      const ledger = await db.lrange(keys.memberLedger(registered.provisionalId), 0, -1);
      expect(ledger.map((e) => JSON.parse(e).kind)).to.deep.equal(['activation']);
      expect((await db.hmget(keys.paymentRequest(created.body.id), 'claimedBy', 'claimCall')).filter(Boolean)).to.deep.equal([]);
    } finally {
      db.disconnect();
      await app.stop();
      await redis.stop();
    }
  });
});
