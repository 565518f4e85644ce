/*
 * Randomized differential test for hashes: a seeded generator issues a few thousand hash commands
 * over a handful of keys (small listpack limits, so conversions to hashtable happen often) to tredis
 * and to real Redis. Replies must match byte for byte, except where Redis's order is unspecified
 * (HGETALL/HKEYS/HVALS/HSCAN of a hashtable-encoded hash: compared sorted) and where the reply is
 * random (HRANDFIELD: checked by properties against the oracle's contents). Every so often both
 * sides' DEBUG DIGEST-VALUE and OBJECT ENCODING are compared, which checks the whole state.
 * Set TREDIS_SEED to replay a failing run; the seed is in the test name.
 */
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { decodeReply, type Reply } from './helpers/resp';
import { seededRandom, testSeed, useDifferential } from './helpers/setup';
import { expectSameUnordered } from './helpers/unordered';

const seed = testSeed();
const STEPS = 2500;

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
  key(): string {
    const r = this.int(30);
    if (r === 0) return 'nokey';
    if (r === 1) return 'str';
    return `h${this.int(4)}`;
  }
  field(): string {
    switch (this.int(12)) {
      case 0:
        return 'long-field-' + 'x'.repeat(10 + this.int(10));
      case 1:
        return this.pick(['', '\x00', '\xff\r\n', 'é']);
      default:
        return `f${this.int(14)}`;
    }
  }
  value(): string {
    switch (this.int(8)) {
      case 0:
        return String(this.int(2001) - 1000);
      case 1:
        return this.pick(['9223372036854775807', '-9223372036854775808', '007', '-0', ' 1', '1.5', '1e3', 'inf', '0x1p3']);
      case 2:
        return 'v'.repeat(this.int(30));
      default:
        return 'v' + this.int(100);
    }
  }
  incr(): string {
    return this.int(8) === 0 ? this.pick(['9223372036854775807', '-9223372036854775808', 'x', '1.5', '']) : String(this.int(41) - 20);
  }
  float(): string {
    return this.int(8) === 0 ? this.pick(['inf', 'nan', 'x', '1e400', '0x10', '-1e-5', '3.0e2']) : `${this.int(200) - 100}.${this.int(1000)}`;
  }
}

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

function strings(r: Reply): string[] {
  return Array.isArray(r.v) ? r.v.flatMap((x) => (Array.isArray(x.v) ? x.v.map((y) => String(y.v)) : [String(x.v)])) : [];
}

