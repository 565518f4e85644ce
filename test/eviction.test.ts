/*
 * maxmemory and eviction: the order each policy evicts in on small cases where sampling is exact
 * (maxmemory-samples above the key count), OOM under noeviction, CONFIG SET maxmemory at run time,
 * the INFO fields, and the memory accounting that drives it all.
 *
 * Eviction runs before a command when used memory is over maxmemory, so each case fills to the
 * limit, writes one more key, then sends PING to let eviction run and looks at what is left.
 */

import Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clock } from '../src/keyspace/clock';
import { keyUsage } from '../src/memory';
import type { RunningServer } from '../src/server';
import { seededRandom, testSeed } from './helpers/setup';
import { startTestServer } from './helpers/server';

let srv: RunningServer;
let r: Redis;
const VALUE = 'v'.repeat(100);

beforeAll(async () => {
  srv = await startTestServer({ 'maxmemory-samples': '64' });
  r = new Redis({ port: srv.port, host: '127.0.0.1' });
});
afterAll(async () => {
  r.disconnect();
  await srv.close();
});
beforeEach(async () => {
  await r.config('SET', 'maxmemory', '0');
  await r.config('SET', 'maxmemory-policy', 'noeviction');
  await r.config('SET', 'lfu-log-factor', '10');
  for (const db of srv.state.dbs) db.clear();
});

async function usedMemory(): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
}

/** Writes k0..k(n-1), then sets maxmemory to exactly what is used. */
async function fillToLimit(n: number, policy: string): Promise<void> {
  for (let i = 0; i < n; i++) await r.set(`k${i}`, VALUE);
  await r.config('SET', 'maxmemory-policy', policy);
  await r.config('SET', 'maxmemory', String(await usedMemory()));
}

/** Writes one more key and lets eviction run; returns the keys that are gone. */
async function addOneAndEvict(n: number): Promise<string[]> {
  await r.set('new', VALUE);
  await r.ping();
  const gone: string[] = [];
  for (let i = 0; i < n; i++) if ((await r.exists(`k${i}`)) === 0) gone.push(`k${i}`);
  return gone;
}

function slotOf(key: string): number {
  return srv.state.dbs[0]!.map.get(key)!;
}

