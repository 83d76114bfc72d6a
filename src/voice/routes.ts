import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { LOCALES } from '../config.ts';
import type { Logger } from 'pino';
import { callStateIsCurrent, parseCallState } from './call-state.ts';
import { stepFor } from './call-flow.ts';
import { FALLBACK_PATH, PATHS, PAY_STATUS_PATH, STATUS_CALLBACK_PATH } from './paths.ts';
import { twilioSignatureCheck } from './signature.ts';
import { renderTwiml } from './twiml.ts';
import { apologyReply, fallbackReply, hangUp, whoTheCallerIs, type CallInput, type PayResult, type VoiceDeps } from './voice-step.ts';
import { lastFourOf } from '../accounts/kept-card.ts';
import { recordCallStatus } from './call-status.ts';
import { twilioFormBody } from '../http/twilio-form-body.ts';
import { expectResult, resultsHeard } from './unheard.ts';

/** An answer sent this soon after its request reached Twilio, by all likelihood (its limit is 15 s). */
const TOLD_IN_TIME_MS = 10_000;

/** The result a failed step's URL (Twilio's ErrorUrl) may have told: its member and call step. */
function failedStepNote(path: string, query: URLSearchParams): { memberId: string; step: string } | undefined {
  const memberId = query.get('m');
  if (!memberId || !/^\d{1,32}$/.test(memberId)) return undefined;
  // A charge through a processor is made on the <Pay> action (card) or on the step where the
  // caller keys the code the operator texted (carrier billing); `ck` says what it bought.
  const charge = path === PATHS.cardPaid || path === PATHS.carrierCode ? query.get('ck') : undefined;
  if ((path === PATHS.payConfirm || charge === 'buy') && query.get('pn')) return { memberId, step: `buy-${query.get('pn')}` };
  if (path === PATHS.renewConfirm || charge === 'ren') return { memberId, step: 'renew' };
  if ((path === PATHS.approvalDecision || charge === 'apr') && query.get('pr')) return { memberId, step: `approve-${query.get('pr')}` };
  return undefined;
}
import { requestLogFields } from '../http/request-context.ts';

const field = (body: Record<string, unknown>, name: string, max = 64) => {
  const value = body[name];
  return typeof value === 'string' && value.length <= max ? value : undefined;
};

const usableCallSid = (body: Record<string, unknown>) => {
  const callSid = field(body, 'CallSid');
  return callSid && /^[A-Za-z0-9]{2,64}$/.test(callSid) ? callSid : undefined;
};

/** dialpass's own numbers: a From equal to one of them is a forwarding that lost the caller's number. */
const ownNumbersOf = new WeakMap<VoiceDeps['config'], string[]>();
function ownNumbers(config: VoiceDeps['config']): string[] {
  let numbers = ownNumbersOf.get(config);
  if (!numbers) ownNumbersOf.set(config, (numbers = [config.servicePhoneNumber, ...config.charging.premiumNumbers.map((n) => n.to)].map((n) => n.replace(/[\s()-]/g, ''))));
  return numbers;
}

/**
 * A GET webhook (the number's VoiceMethod, StatusCallbackMethod or VoiceFallbackMethod set to
 * GET) is served exactly as a POST: Twilio then puts its fields in the query string, after any
 * query of the URL itself, and signs the whole URL ([Twilio's request], [Security]). Twilio's
 * field names start with a capital letter (CallSid, From, Digits…) and the call state dialpass
 * puts in its URLs uses lower-case names only (call-state.ts), so the two never mix.
 */
const isTwilioField = (name: string) => /^[A-Z]/.test(name);
function stateQuery(req: Request): Record<string, unknown> {
  const query = req.query as Record<string, unknown>;
  if (req.method !== 'GET') return query;
  return Object.fromEntries(Object.entries(query).filter(([name]) => !isTwilioField(name)));
}
function fieldsOfGet(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.query as Record<string, unknown>).filter(([name]) => isTwilioField(name)));
}

function callInput(req: Request, deps: VoiceDeps): CallInput | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const callSid = usableCallSid(body);
  if (!callSid) return undefined;
  const to = field(body, 'To') ?? '';
  const caller = whoTheCallerIs({ from: field(body, 'From'), forwardedFrom: field(body, 'ForwardedFrom'), to, stirVerstat: field(body, 'StirVerstat') }, ownNumbers(deps.config));
  return {
    callSid,
    from: caller.from,
    ...(caller.callerIdFailed ? { callerIdFailed: true } : {}),
    to,
    digits: field(body, 'Digits', 128),
    speech: speechResult(body),
    state: parseCallState(stateQuery(req), deps.config.defaultLocale, to),
    payment: payResult(body),
  };
}

/**
 * What the caller said, when the <Gather> listened ([Gather] action): SpeechResult, and Confidence
 * when Twilio sent one (it need not); a Confidence that is not a number from 0 to 1 is as none.
 */
