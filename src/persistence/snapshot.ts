/*
 * A forkless point-in-time snapshot of the keyspace as an RDB stream (BGSAVE, and a replication full
 * sync could read it the same way). Node cannot fork, so there are no copy-on-write pages to lean
 * on; instead (as Dragonfly does) the keyspace is walked in slices between event-loop turns, and a
 * key is serialized before anything can change it:
 *
 * - At the start every key present gets a "pending" mark, one byte per slot of each database
 *   (1 MB for a million keys): nothing else is copied.
 * - The walk visits slots from the top down and writes each pending key, clearing its mark.
 * - Each Db calls its hook (db.snap, one null check on its paths) before a lookup or change of a key:
 *   a pending key is written at once with its current value, which is still the value it had at the
 *   start (copy-before-write). Lookups count too: commands mutate collections in place after looking
 *   them up, so the lookup is the last moment the old value can be seen. The total work is the same
 *   (each key is written exactly once, early or by the walk) and what is written early goes straight
 *   to the sink, so extra memory stays at the mark arrays and the writer's buffer.
 * - A delete moves the last slot into the hole (db.ts); the mark moves with it. Moves only go
 *   downwards, so a pending key never lands above the walk's cursor and is never missed; new keys
 *   get no mark (they were not there at the start).
 * - FLUSHDB/FLUSHALL replace a database's arrays: the snapshot keeps the old ones and walks them at
 *   leisure (detach). SWAPDB moves the arrays and the hook to the other Db; the keys are still
 *   written under the database number they had at the start.
 *
 * Consumers: BGSAVE streams to a file (commands/persistence.ts). A replication full sync could use
 * the same class with a socket as the sink (copying each chunk, which is reused), pause()/resume()
 * for backpressure, and the replication offset taken when the snapshot starts; only one snapshot
 * runs at a time (each Db has one hook), so a full sync arriving during a BGSAVE would wait for it
 * or share its file, as Redis's disk-based sync shares a running BGSAVE.
 *
 * Keys written early for a database other than the one being walked are preceded by their own
 * SELECTDB (RDB allows any number). The output is Redis's file format, byte for byte what writeRdb
 * would give for the same keys, except for the order of keys and those extra SELECTDBs.
 */

import { performance } from 'node:perf_hooks';
import type { Db, DbSnapshotHook, Value } from '../keyspace/db';
import { RdbWriter } from './rdb-format';
import { type FileSaveOptions, writeFooter, writeHeader, writeKeyRecord, writeSelectDb } from './rdb';

/** One database's contents as of the start. */
class Source implements DbSnapshotHook {
  /** 1 = present at the start and not written yet, per slot */
  readonly pending: Uint8Array;
  /** next slot the walk visits (top-down) */
  cursor: number;
  owner: Db | null;
  private keys: string[] | null = null;
  private values: Value[] | null = null;
  private expires: Map<string, number> | null = null;
  private lru: Int32Array | null = null;
  /** RESIZEDB figures as of the start */
  readonly size: number;
  readonly expiresSize: number;
  started = false;

  constructor(
    private readonly snap: Snapshot,
    readonly dbId: number,
    db: Db,
  ) {
    this.owner = db;
    this.size = db.size;
    this.expiresSize = db.expires.size;
    this.pending = new Uint8Array(db.size).fill(1);
    this.cursor = db.size - 1;
    db.snap = this;
  }

  get length(): number {
    return this.owner !== null ? this.owner.keys.length : this.keys!.length;
  }

  touch(slot: number): void {
    if (slot < this.pending.length && this.pending[slot] === 1) this.snap.writeEarly(this, slot);
  }

  added(slot: number): void {
    if (slot < this.pending.length) this.pending[slot] = 0;
  }

  deleting(slot: number, last: number): void {
    this.touch(slot);
    const p = this.pending;
    if (slot === last || slot >= p.length) return;
    p[slot] = last < p.length ? p[last]! : 0;
    if (last < p.length) p[last] = 0;
  }

  detach(): void {
    const db = this.owner!;
    this.keys = db.keys;
    this.values = db.values;
    this.expires = db.expires;
    this.lru = db.lru;
    this.owner = null;
  }

  rehome(db: Db): void {
    this.owner = db;
  }

  /** Stops receiving hooks (the walk is over or abandoned). */
  unhook(): void {
    if (this.owner !== null && this.owner.snap === this) this.owner.snap = null;
  }

  /** Writes the key at slot and clears its mark. */
  write(w: RdbWriter, slot: number, opts: FileSaveOptions): void {
    const db = this.owner;
    const key = db !== null ? db.keys[slot]! : this.keys![slot]!;
    const value = db !== null ? db.values[slot]! : this.values![slot]!;
    const expires = db !== null ? db.expires : this.expires!;
    const at = expires.size === 0 ? undefined : expires.get(key);
    const stamp = db !== null ? db.lru[slot]! : this.lru![slot]!;
    writeKeyRecord(w, key, value, at === undefined ? -1 : at, stamp, opts);
    this.pending[slot] = 0;
  }
}

