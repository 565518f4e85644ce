/*
 * HyperLogLog in Redis's own byte format, so that an HLL key's string value is byte-identical to the
 * one Redis builds from the same inputs, and a value Redis built (GET there, SET here) counts the same.
 *
 * Layout (all of it is observable with GET, so none of it is ours to choose):
 * - a 16-byte header: "HYLL", an encoding byte (0 dense, 1 sparse), 3 unused bytes (kept as found),
 *   and the cached cardinality as a little-endian uint64 whose top bit set means "stale";
 * - dense: 16384 registers of 6 bits, packed low bit first (12288 bytes, 12304 in all);
 * - sparse: run-length opcodes ZERO (00xxxxxx: 1..64 zero registers), XZERO (01xxxxxx yyyyyyyy:
 *   1..16384 zero registers) and VAL (1vvvvvxx: 1..4 registers of value 1..32). Sparse values are
 *   edited in place the way Redis edits them (split the opcode holding the register, then merge
 *   equal neighbouring VALs in a short window), because a different but equivalent encoding would
 *   not be byte-identical. The value turns dense when a register exceeds 32 or the string would pass
 *   hll-sparse-max-bytes (header included).
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19), done here in 32-bit halves (BigInt would
 * be several times slower on PFADD's path). The estimator is Ertl's improved raw estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches"), which Redis 7 uses; it is plain
 * IEEE double arithmetic, so the results match Redis's exactly.
 *
 * Values are worked on as a byte buffer (HllBuf: bytes + length, with spare capacity so a sparse
 * value can grow a few bytes per edit) and turned back into a latin1 string by the command layer.
 * A byte past `len` is kept zero, standing in for the terminator Redis's code may read past the end
 * of a truncated (corrupt) sparse value.
 */

export const HLL_REGISTERS = 16384;
const P_MASK = HLL_REGISTERS - 1;
export const HLL_HDR = 16;
/** 16-byte header + 16384 registers * 6 bits */
export const HLL_DENSE_SIZE = HLL_HDR + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
/** Q = 64 - P: the hash bits left after the register index */
const HLL_Q = 50;
const ALPHA_INF = 0.721347520444481703680;

/** An HLL value being worked on: bytes [0, len) of b; b[len] is 0. */
export interface HllBuf {
  b: Uint8Array;
  len: number;
}

