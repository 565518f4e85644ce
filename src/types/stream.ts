/*
 * The stream value (Redis 7.0 streams): entries ordered by ID, consumer groups with their pending
 * entries lists (PEL), and the counters XINFO reports.
 *
 * IDs are two unsigned 64-bit parts (ms-seq). They are kept as one bigint, ms << 64 | seq, so that
 * comparison is a single `<` and every value up to 2^64-1 in either part round-trips exactly. A node
 * keeps its entries' strings in one flat array (plus a start offset per entry) rather than an array
 * per entry: retained objects per entry are what the garbage collector pays for (measured: 2.3 us per
 * append with an array and an id string per entry, 1.0 us flat). Reads build [idText, f1, v1, ...]
 * arrays on the fly; those die young and cost little.
 *
 * Entries live in nodes that mirror Redis's radix-tree of listpacks one for one: a new node starts
 * exactly when Redis would start one (stream-node-max-entries counting live and deleted entries,
 * stream-node-max-bytes against the listpack's byte size computed with listpack's real encodings,
 * plus the new entry's field/value bytes, as Redis checks). That matters because Redis's observable
 * behaviour depends on node boundaries: approximate trimming (MAXLEN ~ / MINID ~) removes whole nodes
 * only, LIMIT counts whole nodes, exact trimming only marks entries deleted inside the first node, and
 * XINFO reports the number of nodes (radix-tree-keys). A deleted entry stays in its node as a
 * tombstone (its id kept, its fields dropped) as it does in Redis's listpack; a node whose entries are
 * all deleted goes away.
 *
 * Range reads: binary search over the node array (by first id) and then inside the node, then a walk
 * that skips tombstones: O(log n + returned + tombstones met), as Redis's own iterator. Node sizes are
 * bounded by the node limits (100 entries / 4 KB by default), so appends, deletes and node removal at
 * the front are cheap; removing a node splices the node array (n / 100 slots).
 *
 * Consumer groups: PELs are IdMaps (a sorted list of chunks keyed by id) because ids can be inserted
 * anywhere (after XGROUP SETID moves back) and acknowledged anywhere; lookup, insert and delete are
 * O(log n + chunk size) and walks are in id order, which XPENDING/XAUTOCLAIM/XINFO need. Groups and
 * consumers are Maps; replies that list them sort by name (Redis keeps them in radix trees, which
 * iterate in byte order).
 */

import type { CollectionValue } from '../keyspace/db';
import { mixDigest } from '../keyspace/digest';

export const U64_MAX = 0xffffffffffffffffn;
export const MAX_ID = (U64_MAX << 64n) | U64_MAX;

export function makeId(ms: bigint, seq: bigint): bigint {
  return (ms << 64n) | seq;
}

export function idMs(id: bigint): bigint {
  return id >> 64n;
}

export function idSeq(id: bigint): bigint {
  return id & U64_MAX;
}

/** The ms part of the last id formatted, and its text: entries added in one millisecond share it. */
let formattedMs = -1n;
let formattedMsText = '';
/** seq values that convert exactly to a Number, whose decimal text is cheaper than a bigint's */
const SAFE_SEQ = 0x1fffffffffffffn;

export function formatId(id: bigint): string {
  const ms = id >> 64n;
  if (ms !== formattedMs) {
    formattedMs = ms;
    formattedMsText = `${ms}-`;
  }
  const seq = id & U64_MAX;
  return formattedMsText + (seq <= SAFE_SEQ ? Number(seq) : seq);
}

/** The next id (Redis's streamIncrID); null when id is the largest possible. */
export function incrId(id: bigint): bigint | null {
  return id === MAX_ID ? null : id + 1n;
}

/** The previous id (streamDecrID); null for 0-0. */
export function decrId(id: bigint): bigint | null {
  return id === 0n ? null : id - 1n;
}

// ---- listpack sizes (only sizes are needed: node boundaries depend on them) ----

