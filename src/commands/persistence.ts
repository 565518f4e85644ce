/*
 * RDB persistence at the server level: SAVE, BGSAVE, DEBUG RELOAD, the save SHUTDOWN does,
 * and loading dir/dbfilename at start-up. The format itself is in src/persistence/ (pure functions
 * of the keyspace); this module adds files, config, statistics and the keyspace bookkeeping.
 *
 * Saving writes `temp-<pid>.rdb` in `dir` in 1 MB chunks, fsyncs it, renames it over the target and
 * fsyncs the directory, so a crash mid-save never leaves a torn dump.rdb. SAVE blocks the server, as
 * in Redis. BGSAVE streams a forkless point-in-time snapshot (persistence/snapshot.ts) to the same
 * temp file in slices between event-loop turns, then fsyncs and renames off the event loop; the cron
 * runs the `save` rules and scheduled BGSAVEs; a failed save with rules set refuses writes (-MISCONF)
 * through s.commandGate, which is installed only while something must be refused.
 *
 * Loading at start-up runs in slices once the server listens: clients get -LOADING meanwhile (INFO
 * answers, with loading:1), as in Redis, and the log shows progress. Images carry the FUNCTION
 * libraries too (persistence-functions.ts connects them to the script engine). Per-server persistence
 * statistics live in a WeakMap keyed by the state, so state.ts needs no fields for them.
 */

import { close, closeSync, fsync, fsyncSync, openSync, readFileSync, rename, renameSync, unlink } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { discardTemp, fsyncDir, writeAll } from '../persistence/files';
import { ERR_SYNTAX, is } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { strerror } from '../config/config';
import { clock } from '../keyspace/clock';
import type { Value } from '../keyspace/db';
import { keyUsage } from '../memory';
import { RdbError, RdbWriter, warmUpCrc64 } from '../persistence/rdb-format';
import {
  dumpPayload,
  loadedStamp,
  loadRdb,
  RdbLoader,
  writeRdb,
  type LoadLimits,
  type LoadOptions,
  type LoadResult,
  type FileSaveOptions,
  type SaveOptions,
} from '../persistence/rdb';
import { Snapshot, type SnapshotResult } from '../persistence/snapshot';
import type { ServerState } from '../state';
import { flushLibraries, installLibrary, libraryCodes, librariesPending, type LibraryPolicy } from './persistence-functions';
import { emptyData } from './server';
import { whenLuaReady } from '../scripting/lua';

interface PersistStats {
  saves: number;
  lastStatus: 'ok' | 'err';
  lastLoadLoaded: number;
  lastLoadExpired: number;
  /** the running BGSAVE's walk (null once written, while fsync and rename finish) */
  snapshot: Snapshot | null;
  /** a BGSAVE runs (walk, fsync or rename) */
  bgInProgress: boolean;
  /** bumped when a BGSAVE is abandoned, so its late callbacks know they are stale */
  bgGeneration: number;
  bgStartMs: number;
  lastBgsaveTimeSec: number;
  /** bytes written early by the last BGSAVE (our copy-on-write: keys saved before a change) */
  lastCowSize: number;
  /** BGSAVE SCHEDULE (or BGSAVE inside EXEC) asked for one */
  scheduled: boolean;
  /** unix seconds of the last BGSAVE attempt (failed ones are retried after 5 s, as Redis) */
  lastBgsaveTry: number;
  /** s.dirty when the BGSAVE started: what it saved */
  dirtyBefore: number;
  /** the dataset is being loaded (clients get -LOADING) */
  loading: boolean;
  /** INFO's loading_* figures while loading */
  loadStart: number;
  loadTotal: number;
  loadLoaded: number;
  loadUsedMem: number;
  /** save rules parsed from the `save` directive, and the text they came from */
  rules: [number, number][];
  rulesText: string | null;
  /** the AOF's last write failed with this error (writes are refused meanwhile) */
  aofError: string | null;
}

const stats = new WeakMap<ServerState, PersistStats>();

function statsOf(s: ServerState): PersistStats {
  let st = stats.get(s);
  if (st === undefined) {
    st = {
      saves: 0,
      lastStatus: 'ok',
      lastLoadLoaded: 0,
      lastLoadExpired: 0,
      snapshot: null,
      bgInProgress: false,
      bgGeneration: 0,
      bgStartMs: 0,
      lastBgsaveTimeSec: -1,
      lastCowSize: 0,
      scheduled: false,
      lastBgsaveTry: 0,
      dirtyBefore: 0,
      loading: false,
      loadStart: 0,
      loadTotal: 0,
      loadLoaded: 0,
      loadUsedMem: 0,
      rules: [],
      rulesText: null,
      aofError: null,
    };
    stats.set(s, st);
  }
  return st;
}

