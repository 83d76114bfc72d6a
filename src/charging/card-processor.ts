import Stripe from 'stripe';
import type { Config } from '../config.ts';
import { carrierBillingClient, type CarrierBillingClient } from './carrier-billing.ts';

/**
 * A processor dialpass charges directly: a card processor (CARD_PROCESSOR=stripe: Twilio's <Pay>
 * only tokenizes the card into the processor's vault, docs/CHARGING.md) or the mobile operator's
 * Carrier Billing API (carrier-billing.ts). A charge is two steps: `prepare` moves no money and
 * names the payment (its reference is stored before anything else happens; an operator may ask
 * for a code texted to the line first), `confirm` charges it. Whatever happens after `prepare`,
 * `status` of that reference tells whether money moved: an outcome that was unknown is settled by
 * reading, never by charging again. Another processor is added by implementing this interface.
 */
export interface PaymentProcessor {
  readonly name: 'stripe' | 'carrier-billing';
  /** Names one payment (no money moves). The same idempotency key again gives the same payment. */
  prepare(request: ProcessorChargeRequest): Promise<PreparedCharge>;
  /** Charges the prepared payment; the same idempotency key again never charges twice. */
  confirm(reference: string, request: ProcessorChargeRequest): Promise<CardChargeOutcome>;
  /** What became of a prepared payment: charged, not charged (and never will be), reserved and waiting, or still moving. */
  status(reference: string): Promise<'succeeded' | 'not-charged' | 'reserved' | 'pending'>;
  /** Makes sure a prepared payment can never be charged (a reservation let go); a charged one stays as it is. */
  cancel(reference: string): Promise<void>;
  /** Gives a charged payment back in full, once. */
  refund(reference: string, idempotencyKey: string): Promise<void>;
  /** The processor's customer for a member (created once) under which cards are kept. */
  customerFor(memberId: string): Promise<string>;
  /** Detaches a kept card from its customer: it can never be charged again. */
  forget(paymentMethod: string): Promise<void>;
  /** The payment an idempotency key named, when its answer was lost before its reference was stored (carrier billing's clientCorrelator). */
  findByKey?(idempotencyKey: string): Promise<string | undefined>;
}

/** A card processor: the same interface, by its older name. */
export type CardProcessor = PaymentProcessor;

/** What preparing gave: a payment named (perhaps waiting for a code texted to the line), or refused (nothing reserved). */
export type PreparedCharge = { reference: string; serverReference?: string; validation?: { authorizationId: string } } | { declined: string };

export interface ProcessorChargeRequest {
  /** One payment's idempotency key (a card's, or the operator's clientCorrelator): a retry, a Twilio retry or a restart never charges twice. */
  idempotencyKey: string;
  amount: number;
  /** ISO 4217, as CURRENCY (JPY). */
  currency: string;
  description: string;
  metadata: Record<string, string>;
  /** A card: the tokenized card (a Stripe PaymentMethod ID from <Pay tokenType="payment-method">, or a kept one). */
  paymentMethod?: string;
  /** A card: the member's customer, given when the card is kept (now, or from before). */
  customer?: string;
  /** A card: keep it on the customer for later calls (the caller said yes). */
  keep?: boolean;
  /** Carrier billing: the line to charge (E.164): the calling line. */
  phoneNumber?: string;
  /** Carrier billing: the merchant's reference for disputes. */
  referenceCode?: string;
}

/** The request of a card charge (the card's fields required). */
export type CardChargeRequest = ProcessorChargeRequest & { paymentMethod: string; keep: boolean };

export type CardChargeOutcome =
  | { status: 'succeeded'; reference: string; serverReference?: string }
  /** The issuer, the processor or the operator refused; nothing was charged. */
  | { status: 'declined'; code: string }
  /** The issuer wants the cardholder to authenticate, which a phone call cannot do off-session; nothing was charged. */
  | { status: 'authentication-required' }
  /** No answer that says: `status(reference)` decides later. */
  | { status: 'unknown'; why: string };

/** How long one request to the processor may take, and how often the client retries a network failure (with the same idempotency key). */
const REQUEST_TIMEOUT_MS = 5000;
const NETWORK_RETRIES = 1;

/**
 * Stripe: PaymentIntents with `off_session` (the caller cannot take part in 3-D Secure on a
 * phone), `setup_future_usage: off_session` on the customer when the card is kept, and an
 * idempotency key on every POST (stripe-node retries network failures with it).
 */
