/*
 * SORT's numeric weights follow C's strtod as Redis applies it (whole string, no ERANGE, no NaN):
 * strtodWeight is checked value by value against the oracle's verdict and order.
 */
import { describe, expect, it } from 'vitest';
import { strtodWeight } from '../src/commands/sort';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential } from './helpers/setup';

/**
 * Values strtod accepts or rejects without ERANGE. Redis checks errno without clearing it first, so
 * once a weight has set ERANGE every later weight on that connection is refused until some other
 * call overwrites errno (a new connection's accept does): a bug tredis does not reproduce. The
 * out-of-range values therefore come last, in ERANGE_WEIGHTS.
 */
export const WEIGHTS = [
  '1', '-1', '1.5', '.5', '5.', '1e3', '1E-3', '+7', ' 5', '\t5', '\n\v\f\r 5', '5 ', '', ' ', '-', '+', '.',
  '0x10', '0x1p3', '0X.8', '0x', '0x.', '0xg', '-0x1P-2', 'inf', '-inf', '+Infinity', 'INF', 'infin', 'nan',
  '-nan', 'nan(123)', '0e-400', '0.0', '-0', '1e', '1e+', 'abc', '9223372036854775807', '12345678901234567890123',
  '2.2250738585072014e-308', '5\x00junk', '\x00', '1_000', '١', '0b101', '00012', '1.7976931348623157e308',
];
export const ERANGE_WEIGHTS = ['1e400', '-1e400', '1e-310', '1e-400', '0x1p99999', '1.7976931348623159e308', '4.9e-324'];

describe('strtodWeight', () => {
  it('parses what strtod parses', () => {
    expect(strtodWeight('')).toBe(0);
    expect(strtodWeight(' 5')).toBe(5);
    expect(strtodWeight('0x1p3')).toBe(8);
    expect(strtodWeight('-inf')).toBe(-Infinity);
    expect(strtodWeight('5\x00junk')).toBe(5);
    expect(strtodWeight('5 ')).toBeNull();
    expect(strtodWeight('nan')).toBeNull();
    expect(strtodWeight('1e400')).toBeNull();
    expect(strtodWeight('1e-310')).toBeNull();
  });
});

describe.skipIf(!oracleAvailable)('strtodWeight vs Redis', () => {
  const d = useDifferential();
  it('accepts and orders weights as Redis does', async () => {
    await d.pair.theirs.call('SADD', 's', 'a', 'b', 'c');
    const bad: string[] = [];
    for (const v of [...WEIGHTS, ...ERANGE_WEIGHTS]) {
      await d.pair.theirs.call('MSET', 'w_a', v, 'w_b', '0.75', 'w_c', '-3');
      const theirs = await d.pair.theirs.call('SORT', 's', 'BY', 'w_*');
      const w = strtodWeight(v);
      const ok = !theirs.startsWith('-');
      if (ok !== (w !== null)) bad.push(`${JSON.stringify(v)}: redis ${ok ? 'accepts' : 'rejects'}, ours ${w}`);
      else if (ok) {
        const pos = theirs.indexOf('a\r\n');
        const expectPos = w! > 0.75 || (w === 0.75) ? 2 : w! > -3 || w === -3 ? 1 : 0;
        const at = theirs.split('\r\n').filter((x) => !x.startsWith('$') && !x.startsWith('*') && x !== '').indexOf('a');
        if (pos === -1 || at !== expectPos) bad.push(`${JSON.stringify(v)}: order differs (redis put a at ${at}, ours ${w})`);
      }
    }
    expect(bad).toEqual([]);
  });
});
