/*
 * Sets: the structure (types/set.ts) on its own, the commands through ioredis and node-redis
 * (RESP3 reply types), properties of the random commands (SPOP, SRANDMEMBER), and differential runs
 * against the oracle: exact bytes where Redis's order is deterministic (intsets are sorted), sorted
 * comparisons where it is not, encodings and DEBUG DIGEST-VALUE.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';
import { expectSameUnordered } from './helpers/unordered';
import { compareIntText, isInt64Text, SetValue } from '../src/types/set';

describe('SetValue', () => {
  it('recognizes int64 texts as Redis string2ll does', () => {
    for (const s of ['0', '-1', '9223372036854775807', '-9223372036854775808', '123']) expect(isInt64Text(s), s).toBe(true);
    for (const s of ['', '-', '-0', '007', '+1', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '1.0', '1e3', '99999999999999999999'])
      expect(isInt64Text(s), s).toBe(false);
  });

  it('orders integer texts numerically', () => {
    const xs = ['10', '-5', '9', '-10', '0', '9223372036854775807', '-9223372036854775808', '100'];
    expect(xs.slice().sort(compareIntText)).toEqual(['-9223372036854775808', '-10', '-5', '0', '9', '10', '100', '9223372036854775807']);
  });

  it('stays a sorted intset, converts one way', () => {
    const s = new SetValue();
    for (const m of ['5', '-3', '100', '7', '5']) s.add(m, 10);
    expect(s.members).toEqual(['-3', '5', '7', '100']);
    expect(s.encoding()).toBe('intset');
    s.delete('7');
    expect(s.members).toEqual(['-3', '5', '100']);
    s.add('x', 10);
    expect(s.encoding()).toBe('hashtable');
    s.delete('x');
    expect(s.encoding()).toBe('hashtable');
    const big = new SetValue();
    for (let i = 0; i < 5; i++) big.add(String(i), 4);
    expect(big.encoding()).toBe('hashtable');
    expect(SetValue.from(['3', '1', '2'], 4).members).toEqual(['1', '2', '3']);
    expect(SetValue.from(['3', '1', '2'], 2).encoding()).toBe('hashtable');
  });

  it('keeps membership right through swap-removes', () => {
    const s = new SetValue();
    for (let i = 0; i < 1000; i++) s.add(`m${i}`, 512);
    for (let i = 0; i < 1000; i += 3) expect(s.delete(`m${i}`)).toBe(true);
    expect(s.size).toBe(666);
    for (let i = 0; i < 1000; i++) expect(s.has(`m${i}`)).toBe(i % 3 !== 0);
    for (let n = 0; n < 100; n++) {
      const m = s.deleteSlot(s.randomSlot());
      expect(s.has(m)).toBe(false);
    }
    expect(new Set(s.members).size).toBe(566);
    for (const m of s.members) expect(s.has(m)).toBe(true);
  });

  it('SSCAN-style walk returns every member present throughout, even while deleting', () => {
    const s = new SetValue();
    for (let i = 0; i < 500; i++) s.add(`m${i}`, 512);
    const seen = new Set<string>();
    let cursor = 0;
    let round = 0;
    do {
      cursor = s.scan(cursor, 9, (m) => seen.add(m));
      s.delete(`m${2 * round + 1}`);
      s.add(`new${round}`, 512);
      round++;
    } while (cursor !== 0);
    for (let i = 0; i < 500; i += 2) expect(seen.has(`m${i}`)).toBe(true);
  });
});

describe('set commands (ioredis)', () => {
  const t = useServer();

  it('SADD/SREM/SCARD/SISMEMBER/SMISMEMBER/SMEMBERS; empty sets vanish', async () => {
    const r = t.r;
    expect(await r.sadd('s', 'a', 'b', 'c', 'a')).toBe(3);
    expect(await r.scard('s')).toBe(3);
    expect(await r.sismember('s', 'b')).toBe(1);
    expect(await r.smismember('s', 'a', 'x', 'c')).toEqual([1, 0, 1]);
    expect((await r.smembers('s')).sort()).toEqual(['a', 'b', 'c']);
    expect(await r.srem('s', 'a', 'b', 'c', 'd')).toBe(3);
    expect(await r.exists('s')).toBe(0);
    expect(await r.type('s')).toBe('none');
    await r.sadd('n', '3', '1', '2');
    expect(await r.smembers('n')).toEqual(['1', '2', '3']);
    expect(await r.type('n')).toBe('set');
  });

  it('SPOP: count pops distinct members, removes them, deletes the emptied key', async () => {
    const r = t.r;
    const members: string[] = [];
    for (let i = 0; i < 1000; i++) members.push(`m${i}`);
    await r.sadd('s', ...members);
    const popped = await r.spop('s', 100);
    expect(new Set(popped).size).toBe(100);
    expect(await r.scard('s')).toBe(900);
    for (const m of popped) expect(await r.sismember('s', m)).toBe(0);
    // the "keep the rest" path (count * 5 > size)
    const most = await r.spop('s', 800);
    expect(new Set(most).size).toBe(800);
    expect(await r.scard('s')).toBe(100);
    const rest = await r.smembers('s');
    expect(new Set([...popped, ...most, ...rest]).size).toBe(1000);
    const one = await r.spop('s');
    expect(one).toMatch(/^m\d+$/);
    expect((await r.spop('s', 1000)).length).toBe(99);
    expect(await r.exists('s')).toBe(0);
    expect(await r.spop('s')).toBeNull();
  });

  it('SPOP of most of an all-integer hashtable set rebuilds it as an intset, as Redis does', async () => {
    const r = t.r;
    const ints: string[] = [];
    for (let i = 0; i < 600; i++) ints.push(String(i));
    await r.sadd('s', ...ints);
    expect(await r.object('ENCODING', 's')).toBe('hashtable');
    await r.spop('s', 550);
    expect(await r.object('ENCODING', 's')).toBe('intset');
    const left = await r.smembers('s');
    expect(left).toEqual(left.slice().sort((a, b) => Number(a) - Number(b)));
  });

  it('SRANDMEMBER: positive counts distinct, negative counts may repeat, nothing is removed', async () => {
    const r = t.r;
    const members: string[] = [];
    for (let i = 0; i < 200; i++) members.push(`m${i}`);
    await r.sadd('s', ...members);
    const some = (await r.srandmember('s', 150)) as string[];
    expect(new Set(some).size).toBe(150);
    const rep = (await r.srandmember('s', -1000)) as string[];
    expect(rep.length).toBe(1000);
    expect(new Set(rep).size).toBeLessThan(200 + 1);
    expect(new Set(rep).size).toBeGreaterThan(100); // 1000 draws from 200 hit most of them
    const all = (await r.srandmember('s', 500)) as string[];
    expect(all.sort()).toEqual(members.slice().sort());
    expect(await r.scard('s')).toBe(200);
    // roughly uniform: each of 4 members drawn about 1/4 of 8000 times
    await r.sadd('u', 'a', 'b', 'c', 'd');
    const draws = (await r.srandmember('u', -8000)) as string[];
    const freq = new Map<string, number>();
    for (const x of draws) freq.set(x, (freq.get(x) ?? 0) + 1);
    for (const x of ['a', 'b', 'c', 'd']) expect(Math.abs(freq.get(x)! - 2000)).toBeLessThan(300);
  });

  it('SPOP and SRANDMEMBER on a million members take time per element, not per set', async () => {
    const state = t.srv.state;
    const { SetValue: SV } = await import('../src/types/set');
    const big = new SV();
    for (let i = 0; i < 1_000_000; i++) big.add(`m${i}`, 512);
    state.dbs[0]!.add('big', big);
    const r = t.r;
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) await r.srandmember('big', 10);
    for (let i = 0; i < 200; i++) await r.spop('big', 10);
    const elapsed = performance.now() - t0;
    expect(await r.scard('big')).toBe(1_000_000 - 2000);
    expect(elapsed).toBeLessThan(2000);
  });

  it('SMOVE moves, creates, deletes the emptied source', async () => {
    const r = t.r;
    await r.sadd('a', 'x', 'y');
    expect(await r.smove('a', 'b', 'x')).toBe(1);
    expect(await r.smove('a', 'b', 'nope')).toBe(0);
    expect(await r.smove('a', 'a', 'y')).toBe(1);
    expect(await r.smove('a', 'b', 'y')).toBe(1);
    expect(await r.exists('a')).toBe(0);
    expect((await r.smembers('b')).sort()).toEqual(['x', 'y']);
  });

  it('SSCAN walks a big set completely; intsets come whole in one call', async () => {
    const r = t.r;
    const members: string[] = [];
    for (let i = 0; i < 1000; i++) members.push(`m${i}`);
    await r.sadd('s', ...members);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, items] = await r.sscan('s', cursor, 'COUNT', 37);
      for (const m of items) seen.add(m);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.size).toBe(1000);
    await r.sadd('i', '3', '1', '2');
    expect(await r.sscan('i', '0', 'COUNT', 1)).toEqual(['0', ['1', '2', '3']]);
  });

  it('COPY clones, MEMORY USAGE grows, DEBUG OBJECT reports the encoding', async () => {
    const r = t.r;
    await r.sadd('s', '1', '2');
    expect(await r.copy('s', 's2')).toBe(1);
    await r.sadd('s2', 'x');
    expect(await r.object('ENCODING', 's')).toBe('intset');
    expect(await r.object('ENCODING', 's2')).toBe('hashtable');
    const before = Number(await r.memory('USAGE', 's2'));
    await r.sadd('s2', 'y'.repeat(2000));
    expect(Number(await r.memory('USAGE', 's2'))).toBeGreaterThan(before + 2000);
  });

  it('node-redis RESP3: SMEMBERS is a set, SMISMEMBER integers, SRANDMEMBER an array', async () => {
    const client = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      await client.sAdd('s', ['1', '2', '3']);
      const members = await client.sMembers('s');
      expect([...members].sort()).toEqual(['1', '2', '3']);
      expect(await client.smIsMember('s', ['1', '9'])).toEqual([1, 0]);
      const some = (await client.sendCommand(['SRANDMEMBER', 's', '5'])) as unknown as string[];
      expect(some).toEqual(['1', '2', '3']);
    } finally {
      await client.quit();
    }
  });
});

describe.skipIf(!oracleAvailable)('sets vs Redis (exact bytes)', () => {
  const d = useDifferential();
  const resp = async (v: 2 | 3): Promise<void> => {
    await d.pair.ours.call('HELLO', String(v));
    await d.pair.theirs.call('HELLO', String(v));
  };

  // every reply here is deterministic in Redis (intsets sorted, single members, counts, errors)
  const script: string[][] = [
    ['SADD', 'i', '5', '-3', '100', '7', '5', '0'],
    ['SMEMBERS', 'i'],
    ['OBJECT', 'ENCODING', 'i'],
    ['SCARD', 'i'],
    ['SCARD', 'nokey'],
    ['SISMEMBER', 'i', '7'],
    ['SISMEMBER', 'i', '07'],
    ['SISMEMBER', 'nokey', '7'],
    ['SMISMEMBER', 'i', '7', '8', '-3'],
    ['SMISMEMBER', 'nokey', '7'],
    ['SREM', 'i', '7', '8'],
    ['SREM', 'nokey', '7'],
    ['SMEMBERS', 'i'],
    ['SMEMBERS', 'nokey'],
    ['SADD', 'j', '9223372036854775807', '-9223372036854775808', '1'],
    ['OBJECT', 'ENCODING', 'j'],
    ['SMEMBERS', 'j'],
    ['SADD', 'k', '9223372036854775808'],
    ['OBJECT', 'ENCODING', 'k'],
    ['SADD', 'l', '007'],
    ['OBJECT', 'ENCODING', 'l'],
    ['SADD', 'm', '-0'],
    ['OBJECT', 'ENCODING', 'm'],
    ['SADD', 'n', '1', 'a'],
    ['OBJECT', 'ENCODING', 'n'],
    ['SREM', 'n', 'a'],
    ['OBJECT', 'ENCODING', 'n'],
    ['SINTER', 'i', 'j'],
    ['SINTER', 'i', 'nokey'],
    ['SINTER', 'nokey', 'i'],
    ['SINTER', 'i'],
    ['SINTER', 'i', 'i'],
    ['SUNION', 'i', 'j'],
    ['SUNION', 'i', 'nokey'],
    ['SUNION', 'nokey'],
    ['SDIFF', 'i', 'j'],
    ['SDIFF', 'i', 'i'],
    ['SDIFF', 'nokey', 'i'],
    ['SDIFF', 'i', 'nokey'],
    ['SINTERCARD', '2', 'i', 'j'],
    ['SINTERCARD', '1', 'i'],
    ['SINTERCARD', '1', 'i', 'LIMIT', '2'],
    ['SINTERCARD', '1', 'i', 'LIMIT', '0'],
    ['SINTERCARD', '1', 'i', 'LIMIT', '1', 'LIMIT', '3'],
    ['SINTERCARD', '1', 'i', 'LIMIT'],
    ['SINTERCARD', '1', 'i', 'LIMIT', '-1'],
    ['SINTERCARD', '1', 'i', 'LIMIT', 'x'],
    ['SINTERCARD', '1', 'i', 'FOO'],
    ['SINTERCARD', '0', 'i'],
    ['SINTERCARD', '-1', 'i'],
    ['SINTERCARD', 'x', 'i'],
    ['SINTERCARD', '3', 'i', 'j'],
    ['SINTERCARD', '99999999999999999999', 'i'],
    ['SINTERCARD', '2', 'i', 'nokey'],
    ['SINTERSTORE', 'dst', 'i', 'j'],
    ['SMEMBERS', 'dst'],
    ['OBJECT', 'ENCODING', 'dst'],
    ['SINTERSTORE', 'dst', 'i', 'nokey'],
    ['EXISTS', 'dst'],
    ['SUNIONSTORE', 'dst', 'i', 'j'],
    ['SMEMBERS', 'dst'],
    ['EXPIRE', 'dst', '100'],
    ['SDIFFSTORE', 'dst', 'dst', 'j'],
    ['TTL', 'dst'],
    ['SMEMBERS', 'dst'],
    ['SDIFFSTORE', 'dst', 'i', 'i'],
    ['EXISTS', 'dst'],
    ['SUNIONSTORE', 'i', 'i', 'n'],
    ['SMEMBERS', 'i'],
    ['SET', 'str', 'v'],
    ['SUNIONSTORE', 'str', 'i'],
    ['TYPE', 'str'],
    ['SET', 'str', 'v'],
    ['SADD', 'str', 'a'],
    ['SREM', 'str', 'a'],
    ['SCARD', 'str'],
    ['SISMEMBER', 'str', 'a'],
    ['SMISMEMBER', 'str', 'a'],
    ['SMEMBERS', 'str'],
    ['SINTER', 'nokey', 'str'],
    ['SINTER', 'i', 'str'],
    ['SUNION', 'i', 'str'],
    ['SDIFF', 'nokey', 'str'],
    ['SINTERSTORE', 'dst', 'i', 'str'],
    ['SINTERCARD', '2', 'nokey', 'str'],
    ['SPOP', 'str'],
    ['SPOP', 'str', '1'],
    ['SRANDMEMBER', 'str'],
    ['SRANDMEMBER', 'str', '1'],
    ['SSCAN', 'str', '0'],
    ['SMOVE', 'str', 'i', 'a'],
    ['SMOVE', 'i', 'str', '5'],
    ['SMOVE', 'nokey', 'str', '5'],
    ['SMOVE', 'i', 'str', 'notamember'],
    ['SPOP', 'i', '-1'],
    ['SPOP', 'i', 'x'],
    ['SPOP', 'i', '1', '2'],
    ['SPOP', 'i', '0'],
    ['SPOP', 'nokey'],
    ['SPOP', 'nokey', '3'],
    ['SRANDMEMBER', 'i', 'x'],
    ['SRANDMEMBER', 'i', '1', '2'],
    ['SRANDMEMBER', 'i', '-9223372036854775808'],
    ['SRANDMEMBER', 'i', '0'],
    ['SRANDMEMBER', 'i', '100'],
    ['SRANDMEMBER', 'i', '9223372036854775807'],
    ['SRANDMEMBER', 'nokey'],
    ['SRANDMEMBER', 'nokey', '5'],
    ['SRANDMEMBER', 'nokey', '-5'],
    ['SADD', 'one', 'x'],
    ['SRANDMEMBER', 'one'],
    ['SRANDMEMBER', 'one', '-3'],
    ['SPOP', 'one'],
    ['EXISTS', 'one'],
    ['SADD', 'two', '1', '2'],
    ['SPOP', 'two', '5'],
    ['EXISTS', 'two'],
    ['SMOVE', 'j', 'new', '1'],
    ['SMEMBERS', 'new'],
    ['OBJECT', 'ENCODING', 'new'],
    ['SMOVE', 'j', 'new', '1'],
    ['SSCAN', 'j', '0'],
    ['SSCAN', 'j', '0', 'MATCH', '-*'],
    ['SSCAN', 'j', '77', 'COUNT', '1'],
    ['SSCAN', 'j', '0', 'COUNT', '0'],
    ['SSCAN', 'j', '0', 'TYPE', 'set'],
    ['SSCAN', 'j', 'x'],
    ['SSCAN', 'nokey', '0'],
    ['SSCAN', 'nokey', '0', 'BAD'],
    ['SADD', 'str2'],
    ['SREM', 'str2'],
    ['SMISMEMBER', 'i'],
  ];

  it('commands, errors and encodings (RESP2)', async () => {
    await expectSame(d.pair, script);
  });

  it('commands, errors and encodings (RESP3)', async () => {
    await resp(3);
    await expectSame(d.pair, script);
    await resp(2);
  });

  it('unordered replies of hashtable sets match up to order', async () => {
    await expectSame(d.pair, [
      ['SADD', 'a', 'x', 'y', 'z', '1', '2'],
      ['SADD', 'b', 'y', 'z', 'w', '2', '3'],
      ['SADD', 'c', 'z', '2', 'q'],
    ]);
    for (const v of [2, 3] as const) {
      await resp(v);
      for (const cmd of [
        ['SMEMBERS', 'a'],
        ['SINTER', 'a', 'b'],
        ['SINTER', 'a', 'b', 'c'],
        ['SUNION', 'a', 'b', 'c'],
        ['SDIFF', 'a', 'b'],
        ['SDIFF', 'b', 'a', 'c'],
        ['SRANDMEMBER', 'a', '10'],
      ]) {
        await expectSameUnordered(d.pair, cmd, 'elements');
      }
      await expectSameUnordered(d.pair, ['SSCAN', 'a', '0', 'COUNT', '1000'], 'scan');
    }
    await resp(2);
    await expectSame(d.pair, [
      ['SINTERSTORE', 'd1', 'a', 'b'],
      ['SUNIONSTORE', 'd2', 'a', 'b', 'c'],
      ['SDIFFSTORE', 'd3', 'a', 'b'],
      ['SINTERCARD', '3', 'a', 'b', 'c'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['OBJECT', 'ENCODING', 'd1'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['DEBUG', 'DIGEST-VALUE', 'a', 'b', 'c', 'd1', 'd2', 'd3'],
      ['SINTERSTORE', 'd4', 'a', 'c', 'nokey'],
      ['SUNIONSTORE', 'd5', 'nokey'],
      ['EXISTS', 'd4', 'd5'],
    ]);
  });

  it('encodings at the intset limit and DEBUG DIGEST-VALUE of large sets', async () => {
    const ints: string[] = ['SADD', 'big'];
    for (let i = 0; i < 512; i++) ints.push(String(i * 3 - 700));
    const strs: string[] = ['SADD', 'strs'];
    for (let i = 0; i < 700; i++) strs.push(`member:${i}`);
    await expectSame(d.pair, [
      ints,
      ['OBJECT', 'ENCODING', 'big'],
      ['SMEMBERS', 'big'],
      ['SSCAN', 'big', '0', 'MATCH', '*7'],
      ['SADD', 'big', '100000'],
      ['OBJECT', 'ENCODING', 'big'],
      strs,
      ['SREM', 'strs', 'member:5', 'member:600'],
      ['DEBUG', 'DIGEST-VALUE', 'big', 'strs'],
      ['SINTERSTORE', 'bi', 'big', 'big'],
      ['OBJECT', 'ENCODING', 'bi'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '3'],
      ['SADD', 'tiny', '1', '2', '3'],
      ['OBJECT', 'ENCODING', 'tiny'],
      ['SADD', 'tiny', '4'],
      ['OBJECT', 'ENCODING', 'tiny'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('dirty counter (rdb_changes_since_last_save) moves as in Redis', async () => {
    const dirty = async (): Promise<[number, number]> => {
      const read = (raw: string): number => Number(/rdb_changes_since_last_save:(\d+)/.exec(raw)![1]);
      const [a, b] = await Promise.all([d.pair.ours.call('INFO', 'persistence'), d.pair.theirs.call('INFO', 'persistence')]);
      return [read(a), read(b)];
    };
    const steps: string[][] = [
      ['SADD', 's', '1', '2', '3', '3'],
      ['SPOP', 's', '10'],
      ['SADD', 's', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
      ['SPOP', 's', '2'],
      ['SPOP', 's', '8'],
      ['SPOP', 's'],
      ['SREM', 's', 'nope', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
      ['SADD', 'a', '1', '2'],
      ['SADD', 'b', '2', '3'],
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'b', '2'],
      ['SINTERSTORE', 'c', 'b', 'b'],
      ['SINTERSTORE', 'c', 'b', 'nokey'],
      ['SUNIONSTORE', 'c', 'nokey'],
      ['HSET', 'h', 'a', '1', 'a', '2'],
      ['HDEL', 'h', 'a', 'b'],
      ['HSETNX', 'h', 'x', '1'],
      ['HSETNX', 'h', 'x', '1'],
      ['HINCRBY', 'h', 'n', '1'],
      ['HINCRBYFLOAT', 'h', 'n', '1'],
    ];
    const [ours0, theirs0] = await dirty();
    for (const step of steps) {
      // SPOP's members are random: only the bookkeeping is compared for it
      if (step[0] === 'SPOP') await Promise.all([d.pair.ours.call(...step), d.pair.theirs.call(...step)]);
      else await expectSame(d.pair, [step]);
      const [ours, theirs] = await dirty();
      expect(ours - ours0, `dirty after ${step.join(' ')}`).toBe(theirs - theirs0);
    }
  });
});
