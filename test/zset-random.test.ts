/*
 * Randomized differential test for sorted sets: a seeded generator issues a few thousand sorted-set
 * commands over a handful of keys to tredis and to real Redis, switching between RESP2 and RESP3, with
 * a small zset-max-listpack-entries so listpack -> skiplist conversions happen often. Replies must
 * match byte for byte (sorted sets have a defined order: ranges, pops, algebra WITHSCORES, scores,
 * errors). The exceptions are checked by properties: ZSCAN of a skiplist (order unspecified: compared
 * sorted) and ZRANDMEMBER (picks must be members with their scores; distinct for a positive count;
 * exact when the count covers the whole set). Lex ranges run on keys whose scores are all 0, since
 * Redis leaves lex ranges over mixed scores unspecified. DEBUG DIGEST-VALUE and OBJECT ENCODING
 * compare the state. Set TREDIS_SEED to replay a failing run; the seed is in the test name.
 */
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { decodeReply, type Reply } from './helpers/resp';
import { seededRandom, testSeed, useDifferential } from './helpers/setup';
import { expectSameUnordered } from './helpers/unordered';

const seed = testSeed();
const STEPS = 3000;

class Gen {
  readonly rnd: () => number;
  constructor(s: number) {
    this.rnd = seededRandom(s);
  }
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** a key with mixed scores */
  zkey(): string {
    const r = this.int(30);
    if (r === 0) return 'nokey';
    if (r === 1) return 'str';
    if (r === 2) return 'set';
    return `z${this.int(4)}`;
  }
  /** a key whose scores are all 0 (lex ranges) */
  lkey(): string {
    return this.int(20) === 0 ? 'nolkey' : `l${this.int(2)}`;
  }
  member(): string {
    switch (this.int(12)) {
      case 0:
        return this.pick(['', '\x00\xff', 'é', 'A', 'aa', 'ab']);
      case 1:
        return 'long-' + 'x'.repeat(60 + this.int(10));
      case 2:
        return String(this.int(30));
      default:
        return String.fromCharCode(97 + this.int(20));
    }
  }
  score(): string {
    switch (this.int(14)) {
      case 0:
        return this.pick(['inf', '-inf', '+inf', '-0', '0.1', '1e20', '1.7976931348623157e308', '5e-324', '0.30000000000000004']);
      case 1:
        return this.pick(['nan', 'x', '', ' 1', '1e400']);
      case 2:
        return String(this.int(20) / 8 - 1);
      default:
        return String(this.int(21) - 10);
    }
  }
  bound(): string {
    const b = this.int(10) === 0 ? this.pick(['-inf', '+inf', 'inf', '', 'x', 'nan']) : String(this.int(25) - 12);
    return this.int(3) === 0 ? '(' + b : b;
  }
  lexBound(): string {
    const r = this.int(12);
    if (r === 0) return '-';
    if (r === 1) return '+';
    if (r === 2) return this.pick(['a', '', '+a', '[', '(']);
    return this.pick(['[', '(']) + String.fromCharCode(97 + this.int(20));
  }
  index(): string {
    return String(this.int(30) - 15);
  }
  keys(min: number, lex = false): string[] {
    const n = min + this.int(3);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(lex ? this.lkey() : this.zkey());
    return out;
  }
}

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

/** The strings of a (possibly nested) array reply, flattened. */
function flat(r: Reply): string[] {
  if (!Array.isArray(r.v)) return r.v === null ? [] : [String(r.v)];
  return r.v.flatMap(flat);
}