export interface SnapshotOptions extends FileSaveOptions {
  /** how long one slice of the walk may run before yielding to the event loop (ms) */
  sliceMs: number;
}

export interface SnapshotResult {
  keys: number;
  /** keys written early (before a change or a lookup) and their bytes */
  earlyKeys: number;
  earlyBytes: number;
  bytes: number;
}

/**
 * Streams an RDB image of `dbs` as they are now to `sink` (chunks are reused after it returns).
 * `done` gets null on success or the error. The walk starts on the next event-loop turn.
 */
export class Snapshot {
  private readonly sources: Source[] = [];
  private current = 0;
  private selected = -1;
  private readonly w: RdbWriter;
  private timer: NodeJS.Immediate | null = null;
  private failed: Error | null = null;
  private paused = false;
  finished = false;
  readonly startedAt = Date.now();
  /** keys present at the start, and written so far */
  readonly total: number;
  written = 0;
  earlyKeys = 0;
  earlyBytes = 0;

  constructor(
    dbs: readonly Db[],
    private readonly opts: SnapshotOptions,
    sink: (chunk: Buffer) => void,
    private readonly done: (err: Error | null, res: SnapshotResult) => void,
    // each chunk's CRC64 runs in one piece between slices: a 256 KB chunk took 14 ms while that
    // code was still cold (the first BGSAVE), 64 KB keeps it near a slice
    chunkSize = 64 * 1024,
  ) {
    this.w = new RdbWriter({ compression: opts.compression }, (chunk) => {
      if (this.failed !== null) return;
      try {
        sink(chunk);
      } catch (err) {
        // a write error inside a command's hook must not reach the command: fail at the next slice
        this.failed = err instanceof Error ? err : new Error(String(err));
      }
    }, chunkSize);
    let total = 0;
    for (const db of dbs) {
      if (db.snap !== null) throw new Error('a snapshot is already running');
    }
    for (const db of dbs) {
      if (db.size === 0) continue;
      this.sources.push(new Source(this, db.id, db));
      total += db.size;
    }
    this.total = total;
    writeHeader(this.w, opts);
    this.timer = setImmediate(() => this.step());
  }

  private select(src: Source): void {
    if (this.selected === src.dbId) return;
    if (!src.started) {
      writeSelectDb(this.w, src.dbId, src.size, src.expiresSize);
      src.started = true;
    } else writeSelectDb(this.w, src.dbId);
    this.selected = src.dbId;
  }

  /** A pending key is about to be seen or changed: write it now. */
  writeEarly(src: Source, slot: number): void {
    const before = this.w.length;
    this.select(src);
    src.write(this.w, slot, this.opts);
    this.written++;
    this.earlyKeys++;
    this.earlyBytes += this.w.length - before;
  }

  /**
   * Stops the walk until resume() (a consumer applying backpressure, e.g. a replica's socket).
   * Keys are still written early when commands touch them, so the sink must keep accepting those.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.timer === null && !this.finished) this.timer = setImmediate(() => this.step());
  }

  private step(): void {
    this.timer = null;
    if (this.finished || this.paused) return;
    if (this.failed !== null) return this.finish(this.failed);
    const deadline = performance.now() + this.opts.sliceMs;
    try {
      while (this.current < this.sources.length) {
        const src = this.sources[this.current]!;
        let n = 0;
        while (src.cursor >= 0) {
          const len = src.length;
          if (src.cursor >= len) {
            src.cursor = len - 1;
            continue;
          }
          const slot = src.cursor--;
          if (src.pending[slot] === 1) {
            this.select(src);
            src.write(this.w, slot, this.opts);
            this.written++;
          }
          // every 8 keys the CRC takes in their bytes (see RdbWriter.advanceCrc) and the clock is
          // read: big values, or cold code, make 64 keys overrun a slice
          if ((++n & 7) === 0) {
            this.w.advanceCrc();
            if (this.paused || performance.now() >= deadline) {
              if (!this.paused) this.timer = setImmediate(() => this.step());
              return;
            }
          }
        }
        src.unhook();
        this.current++;
      }
      writeFooter(this.w, this.opts);
      this.w.flush();
    } catch (err) {
      return this.finish(err instanceof Error ? err : new Error(String(err)));
    }
    this.finish(this.failed);
  }

  private finish(err: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    for (const src of this.sources) src.unhook();
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.done(err, { keys: this.written, earlyKeys: this.earlyKeys, earlyBytes: this.earlyBytes, bytes: this.w.length });
  }

  /** Abandons the snapshot (done is called with the error). */
  abort(reason = 'snapshot aborted'): void {
    this.finish(new Error(reason));
  }
}