export function stripeProcessor(config: NonNullable<Config['charging']['stripe']>): PaymentProcessor {
  const url = config.apiUrl ? new URL(config.apiUrl) : undefined;
  const stripe = new Stripe(config.secretKey, {
    maxNetworkRetries: NETWORK_RETRIES,
    timeout: REQUEST_TIMEOUT_MS,
    telemetry: false,
    ...(url ? { host: url.hostname, port: url.port || (url.protocol === 'https:' ? 443 : 80), protocol: url.protocol === 'https:' ? 'https' : 'http' } : {}),
  });
  const notCharged = new Set<Stripe.PaymentIntent.Status>(['requires_payment_method', 'canceled']);
  return {
    name: 'stripe',
    async prepare(request) {
      if (!request.paymentMethod) throw new Error('a card charge needs its PaymentMethod');
      const intent = await stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          payment_method: request.paymentMethod,
          ...(request.customer ? { customer: request.customer } : {}),
          ...(request.keep ? { setup_future_usage: 'off_session' as const } : {}),
          description: request.description,
          metadata: request.metadata,
        },
        { idempotencyKey: `${request.idempotencyKey}:prepare` },
      );
      return { reference: intent.id };
    },
    async confirm(reference, request) {
      try {
        const intent = await stripe.paymentIntents.confirm(reference, { off_session: true }, { idempotencyKey: `${request.idempotencyKey}:confirm` });
        if (intent.status === 'succeeded') return { status: 'succeeded', reference };
        if (intent.status === 'requires_action') return { status: 'authentication-required' };
        return { status: 'unknown', why: `PaymentIntent ${intent.status}` };
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError) {
          // Stripe's documented answer for an off-session charge the issuer wants authenticated.
          if (error.code === 'authentication_required') return { status: 'authentication-required' };
          return { status: 'declined', code: error.decline_code ?? error.code ?? 'card_declined' };
        }
        return { status: 'unknown', why: error instanceof Error ? error.message : String(error) };
      }
    },
    async status(reference) {
      const intent = await stripe.paymentIntents.retrieve(reference);
      if (intent.status === 'succeeded') return 'succeeded';
      if (intent.status === 'requires_confirmation') return 'reserved';
      return notCharged.has(intent.status) ? 'not-charged' : 'pending';
    },
    async cancel(reference) {
      const intent = await stripe.paymentIntents.retrieve(reference);
      if (intent.status === 'canceled' || intent.status === 'succeeded') return;
      await stripe.paymentIntents.cancel(reference, {}, { idempotencyKey: `${reference}:cancel` });
    },
    async refund(reference, idempotencyKey) {
      await stripe.refunds.create({ payment_intent: reference }, { idempotencyKey });
    },
    async customerFor(memberId) {
      const customer = await stripe.customers.create({ metadata: { member: memberId }, description: `dialpass member ${memberId}` }, { idempotencyKey: `dialpass-customer-${memberId}` });
      return customer.id;
    },
    async forget(paymentMethod) {
      try {
        await stripe.paymentMethods.detach(paymentMethod);
      } catch (error) {
        // Already detached (or never attached): forgotten either way.
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      }
    },
  };
}

const processors = new WeakMap<Config['charging'], Map<string, PaymentProcessor | undefined>>();

/** A processor by name, made once per configuration. */
function memo(config: Pick<Config, 'charging'>, name: string, make: () => PaymentProcessor | undefined): PaymentProcessor | undefined {
  let byName = processors.get(config.charging);
  if (!byName) processors.set(config.charging, (byName = new Map()));
  if (!byName.has(name)) byName.set(name, make());
  return byName.get(name);
}

/** The processor dialpass charges cards through, or undefined when <Pay> charges them (CARD_PROCESSOR=pay-connector). */
export function cardProcessorFor(config: Pick<Config, 'charging'>): PaymentProcessor | undefined {
  const { cardProcessor, stripe } = config.charging;
  return memo(config, 'stripe', () => (cardProcessor === 'stripe' && stripe ? stripeProcessor(stripe) : undefined));
}

/** The mobile operator's Carrier Billing API client, when a kind is carrier-billing. */
export function carrierBillingFor(config: Pick<Config, 'charging' | 'publicBaseUrl'>): CarrierBillingClient | undefined {
  const carrier = config.charging.carrierBilling;
  return memo(config, 'carrier-billing', () => (carrier ? carrierBillingClient(carrier, `${config.publicBaseUrl}${CARRIER_BILLING_EVENTS_PATH}`) : undefined)) as CarrierBillingClient | undefined;
}

/** Where the operator posts its CloudEvents about a payment (src/charging/carrier-events.ts). */
export const CARRIER_BILLING_EVENTS_PATH = '/carrier-billing/events';

/** The processor that made a charge, by the name its record keeps. */
export function processorNamed(config: Pick<Config, 'charging' | 'publicBaseUrl'>, name: string): PaymentProcessor | undefined {
  return name === 'carrier-billing' ? carrierBillingFor(config) : cardProcessorFor(config);
}
