/*
 * List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
 * LPOS RPOPLPUSH LMOVE LMPOP. The blocking forms are in list-blocking.ts; both share the helpers
 * exported here. Every push signals the key as ready for clients blocked on it (blocking.ts).
 */

import { ERR_NOT_INT, ERR_NO_KEY, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64, parseInteger } from '../args';
import { signalKeyAsReady } from '../blocking';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
import type { ServerState } from '../state';
import { ListValue } from '../types/list';
import { addKey } from './string-common';

/** The list at key for reading: undefined when missing, null after replying WRONGTYPE. */
export function readList(c: Client, s: ServerState, key: string): ListValue | undefined | null {
  const v = s.readKey(c, key);
  if (v === undefined || v instanceof ListValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The list at key for writing: undefined when missing, null after replying WRONGTYPE. */
export function writeList(c: Client, s: ServerState, key: string): ListValue | undefined | null {
  const v = s.writeKey(c, key);
  if (v === undefined || v instanceof ListValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** After a change: bookkeeping, and the key deleted when the list became empty. */
export function listChanged(s: ServerState, c: Client, key: string, list: ListValue, event: string, dirty = 1): void {
  const db = c.db;
  if (list.length === 0) db.delete(key);
  s.keyModified(db, key);
  s.dirty += dirty;
  s.notify('l', event, key, db.id);
  if (list.length === 0) s.notify('g', 'del', key, db.id);
}

/** Pushes values[from..] at one end, creating the list; returns the new length. */
export function pushValues(
  c: Client,
  s: ServerState,
  key: string,
  list: ListValue | undefined,
  values: readonly string[],
  head: boolean,
  from = 0,
): number {
  let l = list;
  if (l === undefined) {
    l = new ListValue(values.length - from);
    addKey(s, c.db, key, l);
  }
  if (head) for (let i = from; i < values.length; i++) l.pushHead(values[i]!);
  else for (let i = from; i < values.length; i++) l.pushTail(values[i]!);
  listChanged(s, c, key, l, head ? 'lpush' : 'rpush', values.length - from);
  signalKeyAsReady(s, c.db, key);
  return l.length;
}

/** Pops one element from an end. */
export function popOne(list: ListValue, head: boolean): string {
  return (head ? list.popHead() : list.popTail())!;
}

/** Redis's index normalisation: negative counts from the end; null when out of range. */
function resolveIndex(list: ListValue, index: number): number | null {
  const i = index < 0 ? list.length + index : index;
  return i < 0 || i >= list.length ? null : i;
}

function parseIndex(c: Client, arg: string): number | null {
  const v = parseInteger(arg);
  if (v === null) c.error(ERR_NOT_INT);
  return v;
}

/** LEFT/RIGHT -> true for the head; null after a syntax error. */
export function parseWhere(c: Client, arg: string): boolean | null {
  if (is(arg, 'left')) return true;
  if (is(arg, 'right')) return false;
  c.error(ERR_SYNTAX);
  return null;
}

/**
 * LMOVE's core, also used by BLMOVE when a client is served: pops from `src` (which holds `list`)
 * and pushes to `dst`; replies with the element.
 */
export function moveElement(c: Client, s: ServerState, src: string, list: ListValue, dst: string, fromHead: boolean, toHead: boolean): boolean {
  const target = src === dst ? list : writeList(c, s, dst);
  if (target === null) return false;
  // as Redis: the push (and its event) first, then the source's pop event and its deletion; the
  // move counts as one change (dirty), as in Redis
  const v = popOne(list, fromHead);
  pushValues(c, s, dst, target, [v], toHead);
  s.dirty--;
  const db = c.db;
  s.notify('l', fromHead ? 'lpop' : 'rpop', src, db.id);
  if (list.length === 0) {
    db.delete(src);
    s.notify('g', 'del', src, db.id);
  }
  s.keyModified(db, src);
  s.dirty++;
  c.bulk(v);
  return true;
}

/** LMPOP/BLMPOP reply: [key, [elements...]] for up to count elements from one end. */
export function popMany(c: Client, s: ServerState, key: string, list: ListValue, head: boolean, count: number): void {
  const n = Math.min(count, list.length);
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(popOne(list, head));
  listChanged(s, c, key, list, head ? 'lpop' : 'rpop', n);
  c.array(2);
  c.bulk(key);
  c.bulks(items);
  // LMPOP and BLMPOP (served now or later) reach replicas as LPOP/RPOP with the count
  s.propagate(c.db.id, [head ? 'LPOP' : 'RPOP', key, String(count)]);
  c.propagateAs = [];
}

/** Parses `numkeys key... LEFT|RIGHT [COUNT n]` from argv[from]; null after replying. */
export function parseMpop(c: Client, argv: string[], from: number): { keys: string[]; head: boolean; count: number } | null {
  // as Redis's getRangeLongFromObjectOrReply(1, LONG_MAX): one message for bad and out-of-range
  const parsed = parseInt64(argv[from]!);
  if (parsed === null || parsed <= 0) {
    c.error('ERR numkeys should be greater than 0');
    return null;
  }
  const numkeys = typeof parsed === 'bigint' ? Number.MAX_SAFE_INTEGER : parsed;
  const whereAt = from + 1 + numkeys;
  if (whereAt >= argv.length) {
    c.error('ERR syntax error');
    return null;
  }
  const head = parseWhere(c, argv[whereAt]!);
  if (head === null) return null;
  let count = 1;
  let j = whereAt + 1;
  if (j < argv.length) {
    if (!is(argv[j]!, 'count') || j + 2 !== argv.length) {
      c.error(ERR_SYNTAX);
      return null;
    }
    const n = parseInt64(argv[j + 1]!);
    if (n === null || n <= 0) {
      c.error('ERR count should be greater than 0');
      return null;
    }
    count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
    j += 2;
  }
  return { keys: argv.slice(from + 1, whereAt), head, count };
}

/** mpop key positions for COMMAND GETKEYS: numkeys at argv[from]. */
export function mpopKeys(from: number): (argv: string[]) => number[] {
  return (argv) => {
    const n = Number(argv[from]);
    const out: number[] = [];
    for (let i = 0; i < n && from + 1 + i < argv.length; i++) out.push(from + 1 + i);
    return out;
  };
}

const docs = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'list', complexity });

function push(name: string, head: boolean, onlyExisting: boolean): CommandDef {
  return {
    name,
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs(`${onlyExisting ? 'Prepends one or more elements to a list only when the list exists.' : 'Prepends one or more elements to a list. Creates the key if it doesn\'t exist.'}`, onlyExisting ? '2.2.0' : '1.0.0', 'O(1) for each element added'),
    handler(c, argv, s) {
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined && onlyExisting) return c.int(0);
      c.int(pushValues(c, s, key, list, argv, head, 2));
    },
  };
}

function pop(name: string, head: boolean): CommandDef {
  return {
    name,
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs(`Returns and removes the ${head ? 'first' : 'last'} elements of a list. Deletes the list if the last element was popped.`, '1.0.0', 'O(N) where N is the number of elements returned'),
    handler(c, argv, s) {
      if (argv.length > 3) return c.error(`ERR wrong number of arguments for '${name}' command`);
      let count = -1;
      if (argv.length === 3) {
        const n = parseInt64(argv[2]!);
        if (n === null || (typeof n === 'bigint' ? n < 0n : n < 0)) return c.error('ERR value is out of range, must be positive');
        count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      }
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined) return count === -1 ? c.nil() : c.nilArray();
      if (count === -1) {
        const v = popOne(list, head);
        listChanged(s, c, key, list, head ? 'lpop' : 'rpop');
        return c.bulk(v);
      }
      if (count === 0) return c.array(0);
      const n = Math.min(count, list.length);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(popOne(list, head));
      listChanged(s, c, key, list, head ? 'lpop' : 'rpop', n);
      c.bulks(items);
    },
  };
}

