/*
 * Sorted-set commands on single members and counts: ZADD ZINCRBY ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
 * ZCOUNT ZLEXCOUNT ZREM ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZRANDMEMBER ZSCAN, over
 * types/zset.ts. Ranges are in zset-range.ts, the set algebra in zset-store.ts, pops in zset-pop.ts.
 *
 * Each follows Redis 7.0's order of checks, since that decides which error a bad call gets: options
 * and every number are parsed before the key is looked up (ZADD validates all scores first so that
 * it either applies fully or not at all), then WRONGTYPE. A write that empties a zset deletes the key.
 * Redis 7.0 has no WITHSCORE for ZRANK/ZREVRANK (added in 7.2), so neither do we: arity 3, as the
 * oracle reports.
 */

import { ERR_NOT_FLOAT, ERR_NOT_INT, ERR_SYNTAX, is, parseInt64, parseScanCursor, parseScanOptions } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { globMatch } from '../keyspace/glob';
import { formatDouble } from '../protocol/reply';
import type { ServerState } from '../state';
import { ZSetValue, type ZNode } from '../types/zset';
import { distinctSlots } from './hash';
import { addKey } from './string-common';
import {
  ERR_MINMAX_FLOAT,
  ERR_MINMAX_LEX,
  ERR_NAN,
  dropEmpty,
  entriesHeader,
  parseLexRange,
  parseScore,
  parseScoreRange,
  readZset,
  replyNode,
  writeZset,
  zchanged,
  zlimits,
} from './zset-common';

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;
const CH = 16;
const INCR = 32;

/** ZADD and ZINCRBY (which is ZADD INCR with one pair). */
function zaddGeneric(c: Client, argv: string[], s: ServerState, incrCmd: boolean): void {
  const key = argv[1]!;
  let flags = incrCmd ? INCR : 0;
  let at = 2;
  if (!incrCmd) {
    for (; at < argv.length; at++) {
      const opt = argv[at]!;
      if (opt.length > 4) break;
      const o = opt.toLowerCase();
      if (o === 'nx') flags |= NX;
      else if (o === 'xx') flags |= XX;
      else if (o === 'ch') flags |= CH;
      else if (o === 'incr') flags |= INCR;
      else if (o === 'gt') flags |= GT;
      else if (o === 'lt') flags |= LT;
      else break;
    }
  }
  const elements = argv.length - at;
  if (elements === 0 || elements % 2 !== 0) {
    c.error(ERR_SYNTAX);
    return;
  }
  const pairs = elements / 2;
  if ((flags & (NX | XX)) === (NX | XX)) {
    c.error('ERR XX and NX options at the same time are not compatible');
    return;
  }
  if (((flags & GT) !== 0 && (flags & NX) !== 0) || ((flags & LT) !== 0 && (flags & NX) !== 0) || (flags & (GT | LT)) === (GT | LT)) {
    c.error('ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  const incr = (flags & INCR) !== 0;
  if (incr && pairs > 1) {
    c.error('ERR INCR option supports a single increment-element pair');
    return;
  }
  const scores = new Array<number>(pairs);
  for (let j = 0; j < pairs; j++) {
    const v = parseScore(argv[at + j * 2]!);
    if (v === null) {
      c.error(ERR_NOT_FLOAT);
      return;
    }
    scores[j] = v;
  }
  let z = writeZset(c, s, key);
  if (z === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === undefined) {
    if ((flags & XX) !== 0) {
      if (incr) c.nil();
      else c.int(0);
      return;
    }
    z = new ZSetValue();
    addKey(s, c.db, key, z);
  }
  const limits = zlimits(s);
  const nx = (flags & NX) !== 0;
  const xx = (flags & XX) !== 0;
  const gt = (flags & GT) !== 0;
  const lt = (flags & LT) !== 0;
  let nan = false;
  for (let j = 0; j < pairs; j++) {
    const member = argv[at + j * 2 + 1]!;
    let v = scores[j]!;
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        v += cur;
        if (Number.isNaN(v)) {
          nan = true;
          break;
        }
      }
      if ((lt && v >= cur) || (gt && v <= cur)) continue;
      processed++;
      score = v;
      if (z.add(member, v, limits) === 'updated') updated++;
    } else if (!xx) {
      z.add(member, v, limits);
      added++;
      processed++;
      score = v;
    }
  }
  if (nan) c.error(ERR_NAN);
  else if (incr) {
    if (processed !== 0) c.double(score);
    else c.nil();
  } else c.int((flags & CH) !== 0 ? added + updated : added);
  if (added + updated !== 0) zchanged(s, c, key, incr ? 'zincr' : 'zadd', added + updated);
}

function zcard(c: Client, argv: string[], s: ServerState): void {
  const z = readZset(c, s, argv[1]!);
  if (z !== null) c.int(z === undefined ? 0 : z.size);
}

