/*
 * The byte-level pieces of Redis's RDB format (version 10, as Redis 7.0 writes it), shared by the
 * file loader/saver (rdb.ts), DUMP/RESTORE and later replication:
 * - CRC64 with the Jones polynomial, reflected, no final xor (what Redis appends to files and DUMP
 *   payloads), sliced by 8 with the 64-bit state in two 32-bit halves (no BigInt on the hot path);
 * - LZF: the decompressor, and a compressor that follows liblzf 3.6's choices as Redis builds it
 *   (16-bit hash table, "very fast" mode) so that our compressed strings and DUMP payloads come out
 *   byte for byte as Redis's;
 * - RdbWriter / RdbReader: length encoding, strings (integer-encoded when short and canonical,
 *   LZF-compressed above 20 bytes when asked, as Redis), binary doubles, the old text doubles;
 * - the packed blobs inside values: listpack (read and write), ziplist and zipmap (read, old files),
 *   intset (read and write).
 *
 * Strings are latin1 JS strings (one char per byte), as everywhere in tredis. Integers wider than
 * 2^53 are handled as text or BigInt so nothing is rounded. A malformed input throws RdbError; the
 * callers turn that into Redis's error replies or a refused load.
 */

import { latin1, writeLatin1 } from '../protocol/latin1';
import { isInt64Text } from '../types/set';

export { isInt64Text };

export class RdbError extends Error {}

// ---------------------------------------------------------------------------------------------
// CRC64 (Jones)

/** slicing-by-8 tables: entry k*256+i is byte i's contribution k bytes further on (lo and hi halves) */
const CRC_LO = new Uint32Array(8 * 256);
const CRC_HI = new Uint32Array(8 * 256);
(() => {
  // reflected form of 0xad93d23594c935a9
  const polyHi = 0x95ac9329;
  const polyLo = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    CRC_LO[i] = lo;
    CRC_HI[i] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const plo = CRC_LO[(k - 1) * 256 + i]!;
      const phi = CRC_HI[(k - 1) * 256 + i]!;
      const idx = plo & 0xff;
      CRC_LO[k * 256 + i] = (CRC_LO[idx]! ^ ((plo >>> 8) | (phi << 24))) >>> 0;
      CRC_HI[k * 256 + i] = (CRC_HI[idx]! ^ (phi >>> 8)) >>> 0;
    }
  }
})();

