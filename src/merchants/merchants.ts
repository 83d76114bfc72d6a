import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError, invalidInput } from '../http/errors.ts';
import { assertWebhookUrlAllowed, outboundPolicy } from '../http/outbound.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { pepperedHash, sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

export interface Merchant {
  merchantId: string;
  name: string;
  webhookUrl?: string;
}

const merchantInput = z.object({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(500, 'is too long').optional(),
});

const sha256Bytes = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export const constantTimeEqual = (a: string, b: string) => timingSafeEqual(sha256Bytes(a), sha256Bytes(b));

/** API keys are stored only as a keyed hash; the key names its merchant, so no index is needed. */
const apiKeyHash = (apiKey: string, pepper: string) => pepperedHash(pepper, `merchant-api-key:${apiKey}`);
const API_KEY = /^dpk_(\d{8})_[A-Za-z0-9_-]{32}$/;

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
const verifiedKeys = new WeakMap<RedisClient, Map<string, { merchantId: string; until: number }>>();

/**
 * The merchant behind `Authorization: Bearer <apiKey>`, or 401. A key that verified is remembered
 * for a minute, which spares every merchant request a Redis round trip; keys are never changed in
 * place, so nothing can go stale in a way that matters.
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
  if (remembered && remembered.until > Date.now()) return remembered.merchantId;
  const stored = await deps.redis.hget(keys.merchant(merchantId), 'apiKeyHash');
  if (!stored || !constantTimeEqual(stored, apiKeyHash(apiKey, deps.config.hashPepper))) throw badApiKey();
  if (cache.size >= VERIFIED_KEYS_MAX) cache.clear();
  cache.set(digest, { merchantId, until: Date.now() + VERIFIED_KEY_SECONDS * 1000 });
  return merchantId;
}

/** Operator endpoints: `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdmin(config: Config, authorization: string | undefined): void {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
  if (!constantTimeEqual(token, config.adminToken)) throw new AppError(401, 'invalid_admin_token', API_TEXT.invalidAdminToken);
}
