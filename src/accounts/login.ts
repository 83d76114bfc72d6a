import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError } from '../http/errors.ts';
import { digitsAsTyped, formalIds } from '../identifiers/ids.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { getAccountByFormalId, isActive, setPinHash, getAccount } from './accounts.ts';
import { decoyPasswordHash, hashPin, verifyPassword } from './passwords.ts';
import { createSession } from './sessions.ts';
import { invalidInput } from '../registration/registration.ts';

export interface LoginDeps {
  config: Config;
  redis: RedisClient;
  now: () => number;
}

const loginInput = z.object({
  // The ID as heard and written down: spaces, hyphens and full-width digits are fine.
  formalId: z.preprocess(digitsAsTyped, z.string().max(32, 'is too long').regex(/^\d+$/, 'must be digits')),
  password: z.string().min(1, 'is required').max(128, 'is too long'),
});

const INVALID = () => new AppError(401, 'invalid_credentials', 'The formal ID or the password is not correct.');
const ADDRESS_FAILURE_FACTOR = 5;

export interface LoginResult {
  memberId: string;
  formalId: string;
  accessExpiresAt: number;
  sessionToken: string;
}

/**
 * Checks formal ID + password. Failures are counted per formal ID (LOGIN_MAX_FAILURES within
 * LOGIN_LOCKOUT_SECONDS, far below NIST's ceiling of 100) and per client address (five times
 * that), and a locked login answers 429 with Retry-After before any hashing.
 */
export async function logIn(deps: LoginDeps, input: unknown, clientAddress: string): Promise<LoginResult> {
  const parsed = loginInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { formalId, password } = parsed.data;
  const { config, redis } = deps;
  const idKey = keys.loginFailures(formalId);
  const addressKey = keys.loginFailuresByAddress(clientAddress);
  const [idFailures, addressFailures, idTtl, addressTtl] = await Promise.all([
    redis.get(idKey),
    redis.get(addressKey),
    redis.ttl(idKey),
    redis.ttl(addressKey),
  ]);
  const lockedFor = Math.max(
    Number(idFailures ?? 0) >= config.loginMaxFailures ? idTtl : 0,
    Number(addressFailures ?? 0) >= config.loginMaxFailures * ADDRESS_FAILURE_FACTOR ? addressTtl : 0,
  );
  if (lockedFor > 0) throw lockedOut(lockedFor);

  const account = formalIds.check(formalId) === 'ok' ? await getAccountByFormalId(redis, formalId) : null;
  const matches = await verifyPassword(password, account?.passwordHash ?? (await decoyPasswordHash()));
  if (!account || !matches) {
    const [[count, ttl]] = await Promise.all([
      redis.dpCountFailure(idKey, config.loginLockoutSeconds),
      redis.dpCountFailure(addressKey, config.loginLockoutSeconds),
    ]);
    if (count >= config.loginMaxFailures) throw lockedOut(ttl);
    throw INVALID();
  }
  await redis.del(idKey);
  const sessionToken = await createSession(redis, account.memberId, config.sessionTtlSeconds);
  return { memberId: account.memberId, formalId: account.formalId, accessExpiresAt: account.accessExpiresAt, sessionToken };
}

function lockedOut(seconds: number): AppError {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return new AppError(429, 'locked_out', `Too many failed logins. Try again in ${minutes} minute(s).`, {
    'Retry-After': String(Math.max(1, seconds)),
  });
}

export interface MemberStatus {
  formalId: string;
  name: string;
  accessExpiresAt: number;
  active: boolean;
  hasPin: boolean;
  phoneLocked: boolean;
}

export const PIN_FAILURE_LIMIT = 5;

export async function memberStatus(deps: LoginDeps, memberId: string): Promise<MemberStatus | null> {
  const account = await getAccount(deps.redis, memberId);
  if (!account) return null;
  return {
    formalId: account.formalId,
    name: account.name,
    accessExpiresAt: account.accessExpiresAt,
    active: isActive(account, deps.now()),
    hasPin: Boolean(account.pinHash),
    phoneLocked: account.pinFailures >= PIN_FAILURE_LIMIT,
  };
}

const pinInput = z.object({ pin: z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits') });

export async function setPhonePin(deps: LoginDeps, memberId: string, input: unknown): Promise<void> {
  const parsed = pinInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  await setPinHash(deps.redis, memberId, hashPin(parsed.data.pin, memberId, deps.config.hashPepper));
}
