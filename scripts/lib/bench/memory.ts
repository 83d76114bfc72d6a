import type { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { createMerchant } from '../../../src/merchants/merchants.ts';
import { codeHash } from '../../../src/payments/code-secrets.ts';
import { redeemCode } from '../../../src/payments/redemption.ts';
import { keys } from '../../../src/store/keys.ts';
import { seedBuyers, seedPaymentCodes, type BenchContext } from './scenarios.ts';
import { activateMembers, seedPendingRegistrations } from './seed.ts';

const CODE_AMOUNT = 500;
/** Redemptions in flight while measuring (the client sends each event-loop turn's commands in one write). */
const REDEEM_CONCURRENCY = 500;

export interface MemoryFigure {
  /** used_memory delta divided by the count: everything one item costs, index and expiry included. */
  bytesEach: number | null;
  count: number;
  /** MEMORY USAGE of one sample key of each kind the item consists of. */
  sampleKeys: Record<string, number | null>;
}

export interface RedisMemoryFigures {
  pendingRegistration: MemoryFigure;
  account: MemoryFigure;
  paymentCode: MemoryFigure;
  /** A code redeemed in full by a merchant (the 24-hour Idempotency-Key answer not included). */
  redemption?: MemoryFigure;
}

async function usedMemory(plain: Redis): Promise<number> {
  const info = await plain.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('bench: INFO memory has no used_memory');
  return Number(match[1]);
}

/**
 * Measures what Redis holds per pending registration, per activated account and per payment code,
 * by creating `count` of each with the app's own Lua scripts on an empty Redis. A code's figure is
 * everything a purchase adds: the code record, the buyer's ledger entry and spend counter, the call-step marker.
 * Flushes Redis after.
 */
export async function measureRedisMemory(ctx: BenchContext, plain: Redis, count: number): Promise<RedisMemoryFigures> {
  const { redis, config, passwordHash } = ctx;
  const prefixed = (key: string) => `${config.redis.keyPrefix}${key}`;
  const sizeOf = async (key: string) => plain.memory('USAGE', prefixed(key), 'SAMPLES', 0);
  await plain.flushall();
  const empty = await usedMemory(plain);

  const memberIds = await seedPendingRegistrations(redis, config, passwordHash, count);
  const withPending = await usedMemory(plain);
  const sample = memberIds[0]!;
  const pendingRegistration: MemoryFigure = {
    bytesEach: Math.round((withPending - empty) / count),
    count,
    sampleKeys: { pendingHash: await sizeOf(keys.pendingRegistration(sample)) },
  };

  const formalIds = await activateMembers(redis, config, memberIds);
  const withAccounts = await usedMemory(plain);
  const account: MemoryFigure = {
    bytesEach: Math.round((withAccounts - empty) / count),
    count,
    sampleKeys: {
      accountHash: await sizeOf(keys.account(sample)),
      ledger: await sizeOf(keys.memberLedger(sample)),
      formalIdIndex: await sizeOf(keys.formalIdIndex(formalIds[0]!)),
      // activateMembers marks the first member's activation under this call SID.
      activationStepMarker: await sizeOf(keys.callStep(sample, 'CAbenchseed0', 'activate')),
    },
  };

  const buyers = await seedBuyers(ctx, count);
  const beforeCodes = await usedMemory(plain);
  const codes = await seedPaymentCodes(ctx, count, CODE_AMOUNT, buyers);
  const withCodes = await usedMemory(plain);
  const codeKey = keys.paymentCode(codeHash(codes[0]!, config.hashPepper));
  const paymentCode: MemoryFigure = {
    bytesEach: Math.round((withCodes - beforeCodes) / count),
    count,
    sampleKeys: { codeHash: await sizeOf(codeKey), buyersLedgerAfter50Purchases: await sizeOf(keys.memberLedger(buyers[0]!)) },
  };

  const deps = { config, redis, now: Date.now };
  const { merchantId } = await createMerchant(deps, { name: 'Bench Memory Café' });
  const beforeRedemptions = await usedMemory(plain);
  for (let start = 0; start < codes.length; start += REDEEM_CONCURRENCY) {
    await Promise.all(codes.slice(start, start + REDEEM_CONCURRENCY).map((code) => redeemCode(deps, merchantId, { code, amount: CODE_AMOUNT }, { op: nanoid(22) })));
  }
  const withRedemptions = await usedMemory(plain);
  const redemption: MemoryFigure = {
    bytesEach: Math.round((withRedemptions - beforeRedemptions) / count),
    count,
    sampleKeys: {
      codeHashAfter: await sizeOf(codeKey),
      codeRedemptions: await sizeOf(keys.codeRedemptions(codeHash(codes[0]!, config.hashPepper))),
      merchantRedemptionsPerRedemption: Math.round(((await sizeOf(keys.merchantRedemptions(merchantId))) ?? 0) / count),
    },
  };

  await plain.flushall();
  return { pendingRegistration, account, paymentCode, redemption };
}
