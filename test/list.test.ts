/*
 * Lists: the ring buffer against an array model, the commands against Redis (fixed cases, RESP2 and
 * RESP3), and real clients (ioredis, node-redis over RESP3). The seeded random run is in
 * list-random.test.ts, blocking pops in blocking.test.ts.
 */

import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { ListValue } from '../src/types/list';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { seededRandom, useDifferential, useServer } from './helpers/setup';

describe('ListValue', () => {
  it('behaves as an array model under random pushes, pops, sets and inserts', () => {
    const rnd = seededRandom(7);
    const list = new ListValue();
    const model: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const op = Math.floor(rnd() * 7);
      // few distinct values, so that LREM finds repeats
      const v = `v${i % 40}`;
      if (op === 0) (list.pushHead(v), model.unshift(v));
      else if (op === 1) (list.pushTail(v), model.push(v));
      else if (op === 2) expect(list.popHead()).toBe(model.shift());
      else if (op === 3) expect(list.popTail()).toBe(model.pop());
      else if (op === 4 && model.length > 0) {
        const at = Math.floor(rnd() * model.length);
        list.set(at, v);
        model[at] = v;
      } else if (op === 5 && model.length < 300) {
        const at = Math.floor(rnd() * (model.length + 1));
        list.insertAt(at, v);
        model.splice(at, 0, v);
      } else if (op === 6 && rnd() < 0.05 && model.length > 0) {
        // LREM of a value present, from either end, limited or not
        const target = model[Math.floor(rnd() * model.length)]!;
        const limit = Math.floor(rnd() * 3);
        const fromTail = rnd() < 0.5;
        let removed = 0;
        const max = limit === 0 ? Infinity : limit;
        const idx = model.map((_, i) => i);
        if (fromTail) idx.reverse();
        const drop = new Set<number>();
        for (const i of idx) if (removed < max && model[i] === target) (drop.add(i), removed++);
        expect(list.removeMatching(target, limit, fromTail)).toBe(removed);
        const kept = model.filter((_, i) => !drop.has(i));
        model.length = 0;
        model.push(...kept);
      } else if (op === 6 && rnd() < 0.02) {
        const start = Math.floor(rnd() * 3);
        const end = model.length - 1 - Math.floor(rnd() * 3);
        list.trim(start, end);
        const kept = start > end ? [] : model.slice(start, end + 1);
        model.length = 0;
        model.push(...kept);
      } else if (model.length > 0) {
        const at = Math.floor(rnd() * model.length);
        expect(list.at(at)).toBe(model[at]);
      }
      expect(list.length).toBe(model.length);
    }
    expect(list.toArray()).toEqual(model);
  });

  it('reads and writes the middle of a million-element list without copying it', () => {
    const list = new ListValue();
    for (let i = 0; i < 1_000_000; i++) list.pushTail(String(i));
    const t = performance.now();
    for (let i = 0; i < 100_000; i++) list.set(500_000 + (i % 100), String(i));
    for (let i = 0; i < 100_000; i++) list.at(400_000 + (i % 1000));
    // a copy per call would take minutes; this is microseconds per call
    expect(performance.now() - t).toBeLessThan(2000);
    expect(list.at(500_000)).toBe('99900');
  });
});

