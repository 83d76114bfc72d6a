import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { z } from 'zod';
import { AppError, invalidInput } from '../http/errors.ts';
import { digitsAsTyped, formalIds } from '../identifiers/ids.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { getAccountByFormalId, isActive, setPinHash, getAccount } from './accounts.ts';
import { decoyPasswordHash, HashingBusyError, hashPassword, hashPin, passwordNeedsUpgrade, verifyPassword } from './passwords.ts';
import { createSession } from './sessions.ts';
import { randomUUID } from 'node:crypto';
import { recordActivity } from '../observability/activity.ts';

const loginInput = z.object({
  // The ID as heard and written down: spaces, hyphens and full-width digits are fine.
  formalId: z.preprocess(digitsAsTyped, z.string().max(32, 'is too long').regex(/^\d+$/, 'must be digits')),
  password: z.string().min(1, 'is required').max(128, 'is too long'),
});

const INVALID = () => new AppError(401, 'invalid_credentials', API_TEXT.invalidCredentials);
const ADDRESS_FAILURE_FACTOR = 5;

export interface LoginResult {
  memberId: string;
  formalId: string;
  accessExpiresAt: number;
  sessionToken: string;
}

/**
 * Checks formal ID + password. Attempts are counted BEFORE the password is hashed, each counter
 * incremented and checked in one atomic step (take-attempt.lua): per formal ID
 * (LOGIN_MAX_FAILURES within LOGIN_LOCKOUT_SECONDS, far below NIST's ceiling of 100) and per client
 * address (five times that). So however many logins arrive at once, at most that many passwords
 * are tried; the rest get 429 with Retry-After and cost no hash. A successful login gives its
 * attempt back (the formal ID's count is cleared, as before; the address gets its slot back), and
 * so does a login refused before any hashing (busy, or the other counter full).
 */
export async function logIn(deps: CoreDeps, input: unknown, clientAddress: string): Promise<LoginResult> {
  const parsed = loginInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { formalId, password } = parsed.data;
  // A typo the check digit catches is said as such, before any attempt is counted: the check digit
  // is public, so this tells nothing about which IDs exist, and no password is tried.
  if (formalIds.check(formalId) === 'mistyped') throw new AppError(422, 'mistyped_formal_id', API_TEXT.mistypedFormalId);
  const { config, redis } = deps;
  const idKey = keys.loginFailures(formalId);
  const addressKey = keys.loginFailuresByAddress(clientAddress);
  const window = config.loginLockoutSeconds;
  const [idAllowed, idCount, idTtl] = await redis.dpTakeAttempt(idKey, 'take', window, config.loginMaxFailures);
  if (!idAllowed) throw lockedOut(idTtl);
  const [addressAllowed, , addressTtl] = await redis.dpTakeAttempt(addressKey, 'take', window, config.loginMaxFailures * ADDRESS_FAILURE_FACTOR);
  if (!addressAllowed) {
    await redis.dpTakeAttempt(idKey, 'refund');
    throw lockedOut(addressTtl);
  }

  let matches = false;
  let account: Awaited<ReturnType<typeof getAccountByFormalId>> = null;
  try {
    account = formalIds.check(formalId) === 'ok' ? await getAccountByFormalId(redis, formalId) : null;
    matches = await verifyPassword(password, account?.passwordHash ?? (await decoyPasswordHash()));
  } catch (error) {
    // No password was tried (busy, or Redis failed before the hash): the attempt is given back.
    if (error instanceof HashingBusyError || !(error instanceof AppError)) {
      await Promise.all([redis.dpTakeAttempt(idKey, 'refund'), redis.dpTakeAttempt(addressKey, 'refund')]).catch(() => undefined);
    }
    throw error;
  }
  if (!account || !matches) {
    if (idCount >= config.loginMaxFailures) throw lockedOut(idTtl);
    throw INVALID();
  }
  await Promise.all([redis.del(idKey), redis.dpTakeAttempt(addressKey, 'refund')]);
  if (passwordNeedsUpgrade(account.passwordHash)) await upgradePasswordHash(redis, account.memberId, account.passwordHash, password);
  const sessionToken = await createSession(redis, account.memberId, config.sessionTtlSeconds);
  return { memberId: account.memberId, formalId: account.formalId, accessExpiresAt: account.accessExpiresAt, sessionToken };
}

/**
 * Re-hashes a password stored with older parameters, now that it is known, and swaps it in only
 * if the stored hash is still the one just verified (a concurrent change wins). Best effort: a
 * busy hashing pool or a Redis error leaves the old hash, to be upgraded at a later login.
 */
async function upgradePasswordHash(redis: RedisClient, memberId: string, verifiedHash: string, password: string): Promise<void> {
  try {
    await redis.dpReplacePasswordHash(keys.account(memberId), verifiedHash, await hashPassword(password));
  } catch {
    // the login itself succeeded; the upgrade waits for the next one
  }
}

function lockedOut(seconds: number): AppError {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return new AppError(429, 'locked_out', API_TEXT.lockedOut(minutes), {
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

export async function memberStatus(deps: CoreDeps, memberId: string): Promise<MemberStatus | null> {
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

export async function setPhonePin(deps: CoreDeps, memberId: string, input: unknown): Promise<void> {
  const parsed = pinInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  await setPinHash(deps.redis, memberId, hashPin(parsed.data.pin, memberId, deps.config.hashPepper));
  void recordActivity(deps, { kind: 'account.pin_changed', key: `pin:${memberId}:${randomUUID()}`, at: deps.now(), actor: `member:${memberId}`, memberId });
}
