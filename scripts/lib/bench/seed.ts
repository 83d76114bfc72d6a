import type { Config } from '../../../src/config.ts';
import { formalIds, provisionalIds } from '../../../src/identifiers/ids.ts';
import { keys } from '../../../src/store/keys.ts';
import { chargeCall } from '../../../src/accounts/ledger.ts';
import type { RedisClient } from '../../../src/store/redis.ts';

const BATCH = 1000;

export const BENCH_MEMBER = { name: 'Hanako Yamada', email: 'hanako.yamada@example.com', locale: 'ja-JP' } as const;
export const BENCH_CALLER = '+819012345678';

/**
 * Stores `count` pending registrations the way registerMember does (same Lua script, same
 * fields), pipelined; every one shares one password hash so seeding costs no scrypt per row.
 */
export async function seedPendingRegistrations(redis: RedisClient, config: Config, passwordHash: string, count: number): Promise<string[]> {
  const stored: string[] = [];
  const createdAt = Date.now();
  while (stored.length < count) {
    const batch = Array.from({ length: Math.min(BATCH, count - stored.length) }, () => provisionalIds.generate());
    const pipeline = redis.pipeline();
    for (const id of batch) {
      pipeline.dpCreatePendingRegistration(
        keys.pendingRegistration(id),
        keys.account(id),
        config.pendingRegistrationTtlSeconds,
        'name', BENCH_MEMBER.name,
        'email', BENCH_MEMBER.email,
        'locale', BENCH_MEMBER.locale,
        'passwordHash', passwordHash,
        'createdAt', createdAt,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    // A taken ID (-3) is simply not kept; the loop makes up the shortfall.
    batch.forEach((id, i) => {
      const [error, code] = results[i] ?? [new Error('no reply')];
      if (error) throw error;
      if (code === 1) stored.push(id);
    });
  }
  return stored;
}

/**
 * Activates pending registrations the way claimProvisionalId does (formal-ID reservation with
 * SET NX, then the claim Lua script), pipelined. Returns the formal IDs, in order.
 */
export async function activateMembers(redis: RedisClient, config: Config, memberIds: string[]): Promise<string[]> {
  const formalIdsIssued: string[] = [];
  for (let start = 0; start < memberIds.length; start += BATCH) {
    const batch = memberIds.slice(start, start + BATCH);
    const reserved = await reserveFormalIds(redis, batch);
    const now = Date.now();
    const pipeline = redis.pipeline();
    batch.forEach((memberId, i) => {
      const callSid = `CAbenchseed${start + i}`;
      const charge = chargeCall(config, now, { memberId, kind: 'activation', step: 'activate', callSid, from: BENCH_CALLER, amount: config.activationCharge, cap: 'none' });
      pipeline.dpClaimProvisionalId(...charge.keys, keys.pendingRegistration(memberId), keys.account(memberId), ...charge.argv, reserved[i]!, config.accessPeriodDays * 86_400_000);
    });
    const results = (await pipeline.exec()) ?? [];
    for (const [error, reply] of results) {
      if (error) throw error;
      if ((reply as [number])[0] !== 1) throw new Error(`bench: seeding an account failed with ${JSON.stringify(reply)}`);
    }
    formalIdsIssued.push(...reserved);
  }
  return formalIdsIssued;
}

async function reserveFormalIds(redis: RedisClient, memberIds: string[]): Promise<string[]> {
  const reserved: (string | undefined)[] = memberIds.map(() => undefined);
  for (let attempt = 0; attempt < 10 && reserved.some((id) => id === undefined); attempt++) {
    const pipeline = redis.pipeline();
    const tried = memberIds.map((memberId, i) => {
      if (reserved[i] !== undefined) return undefined;
      const formalId = formalIds.generate();
      pipeline.set(keys.formalIdIndex(formalId), memberId, 'NX');
      return formalId;
    });
    const results = (await pipeline.exec()) ?? [];
    let next = 0;
    tried.forEach((formalId, i) => {
      if (formalId === undefined) return;
      const [error, reply] = results[next++] ?? [new Error('no reply')];
      if (error) throw error;
      if (reply === 'OK') reserved[i] = formalId;
    });
  }
  if (reserved.some((id) => id === undefined)) throw new Error('bench: could not reserve unique formal IDs');
  return reserved as string[];
}
