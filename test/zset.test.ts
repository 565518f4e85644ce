/*
 * Sorted sets: the skip list against a sorted-array model (random operations, invariants checked),
 * commands through ioredis and node-redis (RESP3 reply types), and exact-bytes comparisons with the
 * oracle in RESP2 and RESP3 for replies, errors, encodings and DEBUG DIGEST-VALUE.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { RawSession } from './helpers/raw';
import { oracleAvailable } from './helpers/oracle';
import { seededRandom, testSeed, useDifferential, useServer } from './helpers/setup';
import { ZSetValue, type ScoreRange } from '../src/types/zset';

const BIG = { entries: 128, value: 64 };

interface Entry {
  m: string;
  s: number;
}

function cmp(a: Entry, b: Entry): number {
  if (a.s !== b.s) return a.s < b.s ? -1 : 1;
  return a.m < b.m ? -1 : a.m > b.m ? 1 : 0;
}

const seed = testSeed();

describe('ZSetValue (skip list)', () => {
  it(`matches a sorted-array model under random operations (seed ${seed})`, () => {
    const rnd = seededRandom(seed);
    const z = new ZSetValue();
    let model: Entry[] = [];
    const member = (): string => 'm' + Math.floor(rnd() * 300);
    const score = (): number => Math.floor(rnd() * 50) - 25 + (rnd() < 0.2 ? 0.5 : 0);
    for (let step = 0; step < 6000; step++) {
      const op = rnd();
      if (op < 0.5) {
        const m = member();
        const s = score();
        const had = model.find((e) => e.m === m);
        const r = z.add(m, s, BIG);
        if (had === undefined) {
          expect(r).toBe('added');
          model.push({ m, s });
        } else {
          expect(r).toBe(had.s === s ? 'same' : 'updated');
          had.s = s;
        }
        model.sort(cmp);
      } else if (op < 0.7) {
        const m = member();
        const had = model.some((e) => e.m === m);
        expect(z.delete(m)).toBe(had);
        model = model.filter((e) => e.m !== m);
      } else if (op < 0.75) {
        const a = Math.floor(rnd() * (model.length + 2));
        const b = a + Math.floor(rnd() * 5);
        if (a < model.length) {
          const end = Math.min(b, model.length - 1);
          expect(z.deleteRangeByRank(a, end)).toBe(end - a + 1);
          model.splice(a, end - a + 1);
        }
      } else if (op < 0.8) {
        const r: ScoreRange = { min: score(), max: score(), minex: rnd() < 0.5, maxex: rnd() < 0.5 };
        const inRange = (e: Entry): boolean => (r.minex ? e.s > r.min : e.s >= r.min) && (r.maxex ? e.s < r.max : e.s <= r.max);
        expect(z.countInScore(r)).toBe(model.filter(inRange).length);
        expect(z.deleteRangeByScore(r)).toBe(model.filter(inRange).length);
        model = model.filter((e) => !inRange(e));
      } else {
        const m = member();
        const i = model.findIndex((e) => e.m === m);
        expect(z.rank(m)).toBe(i);
        const r = Math.floor(rnd() * (model.length + 1));
        const n = z.at(r);
        if (r < model.length) expect(n?.member).toBe(model[r]!.m);
        else expect(n).toBeNull();
        const range: ScoreRange = { min: score(), max: score(), minex: rnd() < 0.5, maxex: rnd() < 0.5 };
        const inRange = model.filter((e) => (range.minex ? e.s > range.min : e.s >= range.min) && (range.maxex ? e.s < range.max : e.s <= range.max));
        expect(z.firstInScore(range)?.member ?? null).toBe(inRange[0]?.m ?? null);
        expect(z.lastInScore(range)?.member ?? null).toBe(inRange[inRange.length - 1]?.m ?? null);
      }
      expect(z.size).toBe(model.length);
      if (step % 200 === 0) {
        expect(z.checkInvariants()).toBeNull();
        const walked: string[] = [];
        for (let n = z.head; n !== null; n = n.next[0]!) walked.push(n.member);
        expect(walked).toEqual(model.map((e) => e.m));
        const back: string[] = [];
        for (let n = z.tail; n !== null; n = n.prev) back.push(n.member);
        expect(back.reverse()).toEqual(walked);
      }
    }
    expect(z.checkInvariants()).toBeNull();
  });

  it('fromSorted and clone build a valid list', () => {
    const members = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    const scores = members.map((_, i) => Math.floor(i / 10));
    const z = ZSetValue.fromSorted(members, scores, BIG);
    expect(z.checkInvariants()).toBeNull();
    expect(z.encoding()).toBe('skiplist');
    for (let i = 0; i < 1000; i += 37) {
      expect(z.rank(members[i]!)).toBe(i);
      expect(z.at(i)!.member).toBe(members[i]);
    }
    const c = z.clone();
    expect(c.checkInvariants()).toBeNull();
    z.add('k0000', 1e9, BIG);
    expect(c.score('k0000')).toBe(0);
    expect(c.rank('k0999')).toBe(999);
    c.add('new', 5.5, BIG);
    expect(c.checkInvariants()).toBeNull();
    expect(ZSetValue.fromSorted(['a'], [1], BIG).encoding()).toBe('listpack');
  });

  it('encoding is listpack until the limits, then skiplist for good', () => {
    const z = new ZSetValue();
    const lim = { entries: 3, value: 5 };
    z.add('a', 1, lim);
    z.add('b', 1, lim);
    z.add('c', 1, lim);
    expect(z.encoding()).toBe('listpack');
    z.add('d', 1, lim);
    expect(z.encoding()).toBe('skiplist');
    z.delete('d');
    z.delete('c');
    expect(z.encoding()).toBe('skiplist');
    const y = new ZSetValue();
    y.add('toolong', 1, lim);
    expect(y.encoding()).toBe('skiplist');
  });
});

const t = useServer();

describe('sorted-set commands (clients)', () => {
  it('ZADD options and ZINCRBY through ioredis', async () => {
    const r = t.r;
    expect(await r.zadd('z', 1, 'a', 2, 'b', 3, 'c')).toBe(3);
    expect(await r.zadd('z', 'NX', 5, 'a', 4, 'd')).toBe(1);
    expect(await r.zscore('z', 'a')).toBe('1');
    expect(await r.zadd('z', 'XX', 'CH', 10, 'a', 4, 'e')).toBe(1);
    expect(await r.zadd('z', 'GT', 'CH', 5, 'a', 20, 'b')).toBe(1);
    expect(await r.zscore('z', 'a')).toBe('10');
    expect(await r.zadd('z', 'LT', 'CH', 5, 'a')).toBe(1);
    expect(await r.zincrby('z', 1.5, 'a')).toBe('6.5');
    expect(await r.zadd('z', 'INCR', 'XX', 1, 'nope')).toBeNull();
    expect(await r.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['c', '3', 'd', '4', 'a', '6.5', 'b', '20']);
    expect(await r.zrank('z', 'a')).toBe(2);
    expect(await r.zrevrank('z', 'a')).toBe(1);
    expect(await r.zcard('z')).toBe(4);
    expect(await r.zcount('z', '(3', 'inf')).toBe(3);
    expect(await r.zpopmin('z')).toEqual(['c', '3']);
    expect(await r.zpopmax('z', 2)).toEqual(['b', '20', 'a', '6.5']);
    expect(await r.zpopmax('z', 2)).toEqual(['d', '4']);
    expect(await r.exists('z')).toBe(0);
    await expect(r.zadd('z', 'nan', 'x')).rejects.toThrow('ERR value is not a valid float');
    await r.zadd('z', 'inf', 'x');
    await expect(r.zincrby('z', '-inf', 'x')).rejects.toThrow('ERR resulting score is not a number (NaN)');
  });

  it('node-redis RESP3 gets doubles and nested pairs', async () => {
    const client = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      await client.sendCommand(['ZADD', 'z', '1.5', 'a', '2', 'b']);
      expect(await client.sendCommand(['ZSCORE', 'z', 'a'])).toBe(1.5);
      expect(await client.sendCommand(['ZRANGE', 'z', '0', '-1', 'WITHSCORES'])).toEqual([
        ['a', 1.5],
        ['b', 2],
      ]);
      expect(await client.sendCommand(['ZMPOP', '1', 'z', 'MAX'])).toEqual(['z', [['b', 2]]]);
    } finally {
      await client.quit();
    }
  });

  it('ZRANDMEMBER and ZSCAN on a big set', async () => {
    const r = t.r;
    const args: (string | number)[] = [];
    for (let i = 0; i < 1000; i++) args.push(i, `m${i}`);
    await r.zadd('big', ...args);
    expect(await r.object('ENCODING', 'big')).toBe('skiplist');
    const picks = await r.zrandmember('big', 100);
    expect(new Set(picks).size).toBe(100);
    const rep = await r.zrandmember('big', -2000);
    expect(rep.length).toBe(2000);
    const seen = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await r.zscan('big', cursor, 'COUNT', 50);
      for (let i = 0; i < flat.length; i += 2) seen.set(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.size).toBe(1000);
    expect(seen.get('m123')).toBe('123');
  });
});

describe.skipIf(!oracleAvailable)('sorted sets vs Redis (exact bytes)', () => {
  const d = useDifferential({ 'enable-debug-command': 'yes' });

  async function both(v: 2 | 3): Promise<void> {
    await d.pair.ours.call('HELLO', String(v));
    await d.pair.theirs.call('HELLO', String(v));
  }

  for (const v of [2, 3] as const) {
    it(`replies and errors (RESP${v})`, async () => {
      await both(v);
      await expectSame(d.pair, [
        ['ZADD', 'z', '1', 'a', '1.5', 'b', '0.30000000000000004', 'c', 'inf', 'd', '-inf', 'e', '-0', 'f'],
        ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
        ['ZRANGE', 'z', '0', '-1'],
        ['ZSCORE', 'z', 'c'],
        ['ZSCORE', 'z', 'f'],
        ['ZSCORE', 'z', 'nope'],
        ['ZMSCORE', 'z', 'a', 'nope', 'd'],
        ['ZMSCORE', 'nokey', 'a'],
        ['ZADD', 'z', '1e400', 'x'],
        ['ZADD', 'z', '1e-400', 'x'],
        ['ZADD', 'z', '4e-324', 'x'],
        ['ZADD', 'z', ' 1', 'x'],
        ['ZADD', 'z', '0x10', 'x'],
        ['ZADD', 'z', 'nan', 'x'],
        ['ZADD', 'z', 'Infinity', 'y'],
        ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
        ['ZADD', 'z', 'NX', 'XX', '1', 'a'],
        ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
        ['ZADD', 'z', '1', 'a', '2'],
        ['ZADD', 'z', 'CH'],
        ['ZADD', 'z', 'INCR', 'NX', '5', 'a'],
        ['ZADD', 'z', 'INCR', '5', 'a'],
        ['ZADD', 'z', 'INCR', 'GT', '-1', 'a'],
        ['ZADD', 'z', 'INCR', 'XX', '1', 'zz'],
        ['ZADD', 'nokey', 'XX', '1', 'a'],
        ['ZADD', 'nokey', 'XX', 'INCR', '1', 'a'],
        ['ZINCRBY', 'z', '-inf', 'd'],
        ['ZINCRBY', 'z', 'abc', 'd'],
        ['ZINCRBY', 'z', '0.1', 'new'],
        ['ZINCRBY', 'z', '0.2', 'new'],
        ['ZRANK', 'z', 'a'],
        ['ZREVRANK', 'z', 'a'],
        ['ZRANK', 'z', 'nope'],
        ['ZRANK', 'nokey', 'a'],
        ['ZRANK', 'z', 'a', 'WITHSCORE'],
        ['ZCARD', 'z'],
        ['ZCARD', 'nokey'],
        ['ZCOUNT', 'z', '-inf', '+inf'],
        ['ZCOUNT', 'z', '(1', '(inf'],
        ['ZCOUNT', 'z', '', '1'],
        ['ZCOUNT', 'z', 'x', '1'],
        ['ZCOUNT', 'z', 'nan', '1'],
        ['ZCOUNT', 'z', ' 1', '1e400'],
        ['SET', 'str', 'v'],
        ['ZADD', 'str', '1', 'a'],
        ['ZCARD', 'str'],
        ['ZRANGE', 'str', '0', '1'],
        ['ZCOUNT', 'str', 'x', '1'],
        ['ZPOPMIN', 'z', '-1'],
        ['ZPOPMIN', 'z', 'x'],
        ['ZPOPMIN', 'z', '0'],
        ['ZPOPMIN', 'nokey', '0'],
        ['ZPOPMIN', 'z', '1', '2'],
        ['ZPOPMIN', 'z'],
        ['ZPOPMAX', 'z', '2'],
        ['ZPOPMIN', 'nokey'],
        ['ZPOPMIN', 'str'],
        ['ZMPOP', '0', 'z', 'MIN'],
        ['ZMPOP', 'x', 'z', 'MIN'],
        ['ZMPOP', '1', 'z', 'foo'],
        ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'],
        ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'],
        ['ZMPOP', '3', 'z', 'MIN'],
        ['ZMPOP', '2', 'nokey', 'z', 'MIN', 'COUNT', '2'],
        ['ZMPOP', '2', 'nokey', 'nokey2', 'MAX'],
        ['ZMPOP', '2', 'str', 'z', 'MAX'],
        ['ZMPOP', '2', 'z', 'str', 'MAX', 'COUNT', '100'],
        ['EXISTS', 'z'],
      ]);
    });
  }

  for (const v of [2, 3] as const) {
    it(`ranges (RESP${v})`, async () => {
      await both(v);
      const cmds: string[][] = [['ZADD', 'z', '1', 'a', '2', 'b', '2', 'bb', '3', 'c', '4', 'd', '5', 'e', '5.5', 'f']];
      cmds.push(['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', 'g']);
      for (const r of [['0', '-1'], ['1', '3'], ['-3', '-1'], ['5', '2'], ['-100', '100'], ['10', '20'], ['a', '1']]) {
        cmds.push(['ZRANGE', 'z', r[0]!, r[1]!], ['ZRANGE', 'z', r[0]!, r[1]!, 'WITHSCORES'], ['ZREVRANGE', 'z', r[0]!, r[1]!, 'WITHSCORES']);
        cmds.push(['ZRANGE', 'z', r[0]!, r[1]!, 'REV']);
      }
      for (const r of [['-inf', '+inf'], ['(1', '(5'], ['2', '2'], ['(2', '2'], ['5', '1'], ['', '3'], ['x', '1'], ['(', '(5']]) {
        cmds.push(['ZRANGEBYSCORE', 'z', r[0]!, r[1]!], ['ZRANGEBYSCORE', 'z', r[0]!, r[1]!, 'WITHSCORES']);
        cmds.push(['ZREVRANGEBYSCORE', 'z', r[1]!, r[0]!, 'WITHSCORES']);
        cmds.push(['ZRANGE', 'z', r[0]!, r[1]!, 'BYSCORE', 'LIMIT', '1', '2']);
        cmds.push(['ZRANGE', 'z', r[1]!, r[0]!, 'BYSCORE', 'REV', 'LIMIT', '1', '-1', 'WITHSCORES']);
      }
      for (const r of [['-', '+'], ['[b', '[e'], ['(b', '(e'], ['+', '-'], ['[c', '[c'], ['(c', '[c'], ['b', '[c'], ['+x', '+'], ['', '+'], ['[', '(']]) {
        cmds.push(['ZRANGEBYLEX', 'l', r[0]!, r[1]!], ['ZREVRANGEBYLEX', 'l', r[1]!, r[0]!]);
        cmds.push(['ZRANGE', 'l', r[0]!, r[1]!, 'BYLEX', 'LIMIT', '2', '3']);
        cmds.push(['ZLEXCOUNT', 'l', r[0]!, r[1]!]);
        cmds.push(['ZRANGEBYLEX', 'z', r[0]!, r[1]!]);
      }
      cmds.push(
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '-1', '2'],
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1', '0'],
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '100', '1'],
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1'],
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', 'x', '1'],
        ['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'],
        ['ZRANGE', 'z', 'a', 'b', 'BYLEX', 'WITHSCORES'],
        ['ZRANGE', 'z', '0', '-1', 'REV', 'REV'],
        ['ZRANGE', 'z', '0', '-1', 'BYSCORE', 'BYLEX'],
        ['ZRANGEBYSCORE', 'z', '0', '1', 'REV'],
        ['ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE'],
        ['ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES'],
        ['ZREVRANGE', 'z', '0', '1', 'BYSCORE'],
        ['ZRANGE', 'nokey', '0', '-1'],
        ['ZRANGESTORE', 'dst', 'z', '1', '3'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['ZRANGESTORE', 'dst', 'z', '(1', '5', 'BYSCORE', 'REV', 'LIMIT', '1', '2'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['ZRANGESTORE', 'dst', 'l', '[b', '[d', 'BYLEX'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['ZRANGESTORE', 'dst', 'z', '0', '-1', 'WITHSCORES'],
        ['ZRANGESTORE', 'dst', 'z', '5', '1'],
        ['EXISTS', 'dst'],
        ['ZRANGESTORE', 'dst', 'nokey', '0', '-1'],
        ['ZREMRANGEBYRANK', 'z', '1', '2'],
        ['ZREMRANGEBYRANK', 'z', 'x', '2'],
        ['ZREMRANGEBYSCORE', 'z', '(4', '5'],
        ['ZREMRANGEBYSCORE', 'z', 'x', '5'],
        ['ZREMRANGEBYLEX', 'l', '(b', '[e'],
        ['ZREMRANGEBYLEX', 'l', 'b', '[e'],
        ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
        ['ZRANGE', 'l', '0', '-1'],
        ['ZREMRANGEBYRANK', 'z', '0', '-1'],
        ['EXISTS', 'z'],
        ['ZREMRANGEBYSCORE', 'nokey', '0', '1'],
      );
      await expectSame(d.pair, cmds);
    });
  }

  for (const v of [2, 3] as const) {
    it(`union, inter, diff (RESP${v})`, async () => {
      await both(v);
      await expectSame(d.pair, [
        ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'],
        ['ZADD', 'z2', '10', 'b', '20', 'c', '30', 'd', 'inf', 'e'],
        ['ZADD', 'z3', '-inf', 'e', '0.1', 'c'],
        ['SADD', 's', 'a', 'c', 'x'],
        ['SET', 'str', 'v'],
        ['ZUNION', '2', 'z1', 'z2'],
        ['ZUNION', '2', 'z1', 'z2', 'WITHSCORES'],
        ['ZUNION', '3', 'z1', 'z2', 's', 'WEIGHTS', '1', '2', '3', 'WITHSCORES'],
        ['ZUNION', '3', 'z1', 'z2', 'z3', 'AGGREGATE', 'MIN', 'WITHSCORES'],
        ['ZUNION', '3', 'z1', 'z2', 'z3', 'AGGREGATE', 'MAX', 'WITHSCORES'],
        ['ZUNION', '2', 'z2', 'z3', 'WITHSCORES'],
        ['ZUNION', '2', 'z2', 'z3', 'WEIGHTS', '0', '0', 'WITHSCORES'],
        ['ZINTER', '2', 'z1', 'z2', 'WITHSCORES'],
        ['ZINTER', '3', 'z1', 'z2', 'z3', 'WITHSCORES'],
        ['ZINTER', '2', 'z1', 's', 'WEIGHTS', '2', '0.5', 'WITHSCORES'],
        ['ZINTER', '2', 'z1', 'nokey'],
        ['ZDIFF', '2', 'z1', 'z2', 'WITHSCORES'],
        ['ZDIFF', '2', 's', 'z1', 'WITHSCORES'],
        ['ZDIFF', '1', 'nokey'],
        ['ZDIFF', '2', 'z1', 'z2', 'WEIGHTS', '1', '1'],
        ['ZINTERCARD', '2', 'z1', 'z2'],
        ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1'],
        ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '0'],
        ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '-1'],
        ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', 'x'],
        ['ZINTERCARD', '2', 'z1', 'z2', 'WITHSCORES'],
        ['ZINTERCARD', '0', 'z1'],
        ['ZINTERCARD', '1', 'nokey'],
        ['ZUNION', '0', 'z1'],
        ['ZUNION', '-1', 'z1'],
        ['ZUNION', 'x', 'z1'],
        ['ZUNION', '3', 'z1', 'z2'],
        ['ZUNION', '2', 'z1', 'str'],
        ['ZUNION', '2', 'z1', 'str', 'WEIGHTS', 'x'],
        ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '1'],
        ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '1', 'x'],
        ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'avg'],
        ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE'],
        ['ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WITHSCORES'],
        ['ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WEIGHTS', '2', '3'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['OBJECT', 'ENCODING', 'dst'],
        ['ZINTERSTORE', 'dst', '2', 'z1', 'z2', 'AGGREGATE', 'MAX'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['ZDIFFSTORE', 'dst', '2', 'z1', 'z2'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
        ['ZINTERSTORE', 'dst', '2', 'z1', 'nokey'],
        ['EXISTS', 'dst'],
        ['ZINTERSTORE', 'dst', '0', 'z1'],
        ['ZUNIONSTORE', 'z1', '2', 'z1', 'z1'],
        ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
      ]);
    });
  }

  it('encodings, digests and ZRANDMEMBER/ZSCAN shapes', async () => {
    const cmds: string[][] = [
      ['ZADD', 'z', '1', 'a', '1.5', 'b', '0.30000000000000004', 'c', 'inf', 'd', '-inf', 'e', '-0', 'f', '123', '456'],
      ['OBJECT', 'ENCODING', 'z'],
      ['DEBUG', 'DIGEST-VALUE', 'z'],
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'MATCH', '*a*'],
      ['ZSCAN', 'z', 'x'],
      ['ZSCAN', 'z', '0', 'COUNT', '0'],
      ['ZSCAN', 'nokey', '0'],
      ['ZRANDMEMBER', 'z', '100', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '7'],
      ['ZRANDMEMBER', 'z', '0'],
      ['ZRANDMEMBER', 'nokey'],
      ['ZRANDMEMBER', 'nokey', '5'],
      ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORE'],
      ['ZRANDMEMBER', 'z', 'x'],
      ['ZADD', 'long', '1', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'lim', '1', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'lim'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '3'],
      ['ZADD', 'small', '1', 'a', '2', 'b', '3', 'c'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'small', '4', 'd'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZREM', 'small', 'a', 'b'],
      ['OBJECT', 'ENCODING', 'small'],
      ['DEBUG', 'DIGEST-VALUE', 'small'],
      ['ZUNIONSTORE', 'u', '1', 'small'],
      ['OBJECT', 'ENCODING', 'u'],
      ['ZRANGESTORE', 'u2', 'z', '0', '2'],
      ['OBJECT', 'ENCODING', 'u2'],
      ['ZRANGESTORE', 'u3', 'z', '0', '1'],
      ['OBJECT', 'ENCODING', 'u3'],
      ['DEBUG', 'DIGEST-VALUE', 'u3'],
      ['COPY', 'z', 'zc'],
      ['DEBUG', 'DIGEST-VALUE', 'zc'],
      ['OBJECT', 'ENCODING', 'zc'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['TYPE', 'z'],
    ];
    await expectSame(d.pair, cmds);
  });

  it('lex ranges over mixed scores on a small set follow the listpack walk', async () => {
    const cmds: string[][] = [['ZADD', 'm', '1', 'd', '2', 'a', '3', 'c', '4', 'b', '5', 'e']];
    for (const [a, b] of [['[b', '[d'], ['-', '[c'], ['(a', '+'], ['[c', '[c'], ['[a', '(b']]) {
      cmds.push(['ZRANGEBYLEX', 'm', a!, b!], ['ZREVRANGEBYLEX', 'm', b!, a!], ['ZLEXCOUNT', 'm', a!, b!]);
    }
    cmds.push(['ZREMRANGEBYLEX', 'm', '[b', '[d'], ['ZRANGE', 'm', '0', '-1']);
    await expectSame(d.pair, cmds);
  });

  it('keyspace events: same events, same order', async () => {
    const subs = [await RawSession.connect(d.srv.port), await RawSession.connect(d.oracle.port)];
    try {
      await expectSame(d.pair, [['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']]);
      for (const s of subs) await s.call('PSUBSCRIBE', '__keyevent@0__:*');
      await expectSame(d.pair, [
        ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
        ['ZADD', 'z', '1', 'a'],
        ['ZADD', 'z', 'XX', '5', 'nope'],
        ['ZINCRBY', 'z', '1', 'a'],
        ['ZADD', 'z', 'INCR', '1', 'a'],
        ['ZREM', 'z', 'nope'],
        ['ZREM', 'z', 'a'],
        ['ZRANGESTORE', 'd', 'z', '0', '-1'],
        ['ZRANGESTORE', 'd', 'z', '5', '6'],
        ['ZUNIONSTORE', 'u', '1', 'z'],
        ['ZINTERSTORE', 'u', '2', 'z', 'nokey'],
        ['ZDIFFSTORE', 'u', '1', 'z'],
        ['ZREMRANGEBYSCORE', 'u', '0', '2'],
        ['ZREMRANGEBYRANK', 'u', '0', '-1'],
        ['ZADD', 'l', '0', 'a', '0', 'b'],
        ['ZREMRANGEBYLEX', 'l', '-', '+'],
        ['ZPOPMIN', 'z'],
        ['ZPOPMAX', 'z', '5'],
        ['ZADD', 'z', '1', 'a', '2', 'b'],
        ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '5'],
        ['PUBLISH', 'end', 'x'],
      ]);
      await expectSame(d.pair, [['CONFIG', 'SET', 'notify-keyspace-events', '']]);
      const events = await Promise.all(
        subs.map(async (s) => {
          const out: string[] = [];
          // read until the oracle's traffic is drained: both get the same count if they agree
          for (;;) {
            let r: string;
            try {
              r = await s.readReply(300);
            } catch {
              break;
            }
            out.push(r);
          }
          return out;
        }),
      );
      expect(events[0]!.length).toBeGreaterThan(20);
      expect(events[0]).toEqual(events[1]);
    } finally {
      for (const s of subs) s.close();
    }
  });

  it('WATCH: only writes that change a zset break the transaction', async () => {
    const cmds: string[][] = [['ZADD', 'z', '1', 'a', '2', 'b']];
    const probes: string[][] = [
      ['ZADD', 'z', '1', 'a'],
      ['ZADD', 'z', '3', 'a'],
      ['ZREM', 'z', 'nope'],
      ['ZINCRBY', 'z', '0', 'a'],
      ['ZREMRANGEBYSCORE', 'z', '100', '200'],
      ['ZPOPMIN', 'z', '0'],
      ['ZPOPMIN', 'z'],
      ['ZUNIONSTORE', 'd', '1', 'z'],
      ['ZINTERSTORE', 'z', '1', 'nokey'],
    ];
    for (const p of probes) {
      const key = p[0] === 'ZUNIONSTORE' ? 'd' : 'z';
      cmds.push(['ZADD', 'z', '1', 'a', '2', 'b'], ['WATCH', key], p, ['MULTI'], ['PING'], ['EXEC']);
    }
    await expectSame(d.pair, cmds);
  });

  it('ZADD then the same key again with every option combination', async () => {
    const opts = [[], ['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['GT', 'CH'], ['LT', 'CH'], ['XX', 'GT'], ['XX', 'LT', 'CH'], ['INCR'], ['INCR', 'GT'], ['INCR', 'LT'], ['INCR', 'XX'], ['INCR', 'NX']];
    const cmds: string[][] = [];
    for (const o of opts) {
      for (const score of ['1', '2', '3', '-1']) {
        cmds.push(['ZADD', 'k', ...o, score, 'm']);
        cmds.push(['ZADD', 'k', ...o, score, 'n']);
        cmds.push(['ZRANGE', 'k', '0', '-1', 'WITHSCORES']);
      }
    }
    await expectSame(d.pair, cmds);
  });
});
