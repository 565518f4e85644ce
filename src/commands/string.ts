/*
 * String commands: GET, SET (all options), SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, GETSET, GETDEL,
 * GETEX, APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE. Counters are in string-incr.ts, LCS in
 * string-lcs.ts.
 *
 * GET and a plain `SET key value` are the hottest commands of all: each is a handful of property
 * reads, one Map lookup and one reply append, with no allocation beyond the reply text. Every option
 * and error path lives in separate functions so the fast paths stay small enough to inline.
 *
 * Option parsing mirrors Redis's parseExtendedStringArgumentsOrReply: an option is accepted only when
 * it does not conflict with one already seen, anything else is a syntax error, and the expire value
 * is validated after all options (so `SET k v EX abc NX XX` is a syntax error, not a bad integer).
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, errArity, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { Db } from '../keyspace/db';
import type { ServerState } from '../state';
import {
  addKey,
  checkStringLength,
  markRaw,
  replyString,
  setExpireExact,
  setKey,
  signal,
  str,
  toValue,
  writeSlot,
} from './string-common';

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;

const INT64_MAX = 9223372036854775807n;

/** the expire argument found by the last parseOptions call */
let optExpire: string | null = null;

/** The option flag an argument names (case-insensitive), 0 for none; no allocation. */
function optionFlag(o: string): number {
  const n = o.length;
  if (n === 2) {
    if ((o.charCodeAt(1) | 32) !== 120) return 0; // ?x
    const a = o.charCodeAt(0) | 32;
    return a === 110 ? NX : a === 120 ? XX : a === 101 ? EX : a === 112 ? PX : 0;
  }
  if (n === 3) return (o.charCodeAt(0) | 32) === 103 && (o.charCodeAt(1) | 32) === 101 && (o.charCodeAt(2) | 32) === 116 ? GET : 0;
  if (n === 4) {
    if ((o.charCodeAt(1) | 32) !== 120 || (o.charCodeAt(2) | 32) !== 97 || (o.charCodeAt(3) | 32) !== 116) return 0;
    const a = o.charCodeAt(0) | 32;
    return a === 101 ? EXAT : a === 112 ? PXAT : 0;
  }
  if (n === 7) {
    const l = o.toLowerCase();
    return l === 'keepttl' ? KEEPTTL : l === 'persist' ? PERSIST : 0;
  }
  return 0;
}

/** Parses SET (isSet) or GETEX options from argv[start]; returns the flags, or -1 after replying. */
function parseOptions(c: Client, argv: string[], start: number, isSet: boolean): number {
  let flags = 0;
  optExpire = null;
  const last = argv.length - 1;
  for (let j = start; j <= last; j++) {
    const o = optionFlag(argv[j]!);
    const next = j < last;
    if (o === NX && isSet && !(flags & XX)) flags |= NX;
    else if (o === XX && isSet && !(flags & NX)) flags |= XX;
    else if (o === GET && isSet) flags |= GET;
    else if (o === KEEPTTL && isSet && !(flags & (PERSIST | EX | EXAT | PX | PXAT))) flags |= KEEPTTL;
    else if (o === PERSIST && !isSet && !(flags & (EX | EXAT | PX | PXAT | KEEPTTL))) flags |= PERSIST;
    else if (o === EX && next && !(flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT))) {
      flags |= EX;
      optExpire = argv[++j]!;
    } else if (o === PX && next && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT))) {
      flags |= PX;
      optExpire = argv[++j]!;
    } else if (o === EXAT && next && !(flags & (KEEPTTL | PERSIST | EX | PX | PXAT))) {
      flags |= EXAT;
      optExpire = argv[++j]!;
    } else if (o === PXAT && next && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PX))) {
      flags |= PXAT;
      optExpire = argv[++j]!;
    } else {
      c.error(ERR_SYNTAX);
      return -1;
    }
  }
  return flags;
}

