/*
 * Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO. Real-client checks with
 * ioredis and node-redis, the size limits, and differential runs against real Redis: a table of
 * edge cases (argument and lookup order, ranges, overflow modes, `#` offsets, errors) and a seeded
 * random sequence comparing every reply and the bytes of every key (GET), plus the dirty counter.
 * TREDIS_SEED=<seed> replays a failing random run.
 */

import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { seededRandom, testSeed, useDifferential, useServer } from './helpers/setup';

describe('bitmap commands', () => {
  const t = useServer();

  it('SETBIT / GETBIT / BITCOUNT / BITPOS through ioredis', async () => {
    expect(await t.r.setbit('b', 7, 1)).toBe(0);
    expect(await t.r.setbit('b', 7, 1)).toBe(1);
    expect(await t.r.setbit('b', 100, 1)).toBe(0);
    expect(await t.r.getbit('b', 100)).toBe(1);
    expect(await t.r.getbit('b', 101)).toBe(0);
    expect(await t.r.getbit('b', 1e9)).toBe(0);
    expect(await t.r.strlen('b')).toBe(13);
    expect(await t.r.bitcount('b')).toBe(2);
    expect(await t.r.bitpos('b', 1)).toBe(7);
    expect(await t.r.bitpos('b', 1, 1)).toBe(100);
    expect(await t.r.object('ENCODING', 'b')).toBe('raw');
    const bytes = (await t.r.getBuffer('b'))!;
    expect(bytes[0]).toBe(1);
    expect(bytes[12]).toBe(0x08);
  });

  it('BITOP and BITFIELD through ioredis', async () => {
    await t.r.set('a', Buffer.from([0xf0, 0x0f]));
    await t.r.set('b', Buffer.from([0xff]));
    expect(await t.r.bitop('AND', 'd', 'a', 'b')).toBe(2);
    expect([...(await t.r.getBuffer('d'))!]).toEqual([0xf0, 0x00]);
    expect(await t.r.bitop('NOT', 'd', 'a')).toBe(2);
    expect([...(await t.r.getBuffer('d'))!]).toEqual([0x0f, 0xf0]);
    expect(await t.r.call('bitfield', 'f', 'SET', 'i8', 0, -5, 'GET', 'u8', 0, 'INCRBY', 'u4', '#3', 20)).toEqual([0, 251, 4]);
    expect(await t.r.bitfield('f', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 0, 10)).toEqual([null]);
    expect(await t.r.call('bitfield_ro', 'f', 'GET', 'i8', 0)).toEqual([-5]);
  });

  it('BITFIELD nulls and integers in RESP3 (node-redis)', async () => {
    const client = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      const reply = await client.sendCommand(['BITFIELD', 'r3', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '300', 'INCRBY', 'i64', '8', '-9223372036854775808']);
      expect(reply).toEqual([null, -9223372036854775808]);
    } finally {
      await client.quit();
    }
  });

  it('wrong type everywhere it belongs', async () => {
    t.srv.state.dbs[0]!.add('coll', { type: 'list' });
    const wrong = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    await expect(t.r.setbit('coll', 0, 1)).rejects.toThrow(wrong);
    await expect(t.r.getbit('coll', 0)).rejects.toThrow(wrong);
    await expect(t.r.bitcount('coll')).rejects.toThrow(wrong);
    await expect(t.r.bitpos('coll', 1)).rejects.toThrow(wrong);
    await expect(t.r.bitop('AND', 'd', 'coll')).rejects.toThrow(wrong);
    await expect(t.r.bitfield('coll', 'GET', 'u8', 0)).rejects.toThrow(wrong);
    await expect(t.r.bitfield('coll', 'SET', 'u8', 0, 1)).rejects.toThrow(wrong);
    // BITOP overwrites a destination of any type
    expect(await t.r.set('s', 'x')).toBe('OK');
    expect(await t.r.bitop('OR', 'coll', 's')).toBe(1);
    expect(await t.r.get('coll')).toBe('x');
  });

  it('offsets are capped by proto-max-bulk-len, and strings by V8 longest string', async () => {
    await t.r.config('SET', 'proto-max-bulk-len', '1mb');
    try {
      await expect(t.r.setbit('big', 8 * 1024 * 1024, 1)).rejects.toThrow('ERR bit offset is not an integer or out of range');
      await expect(t.r.bitfield('big', 'SET', 'u8', '#1048576', 1)).rejects.toThrow('ERR bit offset is not an integer or out of range');
      expect(await t.r.setbit('big', 8 * 1024 * 1024 - 1, 1)).toBe(0);
      expect(await t.r.strlen('big')).toBe(1024 * 1024);
    } finally {
      await t.r.config('SET', 'proto-max-bulk-len', '512mb');
    }
    // within 512MB but beyond what a V8 string can hold: refused, nothing allocated
    await expect(t.r.setbit('huge', 2 ** 32 - 1, 1)).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    await expect(t.r.bitfield('huge', 'SET', 'u8', 2 ** 32 - 8, 1)).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    expect(await t.r.exists('huge')).toBe(0);
    expect(await t.r.getbit('huge', 2 ** 32 - 1)).toBe(0);
  });

  it('repeated SETBIT on a growing bitmap stays fast enough', async () => {
    // 20000 sets over a 256 KB bitmap; each set copies the string once
    const pipe = t.r.pipeline();
    for (let i = 0; i < 20000; i++) pipe.setbit('grow', i * 100, 1);
    const started = performance.now();
    await pipe.exec();
    const ms = performance.now() - started;
    expect(await t.r.bitcount('grow')).toBe(20000);
    expect(await t.r.strlen('grow')).toBe(Math.floor((19999 * 100) / 8) + 1);
    expect(ms).toBeLessThan(20000);
  });
});

