/*
 * Sorted-set pops: ZPOPMIN ZPOPMAX ZMPOP (and, through the blocking framework, BZPOPMIN BZPOPMAX
 * BZMPOP) sharing one routine, as in Redis 7.0, whose reply shapes differ by command and protocol:
 * - ZPOPMIN/ZPOPMAX: a flat [member, score, ...] array, except in RESP3 with a COUNT argument, where
 *   it is an array of [member, score] pairs;
 * - BZPOPMIN/BZPOPMAX: [key, member, score];
 * - ZMPOP/BZMPOP: [key, [[member, score], ...]], or a null array when nothing could be popped.
 * The first of the given keys that exists is popped from (WRONGTYPE stops the scan there).
 */

import { ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { ZSetValue } from '../types/zset';
import { dropEmpty } from './zset-common';

export const MIN = 0;
export const MAX = 1;

const ERR_POSITIVE = 'ERR value is out of range, must be positive';

/** The first existing key among argv[from..to) as a zset; null after replying WRONGTYPE. */
export function firstZset(c: Client, s: ServerState, argv: string[], from: number, to: number): { key: string; z: ZSetValue } | undefined | null {
  for (let i = from; i < to; i++) {
    const key = argv[i]!;
    const v = s.writeKey(c, key);
    if (v === undefined) continue;
    if (!(v instanceof ZSetValue)) {
      c.error(ERR_WRONGTYPE);
      return null;
    }
    return { key, z: v };
  }
  return undefined;
}

/**
 * Pops up to count (-1: one, the plain form) entries from the zset at key and replies. emitKey:
 * prefix the key (blocking and M forms); nested: [member, score] pairs. Does the bookkeeping.
 */
export function popFrom(c: Client, s: ServerState, key: string, z: ZSetValue, where: number, count: number, emitKey: boolean, nested: boolean): void {
  const n = Math.min(count === -1 ? 1 : count, z.size);
  if (!nested && !emitKey) c.array(n * 2);
  else if (nested && !emitKey) c.array(n);
  else if (!nested && emitKey) {
    c.array(n * 2 + 1);
    c.bulk(key);
  } else {
    c.array(2);
    c.bulk(key);
    c.array(n);
  }
  for (let i = 0; i < n; i++) {
    const node = where === MIN ? z.head! : z.tail!;
    z.deleteNode(node);
    if (nested) c.array(2);
    c.bulk(node.member);
    c.double(node.score);
  }
  s.notify('z', where === MIN ? 'zpopmin' : 'zpopmax', key, c.db.id);
  if (z.size === 0) dropEmpty(s, c, key);
  s.keyModified(c.db, key);
  s.dirty += n;
  // ZMPOP, BZPOPMIN (served now or later) and BZMPOP reach replicas as the plain pop
  const name = where === MIN ? 'ZPOPMIN' : 'ZPOPMAX';
  s.propagate(c.db.id, count === -1 ? [name, key] : [name, key, String(count)]);
  c.propagateAs = [];
}

function zpop(c: Client, argv: string[], s: ServerState, where: number): void {
  if (argv.length > 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const v = parseInt64(argv[2]!);
    if (v === null || v < 0) {
      c.error(ERR_POSITIVE);
      return;
    }
    count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
  }
  const found = firstZset(c, s, argv, 1, 2);
  if (found === null) return;
  if (found === undefined || count === 0) {
    c.array(0);
    return;
  }
  popFrom(c, s, found.key, found.z, where, count, false, c.resp > 2 && count !== -1);
}

/** The parsed tail of ZMPOP/BZMPOP from numkeys on; a string is the error to reply. */
export interface MpopArgs {
  from: number;
  to: number;
  where: number;
  count: number;
}

export function parseMpop(argv: string[], numkeysAt: number): MpopArgs | string {
  const nk = parseInt64(argv[numkeysAt]!);
  if (nk === null || nk < 1) return 'ERR numkeys should be greater than 0';
  const whereAt = numkeysAt + Number(nk) + 1;
  if (whereAt >= argv.length) return ERR_SYNTAX;
  let where: number;
  if (is(argv[whereAt]!, 'min')) where = MIN;
  else if (is(argv[whereAt]!, 'max')) where = MAX;
  else return ERR_SYNTAX;
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && is(argv[j]!, 'count') && more > 0) {
      j++;
      const v = parseInt64(argv[j]!);
      if (v === null || v < 1) return 'ERR count should be greater than 0';
      count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else {
      return ERR_SYNTAX;
    }
  }
  return { from: numkeysAt + 1, to: whereAt, where, count: count === -1 ? 1 : count };
}

function zmpop(c: Client, argv: string[], s: ServerState): void {
  const a = parseMpop(argv, 1);
  if (typeof a === 'string') {
    c.error(a);
    return;
  }
  const found = firstZset(c, s, argv, a.from, a.to);
  if (found === null) return;
  if (found === undefined) {
    c.nilArray();
    return;
  }
  popFrom(c, s, found.key, found.z, a.where, a.count, true, true);
}

/** Keys of ZMPOP (numkeys at 1) / BZMPOP (numkeys at 2). */
export function mpopKeys(argv: string[], numkeysAt: number): number[] {
  const n = parseInt64(argv[numkeysAt]!);
  if (n === null || n < 1 || n > argv.length - numkeysAt - 1) return [];
  const out: number[] = [];
  for (let i = 0; i < Number(n); i++) out.push(numkeysAt + 1 + i);
  return out;
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });
const cats = ['@sortedset'];

register([
  {
    name: 'zpopmin',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove and return members with the lowest scores in a sorted set', '5.0.0', 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.'),
    handler: (c, argv, s) => zpop(c, argv, s, MIN),
  },
  {
    name: 'zpopmax',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove and return members with the highest scores in a sorted set', '5.0.0', 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.'),
    handler: (c, argv, s) => zpop(c, argv, s, MAX),
  },
  {
    name: 'zmpop',
    arity: -4,
    flags: ['write'],
    keys: [0, 0, 0],
    getKeys: (argv) => mpopKeys(argv, 1),
    categories: cats,
    docs: docs('Remove and return members with scores in a sorted set', '7.0.0', 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.'),
    handler: zmpop,
  },
]);
