import { randomBytes, scryptSync } from 'node:crypto';
import { expect } from 'chai';
import { hashPassword, verifyPassword } from '../../src/accounts/passwords.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';

/** The stored form dialpass wrote before argon2id: scrypt N=2^17, r=8, p=1, 24-byte key. */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 24, { N: 2 ** 17, r: 8, p: 1, maxmem: 160 * 1024 * 1024 });
  return `s1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

describe('password hashes made with scrypt are upgraded to argon2id at the next login', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const memberIdOf = async (formalId: string) => (await app.redis.get(keys.formalIdIndex(formalId)))!;

  it('a member whose password was stored with scrypt logs in as before, and from then on the stored hash is argon2id', async () => {
    const member = await activeMember(app);
    const memberId = await memberIdOf(member.formalId);
    await app.redis.hset(keys.account(memberId), 'passwordHash', legacyScryptHash(member.password));

    const first = await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password });
    expect(first.status).to.equal(200);
    const upgraded = (await app.redis.hget(keys.account(memberId), 'passwordHash'))!;
    expect(upgraded).to.match(/^a1\$/);
    expect(upgraded.length).to.be.at.most(64);
    expect(await verifyPassword(member.password, upgraded)).to.equal(true);

    expect((await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password })).status).to.equal(200);
    expect(await app.redis.hget(keys.account(memberId), 'passwordHash')).to.equal(upgraded);
  });

  it('a wrong password against a scrypt hash is refused and leaves the hash as it was', async () => {
    const member = await activeMember(app);
    const memberId = await memberIdOf(member.formalId);
    const legacy = legacyScryptHash(member.password);
    await app.redis.hset(keys.account(memberId), 'passwordHash', legacy);
    expect((await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: 'not-the-password' })).status).to.equal(401);
    expect(await app.redis.hget(keys.account(memberId), 'passwordHash')).to.equal(legacy);
  });

  it('the upgrade never overwrites a hash that changed after it was verified (a concurrent password change wins)', async () => {
    const member = await activeMember(app);
    const accountKey = keys.account(await memberIdOf(member.formalId));
    const verified = legacyScryptHash(member.password);
    const changedMeanwhile = await hashPassword('a-new-password-set-meanwhile');
    await app.redis.hset(accountKey, 'passwordHash', changedMeanwhile);
    expect(await app.redis.dpReplacePasswordHash(accountKey, verified, await hashPassword(member.password))).to.equal(0);
    expect(await app.redis.hget(accountKey, 'passwordHash')).to.equal(changedMeanwhile);
  });
});
