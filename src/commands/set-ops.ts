/*
 * Set algebra: SMEMBERS, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.
 *
 * As Redis 7.0: every source key is looked up and type-checked before any work (one WRONGTYPE
 * anywhere fails the command, even after a missing key), a missing key is an empty set.
 * - Intersection walks the smallest set and probes the others, so it costs O(N*M) for the smallest
 *   N; the plain reply comes in the smallest set's order (sorted when it is an intset), as Redis's.
 * - Union and difference build a new set, encoded as Redis encodes a set built by adding members to
 *   a fresh intset, and reply in that set's order (sorted when it stays an intset). Difference probes
 *   each member of the first set against the others.
 * - STORE forms replace the destination (dropping its TTL) or delete it when the result is empty.
 */

import { ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { SetValue } from '../types/set';
import { maxIntset, readSet, replyMembers } from './set';
import { addKey } from './string-common';

/** The sets at keys (undefined for missing ones), or null after replying WRONGTYPE. */
function lookupAll(c: Client, s: ServerState, argv: string[], from: number, to: number): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (let i = from; i < to; i++) {
    const set = readSet(c, s, argv[i]!);
    if (set === null) return null;
    sets.push(set);
  }
  return sets;
}

/** Stores a result set at dst (or deletes dst when empty) and replies with its size. */
function store(c: Client, s: ServerState, dst: string, result: SetValue, event: string): void {
  const db = c.db;
  if (result.size === 0) {
    c.int(0);
    if (s.writeKey(c, dst) !== undefined) {
      db.delete(dst);
      s.keyModified(db, dst);
      s.dirty++;
      s.notify('g', 'del', dst, db.id);
    }
    return;
  }
  if (s.writeKey(c, dst) === undefined) addKey(s, db, dst, result);
  else db.set(dst, result);
  s.keyModified(db, dst);
  c.int(result.size);
  s.notify('s', event, dst, db.id);
  s.dirty++;
}

/** The smallest set first, then the rest in key order (all present). */
function bySize(sets: SetValue[]): SetValue[] {
  return sets.slice().sort((a, b) => a.size - b.size);
}

/**
 * SINTER/SINTERSTORE/SINTERCARD over argv[from..to). mode: 'reply' the members, 'card' the count up
 * to limit (0 = no limit), or store at dst.
 */
function inter(c: Client, s: ServerState, argv: string[], from: number, to: number, dst: string | null, card: boolean, limit: number): void {
  const found = lookupAll(c, s, argv, from, to);
  if (found === null) return;
  const sets: SetValue[] = [];
  for (const set of found) if (set !== undefined) sets.push(set);
  if (sets.length !== found.length) {
    if (dst !== null) store(c, s, dst, new SetValue(), 'sinterstore');
    else if (card) c.int(0);
    else c.set(0);
    return;
  }
  const ordered = bySize(sets);
  const first = ordered[0]!;
  const members = first.members;
  const out: string[] = [];
  let count = 0;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    let inAll = true;
    for (let j = 1; j < ordered.length && inAll; j++) {
      const other = ordered[j]!;
      if (other !== first && !other.has(m)) inAll = false;
    }
    if (!inAll) continue;
    if (card) {
      count++;
      if (limit !== 0 && count >= limit) break;
    } else {
      out.push(m);
    }
  }
  if (card) c.int(count);
  else if (dst !== null) store(c, s, dst, SetValue.from(out, maxIntset(s)), 'sinterstore');
  else replyMembers(c, out);
}

function union(c: Client, s: ServerState, argv: string[], from: number, dst: string | null): void {
  const found = lookupAll(c, s, argv, from, argv.length);
  if (found === null) return;
  const seen = new Set<string>();
  for (const set of found) {
    if (set === undefined) continue;
    for (const m of set.members) seen.add(m);
  }
  const result = SetValue.from([...seen], maxIntset(s));
  if (dst !== null) store(c, s, dst, result, 'sunionstore');
  else replyMembers(c, result.members);
}

