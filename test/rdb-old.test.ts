/*
 * Loading the encodings of older Redis versions (RDB 9 and before): ziplist lists, hashes and
 * zsets, quicklists of ziplists, zipmap hashes, text-double zsets, plain lists, second-resolution
 * expiry. The file is built here byte by byte; real Redis 7.0 loading the same file is the
 * reference (its DEBUG DIGEST and OBJECT ENCODINGs must equal ours).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RdbWriter } from '../src/persistence/rdb-format';
import { RawSession } from './helpers/raw';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

/** A ziplist of these entries (integers encoded as integers, as Redis did). */
function ziplist(items: string[]): Buffer {
  const entries: Buffer[] = [];
  let prevlen = 0;
  let tail = 10;
  let offset = 10;
  for (const it of items) {
    const pre = prevlen < 254 ? Buffer.from([prevlen]) : Buffer.concat([Buffer.from([0xfe]), u32le(prevlen)]);
    let body: Buffer;
    if (/^(0|-?[1-9]\d{0,17})$/.test(it)) {
      const v = BigInt(it);
      if (v >= 0n && v <= 12n) body = Buffer.from([0xf1 + Number(v)]);
      else if (v >= -128n && v <= 127n) body = Buffer.from([0xfe, Number(v) & 0xff]);
      else if (v >= -32768n && v <= 32767n) {
        body = Buffer.alloc(3);
        body[0] = 0xc0;
        body.writeInt16LE(Number(v), 1);
      } else if (v >= -8388608n && v <= 8388607n) {
        body = Buffer.alloc(4);
        body[0] = 0xf0;
        body.writeIntLE(Number(v), 1, 3);
      } else if (v >= -2147483648n && v <= 2147483647n) {
        body = Buffer.alloc(5);
        body[0] = 0xd0;
        body.writeInt32LE(Number(v), 1);
      } else {
        body = Buffer.alloc(9);
        body[0] = 0xe0;
        body.writeBigInt64LE(v, 1);
      }
    } else {
      const s = Buffer.from(it, 'latin1');
      let head: Buffer;
      if (s.length < 64) head = Buffer.from([s.length]);
      else if (s.length < 16384) head = Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]);
      else {
        head = Buffer.alloc(5);
        head[0] = 0x80;
        head.writeUInt32BE(s.length, 1);
      }
      body = Buffer.concat([head, s]);
    }
    const e = Buffer.concat([pre, body]);
    tail = offset;
    offset += e.length;
    prevlen = e.length;
    entries.push(e);
  }
  const total = offset + 1;
  const h = Buffer.alloc(10);
  h.writeUInt32LE(total, 0);
  h.writeUInt32LE(tail, 4);
  h.writeUInt16LE(items.length, 8);
  return Buffer.concat([h, ...entries, Buffer.from([0xff])]);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function zipmap(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  for (const [f, v] of pairs) parts.push(Buffer.from([f.length]), Buffer.from(f, 'latin1'), Buffer.from([v.length, 0]), Buffer.from(v, 'latin1'));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

function intset16(vals: number[]): Buffer {
  const b = Buffer.alloc(8 + vals.length * 2);
  b.writeUInt32LE(2, 0);
  b.writeUInt32LE(vals.length, 4);
  vals.forEach((v, i) => b.writeInt16LE(v, 8 + i * 2));
  return b;
}

const long = (n: number): string => 'old redis value '.repeat(Math.ceil(n / 16)).slice(0, n);

function oldFile(): Buffer {
  const w = new RdbWriter({ compression: true });
  w.bytes(Buffer.from('REDIS0009', 'latin1'));
  w.byte(0xfa);
  w.string('redis-ver');
  w.string('5.0.14');
  w.byte(0xfe);
  w.len(0);
  const key = (type: number, k: string): void => {
    w.byte(type);
    w.string(k);
  };
  key(10, 'zl:list');
  w.blob(ziplist(['a', '12', '-300', '70000', '5000000000', '-9223372036854775808', long(300)]));
  key(14, 'ql:list');
  w.len(2);
  w.blob(ziplist(['n1', 'n2', '3']));
  w.blob(ziplist(['n4', long(100)]));
  key(13, 'zl:hash');
  w.blob(ziplist(['f1', 'v1', 'f2', '100', 'num', '-7']));
  key(12, 'zl:zset');
  w.blob(ziplist(['low', '-2.5', 'mid', '0', 'high', '1000000', 'inf', 'inf']));
  key(9, 'zm:hash');
  w.blob(zipmap([['name', 'redis'], ['year', '2009']]));
  key(3, 'old:zset');
  w.len(3);
  w.string('a');
  w.bytes(Buffer.from('\x031.5', 'latin1'));
  w.string('b');
  w.byte(254); // +inf
  w.string('c');
  w.bytes(Buffer.from('\x02-3', 'latin1'));
  key(1, 'old:list');
  w.len(3);
  w.string('x');
  w.string('42');
  w.string(long(50));
  key(11, 'old:intset');
  w.blob(intset16([-5, 1, 300]));
  w.byte(0xfd); // EXPIRETIME in seconds, far away
  w.bytes(u32le(2000000000));
  key(0, 'old:ttl');
  w.string('with a ttl');
  key(2, 'old:set');
  w.len(2);
  w.string('m1');
  w.string('7');
  w.byte(0xff);
  w.bytes(w.checksum());
  return Buffer.from(w.result());
}

const KEYS = ['zl:list', 'ql:list', 'zl:hash', 'zl:zset', 'zm:hash', 'old:zset', 'old:list', 'old:intset', 'old:ttl', 'old:set'];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function snapshot(s: RawSession): Promise<string[]> {
  const out = [await s.call('DEBUG', 'DIGEST'), await s.call('DBSIZE'), await s.call('EXPIRETIME', 'old:ttl')];
  for (const k of KEYS) out.push(`${k} ${await s.call('OBJECT', 'ENCODING', k)} ${await s.call('DEBUG', 'DIGEST-VALUE', k)}`);
  out.push(await s.call('LRANGE', 'zl:list', '0', '-1'), await s.call('ZRANGE', 'zl:zset', '0', '-1', 'WITHSCORES'), await s.call('HGETALL', 'zm:hash'));
  return out;
}

describe('old RDB encodings', () => {
  it('load into our types (values checked directly)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-rdb-old-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'old.rdb'), oldFile());
    const srv = await startTestServer({ dir, dbfilename: 'old.rdb' });
    const s = await RawSession.connect(srv.port);
    try {
      expect(await s.call('DBSIZE')).toBe(':10\r\n');
      expect(await s.call('LRANGE', 'ql:list', '0', '-1')).toBe(`*5\r\n$2\r\nn1\r\n$2\r\nn2\r\n$1\r\n3\r\n$2\r\nn4\r\n$100\r\n${long(100)}\r\n`);
      expect(await s.call('HGET', 'zl:hash', 'num')).toBe('$2\r\n-7\r\n');
      expect(await s.call('ZSCORE', 'old:zset', 'b')).toBe('$3\r\ninf\r\n');
      expect(await s.call('SMEMBERS', 'old:intset')).toBe('*3\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n300\r\n');
      expect(await s.call('LINDEX', 'zl:list', '5')).toBe('$20\r\n-9223372036854775808\r\n');
    } finally {
      s.close();
      await srv.close();
    }
  });

  it.skipIf(!oracleAvailable)('load as real Redis 7.0 loads them (digest, encodings, values)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-rdb-old-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'old.rdb'), oldFile());
    const oracle = await startOracle(['--dir', dir, '--dbfilename', 'old.rdb', '--enable-debug-command', 'yes']);
    const o = await RawSession.connect(oracle.port);
    let theirs: string[];
    try {
      theirs = await snapshot(o);
    } finally {
      o.close();
      await oracle.close();
    }
    const srv = await startTestServer({ dir, dbfilename: 'old.rdb', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    try {
      expect(await snapshot(s)).toEqual(theirs);
    } finally {
      s.close();
      await srv.close();
    }
  });
});
