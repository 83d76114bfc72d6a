import type { RedisClient } from '../store/redis.ts';
import { keys } from '../store/keys.ts';
import type { Locale } from '../config.ts';

export interface Account {
  memberId: string;
  formalId: string;
  name: string;
  email: string;
  locale: Locale;
  passwordHash: string;
  pinHash?: string;
  pinFailures: number;
  accessExpiresAt: number;
  activatedAt: number;
  /** The calling line that activated (and paid for) the account. */
  line?: string;
}

export async function findMemberIdByFormalId(redis: RedisClient, formalId: string): Promise<string | null> {
  return redis.get(keys.formalIdIndex(formalId));
}

export async function getAccount(redis: RedisClient, memberId: string): Promise<Account | null> {
  const h = await redis.hgetall(keys.account(memberId));
  if (!h.formalId) return null;
  return {
    memberId,
    formalId: h.formalId,
    name: h.name ?? '',
    email: h.email ?? '',
    locale: (h.locale as Locale) ?? 'ja-JP',
    passwordHash: h.passwordHash ?? '',
    pinHash: h.pinHash || undefined,
    pinFailures: Number(h.pinFailures ?? 0),
    accessExpiresAt: Number(h.accessExpiresAt ?? 0),
    activatedAt: Number(h.activatedAt ?? 0),
    line: h.line || undefined,
  };
}

/** Looks a member up by formal ID; the index may hold a stale reservation, so the account must agree. */
export async function getAccountByFormalId(redis: RedisClient, formalId: string): Promise<Account | null> {
  const memberId = await findMemberIdByFormalId(redis, formalId);
  if (!memberId) return null;
  const account = await getAccount(redis, memberId);
  return account?.formalId === formalId ? account : null;
}

/** A new PIN also clears the failure count, which is how a locked member unlocks phone purchases. */
export async function setPinHash(redis: RedisClient, memberId: string, pinHash: string): Promise<void> {
  await redis.hset(keys.account(memberId), 'pinHash', pinHash, 'pinFailures', 0);
}

export async function recordPinFailure(redis: RedisClient, memberId: string): Promise<number> {
  return redis.hincrby(keys.account(memberId), 'pinFailures', 1);
}

export async function clearPinFailures(redis: RedisClient, memberId: string): Promise<void> {
  await redis.hset(keys.account(memberId), 'pinFailures', 0);
}

export const isActive = (account: Pick<Account, 'accessExpiresAt'>, now: number) => account.accessExpiresAt > now;
