import { expect } from 'chai';
import { chargeCall } from '../../src/accounts/ledger.ts';
import { afterMarkingAudit, chargeCounters, relayAuditOutboxes, type Activity } from '../../src/observability/activity.ts';
import { calendarDay } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, newCallSid, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone } from '../support/payments.ts';
import { eventually } from '../support/webhooks.ts';

/** The audit lines of one kind for one member, as the operator's stream holds them. */
async function auditLines(app: TestApp, kind: string, memberId: string) {
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
    const activity: Activity = { kind: 'account.renewed', key: `renew:${member.provisionalId}:${callSid}:crash`, at: now, actor: `call:${callSid}`, memberId: member.provisionalId, amount, day: chargeCounters(amount, 'renewals') };
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