describe('eviction order (exact sampling)', () => {
  it('allkeys-lru evicts the least recently used key', async () => {
    await fillToLimit(10, 'allkeys-lru');
    const db = srv.state.dbs[0]!;
    // access times 100s..10s ago, k3 the oldest
    for (let i = 0; i < 10; i++) db.lru[slotOf(`k${i}`)] = clock.lruNow - 10 - i;
    db.lru[slotOf('k3')] = clock.lruNow - 500;
    expect(await addOneAndEvict(10)).toEqual(['k3']);
    expect(await r.exists('new')).toBe(1);
    // then the next oldest: k9 (19 s idle)
    await r.set('new2', VALUE);
    await r.ping();
    expect(await r.exists('k9')).toBe(0);
  });

  it('a read refreshes a key under allkeys-lru', async () => {
    await fillToLimit(5, 'allkeys-lru');
    const db = srv.state.dbs[0]!;
    for (let i = 0; i < 5; i++) db.lru[slotOf(`k${i}`)] = clock.lruNow - 100 + i;
    await r.get('k0'); // k0 was the oldest; now k1 is
    expect(await addOneAndEvict(5)).toEqual(['k1']);
  });

  it('volatile-lru evicts only keys with an expiry', async () => {
    await fillToLimit(6, 'allkeys-lru');
    await r.config('SET', 'maxmemory', '0');
    await r.expire('k4', 1000);
    await r.expire('k5', 1000);
    await r.config('SET', 'maxmemory-policy', 'volatile-lru');
    await r.config('SET', 'maxmemory', String(await usedMemory()));
    const db = srv.state.dbs[0]!;
    for (let i = 0; i < 6; i++) db.lru[slotOf(`k${i}`)] = clock.lruNow - 100 + i; // k0 oldest, not volatile
    expect(await addOneAndEvict(6)).toEqual(['k4']);
  });

  it('volatile policies refuse writes (OOM) when no key has an expiry, reads go on', async () => {
    await fillToLimit(4, 'volatile-lru');
    await r.set('new', VALUE);
    await expect(r.set('more', VALUE)).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
    expect(await r.get('k0')).toBe(VALUE);
    expect(await r.dbsize()).toBe(5);
  });

  it('allkeys-lfu evicts the least frequently used key', async () => {
    await r.config('SET', 'lfu-log-factor', '0'); // every access counts: deterministic counters
    await fillToLimit(5, 'allkeys-lfu');
    for (let i = 0; i < 5; i++) {
      if (i === 2) continue;
      for (let j = 0; j < 3 + i; j++) await r.get(`k${i}`);
    }
    expect(Number(await r.object('FREQ', 'k4'))).toBeGreaterThan(Number(await r.object('FREQ', 'k2')));
    expect(await addOneAndEvict(5)).toEqual(['k2']);
  });

  it('volatile-ttl evicts the key closest to expiring', async () => {
    await fillToLimit(5, 'allkeys-lru');
    await r.config('SET', 'maxmemory', '0');
    await r.expire('k0', 5000);
    await r.expire('k1', 300);
    await r.expire('k2', 9000);
    await r.config('SET', 'maxmemory-policy', 'volatile-ttl');
    await r.config('SET', 'maxmemory', String(await usedMemory()));
    expect(await addOneAndEvict(5)).toEqual(['k1']);
    await r.set('new2', VALUE);
    await r.ping();
    expect(await r.exists('k0')).toBe(0);
    expect(await r.exists('k3')).toBe(1);
  });

  it('allkeys-random and volatile-random evict within their sets', async () => {
    await fillToLimit(8, 'allkeys-random');
    await addOneAndEvict(8);
    expect(await r.dbsize()).toBe(8); // one of the nine went, whichever it was
    await r.config('SET', 'maxmemory', '0');
    await r.flushall();
    await fillToLimit(8, 'allkeys-random');
    await r.config('SET', 'maxmemory', '0');
    await r.expire('k7', 1000);
    await r.config('SET', 'maxmemory-policy', 'volatile-random');
    await r.config('SET', 'maxmemory', String(await usedMemory()));
    expect(await addOneAndEvict(8)).toEqual(['k7']);
  });
});

describe('maxmemory', () => {
  it('noeviction refuses commands that may grow memory; reads and deletes still run', async () => {
    await fillToLimit(3, 'noeviction');
    await r.config('RESETSTAT');
    await r.set('new', VALUE); // not over yet when it started
    await expect(r.set('x', '1')).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
    await expect(r.append('k0', 'x')).rejects.toThrow('OOM');
    expect(await r.get('k0')).toBe(VALUE);
    expect(await r.del('k0')).toBe(1);
    const stats = await r.info('commandstats');
    expect(stats).toMatch(/cmdstat_set:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=1,failed_calls=0\r\n/);
  });

  it('CONFIG SET maxmemory below usage evicts down to it', async () => {
    for (let i = 0; i < 500; i++) await r.set(`k${i}`, VALUE);
    await r.config('SET', 'maxmemory-policy', 'allkeys-random');
    const used = await usedMemory();
    const perKey = keyUsage('k100', VALUE, false);
    await r.config('SET', 'maxmemory', String(used - 200 * perKey));
    await r.ping();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const left = await r.dbsize();
    expect(left).toBeLessThanOrEqual(300);
    expect(left).toBeGreaterThanOrEqual(290);
    expect(await usedMemory()).toBeLessThanOrEqual(used - 200 * perKey);
    const stats = await r.info('stats');
    expect(Number(/evicted_keys:(\d+)/.exec(stats)![1])).toBeGreaterThanOrEqual(200);
  });

  it('INFO memory shows maxmemory, its human form and the policy', async () => {
    await r.config('SET', 'maxmemory', '100mb');
    await r.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    const info = await r.info('memory');
    expect(info).toContain('maxmemory:104857600');
    expect(info).toContain('maxmemory_human:100.00M');
    expect(info).toContain('maxmemory_policy:allkeys-lfu');
    const before = await usedMemory();
    await r.set('big', 'x'.repeat(100000));
    expect((await usedMemory()) - before).toBeGreaterThanOrEqual(100000);
  });

  it('evictions raise the "evicted" keyspace event', async () => {
    const events: string[] = [];
    const notify = srv.state.notify.bind(srv.state);
    srv.state.notify = (type, event, key, dbid) => {
      if (type === 'e') events.push(`${event}:${key}:${dbid}`);
      notify(type, event, key, dbid);
    };
    try {
      await fillToLimit(3, 'allkeys-lru');
      const gone = await addOneAndEvict(3);
      expect(events).toEqual(gone.map((k) => `evicted:${k}:0`));
    } finally {
      srv.state.notify = notify;
    }
  });
});

