/*
 * Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (BITFIELD is in
 * bitmap-field.ts). Bit 0 is the most significant bit of byte 0, as in Redis.
 *
 * Bitmaps are ordinary string values (latin1 strings, one char per byte), so GET returns the same
 * bytes Redis would. V8 strings are immutable, so SETBIT on a small bitmap builds a new string
 * (slices and a concatenation); from BIG bytes on, SETBIT/GETBIT/BITFIELD go through a rope kept
 * beside the value (bitmap-rope.ts) so that an edit never allocates a large string. Reads never
 * copy for small work; BITCOUNT over long ranges and BITOP copy into an aligned buffer once and
 * work four bytes at a time.
 *
 * Argument and lookup order follows Redis 7.0 exactly, since it decides which error wins: SETBIT
 * checks offset, then bit, then type; BITCOUNT and BITPOS look the key up before parsing the range
 * (a missing key answers 0 / -1 whatever the range says); BITOP checks every source's type before
 * writing. Offsets are limited to proto-max-bulk-len bytes, and (a V8 limit) to its longest string.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { BIG, cachedRope, ropeByte, ropeFor, ropeGrow, ropeSetByte } from './bitmap-rope';
import { ERR_TOO_BIG, MAX_JS_STRING, addKey, markRaw, setKey, signal, str, toValue, writeSlot } from './string-common';

export const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';

/**
 * Parses a bit offset as Redis does (`#N` means N * bits when hashBits > 0). Returns the offset, or
 * -1 after replying with the error. Offsets a string cannot reach (beyond V8's limit but within
 * proto-max-bulk-len) come back as a huge safe number: reads see zeros there, writes refuse.
 */
export function bitOffset(c: Client, s: ServerState, arg: string, hashBits: number): number {
  const hash = hashBits > 0 && arg.charCodeAt(0) === 35;
  let v = parseInt64(hash ? arg.slice(1) : arg);
  if (v === null) {
    c.error(ERR_BIT_OFFSET);
    return -1;
  }
  if (hash) {
    // int64 arithmetic, wrapping as the C multiplication does
    const m = BigInt.asIntN(64, BigInt(v) * BigInt(hashBits));
    v = m >= BigInt(Number.MIN_SAFE_INTEGER) && m <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(m) : m;
  }
  const limit = s.config.number('proto-max-bulk-len');
  if (typeof v === 'bigint') {
    if (v < 0n || v >> 3n >= BigInt(limit)) {
      c.error(ERR_BIT_OFFSET);
      return -1;
    }
    return Number.MAX_SAFE_INTEGER;
  }
  if (v < 0 || Math.floor(v / 8) >= limit) {
    c.error(ERR_BIT_OFFSET);
    return -1;
  }
  return v;
}

/** True when a string may grow to `bytes` bytes; otherwise replies with Redis's size error. */
export function canGrowTo(c: Client, bytes: number): boolean {
  if (bytes > MAX_JS_STRING) {
    c.error(ERR_TOO_BIG);
    return false;
  }
  return true;
}

// ---- popcount and bulk byte access ----

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const POP8 = new Uint8Array(256);
for (let i = 0; i < 256; i++) POP8[i] = popcount32(i);

/** The bytes of s[start, end) in a fresh buffer whose length is a multiple of 4 (zero padded). */
function aligned(s: string, start: number, end: number, size = end - start): Uint8Array {
  const u8 = new Uint8Array((size + 3) & ~3);
  Buffer.from(u8.buffer, 0, u8.length).write(start === 0 && end === s.length ? s : s.slice(start, end), 'latin1');
  return u8;
}

/** Set bits in bytes [start, end] (inclusive) of s. */
function countBytes(s: string, start: number, end: number): number {
  let n = 0;
  if (end - start < 64) {
    for (let i = start; i <= end; i++) n += POP8[s.charCodeAt(i)]!;
    return n;
  }
  const u8 = aligned(s, start, end + 1);
  const words = new Uint32Array(u8.buffer);
  for (let i = 0; i < words.length; i++) n += popcount32(words[i]!);
  return n;
}

// ---- SETBIT / GETBIT ----

