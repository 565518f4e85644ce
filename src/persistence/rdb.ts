/*
 * RDB values and files, as Redis 7.0 writes them (RDB version 10), on top of the byte-level codecs
 * in rdb-format.ts. Pure functions of the keyspace: no server state, so the same code serves SAVE,
 * DEBUG RELOAD, DUMP/RESTORE, start-up loading and (later) BGSAVE and replication full syncs.
 *
 * Writing picks the encoding our types report, the same Redis would hold (listpack/intset while
 * small, hashtable/skiplist after), so real Redis loads our files with the same OBJECT ENCODING and
 * DUMP of a small value is byte for byte Redis's. Lists are written as Redis 7.0 holds them: a
 * quicklist of listpack nodes filled up to list-max-listpack-size with its size estimate.
 *
 * Loading accepts every type Redis 7.0 can read, including the older encodings (ziplist, zipmap,
 * quicklist of ziplists, plain lists, text-double zsets) and converts each into our types with the
 * encoding Redis would give it after loading (e.g. a hash listpack over hash-max-listpack-entries
 * becomes a hashtable). Streams are in rdb-stream.ts. Module values cannot be loaded (as in Redis without the module).
 * FUNCTION libraries (opcode 245 + code, before the databases) are written from the codes the
 * caller passes and handed back to its onFunction as read: this module knows no Lua.
 */

import { performance } from 'node:perf_hooks';
import { canonicalInt } from '../args';
import type { Db, Value } from '../keyspace/db';
import { clock } from '../keyspace/clock';
import { idleMs, lfuCounter } from '../keyspace/lru';
import { HashValue } from '../types/hash';
import { ListValue } from '../types/list';
import { SetValue } from '../types/set';
import { StreamValue } from '../types/stream';
import { ZSetValue } from '../types/zset';
import {
  Crc64,
  crc64,
  listpackEntryBytes,
  RdbError,
  RdbReader,
  RdbWriter,
  readIntset,
  readListpack,
  readZiplist,
  readZipmap,
  scoreText,
  writeIntset,
  writeListpack,
} from './rdb-format';
import { readStream, writeStream } from './rdb-stream';

export const RDB_VERSION = 10;
export const REDIS_VERSION = '7.0.15';

export const T = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  STREAM_LISTPACKS_3: 21,
} as const;

const OP = {
  FUNCTION2: 245,
  FUNCTION: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

export interface SaveOptions {
  /** rdbcompression */
  compression: boolean;
  /** list-max-listpack-size (quicklist node fill) */
  listFill: number;
  /** list elements at least this long become plain quicklist nodes */
  packedThreshold: number;
}

// ---------------------------------------------------------------------------------------------
// writing values

/** Quicklist node size limits for negative list-max-listpack-size (-1..-5). */
const QL_SIZE_LEVELS = [4096, 8192, 16384, 32768, 65536];
const QL_SIZE_SAFETY_LIMIT = 8192;
/** Redis's overestimate of what one element adds to a node */
const QL_SIZE_ESTIMATE_OVERHEAD = 8;

/** Whether Redis 7.0 would append an element of length sz to a node of nodeBytes/count. */
function nodeAllows(nodeBytes: number, count: number, sz: number, fill: number): boolean {
  const newSz = nodeBytes + sz + QL_SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) return newSz <= QL_SIZE_LEVELS[Math.min(-fill - 1, QL_SIZE_LEVELS.length - 1)]!;
  if (newSz > QL_SIZE_SAFETY_LIMIT) return false;
  return count + 1 <= fill;
}

function writeList(w: RdbWriter, l: ListValue, opts: SaveOptions, key: string | null): void {
  // split into nodes as a quicklist built by pushing at the tail would be
  const items = l.toArray();
  const nodes: (string[] | string)[] = [];
  let cur: string[] | null = null;
  let curBytes = 0;
  for (const e of items) {
    if (e.length >= opts.packedThreshold) {
      nodes.push(e);
      cur = null;
      continue;
    }
    if (cur === null || !nodeAllows(curBytes, cur.length, e.length, opts.listFill)) {
      cur = [];
      nodes.push(cur);
      curBytes = 7;
    }
    cur.push(e);
    curBytes += listpackEntryBytes(e);
  }
  w.byte(T.LIST_QUICKLIST_2);
  if (key !== null) w.string(key);
  writeNodes(w, nodes);
}

