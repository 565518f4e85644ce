/*
 * AOF: Redis 7's multi-part layout written and read by tredis, checked against real Redis 7.0
 * (it loads our AOF directory with the same DEBUG DIGEST, and we load one it wrote), BGREWRITEAOF,
 * CONFIG SET appendonly at runtime, and a torn tail dropped by aof-load-truncated.
 */

import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-aof-'));
  dirs.push(d);
  return d;
}

function manifest(dir: string): string {
  return readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
}

async function waitRewrite(s: RawSession): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = await s.call('INFO', 'persistence');
    if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('rewrite did not finish');
}

async function writeMix(s: RawSession, tag: string): Promise<void> {
  const calls: string[][] = [
    ['SET', `str:${tag}`, 'hello\x00\xff'],
    ['SET', `ttl:${tag}`, 'v', 'EX', '1000'],
    ['INCR', `n:${tag}`],
    ['INCRBY', `n:${tag}`, '41'],
    ['HSET', `h:${tag}`, 'a', '1', 'b', '2'],
    ['RPUSH', `l:${tag}`, 'x', 'y', 'z'],
    ['LPOP', `l:${tag}`],
    ['SADD', `s:${tag}`, 'm1', 'm2', 'm3', '7'],
    ['SPOP', `s:${tag}`],
    ['ZADD', `z:${tag}`, '1.5', 'a', '2', 'b'],
    ['XADD', `x:${tag}`, '1-1', 'f', 'v'],
    ['SELECT', '3'],
    ['SET', `db3:${tag}`, 'three'],
    ['EXPIRE', `db3:${tag}`, '500'],
    ['MULTI'],
    ['SET', `tx1:${tag}`, '1'],
    ['SET', `tx2:${tag}`, '2'],
    ['EXEC'],
    ['SELECT', '0'],
    ['DEL', `str:${tag}`],
    ['SET', `str2:${tag}`, 'again'],
  ];
  for (const c of calls) await s.call(...c);
}

async function oracleDigest(dir: string): Promise<{ digest: string; dbsize: string }> {
  const o = await startOracle(['--appendonly', 'yes', '--dir', dir, '--enable-debug-command', 'yes']);
  try {
    const s = await RawSession.connect(o.port);
    const digest = await s.call('DEBUG', 'DIGEST');
    const dbsize = await s.call('DBSIZE');
    s.close();
    return { digest, dbsize };
  } finally {
    await o.close();
  }
}

