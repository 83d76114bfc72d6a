import { expect } from 'chai';
import { placeCall, type CallEvent } from '../../simulator/call.ts';
import { chargeCall, readLedger } from '../../src/accounts/ledger.ts';
import { buildConfig } from '../../src/config.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { afterMarkingAudit, chargeCounters, relayAuditOutboxes, type Activity } from '../../src/observability/activity.ts';
import { calendarDay } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, newCallSid, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { AppProcess, FAULT_ENV, ownRedis } from '../support/fault-kit.ts';
import { freezingRedisProxy } from '../support/redis-freeze-proxy.ts';
import { scriptedCaller } from '../support/twiml-app.ts';
import { codeBoughtByPhone } from '../support/payments.ts';
import { eventually } from '../support/webhooks.ts';

/** The audit lines of one kind for one member, as the operator's stream holds them. */
async function auditLines(app: TestApp | { redis: RedisClient }, kind: string, memberId: string) {
  const all = await app.redis.xrange(keys.opsAudit(), '-', '+');
  return all.filter(([, f]) => f[f.indexOf('kind') + 1] === kind && f[f.indexOf('member') + 1] === memberId);
}

describe('the operator’s audit line of a charge is written in the same step as the money', () => {
  let app: TestApp;
  before(async () => {
    // No worker: the relay runs when the test says, as it would in the next instance after a crash.
    app = await startTestApp({}, { worker: false });
  });
  after(() => app.close());

  it('when the app dies after a renewal’s charge script and before recording the operator event, the relay records it once from the member’s audit outbox', async () => {
    const member = await activeMember(app);
    const callSid = newCallSid();
    const now = Date.now();
    const amount = app.config.activationCharge;
    const activity: Activity = { kind: 'account.renewed', key: `renew:${member.provisionalId}:${callSid}:crash`, at: now, actor: `call:${callSid}`, memberId: member.provisionalId, amount, day: chargeCounters(amount, 'renewals', app.config.charging.methods.renewal) };
    // What renewAccess does up to the crash: mark the member, then the charge script (with the event in its outbox).
    const charge = chargeCall(app.config, now, { memberId: member.provisionalId, kind: 'renewal', step: 'renew', callSid, from: '+819012345678', amount, cap: 'none', audit: activity });
    const [code] = await afterMarkingAudit(app.redis, member.provisionalId, now, () =>
      app.redis.dpRenewAccess(...charge.keys, keys.account(member.provisionalId), ...charge.argv, app.config.accessPeriodDays * 86_400_000, 'crash'),
    );
    expect(code).to.equal(1);
    // ... and the process died here: recordActivity never ran.
    expect(await auditLines(app, 'account.renewed', member.provisionalId), 'nothing recorded yet').to.have.length(0);
    const day = keys.opsDay(calendarDay(now, app.config.timeZone));
    const renewalsBefore = Number(await app.redis.hget(day, 'renewals'));

    // The next instance's relay (marks older than 2 s).
    expect(await eventually(async () => (await relayAuditOutboxes(app)) === 1, 15_000), 'the relay recorded the event').to.equal(true);
    const lines = await auditLines(app, 'account.renewed', member.provisionalId);
    expect(lines).to.have.length(1);
    expect(lines[0]![1]).to.include(String(amount)).and.include(`call:${callSid}`);
    expect(Number(await app.redis.hget(day, 'renewals'))).to.equal(renewalsBefore + 1);
    expect(await app.redis.hlen(keys.auditOutbox(member.provisionalId)), 'the outbox is empty').to.equal(0);
    expect(await app.redis.zscore(keys.auditOutboxes(), member.provisionalId), 'the mark is gone').to.equal(null);
    // Relayed again (another instance, a retry): still once.
    expect(await relayAuditOutboxes(app)).to.equal(0);
    expect(await auditLines(app, 'account.renewed', member.provisionalId)).to.have.length(1);
  });

  it('when the app lives, the event is recorded once: the relay finds it already recorded and only clears the outbox', async () => {
    const member = await activeMember(app, { pin: '2468' });
    await codeBoughtByPhone(app, member, '2468', '1');
    expect(await eventually(async () => (await auditLines(app, 'code.purchased', member.provisionalId)).length === 1)).to.equal(true);
    expect(await app.redis.hlen(keys.auditOutbox(member.provisionalId)), 'activation and purchase wait in the outbox').to.equal(2);
    await eventually(async () => {
      await relayAuditOutboxes(app);
      return (await app.redis.hlen(keys.auditOutbox(member.provisionalId))) === 0;
    }, 15_000);
    expect(await app.redis.hlen(keys.auditOutbox(member.provisionalId))).to.equal(0);
    expect(await auditLines(app, 'code.purchased', member.provisionalId)).to.have.length(1);
    expect(await auditLines(app, 'account.activated', member.provisionalId)).to.have.length(1);
    const res = await jsonRequest(app, 'GET', '/healthz');
    expect(res.status).to.equal(200);
  });
});

