/*
 * DUMP and RESTORE: payloads in Redis's format. Against the oracle: the same value DUMPs to the same
 * bytes wherever Redis's output is deterministic (everything but hashtable-encoded hashes and sets,
 * whose order is Redis's dict order), our payloads RESTORE in Redis and Redis's in tredis with equal
 * DEBUG DIGEST-VALUE and OBJECT ENCODING; RESTORE's options and errors as Redis 7.0.
 */

import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Pair } from './helpers/diff';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';

/** The payload of a raw bulk reply ("$n\r\n...\r\n"). */
function bulkOf(raw: string): string {
  const nl = raw.indexOf('\r\n');
  expect(raw[0], raw).toBe('$');
  return raw.slice(nl + 2, raw.length - 2);
}

const long = (n: number, unit = 'abcdefgh'): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const noisy = (n: number, seed: number): string => {
  let x = seed;
  let s = '';
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += String.fromCharCode(x >>> 24);
  }
  return s;
};

/** Values built by the same commands on both servers: [key, deterministic dump?, commands]. */
const FIXTURES: [string, boolean, string[][]][] = [
  ['str:int', true, [['SET', 'str:int', '12345']]],
  ['str:negint', true, [['SET', 'str:negint', '-70000']]],
  ['str:bigint', true, [['SET', 'str:bigint', '9223372036854775807']]],
  ['str:short', true, [['SET', 'str:short', 'hello']]],
  ['str:lzf', true, [['SET', 'str:lzf', long(500)]]],
  ['str:lzf2', true, [['SET', 'str:lzf2', `${long(40, 'xy')}${noisy(30, 1)}${long(100, 'hello world ')}`]]],
  ['str:noisy', true, [['SET', 'str:noisy', noisy(300, 7)]]],
  ['str:binary', true, [['SET', 'str:binary', '\x00\xff\r\n\x80bin']]],
  ['str:empty', true, [['SET', 'str:empty', '']]],
  ['str:append', true, [['SET', 'str:append', '1'], ['APPEND', 'str:append', '23']]],
  ['hash:lp', true, [['HSET', 'hash:lp', 'a', '1', 'b', 'hello', 'c', '-5000', 'd', long(60)]]],
  ['hash:ht', false, [['HSET', 'hash:ht', ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat()]]],
  ['hash:longval', false, [['HSET', 'hash:longval', 'f', long(100)]]],
  ['set:intset', true, [['SADD', 'set:intset', '5', '-3', '100000', '1']]],
  ['set:intset64', true, [['SADD', 'set:intset64', '1', '9223372036854775807', '-9223372036854775808']]],
  ['set:ht', false, [['SADD', 'set:ht', 'a', 'b', 'c', '1']]],
  ['zset:lp', true, [['ZADD', 'zset:lp', '1', 'a', '0.1', 'b', '-inf', 'c', '1e20', 'd', '3', 'e', '-0', 'f']]],
  ['zset:sl', true, [['ZADD', 'zset:sl', ...Array.from({ length: 200 }, (_, i) => [String(i * 1.5), `m${i}`]).flat()]]],
  ['zset:longmember', true, [['ZADD', 'zset:longmember', '1', long(100)]]],
  ['list:small', true, [['RPUSH', 'list:small', 'a', '1', '-1', '300', long(70)]]],
  ['list:lpush', true, [['LPUSH', 'list:lpush', 'x', 'y', 'z']]],
  ['list:big', true, [['RPUSH', 'list:big', ...Array.from({ length: 500 }, (_, i) => `element-${i}-${long(i % 90)}`)]]],
  ['list:ints', true, [['RPUSH', 'list:ints', ...Array.from({ length: 3000 }, (_, i) => String(i * 37 - 5000))]]],
];

async function build(pair: Pair): Promise<void> {
  for (const [, , cmds] of FIXTURES) {
    for (const c of cmds) {
      const [a, b] = await Promise.all([pair.ours.call(...c), pair.theirs.call(...c)]);
      expect(a).toBe(b);
    }
  }
}