function zscore(c: Client, argv: string[], s: ServerState): void {
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  const v = z === undefined ? undefined : z.score(argv[2]!);
  if (v === undefined) c.nil();
  else c.double(v);
}

function zmscore(c: Client, argv: string[], s: ServerState): void {
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  c.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = z === undefined ? undefined : z.score(argv[i]!);
    if (v === undefined) c.nil();
    else c.double(v);
  }
}

function zrankGeneric(c: Client, argv: string[], s: ServerState, rev: boolean): void {
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  if (z === undefined) {
    c.nil();
    return;
  }
  const r = z.rank(argv[2]!);
  if (r === -1) c.nil();
  else c.int(rev ? z.size - 1 - r : r);
}

function zcount(c: Client, argv: string[], s: ServerState): void {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  if (range === null) {
    c.error(ERR_MINMAX_FLOAT);
    return;
  }
  const z = readZset(c, s, argv[1]!);
  if (z !== null) c.int(z === undefined ? 0 : z.countInScore(range));
}

function zlexcount(c: Client, argv: string[], s: ServerState): void {
  const range = parseLexRange(argv[2]!, argv[3]!);
  if (range === null) {
    c.error(ERR_MINMAX_LEX);
    return;
  }
  const z = readZset(c, s, argv[1]!);
  if (z !== null) c.int(z === undefined ? 0 : z.countInLex(range));
}

function zrem(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const z = writeZset(c, s, key);
  if (z === null) return;
  if (z === undefined) {
    c.int(0);
    return;
  }
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (z.delete(argv[i]!)) deleted++;
    if (z.size === 0) {
      c.db.delete(key);
      removed = true;
      break;
    }
  }
  c.int(deleted);
  if (deleted !== 0) {
    s.notify('z', 'zrem', key, c.db.id);
    if (removed) s.notify('g', 'del', key, c.db.id);
    s.keyModified(c.db, key);
    s.dirty += deleted;
  }
}

type RemKind = 'rank' | 'score' | 'lex';

function zremrange(c: Client, argv: string[], s: ServerState, kind: RemKind): void {
  const key = argv[1]!;
  let start = 0;
  let end = 0;
  let apply: (z: ZSetValue) => number;
  if (kind === 'rank') {
    const a = parseInt64(argv[2]!);
    const b = a === null ? null : parseInt64(argv[3]!);
    if (a === null || b === null) {
      c.error(ERR_NOT_INT);
      return;
    }
    start = Number(a);
    end = Number(b);
    apply = (z) => z.deleteRangeByRank(start, end);
  } else if (kind === 'score') {
    const range = parseScoreRange(argv[2]!, argv[3]!);
    if (range === null) {
      c.error(ERR_MINMAX_FLOAT);
      return;
    }
    apply = (z) => z.deleteRangeByScore(range);
  } else {
    const range = parseLexRange(argv[2]!, argv[3]!);
    if (range === null) {
      c.error(ERR_MINMAX_LEX);
      return;
    }
    apply = (z) => z.deleteRangeByLex(range);
  }
  const z = writeZset(c, s, key);
  if (z === null) return;
  if (z === undefined) {
    c.int(0);
    return;
  }
  if (kind === 'rank') {
    const len = z.size;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
      c.int(0);
      return;
    }
    if (end >= len) end = len - 1;
  }
  const deleted = apply(z);
  if (deleted !== 0) {
    s.keyModified(c.db, key);
    s.notify('z', 'zremrangeby' + kind, key, c.db.id);
    if (z.size === 0) dropEmpty(s, c, key);
  }
  s.dirty += deleted;
  c.int(deleted);
}

const LONG_MAX = 9223372036854775807n;
const HALF_LONG_MAX = 4611686018427387903;

