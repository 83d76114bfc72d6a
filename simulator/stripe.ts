import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the parts of Stripe's API that dialpass and Twilio's Stripe Pay Connector
 * use, answering as Stripe's public API reference documents them (objects, errors, idempotency):
 *
 *  - POST /v1/payment_methods (what a Pay Connector does with the card keyed into <Pay>), GET, and
 *    POST /v1/payment_methods/{id}/detach;
 *  - POST /v1/customers;
 *  - POST /v1/payment_intents, GET /v1/payment_intents/{id}, POST .../confirm, POST .../cancel;
 *  - POST /v1/refunds.
 *
 * Idempotency as Stripe documents it: a POST with an Idempotency-Key that was seen before answers
 * the first result again (status and body, `Idempotent-Replayed: true`), whatever it was; the same
 * key with other parameters is a 400 `idempotency_error`; while the first is still running, a 409.
 * Errors are `{"error":{type, code, decline_code, message, payment_intent, ...}}` with Stripe's
 * status codes (402 for a card error). Test cards follow Stripe's testing page: 4242424242424242
 * succeeds, 4000000000000002 is declined (generic_decline), 4000000000009995 has insufficient
 * funds, 4000002760003184 needs authentication (an off-session charge fails with
 * `authentication_required`; on-session, as a Pay Connector charges, it succeeds).
 *
 * Tests can break the next request to an endpoint after it has done its work (`breakNext`): the
 * answer is lost (the connection is cut), comes back 500, or comes late, so the client cannot know
 * whether money moved.
 */
export interface StripeStandIn {
  url: string;
  secretKey: string;
  /** Every PaymentIntent, by ID. */
  paymentIntents: Map<string, Record<string, any>>;
  paymentMethods: Map<string, Record<string, any>>;
  refunds: Record<string, any>[];
  /** How many requests each path got (retries included). */
  requests: string[];
  /**
   * The next request whose path matches `path` does its work, then its answer is lost, fails or
   * is late; `drop-and-go-down`: lost, and every request after it is lost too until `comeBack()`.
   */
  breakNext(path: RegExp, how: BreakHow): void;
  comeBack(): void;
  /** The issuer declines every later charge on this card (it was blocked after it was kept). */
  issuerDeclines(paymentMethod: string): void;
  /** Money that moved: PaymentIntents that succeeded, less refunds. */
  charged(): { id: string; amount: number; refunded: boolean; metadata: Record<string, string> }[];
  close(): Promise<void>;
}

type BreakHow = 'drop' | 'drop-and-go-down' | 'error-500' | { delayMs: number };

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Stripe's form encoding (a[b][c]=v, a[0]=v) back into an object. */
export function parseStripeForm(body: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = rawKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let at = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) at[part] = value;
      else at = at[part] ??= {};
    });
  }
  return out;
}

const CARD_BRANDS: [RegExp, string][] = [
  [/^4/, 'visa'],
  [/^(5[1-5]|2[2-7])/, 'mastercard'],
  [/^3[47]/, 'amex'],
  [/^35/, 'jcb'],
  [/^3(0[0-5]|[68])/, 'diners'],
  [/^(6011|65)/, 'discover'],
];

export const STRIPE_TEST_CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  authenticationRequired: '4000002760003184',
} as const;

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, any>,
  ) {
    super(String(body.message));
  }
}

