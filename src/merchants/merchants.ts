import { Cluster } from 'ioredis';
import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError, invalidInput } from '../http/errors.ts';
import { assertWebhookUrlAllowed, outboundPolicy } from '../http/outbound.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { constantTimeEqual, pepperedHash, sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { recordActivity } from '../observability/activity.ts';
import { checkAdminToken } from '../web/sign-in-limit.ts';

export interface Merchant {
  merchantId: string;
  name: string;
  webhookUrl?: string;
}

const merchantInput = z.object({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(500, 'is too long').optional(),
});


/** API keys are stored only as a keyed hash; the key names its merchant, so no index is needed. */
export const apiKeyHash = (apiKey: string, pepper: string) => pepperedHash(pepper, `merchant-api-key:${apiKey}`);
export const API_KEY = /^dpk_(\d{8})_[A-Za-z0-9_-]{32}$/;

export interface CreatedMerchant {
  merchantId: string;
  apiKey: string;
  webhookSecret: string;
}

/** POST /api/admin/merchants. The API key is shown once; the webhook secret is kept (it signs webhooks). */
export async function createMerchant(deps: CoreDeps, input: unknown): Promise<CreatedMerchant> {
  const parsed = merchantInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { redis, config } = deps;
  await assertWebhookUrlAllowed(parsed.data.webhookUrl, outboundPolicy(config));
  for (let attempt = 0; attempt < 10; attempt++) {
    const merchantId = merchantIds.generate();
    const apiKey = `dpk_${merchantId}_${randomBytes(24).toString('base64url')}`;
    // Standard Webhooks secrets: whsec_ + standard base64 of the key bytes (their libraries decode it).
    const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
    // HSETNX claims the ID; the rest follows in the same slot.
    if (!(await redis.hsetnx(keys.merchant(merchantId), 'apiKeyHash', apiKeyHash(apiKey, config.hashPepper)))) continue;
    await redis.hset(keys.merchant(merchantId), {
      name: parsed.data.name,
      webhookUrl: parsed.data.webhookUrl ?? '',
      webhookSecret,
      createdAt: deps.now(),
    });
    const at = deps.now();
    void recordActivity(deps, { kind: 'merchant.created', key: `merchant:${merchantId}`, at, actor: 'operator', merchantId, detail: parsed.data.name, add: [['merchants', at, merchantId]] });
    return { merchantId, apiKey, webhookSecret };
  }
  throw new Error('could not find a free merchant ID in 10 tries');
}

export async function getMerchant(redis: RedisClient, merchantId: string): Promise<Merchant | null> {
  const [name, webhookUrl] = await redis.hmget(keys.merchant(merchantId), 'name', 'webhookUrl');
  return name ? { merchantId, name, webhookUrl: webhookUrl || undefined } : null;
}

const badApiKey = () => new AppError(401, 'invalid_api_key', API_TEXT.invalidApiKey);

const VERIFIED_KEY_SECONDS = 60;
const VERIFIED_KEYS_MAX = 10_000;
/** Per Redis client, so two apps in one process (tests) never share what they verified. */
const verifiedKeys = new WeakMap<RedisClient, Map<string, { merchantId: string; keyHash: string; until: number; worksUntil: number }>>();

/**
 * Every instance hears when a merchant's keys change (rotation, "revoke the old key now", the
 * operator's reset) and forgets the keys it remembered for that merchant at once, so a revoked key
 * stops everywhere, not a minute later. Redis pub/sub (PUBLISH reaches every node of a cluster).
 * An instance remembers verified keys only while it is subscribed; a lost connection loses at most
 * the minute a key is remembered for.
 */
