/*
 * FUNCTION libraries in persistence, checked against real Redis 7.0: RDB files both ways (and
 * redis-check-rdb on ours), BGSAVE, DEBUG RELOAD and its NOFLUSH/MERGE outcomes side by side with
 * Redis, the AOF (a base without preamble holds FUNCTION LOAD as Redis writes it; FUNCTION
 * LOAD/DELETE/FLUSH/RESTORE go to the incremental file as they came; both servers load each other's
 * AOF), and replication full syncs to a tredis and a real Redis replica.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { libraryCodes, restoreLibraries } from '../src/commands/persistence-functions';
import { closePair, connectPair, expectSame } from './helpers/diff';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';
import { until } from './helpers/setup';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-fnp-'));
  dirs.push(d);
  return d;
}

const LIB1 = "#!lua name=lib1\nredis.register_function('echo1', function(keys, args) return args[1] end)";
const LIB2 =
  "#!lua name=lib2\nredis.register_function{function_name='ro2', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}";
const LIB3 = "#!lua name=lib3\nredis.register_function('three', function() return 3 end)";

/** Library names, sorted (Redis lists them in its dict's order). */
async function libNames(r: Redis): Promise<string[]> {
  const list = (await r.call('FUNCTION', 'LIST')) as unknown[][];
  return list.map((l) => String(l[1])).sort();
}

async function waitPersistence(r: Redis): Promise<void> {
  await until('background work to end', async () => {
    const info = await r.info('persistence');
    return info.includes('rdb_bgsave_in_progress:0') && info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0');
  });
}

describe.skipIf(!oracleAvailable)('FUNCTION libraries in RDB files', () => {
  it("Redis's dump.rdb with libraries loads in tredis: FCALL works", async () => {
    const dir = tempDir();
    const o = await startOracle(['--dir', dir]);
    const or = new Redis(o.port, '127.0.0.1');
    try {
      await or.call('FUNCTION', 'LOAD', LIB1);
      await or.call('FUNCTION', 'LOAD', LIB2);
      await or.set('k', 'from-redis');
      expect(await or.save()).toBe('OK');
    } finally {
      or.disconnect();
      await o.close();
    }
    const srv = await startTestServer({ dir });
    const r = new Redis(srv.port, '127.0.0.1');
    try {
      expect(await libNames(r)).toEqual(['lib1', 'lib2']);
      expect(await r.call('FCALL', 'echo1', '0', 'hi')).toBe('hi');
      expect(await r.call('FCALL_RO', 'ro2', '1', 'k')).toBe('from-redis');
    } finally {
      r.disconnect();
      await srv.close();
    }
  });

  it('our SAVE and BGSAVE files carry the libraries: redis-check-rdb passes, Redis and tredis load them', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir });
    const r = new Redis(srv.port, '127.0.0.1');
    try {
      await r.call('FUNCTION', 'LOAD', LIB1);
      await r.call('FUNCTION', 'LOAD', LIB2);
      await r.set('k', 'from-tredis');
      expect(await r.save()).toBe('OK');
      const check = spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'latin1' });
      expect(check.stdout).toContain('RDB looks OK!');
      expect(check.status).toBe(0);
      // BGSAVE: the libraries as of its start
      await r.call('FUNCTION', 'LOAD', LIB3);
      expect(await r.bgsave()).toBe('Background saving started');
      await r.call('FUNCTION', 'DELETE', 'lib1');
      await waitPersistence(r);
    } finally {
      r.disconnect();
      await srv.close();
    }
    const o = await startOracle(['--dir', dir]);
    const or = new Redis(o.port, '127.0.0.1');
    try {
      expect(await libNames(or)).toEqual(['lib1', 'lib2', 'lib3']);
      expect(await or.call('FCALL', 'echo1', '0', 'x')).toBe('x');
      expect(await or.call('FCALL_RO', 'ro2', '1', 'k')).toBe('from-tredis');
    } finally {
      or.disconnect();
      await o.close();
    }
    const again = await startTestServer({ dir });
    const r2 = new Redis(again.port, '127.0.0.1');
    try {
      expect(await libNames(r2)).toEqual(['lib1', 'lib2', 'lib3']);
      expect(await r2.call('FCALL', 'three', '0')).toBe(3);
    } finally {
      r2.disconnect();
      await again.close();
    }
  });

  it('DEBUG RELOAD keeps the libraries; NOFLUSH fails on an existing one, MERGE replaces (as Redis)', async () => {
    const srv = await startTestServer({ dir: tempDir(), 'enable-debug-command': 'yes' });
    const o = await startOracle(['--enable-debug-command', 'yes']);
    const pair = await connectPair(srv.port, o.port);
    try {
      await expectSame(pair, [
        ['FUNCTION', 'LOAD', LIB1],
        ['DEBUG', 'RELOAD'],
        ['FCALL', 'echo1', '0', 'again'],
        ['FUNCTION', 'LIST', 'WITHCODE'],
        ['DEBUG', 'RELOAD', 'NOFLUSH'],
        ['DEBUG', 'RELOAD', 'NOFLUSH', 'MERGE'],
        ['FUNCTION', 'LIST'],
        // a library loaded after the save is gone after a reload that flushes
        ['DEBUG', 'RELOAD'],
        ['FUNCTION', 'LOAD', LIB3],
        ['DEBUG', 'RELOAD', 'NOSAVE'],
        ['FUNCTION', 'LIST'],
        ['FCALL', 'three', '0'],
      ]);
    } finally {
      closePair(pair);
      await srv.close();
      await o.close();
    }
  });
});

