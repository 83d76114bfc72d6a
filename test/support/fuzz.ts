import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import twilio from 'twilio';
import { inboundCallParams, newCallSid } from '../../simulator/webhook-params.ts';
import { jsonRequest, type TestApp } from './harness.ts';
import { activeMember } from './member.ts';

/** One request the fuzzer sends: raw enough to be malformed, described enough to be replayed. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent as bytes on a socket of its own, bypassing the HTTP client's checks. */
  raw?: Buffer;
}

export interface FuzzAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What a fuzz run may authenticate with: a live merchant key, the admin token, a member's session. */
export interface Credentials {
  merchantKey: string;
  adminToken: string;
  sessionCookie: string;
  authToken: string;
  publicBaseUrl: string;
}

export async function credentialsFor(app: TestApp): Promise<Credentials> {
  const merchant = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Fuzz Café' }, { Authorization: `Bearer ${app.config.adminToken}` });
  const member = await activeMember(app, { pin: '2468' });
  return {
    merchantKey: merchant.body.apiKey,
    adminToken: app.config.adminToken,
    sessionCookie: member.cookie,
    authToken: app.config.twilio.authToken,
    publicBaseUrl: app.config.publicBaseUrl,
  };
}

const PAGE_ROUTES = ['/', '/register', '/login', '/logout', '/service', '/service/pin', '/simulator', '/simulator/assets/simulator.js', '/assets/site.css', '/healthz', '/nowhere'];
const MEMBER_API = ['/api/registrations', '/api/login', '/api/logout', '/api/me', '/api/me/pin', '/api', '/api/nothing'];
const MERCHANT_API = [
  '/api/merchant/redemptions',
  '/api/merchant/codes/1234567890123452',
  '/api/merchant/codes/{x}',
  '/api/merchant/redemptions/{x}/void',
  '/api/merchant/payment-requests',
  '/api/merchant/payment-requests/{x}',
  '/api/merchant/settlement',
];
const ADMIN_API = ['/api/admin/merchants', '/api/admin/merchants/{x}/settlement.csv', '/api/admin/nothing'];
const SIMULATOR_API = ['/simulator/api/calls', '/simulator/api/calls/{x}/keys', '/simulator/api/calls/{x}/hangup'];
// Every webhook path a call can be at (written out: the voice flows are being rewritten), plus the
// status callback and paths no TwiML ever hands out.
const TWILIO_PATHS = [
  '/twilio/voice',
  '/twilio/voice/menu',
  '/twilio/voice/activation',
  '/twilio/voice/activation/next',
  '/twilio/voice/sign-in/id',
  '/twilio/voice/sign-in/pin',
  '/twilio/voice/renew/confirm',
  '/twilio/voice/pay/amount',
  '/twilio/voice/pay/merchant',
  '/twilio/voice/pay/confirm',
  '/twilio/voice/pay/after',
  '/twilio/voice/approve/number',
  '/twilio/voice/approve/decision',
  '/twilio/voice/status',
  '/twilio/voice/nowhere',
  '/twilio',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'PURGE', 'TRACE', 'SEARCH'];
const BAD_ESCAPES = ['%', '%z', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2e%2e%2f', '%FF%FE', '%u0041', '%%', '%E2%82'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=koi8-r',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  '*/*',
  'garbage',
  '',
];

const segment = fc.oneof(
  fc.constantFrom(...BAD_ESCAPES),
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,40}$/),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
  fc.nat({ max: 5000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('..', '.', '', '1234567890123452', 'ABCDEFGHIJKLMNOPQRSTU', '__proto__', 'constructor'),
);

const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.constantFrom('lang', 'l', 'w', 's', 'm', 'pin', 'x', '__proto__', 'a[b]'), fc.oneof(fc.constantFrom(...BAD_ESCAPES), fc.string({ maxLength: 20 }).map(encodeURIComponent)), { maxKeys: 4 }).map(
    (q) => '?' + Object.entries(q).map(([k, v]) => `${k}=${v}`).join('&'),
  ),
  fc.constantFrom('?', '?&&', '?=', '?lang=en&lang=ja', '?%', '?l=xx-XX&w=999999999999'),
);

