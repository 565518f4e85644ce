/*
 * The file steps every durable write shares (SAVE, BGSAVE, AOF rewrites, a replica's synced
 * payload): write a whole buffer, fsync the directory after a rename, and drop a temp file that will
 * not be used. Synchronous on purpose: callers run them where the event loop may wait (SAVE) or on
 * small pieces (snapshot chunks).
 */

import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** Writes all of data at the file's position (writeSync may write less than asked). */
export function writeAll(fd: number, data: Uint8Array): number {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  return data.length;
}

/** Makes a rename in dir durable; some filesystems cannot fsync a directory, and the rename is done. */
export function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // not supported here
  }
}

/** Closes fd (if open) and removes the temp file, ignoring what is already gone. */
export function discardTemp(fd: number | null, file: string): void {
  if (fd !== null) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
