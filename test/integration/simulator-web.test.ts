import { expect } from 'chai';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';

interface TurnBody {
  callId: string;
  callSid: string;
  events: { type: string; numbers?: string[]; text?: string; method?: string; url?: string; status?: number }[];
  waitingFor: { purpose: string; numDigits?: number; finishOnKey: string; timeout: number } | null;
  ended: boolean;
  error: { kind: string; message: string } | null;
}

describe('the browser call simulator (/simulator)', () => {
  describe('when enabled (development and test)', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp();
    });
    after(() => app.close());

    it('serves the phone page with its script as a file, under a CSP that allows no inline script', async () => {
      const res = await fetch(`${app.url}/simulator?lang=en`);
      expect(res.status).to.equal(200);
      const html = await res.text();
      expect(html).to.include('data-testid="transcript"').and.include('data-testid="key-#"').and.include('data-testid="call"');
      expect(html).to.match(/<script type="module" src="\/simulator\/assets\/simulator.js"><\/script>/);
      expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.headers.get('content-security-policy')).to.include("script-src 'self'");
      const script = await fetch(`${app.url}/simulator/assets/simulator.js`);
      expect(script.status).to.equal(200);
      expect(script.headers.get('content-type')).to.include('javascript');
    });

    it('a call from the page runs through the signed webhooks: menu, provisional ID, formal ID, and the status callback', async () => {
      const registration = await register(app);
      const start = await jsonRequest<TurnBody>(app, 'POST', '/simulator/api/calls', { from: '+81 90 7777 8888' });
      expect(start.status).to.equal(201);
      // A line never heard: one entry ending on #, the provisional ID straight away.
      expect(start.body.waitingFor).to.deep.include({ purpose: 'gather', finishOnKey: '#' });
      expect(start.body.events.find((e) => e.type === 'response')).to.include({ status: 200 });
      expect(start.body.events.filter((e) => e.type === 'say')).to.have.length(3);

      const activated = await jsonRequest<TurnBody>(app, 'POST', `/simulator/api/calls/${start.body.callId}/keys`, { keys: `${registration.provisionalId}#` });
      const numbers = activated.body.events.flatMap((e) => e.numbers ?? []);
      expect(numbers[0]).to.match(/^\d{9}$/).and.equal(numbers[1]);

      const hungUp = await jsonRequest<TurnBody>(app, 'POST', `/simulator/api/calls/${start.body.callId}/hangup`, {});
      expect(hungUp.body.ended).to.equal(true);
      expect(hungUp.body.error).to.equal(null);
      const recorded = await app.redis.hgetall(keys.call(start.body.callSid));
      expect(recorded).to.include({ CallStatus: 'completed', From: '+819077778888' });
      expect((await jsonRequest(app, 'POST', `/simulator/api/calls/${start.body.callId}/keys`, { keys: '1' })).status).to.equal(404);
    });

    it('bad requests get clear JSON errors', async () => {
      expect((await jsonRequest(app, 'POST', '/simulator/api/calls/nope/keys', { keys: '1' })).body.error.code).to.equal('unknown_call');
      expect((await jsonRequest(app, 'POST', '/simulator/api/calls', { from: 'not a number' })).status).to.equal(422);
      const start = await jsonRequest<TurnBody>(app, 'POST', '/simulator/api/calls', {});
      const garbage = await jsonRequest(app, 'POST', `/simulator/api/calls/${start.body.callId}/keys`, { keys: '1a' });
      expect(garbage.status).to.equal(422);
      expect(garbage.body.error.code).to.equal('invalid_keys');
      const form = await fetch(`${app.url}/simulator/api/calls`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'from=1' });
      expect(form.status).to.equal(415);
      await jsonRequest(app, 'POST', `/simulator/api/calls/${start.body.callId}/hangup`, {});
    });
  });

  describe('when SIMULATOR_ENABLED=false (the production default)', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ SIMULATOR_ENABLED: 'false' });
    });
    after(() => app.close());

    it('the page, its script and its API do not exist', async () => {
      expect((await fetch(`${app.url}/simulator`)).status).to.equal(404);
      expect((await fetch(`${app.url}/simulator/assets/simulator.js`)).status).to.equal(404);
      expect((await fetch(`${app.url}/simulator/api/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status).to.equal(404);
    });
  });
});
