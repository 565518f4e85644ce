/*
 * Counters: INCR, DECR, INCRBY, DECRBY (int64, exact) and INCRBYFLOAT (80-bit long double, see
 * keyspace/longdouble.ts).
 *
 * A counter is normally stored as a JS number (canonical integers are), so INCR is one Map lookup,
 * one addition and a range check. Only when the value or the result leaves the safe-integer range
 * does the slow path parse and add in BigInt, checking int64 overflow as Redis does; such values are
 * stored as their decimal string.
 */

import { ERR_NOT_FLOAT, ERR_NOT_INT, ERR_OVERFLOW, ERR_WRONGTYPE, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { add, formatHuman, fromInteger, parseLongDouble, type LongDouble } from '../keyspace/longdouble';
import type { ServerState } from '../state';
import { addKey, signal, toValue, writeSlot } from './string-common';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function incrBy(c: Client, s: ServerState, key: string, by: number | bigint): void {
  const db = c.db;
  const slot = writeSlot(db, key);
  if (slot === -1) {
    addKey(s, db, key, typeof by === 'number' ? by : toValue(by.toString()));
    signal(s, db, key, '$', 'incrby');
    c.int(by);
    return;
  }
  const v = db.values[slot]!;
  if (typeof v === 'number' && typeof by === 'number') {
    const r = v + by;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) {
      db.update(slot, r);
      if (db.encodings.size !== 0) db.encodings.delete(key);
      signal(s, db, key, '$', 'incrby');
      c.int(r);
      return;
    }
  }
  let cur: bigint;
  if (typeof v === 'number') cur = BigInt(v);
  else if (typeof v === 'string') {
    const p = parseInt64(v);
    if (p === null) {
      c.error(ERR_NOT_INT);
      return;
    }
    cur = BigInt(p);
  } else {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const r = cur + BigInt(by);
  if (r > INT64_MAX || r < INT64_MIN) {
    c.error(ERR_OVERFLOW);
    return;
  }
  db.update(slot, toValue(r.toString()));
  if (db.encodings.size !== 0) db.encodings.delete(key);
  signal(s, db, key, '$', 'incrby');
  c.int(r);
}

function incrbyfloat(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  let cur: LongDouble | null = fromInteger(0);
  if (slot !== -1) {
    const v = db.values[slot]!;
    if (typeof v === 'object') {
      c.error(ERR_WRONGTYPE);
      return;
    }
    cur = typeof v === 'number' ? fromInteger(v) : parseLongDouble(v);
  }
  const incr = cur === null ? null : parseLongDouble(argv[2]!);
  if (cur === null || incr === null) {
    c.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = add(cur, incr);
  if (sum.inf) {
    c.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatHuman(sum);
  const stored = toValue(text);
  if (slot === -1) addKey(s, db, key, stored);
  else db.update(slot, stored);
  // Redis stores the result as a plain string object (embstr), never int-encoded
  if (text.length <= 20 && parseInt64(text) !== null) db.encodings.set(key, 'embstr');
  else if (db.encodings.size !== 0) db.encodings.delete(key);
  signal(s, db, key, '$', 'incrbyfloat');
  // the result, not the increment: float arithmetic elsewhere could round differently
  c.propagateAs = ['SET', key, text, 'KEEPTTL'];
  c.bulk(text);
}

const docs = (summary: string, since: string) => ({ summary, since, group: 'string', complexity: 'O(1)' });
const flags = ['write', 'denyoom', 'fast'] as const;

register([
  {
    name: 'incr',
    arity: 2,
    flags,
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Increment the integer value of a key by one', '1.0.0'),
    handler(c, argv, s) {
      incrBy(c, s, argv[1]!, 1);
    },
  },
  {
    name: 'decr',
    arity: 2,
    flags,
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Decrement the integer value of a key by one', '1.0.0'),
    handler(c, argv, s) {
      incrBy(c, s, argv[1]!, -1);
    },
  },
  {
    name: 'incrby',
    arity: 3,
    flags,
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Increment the integer value of a key by the given amount', '1.0.0'),
    handler(c, argv, s) {
      const by = parseInt64(argv[2]!);
      if (by === null) c.error(ERR_NOT_INT);
      else incrBy(c, s, argv[1]!, by);
    },
  },
  {
    name: 'decrby',
    arity: 3,
    flags,
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Decrement the integer value of a key by the given number', '1.0.0'),
    handler(c, argv, s) {
      const by = parseInt64(argv[2]!);
      if (by === null) c.error(ERR_NOT_INT);
      else if (by === INT64_MIN) c.error('ERR decrement would overflow');
      else incrBy(c, s, argv[1]!, typeof by === 'number' ? 0 - by : -by);
    },
  },
  {
    name: 'incrbyfloat',
    arity: 3,
    flags,
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Increment the float value of a key by the given amount', '2.6.0'),
    handler: incrbyfloat,
  },
]);
