/*
 * Crash safety of BGSAVE, with tredis-server as a real process (the built dist/): `kill -9` in the
 * middle of a BGSAVE leaves the previous dump.rdb whole (the snapshot goes to temp-<pid>.rdb and is
 * only renamed once fsynced), so the restarted server loads the last good state. And SHUTDOWN with
 * save rules while a BGSAVE runs abandons it and saves the current dataset.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';

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
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-crash-'));
  dirs.push(d);
  return d;
}

async function startProcess(dir: string, port: number): Promise<{ kill: () => Promise<void>; pid: number }> {
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--enable-debug-command', 'yes'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 500; i++) {
    try {
      const s = await RawSession.connect(port);
      const r = await s.call('PING');
      s.close();
      if (r === '+PONG\r\n') break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function slowCall(s: RawSession, ...args: string[]): Promise<string> {
  s.write(`*${args.length}\r\n${args.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`);
  return s.readReply(60000);
}

describe('BGSAVE and crashes', () => {
  it('kill -9 during BGSAVE: the restarted server loads the last good dump', async () => {
    const dir = tempDir();
    const port = await freePort();
    const p = await startProcess(dir, port);
    const s = await RawSession.connect(port);
    try {
      expect(await slowCall(s, 'DEBUG', 'POPULATE', '200000', 'key', '32')).toBe('+OK\r\n');
      expect(await slowCall(s, 'SAVE')).toBe('+OK\r\n');
      expect(await slowCall(s, 'DEBUG', 'POPULATE', '600000', 'key', '32')).toBe('+OK\r\n');
      expect(await s.call('BGSAVE')).toBe('+Background saving started\r\n');
      expect(await s.call('INFO', 'persistence')).toContain('rdb_bgsave_in_progress:1\r\n');
      expect(existsSync(path.join(dir, `temp-${p.pid}.rdb`))).toBe(true);
    } finally {
      s.close();
      await p.kill();
    }
    const port2 = await freePort();
    const again = await startProcess(dir, port2);
    const t = await RawSession.connect(port2);
    try {
      expect(await t.call('DBSIZE')).toBe(':200000\r\n');
      expect(await t.call('INFO', 'persistence')).toContain('rdb_last_load_keys_loaded:200000\r\n');
    } finally {
      t.close();
      await again.kill();
    }
  }, 120000);

  it('SHUTDOWN with save rules during a BGSAVE saves the dataset as it is then', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '3600 1', 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(srv.port);
    expect(await slowCall(s, 'DEBUG', 'POPULATE', '300000', 'key', '32')).toBe('+OK\r\n');
    expect(await s.call('BGSAVE')).toBe('+Background saving started\r\n');
    expect(await s.call('SET', 'after', 'the bgsave started')).toBe('+OK\r\n');
    s.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    await s.readUntilClosed(30000);
    s.close();
    await srv.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    const again = await startTestServer({ dir, save: '' });
    const t = await RawSession.connect(again.port);
    try {
      expect(await t.call('DBSIZE')).toBe(':300001\r\n');
      expect(await t.call('GET', 'after')).toBe('$18\r\nthe bgsave started\r\n');
    } finally {
      t.close();
      await again.close();
    }
  }, 60000);
});