describe('AOF layout and loading', () => {
  it('appendonly yes makes base + incr + manifest; writes survive a restart; BGREWRITEAOF swaps', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', appendfsync: 'always', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    await writeMix(s, 'a');
    const incr = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    expect(incr.startsWith('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n')).toBe(true);
    expect(incr).toContain('PXAT');
    expect(await s.call('BGREWRITEAOF')).toBe('+Background append only file rewriting started\r\n');
    await waitRewrite(s);
    await writeMix(s, 'b');
    expect(manifest(dir)).toBe('file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
    expect(readdirSync(path.join(dir, 'appendonlydir')).sort()).toEqual(['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
    const info = await s.call('INFO', 'persistence');
    expect(info).toContain('aof_enabled:1');
    expect(info).toContain('aof_rewrites:1');
    expect(info).toMatch(/aof_current_size:[1-9]/);
    const digest = await s.call('DEBUG', 'DIGEST');
    const dbsize = await s.call('DBSIZE');
    s.close();
    await srv.close();

    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(digest);
    expect(await s2.call('DBSIZE')).toBe(dbsize);
    s2.close();
    await again.close();

    if (oracleAvailable) {
      const o = await oracleDigest(dir);
      expect(o.digest).toBe(digest);
      expect(o.dbsize).toBe(dbsize);
    }
  });

  it('aof-use-rdb-preamble no: the base is commands; tredis and Redis 7.0 load it', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    await writeMix(s, 'a');
    await s.call('BGREWRITEAOF');
    await waitRewrite(s);
    await writeMix(s, 'b');
    expect(manifest(dir)).toBe('file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
    const base = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.2.base.aof'), 'latin1');
    expect(base.startsWith('*2\r\n$6\r\nSELECT\r\n')).toBe(true);
    expect(base).toContain('RESTORE');
    const digest = await s.call('DEBUG', 'DIGEST');
    s.close();
    await srv.close();
    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(digest);
    s2.close();
    await again.close();
    if (oracleAvailable) expect((await oracleDigest(dir)).digest).toBe(digest);
  });

  it('aof-timestamp-enabled: #TS annotations are written, and skipped when loading (tredis and Redis 7.0)', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'aof-timestamp-enabled': 'yes', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    await writeMix(s, 'a');
    const incr = readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    expect(incr).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT\r\n/);
    const digest = await s.call('DEBUG', 'DIGEST');
    s.close();
    await srv.close();
    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(digest);
    s2.close();
    await again.close();
    if (oracleAvailable) expect((await oracleDigest(dir)).digest).toBe(digest);
  });

  it.skipIf(!existsSync('/dev/full'))('a failed AOF write refuses writes with -MISCONF (as Redis) until appending works or stops', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    // the incremental file the rewrite opens is a full disk
    symlinkSync('/dev/full', path.join(dir, 'appendonlydir', 'appendonly.aof.2.incr.aof'));
    expect(await s.call('BGREWRITEAOF')).toBe('+Background append only file rewriting started\r\n');
    expect(await s.call('SET', 'a', '1')).toBe('+OK\r\n');
    await new Promise((r) => setTimeout(r, 20));
    const misconf = '-MISCONF Errors writing to the AOF file: No space left on device\r\n';
    expect(await s.call('SET', 'a', '2')).toBe(misconf);
    expect(await s.call('PING')).toBe(misconf);
    expect(await s.call('GET', 'a')).toBe('$1\r\n1\r\n');
    expect(await s.call('INFO', 'persistence')).toContain('aof_last_write_status:err');
    expect(await s.call('CONFIG', 'SET', 'appendonly', 'no')).toBe('+OK\r\n');
    expect(await s.call('SET', 'a', '3')).toBe('+OK\r\n');
    expect(await s.call('INFO', 'persistence')).toContain('aof_last_write_status:ok');
    s.close();
    await srv.close();
  });

  it('a torn last command is dropped and the file truncated (aof-load-truncated yes); refused with no', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    await s.call('SET', 'k1', 'v1');
    await s.call('SET', 'k2', 'v2');
    s.close();
    await srv.close();
    const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    const good = statSync(incr).size;
    appendFileSync(incr, '*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$5\r\nv');
    await expect(startTestServer({ dir, appendonly: 'yes', 'aof-load-truncated': 'no' })).rejects.toThrow(/Unexpected end of file/);
    const again = await startTestServer({ dir, appendonly: 'yes' });
    expect(statSync(incr).size).toBe(good);
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('MGET', 'k1', 'k2', 'k3')).toBe('*3\r\n$2\r\nv1\r\n$2\r\nv2\r\n$-1\r\n');
    // appending goes on after the cut
    await s2.call('SET', 'k4', 'v4');
    s2.close();
    await again.close();
    const third = await startTestServer({ dir, appendonly: 'yes' });
    const s3 = await RawSession.connect(third.port);
    expect(await s3.call('DBSIZE')).toBe(':3\r\n');
    s3.close();
    await third.close();
  });

  it('CONFIG SET appendonly yes at runtime rewrites first; no stops appending', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await writeMix(s, 'pre');
    expect(existsSync(path.join(dir, 'appendonlydir'))).toBe(false);
    expect(await s.call('CONFIG', 'SET', 'appendonly', 'yes')).toBe('+OK\r\n');
    await writeMix(s, 'during');
    await waitRewrite(s);
    await writeMix(s, 'post');
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    const digest = await s.call('DEBUG', 'DIGEST');
    expect(await s.call('CONFIG', 'SET', 'appendonly', 'no')).toBe('+OK\r\n');
    expect(await s.call('INFO', 'persistence')).toContain('aof_enabled:0');
    await s.call('SET', 'after-off', '1');
    s.close();
    await srv.close();
    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(digest);
    s2.close();
    await again.close();
  });
});

