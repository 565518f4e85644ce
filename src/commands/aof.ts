/*
 * The append-only file, in Redis 7's multi-part layout: `<dir>/<appenddirname>/` holds a base file
 * (an RDB image: aof-use-rdb-preamble), incremental files of RESP commands, and the manifest naming
 * them, so real Redis 7.0 loads our directory and we load its.
 *
 * Writing: while appendonly is on, the propagation sink (propagation.ts emits each write's effect)
 * appends to an in-memory buffer, adding a SELECT when the database changes. The buffer goes to the
 * file once per event-loop turn (setImmediate: one write for all the clients served in the turn).
 * With `appendfsync always` it is also written and fsynced at the flush point the server calls
 * before a batch's replies are written (s.beforeReply), so an acknowledged write is on disk before
 * its reply leaves. The other policies leave it to the turn's end (a write per batch cost a third
 * of the throughput of unpipelined clients; they may lose recent writes by contract anyway);
 * `everysec` fsyncs from a 1 s timer, off the event loop (libuv's thread pool: Redis's bio thread);
 * `no` leaves it to the OS. As in Redis, with everysec a write that finds that fsync still running
 * waits (the buffer is kept: a write() on a file being fsynced can block the event loop) and is
 * retried when the fsync ends or from the cron; after 2 s it goes ahead anyway and is counted in
 * aof_delayed_fsync.
 *
 * Rewriting (BGREWRITEAOF, auto-aof-rewrite-*, turning appendonly on): in one event-loop turn the
 * buffer is flushed, a new incremental file opened for what follows, and a forkless point-in-time
 * snapshot (startSnapshot) started; its RDB image streams to a temp file. When complete: fsync,
 * rename to the next base name, then the manifest (temp + rename) names only the new base and the
 * new incremental file, and the old files are deleted. A crash before the manifest's rename leaves
 * the old manifest, which also names the new incremental file (written when the rewrite began).
 *
 * Loading at start (appendonly yes and a manifest present; the AOF then takes precedence over the
 * RDB): the base (RDB or commands), then each incremental file, run through execute() by a client of
 * kind 'master' (no gates, replies dropped), in slices once the server listens (aof-loading.ts; the
 * file reading is persistence/aof-load.ts): other clients get -LOADING meanwhile, as during an RDB
 * load. A torn tail of the last file is cut off with a warning when aof-load-truncated is on.
 */

import { closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { discardTemp, fsyncDir, writeAll } from '../persistence/files';
import path from 'node:path';
import type { Client } from '../client';
import { register } from '../command';
import { strerror } from '../config/config';
import { clock } from '../keyspace/clock';
import {
  baseName,
  formatManifest,
  incrName,
  manifestName,
  parseManifest,
  rdbImageToCommands,
  type AofFileInfo,
  type AofManifest,
} from '../persistence/aof-format';
import { RdbError } from '../persistence/rdb-format';
import type { Snapshot } from '../persistence/snapshot';
import { CommandBuffer } from '../protocol/command-buffer';
import type { ServerState } from '../state';
import { loadAof, reloadAof, type AofTarget } from './aof-loading';
import { loadLimits, saveOptions, setAofWriteError, startLoading, startSnapshot } from './persistence';

/** how long an everysec write may wait for the running fsync before it goes ahead (Redis: 2 s) */
const POSTPONE_MAX_MS = 2000;

class Aof implements AofTarget {
  enabled = false;
  manifest: AofManifest | null = null;
  /** the manifest on disk describes the data (false while turning on: until the first rewrite ends) */
  manifestValid = false;
  fd = -1;
  incr: AofFileInfo | null = null;
  /** the commands not yet written to the file */
  readonly buffer = new CommandBuffer();
  selectedDb = -1;
  flushScheduled = false;
  unsynced = false;
  fsyncInFlight = -1;
  /** when a write started waiting for the running fsync (0: none waits) */
  postponedSince = 0;
  /** aof-timestamp-enabled: a `#TS:<unix>` annotation before the first command of each second */
  timestamps = false;
  lastTimestamp = -1;
  /** appendfsync always (cached: the flush point runs per batch) */
  always = false;
  deferredClose = -1;
  baseSize = 0;
  /** bytes in the incremental files the manifest names */
  incrSize = 0;
  /** aof_current_size at the end of the last rewrite (auto-aof-rewrite's reference) */
  rewriteBaseSize = 0;
  lastWriteOk = true;
  rewriting: Snapshot | null = null;
  /** the running rewrite's temp file */
  rewriteFd = -1;
  rewriteGeneration = 0;
  rewriteStart = 0;
  rewriteScheduled = false;
  lastRewriteTimeSec = -1;
  lastRewriteOk = true;
  rewrites = 0;
  consecutiveFailures = 0;
  lastCow = 0;
  timer: NodeJS.Timeout | null = null;
  /** the running rewrite makes the start-up base */
  uncounted = false;

  constructor(readonly s: ServerState) {}

  get dir(): string {
    return path.join(this.s.config.get('dir'), this.s.config.get('appenddirname'));
  }

  get prefix(): string {
    return this.s.config.get('appendfilename');
  }

  /** the propagation sink: buffers the command, with SELECT when the database changes */
  readonly sink = (db: number, argv: readonly string[]): void => {
    if (this.timestamps) {
      const sec = Math.floor(clock.now / 1000);
      if (sec !== this.lastTimestamp) {
        this.lastTimestamp = sec;
        this.buffer.text(`#TS:${sec}\r\n`);
      }
    }
    if (db !== -1 && db !== this.selectedDb) {
      this.buffer.command(['SELECT', String(db)]);
      this.selectedDb = db;
    }
    this.buffer.command(argv);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushLater);
    }
  };

  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /**
   * Writes the buffer (and fsyncs it with appendfsync always); the server calls this before replies.
   * A failed write is undone (the file cut back to its size before it) and kept in the buffer to be
   * retried from the cron; meanwhile writes are refused with -MISCONF, as Redis does.
   */
  readonly flush = (force = false): void => {
    if (this.buffer.length === 0 || this.fd === -1) return;
    if (!force && this.fsyncInFlight !== -1 && this.fsyncInFlight === this.fd && !this.always && this.s.config.get('appendfsync') === 'everysec') {
      const now = Date.now();
      if (this.postponedSince === 0) {
        this.postponedSince = now;
        return;
      }
      if (now - this.postponedSince < POSTPONE_MAX_MS) return;
      this.s.stats.aofDelayedFsync++;
      this.s.log.notice('Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.');
    }
    this.postponedSince = 0;
    // left in the buffer until written: a failed write is retried
    const data = this.buffer.peek();
    const fd = this.fd;
    let off = 0;
    try {
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      if (off > 0) {
        try {
          ftruncateSync(fd, fstatSync(fd).size - off);
        } catch {
          // the torn tail stays: aof-load-truncated handles it at the next start
        }
      }
      const msg = strerror(err);
      if (this.lastWriteOk) this.s.log.warning(`Error writing to the AOF file: ${msg}`);
      this.lastWriteOk = false;
      setAofWriteError(this.s, msg);
      return;
    }
    this.buffer.take();
    this.incrSize += data.length;
    try {
      if (this.always) fsyncSync(fd);
      else this.unsynced = true;
    } catch (err) {
      this.s.log.warning(`Error fsyncing the AOF file: ${strerror(err)}`);
    }
    if (!this.lastWriteOk) {
      this.s.log.warning('AOF write error looks solved, Redis can write again.');
      this.lastWriteOk = true;
      setAofWriteError(this.s, null);
    }
  };

  /** everysec: the fsync runs off the event loop (Redis's bio thread); one at a time */
  private everysec(): void {
    if (!this.unsynced || this.fd === -1 || this.fsyncInFlight !== -1 || this.s.config.get('appendfsync') !== 'everysec') return;
    this.unsynced = false;
    const fd = this.fd;
    this.fsyncInFlight = fd;
    fsync(fd, (err) => {
      this.fsyncInFlight = -1;
      if (err) this.s.log.warning(`Error fsyncing the AOF file: ${strerror(err)}`);
      if (this.deferredClose === fd) {
        this.deferredClose = -1;
        closeSync(fd);
      }
      // a write that waited for this fsync goes now
      if (this.postponedSince !== 0) this.flush();
    });
  }

  private writeManifest(m: AofManifest): void {
    const dir = this.dir;
    const tmp = path.join(dir, 'temp-' + manifestName(this.prefix));
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, formatManifest(m));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path.join(dir, manifestName(this.prefix)));
    fsyncDir(dir);
  }

  /** Opens a new incremental file (seq after the last one) as the destination of new writes. */
  private openNewIncr(): AofFileInfo {
    this.flush(true);
    const m = this.manifest!;
    const last = m.incrs[m.incrs.length - 1];
    const seq = (last?.seq ?? 0) + 1;
    const info: AofFileInfo = { name: incrName(this.prefix, seq), seq, type: 'i' };
    const fd = openSync(path.join(this.dir, info.name), 'a');
    this.closeFd();
    this.fd = fd;
    this.incr = info;
    this.selectedDb = -1;
    m.incrs.push(info);
    return info;
  }

  private closeFd(): void {
    if (this.fd === -1) return;
    try {
      fsyncSync(this.fd);
    } catch {
      // nothing more to do for a file we are leaving
    }
    // a descriptor with an fsync in flight is closed when it completes (never reused under it)
    if (this.fsyncInFlight === this.fd) this.deferredClose = this.fd;
    else closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Starts a rewrite. Returns null when started, 'scheduled' when it must wait for a running
   * snapshot (a BGSAVE or a full sync), or the error.
   */
  startRewrite(): string | null {
    if (this.rewriting !== null) return 'ERR Background append only file rewriting already in progress';
    const s = this.s;
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      return `ERR Can't create AOF directory: ${strerror(err)}`;
    }
    if (s.dbs.some((db) => db.snap !== null)) {
      this.rewriteScheduled = true;
      return 'scheduled';
    }
    if (this.manifest === null) this.manifest = { base: null, incrs: [], history: [] };
    const m = this.manifest;
    const oldFiles = [...(m.base ? [m.base] : []), ...m.incrs, ...m.history];
    // with appendonly off only a base is made (as Redis's BGREWRITEAOF then)
    const newIncr = this.enabled ? this.openNewIncr() : null;
    const incrBytesBefore = this.incrSize;
    if (this.manifestValid) this.writeManifest(m);
    const dir = this.dir;
    const tmp = path.join(dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    const fd = openSync(tmp, 'w');
    this.rewriteFd = fd;
    const generation = ++this.rewriteGeneration;
    const baseSeq = (m.base?.seq ?? 0) + 1;
    this.rewriteStart = Date.now();
    this.rewriteScheduled = false;
    let size = 0;
    const snap = startSnapshot(
      s,
      (chunk) => {
        size += writeAll(fd, chunk);
      },
      (err, res) => {
        if (generation !== this.rewriteGeneration) return;
        this.rewriting = null;
        this.rewriteFd = -1;
        try {
          if (err !== null) throw err;
          fsyncSync(fd);
          closeSync(fd);
          const preamble = s.config.bool('aof-use-rdb-preamble');
          if (!preamble) size = this.convertBase(tmp);
          const base: AofFileInfo = { name: baseName(this.prefix, baseSeq, preamble), seq: baseSeq, type: 'b' };
          renameSync(tmp, path.join(dir, base.name));
          const cur = this.manifest!;
          // incremental files opened after this rewrite began (none today) stay
          const keep = newIncr === null ? [] : cur.incrs.filter((i) => i.seq >= newIncr.seq);
          this.manifest = { base, incrs: keep, history: [] };
          this.writeManifest(this.manifest);
          this.manifestValid = true;
          for (const f of oldFiles) {
            try {
              unlinkSync(path.join(dir, f.name));
            } catch {
              // already gone
            }
          }
          this.baseSize = size;
          this.incrSize -= incrBytesBefore;
          this.rewriteBaseSize = this.baseSize + this.incrSize;
          this.lastRewriteOk = true;
          this.consecutiveFailures = 0;
          if (!this.uncounted) this.rewrites++;
          this.uncounted = false;
          this.lastCow = res.earlyBytes;
          this.lastRewriteTimeSec = Math.round((Date.now() - this.rewriteStart) / 1000);
          s.log.notice('Background AOF rewrite terminated with success');
          s.log.notice('Background AOF rewrite finished successfully');
        } catch (e) {
          discardTemp(fd, tmp);
          this.lastRewriteOk = false;
          this.consecutiveFailures++;
          this.lastRewriteTimeSec = Math.round((Date.now() - this.rewriteStart) / 1000);
          s.log.warning(`Background AOF rewrite failed: ${e instanceof RdbError ? e.message : strerror(e)}`);
          if (!this.manifestValid) this.rewriteScheduled = true;
        }
      },
    );
    if (snap === null) {
      this.rewriteFd = -1;
      closeSync(fd);
      unlinkSync(tmp);
      this.rewriteScheduled = true;
      return 'scheduled';
    }
    this.rewriting = snap;
    s.log.notice('Background append only file rewriting started');
    return null;
  }

  /**
   * aof-use-rdb-preamble no: the snapshot's RDB image in `file` becomes commands (in the foreground:
   * a format kept for compatibility, not the default). Returns the new size.
   */
  private convertBase(file: string): number {
    const s = this.s;
    const img = readFileSync(file);
    const fd = openSync(file, 'w');
    let size = 0;
    try {
      let pending = '';
      const out = (chunk: string): void => {
        pending += chunk;
        if (pending.length < 1 << 20) return;
        size += writeAll(fd, Buffer.from(pending, 'latin1'));
        pending = '';
      };
      rdbImageToCommands(img, loadLimits(s), saveOptions(s), s.dbs.length, out);
      size += writeAll(fd, Buffer.from(pending, 'latin1'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return size;
  }

  /** Abandons a running rewrite (its temp file is removed). */
  abortRewrite(): void {
    const snap = this.rewriting;
    if (snap === null) return;
    this.rewriting = null;
    this.rewriteGeneration++;
    snap.abort('AOF off');
    if (this.rewriteFd !== -1) {
      try {
        closeSync(this.rewriteFd);
      } catch {
        // already closed
      }
      this.rewriteFd = -1;
    }
    try {
      unlinkSync(path.join(this.dir, `temp-rewriteaof-bg-${process.pid}.aof`));
    } catch {
      // the walk may not have created it
    }
  }

  /** Starts appending (after loading at start, or CONFIG SET appendonly yes). */
  enable(atStart: boolean, uncounted = false): void {
    if (this.enabled) return;
    this.enabled = true;
    this.s.propagation.aof = this.sink;
    this.always = this.s.config.get('appendfsync') === 'always';
    this.s.beforeReply = this.always ? this.flush : null;
    this.timer = setInterval(() => this.everysec(), 1000);
    this.timer.unref();
    if (atStart && this.manifestValid) {
      // continue appending to the last incremental file
      const m = this.manifest!;
      let last = m.incrs[m.incrs.length - 1];
      if (last === undefined) {
        last = { name: incrName(this.prefix, 1), seq: 1, type: 'i' };
        m.incrs.push(last);
        this.fd = openSync(path.join(this.dir, last.name), 'a');
        this.writeManifest(m);
      } else this.fd = openSync(path.join(this.dir, last.name), 'a');
      this.incr = last;
      this.selectedDb = -1;
      this.rewriteBaseSize = this.baseSize + this.incrSize;
      return;
    }
    // no usable AOF yet: the first rewrite makes the base (Redis starts appendonly with one)
    this.manifestValid = false;
    // Redis makes the start-up base in the foreground: it is not counted in aof_rewrites
    this.uncounted = uncounted;
    const r = this.startRewrite();
    if (r !== null && r !== 'scheduled') this.s.log.warning(r);
  }

  /** The dataset was replaced (a replica's full sync): a new base from it, as Redis restarts the AOF. */
  restart(): void {
    if (!this.enabled) return;
    this.flush(true);
    this.abortRewrite();
    // until the new base is written the manifest on disk keeps naming the old, consistent, files
    this.manifestValid = false;
    const r = this.startRewrite();
    if (r !== null && r !== 'scheduled') this.s.log.warning(r);
  }

  disable(): void {
    if (!this.enabled) return;
    this.flush(true);
    this.abortRewrite();
    this.rewriteScheduled = false;
    this.enabled = false;
    this.s.propagation.aof = null;
    this.s.beforeReply = null;
    this.buffer.take();
    if (!this.lastWriteOk) {
      this.lastWriteOk = true;
      setAofWriteError(this.s, null);
    }
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.closeFd();
  }

  cron(): void {
    if (!this.enabled) return;
    if (!this.lastWriteOk || this.postponedSince !== 0) this.flush();
    if (this.rewriting !== null) return;
    if (this.rewriteScheduled) {
      this.startRewrite();
      return;
    }
    const perc = this.s.config.number('auto-aof-rewrite-percentage');
    if (perc === 0 || !this.manifestValid) return;
    const current = this.baseSize + this.incrSize;
    if (current < this.s.config.number('auto-aof-rewrite-min-size')) return;
    const base = this.rewriteBaseSize === 0 ? 1 : this.rewriteBaseSize;
    const growth = (current * 100) / base - 100;
    if (growth >= perc) {
      this.s.log.notice(`Starting automatic rewriting of AOF on ${Math.floor(growth)}% growth`);
      this.startRewrite();
    }
  }

}

const instances = new WeakMap<ServerState, Aof>();

function aofOf(s: ServerState): Aof {
  let a = instances.get(s);
  if (a === undefined) {
    a = new Aof(s);
    instances.set(s, a);
  }
  return a;
}

/** Installs config reactions, the cron part and INFO fields on a new server. */
export function installAof(s: ServerState): void {
  const a = aofOf(s);
  s.config.onChange('appendonly', (v) => {
    if (v === 'yes') {
      // the manifest on disk (if any) gives the sequence numbers to continue from
      if (a.manifest === null) {
        try {
          a.manifest = parseManifest(readFileSync(path.join(a.dir, manifestName(a.prefix)), 'latin1'));
        } catch {
          a.manifest = null;
        }
      }
      a.enable(false);
    } else a.disable();
  });
  s.afterReplicaLoad = () => a.restart();
  a.timestamps = s.config.bool('aof-timestamp-enabled');
  s.config.onChange('aof-timestamp-enabled', (v) => (a.timestamps = v === 'yes'));
  s.config.onChange('appendfsync', (v) => {
    a.always = v === 'always';
    if (a.enabled) s.beforeReply = a.always ? a.flush : null;
  });
  s.onCron.push(() => a.cron());
  s.onClose.push(() => a.disable());
  s.infoFields.set('aof_enabled', () => (a.enabled ? 1 : 0));
  s.infoFields.set('aof_rewrite_in_progress', () => (a.rewriting !== null ? 1 : 0));
  s.infoFields.set('aof_rewrite_scheduled', () => (a.rewriteScheduled ? 1 : 0));
  s.infoFields.set('aof_last_rewrite_time_sec', () => a.lastRewriteTimeSec);
  s.infoFields.set('aof_current_rewrite_time_sec', () => (a.rewriting !== null ? Math.round((Date.now() - a.rewriteStart) / 1000) : -1));
  s.infoFields.set('aof_last_bgrewrite_status', () => (a.lastRewriteOk ? 'ok' : 'err'));
  s.infoFields.set('aof_rewrites', () => a.rewrites);
  s.infoFields.set('aof_rewrites_consecutive_failures', () => a.consecutiveFailures);
  s.infoFields.set('aof_last_write_status', () => (a.lastWriteOk ? 'ok' : 'err'));
  s.infoFields.set('aof_last_cow_size', () => a.lastCow);
  s.infoFields.set('aof_current_size', () => a.baseSize + a.incrSize);
  s.infoFields.set('aof_base_size', () => a.rewriteBaseSize);
  s.infoFields.set('aof_pending_rewrite', () => (a.rewriteScheduled ? 1 : 0));
  s.infoFields.set('aof_buffer_length', () => a.buffer.length);
  // the one everysec fsync that may run in the thread pool (Redis: pending BIO_AOF_FSYNC jobs)
  s.infoFields.set('aof_pending_bio_fsync', () => (a.fsyncInFlight !== -1 ? 1 : 0));
  s.infoFields.set('aof_delayed_fsync', () => s.stats.aofDelayedFsync);
}

/**
 * Start-up loading when appendonly is on: the AOF when its manifest exists (in slices, the server
 * answering -LOADING meanwhile), else the RDB as usual; appending starts once loaded. Null when appendonly is
 * off (the caller loads the RDB).
 */
export function startAofLoading(s: ServerState): Promise<void> | null {
  if (!s.config.bool('appendonly')) return null;
  const a = aofOf(s);
  const aof = loadAof(a);
  if (aof !== null) return aof.then(() => a.enable(true));
  const rdb = startLoading(s) ?? Promise.resolve();
  return rdb.then(() => a.enable(false, true));
}

/**
 * DEBUG LOADAOF: +OK once the AOF on disk is loaded again. When there is none, or it cannot be
 * loaded, Redis 7.0 exits with status 1 (even with appendonly off): so do we, after saying why.
 */
export function debugLoadAof(c: Client, s: ServerState): void {
  // the dirty counter goes to 0 (as Redis's): that is no change to propagate
  c.propagateAs = [];
  const err = reloadAof(aofOf(s));
  if (err !== null) {
    s.log.warning(`DEBUG LOADAOF: ${err}. Exiting.`);
    process.exit(1);
  }
  s.log.warning('Append Only File loaded by DEBUG LOADAOF');
  c.ok();
}

/** Whether an AOF rewrite runs (BGSAVE's scheduling looks at it). */
export function aofRewriteInProgress(s: ServerState): boolean {
  return aofOf(s).rewriting !== null;
}

register([
  {
    name: 'bgrewriteaof',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'Asynchronously rewrite the append-only file', since: '1.0.0', group: 'server', complexity: 'O(1)' },
    handler: (c, _argv, s) => {
      const a = aofOf(s);
      if (a.rewriting !== null) return c.error('ERR Background append only file rewriting already in progress');
      if (c.inExec) {
        a.rewriteScheduled = true;
        return c.simple('Background append only file rewriting scheduled');
      }
      const r = a.startRewrite();
      if (r === null) return c.simple('Background append only file rewriting started');
      if (r === 'scheduled') return c.simple('Background append only file rewriting scheduled');
      c.error(r);
    },
  },
]);
