import * as crypto from 'node:crypto';

const pepperKeys = new Map<string, crypto.KeyObject>();

/**
 * HMAC-SHA256 keyed with the pepper, base64url. Codes, PINs, API keys and derived IDs are all
 * found by such a hash; the key is imported once per pepper, since building it from the string
 * on every call costs more than the hash itself on the hot paths.
 */
export function pepperedHash(pepper: string, value: string): string {
  let key = pepperKeys.get(pepper);
  if (!key) {
    key = crypto.createSecretKey(Buffer.from(pepper, 'utf8'));
    pepperKeys.set(pepper, key);
  }
  return crypto.createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

// crypto.hash (one call, no Hash object) exists from Node 20.12; the fallback keeps Node 20.0 working.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

/** SHA-256 of a string, base64url: digests that name things (session tokens, Idempotency-Keys). */
export const sha256 = (value: string): string =>
  oneShot ? oneShot('sha256', value, 'base64url') : crypto.createHash('sha256').update(value, 'utf8').digest('base64url');

const sha256Bytes = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest();

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export const constantTimeEqual = (a: string, b: string) => crypto.timingSafeEqual(sha256Bytes(a), sha256Bytes(b));
