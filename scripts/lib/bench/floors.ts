// The floor of each Redis-touching step: a stand-in doing only what the step's design cannot skip.
// It answers the same paths in one process of its own, beside the app and the bare baselines, with
//   - the same check of who is asking: the app's Twilio signature check, or its merchant API-key check;
//   - the same Redis round trips, one after the other, in the same hash slots as the real step
//     (as the bench's single Redis receives them: commands the app sends in one turn go together),
//     each command a trivial script (`return 1`) or the same plain GET;
//   - the same operator events, batched per event-loop turn into one script in the {ops} slot;
//   - a fixed answer: the real step's own answer (status, type, body), taken from the app at start.
// So a scenario over its floor is what the app's own work costs, above what any app with these
// round trips would pay. Each step's round trips are read off the code (`source` below names
// where); the run's "Redis commands per request" table shows the app's commands sent (evalsha and
// the plain ones outside scripts) beside the floor's, so a step that changes its round trips and
// not its floor shows there.
import express, { type Express, type Request, type Response } from 'express';
import type { CoreDeps } from '../../../src/deps.ts';
import { twilioFormBody } from '../../../src/http/twilio-form-body.ts';
import { authenticateMerchant } from '../../../src/merchants/merchants.ts';
import { keys } from '../../../src/store/keys.ts';
import type { RedisClient } from '../../../src/store/redis.ts';
import { twilioSignatureCheck } from '../../../src/voice/signature.ts';

/**
 * One Redis command of a floor: a trivial script on a key of the real step's slot, the same plain
 * GET, or an operator event (record-activities.lua in the {ops} slot, batched per event-loop turn
 * as recordActivity batches them).
 */
export type FloorCommand = { key: string; get?: true } | { opsEvent: true };

export interface FloorStep {
  /** The path the real step answers (its query string is part of the signed URL, not of the match). */
  path: string;
  surface: 'twilio' | 'merchant-api';
  /** Round trips awaited one after the other; the commands of one go out together. */
  trips: FloorCommand[][];
  /** Commands sent after the round trips and not waited for. */
  unawaited?: FloorCommand[];
  /** Where the real step's round trips are made, for a reader checking the floor against the code. */
  source: string;
}

// Keys of the real slots, with values of the real length (a line, a member, a code hash, a merchant).
const LINE = '+819012345678';
const MEMBER = '12345678901';
const CODE_HASH = 'k3J9x2mQ7vR4tY8wZ1aB5cD6eF0gH2iJ4kL6mN8oP0q';
const MERCHANT = '12345678';
const CALL_SID = `CA${'0'.repeat(32)}`;
const script = (key: string): FloorCommand => ({ key });
const OPS_EVENT: FloorCommand = { opsEvent: true };

/** Every floor, by the path it answers. */
export const FLOOR_STEPS: FloorStep[] = [
  {
    path: '/twilio/voice',
    surface: 'twilio',
    trips: [[{ key: keys.lineLocale(LINE), get: true }]],
    source: 'voice/menu.ts pickUp: GET of the line’s language',
  },
  { path: '/twilio/voice/menu', surface: 'twilio', trips: [], source: 'voice/menu.ts chooseFromMenu: no Redis for 1' },
  {
    path: '/twilio/voice/activation',
    surface: 'twilio',
    trips: [[script(keys.lineWrongEntries(LINE))], [script(keys.formalIdIndex('123456789'))], [script(keys.account(MEMBER))], [script(keys.lineWrongEntries(LINE))]],
    unawaited: [OPS_EVENT],
    source: 'voice/activation.ts provisionalIdEntered: take-attempt (line), SET NX (formal ID), claim-provisional-id (member), line-right-entry (line); account.activated',
  },
  {
    path: '/twilio/voice/status',
    surface: 'twilio',
    trips: [[script(keys.call(CALL_SID))], [OPS_EVENT]],
    source: 'voice/call-status.ts recordCallStatus: MULTI HSET EXPIRE (call), call.ended (awaited; the calls list trimmed beside it once a minute)',
  },
  { path: '/twilio/voice/pay/amount', surface: 'twilio', trips: [], source: 'voice/payment-code.ts amountChosen: no Redis (the price point is configuration)' },
  {
    path: '/twilio/voice/pay/merchant',
    surface: 'twilio',
    trips: [[script(keys.merchant(MERCHANT))]],
    source: 'voice/payment-code.ts merchantEntered (after 9): the merchant looked up',
  },
  {
    path: '/twilio/voice/pay/confirm',
    surface: 'twilio',
    trips: [[script(keys.callStep(MEMBER, CALL_SID, 'buy-1'))], [script(keys.monthlySpend(MEMBER, '2026-12'))], [script(keys.memberCodes(MEMBER))], [script(keys.paymentCode(CODE_HASH))]],
    unawaited: [OPS_EVENT],
    source: 'voice/payment-code.ts purchaseConfirmed: HMGET of the step marker (member, recallPurchase); payments/purchase.ts buyCode: buy-code (member), ZADD codes (member), issue-code (code); code.purchased',
  },
  {
    path: '/api/merchant/redemptions',
    surface: 'merchant-api',
    trips: [
      [script(keys.merchantFailures(MERCHANT))],
      [script(keys.unsettledCodes('a')), script(keys.paymentCode(CODE_HASH))],
      [script(keys.merchantsWithWork()), script(keys.merchantRedemptions(MERCHANT))],
    ],
    unawaited: [script(keys.codeUnsettled(CODE_HASH)), OPS_EVENT],
    source: 'merchants/idempotency.ts runMerchantPost: begin-merchant-post (merchant); payments/redemption.ts redeemCode: ZADD mark (shard) with redeem-code (code), ZADD mark (merchants) with record-redemption (merchant), HDEL (code) unawaited; code.redeemed',
  },
];