describe('access tracking', () => {
  it('CLIENT NO-TOUCH reads leave the access time alone; TOUCH still touches', async () => {
    await r.set('k', 'v');
    const db = srv.state.dbs[0]!;
    db.lru[slotOf('k')] = clock.lruNow - 50;
    await r.call('CLIENT', 'NO-TOUCH', 'ON');
    try {
      await r.get('k');
      expect(Number(await r.object('IDLETIME', 'k'))).toBeGreaterThanOrEqual(50);
      expect(await r.touch('k')).toBe(1);
      expect(Number(await r.object('IDLETIME', 'k'))).toBeLessThanOrEqual(1);
    } finally {
      await r.call('CLIENT', 'NO-TOUCH', 'OFF');
    }
    db.lru[slotOf('k')] = clock.lruNow - 50;
    await r.get('k');
    expect(Number(await r.object('IDLETIME', 'k'))).toBeLessThanOrEqual(1);
  });

  it('LFU counters start at 5, grow with accesses and are kept by an overwrite', async () => {
    await r.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await r.config('SET', 'lfu-log-factor', '0');
    await r.set('k', 'v');
    expect(Number(await r.object('FREQ', 'k'))).toBe(5);
    for (let i = 0; i < 10; i++) await r.get('k');
    expect(Number(await r.object('FREQ', 'k'))).toBe(15);
    await r.set('k', 'w'); // the lookup for writing counts as an access, the overwrite keeps it
    expect(Number(await r.object('FREQ', 'k'))).toBe(16);
  });
});

describe('lazy freeing', () => {
  it('FLUSHALL ASYNC and UNLINK of a million keys do not hold other clients up', async () => {
    const db = srv.state.dbs[1]!;
    for (let i = 0; i < 1_000_000; i++) db.add(`big:${i}`, 'x'.repeat(20));
    const other = new Redis({ port: srv.port, host: '127.0.0.1' });
    try {
      await other.ping();
      let worst = 0;
      let running = true;
      const pinger = (async () => {
        while (running) {
          const t = performance.now();
          await other.ping();
          worst = Math.max(worst, performance.now() - t);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await r.select(1);
      expect(await r.unlink('big:1', 'big:2', 'nokey')).toBe(2);
      expect(await r.flushall('ASYNC')).toBe('OK');
      expect(await r.dbsize()).toBe(0);
      await r.select(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      running = false;
      await pinger;
      // a generous bound: freeing is left to the garbage collector, which works concurrently
      expect(worst).toBeLessThan(250);
    } finally {
      other.disconnect();
    }
  }, 30000);
});

describe('memory accounting', () => {
  it('the running dataset figure equals the sum of every key recomputed, after random writes', async () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const key = `key:${Math.floor(rnd() * 300)}`;
      const op = Math.floor(rnd() * 8);
      const value = 'x'.repeat(Math.floor(rnd() * 300));
      if (op === 0) await r.del(key);
      else if (op === 1) await r.append(key, value);
      else if (op === 2) await r.expire(key, 1000);
      else if (op === 3) await r.persist(key);
      else if (op === 4) await r.incr(`n:${key}`).catch(() => 0);
      else if (op === 5) await r.setrange(key, Math.floor(rnd() * 50), value).catch(() => 0);
      else if (op === 6) await r.rename(key, `${key}:r`).catch(() => 0);
      else await r.set(key, value);
    }
    const db = srv.state.dbs[0]!;
    let sum = 0;
    for (let slot = 0; slot < db.size; slot++) {
      const key = db.keys[slot]!;
      sum += keyUsage(key, db.values[slot]!, db.expires.has(key));
    }
    expect(db.bytes, `seed ${seed}`).toBe(sum);
  });
});
