/*
 * Editing big bitmaps without copying them. A string value is an immutable V8 string; rebuilding a
 * large one per SETBIT costs far more than its length suggests: every string over ~128 KB is
 * allocated in V8's large-object space, and one such allocation per command (whether by slicing or
 * through a Buffer) drives the garbage collector hard — measured here at ~0.9 ms per SETBIT on a
 * 128 KB bitmap and ~4 ms on 1 MB, against ~40 µs for Redis.
 *
 * So for strings of BIG bytes and more, the commands that edit or probe single bytes (SETBIT,
 * GETBIT, BITFIELD) keep a rope beside the value: the string cut into CHUNK-byte leaves, with every
 * inner node of a balanced binary tree being the concatenation of its children (V8 cons strings,
 * O(1) to make). The Db holds the root. An edit replaces one leaf (a small string) and the
 * concatenations on its path to the root, O(CHUNK + log n), and allocates nothing large. Readers that
 * need the whole string (GET, BITCOUNT...) make V8 flatten the root once; the leaves stay, so the
 * next edit is cheap again. Growing appends shared all-zero leaves.
 *
 * The rope is a cache, trusted only while the Db still holds the exact string it produced
 * (compared with ===, which is a pointer check in the common case and a content check otherwise, so
 * a value replaced by anything else is never misread). A few ropes are kept, least recently used
 * dropped first; each holds at most about one copy of its bitmap.
 */

import type { Db } from '../keyspace/db';

/** leaf size: far below V8's regular-object limit so leaf edits stay cheap */
const CHUNK = 8192;
/** strings from this size on are edited through a rope */
export const BIG = 64 * 1024;
const MAX_ROPES = 8;

const ZERO_CHUNK = '\0'.repeat(CHUNK);

export interface Rope {
  /** the string this rope stands for (the root) */
  value: string;
  /** heap-ordered tree: leaves at [size, size + n), root at 1 */
  tree: string[];
  size: number;
  n: number;
  length: number;
}

const ropes = new Map<string, Rope>();
const ids = new WeakMap<Db, number>();
let nextId = 0;

function cacheKey(db: Db, key: string): string {
  let id = ids.get(db);
  if (id === undefined) {
    id = nextId++;
    ids.set(db, id);
  }
  return id + ':' + key;
}

function rebuildInner(r: Rope): void {
  for (let i = r.size - 1; i >= 1; i--) r.tree[i] = r.tree[2 * i]! + r.tree[2 * i + 1]!;
  r.value = r.tree[1]!;
}

function build(value: string): Rope {
  const n = Math.ceil(value.length / CHUNK);
  let size = 1;
  while (size < n) size *= 2;
  const tree: string[] = new Array<string>(2 * size).fill('');
  for (let i = 0; i < n; i++) tree[size + i] = value.slice(i * CHUNK, Math.min(value.length, (i + 1) * CHUNK));
  const r: Rope = { value, tree, size, n, length: value.length };
  rebuildInner(r);
  return r;
}

/** The rope for a key's current string value (made if needed). */
export function ropeFor(db: Db, key: string, value: string): Rope {
  const ck = cacheKey(db, key);
  let r = ropes.get(ck);
  if (r !== undefined) {
    ropes.delete(ck);
    if (r.value !== value) r = undefined;
  }
  if (r === undefined) {
    r = build(value);
    if (ropes.size >= MAX_ROPES) ropes.delete(ropes.keys().next().value!);
  }
  ropes.set(ck, r);
  return r;
}

/** A cached rope for exactly this value, or undefined (never builds one). */
export function cachedRope(db: Db, key: string, value: string): Rope | undefined {
  const r = ropes.get(cacheKey(db, key));
  return r !== undefined && r.value === value ? r : undefined;
}

export function ropeByte(r: Rope, i: number): number {
  if (i >= r.length) return 0;
  return r.tree[r.size + Math.floor(i / CHUNK)]!.charCodeAt(i % CHUNK);
}

function setLeaf(r: Rope, c: number, leaf: string): void {
  let k = r.size + c;
  r.tree[k] = leaf;
  for (k >>= 1; k >= 1; k >>= 1) r.tree[k] = r.tree[2 * k]! + r.tree[2 * k + 1]!;
  r.value = r.tree[1]!;
}

/** Grows the string with zero bytes to `length`. */
export function ropeGrow(r: Rope, length: number): void {
  if (length <= r.length) return;
  const last = r.n - 1;
  const lastLen = r.length - last * CHUNK;
  if (lastLen < CHUNK) {
    const fill = Math.min(CHUNK, length - last * CHUNK) - lastLen;
    setLeaf(r, last, r.tree[r.size + last]! + '\0'.repeat(fill));
  }
  const n = Math.ceil(length / CHUNK);
  if (n > r.n) {
    let size = r.size;
    while (size < n) size *= 2;
    if (size !== r.size) {
      const tree: string[] = new Array<string>(2 * size).fill('');
      for (let i = 0; i < r.n; i++) tree[size + i] = r.tree[r.size + i]!;
      r.tree = tree;
      r.size = size;
    }
    for (let i = r.n; i < n; i++) r.tree[r.size + i] = i === n - 1 && length % CHUNK !== 0 ? '\0'.repeat(length % CHUNK) : ZERO_CHUNK;
    r.n = n;
    rebuildInner(r);
  }
  r.length = length;
}

/** Sets byte i (which must be below the length) to v. */
export function ropeSetByte(r: Rope, i: number, v: number): void {
  const c = Math.floor(i / CHUNK);
  const j = i % CHUNK;
  const leaf = r.tree[r.size + c]!;
  if (leaf.charCodeAt(j) === v) return;
  setLeaf(r, c, leaf.slice(0, j) + String.fromCharCode(v) + leaf.slice(j + 1));
}
