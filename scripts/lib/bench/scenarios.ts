import { randomBytes } from 'node:crypto';
import { inboundCallParams, newCallSid } from '../../../simulator/webhook-params.ts';
import type autocannon from 'autocannon';
import twilio from 'twilio';
import type { Config } from '../../../src/config.ts';
import type { RedisClient } from '../../../src/store/redis.ts';
import { createMerchant } from '../../../src/merchants/merchants.ts';
import { buyCode } from '../../../src/payments/purchase.ts';
import { activateMembers, BENCH_CALLER, seedPendingRegistrations } from './seed.ts';

export interface BenchContext {
  /** The configuration the app process runs with. */
  config: Config;
  /** A client with the app's key prefix and Lua scripts. */
  redis: RedisClient;
  password: string;
  /** One password hash of `password`, reused for every seeded member. */
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
  /** A Twilio webhook: its p99 at 10 connections must be within 1.5× the baseline's (targets.ts). */
  webhook: boolean;
  /** Seeds what about `expectedRequests` requests will consume. */
  setup?(ctx: BenchContext, expectedRequests: number): Promise<void>;
  /** Set while the feature the scenario drives is not on this branch: the scenario is listed, not run. */
  pending?: string;
  /**
   * Requests of the same shape for the baseline (same headers, same body size, built per request
   * the same way), so the load generator does the same work on both sides; default: the baseline's own.
   */
  baselineRequests?(ctx: BenchContext): autocannon.Request[];
}

export const BENCH_PUBLIC_BASE_URL = 'https://bench.dialpass.example';


/**
 * Each simulated call comes from a line of its own, as real callers do: the line's guesses are
 * counted before they are checked, so fifty calls at once from one line would be refused past
 * the daily limit.
 */
