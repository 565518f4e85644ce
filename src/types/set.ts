/*
 * The set value: a Map of members plus a dense array of them.
 *
 * Why the array: SPOP and SRANDMEMBER need O(1) random access per element and SSCAN a cursor that
 * never misses a member present for the whole scan (see keyspace/db.ts for the same idea on keys).
 *
 * Encoding follows Redis 7.0 (which has no listpack sets): a set is an "intset" while every member is
 * the canonical text of an int64 and there are at most set-max-intset-entries of them, then a
 * "hashtable" for good. While intset, the array is kept sorted by numeric value, as an intset is, so
 * SMEMBERS/SSCAN/SUNION... of small integer sets come out in Redis's exact order; inserts and deletes
 * then cost O(n) (a binary search and a memmove-like splice, as intsetAdd does), and the Map's slot
 * numbers are not maintained (positions come from the binary search). Once hashtable, the Map holds
 * each member's slot and deletes swap the last member into the hole in O(1).
 */

import type { CollectionValue } from '../keyspace/db';
import { xorDigest } from '../keyspace/digest';

const ENTRY_BYTES = 40;
const HEADER_BYTES = 96;

function strBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

/** True when s is what Redis's string2ll accepts: canonical decimal within int64. */
export function isInt64Text(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 20) return false;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (len === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1;
  if (first < 49 || first > 57) return false;
  for (let j = i + 1; j < len; j++) {
    const d = s.charCodeAt(j);
    if (d < 48 || d > 57) return false;
  }
  const digits = len - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  const body = neg ? s.slice(1) : s;
  return body <= (neg ? '9223372036854775808' : '9223372036854775807');
}

/** Numeric order of two canonical integer texts (no parsing: sign, then length, then digits). */
export function compareIntText(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length < b.length ? -1 : 1;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return an ? -r : r;
}

export class SetValue implements CollectionValue {
  readonly type = 'set';
  /** member -> slot in members (slots maintained only once hashtable) */
  private index = new Map<string, number>();
  members: string[] = [];
  /** true while Redis would hold it as an intset; members then sorted numerically */
  intset = true;
  private bytes = 0;

  /**
   * A new set holding members (distinct), encoded as Redis encodes a set built by adding them one by
   * one to a fresh set (SINTERSTORE, SUNION, SPOP's rebuild...).
   */
  static from(members: string[], maxIntset: number): SetValue {
    const s = new SetValue();
    let ints = members.length <= maxIntset;
    for (let i = 0; ints && i < members.length; i++) if (!isInt64Text(members[i]!)) ints = false;
    if (ints) members.sort(compareIntText);
    s.intset = ints;
    s.members = members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      s.index.set(m, i);
      s.bytes += strBytes(m.length);
    }
    return s;
  }

  get size(): number {
    return this.members.length;
  }

  encoding(): string {
    return this.intset ? 'intset' : 'hashtable';
  }

  has(member: string): boolean {
    return this.index.has(member);
  }

  /** The position of an integer member in the sorted intset array, or where it would go. */
  private search(member: string): number {
    let lo = 0;
    let hi = this.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIntText(this.members[mid]!, member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private toHashtable(): void {
    this.intset = false;
    for (let i = 0; i < this.members.length; i++) this.index.set(this.members[i]!, i);
  }

  /** Adds member; true when it was new. Converts past the intset limits. */
  add(member: string, maxIntset: number): boolean {
    if (this.index.has(member)) return false;
    this.bytes += strBytes(member.length);
    if (this.intset) {
      if (isInt64Text(member)) {
        const at = this.search(member);
        this.index.set(member, 0);
        if (at === this.members.length) this.members.push(member);
        else this.members.splice(at, 0, member);
        if (this.members.length > maxIntset) this.toHashtable();
        return true;
      }
      this.toHashtable();
    }
    this.index.set(member, this.members.length);
    this.members.push(member);
    return true;
  }

  /** Removes member; true when it was there. */
  delete(member: string): boolean {
    const i = this.index.get(member);
    if (i === undefined) return false;
    this.index.delete(member);
    this.bytes -= strBytes(member.length);
    if (this.intset) {
      this.members.splice(this.search(member), 1);
      return true;
    }
    const last = this.members.pop()!;
    if (last !== member) {
      this.members[i] = last;
      this.index.set(last, i);
    }
    return true;
  }

  /** Removes and returns the member in a slot (SPOP). */
  deleteSlot(slot: number): string {
    const m = this.members[slot]!;
    this.delete(m);
    return m;
  }

  /** A random slot (the set must not be empty). */
  randomSlot(): number {
    return Math.floor(Math.random() * this.members.length);
  }

  /** One SSCAN step over a hashtable set; cursor as Db.scan (next slot + 1, 0 when done). */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    let slot = cursor === 0 ? this.members.length - 1 : Math.min(cursor - 1, this.members.length - 1);
    for (let n = 0; slot >= 0 && n < count; n++, slot--) visit(this.members[slot]!);
    return slot < 0 ? 0 : slot + 1;
  }

  clone(): SetValue {
    const s = new SetValue();
    s.index = new Map(this.index);
    s.members = this.members.slice();
    s.intset = this.intset;
    s.bytes = this.bytes;
    return s;
  }

  /** Redis's rule: the SHA1 of each member xor-ed into the key's digest (order free). */
  digestInto(digest: Uint8Array): void {
    for (let i = 0; i < this.members.length; i++) xorDigest(digest, this.members[i]!);
  }

  memoryUsage(_samples: number): number {
    return HEADER_BYTES + this.bytes + this.members.length * ENTRY_BYTES;
  }
}
