import Redis from 'ioredis';
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lookupCommand } from '../src/command';
import type { RunningServer } from '../src/server';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { encodeCommand } from './helpers/raw';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

describe('active expiry', () => {
  let srv: RunningServer;
  let r: Redis;
  beforeAll(async () => {
    srv = await startTestServer();
    r = new Redis({ port: srv.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    r.disconnect();
    await srv.close();
  });

  it('removes 100,000 keys set with PX 100 within about 2 seconds, untouched by clients', async () => {
    const db = srv.state.dbs[0]!;
    // one pipelined write of all the SETs over a raw socket, so they land within a few ms
    const parts: Buffer[] = [];
    for (let i = 0; i < 100000; i++) parts.push(encodeCommand(['SET', `k:${i}`, 'v', 'PX', '100']));
    const sock = net.connect({ port: srv.port, host: '127.0.0.1' });
    await new Promise<void>((res) => sock.once('connect', () => res()));
    let received = 0;
    const done = new Promise<void>((res) => {
      sock.on('data', (d) => {
        received += d.length;
        if (received >= 5 * 100000) res();
      });
    });
    sock.write(Buffer.concat(parts));
    await done;
    sock.destroy();
    const setAt = Date.now();
    // most keys are already gone by the time the last reply arrives: the cron works during the writes
    expect(srv.state.stats.expiredKeys + db.size).toBe(100000);
    while (db.size !== 0 && Date.now() - setAt < 5000) await sleep(50);
    const took = Date.now() - setAt;
    expect(db.size).toBe(0);
    expect(db.expires.size).toBe(0);
    expect(took).toBeLessThan(2000);
    if (lookupCommand(['dbsize']) !== undefined) expect(await r.dbsize()).toBe(0);
    expect(srv.state.stats.expiredKeys).toBeGreaterThanOrEqual(100000);
  });
});

describe('lazy expiry', () => {
  let srv: RunningServer;
  let r: Redis;
  beforeAll(async () => {
    // hz 1: the cron runs once a second, so these checks meet keys that are expired but present
    srv = await startTestServer({ hz: '1' });
    r = new Redis({ port: srv.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    r.disconnect();
    await srv.close();
  });
  beforeEach(() => {
    for (const db of srv.state.dbs) db.clear();
  });

  /** Makes key logically expired while still physically stored. */
  function expireNow(key: string): void {
    const db = srv.state.dbs[0]!;
    db.setExpire(key, Date.now() - 1000);
  }

  it('never returns an expired key', async () => {
    const db = srv.state.dbs[0]!;
    const names = ['get', 'exists', 'ttl', 'pttl', 'type', 'strlen', 'mget', 'getrange', 'object', 'expiretime', 'getdel', 'getex'];
    for (const n of names) await r.set(`x:${n}`, 'v');
    await r.set('live', 'v');
    for (const n of names) expireNow(`x:${n}`);
    expect(db.size).toBe(names.length + 1);
    // KEYS, SCAN and RANDOMKEY only ever see the live key
    expect(await r.keys('*')).toEqual(['live']);
    const [, scanned] = (await r.call('scan', '0', 'COUNT', '1000')) as [string, string[]];
    expect(scanned).toEqual(['live']);
    for (let i = 0; i < 20; i++) expect(await r.randomkey()).toBe('live');
    // direct reads see nothing, and delete the key on the way
    const dbr = srv.state.dbs[0]!;
    for (const key of ['x:get', 'x:exists', 'x:ttl', 'x:pttl', 'x:type', 'x:strlen', 'x:mget', 'x:getrange', 'x:object', 'x:expiretime', 'x:getdel', 'x:getex']) {
      expireNow(key);
    }
    expect(await r.get('x:get')).toBeNull();
    expect(await r.exists('x:exists')).toBe(0);
    expect(await r.ttl('x:ttl')).toBe(-2);
    expect(await r.pttl('x:pttl')).toBe(-2);
    expect(await r.type('x:type')).toBe('none');
    expect(await r.strlen('x:strlen')).toBe(0);
    expect(await r.mget('x:mget')).toEqual([null]);
    expect(await r.getrange('x:getrange', 0, -1)).toBe('');
    expect(await r.object('ENCODING', 'x:object')).toBeNull();
    expect(await r.expiretime('x:expiretime')).toBe(-2);
    expect(await r.getdel('x:getdel')).toBeNull();
    expect(await r.getex('x:getex', 'PERSIST')).toBeNull();
    for (const n of names) expect(dbr.map.has(`x:${n}`), n).toBe(false);
  });

  it('writes treat an expired key as absent', async () => {
    await r.set('c', '41');
    expireNow('c');
    expect(await r.incr('c')).toBe(1);
    expect(await r.ttl('c')).toBe(-1);
    await r.set('a', 'old');
    expireNow('a');
    expect(await r.append('a', 'new')).toBe(3);
    await r.set('n', 'x');
    expireNow('n');
    expect(await r.setnx('n', 'y')).toBe(1);
    await r.set('r', 'x');
    expireNow('r');
    await expect(r.rename('r', 's')).rejects.toThrow('ERR no such key');
    await r.set('e', 'x');
    expireNow('e');
    expect(await r.expire('e', 100)).toBe(0);
    expect(await r.persist('e')).toBe(0);
    await r.set('d', 'x');
    expireNow('d');
    expect(await r.del('d')).toBe(0);
    expect(srv.state.stats.expiredKeys).toBeGreaterThanOrEqual(6);
  });

  it('keys set with a real TTL disappear once it passes', async () => {
    await r.set('short', 'v', 'PX', 30);
    await r.set('long', 'v', 'EX', 100);
    expect(await r.exists('short', 'long')).toBe(2);
    await sleep(60);
    expect(await r.exists('short', 'long')).toBe(1);
    expect(await r.get('short')).toBeNull();
  });
});

describe.skipIf(!oracleAvailable)('expiry commands vs Redis', () => {
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
  beforeEach(async () => {
    for (const db of srv.state.dbs) db.clear();
    await pair.theirs.call('FLUSHALL');
  });

  it('EXPIRE family options and errors', async () => {
    await expectSame(pair, [
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '10', 'NX', 'XX'],
      ['EXPIRE', 'k', '10', 'XX', 'NX'],
      ['EXPIRE', 'k', '10', 'NX', 'GT'],
      ['EXPIRE', 'k', '10', 'LT', 'NX'],
      ['EXPIRE', 'k', '10', 'GT', 'LT'],
      ['EXPIRE', 'k', '10', 'XX', 'GT', 'LT'],
      ['EXPIRE', 'k', '10', 'FOO'],
      ['EXPIRE', 'k', 'abc', 'FOO'],
      ['EXPIRE', 'k', 'abc'],
      ['EXPIRE', 'k', '1.5'],
      ['EXPIRE', 'k', '9223372036854776'],
      ['EXPIRE', 'k', '9223370399119966'],
      ['EXPIRE', 'k', '10000000000000000'],
      ['EXPIRE', 'k', '18446744073709561'],
      ['EXPIRE', 'k', '-9223372036854776'],
      ['EXPIRE', 'k', '-9999999999999999'],
      ['PEXPIRE', 'k', '9223372036854770000'],
      ['PEXPIRE', 'k', '9223372036854775807'],
      ['EXPIREAT', 'k', '9223372036854776'],
      ['TTL', 'k'],
      ['PEXPIREAT', 'k', '9223372036854770000'],
      ['PEXPIRETIME', 'k'],
      ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '9223372036854775807'],
      ['PEXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '9223372036854775'],
      ['PEXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '-9223372036854770000'],
      ['TTL', 'k'],
      ['EXPIRE', 'nokey', '10'],
      ['EXPIRE', 'nokey', '10', 'NX'],
      ['EXPIRE', 'nokey', 'abc'],
      ['EXPIRE', 'nokey', '10', 'FOO'],
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '100', 'XX'],
      ['EXPIRE', 'k', '100', 'GT'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '100', 'LT'],
      ['TTL', 'k'],
      ['EXPIREAT', 'k', '4102444800', 'GT'],
      ['EXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '4102444801', 'LT'],
      ['EXPIREAT', 'k', '4102444799', 'LT'],
      ['EXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '4102444800', 'GT'],
      ['PEXPIREAT', 'k', '4102444800000', 'GT'],
      ['PEXPIREAT', 'k', '4102444799000', 'GT'],
      ['PEXPIREAT', 'k', '4102444799001', 'GT'],
      ['PEXPIRETIME', 'k'],
      ['EXPIREAT', 'k', '4102444900', 'NX'],
      ['EXPIREAT', 'k', '4102444900', 'XX'],
      ['EXPIRETIME', 'k'],
      ['PERSIST', 'k'],
      ['PERSIST', 'k'],
      ['PERSIST', 'nokey'],
      ['TTL', 'k'],
      ['PTTL', 'k'],
      ['EXPIRETIME', 'k'],
      ['PEXPIRETIME', 'k'],
      ['TTL', 'nokey'],
      ['PTTL', 'nokey'],
      ['EXPIRETIME', 'nokey'],
      ['PEXPIRETIME', 'nokey'],
      ['EXPIRE', 'k', '100', 'NX'],
      ['EXPIRE', 'k', '200', 'nx'],
      ['TTL', 'k'],
      ['EXPIRE', 'k', '0'],
      ['EXISTS', 'k'],
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '-1'],
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['PEXPIRE', 'k', '-100'],
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['EXPIREAT', 'k', '1'],
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['PEXPIREAT', 'k', '0'],
      ['GET', 'k'],
      ['SET', 'k', 'v', 'EX', '100'],
      ['EXPIRE', 'k', '-5', 'GT'],
      ['EXPIRE', 'k', '-5', 'LT'],
      ['EXISTS', 'k'],
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '-5', 'XX'],
      ['EXPIRE', 'k', '-5', 'LT'],
      ['EXISTS', 'k'],
      ['EXPIRE', 'k'],
      ['TTL'],
      ['PERSIST'],
      ['TTL', 'a', 'b'],
    ]);
  });
});
