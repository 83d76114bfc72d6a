import { expect } from 'chai';
import { median } from '../../scripts/lib/bench/measure.ts';
import { scaleModel } from '../../scripts/lib/bench/model.ts';

describe('bench figures', () => {
  it('a ratio is the median of the paired slices, so one disturbed slice does not move it', () => {
    expect(median([0.9, 0.88, 0.2, 0.91, 0.87])).to.equal(0.88);
    expect(median([0.8, 0.9])).to.be.closeTo(0.85, 1e-12);
    expect(median([0.7])).to.equal(0.7);
  });
});

describe('the scaling model (bench model.ts)', () => {
  const rows = scaleModel({ appMicrosPerWebhook: 400, redisMicrosPerWebhook: 60, opsMicrosPerEvent: 20 });
  const at = (cores: number, masters: number) => rows.find((r) => r.cores === cores && r.masters === masters)!;

  it('a call costs four webhooks of app CPU: 4 cores at 1,600 µs a call serve 2,500 calls/s if Redis keeps up', () => {
    expect(at(4, 3).appCallsPerSecond).to.equal(2500);
    expect(at(4, 3)).to.include({ callsPerSecond: 2500, webhooksPerSecond: 10_000, firstToRunOut: 'app CPU' });
  });

  it('past what the app cores need, the master holding {ops} runs out first: more masters do not lift it above one event stream', () => {
    // 240 µs of Redis a call, 40 of them {ops}: one master allows 1e6 / 240 calls/s; with 6, {ops} plus a sixth of the rest.
    expect(at(64, 1)).to.include({ callsPerSecond: Math.round(1e6 / 240), firstToRunOut: 'Redis: the {ops} master' });
    expect(at(64, 6)).to.include({ callsPerSecond: Math.round(1e6 / (40 + 200 / 6)), firstToRunOut: 'Redis: the {ops} master' });
    expect(at(64, 6).spreadCallsPerSecond).to.be.greaterThan(at(64, 6).opsMasterCallsPerSecond);
    for (const cores of [4, 16, 64]) expect(at(cores, 6).callsPerSecond).to.be.at.least(at(cores, 3).callsPerSecond);
  });
});
