import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestApp, type TestApp } from './harness.ts';
import { credentialsFor, describeRequest, fuzz, type Credentials } from './fuzz.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const settledMemory = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss / MiB, heap: m.heapUsed / MiB };
};

export const FUZZ_SEED = 20261201;

/** The fuzz story, shared by the fast run in npm test and the long one in test/faults. */
export function fuzzStory(count: number, rounds: number) {
  return function (this: Mocha.Suite) {
    this.timeout(Math.max(60_000, count * 10));
    let app: TestApp;
    let credentials: Credentials;
    before(async () => {
      // The shipped limits (not the tests' generous ones): guessing routes hit them and stop hashing.
      app = await startTestApp({ REGISTRATIONS_PER_ADDRESS_PER_HOUR: '20' });
      credentials = await credentialsFor(app);
    });
    after(() => app.close());

    it(`${count.toLocaleString('en')} malformed requests across every route get no 5xx, break no error contract, crash nothing, and leave memory flat`, async () => {
      // A warm-up round so lazy one-time allocations (compiled routes, decoy hash, pools) are not counted as growth.
      await fuzz(app, credentials, { count: Math.min(2000, count), seed: FUZZ_SEED - 1 });
      const before = settledMemory();
      const perRound = Math.ceil(count / rounds);
      const reports = [];
      for (let round = 0; round < rounds; round++) reports.push(await fuzz(app, credentials, { count: perRound, seed: FUZZ_SEED + round }));
      const after = settledMemory();
      const sent = reports.reduce((n, r) => n + r.sent, 0);
      const byStatus: Record<number, number> = {};
      for (const r of reports) for (const [status, n] of Object.entries(r.byStatus)) byStatus[Number(status)] = (byStatus[Number(status)] ?? 0) + n;
      const serverErrors = reports.flatMap((r) => r.serverErrors);
      const contractBreaks = reports.flatMap((r) => r.contractBreaks);
      const ms = reports.reduce((n, r) => n + r.ms, 0);
      console.log(
        `      ${sent} requests in ${(ms / 1000).toFixed(1)} s; statuses ${JSON.stringify(byStatus)}; 5xx ${serverErrors.length}; ` +
          `heap ${before.heap.toFixed(1)} → ${after.heap.toFixed(1)} MiB, RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB`,
      );
      expect(sent).to.equal(perRound * rounds);
      expect(serverErrors.map(describeRequest).slice(0, 5), `${serverErrors.length} answers were 5xx`).to.deep.equal([]);
      expect(contractBreaks.map((b) => `${b.why}: ${describeRequest(b)}`).slice(0, 5)).to.deep.equal([]);
      expect((await fetch(`${app.url}/healthz`)).status, 'still serving').to.equal(200);
      // Flat: what the requests left behind (sessions are in Redis, not here) fits in a few MiB of heap.
      expect(after.heap - before.heap).to.be.below(16);
    });
  };
}

