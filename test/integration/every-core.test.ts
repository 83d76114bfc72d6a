import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { expect } from 'chai';
import { createRedisClient } from '../../src/store/redis.ts';
import { startAppProcess, type AppProcess } from '../support/app-process.ts';
import { deleteKeysWithPrefix, jsonRequest, register, testConfig, TEST_BASE_URL, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantPost } from '../support/payments.ts';
import { loadVoiceFlows } from '../../src/voice/prompts.ts';

describe('npm start on every core: WEB_CONCURRENCY workers share one port and one Redis', function () {
  this.timeout(120_000);
  let running: AppProcess;
  let app: TestApp;

  before(async () => {
    // Its own key prefix on the test Redis (or cluster); the workers see the same settings as a test app.
    const keyPrefix = `dp:w${randomBytes(4).toString('hex')}:`;
    const config = testConfig({ REDIS_KEY_PREFIX: keyPrefix });
    running = await startAppProcess({
      WEB_CONCURRENCY: '2',
      REDIS_URL: config.redis.url ?? '',
      REDIS_CLUSTER_NODES: config.redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(','),
      REDIS_KEY_PREFIX: keyPrefix,
      PUBLIC_BASE_URL: TEST_BASE_URL,
      TWILIO_AUTH_TOKEN: config.twilio.authToken,
      SERVICE_PHONE_NUMBER: config.servicePhoneNumber,
      REGISTRATIONS_PER_ADDRESS_PER_HOUR: '100000',
    }, { timeoutMs: 90_000 }); // three processes load the app's modules at once on a shared machine
    // What the test helpers need of a test app: where it listens and how it is configured.
    const redis = createRedisClient(config);
    app = {
      config,
      redis,
      flows: loadVoiceFlows(),
      url: running.url,
      clock: { now: Date.now() },
      keyPrefix: '',
      close: async () => {
        redis.disconnect();
        await deleteKeysWithPrefix(config, keyPrefix);
      },
    };
  });

  after(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await app?.close();
  });

  it('says how many workers serve, and requests are answered by more than one of them', async () => {
    expect(running.stdout()).to.include('2 worker processes');
    const workers = new Set<string>();
    for (let i = 0; i < 20 && workers.size < 2; i++) {
      // A connection of its own each time: the primary hands connections to the workers in turn.
      const answer = await new Promise<{ status?: number; worker?: string }>((resolve, reject) =>
        get(`${app.url}/healthz`, { agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, worker: res.headers['x-dialpass-worker'] as string | undefined });
        }).on('error', reject),
      );
      expect(answer.status).to.equal(200);
      expect(answer.worker).to.match(/^\d+$/);
      workers.add(answer.worker!);
    }
    expect(workers.size).to.equal(2);
  });

  it('a person registers, activates by a call, buys a code by phone, and a merchant redeems it, whichever worker answers each step', async () => {
    const member = await activeMember(app, { pin: '2468' });
    const shop = await createMerchant(app, 'Every Core Café');
    const code = await codeBoughtByPhone(app, member, '2468', '1');
    const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 500 }, merchantPost(shop));
    expect(redeemed.status, JSON.stringify(redeemed.body)).to.equal(201);
    expect(redeemed.body.remaining).to.equal(0);
    expect((await register(app)).provisionalId).to.match(/^\d{11}$/);
  });

  it('SIGTERM stops every worker gracefully and the whole process exits 0', async () => {
    running.child.kill('SIGTERM');
    const { code } = await running.exited;
    expect(code).to.equal(0);
    expect(running.stdout()).to.include('SIGTERM, shutting down');
  });
});
