/*
 * Transactions: the state behind MULTI/EXEC/DISCARD and WATCH/UNWATCH (the commands themselves are
 * in commands/multi.ts; queueing happens in exec.ts, which calls in here).
 *
 * A transaction is the list of queued argvs on the client (`c.multi`), with the id of the command
 * each resolved to; nothing here depends on the command table (which keeps the imports one way:
 * state.ts owns a WatchRegistry, exec.ts and commands/multi.ts use these functions).
 *
 * WATCH is an optimistic lock: EXEC fails (nil reply) when a watched key changed since WATCH. The
 * registry indexes watchers by db and key so that a write (ServerState.keyModified, called by every
 * write) finds them in O(watchers of that key) and costs one integer test when nobody watches.
 * "Changed" follows Redis 7.0: a key that expires after WATCH counts as changed (seen at EXEC even
 * if nothing deleted it yet); a key that was already logically expired when watched is absent to
 * the watcher, so its deletion by expiry (or by a flush) is no change, while anything that gives it
 * a live value is.
 */

import type { Client, WatchedKey } from './client';
import { clock } from './keyspace/clock';
import type { Db } from './keyspace/db';

/** Commands that run at once inside MULTI instead of being queued. */
export const TX_CONTROL: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Commands still accepted under maxmemory while in MULTI (queueing anything else takes memory). */
const OOM_EXEMPT: ReadonlySet<string> = new Set(['exec', 'discard', 'quit', 'reset']);

const EXECABORT_PREFIX = 'EXECABORT Transaction discarded because of: ';

/** Present in the table but expired (not yet deleted): logically absent. */
function isExpired(db: Db, key: string): boolean {
  if (db.expires.size === 0) return false;
  const at = db.expires.get(key);
  return at !== undefined && at <= clock.now && db.map.has(key);
}

export function beginTransaction(c: Client): void {
  c.multi = { queue: [], specIds: [], failed: false, denyoom: false, writes: false, mem: 0 };
}

/** What queueing needs of a command's spec. */
export interface QueuedSpec {
  readonly id: number;
  readonly isDenyoom: boolean;
  readonly isWrite: boolean;
  readonly mayReplicate: boolean;
}

/** Queues a command of a client in MULTI and answers +QUEUED. */
export function queueCommand(c: Client, argv: string[], spec: QueuedSpec): void {
  const tx = c.multi!;
  tx.queue.push(argv);
  tx.specIds.push(spec.id);
  let mem = 8 * argv.length;
  for (let i = 0; i < argv.length; i++) mem += argv[i]!.length;
  tx.mem += mem;
  if (spec.isDenyoom) tx.denyoom = true;
  if (spec.isWrite || spec.mayReplicate) tx.writes = true;
  c.raw('+QUEUED\r\n');
}

/** A command was refused while queueing: EXEC will answer EXECABORT. */
export function flagTransaction(c: Client): void {
  if (c.multi !== null) c.multi.failed = true;
}

/** Whether a client in MULTI must be refused this command when over maxmemory. */
export function oomInMulti(c: Client, name: string): boolean {
  if (!OOM_EXEMPT.has(name)) return true;
  return name === 'exec' && c.multi!.denyoom;
}

/** Ends the transaction (if any) and forgets watched keys: DISCARD, EXEC, RESET, disconnect. */
export function discardTransaction(c: Client, watches: WatchRegistry): void {
  c.multi = null;
  watches.unwatchAll(c);
}

/**
 * EXEC itself was refused before running (arity, OOM, ...): Redis answers EXECABORT with the reason
 * and drops the transaction.
 */
export function abortExec(c: Client, watches: WatchRegistry, msg: string): void {
  c.error(EXECABORT_PREFIX + (msg.startsWith('ERR ') ? msg.slice(4) : msg));
  discardTransaction(c, watches);
}

export class WatchRegistry {
  /** by db id: key -> the watches on it */
  private readonly byDb: (Map<string, WatchedKey[]> | undefined)[] = [];
  /** watches in all (the write path's fast test) */
  count = 0;

  watch(c: Client, db: Db, key: string): void {
    let keys = this.byDb[db.id];
    if (keys === undefined) keys = this.byDb[db.id] = new Map();
    let ws = keys.get(key);
    if (ws === undefined) {
      ws = [];
      keys.set(key, ws);
    } else {
      for (let i = 0; i < ws.length; i++) if (ws[i]!.client === c) return;
    }
    const w: WatchedKey = { client: c, db, key, expired: isExpired(db, key) };
    ws.push(w);
    (c.watched ??= []).push(w);
    this.count++;
  }

  /** UNWATCH: forgets the client's keys and whether one changed. */
  unwatchAll(c: Client): void {
    c.dirtyCas = false;
    const list = c.watched;
    if (list === null) return;
    c.watched = null;
    for (const w of list) {
      const keys = this.byDb[w.db.id]!;
      const ws = keys.get(w.key)!;
      if (ws.length === 1) keys.delete(w.key);
      else ws.splice(ws.indexOf(w), 1);
      this.count--;
    }
  }

  /** A key was written or deleted (signalModifiedKey). */
  touch(db: Db, key: string): void {
    const ws = this.byDb[db.id]?.get(key);
    if (ws === undefined) return;
    for (const w of ws) {
      // watched while logically absent and now deleted: to the watcher nothing changed
      if (w.expired && !db.map.has(key)) {
        w.expired = false;
        continue;
      }
      w.client.dirtyCas = true;
    }
  }

  /** Checked by EXEC: a key the client watched while live has expired since. */
  expiredSinceWatch(c: Client): boolean {
    const list = c.watched;
    if (list === null) return false;
    for (const w of list) if (!w.expired && isExpired(w.db, w.key)) return true;
    return false;
  }

  /** A database is about to be emptied (FLUSHDB/FLUSHALL): its watched keys that exist change. */
  flushing(db: Db): void {
    const keys = this.byDb[db.id];
    if (keys === undefined) return;
    for (const [key, ws] of keys) {
      if (!db.map.has(key)) continue;
      for (const w of ws) {
        if (w.expired) w.expired = false;
        else w.client.dirtyCas = true;
      }
    }
  }

  /**
   * SWAPDB exchanged the contents of a and b (call after the swap): for the watchers of each, the
   * key's old content is now in the other db and its new content in their own.
   */
  swapped(a: Db, b: Db): void {
    this.swapSide(a, b);
    this.swapSide(b, a);
  }

  private swapSide(own: Db, other: Db): void {
    const keys = this.byDb[own.id];
    if (keys === undefined) return;
    for (const [key, ws] of keys) {
      const was = other.map.has(key);
      const now = own.map.has(key);
      if (!was && !now) continue;
      const nowExpired = now && isExpired(own, key);
      for (const w of ws) {
        if (w.expired) {
          if (!now) {
            w.expired = false;
            continue;
          }
          if (nowExpired) continue;
        } else if (!was && nowExpired) {
          // absent before, an already expired key now: still absent to the watcher
          w.expired = true;
          continue;
        }
        w.client.dirtyCas = true;
      }
    }
  }
}
