/*
 * Lists: the ring buffer, the commands against Redis (fixed cases and a seeded random run, RESP2 and
 * RESP3), and blocking pops (order, timeouts, CLIENT UNBLOCK, MULTI, disconnects).
 */

import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ListValue } from '../src/types/list';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { seededRandom, testSeed, useDifferential, useServer } from './helpers/setup';

describe('ListValue', () => {
  it('behaves as an array model under random pushes, pops, sets and inserts', () => {
    const rnd = seededRandom(7);
    const list = new ListValue();
    const model: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const op = Math.floor(rnd() * 7);
      const v = `v${i}`;
      if (op === 0) (list.pushHead(v), model.unshift(v));
      else if (op === 1) (list.pushTail(v), model.push(v));
      else if (op === 2) expect(list.popHead()).toBe(model.shift());
      else if (op === 3) expect(list.popTail()).toBe(model.pop());
      else if (op === 4 && model.length > 0) {
        const at = Math.floor(rnd() * model.length);
        list.set(at, v);
        model[at] = v;
      } else if (op === 5 && model.length < 50) {
        const at = Math.floor(rnd() * (model.length + 1));
        list.insertAt(at, v);
        model.splice(at, 0, v);
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
    ];
    await expectSame(d.pair, cases);
    await d.pair.ours.call('FLUSHALL');
    await d.pair.theirs.call('FLUSHALL');
    await d.pair.ours.call('HELLO', '3');
    await d.pair.theirs.call('HELLO', '3');
    await expectSame(d.pair, cases);
  });

  const seed = testSeed();
  it(`agrees on 3000 random list commands (seed ${seed}; TREDIS_SEED replays)`, async () => {
    const rnd = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const keys = ['a', 'b', 'c'];
    const vals = ['x', 'y', 'z', '1', '22', '', 'long'.repeat(10)];
    const idx = (): string => String(Math.floor(rnd() * 12) - 6);
    const commands: string[][] = [];
    for (let i = 0; i < 3000; i++) {
      const k = pick(keys);
      const ops: (() => string[])[] = [
        () => ['LPUSH', k, pick(vals), pick(vals)],
        () => ['RPUSH', k, pick(vals)],
        () => ['LPUSHX', k, pick(vals)],
        () => ['RPUSHX', k, pick(vals)],
        () => ['LPOP', k],
        () => ['RPOP', k, String(Math.floor(rnd() * 4))],
        () => ['LLEN', k],
        () => ['LRANGE', k, idx(), idx()],
        () => ['LINDEX', k, idx()],
        () => ['LSET', k, idx(), pick(vals)],
        () => ['LINSERT', k, pick(['BEFORE', 'AFTER']), pick(vals), pick(vals)],
        () => ['LREM', k, idx(), pick(vals)],
        () => ['LTRIM', k, idx(), idx()],
        () => ['LPOS', k, pick(vals), 'RANK', pick(['1', '-1', '2']), 'COUNT', pick(['0', '1', '3'])],
        () => ['LMOVE', k, pick(keys), pick(['LEFT', 'RIGHT']), pick(['LEFT', 'RIGHT'])],
        () => ['RPOPLPUSH', k, pick(keys)],
        () => ['LMPOP', '2', k, pick(keys), pick(['LEFT', 'RIGHT']), 'COUNT', String(1 + Math.floor(rnd() * 3))],
        () => ['BLPOP', k, pick(keys), '0.01'],
        () => ['BLMOVE', k, pick(keys), 'RIGHT', 'LEFT', '0'],
        () => ['DEBUG', 'DIGEST-VALUE', k],
      ];
      commands.push(pick(ops)());
    }
    // BLPOP/BLMOVE on empty keys would block: only send them when the source exists on both
    for (const cmd of commands) {
      if (cmd[0] === 'BLPOP' || cmd[0] === 'BLMOVE') {
        const exists = await d.pair.theirs.call('EXISTS', cmd[1]!);
        if (exists === ':0\r\n' && (cmd[0] === 'BLMOVE' || (await d.pair.theirs.call('EXISTS', cmd[2]!)) === ':0\r\n')) continue;
      }
      const [ours, theirs] = await Promise.all([d.pair.ours.call(...cmd), d.pair.theirs.call(...cmd)]);
      expect(ours, `seed ${seed}: ${JSON.stringify(cmd)}`).toBe(theirs);
    }
  }, 60000);
});

