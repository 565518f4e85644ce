/*
 * Memory figures: what a key costs us (MEMORY USAGE, MEMORY STATS overheads) and the process-level
 * numbers INFO memory and MEMORY STATS report.
 *
 * Per-key estimate (64-bit V8 without pointer compression, as Node ships; measured against
 * heapUsed after GC for 0.3M..1M keys in a Db):
 *   string of n bytes   16-byte header + n rounded up to 8   (SeqOneByteString)
 *                       n + 48 from ~1 MB up, where Node makes external strings
 *   integer value       0 when it fits a Smi (31-bit signed + sign), else a 16-byte HeapNumber
 *   key slot            56: the Map entry (key, value, chain words + bucket share, with the
 *                       table's doubling slack) + the keys[] and values[] slots + 4 bytes of LRU
 *                       (measured 50..70 depending on how full the tables are)
 *   expiry              48: an entry in the expires Map + the HeapNumber holding the time
 * MEMORY USAGE = key string + value + key slot (+ expiry when the key is volatile). Collection
 * values report their own size through `memoryUsage(samples)`; without it they count as an object
 * header only.
 */

import type { Value } from './keyspace/db';

export const KEY_SLOT_BYTES = 56;
export const EXPIRE_ENTRY_BYTES = 48;
const EXTERNAL_STRING_MIN = 0xfbee9;

export function stringBytes(len: number): number {
  if (len >= EXTERNAL_STRING_MIN) return len + 48;
  return 16 + ((len + 7) & ~7);
}

/** Bytes held by a value: a string, an int-encoded number or a collection. */
export function valueBytes(v: Value, samples = 5): number {
  if (typeof v === 'string') return stringBytes(v.length);
  if (typeof v === 'number') return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? 0 : 16;
  return v.memoryUsage !== undefined ? v.memoryUsage(samples) : 32;
}

/** MEMORY USAGE of one key. */
export function keyUsage(key: string, value: Value, volatile: boolean, samples = 5): number {
  return stringBytes(key.length) + valueBytes(value, samples) + KEY_SLOT_BYTES + (volatile ? EXPIRE_ENTRY_BYTES : 0);
}

/** Process memory, read once per INFO/MEMORY call. */
export interface MemorySnapshot {
  /** used_memory: JS heap in use + memory held outside it (Buffers, external strings) */
  used: number;
  /** the heap reserved by V8 + external: what the "allocator" holds */
  active: number;
  rss: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = process.memoryUsage();
  return { used: m.heapUsed + m.external, active: m.heapTotal + m.external, rss: m.rss };
}

/** Bytes in Redis's human form: 512B, 1.03K, 6.45M, 23.54G ... */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === 'E') return `${d.toFixed(2)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}