describe.skipIf(!oracleAvailable)('list commands vs Redis', () => {
  const d = useDifferential({ 'enable-debug-command': 'yes' });

  it('answers fixed cases byte for byte (RESP2 and RESP3)', async () => {
    const cases: string[][] = [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['LPUSH', 'l', 'z', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['LRANGE', 'l', '-3', '100'],
      ['LRANGE', 'l', '5', '2'],
      ['LRANGE', 'l', 'x', '2'],
      ['LINDEX', 'l', '-1'],
      ['LINDEX', 'l', '99'],
      ['LSET', 'l', '1', 'Y'],
      ['LSET', 'l', '99', 'Y'],
      ['LSET', 'nokey', '0', 'Y'],
      ['LINSERT', 'l', 'BEFORE', 'c', 'x'],
      ['LINSERT', 'l', 'after', 'e', 'x'],
      ['LINSERT', 'l', 'after', 'nope', 'x'],
      ['LINSERT', 'l', 'middle', 'c', 'x'],
      ['LINSERT', 'nokey', 'after', 'c', 'x'],
      ['LPOS', 'l', 'x'],
      ['LPOS', 'l', 'x', 'RANK', '-1'],
      ['LPOS', 'l', 'x', 'COUNT', '0'],
      ['LPOS', 'l', 'x', 'RANK', '2', 'COUNT', '5', 'MAXLEN', '100'],
      ['LPOS', 'l', 'x', 'RANK', '0'],
      ['LPOS', 'l', 'x', 'COUNT', '-1'],
      ['LPOS', 'l', 'x', 'MAXLEN', '-1'],
      ['LPOS', 'l', 'x', 'MAXLEN', '2'],
      ['LPOS', 'l', 'x', 'BOGUS', '2'],
      ['LPOS', 'nokey', 'x', 'COUNT', '2'],
      ['LREM', 'l', '-1', 'x'],
      ['LREM', 'l', '0', 'nothing'],
      ['LLEN', 'l'],
      ['LPOP', 'l'],
      ['RPOP', 'l', '2'],
      ['LPOP', 'l', '0'],
      ['LPOP', 'l', '-1'],
      ['LPOP', 'nokey', '2'],
      ['LPOP', 'nokey'],
      ['LTRIM', 'l', '1', '-2'],
      ['LRANGE', 'l', '0', '-1'],
      ['RPOPLPUSH', 'l', 'l2'],
      ['LMOVE', 'l', 'l2', 'LEFT', 'LEFT'],
      ['LMOVE', 'l', 'l', 'RIGHT', 'LEFT'],
      ['LMOVE', 'l', 'l2', 'UP', 'LEFT'],
      ['LRANGE', 'l2', '0', '-1'],
      ['LMPOP', '2', 'nokey', 'l2', 'RIGHT', 'COUNT', '10'],
      ['LMPOP', '0', 'l', 'LEFT'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'l', 'MIDDLE'],
      ['LMPOP', '2', 'l'],
      ['LPUSHX', 'nokey', 'a'],
      ['RPUSHX', 'l', 'a', 'b'],
      ['SET', 's', '1'],
      ['LPUSH', 's', 'a'],
      ['LRANGE', 's', '0', '1'],
      ['RPOPLPUSH', 'l', 's'],
      ['OBJECT', 'ENCODING', 'l'],
      ['DEBUG', 'DIGEST-VALUE', 'l'],
      ['LTRIM', 'l', '5', '1'],
      ['EXISTS', 'l'],
      ['BLPOP', 'nokey', '-1'],
      ['BLPOP', 'nokey', 'abc'],
      ['BLPOP', 'nokey', '1e100'],
      ['BLMPOP', '0', '1', 'nokey', 'LEFT', 'COUNT', '0'],
      ['RPUSH', 'b', '1', '2', '3'],
      ['BLPOP', 'nokey', 'b', '0'],
      ['BRPOP', 'b', '0'],
      ['BLMOVE', 'b', 'c', 'LEFT', 'RIGHT', '0'],
      ['BLMPOP', '0', '2', 'nokey', 'c', 'LEFT', 'COUNT', '3'],
      ['MULTI'],
      ['BLPOP', 'nokey', '0'],
      ['BRPOPLPUSH', 'nokey', 'x', '0'],
      ['BLMOVE', 'nokey', 'x', 'LEFT', 'LEFT', '0'],
      ['BLMPOP', '0', '1', 'nokey', 'LEFT'],
      ['EXEC'],
      ['BLPOP', 'nokey', '0.01'],
      ['RPUSH', 'r', 'a', 'b', 'a', 'c', 'a', 'b', 'a'],
      ['LPOS', 'r', 'a', 'FOO', 'abc'],
      ['LPOS', 'r', 'a', 'RANK', 'abc'],
      ['LPOS', 'r', 'a', 'RANK', '-9223372036854775808'],
      ['LPOS', 'r', 'a', 'RANK', '-9223372036854775808', 'COUNT', '2'],
      ['LPOS', 'r', 'a', 'RANK', '9223372036854775807'],
      ['LPOS', 'r', 'a', 'RANK', '-2', 'COUNT', '0', 'MAXLEN', '5'],
      ['LPOS', 'r', 'a', 'COUNT', '9223372036854775807'],
      ['LPOS', 's', 'a'],
      ['LPOS', 's', 'a', 'RANK', '0'],
      ['COPY', 'r', 'r2'],
      ['DEBUG', 'DIGEST-VALUE', 'r2'],
      ['LREM', 'r', '-2', 'a'],
      ['LRANGE', 'r', '0', '-1'],
      ['LREM', 'r', '1', 'b'],
      ['LRANGE', 'r', '0', '-1'],
      ['LREM', 'r', '0', 'a'],
      ['LRANGE', 'r', '0', '-1'],
      ['LREM', 'r', '0', 'c'],
      ['EXISTS', 'r'],
      ['LRANGE', 'r2', '-100', '100'],
      ['LRANGE', 'r2', '9223372036854775807', '-9223372036854775808'],
      ['LINDEX', 'r2', '-9223372036854775808'],
      ['LSET', 'r2', '-7', 'first'],
      ['LSET', 'r2', '-8', 'x'],
      ['LTRIM', 'r2', '-3', '-9223372036854775808'],
      ['EXISTS', 'r2'],
      ['RPUSH', 'r3', 'a', 'b', 'c'],
      ['LTRIM', 'r3', '-100', '1'],
      ['LRANGE', 'r3', '0', '-1'],
      ['LTRIM', 'r3', '0', '100'],
      ['LINSERT', 'r3', 'BEFORE', 'a', 'h'],
      ['LINSERT', 'r3', 'AFTER', 'b', 't'],
      ['LRANGE', 'r3', '0', '-1'],
      ['LMOVE', 'r3', 'r3', 'LEFT', 'RIGHT'],
      ['LRANGE', 'r3', '0', '-1'],
      ['RPOPLPUSH', 'r3', 'r3'],
      ['LMPOP', '1', 'r3', 'RIGHT', 'COUNT', '9223372036854775807'],
      ['LMPOP', '1', 'r3', 'RIGHT', 'COUNT', '9223372036854775808'],
      ['LMPOP', '9223372036854775807', 'r3', 'RIGHT'],
      ['RPUSH', 'one', 'x'],
      ['RPOPLPUSH', 'one', 'one'],
      ['LMOVE', 'one', 'dst', 'RIGHT', 'LEFT'],
      ['EXISTS', 'one', 'dst'],
      ['LPOP', 'dst', '9223372036854775807'],
      ['RPUSH', 'bin', 'a\x00b', '\xff\xfe', '\r\n'],
      ['LRANGE', 'bin', '0', '-1'],
      ['LPOS', 'bin', '\xff\xfe'],
      ['DEBUG', 'DIGEST-VALUE', 'bin'],
      ['LMPOP', 'abc', 'r3', 'LEFT'],
      ['LMPOP', '-1', 'r3', 'LEFT'],
      ['LMPOP', '1', 'r3', 'LEFT', 'COUNT', 'abc'],
      ['LMPOP', '1', 'r3', 'LEFT', 'COUNT'],
      ['BLMPOP', '0.01', 'abc', 'r3', 'LEFT'],
      ['COMMAND', 'GETKEYS', 'LMPOP', '2', 'a', 'b', 'LEFT'],
      ['COMMAND', 'GETKEYS', 'BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '2'],
      ['COMMAND', 'GETKEYS', 'BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0'],
      ['COMMAND', 'INFO', 'LPUSH', 'RPUSHX', 'LPOP', 'BRPOP', 'LPOS', 'LLEN', 'LRANGE', 'LINDEX', 'LSET', 'LINSERT', 'LREM', 'LTRIM'],
      ['LPUSH', 'e'],
      ['LINSERT', 'bin'],
    ];
    await expectSame(d.pair, cases);
    await d.pair.ours.call('FLUSHALL');
    await d.pair.theirs.call('FLUSHALL');
    await d.pair.ours.call('HELLO', '3');
    await d.pair.theirs.call('HELLO', '3');
    await expectSame(d.pair, cases);
  });
});

describe('lists with real clients', () => {
  const t = useServer();

  it('ioredis: pushes, ranges, moves and pops', async () => {
    const r = t.r;
    expect(await r.rpush('l', 'a', 'b', 'c')).toBe(3);
    expect(await r.lpush('l', 'z')).toBe(4);
    expect(await r.lrange('l', 0, -1)).toEqual(['z', 'a', 'b', 'c']);
    expect(await r.lmove('l', 'm', 'RIGHT', 'LEFT')).toBe('c');
    expect(await r.lpos('l', 'b')).toBe(2);
    expect(await r.lpop('l', 2)).toEqual(['z', 'a']);
    expect(await r.rpop('l', 5)).toEqual(['b']);
    expect(await r.exists('l')).toBe(0);
    expect(await r.lpop('l', 2)).toBeNull();
    expect(await r.type('m')).toBe('list');
    expect(await r.object('ENCODING', 'm')).toBe('quicklist');
    await expect(r.lset('nokey', 0, 'x')).rejects.toThrow('ERR no such key');
  });

  it('LINDEX/LSET in the middle of a million-element list cost about what they cost at the head', async () => {
    const r = t.r;
    const chunk = Array.from({ length: 1000 }, (_, i) => String(i));
    const fill = r.pipeline();
    for (let i = 0; i < 1000; i++) fill.rpush('big', ...chunk);
    await fill.exec();
    expect(await r.llen('big')).toBe(1_000_000);
    const timed = async (index: number): Promise<number> => {
      const p = r.pipeline();
      for (let i = 0; i < 2000; i++) {
        p.lindex('big', index + (i % 100));
        p.lset('big', index + (i % 100), 'v' + i);
      }
      const start = performance.now();
      await p.exec();
      return performance.now() - start;
    };
    await timed(0); // warm-up
    const head = await timed(0);
    const middle = await timed(500_000);
    // a copy or a walk per call would be ~1000x slower in the middle; allow for a noisy machine
    expect(middle).toBeLessThan(head * 5 + 200);
    expect(await r.lindex('big', 500_099)).toBe('v1999');
    expect(await r.lindex('big', -1)).toBe('999');
  });

  it('node-redis over RESP3: reply types', async () => {
    const client = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      expect(await client.rPush('l', ['1', '2', '3'])).toBe(3);
      expect(await client.lRange('l', 0, -1)).toEqual(['1', '2', '3']);
      expect(await client.lIndex('l', 5)).toBeNull();
      expect(await client.lPos('l', '9')).toBeNull();
      expect(await client.lPosCount('l', '2', 0)).toEqual([1]);
      expect(await client.lmPop(['none', 'l'], 'LEFT', { COUNT: 2 })).toEqual(['l', ['1', '2']]);
      expect(await client.blPop('none', 0.01)).toBeNull();
      expect(await client.lLen('l')).toBe(1);
    } finally {
      await client.quit();
    }
  });
});
