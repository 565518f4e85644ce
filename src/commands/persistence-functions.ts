/*
 * FUNCTION libraries in persistence: what RDB images (SAVE, BGSAVE, DEBUG RELOAD, full syncs, AOF
 * preambles) carry besides keys, as Redis 7.0 does (opcode 245 + the library code, before the
 * databases). The RDB format code (persistence/rdb.ts) knows no Lua: it takes the codes to write
 * and hands back each code it reads; this module connects that to the server's script engine.
 *
 * The Lua VM loads asynchronously at start-up. A library met while it is still loading is kept and
 * installed as soon as the VM is ready (whenLuaReady runs callbacks in order, so it is installed
 * before any FCALL that waited for the VM); start-up loading waits for that before it ends, so
 * clients see -LOADING until the libraries are in.
 *
 * Policies, as Redis 7.0's loaders: a load that replaced the whole dataset (start-up, DEBUG RELOAD,
 * a replica's full sync) starts from no libraries ('flush'); DEBUG RELOAD NOFLUSH fails on a library
 * that already exists ('append', Redis: "Failed loading library, Library 'x' already exists"); MERGE
 * replaces it ('replace').
 */

import { RdbError } from '../persistence/rdb-format';
import { engineOf, existingEngine } from '../scripting/engine';
import { loadLibrary, registryOf } from '../scripting/functions';
import { whenLuaReady } from '../scripting/lua';
import type { ServerState } from '../state';

export type LibraryPolicy = 'flush' | 'append' | 'replace';

/** The code of every loaded library, in the order they were loaded (what an image carries). */
export function libraryCodes(s: ServerState): string[] {
  const e = existingEngine(s);
  if (e === undefined) return [];
  const out: string[] = [];
  for (const lib of registryOf(e).libraries.values()) out.push(lib.code);
  return out;
}

/** Removes every library (a whole-dataset load replacing what was there). */
export function flushLibraries(s: ServerState): void {
  const e = existingEngine(s);
  if (e !== undefined) registryOf(e).clear(e);
}

const pending = new WeakMap<ServerState, string[]>();

/** Libraries read while the VM was loading, not installed yet. */
export function librariesPending(s: ServerState): boolean {
  return (pending.get(s)?.length ?? 0) !== 0;
}

/**
 * Installs a library read from an image. Throws RdbError (the load fails, as in Redis) when its code
 * does not load or, under 'append', when the library exists.
 */
export function installLibrary(s: ServerState, code: string, policy: LibraryPolicy): void {
  const e = engineOf(s);
  if (e === null) {
    let list = pending.get(s);
    if (list === undefined) {
      list = [];
      pending.set(s, list);
      whenLuaReady(() => installPending(s, policy));
    }
    list.push(code);
    return;
  }
  const r = loadLibrary(e, code, policy === 'replace');
  if (typeof r !== 'string') throw new RdbError(`Failed loading library, ${r.error.replace(/^ERR /, '')}`);
}

function installPending(s: ServerState, policy: LibraryPolicy): void {
  const list = pending.get(s) ?? [];
  pending.delete(s);
  if (engineOf(s) === null) {
    if (list.length !== 0) s.log.warning(`${list.length} function libraries could not be loaded: the Lua engine is not available`);
    return;
  }
  for (const code of list) {
    try {
      installLibrary(s, code, policy);
    } catch (err) {
      s.log.warning((err as Error).message);
    }
  }
}

/**
 * Puts back the libraries a failed load replaced (codes from libraryCodes() taken before it): for a
 * replica's swapdb load, where Redis keeps the old dataset, libraries included, when the new one
 * does not parse. Not for DEBUG RELOAD or other loads: Redis leaves them without libraries then.
 */
export function restoreLibraries(s: ServerState, codes: readonly string[]): void {
  flushLibraries(s);
  pending.delete(s);
  for (const code of codes) {
    try {
      installLibrary(s, code, 'replace');
    } catch (err) {
      s.log.warning((err as Error).message);
    }
  }
}
