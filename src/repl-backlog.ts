/*
 * The replication backlog: the last `repl-backlog-size` bytes of the replication stream, in a ring,
 * so that a replica whose link dropped can continue from its offset (PSYNC +CONTINUE) instead of
 * loading a whole new snapshot. Offsets are Redis's: the stream's byte count since the replication
 * id began; the first byte has offset 1.
 */

export class Backlog {
  private buf: Buffer;
  /** where the next byte goes in buf */
  private idx = 0;
  /** bytes held (at most buf.length) */
  histlen = 0;
  /** offset of the last byte appended (master_repl_offset) */
  endOffset: number;

  constructor(size: number, endOffset: number) {
    this.buf = Buffer.alloc(Math.max(size, 16 * 1024));
    this.endOffset = endOffset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** Offset of the oldest byte held (repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.endOffset - this.histlen + 1;
  }

  /** Appends stream bytes given as a latin1 string (one char per byte). */
  append(data: string): void {
    const n = data.length;
    this.endOffset += n;
    const size = this.buf.length;
    if (n >= size) {
      this.buf.write(data.slice(n - size), 0, 'latin1');
      this.idx = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(n, size - this.idx);
    this.buf.write(first === n ? data : data.slice(0, first), this.idx, 'latin1');
    if (first < n) this.buf.write(data.slice(first), 0, 'latin1');
    this.idx = (this.idx + n) % size;
    this.histlen = Math.min(size, this.histlen + n);
  }

  /** Appends stream bytes given as a buffer. */
  appendBuffer(data: Buffer): void {
    this.append(data.latin1Slice(0, data.length));
  }

  /** True when every byte from `offset` on is held (a replica at offset-1 can continue). */
  covers(offset: number): boolean {
    return this.histlen > 0 ? offset >= this.firstOffset && offset <= this.endOffset + 1 : offset === this.endOffset + 1;
  }

  /** The bytes from offset to the end (covers(offset) must hold). */
  from(offset: number): Buffer {
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
    const keep = Math.min(this.histlen, size);
    const tail = this.from(this.endOffset + 1 - keep);
    this.buf = Buffer.alloc(size);
    tail.copy(this.buf, 0);
    this.idx = keep % size;
    this.histlen = keep;
  }
}
