import type { CookieOptions, Request } from 'express';
import type { Config } from '../config.ts';
import { constantTimeEqual, pepperedHash } from '../shared/hashing.ts';
import type { RedisClient } from '../store/redis.ts';
import { endSession, endSessionsOf, openSession, sessionOf } from '../web/sessions.ts';

export const ADMIN_COOKIE = 'dp_admin';
const SESSION_MS = 8 * 3600_000;
const OPERATOR = 'operator';

/**
 * The operator's session: a server-side record (src/web/sessions.ts) named by a random ID in a
 * cookie signed with SESSION_SECRET. Nothing in the cookie is derived from ADMIN_TOKEN (a stolen
 * cookie gives nothing to guess the token with offline); the record keeps a keyed hash of the
 * token it was opened with, so changing the token closes every session. Logout ends it at once.
 * SameSite=Strict plus the same-origin check on every form post keep other sites from posting with it.
 */
const tokenTag = (config: Config) => pepperedHash(config.hashPepper, `admin-session:${config.adminToken}`).slice(0, 32);

export const adminCookieOptions = (config: Config): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure: config.publicBaseUrl.startsWith('https://'),
  signed: true,
  maxAge: SESSION_MS,
  path: '/admin',
});

export const newAdminSession = (redis: RedisClient, config: Config, now: number) => openSession(redis, 'admin', OPERATOR, SESSION_MS, now, tokenTag(config));

export async function isAdmin(redis: RedisClient, req: Request, config: Config, now: number): Promise<boolean> {
  const session = await sessionOf(redis, 'admin', req.signedCookies?.[ADMIN_COOKIE], now);
  return session !== null && session.owner === OPERATOR && constantTimeEqual(session.tag, tokenTag(config));
}

export const endAdminSession = (redis: RedisClient, req: Request) => endSession(redis, 'admin', req.signedCookies?.[ADMIN_COOKIE]);
export const endEveryAdminSession = (redis: RedisClient) => endSessionsOf(redis, 'admin', OPERATOR);

export { checkAdminToken } from '../web/sign-in-limit.ts';
