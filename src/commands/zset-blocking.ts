/*
 * Blocking sorted-set pops: BZPOPMIN, BZPOPMAX, BZMPOP, on the blocking framework (blocking.ts) and
 * the pop routine of zset-pop.ts. They serve at once when a key has members; otherwise they wait
 * (never inside MULTI/EXEC, where they answer a null array). A zset created under a watched key
 * (ZADD, ZUNIONSTORE...) makes the key ready through addKey.
 */

import { blockClient, mustNotBlock, parseTimeout } from '../blocking';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { firstZset, MAX, MIN, mpopKeys, parseMpop, popFrom } from './zset-pop';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });

/** Pops from the first non-empty zset among argv[from..to): true when it replied. */
function tryPop(c: Client, s: ServerState, argv: string[], from: number, to: number, where: number, count: number, multi: boolean): boolean {
  const found = firstZset(c, s, argv, from, to);
  if (found === null) return true;
  if (found === undefined) return false;
  popFrom(c, s, found.key, found.z, where, multi ? count : -1, true, multi);
  return true;
}

function bzpop(c: Client, argv: string[], s: ServerState, where: number): void {
  const timeout = parseTimeout(c, argv[argv.length - 1]!, clock.now);
  if (timeout === null) return;
  const last = argv.length - 1;
  if (tryPop(c, s, argv, 1, last, where, 1, false)) return;
  if (mustNotBlock(c)) return c.nilArray();
  blockClient(s, c, argv.slice(1, last), timeout, (key) => tryPop(c, s, [key], 0, 1, where, 1, false), () => c.nilArray());
}

function bzmpop(c: Client, argv: string[], s: ServerState): void {
  const timeout = parseTimeout(c, argv[1]!, clock.now);
  if (timeout === null) return;
  const a = parseMpop(argv, 2);
  if (typeof a === 'string') return c.error(a);
  if (tryPop(c, s, argv, a.from, a.to, a.where, a.count, true)) return;
  if (mustNotBlock(c)) return c.nilArray();
  blockClient(s, c, argv.slice(a.from, a.to), timeout, (key) => tryPop(c, s, [key], 0, 1, a.where, a.count, true), () => c.nilArray());
}

const cats = ['@sortedset'];

register([
  {
    name: 'bzpopmin',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [1, -2, 1],
    categories: cats,
    docs: docs('Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.', '5.0.0', 'O(log(N)) with N being the number of elements in the sorted set.'),
    handler: (c, argv, s) => bzpop(c, argv, s, MIN),
  },
  {
    name: 'bzpopmax',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [1, -2, 1],
    categories: cats,
    docs: docs('Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.', '5.0.0', 'O(log(N)) with N being the number of elements in the sorted set.'),
    handler: (c, argv, s) => bzpop(c, argv, s, MAX),
  },
  {
    name: 'bzmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    keys: [0, 0, 0],
    getKeys: (argv) => mpopKeys(argv, 2),
    categories: cats,
    docs: docs('Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.', '7.0.0', 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.'),
    handler: bzmpop,
  },
]);
