/*
 * One logical database: a Map from key to slot, dense parallel arrays of keys, values and access
 * times indexed by slot, and a Map of expiry times for volatile keys (Redis's db->dict and
 * db->expires). Parallel arrays instead of an object per key save ~40 bytes a key (no object header,
 * the slot is a small integer in the Map, the LRU clock 4 bytes in a typed array).
 *
 * The dense arrays give what a Map cannot: O(1) random sampling (RANDOMKEY, eviction, active expiry
 * sampling) and a SCAN cursor that never misses a key present for the whole scan. Deleting moves the
 * last slot into the hole. SCAN walks slots from the top down: a swap-remove
 * only ever moves the last key (already visited) into a lower slot, and new keys land above the cursor,
 * so a key present throughout is returned at least once (a moved key may be returned twice, which SCAN
 * allows).
 *
 * Expiry times are absolute milliseconds. Lookups expire lazily (unless the owner says keys must not
 * be deleted here, as on a replica, where they only read as missing); active expiry samples the
 * volatile keys with a cursor that survives between cycles. This module imports nothing from the
 * server: it reports deletions through hooks the owner installs.
 */

import { clock } from './clock';
import { touchStamp } from './lru';

/** A value of one of the collection types; the data-type modules implement it. */
export interface CollectionValue {
  /** the name TYPE reports: list, hash, set, zset, stream */
  readonly type: string;
  /** the name OBJECT ENCODING reports (listpack, quicklist, hashtable, intset, skiplist, stream) */
  encoding?(): string;
  /** a deep copy, for COPY */
  clone?(): CollectionValue;
  /** adds the contents to a DEBUG DIGEST digest with Redis's per-type rules (see digest.ts) */
  digestInto?(digest: Uint8Array): void;
  /** estimated bytes held, for MEMORY USAGE (samples: elements to sample, 0 = all) and accounting */
  memoryUsage?(samples: number): number;
}

/** A string is stored as a latin1 string (one char per byte) or, when it is a canonical integer, a number. */
export type Value = string | number | CollectionValue;

export function typeName(v: Value): string {
  return typeof v === 'object' ? v.type : 'string';
}

export interface DbHooks {
  /** a key was found expired and deleted (lazily or actively) */
  expired(db: Db, key: string): void;
  /** true when expired keys must only read as missing, not be deleted (replicas) */
  keepExpired: boolean;
  /** with keepExpired, while the leader's own commands run: expired keys are still there for them */
  showExpired: boolean;
}

/**
 * A running point-in-time snapshot's view of one database (persistence/snapshot.ts, a forkless
 * BGSAVE): told before a key is looked up or changed so that it can save the key's old value first,
 * and of the slot moves and resets that would otherwise hide keys from its walk. Null (one check on
 * each path) when no snapshot runs.
 */
export interface DbSnapshotHook {
  /** the key at slot is about to be read or changed */
  touch(slot: number): void;
  /** a new key took slot (it is not part of the snapshot) */
  added(slot: number): void;
  /** the key at slot is being deleted and the key at `last` moves into its slot */
  deleting(slot: number, last: number): void;
  /** the database is about to be emptied: the snapshot keeps the old contents */
  detach(): void;
  /** SWAPDB moved this snapshot's contents to another Db object */
  rehome(db: Db): void;
}

const NO_HOOKS: DbHooks = { expired() {}, keepExpired: false, showExpired: false };

export class Db {
  /** key -> slot; the slot indexes keys, values and lru */
  map = new Map<string, number>();
  keys: string[] = [];
  values: Value[] = [];
  /** each slot's access stamp: LRU seconds or LFU counter (see lru.ts) */
  lru = new Int32Array(1024);
  /**
   * each slot's estimated footprint in bytes, as the owner last accounted it (see account), and
   * their sum: the dataset figure that used_memory and eviction work from
   */
  sizes = new Int32Array(1024);
  bytes = 0;
  expires = new Map<string, number>();
  /**
   * OBJECT ENCODING of the few string keys whose encoding is not what their content implies: 'raw'
   * for short strings built in place (APPEND, SETRANGE, SETBIT...: Redis unshares them into a raw
   * sds), 'embstr' for integers INCRBYFLOAT wrote, 'int' for small integers COPY duplicated (a
   * private object, not Redis's shared one). Only such keys have an entry, so it costs nothing
   * per ordinary key; set() and delete() drop the entry. A command that changes a string in place
   * through update() sets or clears it itself (see commands/string-common.ts).
   */
  encodings = new Map<string, string>();
  hooks: DbHooks = NO_HOOKS;
  /** the snapshot saving this database's contents, while one runs */
  snap: DbSnapshotHook | null = null;
  /** where the next active-expiry cycle resumes in `expires` */
  private expireCursor: Iterator<[string, number]> | null = null;
  /** where eviction's next sample of volatile keys resumes in `expires` */
  private volatileCursor: Iterator<string> | null = null;
  /** average TTL of sampled keys, as Redis reports avg_ttl */
  avgTtl = 0;

