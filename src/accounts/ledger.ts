import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';

/**
 * One charge against a member's line, as the Lua scripts append it. A list of small JSON strings
 * rather than a stream: a stream's first node alone costs about 4.7 KB, which is most of an account.
 */
export interface LedgerEntry {
  kind: 'activation' | 'renewal' | 'code_purchase' | 'payment_approval';
  amount: number;
  currency: string;
  callSid: string;
  from: string;
  at: number;
  codeLast4?: string;
  paymentRequest?: string;
}

/** The member's charges, oldest first. */
export async function readLedger(redis: RedisClient, memberId: string): Promise<LedgerEntry[]> {
  return (await redis.lrange(keys.memberLedger(memberId), 0, -1)).map((entry) => JSON.parse(entry) as LedgerEntry);
}
