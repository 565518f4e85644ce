/*
 * Replication against real Redis 7.0: a real redis-server follows tredis, and tredis follows a
 * real redis-server; full sync of every type, live writes (the effects, rewritten as Redis
 * rewrites them), the link killed and restored (partial resync from the backlog), chains and
 * promotion (PSYNC2), WAIT, read-only replicas. Keyspaces are compared with DEBUG DIGEST, which
 * covers every key, value and expiry time (tredis computes it as Redis does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { Backlog } from '../src/repl-backlog';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { startTestServer as startServerIn } from './helpers/server';
import { seededRandom, testSeed, until } from './helpers/setup';

// a replica writes the snapshot it receives to dir/dump.rdb (repl-diskless-load disabled): each
// server gets a directory of its own
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function startTestServer(directives: Record<string, string> = {}): Promise<RunningServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tredis-repl-'));
  dirs.push(dir);
  return startServerIn({ dir, ...directives });
}

function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

async function offset(r: Redis): Promise<number> {
  return Number(infoField(await r.info('replication'), 'master_repl_offset'));
}

/** Waits until the replica has applied everything the leader has sent, then compares digests. */
async function expectInSync(leader: Redis, replica: Redis): Promise<void> {
  await until('the replica to catch up', async () => {
    const lo = await offset(leader);
    const info = await replica.info('replication');
    return infoField(info, 'master_link_status') === 'up' && Number(infoField(info, 'slave_repl_offset')) >= lo;
  });
  const [a, b] = await Promise.all([leader.call('DEBUG', 'DIGEST'), replica.call('DEBUG', 'DIGEST')]);
  expect(b).toBe(a);
  // the digest only marks that a key has an expiry: the times must be the same to the ms
  for (const db of [0, 3]) {
    expect(await expiryTimes(replica, db)).toEqual(await expiryTimes(leader, db));
  }
}

async function expiryTimes(r: Redis, db: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await r.select(db);
  const keys = (await r.keys('*')).sort();
  for (const k of keys) {
    const at = Number(await r.call('PEXPIRETIME', k));
    if (at !== -1) out[k] = at;
  }
  await r.select(0);
  return out;
}

/**
 * Holds a server busy for a while (DEBUG SLEEP on a connection of its own): writes replicated
 * meanwhile are applied late, so a relative expiry sent as-is would end later on the replica.
 */
async function stall(port: number): Promise<void> {
  const r = new Redis(port, '127.0.0.1');
  void r.call('DEBUG', 'SLEEP', '0.2').finally(() => r.disconnect());
  await new Promise((res) => setTimeout(res, 30));
}

