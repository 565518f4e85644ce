/*
 * Hashes: the structure (types/hash.ts) on its own, the commands through ioredis and node-redis
 * (RESP3 reply types), and differential runs against the oracle for exact reply bytes, errors,
 * encodings and DEBUG DIGEST-VALUE.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';
import { expectSameUnordered } from './helpers/unordered';
import { HashValue } from '../src/types/hash';

describe('HashValue', () => {
  it('keeps insertion order while listpack, converts one way past the limits', () => {
    const h = new HashValue();
    for (const f of ['a', 'b', 'c', 'd']) h.set(f, f + '1', 4, 8);
    h.delete('b');
    expect(h.fields).toEqual(['a', 'c', 'd']);
    expect(h.encoding()).toBe('listpack');
    h.set('e', 'x', 4, 8);
    h.set('f', 'x', 4, 8);
    expect(h.encoding()).toBe('hashtable');
    h.delete('e');
    h.delete('f');
    expect(h.encoding()).toBe('hashtable');
    const g = new HashValue();
    g.set('k', '123456789', 10, 8);
    expect(g.encoding()).toBe('hashtable');
  });

  it('swap-removes once hashtable and keeps the index right', () => {
    const h = new HashValue();
    for (let i = 0; i < 100; i++) h.set(`f${i}`, `v${i}`, 10, 64);
    for (let i = 0; i < 100; i += 3) expect(h.delete(`f${i}`)).toBe(true);
    for (let i = 0; i < 100; i++) expect(h.get(`f${i}`)).toBe(i % 3 === 0 ? undefined : `v${i}`);
    expect(h.size).toBe(66);
    for (let i = 0; i < h.size; i++) expect(h.get(h.fields[i]!)).toBe(h.values[i]);
  });

  it('HSCAN-style walk returns every field present throughout, even while deleting', () => {
    const h = new HashValue();
    for (let i = 0; i < 500; i++) h.set(`f${i}`, 'v', 10, 64);
    const seen = new Set<string>();
    let cursor = 0;
    let round = 0;
    do {
      cursor = h.scan(cursor, 7, (i) => seen.add(h.fields[i]!));
      // delete some fields not in the "kept" group (odd ones), add new ones
      h.delete(`f${2 * round + 1}`);
      h.set(`new${round}`, 'v', 10, 64);
      round++;
    } while (cursor !== 0);
    for (let i = 0; i < 500; i += 2) expect(seen.has(`f${i}`)).toBe(true);
  });

  it('clone is deep', () => {
    const h = new HashValue();
    h.set('a', '1', 10, 64);
    const c = h.clone();
    c.set('a', '2', 10, 64);
    c.set('b', '3', 10, 64);
    expect(h.get('a')).toBe('1');
    expect(h.has('b')).toBe(false);
    expect(c.memoryUsage(0)).toBeGreaterThan(h.memoryUsage(0));
  });
});

describe('hash commands (ioredis)', () => {
  const t = useServer();

  it('HSET/HGET/HMGET/HGETALL/HDEL and empty keys vanish', async () => {
    const r = t.r;
    expect(await r.hset('h', 'a', '1', 'b', '2')).toBe(2);
    expect(await r.hset('h', 'a', '3', 'c', '4')).toBe(1);
    expect(await r.hget('h', 'a')).toBe('3');
    expect(await r.hmget('h', 'a', 'zz', 'c')).toEqual(['3', null, '4']);
    expect(await r.hgetall('h')).toEqual({ a: '3', b: '2', c: '4' });
    expect(await r.hkeys('h')).toEqual(['a', 'b', 'c']);
    expect(await r.hvals('h')).toEqual(['3', '2', '4']);
    expect(await r.hlen('h')).toBe(3);
    expect(await r.hstrlen('h', 'a')).toBe(1);
    expect(await r.hexists('h', 'b')).toBe(1);
    expect(await r.hdel('h', 'a', 'b', 'c', 'd')).toBe(3);
    expect(await r.exists('h')).toBe(0);
    expect(await r.hsetnx('h', 'x', '1')).toBe(1);
    expect(await r.hsetnx('h', 'x', '2')).toBe(0);
    expect(await r.hget('h', 'x')).toBe('1');
    await r.set('s', 'v');
    await expect(r.hget('s', 'a')).rejects.toThrow('WRONGTYPE');
    expect(await r.type('h')).toBe('hash');
  });

  it('binary-safe fields and values', async () => {
    const f = Buffer.from([0, 255, 13, 10]);
    const v = Buffer.from([1, 0, 200]);
    await t.r.hset('hb', f, v);
    expect(await t.r.hgetBuffer('hb', f)).toEqual(v);
  });

  it('HINCRBY is int64-exact, HINCRBYFLOAT matches long double printing', async () => {
    const r = t.r;
    expect(await r.hincrby('h', 'n', '9007199254740991')).toBe(9007199254740991);
    await r.hincrby('h', 'n', '2');
    expect(await r.hget('h', 'n')).toBe('9007199254740993');
    await expect(r.hincrby('h', 'n', '9223372036854775807')).rejects.toThrow('ERR increment or decrement would overflow');
    expect(await r.hincrbyfloat('h', 'f', '10000000000')).toBe('10000000000');
    // the long double sum, printed as Redis prints it (a double would give ...0.1)
    expect(await r.hincrbyfloat('h', 'f', '0.1')).toBe('10000000000.09999999962747097');
    expect(await r.hincrbyfloat('h', 'g', '1.5')).toBe('1.5');
    expect(await r.hincrbyfloat('h', 'g', '-1.5')).toBe('0');
  });

  it('HRANDFIELD counts: distinct, with repetition, whole hash', async () => {
    const r = t.r;
    const fields: string[] = [];
    for (let i = 0; i < 300; i++) fields.push(`f${i}`, `v${i}`);
    await r.hset('h', ...fields);
    const some = (await r.call('hrandfield', 'h', '50')) as string[];
    expect(new Set(some).size).toBe(50);
    const rep = (await r.call('hrandfield', 'h', '-1000')) as string[];
    expect(rep.length).toBe(1000);
    for (const f of rep) expect(f).toMatch(/^f\d+$/);
    const all = (await r.call('hrandfield', 'h', '1000', 'WITHVALUES')) as string[];
    expect(all.length).toBe(600);
    for (let i = 0; i < all.length; i += 2) expect(all[i + 1]).toBe('v' + all[i]!.slice(1));
    // almost all: O(count) still, and distinct
    const most = (await r.call('hrandfield', 'h', '299')) as string[];
    expect(new Set(most).size).toBe(299);
  });

  it('HSCAN walks a big hash completely', async () => {
    const r = t.r;
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(`f${i}`, String(i));
    await r.hset('h', ...args);
    expect(await r.object('ENCODING', 'h')).toBe('hashtable');
    const seen = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, items] = await r.hscan('h', cursor, 'COUNT', 50);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(seen.size).toBe(1000);
    expect(seen.get('f7')).toBe('7');
    expect(calls).toBeGreaterThan(10);
    const [, matched] = await r.hscan('h', '0', 'MATCH', 'f99*', 'COUNT', 10000);
    expect(matched.filter((_, i) => i % 2 === 0).sort()).toEqual(['f99', 'f990', 'f991', 'f992', 'f993', 'f994', 'f995', 'f996', 'f997', 'f998', 'f999']);
  });

  it('OBJECT ENCODING follows hash-max-listpack-* as CONFIG SET changes them', async () => {
    const r = t.r;
    await r.config('SET', 'hash-max-listpack-entries', '4');
    try {
      await r.hset('h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
      expect(await r.object('ENCODING', 'h')).toBe('listpack');
      await r.hset('h', 'e', '5');
      expect(await r.object('ENCODING', 'h')).toBe('hashtable');
    } finally {
      await r.config('SET', 'hash-max-listpack-entries', '512');
    }
  });

  it('COPY clones, MEMORY USAGE grows with the hash', async () => {
    const r = t.r;
    await r.hset('h', 'a', '1');
    const small = await r.memory('USAGE', 'h');
    await r.hset('h', 'b', 'x'.repeat(1000));
    expect(await r.memory('USAGE', 'h')).toBeGreaterThan(Number(small) + 1000);
    expect(await r.copy('h', 'h2')).toBe(1);
    await r.hset('h2', 'a', 'changed');
    expect(await r.hget('h', 'a')).toBe('1');
  });

  it('node-redis RESP3: HGETALL is a map, HRANDFIELD WITHVALUES pairs', async () => {
    const client = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      await client.hSet('h', { a: '1', b: '2' });
      const all = await client.hGetAll('h');
      expect({ ...all }).toEqual({ a: '1', b: '2' });
      const pairs = (await client.sendCommand(['HRANDFIELD', 'h', '2', 'WITHVALUES'])) as unknown as string[][];
      expect(pairs).toEqual([['a', '1'], ['b', '2']]);
    } finally {
      await client.quit();
    }
  });
});

describe.skipIf(!oracleAvailable)('hashes vs Redis (exact bytes)', () => {
  const d = useDifferential();
  /** switches both connections' protocol (HELLO's reply differs between servers, so not compared) */
  const resp = async (v: 2 | 3): Promise<void> => {
    await d.pair.ours.call('HELLO', String(v));
    await d.pair.theirs.call('HELLO', String(v));
  };
  const long = 'x'.repeat(65);

  const script: string[][] = [
    ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
    ['HSET', 'h', 'a', '10'],
    ['HGETALL', 'h'],
    ['HKEYS', 'h'],
    ['HVALS', 'h'],
    ['HMGET', 'h', 'a', 'nope', 'c'],
    ['HMGET', 'nokey', 'a'],
    ['HGET', 'h', 'b'],
    ['HGET', 'h', 'nope'],
    ['HGET', 'nokey', 'a'],
    ['HLEN', 'h'],
    ['HLEN', 'nokey'],
    ['HSTRLEN', 'h', 'a'],
    ['HSTRLEN', 'h', 'zz'],
    ['HEXISTS', 'h', 'a'],
    ['HEXISTS', 'nokey', 'a'],
    ['HDEL', 'h', 'b', 'b', 'x'],
    ['HGETALL', 'h'],
    ['HSETNX', 'h', 'a', '5'],
    ['HSETNX', 'h', 'new', '5'],
    ['HMSET', 'h', 'm', '1', 'n', '2'],
    ['HMSET', 'h', 'm'],
    ['HSET', 'h', 'm'],
    ['HSET', 'h', 'a', '1', 'b'],
    ['HGETALL', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
    ['HSET', 'h', 'long', long],
    ['OBJECT', 'ENCODING', 'h'],
    ['HSET', 'h2', 'a', '1'],
    ['HSETNX', 'h2', 'a', long],
    ['OBJECT', 'ENCODING', 'h2'],
    ['HINCRBYFLOAT', 'h3', long, '1'],
    ['OBJECT', 'ENCODING', 'h3'],
    ['HSET', 'h4', 'f', '1'],
    ['HINCRBYFLOAT', 'h4', 'f', '1e300'],
    ['OBJECT', 'ENCODING', 'h4'],
    ['HINCRBY', 'i', 'n', '5'],
    ['HINCRBY', 'i', 'n', '-10'],
    ['HINCRBY', 'i', 'n', 'x'],
    ['HINCRBY', 'i', 'n', '9223372036854775807'],
    ['HINCRBY', 'i', 'n', '-9223372036854775808'],
    ['HINCRBY', 'i', 'n', '-9223372036854775808'],
    ['HSET', 'i', 's', 'abc', 'z', '007', 'sp', ' 1', 'fl', '1.5'],
    ['HINCRBY', 'i', 's', '1'],
    ['HINCRBY', 'i', 'z', '1'],
    ['HINCRBY', 'i', 'sp', '1'],
    ['HINCRBY', 'i', 'fl', '1'],
    ['HINCRBYFLOAT', 'i', 'fl', '0.1'],
    ['HINCRBYFLOAT', 'i', 's', '1'],
    ['HINCRBYFLOAT', 'i', 'z', '1'],
    ['HINCRBYFLOAT', 'i', 'fl', 'inf'],
    ['HINCRBYFLOAT', 'i', 'fl', 'nan'],
    ['HINCRBYFLOAT', 'i', 'fl', 'abc'],
    ['HINCRBYFLOAT', 'i', 'r', '0x10'],
    ['HINCRBYFLOAT', 'i', 'r', '3.0e-2'],
    ['HGETALL', 'i'],
    // a 4931-digit value makes it a hashtable (unordered from here on)
    ['HINCRBYFLOAT', 'i', 'q', '1e4930'],
    ['HINCRBYFLOAT', 'i', 'q', '1e4930'],
    ['HINCRBYFLOAT', 'i', 'q', '-1e4930'],
    ['OBJECT', 'ENCODING', 'i'],
    ['HGET', 'i', 'q'],
    ['SET', 'str', 'v'],
    ['HSET', 'str', 'a', '1'],
    ['HGET', 'str', 'a'],
    ['HMGET', 'str', 'a'],
    ['HDEL', 'str', 'a'],
    ['HLEN', 'str'],
    ['HGETALL', 'str'],
    ['HINCRBY', 'str', 'a', '1'],
    ['HINCRBY', 'str', 'a', 'x'],
    ['HINCRBYFLOAT', 'str', 'a', '1'],
    ['HRANDFIELD', 'str'],
    ['HRANDFIELD', 'str', '1'],
    ['HRANDFIELD', 'str', 'x'],
    ['HSCAN', 'str', '0'],
    ['HSCAN', 'str', 'x'],
    ['HSETNX', 'str', 'a', '1'],
    ['HSTRLEN', 'str', 'a'],
    ['HEXISTS', 'str', 'a'],
  ];

  it('commands, errors and encodings (RESP2)', async () => {
    await expectSame(d.pair, script);
    await expectSameUnordered(d.pair, ['HGETALL', 'i'], 'pairs');
  });

  it('commands, errors and encodings (RESP3)', async () => {
    await resp(3);
    await expectSame(d.pair, script);
    await expectSameUnordered(d.pair, ['HGETALL', 'i'], 'pairs');
    await resp(2);
  });

  const randfield: string[][] = [
    ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
    ['HRANDFIELD', 'h', '3'],
    ['HRANDFIELD', 'h', '5', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '9223372036854775807'],
    ['HRANDFIELD', 'h', '0'],
    ['HRANDFIELD', 'h', '0', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '-9223372036854775808'],
    ['HRANDFIELD', 'h', '-9223372036854775807', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
    ['HRANDFIELD', 'h', '1', 'WITHVALUE'],
    ['HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'],
    ['HRANDFIELD', 'h', 'x', 'WITHVALUE'],
    ['HRANDFIELD', 'h', '1.5'],
    ['HRANDFIELD', 'nokey'],
    ['HRANDFIELD', 'nokey', '5'],
    ['HRANDFIELD', 'nokey', '-5', 'WITHVALUES'],
    ['HSET', 'one', 'f', 'v'],
    ['HRANDFIELD', 'one'],
    ['HRANDFIELD', 'one', '-3'],
    ['HRANDFIELD', 'one', '-3', 'WITHVALUES'],
    ['HSCAN', 'h', '0'],
    ['HSCAN', 'h', '0', 'MATCH', '[ab]'],
    ['HSCAN', 'h', '123', 'COUNT', '1'],
    ['HSCAN', 'h', '0', 'COUNT', '0'],
    ['HSCAN', 'h', '0', 'COUNT', 'x'],
    ['HSCAN', 'h', '0', 'MATCH'],
    ['HSCAN', 'h', '0', 'TYPE', 'hash'],
    ['HSCAN', 'h', '0', 'FOO', 'bar'],
    ['HSCAN', 'h', '-1'],
    ['HSCAN', 'h', '18446744073709551616'],
    ['HSCAN', 'h', 'abc'],
    ['HSCAN', 'nokey', '0'],
    ['HSCAN', 'nokey', '0', 'FOO'],
    ['HSCAN', 'nokey', 'x'],
  ];

  it('HRANDFIELD / HSCAN deterministic cases (RESP2 and RESP3)', async () => {
    await expectSame(d.pair, randfield);
    await d.pair.ours.call('DEL', 'h', 'one');
    await d.pair.theirs.call('DEL', 'h', 'one');
    await resp(3);
    await expectSame(d.pair, randfield);
    await resp(2);
  });

  it('DEBUG DIGEST-VALUE and OBJECT ENCODING match for small and large hashes', async () => {
    const cmds: string[][] = [['HSET', 'small', 'a', '1', 'b', 'two', '', 'empty', '\x00\xff', '\r\n']];
    const big: string[] = ['HSET', 'big'];
    for (let i = 0; i < 700; i++) big.push(`field:${i}`, String(i * 7));
    cmds.push(big);
    cmds.push(['HDEL', 'big', 'field:3', 'field:500']);
    cmds.push(['DEBUG', 'DIGEST-VALUE', 'small', 'big', 'nokey']);
    cmds.push(['OBJECT', 'ENCODING', 'small'], ['OBJECT', 'ENCODING', 'big'], ['HLEN', 'big'], ['DEBUG', 'DIGEST']);
    await expectSame(d.pair, cmds);
  });

  it('a large hash keeps its values right through many deletes', async () => {
    const cmds: string[][] = [];
    for (let i = 0; i < 600; i++) cmds.push(['HSET', 'h', `f${i}`, `v${i}`]);
    for (let i = 0; i < 600; i += 7) cmds.push(['HDEL', 'h', `f${i}`]);
    for (let i = 0; i < 600; i += 11) cmds.push(['HGET', 'h', `f${i}`], ['HSTRLEN', 'h', `f${i}`]);
    cmds.push(['HLEN', 'h'], ['DEBUG', 'DIGEST-VALUE', 'h']);
    await expectSame(d.pair, cmds);
  });
});
