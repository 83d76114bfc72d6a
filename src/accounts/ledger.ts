import { auditOutboxEntry, type Activity } from '../observability/activity.ts';
import type { ChargeMethod, Config } from '../config.ts';
import { methodFor, type ChargeKind } from '../charging/methods.ts';
import { capHoldId, SPEND_TTL_SECONDS } from '../charging/cap-holds.ts';
import { calendarMonth } from '../shared/calendar.ts';
import { CALL_STEP_TTL_SECONDS, keys } from '../store/keys.ts';
import type { ChargeArgv, ChargeKeys, RedisClient } from '../store/redis.ts';
import { scanEachMaster } from '../store/scan.ts';

export type { ChargeKind };

/**
 * One charge against a member, as scripts/charge.lua appends it. A list of small JSON strings
 * rather than a stream: a stream's first node alone costs about 4.7 KB, which is most of an account.
 */
export interface LedgerEntry {
  /** `<memberId>/<CallSid>/<step>`: one charge per call step, so the ID names it for good. */
  id?: string;
  kind: ChargeKind;
  /** How it was collected (the kind's method at the time); absent on entries written before it existed. */
  method?: ChargeMethod;
  /** premium-rate: the service number the call reached (Twilio's To), whose tariff the carrier billed for the call. */
  to?: string;
  amount: number;
  currency: string;
  callSid: string;
  from: string;
  at: number;
  /** Card charges: the connector's confirmation code and the masked card (never the number); carrier billing: the operator's paymentId. */
  confirmation?: string;
  card?: string;
  /** Carrier billing: the operator's serverReferenceCode, for its statements. */
  serverReference?: string;
  codeLast4?: string;
  paymentRequest?: string;
}

/** One charge, as every call site describes it; chargeCall turns it into the scripts' charge block. */
export interface ChargeArgs {
  memberId: string;
  kind: ChargeKind;
  /** The call step (activate, renew, buy-<nonce>, approve-<requestId>): one charge per step; the same step again replays. */
  step: string;
  callSid: string;
  /** The calling line ('' when withheld). */
  from: string;
  /** The number the call reached (Twilio's To): kept on premium-rate entries, whose price is that number's tariff. */
  to?: string;
  amount: number;
  /**
   * MONTHLY_SPENDING_CAP: `enforce` refuses a charge past it (code purchases, approvals); `held`
   * consumes the hold taken before a card was asked for (holdCap; the money has moved, so it is
   * never refused); `none` for access fees.
   */
  cap: 'enforce' | 'held' | 'none';
  /** What the processor confirmed (a card's confirmation code or PaymentIntent, a carrier-billing paymentId), after it charged. */
  payment?: { confirmationCode: string; maskedCard: string; serverReference?: string };
  /** Kind-specific ledger fields (codeLast4, paymentRequest, to). */
  ledgerFields?: Partial<Pick<LedgerEntry, 'codeLast4' | 'paymentRequest' | 'to'>>;
  /**
   * The operator's audit event of this charge: written by the charge script into the member's audit
   * outbox in the same step, so an app that dies before recording it loses nothing (the relay
   * records it). Run the script under afterMarkingAudit.
   */
  audit?: Activity;
}


export const ledgerEntryId = (memberId: string, callSid: string, step: string) => `${memberId}/${callSid}/${step}`;

/** The keys and arguments every charging script takes first (scripts/charge.lua), in one place. */
export function chargeCall(config: Pick<Config, 'currency' | 'monthlySpendingCap' | 'timeZone' | 'charging'>, nowMs: number, charge: ChargeArgs): { keys: ChargeKeys; argv: ChargeArgv } {
  return {
    keys: [
      keys.callStep(charge.memberId, charge.callSid, charge.step),
      keys.memberLedger(charge.memberId),
      keys.monthlySpend(charge.memberId, calendarMonth(nowMs, config.timeZone)),
      keys.capHolds(charge.memberId),
      keys.auditOutbox(charge.memberId),
    ],
    argv: [
      ledgerEntryId(charge.memberId, charge.callSid, charge.step),
      charge.callSid,
      charge.from,
      charge.amount,
      config.currency,
      nowMs,
      charge.cap === 'enforce' ? config.monthlySpendingCap : charge.cap === 'held' ? 'held' : '',
      SPEND_TTL_SECONDS,
      CALL_STEP_TTL_SECONDS,
      charge.kind,
      methodFor(config, charge.kind),
      charge.payment?.confirmationCode ?? '',
      charge.payment?.maskedCard ?? '',
      JSON.stringify({
        ...charge.ledgerFields,
        ...(methodFor(config, charge.kind) === 'premium-rate' && charge.to ? { to: charge.to } : {}),
        ...(charge.payment?.serverReference ? { serverReference: charge.payment.serverReference } : {}),
      }),
      capHoldId(charge.callSid, charge.step),
      ...(charge.audit ? auditOutboxEntry(config, charge.audit) : (['', ''] as const)),
    ],
  };
}

/** What the member may still spend this month under MONTHLY_SPENDING_CAP (what is held for a card being charged counts as spent). */
export async function allowanceLeft(redis: RedisClient, config: Pick<Config, 'monthlySpendingCap' | 'timeZone'>, memberId: string, nowMs: number): Promise<number> {
  const spent = Number((await redis.get(keys.monthlySpend(memberId, calendarMonth(nowMs, config.timeZone)))) ?? 0);
  return Math.max(0, config.monthlySpendingCap - spent);
}

/** The member's charges, oldest first. */
export async function readLedger(redis: RedisClient, memberId: string): Promise<LedgerEntry[]> {
  return (await redis.lrange(keys.memberLedger(memberId), 0, -1)).map((entry) => JSON.parse(entry) as LedgerEntry);
}

/**
 * Every member's ledger, one member at a time: SCAN with a cursor (never KEYS) over each master,
 * and LRANGE for a batch of keys; nothing holds more than one batch.
 */
export async function* streamLedgers(redis: RedisClient, batch = 500): AsyncGenerator<{ memberId: string; entries: LedgerEntry[] }> {
  for await (const found of scanEachMaster(redis, keys.memberLedgerPattern(), batch)) {
    const members = found.map((key) => keys.memberOfLedgerKey(key)).filter((m): m is string => m !== undefined);
    if (members.length === 0) continue;
    // One LRANGE per ledger, sent together: on Redis Cluster the ledgers of a batch sit in many
    // slots, which one pipeline cannot hold; ioredis routes each and they still travel at once.
    const lists = await Promise.all(members.map((memberId) => redis.lrange(keys.memberLedger(memberId), 0, -1)));
    for (let i = 0; i < members.length; i++) {
      yield { memberId: members[i]!, entries: lists[i]!.map((e) => JSON.parse(e) as LedgerEntry) };
    }
  }
}
