/*
 * Start-up loading in slices: while a big dump.rdb loads, the server already accepts connections,
 * INFO says loading:1, other commands get Redis's -LOADING error, ioredis waits until loading ends
 * (its ready check reads `loading`), and the log has Redis's loading lines.
 */

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Config } from '../src/config/config';
import { startServer } from '../src/server';
import { freePort } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { startTestServer } from './helpers/server';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('loading at start-up', () => {
  it('answers -LOADING and loading:1 while a big file loads, then serves the dataset', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-load-'));
    dirs.push(dir);
    const N = 1_000_000;
    const first = await startTestServer({ dir, 'enable-debug-command': 'yes', save: '' });
    const a = await RawSession.connect(first.port);
    // slow calls on a busy machine: wait longer than RawSession.call's default
    const slow = async (...args: string[]): Promise<string> => {
      a.write(`*${args.length}\r\n${args.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`);
      return a.readReply(60000);
    };
    expect(await slow('DEBUG', 'POPULATE', String(N), 'key', '40')).toBe('+OK\r\n');
    expect(await slow('HSET', 'h', 'f', 'v')).toBe(':1\r\n');
    expect(await slow('SAVE')).toBe('+OK\r\n');
    a.close();
    await first.close();

    const port = await freePort();
    const config = new Config();
    const logfile = path.join(dir, 'tredis.log');
    for (const [k, v] of Object.entries({ dir, save: '', logfile, loglevel: 'notice' })) config.set(k, v);
    const starting = startServer({ config, port, host: '127.0.0.1' });
    let s: RawSession | null = null;
    for (let i = 0; i < 2000 && s === null; i++) {
      try {
        s = await RawSession.connect(port);
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(s).not.toBeNull();
    const early = new Redis({ port, host: '127.0.0.1' });
    try {
      const info = await s!.call('INFO', 'persistence');
      expect(info).toContain('loading:1\r\n');
      // the fields Redis adds while loading, at the end of the section
      const size = statSync(path.join(dir, 'dump.rdb')).size;
      expect(info).toMatch(new RegExp(`module_fork_last_cow_size:0\r\nloading_start_time:\\d+\r\nloading_total_bytes:${size}\r\nloading_rdb_used_mem:\\d+\r\nloading_loaded_bytes:\\d+\r\nloading_loaded_perc:\\d+\\.\\d\\d\r\nloading_eta_seconds:\\d+\r\n`));
      expect(await s!.call('GET', 'key:1')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      expect(await s!.call('PING')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      // ioredis holds its commands until loading is over
      const got = early.get('key:7');
      const srv = await starting;
      try {
        expect(await s!.call('INFO', 'persistence')).toContain('loading:0\r\n');
        expect(await s!.call('INFO', 'persistence')).not.toContain('loading_eta_seconds');
        expect(await s!.call('DBSIZE')).toBe(`:${N + 1}\r\n`);
        expect(await s!.call('HGET', 'h', 'f')).toBe('$1\r\nv\r\n');
        expect(await got).toMatch(/^value:7/);
        expect(await s!.call('INFO', 'persistence')).toContain(`rdb_last_load_keys_loaded:${N + 1}\r\n`);
        const log = readFileSync(logfile, 'latin1');
        expect(log).toMatch(/Loading RDB produced by version 7\.0\.15/);
        expect(log).toMatch(/Done loading RDB, keys loaded: 1000001, keys expired: 0\./);
        expect(log).toMatch(/DB loaded from disk: \d+\.\d+ seconds/);
      } finally {
        s!.close();
        await srv.close();
      }
    } finally {
      early.disconnect();
    }
  }, 120000);

  it('a corrupt file makes start-up fail after listening, with the port released', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-load-'));
    dirs.push(dir);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'dump.rdb'), Buffer.from('REDIS0010\xfa\x09redis-ver', 'latin1'));
    await expect(startTestServer({ dir })).rejects.toThrow(/Fatal error loading the DB: Unexpected EOF reading RDB file\. Exiting\./);
  });
});
