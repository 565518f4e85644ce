/*
 * Sorted-set ranges: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES), ZRANGESTORE, and the older forms
 * ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX, all one generic routine as in
 * Redis 7.0 (the older forms fix the range type and direction, so naming them again is a syntax
 * error).
 *
 * Order of checks, as Redis: options first (LIMIT's integers parsed as they are met), then the
 * conflicting combinations, then the range bounds, then the key (WRONGTYPE). A rank range is found
 * in O(log n) by rank; score and lex ranges by their first (or, reversed, last) node, then walked.
 * A negative LIMIT offset selects nothing and a negative count means all, as Redis's loops do.
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInteger } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { ZSetValue, lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexRange, type ScoreRange, type ZNode } from '../types/zset';
import {
  ERR_MINMAX_FLOAT,
  ERR_MINMAX_LEX,
  entriesHeader,
  parseLexRange,
  parseScoreRange,
  readZset,
  replyNode,
  storeResult,
  zlimits,
} from './zset-common';

const AUTO = 0;
const RANK = 1;
const SCORE = 2;
const LEX = 3;

/**
 * The generic range command. keyAt: index of the source key in argv; dst: the ZRANGESTORE target
 * (null to reply); type/rev: fixed by the command, or AUTO / null to take from the options.
 */
function zrangeGeneric(c: Client, argv: string[], s: ServerState, keyAt: number, dst: string | null, fixedType: number, fixedRev: boolean | null): void {
  let minAt = keyAt + 1;
  let maxAt = keyAt + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let type = fixedType;
  let rev = fixedRev;
  for (let j = keyAt + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const opt = argv[j]!;
    if (dst === null && is(opt, 'withscores')) {
      withScores = true;
    } else if (is(opt, 'limit') && left >= 2) {
      const o = parseInteger(argv[j + 1]!);
      const l = o === null ? null : parseInteger(argv[j + 2]!);
      if (o === null || l === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (rev === null && is(opt, 'rev')) {
      rev = true;
    } else if (fixedType === AUTO && type === AUTO && is(opt, 'bylex')) {
      type = LEX;
    } else if (fixedType === AUTO && type === AUTO && is(opt, 'byscore')) {
      type = SCORE;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (rev === null) rev = false;
  if (type === AUTO) type = RANK;
  if (limit !== -1 && type === RANK) {
    c.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withScores && type === LEX) {
    c.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  if (rev && type !== RANK) {
    // the range is given as max, min
    const t = minAt;
    minAt = maxAt;
    maxAt = t;
  }
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (type === RANK) {
    const a = parseInteger(argv[minAt]!);
    const b = a === null ? null : parseInteger(argv[maxAt]!);
    if (a === null || b === null) {
      c.error(ERR_NOT_INT);
      return;
    }
    start = a;
    end = b;
  } else if (type === SCORE) {
    scoreRange = parseScoreRange(argv[minAt]!, argv[maxAt]!);
    if (scoreRange === null) {
      c.error(ERR_MINMAX_FLOAT);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[minAt]!, argv[maxAt]!);
    if (lexRange === null) {
      c.error(ERR_MINMAX_LEX);
      return;
    }
  }
  const z = readZset(c, s, argv[keyAt]!);
  if (z === null) return;
  if (z === undefined) {
    if (dst !== null) storeResult(c, s, dst, new ZSetValue(), 'zrangestore');
    else c.array(0);
    return;
  }
  if (type === RANK) {
    const len = z.size;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
      if (dst !== null) storeResult(c, s, dst, new ZSetValue(), 'zrangestore');
      else c.array(0);
      return;
    }
    if (end >= len) end = len - 1;
    const count = end - start + 1;
    let n = rev ? z.at(len - 1 - start) : z.at(start);
    if (dst !== null) {
      const nodes: ZNode[] = [];
      for (let i = 0; i < count && n !== null; i++, n = rev ? n.prev : n.next[0]!) nodes.push(n);
      store(c, s, dst, nodes, rev, true);
      return;
    }
    entriesHeader(c, count, withScores);
    for (let i = 0; i < count && n !== null; i++, n = rev ? n.prev : n.next[0]!) replyNode(c, n, withScores);
    return;
  }
  const nodes: ZNode[] = [];
  if (offset >= 0) {
    if (type === SCORE) {
      const r = scoreRange!;
      let n = rev ? z.lastInScore(r) : z.firstInScore(r);
      for (; n !== null && offset > 0; offset--) n = rev ? n.prev : n.next[0]!;
      while (n !== null && limit !== 0 && (rev ? scoreGteMin(n.score, r) : scoreLteMax(n.score, r))) {
        nodes.push(n);
        limit--;
        n = rev ? n.prev : n.next[0]!;
      }
    } else {
      const r = lexRange!;
      let n = rev ? z.lastInLex(r) : z.firstInLex(r);
      for (; n !== null && offset > 0; offset--) n = rev ? n.prev : n.next[0]!;
      while (n !== null && limit !== 0 && (rev ? lexGteMin(n.member, r) : lexLteMax(n.member, r))) {
        nodes.push(n);
        limit--;
        n = rev ? n.prev : n.next[0]!;
      }
    }
  }
  if (dst !== null) {
    store(c, s, dst, nodes, rev, false);
    return;
  }
  entriesHeader(c, nodes.length, withScores);
  for (let i = 0; i < nodes.length; i++) replyNode(c, nodes[i]!, withScores);
}

/**
 * ZRANGESTORE's result: the nodes (in walk order) as a new zset at dst. Redis starts the result as a
 * listpack (unless a rank range is known to be too long) and adds the entries in walk order,
 * converting when one does not fit; entries added while it was a listpack lose a negative zero's
 * sign (listpack scores are text). The walk is replayed here for that, then built in O(n).
 */
function store(c: Client, s: ServerState, dst: string, nodes: ZNode[], rev: boolean, byRank: boolean): void {
  const n = nodes.length;
  const limits = zlimits(s);
  const members = new Array<string>(n);
  const scores = new Array<number>(n);
  let listpack = !byRank || n <= limits.entries;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (listpack && (i + 1 > limits.entries || node.member.length > limits.value)) listpack = false;
    const at = rev ? n - 1 - i : i;
    members[at] = node.member;
    scores[at] = listpack && node.score === 0 ? 0 : node.score;
  }
  storeResult(c, s, dst, ZSetValue.fromSorted(members, scores, limits), 'zrangestore');
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });
const cats = ['@sortedset'];
const LOGN_M = 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.';

register([
  {
    name: 'zrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set', '1.2.0', LOGN_M),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, AUTO, null),
  },
  {
    name: 'zrangestore',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    categories: cats,
    docs: docs('Store a range of members from sorted set into another key', '6.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.'),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 2, argv[1]!, AUTO, null),
  },
  {
    name: 'zrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set, by index, with scores ordered from high to low', '1.2.0', LOGN_M),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, RANK, true),
  },
  {
    name: 'zrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set, by score', '1.0.5', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).'),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, SCORE, false),
  },
  {
    name: 'zrevrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set, by score, with scores ordered from high to low', '2.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).'),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, SCORE, true),
  },
  {
    name: 'zrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set, by lexicographical range', '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).'),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, LEX, false),
  },
  {
    name: 'zrevrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: cats,
    docs: docs('Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.', '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).'),
    handler: (c, argv, s) => zrangeGeneric(c, argv, s, 1, null, LEX, true),
  },
]);