/** Bytes of a random short string value (binary, sometimes a canonical integer). */
function randomValue(int: (n: number) => number): string {
  if (int(5) === 0) return String(int(100000) - 50000);
  const n = int(12);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode([0, 0xff, 0x0f, 0xf0, 0x80, 0x01][int(6)]! ^ (int(3) === 0 ? int(256) : 0));
  return s;
}

describe.skipIf(!oracleAvailable)('bitmaps vs Redis', () => {
  const d = useDifferential();

  it('edge cases of argument parsing and ranges', async () => {
    await expectSame(d.pair, [
      ['SETBIT', 'k', '7', '1'],
      ['SETBIT', 'k', '100', '1'],
      ['GET', 'k'],
      ['SETBIT', 'k', '-1', '1'],
      ['SETBIT', 'k', 'x', '1'],
      ['SETBIT', 'k', '1', '2'],
      ['SETBIT', 'k', '1', '01'],
      ['SETBIT', 'k', '1', '-0'],
      ['SETBIT', 'k', '9223372036854775807', '1'],
      ['SETBIT', 'k', '4294967296', '1'],
      ['GETBIT', 'k', '-1'],
      ['GETBIT', 'k', '4294967296'],
      ['GETBIT', 'nokey', '1'],
      ['GETBIT', 'nokey', 'x'],
      ['SET', 's', 'abc'],
      ['BITCOUNT', 's'],
      ['BITCOUNT', 's', '0', '0'],
      ['BITCOUNT', 's', '1', '-1', 'BIT'],
      ['BITCOUNT', 's', '5', '30', 'bit'],
      ['BITCOUNT', 's', '5', '30', 'ByTe'],
      ['BITCOUNT', 's', 'a'],
      ['BITCOUNT', 'nokey', 'a'],
      ['BITCOUNT', 'nokey', 'a', 'b', 'c', 'd'],
      ['BITCOUNT', 's', '-1', '-2', 'foo'],
      ['BITCOUNT', 's', '0', '-1', 'foo'],
      ['BITCOUNT', 's', 'a', 'b', 'foo'],
      ['BITCOUNT', 's', '0', '1', '2', '3'],
      ['BITCOUNT', 's', '-9223372036854775808', '9223372036854775807'],
      ['BITCOUNT', 's', '-4611686018427387904', '-9223372036854775808'],
      ['BITCOUNT', 's', '-9223372036854775808', '-4611686018427387904'],
      ['BITCOUNT', 's', '-100', '-1', 'BIT'],
      ['BITCOUNT', 's', '9223372036854775808', '1'],
      ['BITPOS', 's', '2'],
      ['BITPOS', 's', 'x'],
      ['BITPOS', 'nokey', '1', 'a'],
      ['BITPOS', 'nokey', '0'],
      ['BITPOS', 's', '1', 'a'],
      ['BITPOS', 's', '1'],
      ['BITPOS', 's', '0'],
      ['BITPOS', 's', '1', '1'],
      ['BITPOS', 's', '0', '1', '2'],
      ['BITPOS', 's', '0', '1', '2', 'bit'],
      ['BITPOS', 's', '1', '7', '20', 'BIT'],
      ['BITPOS', 's', '0', '-5', '-1', 'bit'],
      ['BITPOS', 's', '0', '1', '2', 'bits'],
      ['BITPOS', 's', '0', '1', '2', 'bit', 'x'],
      ['BITPOS', 's', '1', '-9223372036854775808', '9223372036854775807', 'bit'],
      ['SET', 'e', ''],
      ['BITPOS', 'e', '0'],
      ['BITPOS', 'e', '1'],
      ['BITCOUNT', 'e', '0', '-1'],
      ['SET', 'f', '\xff\xff'],
      ['BITPOS', 'f', '0'],
      ['BITPOS', 'f', '0', '0', '-1'],
      ['BITPOS', 'f', '0', '0'],
      ['BITPOS', 'f', '0', '1', '1', 'byte'],
      ['BITPOS', 'f', '0', '3', '20', 'bit'],
      ['BITPOS', 'f', '0', '3', 'x', 'bit'],
      ['BITPOS', 'f', '1', '2'],
      ['SET', 'n', '123'],
      ['SETBIT', 'n', '0', '0'],
      ['OBJECT', 'ENCODING', 'n'],
      ['GET', 'n'],
      ['SET', 'n2', '5'],
      ['GETBIT', 'n2', '2'],
      ['BITCOUNT', 'n2'],
      ['OBJECT', 'ENCODING', 'n2'],
    ]);
  });

  it('BITOP', async () => {
    await expectSame(d.pair, [
      ['SET', 's', 'abc'],
      ['SET', 'f', '\xff\xff'],
      ['SETBIT', 'k', '100', '1'],
      ['BITOP', 'AND', 'd', 's', 'f'],
      ['GET', 'd'],
      ['OBJECT', 'ENCODING', 'd'],
      ['BITOP', 'or', 'd', 's', 'f', 'k'],
      ['GET', 'd'],
      ['BITOP', 'XOR', 'd', 's', 'nokey'],
      ['GET', 'd'],
      ['BITOP', 'Not', 'd', 's'],
      ['GET', 'd'],
      ['BITOP', 'NOT', 'd', 's', 'f'],
      ['BITOP', 'NAND', 'd', 's'],
      ['BITOP', 'AND', 'd', 'nokey'],
      ['EXISTS', 'd'],
      ['BITOP', 'AND', 'd', 'nokey'],
      ['SET', 'num', '12'],
      ['BITOP', 'OR', 'd2', 'num'],
      ['GET', 'd2'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['SET', 'ttl', 'x', 'EX', '100'],
      ['BITOP', 'OR', 'ttl', 'num'],
      ['TTL', 'ttl'],
      ['BITOP', 'AND'],
      ['BITOP', 'AND', 'd'],
    ]);
  });

  it('BITFIELD', async () => {
    await expectSame(d.pair, [
      ['BITFIELD', 'k'],
      ['EXISTS', 'k'],
      ['BITFIELD', 'k', 'GET', 'u8', '0'],
      ['EXISTS', 'k'],
      ['BITFIELD', 'k', 'SET', 'i8', '0', '-1', 'GET', 'u8', '0', 'GET', 'i4', '4', 'INCRBY', 'u2', '100', '1'],
      ['GET', 'k'],
      ['BITFIELD', 'k', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', '0', '-1000', 'INCRBY', 'u8', '8', '1000', 'OVERFLOW', 'FAIL', 'INCRBY', 'i8', '0', '-1'],
      ['BITFIELD', 'k', 'OVERFLOW', 'WRAP', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '9223372036854775807'],
      ['BITFIELD', 'k', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-9223372036854775808'],
      ['BITFIELD', 'k', 'SET', 'u63', '3', '-1', 'GET', 'u63', '3', 'OVERFLOW', 'SAT', 'SET', 'u63', '3', '-1', 'GET', 'u63', '3', 'OVERFLOW', 'FAIL', 'SET', 'u63', '3', '-5'],
      ['BITFIELD', 'k', 'SET', 'u8', '#2', '255', 'GET', 'u8', '#2', 'GET', 'i8', '#2'],
      ['BITFIELD', 'k', 'OVERFLOW', 'SAT', 'SET', 'u8', '0', '-1', 'SET', 'i8', '8', '200', 'SET', 'i8', '8', '-200'],
      ['BITFIELD', 'k', 'GET', 'u64', '0'],
      ['BITFIELD', 'k', 'GET', 'i65', '0'],
      ['BITFIELD', 'k', 'GET', 'i0', '0'],
      ['BITFIELD', 'k', 'GET', 'I8', '0'],
      ['BITFIELD', 'k', 'GET', 'x8', '0'],
      ['BITFIELD', 'k', 'GET', 'i', '0'],
      ['BITFIELD', 'k', 'GET', 'i08', '0'],
      ['BITFIELD', 'k', 'GET', 'i+8', '0'],
      ['BITFIELD', 'k', 'GET', 'u8', '-1'],
      ['BITFIELD', 'k', 'GET', 'u8', '#-1'],
      ['BITFIELD', 'k', 'GET', 'u8', '#'],
      ['BITFIELD', 'k', 'GET', 'u8', '#1000000000000000000'],
      ['BITFIELD', 'k', 'GET', 'u8', '4294967295'],
      ['BITFIELD', 'k', 'GET', 'u8', '4294967296'],
      ['BITFIELD', 'k', 'SET', 'u8', '0'],
      ['BITFIELD', 'k', 'SET', 'u8', '0', 'a'],
      ['BITFIELD', 'k', 'SET', 'u8', '0', '1', 'GET', 'x', '0'],
      ['BITFIELD', 'k', 'OVERFLOW', 'foo'],
      ['BITFIELD', 'k', 'OVERFLOW'],
      ['BITFIELD', 'k', 'OVERFLOW', 'sat'],
      ['BITFIELD', 'k', 'foo'],
      ['BITFIELD', 'k', 'GET', 'u8'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0', 'SET', 'u8', '0', '1'],
      ['BITFIELD_RO', 'k', 'SET', 'u8', '0', 'x'],
      ['BITFIELD_RO', 'k', 'INCRBY', 'u8', '0', '1'],
      ['BITFIELD_RO', 'k', 'GET', 'u8', '0', 'OVERFLOW', 'FAIL'],
      ['BITFIELD_RO', 'nokey', 'GET', 'i8', '0'],
      ['GET', 'k'],
      ['BITFIELD', 'k2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u1', '1000', '2'],
      ['GET', 'k2'],
      ['BITFIELD', 'k2', 'GET', 'u16', '995', 'SET', 'u1', '999', '1', 'GET', 'u16', '995'],
      ['SET', 'n', '1234'],
      ['BITFIELD', 'n', 'GET', 'u16', '0', 'SET', 'u8', '0', '49'],
      ['OBJECT', 'ENCODING', 'n'],
      ['BITFIELD', 'n', 'INCRBY', 'u8', '0', '1'],
      ['GET', 'n'],
    ]);
  });

  it('BITFIELD overflow at the extremes of every width', async () => {
    const extremes = ['0', '1', '-1', '127', '-128', '128', '-129', '255', '256', '32767', '-32768', '4611686018427387903', '-4611686018427387904',
      '4611686018427387904', '9223372036854775807', '-9223372036854775808', '-9223372036854775807', '-9223372036854743041'];
    const cmds: string[][] = [];
    for (const type of ['i1', 'i2', 'i8', 'i16', 'i62', 'i63', 'i64', 'u1', 'u8', 'u16', 'u62', 'u63']) {
      for (const mode of ['WRAP', 'SAT', 'FAIL']) {
        for (const v of extremes) {
          cmds.push(['BITFIELD', 'x', 'OVERFLOW', mode, 'SET', type, '3', v, 'GET', type, '3']);
          cmds.push(['BITFIELD', 'x', 'OVERFLOW', mode, 'INCRBY', type, '3', v, 'INCRBY', type, '3', v]);
        }
      }
    }
    cmds.push(['GET', 'x']);
    await expectSame(d.pair, cmds);
  });

  it('proto-max-bulk-len limits offsets as in Redis', async () => {
    await d.pair.ours.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');
    await d.pair.theirs.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');
    try {
      await expectSame(d.pair, [
        ['SETBIT', 'big', '8388608', '1'],
        ['SETBIT', 'big', '8388607', '1'],
        ['STRLEN', 'big'],
        ['BITFIELD', 'big', 'GET', 'u8', '#1048575', 'GET', 'u8', '#1048576'],
        ['BITFIELD', 'big', 'SET', 'u8', '#1048575', '7', 'GET', 'u8', '#1048575'],
        ['BITFIELD', 'big', 'SET', 'u8', '8388607', '7'],
        ['STRLEN', 'big'],
        ['BITCOUNT', 'big'],
        ['BITPOS', 'big', '1', '-1'],
        ['GETBIT', 'big', '8388608'],
      ]);
    } finally {
      await d.pair.ours.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
      await d.pair.theirs.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
    }
  });

  it('large bitmaps count and search the same', async () => {
    const cmds: string[][] = [];
    for (let i = 0; i < 200; i++) cmds.push(['SETBIT', 'L', String(i * 997 + (i % 7)), String(i % 5 === 0 ? 0 : 1)]);
    cmds.push(
      ['BITCOUNT', 'L'],
      ['BITCOUNT', 'L', '3', '-3'],
      ['BITCOUNT', 'L', '29', '199000', 'BIT'],
      ['BITPOS', 'L', '0'],
      ['BITPOS', 'L', '1', '100'],
      ['BITPOS', 'L', '1', '-100', '-1'],
      ['BITPOS', 'L', '0', '100', '-1', 'BIT'],
      ['SETBIT', 'M', '300000', '1'],
      ['BITOP', 'XOR', 'X', 'L', 'M'],
      ['BITOP', 'AND', 'A', 'L', 'M'],
      ['BITOP', 'NOT', 'N', 'L'],
      ['BITCOUNT', 'X'],
      ['BITCOUNT', 'A'],
      ['BITCOUNT', 'N'],
      ['BITPOS', 'N', '0'],
      ['GET', 'X'],
      ['GET', 'N'],
    );
    await expectSame(d.pair, cmds);
  });

  const bigSeed = testSeed();
  it(`big bitmaps edited through ropes match byte for byte (seed ${bigSeed})`, async () => {
    const rnd = seededRandom(bigSeed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const key = (): string => `B${int(3)}`;
    const bit = (): string => String(int(3) === 0 ? int(3_000_000) : int(800_000));
    const cmds: string[][] = [['SETBIT', 'B0', '600000', '1'], ['SETBIT', 'B1', '1000', '1']];
    for (let i = 0; i < 1500; i++) {
      const r = int(100);
      if (r < 45) cmds.push(['SETBIT', key(), bit(), String(int(2))]);
      else if (r < 65) cmds.push(['GETBIT', key(), bit()]);
      else if (r < 75) cmds.push(['BITFIELD', key(), 'INCRBY', ['u8', 'i16', 'u63', 'i64'][int(4)]!, bit(), String(int(1000) - 500), 'GET', 'u32', bit()]);
      else if (r < 80) cmds.push(['BITFIELD_RO', key(), 'GET', 'i13', bit()]);
      else if (r < 84) cmds.push(['BITCOUNT', key(), String(int(50000)), String(-int(50000))]);
      else if (r < 87) cmds.push(['BITPOS', key(), String(int(2)), String(int(100000))]);
      else if (r < 89) cmds.push(['GET', key()]);
      else if (r < 92) cmds.push(['SETRANGE', key(), String(int(200000)), 'xyz']);
      else if (r < 94) cmds.push(['APPEND', key(), '\xff\x00']);
      else if (r < 96) cmds.push(['STRLEN', key()]);
      else if (r < 98) cmds.push(['BITOP', 'OR', key(), key(), key()]);
      else cmds.push(['DEL', key()]);
    }
    cmds.push(['GET', 'B0'], ['GET', 'B1'], ['GET', 'B2']);
    await expectSame(d.pair, cmds);
  });

  const seed = testSeed();
  it(`random bitmap sequence (seed ${seed})`, async () => {
    const rnd = seededRandom(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const key = (): string => (int(15) === 0 ? 'nokey' : `b${int(4)}`);
    const idx = (): string => {
      const r = int(10);
      if (r === 0) return String(-int(30));
      if (r === 1) return ['9223372036854775807', '-9223372036854775808', 'x', ''][int(4)]!;
      return String(int(120));
    };
    const offset = (): string => (int(20) === 0 ? ['-1', 'x', '#3', '4294967296'][int(4)]! : String(int(int(5) === 0 ? 2000 : 200)));
    const type = (): string => {
      if (int(30) === 0) return ['u64', 'i65', 'i0', 'x8', 'U8'][int(5)]!;
      const signed = int(2) === 0;
      const bits = int(3) === 0 ? 1 + int(signed ? 64 : 63) : [1, 4, 8, 16, 32][int(5)]!;
      return (signed ? 'i' : 'u') + bits;
    };
    const fieldOffset = (): string => (int(4) === 0 ? `#${int(20)}` : String(int(150)));
    const fieldValue = (): string =>
      int(5) === 0 ? ['9223372036854775807', '-9223372036854775808', '255', '-1', '4294967296'][int(5)]! : String(int(2000) - 1000);
    const cmds: string[][] = [];
    for (let i = 0; i < 1500; i++) {
      const r = int(100);
      if (r < 20) cmds.push(['SETBIT', key(), offset(), int(25) === 0 ? '2' : String(int(2))]);
      else if (r < 28) cmds.push(['GETBIT', key(), offset()]);
      else if (r < 38) {
        const c = ['BITCOUNT', key()];
        const shape = int(4);
        if (shape >= 1) c.push(idx(), idx());
        if (shape >= 2) c.push(['BIT', 'BYTE', 'bit', 'foo'][int(4)]!);
        if (shape === 3 && int(4) === 0) c.splice(2, 1);
        cmds.push(c);
      } else if (r < 50) {
        const c = ['BITPOS', key(), int(15) === 0 ? '2' : String(int(2))];
        const n = int(4);
        if (n >= 1) c.push(idx());
        if (n >= 2) c.push(idx());
        if (n >= 3) c.push(['BIT', 'BYTE', 'bit', 'x'][int(4)]!);
        cmds.push(c);
      } else if (r < 58) {
        const op = ['AND', 'OR', 'XOR', 'NOT', 'and'][int(5)]!;
        const n = op === 'NOT' ? 1 : 1 + int(3);
        cmds.push(['BITOP', op, key(), ...Array.from({ length: n }, key)]);
      } else if (r < 75) {
        const c = [int(6) === 0 ? 'BITFIELD_RO' : 'BITFIELD', key()];
        const n = 1 + int(4);
        for (let j = 0; j < n; j++) {
          const k = int(10);
          if (k < 3) c.push('GET', type(), fieldOffset());
          else if (k < 6) c.push('SET', type(), fieldOffset(), fieldValue());
          else if (k < 9) c.push('INCRBY', type(), fieldOffset(), fieldValue());
          else c.push('OVERFLOW', ['WRAP', 'SAT', 'FAIL', 'fail'][int(4)]!);
        }
        cmds.push(c);
      } else if (r < 88) cmds.push(['GET', key()]);
      else if (r < 93) cmds.push(['SET', key(), randomValue(int)]);
      else if (r < 96) cmds.push(['STRLEN', key()]);
      else if (r < 98) cmds.push(['OBJECT', 'ENCODING', key()]);
      else cmds.push(['DEL', key()]);
    }
    const changes = async (r: typeof d.pair.ours): Promise<number> =>
      Number(/rdb_changes_since_last_save:(\d+)/.exec(await r.call('INFO', 'persistence'))![1]);
    const before = [await changes(d.pair.ours), await changes(d.pair.theirs)];
    await expectSame(d.pair, cmds);
    // the same number of changes counted (SETBIT/BITFIELD count only real changes)
    expect((await changes(d.pair.ours)) - before[0]!).toBe((await changes(d.pair.theirs)) - before[1]!);
  });
});
