/*
 * The list type: a growable ring buffer of latin1 strings. Push and pop at either end are O(1)
 * amortized, and so is reading or replacing the element at any index (LINDEX/LSET in the middle of a
 * million-element list touch one slot; nothing is copied). Inserting or removing in the middle moves
 * the shorter side, O(n) as in Redis.
 *
 * Redis 7.0 always reports lists as "quicklist" (listpack-encoded lists arrived in 7.2).
 */

import type { CollectionValue } from '../keyspace/db';
import { mixDigest } from '../keyspace/digest';

const MIN_CAPACITY = 8;

export class ListValue implements CollectionValue {
  readonly type = 'list';
  private buf: (string | undefined)[];
  private head = 0;
  private len = 0;
  /** sum of element lengths, for memoryUsage in O(1) */
  private bytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.buf = new Array<string | undefined>(cap);
  }

  static from(items: readonly string[]): ListValue {
    const l = new ListValue(items.length);
    for (const x of items) l.pushTail(x);
    return l;
  }

  get length(): number {
    return this.len;
  }

  encoding(): string {
    return 'quicklist';
  }

  private grow(): void {
    const old = this.buf;
    const cap = old.length;
    const next = new Array<string | undefined>(cap * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (cap - 1)];
    this.buf = next;
    this.head = 0;
  }

  private shrinkIfSparse(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY * 4 && this.len < cap / 4) {
      const next = new Array<string | undefined>(cap / 2);
      for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) & (cap - 1)];
      this.buf = next;
      this.head = 0;
    }
  }

  pushHead(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = v;
    this.len++;
    this.bytes += v.length;
  }

  pushTail(v: string): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = v;
    this.len++;
    this.bytes += v.length;
  }

  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    this.bytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & (this.buf.length - 1);
    const v = this.buf[i]!;
    this.buf[i] = undefined;
    this.len--;
    this.bytes -= v.length;
    this.shrinkIfSparse();
    return v;
  }

  /** The element at index (0-based from the head; callers resolve negative indexes). */
  at(index: number): string {
    return this.buf[(this.head + index) & (this.buf.length - 1)]!;
  }

  set(index: number, v: string): void {
    const i = (this.head + index) & (this.buf.length - 1);
    this.bytes += v.length - this.buf[i]!.length;
    this.buf[i] = v;
  }

  /** Elements from start to end inclusive (already clamped, start <= end). */
  range(start: number, end: number): string[] {
    const out = new Array<string>(end - start + 1);
    for (let i = start; i <= end; i++) out[i - start] = this.at(i);
    return out;
  }

  /** Inserts v so that it becomes element `index` (0..length). */
  insertAt(index: number, v: string): void {
    const items = this.toArray();
    items.splice(index, 0, v);
    this.replaceAll(items);
  }

  /** Keeps only the elements for which keep() is true (LREM, LTRIM in one pass). */
  filter(keep: (v: string, index: number) => boolean): number {
    const items = this.toArray();
    const kept = items.filter(keep);
    this.replaceAll(kept);
    return items.length - kept.length;
  }

  /** Keeps elements start..end inclusive (LTRIM); start > end empties the list. */
  trim(start: number, end: number): void {
    while (this.len > 0 && this.len - 1 > end) this.popTail();
    for (let i = 0; i < start && this.len > 0; i++) this.popHead();
  }

  toArray(): string[] {
    return this.len === 0 ? [] : this.range(0, this.len - 1);
  }

  private replaceAll(items: string[]): void {
    let cap = MIN_CAPACITY;
    while (cap < items.length) cap *= 2;
    this.buf = new Array<string | undefined>(cap);
    this.head = 0;
    this.len = 0;
    this.bytes = 0;
    for (const x of items) this.pushTail(x);
  }

  clone(): ListValue {
    return ListValue.from(this.toArray());
  }

  digestInto(digest: Uint8Array): void {
    for (let i = 0; i < this.len; i++) mixDigest(digest, this.at(i));
  }

  memoryUsage(_samples: number): number {
    // the ring's slots (8 bytes each) plus each element's string (header + bytes, 8-aligned)
    return 48 + this.buf.length * 8 + this.bytes + this.len * 16;
  }
}