// ---- MurmurHash64A in 32-bit halves ----

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
let mulHi = 0;
let mulLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into mulHi:mulLo. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a1 * b0 + a0 * b1;
  const low = a0 * b0 + (mid % 0x10000) * 0x10000;
  mulLo = low >>> 0;
  mulHi = (a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

/** The two halves of the last hash computed by murmur64a. */
export let hashHi = 0;
export let hashLo = 0;

/** MurmurHash64A of the bytes of a latin1 string, result in hashHi:hashLo. */
export function murmur64a(s: string, seed = 0xadc83b19): void {
  const len = s.length;
  mul64(0, len, M_HI, M_LO);
  let hh = mulHi;
  let hl = (mulLo ^ seed) >>> 0;
  const tail = len - (len & 7);
  for (let i = 0; i < tail; i += 8) {
    let kl = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
    let kh = (s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24)) >>> 0;
    mul64(kh, kl, M_HI, M_LO);
    kh = mulHi;
    kl = (mulLo ^ (mulHi >>> 15)) >>> 0;
    mul64(kh, kl, M_HI, M_LO);
    hh ^= mulHi;
    hl ^= mulLo;
    mul64(hh >>> 0, hl >>> 0, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  const rem = len & 7;
  if (rem !== 0) {
    if (rem >= 7) hh ^= s.charCodeAt(tail + 6) << 16;
    if (rem >= 6) hh ^= s.charCodeAt(tail + 5) << 8;
    if (rem >= 5) hh ^= s.charCodeAt(tail + 4);
    if (rem >= 4) hl ^= s.charCodeAt(tail + 3) << 24;
    if (rem >= 3) hl ^= s.charCodeAt(tail + 2) << 16;
    if (rem >= 2) hl ^= s.charCodeAt(tail + 1) << 8;
    hl ^= s.charCodeAt(tail);
    mul64(hh >>> 0, hl >>> 0, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh >>> 0, hl, M_HI, M_LO);
  hh = mulHi;
  hl = (mulLo ^ (mulHi >>> 15)) >>> 0;
  hashHi = hh >>> 0;
  hashLo = hl;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The register index of the last patLen call. */
export let patIndex = 0;

/** Hashes an element: sets patIndex and returns the run length (1..51) of its "000..1" pattern. */
export function patLen(ele: string): number {
  murmur64a(ele);
  patIndex = hashLo & P_MASK;
  const rest = hashLo >>> 14;
  if (rest !== 0) return ctz32(rest) + 1;
  if (hashHi !== 0) return 18 + ctz32(hashHi) + 1;
  return HLL_Q + 1;
}

// ---- header and validation ----

/** True when a string value is an HLL as Redis accepts one (magic, encoding, exact dense size). */
export function isHllString(v: string): boolean {
  if (v.length < HLL_HDR) return false;
  if (v.charCodeAt(0) !== 72 || v.charCodeAt(1) !== 89 || v.charCodeAt(2) !== 76 || v.charCodeAt(3) !== 76) return false;
  const enc = v.charCodeAt(4);
  if (enc > HLL_SPARSE) return false;
  return enc !== HLL_DENSE || v.length === HLL_DENSE_SIZE;
}

/** a dense value's working copy is reused from command to command (allocating 12 KB costs more than filling it) */
const scratch = new Uint8Array(HLL_DENSE_SIZE + 1);
const scratchBuffer = Buffer.from(scratch.buffer, 0, HLL_DENSE_SIZE);

/**
 * A working copy of an HLL string, with spare room for sparse growth. With `transient`, a dense
 * value is copied into a shared buffer: valid only until the next transient copy.
 */
export function fromString(v: string, transient = false): HllBuf {
  const len = v.length;
  if (transient && len === HLL_DENSE_SIZE) {
    scratchBuffer.write(v, 'latin1');
    return { b: scratch, len };
  }
  const b = new Uint8Array(len < HLL_DENSE_SIZE ? len + 64 : len + 1);
  Buffer.from(b.buffer, 0, len).write(v, 'latin1');
  return { b, len };
}

export function toLatin1(h: HllBuf): string {
  return Buffer.from(h.b.buffer, h.b.byteOffset, h.len).toString('latin1');
}

/** A new empty HLL as PFADD creates one: sparse, one XZERO over all registers, cached count 0. */
export function createHll(): HllBuf {
  const b = new Uint8Array(64);
  b[0] = 72; // H
  b[1] = 89; // Y
  b[2] = 76; // L
  b[3] = 76; // L
  b[4] = HLL_SPARSE;
  const l = HLL_REGISTERS - 1;
  b[HLL_HDR] = 0x40 | (l >> 8);
  b[HLL_HDR + 1] = l & 0xff;
  return { b, len: HLL_HDR + 2 };
}

export function encodingOf(h: HllBuf): number {
  return h.b[4]!;
}

export function invalidateCache(h: HllBuf): void {
  h.b[15]! |= 0x80;
}

/** The cached cardinality, or -1 when stale (works on the string, no copy). */
export function cachedCard(v: string): number {
  if ((v.charCodeAt(15) & 0x80) !== 0) return -1;
  const lo = (v.charCodeAt(8) | (v.charCodeAt(9) << 8) | (v.charCodeAt(10) << 16) | (v.charCodeAt(11) << 24)) >>> 0;
  const hi = (v.charCodeAt(12) | (v.charCodeAt(13) << 8) | (v.charCodeAt(14) << 16) | (v.charCodeAt(15) << 24)) >>> 0;
  return hi * 0x100000000 + lo;
}

/** The 8 bytes of a cardinality as stored in the header. */
export function cardBytes(card: number): string {
  const lo = card % 0x100000000;
  const hi = Math.floor(card / 0x100000000);
  return String.fromCharCode(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24);
}

// ---- dense registers ----

export function denseGet(b: Uint8Array, index: number): number {
  const pos = index * 6;
  const byte = HLL_HDR + (pos >>> 3);
  const fb = pos & 7;
  return ((b[byte]! >>> fb) | (b[byte + 1]! << (8 - fb))) & 63;
}

/** A dense register read straight from the value string (no copy). */
export function denseGetString(v: string, index: number): number {
  const pos = index * 6;
  const byte = HLL_HDR + (pos >>> 3);
  const fb = pos & 7;
  const next = byte + 1 < v.length ? v.charCodeAt(byte + 1) : 0;
  return ((v.charCodeAt(byte) >>> fb) | (next << (8 - fb))) & 63;
}

function denseWrite(b: Uint8Array, index: number, v: number): void {
  const pos = index * 6;
  const byte = HLL_HDR + (pos >>> 3);
  const fb = pos & 7;
  b[byte] = (b[byte]! & ~(63 << fb)) | (v << fb);
  b[byte + 1] = (b[byte + 1]! & ~(63 >>> (8 - fb))) | (v >>> (8 - fb));
}

/** Raises a dense register to count; 1 when it changed. */
export function denseSet(b: Uint8Array, index: number, count: number): number {
  if (count <= denseGet(b, index)) return 0;
  denseWrite(b, index, count);
  return 1;
}

// ---- sparse ----

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const valOp = (value: number, len: number): number => 0x80 | ((value - 1) << 2) | (len - 1);
const valValue = (op: number): number => ((op >>> 2) & 31) + 1;
const valLen = (op: number): number => (op & 3) + 1;

/** Converts a sparse value to dense in place; false when the sparse data is corrupt. */
export function sparseToDense(h: HllBuf): boolean {
  const src = h.b;
  if (src[4] === HLL_DENSE) return true;
  const b = new Uint8Array(HLL_DENSE_SIZE + 1);
  b.set(src.subarray(0, HLL_HDR));
  b[4] = HLL_DENSE;
  const end = h.len;
  let idx = 0;
  for (let p = HLL_HDR; p < end; ) {
    const op = src[p]!;
    if (isZero(op)) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if (isXzero(op)) {
      idx += (((op & 0x3f) << 8) | src[p + 1]!) + 1;
      p += 2;
    } else {
      let run = valLen(op);
      const v = valValue(op);
      if (run + idx > HLL_REGISTERS) break;
      while (run-- > 0) denseWrite(b, idx++, v);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  h.b = b;
  h.len = HLL_DENSE_SIZE;
  return true;
}

const seq = new Uint8Array(5);

/** Writes a zero run of len registers into seq at n; returns the new n. */
function zeroRun(n: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    seq[n] = 0x40 | ((len - 1) >> 8);
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

/**
 * Raises register index to count in a sparse value (Redis's in-place edit, byte for byte); turns it
 * dense when needed. Returns 1 if changed, 0 if not, -1 when the data is corrupt.
 */
export function sparseSet(h: HllBuf, index: number, count: number, maxBytes: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(h, index, count);
  let b = h.b;
  let end = h.len;
  // find the opcode covering the register
  let p = HLL_HDR;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p]!;
    let oplen = 1;
    if (isZero(op)) span = (op & 0x3f) + 1;
    else if ((op & 0x80) !== 0) span = valLen(op);
    else {
      span = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p]!;
  const xzero = isXzero(op);
  const zero = isZero(op);
  const next = xzero ? p + 2 : p + 1;
  let done = false;
  if (!zero && !xzero) {
    if (valValue(op) >= count) return 0;
    if (span === 1) {
      b[p] = valOp(count, 1);
      done = true;
    }
  } else if (zero && span === 1) {
    b[p] = valOp(count, 1);
    done = true;
  }
  if (!done) {
    // split the opcode: [run before] VAL(count,1) [run after]
    const last = first + span - 1;
    let n = 0;
    if (zero || xzero) {
      if (index !== first) n = zeroRun(n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = zeroRun(n, last - index);
    } else {
      const cur = valValue(op);
      if (index !== first) seq[n++] = valOp(cur, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(cur, last - index);
    }
    const delta = n - (xzero ? 2 : 1);
    if (delta > 0 && h.len + delta > maxBytes) return promote(h, index, count);
    if (h.len + delta + 1 > b.length) {
      const grown = new Uint8Array(Math.max(b.length * 2, h.len + delta + 1));
      grown.set(b.subarray(0, h.len));
      h.b = b = grown;
    }
    if (delta !== 0 && next < end) b.copyWithin(next + delta, next, end);
    h.len += delta;
    end += delta;
    b[end] = 0;
    b.set(seq.subarray(0, n), p);
  }
  // merge equal adjacent VALs in a window of 5 opcodes starting before the edit
  p = prev >= 0 ? prev : HLL_HDR;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const o = b[p]!;
    if (isXzero(o)) {
      p += 2;
      continue;
    }
    if (isZero(o)) {
      p++;
      continue;
    }
    if (p + 1 < end) {
      const o2 = b[p + 1]!;
      if ((o2 & 0x80) !== 0 && valValue(o) === valValue(o2)) {
        const len = valLen(o) + valLen(o2);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(valValue(o), len);
          b.copyWithin(p, p + 1, end);
          end--;
          h.len--;
          b[end] = 0;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(h);
  return 1;
}

function promote(h: HllBuf, index: number, count: number): number {
  if (!sparseToDense(h)) return -1;
  return denseSet(h.b, index, count);
}

/** Adds an element; 1 if a register changed, 0 if not, -1 on corrupt data. */
export function hllAdd(h: HllBuf, ele: string, sparseMaxBytes: number): number {
  const count = patLen(ele);
  if (h.b[4] === HLL_DENSE) return denseSet(h.b, patIndex, count);
  return sparseSet(h, patIndex, count, sparseMaxBytes);
}

/** Raises register index to count (PFMERGE's write of the merged registers). */
export function hllSet(h: HllBuf, index: number, count: number, sparseMaxBytes: number): number {
  if (h.b[4] === HLL_DENSE) return denseSet(h.b, index, count);
  return sparseSet(h, index, count, sparseMaxBytes);
}

// ---- counting and merging ----

const histo = new Float64Array(64);
/**
 * four interleaved histograms (value * 4 + lane): consecutive registers usually share a value, and
 * incrementing one slot over and over is a chain of dependent memory operations; four lanes break it
 */
const lanes = new Float64Array(256);

function foldLanes(): void {
  for (let v = 0; v < 64; v++) histo[v] = lanes[v * 4]! + lanes[v * 4 + 1]! + lanes[v * 4 + 2]! + lanes[v * 4 + 3]!;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrev: number;
  do {
    x = Math.sqrt(x);
    zPrev = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrev !== z);
  return z / 3;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrev: number;
  do {
    x *= x;
    zPrev = z;
    z += x * y;
    y += y;
  } while (zPrev !== z);
  return z;
}

function estimate(): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** The estimated cardinality of a value; -1 when a sparse value is corrupt. */
export function hllCount(h: HllBuf): number {
  histo.fill(0);
  const b = h.b;
  if (b[4] === HLL_DENSE) {
    // 4 registers in every 3 bytes
    lanes.fill(0);
    for (let p = HLL_HDR, end = HLL_DENSE_SIZE; p < end; p += 3) {
      const b0 = b[p]!;
      const b1 = b[p + 1]!;
      const b2 = b[p + 2]!;
      lanes[(b0 & 63) << 2]!++;
      lanes[((((b0 >>> 6) | (b1 << 2)) & 63) << 2) | 1]!++;
      lanes[((((b1 >>> 4) | (b2 << 4)) & 63) << 2) | 2]!++;
      lanes[((b2 >>> 2) << 2) | 3]!++;
    }
    foldLanes();
  } else {
    let idx = 0;
    const end = h.len;
    for (let p = HLL_HDR; p < end; ) {
      const op = b[p]!;
      if (isZero(op)) {
        const run = (op & 0x3f) + 1;
        idx += run;
        histo[0]! += run;
        p++;
      } else if (isXzero(op)) {
        const run = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        idx += run;
        histo[0]! += run;
        p += 2;
      } else {
        const run = valLen(op);
        idx += run;
        histo[valValue(op)]! += run;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
  }
  return estimate();
}

/** The estimated cardinality of plain registers (one byte each), as PFCOUNT of several keys. */
export function countRegisters(max: Uint8Array): number {
  lanes.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i += 4) {
    lanes[max[i]! << 2]!++;
    lanes[(max[i + 1]! << 2) | 1]!++;
    lanes[(max[i + 2]! << 2) | 2]!++;
    lanes[(max[i + 3]! << 2) | 3]!++;
  }
  foldLanes();
  return estimate();
}

/** max[i] = MAX(max[i], register i of h); false when a sparse value is corrupt. */
export function mergeInto(max: Uint8Array, h: HllBuf): boolean {
  const b = h.b;
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  let i = 0;
  const end = h.len;
  for (let p = HLL_HDR; p < end; ) {
    const op = b[p]!;
    if (isZero(op)) {
      i += (op & 0x3f) + 1;
      p++;
    } else if (isXzero(op)) {
      i += (((op & 0x3f) << 8) | b[p + 1]!) + 1;
      p += 2;
    } else {
      let run = valLen(op);
      const v = valValue(op);
      if (run + i > HLL_REGISTERS) break;
      while (run-- > 0) {
        if (v > max[i]!) max[i] = v;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** PFDEBUG DECODE: the opcodes of a sparse value as "z:len Z:len v:value,len". */
export function decodeSparse(h: HllBuf): string {
  const b = h.b;
  const parts: string[] = [];
  for (let p = HLL_HDR; p < h.len; ) {
    const op = b[p]!;
    if (isZero(op)) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if (isXzero(op)) {
      parts.push(`Z:${(((op & 0x3f) << 8) | b[p + 1]!) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return parts.join(' ');
}

/**
 * PFSELFTEST: checks the register packing, that sparse and dense representations agree register
 * for register and count for count, and that estimates stay within the expected error. Returns an
 * error message, or null when all is well. `random` makes it reproducible in tests.
 */
export function selfTest(random: () => number = Math.random): string | null {
  // dense register packing: write random values, read them all back
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  const expect = new Uint8Array(HLL_REGISTERS);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = Math.floor(random() * 64);
      expect[i] = v;
      denseWrite(dense, i, v);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      if (denseGet(dense, i) !== expect[i]) return `TESTFAILED Register error at ${i}`;
    }
  }
  // sparse vs dense, and the estimate's error, as elements are added
  const sparse = createHll();
  const full = createHll();
  sparseToDense(full);
  const relErr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const checks = [10, 100, 1000, 10000, 100000];
  let checkAt = 0;
  const prefix = `selftest:${Math.floor(random() * 1e9)}:`;
  for (let j = 1; j <= 100000; j++) {
    const ele = prefix + j;
    const a = hllAdd(sparse, ele, 3000);
    const c = hllAdd(full, ele, 3000);
    if (a !== c) return `TESTFAILED sparse and dense updates differ at element ${j}`;
    if (j === checks[checkAt]) {
      checkAt++;
      const ca = hllCount(sparse);
      const cb = hllCount(full);
      if (ca !== cb) return `TESTFAILED sparse count ${ca} and dense count ${cb} differ at ${j}`;
      // 5 standard errors, and a little slack for tiny sets
      const maxErr = j < 100 ? 2 : j * relErr * 5;
      if (Math.abs(cb - j) > maxErr) return `TESTFAILED Too big error. card:${j} abserr:${Math.abs(cb - j)}`;
    }
  }
  return null;
}
