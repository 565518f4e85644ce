/*
 * Reply building. A ReplyBuffer accumulates the replies of one batch of commands as a latin1 string
 * (V8 concatenates into ropes cheaply; the socket flattens once per batch) and spills to a list of
 * chunks only for large values, so a batch of pipelined replies leaves in one socket write.
 *
 * The RESP version decides the wire type of maps, sets, doubles, nulls, booleans, verbatim strings
 * and pushes: RESP2 falls back to what Redis 7 sends a RESP2 client for each.
 */

/** Strings longer than this are written as their own chunk instead of joining the rope. */
const SPILL = 64 * 1024;
/** Arrays of bulk strings at least this long are encoded into a buffer (bulkRange). */
const BULK_RANGE_MIN = 64;

/**
 * `$<n>\r\n`, `:<n>\r\n` and `*<n>\r\n` for small n, made once: a reply header is then one
 * concatenation instead of a number-to-string and two.
 */
const SMALL = 1024;
const BULK_HEADS: readonly string[] = Array.from({ length: SMALL }, (_, n) => `$${n}\r\n`);
const INT_LINES: readonly string[] = Array.from({ length: SMALL }, (_, n) => `:${n}\r\n`);
const ARRAY_HEADS: readonly string[] = Array.from({ length: SMALL }, (_, n) => `*${n}\r\n`);

/** The header of a bulk string of n bytes. */
export function bulkHead(n: number): string {
  return n < SMALL ? BULK_HEADS[n]! : '$' + n + '\r\n';
}

export class ReplyBuffer {
  /** the pending latin1 text */
  text = '';
  /** earlier output, in order, when something large forced a spill */
  chunks: (string | Buffer)[] = [];
  /** 2 or 3 */
  resp = 2;
  /** told of every error reply (errorstats count them as Redis does, wherever they are nested) */
  onError: ((msg: string) => void) | null = null;

  get empty(): boolean {
    return this.text.length === 0 && this.chunks.length === 0;
  }