const KEY_CHANGES = 'dialpass:merchant-keys-changed';
const keyChangeListeners = new WeakMap<RedisClient, { subscribed: boolean }>();
function listenForKeyChanges(redis: RedisClient): { subscribed: boolean } {
  let listener = keyChangeListeners.get(redis);
  if (listener) return listener;
  const state = { subscribed: false };
  keyChangeListeners.set(redis, (listener = state));
  const subscriber: RedisClient = redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_channel: string, merchantId: string) => forgetVerifiedKeysOf(redis, merchantId));
  // Unsubscribed (a reconnect, or the app closing): nothing is remembered until subscribed again.
  subscriber.on('close', () => {
    state.subscribed = false;
    verifiedKeys.get(redis)?.clear();
  });
  subscriber.on('ready', () => {
    subscriber.subscribe(KEY_CHANGES).then(
      () => (state.subscribed = true),
      () => undefined,
    );
  });
  redis.once('end', () => subscriber.disconnect());
  return state;
}

function forgetVerifiedKeysOf(redis: RedisClient, merchantId: string): void {
  const cache = verifiedKeys.get(redis);
  for (const [digest, remembered] of cache ?? []) if (remembered.merchantId === merchantId) cache!.delete(digest);
}

/**
 * The merchant behind `Authorization: Bearer <apiKey>`, or 401. A key that verified is remembered
 * for a minute, which spares every merchant request a Redis round trip; a change of keys reaches
 * every instance's memory at once (listenForKeyChanges). A rotated key (see
 * rotateApiKey) keeps working for MERCHANT_KEY_OVERLAP_HOURS, so a minute's memory in another
 * app instance can only stretch the end of that overlap by up to a minute.
 */
export async function authenticateMerchant(deps: CoreDeps, authorization: string | undefined): Promise<string> {
  return (await authenticateMerchantKey(deps, authorization)).merchantId;
}

/** The same, and whether the key given is the merchant's current key (not one in its overlap). */
export async function authenticateMerchantKey(deps: CoreDeps, authorization: string | undefined): Promise<{ merchantId: string; keyHash: string; current: boolean }> {
  const apiKey = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  const merchantId = API_KEY.exec(apiKey)?.[1];
  if (!merchantId) throw badApiKey();
  // Remembered by a plain digest (the key never sits in memory as such), which costs less than the peppered hash.
  const digest = sha256(apiKey);
  let cache = verifiedKeys.get(deps.redis);
  if (!cache) verifiedKeys.set(deps.redis, (cache = new Map()));
  const remembered = cache.get(digest);
  if (remembered && remembered.until > deps.now() && remembered.worksUntil > deps.now()) return { merchantId: remembered.merchantId, keyHash: remembered.keyHash, current: remembered.worksUntil === Infinity };
  const valid = await validKeyHashes(deps, merchantId);
  const hash = apiKeyHash(apiKey, deps.config.hashPepper);
  const match = valid.find((v) => constantTimeEqual(v.hash, hash));
  if (!match) throw badApiKey();
  if (!listenForKeyChanges(deps.redis).subscribed) return { merchantId, keyHash: match.hash, current: match.until === Infinity };
  if (cache.size >= VERIFIED_KEYS_MAX) cache.clear();
  // A key in its overlap period is remembered no longer than it works (on the app's clock).
  cache.set(digest, { merchantId, keyHash: match.hash, until: deps.now() + VERIFIED_KEY_SECONDS * 1000, worksUntil: match.until });
  return { merchantId, keyHash: match.hash, current: match.until === Infinity };
}

/** The key hashes that open this merchant now: the current key, and the previous one during its overlap. */
export async function validKeyHashes(deps: CoreDeps, merchantId: string): Promise<{ hash: string; until: number }[]> {
  const [current, previous, previousUntil] = await deps.redis.hmget(keys.merchant(merchantId), 'apiKeyHash', 'previousApiKeyHash', 'previousKeyUntil');
  const valid = current ? [{ hash: current, until: Infinity }] : [];
  if (previous && Number(previousUntil) > deps.now()) valid.push({ hash: previous, until: Number(previousUntil) });
  return valid;
}

export interface RotatedKey {
  apiKey: string;
  previousKeyWorksUntil: string;
}

const newApiKey = (merchantId: string) => `dpk_${merchantId}_${randomBytes(24).toString('base64url')}`;

/** Keys remembered as verified for the merchant are forgotten, here and (pub/sub) in every other instance. */
async function forgetVerifiedKeys(deps: CoreDeps, merchantId: string): Promise<void> {
  forgetVerifiedKeysOf(deps.redis, merchantId);
  await deps.redis.publish(KEY_CHANGES, merchantId);
}

