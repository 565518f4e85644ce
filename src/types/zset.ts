/*
 * The sorted set value: a skip list with spans (as Redis's zskiplist) plus a Map member -> node, and
 * a dense array of the nodes.
 *
 * Order is by score, then by member bytes: members are latin1 strings (one char per byte), so JS's
 * `<` on them is memcmp order, which is what Redis uses. -0 and 0 compare equal (as in C).
 *
 * Why a skip list: rank, range and insert in O(log n). Each node keeps, per level, the next node and
 * the "span" (how many level-0 steps that link jumps), so the rank of a node is the sum of the spans
 * walked to reach it, and the node at rank r is found by walking while the sum stays <= r. Spans of
 * links that point nowhere (the last node at a level) are never read, so they are not kept exact.
 *
 * Why the dense node array (each node knows its slot; deletes swap the last node into the hole): ZRANDMEMBER
 * needs O(1) random picks and ZSCAN a cursor that never misses a member present for the whole scan
 * (the same scheme as keyspace/db.ts for keys). A random rank through the skip list would cost
 * O(log n) per pick and no extra memory, but ZRANDMEMBER -N on a big set would be n log n; the array
 * costs one slot per member and O(1) upkeep.
 *
 * Encoding: Redis 7.0 reports "listpack" while the set has at most zset-max-listpack-entries members
 * none longer than zset-max-listpack-value bytes, then "skiplist" for good (conversion is one way,
 * except that a freshly built result of ZUNIONSTORE & co. / ZRANGESTORE starts as a listpack when it
 * fits: see `fromSorted`). The structure is the same either way; the flag only changes what is
 * reported and a few replies whose order Redis derives from the listpack walk (lex ranges on mixed
 * scores scan linearly while small, as Redis's listpack code does).
 *
 * API for other modules (the GEO commands build on it):
 *   size, score(m), node(m), has(m)
 *   add(m, score, limits)      -> 'added' | 'updated' | 'same'   (insert or move)
 *   delete(m) / deleteNode(n)
 *   rank(m) (0-based, -1 when absent), at(rank) (node or null), head/tail
 *   firstInScore/lastInScore(range), firstInLex/lastInLex(range), countInScore/countInLex(range)
 *   deleteRangeByRank(start, end), deleteRangeByScore(range), deleteRangeByLex(range) -> removed count
 *   nodes walked with node.next[0] (ascending) and node.prev (descending)
 *   ZSetValue.fromSorted(members, scores, limits) builds from ascending entries in O(n)
 */

import type { CollectionValue } from '../keyspace/db';
import { mixDigest, xorDigest } from '../keyspace/digest';

const MAX_LEVEL = 32;
const P = 0.25;

/** zset-max-listpack-entries and zset-max-listpack-value (config, passed in by the caller). */
export interface ZLimits {
  entries: number;
  value: number;
}

/** A score interval; min/max may be ±Infinity. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** A lex bound: a member, or -Infinity / +Infinity for Redis's "-" and "+". */
export type LexBound = string | number;

export interface LexRange {
  min: LexBound;
  max: LexBound;
  minex: boolean;
  maxex: boolean;
}

