/*
 * Loading the append-only file into the server: at start-up (in slices once the server listens,
 * clients getting -LOADING meanwhile) and for DEBUG LOADAOF (in one go, as Redis blocks for it).
 * The files and formats are persistence/aof-load.ts; this module adds the server side: a client of
 * kind 'master' that runs the commands (no gates, replies dropped), the loading state, the Lua VM
 * that FUNCTION LOAD needs, and what a reload must not do (propagate what it runs again).
 * It works on the AOF's state through AofTarget (commands/aof.ts's Aof), so the dependency points
 * one way: aof.ts imports this module, not the reverse.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '../client';
import { strerror } from '../config/config';
import { execute } from '../exec';
import { AofFormatError, manifestName, parseManifest, type AofManifest } from '../persistence/aof-format';
import { loadAofFiles, loadAofFilesSync, type AofLoadHooks } from '../persistence/aof-load';
import { RdbError } from '../persistence/rdb-format';
import { luaLoaded } from '../scripting/lua';
import type { ServerState } from '../state';
import { rdbLoadBuffer, setLoading } from './persistence';
import { flushLibraries } from './persistence-functions';
import { emptyData } from './server';

/** What loading reads and updates of the AOF's state. */
export interface AofTarget {
  readonly s: ServerState;
  readonly dir: string;
  readonly prefix: string;
  readonly enabled: boolean;
  manifest: AofManifest | null;
  manifestValid: boolean;
  baseSize: number;
  incrSize: number;
  flush(force?: boolean): void;
}

/**
 * Loads the AOF the manifest names, in slices once the server listens (clients get -LOADING
 * meanwhile; an RDB base loads in one piece). Null when there is no manifest; the promise rejects
 * with Redis's wording when the AOF cannot be loaded.
 */
export function loadAof(a: AofTarget): Promise<void> | null {
  const dir = a.dir;
  const mpath = path.join(dir, manifestName(a.prefix));
  let text: string;
  try {
    text = readFileSync(mpath, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return Promise.reject(new Error(`Fatal error: can't open the AOF manifest ${manifestName(a.prefix)} for reading: ${strerror(err)}`));
  }
  return loadFiles(a, text);
}

/** What loading runs the files' commands with: a client of kind 'master' (no gates, replies dropped). */
function loadHooks(a: AofTarget, sliced: boolean): AofLoadHooks & { done: () => void } {
  const s = a.s;
  const c = new Client(s.nextClientId++, null, s.dbs[0]!, { maxBulkLen: Number.MAX_SAFE_INTEGER, maxQueryBuffer: Number.MAX_SAFE_INTEGER, unauthenticated: false });
  c.kind = 'master';
  s.dbHooks.showExpired = true;
  return {
    run: (argv: string[]): void => {
      execute(c, argv, s);
      c.clear();
    },
    loadRdb: (buf) => rdbLoadBuffer(s, buf, { log: true }),
    truncatedOk: s.config.bool('aof-load-truncated'),
    warning: (msg) => s.log.warning(msg),
    notice: (msg) => s.log.notice(msg),
    progress: sliced ? (total, loaded) => setLoading(s, true, total, loaded) : () => {},
    done: () => {
      s.dbHooks.showExpired = false;
      c.multi = null;
    },
  };
}

async function loadFiles(a: AofTarget, text: string): Promise<void> {
  const s = a.s;
  const dir = a.dir;
  const started = Date.now();
  setLoading(s, true);
  const hooks = loadHooks(a, true);
  try {
    // FUNCTION LOAD in the files (and libraries in an RDB base) need the Lua VM, which loads
    // asynchronously at start-up: without it they would fail, unseen, and the libraries be lost
    await luaLoaded();
    const m = parseManifest(text);
    const sizes = await loadAofFiles(dir, m, hooks);
    a.baseSize = sizes.baseSize;
    a.incrSize = sizes.incrSize;
    a.manifest = m;
  } catch (err) {
    const msg = loadErrorText(err);
    s.log.warning(msg);
    throw new Error(msg);
  } finally {
    hooks.done();
    setLoading(s, false);
  }
  s.dirty = 0;
  a.manifestValid = true;
  s.log.notice(`DB loaded from append only file: ${((Date.now() - started) / 1000).toFixed(3)} seconds`);
}

/**
 * DEBUG LOADAOF (Redis's debug.c): writes what is buffered, empties the dataset (libraries too)
 * and loads the AOF on disk again, in one go, whether appendonly is on or not (off, it loads
 * what an earlier appendonly period left). What it runs is not propagated: the AOF has it, and
 * Redis's replicas are not sent it either. Returns null, or why nothing could be loaded (Redis then
 * exits).
 */
export function reloadAof(a: AofTarget): string | null {
  const s = a.s;
  if (a.enabled) a.flush(true);
  emptyData(s, -1, 'sync');
  flushLibraries(s);
  let text: string;
  try {
    text = readFileSync(path.join(a.dir, manifestName(a.prefix)), 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `no append only file to load in ${a.dir}`;
    return `can't open the AOF manifest ${manifestName(a.prefix)} for reading: ${strerror(err)}`;
  }
  const sinks = [s.propagation.aof, s.propagation.replication] as const;
  s.propagation.aof = null;
  s.propagation.replication = null;
  const hooks = loadHooks(a, false);
  try {
    const m = parseManifest(text);
    if (m.base === null && m.incrs.length === 0) return `no append only file to load in ${a.dir}`;
    const sizes = loadAofFilesSync(a.dir, m, hooks);
    a.baseSize = sizes.baseSize;
    a.incrSize = sizes.incrSize;
    // while appending, the manifest in memory is the one on disk (and names the open file)
    if (!a.enabled) a.manifest = m;
  } catch (err) {
    return loadErrorText(err);
  } finally {
    hooks.done();
    [s.propagation.aof, s.propagation.replication] = sinks;
  }
  s.dirty = 0;
  return null;
}

function loadErrorText(err: unknown): string {
  if (err instanceof AofFormatError || err instanceof RdbError) return `Bad file format reading the append only file: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
