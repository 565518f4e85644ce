/*
 * Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms (WEIGHTS, AGGREGATE SUM|MIN|MAX,
 * WITHSCORES when replying) and ZINTERCARD (LIMIT), as Redis 7.0's one generic routine.
 *
 * Inputs may be sorted sets or plain sets (members score 1), as in Redis. Checks in Redis's order:
 * numkeys, then every key's type (WRONGTYPE before any option error), then the options. Inputs are
 * ordered by size (stably) before union/intersection, as Redis does: the order decides the order in
 * which floating-point scores are summed, so the same inputs give the very same sums. inf - inf
 * (weights or SUM) becomes 0, as in Redis. Results are sorted by (score, member) and stored through
 * ZSetValue.fromSorted, which makes a small result a listpack as Redis's conversion does.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { Value } from '../keyspace/db';
import type { ServerState } from '../state';
import { SetValue } from '../types/set';
import { ZSetValue } from '../types/zset';
import { parseScore, replyEntries, storeResult, zlimits } from './zset-common';

const UNION = 0;
const INTER = 1;
const DIFF = 2;

const SUM = 0;
const MIN = 1;
const MAX = 2;

interface Src {
  z: ZSetValue | null;
  set: SetValue | null;
  size: number;
  weight: number;
}

/** The score of member in src (1 for a plain set), undefined when absent. */
function find(src: Src, member: string): number | undefined {
  if (src.z !== null) return src.z.score(member);
  return src.set !== null && src.set.has(member) ? 1 : undefined;
}

/** Calls visit for every member of src with its (unweighted) score. */
function each(src: Src, visit: (member: string, score: number) => void): void {
  if (src.z !== null) {
    for (let n = src.z.head; n !== null; n = n.next[0]!) visit(n.member, n.score);
  } else if (src.set !== null) {
    const m = src.set.members;
    for (let i = 0; i < m.length; i++) visit(m[i]!, 1);
  }
}

function aggregate(target: number, v: number, how: number): number {
  if (how === SUM) {
    const r = target + v;
    return Number.isNaN(r) ? 0 : r;
  }
  if (how === MIN) return v < target ? v : target;
  return v > target ? v : target;
}

/**
 * The generic routine. numkeysAt: index of numkeys in argv; dst: the STORE target or null; card:
 * ZINTERCARD (reply the count only).
 */