function lpos(c: Client, argv: string[], s: ServerState): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  // RANK -2^63: Redis negates it into itself, so every match from the tail counts, COUNT or not
  let allFromTail = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const known = is(opt, 'rank') || is(opt, 'count') || is(opt, 'maxlen');
    if (!known || j + 1 >= argv.length) return c.error(ERR_SYNTAX);
    const n = parseInt64(argv[j + 1]!);
    if (n === null) return c.error(ERR_NOT_INT);
    const v = typeof n === 'bigint' ? (n > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER) : n;
    if (is(opt, 'rank')) {
      allFromTail = n === -9223372036854775808n;
      if (v === 0) {
        return c.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
      rank = v;
    } else if (is(opt, 'count')) {
      if (v < 0) return c.error("ERR COUNT can't be negative");
      count = v;
    } else if (is(opt, 'maxlen')) {
      if (v < 0) return c.error("ERR MAXLEN can't be negative");
      maxlen = v;
    } else {
      return c.error(ERR_SYNTAX);
    }
    j++;
  }
  const list = readList(c, s, argv[1]!);
  if (list === null) return;
  if (list === undefined) return count === -1 ? c.nil() : c.array(0);
  const element = argv[2]!;
  const matches: number[] = [];
  if (allFromTail) rank = -1;
  const want = count === -1 ? 1 : count === 0 || allFromTail ? Infinity : count;
  let skip = Math.abs(rank) - 1;
  const n = list.length;
  const limit = maxlen === 0 ? n : Math.min(maxlen, n);
  for (let step = 0; step < limit && matches.length < want; step++) {
    const i = rank > 0 ? step : n - 1 - step;
    if (list.at(i) !== element) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    matches.push(i);
  }
  if (count === -1) return matches.length === 0 ? c.nil() : c.int(matches[0]!);
  c.array(matches.length);
  for (const m of matches) c.int(m);
}

