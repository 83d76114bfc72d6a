import type { Config } from '../config.ts';
import type { CardChargeOutcome, PaymentProcessor, ProcessorChargeRequest } from './card-processor.ts';

/**
 * The mobile operator's CAMARA Carrier Billing API (GSMA Open Gateway; camaraproject/
 * CarrierBillingCheckOut, `code/API_definitions/carrier-billing.yaml`, and the Refund API beside
 * it): the calling line's own phone bill, for any amount. dialpass uses the two-step payment:
 *
 *  - `POST /payments/prepare` reserves the amount on the line (`phoneNumber`, E.164, since the
 *    token is two-legged) with a `clientCorrelator` derived from the call step: "using the same
 *    clientCorrelator when retrying the request allows the operator to avoid applying the same
 *    charge twice". The answer is `reserved`, or `pending_validation` with `validationInfo`
 *    (`action: validate`, an `authorizationId`: the operator texts the line a code, which
 *    `POST /payments/{id}/validate` takes);
 *  - `POST /payments/{id}/confirm` (202) charges it; `GET /payments/{id}` says `succeeded` or
 *    `denied`; `POST /payments/{id}/cancel` lets the reservation go;
 *  - a correlator seen before is refused (400 or 409): the payment it made is found in
 *    `GET /payments`, whose entries carry it;
 *  - 429 `TOO_MANY_REQUESTS` is waited out (Retry-After) once.
 *
 * Tokens follow CAMARA's Identity and Consent Management profile: OpenID Connect client
 * credentials at the operator's token endpoint, kept until they expire.
 */

type CarrierConfig = NonNullable<Config['charging']['carrierBilling']>;

/** The answer of the spec's Payment and BodyAmountReservationTransactionForReserve (the fields used). */
interface CamaraPayment {
  paymentId: string;
  paymentStatus: 'processing' | 'pending_validation' | 'denied' | 'reserved' | 'succeeded' | 'cancelled';
  amountTransaction: { phoneNumber?: string; clientCorrelator?: string; referenceCode: string; serverReferenceCode?: string };
  validationInfo?: { action: 'validate' | 'open'; authorizationId?: string; validationURL?: string };
}

interface CamaraAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export class CarrierBillingError extends Error {
  override name = 'CarrierBillingError';
}

/** How long one request may take, how long a confirmed payment is read back for before the answer is "not known yet". */
const REQUEST_TIMEOUT_MS = 5000;
const SETTLE_POLL_MS = 200;
const SETTLE_WAIT_MS = 4000;
const SCOPES = 'openid carrier-billing:payments:create carrier-billing:payments:write carrier-billing:payments:read carrier-billing-refund:refunds:create sim-swap:check';

export interface CarrierBillingClient extends PaymentProcessor {
  /** Whether the line's SIM changed within `maxAgeHours` (CAMARA SIM Swap `POST /check`); undefined when the operator could not say. */
  simSwapped(phoneNumber: string, maxAgeHours: number): Promise<boolean | undefined>;
  /** The validation code the caller keyed (the operator texted it): reserved now, or why not. */
  validate(reference: string, authorizationId: string, code: string): Promise<'reserved' | 'wrong-code' | 'denied'>;
}

