/*
 * RDB files between tredis and real Redis 7.0: a file tredis SAVEs passes redis-check-rdb and loads
 * in redis-server with the same DEBUG DIGEST and OBJECT ENCODINGs; a file Redis SAVEs (every type
 * and encoding, expiries, LZF strings, a stream) loads in tredis with the same digest. Also SAVE's
 * bookkeeping (LASTSAVE, INFO persistence), DEBUG RELOAD, saving on SHUTDOWN, rdbchecksum, corrupt
 * files, and loading when the server starts.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawSession } from './helpers/raw';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

const checkRdbAvailable = spawnSync('redis-check-rdb', ['--version']).error === undefined;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tredis-rdb-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const long = (n: number, unit = 'abcdefgh'): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** Commands building a keyspace with every type and encoding Redis 7.0 writes, in two dbs. */
function dataset(): string[][] {
  const cmds: string[][] = [
    ['SET', 'str:int', '12345'],
    ['SET', 'str:big', '-9223372036854775808'],
    ['SET', 'str:short', 'hello'],
    ['SET', 'str:lzf', long(1000, 'compress me please ')],
    ['SET', 'str:bin', '\x00\x01\xff\r\n'],
    ['SET', 'str:ttl', 'v', 'PX', '100000000'],
    ['HSET', 'hash:lp', 'a', '1', 'b', long(40)],
    ['HSET', 'hash:ht', ...Array.from({ length: 600 }, (_, i) => [`field:${i}`, long(i % 50)]).flat()],
    ['SADD', 'set:intset', '1', '2', '-5', '100000'],
    ['SADD', 'set:ht', 'a', 'b', long(30)],
    ['SADD', 'set:bigints', ...Array.from({ length: 600 }, (_, i) => String(i))],
    ['ZADD', 'zset:lp', '1', 'a', '2.5', 'b', '-inf', 'c'],
    ['ZADD', 'zset:sl', ...Array.from({ length: 300 }, (_, i) => [String(i / 7), `member:${i}`]).flat()],
    ['RPUSH', 'list:small', 'a', 'b', '1', long(100)],
    ['RPUSH', 'list:big', ...Array.from({ length: 2000 }, (_, i) => `item ${i} ${long(i % 40)}`)],
    ['EXPIRE', 'hash:lp', '100000'],
    ['SELECT', '3'],
    ['SET', 'db3:key', long(50, 'xyz')],
    ['ZADD', 'db3:z', '1', 'x'],
    ['PEXPIRE', 'db3:z', '500000'],
    ['SELECT', '0'],
  ];
  for (let i = 0; i < 500; i++) cmds.push(['SET', `many:${i}`, i % 3 === 0 ? String(i) : `value ${i}`]);
  return cmds;
}

async function run(s: RawSession, cmds: string[][]): Promise<void> {
  for (const c of cmds) {
    const r = await s.call(...c);
    expect(r[0], `${c.join(' ')} -> ${r}`).not.toBe('-');
  }
}

async function encodings(s: RawSession, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) out.push(`${k}=${await s.call('OBJECT', 'ENCODING', k)}`);
  return out;
}

const KEYS0 = ['str:int', 'str:big', 'str:short', 'str:lzf', 'str:bin', 'hash:lp', 'hash:ht', 'set:intset', 'set:ht', 'set:bigints', 'zset:lp', 'zset:sl', 'list:small', 'list:big'];

