/*
 * The on-disk pieces of Redis 7's multi-part append-only file, as pure functions: the manifest
 * (one `file <name> seq <n> type <b|h|i>` line per file: the base, history files awaiting deletion,
 * then the incremental files in order) and a reader for the RESP command stream of .aof files.
 *
 * The reader is its own small RESP-array parser rather than the network parser: an AOF holds only
 * multibulk commands (anything else is a damaged file, never an inline command), it must not apply
 * the network's limits (proto-max-bulk-len), and the loader needs the exact byte offset after the
 * last whole command to truncate a torn tail (aof-load-truncated).
 */

import { dumpPayload, loadRdb, type LoadLimits, type SaveOptions } from './rdb';

export type AofFileType = 'b' | 'h' | 'i';

export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface AofManifest {
  base: AofFileInfo | null;
  incrs: AofFileInfo[];
  history: AofFileInfo[];
}

export class AofFormatError extends Error {}

/**
 * Turns an RDB image into AOF commands (a base file for aof-use-rdb-preamble no): per database a
 * SELECT, then per key `RESTORE key <abs ms | 0> <DUMP payload> REPLACE ABSTTL`, which Redis 7.0
 * runs as any other command when it loads the base. Keys already expired are left out. FUNCTION
 * libraries come first, as `FUNCTION LOAD <code>` (what Redis 7.0 writes there too).
 */
export function rdbImageToCommands(buf: Buffer, limits: LoadLimits, save: SaveOptions, databases: number, write: (chunk: string) => void): void {
  let db = -1;
  loadRdb(buf, {
    limits,
    databases,
    checksum: false,
    dropExpired: true,
    onFunction: (code) => write(encodeArgs(['FUNCTION', 'LOAD', code])),
    onKey: (k) => {
      if (k.db !== db) {
        db = k.db;
        write(encodeArgs(['SELECT', String(db)]));
      }
      const p = dumpPayload(k.value, save);
      const payload = p.latin1Slice(0, p.length);
      write(encodeArgs(['RESTORE', k.key, k.expireAt === -1 ? '0' : String(k.expireAt), payload, 'REPLACE', 'ABSTTL']));
    },
  });
}

function encodeArgs(argv: readonly string[]): string {
  let out = '*' + argv.length + '\r\n';
  for (const a of argv) out += '$' + a.length + '\r\n' + a + '\r\n';
  return out;
}

/** Splits a manifest line as Redis's sdssplitargs does for the plain and double-quoted words it writes. */
function splitWords(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    let word = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) {
          const n = line[i + 1]!;
          word += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n;
          i += 2;
        } else word += line[i++];
      }
      if (line[i] !== '"') throw new AofFormatError('Invalid AOF manifest file format');
      i++;
    } else {
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') word += line[i++];
    }
    out.push(word);
  }
  return out;
}

/** Parses a manifest; throws AofFormatError with Redis's wording when it is malformed. */
export function parseManifest(text: string): AofManifest {
  const m: AofManifest = { base: null, incrs: [], history: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitWords(line);
    if (words.length % 2 !== 0) throw new AofFormatError('Invalid AOF manifest file format');
    let name: string | null = null;
    let seq = -1;
    let type: string | null = null;
    for (let j = 0; j < words.length; j += 2) {
      const k = words[j]!;
      const v = words[j + 1]!;
      if (k === 'file') name = v;
      else if (k === 'seq') seq = Number(v);
      else if (k === 'type') type = v;
    }
    if (name === null || !Number.isInteger(seq) || seq < 0 || (type !== 'b' && type !== 'h' && type !== 'i')) {
      throw new AofFormatError('Invalid AOF manifest file format');
    }
    const info: AofFileInfo = { name, seq, type };
    if (type === 'b') {
      if (m.base !== null) throw new AofFormatError('Found duplicate base file information');
      m.base = info;
    } else if (type === 'i') {
      const last = m.incrs[m.incrs.length - 1];
      if (last !== undefined && seq <= last.seq) throw new AofFormatError('Found a non-monotonic sequence number');
      m.incrs.push(info);
    } else m.history.push(info);
  }
  if (m.base === null && m.incrs.length === 0) throw new AofFormatError('Found an empty AOF manifest');
  return m;
}

