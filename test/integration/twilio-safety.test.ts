import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import twilio from 'twilio';
import { buildConfig } from '../../src/config.ts';
import { createRedisClient } from '../../src/store/redis.ts';
import { newCallSid, register, startTestApp, testConfig, TEST_BASE_URL, type TestApp, type TwilioPostResult } from '../support/harness.ts';
import { inboundCallParams } from '../../simulator/webhook-params.ts';
import { TestCall } from '../support/call.ts';
import { findVerb, parseTwiml, spokenText } from '../support/twiml.ts';

/**
 * What an attacker (or a misconfigured proxy) sends: Twilio's fields, signed with the wrong key,
 * over the wrong URL, or not at all. Only these tests build webhook requests by hand; every call
 * Twilio would really make goes through the simulator (TestCall).
 */
const callParams = (callSid: string, from = '+819012345678', extra: Record<string, string> = {}) => inboundCallParams({ callSid, from, to: '+815000001234' }, extra);

async function forgedRequest(app: TestApp, path: string, params: Record<string, string>, signWith: string): Promise<TwilioPostResult> {
  const signature = twilio.getExpectedTwilioSignature(signWith, `${app.config.publicBaseUrl}${path}`, params);
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  const body = await res.text();
  return { status: res.status, body, verbs: (res.headers.get('content-type') ?? '').includes('xml') ? parseTwiml(body) : [] };
}