function zrandmember(c: Client, argv: string[], s: ServerState): void {
  if (argv.length === 2) {
    const z = readZset(c, s, argv[1]!);
    if (z === null) return;
    if (z === undefined) c.nil();
    else c.bulk(z.random().member);
    return;
  }
  const raw = parseInt64(argv[2]!);
  if (raw === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (typeof raw === 'bigint' && raw < -LONG_MAX) {
    c.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return;
  }
  if (argv.length > 4 || (argv.length === 4 && !is(argv[3]!, 'withscores'))) {
    c.error(ERR_SYNTAX);
    return;
  }
  const withScores = argv.length === 4;
  if (withScores && (raw < -HALF_LONG_MAX || raw > HALF_LONG_MAX)) {
    c.error('ERR value is out of range');
    return;
  }
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  if (z === undefined) {
    c.array(0);
    return;
  }
  const l = typeof raw === 'bigint' ? (raw > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER) : raw;
  if (l === 0) {
    c.array(0);
    return;
  }
  const size = z.size;
  if (l < 0 || l === 1) {
    // picks with repetition, in random order
    const count = l < 0 ? -l : 1;
    entriesHeader(c, count, withScores);
    for (let i = 0; i < count; i++) replyNode(c, z.random(), withScores);
    return;
  }
  if (l >= size) {
    // the whole set: Redis 7.0 replies with it in descending rank order
    entriesHeader(c, size, withScores);
    for (let n = z.tail; n !== null; n = n.prev) replyNode(c, n, withScores);
    return;
  }
  entriesHeader(c, l, withScores);
  if (z.listpack) {
    // a listpack samples distinct entries in list order (selection sampling over the ranks)
    let need = l;
    let left = size;
    for (let n = z.head; n !== null && need > 0; n = n.next[0]!, left--) {
      if (Math.random() * left < need) {
        replyNode(c, n, withScores);
        need--;
      }
    }
    return;
  }
  const nodes = z.nodes;
  for (const i of distinctSlots(size, l)) replyNode(c, nodes[i]!, withScores);
}

const EMPTY_SCAN = '*2\r\n$1\r\n0\r\n*0\r\n';

function zscan(c: Client, argv: string[], s: ServerState): void {
  const cursor = parseScanCursor(argv[2]!);
  if (cursor === null) {
    c.error('ERR invalid cursor');
    return;
  }
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  if (z === undefined) {
    c.raw(EMPTY_SCAN);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === 'string') {
    c.error(opts);
    return;
  }
  const { count, pattern } = opts;
  const found: ZNode[] = [];
  let next = 0;
  if (z.listpack) {
    // a listpack is returned whole in one call, in its order, as Redis does
    for (let n = z.head; n !== null; n = n.next[0]!) if (pattern === null || globMatch(pattern, n.member)) found.push(n);
  } else {
    next = z.scan(cursor, count, (n) => {
      if (pattern === null || globMatch(pattern, n.member)) found.push(n);
    });
  }
  c.array(2);
  c.bulk(String(next));
  c.array(found.length * 2);
  for (const n of found) {
    c.bulk(n.member);
    c.bulk(formatDouble(n.score));
  }
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });
const cats = ['@sortedset'];

register([
  {
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Add one or more members to a sorted set, or update its score if it already exists', '1.2.0', 'O(log(N)) for each item added, where N is the number of elements in the sorted set.'),
    handler: (c, argv, s) => zaddGeneric(c, argv, s, false),
  },
  {
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Increment the score of a member in a sorted set', '1.2.0', 'O(log(N)) where N is the number of elements in the sorted set.'),
    handler: (c, argv, s) => zaddGeneric(c, argv, s, true),
  },
  {
    name: 'zcard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the number of members in a sorted set', '1.2.0', 'O(1)'),
    handler: zcard,
  },
  {
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the score associated with the given member in a sorted set', '1.2.0', 'O(1)'),
    handler: zscore,
  },
  {
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Get the score associated with the given members in a sorted set', '6.2.0', 'O(N) where N is the number of members being requested.'),
    handler: zmscore,
  },
  {
    name: 'zrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Determine the index of a member in a sorted set', '2.0.0', 'O(log(N))'),
    handler: (c, argv, s) => zrankGeneric(c, argv, s, false),
  },
  {
    name: 'zrevrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Determine the index of a member in a sorted set, with scores ordered from high to low', '2.0.0', 'O(log(N))'),
    handler: (c, argv, s) => zrankGeneric(c, argv, s, true),
  },
  {
    name: 'zcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Count the members in a sorted set with scores within the given values', '2.0.0', 'O(log(N)) with N being the number of elements in the sorted set.'),
    handler: zcount,
  },
  {
    name: 'zlexcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Count the number of members in a sorted set between a given lexicographical range', '2.8.9', 'O(log(N)) with N being the number of elements in the sorted set.'),
    handler: zlexcount,
  },
  {
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove one or more members from a sorted set', '1.2.0', 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.'),
    handler: zrem,
  },
  {
    name: 'zremrangebyrank',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove all members in a sorted set within the given indexes', '2.0.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.'),
    handler: (c, argv, s) => zremrange(c, argv, s, 'rank'),
  },
  {
    name: 'zremrangebyscore',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove all members in a sorted set within the given scores', '1.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.'),
    handler: (c, argv, s) => zremrange(c, argv, s, 'score'),
  },
  {
    name: 'zremrangebylex',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Remove all members in a sorted set between the given lexicographical range', '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.'),
    handler: (c, argv, s) => zremrange(c, argv, s, 'lex'),
  },
  {
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Get one or multiple random elements from a sorted set', '6.2.0', 'O(N) where N is the number of elements returned'),
    handler: zrandmember,
  },
  {
    name: 'zscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    tips: ['nondeterministic_output'],
    docs: docs('Incrementally iterate sorted sets elements and associated scores', '2.8.0', 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.'),
    handler: zscan,
  },
]);