/** A running CRC64: feed chunks with update(), read the 8 little-endian bytes Redis stores. */
export class Crc64 {
  lo = 0;
  hi = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): void {
    let lo = this.lo;
    let hi = this.hi;
    const L = CRC_LO;
    const H = CRC_HI;
    let i = start;
    for (; i + 8 <= end; i += 8) {
      const xl = (lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
      const xh = (hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24))) >>> 0;
      const a = 7 * 256 + (xl & 0xff);
      const b = 6 * 256 + ((xl >>> 8) & 0xff);
      const c = 5 * 256 + ((xl >>> 16) & 0xff);
      const d = 4 * 256 + (xl >>> 24);
      const e = 3 * 256 + (xh & 0xff);
      const f = 2 * 256 + ((xh >>> 8) & 0xff);
      const g = 256 + ((xh >>> 16) & 0xff);
      const h = xh >>> 24;
      lo = (L[a]! ^ L[b]! ^ L[c]! ^ L[d]! ^ L[e]! ^ L[f]! ^ L[g]! ^ L[h]!) >>> 0;
      hi = (H[a]! ^ H[b]! ^ H[c]! ^ H[d]! ^ H[e]! ^ H[f]! ^ H[g]! ^ H[h]!) >>> 0;
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = (CRC_LO[idx]! ^ ((lo >>> 8) | (hi << 24))) >>> 0;
      hi = (CRC_HI[idx]! ^ (hi >>> 8)) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The checksum as Redis writes it (little-endian). */
  bytes(): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(this.lo, 0);
    b.writeUInt32LE(this.hi, 4);
    return b;
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

export function crc64(buf: Uint8Array, start = 0, end = buf.length): Buffer {
  const c = new Crc64();
  c.update(buf, start, end);
  return c.bytes();
}

let crcWarmed = false;

/**
 * Runs the CRC64 once over a snapshot-chunk-sized buffer so that V8 optimizes it now: its first,
 * interpreted run over 64 KB took 7-9 ms (0.4 ms optimized), and the first chunk of the first BGSAVE
 * would otherwise stall the event loop that long in one piece. Once per process.
 */
export function warmUpCrc64(): void {
  if (crcWarmed) return;
  crcWarmed = true;
  crc64(new Uint8Array(64 * 1024));
}

// ---------------------------------------------------------------------------------------------
// LZF

const LZF_HLOG = 16;
const LZF_HSIZE = 1 << LZF_HLOG;
const LZF_MAX_LIT = 1 << 5;
const LZF_MAX_OFF = 1 << 13;
const LZF_MAX_REF = (1 << 8) + (1 << 3);
/**
 * base + position + 1 of the last occurrence of each 3-byte hash; reused between calls. Entries
 * not above the current call's base are from earlier calls and read as empty, so the 256 KB table
 * is not cleared for every string (clearing it cost more than compressing a short value).
 */
const lzfTable = new Int32Array(LZF_HSIZE);
let lzfBase = 0;

function lzfIdx(h: number): number {
  return ((h >>> (3 * 8 - LZF_HLOG)) - Math.imul(h, 5)) & (LZF_HSIZE - 1);
}

/**
 * Compresses inp into at most outLen bytes; returns the compressed bytes or null when they would
 * not fit (liblzf's lzf_compress returning 0). Same decisions as liblzf 3.6 in its "very fast"
 * configuration, so the output matches Redis's.
 */
export function lzfCompress(inp: Uint8Array, outLen: number): Buffer | null {
  if (outLen <= 0) return null;
  const out = Buffer.allocUnsafe(outLen);
  const n = lzfCompressInto(inp, inp.length, out, outLen);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * lzfCompress over inp[0, inLen) into out[0, outLen): the compressed length, or -1 when it would not
 * fit. Allocates nothing (a snapshot compresses a million values in a row).
 */
export function lzfCompressInto(inp: Uint8Array, inLen: number, out: Uint8Array, outLen: number): number {
  if (inLen === 0 || outLen <= 0) return -1;
  const htab = lzfTable;
  if (lzfBase > 0x7fffffff - inLen - 2) {
    htab.fill(0);
    lzfBase = 0;
  }
  const base = lzfBase;
  lzfBase += inLen + 1;
  const inEnd = inLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // room for the first literal run's length
  let hval = ((inp[0]! << 8) | inp[1]!) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | inp[ip + 2]!) >>> 0;
    const slot = lzfIdx(hval);
    const ref = htab[slot]! - base - 1; // negative when empty
    htab[slot] = base + ip + 1;
    let off: number;
    if (
      ref > 0 &&
      ref < ip &&
      (off = ip - ref - 1) < LZF_MAX_OFF &&
      inp[ref + 2] === inp[ip + 2] &&
      inp[ref + 1] === inp[ip + 1] &&
      inp[ref] === inp[ip]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > LZF_MAX_REF) maxlen = LZF_MAX_REF;
      if (op + 3 + 1 >= outLen) {
        if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLen) return -1;
      }
      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--;
      let done = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (inp[ref + len] !== inp[ip + len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do len++;
        while (len < maxlen && inp[ref + len] === inp[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = ((inp[ip]! << 8) | inp[ip + 1]!) >>> 0;
      hval = ((hval << 8) | inp[ip + 2]!) >>> 0;
      htab[lzfIdx(hval)] = base + ip + 1;
      ip++;
      hval = ((hval << 8) | inp[ip + 2]!) >>> 0;
      htab[lzfIdx(hval)] = base + ip + 1;
      ip++;
    } else {
      if (op >= outLen) return -1;
      lit++;
      out[op++] = inp[ip++]!;
      if (lit === LZF_MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return -1;
  while (ip < inEnd) {
    lit++;
    out[op++] = inp[ip++]!;
    if (lit === LZF_MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op;
}

/** byte runs up to this long are copied in JavaScript: cheaper than a view and a native copy */
const SHORT_RUN = 64;

/** Decompresses LZF data that must expand to exactly outLen bytes. */
export function lzfDecompress(inp: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  lzfDecompressInto(inp, 0, inp.length, out, outLen);
  return out;
}

/** Decompresses inp[ip, inLen) into out[0, outLen), which it must fill exactly. */
export function lzfDecompressInto(inp: Uint8Array, ip: number, inLen: number, out: Uint8Array, outLen: number): void {
  let op = 0;
  while (ip < inLen) {
    let ctrl = inp[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > inLen) throw new RdbError('LZF literal out of bounds');
      for (let k = 0; k < ctrl; k++) out[op++] = inp[ip++]!;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= inLen) throw new RdbError('LZF truncated');
        len += inp[ip++]!;
      }
      if (ip >= inLen) throw new RdbError('LZF truncated');
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - inp[ip++]!;
      len += 2;
      if (ref < 0) throw new RdbError('LZF back reference out of bounds');
      if (op + len > outLen) throw new RdbError('LZF output overflow');
      for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
    }
  }
  if (op !== outLen) throw new RdbError('LZF length mismatch');
}

// ---------------------------------------------------------------------------------------------
// numbers as text

/** Redis's d2string as 7.0 formats zset scores in listpacks ("%.17g", integers within ±2^62 plainly). */
export function scoreText(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // integral values within ±2^62 print as integers (Redis 7.0's double2ll range), exactly
  if (Number.isInteger(d) && d >= -4611686018427387904 && d <= 4611686018427387904) {
    return d > -9007199254740992 && d < 9007199254740992 ? String(d) : BigInt(d).toString();
  }
  return format17g(d);
}

/**
 * printf("%.17g", d) for finite non-zero d. JS rounds exact decimal ties away from zero where glibc
 * rounds them to even (-1229145729448646.25 is "...646.2" in C), so a tie is detected from the
 * exact expansion and settled the C way.
 */
export function format17g(d: number): string {
  const neg = d < 0;
  const a = neg ? -d : d;
  const e17 = a.toExponential(16); // d.dddddddddddddddde±x, rounded half away from zero
  let at = e17.indexOf('e');
  let digits = e17[0]! + e17.slice(2, at);
  let x = Number(e17.slice(at + 1));
  const e18 = a.toExponential(17);
  if (e18.charCodeAt(e18.indexOf('e') - 1) === 53 /* 5 */) {
    const exact = a.toExponential(99);
    at = exact.indexOf('e');
    const all = exact[0]! + exact.slice(2, at);
    if (/^0*$/.test(all.slice(18)) && all[17] === '5' && (all.charCodeAt(16) - 48) % 2 === 0) {
      // an exact tie with an even 17th digit: C keeps it, truncating
      digits = all.slice(0, 17);
      x = Number(exact.slice(at + 1));
    }
  }
  let out: string;
  if (x < -4 || x >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    const ax = Math.abs(x);
    out = `${digits[0]!}${frac === '' ? '' : `.${frac}`}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else if (x >= 0) {
    const frac = digits.slice(x + 1).replace(/0+$/, '');
    out = digits.slice(0, x + 1) + (frac === '' ? '' : `.${frac}`);
  } else {
    out = `0.${'0'.repeat(-x - 1)}${digits.replace(/0+$/, '')}`;
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------------
// writer

export interface StringOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when it saves at least 4 bytes */
  compression: boolean;
}

/**
 * An append-only byte buffer. With a sink it hands full chunks over as it goes (saving a big
 * dataset does not hold the whole file in memory); the CRC is kept over everything written.
 */
export class RdbWriter {
  buf: Buffer;
  pos = 0;
  readonly crc = new Crc64();
  /** buf[0, crcPos) is in crc already */
  private crcPos = 0;
  /** bytes already handed to the sink */
  flushed = 0;

  constructor(
    readonly opts: StringOptions,
    /** takes each full chunk; the bytes are reused after it returns, so it must consume them now */
    private readonly sink: ((chunk: Buffer) => void) | null = null,
    size = 4096,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.sink !== null && this.pos > 0) {
      this.flush();
      if (n <= this.buf.length) return;
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Hands what is buffered to the sink (no-op without one). */
  flush(): void {
    if (this.sink === null || this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.crc.update(chunk, this.crcPos, this.pos);
    this.crcPos = 0;
    this.sink(chunk);
    this.flushed += this.pos;
    this.pos = 0;
  }

  /**
   * Folds what was written since the last call into the running CRC. A caller working in time
   * slices calls it at each step, so the checksum work comes in pieces as small as those steps: a
   * 64 KB chunk checksummed at once took 4-18 ms while the code was not optimized yet (the first
   * slices of a BGSAVE), long enough to show in the latency of every client.
   */
  advanceCrc(): void {
    this.crc.update(this.buf, this.crcPos, this.pos);
    this.crcPos = this.pos;
  }

  /** Everything written (only without a sink). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The CRC64 of everything written so far. */
  checksum(): Buffer {
    const c = new Crc64();
    c.lo = this.crc.lo;
    c.hi = this.crc.hi;
    c.update(this.buf, this.crcPos, this.pos);
    return c.bytes();
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  u32le(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  u64le(n: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)), this.pos);
    this.pos += 8;
  }

  /** Millisecond times (EXPIRETIME_MS, ctime is seconds) as 8 little-endian bytes. */
  i64le(n: number): void {
    this.ensure(8);
    // two 32-bit halves (two's complement through the floor division): no BigInt per key with a TTL
    const hi = Math.floor(n / 4294967296);
    this.buf.writeUInt32LE(n - hi * 4294967296, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  /** Redis's length encoding: 6, 14, 32 or 64 bits. */
  len(n: number): void {
    if (n < 64) this.byte(n);
    else if (n < 16384) {
      this.ensure(2);
      this.buf[this.pos++] = 0x40 | (n >> 8);
      this.buf[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      this.ensure(5);
      this.buf[this.pos++] = 0x80;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.ensure(9);
      this.buf[this.pos++] = 0x81;
      this.buf.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /** A length that may exceed 2^53 (stream ids and counters are unsigned 64-bit). */
  lenBig(n: bigint): void {
    if (n <= 0xffffffffn) return this.len(Number(n));
    this.ensure(9);
    this.buf[this.pos++] = 0x81;
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, n), this.pos);
    this.pos += 8;
  }

  /** A latin1 string with its length, no encoding tricks. */
  rawText(s: string): void {
    this.len(s.length);
    this.ensure(s.length);
    this.pos = writeLatin1(this.buf, this.pos, s);
  }

  /** An integer as RDB's int8/16/32 string encoding; false when out of int32 (caller writes text). */
  private intEncoded(v: number): boolean {
    if (v >= -128 && v <= 127) {
      this.ensure(2);
      this.buf[this.pos++] = 0xc0;
      this.buf.writeInt8(v, this.pos);
      this.pos += 1;
    } else if (v >= -32768 && v <= 32767) {
      this.ensure(3);
      this.buf[this.pos++] = 0xc1;
      this.buf.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else if (v >= -2147483648 && v <= 2147483647) {
      this.ensure(5);
      this.buf[this.pos++] = 0xc2;
      this.buf.writeInt32LE(v, this.pos);
      this.pos += 4;
    } else return false;
    return true;
  }

  /** A string value as Redis's rdbSaveRawString: int encoding, LZF, or plain. */
  string(s: string | number): void {
    if (typeof s === 'number') {
      if (Number.isInteger(s) && this.intEncoded(s)) return;
      this.rawText(String(s));
      return;
    }
    const n = s.length;
    if (n <= 11 && n > 0 && isInt64Text(s)) {
      if (this.intEncoded(Number(s))) return;
    }
    if (this.opts.compression && n > 20) {
      const raw = this.scratchFor(n, 0);
      writeLatin1(raw, 0, s);
      if (this.lzf(raw, n)) return;
      this.len(n);
      this.copyIn(raw, n);
      return;
    }
    this.rawText(s);
  }

  /** A binary blob (listpack, intset) as a string: LZF when enabled and worth it, else plain. */
  blob(b: Uint8Array): void {
    if (this.opts.compression && b.length > 20 && this.lzf(b, b.length)) return;
    this.len(b.length);
    this.bytes(b);
  }

  /** scratch buffers reused for LZF input (0) and output (1), so compressing allocates nothing */
  private readonly scratch: [Buffer, Buffer] = [Buffer.allocUnsafe(4096), Buffer.allocUnsafe(4096)];

  private scratchFor(n: number, which: 0 | 1): Buffer {
    if (this.scratch[which].length < n) this.scratch[which] = Buffer.allocUnsafe(Math.max(n, this.scratch[which].length * 2));
    return this.scratch[which];
  }

  /** Writes b[0, n) LZF-compressed if that saves at least 4 bytes; false when not written. */
  private lzf(b: Uint8Array, n: number): boolean {
    if (n <= 4) return false;
    const out = this.scratchFor(n - 4, 1);
    const c = lzfCompressInto(b, n, out, n - 4);
    if (c < 0) return false;
    this.byte(0xc3);
    this.len(c);
    this.len(n);
    this.copyIn(out, c);
    return true;
  }

  /** Appends src[0, n): short runs byte by byte, which spares the view a native copy needs. */
  private copyIn(src: Uint8Array, n: number): void {
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    if (n <= SHORT_RUN) for (let i = 0; i < n; i++) buf[p++] = src[i]!;
    else {
      buf.set(src.subarray(0, n), p);
      p += n;
    }
    this.pos = p;
  }

  /** A double as 8 little-endian IEEE bytes (ZSET_2). */
  binaryDouble(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }
}

// ---------------------------------------------------------------------------------------------
// reader

export class RdbReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new RdbError('Unexpected EOF reading RDB file');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  take(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  u32le(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i64le(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64LE(this.pos));
    this.pos += 8;
    return v;
  }

  /** set by lenOrEncoding: the value read is a special string encoding (int or LZF), not a length */
  encoded = false;

  /** A length, or (when `encoded` is then true) the type of a special string encoding. */
  lenOrEncoding(): number {
    const b = this.byte();
    const kind = b >> 6;
    this.encoded = false;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.byte();
    if (kind === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError('length out of range');
      return Number(v);
    }
    throw new RdbError(`Unknown length encoding ${b} in rdbLoadLen()`);
  }

  len(): number {
    const n = this.lenOrEncoding();
    if (this.encoded) throw new RdbError('unexpected string encoding where a length was expected');
    return n;
  }

  /** A length as an unsigned 64-bit bigint (stream ids and counters). */
  lenBig(): bigint {
    this.need(1);
    if (this.buf[this.pos] !== 0x81) return BigInt(this.len());
    this.need(9);
    const v = this.buf.readBigUInt64BE(this.pos + 1);
    this.pos += 9;
    return v;
  }

  /** A string as bytes (int-encoded ones come back as their decimal text). */
  stringBytes(): Buffer {
    const len = this.lenOrEncoding();
    if (!this.encoded) return this.take(len);
    return this.special(len);
  }

  private special(enc: number): Buffer {
    if (enc === 3) {
      const clen = this.len();
      const ulen = this.len();
      return lzfDecompress(this.take(clen), ulen);
    }
    return Buffer.from(String(this.intEncoding(enc)), 'latin1');
  }

  private intEncoding(enc: number): number {
    if (enc === 0) {
      this.need(1);
      return this.buf.readInt8(this.pos++);
    }
    if (enc === 1) {
      this.need(2);
      const v = this.buf.readInt16LE(this.pos);
      this.pos += 2;
      return v;
    }
    if (enc === 2) {
      this.need(4);
      const v = this.buf.readInt32LE(this.pos);
      this.pos += 4;
      return v;
    }
    throw new RdbError(`Unknown RDB string encoding type ${enc}`);
  }

  /** A string value: a number when it was stored int-encoded, else latin1 text. */
  stringValue(): string | number {
    const len = this.lenOrEncoding();
    if (this.encoded) return len === 3 ? this.lzfString() : this.intEncoding(len);
    this.need(len);
    const s = latin1(this.buf, this.pos, len);
    this.pos += len;
    return s;
  }

  string(): string {
    const len = this.lenOrEncoding();
    if (this.encoded) return len === 3 ? this.lzfString() : String(this.intEncoding(len));
    this.need(len);
    const s = latin1(this.buf, this.pos, len);
    this.pos += len;
    return s;
  }

  /** An LZF string, decompressed into a reused scratch buffer: no Buffer per value while loading. */
  private lzfString(): string {
    const clen = this.len();
    const ulen = this.len();
    this.need(clen);
    if (this.scratch.length < ulen) this.scratch = Buffer.allocUnsafe(Math.max(ulen, 2 * this.scratch.length));
    lzfDecompressInto(this.buf, this.pos, this.pos + clen, this.scratch, ulen);
    this.pos += clen;
    return latin1(this.scratch, 0, ulen);
  }

  private scratch: Buffer = Buffer.allocUnsafe(4096);

  binaryDouble(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The old text double of RDB_TYPE_ZSET: length byte, 253 nan, 254 +inf, 255 -inf. */
  textDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const v = Number(this.take(n).toString('latin1'));
    if (Number.isNaN(v)) throw new RdbError('bad double');
    return v;
  }
}

// ---------------------------------------------------------------------------------------------
// listpack

/** Encoded size of one listpack element (encoding + data, without the back-length). */
function lpEntrySize(s: string): number {
  const n = s.length;
  if (n <= 20 && isInt64Text(s)) {
    const v = Number(s);
    if (v >= 0 && v <= 127) return 1;
    if (v >= -4096 && v <= 4095) return 2;
    if (v >= -32768 && v <= 32767) return 3;
    if (v >= -8388608 && v <= 8388607) return 4;
    if (v >= -2147483648 && v <= 2147483647) return 5;
    return 9;
  }
  if (n < 64) return 1 + n;
  if (n < 4096) return 2 + n;
  return 5 + n;
}

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes an element adds to a listpack (entry and back-length). */
export function listpackEntryBytes(s: string): number {
  const l = lpEntrySize(s);
  return l + backlenSize(l);
}

/** A listpack holding elems, byte for byte as Redis builds one by appending them. */
export function writeListpack(elems: readonly string[]): Buffer {
  let total = 6 + 1;
  for (let i = 0; i < elems.length; i++) total += listpackEntryBytes(elems[i]!);
  const b = Buffer.allocUnsafe(total);
  b.writeUInt32LE(total, 0);
  b.writeUInt16LE(elems.length < 65535 ? elems.length : 65535, 4);
  let p = 6;
  for (let i = 0; i < elems.length; i++) {
    const s = elems[i]!;
    const l = lpEntrySize(s);
    const n = s.length;
    if (n <= 20 && isInt64Text(s)) {
      if (l === 9) {
        b[p] = 0xf4;
        b.writeBigInt64LE(BigInt(s), p + 1);
      } else {
        const v = Number(s);
        if (l === 1) b[p] = v;
        else if (l === 2) {
          const u = v < 0 ? (1 << 13) + v : v;
          b[p] = 0xc0 | (u >> 8);
          b[p + 1] = u & 0xff;
        } else if (l === 3) {
          b[p] = 0xf1;
          b.writeInt16LE(v, p + 1);
        } else if (l === 4) {
          b[p] = 0xf2;
          b.writeIntLE(v, p + 1, 3);
        } else {
          b[p] = 0xf3;
          b.writeInt32LE(v, p + 1);
        }
      }
    } else if (n < 64) {
      b[p] = 0x80 | n;
      b.write(s, p + 1, 'latin1');
    } else if (n < 4096) {
      b[p] = 0xe0 | (n >> 8);
      b[p + 1] = n & 0xff;
      b.write(s, p + 2, 'latin1');
    } else {
      b[p] = 0xf0;
      b.writeUInt32LE(n, p + 1);
      b.write(s, p + 5, 'latin1');
    }
    p += l;
    // back-length: the most significant 7-bit group first, the others flagged with the high bit
    const bl = backlenSize(l);
    if (bl === 1) b[p] = l;
    else {
      let shift = 7 * (bl - 1);
      b[p] = Math.floor(l / 2 ** shift) & 127;
      for (let k = 1; k < bl; k++) {
        shift -= 7;
        b[p + k] = (Math.floor(l / 2 ** shift) & 127) | 128;
      }
    }
    p += bl;
  }
  b[p] = 0xff;
  return b;
}

/** The elements of a listpack, integers as their decimal text. */
export function readListpack(b: Buffer): string[] {
  if (b.length < 7) throw new RdbError('listpack too short');
  const total = b.readUInt32LE(0);
  if (total !== b.length) throw new RdbError('listpack size mismatch');
  const count = b.readUInt16LE(4);
  const out: string[] = [];
  let p = 6;
  const end = b.length - 1;
  while (p < end) {
    const c = b[p]!;
    let l: number;
    if (c < 0x80) {
      out.push(String(c));
      l = 1;
    } else if (c < 0xc0) {
      const n = c & 0x3f;
      l = 1 + n;
      if (p + l > end) throw new RdbError('listpack entry out of bounds');
      out.push(b.latin1Slice(p + 1, p + l));
    } else if (c < 0xe0) {
      if (p + 2 > end) throw new RdbError('listpack entry out of bounds');
      let u = ((c & 0x1f) << 8) | b[p + 1]!;
      if (u >= 1 << 12) u -= 1 << 13;
      out.push(String(u));
      l = 2;
    } else if (c < 0xf0) {
      if (p + 2 > end) throw new RdbError('listpack entry out of bounds');
      const n = ((c & 0x0f) << 8) | b[p + 1]!;
      l = 2 + n;
      if (p + l > end) throw new RdbError('listpack entry out of bounds');
      out.push(b.latin1Slice(p + 2, p + l));
    } else {
      const need = c === 0xf0 ? 5 : c === 0xf1 ? 3 : c === 0xf2 ? 4 : c === 0xf3 ? 5 : c === 0xf4 ? 9 : -1;
      if (need < 0) throw new RdbError('bad listpack encoding');
      if (p + need > end) throw new RdbError('listpack entry out of bounds');
      if (c === 0xf0) {
        const n = b.readUInt32LE(p + 1);
        l = 5 + n;
        if (p + l > end) throw new RdbError('listpack entry out of bounds');
        out.push(b.latin1Slice(p + 5, p + l));
      } else {
        l = need;
        if (c === 0xf1) out.push(String(b.readInt16LE(p + 1)));
        else if (c === 0xf2) out.push(String(b.readIntLE(p + 1, 3)));
        else if (c === 0xf3) out.push(String(b.readInt32LE(p + 1)));
        else out.push(b.readBigInt64LE(p + 1).toString());
      }
    }
    p += l + backlenSize(l);
  }
  if (p !== end || b[end] !== 0xff) throw new RdbError('listpack not terminated');
  if (count !== 65535 && count !== out.length) throw new RdbError('listpack count mismatch');
  return out;
}

// ---------------------------------------------------------------------------------------------
// ziplist (RDB files of Redis < 7)

export function readZiplist(b: Buffer): string[] {
  if (b.length < 11) throw new RdbError('ziplist too short');
  if (b.readUInt32LE(0) !== b.length) throw new RdbError('ziplist size mismatch');
  const out: string[] = [];
  let p = 10;
  const end = b.length - 1;
  const check = (n: number): void => {
    if (p + n > end) throw new RdbError('ziplist entry out of bounds');
  };
  while (p < end) {
    check(1);
    p += b[p] === 0xfe ? 5 : 1;
    check(1);
    const c = b[p]!;
    const kind = c >> 6;
    if (kind === 0) {
      const n = c & 0x3f;
      check(1 + n);
      out.push(b.latin1Slice(p + 1, p + 1 + n));
      p += 1 + n;
    } else if (kind === 1) {
      check(2);
      const n = ((c & 0x3f) << 8) | b[p + 1]!;
      check(2 + n);
      out.push(b.latin1Slice(p + 2, p + 2 + n));
      p += 2 + n;
    } else if (kind === 2) {
      check(5);
      const n = b.readUInt32BE(p + 1);
      check(5 + n);
      out.push(b.latin1Slice(p + 5, p + 5 + n));
      p += 5 + n;
    } else if (c === 0xc0) {
      check(3);
      out.push(String(b.readInt16LE(p + 1)));
      p += 3;
    } else if (c === 0xd0) {
      check(5);
      out.push(String(b.readInt32LE(p + 1)));
      p += 5;
    } else if (c === 0xe0) {
      check(9);
      out.push(b.readBigInt64LE(p + 1).toString());
      p += 9;
    } else if (c === 0xf0) {
      check(4);
      out.push(String(b.readIntLE(p + 1, 3)));
      p += 4;
    } else if (c === 0xfe) {
      check(2);
      out.push(String(b.readInt8(p + 1)));
      p += 2;
    } else if (c >= 0xf1 && c <= 0xfd) {
      out.push(String((c & 0x0f) - 1));
      p += 1;
    } else throw new RdbError('bad ziplist encoding');
  }
  if (b[end] !== 0xff || p !== end) throw new RdbError('ziplist not terminated');
  return out;
}

/** The field/value pairs of a zipmap (HASH_ZIPMAP, Redis < 2.6). */
export function readZipmap(b: Buffer): string[] {
  const out: string[] = [];
  let p = 1;
  const lenAt = (): number => {
    if (p >= b.length) throw new RdbError('zipmap out of bounds');
    const c = b[p]!;
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      if (p + 5 > b.length) throw new RdbError('zipmap out of bounds');
      const n = b.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    return -1;
  };
  for (;;) {
    const flen = lenAt();
    if (flen < 0) break;
    if (p + flen > b.length) throw new RdbError('zipmap out of bounds');
    out.push(b.latin1Slice(p, p + flen));
    p += flen;
    const vlen = lenAt();
    if (vlen < 0 || p + 1 + vlen > b.length) throw new RdbError('zipmap out of bounds');
    const free = b[p]!;
    p += 1;
    out.push(b.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// intset

export function readIntset(b: Buffer): string[] {
  if (b.length < 8) throw new RdbError('intset too short');
  const width = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + n * width !== b.length) throw new RdbError('bad intset');
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const p = 8 + i * width;
    out[i] = width === 2 ? String(b.readInt16LE(p)) : width === 4 ? String(b.readInt32LE(p)) : b.readBigInt64LE(p).toString();
  }
  return out;
}

/** An intset of sorted canonical integer texts, in the narrowest width that holds them all. */
export function writeIntset(sorted: readonly string[]): Buffer {
  let width = 2;
  for (const s of sorted) {
    if (s.length > 11) {
      width = 8;
      break;
    }
    const v = Number(s);
    if (v < -2147483648 || v > 2147483647) {
      width = 8;
      break;
    }
    if (v < -32768 || v > 32767) width = 4;
  }
  const b = Buffer.allocUnsafe(8 + sorted.length * width);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(sorted.length, 4);
  for (let i = 0; i < sorted.length; i++) {
    const p = 8 + i * width;
    const s = sorted[i]!;
    if (width === 2) b.writeInt16LE(Number(s), p);
    else if (width === 4) b.writeInt32LE(Number(s), p);
    else b.writeBigInt64LE(BigInt(s), p);
  }
  return b;
}