function num(s: ServerState, name: string, dflt: number): number {
  return s.config.directive(name) !== undefined ? s.config.number(name) : dflt;
}

export function saveOptions(s: ServerState): SaveOptions {
  return {
    compression: s.config.bool('rdbcompression'),
    listFill: num(s, 'list-max-listpack-size', -2),
    packedThreshold: s.quicklistPackedThreshold,
  };
}

export function loadLimits(s: ServerState): LoadLimits {
  return {
    hashEntries: num(s, 'hash-max-listpack-entries', 512),
    hashValue: num(s, 'hash-max-listpack-value', 64),
    setIntset: num(s, 'set-max-intset-entries', 512),
    zsetEntries: num(s, 'zset-max-listpack-entries', 128),
    zsetValue: num(s, 'zset-max-listpack-value', 64),
  };
}

/** The path of the RDB file (dir + dbfilename). */
export function rdbPath(s: ServerState): string {
  return path.join(s.config.get('dir'), s.config.get('dbfilename'));
}

function accessInfo(s: ServerState): 'lru' | 'lfu' | 'none' {
  const policy = s.config.get('maxmemory-policy');
  if (policy.includes('lfu')) return 'lfu';
  if (policy.includes('lru')) return 'lru';
  return 'none';
}

/** The options a whole-dataset RDB image is written with (SAVE, BGSAVE, replication full syncs). */
export function fileSaveOptions(s: ServerState): FileSaveOptions {
  return {
    ...saveOptions(s),
    checksum: s.config.bool('rdbchecksum'),
    usedMem: process.memoryUsage().heapUsed,
    accessInfo: accessInfo(s),
    functions: libraryCodes(s),
  };
}

/** Writes an RDB image of the whole dataset at once to sink (each chunk is reused after the call). */
export function writeRdbImage(s: ServerState, sink: (chunk: Buffer) => void): void {
  const w = new RdbWriter({ compression: s.config.bool('rdbcompression') }, sink, 1 << 20);
  writeRdb(w, s.dbs, fileSaveOptions(s));
  w.flush();
}

/**
 * Writes the whole dataset to `file` through a temp file, fsync and rename (Redis's rdbSave).
 * Returns null on success or the error text (already logged).
 */
export function rdbSaveTo(s: ServerState, file: string): string | null {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `temp-${process.pid}.rdb`);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    const msg = strerror(err);
    s.log.warning(`Failed opening the temp RDB file ${path.basename(tmp)} (in server root dir ${dir}) for saving: ${msg}`);
    return msg;
  }
  try {
    writeRdbImage(s, (chunk) => writeAll(fd, chunk));
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    discardTemp(fd, tmp);
    const msg = err instanceof RdbError ? err.message : strerror(err);
    s.log.warning(`Write error saving DB on disk: ${msg}`);
    return msg;
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    const msg = strerror(err);
    s.log.warning(`Error moving temp DB file ${path.basename(tmp)} on the final destination ${path.basename(file)} (in server root dir ${dir}): ${msg}`);
    discardTemp(null, tmp);
    return msg;
  }
  fsyncDir(dir);
  return null;
}

/** SAVE's work: save to dir/dbfilename and update the statistics (a running BGSAVE is abandoned). */
export function rdbSave(s: ServerState): string | null {
  abortBgsave(s, 'a foreground save');
  const err = rdbSaveTo(s, rdbPath(s));
  const st = statsOf(s);
  if (err !== null) {
    st.lastStatus = 'err';
    updateGate(s);
    return err;
  }
  s.log.notice('DB saved on disk');
  s.dirty = 0;
  s.lastSave = Math.floor(Date.now() / 1000);
  st.lastStatus = 'ok';
  st.saves++;
  updateGate(s);
  return null;
}

// ---------------------------------------------------------------------------------------------
// BGSAVE: a forkless snapshot (persistence/snapshot.ts) streamed to the temp file

