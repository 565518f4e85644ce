import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { decodeReply, type Reply } from './helpers/resp';
import { closePair, connectPair, expectSame } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

function infoField(raw: string, name: string): string | undefined {
  const text = (decode(raw).v as string).replace(/^txt:/, '');
  for (const line of text.split('\r\n')) if (line.startsWith(name + ':')) return line.slice(name.length + 1);
  return undefined;
}

/** A MONITOR line with its timestamp and client port masked, for comparing servers. */
function maskMonitor(line: string): string {
  return line.replace(/^\+\d{10}\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]/, '+TIME [$1 ADDR]');
}

describe('DBSIZE, TIME, LASTSAVE, FLUSHDB, FLUSHALL', () => {
  it('reply with the right types', async () => {
    const s = await RawSession.connect(srv.port);
    expect(await s.call('FLUSHALL')).toBe('+OK\r\n');
    expect(await s.call('DBSIZE')).toBe(':0\r\n');
    await s.call('SET', 'a', '1');
    expect(await s.call('DBSIZE')).toBe(':1\r\n');
    const t = await s.call('TIME');
    expect(t).toMatch(/^\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n$/);
    const sec = Number((decode(t).v as Reply[])[0]!.v);
    expect(Math.abs(sec - Date.now() / 1000)).toBeLessThan(2);
    expect(await s.call('LASTSAVE')).toBe(`:${srv.state.lastSave}\r\n`);
    s.close();
  });

  it('FLUSHDB empties the selected db only, FLUSHALL every db; both count removed keys as changes', async () => {
    const own = await startTestServer();
    const s = await RawSession.connect(own.port);
    const flushed: number[] = [];
    own.state.flushed = (dbid) => flushed.push(dbid);
    own.state.dbs[0]!.add('x', 'y');
    own.state.dbs[1]!.add('a', 'b');
    own.state.dbs[1]!.add('c', 'd');
    own.state.dbs[1]!.setExpire('c', Date.now() + 10000);
    own.state.dbs[4]!.add('e', 'f');
    own.state.dirty = 0;
    await s.call('SELECT', '1');
    expect(await s.call('FLUSHDB')).toBe('+OK\r\n');
    expect(own.state.dbs[1]!.size).toBe(0);
    expect(own.state.dbs[1]!.expires.size).toBe(0);
    expect(own.state.dbs[0]!.size).toBe(1);
    expect(own.state.dirty).toBe(2);
    expect(await s.call('FLUSHALL', 'ASYNC')).toBe('+OK\r\n');
    expect(own.state.dbs.every((d) => d.size === 0)).toBe(true);
    expect(own.state.dirty).toBe(4);
    expect(flushed).toEqual([1, -1]);
    expect(infoField(await s.call('INFO', 'memory'), 'lazyfreed_objects')).toBe('2');
    s.close();
    await own.close();
  });

  it('works through ioredis', async () => {
    const r = new Redis({ port: srv.port, host: '127.0.0.1' });
    await r.set('k1', 'v');
    expect(await r.dbsize()).toBeGreaterThanOrEqual(1);
    expect(await r.flushdb()).toBe('OK');
    expect(await r.dbsize()).toBe(0);
    const [sec, usec] = await r.time();
    expect(Number(sec)).toBeGreaterThan(1_600_000_000);
    expect(Number(usec)).toBeLessThan(1_000_000);
    expect(await r.lastsave()).toBe(srv.state.lastSave);
    r.disconnect();
  });
});

describe('MONITOR', () => {
  it('streams every command from other connections, after it ran, in Redis format', async () => {
    const m = await RawSession.connect(srv.port);
    expect(await m.call('MONITOR')).toBe('+OK\r\n');
    const c = await RawSession.connect(srv.port);
    await c.call('SET', 'a"b', '\x01\n\\\xff ');
    await c.call('SELECT', '3');
    await c.call('GET', 'x');
    await c.call('SLOWLOG', 'LEN'); // admin: not shown
    await c.call('NOSUCH'); // rejected: not shown
    await c.call('GET'); // arity error: not shown
    await c.call('SELECT', '0');
    const port = c.socket.localPort;
    const lines = [await m.readReply(), await m.readReply(), await m.readReply(), await m.readReply()];
    expect(lines[0]).toMatch(new RegExp(`^\\+\\d{10}\\.\\d{6} \\[0 127\\.0\\.0\\.1:${port}\\] "SET" "a\\\\"b" "\\\\x01\\\\n\\\\\\\\\\\\xff "\\r\\n$`));
    expect(lines[1]).toMatch(/\[3 127\.0\.0\.1:\d+\] "SELECT" "3"\r\n$/);
    expect(lines[2]).toMatch(/\[3 127\.0\.0\.1:\d+\] "GET" "x"\r\n$/);
    expect(lines[3]).toMatch(/\[0 127\.0\.0\.1:\d+\] "SELECT" "0"\r\n$/);
    // a second MONITOR is ignored without a reply; the monitor sees its own PING after the reply
    m.write('*1\r\n$7\r\nMONITOR\r\n*1\r\n$4\r\nPING\r\n');
    expect(await m.readReply()).toBe('+PONG\r\n');
    expect(await m.readReply()).toMatch(/^\+\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "PING"\r\n$/);
    m.close();
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.state.monitors.size).toBe(0);
  });

  it('is understood by ioredis monitor()', async () => {
    const r = new Redis({ port: srv.port, host: '127.0.0.1' });
    const monitor = await r.monitor();
    const seen = new Promise<{ args: string[]; source: string; database: string }>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
        if (args[0] === 'set') resolve({ args, source, database });
      });
    });
    const c = new Redis({ port: srv.port, host: '127.0.0.1', db: 2 });
    await c.set('mk', 'mv');
    const got = await seen;
    expect(got.database).toBe('2');
    expect(got.source).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(got.args).toEqual(['set', 'mk', 'mv']);
    monitor.disconnect();
    c.disconnect();
    r.disconnect();
  });
});

