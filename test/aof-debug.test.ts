/*
 * DEBUG LOADAOF side by side with real Redis 7.0: with appendonly on it reloads what the AOF holds
 * (libraries included); with appendonly off it reloads what an earlier appendonly period left, so
 * later writes are gone in both. What it loads is not written to the AOF a second time.
 * (With no AOF at all both servers exit: test/aof-crash.test.ts runs that against a process.)
 * Also appendfsync everysec: writes that meet the background fsync wait for it and still all reach
 * the file; INFO's aof_delayed_fsync / aof_pending_bio_fsync.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';
import { until } from './helpers/setup';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-aofdbg-'));
  dirs.push(d);
  return d;
}

const LIB = "#!lua name=lib1\nredis.register_function('echo1', function(keys, args) return args[1] end)";

async function rewritesDone(pair: Pair): Promise<void> {
  for (const s of [pair.ours, pair.theirs]) {
    await until('the AOF rewrite to end', async () => {
      const info = await s.call('INFO', 'persistence');
      return info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0');
    });
  }
}

describe.skipIf(!oracleAvailable)('DEBUG LOADAOF', () => {
  it('reloads the AOF with appendonly on and off, as Redis 7.0', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const o = await startOracle(['--dir', tempDir(), '--appendonly', 'yes', '--enable-debug-command', 'yes']);
    const pair = await connectPair(srv.port, o.port);
    try {
      await rewritesDone(pair);
      await expectSame(pair, [
        ['SET', 'a', '1'],
        ['RPUSH', 'l', 'x', 'y'],
        ['FUNCTION', 'LOAD', LIB],
        ['SET', 'tmp', 'v', 'PX', '100000'],
        ['DEBUG', 'LOADAOF'],
        ['DBSIZE'],
        ['LRANGE', 'l', '0', '-1'],
        ['FCALL', 'echo1', '0', 'back'],
        ['DEBUG', 'LOADAOF', 'extra'],
        ['DBSIZE'],
        // off: the AOF of the earlier period is what comes back; `b` is lost
        ['CONFIG', 'SET', 'appendonly', 'no'],
        ['SET', 'b', '2'],
        ['FUNCTION', 'DELETE', 'lib1'],
        ['DEBUG', 'LOADAOF'],
        ['EXISTS', 'a', 'b'],
        ['FCALL', 'echo1', '0', 'again'],
        ['CONFIG', 'SET', 'appendonly', 'yes'],
      ]);
      await rewritesDone(pair);
      await expectSame(pair, [
        ['SET', 'c', '3'],
        ['DEBUG', 'LOADAOF'],
        ['EXISTS', 'a', 'b', 'c'],
        ['DBSIZE'],
        ['EXISTS', 'tmp'],
      ]);
      // the reload did not append what it ran: the incr file has only the SET (with its SELECT)
      const ad = path.join(dir, 'appendonlydir');
      const incr = readdirSync(ad).filter((n) => n.endsWith('.incr.aof'));
      expect(incr).toHaveLength(1);
      expect(readFileSync(path.join(ad, incr[0]!), 'latin1')).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n');
    } finally {
      closePair(pair);
      await srv.close();
      await o.close();
    }
  });
});

describe('appendfsync everysec', () => {
  it('writes arriving while the background fsync runs all reach the file; INFO fsync fields', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', appendfsync: 'everysec' });
    const s = await RawSession.connect(srv.port);
    try {
      await until('the first rewrite', async () => (await s.call('INFO', 'persistence')).includes('aof_rewrite_in_progress:0'));
      const end = Date.now() + 2300;
      let n = 0;
      while (Date.now() < end) {
        await s.call('SET', `k${n}`, String(n));
        n++;
      }
      const ad = path.join(dir, 'appendonlydir');
      const incr = (): string => readFileSync(path.join(ad, readdirSync(ad).find((f) => f.endsWith('.incr.aof'))!), 'latin1');
      const last = `$${String(n - 1).length + 1}\r\nk${n - 1}\r\n`;
      await until('every write in the file', async () => incr().includes(last), 4000);
      expect(incr().split('*3\r\n$3\r\nSET\r\n').length - 1).toBe(n);
      const info = await s.call('INFO', 'persistence');
      expect(info).toContain('aof_delayed_fsync:0\r\n');
      expect(info).toMatch(/aof_pending_bio_fsync:[01]\r\n/);
    } finally {
      s.close();
      await srv.close();
    }
  });
});