describe.skipIf(!oracleAvailable)(`sorted-set commands, randomized vs Redis (seed ${seed})`, () => {
  const d = useDifferential({ 'zset-max-listpack-entries': '10', 'enable-debug-command': 'yes' });

  it(`${STEPS} commands agree (TREDIS_SEED=${seed})`, async () => {
    const g = new Gen(seed);
    const pair = d.pair;
    await expectSame(pair, [['SET', 'str', 'x'], ['SADD', 'set', 'a', 'b', '3', 'zz']]);
    const log: string[] = [];
    let resp = 2;
    for (let step = 0; step < STEPS; step++) {
      const key = g.zkey();
      let cmd: string[];
      let mode: 'exact' | 'scan' | 'rand' = 'exact';
      switch (g.int(40)) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4: {
          cmd = ['ZADD', key];
          if (g.int(3) === 0) {
            const opts = ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'];
            for (let i = g.int(3); i > 0; i--) cmd.push(g.pick(opts));
          }
          const n = cmd.includes('INCR') && g.int(5) !== 0 ? 1 : 1 + g.int(4);
          for (let i = 0; i < n; i++) cmd.push(g.score(), g.member());
          break;
        }
        case 5:
        case 6: {
          cmd = ['ZADD', g.lkey()];
          const n = 1 + g.int(4);
          for (let i = 0; i < n; i++) cmd.push('0', g.member());
          break;
        }
        case 7:
          cmd = ['ZINCRBY', key, g.score(), g.member()];
          break;
        case 8:
        case 9: {
          cmd = ['ZREM', g.int(4) === 0 ? g.lkey() : key];
          const n = 1 + g.int(3);
          for (let i = 0; i < n; i++) cmd.push(g.member());
          break;
        }
        case 10:
          cmd = [g.pick(['ZCARD', 'TYPE', 'EXISTS', 'OBJECT']), key];
          if (cmd[0] === 'OBJECT') cmd.splice(1, 0, 'ENCODING');
          break;
        case 11:
          cmd = [g.pick(['ZSCORE', 'ZRANK', 'ZREVRANK']), key, g.member()];
          break;
        case 12:
          cmd = ['ZMSCORE', key, g.member(), g.member()];
          break;
        case 13:
        case 14: {
          cmd = [g.pick(['ZRANGE', 'ZREVRANGE']), key, g.index(), g.index()];
          if (g.int(2) === 0) cmd.push('WITHSCORES');
          if (cmd[0] === 'ZRANGE' && g.int(3) === 0) cmd.push('REV');
          break;
        }
        case 15:
        case 16: {
          const rev = g.int(2) === 0;
          cmd = [rev ? 'ZREVRANGEBYSCORE' : 'ZRANGEBYSCORE', key, g.bound(), g.bound()];
          if (g.int(2) === 0) cmd.push('WITHSCORES');
          if (g.int(3) === 0) cmd.push('LIMIT', String(g.int(6) - 1), String(g.int(6) - 2));
          break;
        }
        case 17: {
          cmd = ['ZRANGE', key, g.bound(), g.bound(), 'BYSCORE'];
          if (g.int(2) === 0) cmd.push('REV');
          if (g.int(2) === 0) cmd.push('WITHSCORES');
          if (g.int(2) === 0) cmd.push('LIMIT', String(g.int(5)), String(g.int(5) - 1));
          break;
        }
        case 18:
        case 19: {
          const lk = g.lkey();
          const which = g.int(4);
          if (which === 0) cmd = ['ZRANGEBYLEX', lk, g.lexBound(), g.lexBound()];
          else if (which === 1) cmd = ['ZREVRANGEBYLEX', lk, g.lexBound(), g.lexBound()];
          else if (which === 2) cmd = ['ZRANGE', lk, g.lexBound(), g.lexBound(), 'BYLEX', ...(g.int(2) === 0 ? ['REV'] : [])];
          else cmd = ['ZLEXCOUNT', lk, g.lexBound(), g.lexBound()];
          if (which < 3 && g.int(3) === 0) cmd.push('LIMIT', String(g.int(5)), String(g.int(5) - 1));
          break;
        }
        case 20:
          cmd = ['ZCOUNT', key, g.bound(), g.bound()];
          break;
        case 21:
          cmd = ['ZREMRANGEBYRANK', key, g.index(), g.index()];
          break;
        case 22:
          cmd = ['ZREMRANGEBYSCORE', key, g.bound(), g.bound()];
          break;
        case 23:
          cmd = ['ZREMRANGEBYLEX', g.lkey(), g.lexBound(), g.lexBound()];
          break;
        case 24:
        case 25: {
          cmd = [g.pick(['ZPOPMIN', 'ZPOPMAX']), key];
          if (g.int(2) === 0) cmd.push(String(g.int(5) - (g.int(10) === 0 ? 2 : 0)));
          break;
        }
        case 26: {
          const ks = g.keys(1);
          cmd = ['ZMPOP', String(ks.length), ...ks, g.pick(['MIN', 'MAX'])];
          if (g.int(2) === 0) cmd.push('COUNT', String(g.int(5)));
          break;
        }
        case 27:
        case 28: {
          const ks = g.keys(1);
          cmd = [g.pick(['ZUNION', 'ZINTER', 'ZDIFF']), String(ks.length), ...ks];
          if (cmd[0] !== 'ZDIFF' && g.int(3) === 0) cmd.push('WEIGHTS', ...ks.map(() => g.pick(['1', '2', '-1', '0', '0.5', 'inf'])));
          if (cmd[0] !== 'ZDIFF' && g.int(3) === 0) cmd.push('AGGREGATE', g.pick(['SUM', 'MIN', 'MAX']));
          if (g.int(2) === 0) cmd.push('WITHSCORES');
          break;
        }
        case 29:
        case 30: {
          const ks = g.keys(1);
          cmd = [g.pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), `z${g.int(4)}`, String(ks.length), ...ks];
          if (cmd[0] !== 'ZDIFFSTORE' && g.int(3) === 0) cmd.push('WEIGHTS', ...ks.map(() => g.pick(['1', '3', '-2', '0.25'])));
          if (cmd[0] !== 'ZDIFFSTORE' && g.int(3) === 0) cmd.push('AGGREGATE', g.pick(['SUM', 'MIN', 'MAX']));
          break;
        }
        case 31: {
          const ks = g.keys(1);
          cmd = ['ZINTERCARD', String(ks.length), ...ks];
          if (g.int(2) === 0) cmd.push('LIMIT', String(g.int(4)));
          break;
        }
        case 32: {
          const dst = `z${g.int(4)}`;
          const r = g.int(3);
          if (r === 0) cmd = ['ZRANGESTORE', dst, key, g.index(), g.index()];
          else if (r === 1) cmd = ['ZRANGESTORE', dst, key, g.bound(), g.bound(), 'BYSCORE'];
          else cmd = ['ZRANGESTORE', dst, key, g.index(), g.index(), 'REV'];
          break;
        }
        case 33:
        case 34:
          cmd = ['ZSCAN', key, '0', 'COUNT', '100000'];
          if (g.int(3) === 0) cmd.push('MATCH', g.pick(['a*', '*1*', '?', '*']));
          mode = 'scan';
          break;
        case 35:
        case 36:
          cmd = ['ZRANDMEMBER', key];
          if (g.int(4) !== 0) cmd.push(String(g.int(30) - 12));
          if (cmd.length === 3 && g.int(2) === 0) cmd.push('WITHSCORES');
          mode = 'rand';
          break;
        case 37:
          cmd = g.int(2) === 0 ? ['OBJECT', 'ENCODING', g.lkey()] : ['DEBUG', 'DIGEST-VALUE', 'z0', 'z1', 'z2', 'z3', 'l0', 'l1'];
          break;
        case 38:
          cmd = g.int(3) === 0 ? ['DEL', key] : ['HELLO', String(2 + g.int(2))];
          break;
        default:
          cmd = ['COPY', key, `z${g.int(4)}`, 'REPLACE'];
      }
      log.push(cmd.join(' '));
      const ctx = `seed ${seed} step ${step}: ${JSON.stringify(cmd)}\nrecent: ${log.slice(-8).join(' | ')}`;
      if (cmd[0] === 'HELLO') {
        resp = Number(cmd[1]);
        await pair.ours.call('HELLO', cmd[1]!);
        await pair.theirs.call('HELLO', cmd[1]!);
        continue;
      }
      if (mode === 'exact') {
        const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
        expect(a, ctx).toBe(b);
        continue;
      }
      const enc = String(decode(await pair.theirs.call('OBJECT', 'ENCODING', key)).v);
      if (mode === 'scan') {
        if (enc === 'skiplist') await expectSameUnordered(pair, cmd, 'scan');
        else await expectSame(pair, [cmd]);
        continue;
      }
      // ZRANDMEMBER
      const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
      const ra = decode(a);
      const rb = decode(b);
      const count = cmd.length >= 3 ? Number(cmd[2]) : NaN;
      const size = Number(decode(await pair.theirs.call('ZCARD', key)).v);
      if (ra.t === '-' || rb.t === '-' || size === 0 || Number.isNaN(count) === false && count >= size) {
        expect(a, ctx).toBe(b);
        continue;
      }
      expect(ra.t, ctx).toBe(rb.t);
      if (!Array.isArray(ra.v)) {
        expect(await pair.theirs.call('ZSCORE', key, String(ra.v)), ctx).not.toBe(resp === 2 ? '$-1\r\n' : '_\r\n');
        continue;
      }
      expect(ra.v.length, ctx).toBe((rb.v as Reply[]).length);
      const withScores = cmd.length === 4;
      const picked = flat(ra);
      const members: string[] = [];
      for (let i = 0; i < picked.length; i += withScores ? 2 : 1) {
        const m = picked[i]!;
        members.push(m);
        const score = await pair.theirs.call('ZSCORE', key, m);
        const sv = decode(score).v;
        expect(sv, ctx).not.toBeNull();
        if (withScores) expect(picked[i + 1], ctx).toBe(String(sv));
      }
      if (count > 0) {
        expect(new Set(members).size, ctx).toBe(members.length);
        if (enc === 'listpack') {
          // a listpack samples in list order
          const ranks = await Promise.all(members.map(async (m) => Number(decode(await pair.theirs.call('ZRANK', key, m)).v)));
          expect([...ranks].sort((x, y) => x - y), ctx).toEqual(ranks);
        }
      }
    }
  }, 120_000);
});
