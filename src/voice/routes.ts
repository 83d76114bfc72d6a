import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { parseCallState } from './call-state.ts';
import { answerCall, chooseFromMenu, MENU_PATH } from './menu.ts';
import { ACTIVATION_PATH, AFTER_ACTIVATION_PATH, afterFormalId, provisionalIdEntered } from './activation.ts';
import { FORMAL_ID_PATH, formalIdEntered, PIN_PATH, pinEntered } from './sign-in.ts';
import { twilioSignatureCheck } from './signature.ts';
import { renderTwiml } from './twiml.ts';
import { apologyReply, type CallInput, type VoiceDeps, type VoiceStep } from './voice-step.ts';
import { recordCallStatus } from './call-status.ts';
import { PAYMENT_CODE_STEPS } from './payment-code.ts';
import { PAYMENT_APPROVAL_STEPS } from './payment-approval.ts';

/** Every webhook path under /twilio and the step that answers it. Features may add more. */
export const VOICE_STEPS = new Map<string, VoiceStep>([
  ['/twilio/voice', answerCall],
  [MENU_PATH, chooseFromMenu],
  [ACTIVATION_PATH, provisionalIdEntered],
  [AFTER_ACTIVATION_PATH, afterFormalId],
  [FORMAL_ID_PATH, formalIdEntered],
  [PIN_PATH, pinEntered],
  ...PAYMENT_CODE_STEPS,
  ...PAYMENT_APPROVAL_STEPS,
]);

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
  return {
    callSid,
    from: field(body, 'From') || 'unknown',
    to: field(body, 'To') || '',
    digits: field(body, 'Digits', 128),
    state: parseCallState(req.query as Record<string, unknown>, deps.config.defaultLocale),
  };
}

const STATUS_CALLBACK_PATH = '/voice/status';
const PICK_UP_PATH = '/twilio/voice';
const PICK_UP_ANSWERS_MAX = 16;

/**
 * The Twilio webhooks, mounted at /twilio. Each answer is TwiML with status 200, even when something breaks: the caller
 * then hears an apology instead of Twilio's "application error".
 */
export function voiceRouter(deps: VoiceDeps, logger: Logger): Router {
  const router = express.Router();
  const signedByTwilio = twilioSignatureCheck(deps.config.twilio.authToken, deps.config.publicBaseUrl);
  const sendTwiml = (res: express.Response, xml: string) => res.status(200).type('text/xml').send(xml);
  const apology = (req: Request) =>
    renderTwiml(apologyReply(deps, parseCallState(req.query as Record<string, unknown>, deps.config.defaultLocale)), deps.flows.voices);
  // The pick-up answer depends on nothing but its URL (the locale), and prompts are fixed at
  // start, so it is rendered once per URL: the webhook every call starts with does the least work.
  const pickUpAnswers = new Map<string, string>();

  const recordStatus = async (body: Record<string, unknown>) => {
    try {
      await recordCallStatus(deps, body);
      return true;
    } catch (error) {
      logger.error({ err: error }, 'could not record call status');
      return false;
    }
  };

  router.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 200 }));

  const answerStep = async (req: Request, res: express.Response) => {
    if (req.path === STATUS_CALLBACK_PATH && req.method === 'POST') {
      // Not stored (Redis down): a 503 shows in Twilio's debugger and alerts instead of a silent loss.
      const stored = await recordStatus((req.body ?? {}) as Record<string, unknown>);
      res.status(stored ? 204 : 503).end();
      return;
    }
    const path = `/twilio${req.path}`;
    const step = req.method === 'POST' ? VOICE_STEPS.get(path) : undefined;
    const call = step && callInput(req, deps);
    if (!step || !call) {
      logger.warn({ path }, step ? 'Twilio request without a usable CallSid' : 'Twilio requested an unknown voice path');
      sendTwiml(res, apology(req));
      return;
    }
    try {
      const xml = renderTwiml(await step(deps, call), deps.flows.voices);
      if (path === PICK_UP_PATH && pickUpAnswers.size < PICK_UP_ANSWERS_MAX) pickUpAnswers.set(req.originalUrl, xml);
      sendTwiml(res, xml);
    } catch (error) {
      logger.error({ err: error, path, callSid: call.callSid }, 'voice step failed');
      sendTwiml(res, apology(req));
    }
  };

  // One handler checks the signature, then answers a remembered pick-up at once or runs the step
  // for the path: every router layer costs time on each webhook, and a signed request for a path
  // we never hand out (our bug, not the caller's) still gets spoken TwiML.
  router.use((req, res, next) => {
    if (!signedByTwilio(req)) {
      res.status(403).type('text/plain').send('Forbidden: this endpoint only answers requests signed by Twilio.');
      return;
    }
    const pickedUp = req.method === 'POST' && req.baseUrl + req.path === PICK_UP_PATH ? pickUpAnswers.get(req.originalUrl) : undefined;
    if (pickedUp !== undefined && usableCallSid((req.body ?? {}) as Record<string, unknown>)) {
      sendTwiml(res, pickedUp);
      return;
    }
    answerStep(req, res).catch(next);
  });

  const answerErrorsWithTwiml: ErrorRequestHandler = (error, req, res, _next) => {
    logger.warn({ err: error, path: req.path }, 'bad Twilio request');
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) res.status(status).type('text/plain').send('Bad request');
    else sendTwiml(res, apology(req));
  };
  router.use(answerErrorsWithTwiml);
  return router;
}
