import { cardProcessorFor } from '../charging/card-processor.ts';
import type { Config } from '../config.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

/**
 * The card a member pays with by phone: what Twilio's <Pay> returned, never more. Twilio sends
 * only a masked number (last four digits visible); dialpass keeps the last four alone. With
 * CARD_PROCESSOR=stripe and the caller's consent ("keep this card for next time?"), the card is
 * also kept at the processor: `token` is its PaymentMethod, attached to the member's `customer`,
 * and later calls pay with it after the PIN and one key. Otherwise the card is only shown as the
 * one last paid with (with <Pay> alone a charge is never tokenized: docs/CHARGING.md).
 */
export interface KeptCard {
  last4: string;
  type: string;
  /** The processor's PaymentMethod, when the card is kept for paying by phone. */
  token?: string;
  /** The processor's customer of this member (kept across cards, so forgetting one card keeps it). */
  customer?: string;
  at: number;
}

/** The last four digits of a card number as Twilio masks it ("xxxxxxxxxxxx4242", "xxxx-xxxxxx-x4001"), or '' if there are not four. */
export function lastFourOf(maskedNumber: string): string {
  const digits = maskedNumber.replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : '';
}

/** How a card is written in the ledger and on the page: never more than the last four digits. */
export const maskedCard = (last4: string) => (last4 ? `xxxx${last4}` : '');

/**
 * Records the card just paid with. With a `token` it becomes the kept card (one per member: the
 * one it replaces is detached at the processor); without one it is shown as the card last paid
 * with, unless a kept card is there, which a one-off card never displaces.
 */
export async function rememberCard(redis: RedisClient, config: Pick<Config, 'charging'>, memberId: string, card: Omit<KeptCard, 'customer'>): Promise<void> {
  const previous = await redis.hget(keys.memberCard(memberId), 'token');
  if (!card.token && previous) return;
  await redis.hset(keys.memberCard(memberId), { last4: card.last4, type: card.type, at: String(card.at), token: card.token ?? '' });
  const processor = cardProcessorFor(config);
  if (previous && previous !== card.token && processor) await processor.forget(previous);
}

export async function keptCard(redis: RedisClient, memberId: string): Promise<KeptCard | undefined> {
  const h = await redis.hgetall(keys.memberCard(memberId));
  if (!h.last4) return undefined;
  return { last4: h.last4, type: h.type ?? '', token: h.token || undefined, customer: h.customer || undefined, at: Number(h.at ?? 0) };
}

/** The member's customer at the card processor, made once and kept (Stripe's own idempotency lasts a day; this lasts). */
export async function processorCustomer(redis: RedisClient, config: Pick<Config, 'charging'>, memberId: string): Promise<string | undefined> {
  const processor = cardProcessorFor(config);
  if (!processor) return undefined;
  const known = await redis.hget(keys.memberCard(memberId), 'customer');
  if (known) return known;
  const customer = await processor.customerFor(memberId);
  await redis.hset(keys.memberCard(memberId), 'customer', customer);
  return customer;
}

/**
 * "Forget this card": the card can never be charged again (detached at the processor first, so a
 * failure there leaves it shown and kept rather than silently chargeable), then the masked card and
 * its token go; the ledger keeps its record of past charges.
 */
export async function forgetCard(redis: RedisClient, config: Pick<Config, 'charging'>, memberId: string): Promise<void> {
  const card = await keptCard(redis, memberId);
  const processor = cardProcessorFor(config);
  if (card?.token && processor) await processor.forget(card.token);
  await redis.hdel(keys.memberCard(memberId), 'last4', 'type', 'at', 'token');
}
