import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { callStateIsCurrent, parseCallState } from './call-state.ts';
import { stepFor } from './call-flow.ts';
import { PATHS, PAY_STATUS_PATH, STATUS_CALLBACK_PATH } from './paths.ts';
import { twilioSignatureCheck } from './signature.ts';
import { renderTwiml } from './twiml.ts';
import { apologyReply, hangUp, type CallInput, type PayResult, type VoiceDeps } from './voice-step.ts';
import { lastFourOf } from '../accounts/kept-card.ts';
import { recordCallStatus } from './call-status.ts';
import { twilioFormBody } from '../http/twilio-form-body.ts';
import { requestLogFields } from '../http/request-context.ts';

const field = (body: Record<string, unknown>, name: string, max = 64) => {
  const value = body[name];
  return typeof value === 'string' && value.length <= max ? value : undefined;
};

const usableCallSid = (body: Record<string, unknown>) => {
  const callSid = field(body, 'CallSid');
  return callSid && /^[A-Za-z0-9]{2,64}$/.test(callSid) ? callSid : undefined;
};

function callInput(req: Request, deps: VoiceDeps): CallInput | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const callSid = usableCallSid(body);
  if (!callSid) return undefined;
  const to = field(body, 'To') ?? '';
  return {
    callSid,
    from: field(body, 'From') ?? '',
    to,
    digits: field(body, 'Digits', 128),
    stirVerstat: field(body, 'StirVerstat'),
    state: parseCallState(req.query as Record<string, unknown>, deps.config.defaultLocale, to),
    payment: payResult(body),
  };
}

/**
 * <Pay>'s action fields. The card number arrives masked; only its last four digits are taken, so
 * nothing that passes through here can hold more of a card than Twilio already hides.
 */
function payResult(body: Record<string, unknown>): PayResult | undefined {
  const result = field(body, 'Result');
  if (!result) return undefined;
  const confirmationCode = field(body, 'PaymentConfirmationCode', 128);
  const token = field(body, 'PaymentToken', 256);
  return {
    result,
    confirmationCode: confirmationCode && /^[\x21-\x7e]{1,128}$/.test(confirmationCode) ? confirmationCode : undefined,
    last4: lastFourOf(field(body, 'PaymentCardNumber') ?? '') || undefined,
    cardType: field(body, 'PaymentCardType', 32),
    token: token && /^[\x21-\x7e]{1,256}$/.test(token) ? token : undefined,
    error: field(body, 'PaymentError', 200),
  };
}

/**
 * The Twilio webhooks, mounted at /twilio. Each answer is TwiML with status 200, even when something breaks: the caller
 * then hears an apology instead of Twilio's "application error".
 */
export function voiceRouter(deps: VoiceDeps, logger: Logger): Router {
  const router = express.Router();
  const signedByTwilio = twilioSignatureCheck(deps.config.twilio.authToken, deps.config.publicBaseUrl);
  // The greeting is handed out again for every call in the same second and language: rendered once.
  const rendered = new WeakMap<object, string>();
  // Written directly: every call step answers with this, and Express's send (type lookup, charset
  // rewrite, freshness check) adds nothing to a fixed content type and status.
  const sendTwiml = (res: express.Response, xml: string) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/xml; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(xml));
    res.end(xml);
  };
  const apology = (req: Request) =>
    renderTwiml(apologyReply(deps, parseCallState(req.query as Record<string, unknown>, deps.config.defaultLocale)), deps.flows.voices);

  const recordStatus = async (req: Request, res: express.Response) => {
    try {
      await recordCallStatus(deps, (req.body ?? {}) as Record<string, unknown>);
      return true;
    } catch (error) {
      logger.error({ ...requestLogFields(req, res), err: error }, 'could not record call status');
      return false;
    }
  };

  router.use(twilioFormBody);

  const answerStep = async (req: Request, res: express.Response) => {
    const path = `/twilio${req.path}`;
    if (path === STATUS_CALLBACK_PATH && req.method === 'POST') {
      // Not stored (Redis down): a 503 shows in Twilio's debugger and alerts instead of a silent loss.
      const stored = await recordStatus(req, res);
      res.status(stored ? 204 : 503).end();
      return;
    }
    if (path === PAY_STATUS_PATH && req.method === 'POST') {
      res.status(204).end();
      return;
    }
    const step = req.method === 'POST' ? stepFor(path) : undefined;
    const call = step && callInput(req, deps);
    if (!step || !call) {
      logger.warn({ ...requestLogFields(req, res), path }, step ? 'Twilio request without a usable CallSid' : 'Twilio requested an unknown voice path');
      sendTwiml(res, apology(req));
      return;
    }
    // A signed step carries the time its call began; one older than any call can last is a
    // replay of a captured request, not a caller: it is answered, but nothing is done.
    if (path !== PATHS.pickUp && !callStateIsCurrent(call.state, deps.now())) {
      logger.warn({ ...requestLogFields(req, res), path, callSid: call.callSid }, 'signed call state has expired');
      sendTwiml(res, renderTwiml(hangUp(deps, call.state, deps.flows.say('common', 'stepExpired', call.state.locale)), deps.flows.voices));
      return;
    }
    try {
      const reply = await step(deps, call);
      let xml = path === PATHS.pickUp ? rendered.get(reply) : undefined;
      if (xml === undefined) {
        xml = renderTwiml(reply, deps.flows.voices);
        if (path === PATHS.pickUp) rendered.set(reply, xml);
      }
      sendTwiml(res, xml);
    } catch (error) {
      logger.error({ ...requestLogFields(req, res), err: error, path, callSid: call.callSid }, 'voice step failed');
      sendTwiml(res, apology(req));
    }
  };

  // One handler checks the signature, then runs the step for the path: every router layer costs
  // time on each webhook, and a signed request for a path we never hand out (our bug, not the
  // caller's) still gets spoken TwiML.
  // A wrong PUBLIC_BASE_URL or TWILIO_AUTH_TOKEN refuses every real call: say so in the log, at
  // most every 10 s (with how many were refused), so a flood of forged requests cannot flood it.
  let refusedSinceLog = 0;
  let lastRefusalLog = 0;
  const logRefusal = (req: Request, res: express.Response) => {
    refusedSinceLog++;
    const now = Date.now();
    if (now - lastRefusalLog < 10_000) return;
    logger.warn(
      { ...requestLogFields(req, res), path: req.path, refused: refusedSinceLog, signed: Boolean(req.get('X-Twilio-Signature')), checkedAgainst: `${deps.config.publicBaseUrl}${req.originalUrl}` },
      'Twilio webhook refused (403): the signature does not match; check PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN',
    );
    refusedSinceLog = 0;
    lastRefusalLog = now;
  };
  router.use((req, res, next) => {
    if (!signedByTwilio(req)) {
      logRefusal(req, res);
      res.status(403).type('text/plain').send('Forbidden: this endpoint only answers requests signed by Twilio.');
      return;
    }
    answerStep(req, res).catch(next);
  });

  const answerErrorsWithTwiml: ErrorRequestHandler = (error, req, res, _next) => {
    logger.warn({ ...requestLogFields(req, res), err: error, path: req.path }, 'bad Twilio request');
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) res.status(status).type('text/plain').send('Bad request');
    else sendTwiml(res, apology(req));
  };
  router.use(answerErrorsWithTwiml);
  return router;
}