function writeNodes(w: RdbWriter, nodes: (string[] | string)[]): void {
  w.len(nodes.length);
  for (const n of nodes) {
    if (typeof n === 'string') {
      w.len(1);
      w.string(n);
    } else {
      w.len(2);
      w.blob(writeListpack(n));
    }
  }
}

/**
 * Writes the type byte and the value (Redis's rdbSaveObjectType + rdbSaveObject); in a file the key
 * goes between the two.
 */
export function writeValue(w: RdbWriter, v: Value, opts: SaveOptions, key: string | null = null): void {
  if (typeof v !== 'object') {
    w.byte(T.STRING);
    if (key !== null) w.string(key);
    w.string(v);
    return;
  }
  if (v instanceof HashValue) {
    if (v.compact) {
      w.byte(T.HASH_LISTPACK);
      if (key !== null) w.string(key);
      const elems = new Array<string>(v.size * 2);
      for (let i = 0; i < v.size; i++) {
        elems[2 * i] = v.fields[i]!;
        elems[2 * i + 1] = v.values[i]!;
      }
      w.blob(writeListpack(elems));
    } else {
      w.byte(T.HASH);
      if (key !== null) w.string(key);
      w.len(v.size);
      for (let i = 0; i < v.size; i++) {
        w.string(v.fields[i]!);
        w.string(v.values[i]!);
      }
    }
    return;
  }
  if (v instanceof SetValue) {
    if (v.intset) {
      w.byte(T.SET_INTSET);
      if (key !== null) w.string(key);
      w.blob(writeIntset(v.members));
    } else {
      w.byte(T.SET);
      if (key !== null) w.string(key);
      w.len(v.size);
      for (const m of v.members) w.string(m);
    }
    return;
  }
  if (v instanceof ZSetValue) {
    if (v.listpack) {
      w.byte(T.ZSET_LISTPACK);
      if (key !== null) w.string(key);
      const elems: string[] = [];
      for (let x = v.head; x !== null; x = x.next[0]!) elems.push(x.member, scoreText(x.score));
      w.blob(writeListpack(elems));
    } else {
      // tail to head, as Redis, so that a loader inserting at the head never searches
      w.byte(T.ZSET_2);
      if (key !== null) w.string(key);
      w.len(v.size);
      for (let x = v.tail; x !== null; x = x.prev) {
        w.string(x.member);
        w.binaryDouble(x.score);
      }
    }
    return;
  }
  if (v instanceof ListValue) return writeList(w, v, opts, key);
  if (v instanceof StreamValue) return writeStream(w, v, key);
  throw new RdbError(`cannot serialize a value of type ${v.type}`);
}

/** A DUMP payload: the value, the RDB version (2 bytes LE) and the CRC64 of both. */
export function dumpPayload(v: Value, opts: SaveOptions): Buffer {
  const w = new RdbWriter({ compression: opts.compression });
  writeValue(w, v, opts);
  w.byte(RDB_VERSION & 0xff);
  w.byte(RDB_VERSION >> 8);
  w.bytes(w.checksum());
  return Buffer.from(w.result());
}

// ---------------------------------------------------------------------------------------------
// writing files

export interface FileSaveOptions extends SaveOptions {
  /** rdbchecksum: when false the trailer is 8 zero bytes (loaders then skip the check) */
  checksum: boolean;
  /** the used-mem AUX field */
  usedMem: number;
  /** which access information to store per key: IDLE under LRU policies, FREQ under LFU */
  accessInfo: 'lru' | 'lfu' | 'none';
  /** an AOF preamble sets aof-base 1 */
  aofBase?: boolean;
  /** FUNCTION libraries (their code), written after the AUX fields as Redis 7.0 does */
  functions?: readonly string[];
  /** called every `progressEvery` keys */
  progress?: (keys: number) => void;
}

function auxField(w: RdbWriter, key: string, value: string | number): void {
  w.byte(OP.AUX);
  w.string(key);
  w.string(value);
}

