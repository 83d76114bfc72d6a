import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

/**
 * The card a member last paid with (CHARGE_METHOD=card), for the member page: what Twilio's <Pay>
 * returned, never more. Twilio sends only a masked number (last four digits visible); dialpass
 * keeps the last four alone, so no full or partial number beyond them is ever stored. A reusable
 * PaymentToken is kept only if the connector returned one (Twilio returns tokens for tokenize
 * transactions, not for charges: see docs/CHARGING.md).
 */
export interface KeptCard {
  last4: string;
  type: string;
  token?: string;
  at: number;
}

/** The last four digits of a card number as Twilio masks it ("xxxxxxxxxxxx4242", "xxxx-xxxxxx-x4001"), or '' if there are not four. */
export function lastFourOf(maskedNumber: string): string {
  const digits = maskedNumber.replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : '';
}

/** How a card is written in the ledger and on the page: never more than the last four digits. */
export const maskedCard = (last4: string) => `xxxx${last4}`;

export async function rememberCard(redis: RedisClient, memberId: string, card: KeptCard): Promise<void> {
  const fields: Record<string, string> = { last4: card.last4, type: card.type, at: String(card.at) };
  if (card.token) fields.token = card.token;
  await redis.multi().del(keys.memberCard(memberId)).hset(keys.memberCard(memberId), fields).exec();
}

export async function keptCard(redis: RedisClient, memberId: string): Promise<KeptCard | undefined> {
  const h = await redis.hgetall(keys.memberCard(memberId));
  if (!h.last4) return undefined;
  return { last4: h.last4, type: h.type ?? '', token: h.token || undefined, at: Number(h.at ?? 0) };
}

/** "Forget this card": the masked card and any token go; the ledger keeps its record of past charges. */
export async function forgetCard(redis: RedisClient, memberId: string): Promise<void> {
  await redis.del(keys.memberCard(memberId));
}
