import { readFileSync } from 'node:fs';
import { Cluster, Redis, type Result } from 'ioredis';
import type { Config } from '../config.ts';

/** Redis or Redis Cluster: everything in dialpass works with either. */
export type RedisClient = Redis | Cluster;

/**
 * Every Lua script, with how many of its arguments are keys (null: the caller passes the count
 * first, for scripts with an optional key). The file is `scripts/<file>.lua`; its header
 * documents KEYS, ARGV and return codes.
 */
const SCRIPTS = {
  dpCreatePendingRegistration: { file: 'create-pending-registration', numberOfKeys: 2 },
  dpClaimProvisionalId: { file: 'claim-provisional-id', numberOfKeys: 4 },
  dpRenewAccess: { file: 'renew-access', numberOfKeys: 3 },
  dpCountFailure: { file: 'count-failure', numberOfKeys: 1 },
  dpTakeAttempt: { file: 'take-attempt', numberOfKeys: 1 },
  dpBuyCode: { file: 'buy-code', numberOfKeys: 3 },
  dpIssueCode: { file: 'issue-code', numberOfKeys: 1 },
  dpRedeemCode: { file: 'redeem-code', numberOfKeys: 2 },
  dpVoidRedemption: { file: 'void-redemption', numberOfKeys: 2 },
  dpRecordRedemption: { file: 'record-redemption', numberOfKeys: null },
  dpBeginMerchantPost: { file: 'begin-merchant-post', numberOfKeys: null },
  dpChargeApproval: { file: 'charge-approval', numberOfKeys: 3 },
  dpDecidePaymentRequest: { file: 'decide-payment-request', numberOfKeys: 1 },
} as const;

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    dpCreatePendingRegistration(pending: string, account: string, ttlSeconds: Arg, ...fieldValues: Arg[]): Result<number, Context>;
    dpClaimProvisionalId(
      pending: string,
      account: string,
      ledger: string,
      step: string,
      formalId: string,
      callSid: string,
      from: string,
      amount: Arg,
      currency: string,
      nowMs: Arg,
      periodMs: Arg,
      stepTtlSeconds: Arg,
    ): Result<[number, string?, string?], Context>;
    dpRenewAccess(
      account: string,
      ledger: string,
      step: string,
      callSid: string,
      from: string,
      amount: Arg,
      currency: string,
      nowMs: Arg,
      periodMs: Arg,
      stepTtlSeconds: Arg,
    ): Result<[number, string?], Context>;
    dpCountFailure(counter: string, windowSeconds: Arg): Result<[number, number], Context>;
    dpTakeAttempt(counter: string, action: 'take', windowSeconds: Arg, limit: Arg): Result<[0 | 1, number, number], Context>;
    dpTakeAttempt(counter: string, action: 'refund'): Result<[1, number, number], Context>;
    dpBuyCode(step: string, ledger: string, spend: string, ...args: Arg[]): Result<[number, ...string[]], Context>;
    dpIssueCode(code: string, ...args: Arg[]): Result<number, Context>;
    dpRedeemCode(code: string, redemptions: string, redemptionId: string, merchantId: string, amount: Arg, nowMs: Arg, orderId: string): Result<[number, string?, string?, string?], Context>;
    dpVoidRedemption(code: string, redemptions: string, redemptionId: string, merchantId: string, nowMs: Arg, windowMs: Arg): Result<[number, string?, string?, string?], Context>;
    dpChargeApproval(step: string, ledger: string, spend: string, ...args: Arg[]): Result<[number, string?], Context>;
    dpDecidePaymentRequest(request: string, action: 'claim' | 'approve' | 'decline' | 'release', memberId: string, callSid: string, nowMs: Arg): Result<[number, string?], Context>;
    dpRecordRedemption(numberOfKeys: 2, redemptions: string, settlement: string, kind: 'redeem' | 'void', redemptionId: string, record: string): Result<number, Context>;
    dpRecordRedemption(
      numberOfKeys: 3,
      redemptions: string,
      settlement: string,
      idempotencyRecord: string,
      kind: 'redeem' | 'void',
      redemptionId: string,
      record: string,
      idempotencyRecordWithAnswer: string,
      keepSeconds: Arg,
    ): Result<number, Context>;
    dpBeginMerchantPost(numberOfKeys: 1, failures: string, blockingFailures: Arg): Result<[number, (string | number)?], Context>;
    dpBeginMerchantPost(
      numberOfKeys: 2,
      failures: string,
      idempotencyRecord: string,
      blockingFailures: Arg,
      claim: string,
      keepSeconds: Arg,
    ): Result<[number, (string | number)?], Context>;
  }
}

const scriptSource = (file: string) => readFileSync(new URL(`./scripts/${file}.lua`, import.meta.url), 'utf8');

let loadedScripts: { name: string; lua: string; numberOfKeys: number | undefined }[] | undefined;

export function defineScripts(client: RedisClient): void {
  loadedScripts ??= Object.entries(SCRIPTS).map(([name, { file, numberOfKeys }]) => ({
    name,
    lua: scriptSource(file),
    numberOfKeys: numberOfKeys ?? undefined,
  }));
  for (const { name, lua, numberOfKeys } of loadedScripts) client.defineCommand(name, { lua, numberOfKeys });
}

export interface RedisOptions {
  /** Extra prefix, e.g. one per test, on top of REDIS_KEY_PREFIX. */
  keyPrefix?: string;
  /** Connection errors; ioredis reconnects by itself, so these are for the log. */
  onError?: (error: Error) => void;
}

/** Connects to Redis (or Redis Cluster) as configured, with every Lua script registered. */
export function createRedisClient(config: Config, options: RedisOptions = {}): RedisClient {
  const keyPrefix = `${config.redis.keyPrefix}${options.keyPrefix ?? ''}`;
  // Fail fast instead of queueing while Redis is away: a webhook must answer within Twilio's
  // timeout, and a Twilio route turns the error into a spoken apology.
  const common = { keyPrefix, maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: 3000, enableAutoPipelining: true };
  let client: RedisClient;
  if (config.redis.clusterNodes.length > 0) {
    client = new Cluster(config.redis.clusterNodes, { keyPrefix, redisOptions: common });
  } else {
    if (!config.redis.url) throw new Error('REDIS_URL is not set (npm start and npm test set it when they run their own redis-server)');
    client = new Redis(config.redis.url, common);
  }
  client.on('error', options.onError ?? (() => undefined));
  defineScripts(client);
  return client;
}
