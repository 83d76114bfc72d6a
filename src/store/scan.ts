import { Cluster } from 'ioredis';
import type { RedisClient } from './redis.ts';

/**
 * Every key matching `pattern` (without the client's key prefix), a SCAN batch at a time: SCAN
 * with a cursor on each master (on Redis Cluster a SCAN sees one node only), never KEYS. The
 * keys come back without the prefix, ready for the client's own commands.
 */
export async function* scanEachMaster(redis: RedisClient, pattern: string, count = 500): AsyncGenerator<string[]> {
  const prefix = (redis.options as { keyPrefix?: string }).keyPrefix ?? '';
  if (redis instanceof Cluster && redis.status !== 'ready') {
    // The slot table is loaded on connect; before it is, nodes('master') is empty.
    await new Promise((resolve, reject) => redis.once('ready', resolve).once('error', reject));
  }
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', count);
      cursor = next;
      if (found.length) yield found.map((key) => key.slice(prefix.length));
    } while (cursor !== '0');
  }
}