/** The magic and the AUX fields that open a file. */
export function writeHeader(w: RdbWriter, opts: FileSaveOptions): void {
  w.bytes(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
  auxField(w, 'redis-ver', REDIS_VERSION);
  auxField(w, 'redis-bits', 64);
  auxField(w, 'ctime', Math.floor(Date.now() / 1000));
  auxField(w, 'used-mem', opts.usedMem);
  auxField(w, 'aof-base', opts.aofBase === true ? 1 : 0);
  // libraries go before the databases so that a loader has them before any key (Redis's order)
  for (const code of opts.functions ?? []) {
    w.byte(OP.FUNCTION2);
    w.string(code);
  }
}

/** SELECTDB, and RESIZEDB when the sizes are given. */
export function writeSelectDb(w: RdbWriter, id: number, size = -1, expires = 0): void {
  w.byte(OP.SELECTDB);
  w.len(id);
  if (size < 0) return;
  w.byte(OP.RESIZEDB);
  w.len(size);
  w.len(expires);
}

/** One key: its expiry (-1 none), access information from its LRU/LFU stamp, type, key and value. */
export function writeKeyRecord(w: RdbWriter, key: string, value: Value, expireAt: number, stamp: number, opts: FileSaveOptions): void {
  if (expireAt !== -1) {
    w.byte(OP.EXPIRETIME_MS);
    w.i64le(expireAt);
  }
  if (opts.accessInfo === 'lru') {
    w.byte(OP.IDLE);
    w.len(Math.floor(idleMs(stamp) / 1000));
  } else if (opts.accessInfo === 'lfu') {
    w.byte(OP.FREQ);
    w.byte(lfuCounter(stamp));
  }
  writeValue(w, value, opts, key);
}

/** EOF and the checksum trailer (8 zero bytes without rdbchecksum). */
export function writeFooter(w: RdbWriter, opts: FileSaveOptions): void {
  w.byte(OP.EOF);
  if (opts.checksum) w.bytes(w.checksum());
  else w.bytes(Buffer.alloc(8));
}

/**
 * Writes a whole RDB file of these databases to the writer (which may stream to a sink). Returns
 * the number of keys written.
 */
export function writeRdb(w: RdbWriter, dbs: readonly Db[], opts: FileSaveOptions): number {
  writeHeader(w, opts);
  let written = 0;
  for (const db of dbs) {
    if (db.size === 0) continue;
    writeSelectDb(w, db.id, db.size, db.expires.size);
    const hasExpires = db.expires.size !== 0;
    for (let slot = 0; slot < db.keys.length; slot++) {
      const key = db.keys[slot]!;
      const at = hasExpires ? db.expires.get(key) : undefined;
      writeKeyRecord(w, key, db.values[slot]!, at === undefined ? -1 : at, db.lru[slot]!, opts);
      written++;
      if (opts.progress !== undefined && (written & 0xffff) === 0) opts.progress(written);
    }
  }
  writeFooter(w, opts);
  return written;
}

// ---------------------------------------------------------------------------------------------
// reading values

/** The encoding limits a loaded value is fitted to (the server's config). */
export interface LoadLimits {
  hashEntries: number;
  hashValue: number;
  setIntset: number;
  zsetEntries: number;
  zsetValue: number;
}

function stringToValue(v: string | number): string | number {
  if (typeof v === 'number') return v;
  const n = v.length <= 20 ? canonicalInt(v) : null;
  return n === null ? v : n;
}

function hashFrom(pairs: readonly string[], limits: LoadLimits): HashValue {
  if (pairs.length % 2 !== 0) throw new RdbError('odd number of hash elements');
  const h = new HashValue();
  if (pairs.length / 2 > limits.hashEntries) h.compact = false;
  for (let i = 0; i < pairs.length; i += 2) {
    if (!h.set(pairs[i]!, pairs[i + 1]!, limits.hashEntries, limits.hashValue)) throw new RdbError('Duplicate hash fields detected');
  }
  return h;
}

function setFrom(members: string[], limits: LoadLimits): SetValue {
  if (new Set(members).size !== members.length) throw new RdbError('Duplicate set members detected');
  return SetValue.from(members, limits.setIntset);
}

function parseScore(s: string): number {
  const v = s === 'inf' || s === '+inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
  if (Number.isNaN(v) || s.length === 0) throw new RdbError('Zset with NAN score detected');
  return v;
}

/** A zset from members and scores in any order; encoded as Redis does after loading. */
function zsetFrom(members: string[], scores: number[], limits: LoadLimits, fromListpack: boolean): ZSetValue {
  const n = members.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RdbError('Zset with NAN score detected');
    order[i] = i;
  }
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const a = scores[i - 1]!;
    const b = scores[i]!;
    if (a > b || (a === b && members[i - 1]! >= members[i]!)) sorted = false;
  }
  if (!sorted) {
    order.sort((i, j) => {
      const a = scores[i]!;
      const b = scores[j]!;
      if (a !== b) return a < b ? -1 : 1;
      const x = members[i]!;
      const y = members[j]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  const ms = new Array<string>(n);
  const ss = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    ms[k] = members[order[k]!]!;
    ss[k] = scores[order[k]!]!;
  }
  if (new Set(ms).size !== n) throw new RdbError('Duplicate zset fields detected');
  const z = ZSetValue.fromSorted(ms, ss, { entries: limits.zsetEntries, value: limits.zsetValue });
  // a listpack stays one unless it has too many entries (Redis checks only the count there)
  if (fromListpack) z.listpack = n <= limits.zsetEntries;
  return z;
}

function zsetFromPairs(pairs: readonly string[], limits: LoadLimits): ZSetValue {
  if (pairs.length % 2 !== 0) throw new RdbError('odd number of zset elements');
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    members.push(pairs[i]!);
    scores.push(parseScore(pairs[i + 1]!));
  }
  return zsetFrom(members, scores, limits, true);
}

