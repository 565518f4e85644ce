/*
 * Randomized differential test: a seeded generator issues a few thousand string and keyspace
 * commands over a small key space to tredis and to real Redis, and the replies must match byte for
 * byte. TTL-like replies (which depend on when each server ran the command) are compared with a
 * tolerance; GT/LT use only absolute far-future times so the outcome never depends on timing.
 * Set TREDIS_SEED to replay a failing run; the seed is printed in every failure message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { closePair, connectPair, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { decodeReply, type Reply } from './helpers/resp';
import { startTestServer } from './helpers/server';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly rnd: () => number;
  constructor(seed: number) {
    this.rnd = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  key(): string {
    return this.int(20) === 0 ? 'nokey' : `k${this.int(8)}`;
  }
  str(): string {
    const n = this.int(8);
    let s = '';
    for (let i = 0; i < n; i++) s += 'ab1\x00é-'[this.int(6)];
    return s;
  }
  float(): string {
    const sign = this.pick(['', '-', '+']);
    const int = String(this.int(1000000)).slice(0, 1 + this.int(6));
    const frac = this.int(2) === 0 ? '' : '.' + String(this.int(100000000)).padStart(8, '0').slice(0, 1 + this.int(8));
    const exp = this.int(4) === 0 ? `e${this.int(11) - 5}` : '';
    return sign + int + frac + exp;
  }
  value(): string {
    switch (this.int(7)) {
      case 0:
        return String(this.int(201) - 100);
      case 1:
        return this.pick(['9223372036854775807', '-9223372036854775808', '9223372036854775806', '9007199254740991', '9007199254740993', '-9007199254740992', '18446744073709551616']);
      case 2:
        return this.float();
      case 3:
        return this.pick(['007', '-0', ' 1', '1 ', '', '0', '1.0', 'inf', '-inf', 'nan']);
      default:
        return this.str();
    }
  }
  amount(): string {
    return this.int(6) === 0 ? this.pick(['9223372036854775807', '-9223372036854775808', '9223372036854775806', 'x', '1.5', '']) : String(this.int(21) - 10);
  }
  ttl(): string {
    return String(1000 + this.int(100000));
  }
  /** an absolute time far in the future (year 2100 plus up to ~11 days), seconds */
  at(): number {
    return 4102444800 + this.int(1000000);
  }
  setOptions(): string[] {
    const out: string[] = [];
    const n = this.int(3);
    for (let i = 0; i < n; i++) {
      switch (this.int(9)) {
        case 0:
          out.push('NX');
          break;
        case 1:
          out.push('XX');
          break;
        case 2:
          out.push('GET');
          break;
        case 3:
          out.push('KEEPTTL');
          break;
        case 4:
          out.push('EX', this.ttl());
          break;
        case 5:
          out.push('PX', this.ttl() + '000');
          break;
        case 6:
          out.push('EXAT', String(this.at()));
          break;
        case 7:
          out.push('PXAT', String(this.at() * 1000 + this.int(1000)));
          break;
        default:
          out.push(this.pick(['EX', 'PX', 'FOO', 'PERSIST']), this.pick(['0', '-1', 'x', '100000000']));
      }
    }
    return out;
  }
  command(): string[] {
    const k = this.key();
    switch (this.int(40)) {
      case 0:
      case 1:
      case 2:
        return ['GET', k];
      case 3:
      case 4:
      case 5:
        return ['SET', k, this.value(), ...this.setOptions()];
      case 6:
        return ['SETNX', k, this.value()];
      case 7:
        return this.int(5) === 0 ? ['SETEX', k, this.pick(['0', '-1', 'x']), 'v'] : ['SETEX', k, this.ttl(), this.value()];
      case 8:
        return ['PSETEX', k, this.ttl() + '000', this.value()];
      case 9:
      case 10:
        return ['INCR', k];
      case 11:
        return ['DECR', k];
      case 12:
        return ['INCRBY', k, this.amount()];
      case 13:
        return ['DECRBY', k, this.amount()];
      case 14:
      case 15:
        return ['INCRBYFLOAT', k, this.int(8) === 0 ? this.value() : this.float()];
      case 16:
        return ['APPEND', k, this.value()];
      case 17:
        return ['GETRANGE', k, String(this.int(25) - 12), String(this.int(25) - 12)];
      case 18:
        return ['SETRANGE', k, String(this.int(12)), this.str()];
      case 19:
        return ['STRLEN', k];
      case 20: {
        const args = ['MSET'];
        for (let i = this.int(3) + 1; i > 0; i--) args.push(this.key(), this.value());
        return args;
      }
      case 21: {
        const args = ['MSETNX'];
        for (let i = this.int(2) + 1; i > 0; i--) args.push(this.key(), this.value());
        return args;
      }
      case 22:
        return ['MGET', k, this.key(), this.key()];
      case 23:
        return [this.pick(['DEL', 'UNLINK']), k, this.key()];
      case 24:
        return ['EXISTS', k, this.key(), k];
      case 25:
        return [this.pick(['RENAME', 'RENAMENX']), k, this.key()];
      case 26: {
        const args = ['COPY', k, this.key()];
        if (this.int(2) === 0) args.push('REPLACE');
        if (this.int(4) === 0) args.push('DB', this.pick(['0', '1']));
        return args;
      }
      case 27:
        return ['EXPIRE', k, this.ttl(), ...(this.int(3) === 0 ? [this.pick(['NX', 'XX'])] : [])];
      case 28:
        return [this.pick(['EXPIREAT', 'PEXPIREAT']), k, '', ...(this.int(2) === 0 ? [this.pick(['NX', 'XX', 'GT', 'LT'])] : [])].map(
          (a, i, all) => (i === 2 ? (all[0] === 'EXPIREAT' ? String(this.at()) : String(this.at() * 1000 + this.int(1000))) : a),
        );
      case 29:
        return this.pick([['PERSIST', k], ['EXPIRE', k, '-1'], ['PEXPIREAT', k, '1'], ['EXPIRE', k, 'x']]);
      case 30:
        return [this.pick(['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']), k];
      case 31:
        return ['GETSET', k, this.value()];
      case 32:
        return ['GETDEL', k];
      case 33:
        return this.pick([
          ['GETEX', k],
          ['GETEX', k, 'PERSIST'],
          ['GETEX', k, 'EX', this.ttl()],
          ['GETEX', k, 'EXAT', String(this.at())],
          ['GETEX', k, 'PX', '0'],
        ]);
      case 34:
        return ['OBJECT', this.pick(['ENCODING', 'REFCOUNT']), k];
      case 35:
        return ['TYPE', k];
      case 36:
        return ['MOVE', k, '1'];
      case 37:
        return ['LCS', k, this.key(), ...this.pick([[], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN', 'MINMATCHLEN', '2']])];
      case 38:
        return ['KEYS', this.pick(['*', 'k[0-3]', '*1', 'nokey'])];
      default:
        return ['SELECT', this.pick(['0', '0', '0', '1'])];
    }
  }
}

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

const TOLERANCE: Record<string, number> = { TTL: 1, EXPIRETIME: 1, PTTL: 1000, PEXPIRETIME: 1000 };

/** Compares two replies to cmd; null when they agree. */
function mismatch(cmd: string[], ours: string, theirs: string): string | null {
  if (ours === theirs) return null;
  const name = cmd[0]!;
  const tol = TOLERANCE[name];
  if (tol !== undefined && ours[0] === ':' && theirs[0] === ':') {
    if (Math.abs(Number(ours.slice(1, -2)) - Number(theirs.slice(1, -2))) <= tol) return null;
  }
  if (name === 'KEYS' && ours[0] === '*' && theirs[0] === '*') {
    const a = (decode(ours).v as Reply[]).map((x) => x.v).sort();
    const b = (decode(theirs).v as Reply[]).map((x) => x.v).sort();
    if (JSON.stringify(a) === JSON.stringify(b)) return null;
  }
  return `ours ${JSON.stringify(ours)} theirs ${JSON.stringify(theirs)}`;
}

describe.skipIf(!oracleAvailable)('randomized string/keyspace commands vs Redis', () => {
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

  const seeds = process.env.TREDIS_SEED !== undefined ? [Number(process.env.TREDIS_SEED)] : [20240601, Date.now() % 1000000007];
  for (const seed of seeds) {
    it(`agrees on 3000 random commands (seed ${seed})`, async () => {
      for (const db of srv.state.dbs) db.clear();
      await pair.theirs.call('FLUSHALL');
      await pair.ours.call('SELECT', '0');
      await pair.theirs.call('SELECT', '0');
      const gen = new Gen(seed);
      const history: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const cmd = gen.command();
        history.push(JSON.stringify(cmd));
        const [ours, theirs] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
        const diff = mismatch(cmd, ours, theirs);
        if (diff !== null) {
          expect.fail(
            `seed ${seed} (replay with TREDIS_SEED=${seed}), command #${i} ${JSON.stringify(cmd)}: ${diff}\n` +
              `last commands:\n${history.slice(-15).join('\n')}`,
          );
        }
      }
    });
  }
});