describe('SLOWLOG', () => {
  it('records, lists, counts and resets entries', async () => {
    const own = await startTestServer({ 'slowlog-log-slower-than': '0' });
    const s = await RawSession.connect(own.port);
    await s.call('SET', 'k', 'v');
    expect(await s.call('SLOWLOG', 'LEN')).toBe(':1\r\n');
    const got = decode(await s.call('SLOWLOG', 'GET'));
    const entries = got.v as Reply[];
    expect(entries.length).toBe(2);
    const first = entries[0]!.v as Reply[];
    expect(first.map((x) => x.t)).toEqual([':', ':', ':', '*', '$', '$']);
    expect((first[3]!.v as Reply[]).map((x) => x.v)).toEqual(['SLOWLOG', 'LEN']);
    expect(first[4]!.v).toBe(`127.0.0.1:${s.socket.localPort}`);
    expect(Number(first[0]!.v)).toBe(Number((entries[1]!.v as Reply[])[0]!.v) + 1);
    expect(await s.call('SLOWLOG', 'RESET')).toBe('+OK\r\n');
    expect(await s.call('SLOWLOG', 'LEN')).toBe(':1\r\n'); // the RESET itself
    expect(decode(await s.call('SLOWLOG', 'GET', '1')).v).toHaveLength(1);
    s.close();
    await own.close();
  });
});

describe.skipIf(!oracleAvailable)('server commands against the oracle', () => {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
  });

  it('DBSIZE / FLUSHDB / FLUSHALL / LASTSAVE / TIME replies and errors are identical', async () => {
    const own = await startTestServer();
    const pair = await connectPair(own.port, oracle.port);
    await expectSame(pair, [
      ['FLUSHALL'],
      ['SELECT', '1'],
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['DBSIZE'],
      ['SELECT', '2'],
      ['SET', 'c', '3'],
      ['DBSIZE'],
      ['FLUSHDB'],
      ['DBSIZE'],
      ['SELECT', '1'],
      ['DBSIZE'],
      ['FLUSHDB', 'x'],
      ['FLUSHDB', 'async', 'sync'],
      ['FLUSHDB', 'ASYNC'],
      ['DBSIZE'],
      ['SET', 'a', '1'],
      ['FLUSHALL', 'sync'],
      ['DBSIZE'],
      ['FLUSHALL', 'bad'],
      ['FLUSHALL', 'SYNC', 'ASYNC'],
      ['DBSIZE', 'extra'],
      ['LASTSAVE', 'extra'],
      ['TIME', 'extra'],
      ['MONITOR', 'extra'],
    ]);
    const [a, b] = await Promise.all([pair.ours.call('INFO', 'persistence'), pair.theirs.call('INFO', 'persistence')]);
    expect(infoField(a, 'rdb_changes_since_last_save')).toBe(infoField(b, 'rdb_changes_since_last_save'));
    closePair(pair);
    await own.close();
  });

  it('SLOWLOG errors, HELP and entry shapes (truncated arguments included) are identical', async () => {
    srv.state.config.set('slowlog-log-slower-than', '0');
    const pair = await connectPair(srv.port, oracle.port);
    await pair.theirs.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await expectSame(pair, [
      ['SLOWLOG'],
      ['SLOWLOG', 'foo'],
      ['SLOWLOG', 'HELP'],
      ['SLOWLOG', 'help', 'x'],
      ['SLOWLOG', 'GET', '-2'],
      ['SLOWLOG', 'GET', 'x'],
      ['SLOWLOG', 'GET', '1', '2'],
      ['SLOWLOG', 'RESET', 'x'],
      ['SLOWLOG', 'LEN', 'x'],
      ['SLOWLOG', 'RESET'],
      ['SET', 'k', 'x'.repeat(200)],
      ['EXISTS', ...Array.from({ length: 40 }, (_, i) => `key${i}`)],
    ]);
    const entries = async (sess: RawSession) =>
      (decode(await sess.call('SLOWLOG', 'GET', '-1')).v as Reply[]).map((e) => {
        const f = e.v as Reply[];
        return [f.map((x) => x.t).join(''), (f[3]!.v as Reply[]).map((x) => x.v), String(f[4]!.v).replace(/:\d+$/, ''), f[5]!.v];
      });
    expect(await entries(pair.ours)).toEqual(await entries(pair.theirs));
    srv.state.config.set('slowlog-log-slower-than', '10000');
    await pair.theirs.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    closePair(pair);
  });

  it('MONITOR lines are identical apart from time and port', async () => {
    const servers = [srv.port, oracle.port];
    const results: string[][] = [];
    for (const port of servers) {
      const m = await RawSession.connect(port);
      await m.call('MONITOR');
      const c = await RawSession.connect(port);
      for (const cmd of [
        ['SET', 'a"b', '\x01\n\\\xff \t\r\x07\x08'],
        ['SELECT', '3'],
        ['GET', 'x'],
        ['SLOWLOG', 'LEN'],
        ['NOSUCH'],
        ['GET'],
        ['ECHO', 'héllo'],
        ['SELECT', '0'],
      ]) {
        await c.call(...cmd);
      }
      await m.call('PING');
      const lines: string[] = [];
      for (let i = 0; i < 6; i++) lines.push(maskMonitor(await m.readReply()));
      results.push(lines);
      m.close();
      c.close();
    }
    expect(results[0]).toEqual(results[1]);
  });
});