describe('Twilio webhooks are safe', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${app.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('an unsigned request gets 403 and reaches no handler', async () => {
    const res = await post('/twilio/voice', form(callParams(newCallSid())), {});
    expect(res.status).to.equal(403);
    expect(res.headers.get('content-type')).to.not.include('xml');
  });

  it('a request whose parameters were tampered with after signing gets 403', async () => {
    const params = callParams(newCallSid(), '+819012345678', { Digits: '1' });
    const signature = twilio.getExpectedTwilioSignature(app.config.twilio.authToken, `${TEST_BASE_URL}/twilio/voice/menu?l=ja-JP`, params);
    const res = await post('/twilio/voice/menu?l=ja-JP', form({ ...params, Digits: '4' }), { 'X-Twilio-Signature': signature });
    expect(res.status).to.equal(403);
  });

  it('a request whose URL state was tampered with (e.g. the wrong-entry count) gets 403', async () => {
    const params = callParams(newCallSid(), '+819012345678', { Digits: '00000000000' });
    const signature = twilio.getExpectedTwilioSignature(app.config.twilio.authToken, `${TEST_BASE_URL}/twilio/voice/activation?l=ja-JP&w=2`, params);
    const res = await post('/twilio/voice/activation?l=ja-JP', form(params), { 'X-Twilio-Signature': signature });
    expect(res.status).to.equal(403);
  });

  it('a request signed with another auth token gets 403', async () => {
    const res = await forgedRequest(app, '/twilio/voice', callParams(newCallSid()), 'some-other-token-0123456789abcdef');
    expect(res.status).to.equal(403);
  });

  it('a request signed for the host it reached rather than PUBLIC_BASE_URL gets 403', async () => {
    const params = callParams(newCallSid());
    const signature = twilio.getExpectedTwilioSignature(app.config.twilio.authToken, `${app.url}/twilio/voice`, params);
    const res = await post('/twilio/voice', form(params), { 'X-Twilio-Signature': signature });
    expect(res.status).to.equal(403);
  });

  it('the status callback is signature-checked too', async () => {
    const res = await post('/twilio/voice/status', form(callParams(newCallSid(), '+81', { CallStatus: 'completed' })), {});
    expect(res.status).to.equal(403);
  });

  it('signature checking stays on in production mode', async () => {
    const production = await startTestApp({ NODE_ENV: 'production', CHARGE_METHOD: 'premium-rate', CHARGE_METHOD_CODES: 'card', CHARGE_METHOD_APPROVALS: 'card', TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'), SESSION_SECRET: randomBytes(32).toString('base64'), ADMIN_TOKEN: randomBytes(32).toString('base64'), HASH_PEPPER: randomBytes(32).toString('base64') });
    try {
      const res = await fetch(`${production.url}/twilio/voice`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form(callParams(newCallSid())) });
      expect(res.status).to.equal(403);
      const call = new TestCall(production);
      expect((await call.dial()).status).to.equal(200);
    } finally {
      await production.close();
    }
  });

  it('a request for a voice path that does not exist (as Twilio would make it, had the number been set up with a typo) gets an apology in TwiML', async () => {
    const { status, verbs } = await forgedRequest(app, '/twilio/voice/nowhere', callParams(newCallSid()), app.config.twilio.authToken);
    expect(status).to.equal(200);
    expect(findVerb(verbs, 'Hangup')).to.exist;
  });

  it('a signed request with an over-long Digits value is treated as a wrong entry', async () => {
    const call = new TestCall(app);
    await call.dial();
    await call.press('1');
    const { status, verbs } = await call.press(`${'9'.repeat(500)}#`);
    expect(status).to.equal(200);
    expect(findVerb(verbs, 'Gather')).to.exist;
  });

  it('when Redis is down, a Twilio route still answers 200 with TwiML that apologises', async () => {
    const config = buildConfig({ ...envOf(testConfig()), REDIS_URL: 'redis://127.0.0.1:1' });
    const broken = await startTestApp({}, { redis: createRedisClient(config) });
    try {
      const call = new TestCall(broken);
      await call.dial();
      await call.press('1');
      // The caller hears the apology; then the status callback cannot be stored and answers 503,
      // which the simulator, like Twilio's debugger, reports as a failure of the call's last request.
      const failure = await call.press('12345678901#').then(() => undefined, (error: Error) => error);
      expect(failure?.message).to.match(/status callback\) answered 503/);
      const res = call.last;
      expect(res.status).to.equal(200);
      expect(spokenText(res.verbs)).to.include('申し訳ありません');
      expect(findVerb(res.verbs, 'Hangup')).to.exist;
      const health = await fetch(`${broken.url}/healthz`);
      expect(health.status).to.equal(503);
      const api = await fetch(`${broken.url}/api/registrations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'A', email: 'a@example.com' }),
      });
      expect(api.status).to.equal(503);
      expect(((await api.json()) as { error: { code: string } }).error.code).to.equal('unavailable');
      expect(api.headers.get('retry-after')).to.equal('2');
    } finally {
      broken.redis.disconnect();
      await broken.close();
    }
  });

  it('with Redis up, /healthz answers 200 and says how callers are charged', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      status: 'ok',
      redis: 'up',
      chargeMethod: 'premium-rate',
      chargeMethods: { activation: 'premium-rate', renewal: 'premium-rate', codes: 'none', approvals: 'none' },
    });
  });

  it('a line that keeps keying wrong IDs is refused for the day, even across calls', async () => {
    const strict = await startTestApp({ LINE_MAX_WRONG_ENTRIES_PER_DAY: '4' });
    try {
      const from = '+819055556666';
      const { provisionalId } = await register(strict);
      for (const wrong of [['00000000000#', '11111111111#'], ['22222222222#', '33333333333#']]) {
        const call = new TestCall(strict, from);
        await call.dial();
        await call.press('1');
        for (const digits of wrong) await call.press(digits);
      }
      const call = new TestCall(strict, from);
      await call.dial();
      await call.press('1');
      const { verbs } = await call.press(`${provisionalId}#`);
      expect(spokenText(verbs)).to.include('この電話番号からの誤った入力が多すぎる');
      expect(findVerb(verbs, 'Hangup')).to.exist;
      const other = new TestCall(strict, '+819077778888');
      await other.dial();
      await other.press('1');
      expect(findVerb((await other.press(`${provisionalId}#`)).verbs, 'Hangup')).to.not.exist;
    } finally {
      await strict.close();
    }
  });

  it('the pick-up answer follows the locale in its URL (a number configured with ?l=en-US), and is never given without a signature', async () => {
    const english = await forgedRequest(app, '/twilio/voice?l=en-US', callParams(newCallSid(), '+819012340000'), app.config.twilio.authToken);
    expect(findVerb(parseTwiml(english.body), 'Gather')!.children.at(-1)!.attributes.language).to.equal('en-US');
    const unsigned = await post('/twilio/voice', form(callParams(newCallSid())), {});
    expect(unsigned.status).to.equal(403);
    const badlySigned = await post('/twilio/voice', form(callParams(newCallSid())), { 'X-Twilio-Signature': 'c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ==' });
    expect(badlySigned.status).to.equal(403);
  });

  it('the TwiML always parses as a document', async () => {
    const { body } = await new TestCall(app).dial();
    expect(() => parseTwiml(body)).to.not.throw();
  });
});

function envOf(config: ReturnType<typeof testConfig>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PUBLIC_BASE_URL: config.publicBaseUrl,
    TWILIO_AUTH_TOKEN: config.twilio.authToken,
    SERVICE_PHONE_NUMBER: config.servicePhoneNumber,
  };
}
