import { randomBytes } from 'node:crypto';
import type { CoreDeps } from '../deps.ts';
import { digitsAsTyped, formalIds, generatePassword } from '../identifiers/ids.ts';
import { recordActivity } from '../observability/activity.ts';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import { getAccount, getAccountByFormalId } from './accounts.ts';
import type { Mailer } from './mailer.ts';
import { hashPassword } from './passwords.ts';
import { RESET_MAIL_TEXT } from './text.ts';
import { webLangOf } from '../web/lang.ts';

/**
 * Getting back in after a lost password: a link sent to the e-mail address given at
 * registration (docs/CONTRACT.md, "Getting back in"; why this channel and not a code by phone is
 * in the issue 25 note).
 *
 * - Asking takes the formal ID AND the registered address; a mail goes out only when both match,
 *   and the page says the same whether they did or not (nothing about who is a member leaks).
 * - The mail never carries the formal ID: a mail that reached the wrong mailbox gives a password
 *   without the ID it belongs to, which only the line that paid ever heard.
 * - The link holds 256 random bits, stored only as a hash; it works once, for
 *   PASSWORD_RESET_TTL_MINUTES, and only the member's newest link works.
 * - Limits: PASSWORD_RESETS_PER_DAY mails per formal ID, PASSWORD_RESETS_PER_ADDRESS_PER_HOUR
 *   requests (and wrong links) per client address, each counted before any work (take-attempt.lua).
 * - Using it sets a new system-made password (shown once, as at registration) and ends every
 *   session of the member (the session generation, sessions.ts), and clears a login lockout.
 */
const DAY_SECONDS = 86_400;
const HOUR_SECONDS = 3_600;

export type ResetRequestResult = { result: 'sent' } | { result: 'limited'; retryAfterSeconds: number } | { result: 'unavailable' };

const tokenHashOf = (token: string) => sha256(`pwreset:${token}`);
const looksLikeToken = (token: unknown): token is string => typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);

export interface ResetDeps extends CoreDeps {
  mailer: Mailer;
}

/**
 * A member asks for a link. Answers 'sent' whether or not the formal ID and address matched an
 * account (the mail goes out only when they did); 'limited' past either limit.
 */
export async function requestPasswordReset(deps: ResetDeps, input: { formalId: string; email: string }, clientAddress: string): Promise<ResetRequestResult> {
  const { redis, config, mailer } = deps;
  if (mailer.transport === 'none') return { result: 'unavailable' };
  const [allowed, , ttl] = await redis.dpTakeAttempt(keys.passwordResetsByAddress(clientAddress), 'take', HOUR_SECONDS, config.passwordResetsPerAddressPerHour);
  if (!allowed) return { result: 'limited', retryAfterSeconds: ttl };
  const formalId = String(digitsAsTyped(input.formalId));
  const email = input.email.trim().toLowerCase();
  const account = formalIds.check(formalId) === 'ok' ? await getAccountByFormalId(redis, formalId) : null;
  if (!account || account.email.trim().toLowerCase() !== email) return { result: 'sent' };
  const [idAllowed, , idTtl] = await redis.dpTakeAttempt(keys.passwordResetsByFormalId(formalId), 'take', DAY_SECONDS, config.passwordResetsPerDay);
  if (!idAllowed) return { result: 'limited', retryAfterSeconds: idTtl };

  const token = randomBytes(32).toString('base64url');
  const tokenHash = tokenHashOf(token);
  const ttlMs = config.passwordResetTtlMinutes * 60_000;
  const expiresAt = deps.now() + ttlMs;
  const record = keys.passwordReset(account.memberId);
  // The member's record first: a token index without its record is a link that does not work.
  await redis.multi().hset(record, 'tokenHash', tokenHash, 'expiresAt', expiresAt).pexpire(record, ttlMs).exec();
  await redis.set(keys.passwordResetToken(tokenHash), account.memberId, 'PX', ttlMs);
  const lang = webLangOf(account.locale);
  const w = RESET_MAIL_TEXT[lang];
  // The link carries the member's language: the page it opens must not depend on the browser
  // (a mail app's own browser often sends no Accept-Language), so it reads as the mail does.
  const link = `${config.publicBaseUrl}/password/reset?token=${token}&lang=${lang}`;
  const sent = await mailer.send({ to: account.email, subject: w.subject, text: w.body(account.name, link, config.passwordResetTtlMinutes) });
  if (!sent) {
    // Not sent: the link is withdrawn and the member's daily allowance given back.
    await Promise.all([redis.del(record, keys.passwordResetToken(tokenHash)).catch(() => 0), redis.dpTakeAttempt(keys.passwordResetsByFormalId(formalId), 'refund')]);
    return { result: 'unavailable' };
  }
  void recordActivity(deps, { kind: 'account.password_reset_sent', key: `pwreset-sent:${tokenHash}`, at: deps.now(), actor: 'member:web', memberId: account.memberId });
  return { result: 'sent' };
}

export type ResetLinkCheck = { result: 'ok'; memberId: string } | { result: 'unknown' | 'expired' } | { result: 'limited'; retryAfterSeconds: number };

/** Whether a link still works, without using it. A link that does not is counted against the address. */
export async function checkResetLink(deps: CoreDeps, token: unknown, clientAddress: string): Promise<ResetLinkCheck> {
  const { redis, config } = deps;
  const addressKey = keys.passwordResetsByAddress(clientAddress);
  const [allowed, , ttl] = await redis.dpTakeAttempt(addressKey, 'take', HOUR_SECONDS, config.passwordResetsPerAddressPerHour);
  if (!allowed) return { result: 'limited', retryAfterSeconds: ttl };
  const verdict = await (async (): Promise<ResetLinkCheck> => {
    if (!looksLikeToken(token)) return { result: 'unknown' };
    const tokenHash = tokenHashOf(token);
    const memberId = await redis.get(keys.passwordResetToken(tokenHash));
    if (!memberId) return { result: 'unknown' };
    const [stored, expiresAt] = await redis.hmget(keys.passwordReset(memberId), 'tokenHash', 'expiresAt');
    if (stored !== tokenHash) return { result: 'unknown' };
    if (Number(expiresAt) <= deps.now()) return { result: 'expired' };
    return { result: 'ok', memberId };
  })();
  // A working link costs the address nothing.
  if (verdict.result === 'ok') await redis.dpTakeAttempt(addressKey, 'refund');
  return verdict;
}

export type ResetResult = { result: 'done'; password: string; formalId: string } | Exclude<ResetLinkCheck, { result: 'ok' }>;

/** Uses the link: a new password (returned, to be shown once) and every session of the member ended. */
export async function resetPassword(deps: CoreDeps, token: unknown, clientAddress: string): Promise<ResetResult> {
  const check = await checkResetLink(deps, token, clientAddress);
  if (check.result !== 'ok') return check;
  const { redis } = deps;
  const tokenHash = tokenHashOf(token as string);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const now = deps.now();
  const done = await redis.dpResetPassword(keys.account(check.memberId), keys.passwordReset(check.memberId), keys.sessions('member', check.memberId), tokenHash, now, passwordHash);
  await redis.del(keys.passwordResetToken(tokenHash));
  if (done === -1) return { result: 'expired' };
  if (done !== 1) return { result: 'unknown' };
  const account = await getAccount(redis, check.memberId);
  if (account) await redis.del(keys.loginFailures(account.formalId));
  void recordActivity(deps, { kind: 'account.password_reset', key: `pwreset:${tokenHash}`, at: now, actor: `member:${check.memberId}`, memberId: check.memberId });
  return { result: 'done', password, formalId: account?.formalId ?? '' };
}
