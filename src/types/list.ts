/*
 * The list type: a growable ring buffer of latin1 strings (capacity a power of two, so a logical
 * index maps to a slot with one add and one mask). Push and pop at either end are O(1) amortized,
 * and so is reading or replacing the element at any index: LINDEX/LSET in the middle of a
 * million-element list touch one slot, nothing is copied. Inserting in the middle (LINSERT) moves the
 * shorter side in place; LREM compacts in place in one pass; LTRIM pops from both ends. Those are
 * O(n) as in Redis, but never allocate a second copy of the list.
 *
 * The ring shrinks by half when it falls under a quarter full, so a list that was large and was
 * popped down does not keep its peak memory.
 *
 * Redis 7.0 always reports lists as "quicklist" (listpack-encoded small lists arrived in 7.2), so
 * encoding() needs no thresholds. Elements are stored as given (Redis may store integer-looking
 * elements as integers inside a listpack, but replies carry the same bytes either way).
 */

import type { CollectionValue } from '../keyspace/db';
import { mixDigest } from '../keyspace/digest';

const MIN_CAPACITY = 8;

function capacityFor(n: number): number {
  let cap = MIN_CAPACITY;
  while (cap < n) cap *= 2;
  return cap;
}

export class ListValue implements CollectionValue {
  readonly type = 'list';
  private buf: (string | undefined)[];
  private mask: number;
  private head = 0;
  private len = 0;
  /** sum of element lengths, for memoryUsage in O(1) */
  private bytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    const cap = capacityFor(capacity);
    this.buf = new Array<string | undefined>(cap);
    this.mask = cap - 1;
  }

  static from(items: readonly string[]): ListValue {
    const l = new ListValue(items.length);
    for (let i = 0; i < items.length; i++) l.pushTail(items[i]!);
    return l;
  }

  get length(): number {
    return this.len;
  }

  encoding(): string {
    return 'quicklist';
  }

  /** Moves the elements into a ring of capacity cap (a power of two >= len), head at slot 0. */
  private resize(cap: number): void {
    const old = this.buf;
    const oldMask = this.mask;
    const next = new Array<string | undefined>(cap);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & oldMask];
    this.buf = next;
    this.mask = cap - 1;
    this.head = 0;
  }

  private shrinkIfSparse(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY * 4 && this.len < cap / 4) this.resize(cap / 2);
  }

  pushHead(v: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
    this.bytes += v.length;
  }

  pushTail(v: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
    this.bytes += v.length;
  }

  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.bytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & this.mask;
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.len--;
    this.bytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  /** The element at index (0-based from the head, within 0..length-1; callers resolve negatives). */
  at(index: number): string {
    return this.buf[(this.head + index) & this.mask]!;
  }

  set(index: number, v: string): void {
    const i = (this.head + index) & this.mask;
    this.bytes += v.length - this.buf[i]!.length;
    this.buf[i] = v;
  }

  /** Elements from start to end inclusive (already clamped, start <= end). */
  range(start: number, end: number): string[] {
    const out = new Array<string>(end - start + 1);
    for (let i = start; i <= end; i++) out[i - start] = this.at(i);
    return out;
  }

  /** The index of the first element equal to v from the head, -1 when absent. */
  indexOf(v: string): number {
    for (let i = 0; i < this.len; i++) if (this.buf[(this.head + i) & this.mask] === v) return i;
    return -1;
  }

  /** Inserts v so that it becomes element `index` (0..length), moving the shorter side by one. */
  insertAt(index: number, v: string): void {
    if (index === 0) return this.pushHead(v);
    if (index === this.len) return this.pushTail(v);
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    const buf = this.buf;
    const mask = this.mask;
    if (index < this.len / 2) {
      // open a slot before the head and shift elements 0..index-1 down by one
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) buf[(this.head + i) & mask] = buf[(this.head + i + 1) & mask];
    } else {
      for (let i = this.len; i > index; i--) buf[(this.head + i) & mask] = buf[(this.head + i - 1) & mask];
    }
    buf[(this.head + index) & mask] = v;
    this.len++;
    this.bytes += v.length;
  }

  /**
   * LREM: removes up to `limit` elements equal to v (all when limit is 0), scanning from the head
   * (fromTail false) or the tail, compacting in place. Returns how many were removed.
   */
  removeMatching(v: string, limit: number, fromTail: boolean): number {
    const buf = this.buf;
    const mask = this.mask;
    const n = this.len;
    const max = limit === 0 ? n : limit;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const x = buf[(this.head + r) & mask]!;
        if (removed < max && x === v) {
          removed++;
          continue;
        }
        if (w !== r) buf[(this.head + w) & mask] = x;
        w++;
      }
      for (let i = w; i < n; i++) buf[(this.head + i) & mask] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const x = buf[(this.head + r) & mask]!;
        if (removed < max && x === v) {
          removed++;
          continue;
        }
        if (w !== r) buf[(this.head + w) & mask] = x;
        w--;
      }
      for (let i = 0; i <= w; i++) buf[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.len = n - removed;
    this.bytes -= removed * v.length;
    if (removed !== 0) this.shrinkIfSparse();
    return removed;
  }

  /** LTRIM: keeps elements start..end inclusive (clamped by the caller); start > end empties it. */
  trim(start: number, end: number): void {
    if (start > end) {
      this.clear();
      return;
    }
    while (this.len > end + 1) this.popTail();
    for (let i = 0; i < start; i++) this.popHead();
  }

  clear(): void {
    this.buf = new Array<string | undefined>(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.len = 0;
    this.bytes = 0;
  }

  toArray(): string[] {
    return this.len === 0 ? [] : this.range(0, this.len - 1);
  }

  clone(): ListValue {
    const l = new ListValue(this.len);
    for (let i = 0; i < this.len; i++) l.buf[i] = this.at(i);
    l.len = this.len;
    l.bytes = this.bytes;
    return l;
  }

  /** Redis's rule for lists: each element mixed into the digest in order, head to tail. */
  digestInto(digest: Uint8Array): void {
    for (let i = 0; i < this.len; i++) mixDigest(digest, this.at(i));
  }

  memoryUsage(_samples: number): number {
    // the ring's slots (8 bytes each) plus each element's string (header + bytes, 8-aligned)
    return 48 + this.buf.length * 8 + this.bytes + this.len * 16;
  }
}
