import { randomBytes } from 'node:crypto';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

export const SESSION_COOKIE = 'dp_session';

/** Only a hash of the token is stored, so a Redis dump holds no usable session. */
const tokenHash = (token: string) => sha256(token);

/**
 * The account's session generation (`sessionGeneration` in its hash, 0 when never set): a session
 * records the generation it was opened in and works only while the account is still in it. A new
 * password moves the account on (reset-password.lua), which ends every session of that member at
 * once without having to find them. (Issue 24 is making sessions per-member records; until that
 * lands this is the least invasive way to end them all.)
 */
const generationOf = async (redis: RedisClient, memberId: string) => (await redis.hget(keys.account(memberId), 'sessionGeneration')) ?? '0';

export async function createSession(redis: RedisClient, memberId: string, ttlSeconds: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await redis.set(keys.session(tokenHash(token)), `${memberId}/${await generationOf(redis, memberId)}`, 'EX', ttlSeconds);
  return token;
}

export async function memberForSession(redis: RedisClient, token: string | undefined): Promise<string | null> {
  if (!token) return null;
  const value = await redis.get(keys.session(tokenHash(token)));
  if (!value) return null;
  // Sessions opened before generations existed hold the member ID alone: generation 0.
  const [memberId, generation = '0'] = value.split('/') as [string, string?];
  if ((await generationOf(redis, memberId)) === generation) return memberId;
  await redis.del(keys.session(tokenHash(token)));
  return null;
}

export async function destroySession(redis: RedisClient, token: string | undefined): Promise<void> {
  if (token) await redis.del(keys.session(tokenHash(token)));
}
