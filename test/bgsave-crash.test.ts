/*
 * Crash safety of BGSAVE, with tredis-server as a real process (the built dist/): `kill -9` in the
 * middle of a BGSAVE leaves the previous dump.rdb whole (the snapshot goes to temp-<pid>.rdb and is
 * only renamed once fsynced), so the restarted server loads the last good state. And SHUTDOWN with
 * save rules while a BGSAVE runs abandons it and saves the current dataset.
 */

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/oracle';
import { ensureBuilt, startServerProcess, tempDirs, type ServerProcess } from './helpers/process';
import { RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';

const dirs = tempDirs();

beforeAll(ensureBuilt, 120000);
afterAll(dirs.removeAll);

function tempDir(): string {
  return dirs.make('tredis-crash-');
}

function startProcess(dir: string, port: number): Promise<ServerProcess> {
  return startServerProcess(dir, port, ['--save', '', '--enable-debug-command', 'yes']);
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
