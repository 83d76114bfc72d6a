import { expect } from 'chai';
import { formalIds } from '../../src/identifiers/ids.ts';
import { passwordHashingStats, MAX_HASHES_IN_FLIGHT, MAX_HASHES_WAITING } from '../../src/accounts/passwords.ts';
import { keys } from '../../src/store/keys.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';

const MiB = 1024 * 1024;

/** Samples this process's resident memory every 10 ms while `work` runs; the app runs in this process. */
async function peakRssDuring<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number; beforeMiB: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    const result = await work();
    return { result, peakMiB: Math.round(peak / MiB), beforeMiB: Math.round(before / MiB) };
  } finally {
    clearInterval(timer);
  }
}

const statuses = (results: { status: number }[]) =>
  results.reduce<Record<number, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {});

describe('guessing limits count first: a burst cannot try more passwords than the limit', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('60 wrong logins at once for one formal ID try exactly LOGIN_MAX_FAILURES passwords; the rest are 429 with Retry-After, and memory stays bounded', async () => {
    const member = await activeMember(app);
    const before = passwordHashingStats();
    const { result, peakMiB, beforeMiB } = await peakRssDuring(() =>
      Promise.all(Array.from({ length: 60 }, (_, i) => jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: `wrong-password-${i}` }))),
    );
    const after = passwordHashingStats();
    const counts = statuses(result);
    console.log(`      60-login burst: ${JSON.stringify(counts)}, passwords verified ${after.verified - before.verified}, peak hashes in flight ${after.peakInFlight}, RSS ${beforeMiB} → peak ${peakMiB} MiB`);
    expect(after.verified - before.verified).to.equal(app.config.loginMaxFailures);
    expect(counts[401]).to.equal(app.config.loginMaxFailures - 1);
    expect(counts[429]).to.equal(60 - (app.config.loginMaxFailures - 1));
    for (const r of result.filter((r) => r.status === 429)) {
      expect(r.body.error.code).to.equal('locked_out');
      expect(Number(r.headers.get('retry-after'))).to.be.within(1, app.config.loginLockoutSeconds);
    }
    expect(after.peakInFlight).to.be.at.most(MAX_HASHES_IN_FLIGHT);
    // Two 19 MiB argon2id hashes at most at once, plus the test's own heap: well under the ~680 MiB scrypt once took.
    expect(peakMiB - beforeMiB).to.be.below(MAX_HASHES_IN_FLIGHT * 19 + 96);
  });

  it('the right password after the burst is still refused until the lockout ends', async () => {
    const member = await activeMember(app);
    await Promise.all(Array.from({ length: 12 }, (_, i) => jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: `wrong-${i}` })));
    const right = await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password });
    expect(right.status).to.equal(429);
  });

  it('a successful login gives its attempt back: the formal ID count is cleared and the address keeps its allowance', async () => {
    const member = await activeMember(app);
    const addressCount = async () => Number((await app.redis.get(keys.loginFailuresByAddress('127.0.0.1'))) ?? 0);
    const start = await addressCount();
    for (let i = 0; i < 3; i++) await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: `wrong-${i}` });
    expect(await addressCount()).to.equal(start + 3);
    expect((await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password })).status).to.equal(200);
    expect(await app.redis.get(keys.loginFailures(member.formalId))).to.equal(null);
    expect(await addressCount()).to.equal(start + 3);
  });

  it('one client address gets five times LOGIN_MAX_FAILURES wrong logins across formal IDs, then 429 before any hashing', async () => {
    const strict = await startTestApp({ LOGIN_MAX_FAILURES: '2' });
    try {
      const before = passwordHashingStats();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => jsonRequest(strict, 'POST', '/api/login', { formalId: formalIds.generate(), password: 'guess' })),
      );
      const verified = passwordHashingStats().verified - before.verified;
      expect(verified).to.equal(10);
      expect(statuses(results)[429]).to.equal(10);
    } finally {
      await strict.close();
    }
  });

  it('registrations from one address are counted before hashing: 30 at once with a limit of 5 make exactly 5 registrations and 25 answers 429', async () => {
    const limited = await startTestApp({ REGISTRATIONS_PER_ADDRESS_PER_HOUR: '5' });
    try {
      const before = passwordHashingStats();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => jsonRequest(limited, 'POST', '/api/registrations', { name: `Burst ${i}`, email: `burst${i}@example.com` })),
      );
      expect(statuses(results)).to.deep.equal({ 201: 5, 429: 25 });
      expect(passwordHashingStats().hashed - before.hashed).to.equal(5);
      const refused = results.find((r) => r.status === 429)!;
      expect(refused.body.error.code).to.equal('too_many_registrations');
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 3600);
      const page = await fetch(`${limited.url}/register?lang=en`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Ken', email: 'ken@example.com' }).toString(),
      });
      expect(page.status).to.equal(429);
      expect(await page.text()).to.include('Too many registrations from your connection');
    } finally {
      await limited.close();
    }
  });

  it('every address of one IPv6 /64 shares one registration allowance (a subscriber gets a whole /64)', async () => {
    const limited = await startTestApp({ REGISTRATIONS_PER_ADDRESS_PER_HOUR: '3' });
    try {
      // The app trusts X-Forwarded-For from loopback only, as behind a proxy on the same host.
      const from = (address: string, i: number) =>
        jsonRequest(limited, 'POST', '/api/registrations', { name: `V6 ${i}`, email: `v6.${i}@example.com` }, { 'X-Forwarded-For': address });
      const sameNetwork = [];
      for (const [i, address] of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:aaaa::3', '2001:db8:1:2:ffff::4'].entries()) sameNetwork.push((await from(address, i)).status);
      expect(sameNetwork).to.deep.equal([201, 201, 201, 429]);
      expect((await from('2001:db8:1:3::1', 9)).status, 'another /64').to.equal(201);
    } finally {
      await limited.close();
    }
  });

  it('a registration burst past the hashing queue is refused quickly with 503 and Retry-After, never queued without end, and memory stays bounded', async () => {
    const before = passwordHashingStats();
    const burst = MAX_HASHES_IN_FLIGHT + MAX_HASHES_WAITING + 60;
    const { result, peakMiB, beforeMiB } = await peakRssDuring(() =>
      Promise.all(Array.from({ length: burst }, (_, i) => jsonRequest(app, 'POST', '/api/registrations', { name: `Flood ${i}`, email: `flood${i}@example.com` }))),
    );
    const after = passwordHashingStats();
    const counts = statuses(result);
    console.log(`      ${burst}-registration burst: ${JSON.stringify(counts)}, hashes ${after.hashed - before.hashed}, refused busy ${after.refused - before.refused}, RSS ${beforeMiB} → peak ${peakMiB} MiB`);
    expect(Object.keys(counts).map(Number).every((s) => s === 201 || s === 503)).to.equal(true);
    expect(counts[201]).to.equal(after.hashed - before.hashed);
    expect(counts[503] ?? 0).to.equal(after.refused - before.refused);
    // More arrive at once than the pool holds and queues: some must have been turned away.
    expect(counts[503] ?? 0).to.be.at.least(1);
    for (const r of result.filter((r) => r.status === 503)) {
      expect(r.body.error.code).to.equal('busy');
      expect(r.headers.get('retry-after')).to.equal('2');
    }
    expect(after.peakInFlight).to.be.at.most(MAX_HASHES_IN_FLIGHT);
    expect(peakMiB - beforeMiB).to.be.below(MAX_HASHES_IN_FLIGHT * 19 + 96);
  });
});
