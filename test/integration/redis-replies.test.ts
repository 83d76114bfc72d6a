import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, type RedisClient } from '../../src/store/redis.ts';
import { testConfig } from '../support/harness.ts';

/** Counts the socket's writes to the kernel (one per write or per coalesced writev); returns the undo. */
function countWrites(socket: Redis['stream'], onWrite: () => void): () => void {
  const { _write: write, _writev: writev } = socket;
  socket._write = (...args) => {
    onWrite();
    write.apply(socket, args);
  };
  if (writev)
    socket._writev = (...args) => {
      onWrite();
      writev.apply(socket, args);
    };
  return () => {
    socket._write = write;
    socket._writev = writev;
  };
}

/**
 * ioredis 6 speaks RESP3 by default (HELLO 3), where Redis answers HGETALL with a map, ZRANGE
 * WITHSCORES with [member, score] pairs and a script's Lua `true` with a boolean. The code reads
 * the RESP2 shapes, which ioredis keeps under its default reply mapping ("legacy"); this pins
 * each shape the code relies on, against the app's own client and a real Redis.
 */
describe('the Redis replies the code relies on, over the app client (RESP3 by default)', () => {
  let redis: RedisClient;
  const prefix = `t${randomBytes(6).toString('hex')}:`;
  // One hash tag for every key: MULTI, pipelines and DEL stay in one slot on Redis Cluster too.
  before(async () => {
    redis = createRedisClient(testConfig(), { keyPrefix: prefix });
    await redis.hset('{r}h', 'a', '1', 'b', '2');
    await redis.zadd('{r}z', 1.5, 'm1', 2, 'm2');
  });
  after(async () => {
    await redis.del('{r}h', '{r}z', '{r}n', '{r}batch');
    redis.disconnect();
  });

  it('the connection really is RESP3', async () => {
    const client = 'nodes' in redis ? undefined : redis;
    if (client) expect(String(await client.client('INFO'))).to.match(/\bresp=3\b/);
  });

  it('HGETALL is a plain object ({} for a missing key); HMGET an array with null for a missing field', async () => {
    expect(await redis.hgetall('{r}h')).to.deep.equal({ a: '1', b: '2' });
    expect(await redis.hgetall('{r}missing')).to.deep.equal({});
    expect(await redis.hmget('{r}h', 'a', 'x')).to.deep.equal(['1', null]);
  });

  it('ZRANGE and ZRANGEBYSCORE WITHSCORES are flat [member, score, …] lists with scores as strings', async () => {
    expect(await redis.zrange('{r}z', 0, '-1', 'WITHSCORES')).to.deep.equal(['m1', '1.5', 'm2', '2']);
    expect(await redis.zrangebyscore('{r}z', '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 5)).to.deep.equal(['m1', '1.5', 'm2', '2']);
  });

  it('MULTI and pipelines answer [error, reply] pairs in the same shapes', async () => {
    expect(await redis.multi().hgetall('{r}h').incr('{r}n').zrange('{r}z', 0, '0', 'WITHSCORES').exec()).to.deep.equal([
      [null, { a: '1', b: '2' }],
      [null, 1],
      [null, ['m1', '1.5']],
    ]);
    expect(await redis.pipeline().hgetall('{r}h').exec()).to.deep.equal([[null, { a: '1', b: '2' }]]);
  });

  it('a script answers nested arrays as arrays, Lua true as 1, false and nil as null, {ok=…} as its text', async () => {
    expect(await redis.eval("return {1, 'a', {2, 'b'}, redis.call('HGETALL', KEYS[1])}", 1, '{r}h')).to.deep.equal([1, 'a', [2, 'b'], ['a', '1', 'b', '2']]);
    expect(await redis.eval('return true', 0)).to.equal(1);
    expect(await redis.eval('return false', 0)).to.equal(null);
    expect(await redis.eval('return nil', 0)).to.equal(null);
    expect(await redis.eval("return {ok='done'}", 0)).to.equal('done');
  });

  it('commands sent in one event-loop turn leave in one socket write, and each gets its own reply in order', async () => {
    await redis.hget('{r}batch', 'warm'); // connected, and on a cluster the slot's master known
    // On a cluster, nodes the client never connected to (replicas it reads nothing from) have no socket yet.
    const sockets = ('nodes' in redis ? redis.nodes('all') : [redis]).flatMap((node) => (node.stream ? [node.stream] : []));
    let writes = 0;
    const restore = sockets.map((socket) => countWrites(socket, () => (writes += 1)));
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => redis.hincrby('{r}batch', 'n', 1)));
      expect(replies).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(writes, 'socket writes for 20 commands issued in one turn').to.equal(1);
    } finally {
      for (const undo of restore) undo();
    }
  });
});