/** What a floor answers: the real step's answer, taken from the app at the start of the run. */
export interface FloorAnswer {
  status: number;
  contentType: string;
  body: string;
}

const TRIVIAL_SCRIPT = 'return 1';

type FloorRedis = RedisClient & { dpFloorTrip(key: string): Promise<number> };

/**
 * The floor stand-in's Express app: bare Express, the app's own body parsers and checks, then
 * the step's round trips and its fixed answer. `answers` holds each path's real answer.
 */
export function floorApp(deps: Pick<CoreDeps, 'config' | 'redis' | 'now'>, answers: Record<string, FloorAnswer>): Express {
  const redis = deps.redis as FloorRedis;
  redis.defineCommand('dpFloorTrip', { numberOfKeys: 1, lua: TRIVIAL_SCRIPT });

  // Operator events of one turn share one script call, as recordActivity batches them.
  let queued: (() => void)[] | undefined;
  const opsEvent = () =>
    new Promise<void>((resolve) => {
      if (!queued) {
        const batch: (() => void)[] = (queued = []);
        setImmediate(() => {
          queued = undefined;
          void redis.dpFloorTrip(keys.opsAudit()).then(() => batch.forEach((done) => done()));
        });
      }
      queued.push(resolve);
    });

  const send = (command: FloorCommand): Promise<unknown> => ('opsEvent' in command ? opsEvent() : command.get ? redis.get(command.key) : redis.dpFloorTrip(command.key));
  const run = async (step: FloorStep) => {
    for (const trip of step.trips) {
      if (trip.length === 1) await send(trip[0]!);
      else await Promise.all(trip.map(send));
    }
    for (const command of step.unawaited ?? []) void send(command);
  };
  const answer = (res: Response, path: string) => {
    const fixed = answers[path];
    if (!fixed) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.statusCode = fixed.status;
    if (fixed.body) {
      res.setHeader('Content-Type', fixed.contentType);
      res.setHeader('Content-Length', Buffer.byteLength(fixed.body));
    }
    res.end(fixed.body);
  };
  const byPath = new Map(FLOOR_STEPS.map((step) => [step.path, step]));

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);

  const voice = express.Router();
  const signedByTwilio = twilioSignatureCheck(deps.config.twilio.authToken, deps.config.publicBaseUrl);
  voice.use(twilioFormBody);
  voice.use((req: Request, res: Response, next) => {
    if (!signedByTwilio(req)) {
      res.status(403).type('text/plain').send('Forbidden');
      return;
    }
    const path = `/twilio${req.path}`;
    const step = byPath.get(path);
    (step ? run(step) : Promise.resolve()).then(() => answer(res, path), next);
  });
  app.use('/twilio', voice);

  const merchant = express.Router();
  merchant.use(express.json({ limit: '16kb' }));
  merchant.use((req: Request, res: Response, next) => {
    const path = `/api/merchant${req.path}`;
    const step = byPath.get(path);
    authenticateMerchant(deps, req.get('Authorization'))
      .then(() => (step ? run(step) : undefined))
      .then(() => answer(res, path), next);
  });
  app.use('/api/merchant', merchant);
  return app;
}
