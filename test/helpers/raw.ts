/*
 * A raw TCP session for protocol-level tests: send bytes or commands, read whole replies as bytes.
 */

import net from 'node:net';
import { replyEnd } from './resp';

export function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawSession {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawSession> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawSession(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitData(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads one complete reply's raw bytes (latin1 string). */
  async readReply(timeoutMs = 5000): Promise<string> {
    for (;;) {
      const end = replyEnd(this.buf, 0);
      if (end !== -1) {
        const out = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await this.waitData(timeoutMs);
    }
  }

  /** Sends one command and reads its reply. */
  async call(...args: (string | Buffer)[]): Promise<string> {
    this.write(encodeCommand(args));
    return this.readReply();
  }

  /** Waits until the server closes the connection; returns what it sent before closing. */
  async readUntilClosed(timeoutMs = 5000): Promise<string> {
    while (!this.closed) await this.waitData(timeoutMs);
    return this.buf.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}
