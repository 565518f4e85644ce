/*
 * The RDB byte-level pieces (src/persistence/rdb-format.ts): CRC64, LZF, length/string encodings,
 * listpack/intset/ziplist codecs. Known answers come from Redis 7.0 (DUMP payloads captured from the
 * oracle); round trips cover the rest.
 */

import { describe, expect, it } from 'vitest';
import {
  Crc64,
  crc64,
  format17g,
  lzfCompress,
  lzfDecompress,
  RdbReader,
  RdbWriter,
  readIntset,
  readListpack,
  readZiplist,
  scoreText,
  writeIntset,
  writeListpack,
} from '../src/persistence/rdb-format';
import { seededRandom, testSeed } from './helpers/setup';

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('CRC64 (Jones, as Redis)', () => {
  it('has the reference check value', () => {
    expect(crc64(bin('123456789')).readBigUInt64LE().toString(16)).toBe('e9c6d914c4b8d9ca');
  });
  it("matches a DUMP payload's trailer from Redis 7.0", () => {
    // DUMP of "bar": type 0, string, RDB version 10, CRC64
    expect(crc64(bin('\x00\x03bar\n\x00')).toString('latin1')).toBe('\xe6\xbeI`\xeef\xfd\x17');
  });
});

describe('LZF', () => {
  it('round-trips random and repetitive data', () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const alphabet = 1 + Math.floor(rnd() * 20);
      const b = Buffer.alloc(n);
      for (let k = 0; k < n; k++) b[k] = rnd() < 0.3 && k > 10 ? b[k - 1 - Math.floor(rnd() * 10)]! : 97 + Math.floor(rnd() * alphabet);
      const c = lzfCompress(b, n + 64);
      expect(c, `seed ${seed}`).not.toBeNull();
      expect(lzfDecompress(c!, n).equals(b), `seed ${seed}`).toBe(true);
    }
  });
  it('gives up when the output would not fit', () => {
    const b = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    expect(lzfCompress(b, b.length - 4)).toBeNull();
  });
});

describe('lengths and strings', () => {
  it('encodes lengths in 1, 2, 5 and 9 bytes', () => {
    for (const [n, size] of [[0, 1], [63, 1], [64, 2], [16383, 2], [16384, 5], [2 ** 32 - 1, 5], [2 ** 32, 9]] as const) {
      const w = new RdbWriter({ compression: false });
      w.len(n);
      expect(w.result().length).toBe(size);
      expect(new RdbReader(w.result()).len()).toBe(n);
    }
  });
  it('writes integers int-encoded and long strings LZF-compressed', () => {
    const cases: [string | number, string][] = [
      ['12', '\xc0\x0c'],
      [-1, '\xc0\xff'],
      ['300', '\xc1\x2c\x01'],
      [70000, '\xc2\x70\x11\x01\x00'],
      ['012', '\x03012'],
      ['12345678901', '\x0b12345678901'],
    ];
    for (const [v, enc] of cases) {
      const w = new RdbWriter({ compression: true });
      w.string(v);
      expect(w.result().toString('latin1')).toBe(enc);
      expect(String(new RdbReader(w.result()).stringValue())).toBe(String(v));
    }
    const long = 'a'.repeat(100);
    const w = new RdbWriter({ compression: true });
    w.string(long);
    expect(w.result()[0]).toBe(0xc3);
    expect(new RdbReader(w.result()).string()).toBe(long);
  });
});

describe('listpack, intset, ziplist', () => {
  it('round-trips every listpack entry encoding', () => {
    const elems = ['0', '127', '128', '-1', '4095', '-4096', '4096', '32767', '-32768', '8388607', '-8388608', '2147483647',
      '-2147483648', '2147483648', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '01', '-0', '',
      'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), 'v'.repeat(20000)];
    const lp = writeListpack(elems);
    expect(readListpack(lp)).toEqual(elems);
  });
  it('writes the listpack Redis writes for a small hash', () => {
    // DUMP of HSET h a 1 b hello from Redis 7.0 (type 16, listpack blob)
    const lp = writeListpack(['a', '1', 'b', 'hello']);
    expect(lp.toString('latin1')).toBe('\x16\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\xff');
  });
  it('round-trips intsets of each width', () => {
    for (const set of [['-3', '1', '5'], ['-70000', '1'], ['-9223372036854775808', '0', '9223372036854775807']]) {
      expect(readIntset(writeIntset(set))).toEqual(set);
    }
    expect(writeIntset(['1', '2']).toString('hex')).toBe('02000000020000000100' + '0200');
  });
  it('reads a ziplist', () => {
    // zlbytes zltail zllen | "ab" | int 5 (immediate) | int16 1000 | end
    const entries = [0x00, 0x02, 0x61, 0x62, 0x04, 0xf6, 0x02, 0xc0, 0xe8, 0x03];
    const b = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 3, 0, ...entries, 0xff]);
    b.writeUInt32LE(b.length, 0);
    expect(readZiplist(b)).toEqual(['ab', '5', '1000']);
  });
});

