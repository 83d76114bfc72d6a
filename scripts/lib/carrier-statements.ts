import { writeFileSync } from 'node:fs';
import { chargeCall, type ChargeKind } from '../../src/accounts/ledger.ts';
import type { Config } from '../../src/config.ts';
import type { RedisClient } from '../../src/store/redis.ts';

/** One call's charges as seeded in the ledger (through the real charge primitive). */
export interface SeededCall {
  memberId: string;
  callSid: string;
  from: string;
  at: number;
  charges: { kind: ChargeKind; amount: number }[];
}

/**
 * `count` premium-rate calls a minute apart from `startMs`, each from its own line: an activation
 * (300), and every fifth call also a 500 code bought in the same call.
 */
export function generateCalls(count: number, startMs: number): SeededCall[] {
  return Array.from({ length: count }, (_, i) => ({
    memberId: String(10_000_000_000 + i),
    callSid: `CAreconcile${String(i).padStart(8, '0')}`,
    from: `+8190${String(i).padStart(8, '0')}`,
    at: startMs + i * 60_000,
    charges: i % 5 === 0 ? [{ kind: 'activation' as const, amount: 300 }, { kind: 'code_purchase' as const, amount: 500 }] : [{ kind: 'activation' as const, amount: 300 }],
  }));
}

/** Writes the calls to the ledger with the charge script every charge uses (1,000 sent at a time; not one pipeline: on Redis Cluster the members sit in many slots). */
export async function seedLedger(redis: RedisClient, config: Config, calls: SeededCall[], method: Config['chargeMethod'] = 'premium-rate'): Promise<void> {
  for (let start = 0; start < calls.length; start += 1000) {
    const sent: Promise<unknown>[] = [];
    for (const call of calls.slice(start, start + 1000)) {
      call.charges.forEach((charge, n) => {
        const c = chargeCall({ ...config, chargeMethod: method }, call.at + n * 1000, {
          memberId: call.memberId,
          kind: charge.kind,
          step: `${charge.kind}-${n}`,
          callSid: call.callSid,
          from: call.from,
          amount: charge.amount,
          cap: 'none',
        });
        sent.push(redis.dpChargeApproval(...c.keys, ...c.argv, ''));
      });
    }
    await Promise.all(sent);
  }
}

export interface PlantedStatement {
  path: string;
  /** Calls left off the statement (ledger only). */
  dropped: SeededCall[];
  /** Rows with no call behind them (carrier only). */
  extra: number;
  /** Calls billed with a different amount, and by how much more. */
  misbilled: { call: SeededCall; difference: number }[];
}

/**
 * The carrier's statement for the calls in dialpass's CSV shape (docs/CHARGING.md): each call
 * starting 20 s before its first charge and lasting 90 s, billed the sum of its charges, with
 * discrepancies planted: every `dropEvery`-th call missing, every `misbillEvery`-th billed 100
 * more, `extra` calls nobody made; every third number written nationally (090…).
 */
export function writeStatement(path: string, calls: SeededCall[], plant: { dropEvery: number; misbillEvery: number; extra: number }): PlantedStatement {
  const lines = ['call_start,calling_number,called_number,duration_seconds,amount,currency'];
  const dropped: SeededCall[] = [];
  const misbilled: PlantedStatement['misbilled'] = [];
  calls.forEach((call, i) => {
    if (i % plant.dropEvery === plant.dropEvery - 1) {
      dropped.push(call);
      return;
    }
    let amount = call.charges.reduce((sum, c) => sum + c.amount, 0);
    if (i % plant.misbillEvery === plant.misbillEvery - 2) {
      amount += 100;
      misbilled.push({ call, difference: 100 });
    }
    const number = i % 3 === 0 ? `0${call.from.slice(3)}` : call.from;
    lines.push(`${new Date(call.at - 20_000).toISOString()},${number},+815000001234,90,${amount},JPY`);
  });
  const last = calls.at(-1)?.at ?? Date.now();
  for (let j = 0; j < plant.extra; j++) lines.push(`${new Date(last - j * 7_000).toISOString()},+8170${String(j).padStart(8, '0')},+815000001234,30,300,JPY`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, dropped, extra: plant.extra, misbilled };
}
