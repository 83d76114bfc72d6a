import { randomBytes } from 'node:crypto';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

export const SESSION_COOKIE = 'dp_session';

/** Only a hash of the token is stored, so a Redis dump holds no usable session. */
const tokenHash = (token: string) => sha256(token);

export async function createSession(redis: RedisClient, memberId: string, ttlSeconds: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await redis.set(keys.session(tokenHash(token)), memberId, 'EX', ttlSeconds);
  return token;
}

export async function memberForSession(redis: RedisClient, token: string | undefined): Promise<string | null> {
  if (!token) return null;
  return redis.get(keys.session(tokenHash(token)));
}

export async function destroySession(redis: RedisClient, token: string | undefined): Promise<void> {
  if (token) await redis.del(keys.session(tokenHash(token)));
}
