/*
 * Transactions: MULTI/EXEC/DISCARD/WATCH/UNWATCH through ioredis and raw sessions, WATCH races
 * between clients, and a differential run against the oracle for error paths and reply shapes
 * (RESP2 and RESP3), WATCH invalidation (writes, expiry, flushes, SWAPDB, RENAME, MOVE), CLIENT LIST
 * flags, MONITOR lines and commandstats.
 */

import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../src/command';
import { oracleAvailable } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { useDifferential, useServer } from './helpers/setup';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// a probe for the flag blocking commands read: whether the command runs inside EXEC
register([
  {
    name: 'tredis-test-inexec',
    arity: 1,
    flags: ['fast'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'test probe', since: '0', group: 'server' },
    handler(c) {
      c.int(c.inExec ? 1 : 0);
    },
  },
]);

describe('transactions (ioredis, raw)', () => {
  const t = useServer();
  const extra: (Redis | RawSession)[] = [];
  const raw = async () => {
    const s = await RawSession.connect(t.srv.port);
    extra.push(s);
    return s;
  };
  const client = () => {
    const r = new Redis({ port: t.srv.port, host: '127.0.0.1' });
    extra.push(r);
    return r;
  };
  afterEach(() => {
    for (const x of extra.splice(0)) {
      if (x instanceof RawSession) x.close();
      else x.disconnect();
    }
  });

  it('runs the queue and returns every reply, runtime errors included', async () => {
    const res = await t.r.multi().set('a', 'x').incr('a').get('a').setrange('a', -1, 'y').exec();
    expect(res![0]).toEqual([null, 'OK']);
    expect(res![1]![0]).toBeInstanceOf(Error);
    expect((res![1]![0] as Error).message).toBe('ERR value is not an integer or out of range');
    expect(res![2]).toEqual([null, 'x']);
    expect(res![3]![0]).toBeInstanceOf(Error);
    expect(await t.r.get('a')).toBe('x');
  });

  it('a command that fails to queue aborts the whole transaction', async () => {
    const s = await raw();
    expect(await s.call('MULTI')).toBe('+OK\r\n');
    expect(await s.call('SET', 'a', '1')).toBe('+QUEUED\r\n');
    expect(await s.call('SET', 'a')).toBe("-ERR wrong number of arguments for 'set' command\r\n");
    expect(await s.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect(await s.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await t.r.exists('a')).toBe(0);
    await expect(t.r.multi().set('b', '1').call('nosuch').exec()).rejects.toThrow('EXECABORT');
    expect(await t.r.exists('b')).toBe(0);
  });

  it('DISCARD drops the queue; nesting and misplaced commands are refused', async () => {
    const s = await raw();
    expect(await s.call('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    expect(await s.call('DISCARD')).toBe('-ERR DISCARD without MULTI\r\n');
    await s.call('MULTI');
    expect(await s.call('MULTI')).toBe('-ERR MULTI calls can not be nested\r\n');
    expect(await s.call('WATCH', 'k')).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
    expect(await s.call('SET', 'k', 'v')).toBe('+QUEUED\r\n');
    expect(await s.call('DISCARD')).toBe('+OK\r\n');
    expect(await t.r.exists('k')).toBe(0);
    // neither refusal flagged the transaction
    await s.call('MULTI');
    await s.call('MULTI');
    await s.call('SET', 'k', 'v');
    expect(await s.call('EXEC')).toBe('*1\r\n+OK\r\n');
  });

  it('WATCH: EXEC fails when another client wrote the key, succeeds otherwise', async () => {
    const other = client();
    await t.r.set('bal', '10');
    await t.r.watch('bal');
    await other.set('bal', '20');
    expect(await t.r.multi().set('bal', '11').exec()).toBeNull();
    expect(await t.r.get('bal')).toBe('20');
    await t.r.watch('bal');
    await other.set('unrelated', '1');
    await other.get('bal');
    expect(await t.r.multi().set('bal', '21').exec()).toEqual([[null, 'OK']]);
    // EXEC unwatched: a later write does not spoil the next transaction
    await other.set('bal', '0');
    expect(await t.r.multi().get('bal').exec()).toEqual([[null, '0']]);
    expect(t.srv.state.watches.count).toBe(0);
  });

  it('WATCH race: check-and-set from many clients never loses an update', async () => {
    const clients = Array.from({ length: 5 }, () => client());
    await t.r.set('counter', '0');
    let retries = 0;
    // WATCH belongs to a connection: each client runs its check-and-set loop alone
    const incrCas = async (r: Redis) => {
      for (let done = 0; done < 20; ) {
        await r.watch('counter');
        const v = Number(await r.get('counter'));
        await sleep(Math.random() * 3);
        const res = await r.multi().set('counter', String(v + 1)).exec();
        if (res !== null) done++;
        else retries++;
      }
    };
    await Promise.all(clients.map(incrCas));
    expect(await t.r.get('counter')).toBe('100');
    expect(retries).toBeGreaterThan(0);
  });

  it('EXEC is atomic: no other client runs between the queued commands', async () => {
    const clients = Array.from({ length: 4 }, () => client());
    const runs = clients.map(async (r) => {
      const out: number[][] = [];
      for (let i = 0; i < 50; i++) {
        const res = await r.multi().incr('seq').incr('seq').incr('seq').exec();
        out.push(res!.map(([, v]) => v as number));
      }
      return out;
    });
    const all = (await Promise.all(runs)).flat();
    for (const [a, b, c] of all) {
      expect(b).toBe(a! + 1);
      expect(c).toBe(a! + 2);
    }
    expect(await t.r.get('seq')).toBe(String(4 * 50 * 3));
  });

  it('WATCH is broken by expiry, FLUSHDB, FLUSHALL, SWAPDB, RENAME, MOVE, DEL', async () => {
    const other = client();
    const broken = async (key: string, act: () => Promise<unknown>) => {
      await t.r.watch(key);
      await act();
      return (await t.r.multi().ping().exec()) === null;
    };
    // SET and WATCH sent together, so a loaded machine cannot let the key expire before the WATCH
    // (a key already gone when watched does not break it, as in Redis)
    await Promise.all([t.r.set('k', '1', 'PX', 100), t.r.watch('k')]);
    await sleep(200);
    expect((await t.r.multi().ping().exec()) === null).toBe(true);
    await t.r.set('k', '1');
    expect(await broken('k', () => other.flushdb())).toBe(true);
    expect(await broken('k', () => other.flushdb())).toBe(false); // k no longer exists
    await t.r.set('k', '1');
    expect(await broken('k', () => other.flushall())).toBe(true);
    await other.select(1);
    await other.set('k', '1');
    expect(await broken('k', () => other.swapdb(0, 1))).toBe(true);
    expect(await broken('nothere', () => other.swapdb(0, 1))).toBe(false);
    await other.select(0);
    await other.set('src', '1');
    expect(await broken('dst', () => other.rename('src', 'dst'))).toBe(true);
    expect(await broken('dst', () => other.move('dst', 3))).toBe(true);
    await other.set('d', '1');
    expect(await broken('d', () => other.del('d'))).toBe(true);
    expect(await broken('d', () => other.del('d'))).toBe(false); // deleting nothing changes nothing
    await t.r.set('same', 'v');
    expect(await broken('same', () => other.set('same', 'v'))).toBe(true); // any write counts
  });

  it('WATCH is broken when the key is evicted', async () => {
    const other = client();
    await t.r.set('w', 'v'.repeat(100), 'EX', 1000);
    for (let i = 0; i < 5; i++) await t.r.set(`k${i}`, 'v'.repeat(100));
    await t.r.watch('w');
    const used = Number(/used_memory:(\d+)/.exec(await other.info('memory'))![1]);
    try {
      await other.config('SET', 'maxmemory-policy', 'volatile-ttl');
      await other.config('SET', 'maxmemory', String(used));
      await other.set('big', 'x'.repeat(1000)); // over the limit: the next command evicts w
      await other.ping();
      expect(await other.exists('w')).toBe(0);
    } finally {
      await other.config('SET', 'maxmemory', '0');
      await other.config('SET', 'maxmemory-policy', 'noeviction');
    }
    expect(await t.r.multi().ping().exec()).toBeNull();
  });

  it('RESET, DISCARD, UNWATCH and disconnect forget the transaction and the watched keys', async () => {
    const s = await raw();
    await s.call('WATCH', 'a', 'b', 'a');
    expect(t.srv.state.watches.count).toBe(2);
    await s.call('UNWATCH');
    expect(t.srv.state.watches.count).toBe(0);
    await s.call('WATCH', 'a');
    await s.call('MULTI');
    await s.call('SET', 'x', '1');
    expect(await s.call('RESET')).toBe('+RESET\r\n');
    expect(t.srv.state.watches.count).toBe(0);
    expect(await s.call('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    await s.call('WATCH', 'a');
    await s.call('MULTI');
    await s.call('DISCARD');
    expect(t.srv.state.watches.count).toBe(0);
    await s.call('WATCH', 'a', 'b');
    s.close();
    for (let i = 0; i < 50 && t.srv.state.watches.count !== 0; i++) await sleep(10);
    expect(t.srv.state.watches.count).toBe(0);
    // a dirty flag ends with UNWATCH too
    const w = await raw();
    await w.call('WATCH', 'a');
    await t.r.set('a', '1');
    await w.call('UNWATCH');
    await w.call('MULTI');
    await w.call('PING');
    expect(await w.call('EXEC')).toBe('*1\r\n+PONG\r\n');
  });

  it('CLIENT PAUSE WRITE holds queued writes and an EXEC that would write; reads go through', async () => {
    const s = await raw();
    await s.call('MULTI');
    await s.call('GET', 'a');
    await s.call('SET', 'a', '1');
    expect(await t.r.client('PAUSE', 300, 'WRITE')).toBe('OK');
    let start = Date.now();
    expect(await s.call('EXEC')).toBe('*2\r\n$-1\r\n+OK\r\n');
    expect(Date.now() - start).toBeGreaterThanOrEqual(200);
    await s.call('MULTI');
    await s.call('GET', 'a');
    expect(await t.r.client('PAUSE', 300, 'WRITE')).toBe('OK');
    start = Date.now();
    expect(await s.call('EXEC')).toBe('*1\r\n$1\r\n1\r\n');
    expect(Date.now() - start).toBeLessThan(200);
    await t.r.client('UNPAUSE');
  });

  it('commands run by EXEC see inExec (blocking commands act as non-blocking)', async () => {
    expect(await t.r.call('tredis-test-inexec')).toBe(0);
    const res = await t.r.multi().call('tredis-test-inexec').exec();
    expect(res).toEqual([[null, 1]]);
    expect(await t.r.call('tredis-test-inexec')).toBe(0);
  });

  it('CLIENT LIST shows x while queueing, d once a watched key changed, and multi=N', async () => {
    const s = await raw();
    const id = Number((await s.call('CLIENT', 'ID')).slice(1, -2));
    const line = async () => {
      const list = (await t.r.client('LIST')) as string;
      return list.split('\n').find((l) => l.startsWith(`id=${id} `))!;
    };
    expect(await line()).toMatch(/ flags=N .* multi=-1 .*multi-mem=0 /);
    await s.call('WATCH', 'w');
    expect(await line()).toMatch(/ flags=N .* multi=-1 /);
    await s.call('MULTI');
    await s.call('SET', 'x', '1');
    await s.call('GET', 'x');
    // multi-mem: each queued argument's bytes plus a pointer per argument
    expect(await line()).toMatch(/ flags=x .* multi=2 .*multi-mem=49 .* cmd=get /);
    await t.r.set('w', '1');
    expect(await line()).toMatch(/ flags=xd .* multi=2 /);
    expect(await s.call('EXEC')).toBe('*-1\r\n');
    expect(await line()).toMatch(/ flags=N .* multi=-1 .* cmd=exec /);
    await s.call('WATCH', 'w');
    await t.r.set('w', '2');
    expect(await line()).toMatch(/ flags=d .* multi=-1 /);
  });

  it('commandstats: queued commands count when EXEC runs them; their errors are not EXEC failures', async () => {
    await t.r.config('RESETSTAT');
    await t.r.set('s', 'str');
    await t.r.multi().incr('s').get('s').exec();
    const stats = await t.r.info('commandstats');
    expect(stats).toMatch(/cmdstat_incr:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1/);
    expect(stats).toMatch(/cmdstat_get:calls=1,/);
    expect(stats).toMatch(/cmdstat_exec:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0/);
    expect(stats).toMatch(/cmdstat_multi:calls=1,/);
  });

  it('a big transaction runs in order', async () => {
    const m = t.r.multi();
    for (let i = 0; i < 2000; i++) m.append('big', String(i % 10));
    const res = await m.exec();
    expect(res!.length).toBe(2000);
    expect(res![1999]).toEqual([null, 2000]);
    expect((await t.r.get('big'))!.slice(0, 12)).toBe('012345678901');
  });

  it('node-redis RESP3: MULTI/EXEC and a failed WATCH', async () => {
    const nr = createClient({ socket: { port: t.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await nr.connect();
    try {
      expect(await nr.multi().set('n', '1').incr('n').get('n').exec()).toEqual(['OK', 2, '2']);
      await nr.watch('n');
      await t.r.set('n', '5');
      await expect(nr.multi().get('n').exec()).rejects.toThrow();
    } finally {
      nr.destroy();
    }
  });
});

describe.skipIf(!oracleAvailable)('transactions vs Redis', () => {
  const d = useDifferential();
  let ours2: RawSession;
  let theirs2: RawSession;
  beforeAll(async () => {
    ours2 = await RawSession.connect(d.srv.port);
    theirs2 = await RawSession.connect(d.oracle.port);
  });
  afterAll(() => {
    ours2.close();
    theirs2.close();
  });
  beforeEach(async () => {
    for (const s of [d.pair.ours, d.pair.theirs, ours2, theirs2]) await s.call('RESET');
  });

  /** Steps run on both servers: [1|2, ...command] on connection 1 or 2, or a number to sleep. */
  type Step = number | [1 | 2, ...string[]];
  const norm = (s: string) =>
    s.replace(/id=\d+/g, 'id=N').replace(/age=\d+ idle=\d+/g, 'AGE').replace(/addr=\S+/g, 'addr=A').replace(/fd=\d+/g, 'fd=F')
      .replace(/qbuf=\d+ qbuf-free=\d+ argv-mem=\d+/g, 'QBUF').replace(/rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+/g, 'MEM')
      .replace(/\$2\r\nid\r\n:\d+/g, '$2\r\nid\r\n:N').replace(/(^|\r\n)[$=]\d+\r\n/g, '$1$N\r\n');
  async function same(steps: Step[], normalize = false): Promise<void> {
    for (const st of steps) {
      if (typeof st === 'number') {
        await sleep(st);
        continue;
      }
      const [conn, ...cmd] = st;
      const [a, b] = conn === 1 ? [d.pair.ours, d.pair.theirs] : [ours2, theirs2];
      let [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
      if (normalize) [x, y] = [norm(x), norm(y)];
      expect(x, `reply to ${conn}: ${cmd.join(' ')}`).toBe(y);
    }
  }
  const one = (...cmds: string[][]): Step[] => cmds.map((c) => [1, ...c] as Step);

  it('queueing errors, EXECABORT, nesting, misplaced EXEC/DISCARD/WATCH', async () => {
    await same(one(
      ['EXEC'], ['DISCARD'], ['EXEC', 'x'], ['DISCARD', 'x'], ['MULTI', 'x'], ['WATCH'], ['UNWATCH', 'x'],
      ['MULTI'], ['MULTI'], ['WATCH', 'k'], ['SET', 'a', '1'], ['EXEC'],
      ['MULTI'], ['GET'], ['SET', 'a'], ['nosuch', 'x'], ['CONFIG', 'nosuch'], ['GET', 'a'], ['EXEC'],
      ['MULTI'], ['SHUTDOWN'], ['EXEC'],
      ['MULTI'], ['SET', 'a', '2'], ['EXEC', 'extra'], ['EXEC'],
      ['MULTI'], ['SET', 'a', '3'], ['DISCARD', 'extra'], ['DISCARD'], ['GET', 'a'],
      ['MULTI'], ['MULTI', 'x'], ['EXEC'],
      ['MULTI'], ['EXEC'],
      ['MULTI'], ['UNWATCH'], ['DISCARD'],
      ['WATCH', 'a'], ['MULTI'], ['SET', 'a', '9'], ['RESET'], ['EXEC'], ['GET', 'a'],
      ['MULTI'], ['PING', 'x'], ['ECHO'], ['CLIENT', 'NOSUCH'], ['EXEC'],
    ));
  });

  it('runtime errors inside EXEC, SELECT and HELLO inside it, reply shapes in RESP2 and RESP3', async () => {
    await same(one(
      ['MULTI'], ['SET', 'a', 'x'], ['INCR', 'a'], ['APPEND', 'a', 'y'], ['GET', 'a'], ['GET', 'missing'], ['EXEC'],
      ['MULTI'], ['SELECT', '2'], ['SET', 'q', '1'], ['EXEC'], ['GET', 'q'], ['SELECT', '0'], ['GET', 'q'],
    ));
    await same(one(['HELLO', '3']), true);
    await same(one(
      ['MULTI'], ['GET', 'missing'], ['INCRBYFLOAT', 'f', '1.5'], ['CONFIG', 'GET', 'maxmemory'], ['EXEC'],
      ['WATCH', 'a'], ['MULTI'], ['SET', 'a', 'z'], ['EXEC'],
      ['WATCH', 'a'],
    ));
    await same([[2, 'SET', 'a', 'w'], [1, 'MULTI'], [1, 'PING'], [1, 'EXEC'],
      [1, 'MULTI'], [1, 'HELLO', '2'], [1, 'GET', 'missing'], [1, 'EXEC'], [1, 'MULTI'], [1, 'EXEC'],
      [1, 'WATCH', 'a'], [2, 'SET', 'a', 'v'], [1, 'MULTI'], [1, 'EXEC']], true);
  });

  it('WATCH invalidation by other clients: writes, reads, other dbs, no-op deletes, EXPIRE/PERSIST', async () => {
    const casFails = (...between: Step[]): Step[] => [...between, [1, 'MULTI'], [1, 'PING'], [1, 'EXEC']];
    await same([
      [1, 'WATCH', 'a'], ...casFails([2, 'SET', 'a', '1']),
      [1, 'WATCH', 'a'], ...casFails([2, 'SET', 'b', '1'], [2, 'GET', 'a'], [2, 'EXISTS', 'a']),
      [1, 'WATCH', 'zz'], ...casFails([2, 'DEL', 'zz'], [2, 'UNLINK', 'zz']),
      [1, 'WATCH', 'a'], ...casFails([1, 'SET', 'a', '2']),
      [1, 'WATCH', 'a'], [1, 'MULTI'], [2, 'SET', 'a', '1'], [1, 'EXEC'],
      [1, 'WATCH', 'a'], ...casFails([2, 'PERSIST', 'a']),
      [1, 'WATCH', 'a'], ...casFails([2, 'EXPIRE', 'a', '100']),
      [1, 'WATCH', 'a'], ...casFails([2, 'SELECT', '1'], [2, 'SET', 'a', '1'], [2, 'SELECT', '0']),
      [1, 'WATCH', 'a', 'b', 'c'], ...casFails([2, 'RENAME', 'a', 'c']),
      [1, 'WATCH', 'c'], ...casFails([2, 'MOVE', 'c', '1']),
      [1, 'SELECT', '1'], [1, 'WATCH', 'c'], [1, 'SELECT', '0'], ...casFails([2, 'COPY', 'b', 'c', 'DB', '1']),
      [1, 'WATCH', 'b'], ...casFails([2, 'COPY', 'b', 'b2']),
      [1, 'WATCH', 'b2'], ...casFails([2, 'COPY', 'b', 'b2', 'REPLACE']),
      [1, 'WATCH', 'a'], ...casFails([2, 'SET', 'a', '4'], [1, 'WATCH', 'b']),
      [1, 'WATCH', 'n'], ...casFails([2, 'INCR', 'n']),
      [1, 'WATCH', 'n'], ...casFails([2, 'SETNX', 'n', '1']),
      [1, 'WATCH', 'n'], ...casFails([2, 'MSETNX', 'n', '1', 'o', '2']),
    ]);
  });

  it('WATCH and FLUSHDB, FLUSHALL, SWAPDB (keys present or not in either db)', async () => {
    const cas = (...between: Step[]): Step[] => [...between, [1, 'MULTI'], [1, 'PING'], [1, 'EXEC']];
    await same([
      [1, 'WATCH', 'a'], ...cas([2, 'FLUSHDB']),
      [1, 'SET', 'a', '1'], [1, 'WATCH', 'a'], ...cas([2, 'FLUSHDB']),
      [1, 'SET', 'a', '1'], [1, 'WATCH', 'a'], ...cas([2, 'FLUSHALL']),
      [1, 'SET', 'a', '1'], [1, 'WATCH', 'a'], ...cas([2, 'SELECT', '1'], [2, 'FLUSHDB'], [2, 'SELECT', '0']),
      [1, 'WATCH', 'a'], ...cas([2, 'FLUSHALL', 'ASYNC']),
      [1, 'SET', 'a', '1'], [1, 'WATCH', 'a'], ...cas([2, 'SWAPDB', '0', '1']),
      [1, 'WATCH', 'a'], ...cas([2, 'SWAPDB', '0', '1']),
      [1, 'WATCH', 'zz'], ...cas([2, 'SWAPDB', '0', '1']),
      [1, 'SELECT', '1'], [1, 'SET', 'k', '1'], [1, 'SELECT', '0'],
      [1, 'WATCH', 'k'], ...cas([2, 'SWAPDB', '1', '2']),
      [1, 'WATCH', 'k'], ...cas([2, 'SWAPDB', '0', '2']),
      [1, 'WATCH', 'k'], ...cas([2, 'SWAPDB', '0', '0']),
    ]);
  });

  it('WATCH and expiry: expired since WATCH fails, expired before WATCH does not', async () => {
    const cas: Step[] = [[1, 'MULTI'], [1, 'PING'], [1, 'EXEC']];
    await same([
      [1, 'DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      // live when watched, logically expired at EXEC (nothing deleted it)
      [1, 'SET', 'a', '1', 'PX', '100'], [1, 'WATCH', 'a'], 200, ...cas,
      // live when watched, deleted by lazy expiry
      [1, 'SET', 'a', '1', 'PX', '100'], [1, 'WATCH', 'a'], 200, [2, 'GET', 'a'], ...cas,
      // already expired when watched: its deletion is no change...
      [1, 'SET', 'a', '1', 'PX', '50'], 120, [1, 'WATCH', 'a'], [2, 'GET', 'a'], ...cas,
      [1, 'SET', 'a', '1', 'PX', '50'], 120, [1, 'WATCH', 'a'], ...cas,
      [1, 'SET', 'a', '1', 'PX', '50'], 120, [1, 'WATCH', 'a'], [2, 'FLUSHDB'], ...cas,
      // ...but giving it a value is
      [1, 'SET', 'a', '1', 'PX', '50'], 120, [1, 'WATCH', 'a'], [2, 'SET', 'a', '2'], ...cas,
      [1, 'SET', 'a', '1', 'PX', '50'], 120, [1, 'WATCH', 'a'], [2, 'GET', 'a'], [2, 'SET', 'a', '2'], ...cas,
      // SWAPDB bringing an expired key where none was: still absent to the watcher
      [1, 'FLUSHALL'], [1, 'SELECT', '1'], [1, 'SET', 'e', '1', 'PX', '50'], [1, 'SELECT', '0'], 120,
      [1, 'WATCH', 'e'], [2, 'SWAPDB', '0', '1'], ...cas,
      [1, 'FLUSHALL'], [1, 'SET', 'e', '1', 'PX', '50'], 120, [1, 'WATCH', 'e'],
      [1, 'SELECT', '1'], [1, 'SET', 'e', 'live'], [1, 'SELECT', '0'], [2, 'SWAPDB', '0', '1'], ...cas,
      [1, 'FLUSHALL'], [1, 'SET', 'e', '1', 'PX', '50'], 120, [1, 'WATCH', 'e'], [2, 'SWAPDB', '0', '1'], ...cas,
      [1, 'DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      // deleted by active expiry while watched
      [1, 'SET', 'a', '1', 'PX', '50'], [1, 'WATCH', 'a'], 400, [1, 'DBSIZE'], ...cas,
    ]);
  });

  it('maxmemory: queueing is refused over the limit, EXEC aborts when it holds a write', async () => {
    await same([
      [1, 'SET', 'a', '1'],
      [1, 'MULTI'], [1, 'GET', 'a'], [2, 'CONFIG', 'SET', 'maxmemory', '1'], [1, 'SET', 'a', '5'], [1, 'EXEC'],
      [1, 'MULTI'], [1, 'GET', 'a'], [1, 'EXEC'],
      [1, 'MULTI'], [1, 'MULTI'], [1, 'WATCH', 'x'], [1, 'DISCARD'],
      [2, 'CONFIG', 'SET', 'maxmemory', '0'], [1, 'MULTI'], [1, 'SET', 'a', '1'],
      [2, 'CONFIG', 'SET', 'maxmemory', '1'], [1, 'EXEC'],
      [2, 'CONFIG', 'SET', 'maxmemory', '0'], [1, 'MULTI'], [1, 'GET', 'a'],
      [2, 'CONFIG', 'SET', 'maxmemory', '1'], [1, 'EXEC'],
      [2, 'CONFIG', 'SET', 'maxmemory', '0'],
    ]);
  });

  it('CLIENT LIST/INFO flags and multi fields, inside and outside EXEC', async () => {
    await same([
      [1, 'WATCH', 'a'], [2, 'CLIENT', 'LIST'], [1, 'MULTI'], [1, 'SET', 'x', '1'], [1, 'GET', 'x'], [2, 'CLIENT', 'LIST'],
      [2, 'SET', 'a', '1'], [2, 'CLIENT', 'LIST'], [1, 'EXEC'], [2, 'CLIENT', 'LIST'],
      [1, 'WATCH', 'a'], [2, 'SET', 'a', '2'], [2, 'CLIENT', 'LIST'], [1, 'UNWATCH'],
      [1, 'MULTI'], [1, 'CLIENT', 'INFO'], [1, 'SET', 'a', '1'], [1, 'EXEC'],
    ], true);
  });

  it('MONITOR sees MULTI, the queued commands when EXEC runs them, then EXEC', async () => {
    const run = async (port: number, self: RawSession) => {
      const mon = await RawSession.connect(port);
      await mon.call('MONITOR');
      for (const c of [['MULTI'], ['SET', 'a', '1'], ['GET'], ['EXEC'], ['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'],
        ['EXEC'], ['MULTI'], ['DISCARD'], ['EXEC', 'foo'], ['WATCH', 'a'], ['UNWATCH'], ['PING']]) await self.call(...c);
      const lines: string[] = [];
      for (;;) {
        const l = (await mon.readReply()).replace(/^\+[\d.]+ \[0 [^\]]+\] /, '');
        lines.push(l);
        if (l.startsWith('"PING"')) break;
      }
      mon.close();
      return lines;
    };
    const ours = await run(d.srv.port, d.pair.ours);
    const theirs = await run(d.oracle.port, d.pair.theirs);
    expect(ours).toEqual(theirs);
    expect(ours[0]).toBe('"MULTI"\r\n');
  });

  it('errorstats and commandstats rejected/failed counts', async () => {
    await same(one(
      ['CONFIG', 'RESETSTAT'],
      ['MULTI'], ['SET', 'a'], ['GET', 'a'], ['EXEC'],
      ['MULTI'], ['SET', 'a', 'x'], ['INCR', 'a'], ['EXEC'], ['EXEC'], ['DISCARD'],
      ['MULTI'], ['MULTI'], ['DISCARD'], ['EXEC', 'foo'], ['MULTI'], ['WATCH', 'x'], ['EXEC'],
      ['INFO', 'errorstats'],
    ));
    const stat = async (s: RawSession) => {
      const text = await s.call('INFO', 'commandstats');
      return text.split('\r\n').filter((l) => l.startsWith('cmdstat_') && !l.startsWith('cmdstat_info'))
        .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
    };
    expect(await stat(d.pair.ours)).toEqual(await stat(d.pair.theirs));
  });

  it('COMMAND INFO for the transaction commands', async () => {
    await same(one(['COMMAND', 'INFO', 'multi', 'exec', 'discard', 'watch', 'unwatch']));
  });
});