describe('blocking pops', () => {
  const t = useServer();

  function client(): Redis {
    return new Redis({ port: t.srv.port, host: '127.0.0.1' });
  }

  it('serves blocked clients in the order they blocked, one element each', async () => {
    const waiters = [client(), client(), client()];
    try {
      const results: Promise<[string, string] | null>[] = [];
      for (const w of waiters) {
        results.push(w.blpop('q', 0));
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(t.srv.state.blocking.blockedClients).toBe(3);
      await t.r.rpush('q', 'one', 'two');
      expect(await results[0]).toEqual(['q', 'one']);
      expect(await results[1]).toEqual(['q', 'two']);
      await t.r.lpush('q', 'three');
      expect(await results[2]).toEqual(['q', 'three']);
      expect(await t.r.exists('q')).toBe(0);
    } finally {
      for (const w of waiters) w.disconnect();
    }
  });

  it('times out with decimals, answering a null array', async () => {
    const w = client();
    try {
      const start = Date.now();
      expect(await w.blpop('none', 0.2)).toBeNull();
      expect(Date.now() - start).toBeGreaterThanOrEqual(180);
      expect(await w.brpoplpush('none', 'dst', 0.05)).toBeNull();
    } finally {
      w.disconnect();
    }
  });

  it('CLIENT UNBLOCK with TIMEOUT and ERROR', async () => {
    const w = client();
    try {
      const id = Number(await w.client('ID'));
      const p1 = w.blpop('none', 0);
      await new Promise((r) => setTimeout(r, 30));
      expect(await t.r.client('UNBLOCK', id, 'TIMEOUT')).toBe(1);
      expect(await p1).toBeNull();
      const p2 = w.blpop('none', 0);
      await new Promise((r) => setTimeout(r, 30));
      expect(await t.r.client('UNBLOCK', id, 'ERROR')).toBe(1);
      await expect(p2).rejects.toThrow('UNBLOCKED client unblocked via CLIENT UNBLOCK');
      expect(await t.r.client('UNBLOCK', id)).toBe(0);
      expect(await w.ping()).toBe('PONG');
    } finally {
      w.disconnect();
    }
  });

  it('a client that disconnects while blocked is forgotten; the next one gets the element', async () => {
    const gone = await RawSession.connect(t.srv.port);
    gone.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n');
    await new Promise((r) => setTimeout(r, 30));
    const w = client();
    try {
      const p = w.blpop('q', 0);
      await new Promise((r) => setTimeout(r, 30));
      gone.close();
      await new Promise((r) => setTimeout(r, 30));
      await t.r.rpush('q', 'x');
      expect(await p).toEqual(['q', 'x']);
      expect(t.srv.state.blocking.blockedClients).toBe(0);
    } finally {
      w.disconnect();
    }
  });

  it('a push inside MULTI wakes a blocked client only after EXEC; BLMOVE chains hand elements on', async () => {
    const w1 = client();
    const w2 = client();
    try {
      const chain = w1.blmove('a', 'b', 'LEFT', 'LEFT', 0);
      const end = w2.blpop('b', 0);
      await new Promise((r) => setTimeout(r, 30));
      const tx = t.r.multi().rpush('a', 'v').llen('a');
      expect(await tx.exec()).toEqual([
        [null, 1],
        [null, 1],
      ]);
      expect(await chain).toBe('v');
      expect(await end).toEqual(['b', 'v']);
    } finally {
      w1.disconnect();
      w2.disconnect();
    }
  });

  it('a blocked client keeps its later pipelined commands until it is served', async () => {
    const s = await RawSession.connect(t.srv.port);
    try {
      s.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n');
      await new Promise((r) => setTimeout(r, 30));
      await t.r.rpush('q', 'x');
      expect(await s.readReply()).toBe('*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
      expect(await s.readReply()).toBe('+PONG\r\n');
    } finally {
      s.close();
    }
  });
});