/** Reads a value of the given RDB type (null is kept for callers that skip a type; none does now). */
export function readValue(r: RdbReader, type: number, limits: LoadLimits): Value | null {
  switch (type) {
    case T.STRING:
      return stringToValue(r.stringValue());
    case T.LIST: {
      const n = r.len();
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(r.string());
      return ListValue.from(items);
    }
    case T.SET: {
      const n = r.len();
      const members: string[] = [];
      for (let i = 0; i < n; i++) members.push(r.string());
      return setFrom(members, limits);
    }
    case T.ZSET:
    case T.ZSET_2: {
      const n = r.len();
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < n; i++) {
        members.push(r.string());
        scores.push(type === T.ZSET ? r.textDouble() : r.binaryDouble());
      }
      return zsetFrom(members, scores, limits, false);
    }
    case T.HASH: {
      const n = r.len();
      const pairs: string[] = [];
      for (let i = 0; i < n; i++) pairs.push(r.string(), r.string());
      return hashFrom(pairs, limits);
    }
    case T.HASH_ZIPMAP:
      return hashFrom(readZipmap(r.stringBytes()), limits);
    case T.LIST_ZIPLIST:
      return ListValue.from(readZiplist(r.stringBytes()));
    case T.SET_INTSET: {
      const members = readIntset(r.stringBytes());
      for (let i = 1; i < members.length; i++) {
        if (BigInt(members[i - 1]!) >= BigInt(members[i]!)) throw new RdbError('intset not sorted');
      }
      return setFrom(members, limits);
    }
    case T.ZSET_ZIPLIST:
      return zsetFromPairs(readZiplist(r.stringBytes()), limits);
    case T.ZSET_LISTPACK:
      return zsetFromPairs(readListpack(r.stringBytes()), limits);
    case T.HASH_ZIPLIST:
      return hashFrom(readZiplist(r.stringBytes()), limits);
    case T.HASH_LISTPACK:
      return hashFrom(readListpack(r.stringBytes()), limits);
    case T.LIST_QUICKLIST:
    case T.LIST_QUICKLIST_2: {
      const nodes = r.len();
      const l = new ListValue();
      for (let i = 0; i < nodes; i++) {
        const container = type === T.LIST_QUICKLIST_2 ? r.len() : 2;
        const blob = r.stringBytes();
        if (container === 1) {
          l.pushTail(blob.toString('latin1'));
          continue;
        }
        if (container !== 2) throw new RdbError(`Quicklist integrity check failed.`);
        const items = type === T.LIST_QUICKLIST_2 ? readListpack(blob) : readZiplist(blob);
        for (const x of items) l.pushTail(x);
      }
      if (l.length === 0) throw new RdbError('empty list');
      return l;
    }
    case T.STREAM_LISTPACKS:
    case T.STREAM_LISTPACKS_2:
    case T.STREAM_LISTPACKS_3:
      return readStream(r, type);
    case T.MODULE:
    case T.MODULE_2:
      throw new RdbError('The RDB file contains module data I can\'t load: no matching module');
    default:
      throw new RdbError(`Unknown RDB encoding type ${type}`);
  }
}

