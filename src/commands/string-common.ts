/*
 * Helpers shared by the string and keyspace commands: how a string is stored and read back, the
 * bookkeeping every write does (signal modified key, dirty, keyspace events), lookups with Redis's
 * exact LRU/statistics behaviour, exact expiry times, and OBJECT ENCODING for strings.
 *
 * Storage: a canonical integer (args.ts canonicalInt: what Redis int-encodes, within JS's safe range)
 * is a number; everything else is a latin1 string. Redis's int/embstr/raw encoding follows from the
 * content except for short strings built in place (APPEND, SETRANGE: raw) and integers written by
 * INCRBYFLOAT (embstr); those few keys carry an entry in db.encodings.
 *
 * Expiry times beyond 2^53 ms (PEXPIREAT 9223372036854770000 is legal) do not fit a double exactly.
 * Db.expires holds the rounded number; the exact value is kept beside it in a per-db side map,
 * consulted only when the stored number is that large (so ordinary keys never pay for it), and
 * trusted only while it still rounds to the stored number.
 */

import { canonicalInt, parseInt64 } from '../args';
import type { Client } from '../client';
import { signalKeyAsReady } from '../blocking';
import { clock } from '../keyspace/clock';
import { touchStamp } from '../keyspace/lru';
import type { Db, Value } from '../keyspace/db';
import type { ServerState } from '../state';

/** V8's longest string (2^29 - 24 chars): a latin1 value cannot grow past it. */
export const MAX_JS_STRING = (1 << 29) - 24;

export const ERR_TOO_BIG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

/** The stored form of a string argument: a number when it is a canonical integer. */
export function toValue(s: string): string | number {
  const n = canonicalInt(s);
  return n === null ? s : n;
}

/** The bytes of a string value. */
export function str(v: string | number): string {
  return typeof v === 'string' ? v : String(v);
}

/** Replies with a string value (number values without converting twice). */
export function replyString(c: Client, v: string | number): void {
  if (typeof v === 'string') c.bulk(v);
  else c.bulkNumber(v);
}

/** The bookkeeping after a write to key: WATCH/tracking, dirty counter, keyspace event. */
export function signal(s: ServerState, db: Db, key: string, type: string, event: string): void {
  s.keyModified(db, key);
  s.dirty++;
  s.notify(type, event, key, db.id);
}

/** Adds a key known to be absent, with the "new" keyspace event Redis's dbAdd raises. */
export function addKey(s: ServerState, db: Db, key: string, v: Value): number {
  const slot = db.add(key, v);
  s.notify('n', 'new', key, db.id);
  // as Redis's dbAdd: clients blocked on this key may now be served (each checks the type)
  signalKeyAsReady(s, db, key);
  return slot;
}

/**
 * Stores a string value as Redis's setKey: adds the key (slot -1) or overwrites the value, dropping
 * the TTL unless keepTtl and any encoding mark.
 */
export function setKey(s: ServerState, db: Db, key: string, slot: number, v: string | number, keepTtl: boolean): void {
  if (slot === -1) {
    addKey(s, db, key, v);
    return;
  }
  db.update(slot, v);
  if (!clock.lfu) db.lru[slot] = clock.lruNow;
  if (!keepTtl && db.expires.size !== 0) db.persist(key);
  if (db.encodings.size !== 0) db.encodings.delete(key);
}

/** Lookup for writing (lookupKeyWrite): lazily expires, touches the access time, no statistics. */
export function writeSlot(db: Db, key: string): number {
  const slot = db.slot(key);
  if (slot !== -1) db.lru[slot] = touchStamp(db.lru[slot]!);
  return slot;
}

/** Lookup for reading without touching the access time (LOOKUP_NOTOUCH), counting hits and misses. */
export function readSlotNoTouch(s: ServerState, db: Db, key: string): number {
  const slot = db.slot(key);
  if (slot === -1) s.stats.keyspaceMisses++;
  else s.stats.keyspaceHits++;
  return slot;
}

/** Checks a string about to reach size + append bytes against proto-max-bulk-len (and V8's limit). */
export function checkStringLength(c: Client, s: ServerState, size: number, append: number): boolean {
  const total = size + append;
  if (total > s.config.number('proto-max-bulk-len') || total > MAX_JS_STRING) {
    c.error(ERR_TOO_BIG);
    return false;
  }
  return true;
}

/** Marks a string changed in place (APPEND, SETRANGE, SETBIT...) as Redis's raw encoding. */
export function markRaw(db: Db, key: string, length: number): void {
  // longer strings are raw by content; only short ones need the mark
  if (length <= 44) db.encodings.set(key, 'raw');
  else if (db.encodings.size !== 0) db.encodings.delete(key);
}

/** OBJECT ENCODING of a string value. */
export function stringEncoding(db: Db, key: string, v: string | number): string {
  if (db.encodings.size !== 0) {
    const mark = db.encodings.get(key);
    if (mark !== undefined) return mark;
  }
  if (typeof v === 'number') return 'int';
  if (v.length <= 20 && parseInt64(v) !== null) return 'int';
  return v.length <= 44 ? 'embstr' : 'raw';
}

const exactExpires = new WeakMap<Db, Map<string, bigint>>();

/** Sets an expiry time (ms), exactly even beyond 2^53. */
export function setExpireExact(db: Db, key: string, at: number | bigint): void {
  if (typeof at === 'number') {
    db.setExpire(key, at);
    return;
  }
  const n = Number(at);
  db.setExpire(key, n);
  let m = exactExpires.get(db);
  if (m === undefined) {
    m = new Map();
    exactExpires.set(db, m);
  }
  m.set(key, at);
}

/** The expiry time of an existing key (ms), -1 when persistent; exact beyond 2^53. */
export function getExpireExact(db: Db, key: string): number | bigint {
  const at = db.expireAt(key);
  if (at <= Number.MAX_SAFE_INTEGER) return at;
  const m = exactExpires.get(db);
  const exact = m?.get(key);
  if (exact !== undefined && Number(exact) === at) return exact;
  return BigInt(at);
}
