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
const verifiedKeys = new WeakMap<RedisClient, Map<string, { merchantId: string; until: number; worksUntil: number }>>();

/**
 * The merchant behind `Authorization: Bearer <apiKey>`, or 401. A key that verified is remembered
 * for a minute, which spares every merchant request a Redis round trip. A rotated key (see
 * rotateApiKey) keeps working for MERCHANT_KEY_OVERLAP_HOURS, so a minute's memory in another
 * app instance can only stretch the end of that overlap by up to a minute.
 */
export async function authenticateMerchant(deps: CoreDeps, authorization: string | undefined): Promise<string> {
  const apiKey = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  const merchantId = API_KEY.exec(apiKey)?.[1];
  if (!merchantId) throw badApiKey();
  // Remembered by a plain digest (the key never sits in memory as such), which costs less than the peppered hash.
  const digest = sha256(apiKey);
  let cache = verifiedKeys.get(deps.redis);
  if (!cache) verifiedKeys.set(deps.redis, (cache = new Map()));
  const remembered = cache.get(digest);
  if (remembered && remembered.until > deps.now() && remembered.worksUntil > deps.now()) return remembered.merchantId;
  const valid = await validKeyHashes(deps, merchantId);
  const hash = apiKeyHash(apiKey, deps.config.hashPepper);
  const match = valid.find((v) => constantTimeEqual(v.hash, hash));
  if (!match) throw badApiKey();
  if (cache.size >= VERIFIED_KEYS_MAX) cache.clear();
  // A key in its overlap period is remembered no longer than it works (on the app's clock).
  cache.set(digest, { merchantId, until: deps.now() + VERIFIED_KEY_SECONDS * 1000, worksUntil: match.until });
  return merchantId;
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

/** A new API key, shown once; the old one keeps working for MERCHANT_KEY_OVERLAP_HOURS. */
export async function rotateApiKey(deps: CoreDeps, merchantId: string): Promise<RotatedKey> {
  const apiKey = `dpk_${merchantId}_${randomBytes(24).toString('base64url')}`;
  const now = deps.now();
  const until = now + deps.config.merchantKeyOverlapHours * 3_600_000;
  if ((await deps.redis.dpRotateApiKey(keys.merchant(merchantId), apiKeyHash(apiKey, deps.config.hashPepper), until, now)) !== 1) {
    throw new AppError(404, 'unknown_merchant', API_TEXT.unknownMerchant);
  }
  // The old key, remembered here as current, must now be checked against its overlap.
  for (const [digest, remembered] of verifiedKeys.get(deps.redis) ?? []) if (remembered.merchantId === merchantId) verifiedKeys.get(deps.redis)!.delete(digest);
  void recordActivity(deps, { kind: 'merchant.api_key_rotated', key: `rotate:${merchantId}:${now}:${randomBytes(6).toString('hex')}`, at: now, actor: `merchant:${merchantId}`, merchantId });
  return { apiKey, previousKeyWorksUntil: new Date(until).toISOString() };
}

/** Operator endpoints: `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdmin(config: Config, authorization: string | undefined): void {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  if (!constantTimeEqual(token, config.adminToken)) throw new AppError(401, 'invalid_admin_token', API_TEXT.invalidAdminToken);
}
