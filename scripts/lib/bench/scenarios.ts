import { randomBytes } from 'node:crypto';
import { inboundCallParams, newCallSid } from '../../../simulator/webhook-params.ts';
import type autocannon from 'autocannon';
import twilio from 'twilio';
import type { Config } from '../../../src/config.ts';
import type { RedisClient } from '../../../src/store/redis.ts';
import { createMerchant } from '../../../src/merchants/merchants.ts';
import { buyCode } from '../../../src/payments/purchase.ts';
import { provisionalIds } from '../../../src/identifiers/ids.ts';
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

/** Issue 28's targets for one scenario, judged at the highest concurrency run (targets.ts). */
export interface ScenarioTargets {
  /** Requests/s at least this fraction of the bare baseline's. */
  ofBare?: number;
  /** Requests/s at least this fraction of the scenario's floor's. */
  ofFloor?: number;
  /** App CPU per request at most this multiple of the floor's. */
  cpuOverFloor?: number;
}

export interface Scenario extends Workload {
  name: string;
  title: string;
  baseline: BaselineName;
  targets: ScenarioTargets;
  /** A Twilio webhook (or a call of them): its p99 at 10 connections is judged against its floor's (targets.ts). */
  webhook: boolean;
  /** Measured against its floor too (floors.ts): the stand-in that does only the step's unavoidable work. */
  floored: boolean;
  /** Requests for the floor, where the scenario's own would use up seeded items for nothing; default: the scenario's. */
  floorRequests?(ctx: BenchContext): autocannon.Request[];
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
 * The number the bench's callers dial: the service number the app runs with (run.ts), which is
 * its premium-rate number for the activation fee, so a claim is charged as a real call's is.
 */
export const BENCH_SERVICE_NUMBER = '+815000009999';


/**
 * Each simulated call comes from a line of its own, as real callers do: the line's guesses are
 * counted before they are checked, so fifty calls at once from one line would be refused past
 * the daily limit.
 */
const benchCaller = () => `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const callParams = (callSid: string, extra: Record<string, string> = {}, from = benchCaller()) => inboundCallParams({ callSid, from, to: BENCH_SERVICE_NUMBER }, extra);

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
    targets: { ofBare: 0.95 }, // issue 28 (issue 14: 90 %, issue 5: 85 %)
    webhook: true,
    floored: true,
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
    targets: { ofFloor: 0.85 }, // issue 28 (issue 14: 70 % of the bare baseline)
    webhook: true,
    floored: true,
    async setup(ctx, expectedRequests) {
      unclaimed = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, expectedRequests);
      next = 0;
    },
    // The floor answers any ID the same way: well-formed IDs that were never seeded, so the pool is the app's alone.
    floorRequests: (ctx) => [
      fresh(() =>
        signedWebhook(ctx.config, `/twilio/voice/activation?l=ja-JP&t=${callStarted()}`, callParams(newCallSid(), { Digits: provisionalIds.generate(), FinishedOnKey: '#' })),
      ),
    ],
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
    // The formal ID is read out digit by digit, then what next is asked, only when the claim succeeded
    // (an answer that reads out another number, such as the premium-rate number to call, is not one).
    verifyBody: (body) => body.includes('interpret-as="digits"') && /\/voice\/activation\/next\?/.test(body),
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
  const step = (ctx: BenchContext, index: number, member: () => string): autocannon.Request => ({
    setupRequest: (defaults, context) => {
      const call = context as CallContext;
      if (index === 0) {
        call.callSid = newCallSid();
        call.from = benchCaller();
        call.memberId = member();
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
  const fromPool = () => members[next++ % members.length]!;
  return {
    name: 'buy-payment-code',
    title: '3. buying a payment code inside a call (amount → confirm 1)',
    baseline: 'twiml-baseline',
    targets: { ofFloor: 0.85 }, // issue 28 (issue 14: 70 % of the bare baseline)
    webhook: true,
    floored: true,
    async setup(ctx, expectedRequests) {
      const needed = Math.ceil(expectedRequests / 2 / PURCHASES_PER_MEMBER) + 1;
      const memberIds = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, needed);
      await activateMembers(ctx.redis, ctx.config, memberIds);
      members = memberIds;
      next = 0;
    },
    requests: (ctx) => [step(ctx, 0, fromPool), step(ctx, 1, fromPool)],
    // The floor answers every member alike: one that was never seeded, so the pool's monthly caps are the app's alone.
    floorRequests: (ctx) => [0, 1].map((i) => step(ctx, i, () => '00000000000')),
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
    targets: { ofFloor: 0.85 }, // issue 28 (issue 14: 70 % of the bare baseline)
    webhook: false,
    floored: true,
    async setup(ctx, expectedRequests) {
      while (apiKeys.length < BENCH_MERCHANTS) {
        apiKeys.push((await createMerchant({ config: ctx.config, redis: ctx.redis, now: Date.now }, { name: `Bench Coffee ${apiKeys.length + 1}` })).apiKey);
      }
      codes = await seedPaymentCodes(ctx, expectedRequests, REDEEMED_AMOUNT);
      next = 0;
    },
    // Past the end of the pool a code repeats; the app answers 409 already_redeemed, counted as an error.
    requests: () => [fresh(() => redemptionRequest(codes[next % codes.length]!, apiKeys[next++ % BENCH_MERCHANTS]!))],
    // The echo and the floor get the same request with a code of the same length that is not in the pool.
    baselineRequests: () => [fresh(() => redemptionRequest(String(1e15 + Math.floor(Math.random() * 9e15)), apiKeys[0]!))],
    floorRequests: () => [fresh(() => redemptionRequest(String(1e15 + Math.floor(Math.random() * 9e15)), apiKeys[next++ % BENCH_MERCHANTS]!))],
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
    targets: {},
    webhook: false,
    floored: false,
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

/**
 * A whole activation call as Twilio makes it: pick-up, 1 in the menu, the provisional ID keyed
 * (claimed, charged, the formal ID read out), and the status callback once the caller hung up.
 * Each step posts to the <Gather action> the previous answer handed out; each call is a line of
 * its own with a provisional ID of its own.
 */
function activationCall(): Scenario {
  let unclaimed: string[] = [];
  let next = 0;
  interface Call {
    callSid: string;
    from: string;
    next?: string;
  }
  const step = (ctx: BenchContext, index: number, pool: () => string): autocannon.Request => ({
    setupRequest: (defaults, context) => {
      const call = context as Partial<Call>;
      if (index === 0) {
        call.callSid = newCallSid();
        call.from = benchCaller();
        call.next = undefined;
      }
      const params = (extra: Record<string, string> = {}, status?: string) =>
        inboundCallParams({ callSid: call.callSid!, from: call.from!, to: BENCH_SERVICE_NUMBER, callStatus: status }, extra);
      // After a wrong answer there is no action to follow: the path repeats the step's own (that answer already counts as an error).
      const built =
        index === 0
          ? signedWebhook(ctx.config, '/twilio/voice', params({}, 'ringing'))
          : index === 1
            ? signedWebhook(ctx.config, call.next ?? `/twilio/voice/menu?l=ja-JP&t=${callStarted()}`, params({ Digits: '1' }))
            : index === 2
              ? signedWebhook(ctx.config, call.next ?? `/twilio/voice/activation?l=ja-JP&t=${callStarted()}`, params({ Digits: pool(), FinishedOnKey: '#' }))
              : signedWebhook(ctx.config, '/twilio/voice/status', params({ CallDuration: '42', Timestamp: new Date().toUTCString(), CallbackSource: 'call-progress-events', SequenceNumber: '0' }, 'completed'));
      return { ...defaults, ...built, headers: { ...defaults.headers, ...built.headers } };
    },
    onResponse: (_status, body, context) => {
      (context as Partial<Call>).next = gatherActionPath(body, ctx.config.publicBaseUrl);
    },
  });
  const fromPool = () => unclaimed[next++ % unclaimed.length]!;
  const anyId = () => provisionalIds.generate();
  return {
    name: 'activation-call',
    title: '6. a whole activation call (pick-up → menu 1 → provisional ID → status callback)',
    baseline: 'twiml-baseline',
    targets: { cpuOverFloor: 1.25 }, // issue 28
    webhook: true,
    floored: true,
    async setup(ctx, expectedRequests) {
      unclaimed = await seedPendingRegistrations(ctx.redis, ctx.config, ctx.passwordHash, Math.ceil(expectedRequests / 4));
      next = 0;
    },
    requests: (ctx) => [0, 1, 2, 3].map((i) => step(ctx, i, fromPool)),
    floorRequests: (ctx) => [0, 1, 2, 3].map((i) => step(ctx, i, anyId)),
    // The status callback answers 204 with no body; a re-asked step carries w= in its action.
    verifyBody: (body) => body === '' || (!/[?&]w=\d/.test(body) && /\/voice\/(menu|activation|activation\/next)\?/.test(body)),
  };
}

/** Every scenario, in report order; fresh state per bench run. */
export function createScenarios(): Scenario[] {
  return [incomingCall(), claimProvisionalId(), buyPaymentCode(), merchantRedemption(), activationCall(), login()];
}
