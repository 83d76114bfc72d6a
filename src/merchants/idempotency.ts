import { createHash } from 'node:crypto';
import { AppError, errorBody } from '../http/errors.ts';
import { keys } from '../store/keys.ts';
import type { MerchantDeps } from './merchants.ts';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const KEEP_SECONDS = 24 * 3600;

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** An AppError becomes the response it stands for, so it can be stored and replayed like any other. */
async function respond(run: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { status: error.status, body: errorBody(error.code, error.message), headers: error.headers };
  }
}

/**
 * Stripe-style Idempotency-Key, scoped to the merchant and kept 24 h: the same key with the same
 * request returns the first response again (errors included); the same key with another request
 * is 422. Rate limits (429) and server errors are not stored, so a retry can still succeed.
 * Two requests racing with one key may both run `run`: the operations behind it are idempotent
 * in their own right (a redemption's ID derives from the key), so both see the same result.
 */
export async function idempotent(
  deps: MerchantDeps,
  merchantId: string,
  idempotencyKey: string | undefined,
  request: { method: string; path: string; body: unknown },
  run: () => Promise<ApiResponse>,
): Promise<ApiResponse & { replayed?: boolean }> {
  if (idempotencyKey === undefined) return respond(run);
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) {
    return { status: 422, body: errorBody('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.') };
  }
  const key = keys.merchantIdempotency(merchantId, digest(idempotencyKey));
  const fingerprint = digest(`${request.method} ${request.path} ${canonicalJson(request.body)}`);
  // One command: claim the key if it is new, else get what the first request stored (Redis ≥ 7.0).
  const storedJson = await deps.redis.set(key, JSON.stringify({ fingerprint }), 'EX', KEEP_SECONDS, 'NX', 'GET');
  const stored = JSON.parse(storedJson ?? '{}') as { fingerprint?: string; response?: ApiResponse };
  if (stored.fingerprint && stored.fingerprint !== fingerprint) {
    return { status: 422, body: errorBody('idempotency_key_reused', 'This Idempotency-Key was used with a different request.') };
  }
  if (stored.response) return { ...stored.response, replayed: true };
  const response = await respond(run);
  if (response.status !== 429 && response.status < 500) {
    await deps.redis.set(key, JSON.stringify({ fingerprint, response }), 'EX', KEEP_SECONDS);
  }
  return response;
}
