import type { CookieOptions, Request } from 'express';
import type { Config } from '../config.ts';
import { limitedAddress } from '../http/client-address.ts';
import { constantTimeEqual } from '../shared/hashing.ts';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { limitedSignIn, type SignInResult } from '../web/sign-in-limit.ts';

export const ADMIN_COOKIE = 'dp_admin';
const SESSION_MS = 8 * 3600_000;

/**
 * The operator's session is a cookie signed with SESSION_SECRET (cookie-parser) holding its expiry
 * and a tag of the ADMIN_TOKEN it was opened with: changing the token closes every session, and
 * nothing is stored. SameSite=Strict plus the same-origin check on every form post keep other
 * sites from posting with it.
 */
const tokenTag = (config: Config) => sha256(`admin-session:${config.adminToken}`).slice(0, 16);

export const adminCookieOptions = (config: Config): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure: config.publicBaseUrl.startsWith('https://'),
  signed: true,
  maxAge: SESSION_MS,
  path: '/admin',
});

export const newAdminSession = (config: Config, now: number) => `${now + SESSION_MS}.${tokenTag(config)}`;

export function isAdmin(req: Request, config: Config, now: number): boolean {
  const value = req.signedCookies?.[ADMIN_COOKIE];
  if (typeof value !== 'string') return false;
  const [expires, tag] = value.split('.');
  return Number(expires) > now && tag === tokenTag(config);
}

/** Checks the token typed into the console's form; attempts per client address are limited. */
export function checkAdminLogin(redis: RedisClient, config: Config, token: unknown, address: string | undefined): Promise<SignInResult> {
  return limitedSignIn(redis, keys.adminLoginFailures(limitedAddress(address)), () => typeof token === 'string' && constantTimeEqual(token.trim(), config.adminToken));
}