/** A keyspace with every type, some keys with TTLs, in two databases. */
async function fillEveryType(r: Redis): Promise<void> {
  await r.set('str', 'hello');
  await r.set('int', '12345');
  await r.set('bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await r.set('ttl', 'v', 'EX', 1000);
  await r.rpush('list', 'a', 'b', 'c');
  await r.rpush('biglist', ...Array.from({ length: 300 }, (_, i) => `item-${i}`));
  await r.hset('hash', 'f1', 'v1', 'f2', 'v2');
  await r.hset('bighash', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`])));
  await r.sadd('intset', 1, 2, 3);
  await r.sadd('set', 'x', 'y', 'z');
  await r.zadd('zset', 1, 'a', 2.5, 'b', -3, 'c');
  await r.zadd('bigzset', ...Array.from({ length: 200 }, (_, i) => [i, `m${i}`]).flat());
  await r.pfadd('hll', 'a', 'b', 'c');
  await r.setbit('bits', 100, 1);
  await r.select(3);
  await r.set('in-db3', 'yes');
  await r.pexpire('in-db3', 500000);
  await r.select(0);
}

/** Writes whose replication needs the effect, not the request (Redis 7.0 rewrites all of these). */
async function rewrittenWrites(r: Redis): Promise<void> {
  await r.set('k1', 'v', 'EX', 100);
  await r.set('k2', 'v', 'PX', 100000, 'GET');
  await r.setex('k3', 100, 'v');
  await r.psetex('k4', 100000, 'v');
  await r.expire('str', 500);
  await r.pexpire('int', 500000, 'GT');
  await r.call('GETEX', 'k1', 'EX', '50');
  await r.call('GETEX', 'k2', 'PERSIST');
  await r.call('GETDEL', 'k3');
  await r.incrbyfloat('float', 1.1);
  await r.incrbyfloat('float', 2.2);
  await r.hincrbyfloat('hash', 'fl', 0.1);
  await r.sadd('popme', 'a', 'b', 'c', 'd', 'e', 'f', 'g');
  await r.spop('popme');
  await r.spop('popme', 2);
  await r.spop('popme', 1);
  await r.rpush('q', '1', '2', '3', '4', '5', '6');
  await r.blpop('q', 0);
  await r.brpop('q', 0);
  await r.call('LMPOP', '1', 'q', 'LEFT', 'COUNT', '2');
  await r.blmove('q', 'q2', 'LEFT', 'RIGHT', 0);
  await r.brpoplpush('q2', 'q3', 0);
  await r.zadd('zq', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
  await r.bzpopmin('zq', 0);
  await r.call('ZMPOP', '1', 'zq', 'MAX', 'COUNT', '2');
  await r.call('BZMPOP', '0', '1', 'zq', 'MIN');
  await r.xadd('stream', '*', 'a', '1');
  await r.xadd('stream', 'MAXLEN', '~', '1', '*', 'a', '2');
  await r.xadd('stream', '*', 'a', '3');
  await r.xgroup('CREATE', 'stream', 'g', '0');
  await r.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'stream', '>');
  await r.xreadgroup('GROUP', 'g', 'bob', 'NOACK', 'STREAMS', 'stream', '>');
  await r.xclaim('stream', 'g', 'carol', 0, (await r.xrange('stream', '-', '+'))[0]![0]);
  await r.call('XAUTOCLAIM', 'stream', 'g', 'dave', '0', '0');
  await r.eval("redis.call('set', KEYS[1], 'a'); redis.call('incr', KEYS[2]); return 1", 2, 'e1', 'e2');
  await r.multi().set('m1', '1').incr('m2').sadd('m3', 'x').exec();
  await r.set('short', 'v', 'PX', 30);
  await new Promise((res) => setTimeout(res, 60));
  await r.get('short'); // expired lazily: replicas get a DEL
  await r.expire('str', -1); // already expired: replicas get a DEL
  await r.copy('list', 'list-copy');
  await r.restore('restored', 100000, (await r.dumpBuffer('list'))!);
  await r.rename('hash', 'hash2');
  await r.call('SWAPDB', '0', '3');
  await r.call('SWAPDB', '0', '3');
  await r.sort('list', 'ALPHA', 'STORE', 'sorted');
  await r.flushdb();
  await fillEveryType(r);
}

describe('replication backlog', () => {
  it('keeps the newest bytes in a ring and serves any offset it still holds', () => {
    const b = new Backlog(16 * 1024, 100);
    expect(b.covers(101)).toBe(true);
    expect(b.histlen).toBe(0);
    b.append(Buffer.from('x'.repeat(10000)));
    b.append(Buffer.from('y'.repeat(10000)));
    expect(b.endOffset).toBe(20100);
    expect(b.histlen).toBe(16 * 1024);
    expect(b.firstOffset).toBe(20100 - 16 * 1024 + 1);
    expect(b.covers(b.firstOffset - 1)).toBe(false);
    expect(b.covers(b.firstOffset)).toBe(true);
    const tail = b.from(20100 - 9999);
    expect(tail.toString('latin1')).toBe('y'.repeat(10000));
    const wrapped = b.from(b.firstOffset).toString('latin1');
    expect(wrapped).toBe('x'.repeat(16 * 1024 - 10000) + 'y'.repeat(10000));
    b.resize(20000);
    expect(b.from(b.firstOffset).toString('latin1')).toBe(wrapped);
    b.append(Buffer.from('z'));
    expect(b.from(b.endOffset).toString('latin1')).toBe('z');
  });
});

describe.skipIf(!oracleAvailable)('replication with real Redis 7.0', () => {
  let leader: RunningServer;
  let oracle: Oracle;
  let l: Redis;
  let o: Redis;

  beforeAll(async () => {
    leader = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    oracle = await startOracle(['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0']);
    l = new Redis(leader.port, '127.0.0.1');
    o = new Redis(oracle.port, '127.0.0.1');
  });
  afterAll(async () => {
    l.disconnect();
    o.disconnect();
    await leader.close();
    await oracle.close();
  });

  it('a real Redis follows tredis: full sync, live writes, partial resync after the link drops', async () => {
    await fillEveryType(l);
    expect(await o.replicaof('127.0.0.1', String(leader.port))).toBe('OK');
    await expectInSync(l, o);
    expect(await o.dbsize()).toBe(await l.dbsize());
    expect(await o.pttl('ttl')).toBeGreaterThan(990000);

    await stall(oracle.port);
    await rewrittenWrites(l);
    await expectInSync(l, o);

    // the link drops; writes go on; the replica comes back and continues from the backlog
    const before = Number(infoField(await l.info('stats'), 'sync_partial_ok'));
    await o.call('CLIENT', 'KILL', 'TYPE', 'master');
    await l.set('during-outage', '1');
    await l.lpush('list', 'more');
    await expectInSync(l, o);
    expect(Number(infoField(await l.info('stats'), 'sync_partial_ok'))).toBe(before + 1);
    expect(await o.get('during-outage')).toBe('1');

    const role = (await l.role()) as [string, number, [string, string, string][]];
    expect(role[0]).toBe('master');
    expect(role[2]).toHaveLength(1);
    expect(role[2]![0]![1]).toBe(String(oracle.port));
    expect(infoField(await l.info('replication'), 'connected_slaves')).toBe('1');
    expect(await l.wait(1, 2000)).toBe(1);
    await o.replicaof('NO', 'ONE');
  });

  it('tredis follows a real Redis: full sync, live writes, partial resync, read-only', async () => {
    await o.flushall();
    await fillEveryType(o);
    const replica = await startTestServer({ 'enable-debug-command': 'yes' });
    const r = new Redis(replica.port, '127.0.0.1');
    try {
      expect(await r.replicaof('127.0.0.1', String(oracle.port))).toBe('OK');
      await expectInSync(o, r);
      await stall(replica.port);
      await rewrittenWrites(o);
      await expectInSync(o, r);
      await expect(r.set('x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");
      const role = (await r.role()) as unknown[];
      expect(role.slice(0, 4)).toEqual(['slave', '127.0.0.1', oracle.port, 'connected']);

      const before = Number(infoField(await o.info('stats'), 'sync_partial_ok'));
      await o.call('CLIENT', 'KILL', 'TYPE', 'replica');
      await o.set('during-outage', '2');
      await expectInSync(o, r);
      expect(Number(infoField(await o.info('stats'), 'sync_partial_ok'))).toBe(before + 1);
      expect(await r.get('during-outage')).toBe('2');
      expect(await o.wait(1, 2000)).toBe(1);
    } finally {
      r.disconnect();
      await replica.close();
    }
  });
});

describe('replication between tredis servers', () => {
  it('chains, promotion with REPLICAOF NO ONE, and partial resync to the promoted replica (PSYNC2)', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const c = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    const rc = new Redis(c.port, '127.0.0.1');
    try {
      await fillEveryType(ra);
      await rb.replicaof('127.0.0.1', String(a.port));
      await rc.replicaof('127.0.0.1', String(b.port)); // a chain: a -> b -> c
      await expectInSync(ra, rb);
      await expectInSync(rb, rc);
      await ra.incr('counter');
      await expectInSync(ra, rb);
      await expectInSync(rb, rc);
      expect(await rc.get('counter')).toBe('1');

      // b takes over: c continues with it without a full sync
      const fullBefore = Number(infoField(await rb.info('stats'), 'sync_full'));
      await rb.replicaof('NO', 'ONE');
      const rinfo = await rb.info('replication');
      expect(infoField(rinfo, 'role')).toBe('master');
      expect(Number(infoField(rinfo, 'second_repl_offset'))).toBeGreaterThan(0);
      await rb.set('after-promotion', 'yes');
      await expectInSync(rb, rc);
      expect(await rc.get('after-promotion')).toBe('yes');
      expect(Number(infoField(await rb.info('stats'), 'sync_full'))).toBe(fullBefore);

      // and a, demoted, follows b: it continues too (its history is b's up to the promotion)
      await ra.replicaof('127.0.0.1', String(b.port));
      await expectInSync(rb, ra);
      expect(await ra.get('after-promotion')).toBe('yes');
    } finally {
      ra.disconnect();
      rb.disconnect();
      rc.disconnect();
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('a full sync of a large dataset while writes go on: the snapshot is built in slices and the writes made meanwhile follow it', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'enable-debug-command': 'yes' });
    const oracle = oracleAvailable ? await startOracle(['--enable-debug-command', 'yes']) : null;
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    const ro = oracle !== null ? new Redis(oracle.port, '127.0.0.1') : null;
    try {
      await ra.call('DEBUG', 'POPULATE', '60000', 'key', '32');
      await ra.rpush('big-list', ...Array.from({ length: 5000 }, (_, i) => `e${i}`));
      await rb.replicaof('127.0.0.1', String(a.port));
      if (ro !== null) await ro.replicaof('127.0.0.1', String(a.port));
      // writes while the snapshot is being built and sent, to keys already saved and not yet saved
      for (let i = 0; i < 400; i++) {
        await ra.set(`key:${(i * 7919) % 60000}`, `changed-${i}`);
        await ra.lpush('big-list', `new-${i}`);
        await ra.incr('counter');
      }
      await expectInSync(ra, rb);
      if (ro !== null) await expectInSync(ra, ro);
      expect(await rb.get('counter')).toBe('400');
    } finally {
      ra.disconnect();
      rb.disconnect();
      ro?.disconnect();
      await Promise.all([a.close(), b.close(), oracle?.close()]);
    }
  });

  it('keys the leader evicts (maxmemory) reach its replicas as DEL; replicas do not evict on their own', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'enable-debug-command': 'yes' });
    const oracle = oracleAvailable ? await startOracle(['--enable-debug-command', 'yes']) : null;
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    const ro = oracle !== null ? new Redis(oracle.port, '127.0.0.1') : null;
    try {
      await rb.replicaof('127.0.0.1', String(a.port));
      if (ro !== null) await ro.replicaof('127.0.0.1', String(a.port));
      for (let i = 0; i < 200; i++) await ra.set(`k${i}`, 'x'.repeat(1000));
      await expectInSync(ra, rb);
      const used = Number(/used_memory:(\d+)/.exec(await ra.info('memory'))![1]);
      await ra.config('SET', 'maxmemory-policy', 'allkeys-random');
      await ra.config('SET', 'maxmemory', String(used + 50000));
      for (let i = 200; i < 500; i++) await ra.set(`k${i}`, 'x'.repeat(1000));
      expect(Number(/evicted_keys:(\d+)/.exec(await ra.info('stats'))![1])).toBeGreaterThan(50);
      await ra.config('SET', 'maxmemory', '0');
      await expectInSync(ra, rb);
      if (ro !== null) await expectInSync(ra, ro);
      expect(Number(/evicted_keys:(\d+)/.exec(await rb.info('stats'))![1])).toBe(0);
    } finally {
      ra.disconnect();
      rb.disconnect();
      ro?.disconnect();
      await Promise.all([a.close(), b.close(), oracle?.close()]);
    }
  });

  it('min-replicas-to-write refuses writes without enough replicas; replica-serve-stale-data no refuses reads while the link is down', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'min-replicas-to-write': '1', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'replica-serve-stale-data': 'no', 'enable-debug-command': 'yes' });
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await expect(ra.set('k', 'v')).rejects.toThrow('NOREPLICAS Not enough good replicas to write.');
      expect(await ra.get('k')).toBeNull();
      await rb.replicaof('127.0.0.1', String(a.port));
      await until('the replica to be good', async () => (await ra.set('k', 'v').catch(() => null)) === 'OK');
      await ra.config('SET', 'min-replicas-to-write', '0');
      await expectInSync(ra, rb);
      ra.disconnect();
      await a.close();
      await until('the link to go down', async () => /master_link_status:down/.test(await rb.info('replication')));
      await expect(rb.get('k')).rejects.toThrow("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
      // PING is refused too (it has no stale flag), as in Redis 7.0; INFO and REPLICAOF still work
      await expect(rb.ping()).rejects.toThrow('MASTERDOWN');
      expect(infoField(await rb.info('replication'), 'role')).toBe('slave');
    } finally {
      ra.disconnect();
      rb.disconnect();
      await b.close();
      await a.close();
    }
  });

  it('WAIT counts the replicas that acknowledged, and times out', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'enable-debug-command': 'yes' });
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      expect(await ra.wait(0, 0)).toBe(0);
      const t0 = Date.now();
      expect(await ra.wait(1, 100)).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      await rb.replicaof('127.0.0.1', String(a.port));
      await until('b to be online', async () => infoField(await ra.info('replication'), 'connected_slaves') === '1');
      await ra.set('k', 'v');
      expect(await ra.wait(1, 0)).toBe(1);
      expect(await ra.wait(2, 200)).toBe(1);
      await expect(rb.wait(1, 0)).rejects.toThrow('ERR WAIT cannot be used with replica instances.');
      const m = await ra.multi().set('x', '1').wait(5, 0).exec();
      expect(m![1]).toEqual([null, 1]);
    } finally {
      ra.disconnect();
      rb.disconnect();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('randomized writes of every type reach the replica with the same effect', async () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0', 'enable-debug-command': 'yes' });
    const b = await startTestServer({ 'enable-debug-command': 'yes' });
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    // a real Redis follows too, when installed: it must end with the same keyspace
    const oracle = oracleAvailable ? await startOracle(['--enable-debug-command', 'yes']) : null;
    const ro = oracle !== null ? new Redis(oracle.port, '127.0.0.1') : null;
    try {
      await rb.replicaof('127.0.0.1', String(a.port));
      if (ro !== null) await ro.replicaof('127.0.0.1', String(a.port));
      await ra.rpush('payload-source', 'x', 'y', 'z');
      const payload = (await ra.dumpBuffer('payload-source'))!;
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const key = (): string => pick(['k1', 'k2', 'k3', 'k4', 'k5']);
      const mem = (): string => pick(['a', 'b', 'c', 'd', '1', '2', '3.5']);
      const gens: (() => (string | number)[])[] = [
        () => ['SET', key(), mem(), ...(rnd() < 0.5 ? ['EX', '100'] : [])],
        () => ['INCRBYFLOAT', key(), '1.5'],
        () => ['APPEND', key(), mem()],
        () => ['EXPIRE', key(), String(Math.floor(rnd() * 200) - 50)],
        () => ['PERSIST', key()],
        () => ['DEL', key()],
        () => ['RPUSH', key(), mem(), mem()],
        () => ['LPOP', key()],
        () => ['LMPOP', '2', key(), key(), 'RIGHT', 'COUNT', '2'],
        () => ['BLPOP', key(), key(), '0.01'],
        () => ['LMOVE', key(), key(), 'LEFT', 'RIGHT'],
        () => ['HSET', key(), mem(), mem()],
        () => ['HINCRBYFLOAT', key(), mem(), '0.25'],
        () => ['HDEL', key(), mem()],
        () => ['SADD', key(), mem(), mem(), mem()],
        () => ['SPOP', key(), String(Math.floor(rnd() * 3))],
        () => ['SMOVE', key(), key(), mem()],
        () => ['SINTERSTORE', key(), key(), key()],
        () => ['ZADD', key(), String(Math.floor(rnd() * 10)), mem()],
        () => ['ZINCRBY', key(), '0.5', mem()],
        () => ['ZPOPMIN', key()],
        () => ['BZPOPMAX', key(), '0.01'],
        () => ['ZUNIONSTORE', key(), '2', key(), key()],
        () => ['XADD', key(), '*', 'f', mem()],
        () => ['XTRIM', key(), 'MAXLEN', '~', '2'],
        () => ['PFADD', key(), mem()],
        () => ['SETBIT', key(), String(Math.floor(rnd() * 64)), '1'],
        () => ['GETDEL', key()],
        () => ['GETEX', key(), 'PX', '50000'],
        () => ['COPY', key(), key(), 'REPLACE'],
        () => ['RENAME', key(), key()],
        () => ['SELECT', String(Math.floor(rnd() * 2))],
        () => ['EVAL', "redis.call('INCR', KEYS[1]); return redis.call('SET', KEYS[2], ARGV[1])", '2', key(), key(), mem()],
        () => ['RESTORE', key(), String(Math.floor(rnd() * 3) * 50000), 'PAYLOAD', 'REPLACE'],
        () => ['SETEX', key(), String(1 + Math.floor(rnd() * 100)), mem()],
        () => ['ZMPOP', '2', key(), key(), 'MIN', 'COUNT', '2'],
        () => ['HSET', key(), mem(), mem(), mem(), mem()],
        () => ['FLUSHDB'],
      ];
      for (let i = 0; i < 1500; i++) {
        let cmd = pick(gens)().map(String);
        // FLUSHDB now and then only, so that the keyspace grows
        if (cmd[0] === 'FLUSHDB' && rnd() < 0.9) cmd = ['PING'];
        if (rnd() < 0.05) {
          // a transaction of a few of them
          const tx = ra.multi();
          for (let j = 0; j < 3; j++) {
            const c = pick(gens)().map(String);
            if (c[0] !== 'SELECT' && c[0] !== 'FLUSHDB') tx.call(c[0]!, ...c.slice(1));
          }
          await tx.exec().catch(() => undefined);
          continue;
        }
        const args: (string | Buffer)[] = cmd.slice(1).map((x) => (x === 'PAYLOAD' ? payload : x));
        await ra.call(cmd[0]!, ...args).catch(() => undefined);
      }
      await ra.select(0);
      await expectInSync(ra, rb);
      if (ro !== null) await expectInSync(ra, ro);
    } finally {
      ra.disconnect();
      rb.disconnect();
      ro?.disconnect();
      await Promise.all([a.close(), b.close(), oracle?.close()]);
    }
  });
});
