import { expect } from 'chai';
import { median } from '../../scripts/lib/bench/measure.ts';

describe('bench figures', () => {
  it('a ratio is the median of the paired slices, so one disturbed slice does not move it', () => {
    expect(median([0.9, 0.88, 0.2, 0.91, 0.87])).to.equal(0.88);
    expect(median([0.8, 0.9])).to.be.closeTo(0.85, 1e-12);
    expect(median([0.7])).to.equal(0.7);
  });
});