describe('AOF rewrites alongside other snapshots', () => {
  it('BGSAVE during a rewrite is refused or scheduled; BGREWRITEAOF during BGSAVE is scheduled; both complete', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    await s.call('DEBUG', 'POPULATE', '50000', 'key', '100');
    const cmds = [['BGREWRITEAOF'], ['BGSAVE'], ['BGSAVE', 'SCHEDULE'], ['BGREWRITEAOF']];
    s.write(cmds.map((a) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`).join(''));
    const replies: string[] = [];
    for (let i = 0; i < cmds.length; i++) replies.push(await s.readReply());
    expect(replies).toEqual([
      '+Background append only file rewriting started\r\n',
      "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n",
      '+Background saving scheduled\r\n',
      '-ERR Background append only file rewriting already in progress\r\n',
    ]);
    let info = '';
    for (let i = 0; i < 500; i++) {
      info = await s.call('INFO', 'persistence');
      if (info.includes('rdb_saves:1') && info.includes('rdb_bgsave_in_progress:0') && info.includes('aof_rewrite_in_progress:0')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(info).toContain('rdb_saves:1');
    expect(info).toContain('aof_rewrites:1');
    expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    // the other way round: a rewrite asked for while BGSAVE runs waits for it
    s.write('*1\r\n$6\r\nBGSAVE\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n');
    expect(await s.readReply()).toBe('+Background saving started\r\n');
    expect(await s.readReply()).toBe('+Background append only file rewriting scheduled\r\n');
    for (let i = 0; i < 500; i++) {
      info = await s.call('INFO', 'persistence');
      if (info.includes('aof_rewrites:2') && info.includes('aof_rewrite_in_progress:0')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(info).toContain('aof_rewrites:2');
    expect(info).toContain('aof_rewrite_scheduled:0');
    const digest = await s.call('DEBUG', 'DIGEST');
    s.close();
    await srv.close();
    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(digest);
    s2.close();
    await again.close();
  }, 60000);

  it('CONFIG SET appendonly no during a rewrite abandons it and leaves no temp file', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    // DEBUG POPULATE is not propagated (in Redis neither): only the marker is in the AOF
    await s.call('SET', 'marker', '1');
    await s.call('DEBUG', 'POPULATE', '50000', 'key', '100');
    s.write('*1\r\n$12\r\nBGREWRITEAOF\r\n*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nappendonly\r\n$2\r\nno\r\n');
    expect(await s.readReply()).toBe('+Background append only file rewriting started\r\n');
    expect(await s.readReply()).toBe('+OK\r\n');
    const info = await s.call('INFO', 'persistence');
    expect(info).toContain('aof_rewrite_in_progress:0');
    expect(info).toContain('aof_enabled:0');
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(path.join(dir, 'appendonlydir')).filter((f) => f.startsWith('temp-'))).toEqual([]);
    // the manifest still names the files from before, which still load
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
    s.close();
    await srv.close();
    const again = await startTestServer({ dir, appendonly: 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DBSIZE')).toBe(':1\r\n');
    expect(await s2.call('GET', 'marker')).toBe('$1\r\n1\r\n');
    s2.close();
    await again.close();
  });

  it('auto-aof-rewrite-percentage / -min-size start a rewrite from the cron', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, appendonly: 'yes', 'auto-aof-rewrite-min-size': '4096', 'auto-aof-rewrite-percentage': '100' });
    const s = await RawSession.connect(srv.port);
    await waitRewrite(s);
    expect(await s.call('INFO', 'persistence')).toContain('aof_rewrites:0');
    for (let i = 0; i < 100; i++) await s.call('SET', `k${i}`, 'x'.repeat(100));
    let info = '';
    for (let i = 0; i < 200; i++) {
      info = await s.call('INFO', 'persistence');
      if (info.includes('aof_rewrites:1') && info.includes('aof_rewrite_in_progress:0')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(info).toContain('aof_rewrites:1');
    expect(manifest(dir)).toContain('appendonly.aof.2.base.rdb');
    s.close();
    await srv.close();
  });
});

describe('AOF on a replica', () => {
  it('a full sync starts the AOF over from the leader\'s dataset; streamed writes are appended', async () => {
    const dir = tempDir();
    const leader = await startTestServer({ 'enable-debug-command': 'yes' });
    const l = await RawSession.connect(leader.port);
    await writeMix(l, 'lead');
    const follower = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const f = await RawSession.connect(follower.port);
    await waitRewrite(f);
    await f.call('SET', 'local-only', 'gone after the sync');
    expect(await f.call('REPLICAOF', '127.0.0.1', String(leader.port))).toBe('+OK\r\n');
    let info = '';
    for (let i = 0; i < 500; i++) {
      info = await f.call('INFO', 'replication');
      if (info.includes('master_link_status:up')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(info).toContain('master_link_status:up');
    await waitRewrite(f);
    await writeMix(l, 'streamed');
    const want = await l.call('DEBUG', 'DIGEST');
    for (let i = 0; i < 500 && (await f.call('DEBUG', 'DIGEST')) !== want; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await f.call('DEBUG', 'DIGEST')).toBe(want);
    expect(await f.call('INFO', 'persistence')).toContain('aof_rewrites:1');
    l.close();
    f.close();
    await follower.close();
    await leader.close();
    const again = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const s2 = await RawSession.connect(again.port);
    expect(await s2.call('DEBUG', 'DIGEST')).toBe(want);
    s2.close();
    await again.close();
  });
});

describe.skipIf(!oracleAvailable)('AOF interop with real Redis 7.0', () => {
  it.each(['yes', 'no'])('tredis loads an AOF directory Redis wrote (base + incr after a rewrite), aof-use-rdb-preamble %s', async (preamble) => {
    const dir = tempDir();
    // timestamps too: Redis's loader skips its #TS annotations, so must ours
    const o = await startOracle(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--enable-debug-command', 'yes', '--aof-use-rdb-preamble', preamble, '--aof-timestamp-enabled', 'yes']);
    const s = await RawSession.connect(o.port);
    await writeMix(s, 'r1');
    // a stream with a consumer group and pending entries, a big list, hash and zset (Redis's rewrite commands)
    await s.call('XADD', 'st', '5-1', 'a', '1');
    await s.call('XADD', 'st', '6-1', 'b', '2');
    await s.call('XGROUP', 'CREATE', 'st', 'g', '0');
    await s.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 'st', '>');
    await s.call('XDEL', 'st', '6-1');
    for (let i = 0; i < 200; i++) {
      await s.call('RPUSH', 'biglist', `e${i}`);
      await s.call('HSET', 'bighash', `f${i}`, 'v'.repeat(i % 70));
      await s.call('ZADD', 'bigz', String(i / 3), `m${i}`);
      await s.call('SADD', 'bigset', `m${i}`);
    }
    await s.call('BGREWRITEAOF');
    for (let i = 0; i < 500; i++) {
      const info = await s.call('INFO', 'persistence');
      if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrites:1')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await writeMix(s, 'r2');
    const digest = await s.call('DEBUG', 'DIGEST');
    const dbsize = await s.call('DBSIZE');
    s.close();
    await o.close().catch(() => {});
    expect(manifest(dir)).toContain('seq 2 type i');
    const srv = await startTestServer({ dir, appendonly: 'yes', 'enable-debug-command': 'yes' });
    const t = await RawSession.connect(srv.port);
    expect(await t.call('DEBUG', 'DIGEST')).toBe(digest);
    expect(await t.call('DBSIZE')).toBe(dbsize);
    t.close();
    await srv.close();
  });
});
