import { randomBytes, scryptSync } from 'node:crypto';
import { expect } from 'chai';
import { hashPassword, hashPin, pinMatches, verifyPassword } from '../../src/accounts/passwords.ts';

describe('password and PIN hashing', () => {
  it('a password verifies against its scrypt hash and nothing else does', async () => {
    const stored = await hashPassword('Kx7pQ2mWz9rTbn');
    expect(stored).to.match(/^s1\$[\w-]{22}\$[\w-]{32}$/);
    // At most 64 bytes: Redis keeps the pending registration and account hashes as compact listpacks.
    expect(stored.length).to.be.at.most(64);
    expect(await verifyPassword('Kx7pQ2mWz9rTbn', stored)).to.equal(true);
    expect(await verifyPassword('Kx7pQ2mWz9rTbN', stored)).to.equal(false);
    expect(await verifyPassword('anything', 'garbage')).to.equal(false);
  });

  it('a hash stored with a 32-byte key (before keys were shortened) still verifies', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('Kx7pQ2mWz9rTbn', salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 160 * 1024 * 1024 });
    const stored = `s1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('Kx7pQ2mWz9rTbn', stored)).to.equal(true);
    expect(await verifyPassword('Kx7pQ2mWz9rTbN', stored)).to.equal(false);
  });

  it('two hashes of the same password differ (random salt)', async () => {
    expect(await hashPassword('same-password')).to.not.equal(await hashPassword('same-password'));
  });

  it('a PIN hash depends on the member and the pepper', () => {
    const stored = hashPin('1234', 'm1', 'pepper-one-0123456789');
    expect(pinMatches('1234', 'm1', 'pepper-one-0123456789', stored)).to.equal(true);
    expect(pinMatches('1234', 'm2', 'pepper-one-0123456789', stored)).to.equal(false);
    expect(pinMatches('1234', 'm1', 'pepper-two-0123456789', stored)).to.equal(false);
    expect(pinMatches('1235', 'm1', 'pepper-one-0123456789', stored)).to.equal(false);
  });
});