function aofFiles(dir: string, suffix: string): string {
  const ad = path.join(dir, 'appendonlydir');
  const f = readdirSync(ad).find((n) => n.endsWith(suffix));
  return f === undefined ? '' : readFileSync(path.join(ad, f), 'latin1');
}

function loadCmd(code: string): string {
  return `*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$${code.length}\r\n${code}\r\n`;
}

describe.skipIf(!oracleAvailable)('FUNCTION libraries in the AOF', () => {
  it('a base without preamble starts with FUNCTION LOAD; changes go to the incr file; restart and Redis load them', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no', appendfsync: 'always' });
    const r = new Redis(srv.port, '127.0.0.1');
    let dump = '';
    try {
      await waitPersistence(r);
      await r.call('FUNCTION', 'LOAD', LIB1);
      await r.set('k', 'v');
      expect(await r.bgrewriteaof()).toBe('Background append only file rewriting started');
      await waitPersistence(r);
      const base = aofFiles(dir, '.base.aof');
      expect(base.startsWith(loadCmd(LIB1))).toBe(true);
      await r.call('FUNCTION', 'LOAD', LIB2);
      await r.call('FUNCTION', 'LOAD', LIB3);
      await r.call('FUNCTION', 'DELETE', 'lib3');
      dump = String(await r.callBuffer('FUNCTION', 'DUMP').then((b) => (b as Buffer).toString('latin1')));
      await r.call('FUNCTION', 'FLUSH');
      await r.call('FUNCTION', 'RESTORE', Buffer.from(dump, 'latin1'));
      const incr = aofFiles(dir, '.incr.aof');
      expect(incr).toContain(loadCmd(LIB2));
      expect(incr).toContain('*3\r\n$8\r\nFUNCTION\r\n$6\r\nDELETE\r\n$4\r\nlib3\r\n');
      expect(incr).toContain('*2\r\n$8\r\nFUNCTION\r\n$5\r\nFLUSH\r\n');
      expect(incr).toContain('$7\r\nRESTORE\r\n');
    } finally {
      r.disconnect();
      await srv.close();
    }
    const again = await startTestServer({ dir, appendonly: 'yes' });
    const r2 = new Redis(again.port, '127.0.0.1');
    try {
      expect(await libNames(r2)).toEqual(['lib1', 'lib2']);
      expect(await r2.call('FCALL_RO', 'ro2', '1', 'k')).toBe('v');
    } finally {
      r2.disconnect();
      await again.close();
    }
    const o = await startOracle(['--dir', dir, '--appendonly', 'yes']);
    const or = new Redis(o.port, '127.0.0.1');
    try {
      expect(await libNames(or)).toEqual(['lib1', 'lib2']);
      expect(await or.call('FCALL', 'echo1', '0', 'z')).toBe('z');
    } finally {
      or.disconnect();
      await o.close();
    }
  });

  it('an RDB-preamble base carries the libraries; an AOF Redis wrote (no preamble) loads in tredis', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes' });
    const r = new Redis(srv.port, '127.0.0.1');
    try {
      await waitPersistence(r);
      await r.call('FUNCTION', 'LOAD', LIB1);
      await r.bgrewriteaof();
      await waitPersistence(r);
      expect(aofFiles(dir, '.base.rdb').startsWith('REDIS0010')).toBe(true);
    } finally {
      r.disconnect();
      await srv.close();
    }
    const again = await startTestServer({ dir, appendonly: 'yes' });
    const r2 = new Redis(again.port, '127.0.0.1');
    try {
      expect(await libNames(r2)).toEqual(['lib1']);
    } finally {
      r2.disconnect();
      await again.close();
    }

    const theirs = tempDir();
    const o = await startOracle(['--dir', theirs, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
    const or = new Redis(o.port, '127.0.0.1');
    try {
      await or.call('FUNCTION', 'LOAD', LIB2);
      await or.set('k', 'theirs');
      await or.bgrewriteaof();
      await waitPersistence(or);
      await or.call('FUNCTION', 'LOAD', LIB3);
    } finally {
      or.disconnect();
      await o.close();
    }
    const ours = await startTestServer({ dir: theirs, appendonly: 'yes' });
    const r3 = new Redis(ours.port, '127.0.0.1');
    try {
      expect(await libNames(r3)).toEqual(['lib2', 'lib3']);
      expect(await r3.call('FCALL_RO', 'ro2', '1', 'k')).toBe('theirs');
    } finally {
      r3.disconnect();
      await ours.close();
    }
  });
});

