import { writeFileSync } from 'node:fs';
import { chargeCall, type ChargeKind } from '../../src/accounts/ledger.ts';
import { tariffFor } from '../../src/carrier/reconcile.ts';
import type { Config, PremiumNumber } from '../../src/config.ts';
import { keys } from '../../src/store/keys.ts';
import type { RedisClient } from '../../src/store/redis.ts';

/** One premium-rate call as dialpass records it: the status callback's record, and what it sold (if anything). */
export interface PremiumTrafficCall {
  memberId: string;
  callSid: string;
  from: string;
  number: PremiumNumber;
  /** When it began (ms) and how long it lasted. */
  at: number;
  durationSeconds: number;
  /** What the caller bought with the call (none: they hung up first; per-minute numbers sell nothing). */
  sale?: { kind: ChargeKind; amount: number };
  /** What the carrier bills for it: the tariff of the number reached. */
  billed: number;
}

/** One call's charges as seeded in the ledger alone (through the real charge primitive). */
export interface SeededCall {
  memberId: string;
  callSid: string;
  from: string;
  at: number;
  charges: { kind: ChargeKind; amount: number }[];
}

/** Writes charges to the ledger with the charge script every charge uses (1,000 calls sent at a time; not one pipeline: on Redis Cluster the members sit in many slots). */
export async function seedLedger(redis: RedisClient, config: Config, calls: SeededCall[]): Promise<void> {
  for (let start = 0; start < calls.length; start += 1000) {
    const sent: Promise<unknown>[] = [];
    for (const call of calls.slice(start, start + 1000)) {
      call.charges.forEach((charge, n) => {
        const c = chargeCall(config, call.at + n * 1000, { memberId: call.memberId, kind: charge.kind, step: `${charge.kind}-${n}`, callSid: call.callSid, from: call.from, amount: charge.amount, cap: 'none' });
        sent.push(redis.dpChargeApproval(...c.keys, ...c.argv, ''));
      });
    }
    await Promise.all(sent);
  }
}

/** The premium-rate numbers the generated traffic reaches: activation, two code amounts, and a per-minute number. */
export const TEST_PREMIUM_NUMBERS = '+815000000300=300/call@0990-50-0300,+815000001000=1000/call@0990-50-1000,+815000003000=3000/call@0990-50-3000,+815000000100=100/minute@0990-50-0100';

/** A configuration in which those numbers sell activation (300) and codes of 1,000 and 3,000 on premium-rate. */
export const PREMIUM_TRAFFIC_ENV = {
  SERVICE_PHONE_NUMBER: '+815000000300',
  PREMIUM_RATE_NUMBERS: TEST_PREMIUM_NUMBERS,
  CHARGE_METHOD_CODES: 'premium-rate',
  CODE_DENOMINATIONS: '1000,3000',
};

/**
 * `count` calls a minute apart from `startMs`, each from its own line, spread over the numbers in
 * turn: the 300 number activates, a code number sells a code of its tariff, a per-minute number
 * sells nothing (it bills by the minute); every seventh caller hangs up having bought nothing.
 */
export function generateCalls(count: number, startMs: number, numbers: PremiumNumber[]): PremiumTrafficCall[] {
  return Array.from({ length: count }, (_, i) => {
    const number = numbers[i % numbers.length]!;
    const durationSeconds = 40 + ((i * 37) % 150);
    const sells = number.per === 'call' && i % 7 !== 3;
    return {
      memberId: String(10_000_000_000 + i),
      callSid: `CAreconcile${String(i).padStart(8, '0')}`,
      from: `+8190${String(i).padStart(8, '0')}`,
      number,
      at: startMs + i * 60_000,
      durationSeconds,
      sale: sells ? { kind: number.amount === 300 ? ('activation' as const) : ('code_purchase' as const), amount: number.amount } : undefined,
      billed: tariffFor(number, durationSeconds),
    };
  });
}

/**
 * Writes what dialpass keeps of each call: the status callback's record (as recordCallStatus
 * writes it, with the operator's list of ended calls) and its sale, through the charge script every
 * charge uses (1,000 calls sent at a time; not one pipeline: on Redis Cluster they sit in many slots).
 */
export async function seedCalls(redis: RedisClient, config: Config, calls: PremiumTrafficCall[]): Promise<void> {
  for (let start = 0; start < calls.length; start += 1000) {
    const sent: Promise<unknown>[] = [];
    for (const call of calls.slice(start, start + 1000)) {
      const endedAt = call.at + call.durationSeconds * 1000;
      sent.push(
        redis.hset(keys.call(call.callSid), { CallStatus: 'completed', CallDuration: String(call.durationSeconds), From: call.from, To: call.number.to, Direction: 'inbound', recordedAt: String(endedAt) }),
        redis.zadd(keys.opsCalls(), endedAt, call.callSid),
      );
      if (!call.sale) continue;
      const c = chargeCall(config, call.at + 20_000, {
        memberId: call.memberId,
        kind: call.sale.kind,
        step: call.sale.kind,
        callSid: call.callSid,
        from: call.from,
        to: call.number.to,
        amount: call.sale.amount,
        cap: 'none',
      });
      sent.push(redis.dpChargeApproval(...c.keys, ...c.argv, ''));
    }
    await Promise.all(sent);
  }
}

export interface PlantedStatement {
  path: string;
  /** Calls left off the statement (dialpass only). */
  dropped: PremiumTrafficCall[];
  /** Rows with no call behind them (carrier only). */
  extra: number;
  /** Calls billed with a different amount, and by how much more. */
  misbilled: { call: PremiumTrafficCall; difference: number }[];
}

/**
 * The carrier's statement for the calls in dialpass's CSV shape (docs/CHARGING.md): each call at
 * the tariff of the number dialled (written as callers dial it), with discrepancies planted: every
 * `dropEvery`-th call missing, every `misbillEvery`-th billed 100 more, every call to
 * `wrongTariff.to` billed `wrongTariff.amount` per call, `extra` calls nobody made; every third
 * calling number written nationally (090…). Nothing planted: a month of correct traffic.
 */
export function writeStatement(
  path: string,
  calls: PremiumTrafficCall[],
  plant: { dropEvery?: number; misbillEvery?: number; extra?: number; wrongTariff?: { to: string; amount: number } } = {},
): PlantedStatement {
  const lines = ['call_start,calling_number,called_number,duration_seconds,amount,currency'];
  const dropped: PremiumTrafficCall[] = [];
  const misbilled: PlantedStatement['misbilled'] = [];
  calls.forEach((call, i) => {
    if (plant.dropEvery && i % plant.dropEvery === plant.dropEvery - 1) {
      dropped.push(call);
      return;
    }
    let amount = call.billed;
    if (plant.wrongTariff?.to === call.number.to) amount = plant.wrongTariff.amount;
    else if (plant.misbillEvery && i % plant.misbillEvery === plant.misbillEvery - 2) amount += 100;
    if (amount !== call.billed) misbilled.push({ call, difference: amount - call.billed });
    const number = i % 3 === 0 ? `0${call.from.slice(3)}` : call.from;
    lines.push(`${new Date(call.at + 1_000).toISOString()},${number},${call.number.dial},${call.durationSeconds},${amount},JPY`);
  });
  const last = calls.at(-1)?.at ?? Date.now();
  for (let j = 0; j < (plant.extra ?? 0); j++) lines.push(`${new Date(last - j * 7_000).toISOString()},+8170${String(j).padStart(8, '0')},${calls[0]?.number.dial ?? ''},30,300,JPY`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, dropped, extra: plant.extra ?? 0, misbilled };
}
