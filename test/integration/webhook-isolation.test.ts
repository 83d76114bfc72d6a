import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postOutbound } from '../../src/http/outbound.ts';
import { processEnv } from '../../src/config.ts';
import { AppProcess, ownRedis, setUp } from '../support/fault-kit.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { adminAuth, merchantAuth, merchantPost, type TestMerchant } from '../support/payments.ts';
import { eventually, webhookReceiver } from '../support/webhooks.ts';

/**
 * A hostile webhook endpoint: answers 200 at once, then trickles its body one byte every
 * `everyMs` for `forMs` (a socket timeout never fires: it is never silent). With `hold`, it
 * answers nothing until released and counts how many requests it holds at once.
 */
async function hostileReceiver(options: { everyMs?: number; forMs?: number } = {}) {
  const state = { requests: 0, open: 0, trickling: true, ids: [] as string[] };
  const responses = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.requests++;
      state.ids.push(String(req.headers['webhook-id']));
      if (!state.trickling) return void res.writeHead(204).end();
      state.open++;
      responses.add(res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const started = Date.now();
      const timer = setInterval(() => {
        if (Date.now() - started > (options.forMs ?? 60_000) || res.destroyed) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write('.');
      }, options.everyMs ?? 400);
      res.on('close', () => {
        clearInterval(timer);
        state.open--;
        responses.delete(res);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    state,
    close: () => {
      for (const res of responses) res.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** A receiver that answers each request after `delayMs` and records the most it held at once. */
async function countingReceiver(delayMs: number) {
  const state = { received: 0, open: 0, peak: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.open++;
      state.peak = Math.max(state.peak, state.open);
      setTimeout(() => {
        state.open--;
        state.received++;
        res.writeHead(204).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, state, close: () => new Promise((r) => server.close(r)) };
}

/** npm run test:cluster runs every test app as two instances: limits are per process. */
const INSTANCES = Number(processEnv().TEST_INSTANCES ?? 1);

describe('webhook delivery: one merchant cannot stall the others', () => {
  let app: TestApp;
  const merchant = async (name: string, webhookUrl: string): Promise<TestMerchant> => {
    const made = await jsonRequest(app, 'POST', '/api/admin/merchants', { name, webhookUrl }, adminAuth(app));
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    return made.body;
  };
  /**
   * `n` payment requests of each merchant, then the clock past their life: the worker expires each
   * with its event. (The clock moves once: moving it while deliveries are on the wire would also
   * make their claims lapse, and they would be sent twice.)
   */
  const expiredRequests = async (shops: TestMerchant[], n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (const shop of shops) {
      for (let i = 0; i < n; i++) {
        const res = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 100 + i, description: 'Tea' }, merchantPost(shop));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        ids.push(res.body.id);
      }
    }
    app.clock.now += 2 * 60_000;
    return ids;
  };
  const statusOf = async (shop: TestMerchant, id: string) => (await jsonRequest(app, 'GET', `/api/merchant/payment-requests/${id}`, undefined, merchantAuth(shop))).body.status as string;

  afterEach(async () => {
    // Deliveries to a hostile endpoint still on the wire are cut, not waited for.
    await app.background?.stop(Date.now() + 1000);
    await app.close();
  });

  it('while one merchant’s endpoint trickles its answer, another merchant gets all 10 webhooks and payment requests still expire on time', async function () {
    this.timeout(90_000);
    // A 30 s deadline: on main the socket's idle timeout never fired against a trickle, and every pass waited for it.
    app = await startTestApp({ WEBHOOK_TIMEOUT_MS: '30000', PAYMENT_REQUEST_TTL_MINUTES: '1' });
    const hostile = await hostileReceiver();
    const hook = await webhookReceiver();
    try {
      const slow = await merchant('Trickle', hostile.url);
      const other = await merchant('Other', hook.url);
      await expiredRequests([slow], 3);
      expect(await eventually(async () => hostile.state.open >= 1, 20_000), 'the hostile endpoint is trickling').to.equal(true);
      const ids = await expiredRequests([other], 10);
      const got = await hook.waitFor(10, 20_000);
      expect(got.length, 'the other merchant’s webhooks, while the first endpoint trickles').to.equal(10);
      expect(got.every((d) => d.type === 'payment_request.expired')).to.equal(true);
      expect(await Promise.all(ids.map((id) => statusOf(other, id)))).to.deep.equal(ids.map(() => 'expired'));
      // The slow merchant's own requests expired too: expiry never waits for its deliveries.
      const mine = await expiredRequests([slow], 1);
      expect(await eventually(async () => (await statusOf(slow, mine[0]!)) === 'expired', 20_000), 'expiry of the slow merchant’s own request').to.equal(true);
      expect(hostile.state.open, 'the trickles are still going').to.be.at.least(1);
    } finally {
      await hostile.close();
      await hook.close();
    }
  });

  it('deliveries are bounded: at most WEBHOOK_CONCURRENCY_PER_MERCHANT of one merchant and WEBHOOK_CONCURRENCY in all are on the wire at once', async function () {
    this.timeout(60_000);
    app = await startTestApp({ WEBHOOK_CONCURRENCY: '5', WEBHOOK_CONCURRENCY_PER_MERCHANT: '3', PAYMENT_REQUEST_TTL_MINUTES: '1' });
    const receivers = await Promise.all([countingReceiver(150), countingReceiver(150), countingReceiver(150)]);
    try {
      const shops = await Promise.all(receivers.map((r, i) => merchant(`Busy ${i}`, r.url)));
      await expiredRequests(shops, 8);
      expect(await eventually(async () => receivers.every((r) => r.state.received === 8), 30_000), 'every webhook delivered').to.equal(true);
      for (const r of receivers) expect(r.state.peak, 'one merchant’s deliveries at once').to.be.at.most(3 * INSTANCES);
      expect(app.background!.deliveries().peak, 'deliveries at once in the process').to.be.at.most(5 * INSTANCES);
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
  });
});

describe('the outbound client’s deadline covers the whole answer', () => {
  it('an endpoint that answers 200 and then trickles its body is cut at the deadline, not when it stops', async () => {
    const hostile = await hostileReceiver({ everyMs: 100, forMs: 20_000 });
    try {
      const started = Date.now();
      let error: Error | undefined;
      await postOutbound(hostile.url, { 'Content-Type': 'application/json', 'webhook-id': 'evt_deadline' }, '{}', { allowLoopback: true, httpsOnly: false, timeoutMs: 1000 }).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/no complete answer within 1000 ms/);
      // Cut at its deadline, far from the 20 s the trickle lasts (the margin is for a loaded machine).
      expect(Date.now() - started).to.be.below(15_000);
    } finally {
      await hostile.close();
    }
  });
});

describe('shutdown keeps its deadline whatever the receivers do (the app as a process)', () => {
  it('SIGTERM with deliveries trickling: the app exits within SHUTDOWN_TIMEOUT_MS, and after a restart every event is delivered once', async function () {
    this.timeout(120_000);
    const redis = await ownRedis();
    const hostile = await hostileReceiver();
    const env = { REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '1500', WEBHOOK_TIMEOUT_MS: '30000' };
    let app = new AppProcess(env);
    try {
      await app.start();
      const { shop, codes } = await setUp(app, hostile.url, 1);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${app.url}/api/merchant/redemptions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${shop.apiKey}`, 'Idempotency-Key': `shutdown-${i}` },
          body: JSON.stringify({ code: codes[0], amount: 10 }),
        });
        expect(res.status).to.equal(201);
      }
      expect(await eventually(async () => hostile.state.open >= 1, 20_000), 'deliveries trickling').to.equal(true);
      const started = Date.now();
      await app.stop();
      const took = Date.now() - started;
      // 1.5 s of deadline, plus the time a loaded machine takes to quit Redis and exit; on main it
      // waited for the trickles (60 s) and AppProcess.stop's SIGKILL at 10 s ended it.
      expect(took, `exit after SIGTERM took ${took} ms`).to.be.below(8_000);
      // The receiver recovers; the next instance delivers what was cut, each event once.
      hostile.state.trickling = false;
      const before = hostile.state.ids.length;
      app = new AppProcess(env);
      await app.start();
      const after = () => hostile.state.ids.slice(before);
      expect(await eventually(async () => new Set(after()).size >= 3, 30_000), 'the three events after the restart').to.equal(true);
      // Cut attempts were recorded as attempts to retry; nothing was lost, nothing is sent twice now.
      expect(after(), 'each event once after the restart').to.have.length(3);
    } finally {
      await app.stop();
      await hostile.close();
      await redis.stop();
    }
  });
});