const fillTemplate = (path: string, x: string) => path.replace('{x}', x);

const jsonish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record(
    {
      name: fc.oneof(fc.string({ maxLength: 120 }), fc.integer(), fc.constant(null)),
      email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 300 }), fc.array(fc.string())),
      formalId: fc.oneof(fc.stringMatching(/^\d{0,12}$/), fc.integer(), fc.string({ maxLength: 40 })),
      password: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(''), fc.integer()),
      pin: fc.oneof(fc.stringMatching(/^\d{0,10}$/), fc.integer(), fc.boolean()),
      code: fc.oneof(fc.stringMatching(/^\d{0,20}$/), fc.integer(), fc.constant(null)),
      amount: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.constant(1e308)),
      description: fc.string({ maxLength: 300 }),
      webhookUrl: fc.oneof(fc.webUrl(), fc.string({ maxLength: 50 })),
      locale: fc.oneof(fc.constantFrom('ja-JP', 'en-US'), fc.string({ maxLength: 8 })),
      keys: fc.string({ maxLength: 80 }),
      from: fc.string({ maxLength: 20 }),
      __proto__: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  ).map((o) => JSON.stringify(o)),
  fc.constantFrom('{', '{"a":', 'null', '[]', '"string"', '1e999', '{"a":1}{"b":2}', '\u0000', '{"__proto__":{"admin":true}}', '[' .repeat(3000) + ']'.repeat(3000)),
);

const formish = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 60 }), { maxKeys: 8 }).map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom('a=%zz', '=&=&', 'name=' + 'x'.repeat(40_000), 'a=1&a=2&a=3', '%', 'formalId[]=1&password[x]=2'),
);

const bodyArb = fc.oneof(
  { weight: 4, arbitrary: jsonish },
  { weight: 3, arbitrary: formish },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const authArb = (c: Credentials) =>
  fc.constantFrom<Record<string, string>>(
    {},
    { Authorization: `Bearer ${c.merchantKey}` },
    { Authorization: `Bearer ${c.adminToken}` },
    { Authorization: 'Bearer mk_live_not_a_real_key_0000000000' },
    { Authorization: 'Basic Zm9vOmJhcg==' },
    { Authorization: 'Bearer ' + 'k'.repeat(2000) },
    { Authorization: '' },
    { Cookie: c.sessionCookie },
    { Cookie: 'dp_session=s%3Aforged.sig; dp_lang=%zz' },
    { Cookie: 'dp_session=' + 'a'.repeat(4000) },
  );

const extraHeaders = fc.dictionary(
  fc.constantFrom('Idempotency-Key', 'Origin', 'Accept-Language', 'Content-Encoding', 'Accept', 'X-Forwarded-For', 'Sec-Fetch-Site', 'Referer', 'X-Twilio-Signature'),
  fc.oneof(
    fc.stringMatching(/^[ -~]{0,60}$/),
    fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'null', 'https://evil.example', 'cross-site', '*;q=xyz', 'k'.repeat(300)),
  ),
  { maxKeys: 3 },
);