/** how long one slice of a BGSAVE's walk runs before the event loop serves clients again */
const BGSAVE_SLICE_MS = 1;
/** a failed BGSAVE triggered by the save rules is retried after this many seconds */
const BGSAVE_RETRY_DELAY = 5;

const ERR_MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
const ERR_LOADING = 'LOADING Redis is loading the dataset in memory';

/** The save rules ([seconds, changes] pairs) of the `save` directive, parsed once per change. */
function saveRules(s: ServerState): [number, number][] {
  const st = statsOf(s);
  const text = s.config.get('save');
  if (text !== st.rulesText) {
    const parts = text.split(/\s+/).filter((x) => x !== '');
    const rules: [number, number][] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) rules.push([Number(parts[i]), Number(parts[i + 1])]);
    st.rules = rules;
    st.rulesText = text;
  }
  return st.rules;
}

/** -MISCONF applies: a save failed, rules are set and stop-writes-on-bgsave-error is on. */
function writesDenied(s: ServerState): boolean {
  const st = statsOf(s);
  return st.lastStatus === 'err' && s.config.bool('stop-writes-on-bgsave-error') && saveRules(s).length !== 0;
}

function gate(s: ServerState, isWrite: boolean, name: string, allowedWhileLoading: boolean): string | null {
  if (isWrite || name === 'ping') {
    if (writesDenied(s)) return ERR_MISCONF;
    const aofError = statsOf(s).aofError;
    if (aofError !== null) return `MISCONF Errors writing to the AOF file: ${aofError}`;
  }
  if (statsOf(s).loading && !allowedWhileLoading) return ERR_LOADING;
  return null;
}

/** Installs the dispatch gate only while something must be refused (dispatch then pays one check). */
export function updateGate(s: ServerState): void {
  const st = statsOf(s);
  const needed = st.loading || writesDenied(s) || st.aofError !== null;
  s.commandGate = needed ? (isWrite, name, loading) => gate(s, isWrite, name, loading) : null;
}

/** The AOF's write failed (msg: the error, refusing writes with -MISCONF) or works again (null). */
export function setAofWriteError(s: ServerState, msg: string | null): void {
  statsOf(s).aofError = msg;
  updateGate(s);
}

/** Whether a BGSAVE is running (walk, fsync or rename). */
export function bgsaveInProgress(s: ServerState): boolean {
  return statsOf(s).bgInProgress;
}

/** Abandons a running BGSAVE (its temp file is removed; the statistics are not touched). */
export function abortBgsave(s: ServerState, why: string): void {
  const st = statsOf(s);
  if (!st.bgInProgress) return;
  st.bgGeneration++;
  st.bgInProgress = false;
  const snap = st.snapshot;
  st.snapshot = null;
  s.log.warning(`Background saving abandoned for ${why}`);
  snap?.abort(why);
}

function bgsaveFailed(s: ServerState, msg: string): void {
  const st = statsOf(s);
  st.bgInProgress = false;
  st.snapshot = null;
  st.lastStatus = 'err';
  st.lastBgsaveTimeSec = Math.round((Date.now() - st.bgStartMs) / 1000);
  s.log.warning(`Write error saving DB on disk: ${msg}`);
  s.log.warning('Background saving error');
  updateGate(s);
}

function bgsaveSucceeded(s: ServerState, res: SnapshotResult): void {
  const st = statsOf(s);
  st.bgInProgress = false;
  st.snapshot = null;
  s.log.notice(`DB saved on disk (${res.keys} keys, ${res.earlyKeys} saved ahead of a change or lookup, ${res.earlyBytes} bytes)`);
  s.dirty = Math.max(0, s.dirty - st.dirtyBefore);
  s.lastSave = Math.floor(Date.now() / 1000);
  st.lastStatus = 'ok';
  st.lastCowSize = res.earlyBytes;
  st.lastBgsaveTimeSec = Math.round((Date.now() - st.bgStartMs) / 1000);
  s.log.notice('Background saving terminated with success');
  updateGate(s);
}

/**
 * Starts a BGSAVE (Redis's rdbSaveBackground): the snapshot of this moment streams to
 * `temp-<pid>.rdb`, which is fsynced and renamed over dir/dbfilename when complete. Returns null
 * when started, or the error (already logged).
 */
