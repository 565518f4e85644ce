/*
 * Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, MOVE,
 * COPY, TOUCH and OBJECT. Expiry commands are in keys-expire.ts.
 *
 * Moving a key (RENAME, MOVE) moves the value itself, its TTL, its access time and its encoding mark,
 * as Redis moves the robj. COPY duplicates: strings are immutable JS values and are shared; a
 * collection must provide clone().
 *
 * KEYS walks the dense key array and skips expired keys without deleting them (deleting would
 * reorder the array under the walk; Redis's KEYS does not delete either). SCAN uses Db.scan's
 * top-down slot cursor, then filters by pattern, type and expiry as Redis does, deleting expired
 * keys only after the walk.
 */

import { ERR_NOT_INT, ERR_NO_KEY, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register, unknownSubcommand } from '../command';
import { clock } from '../keyspace/clock';
import { typeName, type Db, type Value } from '../keyspace/db';
import { globMatch } from '../keyspace/glob';
import { idleMs, lfuCounter } from '../keyspace/lru';
import type { ServerState } from '../state';
import { addKey, getExpireExact, readSlotNoTouch, setExpireExact, signal, stringEncoding, writeSlot } from './string-common';

const ERR_SAME = 'ERR source and destination objects are the same';
const ERR_DB_RANGE = 'ERR DB index is out of range';

function delCommand(c: Client, argv: string[], s: ServerState): void {
  const db = c.db;
  let n = 0;
  for (let j = 1; j < argv.length; j++) {
    const key = argv[j]!;
    if (db.slot(key) !== -1) {
      db.delete(key);
      signal(s, db, key, 'g', 'del');
      n++;
    }
  }
  c.int(n);
}

/** Parses a DB index as getIntFromObjectOrReply does, then checks the range; null after replying. */
function parseDbIndex(c: Client, s: ServerState, arg: string): Db | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.error(ERR_NOT_INT);
    return null;
  }
  if (v < -2147483648 || v > 2147483647) {
    c.error('ERR value is out of range, value must between -2147483648 and 2147483647');
    return null;
  }
  const id = Number(v);
  if (id < 0 || id >= s.dbs.length) {
    c.error(ERR_DB_RANGE);
    return null;
  }
  return s.dbs[id]!;
}

/** Copies the TTL, exact even beyond 2^53. */
function copyExpire(from: Db, key: string, to: Db, toKey: string): void {
  if (from.expires.size === 0) return;
  const at = getExpireExact(from, key);
  if (at !== -1) setExpireExact(to, toKey, at);
}

function renameGeneric(c: Client, argv: string[], s: ServerState, nx: boolean): void {
  const src = argv[1]!;
  const dst = argv[2]!;
  const db = c.db;
  const slot = writeSlot(db, src);
  if (slot === -1) {
    c.error(ERR_NO_KEY);
    return;
  }
  if (src === dst) {
    if (nx) c.int(0);
    else c.ok();
    return;
  }
  const v = db.values[slot]!;
  const lru = db.lru[slot]!;
  const mark = db.encodings.size !== 0 ? db.encodings.get(src) : undefined;
  if (writeSlot(db, dst) !== -1) {
    if (nx) {
      c.int(0);
      return;
    }
    db.delete(dst);
  }
  const to = addKey(s, db, dst, v);
  db.lru[to] = lru;
  copyExpire(db, src, db, dst);
  if (mark !== undefined) db.encodings.set(dst, mark);
  db.delete(src);
  s.keyModified(db, src);
  s.keyModified(db, dst);
  s.notify('g', 'rename_from', src, db.id);
  s.notify('g', 'rename_to', dst, db.id);
  s.dirty++;
  if (nx) c.int(1);
  else c.ok();
}

function moveCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const src = c.db;
  const dst = parseDbIndex(c, s, argv[2]!);
  if (dst === null) return;
  if (dst === src) {
    c.error(ERR_SAME);
    return;
  }
  const slot = writeSlot(src, key);
  if (slot === -1 || writeSlot(dst, key) !== -1) {
    c.int(0);
    return;
  }
  const v = src.values[slot]!;
  const to = addKey(s, dst, key, v);
  dst.lru[to] = src.lru[slot]!;
  copyExpire(src, key, dst, key);
  const mark = src.encodings.size !== 0 ? src.encodings.get(key) : undefined;
  if (mark !== undefined) dst.encodings.set(key, mark);
  src.delete(key);
  s.keyModified(src, key);
  s.keyModified(dst, key);
  s.notify('g', 'move_from', key, src.id);
  s.notify('g', 'move_to', key, dst.id);
  s.dirty++;
  c.int(1);
}

function copyCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const newkey = argv[2]!;
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (is(argv[j]!, 'replace')) replace = true;
    else if (is(argv[j]!, 'db') && more >= 1) {
      const d = parseDbIndex(c, s, argv[j + 1]!);
      if (d === null) return;
      dst = d;
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (src === dst && key === newkey) {
    c.error(ERR_SAME);
    return;
  }
  const v = s.readKey(c, key);
  if (v === undefined) {
    c.int(0);
    return;
  }
  let exists = false;
  if (writeSlot(dst, newkey) !== -1) {
    if (!replace) {
      c.int(0);
      return;
    }
    exists = true;
  }
  let copy: Value = v;
  if (typeof v === 'object') {
    if (v.clone === undefined) {
      c.error(`ERR COPY is not supported for values of type ${v.type}`);
      return;
    }
    copy = v.clone();
  }
  if (exists) dst.delete(newkey);
  addKey(s, dst, newkey, copy);
  copyExpire(src, key, dst, newkey);
  const mark = src.encodings.size !== 0 ? src.encodings.get(key) : undefined;
  if (mark !== undefined) dst.encodings.set(newkey, mark);
  else if (typeof copy === 'number' && copy >= 0 && copy < 10000) dst.encodings.set(newkey, 'int'); // a private, unshared int
  s.keyModified(dst, newkey);
  s.notify('g', 'copy_to', newkey, dst.id);
  s.dirty++;
  c.int(1);
}

function keysCommand(c: Client, argv: string[], s: ServerState): void {
  const pattern = argv[1]!;
  const all = pattern === '*';
  const db = c.db;
  const keys = db.keys;
  const expires = db.expires;
  const now = clock.now;
  const out: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!all && !globMatch(pattern, key)) continue;
    if (expires.size !== 0) {
      const at = expires.get(key);
      if (at !== undefined && at <= now) continue;
    }
    out.push(key);
  }
  c.bulks(out);
}

const TWO64 = 18446744073709551616n;