/**
 * The absolute expiry in ms for an EX/PX/EXAT/PXAT argument (Redis's getExpireMillisecondsOrReply),
 * or null after replying: must be a positive integer, and the result positive without int64
 * overflow (Redis adds in int64 and rejects a wrapped, non-positive result).
 */
function expireMs(c: Client, arg: string, flags: number, name: string): number | bigint | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.error(ERR_NOT_INT);
    return null;
  }
  const seconds = (flags & (EX | EXAT)) !== 0;
  const relative = (flags & (EX | PX)) !== 0;
  if (typeof v === 'number' && v > 0 && v < 2 ** 40) {
    let ms = seconds ? v * 1000 : v;
    if (relative) ms += clock.now;
    return ms;
  }
  let b = BigInt(v);
  if (b <= 0n || (seconds && b > INT64_MAX / 1000n)) {
    c.error(`ERR invalid expire time in '${name}' command`);
    return null;
  }
  if (seconds) b *= 1000n;
  if (relative) b = BigInt.asIntN(64, b + BigInt(clock.now));
  if (b <= 0n) {
    c.error(`ERR invalid expire time in '${name}' command`);
    return null;
  }
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

/** GET's reply for SET ... GET, GETSET: false (after a WRONGTYPE error) when the key is not a string. */
function replyOld(c: Client, s: ServerState, key: string): boolean {
  const v = s.readKey(c, key);
  if (v === undefined) c.nil();
  else if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return false;
  } else replyString(c, v);
  return true;
}

/** Redis's setGenericCommand. okOne/abort select SETNX's integer replies. */
function setGeneric(
  c: Client,
  s: ServerState,
  flags: number,
  key: string,
  value: string,
  expire: string | null,
  name: string,
  intReplies: boolean,
): void {
  let at: number | bigint = 0;
  if (expire !== null) {
    const ms = expireMs(c, expire, flags, name);
    if (ms === null) return;
    at = ms;
  }
  if (flags & GET && !replyOld(c, s, key)) return;
  const db = c.db;
  const slot = writeSlot(db, key);
  if ((flags & NX && slot !== -1) || (flags & XX && slot === -1)) {
    if (!(flags & GET)) {
      if (intReplies) c.int(0);
      else c.nil();
    }
    return;
  }
  // with a new expiry the old one is overwritten below: deleting it first would churn the Map
  setKey(s, db, key, slot, toValue(value), (flags & KEEPTTL) !== 0 || expire !== null);
  signal(s, db, key, '$', 'set');
  if (expire !== null) {
    setExpireExact(db, key, at);
    s.notify('g', 'expire', key, db.id);
    // replicas get the absolute time: a relative one would expire later there
    c.propagateAs = ['SET', key, value, 'PXAT', String(at)];
  }
  if (!(flags & GET)) {
    if (intReplies) c.int(1);
    else c.ok();
  }
}

function getCommand(c: Client, argv: string[], s: ServerState): void {
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) c.nil();
  else if (typeof v === 'string') c.bulk(v);
  else if (typeof v === 'number') c.bulkNumber(v);
  else c.error(ERR_WRONGTYPE);
}

function setCommand(c: Client, argv: string[], s: ServerState): void {
  if (argv.length !== 3) {
    const flags = parseOptions(c, argv, 3, true);
    if (flags !== -1) setGeneric(c, s, flags, argv[1]!, argv[2]!, optExpire, 'set', false);
    return;
  }
  const key = argv[1]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  setKey(s, db, key, slot, toValue(argv[2]!), false);
  s.keyModified(db, key);
  s.dirty++;
  s.notify('$', 'set', key, db.id);
  c.ok();
}

function msetGeneric(c: Client, argv: string[], s: ServerState, nx: boolean): void {
  if (argv.length % 2 === 0) {
    c.error(errArity(nx ? 'msetnx' : 'mset'));
    return;
  }
  const db = c.db;
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (writeSlot(db, argv[j]!) !== -1) {
        c.int(0);
        return;
      }
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    const key = argv[j]!;
    setKey(s, db, key, writeSlot(db, key), toValue(argv[j + 1]!), false);
    s.keyModified(db, key);
    s.notify('$', 'set', key, db.id);
  }
  s.dirty += (argv.length - 1) / 2;
  if (nx) c.int(1);
  else c.ok();
}