export function rdbSaveBackground(s: ServerState): string | null {
  const st = statsOf(s);
  if (st.bgInProgress) return 'Background save already in progress';
  const file = rdbPath(s);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `temp-${process.pid}.rdb`);
  st.lastBgsaveTry = Math.floor(Date.now() / 1000);
  st.dirtyBefore = s.dirty;
  st.bgStartMs = Date.now();
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    // in Redis the child opens the file: BGSAVE has started and fails afterwards
    const msg = strerror(err);
    s.log.warning(`Failed opening the temp RDB file ${path.basename(tmp)} (in server root dir ${dir}) for saving: ${msg}`);
    st.bgInProgress = true;
    st.saves++;
    const generation = ++st.bgGeneration;
    setImmediate(() => {
      if (generation === st.bgGeneration) bgsaveFailed(s, msg);
    });
    s.log.notice('Background saving started');
    return null;
  }
  const generation = ++st.bgGeneration;
  const discard = (): void => {
    close(fd, () => unlink(tmp, () => {}));
  };
  const done = (err: Error | null, res: SnapshotResult): void => {
    if (generation !== st.bgGeneration) return discard();
    st.snapshot = null;
    if (err !== null) {
      discard();
      return bgsaveFailed(s, err instanceof RdbError ? err.message : strerror(err));
    }
    // the walk is over; fsync, close and rename run off the event loop
    fsync(fd, (e1) => {
      close(fd, (e2) => {
        if (generation !== st.bgGeneration) return unlink(tmp, () => {});
        const e = e1 ?? e2;
        if (e) {
          unlink(tmp, () => {});
          return bgsaveFailed(s, strerror(e));
        }
        rename(tmp, file, (e3) => {
          if (generation !== st.bgGeneration) return; // abandoned while renaming: the file is whole
          if (e3) {
            unlink(tmp, () => {});
            return bgsaveFailed(s, strerror(e3));
          }
          bgsaveSucceeded(s, res);
        });
      });
    });
  };
  st.bgInProgress = true;
  try {
    st.snapshot = new Snapshot(
      s.dbs,
      { ...fileSaveOptions(s), sliceMs: BGSAVE_SLICE_MS },
      (chunk) => writeAll(fd, chunk),
      done,
    );
  } catch (err) {
    st.bgInProgress = false;
    discard();
    return strerror(err);
  }
  // Redis counts a BGSAVE in rdb_saves when its child starts, whatever becomes of it
  st.saves++;
  s.log.notice('Background saving started');
  return null;
}

/**
 * A point-in-time RDB image of the dataset streamed to `sink` (for a replication full sync: chunks
 * are reused after the call, so copy them; pause()/resume() the returned snapshot for backpressure).
 * Null while another snapshot (a BGSAVE) runs: only one can run at a time.
 */
export function startSnapshot(s: ServerState, sink: (chunk: Buffer) => void, done: (err: Error | null, res: SnapshotResult) => void): Snapshot | null {
  if (s.dbs.some((db) => db.snap !== null)) return null;
  return new Snapshot(
    s.dbs,
    { ...fileSaveOptions(s), sliceMs: BGSAVE_SLICE_MS },
    sink,
    done,
  );
}

/** The cron's part (Redis's serverCron): save rules and scheduled BGSAVEs. */
function saveCron(s: ServerState): void {
  const st = statsOf(s);
  if (st.bgInProgress || st.loading || s.dbs.some((db) => db.snap !== null)) return;
  const unix = Math.floor(Date.now() / 1000);
  const mayRetry = unix - st.lastBgsaveTry > BGSAVE_RETRY_DELAY || st.lastStatus === 'ok';
  if (!mayRetry) return;
  for (const [seconds, changes] of saveRules(s)) {
    if (s.dirty >= changes && unix - s.lastSave > seconds) {
      s.log.notice(`${changes} changes in ${seconds} seconds. Saving...`);
      rdbSaveBackground(s);
      return;
    }
  }
  if (st.scheduled && rdbSaveBackground(s) === null) st.scheduled = false;
}

function bgsaveCommand(c: Client, argv: string[], s: ServerState): void {
  // SCHEDULE only matters while another child (an AOF rewrite) runs in Redis: none here
  if (argv.length > 1 && !(argv.length === 2 && is(argv[1]!, 'schedule'))) return c.error(ERR_SYNTAX);
  const st = statsOf(s);
  if (st.bgInProgress) return c.error('ERR Background save already in progress');
  if (s.dbs.some((db) => db.snap !== null)) {
    // another snapshot runs (an AOF rewrite, a full sync): as Redis while another child is active
    if (argv.length === 2) {
      st.scheduled = true;
      return c.simple('Background saving scheduled');
    }
    return c.error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
  }
  if (c.inExec) {
    // Redis cannot fork inside EXEC either: it runs from the cron right after
    st.scheduled = true;
    return c.simple('Background saving scheduled');
  }
  if (rdbSaveBackground(s) !== null) return c.error('ERR');
  c.simple('Background saving started');
}