const invalid = (message: string, param?: string, code?: string) => new StripeFailure(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) });
const missing = (what: string, key: string) => new StripeFailure(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${key}'`, param: 'id' });

export async function startStripeStandIn(secretKey = `sk_test_${randomBytes(12).toString('hex')}`): Promise<StripeStandIn> {
  const paymentIntents = new Map<string, Record<string, any>>();
  const paymentMethods = new Map<string, Record<string, any>>();
  const customers = new Map<string, Record<string, any>>();
  /** The card number behind each PaymentMethod (never leaves the stand-in, as Stripe keeps it). */
  const cardNumbers = new Map<string, string>();
  /** PaymentMethods used once without a customer: Stripe refuses to use them again. */
  const consumed = new Set<string>();
  const refunds: Record<string, any>[] = [];
  const requests: string[] = [];
  const idempotent = new Map<string, { fingerprint: string; status?: number; body?: string; running: boolean }>();
  const breaks: { path: RegExp; how: BreakHow }[] = [];
  const blocked = new Set<string>();
  let down = false;
  const now = () => Math.floor(Date.now() / 1000);

  const paymentMethodView = (pm: Record<string, any>) => pm;

  function charge(intent: Record<string, any>, offSession: boolean): StripeFailure | undefined {
    const number = cardNumbers.get(intent.payment_method) ?? '';
    const fail = (code: string, declineCode: string | undefined, message: string) => {
      intent.status = 'requires_payment_method';
      const error = { type: 'card_error', code, ...(declineCode ? { decline_code: declineCode } : {}), message, payment_method: paymentMethodView(paymentMethods.get(intent.payment_method)!) };
      intent.last_payment_error = error;
      return new StripeFailure(402, { ...error, payment_intent: { ...intent } });
    };
    if (number === STRIPE_TEST_CARDS.declined || blocked.has(intent.payment_method)) return fail('card_declined', 'generic_decline', 'Your card was declined.');
    if (number === STRIPE_TEST_CARDS.insufficientFunds) return fail('card_declined', 'insufficient_funds', 'Your card has insufficient funds.');
    if (number === STRIPE_TEST_CARDS.authenticationRequired && offSession) {
      return fail('authentication_required', 'authentication_required', 'Your card was declined. This transaction requires authentication.');
    }
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.latest_charge = id('ch');
    intent.last_payment_error = null;
    const pm = paymentMethods.get(intent.payment_method)!;
    if (intent.setup_future_usage && intent.customer) pm.customer = intent.customer;
    else if (!pm.customer) consumed.add(pm.id);
    return undefined;
  }

  type Handler = (params: Record<string, any>, match: RegExpExecArray) => Record<string, any>;
  const routes: { method: string; path: RegExp; handle: Handler }[] = [
    {
      method: 'POST',
      path: /^\/v1\/payment_methods$/,
      handle: (p) => {
        if (p.type !== 'card') throw invalid('Invalid type: must be one of card, ...', 'type');
        const number = String(p.card?.number ?? '');
        if (!/^\d{12,19}$/.test(number)) throw new StripeFailure(402, { type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.', param: 'card[number]' });
        const brand = CARD_BRANDS.find(([re]) => re.test(number))?.[1] ?? 'unknown';
        const pm = {
          id: id('pm'),
          object: 'payment_method',
          type: 'card',
          card: { brand, last4: number.slice(-4), exp_month: Number(p.card.exp_month), exp_year: Number(p.card.exp_year), funding: 'credit', country: 'JP' },
          billing_details: { address: { postal_code: p.billing_details?.address?.postal_code ?? null }, email: null, name: null, phone: null },
          customer: null,
          created: now(),
          livemode: false,
          metadata: p.metadata ?? {},
        };
        paymentMethods.set(pm.id, pm);
        cardNumbers.set(pm.id, number);
        return pm;
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/payment_methods\/([^/]+)$/,
      handle: (_p, m) => paymentMethods.get(m[1]!) ?? (() => { throw missing('payment_method', m[1]!); })(),
    },
    {
      method: 'POST',
      path: /^\/v1\/payment_methods\/([^/]+)\/detach$/,
      handle: (_p, m) => {
        const pm = paymentMethods.get(m[1]!);
        if (!pm) throw missing('payment_method', m[1]!);
        if (!pm.customer) throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.');
        pm.customer = null;
        consumed.add(pm.id);
        return pm;
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/customers$/,
      handle: (p) => {
        const customer = { id: id('cus'), object: 'customer', created: now(), livemode: false, description: p.description ?? null, metadata: p.metadata ?? {} };
        customers.set(customer.id, customer);
        return customer;
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/payment_intents$/,
      handle: (p) => {
        const amount = Number(p.amount);
        if (!Number.isInteger(amount) || amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount');
        if (!/^[a-z]{3}$/.test(String(p.currency ?? ''))) throw invalid('Invalid currency.', 'currency');
        if (p.customer && !customers.has(p.customer)) throw missing('customer', p.customer);
        const pm = p.payment_method ? paymentMethods.get(p.payment_method) : undefined;
        if (p.payment_method && !pm) throw missing('payment_method', p.payment_method);
        if (pm && consumed.has(pm.id)) {
          throw invalid('This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.', 'payment_method');
        }
        if (pm?.customer && pm.customer !== p.customer) throw invalid('The provided PaymentMethod belongs to another Customer; pass that Customer.', 'payment_method');
        const intent = {
          id: id('pi'),
          object: 'payment_intent',
          amount,
          amount_received: 0,
          currency: p.currency,
          customer: p.customer ?? null,
          description: p.description ?? null,
          metadata: p.metadata ?? {},
          payment_method: p.payment_method ?? null,
          setup_future_usage: p.setup_future_usage ?? null,
          status: p.payment_method ? 'requires_confirmation' : 'requires_payment_method',
          latest_charge: null,
          last_payment_error: null,
          created: now(),
          livemode: false,
        };
        paymentIntents.set(intent.id, intent);
        if (p.confirm === 'true') {
          const failure = charge(intent, p.off_session === 'true');
          if (failure) throw failure;
        }
        return intent;
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/payment_intents\/([^/]+)$/,
      handle: (_p, m) => paymentIntents.get(m[1]!) ?? (() => { throw missing('payment_intent', m[1]!); })(),
    },
    {
      method: 'POST',
      path: /^\/v1\/payment_intents\/([^/]+)\/confirm$/,
      handle: (p, m) => {
        const intent = paymentIntents.get(m[1]!);
        if (!intent) throw missing('payment_intent', m[1]!);
        if (p.payment_method) intent.payment_method = p.payment_method;
        if (!['requires_confirmation', 'requires_payment_method', 'requires_action'].includes(intent.status) || !intent.payment_method) {
          throw invalid(`You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`, undefined, 'payment_intent_unexpected_state');
        }
        const failure = charge(intent, p.off_session === 'true');
        if (failure) throw failure;
        return intent;
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
      handle: (_p, m) => {
        const intent = paymentIntents.get(m[1]!);
        if (!intent) throw missing('payment_intent', m[1]!);
        if (intent.status === 'succeeded' || intent.status === 'canceled') {
          throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, undefined, 'payment_intent_unexpected_state');
        }
        intent.status = 'canceled';
        intent.canceled_at = now();
        return intent;
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/refunds$/,
      handle: (p) => {
        const intent = paymentIntents.get(p.payment_intent);
        if (!intent) throw missing('payment_intent', p.payment_intent);
        if (intent.status !== 'succeeded') throw invalid('This PaymentIntent does not have a successful charge to refund.', 'payment_intent');
        if (refunds.some((r) => r.payment_intent === intent.id)) throw invalid(`Charge ${intent.latest_charge} has already been refunded.`, undefined, 'charge_already_refunded');
        const refund = { id: id('re'), object: 'refund', amount: intent.amount, currency: intent.currency, payment_intent: intent.id, charge: intent.latest_charge, status: 'succeeded', created: now() };
        refunds.push(refund);
        return refund;
      },
    },
  ];

  const send = (res: ServerResponse, status: number, body: string, replayed = false) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': id('req'), ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    if (down) return req.socket.destroy();
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return send(res, 401, JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } }));
    }
    const route = routes.find((r) => r.method === req.method && r.path.test(path));
    if (!route) return send(res, 404, JSON.stringify({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${path}).` } }));
    const params = req.method === 'GET' ? {} : parseStripeForm(raw);
    const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
    const fingerprint = `${req.method} ${path} ${raw}`;
    if (typeof key === 'string') {
      const seen = idempotent.get(key);
      if (seen?.running) return send(res, 409, JSON.stringify({ error: { type: 'invalid_request_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this Idempotent Key.' } }));
      if (seen && seen.fingerprint !== fingerprint) {
        return send(res, 400, JSON.stringify({ error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` } }));
      }
      if (seen) return send(res, seen.status!, seen.body!, true);
      idempotent.set(key, { fingerprint, running: true });
    }
    let status = 200;
    let body: string;
    try {
      body = JSON.stringify(route.handle(params, route.path.exec(path)!));
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      status = error.status;
      body = JSON.stringify({ error: error.body });
    }
    if (typeof key === 'string') idempotent.set(key, { fingerprint, status, body, running: false });
    const broken = breaks.findIndex((b) => b.path.test(path));
    if (broken >= 0) {
      const { how } = breaks.splice(broken, 1)[0]!;
      if (how === 'drop') return req.socket.destroy();
      if (how === 'drop-and-go-down') {
        down = true;
        return req.socket.destroy();
      }
      if (how === 'error-500') return send(res, 500, JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred.' } }));
      await new Promise((r) => setTimeout(r, how.delayMs));
    }
    send(res, status, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred.' } })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    secretKey,
    paymentIntents,
    paymentMethods,
    refunds,
    requests,
    breakNext: (path, how) => void breaks.push({ path, how }),
    comeBack: () => void (down = false),
    issuerDeclines: (paymentMethod) => void blocked.add(paymentMethod),
    charged: () =>
      [...paymentIntents.values()]
        .filter((pi) => pi.status === 'succeeded')
        .map((pi) => ({ id: pi.id as string, amount: pi.amount as number, refunded: refunds.some((r) => r.payment_intent === pi.id), metadata: pi.metadata as Record<string, string> })),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** What a Twilio Stripe Pay Connector does with a card keyed into <Pay>: a PaymentMethod in the connected account (tokenize), or a charge. */
export async function stripeConnector(
  connector: { url: string; secretKey: string },
  card: { number: string; expiry: string; securityCode?: string; postalCode?: string },
  charge?: { amount: string; currency: string; description?: string },
): Promise<{ ok: true; paymentMethod: string; paymentIntent?: string } | { ok: false; code: string; message: string }> {
  const post = async (path: string, fields: Record<string, string>) => {
    const res = await fetch(`${connector.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${connector.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': id('twilio') },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const pm = await post('/v1/payment_methods', {
    type: 'card',
    'card[number]': card.number,
    'card[exp_month]': card.expiry.slice(0, 2),
    'card[exp_year]': `20${card.expiry.slice(2)}`,
    ...(card.securityCode ? { 'card[cvc]': card.securityCode } : {}),
    ...(card.postalCode ? { 'billing_details[address][postal_code]': card.postalCode } : {}),
  });
  if (pm.status !== 200) return { ok: false, code: pm.body.error?.code ?? 'processing_error', message: pm.body.error?.message ?? 'error' };
  if (!charge) return { ok: true, paymentMethod: pm.body.id };
  // Whole units for a zero-decimal currency such as JPY, as Stripe counts them.
  const pi = await post('/v1/payment_intents', { amount: String(Math.round(Number(charge.amount))), currency: charge.currency, payment_method: pm.body.id, confirm: 'true', ...(charge.description ? { description: charge.description } : {}) });
  if (pi.status !== 200) return { ok: false, code: pi.body.error?.decline_code ?? pi.body.error?.code ?? 'card_declined', message: pi.body.error?.message ?? 'declined' };
  return { ok: true, paymentMethod: pm.body.id, paymentIntent: pi.body.id };
}
