/*
 * The oracle: a real redis-server (Debian's 7.0.x) started on a free port, for differential tests.
 * When redis-server is not installed, `oracleAvailable` is false and differential suites skip with
 * a printed reason (CI installs it, so CI always runs them).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const oracleAvailable = spawnSync('redis-server', ['--version']).status === 0;
export const redisCliAvailable = spawnSync('redis-cli', ['--version']).status === 0;

if (!oracleAvailable) {
  console.warn('redis-server not installed: differential tests against the oracle are skipped (apt-get install redis-server)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface Oracle {
  port: number;
  close(): Promise<void>;
}

/** Starts redis-server with the given extra arguments (e.g. ['--enable-debug-command', 'yes']). */
export async function startOracle(extra: string[] = []): Promise<Oracle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tredis-oracle-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ok = await new Promise<boolean>((resolve) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve(true);
      };
      child.stdout!.on('data', onData);
      child.once('exit', () => resolve(false));
      setTimeout(() => resolve(false), 5000);
    });
    if (ok) {
      return {
        port,
        close: () =>
          new Promise<void>((resolve) => {
            child.once('exit', () => {
              rmSync(dir, { recursive: true, force: true });
              resolve();
            });
            child.kill('SIGKILL');
          }),
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error('could not start redis-server');
  }
}
