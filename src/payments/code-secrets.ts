import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { pepperedHash } from '../shared/hashing.ts';

/**
 * Payment codes never sit in Redis in plaintext. The record is found by a keyed hash (HMAC with
 * HASH_PEPPER, which never goes to Redis): a dump without the pepper gives no usable code, and
 * even with it every guess costs one HMAC over a 10^15 space.
 */
export function codeHash(code: string, pepper: string): string {
  return pepperedHash(pepper, `payment-code:${code}`);
}

export const lastFour = (code: string) => code.slice(-4);

/**
 * A Twilio retry of the purchase step, or "press 1 to hear it again", must speak the same code,
 * so the step marker keeps it, sealed with AES-256-GCM under a key derived from the pepper.
 * The marker expires with the call step (CALL_STEP_TTL_SECONDS), after which the code is gone for good.
 */
const sealKeys = new Map<string, Buffer>();

// Derived once per pepper: every purchase seals and opens a code, and HKDF need not run on that path each time.
function sealKey(pepper: string): Buffer {
  let key = sealKeys.get(pepper);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', pepper, 'dialpass', 'payment-code-step-seal', 32));
    sealKeys.set(pepper, key);
  }
  return key;
}

export function sealCode(code: string, pepper: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(pepper), iv);
  const sealed = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), sealed].map((b) => b.toString('base64url')).join('.');
}

export function openCode(sealed: string, pepper: string): string {
  const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !data) throw new Error('malformed sealed code');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(pepper), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}
