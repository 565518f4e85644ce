/*
 * Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY
 * HINCRBYFLOAT HRANDFIELD HSCAN, over types/hash.ts.
 *
 * Each follows Redis 7.0's order of checks, since that decides which error a bad call gets: argument
 * parsing first where Redis parses first (HINCRBY's increment, HRANDFIELD's count), then the key
 * lookup (WRONGTYPE), then the field. A write that empties a hash deletes the key, as Redis never
 * keeps empty collections. The listpack thresholds are config, cached per server and refreshed on
 * CONFIG SET.
 */

import {
  ERR_NOT_FLOAT,
  ERR_NOT_INT,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errArity,
  is,
  parseInt64,
  parseScanCursor,
  parseScanOptions,
} from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { globMatch } from '../keyspace/glob';
import { add, formatHuman, parseLongDouble } from '../keyspace/longdouble';
import type { ServerState } from '../state';
import { HashValue } from '../types/hash';
import { addKey } from './string-common';

interface Limits {
  entries: number;
  value: number;
}

const limitsCache = new WeakMap<ServerState, Limits>();

/** hash-max-listpack-entries / -value of this server, read once and kept current. */
function limits(s: ServerState): Limits {
  let l = limitsCache.get(s);
  if (l === undefined) {
    const cfg = s.config;
    const fresh: Limits = { entries: cfg.number('hash-max-listpack-entries'), value: cfg.number('hash-max-listpack-value') };
    cfg.onChange('hash-max-listpack-entries', () => (fresh.entries = cfg.number('hash-max-listpack-entries')));
    cfg.onChange('hash-max-listpack-value', () => (fresh.value = cfg.number('hash-max-listpack-value')));
    limitsCache.set(s, fresh);
    l = fresh;
  }
  return l;
}

/** The hash at key for reading: undefined when missing, null after replying WRONGTYPE. */
function readHash(c: Client, s: ServerState, key: string): HashValue | undefined | null {
  const v = s.readKey(c, key);
  if (v === undefined || v instanceof HashValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The hash at key for writing: undefined when missing, null after replying WRONGTYPE. */
function writeHash(c: Client, s: ServerState, key: string): HashValue | undefined | null {
  const v = s.writeKey(c, key);
  if (v === undefined || v instanceof HashValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The hash at key for writing, created (and added to the db) when missing; null after WRONGTYPE. */
function writeOrCreate(c: Client, s: ServerState, key: string): HashValue | null {
  const h = writeHash(c, s, key);
  if (h !== undefined) return h;
  const fresh = new HashValue();
  addKey(s, c.db, key, fresh);
  return fresh;
}

function changed(s: ServerState, c: Client, key: string, event: string, dirty: number): void {
  s.keyModified(c.db, key);
  s.dirty += dirty;
  s.notify('h', event, key, c.db.id);
}

function hset(c: Client, argv: string[], s: ServerState, isHmset: boolean): void {
  if (argv.length % 2 === 1) {
    c.error(errArity(isHmset ? 'hmset' : 'hset'));
    return;
  }
  const key = argv[1]!;
  const h = writeOrCreate(c, s, key);
  if (h === null) return;
  const l = limits(s);
  h.checkLengths(argv, 2, l.value);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i]!, argv[i + 1]!, l.entries, l.value)) created++;
  if (isHmset) c.ok();
  else c.int(created);
  changed(s, c, key, 'hset', (argv.length - 2) / 2);
}

function hsetnx(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const h = writeOrCreate(c, s, key);
  if (h === null) return;
  // Redis 7.0.15 checks the lengths only when it writes, so an existing field never converts
  if (h.has(argv[2]!)) {
    c.int(0);
    return;
  }
  const l = limits(s);
  h.set(argv[2]!, argv[3]!, l.entries, l.value);
  c.int(1);
  changed(s, c, key, 'hset', 1);
}

function hget(c: Client, argv: string[], s: ServerState): void {
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  const v = h === undefined ? undefined : h.get(argv[2]!);
  if (v === undefined) c.nil();
  else c.bulk(v);
}

function hmget(c: Client, argv: string[], s: ServerState): void {
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  c.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = h === undefined ? undefined : h.get(argv[i]!);
    if (v === undefined) c.nil();
    else c.bulk(v);
  }
}