function setbitCommand(c: Client, argv: string[], s: ServerState): void {
  const offset = bitOffset(c, s, argv[2]!, 0);
  if (offset === -1) return;
  const bitArg = argv[3]!;
  if (bitArg !== '0' && bitArg !== '1') {
    c.error(ERR_BIT_VALUE);
    return;
  }
  const on = bitArg === '1';
  const key = argv[1]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  let old = '';
  if (slot !== -1) {
    const v = db.values[slot]!;
    if (typeof v === 'object') {
      c.error(ERR_WRONGTYPE);
      return;
    }
    old = str(v);
  }
  const byte = Math.floor(offset / 8);
  if (!canGrowTo(c, byte + 1)) return;
  const mask = 0x80 >>> offset % 8;
  const len = old.length;
  let prev = 0;
  let next: string;
  if (byte >= BIG || len >= BIG) {
    // big bitmaps are edited through a rope (see bitmap-rope.ts): no large copy per command
    const r = ropeFor(db, key, old);
    ropeGrow(r, byte + 1);
    const b = ropeByte(r, byte);
    prev = b & mask ? 1 : 0;
    ropeSetByte(r, byte, on ? b | mask : b & ~mask);
    next = r.value;
  } else if (byte >= len) {
    next = old + (byte > len ? '\0'.repeat(byte - len) : '') + String.fromCharCode(on ? mask : 0);
  } else {
    const b = old.charCodeAt(byte);
    prev = b & mask ? 1 : 0;
    const nb = on ? b | mask : b & ~mask;
    next = nb === b ? old : old.slice(0, byte) + String.fromCharCode(nb) + old.slice(byte + 1);
  }
  if (slot === -1) addKey(s, db, key, toValue(next));
  else db.update(slot, toValue(next));
  markRaw(db, key, next.length);
  // nothing is signalled when neither the length nor the bit changed (Redis 7.0)
  if (slot === -1 || byte >= len || prev !== (on ? 1 : 0)) signal(s, db, key, '$', 'setbit');
  c.int(prev);
}

function getbitCommand(c: Client, argv: string[], s: ServerState): void {
  const offset = bitOffset(c, s, argv[2]!, 0);
  if (offset === -1) return;
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) {
    c.int(0);
    return;
  }
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const text = str(v);
  const byte = Math.floor(offset / 8);
  if (byte >= text.length) {
    c.int(0);
    return;
  }
  // a bitmap being edited through a rope is read there, so the value is not flattened per probe
  const r = text.length >= BIG ? cachedRope(c.db, argv[1]!, text) : undefined;
  const b = r !== undefined ? ropeByte(r, byte) : text.charCodeAt(byte);
  c.int(b & (0x80 >>> offset % 8) ? 1 : 0);
}

// ---- ranges shared by BITCOUNT and BITPOS ----

/** An int64 argument as a number (beyond the safe range clamped, which changes no outcome). */
function clampInt(v: number | bigint): number {
  if (typeof v === 'number') return v;
  return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
}

/** Resolves start/end (inclusive) against a total length with Redis's negative-index rules. */
function resolveRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