/** How a load feeds the keyspace and the log (shared by the one-go and the sliced loads). */
function loadOptions(s: ServerState, buf: Buffer, log: boolean, dropExpired: boolean, functions: LibraryPolicy): LoadOptions {
  return {
    // 'flush' has emptied the libraries before the load: what the image holds must then be new
    onFunction: (code) => installLibrary(s, code, functions === 'replace' ? 'replace' : 'append'),
    limits: loadLimits(s),
    databases: s.dbs.length,
    checksum: s.config.bool('rdbchecksum'),
    dropExpired,
    onAux: (name, value) => {
      if (!log) return;
      if (name === 'redis-ver') s.log.notice(`Loading RDB produced by version ${value}`);
      else if (name === 'ctime') {
        const age = Math.floor(Date.now() / 1000) - Number(value);
        s.log.notice(`RDB age ${age < 0 ? 0 : age} seconds`);
      } else if (name === 'used-mem') s.log.notice(`RDB memory usage when created ${(Number(value) / (1024 * 1024)).toFixed(2)} Mb`);
    },
    onKey: (k) => {
      const db = s.dbs[k.db]!;
      let slot = db.map.get(k.key);
      if (slot === undefined) slot = db.add(k.key, k.value);
      else {
        // a key met twice (NOFLUSH/MERGE reloads): the file's value wins
        db.set(k.key, k.value);
      }
      if (k.expireAt !== -1) db.setExpire(k.key, k.expireAt);
      const stamp = loadedStamp(k.idle, k.freq);
      if (stamp !== null) db.lru[slot] = stamp;
      db.account(slot, keyUsage(k.key, k.value, k.expireAt !== -1));
    },
    progress: log ? (bytes, keys) => s.log.verbose(`Loading RDB: ${keys} keys, ${((bytes / buf.length) * 100).toFixed(0)}% of the file`) : undefined,
  };
}

function loaded(s: ServerState, res: LoadResult, log: boolean, started: number): void {
  const st = statsOf(s);
  st.lastLoadLoaded = res.keysLoaded;
  st.lastLoadExpired = res.keysExpired;
  if (log) {
    s.log.notice(`Done loading RDB, keys loaded: ${res.keysLoaded}, keys expired: ${res.keysExpired}.`);
    s.log.notice(`DB loaded from disk: ${((Date.now() - started) / 1000).toFixed(3)} seconds`);
  }
}

/**
 * Loads an RDB image into the server's databases in one go (added to what is there; the caller
 * empties them first when it must). Throws RdbError when the image is malformed.
 */
export function rdbLoadBuffer(s: ServerState, buf: Buffer, opts: { dropExpired?: boolean; log?: boolean; functions?: LibraryPolicy } = {}): LoadResult {
  const log = opts.log === true;
  const started = Date.now();
  clock.refresh();
  // a replica's full sync replaces the whole dataset, libraries included (Redis's emptyData)
  const functions = opts.functions ?? (s.isReplica ? 'flush' : 'append');
  if (functions === 'flush') flushLibraries(s);
  const res = loadRdb(buf, loadOptions(s, buf, log, opts.dropExpired ?? !s.isReplica, functions));
  loaded(s, res, log, started);
  return res;
}

/** how long one slice of start-up loading runs before clients get their -LOADING replies */
const LOAD_SLICE_MS = 10;
/** start-up loading logs its progress this often */
const LOAD_PROGRESS_MS = 2000;

/**
 * Start-up: loads dir/dbfilename when it exists, in slices between event-loop turns so the server
 * (already listening) answers meanwhile: INFO says loading:1 and other commands get -LOADING, as
 * Redis does while it loads. Returns null when there is no file, else a promise that settles when
 * loading ends; it rejects with Redis's wording when the file cannot be loaded (tredis-server then
 * exits, as Redis).
 */
