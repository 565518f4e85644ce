/*
 * Crash safety of the AOF with tredis-server as a real process (the built dist/): with
 * `appendfsync always` every acknowledged write survives `kill -9`, and a `kill -9` in the middle
 * of BGREWRITEAOF leaves an AOF directory that loads everything acknowledged (the old manifest
 * already names the incremental file that took the writes made during the rewrite).
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/oracle';
import { RawSession } from './helpers/raw';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'tredis-server');
const dirs: string[] = [];

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

beforeAll(() => {
  // a direct `vitest run` of this file must not test a stale dist/
  const built = path.join(ROOT, 'dist', 'cli.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  }
}, 120000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-aofcrash-'));
  dirs.push(d);
  return d;
}

async function startProcess(dir: string, port: number): Promise<{ kill: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 500; i++) {
    try {
      const s = await RawSession.connect(port);
      const r = await s.call('PING');
      const info = await s.call('INFO', 'persistence');
      s.close();
      if (r === '+PONG\r\n' && info.includes('aof_rewrite_in_progress:0')) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

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
    expect(await r.bgrewriteaof()).toBe('Background append only file rewriting started');
    // writes during the rewrite go to the new incremental file
    for (let i = 0; i < 50; i++) expect(await r.set(`during:${i}`, String(i))).toBe('OK');
    const info = await r.info('persistence');
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
