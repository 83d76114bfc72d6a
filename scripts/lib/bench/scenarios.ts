import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import twilio from 'twilio';
import type { Config } from '../../../src/config.ts';
import type { RedisClient } from '../../../src/store/redis.ts';
import { activateMembers, BENCH_CALLER, seedPendingRegistrations } from './seed.ts';

export interface BenchContext {
  /** The configuration the app process runs with. */
  config: Config;
  /** A client with the app's key prefix and Lua scripts. */
  redis: RedisClient;
  password: string;
  /** One scrypt hash of `password`, reused for every seeded member. */
  passwordHash: string;
}

export type BaselineName = 'twiml-baseline' | 'json-baseline';

export interface Workload {
  /** autocannon request definitions; `setupRequest` makes each request fresh (new CallSid, new ID, new signature). */
  requests(ctx: BenchContext): autocannon.Request[];
  /** What a correct answer looks like; anything else counts as an error. */
  verifyBody(body: string): boolean;
}

export interface Scenario extends Workload {
  name: string;
  title: string;
  baseline: BaselineName;
  /** Throughput target as a fraction of the baseline's requests/s; undefined: reported only. */
  minRatio?: number;
  /** A Twilio webhook: its p99 at 10 connections must be within 2x the baseline's. */
  webhook: boolean;
  /** Seeds what about `expectedRequests` requests will consume. */
  setup?(ctx: BenchContext, expectedRequests: number): Promise<void>;
  /** Set while the feature the scenario drives is not on this branch: the scenario is listed, not run. */
  pending?: string;
}

export const BENCH_PUBLIC_BASE_URL = 'https://bench.dialpass.example';

const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

/** The parameters Twilio sends with every voice webhook (as in test/support/harness.ts). */
function callParams(callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: `AC${'0'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    CallStatus: 'in-progress',
    Called: '+815000001234',
    Caller: BENCH_CALLER,
    Direction: 'inbound',
    From: BENCH_CALLER,
    To: '+815000001234',
    ...extra,
  };
}

/** A webhook request signed exactly as Twilio signs it, over PUBLIC_BASE_URL + path. */
function signedWebhook(config: Config, path: string, params: Record<string, string>): autocannon.Request {
  const signature = twilio.getExpectedTwilioSignature(config.twilio.authToken, `${config.publicBaseUrl}${path}`, params);
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  };
}

const json = (path: string, body: unknown): autocannon.Request => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A request rebuilt before every send; autocannon's defaults (host, port) are kept. */
const fresh = (build: () => autocannon.Request): autocannon.Request => ({
  setupRequest: (defaults) => {
    const built = build();
    return { ...defaults, ...built, headers: { ...defaults.headers, ...built.headers } };
  },
});

const LOGIN_SAMPLE = { formalId: '123456789', password: 'AbCdEfGhJkMnPq' };

export const BASELINES: Record<BaselineName, Workload> = {
  'twiml-baseline': {
    requests: (ctx) => [fresh(() => signedWebhook(ctx.config, '/twilio/voice', callParams(newCallSid())))],
    verifyBody: (body) => body.includes('<Gather'),
  },
  'json-baseline': {
    requests: () => [json('/api/echo', LOGIN_SAMPLE)],
    verifyBody: (body) => body.includes('"formalId"'),
  },
};

function incomingCall(): Scenario {
  return {
    name: 'incoming-call',
    title: '1. incoming call (POST /twilio/voice, signed)',
    baseline: 'twiml-baseline',
    minRatio: 0.85,
    webhook: true,
    requests: (ctx) => [fresh(() => signedWebhook(ctx.config, '/twilio/voice', callParams(newCallSid())))],
    verifyBody: (body) => body.includes('<Gather'),
  };
}

/** Every request keys a fresh pre-seeded provisional ID, so each one really claims, charges and issues a formal ID. */
function claimProvisionalId(): Scenario {
  let unclaimed: string[] = [];
  let next = 0;
  return {
    name: 'claim-provisional-id',
    title: '2. keying a provisional ID (POST /twilio/voice/activation)',
    baseline: 'twiml-baseline',
    minRatio: 0.6,
    webhook: true,
    async setup(ctx, expectedRequests) {
      unclaimed = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, expectedRequests);
      next = 0;
    },
    // Past the end of the pool an ID repeats; the app then answers "already activated", which verifyBody counts as an error.
    requests: (ctx) => [
      fresh(() =>
        signedWebhook(
          ctx.config,
          '/twilio/voice/activation?l=ja-JP',
          callParams(newCallSid(), { Digits: unclaimed[next++ % unclaimed.length]!, FinishedOnKey: '#' }),
        ),
      ),
    ],
    // The formal ID is read out digit by digit only when the claim succeeded.
    verifyBody: (body) => body.includes('interpret-as="digits"'),
  };
}

function buyPaymentCode(): Scenario {
  return {
    name: 'buy-payment-code',
    title: '3. buying a payment code inside a call',
    baseline: 'twiml-baseline',
    minRatio: 0.6,
    webhook: true,
    pending: 'needs payment codes (issue 4, branch payments), not on main yet',
    requests: () => [],
    verifyBody: () => false,
  };
}

function merchantRedemption(): Scenario {
  return {
    name: 'merchant-redemption',
    title: '4. merchant redemption (POST /api/merchant/redemptions)',
    baseline: 'json-baseline',
    minRatio: 0.6,
    webhook: false,
    pending: 'needs merchant redemption (issue 4, branch payments), not on main yet',
    requests: () => [],
    verifyBody: () => false,
  };
}

const LOGIN_ACCOUNTS = 16;

/** Bound by scrypt (N=2^17) by design: reported, no target. */
function login(): Scenario {
  let formalIds: string[] = [];
  let next = 0;
  return {
    name: 'login',
    title: '5. POST /api/login (scrypt-bound by design)',
    baseline: 'json-baseline',
    webhook: false,
    async setup(ctx) {
      if (formalIds.length > 0) return;
      const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, LOGIN_ACCOUNTS);
      formalIds = await activateMembers(ctx.redis, ctx.config, memberIds);
    },
    requests: (ctx) => [fresh(() => json('/api/login', { formalId: formalIds[next++ % formalIds.length], password: ctx.password }))],
    verifyBody: (body) => body.includes('"accessExpiresAt"'),
  };
}

/** Every scenario of issue 5, in report order; fresh state per bench run. */
export function createScenarios(): Scenario[] {
  return [incomingCall(), claimProvisionalId(), buyPaymentCode(), merchantRedemption(), login()];
}
