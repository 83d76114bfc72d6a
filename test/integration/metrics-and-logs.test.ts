import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.ts';
import { startMetricsServer } from '../../src/observability/metrics-route.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { adminAuth, codeBoughtByPhone, merchantPost } from '../support/payments.ts';

const TOKEN = 'metrics-token-0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (0.0.4): every sample line, with its labels. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `not a sample line: ${line}`).to.not.equal(null);
    const labels: Record<string, string> = {};
    for (const [, k, v] of m![2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[k!] = v!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((t, s) => t + s.value, 0);

describe('metrics and logs', function () {
  this.timeout(120_000);
  let app: TestApp;
  let receiver: Server;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    app = await startTestApp({ METRICS_TOKEN: TOKEN, CODE_DENOMINATIONS: '500,1000', LOG_LEVEL: 'debug' }, { logger: createLogger({ logLevel: 'debug', env: 'test' }, sink) });
  });
  after(async () => {
    await app.close();
    await new Promise((r) => receiver.close(r));
  });

  const scrape = async () => {
    const res = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.include('text/plain');
    return parseExposition(await res.text());
  };

  it('GET /metrics needs the bearer token', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).to.equal(401);
    expect((await fetch(`${app.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).to.equal(401);
  });

  it('counts activations, charges, redemptions and webhook outcomes, and times requests per route pattern', async () => {
    const before = (await scrape()).samples;
    const member = await activeMember(app, { pin: '1122' });
    const shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Metrics Mart', webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }, adminAuth(app))).body;
    const code = await codeBoughtByPhone(app, member, '1122', '1');
    expect((await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 200 }, merchantPost(shop))).status).to.equal(201);
    let after = (await scrape()).samples;
    for (let i = 0; i < 100 && value(after, 'dialpass_webhook_deliveries_total', { outcome: 'delivered' }) === value(before, 'dialpass_webhook_deliveries_total', { outcome: 'delivered' }); i++) {
      await new Promise((r) => setTimeout(r, 30));
      after = (await scrape()).samples;
    }
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(delta('dialpass_activations_total')).to.equal(1);
    expect(delta('dialpass_charges_total', { kind: 'activation' })).to.equal(1);
    expect(delta('dialpass_charges_total', { kind: 'code_purchase' })).to.equal(1);
    expect(delta('dialpass_charged_amount_total', { kind: 'code_purchase' })).to.equal(500);
    expect(delta('dialpass_redemptions_total', { kind: 'redeemed' })).to.equal(1);
    expect(delta('dialpass_webhook_deliveries_total', { outcome: 'delivered' })).to.equal(1);

    const route = { method: 'POST', route: '/api/merchant/redemptions', status: '201' };
    expect(delta('dialpass_http_request_duration_seconds_count', route)).to.equal(1);
    // Buckets are cumulative and end at +Inf = count; no label holds an ID.
    const buckets = after.filter((s) => s.name === 'dialpass_http_request_duration_seconds_bucket' && s.labels.route === route.route && s.labels.status === '201');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).to.be.at.least(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.labels.le).to.equal('+Inf');
    expect(buckets.at(-1)!.value).to.equal(value(after, 'dialpass_http_request_duration_seconds_count', route));
    expect(after.some((s) => /\d{16}|pr_|rd_/.test(Object.values(s.labels).join(' ')))).to.equal(false);
    expect(after.some((s) => s.name === 'dialpass_redis_errors_total' || s.name.startsWith('dialpass_process_'))).to.equal(true);
  });

  it('on METRICS_PORT the metrics are served there, without a token, and not on the app; with neither, /metrics says how to turn them on', async () => {
    const server = await startMetricsServer(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${url}/metrics`);
    expect(res.status).to.equal(200);
    expect(parseExposition(await res.text()).types.get('dialpass_http_request_duration_seconds')).to.equal('histogram');
    expect((await fetch(`${url}/other`)).status).to.equal(404);
    await new Promise((r) => server.close(r));
    const separate = await startTestApp({ METRICS_TOKEN: TOKEN, METRICS_PORT: '9' });
    const onApp = await fetch(`${separate.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(onApp.status).to.equal(404);
    expect(await onApp.text()).to.include('served on port 9');
    await separate.close();
    const off = await startTestApp();
    const asked = await fetch(`${off.url}/metrics`);
    expect([asked.status, await asked.text()]).to.deep.equal([404, 'Metrics are off: set METRICS_TOKEN (or METRICS_PORT) to serve them.\n']);
    await off.close();
  });

  it('every log line of a request carries its request ID, call steps their CallSid, and secrets are redacted', async () => {
    lines.length = 0;
    const call = new TestCall(app);
    await call.dial();
    await call.press('9');
    await jsonRequest(app, 'POST', '/api/login', { formalId: '123', password: 'x' });
    const answered = lines.filter((l) => l.msg === "answered");
    expect(answered.length).to.be.at.least(3);
    for (const line of answered) expect(line.requestId).to.match(/^[0-9a-f-]{36}$/);
    const steps = answered.filter((l) => String(l.route).startsWith('/twilio'));
    expect(steps.length).to.be.at.least(2);
    for (const line of steps) expect(line.callSid).to.equal(call.callSid);
    // A line written while answering (not only the access line) carries the request's own ID: a
    // forged webhook is refused and logged, and the log names the ID the answer carried.
    const forged = await fetch(`${app.url}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA0' });
    expect(forged.status).to.equal(403);
    const refusal = lines.find((l) => String(l.msg).startsWith('Twilio webhook refused'));
    expect(refusal?.requestId).to.be.a('string').and.equal(forged.headers.get('x-request-id'));
    // A proxy's own request ID is kept.
    await fetch(`${app.url}/healthz`, { headers: { 'X-Request-Id': 'edge-1234abcd' } });
    expect(lines.filter((l) => l.msg === 'answered' && l.route === '/healthz').at(-1)?.requestId).to.equal('edge-1234abcd');

    const secrets: Record<string, unknown>[] = [];
    const logger = createLogger({ logLevel: 'info', env: 'test' }, new Writable({ write: (c, _e, done) => done(void secrets.push(JSON.parse(String(c)))) }));
    logger.info({ merchant: { apiKey: 'dpk_12345678_secret', webhookSecret: 'whsec_x' }, login: { password: 'hunter2', pin: 'pin-zq7x' } }, 'x');
    expect(JSON.stringify(secrets)).to.not.include('secret').and.not.include('hunter2').and.not.include('pin-zq7x').and.not.include('whsec_x');
  });
});