function bitcountCommand(c: Client, argv: string[], s: ServerState): void {
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) {
    c.int(0);
    return;
  }
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const text = str(v);
  const argc = argv.length;
  if (argc === 2) {
    c.int(text.length === 0 ? 0 : countBytes(text, 0, text.length - 1));
    return;
  }
  if (argc !== 4 && argc !== 5) {
    c.error(ERR_SYNTAX);
    return;
  }
  const rs = parseInt64(argv[2]!);
  const re = rs === null ? null : parseInt64(argv[3]!);
  if (rs === null || re === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (rs < 0 && re < 0 && rs > re) {
    c.int(0);
    return;
  }
  let isBit = false;
  if (argc === 5) {
    if (is(argv[4]!, 'bit')) isBit = true;
    else if (!is(argv[4]!, 'byte')) {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const total = isBit ? text.length * 8 : text.length;
  const [start, end] = resolveRange(clampInt(rs), clampInt(re), total);
  if (start > end) {
    c.int(0);
    return;
  }
  if (!isBit) {
    c.int(countBytes(text, start, end));
    return;
  }
  const sb = Math.floor(start / 8);
  const eb = Math.floor(end / 8);
  let n = countBytes(text, sb, eb);
  // drop the bits of the edge bytes outside the range
  n -= POP8[text.charCodeAt(sb) & ~((1 << (8 - (start % 8))) - 1) & 0xff]!;
  n -= POP8[text.charCodeAt(eb) & ((1 << (7 - (end % 8))) - 1)]!;
  c.int(n);
}

/** The first bit equal to `bit` in bits [from, to] (inclusive) of text, or -1. */
function findBit(text: string, bit: number, from: number, to: number): number {
  const skip = bit ? 0 : 0xff;
  let i = from;
  // the partial first byte
  while (i <= to && i % 8 !== 0) {
    if (((text.charCodeAt(i >>> 3) >>> (7 - (i % 8))) & 1) === bit) return i;
    i++;
  }
  // whole bytes
  let byte = i / 8;
  const lastWhole = Math.floor((to + 1) / 8);
  while (byte < lastWhole && text.charCodeAt(byte) === skip) byte++;
  i = byte * 8;
  for (; i <= to; i++) {
    if (((text.charCodeAt(Math.floor(i / 8)) >>> (7 - (i % 8))) & 1) === bit) return i;
  }
  return -1;
}

function bitposCommand(c: Client, argv: string[], s: ServerState): void {
  const bitArg = parseInt64(argv[2]!);
  if (bitArg === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  if (bitArg !== 0 && bitArg !== 1) {
    c.error('ERR The bit argument must be 1 or 0.');
    return;
  }
  const bit = bitArg;
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) {
    c.int(bit ? -1 : 0);
    return;
  }
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const text = str(v);
  const argc = argv.length;
  let isBit = false;
  let endGiven = false;
  let start = 0;
  let end = text.length - 1;
  if (argc >= 4 && argc <= 6) {
    const rs = parseInt64(argv[3]!);
    if (rs === null) {
      c.error(ERR_NOT_INT);
      return;
    }
    if (argc === 6) {
      if (is(argv[5]!, 'bit')) isBit = true;
      else if (!is(argv[5]!, 'byte')) {
        c.error(ERR_SYNTAX);
        return;
      }
    }
    let re: number | bigint = isBit ? text.length * 8 + 7 : text.length - 1;
    if (argc >= 5) {
      const e = parseInt64(argv[4]!);
      if (e === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      re = e;
      endGiven = true;
    }
    [start, end] = resolveRange(clampInt(rs), clampInt(re), isBit ? text.length * 8 : text.length);
  } else if (argc !== 3) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (start > end) {
    c.int(-1);
    return;
  }
  const from = isBit ? start : start * 8;
  const to = isBit ? end : end * 8 + 7;
  const pos = findBit(text, bit, from, to);
  if (pos !== -1) c.int(pos);
  // no clear bit in range: without an explicit end the string continues with zeros
  else if (bit === 0 && !endGiven) c.int(to + 1);
  else c.int(-1);
}

// ---- BITOP ----

function bitopCommand(c: Client, argv: string[], s: ServerState): void {
  const op = argv[1]!.toLowerCase();
  if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'not') {
    c.error(ERR_SYNTAX);
    return;
  }
  if (op === 'not' && argv.length !== 4) {
    c.error('ERR BITOP NOT must be called with a single source key.');
    return;
  }
  const srcs: string[] = [];
  let maxlen = 0;
  let minlen = Infinity;
  for (let j = 3; j < argv.length; j++) {
    const v = s.readKey(c, argv[j]!);
    if (v === undefined) {
      srcs.push('');
      minlen = 0;
      continue;
    }
    if (typeof v === 'object') {
      c.error(ERR_WRONGTYPE);
      return;
    }
    const t = str(v);
    srcs.push(t);
    if (t.length > maxlen) maxlen = t.length;
    if (t.length < minlen) minlen = t.length;
  }
  const dest = argv[2]!;
  const db = c.db;
  if (maxlen === 0) {
    if (db.delete(dest)) signal(s, db, dest, 'g', 'del');
    c.int(0);
    return;
  }
  const res = aligned(srcs[0]!, 0, srcs[0]!.length, maxlen);
  const out = new Uint32Array(res.buffer);
  const words = out.length;
  if (op === 'not') {
    for (let i = 0; i < words; i++) out[i] = ~out[i]!;
  } else {
    for (let j = 1; j < srcs.length; j++) {
      const src = new Uint32Array(aligned(srcs[j]!, 0, srcs[j]!.length, maxlen).buffer);
      if (op === 'and') for (let i = 0; i < words; i++) out[i]! &= src[i]!;
      else if (op === 'or') for (let i = 0; i < words; i++) out[i]! |= src[i]!;
      else for (let i = 0; i < words; i++) out[i]! ^= src[i]!;
    }
  }
  const value = Buffer.from(res.buffer, 0, maxlen).toString('latin1');
  setKey(s, db, dest, writeSlot(db, dest), toValue(value), false);
  // the result is a freshly built raw string, whatever its length
  markRaw(db, dest, value.length);
  signal(s, db, dest, '$', 'set');
  c.int(maxlen);
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'bitmap', complexity });

register([
  {
    name: 'setbit',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Sets or clears the bit at offset in the string value stored at key', '2.2.0', 'O(1)'),
    handler: setbitCommand,
  },
  {
    name: 'getbit',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Returns the bit value at offset in the string value stored at key', '2.2.0', 'O(1)'),
    handler: getbitCommand,
  },
  {
    name: 'bitcount',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Count set bits in a string', '2.6.0', 'O(N)'),
    handler: bitcountCommand,
  },
  {
    name: 'bitpos',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Find first bit set or clear in a string', '2.8.7', 'O(N)'),
    handler: bitposCommand,
  },
  {
    name: 'bitop',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [2, -1, 1],
    categories: ['@bitmap'],
    docs: docs('Perform bitwise operations between strings', '2.6.0', 'O(N)'),
    handler: bitopCommand,
  },
]);
