import { API_TEXT } from '../http/api-text.ts';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hashRaw, type Options as Argon2Options } from '@node-rs/argon2';
import { AppError } from '../http/errors.ts';
import { pepperedHash } from '../shared/hashing.ts';

/**
 * OWASP Password Storage Cheat Sheet (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html):
 * "Use Argon2id with a minimum configuration of 19 MiB of memory, an iteration count of 2, and 1
 * degree of parallelism." About 40 ms and 19 MiB per hash here, against scrypt N=2^17's ~450 ms
 * and 128 MiB (the sheet's scrypt row, used before; those hashes still verify, see below).
 */
// algorithm 2 is Algorithm.Argon2id (an ambient const enum, which verbatimModuleSyntax cannot import).
const ARGON2ID: Argon2Options = { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };
/** The scrypt row of the same sheet: what `s1$` hashes were made with. */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, maxmem: 160 * 1024 * 1024 } as const;
/**
 * 192 bits of derived key. It keeps the stored form at 58 characters, under Redis's 64-byte
 * hash-max-listpack-value, so a pending registration or account stays a compact listpack
 * instead of a hash table (about half the memory); the PHC string would be 97. Older `s1$`
 * hashes stored with a 32-byte key still verify.
 */
const KEY_LENGTH = 24;
/** `a1$<salt>$<key>`: argon2id with the parameters above. `s1$<salt>$<key>`: scrypt, verified and then upgraded. */
const CURRENT = 'a1';
const LEGACY_SCRYPT = 's1';

/**
 * Hashes run at most MAX_HASHES_IN_FLIGHT at a time in this process (one per core on a 2-core
 * box; two argon2id hashes hold 38 MiB, two legacy scrypt checks 256 MiB), and at most
 * MAX_HASHES_WAITING wait their turn (at ~40 ms a hash, under 3 s of queue; a waiter costs a
 * closure). Beyond that a request is refused at once with 503 and Retry-After instead of
 * queueing without end. Two in flight also leave two of libuv's four threads for everything else.
 */
export const MAX_HASHES_IN_FLIGHT = 2;
export const MAX_HASHES_WAITING = 128;
const BUSY_RETRY_AFTER_SECONDS = 2;

const counters = { hashed: 0, verified: 0, refused: 0, inFlight: 0, peakInFlight: 0 };
const waiting: (() => void)[] = [];

/** How many hashes this process has computed, is computing and has refused (tests and the fault drills read it). */
export const passwordHashingStats = () => ({ ...counters, waiting: waiting.length });

export class HashingBusyError extends AppError {
  constructor() {
    super(503, 'busy', API_TEXT.busy, { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) });
  }
}

async function withHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (counters.inFlight >= MAX_HASHES_IN_FLIGHT) {
    if (waiting.length >= MAX_HASHES_WAITING) {
      counters.refused++;
      throw new HashingBusyError();
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    counters.inFlight++;
  }
  counters.peakInFlight = Math.max(counters.peakInFlight, counters.inFlight);
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiter, so inFlight never drops below the queue's need.
    const next = waiting.shift();
    if (next) next();
    else counters.inFlight--;
  }
}

const scryptKey = (password: string, salt: Buffer, keyLength: number): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, keyLength, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))));

const argon2idKey = (password: string, salt: Buffer, keyLength: number): Promise<Buffer> => hashRaw(password, { ...ARGON2ID, outputLen: keyLength, salt });

/** Hashes off the event loop (libuv thread pool), waiting for a slot; throws HashingBusyError when too many wait. Stored form: `a1$<salt>$<key>` in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await withHashingSlot(() => argon2idKey(password.normalize('NFKC'), salt, KEY_LENGTH));
  counters.hashed++;
  return `${CURRENT}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [version, salt, key] = stored.split('$');
  if ((version !== CURRENT && version !== LEGACY_SCRYPT) || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  if (expected.length < 16 || expected.length > 64) return false;
  const derive = version === CURRENT ? argon2idKey : scryptKey;
  const actual = await withHashingSlot(() => derive(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length));
  counters.verified++;
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash made with older parameters (scrypt): replaced by a current one at the member's next successful login. */
export const passwordNeedsUpgrade = (stored: string): boolean => !stored.startsWith(`${CURRENT}$`);

/** A well-formed hash of a random password: verified against when the login ID is unknown, so timing tells nothing. */
let decoy: Promise<string> | undefined;
export const decoyPasswordHash = (): Promise<string> =>
  (decoy ??= hashPassword(randomBytes(12).toString('base64url')).catch((error: unknown) => {
    decoy = undefined; // refused while busy: try again next time rather than remember the failure
    throw error;
  }));

/**
 * Phone PINs are short by nature, so a slow hash would not save them from an offline search;
 * a keyed hash does: without HASH_PEPPER (never stored in Redis) a dump reveals nothing.
 * Online guessing is stopped by the five-failure lock.
 */
export function hashPin(pin: string, memberId: string, pepper: string): string {
  return pepperedHash(pepper, `pin:${memberId}:${pin}`);
}

export function pinMatches(pin: string, memberId: string, pepper: string, stored: string): boolean {
  const actual = Buffer.from(hashPin(pin, memberId, pepper));
  const expected = Buffer.from(stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
