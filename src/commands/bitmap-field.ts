/*
 * BITFIELD and BITFIELD_RO: signed (i1..i64) and unsigned (u1..u63) integers at any bit offset of a
 * string (most significant bit first), with GET, SET, INCRBY and OVERFLOW WRAP|SAT|FAIL.
 *
 * As in Redis, every operation is parsed before anything runs (so a bad argument anywhere fails the
 * whole command with no effect), a command with only GETs is a read (keyspace hit/miss, no
 * creation), and a command with a write creates or grows the string up to its farthest write first:
 * even when every write then fails under OVERFLOW FAIL, the key exists, zero padded, but nothing is
 * signalled. Changes are counted per operation that wrote a different value (or any write when the
 * string was created or grown), and that count is what the dirty counter gains.
 *
 * Field arithmetic is done in BigInt: fields reach 64 bits and increments are int64. Overflow is
 * decided as Redis's C code decides it, int64 wrap-arounds included (see signedOverflow). Each operation
 * copies the at most 9 bytes it touches into a small window; a write command works on one byte
 * buffer holding the whole string and turns it back into a string once, or, for big strings, edits
 * the bytes through a rope (bitmap-rope.ts) so no large string is allocated per command.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { keyUsage } from '../memory';
import type { ServerState } from '../state';
import { bitOffset, canGrowTo } from './bitmap';
import { BIG, cachedRope, ropeByte, ropeFor, ropeGrow, ropeSetByte, type Rope } from './bitmap-rope';
import { addKey, markRaw, str, toValue, writeSlot } from './string-common';

const ERR_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

const GET = 0;
const SET = 1;
const INCRBY = 2;
const WRAP = 0;
const SAT = 1;
const FAIL = 2;

interface FieldOp {
  opcode: number;
  offset: number;
  bits: number;
  signed: boolean;
  value: bigint;
  overflow: number;
}

/** the bytes an operation touches (a 64-bit field at bit 7 spans 9) */
const win = new Uint8Array(9);

function winRead(nbytes: number): bigint {
  let v = 0n;
  for (let k = 0; k < nbytes; k++) v = (v << 8n) | BigInt(win[k]!);
  return v;
}

/** The unsigned field of `bits` bits at bit `bo` (0..7) of the window. */
function winGet(bo: number, bits: number): bigint {
  const nbytes = (bo + bits + 7) >>> 3;
  return BigInt.asUintN(bits, winRead(nbytes) >> BigInt(nbytes * 8 - bo - bits));
}

function winSet(bo: number, bits: number, u: bigint): void {
  const nbytes = (bo + bits + 7) >>> 3;
  const shift = BigInt(nbytes * 8 - bo - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  let v = (winRead(nbytes) & ~mask) | (u << shift);
  for (let k = nbytes - 1; k >= 0; k--) {
    win[k] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function maxOf(signed: boolean, bits: number): bigint {
  return signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
}

/**
 * Whether value + incr overflows a signed field: 1 above, -1 below, 0 not. This follows Redis's
 * int64 arithmetic rather than exact math, because they differ: "max - value" wraps for values
 * near INT64_MIN, so SET i16 of -9223372036854775808 counts as overflowing upwards (SAT gives the
 * maximum) and it is observable.
 */
function signedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = maxOf(true, bits);
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) return 1;
  if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) return -1;
  return 0;
}

/** The same for an unsigned field (value is a uint64; here int64 wrapping changes nothing). */
function unsignedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = maxOf(false, bits);
  if (value > max || (incr > 0n && incr > max - value)) return 1;
  if (incr < 0n && incr < -value) return -1;
  return 0;
}

function loadFromString(text: string, byte: number): void {
  for (let k = 0; k < 9; k++) win[k] = byte + k < text.length ? text.charCodeAt(byte + k) : 0;
}

function loadFromBuffer(buf: Uint8Array, byte: number): void {
  for (let k = 0; k < 9; k++) win[k] = byte + k < buf.length ? buf[byte + k]! : 0;
}

function loadFromRope(r: Rope, byte: number): void {
  for (let k = 0; k < 9; k++) win[k] = ropeByte(r, byte + k);
}

function storeToRope(r: Rope, byte: number, bits: number, bo: number): void {
  const nbytes = (bo + bits + 7) >>> 3;
  for (let k = 0; k < nbytes; k++) ropeSetByte(r, byte + k, win[k]!);
}

function storeToBuffer(buf: Uint8Array, byte: number, bits: number, bo: number): void {
  const nbytes = (bo + bits + 7) >>> 3;
  for (let k = 0; k < nbytes; k++) buf[byte + k] = win[k]!;
}

/** Parses a field type (i1..i64, u1..u63): [signed, bits], or null. Only lowercase i/u, as Redis. */
function parseType(arg: string): [boolean, number] | null {
  const t = arg.charCodeAt(0);
  if (t !== 105 && t !== 117) return null;
  // Redis reads the width as a C string: it ends at a NUL byte
  const nul = arg.indexOf('\0');
  const n = parseInt64(arg.slice(1, nul === -1 ? arg.length : nul));
  const signed = t === 105;
  if (n === null || typeof n === 'bigint' || n < 1 || n > (signed ? 64 : 63)) return null;
  return [signed, n];
}

