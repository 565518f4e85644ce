/*
 * client-output-buffer-limit: a client that stops reading while replies pile up is closed once its
 * unsent output passes the hard limit, or stays over the soft limit for its seconds, as Redis does;
 * other clients and the data are unaffected.
 */

import net from 'node:net';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { encodeCommand } from './helpers/raw';
import { startTestServer } from './helpers/server';

const BIG = 256 * 1024;

/**
 * Connects without ever reading, asks for `count` copies of the big value, and resolves with whether
 * the server dropped the connection within `ms` (seen on the server side: a paused socket does not
 * notice a reset until it reads).
 */
async function floodWithoutReading(srv: RunningServer, count: number, ms: number): Promise<boolean> {
  const sock = net.connect(srv.port, '127.0.0.1');
  sock.pause();
  sock.on('error', () => {});
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const before = srv.state.clients.size;
  const one = encodeCommand(['GET', 'big']);
  sock.write(Buffer.concat(Array.from({ length: count }, () => one)));
  const deadline = Date.now() + ms;
  let dropped = false;
  while (Date.now() < deadline && !dropped) {
    await new Promise((r) => setTimeout(r, 20));
    dropped = srv.state.clients.size < before;
  }
  sock.destroy();
  return dropped;
}

describe('client-output-buffer-limit', () => {
  let srv: RunningServer;
  let r: Redis;
  beforeAll(async () => {
    srv = await startTestServer({ 'client-output-buffer-limit': 'normal 1mb 0 0' });
    r = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    await r.set('big', 'x'.repeat(BIG));
  });
  afterAll(async () => {
    r.disconnect();
    await srv.close();
  });

  it('closes a client that does not read once its output passes the hard limit', async () => {
    const before = srv.state.stats.clientOutputBufferLimitDisconnections;
    // 400 x 256KB = 100MB of replies: far more than the socket buffers can absorb
    expect(await floodWithoutReading(srv, 400, 10000)).toBe(true);
    const after = srv.state.stats.clientOutputBufferLimitDisconnections;
    expect(after).toBe(before + 1);
    // the server did not hold on to the replies, and others are served as before
    expect(await r.strlen('big')).toBe(BIG);
    expect(await r.ping()).toBe('PONG');
  }, 20000);

  it('leaves a client alone while its output stays under the limit', async () => {
    // 2 replies (512KB) fit in the socket buffers and the limit
    expect(await floodWithoutReading(srv, 2, 500)).toBe(false);
  });

  it('closes a client that stays over the soft limit for its seconds', async () => {
    await r.config('SET', 'client-output-buffer-limit', 'normal 0 512kb 1');
    try {
      const start = Date.now();
      expect(await floodWithoutReading(srv, 400, 10000)).toBe(true);
      // not at once: the soft limit allows one second over it (checked by the cron or the next write)
      expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    } finally {
      await r.config('SET', 'client-output-buffer-limit', 'normal 1mb 0 0');
    }
  }, 20000);
});
