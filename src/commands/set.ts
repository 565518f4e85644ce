/*
 * Set commands on one key: SADD SREM SCARD SISMEMBER SMISMEMBER SPOP SRANDMEMBER SMOVE SSCAN, over
 * types/set.ts. The multi-key algebra (SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD, and
 * SMEMBERS, which Redis runs as a one-key SINTER) is in set-ops.ts.
 *
 * Checks follow Redis 7.0's order (count parsed before the key is looked up, WRONGTYPE before the
 * member), since that decides which error a bad call gets. Random picks are O(1) each: the set keeps
 * a dense member array. A write that empties a set deletes the key.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, parseInt64, parseScanCursor, parseScanOptions } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { globMatch } from '../keyspace/glob';
import type { ServerState } from '../state';
import { SetValue } from '../types/set';
import { distinctSlots } from './hash';
import { addKey } from './string-common';

const maxIntsetCache = new WeakMap<ServerState, { n: number }>();

/** set-max-intset-entries of this server, read once and kept current. */
export function maxIntset(s: ServerState): number {
  let l = maxIntsetCache.get(s);
  if (l === undefined) {
    const fresh = { n: s.config.number('set-max-intset-entries') };
    s.config.onChange('set-max-intset-entries', () => (fresh.n = s.config.number('set-max-intset-entries')));
    maxIntsetCache.set(s, fresh);
    l = fresh;
  }
  return l.n;
}

/** The set at key for reading: undefined when missing, null after replying WRONGTYPE. */
export function readSet(c: Client, s: ServerState, key: string): SetValue | undefined | null {
  const v = s.readKey(c, key);
  if (v === undefined || v instanceof SetValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The set at key for writing: undefined when missing, null after replying WRONGTYPE. */
export function writeSet(c: Client, s: ServerState, key: string): SetValue | undefined | null {
  const v = s.writeKey(c, key);
  if (v === undefined || v instanceof SetValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

export function changed(s: ServerState, c: Client, key: string, event: string, dirty: number): void {
  s.keyModified(c.db, key);
  s.dirty += dirty;
  s.notify('s', event, key, c.db.id);
}

/** Deletes a set key that became empty, with the generic "del" event. */
function dropEmpty(s: ServerState, c: Client, key: string): void {
  c.db.delete(key);
  s.notify('g', 'del', key, c.db.id);
}

function sadd(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  let set = writeSet(c, s, key);
  if (set === null) return;
  if (set === undefined) {
    set = new SetValue();
    addKey(s, c.db, key, set);
  }
  const max = maxIntset(s);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i]!, max)) added++;
  c.int(added);
  if (added !== 0) changed(s, c, key, 'sadd', added);
}

function srem(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const set = writeSet(c, s, key);
  if (set === null) return;
  if (set === undefined) {
    c.int(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (set.delete(argv[i]!)) {
      deleted++;
      if (set.size === 0) {
        c.db.delete(key);
        removed = true;
        break;
      }
    }
  }
  c.int(deleted);
  if (deleted !== 0) {
    changed(s, c, key, 'srem', deleted);
    if (removed) s.notify('g', 'del', key, c.db.id);
  }
}

function scard(c: Client, argv: string[], s: ServerState): void {
  const set = readSet(c, s, argv[1]!);
  if (set !== null) c.int(set === undefined ? 0 : set.size);
}

function sismember(c: Client, argv: string[], s: ServerState): void {
  const set = readSet(c, s, argv[1]!);
  if (set !== null) c.int(set !== undefined && set.has(argv[2]!) ? 1 : 0);
}

function smismember(c: Client, argv: string[], s: ServerState): void {
  const set = readSet(c, s, argv[1]!);
  if (set === null) return;
  c.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.int(set !== undefined && set.has(argv[i]!) ? 1 : 0);
}

/** Replies with members as a set (RESP3 `~`) in their stored order. */
export function replyMembers(c: Client, members: readonly string[]): void {
  c.set(members.length);
  for (let i = 0; i < members.length; i++) c.bulk(members[i]!);
}

const ERR_POSITIVE = 'ERR value is out of range, must be positive';
/** Redis moves to "keep the rest" once count * 5 exceeds the size (SPOP_MOVE_STRATEGY_MUL). */
const SPOP_MOVE_MUL = 5;

function spop(c: Client, argv: string[], s: ServerState): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  const key = argv[1]!;
  if (argv.length === 2) {
    const set = writeSet(c, s, key);
    if (set === null) return;
    if (set === undefined) {
      c.nil();
      return;
    }
    const member = set.deleteSlot(set.randomSlot());
    c.bulk(member);
    c.propagateAs = ['SREM', key, member];
    s.notify('s', 'spop', key, c.db.id);
    if (set.size === 0) dropEmpty(s, c, key);
    s.keyModified(c.db, key);
    s.dirty++;
    return;
  }
  const v = parseInt64(argv[2]!);
  if (v === null || v < 0) {
    c.error(ERR_POSITIVE);
    return;
  }
  const set = writeSet(c, s, key);
  if (set === null) return;
  if (set === undefined || v === 0) {
    c.set(0);
    return;
  }
  const size = set.size;
  s.notify('s', 'spop', key, c.db.id);
  if (v >= size) {
    // the whole set, in the order a fresh copy of it iterates (sorted when it fits an intset)
    replyMembers(c, SetValue.from(set.members.slice(), maxIntset(s)).members);
    s.dirty += size;
    dropEmpty(s, c, key);
    s.keyModified(c.db, key);
    c.propagateAs = ['DEL', key];
    return;
  }
  // replicas remove the same members, one SREM each (Redis 7.0), in one MULTI with the rest
  c.propagateAs = [];
  const db = c.db.id;
  const count = Number(v);
  s.dirty += count;
  if (count * SPOP_MOVE_MUL > size) {
    // keep size - count random members in a new set (re-encoded from scratch, as Redis rebuilds it)
    const keep = distinctSlots(size, size - count);
    const kept = new Uint8Array(size);
    const members = set.members;
    const rest: string[] = new Array<string>(keep.length);
    for (let i = 0; i < keep.length; i++) {
      kept[keep[i]!] = 1;
      rest[i] = members[keep[i]!]!;
    }
    c.set(count);
    for (let i = 0; i < size; i++) {
      if (kept[i] !== 0) continue;
      c.bulk(members[i]!);
      s.propagate(db, ['SREM', key, members[i]!]);
    }
    const slot = c.db.slot(key);
    c.db.update(slot, SetValue.from(rest, maxIntset(s)));
  } else {
    c.set(count);
    for (let i = 0; i < count; i++) {
      const member = set.deleteSlot(set.randomSlot());
      c.bulk(member);
      s.propagate(db, ['SREM', key, member]);
    }
  }
  s.keyModified(c.db, key);
}

function srandmember(c: Client, argv: string[], s: ServerState): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 2) {
    const set = readSet(c, s, argv[1]!);
    if (set === null) return;
    if (set === undefined) c.nil();
    else c.bulk(set.members[set.randomSlot()]!);
    return;
  }
  const v = parseInt64(argv[2]!);
  if (v === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (typeof v === 'bigint' && v < -9223372036854775807n) {
    c.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return;
  }
  const set = readSet(c, s, argv[1]!);
  if (set === null) return;
  if (set === undefined || v === 0) {
    c.array(0);
    return;
  }
  const members = set.members;
  const size = members.length;
  if (v < 0) {
    const count = Number(v) === -Infinity ? Number.MAX_SAFE_INTEGER : -Number(v);
    c.array(count);
    for (let i = 0; i < count; i++) c.bulk(members[set.randomSlot()]!);
    return;
  }
  if (v >= size) {
    c.array(size);
    for (let i = 0; i < size; i++) c.bulk(members[i]!);
    return;
  }
  const count = Number(v);
  c.array(count);
  for (const i of distinctSlots(size, count)) c.bulk(members[i]!);
}