describe('the operator’s audit line survives the app being killed between the money and the line', () => {
  it('when the app is SIGKILLed after an activation’s charge and before its audit line reached Redis, the next instance records the line once, and calling again neither charges nor records twice', async function () {
    this.timeout(120_000);
    const redis = await ownRedis();
    // The app's Redis connection goes through a proxy that stops everything from the command that
    // would record the activation in the operator's stream: the app is, in effect, dead from there.
    const proxy = await freezingRedisProxy(redis.url, ['{ops}:audit', 'account.activated']);
    let app = new AppProcess({ REDIS_URL: proxy.url });
    const store = { redis: createRedisClient(buildConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: FAULT_ENV.REDIS_KEY_PREFIX })) };
    const from = '+819055556666';
    const dial = (target: AppProcess, provisionalId: string) =>
      placeCall({ baseUrl: FAULT_ENV.PUBLIC_BASE_URL, connectTo: target.url, authToken: FAULT_ENV.TWILIO_AUTH_TOKEN, from, to: FAULT_ENV.SERVICE_PHONE_NUMBER, requestTimeoutMs: 5000 }, scriptedCaller(['1', `${provisionalId}#`]));
    try {
      await app.start();
      const res = await fetch(`${app.url}/api/registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Audit Crash', email: 'audit-crash@example.com' }) });
      expect(res.status).to.equal(201);
      const { provisionalId } = (await res.json()) as { provisionalId: string };

      const firstCall = dial(app, provisionalId).catch(() => undefined);
      const frozen = await Promise.race([proxy.frozen.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000))]);
      expect(frozen, 'the app went on to record the activation').to.equal(true);
      await app.kill();
      await firstCall;

      // What the crash left: the charge, its event in the member's audit outbox, no audit line.
      const activationCharges = async () => (await readLedger(store.redis, provisionalId)).filter((e) => e.kind === 'activation');
      expect(await activationCharges()).to.have.length(1);
      expect(await auditLines(store, 'account.activated', provisionalId), 'no line yet').to.have.length(0);
      expect(await store.redis.hlen(keys.auditOutbox(provisionalId)), 'the event waits in the outbox').to.equal(1);

      // The next instance (straight on Redis) relays it.
      app = new AppProcess({ REDIS_URL: redis.url });
      await app.start();
      expect(await eventually(async () => (await auditLines(store, 'account.activated', provisionalId)).length === 1, 20_000), 'the line was recorded').to.equal(true);
      expect(await eventually(async () => (await store.redis.hlen(keys.auditOutbox(provisionalId))) === 0, 20_000), 'the outbox emptied').to.equal(true);

      // The caller, whose call died with the app, calls again from the same line: hears the formal
      // ID, free; nothing is charged or recorded again.
      const again = await dial(app, provisionalId);
      const numbers = again.events.flatMap((e: CallEvent) => (e.type === 'say' ? e.numbers : []));
      const formalId = await store.redis.hget(keys.account(provisionalId), 'formalId');
      expect(numbers, 'the formal ID read again').to.include(formalId);
      await new Promise((r) => setTimeout(r, 2500)); // two relay passes (RECONCILE_INTERVAL_MS=200) and the 2 s grace: a floor, load only lengthens it
      expect(await activationCharges()).to.have.length(1);
      expect(await auditLines(store, 'account.activated', provisionalId)).to.have.length(1);
    } finally {
      await app.kill();
      await proxy.close();
      store.redis.disconnect();
      await redis.stop();
    }
  });
});
