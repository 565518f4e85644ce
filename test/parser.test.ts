import { describe, expect, it } from 'vitest';
import { latin1 } from '../src/protocol/latin1';
import { QUERY_BUFFER_LIMIT, RequestParser, splitInlineArgs } from '../src/protocol/parser';

function parser(over: Partial<{ maxBulkLen: number; maxQueryBuffer: number; unauthenticated: boolean }> = {}): RequestParser {
  return new RequestParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false, ...over });
}

function feedAll(p: RequestParser, chunks: (string | Buffer)[]): { cmds: string[][]; err: string | null } {
  const cmds: string[][] = [];
  let err: string | null = null;
  for (const ch of chunks) {
    const r = p.feed(typeof ch === 'string' ? Buffer.from(ch, 'latin1') : ch, (a) => {
      cmds.push(a);
      return true;
    });
    if (r !== null) {
      err = r;
      break;
    }
  }
  return { cmds, err };
}

describe('request parser', () => {
  it('parses pipelined multibulk commands', () => {
    const { cmds, err } = feedAll(parser(), ['*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n']);
    expect(err).toBeNull();
    expect(cmds).toEqual([['PING'], ['SET', 'a', '']]);
  });

  it('keeps every byte of arguments of each length from 0 to 40 (short ones are built in JavaScript)', () => {
    const args: Buffer[] = [];
    for (let n = 0; n <= 40; n++) args.push(Buffer.from(Array.from({ length: n }, (_, i) => (n * 37 + i * 101) & 255)));
    const wire = Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')])]);
    const { cmds, err } = feedAll(parser(), [wire]);
    expect(err).toBeNull();
    expect(cmds).toEqual([args.map((a) => a.toString('latin1'))]);
  });

  it('parses a command fed one byte at a time', () => {
    const wire = '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nv\r\nal\r\nPING\r\n';
    const { cmds } = feedAll(parser(), wire.split(''));
    expect(cmds).toEqual([['SET', 'key', 'v\r\nal'], ['PING']]);
  });

  it('receives a big bulk argument across chunks byte-exact', () => {
    const value = Buffer.alloc(200000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 255;
    const wire = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${value.length}\r\n`), value, Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536));
    const { cmds } = feedAll(parser(), chunks);
    expect(cmds.length).toBe(2);
    expect(Buffer.from(cmds[0]![1]!, 'latin1').equals(value)).toBe(true);
    expect(cmds[1]).toEqual(['PING']);
  });

  it('skips empty multibulk and empty inline lines', () => {
    const { cmds } = feedAll(parser(), ['*0\r\n*-1\r\n\r\n\n  \r\nPING\n']);
    expect(cmds).toEqual([['PING']]);
  });

  it.each([
    ['*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\n:1\r\n', "Protocol error: expected '$', got ':'"],
    ['*1\r\n$-5\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
    ['*3000000000\r\n', 'Protocol error: invalid multibulk length'],
    ['SET "a b\r\n', 'Protocol error: unbalanced quotes in request'],
    ['SET "a"b\r\n', 'Protocol error: unbalanced quotes in request'],
  ])('rejects %j', (wire, msg) => {
    expect(feedAll(parser(), [wire]).err).toBe(msg);
  });

  it('enforces proto-max-bulk-len and the unauthenticated limits', () => {
    expect(feedAll(parser({ maxBulkLen: 10 }), ['*1\r\n$11\r\n']).err).toBe('Protocol error: invalid bulk length');
    expect(feedAll(parser({ unauthenticated: true }), ['*11\r\n']).err).toBe('Protocol error: unauthenticated multibulk length');
    expect(feedAll(parser({ unauthenticated: true }), ['*1\r\n$16385\r\n']).err).toBe('Protocol error: unauthenticated bulk length');
  });

  it('rejects an inline request over 64KB without a newline', () => {
    expect(feedAll(parser(), ['A'.repeat(70000)]).err).toBe('Protocol error: too big inline request');
  });

  it('reports the query buffer limit', () => {
    const p = parser({ maxQueryBuffer: 1024 * 1024 });
    const chunks: string[] = ['*2\r\n$4\r\nECHO\r\n$10\r\n'];
    // many incomplete small commands: the leftover grows past the limit
    expect(feedAll(p, chunks).err).toBeNull();
    const big = '*1\r\n$5\r\nHELLO' + 'x'.repeat(1024 * 1024 + 10);
    expect(feedAll(parser({ maxQueryBuffer: 1024 * 1024 }), ['*2\r\n$4\r\nECHO\r\n$30000\r\n', big.slice(0, 20000)]).err).toBeNull();
    expect(feedAll(parser({ maxQueryBuffer: 1024 }), ['*1\r\n$2000\r\n' + 'x'.repeat(1500)]).err).toBe(QUERY_BUFFER_LIMIT);
  });

  it('stops when the handler asks and resumes later', () => {
    const p = parser();
    const seen: string[][] = [];
    p.feed(Buffer.from('*1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n*1\r\n$1\r\nc\r\n'), (a) => {
      seen.push(a);
      return a[0] !== 'a';
    });
    expect(seen).toEqual([['a']]);
    p.resume((a) => {
      seen.push(a);
      return true;
    });
    expect(seen).toEqual([['a'], ['b'], ['c']]);
  });
});

describe('inline argument splitting', () => {
  const split = (s: string): string[] | null => splitInlineArgs(Buffer.from(s, 'latin1'), 0, s.length);
  it('splits like sdssplitargs', () => {
    expect(split('set  a\t"b c"')).toEqual(['set', 'a', 'b c']);
    expect(split('"\\x41\\n\\t\\"" \'it\\\'s\'')).toEqual(['A\n\t"', "it's"]);
    expect(split('""')).toEqual(['']);
    expect(split('"\\xzz"')).toEqual(['xzz']);
    expect(split("'a")).toBeNull();
  });

  it('handles a quote inside an argument and plain binary arguments (the fast path hands over)', () => {
    expect(split('foo"bar baz" x')).toEqual(['foobar baz', 'x']);
    expect(split("ab'c d'")).toEqual(['abc d']);
    expect(split('foo"bar"qux')).toBeNull();
    // outside quotes a backslash is an ordinary byte
    expect(split('  ' + String.raw`a\x41` + ' \n\t\r ' + String.raw`b\\` + ' ')).toEqual([String.raw`a\x41`, String.raw`b\\`]);
    expect(split('\xff\x00\x80 z')).toEqual(['\xff\x00\x80', 'z']);
    const bin = Buffer.from([0xff, 0x00, 0x80, 0x20, 0x7a, 0x0b, 0x0c, 0x22, 0x61, 0x22]);
    expect(splitInlineArgs(bin, 0, bin.length)).toEqual(['\xff\x00\x80', 'z', 'a']);
  });

  it('rejects lengths with leading zeros or "-0", as string2ll does', () => {
    expect(feedAll(parser(), ['*01\r\n']).err).toBe('Protocol error: invalid multibulk length');
    expect(feedAll(parser(), ['*-0\r\n']).err).toBe('Protocol error: invalid multibulk length');
    expect(feedAll(parser(), ['*1\r\n$04\r\nPING\r\n']).err).toBe('Protocol error: invalid bulk length');
    expect(feedAll(parser(), ['*1\r\n$-0\r\n']).err).toBe('Protocol error: invalid bulk length');
    expect(feedAll(parser(), ['*1\r\n$0\r\n\r\n']).cmds).toEqual([['']]);
  });

  it('applies the query buffer limit to a big bulk being received', () => {
    const p = parser({ maxQueryBuffer: 100000 });
    const head = feedAll(p, ['*2\r\n$4\r\nECHO\r\n$300000\r\n', Buffer.alloc(60000)]);
    expect(head.err).toBeNull();
    expect(feedAll(p, [Buffer.alloc(60000)]).err).toBe(QUERY_BUFFER_LIMIT);
  });
});

describe('latin1()', () => {
  it('equals latin1Slice for every length its JavaScript cases cover and past them, at any offset', () => {
    const b = Buffer.alloc(80);
    for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 255;
    for (let s = 0; s < 8; s++) {
      for (let n = 0; n <= 40; n++) expect(latin1(b, s, n), `offset ${s} length ${n}`).toBe(b.latin1Slice(s, s + n));
    }
  });
});
