import { expect } from 'chai';
import {
  AppProcess,
  approveByPhone,
  createPaymentRequest,
  moneyInRedis,
  ownRedis,
  redemptionStream,
  retryUnacknowledged,
  setUp,
  webhookReceiver,
} from './fault-kit.ts';

export interface KillScenario {
  /** What is killed mid-stream: the app process, or redis-server (restarted from its AOF). */
  kill: 'app' | 'redis';
  /** Kill rounds: stream, kill, restart, retry the unacknowledged. */
  rounds: number;
  /** How long each stream runs before the kill (ms). */
  streamMs: number;
  parallel: number;
  /** Payment requests approved by phone before the first kill, while the receiver is down. */
  approvals: number;
  log?: (line: string) => void;
}

/**
 * The whole fault story: a merchant redeems codes in a stream (each request with its own
 * Idempotency-Key) and a member approves payment requests by phone, while the merchant's webhook
 * receiver is down; the app (or Redis) is SIGKILLed mid-stream and restarted; every request the
 * merchant got no answer to is retried with its key; the receiver comes up. Then: the sum of
 * code debits equals the merchant's settlement, each acknowledged redemption is booked once, and
 * every notification is delivered exactly once.
 */
export async function runKillScenario(s: KillScenario) {
  const log = s.log ?? (() => undefined);
  const redis = await ownRedis();
  const hook = await webhookReceiver({ down: true });
  let app = new AppProcess({ REDIS_URL: redis.url });
  try {
    await app.start();
    const member = await setUp(app, hook.url, 2);
    const approved: string[] = [];
    for (let i = 0; i < s.approvals; i++) {
      const request = await createPaymentRequest(app, member.shop, 100 + i);
      const heard = await approveByPhone(app, member, request.number);
      expect(heard.callStatus).to.equal('completed');
      approved.push(request.id);
    }
    const sent = [];
    let retried = 0;
    let unbookedAtKill = 0;
    for (let round = 0; round < s.rounds; round++) {
      const stop = { now: false };
      const stream = redemptionStream(app, member.shop, member.codes, s.parallel, stop);
      await new Promise((r) => setTimeout(r, s.streamMs));
      if (s.kill === 'app') {
        await app.kill();
        stop.now = true;
        sent.push(...(await stream));
        app = new AppProcess({ REDIS_URL: redis.url });
        await app.start();
      } else {
        await redis.kill();
        await new Promise((r) => setTimeout(r, 300));
        stop.now = true;
        sent.push(...(await stream));
        await redis.restart();
      }
      // Before any retry: whatever the kill left debited but not booked, the reconciler books.
      const atRestart = await moneyInRedis(redis.url, member.shop, member.codes);
      let reconciled = atRestart;
      for (let i = 0; i < 100 && (reconciled.unsettled > 0 || reconciled.settled !== reconciled.debited); i++) {
        await new Promise((r) => setTimeout(r, 100));
        reconciled = await moneyInRedis(redis.url, member.shop, member.codes);
      }
      log(`      round ${round + 1}: at restart debited ${atRestart.debited}, settled ${atRestart.settled}, ${atRestart.unsettled} unsettled; after the reconciler settled ${reconciled.settled}`);
      expect(reconciled.settled, 'settlement equals the debits once the reconciler has run').to.equal(reconciled.debited);
      unbookedAtKill += atRestart.debited - atRestart.settled;
      const open = await retryUnacknowledged(app, member.shop, sent);
      retried += open;
      log(`      round ${round + 1}: ${sent.length} redemptions sent so far, ${open} unacknowledged at the kill and retried with their keys`);
    }
    hook.state.down = false;

    // Once the reconciler has run (RECONCILE_INTERVAL_MS=200), settlement equals the debits.
    let money = await moneyInRedis(redis.url, member.shop, member.codes);
    for (let i = 0; i < 100 && (money.unsettled > 0 || money.settled !== money.debited); i++) {
      await new Promise((r) => setTimeout(r, 100));
      money = await moneyInRedis(redis.url, member.shop, member.codes);
    }
    log(`      debited ${money.debited} in ${money.debits} debits; settled ${money.settled} in ${money.booked} bookings; ${money.unsettled} unsettled`);
    expect(money.settled, 'settlement equals the sum of debits').to.equal(money.debited);
    expect(money.debits).to.equal(sent.length);
    expect(money.booked).to.equal(sent.length);
    expect(money.debited).to.equal(sent.length * 10);
    const acked = sent.map((r) => r.acked!.redemptionId);
    expect(new Set(acked).size, 'one redemption per Idempotency-Key').to.equal(sent.length);
    expect([...money.redemptionIds].sort()).to.deep.equal([...acked].sort());

    // Every notification, exactly once: one redemption.created per redemption, one approval each.
    const expected = sent.length + approved.length;
    await hook.waitFor(expected, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const ids = hook.received.map((d) => d.id);
    log(`      webhooks: ${hook.received.length} delivered for ${expected} events, ${new Set(ids).size} distinct`);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(hook.received.length).to.equal(expected);
    const created = hook.received.filter((d) => d.type === 'redemption.created').map((d) => JSON.parse(d.body).data.redemptionId as string);
    expect([...created].sort()).to.deep.equal([...acked].sort());
    const approvals = hook.received.filter((d) => d.type === 'payment_request.approved').map((d) => JSON.parse(d.body).data.id as string);
    expect([...approvals].sort()).to.deep.equal([...approved].sort());
    return { sent: sent.length, retried, unbookedAtKill, ...money, webhooks: hook.received.length };
  } finally {
    await app.stop().catch(() => undefined);
    await hook.close();
    await redis.stop();
  }
}
