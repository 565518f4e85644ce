/*
 * Request parser: turns the bytes a client sends into commands (arrays of latin1 strings).
 *
 * Why not redis-parser here: it parses *replies* (any RESP type at top level), so it cannot tell an
 * inline command from a multibulk one, accepts nested arrays and integers inside a request, and does
 * not enforce Redis's request limits or produce its protocol error strings. Requests are a small
 * grammar; parsing them here lets every argument become a latin1 string straight from the socket
 * chunk (one allocation per argument, binary safe: one char per byte).
 *
 * Like Redis's processMultibulkBuffer, the parser keeps the state of a half-received command across
 * chunks (arguments already parsed, the count still missing), so a slow sender never makes us re-parse.
 * A bulk argument larger than BIG_ARG is received straight into a buffer of its final size instead of
 * being concatenated chunk by chunk.
 */

import { latin1 } from './latin1';

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** client-query-buffer-limit */
  maxQueryBuffer: number;
  /** when true, the unauthenticated limits apply (multibulk <= 10 args, bulk <= 16384 bytes) */
  unauthenticated: boolean;
}

/** The largest line Redis reads without finding its end (PROTO_INLINE_MAX_SIZE). */
const INLINE_MAX = 64 * 1024;
const BIG_ARG = 32 * 1024;
const INT_MAX = 2147483647;
const EMPTY = Buffer.alloc(0);

/** Returned instead of a protocol error when the query buffer passes its limit: Redis closes silently. */
export const QUERY_BUFFER_LIMIT = 'query buffer limit';

export type ParseResult =
  /** more bytes are needed (everything complete has been handed to onCommand) */
  | null
  /** a protocol error: reply with it, then close the connection */
  | string;

export class RequestParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** arguments of the multibulk command being received, or null between commands */
  private args: string[] | null = null;
  private remaining = 0;
  /** for a big bulk argument: its buffer and how much of it is filled */
  private big: Buffer | null = null;
  private bigFilled = 0;
  /** set when the last command came inline (replicas treat an empty inline line as a ping) */
  inline = false;

  constructor(readonly limits: ParserLimits) {}

  /** Bytes received but not yet consumed (the query buffer). */
  get pending(): number {
    return this.buf.length - this.pos + (this.big ? this.bigFilled : 0);
  }

  /**
   * Feeds a chunk; calls onCommand for every complete command in order. onCommand returns false to
   * stop parsing (the client is being closed, or must wait); the rest stays buffered.
   */
  feed(chunk: Buffer, onCommand: (argv: string[]) => boolean): ParseResult {
    if (this.big !== null) {
      chunk = this.fillBig(chunk);
      if (this.big !== null) return this.bigFilled > this.limits.maxQueryBuffer ? QUERY_BUFFER_LIMIT : null;
    }
    if (this.pos < this.buf.length) {
      this.buf = this.pos === 0 ? Buffer.concat([this.buf, chunk]) : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    return this.resume(onCommand);
  }

  /**
   * Copies the unconsumed bytes when they are a view of `memory`, a read buffer the caller is about
   * to reuse (socket-read.ts): a partial command must outlive the read that brought it.
   */
  ownPending(memory: ArrayBufferLike): void {
    if (this.pos < this.buf.length && this.buf.buffer === memory) {
      this.buf = Buffer.from(this.buf.subarray(this.pos));
      this.pos = 0;
    }
  }

  /**
   * While true (the client is blocked or paused), input is only buffered: a later chunk must not run
   * commands before the one the client waits in. resume() parses it once this is cleared.
   */
  held = false;

  /** Continues parsing what is buffered (after a pause). */
  resume(onCommand: (argv: string[]) => boolean): ParseResult {
    if (this.held) return this.buf.length - this.pos > this.limits.maxQueryBuffer ? QUERY_BUFFER_LIMIT : null;
    const buf = this.buf;
    const len = buf.length;
    while (this.pos < len || (this.args !== null && this.remaining === 0)) {
      if (this.args === null) {
        if (buf[this.pos] !== 42 /* '*' */) {
          const r = this.parseInline(onCommand);
          if (r === 0) continue;
          if (r === 1) break;
          if (r === 2) return null;
          return r;
        }
        // multibulk header
        const nl = findCR(buf, this.pos, len);
        if (nl === -1 || nl + 1 >= len) {
          if (len - this.pos > INLINE_MAX) return 'Protocol error: too big mbulk count string';
          break;
        }
        if (buf[nl + 1] !== 10) return 'Protocol error: invalid multibulk length';
        const n = parseLength(buf, this.pos + 1, nl);
        if (n === null || n > INT_MAX) return 'Protocol error: invalid multibulk length';
        if (n > 10 && this.limits.unauthenticated) return 'Protocol error: unauthenticated multibulk length';
        this.pos = nl + 2;
        if (n <= 0) continue;
        this.args = [];
        this.remaining = n;
        this.inline = false;
        continue;
      }
      if (this.remaining === 0) {
        const argv = this.args;
        this.args = null;
        if (!onCommand(argv)) break;
        continue;
      }
      // bulk header
      if (buf[this.pos] !== 36 /* '$' */) {
        return `Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos]!)}'`;
      }
      const nl = findCR(buf, this.pos, len);
      if (nl === -1 || nl + 1 >= len) {
        if (len - this.pos > INLINE_MAX) return 'Protocol error: too big bulk count string';
        break;
      }
      if (buf[nl + 1] !== 10) return 'Protocol error: invalid bulk length';
      const n = parseLength(buf, this.pos + 1, nl);
      if (n === null || n < 0 || n > this.limits.maxBulkLen) return 'Protocol error: invalid bulk length';
      if (n > 16384 && this.limits.unauthenticated) return 'Protocol error: unauthenticated bulk length';
      const start = nl + 2;
      if (start + n + 2 <= len) {
        this.args.push(latin1(buf, start, n));
        this.pos = start + n + 2;
        this.remaining--;
        continue;
      }
      if (n >= BIG_ARG) {
        // receive the rest straight into a buffer of the final size
        this.big = Buffer.allocUnsafe(n + 2);
        this.bigFilled = buf.copy(this.big, 0, start, len);
        this.buf = EMPTY;
        this.pos = 0;
        return this.bigFilled > this.limits.maxQueryBuffer ? QUERY_BUFFER_LIMIT : null;
      }
      break;
    }
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    } else if (this.buf.length - this.pos > this.limits.maxQueryBuffer) {
      return QUERY_BUFFER_LIMIT;
    }
    return null;
  }

  private fillBig(chunk: Buffer): Buffer {
    const big = this.big!;
    const want = big.length - this.bigFilled;
    const take = Math.min(want, chunk.length);
    chunk.copy(big, this.bigFilled, 0, take);
    this.bigFilled += take;
    if (this.bigFilled < big.length) return EMPTY;
    // the CRLF after the bulk is not checked, as Redis does not check it either
    this.args!.push(big.latin1Slice(0, big.length - 2));
    this.remaining--;
    this.big = null;
    this.bigFilled = 0;
    return chunk.subarray(take);
  }

  /** 0: parsed a line (maybe empty), 1: need more data, 2: paused by onCommand, string: error */
  private parseInline(onCommand: (argv: string[]) => boolean): 0 | 1 | 2 | string {
    const buf = this.buf;
    const nl = buf.indexOf(10, this.pos);
    if (nl === -1) {
      if (buf.length - this.pos > INLINE_MAX) return 'Protocol error: too big inline request';
      return 1;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === 13) end--;
    const argv = splitInlineArgs(buf, this.pos, end);
    this.pos = nl + 1;
    if (argv === null) return 'Protocol error: unbalanced quotes in request';
    this.inline = true;
    if (argv.length === 0) return 0;
    return onCommand(argv) ? 0 : 2;
  }
}

