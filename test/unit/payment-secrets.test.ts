import { expect } from 'chai';
import { createHash, createHmac } from 'node:crypto';
import { pepperedHash, sha256 } from '../../src/shared/hashing.ts';
import { codeHash, lastFour, openCode, sealCode } from '../../src/payments/code-secrets.ts';
import { canonicalJson } from '../../src/merchants/idempotency.ts';
import { calendarDay, calendarMonth } from '../../src/shared/calendar.ts';
import { merchantIds, paymentCodes } from '../../src/identifiers/ids.ts';

const PEPPER = 'unit-test-pepper-0123456789';

describe('payment code secrets', () => {
  it('a code is found by a keyed hash that changes with the pepper and never contains the code', () => {
    const code = paymentCodes.generate();
    const hash = codeHash(code, PEPPER);
    expect(hash).to.equal(codeHash(code, PEPPER));
    expect(hash).to.not.equal(codeHash(code, `${PEPPER}x`));
    expect(hash).to.not.include(code.slice(0, 8));
    expect(lastFour(code)).to.equal(code.slice(12));
  });

  it('a sealed code opens only with the same pepper and is never the same ciphertext twice', () => {
    const code = paymentCodes.generate();
    const sealed = sealCode(code, PEPPER);
    expect(sealed).to.not.include(code);
    expect(sealCode(code, PEPPER)).to.not.equal(sealed);
    expect(openCode(sealed, PEPPER)).to.equal(code);
    expect(() => openCode(sealed, `${PEPPER}x`)).to.throw();
    const [iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => openCode([iv, tag, flipped.toString('base64url')].join('.'), PEPPER)).to.throw();
  });

  it('payment codes are 16 digits with a check digit; merchant numbers 8', () => {
    const code = paymentCodes.generate();
    expect(code).to.match(/^\d{16}$/);
    expect(paymentCodes.check(code)).to.equal('ok');
    expect(paymentCodes.check(code.slice(0, 15) + String((Number(code[15]) + 1) % 10))).to.equal('mistyped');
    expect(merchantIds.generate()).to.match(/^\d{8}$/);
  });
});

describe('idempotency fingerprints', () => {
  it('key order does not matter, values and nesting do', () => {
    expect(canonicalJson({ b: 2, a: { y: [1, { d: 1, c: 2 }], x: null } })).to.equal(canonicalJson({ a: { x: null, y: [1, { c: 2, d: 1 }] }, b: 2 }));
    expect(canonicalJson({ amount: 100 })).to.not.equal(canonicalJson({ amount: '100' }));
    expect(canonicalJson(undefined)).to.equal('null');
  });
});

describe('calendar days for settlement and the monthly cap', () => {
  it('uses the service time zone, not UTC', () => {
    const lateUtc = Date.UTC(2026, 10, 30, 16, 30); // 01:30 on 1 December in Tokyo
    expect(calendarDay(lateUtc, 'Asia/Tokyo')).to.equal('2026-12-01');
    expect(calendarDay(lateUtc, 'UTC')).to.equal('2026-11-30');
    expect(calendarMonth(lateUtc, 'Asia/Tokyo')).to.equal('2026-12');
  });

  it('turns over at local midnight, also when asked again and again within the same minute', () => {
    const midnightTokyo = Date.UTC(2026, 10, 30, 15, 0); // 00:00 on 1 December in Tokyo
    const instants = [midnightTokyo - 60_001, midnightTokyo - 1, midnightTokyo - 1, midnightTokyo, midnightTokyo + 59_999, midnightTokyo - 1];
    expect(instants.map((ms) => calendarDay(ms, 'Asia/Tokyo'))).to.deep.equal(['2026-11-30', '2026-11-30', '2026-11-30', '2026-12-01', '2026-12-01', '2026-11-30']);
    const kolkata = Date.UTC(2026, 10, 30, 18, 30); // 00:00 in India (UTC+05:30)
    expect([calendarDay(kolkata - 1, 'Asia/Kolkata'), calendarDay(kolkata, 'Asia/Kolkata')]).to.deep.equal(['2026-11-30', '2026-12-01']);
  });
});

describe('keyed hashes and digests', () => {
  it('pepperedHash is HMAC-SHA256 under the pepper and sha256 is SHA-256, both base64url', () => {
    expect(pepperedHash(PEPPER, 'payment-code:1234')).to.equal(createHmac('sha256', PEPPER).update('payment-code:1234').digest('base64url'));
    expect(pepperedHash(`${PEPPER}x`, 'payment-code:1234')).to.not.equal(pepperedHash(PEPPER, 'payment-code:1234'));
    expect(sha256('Idempotency-Key 日本')).to.equal(createHash('sha256').update('Idempotency-Key 日本', 'utf8').digest('base64url'));
  });
});
