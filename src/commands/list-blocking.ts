/*
 * Blocking list commands: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP. Each first tries to serve at
 * once exactly as its non-blocking form; otherwise it blocks (blocking.ts) with a `serve` function
 * that runs the same code when a push makes one of its keys ready. Inside MULTI/EXEC they never
 * block: BLPOP/BLMPOP answer a null array, BRPOPLPUSH/BLMOVE a null bulk, as Redis 7.0.
 */

import { blockClient, mustNotBlock, parseTimeout } from '../blocking';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import type { ListValue } from '../types/list';
import { listChanged, moveElement, mpopKeys, parseMpop, parseWhere, popMany, popOne, writeList } from './list';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'list', complexity });

/**
 * Runs the serving of a blocked BLPOP/BRPOP/BLMOVE/BRPOPLPUSH without counting it as a change
 * (rdb_changes_since_last_save), as Redis 7.0 does; a served BLMPOP counts its elements there.
 */
function uncounted(s: ServerState, serve: () => boolean): boolean {
  const dirty = s.dirty;
  const served = serve();
  s.dirty = dirty;
  return served;
}

/** BLPOP/BRPOP: tries each key in order; true when it replied (served or an error). */
function tryPop(c: Client, s: ServerState, keys: readonly string[], head: boolean): boolean {
  for (const key of keys) {
    const list = writeList(c, s, key);
    if (list === null) return true;
    if (list === undefined) continue;
    const v = popOne(list, head);
    listChanged(s, c, key, list, head ? 'lpop' : 'rpop');
    c.array(2);
    c.bulk(key);
    c.bulk(v);
    // replicas pop without blocking, from the key that served
    s.propagate(c.db.id, [head ? 'LPOP' : 'RPOP', key]);
    c.propagateAs = [];
    return true;
  }
  return false;
}

function blockingPop(name: string, head: boolean): CommandDef {
  return {
    name,
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    keys: [1, -2, 1],
    categories: ['@list'],
    docs: docs(
      `Removes and returns the ${head ? 'first' : 'last'} element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.`,
      head ? '2.0.0' : '2.0.0',
      'O(N) where N is the number of provided keys.',
    ),
    handler(c, argv, s) {
      const timeout = parseTimeout(c, argv[argv.length - 1]!, clock.now);
      if (timeout === null) return;
      const keys = argv.slice(1, -1);
      if (tryPop(c, s, keys, head)) return;
      if (mustNotBlock(c)) return c.nilArray();
      blockClient(s, c, keys, timeout, (key) => uncounted(s, () => tryPop(c, s, [key], head)), () => c.nilArray());
    },
  };
}

/** BLMOVE/BRPOPLPUSH: true when it replied; replicas get `propagateAs` (LMOVE/RPOPLPUSH) when it moved. */
function tryMove(c: Client, s: ServerState, src: string, dst: string, fromHead: boolean, toHead: boolean, propagateAs: string[]): boolean {
  const list = writeList(c, s, src);
  if (list === null) return true;
  if (list === undefined) return false;
  if (moveElement(c, s, src, list, dst, fromHead, toHead)) {
    s.propagate(c.db.id, propagateAs);
    c.propagateAs = [];
  }
  return true;
}

function blockingMove(c: Client, s: ServerState, src: string, dst: string, fromHead: boolean, toHead: boolean, timeoutArg: string, propagateAs: string[]): void {
  const timeout = parseTimeout(c, timeoutArg, clock.now);
  if (timeout === null) return;
  if (tryMove(c, s, src, dst, fromHead, toHead, propagateAs)) return;
  if (mustNotBlock(c)) return c.nil();
  blockClient(s, c, [src], timeout, () => uncounted(s, () => tryMove(c, s, src, dst, fromHead, toHead, propagateAs)), () => c.nilArray());
}

function tryMpop(c: Client, s: ServerState, keys: readonly string[], head: boolean, count: number): boolean {
  for (const key of keys) {
    const list: ListValue | undefined | null = writeList(c, s, key);
    if (list === null) return true;
    if (list === undefined) continue;
    popMany(c, s, key, list, head, count);
    return true;
  }
  return false;
}

register([
  blockingPop('blpop', true),
  blockingPop('brpop', false),
  {
    name: 'brpoplpush',
    arity: 4,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    keys: [1, 2, 1],
    categories: ['@list'],
    docs: docs('Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.', '2.2.0', 'O(1)'),
    handler(c, argv, s) {
      blockingMove(c, s, argv[1]!, argv[2]!, false, true, argv[3]!, ['RPOPLPUSH', argv[1]!, argv[2]!]);
    },
  },
  {
    name: 'blmove',
    arity: 6,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    keys: [1, 2, 1],
    categories: ['@list'],
    docs: docs('Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.', '6.2.0', 'O(1)'),
    handler(c, argv, s) {
      const from = parseWhere(c, argv[3]!);
      if (from === null) return;
      const to = parseWhere(c, argv[4]!);
      if (to === null) return;
      blockingMove(c, s, argv[1]!, argv[2]!, from, to, argv[5]!, ['LMOVE', argv[1]!, argv[2]!, argv[3]!, argv[4]!]);
    },
  },
  {
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    keys: [0, 0, 0],
    getKeys: mpopKeys(2),
    categories: ['@list'],
    docs: docs('Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.', '7.0.0', 'O(N+M) where N is the number of provided keys and M is the number of elements returned.'),
    handler(c, argv, s) {
      const timeout = parseTimeout(c, argv[1]!, clock.now);
      if (timeout === null) return;
      const args = parseMpop(c, argv, 2);
      if (args === null) return;
      if (tryMpop(c, s, args.keys, args.head, args.count)) return;
      if (mustNotBlock(c)) return c.nilArray();
      blockClient(s, c, args.keys, timeout, (key) => tryMpop(c, s, [key], args.head, args.count), () => c.nilArray());
    },
  },
]);
