import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a mobile operator's CAMARA APIs, answering as the published specifications
 * document them (camaraproject/CarrierBillingCheckOut `carrier-billing.yaml` and
 * `carrier-billing-refund.yaml`; camaraproject/SimSwap `sim-swap.yaml`):
 *
 *  - `POST /token`: OpenID Connect client credentials (HTTP Basic client authentication), a
 *    two-legged bearer token (it names no line, so requests must name `phoneNumber`);
 *  - Carrier Billing under `/carrier-billing/v0.5`: `POST /payments` (one step), `POST
 *    /payments/prepare` (`reserved`, or `pending_validation` with `validationInfo` when the line
 *    asks for a code, which is then "texted" to the line: `sms`), `POST
 *    /payments/{id}/validate|confirm|cancel`, `GET /payments/{id}`, `GET /payments`;
 *  - Refunds under `/carrier-billing-refund/v0.3`: `POST /payments/{id}/refunds` (`total`);
 *  - SIM Swap under `/sim-swap/v1`: `POST /check`.
 *
 * Errors are the spec's `ErrorInfo` ({status, code, message}); a `clientCorrelator` seen before
 * is `409 ALREADY_EXISTS`; a line can be set to be denied (`403 CARRIER_BILLING.PAYMENT_DENIED`),
 * to need a code, or to have swapped its SIM; `tooManyRequestsNext` answers one `429
 * TOO_MANY_REQUESTS` with `Retry-After`. Status changes are sent as CloudEvents to the payment's
 * `sink`, with the `sinkCredential` bearer token. Tests can break the next request to a path after
 * it has done its work (`breakNext`), as the Stripe stand-in does.
 */
export interface CarrierStandIn {
  url: string;
  /** Where the app finds each API (CARRIER_BILLING_API_URL, …_REFUND_API_URL, …_TOKEN_URL, SIM_SWAP_API_URL). */
  env: Record<string, string>;
  clientId: string;
  clientSecret: string;
  payments: Map<string, Record<string, any>>;
  refunds: Record<string, any>[];
  /** Every request (method, path, body) and every answer (status, body), for checks against the spec's schemas. */
  exchanges: { method: string; path: string; request: unknown; status: number; response: unknown }[];
  /** Codes "texted" to each line, newest last. */
  sms: Map<string, string[]>;
  /** CloudEvents posted to sinks, and what the sink answered. */
  events: { event: Record<string, any>; status: number }[];
  lines: Map<string, { deny?: boolean; validation?: boolean; simSwapped?: boolean }>;
  tooManyRequestsNext(): void;
  /** Where a notification for a sink really goes (tests: the app's own listener, as a proxy in front of PUBLIC_BASE_URL would forward it). */
  deliverNotificationsTo(route: (sink: string) => string): void;
  breakNext(path: RegExp, how: 'drop' | { delayMs: number }): void;
  /** Payments that moved money: succeeded, and whether refunded. */
  charged(): { paymentId: string; phoneNumber: string; amount: number; refunded: boolean; clientCorrelator?: string }[];
  close(): Promise<void>;
}

const BASE = '/carrier-billing/v0.5';
const REFUND_BASE = '/carrier-billing-refund/v0.3';
const SIM_SWAP_BASE = '/sim-swap/v1';
const E164 = /^\+[1-9][0-9]{4,14}$/;

const id = () => randomBytes(13).toString('base64url');

class CamaraFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorInfo = (status: number, code: string, message: string) => new CamaraFailure(status, code, message);

