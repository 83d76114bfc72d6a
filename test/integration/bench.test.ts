import { expect } from 'chai';
import { runBench } from '../../scripts/lib/bench/run.ts';

describe('npm run bench (tiny mode)', () => {
  it('drives the incoming call and a redemption against the app, their baselines and another checkout (here itself) end to end', async function () {
    this.timeout(120_000);
    const results = await runBench({
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: [1],
      only: ['incoming-call', 'merchant-redemption'],
      memory: false,
      memoryCount: 0,
      profileDir: 'bench',
      // A before/after in one run; this checkout stands in for the other one.
      against: new URL('../../', import.meta.url).pathname,
      log: () => undefined,
    });
    // Structure only: timing on a shared machine proves nothing.
    expect(results.rows.map((r) => r.scenario)).to.deep.equal(['incoming-call', 'merchant-redemption']);
    const [row, redemption] = results.rows;
    // The JSON baseline is driven with requests shaped like the redemption's, and answers them all.
    expect(redemption).to.include({ baseline: 'json-baseline' });
    expect(redemption!.measured.errors).to.equal(0);
    expect(redemption!.baselineMeasured.errors).to.equal(0);
    expect(redemption!.baselineMeasured.totalRequests).to.be.greaterThan(0);
    expect(row).to.include({ scenario: 'incoming-call', baseline: 'twiml-baseline', connections: 1 });
    expect(row!.measured.totalRequests).to.be.greaterThan(0);
    expect(row!.measured.errors).to.equal(0);
    expect(row!.baselineMeasured.totalRequests).to.be.greaterThan(0);
    expect(row!.baselineMeasured.errors).to.equal(0);
    expect(row!.measured.peakRssBytes).to.be.greaterThan(0);
    expect(row!.pairRatios).to.have.length(1);
    expect(row!.ratio).to.equal(row!.pairRatios[0]);
    expect(row!.measured.cpuMicrosPerRequest).to.be.greaterThan(0);
    expect(row!.baselineMeasured.cpuMicrosPerRequest).to.be.greaterThan(0);
    expect(row!.measured.redisCpuMicrosPerRequest).to.be.a('number');
    expect(row!.baselineMeasured.redisCpuMicrosPerRequest).to.equal(undefined);
    // What a request asks of Redis: a redemption runs scripts, the baselines nothing.
    expect(redemption!.measured.redisCommandsPerRequest?.evalsha).to.be.greaterThan(0);
    expect(redemption!.baselineMeasured.redisCommandsPerRequest).to.equal(undefined);
    expect(results.comparison?.rows.map((r) => [r.scenario, r.connections])).to.deep.equal([['incoming-call', 1], ['merchant-redemption', 1]]);
    for (const compared of results.comparison!.rows) {
      expect(compared.theirs.totalRequests).to.be.greaterThan(0);
      expect(compared.ours.errors + compared.theirs.errors).to.equal(0);
    }
    expect(results.targets.length).to.be.greaterThan(0);
    for (const target of results.targets) expect(['PASS', 'MISS', 'PENDING', 'NOT RUN', 'NOT JUDGED']).to.include(target.status);
    expect(results.pending.map((p) => p.scenario)).to.deep.equal([]);
  });

  it('with --instances 2, a scenario is measured against one and two app processes, and the calls scenario places simultaneous calls through both', async function () {
    this.timeout(180_000);
    const results = await runBench({
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: [4],
      only: ['incoming-call', 'calls'],
      memory: false,
      memoryCount: 0,
      profileDir: 'bench',
      instances: 2,
      calls: 40,
      log: () => undefined,
    });
    expect(results.scaling?.instances).to.equal(2);
    const [row] = results.scaling!.rows;
    expect(row).to.include({ scenario: 'incoming-call', connections: 4 });
    expect(row!.one.totalRequests).to.be.greaterThan(0);
    expect(row!.many.totalRequests).to.be.greaterThan(0);
    expect(row!.one.errors + row!.many.errors).to.equal(0);
    for (const calls of [results.calls!, results.scaling!.calls!]) {
      expect(calls).to.include({ calls: 40, errors: 0 });
      expect(calls.webhooks.map((w) => w.path)).to.include.members(['/twilio/voice', '/twilio/voice/activation', '/twilio/voice/status']);
      for (const w of calls.webhooks) expect(w.requests).to.equal(40);
    }
    expect(results.targets.some((t) => t.target.startsWith('calls:') && t.status === 'PASS')).to.equal(true);
  });
});