describe.skipIf(!oracleAvailable)('DUMP/RESTORE vs Redis 7.0', () => {
  const d = useDifferential({ 'enable-debug-command': 'yes' });

  it('DUMP gives the same bytes as Redis for deterministic encodings', async () => {
    await build(d.pair);
    for (const [key, deterministic] of FIXTURES) {
      if (!deterministic) continue;
      await expectSame(d.pair, [['DUMP', key], ['OBJECT', 'ENCODING', key]]);
    }
    await expectSame(d.pair, [['DUMP', 'missing']]);
  });

  it('our payloads restore in Redis and Redis payloads in tredis (same digest and encoding)', async () => {
    await build(d.pair);
    for (const [key] of FIXTURES) {
      const ours = bulkOf(await d.pair.ours.call('DUMP', key));
      const theirs = bulkOf(await d.pair.theirs.call('DUMP', key));
      expect(await d.pair.theirs.call('RESTORE', `from-tredis:${key}`, '0', ours), key).toBe('+OK\r\n');
      expect(await d.pair.ours.call('RESTORE', `from-redis:${key}`, '0', theirs), key).toBe('+OK\r\n');
      const digest = await d.pair.theirs.call('DEBUG', 'DIGEST-VALUE', key);
      expect(await d.pair.theirs.call('DEBUG', 'DIGEST-VALUE', `from-tredis:${key}`), key).toBe(digest);
      expect(await d.pair.ours.call('DEBUG', 'DIGEST-VALUE', `from-redis:${key}`), key).toBe(digest);
      expect(await d.pair.ours.call('DEBUG', 'DIGEST-VALUE', key), key).toBe(digest);
      // what Redis makes of its own payload (APPEND's raw "123" comes back int-encoded, as in Redis)
      expect(await d.pair.theirs.call('RESTORE', `self:${key}`, '0', theirs), key).toBe('+OK\r\n');
      const enc = await d.pair.theirs.call('OBJECT', 'ENCODING', `self:${key}`);
      await d.pair.theirs.call('DEL', `self:${key}`);
      expect(await d.pair.theirs.call('OBJECT', 'ENCODING', `from-tredis:${key}`), key).toBe(enc);
      expect(await d.pair.ours.call('OBJECT', 'ENCODING', `from-redis:${key}`), key).toBe(enc);
    }
    await expectSame(d.pair, [['DBSIZE']]);
  });

  it("DEBUG OBJECT's serializedlength is Redis's", async () => {
    await build(d.pair);
    for (const [key] of FIXTURES) {
      const len = async (r: string): Promise<string> => /serializedlength:(\d+)/.exec(r)?.[1] ?? r;
      const [a, b] = await Promise.all([d.pair.ours.call('DEBUG', 'OBJECT', key), d.pair.theirs.call('DEBUG', 'OBJECT', key)]);
      expect(await len(a), key).toBe(await len(b));
    }
  });

  it('RESTORE options and errors as Redis', async () => {
    await expectSame(d.pair, [['SET', 'foo', 'bar']]);
    const payload = bulkOf(await d.pair.theirs.call('DUMP', 'foo'));
    const bad = payload.slice(0, -1) + String.fromCharCode(payload.charCodeAt(payload.length - 1) ^ 1);
    const newer = payload.slice(0, -10) + '\x0b\x00' + payload.slice(-8);
    await expectSame(d.pair, [
      ['RESTORE', 'k', '0', 'abc'],
      ['RESTORE', 'k', '0', bad],
      ['RESTORE', 'k', '0', newer],
      ['RESTORE', 'k', '-1', payload],
      ['RESTORE', 'k', 'x', payload],
      ['RESTORE', 'foo', '0', payload],
      ['RESTORE', 'foo', 'x', 'abc'],
      ['RESTORE', 'foo', '0', 'abc', 'foo'],
      ['RESTORE', 'k', '0', payload, 'IDLETIME', '-1'],
      ['RESTORE', 'k', '0', payload, 'IDLETIME', 'x'],
      ['RESTORE', 'k', '0', payload, 'FREQ', '256'],
      ['RESTORE', 'k', '0', payload, 'FREQ', '-1'],
      ['RESTORE', 'k', '0', payload, 'IDLETIME', '1', 'FREQ', '1'],
      ['RESTORE', 'k', '0', payload, 'FREQ', '1', 'IDLETIME', '1'],
      ['RESTORE', 'k', '0', payload, 'IDLETIME'],
      ['RESTORE', 'k', '0', payload, 'IDLETIME', '1000'],
      ['OBJECT', 'IDLETIME', 'k'],
      ['RESTORE', 'foo', '0', payload, 'REPLACE'],
      ['GET', 'foo'],
      ['RESTORE', 't', '100000', payload],
      ['EXISTS', 't'],
      ['RESTORE', 'abs', '1', payload, 'ABSTTL'],
      ['EXISTS', 'abs'],
      ['RESTORE', 'foo', '1', payload, 'ABSTTL', 'REPLACE'],
      ['EXISTS', 'foo'],
      ['RESTORE', 'bad', '0', '\x00\x03ba\n\x00' + payload.slice(-8)],
    ]);
    const pttl = Number((await d.pair.ours.call('PTTL', 't')).slice(1));
    expect(pttl).toBeGreaterThan(99_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
  });

  it('RESTORE FREQ sets the LFU counter under an LFU policy', async () => {
    await expectSame(d.pair, [['SET', 'foo', 'bar'], ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']]);
    try {
      const payload = bulkOf(await d.pair.theirs.call('DUMP', 'foo'));
      await expectSame(d.pair, [
        ['RESTORE', 'f', '0', payload, 'FREQ', '100'],
        ['OBJECT', 'FREQ', 'f'],
        ['RESTORE', 'g', '0', payload, 'IDLETIME', '100'],
        ['OBJECT', 'FREQ', 'g'],
      ]);
    } finally {
      await expectSame(d.pair, [['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']]);
    }
  });

  it('RESTORE with a corrupt body behind a valid checksum says Bad data format', async () => {
    const { crc64 } = await import('../src/persistence/rdb-format');
    const body = Buffer.from('\x10\x05\x01\x02\x03\x04\x05\n\x00', 'latin1');
    const payload = Buffer.concat([body, crc64(body)]);
    await expectSame(d.pair, [['RESTORE', 'k', '0', payload], ['EXISTS', 'k']]);
  });
});

describe('DUMP/RESTORE in tredis', () => {
  const t = useServer();

  it('round-trips every type through ioredis buffers, with TTL', async () => {
    const r: Redis = t.r;
    await r.set('s', 'v'.repeat(100));
    await r.hset('h', { a: '1', b: '2' });
    await r.sadd('st', 'x', 'y');
    await r.zadd('z', 1, 'a', 2, 'b');
    await r.rpush('l', 'a', 'b', 'c');
    for (const key of ['s', 'h', 'st', 'z', 'l']) {
      const p = await r.dumpBuffer(key);
      expect(await r.restore(`${key}2`, 5000, p)).toBe('OK');
      expect(await r.type(`${key}2`)).toBe(await r.type(key));
      const pttl = await r.pttl(`${key}2`);
      expect(pttl).toBeGreaterThan(4000);
    }
    expect(await r.get('s2')).toBe('v'.repeat(100));
    expect(await r.hgetall('h2')).toEqual({ a: '1', b: '2' });
    expect((await r.smembers('st2')).sort()).toEqual(['x', 'y']);
    expect(await r.zrange('z2', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    expect(await r.lrange('l2', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await r.dumpBuffer('nope')).toBeNull();
  });

  it('counts dirty and raises the restore keyspace event', async () => {
    const r: Redis = t.r;
    await r.config('SET', 'notify-keyspace-events', 'KEA');
    const sub = new Redis({ port: t.srv.port, host: '127.0.0.1' });
    const got: string[] = [];
    await sub.psubscribe('__keyevent@0__:*');
    sub.on('pmessage', (_p, ch, msg) => got.push(`${ch} ${msg}`));
    await r.set('a', '1');
    const p = await r.dumpBuffer('a');
    const before = t.srv.state.dirty;
    await r.restore('b', 0, p);
    expect(t.srv.state.dirty).toBe(before + 1);
    await r.ping();
    await new Promise((res) => setTimeout(res, 50));
    expect(got).toContain('__keyevent@0__:restore b');
    sub.disconnect();
    await r.config('SET', 'notify-keyspace-events', '');
  });
});