export async function startCarrierStandIn(): Promise<CarrierStandIn> {
  let deliverTo: ((sink: string) => string) | undefined;
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(16).toString('hex');
  const tokens = new Set<string>();
  const payments = new Map<string, Record<string, any>>();
  const refunds: Record<string, any>[] = [];
  const exchanges: CarrierStandIn['exchanges'] = [];
  const sms = new Map<string, string[]>();
  const events: CarrierStandIn['events'] = [];
  const lines = new Map<string, { deny?: boolean; validation?: boolean; simSwapped?: boolean }>();
  const codes = new Map<string, { authorizationId: string; code: string }>();
  const correlators = new Set<string>();
  const breaks: { path: RegExp; how: 'drop' | { delayMs: number } }[] = [];
  let tooMany = false;
  const now = () => new Date().toISOString();

  const notify = async (payment: Record<string, any>, type: string, extra: Record<string, unknown> = {}) => {
    if (!payment.sink) return;
    const event = {
      id: id(),
      source: 'https://operator.example.test/carrier-billing',
      type: `org.camaraproject.carrier-billing.v0.${type}`,
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: now(),
      data: { paymentId: payment.paymentId, status: type === 'payment-denied' ? 'failed' : 'succeeded', description: `Payment ${type.replace('payment-', '')}`, ...extra },
    };
    const res = await fetch(deliverTo?.(payment.sink) ?? payment.sink, {
      method: 'POST',
      headers: { 'Content-Type': 'application/cloudevents+json', ...(payment.sinkToken ? { Authorization: `Bearer ${payment.sinkToken}` } : {}) },
      body: JSON.stringify(event),
    }).catch(() => undefined);
    events.push({ event, status: res?.status ?? 0 });
  };

  const view = (p: Record<string, any>) => {
    const { sinkToken: _hidden, ...shown } = p;
    return shown;
  };

  function prepare(body: any, oneStep: boolean) {
    const t = body?.amountTransaction;
    const charging = t?.paymentAmount?.chargingInformation;
    if (!t || typeof t.referenceCode !== 'string' || !charging || !(Number(charging.amount) >= 0.001) || typeof charging.currency !== 'string' || typeof charging.description !== 'string') {
      throw errorInfo(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
    }
    // A two-legged token names no line: the request must.
    if (!t.phoneNumber) throw errorInfo(422, 'MISSING_IDENTIFIER', 'The phone number cannot be identified.');
    if (!E164.test(t.phoneNumber)) throw errorInfo(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
    if (body.sink !== undefined && !/^https:\/\/.+$/.test(body.sink) && !/^http:\/\/127\.0\.0\.1[:/]/.test(body.sink)) throw errorInfo(400, 'INVALID_SINK', 'sink not valid for the specified protocol');
    if (t.clientCorrelator) {
      if (correlators.has(t.clientCorrelator)) throw errorInfo(409, 'ALREADY_EXISTS', 'Another session is created for the same UE');
      correlators.add(t.clientCorrelator);
    }
    const line = lines.get(t.phoneNumber) ?? {};
    if (line.deny) throw errorInfo(403, 'CARRIER_BILLING.PAYMENT_DENIED', 'Payment denied by business.');
    const paymentId = id();
    const payment: Record<string, any> = {
      paymentId,
      amountTransaction: { ...t, resourceURL: `urn:payments:${paymentId}`, serverReferenceCode: `srv-${paymentId}` },
      paymentStatus: oneStep ? 'succeeded' : line.validation ? 'pending_validation' : 'reserved',
      paymentCreationDate: now(),
      ...(oneStep ? { paymentDate: now() } : {}),
      ...(body.sink ? { sink: body.sink, sinkToken: body.sinkCredential?.accessToken } : {}),
    };
    if (payment.paymentStatus === 'pending_validation') {
      const authorizationId = id();
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      codes.set(paymentId, { authorizationId, code });
      payment.validationInfo = { action: 'validate', authorizationId };
      sms.set(t.phoneNumber, [...(sms.get(t.phoneNumber) ?? []), code]);
    }
    payments.set(paymentId, payment);
    void notify(payment, oneStep ? 'payment-completed' : payment.paymentStatus === 'reserved' ? 'payment-reserved' : 'payment-pending-validation', oneStep ? { paymentDate: payment.paymentDate } : {});
    return { status: 201, body: view(payment) };
  }

  type Handler = (body: any, match: RegExpExecArray, query: URLSearchParams) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;
  const found = (paymentId: string) => payments.get(paymentId) ?? (() => { throw errorInfo(404, 'NOT_FOUND', 'The specified resource is not found.'); })();
  const routes: { method: string; path: RegExp; handle: Handler }[] = [
    { method: 'POST', path: new RegExp(`^${BASE}/payments$`), handle: (body) => prepare(body, true) },
    { method: 'POST', path: new RegExp(`^${BASE}/payments/prepare$`), handle: (body) => prepare(body, false) },
    {
      method: 'GET',
      path: new RegExp(`^${BASE}/payments$`),
      handle: (_body, _m, query) => {
        const since = query.get('paymentCreationDate.gte');
        const perPage = Number(query.get('perPage') ?? 10);
        const page = Number(query.get('page') ?? 1);
        const list = [...payments.values()].filter((p) => !since || p.paymentCreationDate >= since).sort((a, b) => (a.paymentCreationDate < b.paymentCreationDate ? 1 : -1));
        return { status: 200, body: list.slice((page - 1) * perPage, page * perPage).map(view) };
      },
    },
    { method: 'GET', path: new RegExp(`^${BASE}/payments/([^/]+)$`), handle: (_b, m) => ({ status: 200, body: view(found(m[1]!)) }) },
    {
      method: 'POST',
      path: new RegExp(`^${BASE}/payments/([^/]+)/validate$`),
      handle: (body, m) => {
        const payment = found(m[1]!);
        if (payment.paymentStatus !== 'pending_validation') throw errorInfo(409, 'ALREADY_EXISTS', 'Payment already validated');
        const expected = codes.get(payment.paymentId);
        if (!body?.authorizationId || !body?.code) throw errorInfo(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
        if (body.authorizationId !== expected?.authorizationId || body.code !== expected?.code) throw errorInfo(400, 'INVALID_ARGUMENT', 'The code does not match.');
        payment.paymentStatus = 'reserved';
        delete payment.validationInfo;
        void notify(payment, 'payment-reserved');
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${BASE}/payments/([^/]+)/confirm$`),
      handle: (_body, m) => {
        const payment = found(m[1]!);
        if (payment.paymentStatus === 'succeeded') throw errorInfo(409, 'CARRIER_BILLING.PAYMENT_CONFIRMED', 'Payment has been confirmed.');
        if (payment.paymentStatus === 'cancelled') throw errorInfo(409, 'CARRIER_BILLING.PAYMENT_CANCELLED', 'Payment has been cancelled.');
        if (payment.paymentStatus !== 'reserved') throw errorInfo(403, 'CARRIER_BILLING.PAYMENT_DENIED', 'Payment denied by business.');
        payment.paymentStatus = 'succeeded';
        payment.paymentDate = now();
        void notify(payment, 'payment-completed', { paymentDate: payment.paymentDate });
        return { status: 202 };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${BASE}/payments/([^/]+)/cancel$`),
      handle: (_body, m) => {
        const payment = found(m[1]!);
        if (payment.paymentStatus === 'succeeded') throw errorInfo(409, 'CARRIER_BILLING.PAYMENT_CONFIRMED', 'Payment has been confirmed.');
        if (payment.paymentStatus === 'cancelled') throw errorInfo(409, 'CARRIER_BILLING.PAYMENT_CANCELLED', 'Payment has been cancelled.');
        payment.paymentStatus = 'cancelled';
        void notify(payment, 'payment-cancelled');
        return { status: 202 };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${REFUND_BASE}/payments/([^/]+)/refunds$`),
      handle: (body, m) => {
        const payment = found(m[1]!);
        if (body?.type !== 'total' || typeof body?.amountTransaction?.referenceCode !== 'string') throw errorInfo(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
        if (payment.paymentStatus !== 'succeeded') throw errorInfo(403, 'PERMISSION_DENIED', 'Client does not have sufficient permissions to perform this action.');
        if (refunds.some((r) => r.paymentId === payment.paymentId)) throw errorInfo(409, 'ALREADY_EXISTS', 'The resource that a client tried to create already exists.');
        const refund = { refundId: id(), paymentId: payment.paymentId, refundStatus: 'succeeded', type: 'total', refundCreationDate: now(), refundDate: now(), amountTransaction: body.amountTransaction };
        refunds.push(refund);
        const { paymentId: _p, ...shown } = refund;
        return { status: 201, body: shown };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${SIM_SWAP_BASE}/check$`),
      handle: (body) => {
        if (!E164.test(String(body?.phoneNumber ?? ''))) throw errorInfo(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
        return { status: 200, body: { swapped: lines.get(body.phoneNumber)?.simSwapped === true } };
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      exchanges.push({ method: req.method!, path: url.pathname, request: raw ? safeJson(raw) : undefined, status, response: body });
      res.writeHead(status, { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), 'x-correlator': String(req.headers['x-correlator'] ?? ''), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/token') {
      const [user, pass] = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
      const form = new URLSearchParams(raw);
      if (user !== clientId || pass !== clientSecret || form.get('grant_type') !== 'client_credentials') return send(401, { error: 'invalid_client' });
      const token = randomBytes(18).toString('hex');
      tokens.add(token);
      return send(200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') ?? '' });
    }
    if (!tokens.has(String(req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      return send(401, { status: 401, code: 'UNAUTHENTICATED', message: 'Request not authenticated due to missing, invalid, or expired credentials. A new authentication is required.' });
    }
    if (tooMany) {
      tooMany = false;
      return send(429, { status: 429, code: 'TOO_MANY_REQUESTS', message: 'Rate limit reached.' }, { 'Retry-After': '1' });
    }
    const route = routes.find((r) => r.method === req.method && r.path.test(url.pathname));
    if (!route) return send(404, { status: 404, code: 'NOT_FOUND', message: 'The specified resource is not found.' });
    let answer: { status: number; body?: unknown };
    try {
      answer = await route.handle(raw ? safeJson(raw) : undefined, route.path.exec(url.pathname)!, url.searchParams);
    } catch (error) {
      if (!(error instanceof CamaraFailure)) throw error;
      answer = { status: error.status, body: { status: error.status, code: error.code, message: error.message } };
    }
    const broken = breaks.findIndex((b) => b.path.test(url.pathname));
    if (broken >= 0) {
      const { how } = breaks.splice(broken, 1)[0]!;
      if (how === 'drop') return req.socket.destroy();
      await new Promise((r) => setTimeout(r, how.delayMs));
    }
    send(answer.status, answer.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 500, code: 'INTERNAL', message: 'Unknown server error. Typically a server bug.' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: {
      CARRIER_BILLING_API_URL: `${url}${BASE}`,
      CARRIER_BILLING_REFUND_API_URL: `${url}${REFUND_BASE}`,
      CARRIER_BILLING_TOKEN_URL: `${url}/token`,
      CARRIER_BILLING_CLIENT_ID: clientId,
      CARRIER_BILLING_CLIENT_SECRET: clientSecret,
      SIM_SWAP_API_URL: `${url}${SIM_SWAP_BASE}`,
    },
    clientId,
    clientSecret,
    payments,
    refunds,
    exchanges,
    sms,
    events,
    lines,
    tooManyRequestsNext: () => void (tooMany = true),
    deliverNotificationsTo: (route) => void (deliverTo = route),
    breakNext: (path, how) => void breaks.push({ path, how }),
    charged: () =>
      [...payments.values()]
        .filter((p) => p.paymentStatus === 'succeeded')
        .map((p) => ({
          paymentId: p.paymentId as string,
          phoneNumber: p.amountTransaction.phoneNumber as string,
          amount: Number(p.amountTransaction.paymentAmount.chargingInformation.amount),
          refunded: refunds.some((r) => r.paymentId === p.paymentId),
          clientCorrelator: p.amountTransaction.clientCorrelator as string | undefined,
        })),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
