/*
 * Reading the files an AOF manifest names, in order: an RDB base (preamble) handed to the caller's
 * RDB loader, then RESP commands handed to the caller's runner, in slices between event-loop turns
 * so the server (already listening) answers -LOADING meanwhile, or in one go for DEBUG LOADAOF. The server-side wiring (the fake
 * client, -LOADING, statistics) is in commands/aof.ts; this module only knows files and formats.
 *
 * A torn tail (a crash mid-append) of the last file is cut off with a warning when allowed
 * (aof-load-truncated); anywhere else, or a file holding something that is not a command, is fatal,
 * with Redis's wording.
 */

import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { strerror } from '../config/config';
import { clock } from '../keyspace/clock';
import { readCommands, type AofManifest, type ReadResult } from './aof-format';

/** how long one slice of loading runs before clients get their -LOADING replies */
const LOAD_SLICE_MS = 10;

export interface AofLoadHooks {
  run: (argv: string[]) => void;
  loadRdb: (buf: Buffer) => void;
  truncatedOk: boolean;
  warning: (msg: string) => void;
  notice: (msg: string) => void;
  progress: (total: number, loaded: number) => void;
}

export interface AofSizes {
  baseSize: number;
  incrSize: number;
}

/**
 * Loads the files in slices between event-loop turns; resolves with the sizes they have afterwards
 * (a cut tail is not counted).
 */
export async function loadAofFiles(dir: string, m: AofManifest, h: AofLoadHooks): Promise<AofSizes> {
  const steps = loadSteps(dir, m, h, true);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Loads the files in one go (DEBUG LOADAOF: Redis blocks while it reloads, and so do we). */
export function loadAofFilesSync(dir: string, m: AofManifest, h: AofLoadHooks): AofSizes {
  const r = loadSteps(dir, m, h, false).next();
  if (r.done !== true) throw new Error('AOF loading paused in a blocking load');
  return r.value;
}

/** The loading itself; yields where the sliced loader lets the event loop run. */
function* loadSteps(dir: string, m: AofManifest, h: AofLoadHooks, sliced: boolean): Generator<void, AofSizes, void> {
  let baseSize = 0;
  let incrSize = 0;
  const files = [...(m.base ? [m.base] : []), ...m.incrs];
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const fp = path.join(dir, f.name);
    let buf: Buffer;
    try {
      // a device would never end (Redis reads the size it stats): only regular files
      if (!statSync(fp).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
      buf = readFileSync(fp);
    } catch (err) {
      if (f.type === 'i' && (err as NodeJS.ErrnoException).code === 'ENOENT' && i === files.length - 1) continue;
      throw new Error(`Fatal error: can't open the append log file ${f.name} for reading: ${strerror(err)}`);
    }
    h.progress(buf.length, 0);
    let from = 0;
    if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
      if (f.type !== 'b') throw new Error(`Bad file format reading the append only file ${f.name}`);
      h.loadRdb(buf);
      from = buf.length;
    }
    let r: ReadResult;
    for (;;) {
      clock.refresh();
      const deadline = performance.now() + LOAD_SLICE_MS;
      r = readCommands(buf, from, h.run, () => sliced && performance.now() >= deadline);
      if (!r.paused) break;
      from = r.valid;
      h.progress(buf.length, from);
      yield;
    }
    if (r.badFormat) throw new Error(`Bad file format reading the append only file ${f.name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`);
    let len = buf.length;
    if (r.truncated) {
      if (i !== files.length - 1 || !h.truncatedOk) {
        throw new Error(`Unexpected end of file reading the append only file ${f.name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`);
      }
      // an EXEC that never came: the queued commands were not applied (the caller drops the MULTI)
      if (r.valid !== r.validOutsideMulti) h.warning('Revert incomplete MULTI/EXEC transaction in AOF file');
      len = r.validOutsideMulti;
      h.warning(`!!! Warning: short read while loading the AOF file ${f.name}!!!`);
      h.warning(`AOF ${f.name} loaded anyway because aof-load-truncated is enabled`);
      const tfd = openSync(fp, 'r+');
      try {
        ftruncateSync(tfd, len);
        fsyncSync(tfd);
      } finally {
        closeSync(tfd);
      }
    }
    if (f.type === 'b') baseSize = len;
    else incrSize += len;
    h.notice(`DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}`);
  }
  return { baseSize, incrSize };
}
