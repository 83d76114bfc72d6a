import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import { nanoid } from 'nanoid';
import { AppError, errorBody } from '../http/errors.ts';
import { sha256 } from '../shared/hashing.ts';
import { keys } from '../store/keys.ts';
import { scriptOutcome } from '../store/outcomes.ts';
import { blockedForGuessing, GuessAttempt, INFLIGHT_TTL_SECONDS } from './rate-limit.ts';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What a merchant POST asked for, as far as replaying it is concerned. */
export interface MerchantPost {
  method: string;
  path: string;
  body: unknown;
  idempotencyKey?: string;
  /** Refused while the merchant is blocked for guessing codes (redemptions). */
  limited?: boolean;
}

/**
 * Where the answer under an Idempotency-Key goes. A step that writes in the merchant's slot anyway
 * stores it in the same script (and says so with `kept`), which saves a command and means the
 * write and its answer cannot part.
 */
export interface AnswerKeeping {
  key: string;
  keepSeconds: number;
  record(response: ApiResponse): string;
}

/** What a step runs with: its operation ID, the guessing attempt it may mark failed, where its answer goes. */
export interface StepContext {
  /**
   * Random, chosen when the Idempotency-Key was first claimed and kept in its record: every retry
   * under the key (even two racing ones) gets the same one, so the redemption or payment request
   * it names is made once. It is never derived from the key: once the record has expired (24 h), a
   * reused key makes a new, distinct operation.
   */
  op: string;
  attempt?: GuessAttempt;
  keeping: AnswerKeeping;
}

export type MerchantPostStep = (context: StepContext) => Promise<ApiResponse & { kept?: boolean }>;

/** Where a step stores its answer when it returns the body of a fixed status (see `keptBy`). */
export interface AnswerStore<Body> {
  key: string;
  keepSeconds: number;
  record(body: Body): string;
}

/** A step that answers `status` with the body `run` returns. */
export const answeredBy =
  (status: number, run: (context: StepContext) => Promise<unknown>): MerchantPostStep =>
  async (context) => ({ status, body: await run(context) });

/** A step that answers `status` with the body `run` returns, and stores that answer itself. */
export const keptBy =
  <Body>(status: number, run: (store: AnswerStore<Body>, context: StepContext) => Promise<Body>): MerchantPostStep =>
  async (context) => {
    const { keeping } = context;
    const store = { key: keeping.key, keepSeconds: keeping.keepSeconds, record: (body: Body) => keeping.record({ status, body }) };
    return { status, body: await run(store, context), kept: true };
  };

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

const answerFor = (error: AppError): ApiResponse => ({ status: error.status, body: errorBody(error.code, error.message), headers: error.headers });

/** An AppError becomes the response it stands for, so it can be stored and replayed like any other. */
async function respond(run: () => Promise<ApiResponse & { kept?: boolean }>): Promise<ApiResponse & { kept?: boolean }> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return answerFor(error);
  }
}

const storable = (response: ApiResponse) => response.status !== 429 && response.status < 500;

/**
 * Runs a money-moving merchant POST under Stripe-style Idempotency-Key rules, scoped to the
 * merchant and kept 24 h. The key is required (as Square requires it): without one, a merchant
 * that lost an answer cannot retry safely. The same key with the same request returns the first
 * response again (errors included); the same key with another request is 422. Rate limits (429)
 * and server errors are not stored, so a retry can still succeed. Replaying, the guessing
 * allowance and claiming the key are one script in the merchant's slot; the claim carries the
 * operation ID that every retry under the key reuses.
 */
export async function runMerchantPost(
  deps: CoreDeps,
  merchantId: string,
  post: MerchantPost,
  step: MerchantPostStep,
): Promise<ApiResponse & { replayed?: boolean }> {
  const { idempotencyKey } = post;
  if (idempotencyKey === undefined) {
    return { status: 400, body: errorBody('idempotency_key_required', API_TEXT.idempotencyKeyRequired.en) };
  }
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) {
    return { status: 422, body: errorBody('invalid_idempotency_key', API_TEXT.invalidIdempotencyKey.en) };
  }
  const key = keys.merchantIdempotency(merchantId, sha256(idempotencyKey));
  const fingerprint = sha256(`${post.method} ${post.path} ${canonicalJson(post.body)}`);
  const claim = { fingerprint, op: nanoid(22) };
  const allowed = post.limited ? deps.config.merchantFailuresPerHour : '';
  const [code, value] = await deps.redis.dpBeginMerchantPost(
    3,
    keys.merchantFailures(merchantId),
    keys.merchantAttemptsInFlight(merchantId),
    key,
    allowed,
    INFLIGHT_TTL_SECONDS,
    JSON.stringify(claim),
    KEEP_SECONDS,
  );
  const outcome = scriptOutcome(code);
  if (outcome === 'rate_limited') return answerFor(blockedForGuessing(Number(value)));
  const attempt = post.limited ? new GuessAttempt(deps, merchantId) : undefined;
  let op = claim.op;
  if (outcome === 'replayed') {
    const stored = JSON.parse(String(value)) as { fingerprint?: string; op?: string; response?: ApiResponse };
    if (stored.response) return stored.fingerprint === fingerprint ? { ...stored.response, replayed: true } : keyReused();
    if (stored.fingerprint !== fingerprint) {
      await attempt?.settle();
      return keyReused();
    }
    // Claimed by a request that never stored an answer (it crashed, or is still running): run
    // again as the same operation, so whatever it did is found and not done twice.
    op = stored.op ?? op;
  }
  const keeping: AnswerKeeping = { key, keepSeconds: KEEP_SECONDS, record: (response) => JSON.stringify({ fingerprint, op, response }) };
  let result: ApiResponse & { kept?: boolean };
  try {
    result = await respond(() => step({ op, attempt, keeping }));
  } finally {
    await attempt?.settle();
  }
  const { kept, ...response } = result;
  if (!kept && storable(response)) await deps.redis.set(key, keeping.record(response), 'EX', KEEP_SECONDS);
  return response;
}

const keyReused = (): ApiResponse => ({ status: 422, body: errorBody('idempotency_key_reused', API_TEXT.idempotencyKeyReused.en) });
