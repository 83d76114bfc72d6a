import { expect } from 'chai';
import { limitedAddress } from '../../src/http/client-address.ts';

describe('the client address the guessing limits count', () => {
  it('an IPv4 address counts on its own, also when it arrives IPv4-mapped', () => {
    expect(limitedAddress('203.0.113.7')).to.equal('203.0.113.7');
    expect(limitedAddress('::ffff:203.0.113.7')).to.equal('203.0.113.7');
  });

  it('every address of one IPv6 /64 counts as one, however it is written', () => {
    const one = limitedAddress('2001:db8:abcd:12::1');
    expect(one).to.equal('2001:db8:abcd:12::/64');
    for (const other of ['2001:db8:abcd:12:ffff:ffff:ffff:ffff', '2001:0DB8:ABCD:0012:0:0:0:9', '2001:db8:abcd:12::1%eth0']) expect(limitedAddress(other), other).to.equal(one);
    expect(limitedAddress('2001:db8:abcd:13::1')).to.not.equal(one);
    expect(limitedAddress('::1')).to.equal('0:0:0:0::/64');
    expect(limitedAddress('2001:db8::')).to.equal('2001:db8:0:0::/64');
  });

  it('anything else is one shared "unknown" bucket', () => {
    expect(limitedAddress(undefined)).to.equal('unknown');
    expect(limitedAddress('not an address')).to.equal('unknown');
  });
});
