/*
 * The 80-bit long double emulation behind INCRBYFLOAT: unit checks of parse/add/format, and a
 * randomized comparison with real Redis over operands of every shape (long mantissas, huge and tiny
 * exponents, hex floats, subnormals, values that round at the 17th decimal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, formatHuman, fromInteger, parseLongDouble } from '../src/keyspace/longdouble';
import type { RunningServer } from '../src/server';
import { closePair, connectPair, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

function sum(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (x === null || y === null) return 'invalid';
  const r = add(x, y);
  return r.inf ? 'inf' : formatHuman(r);
}

describe('long double emulation', () => {
  it('parses like strtold', () => {
    expect(parseLongDouble('1')).toEqual({ neg: false, mant: 1n << 63n, exp: -63, inf: false });
    expect(parseLongDouble('-2')).toEqual({ neg: true, mant: 1n << 63n, exp: -62, inf: false });
    // 0.1 = 0xC.CCCCCCCCCCCCCCDp-7 in extended precision (round to nearest)
    expect(parseLongDouble('0.1')!.mant).toBe(0xcccccccccccccccdn);
    expect(parseLongDouble('0x1p-16445')!.mant).toBe(1n); // smallest subnormal
    expect(parseLongDouble('0x1p-16446')).toBeNull(); // underflows to zero
    expect(parseLongDouble('0x1p16384')).toBeNull(); // overflow
    expect(parseLongDouble('inf')!.inf).toBe(true);
    expect(parseLongDouble('-Infinity')!.neg).toBe(true);
    for (const bad of ['', ' 1', '1 ', 'nan', 'NaN', '1e', '.', 'e5', '0x', '0x1p', '1.2.3', '--1', '+-1', '1\x00', 'infin', 'x'.repeat(10)]) {
      expect(parseLongDouble(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseLongDouble('0.' + '1'.repeat(5117))).not.toBeNull();
    expect(parseLongDouble('0.' + '1'.repeat(5118))).toBeNull(); // Redis's buffer holds 5119 chars
  });

  it('adds and formats as Redis prints', () => {
    expect(sum('0', '0.1')).toBe('0.1');
    expect(sum('0.1', '0.1')).toBe('0.2');
    expect(sum('0.2', '0.1')).toBe('0.3');
    expect(sum('1e10', '0.1')).toBe('10000000000.09999999962747097');
    expect(sum('-0', '-0')).toBe('0');
    expect(sum('1', '-1')).toBe('0');
    expect(sum('1e-18', '0')).toBe('0');
    expect(sum('-1e-18', '0')).toBe('0');
    expect(sum('5e-18', '0')).toBe('0'); // just below 0.5e-17 in extended precision
    expect(sum('6e-18', '0')).toBe('0.00000000000000001');
    expect(sum('1.18973149535723176502e+4932', '1e4932')).toBe('inf');
    expect(formatHuman(fromInteger(-9223372036854775808n))).toBe('-9223372036854775808');
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!oracleAvailable)('INCRBYFLOAT vs Redis on random operands', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  let pair: Pair;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
    pair = await connectPair(srv.port, oracle.port);
  });
  afterAll(async () => {
    closePair(pair);
    await oracle.close();
    await srv.close();
  });

  const seed = process.env.TREDIS_SEED !== undefined ? Number(process.env.TREDIS_SEED) : Date.now() % 1000000007;
  it(`agrees on 3000 operations (seed ${seed})`, async () => {
    const rnd = mulberry32(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const digits = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(int(10));
      return s;
    };
    const operand = (): string => {
      const sign = ['', '-', '+'][int(3)]!;
      switch (int(8)) {
        case 0:
          return sign + digits(1 + int(25));
        case 1:
          return sign + digits(int(6)) + '.' + digits(1 + int(30));
        case 2:
          return sign + digits(1 + int(3)) + '.' + digits(int(20)) + 'e' + (int(80) - 40);
        case 3:
          return sign + digits(1 + int(2)) + 'e' + (int(9800) - 4900);
        case 4:
          return sign + '0x' + int(0xffffff).toString(16) + '.' + int(0xffff).toString(16) + 'p' + (int(200) - 100);
        case 5:
          return sign + '0.' + '0'.repeat(int(20)) + digits(1 + int(5));
        case 6:
          return String(int(2001) - 1000);
        default:
          return sign + digits(1 + int(8)) + '.' + digits(1 + int(8));
      }
    };
    for (let i = 0; i < 3000; i++) {
      const key = `f${int(6)}`;
      const cmd = int(10) === 0 ? ['SET', key, operand()] : ['INCRBYFLOAT', key, operand()];
      const [ours, theirs] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
      if (ours !== theirs) {
        expect.fail(`seed ${seed} (replay with TREDIS_SEED=${seed}), op #${i} ${JSON.stringify(cmd)}: ours ${JSON.stringify(ours)} theirs ${JSON.stringify(theirs)}`);
      }
      // values grow without bound; start over now and then
      if (int(50) === 0) {
        await pair.ours.call('DEL', key);
        await pair.theirs.call('DEL', key);
      }
    }
  });
});
