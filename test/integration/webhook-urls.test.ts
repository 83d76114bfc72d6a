import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkOutboundUrl, OutboundRefused, postOutbound, type OutboundPolicy } from '../../src/http/outbound.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { adminAuth, createMerchant, merchantAuth, type TestMerchant } from '../support/payments.ts';

/** The addresses of the SSRF finding: loopback, cloud metadata, private, unspecified, and a decimal IPv4. */
const INTERNAL_URLS = [
  'http://127.0.0.1:8080/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/hook',
  'http://[::1]:8080/hook',
  'http://0.0.0.0:8080/hook',
  'http://2130706433/hook',
  'http://100.64.0.1/hook',
  'http://[fc00::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://192.168.1.10/hook',
  'http://224.0.0.1/hook',
  'http://255.255.255.255/hook',
  // IPv4-compatible IPv6 (::/96): loopback and the cloud metadata address, as typed and as the URL parser writes them.
  'http://[::127.0.0.1]/hook',
  'http://[::7f00:1]:8080/hook',
  'http://[::a9fe:a9fe]/latest/meta-data/',
  'http://[::169.254.169.254]/hook',
  'http://[::10.0.0.1]/hook',
];

/** A loopback listener that counts what reaches it. */
async function listener(answer: (res: import('node:http').ServerResponse) => void = (res) => res.writeHead(204).end()) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, hits: () => hits, close: () => new Promise((r) => server.close(r)) };
}

describe('webhook URLs cannot reach internal networks', () => {
  let app: TestApp;
  let shop: TestMerchant;
  before(async () => {
    app = await startTestApp({ OUTBOUND_ALLOW_LOOPBACK: 'false' });
    shop = await createMerchant(app);
  });
  after(() => app.close());

  it('when an operator saves a merchant with an internal webhook URL (loopback, metadata, private, [::1], 0.0.0.0, decimal IP…), it is refused with 422 webhook_url_not_allowed', async () => {
    const accepted: string[] = [];
    for (const webhookUrl of INTERNAL_URLS) {
      const res = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Sneaky', webhookUrl }, adminAuth(app));
      if (res.status === 201) accepted.push(webhookUrl);
      else expect(res.body.error.code, webhookUrl).to.equal('webhook_url_not_allowed');
      expect(res.status, webhookUrl).to.equal(422);
    }
    expect(accepted).to.deep.equal([]);
    const fine = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Public', webhookUrl: 'https://93.184.215.14/hooks' }, adminAuth(app));
    expect(fine.status).to.equal(201);
  });

  it('when a merchant names an internal webhook URL on a payment request, the request is refused with 422 and nothing is created', async () => {
    for (const [i, webhookUrl] of INTERNAL_URLS.entries()) {
      const res = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 100, description: 'Tea', webhookUrl }, merchantAuth(shop, { 'Idempotency-Key': `ssrf-${i}` }));
      expect(res.status, webhookUrl).to.equal(422);
      expect(res.body.error.code, webhookUrl).to.equal('webhook_url_not_allowed');
    }
  });

  it('a host name that resolves to loopback is refused when saved, while loopback is not allowed', async () => {
    const res = await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Local', webhookUrl: 'http://localhost:9/hook' }, adminAuth(app));
    expect(res.status).to.equal(422);
    expect(res.body.error.code).to.equal('webhook_url_not_allowed');
  });
});

describe('the outbound HTTP client', () => {
  const policy: OutboundPolicy = { allowLoopback: false, httpsOnly: false, timeoutMs: 2000 };

  it('when a host name resolves to a loopback address at delivery, the POST is refused and the listener on loopback receives nothing', async () => {
    const target = await listener();
    try {
      let refused: unknown;
      await postOutbound(`http://localhost:${target.port}/hook`, { 'Content-Type': 'application/json' }, '{}', policy).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(OutboundRefused);
      await postOutbound(`http://127.0.0.1:${target.port}/hook`, {}, '{}', policy).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(OutboundRefused);
      expect(target.hits()).to.equal(0);
      // The same listener is reached once loopback is allowed (as in development and tests).
      const ok = await postOutbound(`http://localhost:${target.port}/hook`, {}, '{}', { ...policy, allowLoopback: true });
      expect(ok.status).to.equal(204);
      expect(target.hits()).to.equal(1);
    } finally {
      await target.close();
    }
  });

  it('when a saved URL names an IPv4-compatible IPv6 address ([::127.0.0.1], [::a9fe:a9fe]), delivery refuses it before connecting', async () => {
    for (const url of ['http://[::127.0.0.1]/hook', 'http://[::a9fe:a9fe]/hook', 'http://[::7f00:1]:9/hook']) {
      let refused: unknown;
      await postOutbound(url, {}, '{}', { ...policy, allowLoopback: true }).catch((e) => (refused = e));
      expect(refused, url).to.be.instanceOf(OutboundRefused);
    }
  });

  it('a redirect is answered, not followed', async () => {
    const inner = await listener();
    const outer = await listener((res) => res.writeHead(302, { Location: `http://127.0.0.1:${inner.port}/` }).end());
    try {
      const res = await postOutbound(`http://127.0.0.1:${outer.port}/hook`, {}, '{}', { ...policy, allowLoopback: true });
      expect(res.status).to.equal(302);
      expect(inner.hits()).to.equal(0);
    } finally {
      await inner.close();
      await outer.close();
    }
  });

  it('in production only https URLs are accepted', async () => {
    let refused: unknown;
    await checkOutboundUrl('http://93.184.215.14/hook', { ...policy, httpsOnly: true }).catch((e) => (refused = e));
    expect(refused).to.be.instanceOf(OutboundRefused);
    await checkOutboundUrl('https://93.184.215.14/hook', { ...policy, httpsOnly: true });
  });
});