/** Requests to every route of the app: malformed in path, method, headers, body or signature. */
export function requestArbitrary(c: Credentials): fc.Arbitrary<FuzzRequest> {
  const method = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) });
  const plain = fc
    .record({
      base: fc.constantFrom(...PAGE_ROUTES, ...MEMBER_API, ...MERCHANT_API, ...ADMIN_API, ...SIMULATOR_API, ...TWILIO_PATHS),
      x: segment,
      tail: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: segment.map((s) => `/${s}`) }),
      query,
      method,
      auth: authArb(c),
      extra: extraHeaders,
      contentType: fc.constantFrom(...CONTENT_TYPES),
      body: bodyArb,
      hugeHeader: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 8_000, max: 40_000 }) }),
    })
    .map(({ base, x, tail, query, method, auth, extra, contentType, body, hugeHeader }): FuzzRequest => {
      const headers: Record<string, string> = { ...auth, ...extra };
      if (contentType) headers['Content-Type'] = contentType;
      if (hugeHeader) headers['X-Huge'] = 'h'.repeat(hugeHeader);
      const sendsBody = body !== undefined && !['GET', 'HEAD'].includes(method);
      return { method, path: fillTemplate(base, x) + tail + query, headers, body: sendsBody ? Buffer.from(body) : undefined };
    });

  // Forged webhooks: signed by Twilio's own helper over PUBLIC_BASE_URL + path (or with another
  // token, or garbage), with bodies that are well signed but make no sense. No real call sends these.
  const signedTwilio = fc
    .record({
      path: fc.constantFrom(...TWILIO_PATHS),
      query: fc.oneof(fc.constant(''), fc.constantFrom('?l=en-US', '?l=ja-JP&w=2', '?l=zz&w=-1', '?s=1&m=99999999', '?l=en-US&s=' + '9'.repeat(60))),
      params: fc.oneof(
        fc.record(
          {
            CallSid: fc.oneof(fc.constant(newCallSid()), fc.string({ maxLength: 80 }), fc.constant('CA' + 'f'.repeat(32))),
            From: fc.oneof(fc.constantFrom('+819012345678', 'anonymous', ''), fc.string({ maxLength: 70 })),
            To: fc.string({ maxLength: 20 }),
            Digits: fc.oneof(fc.stringMatching(/^[0-9*#]{0,20}$/), fc.string({ maxLength: 200 }), fc.constantFrom('1', '2', '3', '4', '9', '0', '#', '12345678901#')),
            CallStatus: fc.oneof(fc.constantFrom('completed', 'busy', 'failed', 'in-progress'), fc.string({ maxLength: 70 })),
            CallDuration: fc.oneof(fc.nat().map(String), fc.string({ maxLength: 70 })),
          },
          { requiredKeys: [] },
        ),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 100 }), { maxKeys: 10 }),
        fc.constant(inboundCallParams({ callSid: newCallSid(), from: '+819012345678', to: '+815000001234' })),
      ),
      signWith: fc.constantFrom('right', 'right', 'right', 'other-token', 'none', 'garbage'),
    })
    .map(({ path, query, params, signWith }): FuzzRequest => {
      const url = `${c.publicBaseUrl}${path}${query}`;
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
      if (signWith === 'right') headers['X-Twilio-Signature'] = twilio.getExpectedTwilioSignature(c.authToken, url, params);
      if (signWith === 'other-token') headers['X-Twilio-Signature'] = twilio.getExpectedTwilioSignature('other-token-0123456789abcdef', url, params);
      if (signWith === 'garbage') headers['X-Twilio-Signature'] = 'not base64 at all ✓'.replace('✓', '');
      return { method: 'POST', path: path + query, headers, body: Buffer.from(new URLSearchParams(params).toString()) };
    });

  // Bytes no HTTP client would send: broken request lines, bad header syntax, lying lengths.
  const raw = fc
    .oneof(
      fc.constantFrom(
        'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
        'GET  /  HTTP/1.1\r\n\r\n',
        'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
        'POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n',
        'POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort',
        'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
        'GET /\u00ff HTTP/1.1\r\nHost: x\r\n\r\n',
        '\r\n\r\n\r\n',
        'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n',
      ),
      fc.string({ unit: 'binary', maxLength: 300 }).map((s) => `GET /${s} HTTP/1.1\r\nHost: x\r\n\r\n`),
    )
    .map((text): FuzzRequest => ({ method: 'RAW', path: text.slice(0, 40), headers: {}, raw: Buffer.from(text, 'latin1') }));

  return fc.oneof({ weight: 14, arbitrary: plain }, { weight: 5, arbitrary: signedTwilio }, { weight: 1, arbitrary: raw });
}

