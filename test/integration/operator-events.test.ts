import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { activitiesRecorded, activityErrors, recordActivity } from '../../src/observability/activity.ts';
import { calendarDay } from '../../src/shared/calendar.ts';
import { keys } from '../../src/store/keys.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { deleteKeysWithPrefix, testConfig } from '../support/harness.ts';

describe('operator events, recorded in batches', () => {
  const config = testConfig();
  const prefix = `t${randomBytes(6).toString('hex')}:`;
  let redis: RedisClient;
  before(() => {
    redis = createRedisClient(config, { keyPrefix: prefix });
  });
  after(async () => {
    await deleteKeysWithPrefix(config, `${config.redis.keyPrefix}${prefix}`);
    redis.disconnect();
  });

  it('when more events arrive in one turn than one batch takes, and some twice, each is recorded once, and a shutdown can wait for all of them', async () => {
    const at = Date.now();
    const deps = { redis, config };
    // 250 events in one turn (three batches), each of the first ten queued twice (a retry).
    const keyOf = (i: number) => `test-event:${i}`;
    for (let i = 0; i < 250; i++) {
      void recordActivity(deps, { kind: 'code.redeemed', key: keyOf(i), at, actor: 'merchant:m1', merchantId: 'm1', amount: 100, day: { redemptions: 1, redeemed_amount: 100 } });
      if (i < 10) void recordActivity(deps, { kind: 'code.redeemed', key: keyOf(i), at, actor: 'merchant:m1', merchantId: 'm1', amount: 100, day: { redemptions: 1, redeemed_amount: 100 } });
    }
    // What server.ts awaits before it quits Redis: nothing queued may be left unsent.
    await activitiesRecorded(redis);
    expect(await redis.xlen(keys.opsAudit())).to.equal(250);
    expect(await redis.hgetall(keys.opsDay(calendarDay(at, config.timeZone)))).to.deep.equal({ redemptions: '250', redeemed_amount: '25000' });
    // A later retry of one of them adds nothing.
    await recordActivity(deps, { kind: 'code.redeemed', key: keyOf(3), at, actor: 'merchant:m1', merchantId: 'm1', amount: 100, day: { redemptions: 1, redeemed_amount: 100 } });
    expect(await redis.xlen(keys.opsAudit())).to.equal(250);
  });

  it("when one event of a batch cannot be written, the others in it still are, and only that one is counted as failed", async () => {
    const at = Date.now();
    const deps = { redis, config };
    // The running totals under a key of the wrong type: HINCRBY on it fails.
    await redis.set(keys.opsTotals(), 'not a hash');
    const before = activityErrors.count;
    const event = (i: number, totals?: Record<string, number>) =>
      void recordActivity(deps, { kind: 'account.renewed', key: `test-mixed:${i}`, at, actor: 'call:CA1', memberId: `m${i}`, amount: 500, day: { renewals: 1 }, totals });
    event(1);
    event(2, { outstanding: 500 });
    event(3);
    await activitiesRecorded(redis);
    expect(activityErrors.count - before).to.equal(1);
    const audit = await redis.xrange(keys.opsAudit(), '-', '+');
    const members = audit.map(([, fields]) => fields[fields.indexOf('member') + 1]).filter((m) => ['m1', 'm2', 'm3'].includes(m!));
    // The failed event's audit line was written before its totals failed: it stays, once.
    expect(members).to.deep.equal(['m1', 'm2', 'm3']);
    expect(await redis.hget(keys.opsDay(calendarDay(at, config.timeZone)), 'renewals')).to.equal('3');
    await redis.del(keys.opsTotals());
  });
});