function smove(c: Client, argv: string[], s: ServerState): void {
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const member = argv[3]!;
  const srcRaw = s.writeKey(c, srcKey);
  const dstRaw = s.writeKey(c, dstKey);
  if (srcRaw === undefined) {
    c.int(0);
    return;
  }
  if (!(srcRaw instanceof SetValue) || (dstRaw !== undefined && !(dstRaw instanceof SetValue))) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  if (srcRaw === dstRaw) {
    c.int(srcRaw.has(member) ? 1 : 0);
    return;
  }
  if (!srcRaw.delete(member)) {
    c.int(0);
    return;
  }
  s.notify('s', 'srem', srcKey, c.db.id);
  if (srcRaw.size === 0) dropEmpty(s, c, srcKey);
  let dst = dstRaw;
  if (dst === undefined) {
    dst = new SetValue();
    addKey(s, c.db, dstKey, dst);
  }
  s.keyModified(c.db, srcKey);
  s.dirty++;
  if (dst.add(member, maxIntset(s))) changed(s, c, dstKey, 'sadd', 1);
  c.int(1);
}

const EMPTY_SCAN = '*2\r\n$1\r\n0\r\n*0\r\n';

function sscan(c: Client, argv: string[], s: ServerState): void {
  const cursor = parseScanCursor(argv[2]!);
  if (cursor === null) {
    c.error('ERR invalid cursor');
    return;
  }
  const set = readSet(c, s, argv[1]!);
  if (set === null) return;
  if (set === undefined) {
    c.raw(EMPTY_SCAN);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === 'string') {
    c.error(opts);
    return;
  }
  const { count, pattern } = opts;
  const found: string[] = [];
  let next = 0;
  if (set.intset) {
    // an intset is returned whole in one call, as Redis does
    for (const m of set.members) if (pattern === null || globMatch(pattern, m)) found.push(m);
  } else {
    next = set.scan(cursor, count, (m) => {
      if (pattern === null || globMatch(pattern, m)) found.push(m);
    });
  }
  c.array(2);
  c.bulk(String(next));
  c.bulks(found);
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'set', complexity });
const cats = ['@set'];

register([
  {
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Add one or more members to a set', '1.0.0', 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.'),
    handler: sadd,
  },
  {
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove one or more members from a set', '1.0.0', 'O(N) where N is the number of members to be removed.'),
    handler: srem,
  },
  {
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the number of members in a set', '1.0.0', 'O(1)'),
    handler: scard,
  },
  {
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Determine if a given value is a member of a set', '1.0.0', 'O(1)'),
    handler: sismember,
  },
  {
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Returns the membership associated with the given elements for a set', '6.2.0', 'O(N) where N is the number of elements being checked for membership'),
    handler: smismember,
  },
  {
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Remove and return one or multiple random members from a set', '1.0.0', 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.'),
    handler: spop,
  },
  {
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Get one or multiple random members from a set', '1.0.0', 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.'),
    handler: srandmember,
  },
  {
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    categories: cats,
    docs: docs('Move a member from one set to another', '1.0.0', 'O(1)'),
    handler: smove,
  },
  {
    name: 'sscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Incrementally iterate Set elements', '2.8.0', 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.'),
    handler: sscan,
  },
]);
