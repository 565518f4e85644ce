/*
 * The hash value: a Map from field to a slot in two dense parallel arrays (fields, values).
 *
 * Why the arrays: HRANDFIELD needs O(1) random access and HSCAN a cursor that never misses a field
 * present for the whole scan; a Map gives neither (see keyspace/db.ts, which does the same for keys).
 *
 * Encoding follows Redis 7.0: a new hash is a listpack while it has at most hash-max-listpack-entries
 * fields and no field or value longer than hash-max-listpack-value bytes, then a hashtable for good.
 * While "listpack", the arrays keep insertion order (deletes close the gap, as a listpack does), so
 * HGETALL/HKEYS/HSCAN replies come out in the very order Redis gives for small hashes; a delete costs
 * O(n) then, as in Redis, but n is small. Once "hashtable", deletes swap the last slot into the hole
 * (O(1)) and order is arbitrary, as Redis's dict order is.
 *
 * Values are latin1 strings (bytes). Thresholds are passed in by the caller (they are config).
 */

import type { CollectionValue } from '../keyspace/db';
import { mixDigest, xorDigest } from '../keyspace/digest';

/** Estimated V8 cost of one field beyond its two strings: Map entry + two array slots. */
const ENTRY_BYTES = 48;
const HEADER_BYTES = 96;

function strBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

export class HashValue implements CollectionValue {
  readonly type = 'hash';
  /** field -> slot in fields/values */
  private index = new Map<string, number>();
  fields: string[] = [];
  values: string[] = [];
  /** true while Redis would still hold it as a listpack */
  compact = true;
  /** sum of strBytes of every field and value, for memoryUsage in O(1) */
  private bytes = 0;

  get size(): number {
    return this.fields.length;
  }

  encoding(): string {
    return this.compact ? 'listpack' : 'hashtable';
  }

  get(field: string): string | undefined {
    const i = this.index.get(field);
    return i === undefined ? undefined : this.values[i];
  }

  has(field: string): boolean {
    return this.index.has(field);
  }

  /**
   * Converts to hashtable when any of args[from..] (fields and values about to be written) is longer
   * than maxValue, as Redis checks a command's arguments before writing them.
   */
  checkLengths(args: readonly string[], from: number, maxValue: number): void {
    if (!this.compact) return;
    for (let i = from; i < args.length; i++) {
      if (args[i]!.length > maxValue) {
        this.compact = false;
        return;
      }
    }
  }

  /** Sets field to value; true when the field is new. Converts past the listpack limits. */
  set(field: string, value: string, maxEntries: number, maxValue: number): boolean {
    if (this.compact && (field.length > maxValue || value.length > maxValue)) this.compact = false;
    const i = this.index.get(field);
    if (i !== undefined) {
      this.bytes += strBytes(value.length) - strBytes(this.values[i]!.length);
      this.values[i] = value;
      // Redis checks the length after every write, so an update converts a hash left over the
      // limit by CONFIG SET too
      if (this.compact && this.fields.length > maxEntries) this.compact = false;
      return false;
    }
    this.index.set(field, this.fields.length);
    this.fields.push(field);
    this.values.push(value);
    this.bytes += strBytes(field.length) + strBytes(value.length);
    if (this.compact && this.fields.length > maxEntries) this.compact = false;
    return true;
  }

  /** Removes field; true when it was there. */
  delete(field: string): boolean {
    const i = this.index.get(field);
    if (i === undefined) return false;
    this.index.delete(field);
    this.bytes -= strBytes(field.length) + strBytes(this.values[i]!.length);
    const last = this.fields.length - 1;
    if (this.compact) {
      // keep insertion order, as a listpack does
      this.fields.splice(i, 1);
      this.values.splice(i, 1);
      for (let j = i; j < last; j++) this.index.set(this.fields[j]!, j);
      return true;
    }
    const lastField = this.fields.pop()!;
    const lastValue = this.values.pop()!;
    if (i !== last) {
      this.fields[i] = lastField;
      this.values[i] = lastValue;
      this.index.set(lastField, i);
    }
    return true;
  }

  /** A random slot (the hash must not be empty). */
  randomSlot(): number {
    return Math.floor(Math.random() * this.fields.length);
  }

  /**
   * One HSCAN step over a hashtable-encoded hash: visits up to count slots below cursor (cursor =
   * next slot + 1; 0 starts at the top, as Db.scan) and returns the next cursor, 0 when done.
   */
  scan(cursor: number, count: number, visit: (slot: number) => void): number {
    let slot = cursor === 0 ? this.fields.length - 1 : Math.min(cursor - 1, this.fields.length - 1);
    for (let n = 0; slot >= 0 && n < count; n++, slot--) visit(slot);
    return slot < 0 ? 0 : slot + 1;
  }

  clone(): HashValue {
    const h = new HashValue();
    h.index = new Map(this.index);
    h.fields = this.fields.slice();
    h.values = this.values.slice();
    h.compact = this.compact;
    h.bytes = this.bytes;
    return h;
  }

  /** Redis's rule: each field's own digest (field mixed, then value mixed) xor-ed into the key's. */
  digestInto(digest: Uint8Array): void {
    const ele = new Uint8Array(20);
    for (let i = 0; i < this.fields.length; i++) {
      ele.fill(0);
      mixDigest(ele, this.fields[i]!);
      mixDigest(ele, this.values[i]!);
      xorDigest(digest, ele);
    }
  }

  memoryUsage(_samples: number): number {
    return HEADER_BYTES + this.bytes + this.fields.length * ENTRY_BYTES;
  }
}