/** GETEX: reply with the value, then change its expiry as the options say. */
function getexCommand(c: Client, argv: string[], s: ServerState): void {
  const flags = parseOptions(c, argv, 2, false);
  if (flags === -1) return;
  const expire = optExpire;
  const key = argv[1]!;
  const v = s.readKey(c, key);
  if (v === undefined) {
    c.nil();
    return;
  }
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  let at: number | bigint = 0;
  if (expire !== null) {
    const ms = expireMs(c, expire, flags, 'getex');
    if (ms === null) return;
    at = ms;
  }
  replyString(c, v);
  const db = c.db;
  if (flags & (EXAT | PXAT) && at <= clock.now) {
    db.delete(key);
    signal(s, db, key, 'g', 'del');
    c.propagateAs = ['DEL', key];
  } else if (expire !== null) {
    setExpireExact(db, key, at);
    signal(s, db, key, 'g', 'expire');
    c.propagateAs = ['PEXPIREAT', key, String(at)];
  } else if (flags & PERSIST) {
    if (db.persist(key)) signal(s, db, key, 'g', 'persist');
    c.propagateAs = ['PERSIST', key];
  }
}

function appendCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const add = argv[2]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  let len: number;
  if (slot === -1) {
    addKey(s, db, key, toValue(add));
    len = add.length;
  } else {
    const v = db.values[slot]!;
    if (typeof v === 'object') {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const old = str(v);
    if (!checkStringLength(c, s, old.length, add.length)) return;
    const next = old + add;
    db.update(slot, toValue(next));
    markRaw(db, key, next.length);
    len = next.length;
  }
  signal(s, db, key, '$', 'append');
  c.int(len);
}

/** GETRANGE/SUBSTR: Redis's index arithmetic (negative from the end, clamped, inclusive end). */
function getrangeCommand(c: Client, argv: string[], s: ServerState): void {
  let start = parseInt64(argv[2]!);
  let end = parseInt64(argv[3]!);
  if (start === null || end === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) {
    c.bulk('');
    return;
  }
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const text = str(v);
  const len = text.length;
  // int64 extremes behave as any huge index
  if (typeof start === 'bigint') start = start > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  if (typeof end === 'bigint') end = end > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  if (start < 0 && end < 0 && start > end) {
    c.bulk('');
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.bulk('');
  else c.bulk(text.slice(start, end + 1));
}

function setrangeCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const off = parseInt64(argv[2]!);
  const value = argv[3]!;
  if (off === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (off < 0) {
    c.error('ERR offset is out of range');
    return;
  }
  const offset = typeof off === 'bigint' ? Number.MAX_SAFE_INTEGER : off;
  const db = c.db;
  const slot = writeSlot(db, key);
  let old = '';
  if (slot === -1) {
    if (value.length === 0) {
      c.int(0);
      return;
    }
    if (!checkStringLength(c, s, offset, value.length)) return;
  } else {
    const v = db.values[slot]!;
    if (typeof v === 'object') {
      c.error(ERR_WRONGTYPE);
      return;
    }
    old = str(v);
    if (value.length === 0) {
      c.int(old.length);
      return;
    }
    if (!checkStringLength(c, s, offset, value.length)) return;
  }
  const padded = old.length < offset ? old + '\0'.repeat(offset - old.length) : old;
  const next = padded.slice(0, offset) + value + padded.slice(offset + value.length);
  if (slot === -1) addKey(s, db, key, toValue(next));
  else db.update(slot, toValue(next));
  markRaw(db, key, next.length);
  signal(s, db, key, '$', 'setrange');
  c.int(next.length);
}

function strlenCommand(c: Client, argv: string[], s: ServerState): void {
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) c.int(0);
  else if (typeof v === 'string') c.int(v.length);
  else if (typeof v === 'number') c.int(String(v).length);
  else c.error(ERR_WRONGTYPE);
}