describe.skipIf(!oracleAvailable)('RDB files with real Redis 7.0', () => {
  it('a file tredis saves passes redis-check-rdb and loads in redis-server with the same digest', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, dbfilename: 'ours.rdb', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    try {
      await run(s, dataset());
      expect(await s.call('SAVE')).toBe('+OK\r\n');
      const digest = await s.call('DEBUG', 'DIGEST');
      const enc = await encodings(s, KEYS0);
      if (checkRdbAvailable) {
        const check = spawnSync('redis-check-rdb', [path.join(dir, 'ours.rdb')], { encoding: 'latin1' });
        expect(check.stdout).toContain('RDB looks OK');
        expect(check.status).toBe(0);
      }
      const oracle = await startOracle(['--dir', dir, '--dbfilename', 'ours.rdb', '--enable-debug-command', 'yes']);
      const o = await RawSession.connect(oracle.port);
      try {
        expect(await o.call('DEBUG', 'DIGEST')).toBe(digest);
        expect(await encodings(o, KEYS0)).toEqual(enc);
        expect(await o.call('DBSIZE')).toBe(await s.call('DBSIZE'));
        const pttl = await o.call('PTTL', 'str:ttl');
        expect(Number(pttl.slice(1))).toBeGreaterThan(99_000_000);
        await o.call('SELECT', '3');
        expect(await o.call('GET', 'db3:key')).toBe(`$50\r\n${long(50, 'xyz')}\r\n`);
      } finally {
        o.close();
        await oracle.close();
      }
    } finally {
      s.close();
      await srv.close();
    }
  }, 30000);

  it('access times travel in the file: IDLE under LRU policies, FREQ under LFU', async () => {
    for (const [policy, probe] of [['allkeys-lru', 'IDLETIME'], ['allkeys-lfu', 'FREQ']] as const) {
      const dir = tempDir();
      const srv = await startTestServer({ dir, 'maxmemory-policy': policy, 'enable-debug-command': 'yes' });
      const s = await RawSession.connect(srv.port);
      try {
        await run(s, [['SET', 'k', 'v'], ['HSET', 'h', 'a', '1']]);
        if (policy === 'allkeys-lru') srv.state.dbs[0]!.lru[srv.state.dbs[0]!.map.get('k')!]! -= 500;
        else for (let i = 0; i < 50; i++) await s.call('GET', 'k');
        const before = await s.call('OBJECT', probe, 'k');
        expect(await s.call('SAVE')).toBe('+OK\r\n');
        if (checkRdbAvailable) expect(spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')]).status).toBe(0);
        const oracle = await startOracle(['--dir', dir, '--maxmemory-policy', policy]);
        const o = await RawSession.connect(oracle.port);
        try {
          const after = await o.call('OBJECT', probe, 'k');
          if (policy === 'allkeys-lru') expect(Math.abs(Number(after.slice(1)) - 500)).toBeLessThan(3);
          else expect(after).toBe(before);
        } finally {
          o.close();
          await oracle.close();
        }
      } finally {
        s.close();
        await srv.close();
      }
    }
  });

  it('a file Redis saves loads in tredis with the same digest (LZF, compressed quicklist nodes, expiries, every encoding)', async () => {
    const dir = tempDir();
    const oracle = await startOracle(['--dir', dir, '--dbfilename', 'theirs.rdb', '--enable-debug-command', 'yes', '--rdbcompression', 'yes', '--list-compress-depth', '1']);
    const o = await RawSession.connect(oracle.port);
    let digest: string;
    let enc: string[];
    try {
      await run(o, dataset());
      // a stream (rdb-stream.test.ts covers streams in depth)
      await run(o, [['XADD', 'stream', '1-1', 'a', '1'], ['XGROUP', 'CREATE', 'stream', 'g', '0'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'stream', '>']]);
      digest = await o.call('DEBUG', 'DIGEST');
      enc = await encodings(o, KEYS0);
      // a key that will have expired by the time tredis loads the file
      await run(o, [['SET', 'soon', 'gone', 'PX', '150'], ['SAVE']]);
    } finally {
      o.close();
      await oracle.close();
    }
    const file = readFileSync(path.join(dir, 'theirs.rdb'));
    expect(file.includes(Buffer.from([0xc3]))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    // oracle.close() removed its own dir only; ours holds the file
    const srv = await startTestServer({ dir, dbfilename: 'theirs.rdb', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    try {
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await encodings(s, KEYS0)).toEqual(enc);
      const info = await s.call('INFO', 'persistence');
      expect(info).toContain('rdb_last_load_keys_expired:1');
      expect(info).toMatch(/rdb_last_load_keys_loaded:5\d\d\r\n/);
      expect(await s.call('XPENDING', 'stream', 'g')).toBe('*4\r\n:1\r\n$3\r\n1-1\r\n$3\r\n1-1\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n1\r\n');
    } finally {
      s.close();
      await srv.close();
    }
  }, 30000);
});

describe('SAVE, DEBUG RELOAD, SHUTDOWN and start-up loading', () => {
  it('SAVE writes the file, resets the dirty counter, moves LASTSAVE; a new server loads it', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    let digest: string;
    try {
      await run(s, dataset());
      expect(await s.call('INFO', 'persistence')).toMatch(/rdb_changes_since_last_save:[1-9]/);
      srv.state.lastSave = 0;
      expect(await s.call('SAVE')).toBe('+OK\r\n');
      const info = await s.call('INFO', 'persistence');
      expect(info).toContain('rdb_changes_since_last_save:0\r\n');
      expect(info).toContain('rdb_saves:1\r\n');
      expect(info).toContain('rdb_last_bgsave_status:ok\r\n');
      expect(Number((await s.call('LASTSAVE')).slice(1))).toBeGreaterThan(0);
      expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
      expect(existsSync(path.join(dir, `temp-${process.pid}.rdb`))).toBe(false);
      digest = await s.call('DEBUG', 'DIGEST');
    } finally {
      s.close();
      await srv.close();
    }
    const again = await startTestServer({ dir, 'enable-debug-command': 'yes' });
    const t = await RawSession.connect(again.port);
    try {
      expect(await t.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await t.call('INFO', 'persistence')).toContain('rdb_last_load_keys_loaded:517');
      expect(await encodings(t, KEYS0)).toEqual([
        'str:int=$3\r\nint\r\n', 'str:big=$3\r\nint\r\n', 'str:short=$6\r\nembstr\r\n', 'str:lzf=$3\r\nraw\r\n', 'str:bin=$6\r\nembstr\r\n',
        'hash:lp=$8\r\nlistpack\r\n', 'hash:ht=$9\r\nhashtable\r\n', 'set:intset=$6\r\nintset\r\n', 'set:ht=$9\r\nhashtable\r\n',
        'set:bigints=$9\r\nhashtable\r\n', 'zset:lp=$8\r\nlistpack\r\n', 'zset:sl=$8\r\nskiplist\r\n', 'list:small=$9\r\nquicklist\r\n',
        'list:big=$9\r\nquicklist\r\n',
      ]);
    } finally {
      t.close();
      await again.close();
    }
  });

  it('DEBUG RELOAD keeps the dataset (digest, TTLs); NOSAVE reloads the last file', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    try {
      await run(s, dataset());
      const digest = await s.call('DEBUG', 'DIGEST');
      expect(await s.call('DEBUG', 'RELOAD')).toBe('+OK\r\n');
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(Number((await s.call('TTL', 'str:ttl')).slice(1))).toBeGreaterThan(99_000);
      await s.call('SET', 'later', '1');
      expect(await s.call('DEBUG', 'RELOAD', 'NOSAVE')).toBe('+OK\r\n');
      expect(await s.call('EXISTS', 'later')).toBe(':0\r\n');
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await s.call('DEBUG', 'RELOAD', 'FOO')).toBe('-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n');
    } finally {
      s.close();
      await srv.close();
    }
  });

  it('SHUTDOWN saves when save rules are set, not with NOSAVE', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '3600 1', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await s.call('SET', 'k', 'v');
    s.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    await s.readUntilClosed(5000);
    s.close();
    await srv.close();
    expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    const dir2 = tempDir();
    const srv2 = await startTestServer({ dir: dir2, save: '3600 1' });
    const s2 = await RawSession.connect(srv2.port);
    await s2.call('SET', 'k', 'v');
    s2.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    await s2.readUntilClosed(5000);
    s2.close();
    await srv2.close();
    expect(existsSync(path.join(dir2, 'dump.rdb'))).toBe(false);
  });

  it('rdbchecksum no writes a zero trailer that loads; a corrupt file refuses to start', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, rdbchecksum: 'no' });
    const s = await RawSession.connect(srv.port);
    await s.call('SET', 'k', 'v');
    expect(await s.call('SAVE')).toBe('+OK\r\n');
    s.close();
    await srv.close();
    const file = path.join(dir, 'dump.rdb');
    const buf = readFileSync(file);
    expect(buf.subarray(buf.length - 8).equals(Buffer.alloc(8))).toBe(true);
    const again = await startTestServer({ dir });
    const t = await RawSession.connect(again.port);
    expect(await t.call('GET', 'k')).toBe('$1\r\nv\r\n');
    t.close();
    // flip a byte of a checksummed file
    expect(await (async () => {
      const u = await RawSession.connect(again.port);
      await u.call('CONFIG', 'SET', 'rdbchecksum', 'yes');
      const r = await u.call('SAVE');
      u.close();
      return r;
    })()).toBe('+OK\r\n');
    await again.close();
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length - 12] = bad[bad.length - 12]! ^ 0x55;
    writeFileSync(file, bad);
    await expect(startTestServer({ dir })).rejects.toThrow(/Fatal error loading the DB/);
    writeFileSync(file, good.subarray(0, good.length - 20));
    await expect(startTestServer({ dir })).rejects.toThrow(/Fatal error loading the DB/);
  });
});
