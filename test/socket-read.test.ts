/*
 * Client sockets read into one buffer shared by every connection (src/socket-read.ts): whatever a
 * read leaves half-parsed must survive the next read of another client into the same memory.
 */

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { installSharedRead } from '../src/socket-read';
import { encodeCommand, RawSession } from './helpers/raw';
import { seededRandom, testSeed, useServer } from './helpers/setup';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 15));

describe('shared read buffer', () => {
  const f = useServer();

  it('is installed on accepted sockets in this Node, and chunks arrive as sent', async () => {
    const got: string[] = [];
    let installed = false;
    const server = net.createServer((sock) => {
      installed = installSharedRead(sock, (chunk) => got.push(chunk.toString('latin1')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    client.write('first');
    await tick();
    client.write('second');
    await tick();
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    expect(installed).toBe(true);
    expect(got.join('')).toBe('firstsecond');
  });

  it('keeps half-received commands of several clients apart', async () => {
    const a = await RawSession.connect(f.srv.port);
    const b = await RawSession.connect(f.srv.port);
    const setA = encodeCommand(['SET', 'ka', 'value-of-a']);
    const setB = encodeCommand(['SET', 'kb', 'value-of-b']);
    a.write(setA.subarray(0, 20));
    await tick();
    b.write(setB.subarray(0, 13));
    await tick();
    a.write(Buffer.concat([setA.subarray(20), encodeCommand(['GET', 'kb'])]));
    expect(await a.readReply()).toBe('+OK\r\n');
    expect(await a.readReply()).toBe('$-1\r\n');
    b.write(Buffer.concat([setB.subarray(13), encodeCommand(['GET', 'ka'])]));
    expect(await b.readReply()).toBe('+OK\r\n');
    expect(await b.readReply()).toBe('$10\r\nvalue-of-a\r\n');
    a.socket.destroy();
    b.socket.destroy();
  });

  it('keeps the pipelined commands of a blocked client while others are served', async () => {
    const blocked = await RawSession.connect(f.srv.port);
    const other = await RawSession.connect(f.srv.port);
    blocked.write(Buffer.concat([encodeCommand(['BLPOP', 'q', '0']), encodeCommand(['SET', 'after', 'x']), encodeCommand(['GET', 'after'])]));
    await tick();
    for (let i = 0; i < 20; i++) expect(await other.call('SET', `filler${i}`, 'y'.repeat(i * 50))).toBe('+OK\r\n');
    expect(await other.call('RPUSH', 'q', 'job')).toBe(':1\r\n');
    expect(await blocked.readReply()).toBe('*2\r\n$1\r\nq\r\n$3\r\njob\r\n');
    expect(await blocked.readReply()).toBe('+OK\r\n');
    expect(await blocked.readReply()).toBe('$1\r\nx\r\n');
    blocked.socket.destroy();
    other.socket.destroy();
  });

  it('delivers binary values split at random points, interleaved with other clients', async () => {
    const rand = seededRandom(testSeed());
    const sessions = await Promise.all([0, 1, 2].map(() => RawSession.connect(f.srv.port)));
    const values = sessions.map((_, i) => {
      const v = Buffer.alloc(1000 + i * 40000);
      for (let j = 0; j < v.length; j++) v[j] = Math.floor(rand() * 256);
      return v;
    });
    const payloads = sessions.map((_, i) => encodeCommand(['SET', `bin${i}`, values[i]!]));
    const sent = payloads.map(() => 0);
    while (sent.some((n, i) => n < payloads[i]!.length)) {
      for (let i = 0; i < sessions.length; i++) {
        const p = payloads[i]!;
        if (sent[i]! >= p.length) continue;
        const n = 1 + Math.floor(rand() * 3000);
        sessions[i]!.write(p.subarray(sent[i], sent[i]! + n));
        sent[i]! += n;
      }
      await new Promise((r) => setImmediate(r));
    }
    for (const s of sessions) expect(await s.readReply()).toBe('+OK\r\n');
    for (let i = 0; i < sessions.length; i++) {
      expect(Buffer.compare(await f.r.getBuffer(`bin${i}`) as Buffer, values[i]!)).toBe(0);
    }
    for (const s of sessions) s.socket.destroy();
  });
});
