import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatch } from '../src/keyspace/glob';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { decodeReply, type Reply } from './helpers/resp';

describe('globMatch', () => {
  it('matches the basics', () => {
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('*', 'abc')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'a')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(true);
    expect(globMatch('a?c', 'ac')).toBe(false);
    expect(globMatch('h*llo', 'heeeello')).toBe(true);
    expect(globMatch('h[ae]llo', 'hallo')).toBe(true);
    expect(globMatch('h[ae]llo', 'hillo')).toBe(false);
    expect(globMatch('h[^e]llo', 'hallo')).toBe(true);
    expect(globMatch('h[^e]llo', 'hello')).toBe(false);
    expect(globMatch('h[a-b]llo', 'hbllo')).toBe(true);
    expect(globMatch('h[b-a]llo', 'hbllo')).toBe(true);
    expect(globMatch('a\\*b', 'a*b')).toBe(true);
    expect(globMatch('a\\*b', 'axb')).toBe(false);
    expect(globMatch('a\\', 'a\\')).toBe(true);
    expect(globMatch('[\\]]', ']')).toBe(true);
    expect(globMatch('a*', 'a')).toBe(true);
    expect(globMatch('a**', 'a')).toBe(true);
    expect(globMatch('*a', 'a')).toBe(true);
  });

  it('treats an unterminated class as ending at the pattern end', () => {
    expect(globMatch('[abc', 'a')).toBe(true);
    expect(globMatch('[abc', 'd')).toBe(false);
    expect(globMatch('[', 'a')).toBe(false);
    expect(globMatch('[^', 'a')).toBe(true);
    expect(globMatch('x[a-', '-')).toBe(false);
  });

  it('folds ASCII case only with nocase', () => {
    expect(globMatch('HELLO', 'hello')).toBe(false);
    expect(globMatch('HELLO', 'hello', true)).toBe(true);
    expect(globMatch('h[A-Z]llo', 'hello', true)).toBe(true);
    expect(globMatch('h[^E]llo', 'hello', true)).toBe(false);
    expect(globMatch('\xc0', '\xe0', true)).toBe(false);
  });

  it('stays fast on pathological patterns', () => {
    const t0 = Date.now();
    const pattern = '*a'.repeat(40) + 'b';
    expect(globMatch(pattern, 'a'.repeat(5000))).toBe(false);
    expect(globMatch('a*'.repeat(3000), 'a'.repeat(3000))).toBe(false); // nesting limit
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

function strings(r: Reply): string[] {
  return (r.v as Reply[]).map((x) => x.v as string);
}

describe.skipIf(!oracleAvailable)('globMatch vs Redis KEYS', () => {
  let oracle: Oracle;
  let s: RawSession;
  beforeAll(async () => {
    oracle = await startOracle();
    s = await RawSession.connect(oracle.port);
  });
  afterAll(async () => {
    s.close();
    await oracle.close();
  });

  async function keys(pattern: string): Promise<string[]> {
    const raw = await s.call('KEYS', pattern);
    return strings(decodeReply(Buffer.from(raw, 'latin1')).reply).sort();
  }

  it('agrees on hand-picked and random patterns', async () => {
    const subjects = [
      '', 'a', 'b', 'ab', 'abc', 'aXc', 'a*c', 'a?c', 'a[c', 'a]c', 'a\\c', 'a-c', '^', ']', '[', '-', '\\',
      'hello', 'hallo', 'hxllo', 'HELLO', 'h\x80llo', 'h\xffllo', '\x00', 'a\x00b', 'aaa', 'aaab', 'abab',
    ];
    await s.call('FLUSHALL');
    for (const k of subjects) await s.call('SET', k, '1');
    const patterns = [
      '*', '?', '??', 'a*', '*c', 'a?c', 'a\\?c', 'a[*]c', 'a[\\]]c', 'a[]]c', 'a[^b]c', 'h[a-e]llo', 'h[e-a]llo',
      'h[^a-e]llo', 'h[\x01-\x7f]llo', 'h[a-\xff]llo', 'h[\x80-\xff]llo', '[', '[a', '[^', '[^a', 'a[', 'a[b-',
      'a[b-c', 'a[\\', '\\', 'a\\', '*\\', '[-]', '[a-]', '[-a]', '*[', '**', '*a*', '*b*', 'a*b*', '[\\-]',
      '[^]', '[]', 'a[]', 'a[^]c', '\\a\\b\\c', 'A*', '[A-Z]*', '*[^a-z]*', 'h?llo', 'a\x00b', '\x00', '*\x00*',
    ];
    // random patterns from a small alphabet of pattern syntax
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c', '*', '?', '[', ']', '^', '-', '\\', 'h', 'l', 'o', 'e', '\x80'];
    for (let i = 0; i < 300; i++) {
      let p = '';
      const n = 1 + rnd(7);
      for (let j = 0; j < n; j++) p += alphabet[rnd(alphabet.length)];
      patterns.push(p);
    }
    for (const p of patterns) {
      const expected = await keys(p);
      const ours = subjects.filter((k) => globMatch(p, k)).sort();
      expect(ours, `pattern ${JSON.stringify(p)}`).toEqual(expected);
    }
  });

  it('agrees on the nesting limit', async () => {
    await s.call('FLUSHALL');
    const long = 'a'.repeat(1200);
    await s.call('SET', long, '1');
    for (const n of [999, 1000, 1001, 1100]) {
      const p = 'a*'.repeat(n);
      const expected = await keys(p);
      expect(globMatch(p, long) ? [long] : [], `a* x ${n}`).toEqual(expected);
    }
  });
});