/** Sends one fuzzed request; a connection the server drops answers status 0 (not a 5xx). */
export function send(app: { url: string }, agent: Agent, r: FuzzRequest): Promise<FuzzAnswer> {
  const { hostname, port } = new URL(app.url);
  if (r.raw) {
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname);
      let data = '';
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
        resolve({ status, contentType: '', body: data.slice(0, 500) });
      });
      socket.end(r.raw!);
    });
  }
  return new Promise((resolve) => {
    let req;
    try {
      req = request({ hostname, port, path: r.path, method: r.method, agent, headers: r.headers, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) }));
        res.on('error', () => resolve({ status: 0, contentType: '', body: '' }));
      });
    } catch {
      // Node's client refuses some paths or header values outright: nothing reached the server.
      resolve({ status: -1, contentType: '', body: 'refused by the client' });
      return;
    }
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, contentType: '', body: `client error: ${e.code ?? e.message}` }));
    req.end(r.body);
  });
}

export interface FuzzReport {
  sent: number;
  byStatus: Record<number, number>;
  serverErrors: { request: FuzzRequest; answer: FuzzAnswer }[];
  contractBreaks: { request: FuzzRequest; answer: FuzzAnswer; why: string }[];
  ms: number;
}

/** What every answer must respect besides "not 5xx". */
function contractBreak(r: FuzzRequest, a: FuzzAnswer): string | undefined {
  // Answers Node's HTTP parser gives before the app sees the request (bad method/body combinations,
  // 431) carry no content type; the contract is the app's.
  if (r.raw || a.status <= 0 || r.method === 'HEAD' || (a.contentType === '' && a.body === '')) return undefined;
  const path = r.path.split('?')[0]!;
  if ((path === '/api' || path.startsWith('/api/')) && a.status >= 400 && a.status !== 431 && a.status !== 405 && r.method !== 'OPTIONS') {
    try {
      const body = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') return 'API error without {"error":{"code","message"}}';
    } catch {
      return `API error ${a.status} is not JSON`;
    }
  }
  // Unsigned: 403, or the body parser's 400/413/415 when the body cannot be parsed to check a signature over it.
  if (path.startsWith('/twilio') && !r.headers['X-Twilio-Signature'] && ![400, 403, 413, 415, 431].includes(a.status)) return `unsigned Twilio request answered ${a.status}`;
  return undefined;
}

/** Sends `count` requests drawn from the arbitrary, `concurrency` at a time. */
export async function fuzz(app: { url: string }, credentials: Credentials, options: { count: number; seed: number; concurrency?: number }): Promise<FuzzReport> {
  const requests = fc.sample(requestArbitrary(credentials), { numRuns: options.count, seed: options.seed });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 16 });
  const fresh = new Agent({ keepAlive: false });
  const report: FuzzReport = { sent: 0, byStatus: {}, serverErrors: [], contractBreaks: [], ms: 0 };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 16 }, async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        let a = await send(app, agent, r);
        // A keep-alive socket the server closed after the previous request (a body it would not
        // read, a parser error) resets the next one sent on it: send that one again on its own.
        if (a.status === 0 && !r.raw) a = await send(app, fresh, r);
        report.sent++;
        report.byStatus[a.status] = (report.byStatus[a.status] ?? 0) + 1;
        if (a.status >= 500) report.serverErrors.push({ request: r, answer: a });
        const why = contractBreak(r, a);
        if (why) report.contractBreaks.push({ request: r, answer: a, why });
      }
    }),
  );
  agent.destroy();
  fresh.destroy();
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** For failure messages: a request short enough to read. */
export const describeRequest = ({ request: r, answer: a }: { request: FuzzRequest; answer: FuzzAnswer }) =>
  `${r.method} ${r.path.slice(0, 120)} ${JSON.stringify(r.headers).slice(0, 300)} body=${r.body?.toString('utf8').slice(0, 200) ?? ''} -> ${a.status} ${a.body.slice(0, 200)}`;
