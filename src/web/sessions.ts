import { randomBytes } from 'node:crypto';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

/**
 * Server-side sessions for the three kinds of people who sign in: the operator (/admin), a
 * merchant (/merchant) and a member. A session is a random identifier (32 bytes), derived from no
 * secret, in a cookie as `<owner>.<id>`; Redis keeps, per owner, one hash of the SHA-256 of each
 * live ID with its expiry and a tag (what it was opened with: the merchant key's hash, the admin
 * token's), so a Redis dump holds no usable session. Logout deletes the one session; ending every
 * session of an owner (`endSessionsOf`: a password change, a revoked merchant key) is one DEL.
 */
export type SessionKind = 'admin' | 'merchant' | 'member';

/** An owner keeps at most this many sessions at once; opening one more ends the one ending first. */
const MAX_SESSIONS_PER_OWNER = 20;

const OWNER = /^[A-Za-z0-9_-]{1,40}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface Session {
  owner: string;
  /** What the session was opened with (see the callers); '' when nothing. */
  tag: string;
  expiresAt: number;
}

/** Opens a session; returns the cookie value (`<owner>.<random ID>`). */
export async function openSession(redis: RedisClient, kind: SessionKind, owner: string, ttlMs: number, now: number, tag = ''): Promise<string> {
  if (!OWNER.test(owner)) throw new Error(`not a session owner: ${owner}`);
  const id = randomBytes(32).toString('base64url');
  await redis.dpOpenSession(keys.sessions(kind, owner), sha256(id), `${now + ttlMs}|${tag}`, now, MAX_SESSIONS_PER_OWNER);
  return `${owner}.${id}`;
}

const parse = (cookie: unknown): { owner: string; id: string } | undefined => {
  if (typeof cookie !== 'string') return undefined;
  const dot = cookie.lastIndexOf('.');
  const owner = cookie.slice(0, dot);
  const id = cookie.slice(dot + 1);
  return OWNER.test(owner) && SESSION_ID.test(id) ? { owner, id } : undefined;
};

/** The live session a cookie names, or null (unknown, ended or expired). */
export async function sessionOf(redis: RedisClient, kind: SessionKind, cookie: unknown, now: number): Promise<Session | null> {
  const parsed = parse(cookie);
  if (!parsed) return null;
  const value = await redis.hget(keys.sessions(kind, parsed.owner), sha256(parsed.id));
  if (!value) return null;
  const bar = value.indexOf('|');
  const expiresAt = Number(value.slice(0, bar));
  return expiresAt > now ? { owner: parsed.owner, tag: value.slice(bar + 1), expiresAt } : null;
}

/** Logout: the session the cookie names ends (others of the same owner go on). */
export async function endSession(redis: RedisClient, kind: SessionKind, cookie: unknown): Promise<void> {
  const parsed = parse(cookie);
  if (parsed) await redis.hdel(keys.sessions(kind, parsed.owner), sha256(parsed.id));
}

/** Every session of this owner ends at once (a member's password changed, a merchant's keys revoked). */
export async function endSessionsOf(redis: RedisClient, kind: SessionKind, owner: string): Promise<void> {
  await redis.del(keys.sessions(kind, owner));
}