function diff(c: Client, s: ServerState, argv: string[], from: number, dst: string | null): void {
  const found = lookupAll(c, s, argv, from, argv.length);
  if (found === null) return;
  const out: string[] = [];
  const first = found[0];
  if (first !== undefined) {
    const others: SetValue[] = [];
    for (let i = 1; i < found.length; i++) {
      const set = found[i];
      if (set !== undefined && set.size !== 0) others.push(set);
    }
    for (const m of first.members) {
      let keep = true;
      for (let j = 0; j < others.length && keep; j++) if (others[j]!.has(m)) keep = false;
      if (keep) out.push(m);
    }
  }
  const result = SetValue.from(out, maxIntset(s));
  if (dst !== null) store(c, s, dst, result, 'sdiffstore');
  else replyMembers(c, result.members);
}

function sintercard(c: Client, argv: string[], s: ServerState): void {
  const n = parseInt64(argv[1]!);
  if (n === null || n < 1) {
    c.error('ERR numkeys should be greater than 0');
    return;
  }
  if (n > argv.length - 2) {
    c.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const numkeys = Number(n);
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    if (is(argv[j]!, 'limit') && j < argv.length - 1) {
      j++;
      const v = parseInt64(argv[j]!);
      if (v === null || v < 0) {
        c.error("ERR LIMIT can't be negative");
        return;
      }
      limit = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  inter(c, s, argv, 2, 2 + numkeys, null, true, limit);
}

/** SINTERCARD's keys: numkeys of them after it (none when numkeys is bad). */
function sintercardKeys(argv: string[]): number[] {
  const n = parseInt64(argv[1]!);
  if (n === null || n < 1 || n > argv.length - 2) return [];
  const out: number[] = [];
  for (let i = 0; i < Number(n); i++) out.push(2 + i);
  return out;
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'set', complexity });
const cats = ['@set'];
const ORDER_TIP = ['nondeterministic_output_order'];

register([
  {
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ORDER_TIP,
    docs: docs('Get all the members in a set', '1.0.0', 'O(N) where N is the set cardinality.'),
    handler: (c, argv, s) => inter(c, s, argv, 1, 2, null, false, 0),
  },
  {
    name: 'sinter',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    categories: cats,
    tips: ORDER_TIP,
    docs: docs('Intersect multiple sets', '1.0.0', 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.'),
    handler: (c, argv, s) => inter(c, s, argv, 1, argv.length, null, false, 0),
  },
  {
    name: 'sintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: sintercardKeys,
    categories: cats,
    docs: docs('Intersect multiple sets and return the cardinality of the result', '7.0.0', 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.'),
    handler: sintercard,
  },
  {
    name: 'sinterstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    categories: cats,
    docs: docs('Intersect multiple sets and store the resulting set in a key', '1.0.0', 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.'),
    handler: (c, argv, s) => inter(c, s, argv, 2, argv.length, argv[1]!, false, 0),
  },
  {
    name: 'sunion',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    categories: cats,
    tips: ORDER_TIP,
    docs: docs('Add multiple sets', '1.0.0', 'O(N) where N is the total number of elements in all given sets.'),
    handler: (c, argv, s) => union(c, s, argv, 1, null),
  },
  {
    name: 'sunionstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    categories: cats,
    docs: docs('Add multiple sets and store the resulting set in a key', '1.0.0', 'O(N) where N is the total number of elements in all given sets.'),
    handler: (c, argv, s) => union(c, s, argv, 2, argv[1]!),
  },
  {
    name: 'sdiff',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    categories: cats,
    tips: ORDER_TIP,
    docs: docs('Subtract multiple sets', '1.0.0', 'O(N) where N is the total number of elements in all given sets.'),
    handler: (c, argv, s) => diff(c, s, argv, 1, null),
  },
  {
    name: 'sdiffstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    categories: cats,
    docs: docs('Subtract multiple sets and store the resulting set in a key', '1.0.0', 'O(N) where N is the total number of elements in all given sets.'),
    handler: (c, argv, s) => diff(c, s, argv, 2, argv[1]!),
  },
]);
