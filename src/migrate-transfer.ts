/*
 * MIGRATE's conversation with the target: send the commands (AUTH?, SELECT, RESTOREs), collect one
 * single-line reply per command, and word failures as Redis's MIGRATE does. Kept apart from the
 * command so that the synchronous path (src/migrate-child.ts, run in a child process while MULTI/EXEC
 * or a script waits, as Redis's whole server waits) uses the same code as the asynchronous one.
 */

import net from 'node:net';

export type TransferDone = (err: string | null, replies: string[]) => void;

/** Sends `data` and collects `expected` one-line replies within `ms`. */
export function transfer(host: string, port: number, ms: number, data: Buffer, expected: number, done: TransferDone): void {
  let finished = false;
  let connected = false;
  let input = '';
  const replies: string[] = [];
  const socket = net.connect({ host, port });
  const finish = (err: string | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    done(err, replies);
  };
  const timer = setTimeout(
    () => finish(connected ? 'IOERR error or timeout reading to target instance' : 'IOERR error or timeout connecting to the client'),
    ms,
  );
  socket.on('connect', () => {
    connected = true;
    socket.write(data);
  });
  socket.on('data', (chunk: Buffer) => {
    input += chunk.latin1Slice(0, chunk.length);
    let nl: number;
    while ((nl = input.indexOf('\r\n')) !== -1) {
      replies.push(input.slice(0, nl));
      input = input.slice(nl + 2);
      if (replies.length === expected) return finish(null);
    }
  });
  socket.on('error', () => finish(connected ? 'IOERR error or timeout reading to target instance' : 'IOERR error or timeout writing to target instance'));
  socket.on('close', () => finish('IOERR error or timeout reading to target instance'));
}

/** The request the synchronous path hands its child: a JSON header line, then the bytes to send. */
export interface TransferRequest {
  host: string;
  port: number;
  ms: number;
  expected: number;
}

export function encodeTransferRequest(req: TransferRequest, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(req) + '\n', 'latin1'), data]);
}

export function decodeTransferRequest(input: Buffer): { req: TransferRequest; data: Buffer } {
  const nl = input.indexOf(10);
  return { req: JSON.parse(input.latin1Slice(0, nl)) as TransferRequest, data: input.subarray(nl + 1) };
}