  constructor(readonly id: number) {}

  get size(): number {
    return this.keys.length;
  }

  /** The slot of key, expiring it first if due; -1 when missing. Does not touch LRU. */
  slot(key: string): number {
    const slot = this.map.get(key);
    if (slot === undefined) return -1;
    if (this.snap !== null) this.snap.touch(slot);
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= clock.now) {
        if (this.hooks.keepExpired) return this.hooks.showExpired ? slot : -1;
        this.delete(key);
        this.hooks.expired(this, key);
        return -1;
      }
    }
    return slot;
  }

  /** The value for key (expiring it first), updating its access time. */
  get(key: string): Value | undefined {
    const slot = this.slot(key);
    if (slot === -1) return undefined;
    this.lru[slot] = touchStamp(this.lru[slot]!);
    return this.values[slot];
  }

  has(key: string): boolean {
    return this.slot(key) !== -1;
  }

  /** Sets key to value, clearing any expiry unless keepTtl. Returns the slot. */
  set(key: string, value: Value, keepTtl = false): number {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      if (this.snap !== null) this.snap.touch(slot);
      this.values[slot] = value;
      // an overwrite keeps the LFU counter, as Redis's dbSetValue does
      if (!clock.lfu) this.lru[slot] = clock.lruNow;
      if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
      if (this.encodings.size !== 0) this.encodings.delete(key);
      return slot;
    }
    return this.add(key, value);
  }

  /** Adds a key known to be absent (after a slot() miss). Returns the slot. */
  add(key: string, value: Value): number {
    const slot = this.keys.length;
    if (slot === this.lru.length) {
      const grown = new Int32Array(slot * 2);
      grown.set(this.lru);
      this.lru = grown;
      const sizes = new Int32Array(slot * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
    }
    this.sizes[slot] = 0;
    if (this.snap !== null) this.snap.added(slot);
    this.map.set(key, slot);
    this.keys.push(key);
    this.values.push(value);
    this.lru[slot] = clock.newStamp;
    return slot;
  }

  /** Records a slot's new estimated footprint (the owner computes it after each change). */
  account(slot: number, size: number): void {
    this.bytes += size - this.sizes[slot]!;
    this.sizes[slot] = size;
  }

  /** Replaces the value in a slot (in-place updates: INCR, APPEND, collection changes). */
  update(slot: number, value: Value): void {
    if (this.snap !== null) this.snap.touch(slot);
    this.values[slot] = value;
  }

  /** Deletes key; true if it existed (expired or not). */
  delete(key: string): boolean {
    const slot = this.map.get(key);
    if (slot === undefined) return false;
    const lastSlot = this.keys.length - 1;
    if (this.snap !== null) this.snap.deleting(slot, lastSlot);
    this.map.delete(key);
    this.bytes -= this.sizes[slot]!;
    const last = this.keys.pop()!;
    const lastValue = this.values.pop()!;
    if (slot !== lastSlot) {
      this.keys[slot] = last;
      this.values[slot] = lastValue;
      this.lru[slot] = this.lru[lastSlot]!;
      this.sizes[slot] = this.sizes[lastSlot]!;
      this.map.set(last, slot);
    }
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.encodings.size !== 0) this.encodings.delete(key);
    return true;
  }

  /** The absolute expiry in ms, or -1 when the key is persistent. Assumes the key exists. */
  expireAt(key: string): number {
    const at = this.expires.get(key);
    return at === undefined ? -1 : at;
  }

  setExpire(key: string, at: number): void {
    if (this.snap !== null) this.snapTouch(key);
    this.expires.set(key, at);
  }

  /** Removes the expiry; true if there was one. */
  persist(key: string): boolean {
    if (this.snap !== null) this.snapTouch(key);
    return this.expires.delete(key);
  }

  private snapTouch(key: string): void {
    const slot = this.map.get(key);
    if (slot !== undefined) this.snap!.touch(slot);
  }

  clear(): void {
    if (this.snap !== null) {
      this.snap.detach();
      this.snap = null;
    }
    this.map = new Map();
    this.keys = [];
    this.values = [];
    this.lru = new Int32Array(1024);
    this.sizes = new Int32Array(1024);
    this.bytes = 0;
    this.expires = new Map();
    this.encodings = new Map();
    this.expireCursor = null;
    this.volatileCursor = null;
    this.avgTtl = 0;
  }

  /** Exchanges contents with another database (SWAPDB): the Db objects keep their ids and clients. */
  swapWith(other: Db): void {
    [this.map, other.map] = [other.map, this.map];
    [this.keys, other.keys] = [other.keys, this.keys];
    [this.values, other.values] = [other.values, this.values];
    [this.lru, other.lru] = [other.lru, this.lru];
    [this.sizes, other.sizes] = [other.sizes, this.sizes];
    [this.bytes, other.bytes] = [other.bytes, this.bytes];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.encodings, other.encodings] = [other.encodings, this.encodings];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    [this.snap, other.snap] = [other.snap, this.snap];
    this.snap?.rehome(this);
    other.snap?.rehome(other);
    this.expireCursor = null;
    other.expireCursor = null;
    this.volatileCursor = null;
    other.volatileCursor = null;
  }

  /** A random live key, or undefined when empty. Expired keys met on the way are expired. */
  randomKey(): string | undefined {
    for (let tries = 0; this.keys.length !== 0; tries++) {
      const key = this.keys[Math.floor(Math.random() * this.keys.length)]!;
      if (this.expires.size === 0) return key;
      const at = this.expires.get(key);
      if (at === undefined || at > clock.now) return key;
      if (this.hooks.keepExpired) {
        // every key may be expired on a replica: give up after a while, as Redis does
        if (tries >= 100) return key;
        continue;
      }
      this.delete(key);
      this.hooks.expired(this, key);
    }
    return undefined;
  }

  /**
   * One step of SCAN: visits up to `count` slots below cursor (cursor = next slot + 1; 0 starts at
   * the top) and returns the next cursor (0 when done).
   */
  scan(cursor: number, count: number, visit: (key: string) => void): number {
    let slot = cursor === 0 ? this.keys.length - 1 : Math.min(cursor - 1, this.keys.length - 1);
    for (let n = 0; slot >= 0 && n < count; n++, slot--) visit(this.keys[slot]!);
    return slot < 0 ? 0 : slot + 1;
  }

  /**
   * Samples up to `sample` volatile keys from where the last call stopped, deleting the expired ones.
   * Returns how many were sampled and how many expired, for the active-expiry loop.
   */
  expireSample(sample: number): { sampled: number; expired: number } {
    let sampled = 0;
    let expired = 0;
    if (this.expires.size === 0) return { sampled, expired };
    const now = clock.now;
    let ttlSum = 0;
    let ttlCount = 0;
    let restarted = false;
    while (sampled < sample) {
      if (this.expireCursor === null) this.expireCursor = this.expires.entries();
      const next = this.expireCursor.next();
      if (next.done) {
        this.expireCursor = null;
        if (restarted || this.expires.size === 0) break;
        restarted = true;
        continue;
      }
      sampled++;
      const [key, at] = next.value;
      if (at <= now) {
        this.delete(key);
        this.hooks.expired(this, key);
        expired++;
      } else {
        ttlSum += at - now;
        ttlCount++;
      }
    }
    if (ttlCount !== 0) {
      const avg = ttlSum / ttlCount;
      this.avgTtl = this.avgTtl === 0 ? avg : Math.round((this.avgTtl / 50) * 49 + avg / 50);
    }
    return { sampled, expired };
  }

  /**
   * Eviction's sample (Redis's dictGetSomeKeys): up to `count` slots, from the whole keyspace at
   * random or, when `volatile`, from the keys with an expiry, continuing a walk of `expires` where the
   * last sample stopped (a Map offers no random access; the walk visits every volatile key in turn).
   * Expired keys are not skipped: evicting one is as good as expiring it.
   */
  sampleSlots(count: number, volatile: boolean, visit: (slot: number) => void): void {
    if (!volatile) {
      const n = this.keys.length;
      if (n === 0) return;
      if (n <= count) {
        for (let slot = 0; slot < n; slot++) visit(slot);
        return;
      }
      for (let i = 0; i < count; i++) visit(Math.floor(Math.random() * n));
      return;
    }
    let restarted = false;
    for (let i = 0; i < count && this.expires.size !== 0; ) {
      if (this.volatileCursor === null) this.volatileCursor = this.expires.keys();
      const next = this.volatileCursor.next();
      if (next.done) {
        this.volatileCursor = null;
        if (restarted) return;
        restarted = true;
        continue;
      }
      const slot = this.map.get(next.value);
      if (slot !== undefined) visit(slot);
      i++;
    }
  }
}