function speechResult(body: Record<string, unknown>): CallInput['speech'] {
  const result = field(body, 'SpeechResult', 500);
  if (result === undefined || result.trim() === '') return undefined;
  const raw = field(body, 'Confidence', 32);
  const confidence = raw === undefined || raw.trim() === '' ? undefined : Number(raw);
  return { result, confidence: confidence !== undefined && Number.isFinite(confidence) && confidence >= 0 && confidence <= 1 ? confidence : undefined };
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
  // How a listening <Gather> hears each language (SPEECH_MODEL_*, SPEECH_TIMEOUT_*, SPEECH_HINTS_*).
  const listening = deps.config.speech.byLocale;
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
  const apology = (req: Request) => renderTwiml(apologyReply(deps, parseCallState(stateQuery(req), deps.config.defaultLocale)), deps.flows.voices, listening);

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

  /**
   * Twilio's request to the fallback URL (ErrorCode, ErrorUrl and the call's fields): one log line
   * for the operator, and words true whatever the failed step did. No Redis: the fallback must
   * answer when the store is what failed. The caller's language is the one in the failed URL's
   * state; for the voice URL itself, both languages.
   */
  const fallbacks = new Map<string, string>();
  const answerFallback = (req: Request, res: express.Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errorUrl = field(body, 'ErrorUrl', 2048) ?? '';
    logger.warn(
      { ...requestLogFields(req, res), callSid: field(body, 'CallSid'), errorCode: field(body, 'ErrorCode'), errorUrl: errorUrl.split('?')[0] },
      'Twilio used the fallback URL: a call step failed or answered after 15 s (the caller was told to call again for the result)',
    );
    let known: (typeof LOCALES)[number] | undefined;
    try {
      const url = new URL(errorUrl);
      if (errorUrl.startsWith(deps.config.publicBaseUrl)) {
        known = LOCALES.find((l) => l === url.searchParams.get('l'));
        // The failed step may have told a result that never arrived: it is unheard again (best
        // effort, never awaited: the fallback answers even when Redis is what failed).
        const failed = failedStepNote(`/twilio${url.pathname.slice(new URL(deps.config.publicBaseUrl).pathname.replace(/\/$/, '').length + '/twilio'.length)}`, url.searchParams);
        const callSid = field(body, 'CallSid');
        if (failed && callSid) void expectResult(deps, failed.memberId, callSid, failed.step).catch(() => undefined);
      }
    } catch {
      known = undefined;
    }
    const order = known ? [known] : [deps.config.defaultLocale, ...LOCALES.filter((l) => l !== deps.config.defaultLocale)];
    const cacheKey = order.join(',');
    let xml = fallbacks.get(cacheKey);
    if (!xml) fallbacks.set(cacheKey, (xml = renderTwiml(fallbackReply(deps, order), deps.flows.voices)));
    sendTwiml(res, xml);
  };

  const answerStep = async (req: Request, res: express.Response) => {
    const path = `/twilio${req.path}`;
    const method = req.method === 'GET' || req.method === 'POST' ? req.method : undefined;
    if (method === 'GET') req.body = fieldsOfGet(req);
    if (path === STATUS_CALLBACK_PATH && method) {
      // Not stored (Redis down): a 503 shows in Twilio's debugger and alerts instead of a silent loss.
      const stored = await recordStatus(req, res);
      res.status(stored ? 204 : 503).end();
      return;
    }
    if (path === PAY_STATUS_PATH && method) {
      res.status(204).end();
      return;
    }
    if (path === FALLBACK_PATH && method) {
      answerFallback(req, res);
      return;
    }
    const step = method ? stepFor(path) : undefined;
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
      sendTwiml(res, renderTwiml(hangUp(deps, call.state, deps.flows.say('common', 'stepExpired', call.state.locale)), deps.flows.voices, listening));
      return;
    }
    // This request came after the answer that told these results: they were heard.
    if (call.state.delivered) {
      if (call.state.memberId) await resultsHeard(deps, call.state.memberId, call.state.delivered).catch((err: unknown) => logger.warn({ err, callSid: call.callSid }, 'could not mark results heard'));
      call.state = { ...call.state, delivered: undefined };
    }
    try {
      const started = Date.now();
      const reply = await step(deps, call);
      // A result sent well within Twilio's 15 s was most likely played: no longer unheard. One lost
      // on the way (a proxy failing after the app answered) brings Twilio to the fallback URL,
      // which notes it again (answerFallback).
      const tells = reply.tells;
      if (tells) {
        res.once('finish', () => {
          if (Date.now() - started < TOLD_IN_TIME_MS) void resultsHeard(deps, tells.memberId, tells.notes).catch((err: unknown) => logger.warn({ err }, 'could not mark results heard'));
        });
      }
      let xml = path === PATHS.pickUp ? rendered.get(reply) : undefined;
      if (xml === undefined) {
        xml = renderTwiml(reply, deps.flows.voices, listening);
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