  /** Bytes waiting (an estimate used for output buffer limits). */
  get size(): number {
    let n = this.text.length;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** Takes everything written so far, leaving the buffer empty. */
  take(): (string | Buffer)[] {
    const out = this.chunks;
    if (this.text.length !== 0) out.push(this.text);
    this.chunks = [];
    this.text = '';
    return out;
  }

  /** Everything written so far as one latin1 string, leaving the buffer empty (for readers in-process). */
  takeText(): string {
    const text = this.text;
    this.text = '';
    if (this.chunks.length === 0) return text;
    let all = '';
    for (const c of this.chunks) all += typeof c === 'string' ? c : c.latin1Slice(0, c.length);
    this.chunks = [];
    return all + text;
  }

  /** Drops everything written so far. */
  clear(): void {
    this.text = '';
    if (this.chunks.length !== 0) this.chunks = [];
  }

  /** A position in the output, to drop what is written after it (CLIENT REPLY OFF/SKIP). */
  mark(): number {
    return this.chunks.length * 2 ** 32 + this.text.length;
  }

  truncate(mark: number): void {
    const chunks = Math.floor(mark / 2 ** 32);
    const text = mark % 2 ** 32;
    if (this.chunks.length > chunks) {
      // spilled since the mark: the text at the mark was pushed as chunk number `chunks`
      const head = this.chunks[chunks];
      this.chunks.length = chunks;
      this.text = typeof head === 'string' ? head.slice(0, text) : '';
    } else {
      this.text = this.text.slice(0, text);
    }
  }

  raw(s: string): void {
    this.text += s;
  }

  /** Bytes that go out as they are (held, not copied: they must not change until written). */
  rawBuffer(b: Buffer): void {
    this.spill(b);
    this.text = '';
  }

  simple(s: string): void {
    this.text += '+' + s + '\r\n';
  }

  ok(): void {
    this.text += '+OK\r\n';
  }

  /** msg is the whole error line without the '-', e.g. "ERR syntax error". */
  error(msg: string): void {
    this.text += '-' + msg + '\r\n';
    if (this.onError !== null) this.onError(msg);
  }

  int(n: number | bigint): void {
    this.text += typeof n === 'number' && n >>> 0 === n && n < SMALL ? INT_LINES[n]! : ':' + n + '\r\n';
  }

  bulk(s: string): void {
    if (s.length < SPILL) {
      this.text += bulkHead(s.length) + s + '\r\n';
    } else {
      this.text += bulkHead(s.length);
      this.spill(s);
      this.text = '\r\n';
    }
  }

  bulkBuffer(b: Buffer): void {
    this.text += bulkHead(b.length);
    this.spill(b);
    this.text = '\r\n';
  }

  /** A string value stored as a number (int encoding). */
  bulkNumber(n: number | bigint): void {
    this.bulk(String(n));
  }

  /** The null bulk / null reply: `$-1` in RESP2, `_` in RESP3. */
  nil(): void {
    this.text += this.resp === 2 ? '$-1\r\n' : '_\r\n';
  }

  /** The null array: `*-1` in RESP2, `_` in RESP3. */
  nilArray(): void {
    this.text += this.resp === 2 ? '*-1\r\n' : '_\r\n';
  }

  array(n: number): void {
    this.text += n >= 0 && n < SMALL ? ARRAY_HEADS[n]! : '*' + n + '\r\n';
  }

  /** A map of n pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
  map(n: number): void {
    this.text += this.resp === 2 ? '*' + 2 * n + '\r\n' : '%' + n + '\r\n';
  }

  /** A set: `~n` in RESP3, an array in RESP2. */
  set(n: number): void {
    this.text += this.resp === 2 ? '*' + n + '\r\n' : '~' + n + '\r\n';
  }

  /** An out-of-band push: `>n` in RESP3, an array in RESP2 (pub/sub messages). */
  push(n: number): void {
    this.text += this.resp === 2 ? '*' + n + '\r\n' : '>' + n + '\r\n';
  }

  /** A double as Redis 7.0 sends it: `%.17g`, bulk in RESP2, `,` in RESP3. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 2) this.bulk(s);
    else this.text += ',' + s + '\r\n';
  }

  /** A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
  bool(b: boolean): void {
    if (this.resp === 2) this.text += b ? ':1\r\n' : ':0\r\n';
    else this.text += b ? '#t\r\n' : '#f\r\n';
  }

  /** A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2. */
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 2) this.bulk(s);
    else this.text += '=' + (s.length + 4) + '\r\n' + format + ':' + s + '\r\n';
  }

  /** A big number: `(` in RESP3, a bulk string in RESP2. */
  bigNumber(s: string): void {
    if (this.resp === 2) this.bulk(s);
    else this.text += '(' + s + '\r\n';
  }

  /** An array of bulk strings. */
  bulks(items: readonly string[]): void {
    if (items.length >= BULK_RANGE_MIN) return this.bulkRange(items.length, (i) => items[i]!);
    this.array(items.length);
    for (let i = 0; i < items.length; i++) this.bulk(items[i]!);
  }

  /**
   * An array of n bulk strings, element i being at(i). A long one is encoded straight into a
   * buffer: joining thousands of small strings into the rope costs more to build and to flatten
   * at the socket than writing their bytes once (LRANGE of 600 elements: 27 -> 15 us).
   */
  bulkRange(n: number, at: (i: number) => string): void {
    if (n < BULK_RANGE_MIN) {
      this.array(n);
      for (let i = 0; i < n; i++) this.bulk(at(i));
      return;
    }
    let size = 16;
    for (let i = 0; i < n; i++) {
      const l = at(i).length;
      if (l >= SPILL) {
        // a huge element: the rope path spills it as its own chunk anyway
        this.array(n);
        for (let j = 0; j < n; j++) this.bulk(at(j));
        return;
      }
      size += l + 5 + (l < 10 ? 1 : l < 100 ? 2 : l < 1000 ? 3 : l < 10000 ? 4 : 5);
    }
    const b = Buffer.allocUnsafe(size);
    let p = b.write('*' + n + '\r\n', 0, 'latin1');
    for (let i = 0; i < n; i++) {
      const x = at(i);
      const l = x.length;
      b[p++] = 36;
      if (l < 10) b[p++] = 48 + l;
      else if (l < 100) {
        b[p++] = 48 + ((l / 10) | 0);
        b[p++] = 48 + (l % 10);
      } else p += b.write(String(l), p, 'latin1');
      b[p++] = 13;
      b[p++] = 10;
      if (l < 24) for (let j = 0; j < l; j++) b[p++] = x.charCodeAt(j);
      else p += b.write(x, p, 'latin1');
      b[p++] = 13;
      b[p++] = 10;
    }
    this.spill(b.subarray(0, p));
    this.text = '';
  }

  private spill(x: string | Buffer): void {
    if (this.text.length !== 0) this.chunks.push(this.text);
    this.chunks.push(x);
  }
}

/** Formats a double as C's printf("%.17g") does, with Redis's spelling of infinities. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  return formatG(d, 17);
}

/** printf("%.<precision>g") for a finite, non-zero double. */
export function formatG(d: number, precision: number): string {
  const exp = d.toExponential(precision - 1); // d.ddddde+x
  const e = exp.indexOf('e');
  const x = parseInt(exp.slice(e + 1), 10);
  if (x < -4 || x >= precision) {
    let mant = exp.slice(0, e);
    if (mant.indexOf('.') !== -1) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ax = Math.abs(x);
    return mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax));
  }
  let fixed = d.toFixed(Math.max(0, precision - 1 - x));
  if (fixed.indexOf('.') !== -1) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
