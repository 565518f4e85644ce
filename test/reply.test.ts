/*
 * ReplyBuffer's headers: small counts come from precomputed tables, the rest are formatted; both
 * must give the same bytes at and around the table's edge, for negative numbers and for bigints.
 */

import { describe, expect, it } from 'vitest';
import { bulkHead, ReplyBuffer } from '../src/protocol/reply';

const NUMBERS = [0, 1, 2, 9, 10, 511, 1022, 1023, 1024, 1025, 65535, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];

describe('ReplyBuffer headers', () => {
  it('writes integers as :<n>, whether small, large, negative or bigint', () => {
    for (const n of [...NUMBERS, ...NUMBERS.map((x) => -x), -1]) {
      const r = new ReplyBuffer();
      r.int(n);
      expect(r.text).toBe(`:${n}\r\n`);
    }
    for (const n of [0n, 5n, 1023n, -7n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const r = new ReplyBuffer();
      r.int(n);
      expect(r.text).toBe(`:${n}\r\n`);
    }
  });

  it('writes array and bulk headers with their counts', () => {
    for (const n of [...NUMBERS, -1]) {
      const r = new ReplyBuffer();
      r.array(n);
      expect(r.text).toBe(`*${n}\r\n`);
      if (n >= 0) expect(bulkHead(n)).toBe(`$${n}\r\n`);
    }
    for (const len of [0, 1, 1023, 1024, 5000]) {
      const r = new ReplyBuffer();
      const s = 'x'.repeat(len);
      r.bulk(s);
      expect(r.text).toBe(`$${len}\r\n${s}\r\n`);
    }
  });
});

describe('ReplyBuffer takeText and clear', () => {
  it('takeText returns the text and the spilled chunks in order, as bytes, and empties the buffer', () => {
    const r = new ReplyBuffer();
    r.bulk('small');
    r.bulkBuffer(Buffer.from([0, 0xff, 0x80]));
    const big = 'x'.repeat(100_000);
    r.bulk(big);
    r.int(7);
    expect(r.takeText()).toBe(`$5\r\nsmall\r\n$3\r\n\u0000\u00ff\u0080\r\n$100000\r\n${big}\r\n:7\r\n`);
    expect(r.empty).toBe(true);
    expect(r.takeText()).toBe('');
    r.ok();
    expect(r.takeText()).toBe('+OK\r\n');
  });

  it('clear drops text and chunks alike', () => {
    const r = new ReplyBuffer();
    r.bulk('x'.repeat(100_000));
    r.ok();
    r.clear();
    expect(r.empty).toBe(true);
    r.ok();
    expect(r.take()).toEqual(['+OK\r\n']);
  });
});
