import type { RedisClient } from '../store/redis.ts';
import { endSession, endSessionsOf as endAll, openSession, sessionOf } from '../web/sessions.ts';

export const SESSION_COOKIE = 'dp_session';

/**
 * A member's sessions: server-side records (src/web/sessions.ts) named by a random ID in the
 * cookie; only a hash of the ID is stored, so a Redis dump holds no usable session. Member
 * sessions run on the real clock, as the Redis TTL they replaced did.
 */
export function createSession(redis: RedisClient, memberId: string, ttlSeconds: number): Promise<string> {
  return openSession(redis, 'member', memberId, ttlSeconds * 1000, Date.now());
}

export async function memberForSession(redis: RedisClient, token: string | undefined): Promise<string | null> {
  return (await sessionOf(redis, 'member', token, Date.now()))?.owner ?? null;
}

/** Logout: this session ends. */
export function destroySession(redis: RedisClient, token: string | undefined): Promise<void> {
  return endSession(redis, 'member', token);
}

/** Every session of the member ends (call it when the password changes or is reset). */
export function endSessionsOf(redis: RedisClient, memberId: string): Promise<void> {
  return endAll(redis, 'member', memberId);
}
