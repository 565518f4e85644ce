/*
 * The snapshot payload of a full sync, as a replica receives it (Redis's readSyncBulkPayload, the
 * reading half). The leader sends it sized (`$<len>`) or, diskless, delimited by a 40-byte mark
 * that follows the image. Where it goes depends on `repl-diskless-load`, decided when the
 * +FULLRESYNC arrives: in memory (a diskless load), or into `temp-<unixtime>.<pid>.rdb` in `dir`,
 * written as it arrives so that a large image never sits in memory; once complete that file is
 * fsynced and renamed over dbfilename, so the replica's dump.rdb is the leader's snapshot, and a
 * crash mid-transfer leaves the previous dump.rdb whole (only the temp file is torn).
 *
 * With a mark, every received byte is written as it comes and the image is cut at the mark once it
 * is seen (the file truncated), keeping only the last mark-length bytes in memory to find a mark
 * split across two reads.
 */

import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync } from 'node:fs';
import path from 'node:path';
import { discardTemp, fsyncDir, writeAll } from './persistence/files';

export class PayloadReceiver {
  /** announced size, -1 with an EOF mark or before the header */
  size = -1;
  /** payload bytes received (with a mark: including any part of the mark seen so far) */
  read = 0;
  /** image length once complete */
  length = -1;
  private mark: string | null = null;
  private markTail: Buffer = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  private fd: number | null = null;
  /** the temp file (disk load), relative to nothing: a full path */
  readonly tmpPath: string | null;

  /** Opens the temp file for a disk load (throws the open error), or receives into memory. */
  constructor(dir: string | null) {
    if (dir === null) {
      this.tmpPath = null;
      return;
    }
    // O_EXCL, as Redis: a name another transfer still uses is not reused; try a few names
    let last: unknown = null;
    for (let i = 0; i < 5; i++) {
      const p = path.join(dir, `temp-${Math.floor(Date.now() / 1000) + i}.${process.pid}.rdb`);
      try {
        this.fd = openSync(p, 'wx', 0o644);
        this.tmpPath = p;
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  get toDisk(): boolean {
    return this.tmpPath !== null;
  }

  get started(): boolean {
    return this.size !== -1 || this.mark !== null;
  }

  /** The `$<len>` or `$EOF:<mark>` line (without its CRLF). */
  header(line: string): void {
    if (line.startsWith('$EOF:')) this.mark = line.slice(5);
    else this.size = Number(line.slice(1));
  }

  get usesMark(): boolean {
    return this.mark !== null;
  }

  /**
   * Takes payload bytes from input: returns null while the image is incomplete, else what follows
   * it (the start of the stream). Throws on a write error.
   */
  feed(input: Buffer): Buffer | null {
    if (this.mark === null) {
      const take = Math.min(this.size - this.read, input.length);
      this.put(input.subarray(0, take));
      this.read += take;
      if (this.read < this.size) return null;
      this.length = this.size;
      return input.subarray(take);
    }
    const mark = this.mark;
    const window = this.markTail.length === 0 ? input : Buffer.concat([this.markTail, input]);
    const at = window.indexOf(mark, 0, 'latin1');
    if (at === -1) {
      this.put(input);
      this.read += input.length;
      this.markTail = Buffer.from(window.subarray(Math.max(0, window.length - mark.length)));
      return null;
    }
    // the mark starts at payload position `imageEnd`; the input up to its end is payload
    const imageEnd = this.read - this.markTail.length + at;
    const used = imageEnd + mark.length - this.read;
    this.put(input.subarray(0, used));
    this.read += used;
    this.length = imageEnd;
    if (this.fd !== null) ftruncateSync(this.fd, imageEnd);
    return input.subarray(used);
  }

  private put(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.fd === null) {
      this.chunks.push(buf);
      return;
    }
    writeAll(this.fd, buf);
  }

  /** The image received into memory. */
  image(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return all.length === this.length ? all : all.subarray(0, this.length);
  }

  /** Disk load: fsyncs the temp file and renames it over `target` (then fsyncs the directory). */
  commit(target: string): void {
    const fd = this.fd!;
    fsyncSync(fd);
    closeSync(fd);
    this.fd = null;
    renameSync(this.tmpPath!, target);
    fsyncDir(path.dirname(target));
  }

  /** An abandoned transfer: the temp file goes away. */
  abort(): void {
    this.chunks = [];
    if (this.fd === null) return;
    discardTemp(this.fd, this.tmpPath!);
    this.fd = null;
  }
}
