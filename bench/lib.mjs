/*
 * What the benchmarks share: free ports, starting tredis (bin/tredis-server) and redis-server with the
 * same arguments, each pinned to core 0 (the benchmark client gets core 1), RSS readings, the
 * machine line and number formatting.
 */

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const haveTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/** [command, args] running cmd pinned to a core when taskset is there. */
export function pinned(core, cmd, args) {
  return haveTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/** Pins this process (every thread) to a core, for benchmarks whose client runs in-process. */
export function pinSelf(core) {
  if (haveTaskset) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function waitReady(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.write('PING\r\n');
      });
      s.on('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on ${port} did not start`);
}

/** node/V8 flags replacing those bin/tredis-server sets (experiments): BENCH_NODE_FLAGS="--max-semi-space-size=4" */
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * Starts 'tredis' (bin/tredis-server) or 'redis' (redis-server) on a free port, pinned to core 0,
 * in-memory, with the same extra directives (`['--maxmemory', '256mb', ...]`) for both.
 */
export async function startServer(kind, extra = []) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tredis-bench-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...extra];
  const [cmd, cmdArgs] =
    kind === 'tredis'
      ? nodeFlags.length === 0
        ? pinned(0, path.join(root, 'bin/tredis-server'), args)
        : pinned(0, process.execPath, [...nodeFlags, path.join(root, 'bin/tredis-server'), ...args]) : pinned(0, 'redis-server', args);
  // BENCH_SERVER_LOG=file keeps the server's output (e.g. with BENCH_NODE_FLAGS=--trace-gc)
  const log = process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'a') : 'ignore';
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', log, log] });
  if (typeof log === 'number') closeSync(log); // the child has its own copy
  await waitReady(port);
  return {
    kind,
    port,
    pid: child.pid,
    async stop() {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Current (VmRSS) or peak (VmHWM) resident memory of a process, in bytes. */
export function rss(pid, field = 'VmRSS') {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)[1]) * 1024;
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}${haveTaskset ? ', server on core 0, client on core 1' : ', not pinned'}`;
}

export const fmt = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Prints a report and, with --record, appends it to bench/RESULTS.md. */
export function publish(lines) {
  const report = lines.join('\n');
  console.log(report);
  if (process.argv.includes('--record')) appendFileSync(path.join(root, 'bench/RESULTS.md'), '\n' + report);
}

/** Runs a benchmark's main, exiting non-zero on failure. */
export function runMain(main) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
