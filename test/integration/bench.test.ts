import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { COMMITTED_RESULTS, parseBenchOptions, UsageError } from '../../scripts/lib/bench/options.ts';
import { runBench } from '../../scripts/lib/bench/run.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** `npm run bench -- <args>` as a newcomer types it: exit code, what it printed. */
function benchCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsx, 'scripts/bench.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

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
    // Each is measured against its floor too, in the same slices: the floor answers every request
    // correctly (its fixed answer is the app's own) and makes the step's Redis round trips.
    for (const measured of [row!, redemption!]) {
      expect(measured.floor, measured.scenario).to.not.equal(undefined);
      expect(measured.floor!.measured.totalRequests).to.be.greaterThan(0);
      expect(measured.floor!.measured.errors).to.equal(0);
      expect(measured.floor!.pairRatios).to.have.length(1);
      expect(measured.floor!.measured.cpuMicrosPerRequest).to.be.greaterThan(0);
    }
    expect(row!.floor!.measured.redisCommandsPerRequest?.get).to.be.closeTo(1, 0.2);
    expect(redemption!.floor!.measured.redisCommandsPerRequest?.evalsha).to.be.greaterThan(5);
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
    // A MISS says by how many microseconds per request.
    for (const target of results.targets.filter((t) => t.status === 'MISS' && /req\/s|CPU/.test(t.target))) expect(target.gap).to.match(/µs per request/);
    expect(results.targets.map((t) => t.target)).to.include.members([
      'incoming-call: req/s ≥ 95% of bare Express (TwiML) (at the highest concurrency)',
      "merchant-redemption: req/s ≥ 85% of its floor's (at the highest concurrency)",
    ]);
    expect(results.pending.map((p) => p.scenario)).to.deep.equal([]);
  });

  it('--help prints the options; a wrong option is one line and exit 2, with no stack trace', async function () {
    this.timeout(120_000);
    const help = await benchCommand(['--help']);
    expect(help.code).to.equal(0);
    for (const option of ['--quick', '--only', '--profile', '--against', '--instances', '--save', '--out']) expect(help.stdout).to.include(option);
    for (const args of [['--bogus'], ['--duration', 'soon'], ['--connections', '10,x']]) {
      const wrong = await benchCommand(args);
      expect(wrong.code, args.join(' ')).to.equal(2);
      expect(wrong.stdout).to.equal('');
      expect(wrong.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(wrong.stderr).to.match(/^bench: /).and.not.match(/\n\s+at /);
    }
  });

  it('a run writes bench/latest.json; only --save writes the committed bench/results.json', () => {
    expect(parseBenchOptions([], () => undefined)!.out).to.not.equal(COMMITTED_RESULTS);
    expect(parseBenchOptions(['--quick'], () => undefined)!.out).to.match(/bench\/latest\.json$/);
    expect(parseBenchOptions(['--save'], () => undefined)!.out).to.equal(COMMITTED_RESULTS);
    expect(parseBenchOptions(['--help'], () => undefined)).to.equal(undefined);
    expect(() => parseBenchOptions(['--save', '--out', 'x.json'], () => undefined)).to.throw(UsageError);
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