const benchCaller = () => `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const callParams = (callSid: string, extra: Record<string, string> = {}, from = benchCaller()) => inboundCallParams({ callSid, from, to: '+815000001234' }, extra);

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

/** When the simulated call began, as the signed call state carries it (Unix seconds). */
const callStarted = () => Math.floor(Date.now() / 1000);

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
    // The echo answers any path with the object it was sent.
    verifyBody: (body) => body.startsWith('{"'),
  },
};

function incomingCall(): Scenario {
  return {
    name: 'incoming-call',
    title: '1. incoming call (POST /twilio/voice, signed)',
    baseline: 'twiml-baseline',
    minRatio: 0.9, // issue 14 (issue 5: 85 %)
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
    minRatio: 0.7, // issue 14 (issue 5: 60 %)
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
          `/twilio/voice/activation?l=ja-JP&t=${callStarted()}`,
          callParams(newCallSid(), { Digits: unclaimed[next++ % unclaimed.length]!, FinishedOnKey: '#' }),
        ),
      ),
    ],
    // The formal ID is read out digit by digit only when the claim succeeded.
    verifyBody: (body) => body.includes('interpret-as="digits"'),
  };
}

// The monthly cap allows this many purchases of the smallest code per member; seeding stays below it.
const PURCHASES_PER_MEMBER = 50;
const REDEEMED_AMOUNT = 500;
/** Purchases in flight while seeding codes; the client sends each event-loop turn's commands in one write. */
const SEED_CONCURRENCY = 1000;

/** The answer's <Gather action>, as a path under PUBLIC_BASE_URL. */
function gatherActionPath(body: string, publicBaseUrl: string): string | undefined {
  const action = /<Gather [^>]*action="([^"]+)"/.exec(body)?.[1]?.replaceAll('&amp;', '&');
  return action?.startsWith(publicBaseUrl) ? action.slice(publicBaseUrl.length) : undefined;
}

interface CallContext {
  callSid?: string;
  from?: string;
  memberId?: string;
  next?: string;
}

/**
 * A signed-in member buys a code the way a call does it: amount 1 (a code any merchant takes),
 * then 1 to confirm. Each step posts to the <Gather action> the previous answer handed out, so
 * every purchase gets its own nonce and the charge, ledger entry and code record really happen.
 */
function buyPaymentCode(): Scenario {
  let members: string[] = [];
  let next = 0;
  // Any other answer (a re-ask, which carries w=, or the cap refusal going back to /pay/amount) is an error.
  const expected = [/\/pay\/confirm\?/, /\/pay\/after\?/];
  const step = (ctx: BenchContext, index: number): autocannon.Request => ({
    setupRequest: (defaults, context) => {
      const call = context as CallContext;
      if (index === 0) {
        call.callSid = newCallSid();
        call.from = benchCaller();
        call.memberId = members[next++ % members.length]!;
        call.next = `/twilio/voice/pay/amount?l=ja-JP&t=${callStarted()}&m=${call.memberId}`;
      }
      const digits: Record<string, string> = { Digits: '1' };
      // After a wrong answer there is no action to follow: start over (that answer already counts as an error).
      const path = call.next ?? `/twilio/voice/pay/amount?l=ja-JP&t=${callStarted()}&m=${call.memberId}`;
      const built = signedWebhook(ctx.config, path, callParams(call.callSid ?? newCallSid(), digits, call.from));
      return { ...defaults, ...built, headers: { ...defaults.headers, ...built.headers } };
    },
    onResponse: (_status, body, context) => {
      (context as CallContext).next = gatherActionPath(body, ctx.config.publicBaseUrl);
    },
  });
  return {
    name: 'buy-payment-code',
    title: '3. buying a payment code inside a call (amount → confirm 1)',
    baseline: 'twiml-baseline',
    minRatio: 0.7, // issue 14 (issue 5: 60 %)
    webhook: true,
    async setup(ctx, expectedRequests) {
      const needed = Math.ceil(expectedRequests / 2 / PURCHASES_PER_MEMBER) + 1;
      const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, needed);
      await activateMembers(ctx.redis, ctx.config, memberIds);
      members = memberIds;
      next = 0;
    },
    requests: (ctx) => [step(ctx, 0), step(ctx, 1)],
    verifyBody: (body) => !/[?&]w=\d/.test(body) && expected.some((path) => path.test(body)) && (!/\/pay\/after\?/.test(body) || body.includes('interpret-as="digits"')),
  };
}

const redemptionRequest = (code: string, apiKey: string): autocannon.Request => ({
  ...json('/api/merchant/redemptions', { code, amount: REDEEMED_AMOUNT }),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'idempotency-key': `bench-${randomBytes(12).toString('hex')}` },
});

/**
 * Every request redeems a fresh pre-bought code in full, under its own Idempotency-Key. The
 * requests are spread over a few merchants: one merchant may have at most
 * MERCHANT_FAILURES_PER_HOUR (30) redemptions in flight at once (the guessing limit counts
 * attempts before they run), and 50 connections on one key would measure that limit instead.
 */
const BENCH_MERCHANTS = 4;
function merchantRedemption(): Scenario {
  let codes: string[] = [];
  let next = 0;
  let apiKeys: string[] = [];
  return {
    name: 'merchant-redemption',
    title: '4. merchant redemption (POST /api/merchant/redemptions, Idempotency-Key)',
    baseline: 'json-baseline',
    minRatio: 0.7, // issue 14 (issue 5: 60 %)
    webhook: false,
    async setup(ctx, expectedRequests) {
      while (apiKeys.length < BENCH_MERCHANTS) {
        apiKeys.push((await createMerchant({ config: ctx.config, redis: ctx.redis, now: Date.now }, { name: `Bench Coffee ${apiKeys.length + 1}` })).apiKey);
      }
      codes = await seedPaymentCodes(ctx, expectedRequests, REDEEMED_AMOUNT);
      next = 0;
    },
    // Past the end of the pool a code repeats; the app answers 409 already_redeemed, counted as an error.
    requests: () => [fresh(() => redemptionRequest(codes[next % codes.length]!, apiKeys[next++ % BENCH_MERCHANTS]!))],
    // The echo gets the same request with a code of the same length that is not in the pool.
    baselineRequests: () => [fresh(() => redemptionRequest(String(1e15 + Math.floor(Math.random() * 9e15)), apiKeys[0]!))],
    verifyBody: (body) => body.includes('"redemptionId"'),
  };
}

/** Activated members enough to buy `codes` codes within the monthly cap. */
export async function seedBuyers(ctx: BenchContext, codes: number): Promise<string[]> {
  const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, Math.ceil(codes / PURCHASES_PER_MEMBER));
  await activateMembers(ctx.redis, ctx.config, memberIds);
  return memberIds;
}

/** Payment codes bought through the app's own buyCode (the client batches each event-loop turn's commands). */
export async function seedPaymentCodes(ctx: BenchContext, count: number, amount: number, buyers?: string[]): Promise<string[]> {
  const memberIds = buyers ?? (await seedBuyers(ctx, count));
  const deps = { config: ctx.config, redis: ctx.redis, now: Date.now };
  const codes: string[] = [];
  const callSid = newCallSid();
  for (let start = 0; start < count; start += SEED_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(SEED_CONCURRENCY, count - start) }, (_, i) => start + i);
    const bought = await Promise.all(
      batch.map((n) => buyCode(deps, { memberId: memberIds[Math.floor(n / PURCHASES_PER_MEMBER)]!, callSid, from: BENCH_CALLER, nonce: `seed${n}`, amount })),
    );
    for (const purchase of bought) {
      if (purchase.outcome !== 'bought') throw new Error(`bench: seeding a payment code failed (${purchase.outcome})`);
      codes.push(purchase.code);
    }
  }
  return codes;
}

const LOGIN_ACCOUNTS = 16;

/** Bound by the password hash (argon2id, m=19 MiB, t=2) by design: reported, no target here (see the `logins` bursts). */
function login(): Scenario {
  let formalIds: string[] = [];
  let next = 0;
  return {
    name: 'login',
    title: '5. POST /api/login (password-hash-bound by design)',
    baseline: 'json-baseline',
    webhook: false,
    async setup(ctx) {
      if (formalIds.length > 0) return;
      const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, LOGIN_ACCOUNTS);
      formalIds = await activateMembers(ctx.redis, ctx.config, memberIds);
    },
    // Each login from an address of its own (the app trusts X-Forwarded-For from loopback), as
    // members log in from their own connections: one address gets only 5 × LOGIN_MAX_FAILURES attempts in flight.
    requests: (ctx) => [
      fresh(() => {
        const request = json('/api/login', { formalId: formalIds[next % formalIds.length], password: ctx.password });
        return { ...request, headers: { ...request.headers, 'x-forwarded-for': `198.51.100.${(next++ % 250) + 1}` } };
      }),
    ],
    verifyBody: (body) => body.includes('"accessExpiresAt"'),
  };
}

/** Every scenario of issue 5, in report order; fresh state per bench run. */
export function createScenarios(): Scenario[] {
  return [incomingCall(), claimProvisionalId(), buyPaymentCode(), merchantRedemption(), login()];
}