export function startLoading(s: ServerState): Promise<void> | null {
  const file = rdbPath(s);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return Promise.reject(new Error(`Fatal error loading the DB: ${strerror(err)}. Exiting.`));
  }
  const st = statsOf(s);
  st.loading = true;
  updateGate(s);
  const started = Date.now();
  st.loadStart = Math.floor(started / 1000);
  st.loadTotal = buf.length;
  st.loadLoaded = 0;
  st.loadUsedMem = 0;
  let lastProgress = started;
  const fail = (err: unknown): Error => {
    st.loading = false;
    updateGate(s);
    const msg = err instanceof Error ? err.message : String(err);
    s.log.warning(`Fatal error loading the DB: ${msg}. Exiting.`);
    return new Error(`Fatal error loading the DB: ${msg}. Exiting.`);
  };
  return new Promise<void>((resolve, reject) => {
    let loader: RdbLoader;
    try {
      const opts = loadOptions(s, buf, true, !s.isReplica, 'append');
      const onAux = opts.onAux!;
      opts.onAux = (name, value) => {
        if (name === 'used-mem') st.loadUsedMem = Number(value) || 0;
        onAux(name, value);
      };
      loader = new RdbLoader(buf, opts);
    } catch (err) {
      reject(fail(err));
      return;
    }
    const step = (): void => {
      try {
        clock.refresh();
        if (!loader.step(performance.now() + LOAD_SLICE_MS)) {
          st.loadLoaded = loader.position;
          const now = Date.now();
          if (now - lastProgress >= LOAD_PROGRESS_MS) {
            lastProgress = now;
            s.log.notice(`Loading RDB: ${loader.result.keysLoaded} keys loaded, ${((loader.position / buf.length) * 100).toFixed(1)}% of ${buf.length} bytes`);
          }
          setImmediate(step);
          return;
        }
      } catch (err) {
        reject(fail(err));
        return;
      }
      const finish = (): void => {
        st.loading = false;
        updateGate(s);
        loaded(s, loader.result, true, started);
        resolve();
      };
      // libraries met before the Lua VM was ready are installed first (callbacks run in order)
      if (librariesPending(s)) whenLuaReady(finish);
      else finish();
    };
    step();
  });
}

/**
 * Marks the dataset as loading or loaded for another loader (the AOF): clients get -LOADING and
 * INFO shows loading:1 with the figures given, as during an RDB load.
 */
export function setLoading(s: ServerState, on: boolean, total = 0, loadedBytes = 0): void {
  const st = statsOf(s);
  if (on && !st.loading) {
    st.loadStart = Math.floor(Date.now() / 1000);
    st.loadUsedMem = 0;
  }
  st.loadTotal = total;
  st.loadLoaded = loadedBytes;
  if (st.loading !== on) {
    st.loading = on;
    updateGate(s);
  }
}

