import { expect } from 'chai';
import twilio from 'twilio';
import { buildConfig } from '../../src/config.ts';
import { CallFailure } from '../../simulator/call-failure.ts';
import { placeCall } from '../../simulator/call.ts';
import { inboundCallParams, newCallSid } from '../../simulator/webhook-params.ts';
import { createRedisClient } from '../../src/store/redis.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { scriptedCaller } from '../support/twiml-app.ts';

/** A forged webhook: a hand-built body, signed as Twilio would sign it, to a path no TwiML hands out. */
async function forgedSignedPost(app: TestApp, path: string): Promise<{ status: number; body: string }> {
  const params = inboundCallParams({ callSid: newCallSid(), from: '+819012345678', to: '+815000001234' });
  const signature = twilio.getExpectedTwilioSignature(app.config.twilio.authToken, `${app.config.publicBaseUrl}${path}`, params);
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** One simulated call that presses nothing and hangs up: its status callback is the real one. */
const callAndHangUp = (app: TestApp) =>
  placeCall({ baseUrl: app.config.publicBaseUrl, connectTo: app.url, authToken: app.config.twilio.authToken, from: '+819012340000', to: app.config.servicePhoneNumber }, scriptedCaller([null]));

describe('broken paths, lost call records and cross-site logouts', () => {
  let app: TestApp;
  let apiKey: string;
  before(async () => {
    app = await startTestApp();
    apiKey = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Kiosk' }, { Authorization: `Bearer ${app.config.adminToken}` })).body.apiKey;
  });
  after(() => app.close());

  describe('a path whose %-encoding does not decode is the client’s mistake (400), never a 500', () => {
    it('under /api (and the simulator’s API), with or without a key, it is a JSON 400', async () => {
      const tries: [string, string, Record<string, string>][] = [
        ['GET', '/api/%', {}],
        ['POST', '/api/%E0%A4%A', {}],
        ['GET', '/api/merchant/codes/%E0%A4%A', { Authorization: `Bearer ${apiKey}` }],
        ['POST', '/api/merchant/redemptions/%zz/void', { Authorization: `Bearer ${apiKey}` }],
        ['GET', '/api/merchant/payment-requests/%', { Authorization: `Bearer ${apiKey}` }],
        ['GET', '/api/admin/merchants/%zz/settlement.csv', { Authorization: `Bearer ${app.config.adminToken}` }],
        ['POST', '/simulator/api/calls/%E0%A4%A/keys', {}],
      ];
      for (const [method, path, headers] of tries) {
        const res = await fetch(`${app.url}${path}`, { method, headers });
        expect(res.status, `${method} ${path}`).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('malformed_path');
      }
    });

    it('on the web pages it is a 400 page in the visitor’s language', async () => {
      for (const path of ['/%E0%A4%A', '/register/%zz', '/assets/%', '/simulator/%E0%A4%A?lang=en']) {
        const res = await fetch(`${app.url}${path}`);
        expect(res.status, path).to.equal(400);
        expect(res.headers.get('content-type')).to.include('text/html');
        expect(res.headers.get('content-security-policy'), 'page headers').to.be.a('string');
      }
      expect(await (await fetch(`${app.url}/%zz?lang=en`)).text()).to.include('That address is not valid.');
    });

    it('under /twilio an unsigned request is still 403, and a signed (forged) one a plain 400', async () => {
      const unsigned = await fetch(`${app.url}/twilio/%zz`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(inboundCallParams({ callSid: newCallSid(), from: '+819012345678', to: '+815000001234' })).toString(),
      });
      expect(unsigned.status).to.equal(403);
      for (const path of ['/twilio/%zz', '/twilio/voice/%E0%A4%A']) {
        const signed = await forgedSignedPost(app, path);
        expect(signed.status, path).to.equal(400);
        expect(signed.body).to.equal('Bad request');
      }
    });
  });

  describe('the call status callback', () => {
    it('is stored and answered 204 while Redis is up', async () => {
      const call = await callAndHangUp(app);
      expect(await app.redis.hget(keys.call(call.callSid), 'CallStatus')).to.equal(call.callStatus);
    });

    it('answers 503 when the record cannot be stored (Redis down), so Twilio’s debugger and alerts see the loss', async () => {
      const config = buildConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: app.config.publicBaseUrl, TWILIO_AUTH_TOKEN: app.config.twilio.authToken, REDIS_URL: 'redis://127.0.0.1:1' });
      const broken = await startTestApp({}, { redis: createRedisClient(config) });
      try {
        const failure = await callAndHangUp(broken).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).to.be.instanceOf(CallFailure);
        expect((failure as Error).message).to.include('(status callback) answered 503');
      } finally {
        broken.redis.disconnect();
        await broken.close();
      }
    });
  });

  describe('logging out is refused from another site', () => {
    for (const [name, headers] of [
      ['Origin of another site', { Origin: 'https://evil.example' }],
      ['Origin null (a sandboxed frame)', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site and no Origin', { 'Sec-Fetch-Site': 'cross-site' }],
    ] as const) {
      it(`POST /logout and POST /api/logout with ${name} are 403 and the session lives on`, async () => {
        const member = await activeMember(app);
        const page = await fetch(`${app.url}/logout`, { method: 'POST', redirect: 'manual', headers: { Cookie: member.cookie, ...headers } });
        expect(page.status).to.equal(403);
        expect(page.headers.get('set-cookie')).to.equal(null);
        const api = await jsonRequest(app, 'POST', '/api/logout', undefined, { Cookie: member.cookie, ...headers });
        expect(api.status).to.equal(403);
        expect(api.body.error.code).to.equal('cross_site_request');
        expect((await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: member.cookie })).status).to.equal(200);
      });
    }

    it('a same-origin logout still works, from the page and from the API', async () => {
      const member = await activeMember(app);
      const same = { Origin: app.config.publicBaseUrl, 'Sec-Fetch-Site': 'same-origin' };
      expect((await jsonRequest(app, 'POST', '/api/logout', undefined, { Cookie: member.cookie, ...same })).status).to.equal(204);
      expect((await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: member.cookie })).status).to.equal(401);
      const other = await activeMember(app);
      const page = await fetch(`${app.url}/logout`, { method: 'POST', redirect: 'manual', headers: { Cookie: other.cookie, ...same } });
      expect(page.status).to.equal(303);
      expect((await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: other.cookie })).status).to.equal(401);
    });

    it('a cross-site login through the API is refused too (login CSRF)', async () => {
      const res = await jsonRequest(app, 'POST', '/api/login', { formalId: '123456789', password: 'x' }, { Origin: 'https://evil.example' });
      expect(res.status).to.equal(403);
    });
  });
});

