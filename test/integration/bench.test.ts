import { expect } from 'chai';
import { runBench } from '../../scripts/lib/bench/run.ts';

describe('npm run bench (tiny mode)', () => {
  it('drives the incoming call and a redemption against the app and their baselines end to end', async function () {
    this.timeout(120_000);
    const results = await runBench({
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: [1],
      only: ['incoming-call', 'merchant-redemption'],
      memory: false,
      memoryCount: 0,
      profileDir: 'bench',
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
    expect(results.targets.length).to.be.greaterThan(0);
    for (const target of results.targets) expect(['PASS', 'MISS', 'PENDING', 'NOT RUN']).to.include(target.status);
    expect(results.pending.map((p) => p.scenario)).to.deep.equal([]);
  });
});
