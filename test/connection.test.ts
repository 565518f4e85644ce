import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

describe('connection basics', () => {
  it('answers PING and ECHO through ioredis', async () => {
    const r = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    expect(await r.ping()).toBe('PONG');
    expect(await r.echo('héllo')).toBe('héllo');
    r.disconnect();
  });

  it('answers pipelined and inline commands in order', async () => {
    const s = await RawSession.connect(srv.port);
    s.write('PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nECHO "a b"\r\n');
    expect(await s.readReply()).toBe('+PONG\r\n');
    expect(await s.readReply()).toBe('$3\r\nabc\r\n');
    expect(await s.readReply()).toBe('$3\r\na b\r\n');
    s.close();
  });

  it('rejects a bad multibulk length and closes', async () => {
    const s = await RawSession.connect(srv.port);
    s.write('*abc\r\n');
    expect(await s.readUntilClosed()).toBe('-ERR Protocol error: invalid multibulk length\r\n');
  });
});