/**
 * The index of the next CR from `from`, or -1. Headers ('*3', '$5') are a few bytes: a loop here
 * finds their end faster than Buffer#indexOf's call into C++, which takes over past a short prefix.
 */
function findCR(buf: Buffer, from: number, len: number): number {
  const stop = Math.min(len, from + 24);
  for (let i = from; i < stop; i++) if (buf[i] === 13) return i;
  return stop === len ? -1 : buf.indexOf(13, stop);
}

/** Parses the decimal between start and end as Redis's string2ll would; null when it is not one. */
function parseLength(buf: Buffer, start: number, end: number): number | null {
  if (start >= end) return null;
  let neg = false;
  let i = start;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  // string2ll: no leading zeros, and no "-0"
  if (buf[i] === 48 && (neg || end - i > 1)) return null;
  if (end - i > 18) return null;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexVal(c: number): number {
  if (c <= 57) return c - 48;
  if (c >= 97) return c - 87;
  return c - 55;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}

/**
 * Splits an inline command line into arguments the way Redis's sdssplitargs does: spaces separate,
 * "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \' only, and a
 * closing quote must be followed by a space or the end. Returns null on unbalanced quotes.
 */
export function splitInlineArgs(buf: Buffer, start: number, end: number): string[] | null {
  const out: string[] = [];
  let p = start;
  while (true) {
    while (p < end && isSpace(buf[p]!)) p++;
    if (p >= end) return out;
    // the usual argument has no quotes: take it straight from the buffer
    let q = p;
    while (q < end && !isSpace(buf[q]!) && buf[q] !== 34 && buf[q] !== 39) q++;
    if (q >= end || isSpace(buf[q]!)) {
      out.push(latin1(buf, p, q - p));
      p = q < end ? q + 1 : q;
      continue;
    }
    // a quote (opening the argument or inside it): byte by byte from the argument's start
    let inq = false;
    let insq = false;
    let done = false;
    const bytes: number[] = [];
    while (!done) {
      if (inq) {
        if (p >= end) return null;
        const c = buf[p]!;
        if (c === 92 && p + 3 < end && buf[p + 1] === 120 && isHex(buf[p + 2]!) && isHex(buf[p + 3]!)) {
          bytes.push(hexVal(buf[p + 2]!) * 16 + hexVal(buf[p + 3]!));
          p += 3;
        } else if (c === 92 && p + 1 < end) {
          p++;
          const e = buf[p]!;
          bytes.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else if (insq) {
        if (p >= end) return null;
        const c = buf[p]!;
        if (c === 92 && p + 1 < end && buf[p + 1] === 39) {
          p++;
          bytes.push(39);
        } else if (c === 39) {
          if (p + 1 < end && !isSpace(buf[p + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else {
        if (p >= end) {
          done = true;
          break;
        }
        const c = buf[p]!;
        if (isSpace(c)) {
          done = true;
        } else if (c === 34) {
          inq = true;
        } else if (c === 39) {
          insq = true;
        } else {
          bytes.push(c);
        }
      }
      if (p < end) p++;
    }
    out.push(Buffer.from(bytes).latin1Slice(0, bytes.length));
  }
}