describe('score text', () => {
  it('formats as Redis 7.0 stores listpack scores', () => {
    expect(scoreText(1)).toBe('1');
    expect(scoreText(-0)).toBe('-0');
    expect(scoreText(1.5)).toBe('1.5');
    expect(scoreText(0.1)).toBe('0.10000000000000001');
    expect(scoreText(Infinity)).toBe('inf');
    expect(scoreText(1e20)).toBe('1e+20');
    expect(scoreText(4503599627370496)).toBe('4503599627370496');
    // Redis 7.0.15 DUMPs of one-member zsets: integers up to 2^62 as integers, beyond as %.17g
    expect(scoreText(-537142991088330752)).toBe('-537142991088330752');
    expect(scoreText(1e18)).toBe('1000000000000000000');
    expect(scoreText(7356164860539138000)).toBe('7.356164860539138e+18');
    expect(scoreText(-9.2e18)).toBe('-9.2e+18');
    expect(scoreText(1e-300)).toBe('1e-300');
    expect(format17g(1.23e-7)).toBe('1.23e-07');
    expect(format17g(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(format17g(1.5e-300)).toBe('1.5000000000000001e-300');
    expect(format17g(-2.5e100)).toBe('-2.4999999999999999e+100');
    expect(format17g(123456.789)).toBe('123456.789');
    // exact ties round to even as glibc's printf, not away from zero as JS
    expect(format17g(-1229145729448646.25)).toBe('-1229145729448646.2');
    expect(format17g(1229145729448646.75)).toBe('1229145729448646.8');
    expect(format17g(0.5)).toBe('0.5');
    expect(format17g(1e-5)).toBe('1.0000000000000001e-05');
    expect(format17g(123.456)).toBe('123.456');
    expect(format17g(1e16)).toBe('10000000000000000');
    expect(format17g(1e17)).toBe('1e+17');
    expect(format17g(0.0001)).toBe('0.0001');
  });
});

describe('CRC64 chunking', () => {
  it('gives the same result fed whole, bytewise, or in odd chunks', () => {
    const b = Buffer.alloc(1000);
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 255;
    const whole = crc64(b).toString('hex');
    const c = new Crc64();
    for (let i = 0; i < b.length; ) {
      const n = 1 + (i % 13);
      c.update(b, i, Math.min(b.length, i + n));
      i += n;
    }
    expect(c.bytes().toString('hex')).toBe(whole);
    let slow = 0n;
    for (const byte of b) {
      slow ^= BigInt(byte);
      for (let k = 0; k < 8; k++) slow = slow & 1n ? (slow >> 1n) ^ 0x95ac9329ac4bc9b5n : slow >> 1n;
    }
    const ref = Buffer.alloc(8);
    ref.writeBigUInt64LE(slow);
    expect(whole).toBe(ref.toString('hex'));
  });
});

describe('RdbWriter CRC', () => {
  it('checksums everything written, with advanceCrc() at any points, with or without a sink', () => {
    const rnd = seededRandom(testSeed());
    for (const chunk of [0, 64, 4096]) {
      const seen: Buffer[] = [];
      const w = chunk === 0 ? new RdbWriter({ compression: false }) : new RdbWriter({ compression: false }, (b) => seen.push(Buffer.from(b)), chunk);
      const all: Buffer[] = [];
      for (let i = 0; i < 2000; i++) {
        const b = Buffer.alloc(Math.floor(rnd() * 200));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
        w.bytes(b);
        all.push(b);
        if (rnd() < 0.3) w.advanceCrc();
      }
      expect(w.checksum().toString('hex')).toBe(crc64(Buffer.concat(all)).toString('hex'));
      if (chunk !== 0) {
        w.flush();
        expect(Buffer.concat(seen).equals(Buffer.concat(all))).toBe(true);
      }
    }
  });
});

describe('RdbWriter integers', () => {
  it('writes millisecond times as signed 64-bit little-endian, negative and past 2^32 included', () => {
    const values = [0, 1, -1, 1700000000123, -1700000000123, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1];
    for (const n of values) {
      const w = new RdbWriter({ compression: false }, null, 64);
      w.i64le(n);
      const expected = Buffer.alloc(8);
      expected.writeBigInt64LE(BigInt(n));
      expect(w.result().equals(expected), String(n)).toBe(true);
    }
  });
});
