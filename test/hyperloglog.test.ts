/*
 * HyperLogLog: the pure structure (hash against a BigInt reference, sparse/dense agreement,
 * self-test), the commands through ioredis, and differential runs against real Redis comparing the
 * replies and the exact bytes of the HLL values (GET) after PFADD (sparse, promotion by register
 * value and by size, dense), PFMERGE and PFCOUNT's cache write; values made by Redis are loaded into
 * tredis and must count and grow the same. A seeded random sequence covers the rest
 * (TREDIS_SEED=<seed> replays a failure).
 */

import { describe, expect, it } from 'vitest';
import {
  HLL_DENSE_SIZE,
  createHll,
  denseGet,
  fromString,
  hashHi,
  hashLo,
  hllAdd,
  hllCount,
  murmur64a,
  selfTest,
  sparseSet,
  sparseToDense,
  toLatin1,
} from '../src/types/hyperloglog';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { seededRandom, testSeed, useDifferential, useServer } from './helpers/setup';

/** MurmurHash64A written plainly with BigInt, as the reference for the 32-bit-halves version. */
function murmurRef(bytes: Uint8Array, seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const mask = (1n << 64n) - 1n;
  const len = bytes.length;
  let h = (seed ^ (BigInt(len) * m)) & mask;
  const blocks = len - (len % 8);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(bytes[i + j]!);
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const rem = len % 8;
  if (rem > 0) {
    for (let j = rem - 1; j >= 0; j--) h ^= BigInt(bytes[blocks + j]!) << BigInt(8 * j);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

describe('HyperLogLog structure', () => {
  it('MurmurHash64A in 32-bit halves equals the BigInt reference', () => {
    const rnd = seededRandom(1234);
    for (let n = 0; n < 2000; n++) {
      const len = n < 64 ? n : Math.floor(rnd() * 100);
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(rnd() * 256));
      murmur64a(s);
      const got = (BigInt(hashHi) << 32n) | BigInt(hashLo);
      expect(got, `hash of ${JSON.stringify(s)}`).toBe(murmurRef(Buffer.from(s, 'latin1'), 0xadc83b19n));
    }
  });

  it('a new HLL is the 18-byte sparse value Redis creates', () => {
    const h = createHll();
    expect(Buffer.from(toLatin1(h), 'latin1').toString('hex')).toBe('48594c4c' + '01000000' + '0000000000000000' + '7fff');
    expect(hllCount(h)).toBe(0);
  });

  it('sparse and dense agree register for register and count for count', () => {
    const sparse = createHll();
    const dense = createHll();
    expect(sparseToDense(dense)).toBe(true);
    expect(dense.len).toBe(HLL_DENSE_SIZE);
    for (let i = 0; i < 3000; i++) {
      expect(hllAdd(sparse, `e${i}`, 1 << 30)).toBe(hllAdd(dense, `e${i}`, 1 << 30));
      if (i % 500 === 0) expect(hllCount(sparse)).toBe(hllCount(dense));
    }
    const converted = fromString(toLatin1(sparse));
    expect(sparseToDense(converted)).toBe(true);
    expect(toLatin1(converted).slice(16)).toBe(toLatin1(dense).slice(16));
  });

  it('a register value above 32 turns a sparse value dense', () => {
    const h = createHll();
    hllAdd(h, 'a', 3000);
    expect(sparseSet(h, 100, 40, 3000)).toBe(1);
    expect(h.len).toBe(HLL_DENSE_SIZE);
    expect(h.b[4]).toBe(0);
    expect(denseGet(h.b, 100)).toBe(40);
    expect(hllCount(h)).toBe(2);
  });

  it('counts within the expected error', () => {
    const h = createHll();
    for (let i = 0; i < 50000; i++) hllAdd(h, `x:${i}`, 3000);
    expect(Math.abs(hllCount(h) - 50000)).toBeLessThan(50000 * 0.03);
  });

  it('the self-test passes', () => {
    expect(selfTest(seededRandom(7))).toBeNull();
  });
});

describe('HyperLogLog commands', () => {
  const t = useServer();

  it('PFADD / PFCOUNT / PFMERGE through ioredis', async () => {
    expect(await t.r.pfadd('h', 'a', 'b', 'c')).toBe(1);
    expect(await t.r.pfadd('h', 'a')).toBe(0);
    expect(await t.r.pfcount('h')).toBe(3);
    expect(await t.r.pfadd('h2', 'c', 'd')).toBe(1);
    expect(await t.r.pfcount('h', 'h2')).toBe(4);
    expect(await t.r.pfmerge('m', 'h', 'h2')).toBe('OK');
    expect(await t.r.pfcount('m')).toBe(4);
    expect(await t.r.type('m')).toBe('string');
    expect(await t.r.object('ENCODING', 'm')).toBe('raw');
    expect(await t.r.call('pfselftest')).toBe('OK');
  });

  it('errors: not an HLL, wrong type, corrupt values', async () => {
    await t.r.set('s', 'hello');
    await expect(t.r.pfadd('s', 'a')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
    await t.r.set('n', '12345');
    await expect(t.r.pfcount('n')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
    t.srv.state.dbs[0]!.add('coll', { type: 'list' });
    await expect(t.r.pfadd('coll', 'a')).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    // a sparse value whose opcodes cover too few registers
    const bad = Buffer.concat([Buffer.from('HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80', 'latin1'), Buffer.from([0x7f, 0x00])]);
    await t.r.set('bad', bad);
    await expect(t.r.pfcount('bad')).rejects.toThrow('INVALIDOBJ Corrupted HLL object detected');
    await expect(t.r.pfcount('bad', 'h')).rejects.toThrow('INVALIDOBJ Corrupted HLL object detected');
    await expect(t.r.pfmerge('bad2', 'bad')).rejects.toThrow('INVALIDOBJ Corrupted HLL object detected');
    await expect(t.r.call('pfdebug', 'todense', 'bad')).rejects.toThrow('INVALIDOBJ Corrupted HLL object detected');
    await expect(t.r.call('pfdebug', 'getreg', 'nokey')).rejects.toThrow('ERR The specified key does not exist');
  });
});

describe.skipIf(!oracleAvailable)('HyperLogLog vs Redis', () => {
  const d = useDifferential();

  const elements = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('sparse values, their growth and promotion to dense are byte-identical', async () => {
    const cmds: string[][] = [['PFADD', 'h'], ['GET', 'h'], ['PFCOUNT', 'h'], ['GET', 'h']];
    for (let round = 0; round < 40; round++) {
      cmds.push(['PFADD', 'h', ...elements(`r${round}:`, 25)], ['GET', 'h'], ['PFDEBUG', 'ENCODING', 'h']);
      if (round % 5 === 0) cmds.push(['PFCOUNT', 'h'], ['GET', 'h'], ['PFDEBUG', 'DECODE', 'h']);
    }
    cmds.push(['PFCOUNT', 'h'], ['STRLEN', 'h'], ['OBJECT', 'ENCODING', 'h']);
    await expectSame(d.pair, cmds);
  });

  it('PFMERGE of a dense value into a sparse one turns it dense', async () => {
    await expectSame(d.pair, [
      ['PFADD', 'a', ...elements('x', 5)],
      ['PFADD', 'b', ...elements('y', 3000)],
      ['PFDEBUG', 'ENCODING', 'b'],
      ['PFMERGE', 'a', 'b'],
      ['GET', 'a'],
      ['PFDEBUG', 'ENCODING', 'a'],
      ['PFCOUNT', 'a', 'b'],
      ['PFCOUNT', 'a'],
      ['GET', 'a'],
    ]);
  });

  it('PFMERGE builds the same sparse and dense values', async () => {
    await expectSame(d.pair, [
      ['PFADD', 's1', ...elements('p', 40)],
      ['PFADD', 's2', ...elements('q', 60)],
      ['PFMERGE', 'm', 's1', 's2', 'missing'],
      ['GET', 'm'],
      ['PFDEBUG', 'DECODE', 'm'],
      ['PFMERGE', 'm'],
      ['GET', 'm'],
      ['PFMERGE', 'new'],
      ['GET', 'new'],
      ['PFADD', 'd', ...elements('z', 2000)],
      ['PFDEBUG', 'TODENSE', 's2'],
      ['PFDEBUG', 'TODENSE', 's2'],
      ['PFMERGE', 'm2', 's1', 's2'],
      ['GET', 'm2'],
      ['PFMERGE', 's1', 'd'],
      ['GET', 's1'],
      ['PFCOUNT', 's1', 'd', 'm', 'm2'],
      ['PFCOUNT', 'm2'],
      ['GET', 'm2'],
    ]);
  });

  it('honours hll-sparse-max-bytes', async () => {
    await d.pair.ours.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '100');
    await d.pair.theirs.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '100');
    try {
      const cmds: string[][] = [];
      for (let i = 0; i < 40; i++) cmds.push(['PFADD', 'h', `e${i}`], ['PFDEBUG', 'ENCODING', 'h'], ['STRLEN', 'h']);
      cmds.push(['GET', 'h']);
      await expectSame(d.pair, cmds);
    } finally {
      await d.pair.ours.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
      await d.pair.theirs.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
    }
  });

  it('values made by Redis are read and extended identically', async () => {
    for (const n of [3, 300, 5000]) {
      const key = `made${n}`;
      await d.pair.theirs.call('PFADD', key, ...elements(`m${n}:`, n));
      const reply = await d.pair.theirs.call('GET', key);
      const body = reply.slice(reply.indexOf('\r\n') + 2, -2);
      await d.pair.ours.call('SET', key, body);
      await d.pair.theirs.call('SET', key, body);
      await expectSame(d.pair, [
        ['PFCOUNT', key],
        ['GET', key],
        ['PFADD', key, ...elements('more', 50)],
        ['GET', key],
        ['PFCOUNT', key, 'nokey'],
        ['PFDEBUG', 'ENCODING', key],
        ['PFDEBUG', 'GETREG', key],
        ['GET', key],
      ]);
    }
  });

  it('errors and edge replies match', async () => {
    await expectSame(d.pair, [
      ['SET', 'str', 'hello'],
      ['PFADD', 'str', 'a'],
      ['PFCOUNT', 'str'],
      ['PFCOUNT', 'nokey'],
      ['PFCOUNT', 'nokey', 'str'],
      ['PFMERGE', 'dst', 'str'],
      ['EXISTS', 'dst'],
      ['SET', 'int', '12345'],
      ['PFADD', 'int'],
      ['SET', 'fake', 'HYLL\x02\0\0\0\0\0\0\0\0\0\0\0xx'],
      ['PFCOUNT', 'fake'],
      ['SET', 'fakedense', 'HYLL\0\0\0\0\0\0\0\0\0\0\0\0xx'],
      ['PFCOUNT', 'fakedense'],
      ['SET', 'bad', 'HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\x00'],
      ['PFCOUNT', 'bad'],
      ['PFADD', 'bad', 'a', 'b'],
      ['PFMERGE', 'bad2', 'bad'],
      ['PFDEBUG', 'DECODE', 'bad'],
      ['PFDEBUG', 'GETREG', 'bad'],
      ['PFADD', 'h', 'a'],
      ['PFDEBUG', 'NOPE', 'h'],
      ['PFDEBUG', 'NOPE', 'nokey'],
      ['PFDEBUG', 'DECODE', 'str'],
      ['PFDEBUG', 'ENCODING'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFADD'],
      ['PFCOUNT'],
      ['PFMERGE'],
      ['PFSELFTEST', 'x'],
      ['OBJECT', 'ENCODING', 'h'],
    ]);
  });

  it('PFCOUNT caches the count in the value and counts as a change', async () => {
    const changes = async (r: typeof d.pair.ours): Promise<number> => {
      const info = await r.call('INFO', 'persistence');
      return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
    };
    const before = [await changes(d.pair.ours), await changes(d.pair.theirs)];
    await expectSame(d.pair, [
      ['PFADD', 'h', 'a', 'b', 'c', 'd'],
      ['PFADD', 'h', 'a'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'h', 'h'],
      ['PFMERGE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'GETREG', 'h'],
      ['GET', 'h'],
    ]);
    expect((await changes(d.pair.ours)) - before[0]!).toBe((await changes(d.pair.theirs)) - before[1]!);
  });

  const seed = testSeed();
  it(`random PFADD/PFCOUNT/PFMERGE sequence (seed ${seed})`, async () => {
    const rnd = seededRandom(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const key = (): string => `h${int(4)}`;
    const cmds: string[][] = [];
    for (let i = 0; i < 400; i++) {
      const r = int(100);
      if (r < 45) {
        const n = int(4) === 0 ? int(400) : int(8);
        const els: string[] = [];
        for (let j = 0; j < n; j++) els.push(int(3) === 0 ? String(int(100000)) : `e${int(5000)}`);
        cmds.push(['PFADD', key(), ...els]);
      } else if (r < 60) {
        const ks = Array.from({ length: 1 + int(3) }, key);
        cmds.push(['PFCOUNT', ...ks]);
      } else if (r < 70) {
        cmds.push(['PFMERGE', key(), ...Array.from({ length: int(3) }, key)]);
      } else if (r < 85) {
        cmds.push(['GET', key()]);
      } else if (r < 90) {
        cmds.push(['PFDEBUG', int(2) ? 'ENCODING' : 'DECODE', key()]);
      } else if (r < 93) {
        cmds.push(['PFDEBUG', 'TODENSE', key()]);
      } else if (r < 96) {
        cmds.push(['CONFIG', 'SET', 'hll-sparse-max-bytes', String([3000, 200, 40, 10000][int(4)])]);
      } else {
        cmds.push(['DEL', key()]);
      }
    }
    try {
      await expectSame(d.pair, cmds);
    } finally {
      await d.pair.ours.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
      await d.pair.theirs.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
    }
  });
});
