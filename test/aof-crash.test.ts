/*
 * Crash safety of the AOF with tredis-server as a real process (the built dist/): with
 * `appendfsync always` every acknowledged write survives `kill -9`, and a `kill -9` in the middle
 * of BGREWRITEAOF leaves an AOF directory that loads everything acknowledged (the old manifest
 * already names the incremental file that took the writes made during the rewrite). DEBUG LOADAOF
 * with no AOF to load ends the process with status 1, as it ends Redis 7.0.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, oracleAvailable } from './helpers/oracle';
import { BIN, ensureBuilt, startServerProcess, tempDirs, type ServerProcess } from './helpers/process';
import { RawSession } from './helpers/raw';

const dirs = tempDirs();

beforeAll(ensureBuilt, 120000);
afterAll(dirs.removeAll);

function tempDir(): string {
  return dirs.make('tredis-aofcrash-');
}

/** With AOF always on; ready once a first rewrite (the new base) is done. */
function startProcess(dir: string, port: number): Promise<ServerProcess> {
  return startServerProcess(dir, port, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], async (s) =>
    (await s.call('INFO', 'persistence')).includes('aof_rewrite_in_progress:0'),
  );
}

describe('AOF loading at start', () => {
  it('a large AOF loads in slices: clients get -LOADING meanwhile, then every key is there', async () => {
    const dir = tempDir();
    const ad = path.join(dir, 'appendonlydir');
    mkdirSync(ad);
    writeFileSync(path.join(ad, 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
    const N = 300000;
    const parts: string[] = ['*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n'];
    for (let i = 0; i < N; i++) {
      const k = `key:${i}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$3\r\nval\r\n`);
    }
    writeFileSync(path.join(ad, 'appendonly.aof.1.incr.aof'), parts.join(''));
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      try {
        const s = await RawSession.connect(port);
        const r = await s.call('DBSIZE');
        s.close();
        seen.add(r.startsWith('-') ? r : 'int');
        if (r === `:${N}\r\n`) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen.has('-LOADING Redis is loading the dataset in memory\r\n')).toBe(true);
    const s = await RawSession.connect(port);
    expect(await s.call('DBSIZE')).toBe(`:${N}\r\n`);
    // appending goes on in the same incremental file
    expect(await s.call('SET', 'after', 'load')).toBe('+OK\r\n');
    s.close();
    child.kill('SIGKILL');
    await exited;
    expect(readFileSync(path.join(ad, 'appendonly.aof.1.incr.aof'), 'latin1').endsWith('$5\r\nafter\r\n$4\r\nload\r\n')).toBe(true);
  }, 60000);
});

describe('AOF and kill -9', () => {
  it('appendfsync always: every acknowledged write is there after kill -9', async () => {
    const dir = tempDir();
    const port = await freePort();
    let p = await startProcess(dir, port);
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await r.connect();
    const N = 300;
    for (let i = 0; i < N; i++) expect(await r.set(`k${i}`, `v${i}`)).toBe('OK');
    // a pipelined batch: all of it acknowledged before the kill
    const pipe = r.pipeline();
    for (let i = 0; i < 200; i++) pipe.hset('h', `f${i}`, String(i));
    const res = await pipe.exec();
    expect(res!.every(([err]) => err === null)).toBe(true);
    r.disconnect();
    await p.kill();
    p = await startProcess(dir, port);
    const s = await RawSession.connect(port);
    expect(await s.call('DBSIZE')).toBe(`:${N + 1}\r\n`);
    expect(await s.call('GET', `k${N - 1}`)).toBe(`$${`v${N - 1}`.length}\r\nv${N - 1}\r\n`);
    expect(await s.call('HLEN', 'h')).toBe(':200\r\n');
    s.close();
    await p.kill();
  }, 60000);

  it('kill -9 during BGREWRITEAOF: the restarted server has every acknowledged write', async () => {
    const dir = tempDir();
    const port = await freePort();
    let p = await startProcess(dir, port);
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await r.connect();
    const N = 60000;
    for (let b = 0; b < N; b += 5000) {
      const pipe = r.pipeline();
      for (let i = b; i < b + 5000; i++) pipe.set(`key:${i}`, 'x'.repeat(50));
      await pipe.exec();
    }
    // one batch: the rewrite starts, writes arrive while it runs (they go to the new incremental
    // file), INFO sees it running; the kill follows at once
    const pipe = r.pipeline();
    pipe.bgrewriteaof();
    for (let i = 0; i < 50; i++) pipe.set(`during:${i}`, String(i));
    pipe.info('persistence');
    const res = (await pipe.exec())!;
    expect(res[0]![1]).toBe('Background append only file rewriting started');
    expect(res.slice(1, 51).every(([err, v]) => err === null && v === 'OK')).toBe(true);
    const info = String(res[51]![1]);
    r.disconnect();
    await p.kill();
    expect(info).toContain('aof_rewrite_in_progress:1');
    p = await startProcess(dir, port);
    const s = await RawSession.connect(port);
    expect(await s.call('DBSIZE')).toBe(`:${N + 50}\r\n`);
    expect(await s.call('GET', 'during:49')).toBe('$2\r\n49\r\n');
    s.close();
    await p.kill();
  }, 120000);
});

describe('DEBUG LOADAOF without an AOF', () => {
  /** Starts the binary with appendonly off, sends DEBUG LOADAOF; the exit code (null: still running). */
  async function loadAofExit(bin: string, args: string[]): Promise<{ code: number | null; reply: string }> {
    const dir = tempDir();
    const port = await freePort();
    const child = spawn(bin, [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let s: RawSession | null = null;
    for (let i = 0; i < 500 && s === null; i++) {
      try {
        s = await RawSession.connect(port);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await s!.call('SET', 'k', 'v');
    s!.write('*2\r\n$5\r\nDEBUG\r\n$7\r\nLOADAOF\r\n');
    const reply = await s!.readUntilClosed();
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    if (code === null) child.kill('SIGKILL');
    return { code, reply };
  }

  it.skipIf(!oracleAvailable)('the server exits with status 1, as Redis 7.0 does', async () => {
    const theirs = await loadAofExit('redis-server', []);
    const ours = await loadAofExit(process.execPath, [BIN]);
    expect(theirs).toEqual({ code: 1, reply: '' });
    expect(ours).toEqual(theirs);
  }, 60000);
});
