import type { PlaceCallOptions } from './call.ts';
import express, { type Request, type Router } from 'express';
import { jsonErrors, notFound, pickPageLang, requireJson, SimulatorError, type ErrorReport, type PageLang } from './http.ts';
import { BrowserCalls, type BrowserCall, type Turn } from './browser-calls.ts';
import { DTMF_KEYS, normalizeKeys } from './keys.ts';
import { simulatorPage } from './page.ts';
import { callingNumber, phoneNumber, randomCallerNumber } from './phone-number.ts';

const ASSETS_DIR = new URL('./assets/', import.meta.url).pathname;

/**
 * How the server reaches its own webhooks: over loopback, to the very listener this request came
 * in on, so the requests are real HTTP, signed for PUBLIC_BASE_URL and checked like Twilio's.
 */
function ownListener(req: Request): string {
  const address = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

/** The events the page shows, without the TwiML bodies and form fields it has no use for. */
function forPage(turn: Turn) {
  return {
    ...turn,
    events: turn.events.map((event) => {
      if (event.type === 'request') return { type: event.type, method: event.method, url: event.url };
      if (event.type === 'response') return { type: event.type, url: event.url, status: event.status };
      return event;
    }),
  };
}

/** What the simulator needs to know about the dialpass it calls: its public face, nothing more. */
export interface SimulatorOptions {
  /** The Twilio account's Pay Connectors the simulated <Pay> uses (a Stripe one tokenizes at that Stripe). */
  payConnectors?: PlaceCallOptions['payConnectors'];
  /** The app's PUBLIC_BASE_URL: webhooks are signed for URLs under it, as Twilio signs them. */
  publicBaseUrl: string;
  /** The Twilio auth token the app checks signatures with. */
  authToken: string;
  /** The number the simulated caller dials (the call's `To`). */
  servicePhoneNumber: string;
  /** The page's language when the browser states none. */
  defaultLang: PageLang;
  /** Where an unexpected error goes; default: the console. */
  reportError?: ErrorReport;
}

/**
 * /simulator: the phone page and the JSON API it drives. The server mounts it beside the app
 * (only when SIMULATOR_ENABLED); it calls the app back over HTTP like Twilio would.
 */
export function simulatorRouter(options: SimulatorOptions): Router {
  const reportError: ErrorReport = options.reportError ?? ((error, path) => console.error(`simulator: ${path}:`, error));
  const calls = new BrowserCalls();
  const router = express.Router();

  router.use('/assets', express.static(ASSETS_DIR, { maxAge: '1h', index: false }));
  router.get('/', (req, res) => {
    res.send(simulatorPage(pickPageLang(req, res, options.defaultLang), options.servicePhoneNumber));
  });

  const api = express.Router();
  api.use(express.json({ limit: '4kb' }), requireJson);
  const findCall = (id: string): BrowserCall => {
    const call = calls.get(id);
    if (!call) throw new SimulatorError(404, 'unknown_call', 'There is no call in progress with this ID; it may have ended.');
    return call;
  };

  api.post('/calls', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const from = body.from === undefined || body.from === '' ? randomCallerNumber() : callingNumber(body.from);
    if (!from) throw new SimulatorError(422, 'invalid_from', 'The calling number must be a phone number such as +819012345678, or a withheld caller ID such as anonymous.');
    const call = calls.start({
      baseUrl: options.publicBaseUrl,
      connectTo: ownListener(req),
      sameOriginOnly: true,
      authToken: options.authToken,
      from,
      to: phoneNumber(options.servicePhoneNumber) ?? options.servicePhoneNumber,
      payConnectors: options.payConnectors,
    });
    if (!call) throw new SimulatorError(429, 'too_many_calls', 'Too many simulated calls are in progress; hang one up first.');
    res.status(201).json(forPage(await call.nextTurn()));
  });

  api.post('/calls/:id/keys', async (req, res) => {
    const call = findCall(req.params.id!);
    const keys = normalizeKeys(typeof req.body?.keys === 'string' ? req.body.keys : '');
    if (!DTMF_KEYS.test(keys) || keys.length > 64) throw new SimulatorError(422, 'invalid_keys', 'Keys are 0-9, * and # only.');
    if (!call.isWaitingForKeys) throw new SimulatorError(409, 'not_waiting', 'The call is not waiting for keys right now.');
    res.json(forPage(await call.answer(keys)));
  });

  api.post('/calls/:id/hangup', async (req, res) => {
    const call = findCall(req.params.id!);
    res.json(forPage(await call.hangUp()));
  });

  api.use(notFound);
  api.use(jsonErrors(reportError));
  router.use('/api', api);
  return router;
}
