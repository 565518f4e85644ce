/*
 * maxmemory and eviction, as Redis 7's evict.c does it.
 *
 * Before a command runs (exec.ts), when `maxmemory` is set and used memory is over it, keys are
 * evicted by `maxmemory-policy` until enough is estimated freed. LRU, LFU and volatile-ttl are
 * approximated the Redis way: each round samples `maxmemory-samples` keys per database into a pool
 * of the 16 best candidates seen so far (kept between rounds, ordered by "idle" score: idle time,
 * 255 - LFU counter, or time to expiry reversed) and evicts the best one that still exists. The
 * random policies take any key (or any volatile key). A round that cannot find a key fails: commands
 * that may grow memory (flag denyoom) are then refused with -OOM, reads still run.
 *
 * Eviction work per command is bounded by `maxmemory-eviction-tenacity` (Redis's time limit per
 * call); what is left continues on a timer between event-loop turns, so lowering maxmemory with
 * CONFIG SET evicts down in steps without stalling clients.
 *
 * Used memory is the server's own estimate (see usedMemory): deterministic per server, like Redis's
 * allocator count, so eviction behaves the same in a dedicated process and in tests. The per-command
 * check costs a few additions: key footprints are kept current as keys change, and the clients'
 * buffers are summed by the cron.
 *
 * A server that owns its process (tredis-server) also corrects the estimate with what V8 itself finds
 * live after each full garbage collection (HeapWatch): the difference, "heap slack", is added to used
 * memory, so the keys held shrink to what really fits. And while maxmemory is set it asks V8 to grow
 * the heap in small steps (--heap-growing-percent) and to compact fragmented pages eagerly
 * (--optimize-for-size), so garbage between collections and free space stranded in half-empty pages
 * stay small fractions of maxmemory: peak RSS then stays near maxmemory plus the idle process.
 */

import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { clock } from './keyspace/clock';
import type { Db } from './keyspace/db';
import { idleMs, lfuCounter, lfuSettings, setLfuMode } from './keyspace/lru';
import type { ServerState } from './state';

const POOL_SIZE = 16;

export const enum EvictResult {
  Ok,
  /** over the limit and nothing could be evicted (or policy noeviction) */
  Fail,
  /** over the limit; eviction continues on a timer */
  Running,
}

interface PoolEntry {
  idle: number;
  key: string;
  dbid: number;
}

type Policy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'volatile-lru'
  | 'allkeys-lfu'
  | 'volatile-lfu'
  | 'allkeys-random'
  | 'volatile-random'
  | 'volatile-ttl';

/** Per-server eviction state: the settings it caches, the candidate pool, the resume timer. */
export class Evictor {
  maxmemory = 0;
  policy: Policy = 'noeviction';
  samples = 5;
  tenacity = 10;
  private readonly pool: (PoolEntry | null)[] = new Array<PoolEntry | null>(POOL_SIZE).fill(null);
  private nextDb = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly s: ServerState;

  constructor(s: ServerState) {
    this.s = s;
    const cfg = s.config;
    const read = (): void => {
      this.maxmemory = cfg.number('maxmemory');
      s.maxmemory = this.maxmemory;
      this.policy = cfg.get('maxmemory-policy') as Policy;
      this.samples = cfg.number('maxmemory-samples');
      this.tenacity = cfg.number('maxmemory-eviction-tenacity');
      lfuSettings.logFactor = cfg.number('lfu-log-factor');
      lfuSettings.decayTime = cfg.number('lfu-decay-time');
      setLfuMode(this.policy.endsWith('-lfu'));
      this.pool.fill(null);
    };
    read();
    for (const name of ['maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time']) {
      cfg.onChange(name, read);
    }
    // lowering maxmemory evicts at once, in timed steps (Redis's CONFIG SET maxmemory does the same)
    cfg.onChange('maxmemory', () => {
      const used = usedMemory(s);
      if (this.maxmemory === 0 || used <= this.maxmemory) return;
      s.log.warning(
        `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). ` +
          'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
      );
      this.evict();
    });
    s.performEvictions = () => this.evict() !== EvictResult.Fail;
  }

  /** Redis's performEvictions: frees memory down to maxmemory if needed. */
  evict(): EvictResult {
    const s = this.s;
    // each call does its share of the work, also while the timer continues it between turns
    if (this.maxmemory === 0) return EvictResult.Ok;
    if (s.isReplica && s.config.bool('replica-ignore-maxmemory')) return EvictResult.Ok;
    let used = usedMemory(s);
    if (used <= this.maxmemory) return EvictResult.Ok;
    if (this.policy === 'noeviction') return EvictResult.Fail;
    const toFree = used - this.maxmemory;
    const limitNs = timeLimitNs(this.tenacity);
    const start = process.hrtime.bigint();
    let freed = 0;
    let evicted = 0;
    while (freed < toFree) {
      const victim = this.pick();
      if (victim === null) return EvictResult.Fail;
      const db = s.dbs[victim.dbid]!;
      const slot = db.map.get(victim.key);
      if (slot === undefined) continue;
      const before = db.bytes;
      db.delete(victim.key);
      freed += before - db.bytes;
      evicted++;
      s.stats.evictedKeys++;
      s.keyModified(db, victim.key);
      s.notify('e', 'evicted', victim.key, db.id);
      s.propagateDel(db, victim.key);
      if ((evicted & 15) === 0 && limitNs !== 0n && process.hrtime.bigint() - start > limitNs) {
        used = usedMemory(s);
        if (used <= this.maxmemory) return EvictResult.Ok;
        if (this.timer === null) this.continueLater();
        return EvictResult.Running;
      }
    }
    return EvictResult.Ok;
  }