export class ZNode {
  prev: ZNode | null = null;
  next: (ZNode | null)[];
  span: number[];
  /** slot in ZSetValue.nodes */
  idx = -1;

  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** true when node a sorts before (score, member) */
function before(a: ZNode, score: number, member: string): boolean {
  return a.score < score || (a.score === score && a.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** Compares a member with a lex bound (memcmp order; "-" below everything, "+" above). */
function cmpLex(a: string, b: LexBound): number {
  if (typeof b === 'number') return b < 0 ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function lexGteMin(m: string, r: LexRange): boolean {
  const c = cmpLex(m, r.min);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(m: string, r: LexRange): boolean {
  const c = cmpLex(m, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** False when the range can hold nothing at all (min above max, or equal with an exclusive end). */
function scoreRangeValid(r: ScoreRange): boolean {
  return !(r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
}

function lexRangeValid(r: LexRange): boolean {
  let c: number;
  if (typeof r.min === 'number' || typeof r.max === 'number') {
    if (r.min === r.max) c = 0;
    else if (r.min === Infinity || r.max === -Infinity) c = 1;
    else c = -1;
  } else {
    c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  }
  return !(c > 0 || (c === 0 && (r.minex || r.maxex)));
}

// scratch for insert/delete paths (single-threaded, never re-entered)
const UPDATE: ZNode[] = new Array<ZNode>(MAX_LEVEL);
const RANK: number[] = new Array<number>(MAX_LEVEL).fill(0);

/**
 * Measured V8 cost of a member beyond its string: the node object, its next/span arrays (1.33
 * levels on average), the Map entry and the node-array slot (about 280 bytes per member all told
 * for 1M short members, against about 100 in Redis).
 */
const NODE_BYTES = 240;
const HEADER_BYTES = 200;

function strBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

export class ZSetValue implements CollectionValue {
  readonly type = 'zset';
  private readonly header = new ZNode('', 0, 1);
  tail: ZNode | null = null;
  private level = 1;
  private readonly index = new Map<string, ZNode>();
  /** every node, in no particular order (random picks, ZSCAN) */
  nodes: ZNode[] = [];
  /** true while Redis would still hold it as a listpack */
  listpack = true;
  private bytes = 0;

  get size(): number {
    return this.nodes.length;
  }

  get head(): ZNode | null {
    return this.header.next[0]!;
  }

  encoding(): string {
    return this.listpack ? 'listpack' : 'skiplist';
  }

  score(member: string): number | undefined {
    const n = this.index.get(member);
    return n === undefined ? undefined : n.score;
  }

  node(member: string): ZNode | undefined {
    return this.index.get(member);
  }

  has(member: string): boolean {
    return this.index.has(member);
  }

  /** Makes the encoding skiplist if a member of this length joining would not fit a listpack. */
  private fit(memberLength: number, limits: ZLimits): void {
    if (this.listpack && (this.nodes.length + 1 > limits.entries || memberLength > limits.value)) this.listpack = false;
  }

  /**
   * Sets member's score: inserts it ('added'), moves it ('updated'), or nothing when the score is
   * equal ('same'; -0 equals 0 and keeps the stored one, as in Redis).
   */
  add(member: string, score: number, limits: ZLimits): 'added' | 'updated' | 'same' {
    const n = this.index.get(member);
    if (n === undefined) {
      this.fit(member.length, limits);
      // a listpack keeps scores as text that has no negative zero
      if (this.listpack && score === 0) score = 0;
      this.insert(member, score);
      return 'added';
    }
    if (n.score === score) return 'same';
    if (this.listpack && score === 0) score = 0;
    this.updateScore(n, score);
    return 'updated';
  }

  private insert(member: string, score: number): ZNode {
    const update = UPDATE;
    const rank = RANK;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let y = x.next[i]!;
      while (y !== null && before(y, score, member)) {
        rank[i] += x.span[i]!;
        x = y;
        y = x.next[i]!;
      }
      update[i] = x;
    }
    const lvl = randomLevel();
    const length = this.nodes.length;
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.next.push(null);
        this.header.span.push(length);
      }
      this.level = lvl;
    }
    const node = new ZNode(member, score, lvl);
    const r0 = rank[0]!;
    for (let i = 0; i < lvl; i++) {
      const u = update[i]!;
      node.next[i] = u.next[i]!;
      u.next[i] = node;
      node.span[i] = u.span[i]! - (r0 - rank[i]!);
      u.span[i] = r0 - rank[i]! + 1;
    }
    for (let i = lvl; i < this.level; i++) update[i]!.span[i]!++;
    node.prev = update[0] === this.header ? null : update[0]!;
    const nx = node.next[0]!;
    if (nx !== null) nx.prev = node;
    else this.tail = node;
    node.idx = length;
    this.nodes.push(node);
    this.index.set(member, node);
    this.bytes += strBytes(member.length);
    return node;
  }

  /** Fills UPDATE with the predecessors of node at every level. */
  private findUpdate(node: ZNode): void {
    let x = this.header;
    const score = node.score;
    const member = node.member;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && before(y, score, member)) {
        x = y;
        y = x.next[i]!;
      }
      UPDATE[i] = x;
    }
  }

  /** Unlinks x given its predecessors in UPDATE (the list part only). */
  private unlink(x: ZNode): void {
    const update = UPDATE;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1;
        u.next[i] = x.next[i]!;
      } else {
        u.span[i]!--;
      }
    }
    const nx = x.next[0]!;
    if (nx !== null) nx.prev = x.prev;
    else this.tail = x.prev;
    while (this.level > 1 && this.header.next[this.level - 1] === null) {
      this.level--;
      this.header.next.pop();
      this.header.span.pop();
    }
  }

  /** Drops x from the Map and the dense array. */
  private forget(x: ZNode): void {
    this.index.delete(x.member);
    this.bytes -= strBytes(x.member.length);
    const last = this.nodes.pop()!;
    if (last !== x) {
      this.nodes[x.idx] = last;
      last.idx = x.idx;
    }
  }

  private updateScore(n: ZNode, score: number): void {
    // stays in place when still between its neighbours: only the score changes
    const p = n.prev;
    const nx = n.next[0]!;
    if ((p === null || p.score < score || (p.score === score && p.member < n.member)) &&
        (nx === null || score < nx.score || (score === nx.score && n.member < nx.member))) {
      n.score = score;
      return;
    }
    this.findUpdate(n);
    this.unlink(n);
    this.forget(n);
    this.insert(n.member, score);
  }

  delete(member: string): boolean {
    const n = this.index.get(member);
    if (n === undefined) return false;
    this.deleteNode(n);
    return true;
  }

  deleteNode(n: ZNode): void {
    this.findUpdate(n);
    this.unlink(n);
    this.forget(n);
  }

  /** 0-based rank of member in ascending order, -1 when absent. O(log n). */
  rank(member: string): number {
    const n = this.index.get(member);
    if (n === undefined) return -1;
    const score = n.score;
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && (y.score < score || (y.score === score && y.member <= member))) {
        rank += x.span[i]!;
        x = y;
        y = x.next[i]!;
      }
      if (x === n) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based rank r (ascending), null when out of range. O(log n). */
  at(r: number): ZNode | null {
    if (r < 0 || r >= this.nodes.length) return null;
    const want = r + 1;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && traversed + x.span[i]! <= want) {
        traversed += x.span[i]!;
        x = y;
        y = x.next[i]!;
      }
      if (traversed === want) return x;
    }
    return null;
  }

  /** The first node with a score in range, or null. */
  firstInScore(r: ScoreRange): ZNode | null {
    if (!scoreRangeValid(r)) return null;
    const t = this.tail;
    const h = this.head;
    if (t === null || h === null || !scoreGteMin(t.score, r) || !scoreLteMax(h.score, r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && !scoreGteMin(y.score, r)) {
        x = y;
        y = x.next[i]!;
      }
    }
    const n = x.next[0]!;
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** The last node with a score in range, or null. */
  lastInScore(r: ScoreRange): ZNode | null {
    if (!scoreRangeValid(r)) return null;
    const t = this.tail;
    const h = this.head;
    if (t === null || h === null || !scoreGteMin(t.score, r) || !scoreLteMax(h.score, r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && scoreLteMax(y.score, r)) {
        x = y;
        y = x.next[i]!;
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  /**
   * The first node whose member is in range, or null. Lex ranges assume equal scores; on mixed
   * scores a small (listpack) set answers as Redis's listpack walk does: the first in list order.
   */
  firstInLex(r: LexRange): ZNode | null {
    if (!lexRangeValid(r)) return null;
    if (this.listpack) {
      for (let n = this.head; n !== null; n = n.next[0]!) {
        if (lexGteMin(n.member, r)) return lexLteMax(n.member, r) ? n : null;
      }
      return null;
    }
    const t = this.tail;
    const h = this.head;
    if (t === null || h === null || !lexGteMin(t.member, r) || !lexLteMax(h.member, r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && !lexGteMin(y.member, r)) {
        x = y;
        y = x.next[i]!;
      }
    }
    const n = x.next[0]!;
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  /** The last node whose member is in range, or null (see firstInLex). */
  lastInLex(r: LexRange): ZNode | null {
    if (!lexRangeValid(r)) return null;
    if (this.listpack) {
      let last: ZNode | null = null;
      for (let n = this.head; n !== null; n = n.next[0]!) {
        if (lexGteMin(n.member, r)) {
          if (!lexLteMax(n.member, r)) break;
          last = n;
        }
      }
      return last;
    }
    const t = this.tail;
    const h = this.head;
    if (t === null || h === null || !lexGteMin(t.member, r) || !lexLteMax(h.member, r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let y = x.next[i]!;
      while (y !== null && lexLteMax(y.member, r)) {
        x = y;
        y = x.next[i]!;
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** How many members have a score in range. O(log n). */
  countInScore(r: ScoreRange): number {
    const first = this.firstInScore(r);
    if (first === null) return 0;
    const last = this.lastInScore(r)!;
    return this.rank(last.member) - this.rank(first.member) + 1;
  }

  /** How many members are in the lex range (counted from the first one in range while it holds). */
  countInLex(r: LexRange): number {
    const first = this.firstInLex(r);
    if (first === null) return 0;
    if (this.listpack) {
      let n = 0;
      for (let x: ZNode | null = first; x !== null && lexLteMax(x.member, r); x = x.next[0]!) n++;
      return n;
    }
    const last = this.lastInLex(r)!;
    return this.rank(last.member) - this.rank(first.member) + 1;
  }

  /** Deletes the run of nodes starting at `from` while `more` holds; returns how many. */
  private deleteRun(from: ZNode, more: (n: ZNode) => boolean, limit: number): number {
    this.findUpdate(from);
    let x: ZNode | null = from;
    let removed = 0;
    while (x !== null && removed < limit && more(x)) {
      const next: ZNode | null = x.next[0]!;
      this.unlink(x);
      this.forget(x);
      removed++;
      x = next;
    }
    return removed;
  }

  /** Deletes ranks start..end (0-based, inclusive, already clamped). */
  deleteRangeByRank(start: number, end: number): number {
    const first = this.at(start);
    if (first === null) return 0;
    return this.deleteRun(first, () => true, end - start + 1);
  }

  deleteRangeByScore(r: ScoreRange): number {
    const first = this.firstInScore(r);
    if (first === null) return 0;
    return this.deleteRun(first, (n) => scoreLteMax(n.score, r), Infinity);
  }

  deleteRangeByLex(r: LexRange): number {
    const first = this.firstInLex(r);
    if (first === null) return 0;
    return this.deleteRun(first, (n) => lexLteMax(n.member, r), Infinity);
  }

  /** A random node (the set must not be empty). */
  random(): ZNode {
    return this.nodes[Math.floor(Math.random() * this.nodes.length)]!;
  }

  /** One ZSCAN step over the node array; cursor as Db.scan (next slot + 1, 0 when done). */
  scan(cursor: number, count: number, visit: (n: ZNode) => void): number {
    const nodes = this.nodes;
    let slot = cursor === 0 ? nodes.length - 1 : Math.min(cursor - 1, nodes.length - 1);
    for (let n = 0; slot >= 0 && n < count; n++, slot--) visit(nodes[slot]!);
    return slot < 0 ? 0 : slot + 1;
  }

  /**
   * A new set from entries already in ascending order (distinct members), in O(n): nodes are
   * appended at the tail. Encoded as Redis encodes a freshly built result: listpack when it fits.
   */
  static fromSorted(members: readonly string[], scores: readonly number[], limits: ZLimits): ZSetValue {
    const z = new ZSetValue();
    const n = members.length;
    let maxLen = 0;
    const tails: ZNode[] = [z.header];
    const tailRank: number[] = [0];
    for (let k = 0; k < n; k++) {
      const member = members[k]!;
      if (member.length > maxLen) maxLen = member.length;
      const lvl = randomLevel();
      while (z.level < lvl) {
        z.header.next.push(null);
        z.header.span.push(0);
        tails.push(z.header);
        tailRank.push(0);
        z.level++;
      }
      const node = new ZNode(member, scores[k]!, lvl);
      const r = k + 1;
      for (let i = 0; i < lvl; i++) {
        const t = tails[i]!;
        t.next[i] = node;
        t.span[i] = r - tailRank[i]!;
        tails[i] = node;
        tailRank[i] = r;
      }
      node.prev = z.tail;
      z.tail = node;
      node.idx = k;
      z.nodes.push(node);
      z.index.set(member, node);
      z.bytes += strBytes(member.length);
    }
    z.listpack = n <= limits.entries && maxLen <= limits.value;
    if (z.listpack) for (const node of z.nodes) if (node.score === 0) node.score = 0;
    return z;
  }

  clone(): ZSetValue {
    const members: string[] = [];
    const scores: number[] = [];
    for (let x = this.head; x !== null; x = x.next[0]!) {
      members.push(x.member);
      scores.push(x.score);
    }
    // built as a skiplist so that no score is normalized, then given this set's encoding
    const z = ZSetValue.fromSorted(members, scores, { entries: -1, value: -1 });
    z.listpack = this.listpack;
    return z;
  }

  /**
   * Redis's rule: per member, a fresh digest mixing the member and its score as "%.17g" text, then
   * xor-ed into the key's digest (order free).
   */
  digestInto(digest: Uint8Array): void {
    const ele = new Uint8Array(20);
    for (const n of this.nodes) {
      ele.fill(0);
      mixDigest(ele, n.member);
      mixDigest(ele, formatScore17g(n.score));
      xorDigest(digest, ele);
    }
  }

  memoryUsage(_samples: number): number {
    return HEADER_BYTES + this.bytes + this.nodes.length * NODE_BYTES;
  }

  /** Checks the skip list's invariants (tests): order, spans, back links, tail, index, array. */
  checkInvariants(): string | null {
    const n = this.nodes.length;
    let count = 0;
    let prev: ZNode | null = null;
    const rankOf = new Map<ZNode, number>();
    for (let x = this.head; x !== null; x = x.next[0]!) {
      count++;
      rankOf.set(x, count);
      if (x.prev !== prev) return `bad prev at ${x.member}`;
      if (prev !== null && !before(prev, x.score, x.member)) return `order at ${x.member}`;
      if (this.index.get(x.member) !== x) return `index at ${x.member}`;
      if (this.nodes[x.idx] !== x) return `slot at ${x.member}`;
      prev = x;
    }
    if (count !== n || this.index.size !== n) return `count ${count} vs ${n}`;
    if (this.tail !== prev) return 'tail';
    rankOf.set(this.header, 0);
    for (let i = 0; i < this.level; i++) {
      for (let x: ZNode | null = this.header; x !== null; x = x.next[i]!) {
        const y = x.next[i]!;
        if (y !== null && rankOf.get(y)! - rankOf.get(x)! !== x.span[i]) return `span at level ${i}`;
      }
    }
    if (this.level > 1 && this.header.next[this.level - 1] === null) return 'level';
    return null;
  }
}

/** %.17g as C prints it (the digest's score text). */
function formatScore17g(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = d.toExponential(16);
  const e = exp.indexOf('e');
  const x = parseInt(exp.slice(e + 1), 10);
  if (x < -4 || x >= 17) {
    let mant = exp.slice(0, e);
    if (mant.indexOf('.') !== -1) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ax = Math.abs(x);
    return mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax));
  }
  let fixed = d.toFixed(Math.max(0, 16 - x));
  if (fixed.indexOf('.') !== -1) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
