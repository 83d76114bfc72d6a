import { randomBytes, scryptSync } from 'node:crypto';
import { expect } from 'chai';
import { hashPassword, hashPin, passwordNeedsUpgrade, pinMatches, verifyPassword } from '../../src/accounts/passwords.ts';

describe('password and PIN hashing', () => {
  it('a password verifies against its argon2id hash and nothing else does', async () => {
    const stored = await hashPassword('Kx7pQ2mWz9rTbn');
    expect(stored).to.match(/^a1\$[\w-]{22}\$[\w-]{32}$/);
    expect(passwordNeedsUpgrade(stored)).to.equal(false);
    // At most 64 bytes: Redis keeps the pending registration and account hashes as compact listpacks.
    expect(stored.length).to.be.at.most(64);
    expect(await verifyPassword('Kx7pQ2mWz9rTbn', stored)).to.equal(true);
    expect(await verifyPassword('Kx7pQ2mWz9rTbN', stored)).to.equal(false);
    expect(await verifyPassword('anything', 'garbage')).to.equal(false);
  });

  it('an argon2id hash is the OWASP setting: m=19 MiB, t=2, p=1 (checked against the PHC string of the same salt)', async () => {
    const { hash } = await import('@node-rs/argon2');
    const stored = await hashPassword('Kx7pQ2mWz9rTbn');
    const [, salt, key] = stored.split('$');
    const phc = await hash('Kx7pQ2mWz9rTbn', { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 24, salt: Buffer.from(salt!, 'base64url') });
    expect(phc).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(Buffer.from(phc.split('$').at(-1)!, 'base64').toString('base64url')).to.equal(key);
  });

  it('an old scrypt hash (N=2^17) still verifies and is marked for upgrade', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('Kx7pQ2mWz9rTbn', salt, 24, { N: 2 ** 17, r: 8, p: 1, maxmem: 160 * 1024 * 1024 });
    const stored = `s1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('Kx7pQ2mWz9rTbn', stored)).to.equal(true);
    expect(await verifyPassword('Kx7pQ2mWz9rTbN', stored)).to.equal(false);
    expect(passwordNeedsUpgrade(stored)).to.equal(true);
  });

  it('a scrypt hash stored with a 32-byte key (before keys were shortened) still verifies', async () => {
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
