import Stripe from 'stripe';
import type { Config } from '../config.ts';

/**
 * A card processor that dialpass charges directly (CARD_PROCESSOR=stripe): Twilio's <Pay> only
 * tokenizes the card into the processor's vault (docs/CHARGING.md), and the charge goes through
 * the processor's own API, so a member can keep the card for next time. A charge is two steps:
 * `prepare` moves no money and names the payment (its reference is stored before anything else
 * happens), `confirm` charges it. Whatever happens after `prepare`, `status` of that reference
 * tells whether money moved: an outcome that was unknown is settled by reading, never by charging
 * again. Another processor is added by implementing this interface.
 */
export interface CardProcessor {
  readonly name: string;
  /** Names one payment (no money moves). The same idempotency key again gives the same payment. */
  prepare(request: CardChargeRequest): Promise<{ reference: string }>;
  /** Charges the prepared payment; the same idempotency key again never charges twice. */
  confirm(reference: string, request: CardChargeRequest): Promise<CardChargeOutcome>;
  /** What became of a prepared payment: charged, not charged (and never will be), or still moving. */
  status(reference: string): Promise<'succeeded' | 'not-charged' | 'pending'>;
  /** Makes sure a prepared payment can never be charged (one left unconfirmed); a charged one is refunded instead. */
  cancel(reference: string): Promise<void>;
  /** Gives a charged payment back in full, once. */
  refund(reference: string, idempotencyKey: string): Promise<void>;
  /** The processor's customer for a member (created once) under which cards are kept. */
  customerFor(memberId: string): Promise<string>;
  /** Detaches a kept card from its customer: it can never be charged again. */
  forget(paymentMethod: string): Promise<void>;
}

export interface CardChargeRequest {
  /** One payment's idempotency key: a retry, a Twilio retry or a restart never charges twice. */
  idempotencyKey: string;
  amount: number;
  /** ISO 4217, as CURRENCY (JPY). */
  currency: string;
  /** The tokenized card (a Stripe PaymentMethod ID from <Pay tokenType="payment-method">, or a kept one). */
  paymentMethod: string;
  /** The member's customer: given when the card is kept (now, or from before). */
  customer?: string;
  /** Keep the card on the customer for later calls (the caller said yes). */
  keep: boolean;
  description: string;
  metadata: Record<string, string>;
}

export type CardChargeOutcome =
  | { status: 'succeeded'; reference: string }
  /** The issuer or processor refused; nothing was charged. */
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
export function stripeProcessor(config: NonNullable<Config['charging']['stripe']>): CardProcessor {
  const url = config.apiUrl ? new URL(config.apiUrl) : undefined;
  const stripe = new Stripe(config.secretKey, {
    maxNetworkRetries: NETWORK_RETRIES,
    timeout: REQUEST_TIMEOUT_MS,
    telemetry: false,
    ...(url ? { host: url.hostname, port: url.port || (url.protocol === 'https:' ? 443 : 80), protocol: url.protocol === 'https:' ? 'https' : 'http' } : {}),
  });
  const notCharged = new Set<Stripe.PaymentIntent.Status>(['requires_payment_method', 'requires_confirmation', 'canceled']);
  return {
    name: 'stripe',
    async prepare(request) {
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

const processors = new WeakMap<Config['charging'], CardProcessor | undefined>();

/** The processor dialpass charges cards through, or undefined when <Pay> charges them (CARD_PROCESSOR=pay-connector). */
export function cardProcessorFor(config: Pick<Config, 'charging'>): CardProcessor | undefined {
  if (!processors.has(config.charging)) {
    const { cardProcessor, stripe } = config.charging;
    processors.set(config.charging, cardProcessor === 'stripe' && stripe ? stripeProcessor(stripe) : undefined);
  }
  return processors.get(config.charging);
}
