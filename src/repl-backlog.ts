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
  /** bytes in the ring (at most buf.length) */
  private ringLen = 0;
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
    return this.ringLen;
  }

  /** Offset of the oldest byte held (repl_backlog_first_byte_offset). */
  get firstOffset(): number {
    return this.endOffset - this.ringLen + 1;
  }

  /** Appends stream bytes (once per event-loop turn: replication.ts collects a turn's stream). */
  append(data: Uint8Array): void {
    const n = data.length;
    this.endOffset += n;
    const size = this.buf.length;
    if (n >= size) {
      this.buf.set(data.subarray(n - size), 0);
      this.idx = 0;
      this.ringLen = size;
      return;
    }
    const first = Math.min(n, size - this.idx);
    this.buf.set(first === n ? data : data.subarray(0, first), this.idx);
    if (first < n) this.buf.set(data.subarray(first), 0);
    this.idx = (this.idx + n) % size;
    this.ringLen = Math.min(size, this.ringLen + n);
  }

  /** True when every byte from `offset` on is held (a replica at offset-1 can continue). */
  covers(offset: number): boolean {
    return this.ringLen > 0 ? offset >= this.firstOffset && offset <= this.endOffset + 1 : offset === this.endOffset + 1;
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
    const keep = Math.min(this.ringLen, size);
    const tail = this.from(this.endOffset + 1 - keep);
    this.buf = Buffer.alloc(size);
    tail.copy(this.buf, 0);
    this.idx = keep % size;
    this.ringLen = keep;
  }
}