function deleteWithEvent(s: ServerState, db: Db, key: string): void {
  db.delete(key);
  signal(s, db, key, 'g', 'del');
}

const docs = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'string', complexity });

register([
  {
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get the value of a key', '1.0.0'),
    handler: getCommand,
  },
  {
    name: 'set',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Set the string value of a key', '1.0.0'),
    handler: setCommand,
  },
  {
    name: 'setnx',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Set the value of a key, only if the key does not exist', '1.0.0'),
    handler(c, argv, s) {
      setGeneric(c, s, NX, argv[1]!, argv[2]!, null, 'setnx', true);
    },
  },
  {
    name: 'setex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Set the value and expiration of a key', '2.0.0'),
    handler(c, argv, s) {
      setGeneric(c, s, EX, argv[1]!, argv[3]!, argv[2]!, 'setex', false);
    },
  },
  {
    name: 'psetex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Set the value and expiration in milliseconds of a key', '2.6.0'),
    handler(c, argv, s) {
      setGeneric(c, s, PX, argv[1]!, argv[3]!, argv[2]!, 'psetex', false);
    },
  },
  {
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    categories: ['@string'],
    tips: ['request_policy:multi_shard'],
    docs: docs('Get the values of all the given keys', '1.0.0', 'O(N) where N is the number of keys to retrieve.'),
    handler(c, argv, s) {
      c.array(argv.length - 1);
      for (let j = 1; j < argv.length; j++) {
        const v = s.readKey(c, argv[j]!);
        if (v === undefined || typeof v === 'object') c.nil();
        else replyString(c, v);
      }
    },
  },
  {
    name: 'mset',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 2],
    categories: ['@string'],
    tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
    docs: docs('Set multiple keys to multiple values', '1.0.1', 'O(N) where N is the number of keys to set.'),
    handler(c, argv, s) {
      msetGeneric(c, argv, s, false);
    },
  },
  {
    name: 'msetnx',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 2],
    categories: ['@string'],
    tips: ['request_policy:multi_shard', 'response_policy:agg_min'],
    docs: docs('Set multiple keys to multiple values, only if none of the keys exist', '1.0.1', 'O(N) where N is the number of keys to set.'),
    handler(c, argv, s) {
      msetGeneric(c, argv, s, true);
    },
  },
  {
    name: 'getset',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Set the string value of a key and return its old value', '1.0.0'),
    handler(c, argv, s) {
      const key = argv[1]!;
      if (!replyOld(c, s, key)) return;
      const db = c.db;
      setKey(s, db, key, writeSlot(db, key), toValue(argv[2]!), false);
      signal(s, db, key, '$', 'set');
    },
  },
  {
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get the value of a key and delete the key', '6.2.0'),
    handler(c, argv, s) {
      const key = argv[1]!;
      const v = s.readKey(c, key);
      if (v === undefined) c.nil();
      else if (typeof v === 'object') c.error(ERR_WRONGTYPE);
      else {
        replyString(c, v);
        deleteWithEvent(s, c.db, key);
        c.propagateAs = ['DEL', key];
      }
    },
  },
  {
    name: 'getex',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get the value of a key and optionally set its expiration', '6.2.0'),
    handler: getexCommand,
  },
  {
    name: 'append',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Append a value to a key', '2.0.0'),
    handler: appendCommand,
  },
  {
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get the length of the value stored in a key', '2.2.0'),
    handler: strlenCommand,
  },
  {
    name: 'getrange',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get a substring of the string stored at a key', '2.4.0', 'O(N) where N is the length of the returned string.'),
    handler: getrangeCommand,
  },
  {
    name: 'substr',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Get a substring of the string stored at a key', '1.0.0', 'O(N) where N is the length of the returned string.'),
    handler: getrangeCommand,
  },
  {
    name: 'setrange',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@string'],
    docs: docs('Overwrite part of a string at key starting at the specified offset', '2.2.0'),
    handler: setrangeCommand,
  },
]);