/** Start-up loading in one go, before the server listens (kept for embedders that want it). */
export function loadAtStartup(s: ServerState): void {
  const file = rdbPath(s);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`Fatal error loading the DB: ${strerror(err)}. Exiting.`);
  }
  try {
    rdbLoadBuffer(s, buf, { log: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    s.log.warning(`Fatal error loading the DB: ${msg}. Exiting.`);
    throw new Error(`Fatal error loading the DB: ${msg}. Exiting.`);
  }
}

/** Installs the persistence hooks and INFO fields on a new server. */
export function installPersistence(s: ServerState): void {
  warmUpCrc64();
  const st = statsOf(s);
  s.shutdownSave = () => rdbSave(s);
  s.afterFlushAll = () => {
    abortBgsave(s, 'FLUSHALL');
    if (saveRules(s).length === 0) return;
    // Redis's flushAllDataAndResetRDB: the empty dataset replaces the dump (not counted in rdb_saves)
    if (rdbSaveTo(s, rdbPath(s)) === null) {
      s.dirty = 0;
      s.lastSave = Math.floor(Date.now() / 1000);
      st.lastStatus = 'ok';
    } else st.lastStatus = 'err';
    updateGate(s);
  };
  s.infoFields.set('rdb_saves', () => st.saves);
  s.infoFields.set('rdb_last_bgsave_status', () => st.lastStatus);
  s.infoFields.set('loading', () => (st.loading ? 1 : 0));
  s.infoFields.set('loading_start_time', () => st.loadStart);
  s.infoFields.set('loading_total_bytes', () => st.loadTotal);
  s.infoFields.set('loading_rdb_used_mem', () => st.loadUsedMem);
  s.infoFields.set('loading_loaded_bytes', () => st.loadLoaded);
  s.infoFields.set('loading_loaded_perc', () => (st.loadTotal === 0 ? 0 : (st.loadLoaded / st.loadTotal) * 100).toFixed(2));
  s.infoFields.set('loading_eta_seconds', () => {
    // as Redis: elapsed time scaled by what is left; 1 until there is something to scale
    const elapsed = Date.now() / 1000 - st.loadStart;
    return st.loadLoaded === 0 ? 1 : Math.floor((elapsed * (st.loadTotal - st.loadLoaded)) / st.loadLoaded);
  });
  s.infoFields.set('rdb_bgsave_in_progress', () => (st.bgInProgress ? 1 : 0));
  s.infoFields.set('rdb_last_bgsave_time_sec', () => st.lastBgsaveTimeSec);
  s.infoFields.set('rdb_current_bgsave_time_sec', () => (st.bgInProgress ? Math.round((Date.now() - st.bgStartMs) / 1000) : -1));
  s.infoFields.set('rdb_last_cow_size', () => st.lastCowSize);
  s.infoFields.set('current_cow_size', () => st.snapshot?.earlyBytes ?? 0);
  s.infoFields.set('current_cow_peak', () => st.snapshot?.earlyBytes ?? 0);
  s.infoFields.set('current_save_keys_processed', () => st.snapshot?.written ?? 0);
  s.infoFields.set('current_save_keys_total', () => st.snapshot?.total ?? 0);
  s.onCron.push(() => saveCron(s));
  // a server closing without a final save leaves no half-written temp file behind
  s.onClose.push(() => abortBgsave(s, 'shutdown'));
  s.config.onChange('save', () => updateGate(s));
  s.config.onChange('stop-writes-on-bgsave-error', () => updateGate(s));
  s.infoFields.set('rdb_last_load_keys_loaded', () => st.lastLoadLoaded);
  s.infoFields.set('rdb_last_load_keys_expired', () => st.lastLoadExpired);
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty, load the file again. */
export function debugReload(c: Client, argv: string[], s: ServerState): void {
  let flush = true;
  let save = true;
  let merge = false;
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j]!;
    if (is(opt, 'merge')) merge = true;
    else if (is(opt, 'nosave')) save = false;
    else if (is(opt, 'noflush')) flush = false;
    else return c.error('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
  }
  // a save resets the dirty counter: that is no change to propagate (Redis's call() sees none either)
  c.propagateAs = [];
  if (save && rdbSave(s) !== null) return c.error('ERR');
  let buf: Buffer;
  try {
    buf = readFileSync(rdbPath(s));
  } catch {
    return c.error('ERR Error trying to load the RDB dump');
  }
  if (flush) emptyData(s, -1, 'sync');
  try {
    // as Redis: flushing empties the libraries too; NOFLUSH fails on one that exists, MERGE replaces it
    const functions = flush ? 'flush' : merge ? 'replace' : 'append';
    rdbLoadBuffer(s, buf, { dropExpired: !merge && !s.isReplica, functions });
  } catch (err) {
    s.log.warning(`Error loading the RDB dump: ${err instanceof Error ? err.message : String(err)}`);
    return c.error('ERR Error trying to load the RDB dump');
  }
  s.log.notice('DB reloaded by DEBUG RELOAD');
  c.ok();
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE live in dump.ts

/** What the value takes in an RDB file (DEBUG OBJECT's serializedlength): its DUMP minus framing. */
export function serializedLength(v: Value, s: ServerState): number {
  try {
    return dumpPayload(v, saveOptions(s)).length - 11;
  } catch {
    return 0;
  }
}

function saveCommand(c: Client, _argv: string[], s: ServerState): void {
  if (statsOf(s).bgInProgress) return c.error('ERR Background save already in progress');
  // the dirty counter goes to 0: not a change to propagate
  c.propagateAs = [];
  if (rdbSave(s) !== null) return c.error('ERR');
  c.ok();
}

register([
  {
    name: 'bgsave',
    arity: -1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'Asynchronously save the dataset to disk', since: '1.0.0', group: 'server', complexity: 'O(1)', args: '[SCHEDULE]' },
    handler: bgsaveCommand,
  },
  {
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'Synchronously save the dataset to disk', since: '1.0.0', group: 'server', complexity: 'O(N) where N is the total number of keys in all databases' },
    handler: saveCommand,
  },
]);