/** Parses past a MODULE_AUX record (its self-describing opcodes). */
function skipModuleAux(r: RdbReader): void {
  r.len(); // module id
  const whenOp = r.len();
  if (whenOp !== 2) throw new RdbError('bad module aux when opcode');
  r.len();
  for (;;) {
    const op = r.len();
    if (op === 0) return;
    if (op === 1 || op === 2) r.len();
    else if (op === 3) r.take(4);
    else if (op === 4) r.take(8);
    else if (op === 5) r.stringBytes();
    else throw new RdbError('bad module opcode');
  }
}

/** Checks a DUMP payload's version and CRC (Redis's verifyDumpPayload). */
export function verifyPayload(p: Buffer, checkCrc = true): boolean {
  if (p.length < 10) return false;
  const version = p.readUInt16LE(p.length - 10);
  if (version > RDB_VERSION) return false;
  return !checkCrc || crc64(p, 0, p.length - 8).equals(p.subarray(p.length - 8));
}

/** The value in a verified DUMP payload; throws RdbError when it is malformed ("Bad data format"). */
export function readPayload(p: Buffer, limits: LoadLimits): Value {
  const r = new RdbReader(p, 0, p.length - 10);
  const type = r.byte();
  const v = readValue(r, type, limits);
  if (v === null || r.pos !== r.end) throw new RdbError('Bad data format');
  return v;
}

// ---------------------------------------------------------------------------------------------
// reading files

export interface LoadedKey {
  db: number;
  key: string;
  value: Value;
  /** absolute ms, -1 when persistent */
  expireAt: number;
  /** seconds idle from an IDLE opcode, -1 when absent */
  idle: number;
  /** LFU counter from a FREQ opcode, -1 when absent */
  freq: number;
}

export interface LoadOptions {
  limits: LoadLimits;
  databases: number;
  /** verify the trailing CRC64 (rdbchecksum); a zero trailer is never checked */
  checksum: boolean;
  /** drop keys already expired (a primary does; a replica keeps them for its leader to expire) */
  dropExpired: boolean;
  /** every key read (the object is reused for the next key: copy what you keep) */
  onKey: (k: LoadedKey) => void;
  /** every AUX field */
  onAux?: (name: string, value: string) => void;
  /** every FUNCTION library's code (without it libraries are skipped and counted) */
  onFunction?: (code: string) => void;
  /** called every 64k keys with the bytes consumed so far */
  progress?: (bytes: number, keys: number) => void;
}

export interface LoadResult {
  version: number;
  keysLoaded: number;
  keysExpired: number;
  /** stream keys skipped (none since streams load; kept for callers that log it) */
  streamsSkipped: number;
  /** function libraries handed to onFunction */
  functionsLoaded: number;
  /** function libraries skipped (no onFunction) */
  functionsSkipped: number;
}

/**
 * Loads an RDB file image a piece at a time (start-up loading answers clients between pieces); throws
 * RdbError with Redis's wording on malformed input.
 */
export class RdbLoader {
  private readonly r: RdbReader;
  readonly result: LoadResult;
  private db = 0;
  private expireAt = -1;
  private idle = -1;
  private freq = -1;
  private seen = 0;
  private readonly now = Date.now();
  private readonly k: LoadedKey = { db: 0, key: '', value: '', expireAt: -1, idle: -1, freq: -1 };
  /** the checksum is computed as loading goes (a big file's would otherwise block at the end) */
  private readonly crc = new Crc64();
  private crcPos = 0;
  done = false;

  constructor(
    private readonly buf: Buffer,
    private readonly opts: LoadOptions,
  ) {
    if (buf.length < 9 || buf.latin1Slice(0, 5) !== 'REDIS') throw new RdbError('Wrong signature trying to load DB from file');
    const version = Number(buf.latin1Slice(5, 9));
    if (!(version >= 1 && version <= RDB_VERSION)) throw new RdbError(`Can't handle RDB format version ${buf.latin1Slice(5, 9)}`);
    this.r = new RdbReader(buf, 9);
    this.result = { version, keysLoaded: 0, keysExpired: 0, streamsSkipped: 0, functionsLoaded: 0, functionsSkipped: 0 };
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.r.pos;
  }