  /** Over the limit after using this call's time: go on between event-loop turns. */
  private continueLater(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      clock.refresh();
      this.evict();
    }, 0);
    this.timer.unref();
  }

  /** The next key to evict under the policy, or null when there is none. */
  private pick(): PoolEntry | null {
    const s = this.s;
    const volatile = this.policy.startsWith('volatile-');
    if (this.policy === 'allkeys-random' || this.policy === 'volatile-random') {
      for (let i = 0; i < s.dbs.length; i++) {
        const db = s.dbs[this.nextDb]!;
        this.nextDb = (this.nextDb + 1) % s.dbs.length;
        let found: string | null = null;
        db.sampleSlots(1, volatile, (slot) => (found = db.keys[slot]!));
        if (found !== null) return { idle: 0, key: found, dbid: db.id };
      }
      return null;
    }
    for (;;) {
      let candidates = 0;
      for (const db of s.dbs) {
        const n = volatile ? db.expires.size : db.size;
        if (n === 0) continue;
        candidates += n;
        this.populate(db, volatile);
      }
      if (candidates === 0) return null;
      // best candidates are at the end of the pool; skip those deleted since they were sampled
      for (let k = POOL_SIZE - 1; k >= 0; k--) {
        const e = this.pool[k];
        if (e === null || e === undefined) continue;
        this.pool.splice(k, 1);
        this.pool.push(null);
        const db = s.dbs[e.dbid]!;
        if (db.map.has(e.key)) return e;
      }
    }
  }

  /** Samples keys of one db into the pool, keeping it sorted by idle score ascending. */
  private populate(db: Db, volatile: boolean): void {
    const pool = this.pool;
    db.sampleSlots(this.samples, volatile, (slot) => {
      const key = db.keys[slot]!;
      const idle = this.idleScore(db, slot, key);
      let k = 0;
      while (k < POOL_SIZE && pool[k] !== null && pool[k]!.idle < idle) k++;
      if (k === 0 && pool[POOL_SIZE - 1] !== null) return; // worse than every pooled candidate
      for (let j = 0; j < POOL_SIZE; j++) {
        const e = pool[j];
        if (e !== null && e !== undefined && e.key === key && e.dbid === db.id) return;
      }
      if (k < POOL_SIZE && pool[k] === null) {
        pool[k] = { idle, key, dbid: db.id };
      } else if (pool[POOL_SIZE - 1] === null) {
        pool.splice(k, 0, { idle, key, dbid: db.id });
        pool.length = POOL_SIZE;
      } else {
        // full: drop the worst (first) and insert just before position k
        pool.shift();
        pool.splice(k - 1, 0, { idle, key, dbid: db.id });
      }
    });
  }

  private idleScore(db: Db, slot: number, key: string): number {
    switch (this.policy) {
      case 'allkeys-lfu':
      case 'volatile-lfu':
        return 255 - lfuCounter(db.lru[slot]!);
      case 'volatile-ttl': {
        const at = db.expires.get(key);
        return at === undefined ? 0 : Number.MAX_SAFE_INTEGER - at;
      }
      default:
        return idleMs(db.lru[slot]!);
    }
  }
}

/** Redis's evictionTimeLimitUs, in ns; 0 = no limit. */
function timeLimitNs(tenacity: number): bigint {
  if (tenacity <= 10) return BigInt(50 * tenacity) * 1000n;
  if (tenacity < 100) return BigInt(Math.floor(500 * Math.pow(1.15, tenacity - 10))) * 1000n;
  return 0n;
}

/**
 * used_memory: the memory the server accounts for itself — the start-up baseline, every key's
 * estimated footprint (kept current by ServerState.keyModified and Db.delete), and the clients'
 * query and output buffers (a flood of unread replies counts), replicas' buffers excepted as Redis
 * excepts them from eviction decisions.
 */
export function usedMemory(s: ServerState): number {
  let n = s.memoryStartup + s.clientsMemory + s.heapSlack;
  for (const db of s.dbs) n += db.bytes;
  return n;
}

/** Sums the clients' buffers (the cron refreshes s.clientsMemory with it; INFO reads it fresh). */
export function clientBuffersMemory(s: ServerState): number {
  let n = 0;
  for (const c of s.clients.values()) if (c.kind !== 'replica') n += c.outputBytes + c.parser.pending;
  return n;
}

/** V8's heap growing factor while maxmemory is set (percent over the live heap before the next GC). */
const HEAP_GROWING_PERCENT = 7;

/**
 * For a server that owns its process: after each full GC, measures the live heap and records how far
 * it exceeds the accounted figure (s.heapSlack), and keeps V8's heap growth small while maxmemory is
 * set. Embedders share the heap with their own code, so only tredis-server installs this.
 */
export class HeapWatch {
  private readonly observer: PerformanceObserver;

  constructor(private readonly s: ServerState) {
    // --optimize-for-size makes full GCs compact old-space pages that are a fifth free (instead of
    // only badly fragmented ones): under a cache's churn of 1 KB values it cut peak RSS by ~40 MB
    // at 256mb for ~4% of throughput, so it is on only while a bound is set
    const apply = (): void => {
      const bounded = s.maxmemory !== 0;
      v8.setFlagsFromString(`--heap-growing-percent=${bounded ? HEAP_GROWING_PERCENT : 0}`);
      v8.setFlagsFromString(bounded ? '--optimize-for-size' : '--no-optimize-for-size');
    };
    apply();
    s.config.onChange('maxmemory', apply);
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
        if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) this.measure();
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private measure(): void {
    const s = this.s;
    const live = v8.getHeapStatistics().used_heap_size;
    let accounted = s.memoryStartup + s.clientsMemory;
    for (const db of s.dbs) accounted += db.bytes;
    s.heapSlack = Math.max(0, live - accounted);
  }

  stop(): void {
    this.observer.disconnect();
  }
}