/** Parses all operations; null after replying with the error. */
function parseOps(c: Client, argv: string[], s: ServerState): FieldOp[] | null {
  const ops: FieldOp[] = [];
  let overflow = WRAP;
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j]!;
    let opcode: number;
    if (is(sub, 'get') && rem >= 2) opcode = GET;
    else if (is(sub, 'set') && rem >= 3) opcode = SET;
    else if (is(sub, 'incrby') && rem >= 3) opcode = INCRBY;
    else if (is(sub, 'overflow') && rem >= 1) {
      const kind = argv[++j]!;
      if (is(kind, 'wrap')) overflow = WRAP;
      else if (is(kind, 'sat')) overflow = SAT;
      else if (is(kind, 'fail')) overflow = FAIL;
      else {
        c.error('ERR Invalid OVERFLOW type specified');
        return null;
      }
      continue;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
    const type = parseType(argv[j + 1]!);
    if (type === null) {
      c.error(ERR_TYPE);
      return null;
    }
    const offset = bitOffset(c, s, argv[j + 2]!, type[1]);
    if (offset === -1) return null;
    let value = 0n;
    if (opcode !== GET) {
      const v = parseInt64(argv[j + 3]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return null;
      }
      value = BigInt(v);
    }
    ops.push({ opcode, offset, bits: type[1], signed: type[0], value, overflow });
    j += opcode === GET ? 2 : 3;
  }
  return ops;
}

function bitfieldGeneric(c: Client, argv: string[], s: ServerState, readOnlyCommand: boolean): void {
  const ops = parseOps(c, argv, s);
  if (ops === null) return;
  let highest = -1;
  for (const op of ops) {
    if (op.opcode !== GET && op.offset + op.bits - 1 > highest) highest = op.offset + op.bits - 1;
  }
  const key = argv[1]!;
  if (highest === -1) {
    readOnly(c, s, key, ops);
    return;
  }
  if (readOnlyCommand) {
    c.error('ERR BITFIELD_RO only supports the GET subcommand');
    return;
  }
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
  const need = Math.floor(highest / 8) + 1;
  if (!canGrowTo(c, need)) return;
  const grown = slot === -1 || need > old.length;
  // big strings are edited through a rope (bitmap-rope.ts), small ones in one byte buffer
  let rope: Rope | null = null;
  let buf: Uint8Array | null = null;
  if (need >= BIG || old.length >= BIG) {
    rope = ropeFor(db, key, old);
    ropeGrow(rope, need);
  } else {
    buf = new Uint8Array(Math.max(need, old.length));
    Buffer.from(buf.buffer, buf.byteOffset, buf.length).write(old, 'latin1');
  }
  let changes = 0;
  c.array(ops.length);
  for (const op of ops) {
    const byte = Math.floor(op.offset / 8);
    const bo = op.offset % 8;
    if (rope !== null) loadFromRope(rope, byte);
    else loadFromBuffer(buf!, byte);
    const raw = winGet(bo, op.bits);
    if (op.opcode === GET) {
      c.int(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
      continue;
    }
    const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
    // SET is checked as "value + 0"; a negative SET value on an unsigned field is a huge uint64
    const base = op.opcode === INCRBY ? old : op.signed ? op.value : BigInt.asUintN(64, op.value);
    const incr = op.opcode === INCRBY ? op.value : 0n;
    const dir = op.signed ? signedOverflow(base, incr, op.bits) : unsignedOverflow(base, incr, op.bits);
    let want = base + incr;
    if (dir !== 0) {
      if (op.overflow === FAIL) {
        c.nil();
        continue;
      }
      if (op.overflow === SAT) want = dir > 0 ? maxOf(op.signed, op.bits) : op.signed ? -maxOf(true, op.bits) - 1n : 0n;
      else want = op.signed ? BigInt.asIntN(op.bits, want) : BigInt.asUintN(op.bits, want);
    }
    c.int(op.opcode === INCRBY ? want : old);
    winSet(bo, op.bits, BigInt.asUintN(op.bits, want));
    if (rope !== null) storeToRope(rope, byte, op.bits, bo);
    else storeToBuffer(buf!, byte, op.bits, bo);
    if (grown || want !== old) changes++;
  }
  if (!grown && changes === 0) {
    // keep the rope's root in the Db so the cache stays valid by identity
    if (rope !== null) db.update(slot, rope.value);
    markRaw(db, key, old.length);
    return;
  }
  const value = rope !== null ? rope.value : Buffer.from(buf!.buffer, buf!.byteOffset, buf!.length).toString('latin1');
  if (slot === -1) addKey(s, db, key, toValue(value));
  else db.update(slot, toValue(value));
  markRaw(db, key, value.length);
  if (changes !== 0) {
    s.keyModified(db, key);
    s.dirty += changes;
    s.notify('$', 'setbit', key, db.id);
  } else {
    // created or grown, but every write failed: Redis signals nothing; keep the accounting true
    const at = db.map.get(key)!;
    db.account(at, keyUsage(key, db.values[at]!, db.expires.size !== 0 && db.expires.has(key)));
  }
}

function readOnly(c: Client, s: ServerState, key: string, ops: FieldOp[]): void {
  const v = s.readKey(c, key);
  if (v !== undefined && typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const text = v === undefined ? '' : str(v);
  const rope = text.length >= BIG ? cachedRope(c.db, key, text) : undefined;
  c.array(ops.length);
  for (const op of ops) {
    const byte = Math.floor(op.offset / 8);
    if (rope !== undefined) loadFromRope(rope, byte);
    else loadFromString(text, byte);
    const raw = winGet(op.offset % 8, op.bits);
    c.int(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
  }
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'bitmap', complexity });

register([
  {
    name: 'bitfield',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Perform arbitrary bitfield integer operations on strings', '3.2.0', 'O(1) for each subcommand specified'),
    handler(c, argv, s) {
      bitfieldGeneric(c, argv, s, false);
    },
  },
  {
    name: 'bitfield_ro',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@bitmap'],
    docs: docs('Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD', '6.0.0', 'O(1) for each subcommand specified'),
    handler(c, argv, s) {
      bitfieldGeneric(c, argv, s, true);
    },
  },
]);