export function carrierBillingClient(config: CarrierConfig, sinkUrl: string, fetcher: typeof fetch = fetch): CarrierBillingClient {
  let token: { value: string; until: number } | undefined;
  const accessToken = async (): Promise<string> => {
    if (token && token.until > Date.now()) return token.value;
    const res = await fetcher(config.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPES }).toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!res.ok || !body.access_token) throw new CarrierBillingError(`token endpoint answered ${res.status}`);
    token = { value: body.access_token, until: Date.now() + Math.max(0, (body.expires_in ?? 300) - 30) * 1000 };
    return token.value;
  };

  const call = async (method: 'GET' | 'POST', url: string, json?: unknown, retried = false): Promise<CamaraAnswer> => {
    let res: Response;
    try {
      res = await fetcher(url, {
        method,
        headers: { Authorization: `Bearer ${await accessToken()}`, 'x-correlator': crypto.randomUUID(), ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      // The answer was lost: sent once more, which every request here allows (a payment's
      // clientCorrelator, or its state: a second confirm or cancel is a 409 that names it).
      if (retried) throw error;
      return call(method, url, json, true);
    }
    if (res.status === 401 && !retried) {
      token = undefined;
      return call(method, url, json, true);
    }
    if (res.status === 429 && !retried) {
      // Rate limited: waited out once, as its Retry-After says (at most 2 s: a caller is on the line).
      const seconds = Math.min(2, Number(res.headers.get('retry-after') ?? 1) || 1);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      return call(method, url, json, true);
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  const payment = async (reference: string): Promise<CamaraPayment> => {
    const res = await call('GET', `${config.apiUrl}/payments/${encodeURIComponent(reference)}`);
    if (res.status !== 200) throw new CarrierBillingError(`GET /payments/${reference} answered ${res.status}`);
    return res.body as CamaraPayment;
  };

  /** The payment a correlator made before (its first answer was lost): the list's entries carry the correlator. */
  const byCorrelator = async (correlator: string): Promise<CamaraPayment | undefined> => {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    for (let page = 1; page <= 10; page++) {
      const res = await call('GET', `${config.apiUrl}/payments?paymentCreationDate.gte=${encodeURIComponent(since)}&perPage=100&page=${page}`);
      if (res.status !== 200) throw new CarrierBillingError(`GET /payments answered ${res.status}`);
      const list = res.body as CamaraPayment[];
      const found = list.find((p) => p.amountTransaction?.clientCorrelator === correlator);
      if (found || list.length < 100) return found;
    }
    return undefined;
  };

  /** Waits for a payment to leave `processing`, a few seconds at most (a caller is on the line). */
  const settled = async (reference: string): Promise<CamaraPayment> => {
    const deadline = Date.now() + SETTLE_WAIT_MS;
    for (;;) {
      const found = await payment(reference);
      if (found.paymentStatus !== 'processing' || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
    }
  };

  const denied = (res: CamaraAnswer) => res.status === 403 || res.status === 422 || res.status === 404;

  return {
    name: 'carrier-billing',
    async prepare(request: ProcessorChargeRequest) {
      const correlator = request.idempotencyKey;
      const body = {
        amountTransaction: {
          phoneNumber: request.phoneNumber,
          clientCorrelator: correlator,
          referenceCode: request.referenceCode ?? correlator,
          paymentAmount: {
            // Whole yen: the spec's amounts are decimal numbers in the currency's unit.
            chargingInformation: { amount: request.amount, currency: request.currency, description: request.description },
            chargingMetaData: { merchantName: 'dialpass', channel: 'voice' },
          },
        },
        ...(config.sinkToken ? { sink: sinkUrl, sinkCredential: { credentialType: 'ACCESSTOKEN', accessToken: config.sinkToken, accessTokenExpiresUtc: new Date(Date.now() + 2 * 86_400_000).toISOString(), accessTokenType: 'bearer' } } : {}),
      };
      let res = await call('POST', `${config.apiUrl}/payments/prepare`, body);
      let made: CamaraPayment | undefined;
      if (res.status === 201) made = res.body as CamaraPayment;
      else if (res.status === 409 || (res.status === 400 && /clientCorrelator/i.test(String(res.body?.message)))) made = await byCorrelator(correlator);
      else if (denied(res)) return { declined: String(res.body?.code ?? res.status) };
      if (!made) throw new CarrierBillingError(`POST /payments/prepare answered ${res.status}`);
      if (made.paymentStatus === 'processing') made = await settled(made.paymentId);
      if (made.paymentStatus === 'denied' || made.paymentStatus === 'cancelled') return { declined: made.paymentStatus };
      if (made.paymentStatus === 'pending_validation') {
        // Validation by a browsable URL cannot happen in a phone call: the reservation goes, nothing is charged.
        if (made.validationInfo?.action !== 'validate' || !made.validationInfo.authorizationId) {
          res = await call('POST', `${config.apiUrl}/payments/${encodeURIComponent(made.paymentId)}/cancel`, { phoneNumber: request.phoneNumber });
          return { declined: 'validation_by_url' };
        }
        return { reference: made.paymentId, validation: { authorizationId: made.validationInfo.authorizationId } };
      }
      return { reference: made.paymentId, serverReference: made.amountTransaction?.serverReferenceCode };
    },
    async validate(reference, authorizationId, code) {
      const res = await call('POST', `${config.apiUrl}/payments/${encodeURIComponent(reference)}/validate`, { authorizationId, code });
      if (res.status === 204 || (res.status === 409 && res.body?.code === 'ALREADY_EXISTS')) return 'reserved';
      if (res.status === 400) return 'wrong-code';
      const now = await payment(reference).catch(() => undefined);
      return now?.paymentStatus === 'reserved' ? 'reserved' : 'denied';
    },
    async confirm(reference, request): Promise<CardChargeOutcome> {
      try {
        const res = await call('POST', `${config.apiUrl}/payments/${encodeURIComponent(reference)}/confirm`, { phoneNumber: request.phoneNumber });
        if (res.status === 409 && res.body?.code === 'CARRIER_BILLING.PAYMENT_CANCELLED') return { status: 'declined', code: 'cancelled' };
        if (res.status !== 202 && res.status !== 409) {
          if (denied(res)) return { status: 'declined', code: String(res.body?.code ?? res.status) };
          return { status: 'unknown', why: `confirm answered ${res.status}` };
        }
      } catch (error) {
        return { status: 'unknown', why: error instanceof Error ? error.message : String(error) };
      }
      const now = await settled(reference).catch(() => undefined);
      if (now?.paymentStatus === 'succeeded') return { status: 'succeeded', reference, serverReference: now.amountTransaction?.serverReferenceCode };
      if (now?.paymentStatus === 'denied' || now?.paymentStatus === 'cancelled') return { status: 'declined', code: now.paymentStatus };
      return { status: 'unknown', why: `payment ${now?.paymentStatus ?? 'unread'}` };
    },
    async status(reference) {
      const now = await payment(reference);
      if (now.paymentStatus === 'succeeded') return 'succeeded';
      if (now.paymentStatus === 'denied' || now.paymentStatus === 'cancelled') return 'not-charged';
      if (now.paymentStatus === 'reserved' || now.paymentStatus === 'pending_validation') return 'reserved';
      return 'pending';
    },
    async cancel(reference) {
      const now = await payment(reference);
      if (now.paymentStatus !== 'reserved' && now.paymentStatus !== 'pending_validation') return;
      const res = await call('POST', `${config.apiUrl}/payments/${encodeURIComponent(reference)}/cancel`, { phoneNumber: now.amountTransaction?.phoneNumber });
      if (res.status !== 202 && res.status !== 409) throw new CarrierBillingError(`cancel answered ${res.status}`);
    },
    async refund(reference, idempotencyKey) {
      if (!config.refundApiUrl) throw new CarrierBillingError('no CARRIER_BILLING_REFUND_API_URL: the operator refunds by hand');
      // A total refund (Refund API: CreateTotalRefund): the whole amount, once; the same correlator again never refunds twice.
      const res = await call('POST', `${config.refundApiUrl}/payments/${encodeURIComponent(reference)}/refunds`, {
        type: 'total',
        reason: 'charged in a call whose purchase was not completed',
        amountTransaction: { clientCorrelator: idempotencyKey, referenceCode: idempotencyKey, refundAmount: {} },
      });
      if (res.status !== 201 && res.status !== 409) throw new CarrierBillingError(`refund answered ${res.status}`);
    },
    async findByKey(idempotencyKey) {
      return (await byCorrelator(idempotencyKey))?.paymentId;
    },
    async customerFor() {
      throw new CarrierBillingError('carrier billing keeps no customer: the line is the account');
    },
    async forget() {},
    async simSwapped(phoneNumber, maxAgeHours) {
      if (!config.simSwap) return false;
      // CAMARA SIM Swap `POST /check`: {swapped} for a change within maxAge hours.
      const res = await call('POST', `${config.simSwap.apiUrl}/check`, { phoneNumber, maxAge: maxAgeHours }).catch(() => undefined);
      return res?.status === 200 && typeof res.body?.swapped === 'boolean' ? res.body.swapped : undefined;
    },
  };
}
