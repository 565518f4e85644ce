/*
 * Real tredis-server processes for the crash tests (kill -9 needs a process of its own): the built
 * bin/tredis-server, started on a port in a directory, waited for until it answers, killed with
 * SIGKILL. Also the temp directories they use and a rebuild of dist/ when it is older than src/.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawSession } from './raw';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tredis-server');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds dist/ when src/ is newer: a direct `vitest run` of one file must not test a stale build. */
export function ensureBuilt(): void {
  const built = path.join(ROOT, 'dist', 'cli.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  }
}

/** Temp directories made by make(prefix), all removed by removeAll(). */
export function tempDirs(): { make: (prefix: string) => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    make: (prefix) => {
      const d = mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    removeAll: () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export interface ServerProcess {
  pid: number;
  /** SIGKILL, resolved once the process has exited */
  kill: () => Promise<void>;
}

/**
 * Starts bin/tredis-server with `args` (after --port, --bind 127.0.0.1 and --dir) and waits until it
 * answers PING (and `ready`, when given, holds).
 */
export async function startServerProcess(dir: string, port: number, args: string[], ready?: (s: RawSession) => Promise<boolean>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 500; i++) {
    try {
      const s = await RawSession.connect(port);
      const ok = (await s.call('PING')) === '+PONG\r\n' && (ready === undefined || (await ready(s)));
      s.close();
      if (ok) break;
    } catch {
      // not listening yet (or still loading)
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