/** A SCAN cursor as Redis's strtoul-based parse; null when invalid. Huge cursors clamp. */
function parseCursor(arg: string): number | null {
  let a = arg;
  const nul = a.indexOf('\0');
  if (nul !== -1) a = a.slice(0, nul); // strtoul stops at the terminator
  if (a.length === 0) return 0;
  const m = /^([+-]?)(\d+)$/.exec(a);
  if (m === null) return null;
  let v = BigInt(m[2]!);
  if (v >= TWO64) return null;
  if (m[1] === '-' && v !== 0n) v = TWO64 - v;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function scanCommand(c: Client, argv: string[], s: ServerState): void {
  const cursor = parseCursor(argv[1]!);
  if (cursor === null) {
    c.error('ERR invalid cursor');
    return;
  }
  let count = 10;
  let pattern: string | null = null;
  let type: string | null = null;
  for (let i = 2; i < argv.length; ) {
    const more = argv.length - i;
    const opt = argv[i]!;
    if (is(opt, 'count') && more >= 2) {
      const v = parseInt64(argv[i + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      if (v < 1) {
        c.error(ERR_SYNTAX);
        return;
      }
      count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      i += 2;
    } else if (is(opt, 'match') && more >= 2) {
      pattern = argv[i + 1]!;
      if (pattern === '*') pattern = null;
      i += 2;
    } else if (is(opt, 'type') && more >= 2) {
      type = argv[i + 1]!.toLowerCase();
      i += 2;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const db = c.db;
  const found: string[] = [];
  const next = db.scan(cursor, count, (key) => {
    if (pattern === null || globMatch(pattern, key)) found.push(key);
  });
  const out: string[] = [];
  for (const key of found) {
    const slot = db.slot(key); // expires it if due, as Redis's SCAN does
    if (slot === -1) continue;
    if (type !== null && typeName(db.values[slot]!) !== type) continue;
    out.push(key);
  }
  c.array(2);
  c.bulk(String(next));
  c.bulks(out);
}

/** The configured eviction policy ('noeviction' until eviction exists). */
function policy(s: ServerState): string {
  return s.config.directive('maxmemory-policy') !== undefined ? s.config.get('maxmemory-policy') : 'noeviction';
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

const POLICY_NOTE = 'Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

/** OBJECT's lookup: no LRU touch, statistics counted, nil reply when missing (-1 then). */
function objectSlot(c: Client, s: ServerState, key: string): number {
  const slot = readSlotNoTouch(s, c.db, key);
  if (slot === -1) c.nil();
  return slot;
}

const keyspace = ['@keyspace'];
const gdocs = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'generic', complexity });
const objectSpec = (
  sub: string,
  summary: string,
  since: string,
  handler: (c: Client, argv: string[], s: ServerState) => void,
) => ({
  name: `object|${sub}`,
  arity: 3,
  flags: ['readonly'],
  keys: [2, 2, 1] as const,
  categories: keyspace,
  tips: ['nondeterministic_output'],
  docs: gdocs(summary, since),
  handler,
});

register([
  {
    name: 'del',
    arity: -2,
    flags: ['write'],
    keys: [1, -1, 1],
    categories: keyspace,
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    docs: gdocs('Delete a key', '1.0.0', 'O(N) where N is the number of keys that will be removed.'),
    handler: delCommand,
  },
  {
    name: 'unlink',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, -1, 1],
    categories: keyspace,
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    docs: gdocs(
      'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
      '4.0.0',
      'O(1) for each key removed regardless of its size.',
    ),
    handler: delCommand,
  },
  {
    name: 'exists',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    categories: keyspace,
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    docs: gdocs('Determine if a key exists', '1.0.0', 'O(N) where N is the number of keys to check.'),
    handler(c, argv, s) {
      let n = 0;
      for (let j = 1; j < argv.length; j++) if (readSlotNoTouch(s, c.db, argv[j]!) !== -1) n++;
      c.int(n);
    },
  },
  {
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: keyspace,
    docs: gdocs('Determine the type stored at key', '1.0.0'),
    handler(c, argv, s) {
      const slot = readSlotNoTouch(s, c.db, argv[1]!);
      c.simple(slot === -1 ? 'none' : typeName(c.db.values[slot]!));
    },
  },
  {
    name: 'keys',
    arity: 2,
    flags: ['readonly'],
    keys: [0, 0, 0],
    categories: ['@keyspace', '@dangerous'],
    tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
    docs: gdocs('Find all keys matching the given pattern', '1.0.0', 'O(N) with N being the number of keys in the database'),
    handler: keysCommand,
  },
  {
    name: 'scan',
    arity: -2,
    flags: ['readonly'],
    keys: [0, 0, 0],
    categories: keyspace,
    tips: ['nondeterministic_output', 'request_policy:special'],
    docs: gdocs('Incrementally iterate the keys space', '2.8.0', 'O(1) for every call. O(N) for a complete iteration.'),
    handler: scanCommand,
  },
  {
    name: 'randomkey',
    arity: 1,
    flags: ['readonly'],
    keys: [0, 0, 0],
    categories: keyspace,
    tips: ['request_policy:all_shards', 'nondeterministic_output'],
    docs: gdocs('Return a random key from the keyspace', '1.0.0'),
    handler(c) {
      const key = c.db.randomKey();
      if (key === undefined) c.nil();
      else c.bulk(key);
    },
  },
  {
    name: 'rename',
    arity: 3,
    flags: ['write'],
    keys: [1, 2, 1],
    categories: keyspace,
    docs: gdocs('Rename a key', '1.0.0'),
    handler(c, argv, s) {
      renameGeneric(c, argv, s, false);
    },
  },
  {
    name: 'renamenx',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    categories: keyspace,
    docs: gdocs('Rename a key, only if the new key does not exist', '1.0.0'),
    handler(c, argv, s) {
      renameGeneric(c, argv, s, true);
    },
  },
  {
    name: 'move',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: keyspace,
    docs: gdocs('Move a key to another database', '1.0.0'),
    handler: moveCommand,
  },
  {
    name: 'copy',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    categories: keyspace,
    docs: gdocs('Copy a key', '6.2.0', 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.'),
    handler: copyCommand,
  },
  {
    name: 'touch',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    categories: keyspace,
    tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
    docs: gdocs(
      'Alters the last access time of a key(s). Returns the number of existing keys specified.',
      '3.2.1',
      'O(N) where N is the number of keys that will be touched.',
    ),
    handler(c, argv, s) {
      // TOUCH touches even for a CLIENT NO-TOUCH client: touching is what it is asked to do
      const noTouch = c.noTouch;
      c.noTouch = false;
      let n = 0;
      for (let j = 1; j < argv.length; j++) if (s.readKey(c, argv[j]!) !== undefined) n++;
      c.noTouch = noTouch;
      c.int(n);
    },
  },
  {
    name: 'object',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: gdocs('A container for object introspection commands', '2.2.3', 'Depends on subcommand.'),
    handler: unknownSubcommand,
    subcommands: [
      objectSpec('encoding', 'Inspect the internal encoding of a Redis object', '2.2.3', (c, argv, s) => {
        const key = argv[2]!;
        const slot = objectSlot(c, s, key);
        if (slot === -1) return;
        const v = c.db.values[slot]!;
        if (typeof v !== 'object') c.bulk(stringEncoding(c.db, key, v));
        else c.bulk(v.encoding !== undefined ? v.encoding() : 'unknown');
      }),
      objectSpec('refcount', 'Get the number of references to the value of the key', '2.2.3', (c, argv, s) => {
        const key = argv[2]!;
        const slot = objectSlot(c, s, key);
        if (slot === -1) return;
        const v = c.db.values[slot]!;
        // small integers are shared objects unless an LRU/LFU policy with maxmemory forbids sharing
        const maxmemory = s.config.directive('maxmemory') !== undefined ? s.config.number('maxmemory') : 0;
        const p = policy(s);
        const shareable = maxmemory === 0 || !(p.includes('lru') || p.includes('lfu'));
        // an encoding mark means the object was built privately (APPEND, INCRBYFLOAT, COPY)
        const shared = shareable && typeof v === 'number' && v >= 0 && v < 10000 && !c.db.encodings.has(key);
        c.int(shared ? 2147483647 : 1);
      }),
      objectSpec('idletime', 'Get the time since a Redis object was last accessed', '2.2.3', (c, argv, s) => {
        const slot = objectSlot(c, s, argv[2]!);
        if (slot === -1) return;
        if (policy(s).includes('lfu')) {
          c.error(`ERR An LFU maxmemory policy is selected, idle time not tracked. ${POLICY_NOTE}`);
          return;
        }
        c.int(Math.floor(idleMs(c.db.lru[slot]!) / 1000));
      }),
      objectSpec('freq', 'Get the logarithmic access frequency counter of a Redis object', '4.0.0', (c, argv, s) => {
        const slot = objectSlot(c, s, argv[2]!);
        if (slot === -1) return;
        if (!policy(s).includes('lfu')) {
          c.error(`ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${POLICY_NOTE}`);
          return;
        }
        c.int(lfuCounter(c.db.lru[slot]!));
      }),
      {
        name: 'object|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: keyspace,
        docs: gdocs('Show helpful text about the different subcommands', '6.2.0'),
        handler(c) {
          c.array(OBJECT_HELP.length);
          for (const line of OBJECT_HELP) c.simple(line);
        },
      },
    ],
  },
]);