describe.skipIf(!oracleAvailable)('FUNCTION libraries in replication full syncs', () => {
  it('a tredis replica and a real Redis replica get the leader libraries (a stale one is dropped); tredis following Redis too', async () => {
    const leader = await startTestServer({ dir: tempDir() });
    const l = new Redis(leader.port, '127.0.0.1');
    const replica = await startTestServer({ dir: tempDir() });
    const rr = new Redis(replica.port, '127.0.0.1');
    const o = await startOracle(['--repl-diskless-sync-delay', '0']);
    const or = new Redis(o.port, '127.0.0.1');
    try {
      await l.call('FUNCTION', 'LOAD', LIB1);
      await l.call('FUNCTION', 'LOAD', LIB2);
      await l.set('k', 'lead');
      await rr.call('FUNCTION', 'LOAD', LIB3);
      await or.call('FUNCTION', 'LOAD', LIB3);
      await rr.replicaof('127.0.0.1', String(leader.port));
      await or.replicaof('127.0.0.1', String(leader.port));
      for (const x of [rr, or]) {
        await until('the replica to sync', async () => (await x.get('k')) === 'lead');
        expect(await libNames(x)).toEqual(['lib1', 'lib2']);
        expect(await x.call('FCALL_RO', 'ro2', '1', 'k')).toBe('lead');
      }
      // live: FUNCTION commands propagate as they came
      await l.call('FUNCTION', 'DELETE', 'lib1');
      await l.set('after', '1');
      for (const x of [rr, or]) {
        await until('the live stream', async () => (await x.get('after')) === '1');
        expect(await libNames(x)).toEqual(['lib2']);
      }
      await rr.replicaof('NO', 'ONE');
      await or.replicaof('NO', 'ONE');
      // and the other way: tredis follows the real Redis, whose libraries replace ours
      await or.call('FUNCTION', 'LOAD', LIB3);
      await or.set('from', 'redis');
      await rr.replicaof('127.0.0.1', String(o.port));
      await until('the replica of Redis to sync', async () => (await rr.get('from')) === 'redis', 20000);
      expect(await libNames(rr)).toEqual(['lib2', 'lib3']);
      expect(await rr.call('FCALL', 'three', '0')).toBe(3);
      await rr.replicaof('NO', 'ONE');
    } finally {
      l.disconnect();
      rr.disconnect();
      or.disconnect();
      await leader.close();
      await replica.close();
      await o.close();
    }
  });
});

describe('keeping libraries across a failed load', () => {
  it('restoreLibraries puts back what libraryCodes took (a swapdb replica load that fails)', async () => {
    const srv = await startTestServer({ dir: tempDir() });
    const r = new Redis(srv.port, '127.0.0.1');
    try {
      await r.call('FUNCTION', 'LOAD', LIB1);
      await r.call('FUNCTION', 'LOAD', LIB2);
      const codes = libraryCodes(srv.state);
      expect(codes).toEqual([LIB1, LIB2]);
      await r.call('FUNCTION', 'FLUSH');
      await r.call('FUNCTION', 'LOAD', LIB3);
      restoreLibraries(srv.state, codes);
      expect(await libNames(r)).toEqual(['lib1', 'lib2']);
      expect(await r.call('FCALL', 'echo1', '0', 'back')).toBe('back');
    } finally {
      r.disconnect();
      await srv.close();
    }
  });
});