  /** Loads until the end of the file (true) or until performance.now() passes deadline (false). */
  step(deadline = Infinity): boolean {
    if (this.done) return true;
    const r = this.r;
    const opts = this.opts;
    const res = this.result;
    for (;;) {
      const type = r.byte();
      if (type === OP.EXPIRETIME_MS) {
        this.expireAt = r.i64le();
        continue;
      }
      if (type === OP.EXPIRETIME) {
        this.expireAt = (r.u32le() | 0) * 1000; // a signed 32-bit time_t, as Redis reads it
        continue;
      }
      if (type === OP.FREQ) {
        this.freq = r.byte();
        continue;
      }
      if (type === OP.IDLE) {
        this.idle = r.len();
        continue;
      }
      if (type === OP.EOF) break;
      if (type === OP.SELECTDB) {
        this.db = r.len();
        if (this.db >= opts.databases) {
          throw new RdbError(`FATAL: Data file was created with a Redis server configured to handle more than ${opts.databases} databases. Exiting`);
        }
        continue;
      }
      if (type === OP.RESIZEDB) {
        r.len();
        r.len();
        continue;
      }
      if (type === OP.AUX) {
        const name = r.string();
        const value = r.string();
        opts.onAux?.(name, value);
        continue;
      }
      if (type === OP.MODULE_AUX) {
        skipModuleAux(r);
        continue;
      }
      if (type === OP.FUNCTION2) {
        if (opts.onFunction === undefined) {
          r.stringBytes();
          res.functionsSkipped++;
        } else {
          opts.onFunction(r.string());
          res.functionsLoaded++;
        }
        continue;
      }
      // the 7.0 release candidates' format: Redis 7.0 itself refuses it with these words
      if (type === OP.FUNCTION) throw new RdbError('Pre-release function format not supported.');
      const key = r.string();
      const value = readValue(r, type, opts.limits);
      if (value === null) res.streamsSkipped++;
      else if (opts.dropExpired && this.expireAt !== -1 && this.expireAt < this.now) res.keysExpired++;
      else {
        const k = this.k;
        k.db = this.db;
        k.key = key;
        k.value = value;
        k.expireAt = this.expireAt;
        k.idle = this.idle;
        k.freq = this.freq;
        opts.onKey(k);
        res.keysLoaded++;
      }
      this.expireAt = -1;
      this.idle = -1;
      this.freq = -1;
      const seen = ++this.seen;
      if (opts.progress !== undefined && (seen & 0xffff) === 0) opts.progress(r.pos, seen);
      if ((seen & 127) === 0 && performance.now() >= deadline) {
        if (opts.checksum) {
          this.crc.update(this.buf, this.crcPos, r.pos);
          this.crcPos = r.pos;
        }
        return false;
      }
    }
    if (res.version >= 5) {
      const trailer = r.take(8);
      if (opts.checksum && !trailer.equals(Buffer.alloc(8))) {
        this.crc.update(this.buf, this.crcPos, r.pos - 8);
        const expected = this.crc.bytes();
        if (!expected.equals(trailer)) {
          throw new RdbError(
            `Wrong RDB checksum expected: (${trailer.readBigUInt64LE().toString(16)}) got: (${expected.readBigUInt64LE().toString(16)}). Aborting now.`,
          );
        }
      }
    }
    this.done = true;
    return true;
  }
}

/** Loads a whole RDB file image; throws RdbError with Redis's wording on malformed input. */
export function loadRdb(buf: Buffer, opts: LoadOptions): LoadResult {
  const loader = new RdbLoader(buf, opts);
  loader.step();
  return loader.result;
}

/** The LRU/LFU stamp a loaded key gets (Redis's objectSetLRUOrLFU with a 1000 ms LRU clock). */
export function loadedStamp(idle: number, freq: number): number | null {
  if (clock.lfu) return freq >= 0 ? (clock.lfuMinutes << 8) | freq : null;
  return idle >= 0 ? Math.max(0, clock.lruNow - idle) : null;
}