describe.skipIf(!oracleAvailable)(`hash commands, randomized vs Redis (seed ${seed})`, () => {
  const d = useDifferential({ 'hash-max-listpack-entries': '8', 'hash-max-listpack-value': '16' });

  it(`${STEPS} commands agree (TREDIS_SEED=${seed})`, async () => {
    const g = new Gen(seed);
    const pair = d.pair;
    const resp = async (v: number): Promise<void> => {
      await pair.ours.call('HELLO', String(v));
      await pair.theirs.call('HELLO', String(v));
    };
    await expectSame(pair, [['SET', 'str', 'x']]);
    const log: string[] = [];
    const encodingOf = async (key: string): Promise<string> => String(decode(await pair.theirs.call('OBJECT', 'ENCODING', key)).v);
    try {
      for (let step = 0; step < STEPS; step++) {
        const key = g.key();
        let cmd: string[];
        const kind = g.int(22);
        switch (kind) {
          case 0:
          case 1:
          case 2: {
            cmd = [g.pick(['HSET', 'HMSET']), key];
            const n = 1 + g.int(3);
            for (let i = 0; i < n; i++) cmd.push(g.field(), g.value());
            if (g.int(40) === 0) cmd.pop(); // odd arity
            break;
          }
          case 3:
            cmd = ['HSETNX', key, g.field(), g.value()];
            break;
          case 4:
          case 5:
            cmd = ['HGET', key, g.field()];
            break;
          case 6:
            cmd = ['HMGET', key, g.field(), g.field(), g.field()];
            break;
          case 7:
          case 8: {
            cmd = ['HDEL', key];
            const n = 1 + g.int(3);
            for (let i = 0; i < n; i++) cmd.push(g.field());
            break;
          }
          case 9:
            cmd = [g.pick(['HLEN', 'TYPE', 'EXISTS']), key];
            break;
          case 10:
            cmd = [g.pick(['HSTRLEN', 'HEXISTS']), key, g.field()];
            break;
          case 11:
            cmd = ['HINCRBY', key, g.field(), g.incr()];
            break;
          case 12:
            cmd = ['HINCRBYFLOAT', key, g.field(), g.float()];
            break;
          case 13:
          case 14: {
            cmd = [g.pick(['HGETALL', 'HKEYS', 'HVALS']), key];
            break;
          }
          case 15:
            cmd = ['HSCAN', key, '0', 'COUNT', '100000'];
            if (g.int(3) === 0) cmd.push('MATCH', g.pick(['f1*', '*x*', 'f?', '[a-f]*']));
            break;
          case 16:
          case 17: {
            const count = g.pick(['', String(g.int(12)), String(-g.int(12)), '20']);
            cmd = ['HRANDFIELD', key];
            if (count !== '') cmd.push(count);
            if (count !== '' && g.int(2) === 0) cmd.push('WITHVALUES');
            break;
          }
          case 18:
            cmd = ['OBJECT', 'ENCODING', key];
            break;
          case 19:
            cmd = ['DEBUG', 'DIGEST-VALUE', 'h0', 'h1', 'h2', 'h3'];
            break;
          case 20:
            cmd = g.int(4) === 0 ? ['DEL', key] : ['HELLO', String(2 + g.int(2))];
            break;
          default:
            cmd = ['COPY', key, `h${g.int(4)}`, 'REPLACE'];
        }
        log.push(cmd.join(' '));
        if (cmd[0] === 'HELLO') {
          await resp(Number(cmd[1]));
          continue;
        }
        const ctx = `seed ${seed} step ${step}: ${cmd.join(' ')}`;
        if (cmd[0] === 'HRANDFIELD') {
          const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
          const ra = decode(a);
          const rb = decode(b);
          expect(ra.t, ctx).toBe(rb.t);
          if (!Array.isArray(ra.v) || ra.t === '-') {
            if (ra.t === '-' || ra.t === '_' || ra.v === null) expect(a, ctx).toBe(b);
            else {
              // one field: it must be a field of the oracle's hash
              expect(await pair.theirs.call('HEXISTS', key, String(ra.v)), `${ctx} -> ${JSON.stringify(a)}`).toBe(':1\r\n');
            }
            continue;
          }
          expect(ra.v.length, ctx).toBe((rb.v as Reply[]).length);
          const withValues = cmd.length === 4;
          const flat = strings(ra);
          const fields = withValues ? flat.filter((_, i) => i % 2 === 0) : flat;
          const count = Number(cmd[2]);
          if (count > 0) expect(new Set(fields).size, ctx).toBe(fields.length);
          for (let i = 0; i < fields.length; i++) {
            const v = decode(await pair.theirs.call('HGET', key, fields[i]!));
            expect(v.v, ctx).not.toBeNull();
            if (withValues) expect(flat[2 * i + 1], ctx).toBe(v.v);
          }
          continue;
        }
        if (['HGETALL', 'HKEYS', 'HVALS', 'HSCAN'].includes(cmd[0]!) && (await encodingOf(key)) === 'hashtable') {
          await expectSameUnordered(pair, cmd, cmd[0] === 'HSCAN' ? 'scan' : cmd[0] === 'HGETALL' ? 'pairs' : 'elements');
          continue;
        }
        const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
        expect(a, `${ctx}\nrecent: ${log.slice(-8).join(' | ')}`).toBe(b);
      }
      await resp(2);
      await expectSame(pair, [['DEBUG', 'DIGEST'], ['DBSIZE']]);
    } finally {
      await resp(2);
    }
  }, 120_000);
});
