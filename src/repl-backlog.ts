/*
 * The replication backlog: the last `repl-backlog-size` bytes of the replication stream, in a ring,
 * so that a replica whose link dropped can continue from its offset (PSYNC +CONTINUE) instead of
 * loading a whole new snapshot. Offsets are Redis's: the stream's byte count since the replication
 * id began; the first byte has offset 1.
 */

/**
 * Appends are collected in a string and copied into the ring in one go (at this size, or when the
 * backlog is read): one small native copy per propagated command was a fifth of a leader's time.
 */
const TAIL_MAX = 64 * 1024;

export class Backlog {
  private buf: Buffer;
  /** where the next byte goes in buf */
  private idx = 0;
  /** bytes in the ring (at most buf.length) */
  private ringLen = 0;
  /** appended and not yet copied into the ring */
  private tail = '';
  /** offset of the last byte appended (master_repl_offset) */
  endOffset: number;

  constructor(size: number, endOffset: number) {
    this.buf = Buffer.alloc(Math.max(size, 16 * 1024));
    this.endOffset = endOffset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** Bytes held (repl_backlog_histlen). */
  get histlen(): number {
    this.flushTail();
    return this.ringLen;
  }

  /** Offset of the oldest byte held (repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  /** Appends stream bytes given as a latin1 string (one char per byte). */
  append(data: string): void {
    this.endOffset += data.length;
    this.tail += data;
    if (this.tail.length >= TAIL_MAX) this.flushTail();
  }

  private flushTail(): void {
    const data = this.tail;
    if (data.length === 0) return;
    this.tail = '';
    const n = data.length;
    const size = this.buf.length;
    if (n >= size) {
      this.buf.write(data.slice(n - size), 0, 'latin1');
      this.idx = 0;
      this.ringLen = size;
      return;
    }
    const first = Math.min(n, size - this.idx);
    this.buf.write(first === n ? data : data.slice(0, first), this.idx, 'latin1');
    if (first < n) this.buf.write(data.slice(first), 0, 'latin1');
    this.idx = (this.idx + n) % size;
    this.ringLen = Math.min(size, this.ringLen + n);
  }

  /** True when every byte from `offset` on is held (a replica at offset-1 can continue). */
  covers(offset: number): boolean {
    this.flushTail();
    return this.ringLen > 0 ? offset >= this.firstOffset && offset <= this.endOffset + 1 : offset === this.endOffset + 1;
  }

  /** The bytes from offset to the end (covers(offset) must hold). */
  from(offset: number): Buffer {
    this.flushTail();
    const n = this.endOffset + 1 - offset;
    const out = Buffer.allocUnsafe(n);
    if (n === 0) return out;
    const size = this.buf.length;
    const start = (((this.idx - n) % size) + size) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** Changes the capacity, keeping the newest bytes. */
  resize(size: number): void {
    size = Math.max(size, 16 * 1024);
    if (size === this.buf.length) return;
    this.flushTail();
    const keep = Math.min(this.ringLen, size);
    const tail = this.from(this.endOffset + 1 - keep);
    this.buf = Buffer.alloc(size);
    tail.copy(this.buf, 0);
    this.idx = keep % size;
    this.ringLen = keep;
  }
}