function zsetOp(c: Client, argv: string[], s: ServerState, numkeysAt: number, dst: string | null, op: number, card: boolean): void {
  const nk = parseInt64(argv[numkeysAt]!);
  if (nk === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (nk < 1) {
    c.error(`ERR at least 1 input key is needed for '${argv[0]!.toLowerCase()}' command`);
    return;
  }
  if (nk > argv.length - (numkeysAt + 1)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const setnum = Number(nk);
  const srcs: Src[] = new Array<Src>(setnum);
  let j = numkeysAt + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const key = argv[j]!;
    const v: Value | undefined = dst !== null ? s.writeKey(c, key) : s.readKey(c, key);
    if (v === undefined) srcs[i] = { z: null, set: null, size: 0, weight: 1 };
    else if (v instanceof ZSetValue) srcs[i] = { z: v, set: null, size: v.size, weight: 1 };
    else if (v instanceof SetValue) srcs[i] = { z: null, set: v, size: v.size, weight: 1 };
    else {
      c.error(ERR_WRONGTYPE);
      return;
    }
  }
  let how = SUM;
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const opt = argv[j]!;
    if (op !== DIFF && !card && remaining >= setnum + 1 && is(opt, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseScore(argv[j]!);
        if (w === null) {
          c.error('ERR weight value is not a float');
          return;
        }
        srcs[i]!.weight = w;
      }
    } else if (op !== DIFF && !card && remaining >= 2 && is(opt, 'aggregate')) {
      const a = argv[j + 1]!;
      if (is(a, 'sum')) how = SUM;
      else if (is(a, 'min')) how = MIN;
      else if (is(a, 'max')) how = MAX;
      else {
        c.error(ERR_SYNTAX);
        return;
      }
      j += 2;
    } else if (dst === null && !card && is(opt, 'withscores')) {
      withScores = true;
      j++;
    } else if (card && remaining >= 2 && is(opt, 'limit')) {
      const l = parseInt64(argv[j + 1]!);
      if (l === null || l < 0) {
        c.error("ERR LIMIT can't be negative");
        return;
      }
      limit = typeof l === 'bigint' ? Number.MAX_SAFE_INTEGER : l;
      j += 2;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const ordered = op === DIFF ? srcs : srcs.slice().sort((a, b) => a.size - b.size);
  const members: string[] = [];
  const scores: number[] = [];
  if (op === INTER) {
    const first = ordered[0]!;
    if (first.size > 0) {
      let count = 0;
      let done = false;
      each(first, (member, raw) => {
        if (done) return;
        let score = first.weight * raw;
        if (Number.isNaN(score)) score = 0;
        for (let k = 1; k < setnum; k++) {
          const other = ordered[k]!;
          const v = find(other, member);
          if (v === undefined) return;
          score = aggregate(score, v * other.weight, how);
        }
        if (card) {
          count++;
          if (limit !== 0 && count >= limit) done = true;
          return;
        }
        members.push(member);
        scores.push(score);
      });
      if (card) {
        c.int(count);
        return;
      }
    } else if (card) {
      c.int(0);
      return;
    }
  } else if (op === UNION) {
    const acc = new Map<string, number>();
    for (const src of ordered) {
      if (src.size === 0) continue;
      const w = src.weight;
      each(src, (member, raw) => {
        let score = w * raw;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(member);
        acc.set(member, cur === undefined ? score : aggregate(cur, score, how));
      });
    }
    for (const [m, v] of acc) {
      members.push(m);
      scores.push(v);
    }
  } else {
    const first = ordered[0]!;
    each(first, (member, score) => {
      for (let k = 1; k < setnum; k++) if (find(ordered[k]!, member) !== undefined) return;
      members.push(member);
      scores.push(score);
    });
  }
  // (score, member) order; a zset walked in order is already sorted, so this is cheap then
  const n = members.length;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    if (sa !== sb) return sa < sb ? -1 : 1;
    const ma = members[a]!;
    const mb = members[b]!;
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  const sm = new Array<string>(n);
  const ss = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    sm[i] = members[idx[i]!]!;
    ss[i] = scores[idx[i]!]!;
  }
  if (dst !== null) {
    const event = op === UNION ? 'zunionstore' : op === INTER ? 'zinterstore' : 'zdiffstore';
    storeResult(c, s, dst, ZSetValue.fromSorted(sm, ss, zlimits(s)), event);
    return;
  }
  replyEntries(c, sm, withScores ? ss : null);
}

/** Keys of ZUNION/ZINTER/ZDIFF/ZINTERCARD (numkeys at 1) and the STORE forms (dst, numkeys at 2). */
function numkeysKeys(argv: string[], numkeysAt: number, withDst: boolean): number[] {
  const out: number[] = withDst ? [1] : [];
  const n = parseInt64(argv[numkeysAt]!);
  if (n === null || n < 1 || n > argv.length - numkeysAt - 1) return out;
  for (let i = 0; i < Number(n); i++) out.push(numkeysAt + 1 + i);
  return out;
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'sorted-set', complexity });
const cats = ['@sortedset'];
const UNION_CPLX = 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.';
const INTER_CPLX = 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.';
const DIFF_CPLX = 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.';

register([
  {
    name: 'zunion',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: (argv) => numkeysKeys(argv, 1, false),
    categories: cats,
    docs: docs('Add multiple sorted sets', '6.2.0', UNION_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 1, null, UNION, false),
  },
  {
    name: 'zinter',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: (argv) => numkeysKeys(argv, 1, false),
    categories: cats,
    docs: docs('Intersect multiple sorted sets', '6.2.0', INTER_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 1, null, INTER, false),
  },
  {
    name: 'zdiff',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: (argv) => numkeysKeys(argv, 1, false),
    categories: cats,
    docs: docs('Subtract multiple sorted sets', '6.2.0', DIFF_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 1, null, DIFF, false),
  },
  {
    name: 'zintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: (argv) => numkeysKeys(argv, 1, false),
    categories: cats,
    docs: docs('Intersect multiple sorted sets and return the cardinality of the result', '7.0.0', 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.'),
    handler: (c, argv, s) => zsetOp(c, argv, s, 1, null, INTER, true),
  },
  {
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: (argv) => numkeysKeys(argv, 2, true),
    categories: cats,
    docs: docs('Add multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', UNION_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 2, argv[1]!, UNION, false),
  },
  {
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: (argv) => numkeysKeys(argv, 2, true),
    categories: cats,
    docs: docs('Intersect multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', INTER_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 2, argv[1]!, INTER, false),
  },
  {
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: (argv) => numkeysKeys(argv, 2, true),
    categories: cats,
    docs: docs('Subtract multiple sorted sets and store the resulting sorted set in a new key', '6.2.0', DIFF_CPLX),
    handler: (c, argv, s) => zsetOp(c, argv, s, 2, argv[1]!, DIFF, false),
  },
]);
