/*
 * Pub/sub and keyspace notifications: message frames, confirmations and subscribed-mode rules
 * compared byte for byte with Redis (RESP2 and RESP3), real clients (ioredis, node-redis, redis-cli),
 * fan-out, and the pubsub output buffer limit.
 */

import { execFile } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { oracleAvailable, redisCliAvailable, startOracle, type Oracle } from './helpers/oracle';
import { encodeCommand, RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';

/** Runs the same script on both servers: each step writes a command on one of two connections and
 * reads `replies` replies from the connection named in `read`; returns every reply read, in order. */
type Step = { on: 'a' | 'b'; cmd: string[]; read?: { from: 'a' | 'b'; replies: number }[]; ignore?: boolean; sleepMs?: number; unordered?: boolean };

async function runScript(port: number, steps: Step[]): Promise<string[]> {
  const a = await RawSession.connect(port);
  const b = await RawSession.connect(port);
  const out: string[] = [];
  try {
    for (const step of steps) {
      if (step.sleepMs !== undefined) await new Promise((r) => setTimeout(r, step.sleepMs));
      (step.on === 'a' ? a : b).write(encodeCommand(step.cmd));
      const replies: string[] = [];
      for (const r of step.read ?? [{ from: step.on, replies: 1 }]) {
        for (let i = 0; i < r.replies; i++) replies.push(`${r.from}: ${await (r.from === 'a' ? a : b).readReply()}`);
      }
      // Redis walks its hash tables for "unsubscribe from all" and channel lists: that order is
      // its hash function's, so such replies are compared as sets
      if (step.unordered) replies.sort();
      if (!step.ignore) out.push(...replies);
    }
  } finally {
    a.close();
    b.close();
  }
  return out;
}

describe.skipIf(!oracleAvailable)('pub/sub vs Redis', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
    await srv.close();
  });

  async function same(steps: Step[]): Promise<void> {
    const ours = await runScript(srv.port, steps);
    const theirs = await runScript(oracle.port, steps);
    expect(ours).toEqual(theirs);
  }

  it('SUBSCRIBE / PSUBSCRIBE / PUBLISH / UNSUBSCRIBE frames (RESP2)', async () => {
    await same([
      { on: 'a', cmd: ['SUBSCRIBE', 'news', 'sport', 'news'], read: [{ from: 'a', replies: 3 }] },
      { on: 'a', cmd: ['PSUBSCRIBE', 'n*', 'x?'], read: [{ from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['PUBLISH', 'news', 'hello\r\nworld'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['PUBLISH', 'xy', ''], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 1 }] },
      { on: 'b', cmd: ['PUBLISH', 'nobody', 'x'], read: [{ from: 'b', replies: 1 }] },
      { on: 'b', cmd: ['PUBSUB', 'NUMSUB', 'news', 'sport', 'none'] },
      { on: 'b', cmd: ['PUBSUB', 'NUMPAT'] },
      { on: 'b', cmd: ['PUBSUB', 'CHANNELS', 's*'] },
      { on: 'a', cmd: ['GET', 'k'] },
      { on: 'a', cmd: ['PING'] },
      { on: 'a', cmd: ['PING', 'hi'] },
      { on: 'a', cmd: ['UNSUBSCRIBE', 'sport'] },
      { on: 'a', cmd: ['PUNSUBSCRIBE'], read: [{ from: 'a', replies: 2 }], unordered: true },
      { on: 'a', cmd: ['UNSUBSCRIBE'], read: [{ from: 'a', replies: 1 }] },
      { on: 'a', cmd: ['UNSUBSCRIBE'], read: [{ from: 'a', replies: 1 }] },
      { on: 'a', cmd: ['PING'] },
      { on: 'a', cmd: ['SSUBSCRIBE', 'sh1', 'sh2'], read: [{ from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['SPUBLISH', 'sh1', 'm'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 1 }] },
      { on: 'b', cmd: ['PUBLISH', 'sh1', 'not-shard'] },
      { on: 'b', cmd: ['PUBSUB', 'SHARDCHANNELS', 'sh1'] },
      { on: 'b', cmd: ['PUBSUB', 'SHARDNUMSUB', 'sh1', 'zz'] },
      { on: 'a', cmd: ['SUNSUBSCRIBE', 'sh2'], read: [{ from: 'a', replies: 1 }] },
      { on: 'a', cmd: ['SUNSUBSCRIBE'], read: [{ from: 'a', replies: 1 }] },
      { on: 'b', cmd: ['PUBSUB', 'HELP'] },
      { on: 'b', cmd: ['PUBSUB', 'NOPE'] },
      { on: 'b', cmd: ['SUBSCRIBE'] },
    ]);
  });

  it('RESP3: push frames, other commands allowed while subscribed', async () => {
    await same([
      { on: 'a', cmd: ['HELLO', '3'], ignore: true }, // carries the client id, which differs
      { on: 'a', cmd: ['SUBSCRIBE', 'c1'] },
      { on: 'a', cmd: ['PSUBSCRIBE', 'c*'] },
      { on: 'b', cmd: ['PUBLISH', 'c1', 'payload'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'a', cmd: ['SET', 'k', 'v'] },
      { on: 'a', cmd: ['GET', 'k'] },
      { on: 'a', cmd: ['PING'] },
      { on: 'b', cmd: ['PUBSUB', 'NUMSUB', 'c1'] },
      { on: 'a', cmd: ['UNSUBSCRIBE', 'c1', 'c2'], read: [{ from: 'a', replies: 2 }] },
      { on: 'a', cmd: ['RESET'] },
      { on: 'b', cmd: ['PUBLISH', 'c1', 'after reset'] },
      { on: 'b', cmd: ['DEL', 'k'] },
    ]);
  });

  it('keyspace notifications carry the same events in the same order', async () => {
    const steps: Step[] = [
      { on: 'b', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'] },
      { on: 'a', cmd: ['PSUBSCRIBE', '__key*__:*'] },
      { on: 'b', cmd: ['SET', 'k', 'v'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['APPEND', 'k', 'w'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['EXPIRE', 'k', '100'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['INCRBY', 'n', '5'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['RENAME', 'k', 'k2'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 4 }] },
      { on: 'b', cmd: ['DEL', 'k2', 'n'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 4 }] },
      { on: 'b', cmd: ['SET', 'e', '1', 'PX', '1'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 4 }] },
      { on: 'b', cmd: ['GET', 'e'], sleepMs: 20, read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 2 }] },
      { on: 'b', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', 'E$'] },
      { on: 'b', cmd: ['SET', 'q', '1'], read: [{ from: 'b', replies: 1 }, { from: 'a', replies: 1 }] },
      { on: 'b', cmd: ['CONFIG', 'SET', 'notify-keyspace-events', ''] },
      { on: 'b', cmd: ['SET', 'q', '2'] },
      { on: 'b', cmd: ['PING'] },
    ];
    await same(steps);
  });
});

describe('pub/sub with real clients', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startTestServer({ 'enable-debug-command': 'yes' });
  });
  afterAll(async () => {
    await srv.close();
  });
  beforeEach(() => {
    for (const db of srv.state.dbs) db.clear();
  });

  it('ioredis subscriber receives messages and pattern messages', async () => {
    const sub = new Redis({ port: srv.port, host: '127.0.0.1' });
    const pub = new Redis({ port: srv.port, host: '127.0.0.1' });
    try {
      const got: string[] = [];
      sub.on('message', (ch: string, msg: string) => got.push(`${ch}=${msg}`));
      sub.on('pmessage', (p: string, ch: string, msg: string) => got.push(`${p}:${ch}=${msg}`));
      await sub.subscribe('orders');
      await sub.psubscribe('ord*');
      expect(await pub.publish('orders', 'one')).toBe(2);
      expect(await pub.publish('ordinal', 'two')).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(['orders=one', 'ord*:orders=one', 'ord*:ordinal=two']);
      expect(await pub.call('PUBSUB', 'NUMPAT')).toBe(1);
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });

  it('node-redis RESP3 subscriber gets push messages', async () => {
    const sub = createClient({ socket: { port: srv.port, host: '127.0.0.1' }, RESP: 3 });
    const pub = createClient({ socket: { port: srv.port, host: '127.0.0.1' } });
    await sub.connect();
    await pub.connect();
    try {
      const got: string[] = [];
      await sub.subscribe('ch', (msg) => got.push(msg));
      expect(await pub.publish('ch', 'hello')).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(['hello']);
    } finally {
      await sub.quit();
      await pub.quit();
    }
  });

  it('one PUBLISH reaches 1,000 subscribers', async () => {
    const subs: RawSession[] = [];
    try {
      for (let i = 0; i < 1000; i++) {
        const s = await RawSession.connect(srv.port);
        s.write(encodeCommand(['SUBSCRIBE', 'fan']));
        subs.push(s);
      }
      for (const s of subs) await s.readReply();
      const pub = await RawSession.connect(srv.port);
      expect(await pub.call('PUBLISH', 'fan', 'x')).toBe(':1000\r\n');
      pub.close();
      const frames = await Promise.all(subs.map((s) => s.readReply()));
      expect(new Set(frames)).toEqual(new Set(['*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$1\r\nx\r\n']));
    } finally {
      for (const s of subs) s.close();
    }
  }, 30000);

  it('pipelined PUBLISHes reach subscribers with different subscriptions and protocols, each its own frames in order', async () => {
    // deliveries share output between subscribers that received the same frames: the ones whose
    // histories differ (another channel, a pattern, RESP3) must still get exactly their own
    const resp2 = (ch: string, m: string): string => `*3\r\n$7\r\nmessage\r\n$${ch.length}\r\n${ch}\r\n$${m.length}\r\n${m}\r\n`;
    const resp3 = (ch: string, m: string): string => '>' + resp2(ch, m).slice(1);
    const pmsg = (p: string, ch: string, m: string): string =>
      `*4\r\n$8\r\npmessage\r\n$${p.length}\r\n${p}\r\n$${ch.length}\r\n${ch}\r\n$${m.length}\r\n${m}\r\n`;
    const a1 = await RawSession.connect(srv.port);
    const a2 = await RawSession.connect(srv.port);
    const ab = await RawSession.connect(srv.port);
    const a3 = await RawSession.connect(srv.port);
    const pat = await RawSession.connect(srv.port);
    const pub = await RawSession.connect(srv.port);
    try {
      for (const s of [a1, a2, a3]) {
        if (s === a3) await s.call('HELLO', '3');
        s.write(encodeCommand(['SUBSCRIBE', 'a']));
        await s.readReply();
      }
      ab.write(encodeCommand(['SUBSCRIBE', 'a', 'b']));
      await ab.readReply();
      await ab.readReply();
      pat.write(encodeCommand(['PSUBSCRIBE', 'a*']));
      await pat.readReply();
      const sends: [string, string][] = [['a', 'm1'], ['b', 'm2'], ['a', 'm3'], ['ab', 'm4'], ['a', 'm5'], ['a', 'm5']];
      pub.write(sends.map(([ch, m]) => encodeCommand(['PUBLISH', ch, m])).join(''));
      const expected = new Map<RawSession, string[]>([
        [a1, sends.filter(([ch]) => ch === 'a').map(([ch, m]) => resp2(ch, m))],
        [a2, sends.filter(([ch]) => ch === 'a').map(([ch, m]) => resp2(ch, m))],
        [a3, sends.filter(([ch]) => ch === 'a').map(([ch, m]) => resp3(ch, m))],
        [ab, sends.filter(([ch]) => ch === 'a' || ch === 'b').map(([ch, m]) => resp2(ch, m))],
        [pat, sends.filter(([ch]) => ch.startsWith('a')).map(([ch, m]) => pmsg('a*', ch, m))],
      ]);
      for (const [s, frames] of expected) {
        const got: string[] = [];
        for (let i = 0; i < frames.length; i++) got.push(await s.readReply());
        expect(got).toEqual(frames);
      }
      for (let i = 0; i < sends.length; i++) await pub.readReply();
    } finally {
      for (const s of [a1, a2, ab, a3, pat, pub]) s.close();
    }
  });

  it('a subscriber that stops reading is cut off at the pubsub output buffer limit', async () => {
    const pub = new Redis({ port: srv.port, host: '127.0.0.1' });
    await pub.config('SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0');
    const sock = net.connect(srv.port, '127.0.0.1');
    sock.on('error', () => {});
    try {
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(encodeCommand(['SUBSCRIBE', 'flood']));
      await new Promise((r) => setTimeout(r, 50));
      sock.pause();
      expect(await pub.call('PUBSUB', 'NUMSUB', 'flood')).toEqual(['flood', 1]);
      const before = srv.state.stats.clientOutputBufferLimitDisconnections;
      const big = 'm'.repeat(64 * 1024);
      for (let i = 0; i < 400 && (await pub.call('PUBSUB', 'NUMSUB', 'flood') as [string, number])[1] === 1; i++) {
        await pub.publish('flood', big);
      }
      expect(await pub.call('PUBSUB', 'NUMSUB', 'flood')).toEqual(['flood', 0]);
      expect(srv.state.stats.clientOutputBufferLimitDisconnections).toBe(before + 1);
    } finally {
      sock.destroy();
      await pub.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
      pub.disconnect();
    }
  }, 30000);

  it('RESP2 subscribed mode refuses other commands; CLIENT LIST shows the subscriptions', async () => {
    const s = await RawSession.connect(srv.port);
    try {
      s.write(encodeCommand(['SUBSCRIBE', 'a', 'b']));
      await s.readReply();
      await s.readReply();
      s.write(encodeCommand(['PSUBSCRIBE', 'p*']));
      await s.readReply();
      expect(await s.call('GET', 'x')).toBe(
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
      );
      const other = new Redis({ port: srv.port, host: '127.0.0.1' });
      const list = (await other.client('LIST')) as string;
      other.disconnect();
      expect(list).toMatch(/flags=P db=0 sub=2 psub=1 ssub=0 /);
      expect(await s.call('RESET')).toBe('+RESET\r\n');
      expect(await s.call('GET', 'x')).toBe('$-1\r\n');
    } finally {
      s.close();
    }
  });
});

describe.skipIf(!oracleAvailable || !redisCliAvailable)('redis-cli pub/sub mode', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
    await srv.close();
  });

  /** Runs `redis-cli SUBSCRIBE/PSUBSCRIBE`, publishes two messages, returns what the CLI printed. */
  async function cliSession(port: number, args: string[]): Promise<string> {
    const child = execFile('redis-cli', ['-p', String(port), ...args]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const pub = new Redis({ port, host: '127.0.0.1' });
    try {
      for (let i = 0; i < 100 && !out.includes('1'); i++) await new Promise((r) => setTimeout(r, 20));
      await pub.publish('chan', 'first message');
      await pub.publish('chan', 'second');
      for (let i = 0; i < 100 && !out.includes('second'); i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      child.kill();
      pub.disconnect();
    }
    return out;
  }

  for (const args of [['SUBSCRIBE', 'chan'], ['PSUBSCRIBE', 'ch*'], ['--csv', 'SUBSCRIBE', 'chan'], ['--no-raw', 'PSUBSCRIBE', 'c*']]) {
    it(`redis-cli ${args.join(' ')} prints as with Redis`, async () => {
      expect(await cliSession(srv.port, args)).toBe(await cliSession(oracle.port, args));
    });
  }
});