/** Listpack's string-to-integer rule (as string2ll): canonical decimal within int64. */
function lpIntValue(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (len === 1) return null;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  for (let j = i; j < len; j++) {
    const d = s.charCodeAt(j);
    if (d < 48 || d > 57) return null;
  }
  if (len - i <= 15) return Number(s);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return b;
}

function backlenBytes(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes of a listpack integer element (encoding + backlen). */
export function lpIntBytes(v: number | bigint): number {
  let l: number;
  if (typeof v === 'bigint') {
    if (v >= -2147483648n && v <= 2147483647n) return lpIntBytes(Number(v));
    l = 9;
  } else if (v >= 0 && v <= 127) l = 1;
  else if (v >= -4096 && v <= 4095) l = 2;
  else if (v >= -32768 && v <= 32767) l = 3;
  else if (v >= -8388608 && v <= 8388607) l = 4;
  else if (v >= -2147483648 && v <= 2147483647) l = 5;
  else l = 9;
  return l + backlenBytes(l);
}

/** Bytes of a listpack element holding string s (integer-encoded when it looks like one). */
export function lpStrBytes(s: string): number {
  const len = s.length;
  if (len <= 20) {
    const v = lpIntValue(s);
    if (v !== null) return lpIntBytes(v);
  }
  const l = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return l + backlenBytes(l);
}

/** A listpack (radix-tree node) of entries. */
export class StreamNode {
  /** ids of every entry, deleted ones included, ascending */
  ids: bigint[] = [];
  /**
   * the field/value strings of every entry back to back (one flat array per node instead of an
   * array per entry: fewer long-lived objects for the garbage collector to trace)
   */
  data: string[] = [];
  /** where each entry's strings start in data; -1 - start once the entry is deleted */
  starts: number[] = [];
  valid = 0;
  deleted = 0;
  /** listpack bytes except the header/end and the two counters (which change size as they grow) */
  bytes: number;
  readonly masterId: bigint;
  readonly masterFields: string[];

  constructor(id: bigint, fv: readonly string[]) {
    this.masterId = id;
    const nf = fv.length >> 1;
    const fields: string[] = new Array(nf);
    let b = lpIntBytes(nf) + 2; // num master fields, and the zero terminator of the master entry
    for (let i = 0; i < nf; i++) {
      fields[i] = fv[i * 2]!;
      b += lpStrBytes(fields[i]!);
    }
    this.masterFields = fields;
    this.bytes = b;
  }

  /** The listpack's total size (lpBytes). */
  lpBytes(): number {
    return 7 + lpIntBytes(this.valid) + lpIntBytes(this.deleted) + this.bytes;
  }

  /** Bytes an entry adds to this node. */
  entryBytes(id: bigint, fv: readonly string[]): number {
    const nf = fv.length >> 1;
    const mf = this.masterFields;
    let same = nf === mf.length;
    if (same) {
      for (let i = 0; i < nf; i++) {
        if (fv[i * 2] !== mf[i]) {
          same = false;
          break;
        }
      }
    }
    const m = this.masterId;
    let b = 2; // flags
    b += lpIntBytes(signed64((id >> 64n) - (m >> 64n)));
    b += lpIntBytes(signed64((id & U64_MAX) - (m & U64_MAX)));
    if (same) {
      for (let i = 1; i < fv.length; i += 2) b += lpStrBytes(fv[i]!);
      b += lpIntBytes(nf + 3);
    } else {
      b += lpIntBytes(nf);
      for (let i = 0; i < fv.length; i++) b += lpStrBytes(fv[i]!);
      b += lpIntBytes(2 * nf + 4);
    }
    return b;
  }

  isLive(i: number): boolean {
    return this.starts[i]! >= 0;
  }

  private end(i: number): number {
    if (i + 1 === this.starts.length) return this.data.length;
    const n = this.starts[i + 1]!;
    return n < 0 ? -1 - n : n;
  }

  /** Entry i as [idText, f1, v1, ...], or null when deleted. */
  entry(i: number): string[] | null {
    const start = this.starts[i]!;
    if (start < 0) return null;
    const end = this.end(i);
    const out: string[] = new Array(end - start + 1);
    out[0] = formatId(this.ids[i]!);
    for (let j = start; j < end; j++) out[j - start + 1] = this.data[j]!;
    return out;
  }

  /** Marks entry i deleted (it must be live), dropping its strings; returns the bytes freed. */
  kill(i: number): number {
    const start = this.starts[i]!;
    const end = this.end(i);
    let b = ENTRY_OVERHEAD + 8 * (end - start);
    for (let j = start; j < end; j++) {
      b += strBytes(this.data[j]!.length);
      this.data[j] = '';
    }
    this.starts[i] = -1 - start;
    return b;
  }

  /** First index whose id >= id (ids.length when none). */
  lowerBound(id: bigint): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function signed64(v: bigint): number | bigint {
  if (v >= -2147483648n && v <= 2147483647n) return Number(v);
  return BigInt.asIntN(64, v);
}

/** A pending entry: who has it, since when, how many deliveries. */
export interface Nack {
  deliveryTime: number;
  deliveryCount: number;
  consumer: Consumer | null;
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new IdMap<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: bigint,
    /** logical reads counter; -1 when unknown (Redis's SCG_INVALID_ENTRIES_READ) */
    public entriesRead: number,
  ) {}

  /** Consumers in name (byte) order, as Redis's radix tree lists them. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

const CHUNK = 128;

/**
 * A sorted map from id to value: a list of chunks, each a sorted array of up to 2*CHUNK keys.
 * Appends at the end (the common case: new deliveries) are O(1) amortized.
 */
export class IdMap<V> {
  private keys: bigint[][] = [];
  private vals: V[][] = [];
  size = 0;

  /** The chunk that holds or would hold id. */
  private chunkFor(id: bigint): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length - 1;
    if (hi <= 0) return 0;
    // last chunk whose first key <= id
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (keys[mid]![0]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private static lb(arr: bigint[], id: bigint): number {
    let lo = 0;
    let hi = arr.length;
    if (hi !== 0 && arr[hi - 1]! < id) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(id: bigint): V | undefined {
    if (this.size === 0) return undefined;
    const c = this.chunkFor(id);
    const k = this.keys[c]!;
    const i = IdMap.lb(k, id);
    return i < k.length && k[i] === id ? this.vals[c]![i] : undefined;
  }

  has(id: bigint): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts or replaces; true when inserted. */
  set(id: bigint, v: V): boolean {
    if (this.keys.length === 0) {
      this.keys.push([id]);
      this.vals.push([v]);
      this.size = 1;
      return true;
    }
    const c = this.chunkFor(id);
    const k = this.keys[c]!;
    const vs = this.vals[c]!;
    const i = IdMap.lb(k, id);
    if (i < k.length && k[i] === id) {
      vs[i] = v;
      return false;
    }
    if (i === k.length) {
      k.push(id);
      vs.push(v);
    } else {
      k.splice(i, 0, id);
      vs.splice(i, 0, v);
    }
    this.size++;
    if (k.length > 2 * CHUNK) {
      // the last chunk splits unevenly so that appends keep filling full chunks
      const at = c === this.keys.length - 1 ? k.length - 1 : CHUNK;
      this.keys.splice(c + 1, 0, k.splice(at));
      this.vals.splice(c + 1, 0, vs.splice(at));
    }
    return true;
  }

  delete(id: bigint): V | undefined {
    if (this.size === 0) return undefined;
    const c = this.chunkFor(id);
    const k = this.keys[c]!;
    const i = IdMap.lb(k, id);
    if (i >= k.length || k[i] !== id) return undefined;
    const vs = this.vals[c]!;
    const v = vs[i]!;
    if (i === 0 && k.length > 1) {
      k.shift();
      vs.shift();
    } else {
      k.splice(i, 1);
      vs.splice(i, 1);
    }
    this.size--;
    if (k.length === 0) {
      this.keys.splice(c, 1);
      this.vals.splice(c, 1);
    }
    return v;
  }

  first(): bigint | undefined {
    return this.size === 0 ? undefined : this.keys[0]![0];
  }

  last(): bigint | undefined {
    if (this.size === 0) return undefined;
    const k = this.keys[this.keys.length - 1]!;
    return k[k.length - 1];
  }

  /**
   * Visits entries with start <= id <= end in ascending order until visit returns false. The map
   * must not change during the walk.
   */
  each(start: bigint, end: bigint, visit: (id: bigint, v: V) => boolean | void): void {
    if (this.size === 0) return;
    let c = this.chunkFor(start);
    let i = IdMap.lb(this.keys[c]!, start);
    for (; c < this.keys.length; c++, i = 0) {
      const k = this.keys[c]!;
      const vs = this.vals[c]!;
      for (; i < k.length; i++) {
        const id = k[i]!;
        if (id > end) return;
        if (visit(id, vs[i]!) === false) return;
      }
    }
  }
}

/** Bytes we count per entry beyond its strings, per node and per group/consumer/pending entry. */
const ENTRY_OVERHEAD = 40;
const NODE_OVERHEAD = 120;
const PEL_OVERHEAD = 64;

function strBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

export interface TrimResult {
  removed: number;
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream';
  nodes: StreamNode[] = [];
  length = 0;
  lastId = 0n;
  /** first live entry's id as Redis records it (0-0 when empty) */
  firstId = 0n;
  maxDeletedId = 0n;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  /** running estimate of the bytes held, for memoryUsage in O(1) */
  private bytes = 96;

  encoding(): string {
    return 'stream';
  }

  /**
   * Appends an entry with an id known to be greater than lastId. The node limits are the server's
   * stream-node-max-bytes / stream-node-max-entries (0 = unlimited).
   */
  append(id: bigint, fv: readonly string[], maxBytes: number, maxEntries: number): string {
    const nodeMaxBytes = maxBytes === 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes;
    let node = this.nodes.length === 0 ? undefined : this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let total = 0;
      for (let i = 0; i < fv.length; i++) total += fv[i]!.length;
      if (node.lpBytes() + total >= nodeMaxBytes) node = undefined;
      else if (maxEntries !== 0 && node.valid + node.deleted >= maxEntries) node = undefined;
    }
    if (node === undefined) {
      node = new StreamNode(id, fv);
      this.nodes.push(node);
      this.bytes += NODE_OVERHEAD;
    }
    node.bytes += node.entryBytes(id, fv);
    let b = ENTRY_OVERHEAD + 8 * fv.length;
    const data = node.data;
    node.starts.push(data.length);
    // a field named as in the node's master entry keeps the master's string, so the request's copy
    // dies young instead of being promoted and traced with the entry (Redis's listpack stores such
    // fields once too)
    const mf = node.masterFields;
    for (let i = 0; i < fv.length; i++) {
      const f = fv[i]!;
      const master = (i & 1) === 0 && i >> 1 < mf.length ? mf[i >> 1]! : null;
      data.push(master === f ? master : f);
      b += strBytes(f.length);
    }
    this.bytes += b;
    node.ids.push(id);
    node.valid++;
    if (this.length === 0) this.firstId = id;
    this.length++;
    this.lastId = id;
    this.entriesAdded++;
    return formatId(id);
  }

  /** Index of the node that holds or would hold id (the last whose first id <= id); -1 if before all. */
  private nodeFor(id: bigint): number {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length - 1;
    if (hi < 0 || nodes[0]!.ids[0]! > id) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (nodes[mid]!.ids[0]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The live entry with this id, or undefined. */
  get(id: bigint): string[] | undefined {
    const n = this.nodeFor(id);
    if (n === -1) return undefined;
    const node = this.nodes[n]!;
    const i = node.lowerBound(id);
    if (i >= node.ids.length || node.ids[i] !== id) return undefined;
    return node.entry(i) ?? undefined;
  }

  has(id: bigint): boolean {
    return this.get(id) !== undefined;
  }

  /** Deletes a live entry (XDEL); true when it existed. Updates length, not firstId/maxDeletedId. */
  delete(id: bigint): boolean {
    const n = this.nodeFor(id);
    if (n === -1) return false;
    const node = this.nodes[n]!;
    const i = node.lowerBound(id);
    if (i >= node.ids.length || node.ids[i] !== id) return false;
    if (!node.isLive(i)) return false;
    this.bytes -= node.kill(i);
    node.valid--;
    node.deleted++;
    this.length--;
    if (node.valid === 0) this.removeNode(n);
    return true;
  }

  private removeNode(n: number): void {
    const node = this.nodes[n]!;
    for (let i = 0; i < node.ids.length; i++) if (node.isLive(i)) this.bytes -= node.kill(i);
    this.bytes -= NODE_OVERHEAD;
    this.nodes.splice(n, 1);
  }

  /**
   * Visits live entries with start <= id <= end, ascending (or descending when rev), up to count
   * (0 = all). visit gets the entry array ([idText, f, v, ...]) and its id.
   */
  range(start: bigint, end: bigint, count: number, rev: boolean, visit: (entry: string[], id: bigint) => void): number {
    if (start > end || this.length === 0) return 0;
    let emitted = 0;
    const nodes = this.nodes;
    if (!rev) {
      let n = this.nodeFor(start);
      let i: number;
      if (n === -1) {
        n = 0;
        i = 0;
      } else i = nodes[n]!.lowerBound(start);
      for (; n < nodes.length; n++, i = 0) {
        const node = nodes[n]!;
        const ids = node.ids;
        for (; i < ids.length; i++) {
          const id = ids[i]!;
          if (id > end) return emitted;
          if (!node.isLive(i)) continue;
          visit(node.entry(i)!, id);
          if (++emitted === count) return emitted;
        }
      }
      return emitted;
    }
    let n = this.nodeFor(end);
    if (n === -1) return 0;
    let i = nodes[n]!.lowerBound(end);
    if (i === nodes[n]!.ids.length || nodes[n]!.ids[i]! > end) i--;
    for (; n >= 0; n--, i = n >= 0 ? nodes[n]!.ids.length - 1 : 0) {
      const node = nodes[n]!;
      const ids = node.ids;
      for (; i >= 0; i--) {
        const id = ids[i]!;
        if (id < start) return emitted;
        if (!node.isLive(i)) continue;
        visit(node.entry(i)!, id);
        if (++emitted === count) return emitted;
      }
    }
    return emitted;
  }

  /** The first (or last) live entry, or undefined when empty. */
  edge(last: boolean): string[] | undefined {
    let found: string[] | undefined;
    this.range(0n, MAX_ID, 1, last, (e) => (found = e));
    return found;
  }

  /** The id of the first (or last) live entry; 0-0 (first) / 0-0 when empty. */
  edgeId(last: boolean): bigint {
    let found = 0n;
    this.range(0n, MAX_ID, 1, last, (_e, id) => (found = id));
    return found;
  }

  /** Recomputes firstId after entries at the front went away. */
  refreshFirstId(): void {
    this.firstId = this.length === 0 ? 0n : this.edgeId(false);
  }

  /**
   * Trims as Redis's streamTrim: MAXLEN (maxlen >= 0) or MINID (minId !== null); approx removes
   * whole nodes only; limit (0 = none) bounds the entries removed, counted per whole node.
   * Returns the number of entries removed.
   */
  trim(maxlen: number, minId: bigint | null, approx: boolean, limit: number): number {
    let removed = 0;
    const nodes = this.nodes;
    while (nodes.length !== 0) {
      if (minId === null && this.length <= maxlen) break;
      const node = nodes[0]!;
      const entries = node.valid;
      if (limit !== 0 && removed + entries > limit) break;
      let removeNode: boolean;
      if (minId === null) removeNode = this.length - entries >= maxlen;
      else removeNode = node.ids[node.ids.length - 1]! < minId;
      if (removeNode) {
        this.removeNode(0);
        this.length -= entries;
        removed += entries;
        continue;
      }
      if (approx) break;
      // exact: mark entries deleted inside this node until the condition holds
      let fromNode = 0;
      for (let i = 0; i < node.ids.length; i++) {
        if (minId === null ? this.length <= maxlen : node.ids[i]! >= minId) break;
        if (node.isLive(i)) {
          this.bytes -= node.kill(i);
          fromNode++;
          this.length--;
        }
      }
      node.valid -= fromNode;
      node.deleted += fromNode;
      removed += fromNode;
      break;
    }
    this.refreshFirstId();
    return removed;
  }

  // ---- consumer groups ----

  /** Groups in name (byte) order. */
  sortedGroups(): ConsumerGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adjusts the memory estimate for consumer-group bookkeeping (pending entries, consumers). */
  accountGroups(delta: number): void {
    this.bytes += delta;
  }

  /** Redis's streamRangeHasTombstones over [start, end] (end = MAX_ID when open). */
  rangeHasTombstones(start: bigint, end: bigint): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /** Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of id, or -1. */
  estimateDistance(id: bigint): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** A group's lag (XINFO), or null when it cannot be known. */
  groupLag(g: ConsumerGroup): number | null {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== -1 && !this.rangeHasTombstones(g.lastId, MAX_ID)) return this.entriesAdded - g.entriesRead;
    const read = this.estimateDistance(g.lastId);
    return read === -1 ? null : this.entriesAdded - read;
  }

  /** Recomputes the memory estimate from the structure (RDB loading builds nodes and groups directly). */
  recount(): void {
    let b = 96;
    for (const node of this.nodes) {
      b += NODE_OVERHEAD;
      const { starts, data } = node;
      for (let i = 0; i < starts.length; i++) {
        const start = starts[i]!;
        if (start < 0) continue;
        const next = i + 1 === starts.length ? data.length : starts[i + 1]!;
        const end = next < 0 ? -1 - next : next;
        b += ENTRY_OVERHEAD + 8 * (end - start);
        for (let j = start; j < end; j++) b += strBytes(data[j]!.length);
      }
    }
    for (const g of this.groups.values()) b += PEL_OVERHEAD * (1 + g.pel.size);
    this.bytes = b;
  }

  clone(): StreamValue {
    const s = new StreamValue();
    for (const node of this.nodes) {
      const copy = Object.create(StreamNode.prototype) as StreamNode;
      Object.assign(copy, node, { ids: node.ids.slice(), data: node.data.slice(), starts: node.starts.slice() });
      s.nodes.push(copy);
    }
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.bytes = this.bytes;
    for (const g of this.groups.values()) {
      const ng = new ConsumerGroup(g.name, g.lastId, g.entriesRead);
      const byName = new Map<string, Consumer>();
      for (const c of g.consumers.values()) {
        const nc = new Consumer(c.name, c.seenTime);
        ng.consumers.set(c.name, nc);
        byName.set(c.name, nc);
      }
      g.pel.each(0n, MAX_ID, (id, nack) => {
        const owner = nack.consumer === null ? null : byName.get(nack.consumer.name) ?? null;
        const copy: Nack = { deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount, consumer: owner };
        ng.pel.set(id, copy);
        owner?.pel.set(id, copy);
      });
      s.groups.set(g.name, ng);
    }
    return s;
  }

  digestInto(digest: Uint8Array): void {
    this.range(0n, MAX_ID, 0, false, (e, id) => {
      mixDigest(digest, `${id >> 64n}.${id & U64_MAX}`);
      for (let i = 1; i < e.length; i++) mixDigest(digest, e[i]!);
    });
  }

  memoryUsage(): number {
    return this.bytes;
  }
}

export { PEL_OVERHEAD };