function word(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !name.includes('"') ? name : JSON.stringify(name);
}

function line(f: AofFileInfo): string {
  return `file ${word(f.name)} seq ${f.seq} type ${f.type}\n`;
}

/** The manifest's text, in Redis's order: base, history, incrementals. */
export function formatManifest(m: AofManifest): string {
  let out = '';
  if (m.base !== null) out += line(m.base);
  for (const h of m.history) out += line(h);
  for (const i of m.incrs) out += line(i);
  return out;
}

export function baseName(prefix: string, seq: number, rdb: boolean): string {
  return `${prefix}.${seq}.base.${rdb ? 'rdb' : 'aof'}`;
}

export function incrName(prefix: string, seq: number): string {
  return `${prefix}.${seq}.incr.aof`;
}

export function manifestName(prefix: string): string {
  return `${prefix}.manifest`;
}

export interface ReadResult {
  /** offset after the last whole command */
  valid: number;
  /** offset after the last whole command outside MULTI/EXEC (where a torn transaction starts) */
  validOutsideMulti: number;
  /** the stream ends in the middle of a command, or inside MULTI without its EXEC */
  truncated: boolean;
  /** the file holds something that is not a command */
  badFormat: boolean;
  /** `pause` asked to stop (outside MULTI/EXEC): resume from `valid` */
  paused: boolean;
}

/** Reads `\r\n`-terminated decimal after `prefix` at pos; returns [value, next] or null when incomplete. */
function readLine(buf: Buffer, pos: number): [string, number] | null {
  const end = buf.indexOf(13, pos);
  if (end === -1 || end + 1 >= buf.length) return null;
  if (buf[end + 1] !== 10) return ['\0bad', end];
  return [buf.latin1Slice(pos, end), end + 2];
}

/**
 * Calls `run` with each command of an AOF stream starting at `from` (RESP arrays of bulk strings,
 * arguments as latin1 strings). Stops at a torn tail or at something that is not a command.
 */
export function readCommands(buf: Buffer, from: number, run: (argv: string[]) => void, pause?: () => boolean): ReadResult {
  let pos = from;
  let valid = from;
  let outside = from;
  let inMulti = false;
  const res = (truncated: boolean, badFormat: boolean, paused = false): ReadResult => ({
    valid,
    validOutsideMulti: outside,
    truncated: truncated || inMulti,
    badFormat,
    paused,
  });
  while (pos < buf.length) {
    if (buf[pos] === 35 /* '#' */) {
      // an annotation (aof-timestamp-enabled's `#TS:<unix>`): skipped, as Redis does
      const end = buf.indexOf(10, pos);
      if (end === -1) return res(true, false);
      pos = end + 1;
      valid = pos;
      if (!inMulti) outside = pos;
      continue;
    }
    if (buf[pos] !== 42 /* '*' */) return res(false, true);
    const head = readLine(buf, pos + 1);
    if (head === null) return res(true, false);
    const argc = Number(head[0]);
    if (!Number.isInteger(argc) || argc < 1) return res(false, true);
    let p = head[1];
    const argv: string[] = new Array<string>(argc);
    for (let j = 0; j < argc; j++) {
      if (p >= buf.length) return res(true, false);
      if (buf[p] !== 36 /* '$' */) return res(false, true);
      const l = readLine(buf, p + 1);
      if (l === null) return res(true, false);
      const len = Number(l[0]);
      if (!Number.isInteger(len) || len < 0) return res(false, true);
      p = l[1];
      if (p + len + 2 > buf.length) return res(true, false);
      if (buf[p + len] !== 13 || buf[p + len + 1] !== 10) return res(false, true);
      argv[j] = buf.latin1Slice(p, p + len);
      p += len + 2;
    }
    const name = argv[0]!.toLowerCase();
    if (name === 'multi') inMulti = true;
    run(argv);
    pos = p;
    valid = p;
    if (name === 'exec') inMulti = false;
    if (!inMulti) {
      outside = p;
      if (pause !== undefined && pause()) return res(false, false, true);
    }
  }
  return res(false, false);
}