register([
  push('lpush', true, false),
  push('rpush', false, false),
  push('lpushx', true, true),
  push('rpushx', false, true),
  pop('lpop', true),
  pop('rpop', false),
  {
    name: 'llen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Returns the length of a list.', '1.0.0'),
    handler(c, argv, s) {
      const list = readList(c, s, argv[1]!);
      if (list !== null) c.int(list?.length ?? 0);
    },
  },
  {
    name: 'lrange',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Returns a range of elements from a list.', '1.0.0', 'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.'),
    handler(c, argv, s) {
      const start = parseIndex(c, argv[2]!);
      if (start === null) return;
      const end = parseIndex(c, argv[3]!);
      if (end === null) return;
      const list = readList(c, s, argv[1]!);
      if (list === null) return;
      if (list === undefined) return c.array(0);
      const n = list.length;
      let from = start < 0 ? n + start : start;
      let to = end < 0 ? n + end : end;
      if (from < 0) from = 0;
      if (from > to || from >= n) return c.array(0);
      if (to >= n) to = n - 1;
      c.bulkRange(to - from + 1, (i) => list.at(from + i));
    },
  },
  {
    name: 'lindex',
    arity: 3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Returns an element from a list by its index.', '1.0.0', 'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).'),
    handler(c, argv, s) {
      const index = parseIndex(c, argv[2]!);
      if (index === null) return;
      const list = readList(c, s, argv[1]!);
      if (list === null) return;
      if (list === undefined) return c.nil();
      const i = resolveIndex(list, index);
      if (i === null) c.nil();
      else c.bulk(list.at(i));
    },
  },
  {
    name: 'lset',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Sets the value of an element in a list by its index.', '1.0.0', 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).'),
    handler(c, argv, s) {
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined) return c.error(ERR_NO_KEY);
      const index = parseIndex(c, argv[2]!);
      if (index === null) return;
      const i = resolveIndex(list, index);
      if (i === null) return c.error('ERR index out of range');
      list.set(i, argv[3]!);
      listChanged(s, c, key, list, 'lset');
      c.ok();
    },
  },
  {
    name: 'linsert',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Inserts an element before or after another element in a list.', '2.2.0', 'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).'),
    handler(c, argv, s) {
      const where = argv[2]!;
      const after = is(where, 'after');
      if (!after && !is(where, 'before')) return c.error(ERR_SYNTAX);
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined) return c.int(0);
      const pivot = argv[3]!;
      const at = list.indexOf(pivot);
      if (at === -1) return c.int(-1);
      list.insertAt(after ? at + 1 : at, argv[4]!);
      listChanged(s, c, key, list, 'linsert');
      c.int(list.length);
    },
  },
  {
    name: 'lrem',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Removes elements from a list. Deletes the list if the last element was removed.', '1.0.0', 'O(N+M) where N is the length of the list and M is the number of elements removed.'),
    handler(c, argv, s) {
      const count = parseIndex(c, argv[2]!);
      if (count === null) return;
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined) return c.int(0);
      const removed = list.removeMatching(argv[3]!, Math.abs(count), count < 0);
      if (removed !== 0) listChanged(s, c, key, list, 'lrem', removed);
      c.int(removed);
    },
  },
  {
    name: 'ltrim',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Removes elements from both ends a list. Deletes the list if all elements were trimmed.', '1.0.0', 'O(N) where N is the number of elements to be removed by the operation.'),
    handler(c, argv, s) {
      const start = parseIndex(c, argv[2]!);
      if (start === null) return;
      const end = parseIndex(c, argv[3]!);
      if (end === null) return;
      const key = argv[1]!;
      const list = writeList(c, s, key);
      if (list === null) return;
      if (list === undefined) return c.ok();
      const n = list.length;
      let from = start < 0 ? n + start : start;
      let to = end < 0 ? n + end : end;
      if (from < 0) from = 0;
      const before = n;
      if (from > to || from >= n) list.clear();
      else {
        if (to >= n) to = n - 1;
        list.trim(from, to);
      }
      listChanged(s, c, key, list, 'ltrim', before - list.length);
      c.ok();
    },
  },
  {
    name: 'lpos',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@list'],
    docs: docs('Returns the index of matching elements in a list.', '6.0.6', 'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.'),
    handler: lpos,
  },
  {
    name: 'rpoplpush',
    arity: 3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    categories: ['@list'],
    docs: docs('Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.', '1.2.0'),
    handler(c, argv, s) {
      lmove(c, s, argv[1]!, argv[2]!, false, true);
    },
  },
  {
    name: 'lmove',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    categories: ['@list'],
    docs: docs('Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.', '6.2.0'),
    handler(c, argv, s) {
      const from = parseWhere(c, argv[3]!);
      if (from === null) return;
      const to = parseWhere(c, argv[4]!);
      if (to === null) return;
      lmove(c, s, argv[1]!, argv[2]!, from, to);
    },
  },
  {
    name: 'lmpop',
    arity: -4,
    flags: ['write', 'movablekeys'],
    keys: [0, 0, 0],
    getKeys: mpopKeys(1),
    categories: ['@list'],
    docs: docs('Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.', '7.0.0', 'O(N+M) where N is the number of provided keys and M is the number of elements returned.'),
    handler(c, argv, s) {
      const args = parseMpop(c, argv, 1);
      if (args === null) return;
      for (const key of args.keys) {
        const list = writeList(c, s, key);
        if (list === null) return;
        if (list === undefined) continue;
        return popMany(c, s, key, list, args.head, args.count);
      }
      c.nilArray();
    },
  },
]);

function lmove(c: Client, s: ServerState, src: string, dst: string, fromHead: boolean, toHead: boolean): void {
  const list = writeList(c, s, src);
  if (list === null) return;
  if (list === undefined) return c.nil();
  moveElement(c, s, src, list, dst, fromHead, toHead);
}
