import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { z } from 'zod';
import { LOCALES, type Locale } from '../config.ts';
import { AppError, invalidInput } from '../http/errors.ts';
import { generatePassword, provisionalIds, formalIds } from '../identifiers/ids.ts';
import { HashingBusyError, hashPassword } from '../accounts/passwords.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { chargeCall, type ChargeArgs } from '../accounts/ledger.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { afterMarkingAudit, chargeRecord, recordActivity, type Activity } from '../observability/activity.ts';
import { methodFor } from '../charging/methods.ts';

const registrationInput = z.object({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  email: z.string().trim().max(254, 'must be at most 254 characters').pipe(z.email('must be an e-mail address')),
  locale: z.enum(LOCALES).optional(),
});

export interface Registration {
  provisionalId: string;
  password: string;
  phoneNumber: string;
  expiresAt: string;
  validForSeconds: number;
  locale: Locale;
}

const REGISTRATION_WINDOW_SECONDS = 3600;

/**
 * Creates a pending registration: a fresh provisional ID and password, the password kept only as
 * an argon2id hash, the record expiring after PENDING_REGISTRATION_TTL_SECONDS. Each client address
 * gets REGISTRATIONS_PER_ADDRESS_PER_HOUR, counted and checked in one atomic step before the
 * hash is computed (a refused one answers 429 with Retry-After and costs nothing).
 */
export async function registerMember(deps: CoreDeps, input: unknown, clientAddress: string): Promise<Registration> {
  const parsed = registrationInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { name, email } = parsed.data;
  const locale = parsed.data.locale ?? deps.config.defaultLocale;
  const counter = keys.registrationsByAddress(clientAddress);
  const [allowed, , resetIn] = await deps.redis.dpTakeAttempt(counter, 'take', REGISTRATION_WINDOW_SECONDS, deps.config.registrationsPerAddressPerHour);
  if (!allowed) {
    throw new AppError(429, 'too_many_registrations', API_TEXT.tooManyRegistrations, {
      'Retry-After': String(Math.max(1, resetIn)),
    });
  }
  const password = generatePassword();
  let passwordHash: string;
  try {
    passwordHash = await hashPassword(password);
  } catch (error) {
    if (error instanceof HashingBusyError) await deps.redis.dpTakeAttempt(counter, 'refund').catch(() => undefined);
    throw error;
  }
  const ttl = deps.config.pendingRegistrationTtlSeconds;
  const createdAt = deps.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const provisionalId = provisionalIds.generate();
    const code = await deps.redis.dpCreatePendingRegistration(
      keys.pendingRegistration(provisionalId),
      keys.account(provisionalId),
      ttl,
      'name', name,
      'email', email,
      'locale', locale,
      'passwordHash', passwordHash,
      'createdAt', createdAt,
    );
    if (scriptOutcome(code) === 'done') {
      const pendingUntil = createdAt + ttl * 1000;
      void recordActivity(deps, { kind: 'registration.created', key: `reg:${provisionalId}`, at: createdAt, actor: 'web', memberId: provisionalId, day: { registrations: 1 }, add: [['pending', pendingUntil, provisionalId]] });
      return {
        provisionalId,
        password,
        phoneNumber: deps.config.servicePhoneNumber,
        expiresAt: new Date(createdAt + ttl * 1000).toISOString(),
        validForSeconds: ttl,
        locale,
      };
    }
  }
  throw new Error('could not find a free provisional ID in 5 tries');
}

export type ClaimResult =
  | { outcome: 'activated' | 'replayed'; formalId: string; accessExpiresAt: number; memberId: string; locale?: Locale }
  | { outcome: 'already_used'; locale?: Locale }
  | { outcome: 'unknown_or_expired' };

export interface ClaimRequest {
  provisionalId: string;
  callSid: string;
  from: string;
  /** The number the call reached (premium-rate: its tariff is the price). */
  to?: string;
  /** CHARGE_METHOD=card: what the connector confirmed. */
  payment?: ChargeArgs['payment'];
}

/**
 * Activates the pending registration behind a provisional ID, exactly once: a new formal ID, access
 * for ACCESS_PERIOD_DAYS and the activation charge in the member's ledger, all in one Lua script.
 * The same CallSid asking again (a Twilio retry) gets the same formal ID and is not charged again.
 */
export async function claimProvisionalId(deps: CoreDeps, request: ClaimRequest): Promise<ClaimResult> {
  const memberId = request.provisionalId;
  const { config, redis } = deps;
  // The formal-ID index lives in its own slot, so reserve a unique ID first (SET NX), then claim.
  let formalId = '';
  for (let attempt = 0; ; attempt++) {
    formalId = formalIds.generate();
    if ((await redis.set(keys.formalIdIndex(formalId), memberId, 'NX')) === 'OK') break;
    if (attempt === 9) throw new Error('could not reserve a unique formal ID in 10 tries');
  }
  const at = deps.now();
  const amount = config.activationCharge;
  const activity: Activity = { kind: 'account.activated', key: `activate:${memberId}`, at, actor: `call:${request.callSid}`, memberId, amount, ...chargeRecord(amount, 'activations', methodFor(config, 'activation')), remove: [['pending', memberId]], add: [['members', at, memberId]] };
  const charge = chargeCall(config, at, {
    memberId,
    kind: 'activation',
    step: 'activate',
    callSid: request.callSid,
    from: request.from,
    to: request.to,
    amount,
    cap: 'none',
    payment: request.payment,
    audit: activity,
  });
  const [code, issuedFormalId, accessExpiresAt, storedLocale] = await afterMarkingAudit(redis, memberId, at, () =>
    redis.dpClaimProvisionalId(...charge.keys, keys.pendingRegistration(memberId), keys.account(memberId), ...charge.argv, formalId, config.accessPeriodDays * 86_400_000),
  );
  const outcome = scriptOutcome(code);
  if (outcome !== 'done') await redis.del(keys.formalIdIndex(formalId));
  if (outcome === 'done' || outcome === 'replayed') void recordActivity(deps, activity);
  switch (outcome) {
    case 'done':
      return { outcome: 'activated', formalId, accessExpiresAt: Number(accessExpiresAt), memberId, locale: asLocale(storedLocale) };
    case 'replayed':
      return { outcome: 'replayed', formalId: issuedFormalId!, accessExpiresAt: Number(accessExpiresAt), memberId, locale: asLocale(storedLocale) };
    case 'already_used':
      // An already-used claim returns the locale as its second field.
      return { outcome: 'already_used', locale: asLocale(issuedFormalId) };
    default:
      return { outcome: 'unknown_or_expired' };
  }
}

const asLocale = (value: string | undefined): Locale | undefined => LOCALES.find((l) => l === value);

/**
 * Where a provisional ID stands, without changing anything: CHARGE_METHOD=card asks for the card
 * only for an ID that can still be activated (the claim itself runs after the card is charged).
 */
export async function provisionalIdStatus(redis: RedisClient, provisionalId: string): Promise<{ status: 'pending' | 'activated' | 'unknown'; locale?: Locale }> {
  const [accountLocale, pendingLocale] = await Promise.all([redis.hget(keys.account(provisionalId), 'locale'), redis.hget(keys.pendingRegistration(provisionalId), 'locale')]);
  if (accountLocale !== null) return { status: 'activated', locale: asLocale(accountLocale) };
  if (pendingLocale !== null) return { status: 'pending', locale: asLocale(pendingLocale) };
  return { status: 'unknown' };
}
