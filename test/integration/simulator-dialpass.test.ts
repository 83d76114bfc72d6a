import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { placeCall, type CallEvent, type CallRecord } from '../../simulator/call.ts';
import { processEnv } from '../../src/config.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { scriptedCaller, startTwimlApp, twiml, TWIML_APP_TOKEN, type TwimlApp } from '../support/twiml-app.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** The formal ID as a caller writes it down: the number read out (twice) in the activation prompt. */
function formalIdHeard(events: CallEvent[]): string | undefined {
  const numbers = events.flatMap((e) => (e.type === 'say' ? e.numbers : []));
  return numbers.find((n, i) => numbers.indexOf(n) !== i);
}

async function logIn(app: TestApp, formalId: string, password: string) {
  return jsonRequest(app, 'POST', '/api/login', { formalId, password });
}

describe('the call simulator against dialpass itself', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const simulate = (entries: (string | null)[], from = '+819033334444'): Promise<CallRecord> =>
    placeCall({ baseUrl: app.config.publicBaseUrl, connectTo: app.url, authToken: app.config.twilio.authToken, from, to: app.config.servicePhoneNumber }, scriptedCaller(entries));

  it('a person registers, the simulator calls with scripted keys, the formal ID is in the transcript, and it logs in', async () => {
    const registration = await register(app);
    const call = await simulate(['1', `${registration.provisionalId}#`]);
    const formalId = formalIdHeard(call.events);
    expect(formalId, 'the formal ID read out twice').to.match(/^\d{9}$/);
    expect(call.callStatus).to.equal('completed');

    const login = await logIn(app, formalId!, registration.password);
    expect(login.status).to.equal(200);
    expect(login.body.formalId).to.equal(formalId);

    // The status callback went through the app's signature check and was recorded.
    const recorded = await app.redis.hgetall(keys.call(call.callSid));
    expect(recorded).to.include({ CallStatus: 'completed', CallDuration: String(call.duration) });
  });

  it('when the caller keys a wrong ID, the simulator hears it explained and is asked again', async () => {
    const call = await simulate(['1', '12345678901#']);
    const said = call.events.filter((e) => e.type === 'say').map((e) => (e as { text: string }).text);
    const asks = said.filter((t) => t === said.find((s) => /仮ID.*シャープ|provisional ID.*hash/.test(s)));
    expect(asks.length).to.equal(2);
  });

  describe('npm run call (the real command line)', () => {
    let twimlApp: TwimlApp | undefined;
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'dialpass-call-'));
    });
    afterEach(async () => {
      await twimlApp?.close();
      twimlApp = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    function runCli(args: string[], token: string, typed?: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn(TSX, ['scripts/call.ts', ...args], {
          cwd: ROOT,
          env: { ...processEnv(), TWILIO_AUTH_TOKEN: token, NODE_ENV: 'test', ...env },
          stdio: [typed === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
        if (typed !== undefined) child.stdin!.end(typed);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (c) => (stdout += c));
        child.stderr!.on('data', (c) => (stderr += c));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    }

    it('exits 0 after a good call, printing what was said and writing the transcript', async () => {
      twimlApp = await startTwimlApp({
        '/twilio/voice': twiml('<Gather numDigits="1" action="/menu"><Say language="en-US">Press 1.</Say></Gather>'),
        '/menu': twiml('<Say language="en-US">Thank you.</Say><Hangup/>'),
      });
      const transcript = join(dir, 'call.json');
      const result = await runCli(['--url', twimlApp.url, '--keys', '1', '--from', '+81 90-5555-6666', '--transcript', transcript], TWIML_APP_TOKEN);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.include('Press 1.').and.include('Thank you.');
      expect(twimlApp.to('/menu')[0]!.body).to.include({ Digits: '1', From: '+819055556666' });
      const written = JSON.parse(readFileSync(transcript, 'utf8')) as CallRecord;
      expect(written.events.map((e) => e.type)).to.include.members(['request', 'response', 'say', 'keys', 'ended']);
      expect(written.callStatus).to.equal('completed');
    });

    it('--from takes a withheld caller ID as Twilio sends it (anonymous, Restricted, or empty), and still refuses what Twilio never sends', async () => {
      twimlApp = await startTwimlApp({ '/twilio/voice': twiml('<Say language="en-US">Hello.</Say><Hangup/>') });
      for (const [given, sent] of [['anonymous', 'anonymous'], ['restricted', 'Restricted'], ['', '']]) {
        const result = await runCli(['--url', twimlApp.url, '--keys', '', '--from', given!], TWIML_APP_TOKEN);
        expect(result.code, result.stderr).to.equal(0);
        expect(twimlApp.to('/twilio/voice').at(-1)!.body.From).to.equal(sent);
      }
      const refused = await runCli(['--url', twimlApp.url, '--keys', '', '--from', 'nobody'], TWIML_APP_TOKEN);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include('--from "nobody" is not a phone number').and.include('anonymous');
      expect(twimlApp.to('/twilio/voice')).to.have.length(3);
    });

    it('a call from a withheld number (--from anonymous) is asked by dialpass to call again with the number shown', async () => {
      const port = new URL(app.url).port;
      const result = await runCli(['--keys', '', '--from', 'anonymous'], app.config.twilio.authToken, undefined, { PORT: port, PUBLIC_BASE_URL: app.config.publicBaseUrl });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.include('Please call again without withholding your number');
    });

    it('without --keys it reads keys typed at the keyboard: Enter alone is silence, a typo is asked again, end of input hangs up', async () => {
      twimlApp = await startTwimlApp({
        '/twilio/voice': twiml('<Gather numDigits="1" action="/menu"><Say>Press a key.</Say></Gather><Redirect>/twilio/voice</Redirect>'),
        '/menu': twiml('<Gather finishOnKey="#" action="/id"><Say>Your ID?</Say></Gather>'),
        '/id': twiml('<Gather action="/id"/>'),
      });
      const result = await runCli(['--url', twimlApp.url], TWIML_APP_TOKEN, '\n7\nabc\n12 34#\n');
      expect(result.code, result.stderr).to.equal(0);
      expect(twimlApp.to('/twilio/voice').map((r) => r.body.Digits)).to.deep.equal([undefined, undefined]);
      expect(twimlApp.to('/menu')[0]!.body).to.include({ Digits: '7' });
      expect(twimlApp.to('/id')[0]!.body).to.include({ Digits: '1234', FinishedOnKey: '#' });
      expect(result.stdout).to.include('only 0-9, * and # can be keyed').and.include('you hang up');
    });

    it('exits non-zero with a clear message on a verb it does not know', async () => {
      twimlApp = await startTwimlApp({ '/twilio/voice': twiml('<Enqueue>support</Enqueue>') });
      const result = await runCli(['--url', twimlApp.url, '--keys', ''], TWIML_APP_TOKEN);
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('<Enqueue>');
    });

    it('exits non-zero with a clear message on an HTTP 500', async () => {
      twimlApp = await startTwimlApp({ '/twilio/voice': { status: 500, type: 'text/plain', body: 'kaboom' } });
      const result = await runCli(['--url', twimlApp.url, '--keys', ''], TWIML_APP_TOKEN);
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('answered 500');
    });

    it('without --url it calls the app on PORT from the same environment, and says so in one line when none answers', async () => {
      const nobody = await runCli(['--keys', '1'], app.config.twilio.authToken, undefined, { PORT: '9', PUBLIC_BASE_URL: '' });
      expect(nobody.code).to.equal(1);
      expect(nobody.stderr.trim().split('\n')).to.have.length(1);
      expect(nobody.stderr).to.include('no app answers at http://127.0.0.1:9');
      const port = new URL(app.url).port;
      const found = await runCli(['--keys', '', '--timing'], app.config.twilio.authToken, undefined, { PORT: port, PUBLIC_BASE_URL: app.config.publicBaseUrl });
      expect(found.code, found.stderr).to.equal(0);
      expect(found.stdout).to.include('For English, press 9').and.to.include('call over:');
    });

    it('activates a dialpass account through the app listener, signing for its PUBLIC_BASE_URL', async () => {
      const registration = await register(app);
      const transcript = join(dir, 'activation.json');
      // Dialled at the app's SERVICE_PHONE_NUMBER: on premium-rate only the number billing the activation fee activates.
      const args = ['--url', app.config.publicBaseUrl, '--connect', app.url, '--to', app.config.servicePhoneNumber, '--keys', `1,${registration.provisionalId}#`, '--transcript', transcript];
      const result = await runCli(args, app.config.twilio.authToken);
      expect(result.code, result.stderr).to.equal(0);
      const formalId = formalIdHeard((JSON.parse(readFileSync(transcript, 'utf8')) as CallRecord).events);
      expect(formalId).to.match(/^\d{9}$/);
      // Printed as a caller hears it: digit by digit, in groups of three.
      expect(result.stdout).to.include(formalId!.replace(/(\d{3})(?=\d)/g, '$1,').split('').join(' ').replace(/ ,/g, ','));
      expect((await logIn(app, formalId!, registration.password)).status).to.equal(200);
    });
  });
});
