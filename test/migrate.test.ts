/*
 * MIGRATE both ways with real Redis 7.0: tredis moves keys of every type (with TTLs) into a real
 * redis-server and the reverse, COPY, REPLACE, KEYS, AUTH/AUTH2, and the errors Redis gives.
 */
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

describe.skipIf(!oracleAvailable)('MIGRATE between tredis and real Redis', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  let t: Redis;
  let o: Redis;
  beforeAll(async () => {
    srv = await startTestServer({ 'enable-debug-command': 'yes' });
    oracle = await startOracle(['--enable-debug-command', 'yes']);
    t = new Redis(srv.port, '127.0.0.1');
    o = new Redis(oracle.port, '127.0.0.1');
  });
  afterAll(async () => {
    t.disconnect();
    o.disconnect();
    await srv.close();
    await oracle.close();
  });

  async function fill(r: Redis): Promise<void> {
    await r.flushall();
    await r.set('s', 'v', 'PX', 100000);
    await r.rpush('l', 'a', 'b');
    await r.hset('h', 'f', 'v');
    await r.sadd('set', '1', '2');
    await r.zadd('z', 1, 'm');
    await r.xadd('x', '1-1', 'f', 'v');
  }

  for (const [from, to] of [['tredis', 'redis'], ['redis', 'tredis']] as const) {
    it(`moves keys from ${from} to ${to}: values and TTLs arrive, sources are deleted unless COPY`, async () => {
      const src = from === 'tredis' ? t : o;
      const dst = to === 'tredis' ? t : o;
      const dstPort = to === 'tredis' ? srv.port : oracle.port;
      await dst.flushall();
      await fill(src);
      const digests: Record<string, string> = {};
      for (const k of ['s', 'l', 'h', 'set', 'z', 'x']) digests[k] = (await src.call('DEBUG', 'DIGEST-VALUE', k)) as string;
      expect(await src.migrate('127.0.0.1', dstPort, 's', 0, 1000)).toBe('OK');
      expect(await src.exists('s')).toBe(0);
      expect(await dst.pttl('s')).toBeGreaterThan(90000);
      expect(await src.migrate('127.0.0.1', dstPort, '', 2, 1000, 'COPY', 'KEYS', 'l', 'h', 'set', 'z', 'x', 'missing')).toBe('OK');
      expect(await src.exists('l', 'h', 'set', 'z', 'x')).toBe(5);
      await dst.select(2);
      for (const k of ['l', 'h', 'set', 'z', 'x']) expect(await dst.call('DEBUG', 'DIGEST-VALUE', k)).toEqual(digests[k]);
      await dst.select(0);
      // the key exists there now
      await src.set('s', 'again');
      await expect(src.migrate('127.0.0.1', dstPort, 's', 0, 1000)).rejects.toThrow('ERR Target instance replied with error: BUSYKEY Target key name already exists.');
      expect(await src.migrate('127.0.0.1', dstPort, 's', 0, 1000, 'REPLACE')).toBe('OK');
      expect(await dst.get('s')).toBe('again');
      expect(await src.migrate('127.0.0.1', dstPort, 'nothing', 0, 1000)).toBe('NOKEY');
    });
  }

  it('runs inside MULTI/EXEC and from a script, the server waiting for the target as Redis does', async () => {
    await t.flushall();
    await o.flushall();
    await t.set('m1', 'one');
    await t.set('m2', 'two');
    await t.set('m3', 'three');
    // the command after MIGRATE in the transaction sees the key gone
    const res = await t.multi().migrate('127.0.0.1', oracle.port, 'm1', 0, 1000).exists('m1').exec();
    expect(res).toEqual([[null, 'OK'], [null, 0]]);
    expect(await o.get('m1')).toBe('one');
    expect(await t.eval("return redis.call('MIGRATE', ARGV[1], ARGV[2], '', 0, 1000, 'KEYS', 'm2', 'm3')", 0, '127.0.0.1', String(oracle.port))).toBe('OK');
    expect(await o.mget('m2', 'm3')).toEqual(['two', 'three']);
    expect(await t.exists('m2', 'm3')).toBe(0);
    // errors are the same as outside: the target's, and an unreachable target's
    await t.set('m1', 'again');
    const busy = await t.multi().migrate('127.0.0.1', oracle.port, 'm1', 0, 1000).exec();
    expect(String(busy![0]![0])).toContain('ERR Target instance replied with error: BUSYKEY Target key name already exists.');
    expect(await t.get('m1')).toBe('again');
    const down = await t.multi().migrate('127.0.0.1', 1, 'm1', 0, 200).exec();
    expect(String(down![0]![0])).toMatch(/IOERR error or timeout/);
  });

  it('authenticates with AUTH and AUTH2, and answers errors as Redis', async () => {
    await o.config('SET', 'requirepass', 'secret');
    try {
      await t.set('a', '1');
      await expect(t.migrate('127.0.0.1', oracle.port, 'a', 0, 1000)).rejects.toThrow('ERR Target instance replied with error: NOAUTH Authentication required.');
      expect(await t.exists('a')).toBe(1);
      expect(await t.migrate('127.0.0.1', oracle.port, 'a', 0, 1000, 'AUTH', 'secret')).toBe('OK');
      await t.set('b', '1');
      expect(await t.migrate('127.0.0.1', oracle.port, 'b', 0, 1000, 'AUTH2', 'default', 'secret')).toBe('OK');
    } finally {
      await o.call('AUTH', 'secret').catch(() => undefined);
      await o.config('SET', 'requirepass', '');
    }
    await expect(t.call('MIGRATE', '127.0.0.1', '1', 'k', '0', 'abc')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(t.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '10', 'KEYS', 'a')).rejects.toThrow('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
    await expect(t.call('MIGRATE', '127.0.0.1', '1', '', '0', '10', 'foo')).rejects.toThrow('ERR syntax error');
    await t.set('k', 'v');
    await expect(t.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '100')).rejects.toThrow('IOERR error or timeout writing to target instance');
    expect(await t.get('k')).toBe('v');
  });
});