function hdel(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const h = writeHash(c, s, key);
  if (h === null) return;
  if (h === undefined) {
    c.int(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (h.delete(argv[i]!)) {
      deleted++;
      if (h.size === 0) {
        c.db.delete(key);
        removed = true;
        break;
      }
    }
  }
  c.int(deleted);
  if (deleted !== 0) {
    changed(s, c, key, 'hdel', deleted);
    if (removed) s.notify('g', 'del', key, c.db.id);
  }
}

function hlen(c: Client, argv: string[], s: ServerState): void {
  const h = readHash(c, s, argv[1]!);
  if (h !== null) c.int(h === undefined ? 0 : h.size);
}

function hstrlen(c: Client, argv: string[], s: ServerState): void {
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  const v = h === undefined ? undefined : h.get(argv[2]!);
  c.int(v === undefined ? 0 : v.length);
}

function hexists(c: Client, argv: string[], s: ServerState): void {
  const h = readHash(c, s, argv[1]!);
  if (h !== null) c.int(h !== undefined && h.has(argv[2]!) ? 1 : 0);
}

const KEYS = 1;
const VALUES = 2;

/** HKEYS, HVALS, HGETALL: the whole hash in its order (insertion order while listpack). */
function getall(c: Client, argv: string[], s: ServerState, what: number): void {
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  const n = h === undefined ? 0 : h.size;
  if (what === (KEYS | VALUES)) c.map(n);
  else c.array(n);
  if (h === undefined) return;
  const fields = h.fields;
  const values = h.values;
  for (let i = 0; i < n; i++) {
    if ((what & KEYS) !== 0) c.bulk(fields[i]!);
    if ((what & VALUES) !== 0) c.bulk(values[i]!);
  }
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function hincrby(c: Client, argv: string[], s: ServerState): void {
  const by = parseInt64(argv[3]!);
  if (by === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  const key = argv[1]!;
  const field = argv[2]!;
  const h = writeOrCreate(c, s, key);
  if (h === null) return;
  const old = h.get(field);
  let cur: number | bigint = 0;
  if (old !== undefined) {
    const p = parseInt64(old);
    if (p === null) {
      c.error('ERR hash value is not an integer');
      return;
    }
    cur = p;
  }
  let r: number | bigint;
  if (typeof cur === 'number' && typeof by === 'number' && Number.isSafeInteger(cur + by)) {
    r = cur + by;
  } else {
    const big = BigInt(cur) + BigInt(by);
    if (big > INT64_MAX || big < INT64_MIN) {
      c.error(ERR_OVERFLOW);
      return;
    }
    r = big;
  }
  const l = limits(s);
  h.set(field, String(r), l.entries, l.value);
  c.int(r);
  changed(s, c, key, 'hincrby', 1);
}

function hincrbyfloat(c: Client, argv: string[], s: ServerState): void {
  const incr = parseLongDouble(argv[3]!);
  if (incr === null) {
    c.error(ERR_NOT_FLOAT);
    return;
  }
  if (incr.inf) {
    c.error('ERR value is NaN or Infinity');
    return;
  }
  const key = argv[1]!;
  const field = argv[2]!;
  const h = writeOrCreate(c, s, key);
  if (h === null) return;
  const old = h.get(field);
  let sum = incr;
  if (old !== undefined) {
    const cur = parseLongDouble(old);
    if (cur === null) {
      c.error('ERR hash value is not a float');
      return;
    }
    sum = add(cur, incr);
  }
  if (sum.inf) {
    c.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatHuman(sum);
  const l = limits(s);
  h.set(field, text, l.entries, l.value);
  c.bulk(text);
  changed(s, c, key, 'hincrbyfloat', 1);
  c.propagateAs = ['HSET', key, field, text];
}

const HALF_LONG = 4611686018427387903n;
const LONG_MAX = 9223372036854775807n;

function hrandfield(c: Client, argv: string[], s: ServerState): void {
  if (argv.length === 2) {
    const h = readHash(c, s, argv[1]!);
    if (h === null) return;
    if (h === undefined) c.nil();
    else c.bulk(h.fields[h.randomSlot()]!);
    return;
  }
  const raw = parseInt64(argv[2]!);
  if (raw === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  const big = BigInt(raw);
  if (big < -LONG_MAX) {
    c.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return;
  }
  let withValues = false;
  if (argv.length > 4 || (argv.length === 4 && !is(argv[3]!, 'withvalues'))) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 4) {
    withValues = true;
    if (big < -HALF_LONG || big > HALF_LONG) {
      c.error('ERR value is out of range');
      return;
    }
  }
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  if (h === undefined || big === 0n) {
    c.array(0);
    return;
  }
  const pairs = withValues && c.resp === 3;
  const per = withValues && !pairs ? 2 : 1;
  const size = h.size;
  const fields = h.fields;
  const values = h.values;
  const emit = (i: number): void => {
    if (pairs) c.array(2);
    c.bulk(fields[i]!);
    if (withValues) c.bulk(values[i]!);
  };
  if (big < 0n) {
    // repetitions allowed: count independent picks (a huge count fails on output size in Redis too)
    const count = Number(-big);
    c.array(count * per);
    for (let n = 0; n < count; n++) emit(h.randomSlot());
    return;
  }
  if (big >= BigInt(size)) {
    c.array(size * per);
    for (let i = 0; i < size; i++) emit(i);
    return;
  }
  const count = Number(big);
  c.array(count * per);
  for (const i of distinctSlots(size, count)) emit(i);
}

/**
 * count distinct random slots out of size (count < size) in O(count): a Fisher-Yates shuffle of
 * 0..size-1 whose touched positions live in a Map, so the untouched bulk is never materialized.
 */
export function distinctSlots(size: number, count: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const atJ = swapped.get(j) ?? j;
    out[i] = atJ;
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out;
}

const EMPTY_SCAN = '*2\r\n$1\r\n0\r\n*0\r\n';

function hscan(c: Client, argv: string[], s: ServerState): void {
  const cursor = parseScanCursor(argv[2]!);
  if (cursor === null) {
    c.error('ERR invalid cursor');
    return;
  }
  const h = readHash(c, s, argv[1]!);
  if (h === null) return;
  if (h === undefined) {
    c.raw(EMPTY_SCAN);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === 'string') {
    c.error(opts);
    return;
  }
  const { count, pattern } = opts;
  const fields = h.fields;
  const values = h.values;
  const found: number[] = [];
  let next = 0;
  if (h.compact) {
    // a listpack is returned whole in one call, as Redis does
    for (let i = 0; i < fields.length; i++) if (pattern === null || globMatch(pattern, fields[i]!)) found.push(i);
  } else {
    next = h.scan(cursor, count, (i) => {
      if (pattern === null || globMatch(pattern, fields[i]!)) found.push(i);
    });
  }
  c.array(2);
  c.bulk(String(next));
  c.array(found.length * 2);
  for (const i of found) {
    c.bulk(fields[i]!);
    c.bulk(values[i]!);
  }
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'hash', complexity });
const cats = ['@hash'];
const writeFast = ['write', 'denyoom', 'fast'] as const;
const readFast = ['readonly', 'fast'] as const;

register([
  {
    name: 'hset',
    arity: -4,
    flags: writeFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Set the string value of a hash field', '2.0.0', 'O(1) for each field/value pair added'),
    handler: (c, argv, s) => hset(c, argv, s, false),
  },
  {
    name: 'hmset',
    arity: -4,
    flags: writeFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Set multiple hash fields to multiple values', '2.0.0', 'O(N) where N is the number of fields being set.'),
    handler: (c, argv, s) => hset(c, argv, s, true),
  },
  {
    name: 'hsetnx',
    arity: 4,
    flags: writeFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Set the value of a hash field, only if the field does not exist', '2.0.0', 'O(1)'),
    handler: hsetnx,
  },
  {
    name: 'hget',
    arity: 3,
    flags: readFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the value of a hash field', '2.0.0', 'O(1)'),
    handler: hget,
  },
  {
    name: 'hmget',
    arity: -3,
    flags: readFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the values of all the given hash fields', '2.0.0', 'O(N) where N is the number of fields being requested.'),
    handler: hmget,
  },
  {
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Delete one or more hash fields', '2.0.0', 'O(N) where N is the number of fields to be removed.'),
    handler: hdel,
  },
  {
    name: 'hlen',
    arity: 2,
    flags: readFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the number of fields in a hash', '2.0.0', 'O(1)'),
    handler: hlen,
  },
  {
    name: 'hstrlen',
    arity: 3,
    flags: readFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the length of the value of a hash field', '3.2.0', 'O(1)'),
    handler: hstrlen,
  },
  {
    name: 'hexists',
    arity: 3,
    flags: readFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Determine if a hash field exists', '2.0.0', 'O(1)'),
    handler: hexists,
  },
  {
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output_order'],
    docs: docs('Get all the fields in a hash', '2.0.0', 'O(N) where N is the size of the hash.'),
    handler: (c, argv, s) => getall(c, argv, s, KEYS),
  },
  {
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output_order'],
    docs: docs('Get all the values in a hash', '2.0.0', 'O(N) where N is the size of the hash.'),
    handler: (c, argv, s) => getall(c, argv, s, VALUES),
  },
  {
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output_order'],
    docs: docs('Get all the fields and values in a hash', '2.0.0', 'O(N) where N is the size of the hash.'),
    handler: (c, argv, s) => getall(c, argv, s, KEYS | VALUES),
  },
  {
    name: 'hincrby',
    arity: 4,
    flags: writeFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Increment the integer value of a hash field by the given number', '2.0.0', 'O(1)'),
    handler: hincrby,
  },
  {
    name: 'hincrbyfloat',
    arity: 4,
    flags: writeFast,
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Increment the float value of a hash field by the given amount', '2.6.0', 'O(1)'),
    handler: hincrbyfloat,
  },
  {
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Get one or multiple random fields from a hash', '6.2.0', 'O(N) where N is the number of fields returned'),
    handler: hrandfield,
  },
  {
    name: 'hscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Incrementally iterate hash fields and associated values', '2.8.0', 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.'),
    handler: hscan,
  },
]);
