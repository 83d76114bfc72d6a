import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configureNumber, wantedSettings } from '../../scripts/twilio-configure.ts';
import { processEnv } from '../../src/config.ts';

const ACCOUNT = `AC${'a'.repeat(32)}`;
const TOKEN = 'stand-in-auth-token-0123456789';
const NUMBER_SID = `PN${'b'.repeat(32)}`;
const PHONE = '+815012345678';
const BASE = 'https://dialpass.example.com';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  authorization: string;
}

/**
 * A stand-in for Twilio's REST API (api.twilio.com/2010-04-01): the IncomingPhoneNumbers list
 * filtered by PhoneNumber, and the instance update, with Basic auth, in Twilio's JSON shapes.
 */
async function twilioStandIn() {
  const seen: Seen[] = [];
  const number: Record<string, string> = {
    sid: NUMBER_SID,
    account_sid: ACCOUNT,
    phone_number: PHONE,
    friendly_name: '050-1234-5678',
    voice_url: 'https://old.example.com/voice',
    voice_method: 'GET',
    voice_fallback_url: '',
    voice_fallback_method: 'POST',
    status_callback: '',
    status_callback_method: 'POST',
  };
  const listPath = `/2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers.json`;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://stand-in');
      seen.push({ method: req.method!, path: url.pathname, query: url.searchParams, form: new URLSearchParams(body), authorization: String(req.headers.authorization) });
      const json = (status: number, value: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
      if (req.headers.authorization !== `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`) return json(401, { code: 20003, message: 'Authenticate', status: 401 });
      if (req.method === 'GET' && url.pathname === listPath) {
        const matches = url.searchParams.get('PhoneNumber') === PHONE ? [number] : [];
        return json(200, { incoming_phone_numbers: matches, page: 0, page_size: Number(url.searchParams.get('PageSize') ?? 50), first_page_uri: listPath, next_page_uri: null, previous_page_uri: null, uri: listPath });
      }
      if (req.method === 'POST' && url.pathname === `/2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers/${NUMBER_SID}.json`) {
        for (const [name, value] of new URLSearchParams(body)) number[name.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase())] = value;
        return json(200, number);
      }
      json(404, { code: 20404, message: 'not found', status: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, number, close: () => new Promise((r) => server.close(r)) };
}

describe('npm run twilio:configure (against a stand-in for the REST API)', function () {
  this.timeout(60_000);
  let api: Awaited<ReturnType<typeof twilioStandIn>>;
  beforeEach(async () => {
    api = await twilioStandIn();
  });
  afterEach(() => api.close());

  const run = (dryRun: boolean, printed: string[] = []) =>
    configureNumber({ accountSid: ACCOUNT, authToken: TOKEN, phoneNumber: PHONE, publicBaseUrl: BASE, dryRun, apiBaseUrl: api.url, print: (l) => printed.push(l) });

  it('--compare finds the number by PhoneNumber and prints each change without making it', async () => {
    const printed: string[] = [];
    const result = await run(true, printed);
    expect(result.updated).to.equal(false);
    expect(result.changes.map((c) => c.field)).to.have.members(['voiceUrl', 'voiceMethod', 'voiceFallbackUrl', 'statusCallback']);
    expect(printed.join('\n')).to.include(`voiceUrl: https://old.example.com/voice -> ${BASE}/twilio/voice`).and.include('--compare');
    expect(api.seen.map((s) => s.method)).to.deep.equal(['GET']);
    expect(api.seen[0]!.query.get('PhoneNumber')).to.equal(PHONE);
  });

  it('without --dry-run it updates voice URL, fallback URL and status callback (all POST), then has nothing left to change', async () => {
    const result = await run(false);
    expect(result.updated).to.equal(true);
    const update = api.seen.find((s) => s.method === 'POST')!;
    const wanted = wantedSettings(BASE);
    expect(Object.fromEntries(update.form)).to.deep.equal({
      VoiceUrl: wanted.voiceUrl,
      VoiceMethod: 'POST',
      VoiceFallbackUrl: wanted.voiceFallbackUrl,
      StatusCallback: `${BASE}/twilio/voice/status`,
    });
    expect(api.number).to.include({ voice_url: `${BASE}/twilio/voice`, voice_method: 'POST', status_callback: `${BASE}/twilio/voice/status` });
    const again = await run(false);
    expect([again.updated, again.changes]).to.deep.equal([false, []]);
  });

  it('a number not on the account, or a wrong token, fails with a clear message', async () => {
    const other = configureNumber({ accountSid: ACCOUNT, authToken: TOKEN, phoneNumber: '+819999999999', publicBaseUrl: BASE, dryRun: true, apiBaseUrl: api.url, print: () => undefined });
    await other.then(
      () => expect.fail('should fail'),
      (error: Error) => expect(error.message).to.include('is not a number on account'),
    );
    const wrongToken = configureNumber({ accountSid: ACCOUNT, authToken: 'wrong-token-0123456789', phoneNumber: PHONE, publicBaseUrl: BASE, dryRun: true, apiBaseUrl: api.url, print: () => undefined });
    await wrongToken.then(
      () => expect.fail('should fail'),
      (error: Error) => expect(error.message).to.include('Authenticate'),
    );
  });

  /** The npm script with this environment (over the real one), sending its REST calls to the stand-in. */
  async function runScript(env: Record<string, string>, args = ['--compare', `--api-base-url=${api.url}`]) {
    // Not spawnSync: the stand-in answers from this process, so its event loop must keep running.
    const child = spawn('npm', ['run', '--silent', 'twilio:configure', '--', ...args], {
      env: { ...processEnv(), TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: TOKEN, SERVICE_PHONE_NUMBER: PHONE, PUBLIC_BASE_URL: BASE, NODE_ENV: 'development', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  }

  it('without a real TWILIO_AUTH_TOKEN (only the development token the app fills in), the script refuses before any request', async () => {
    const { code, stderr } = await runScript({ TWILIO_AUTH_TOKEN: '' });
    expect(code, stderr).to.equal(2);
    expect(stderr.split('\n')[0]).to.equal('twilio:configure needs TWILIO_AUTH_TOKEN');
    expect(api.seen, 'no request reached the REST API').to.deep.equal([]);
  });

  it('with SERVICE_PHONE_NUMBER unset or still the placeholder, the script refuses before any request', async () => {
    for (const number of ['', '+81-50-0000-0000', '+815000000000']) {
      const { code, stderr } = await runScript({ SERVICE_PHONE_NUMBER: number });
      expect(code, stderr).to.equal(2);
      expect(stderr.split('\n')[0]).to.include('twilio:configure needs SERVICE_PHONE_NUMBER').and.include('not the placeholder');
    }
    expect(api.seen, 'no request reached the REST API').to.deep.equal([]);
  });

  it('--dry-run works offline with nothing set: it prints the plan and what a real run still needs, and sends nothing', async () => {
    const { code, stdout, stderr } = await runScript({ TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', SERVICE_PHONE_NUMBER: '', PUBLIC_BASE_URL: BASE }, ['--dry-run']);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include('(--dry-run: nothing is sent to Twilio)');
    expect(stdout).to.include(`voiceUrl: ${BASE}/twilio/voice`).and.include(`statusCallback: ${BASE}/twilio/voice/status`);
    expect(stdout).to.match(/a real run still needs: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SERVICE_PHONE_NUMBER/);
    expect(api.seen).to.deep.equal([]);
    const ready = await runScript({}, ['--dry-run']);
    expect(ready.code, ready.stderr).to.equal(0);
    expect(ready.stdout).to.include(`plan for ${PHONE} on account ${ACCOUNT}`).and.include('ready:');
    expect(api.seen, 'still nothing sent').to.deep.equal([]);
  });

  it('the npm script reads the configuration from the environment', async () => {
    const { code, stdout, stderr } = await runScript({});
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include(`${PHONE} (${NUMBER_SID})`).and.include(`-> ${BASE}/twilio/voice/status`);
    expect(api.seen.map((s) => s.method)).to.deep.equal(['GET']);
  });
});