const notCurrentKey = () => new AppError(403, 'current_key_required', API_TEXT.currentKeyRequired);

/** Runs the key script; -1 is an unknown merchant, -2 a caller whose key is not the current one. */
async function changeKeys(deps: CoreDeps, merchantId: string, mode: 'rotate' | 'end-overlap' | 'reset', newKeyHash: string, until: number, heldKeyHash: string): Promise<void> {
  const result = await deps.redis.dpRotateApiKey(keys.merchant(merchantId), mode, newKeyHash, until, deps.now(), heldKeyHash);
  if (result === -1) throw new AppError(404, 'unknown_merchant', API_TEXT.unknownMerchant);
  if (result === -2) throw notCurrentKey();
  await forgetVerifiedKeys(deps, merchantId);
}

/**
 * A new API key, shown once; the old one keeps working for MERCHANT_KEY_OVERLAP_HOURS. Only the
 * holder of the current key may rotate (`heldKeyHash`, checked in the same script): a key in its
 * overlap, perhaps the leaked one, cannot mint itself a fresh key.
 */
export async function rotateApiKey(deps: CoreDeps, merchantId: string, heldKeyHash: string): Promise<RotatedKey> {
  const apiKey = newApiKey(merchantId);
  const now = deps.now();
  const until = now + deps.config.merchantKeyOverlapHours * 3_600_000;
  await changeKeys(deps, merchantId, 'rotate', apiKeyHash(apiKey, deps.config.hashPepper), until, heldKeyHash);
  void recordActivity(deps, { kind: 'merchant.api_key_rotated', key: `rotate:${merchantId}:${now}:${randomBytes(6).toString('hex')}`, at: now, actor: `merchant:${merchantId}`, merchantId });
  return { apiKey, previousKeyWorksUntil: new Date(until).toISOString() };
}

/** "Revoke the old key now": the key in its overlap stops at once (the current key's holder only). */
export async function endKeyOverlap(deps: CoreDeps, merchantId: string, heldKeyHash: string): Promise<void> {
  await changeKeys(deps, merchantId, 'end-overlap', '', 0, heldKeyHash);
  const now = deps.now();
  void recordActivity(deps, { kind: 'merchant.api_key_rotated', key: `end-overlap:${merchantId}:${now}:${randomBytes(6).toString('hex')}`, at: now, actor: `merchant:${merchantId}`, merchantId, detail: 'previous key revoked' });
}

/**
 * The operator's reset: every key of the merchant stops at once and a new one is made, shown once
 * to the operator to hand over. The caller ends the merchant's dashboard sessions too.
 */
export async function resetApiKeys(deps: CoreDeps, merchantId: string): Promise<{ apiKey: string }> {
  const apiKey = newApiKey(merchantId);
  await changeKeys(deps, merchantId, 'reset', apiKeyHash(apiKey, deps.config.hashPepper), 0, '');
  const now = deps.now();
  void recordActivity(deps, { kind: 'merchant.api_key_rotated', key: `reset:${merchantId}:${now}:${randomBytes(6).toString('hex')}`, at: now, actor: 'operator', merchantId, detail: 'all keys revoked by the operator' });
  return { apiKey };
}

/**
 * Operator endpoints: `Authorization: Bearer <ADMIN_TOKEN>`, each try counted per client address
 * with the console's sign-ins (checkAdminToken): a locked address gets 429, even with the right token.
 */
export async function requireAdmin(deps: CoreDeps, authorization: string | undefined, address: string | undefined): Promise<void> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  const result = await checkAdminToken(deps.redis, deps.config, token, address);
  if (result === 'locked') throw new AppError(429, 'rate_limited', API_TEXT.tooManyFailedAttempts(ADMIN_LOCK_SECONDS), { 'Retry-After': String(ADMIN_LOCK_SECONDS) });
  if (result !== 'ok') throw new AppError(401, 'invalid_admin_token', API_TEXT.invalidAdminToken);
}
/** At most how long a locked address waits (the sign-in window). */
const ADMIN_LOCK_SECONDS = 900;
