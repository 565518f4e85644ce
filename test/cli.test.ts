/*
 * tredis-server as a process (the built dist/, as `npm test` builds first): --version/--help, config
 * files and overrides, Redis's fatal config errors (compared with redis-server's own text), the
 * start-up lines supervisors watch for, a taken port, signals, pidfile, logfile and daemonize.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, oracleAvailable } from './helpers/oracle';
import { BIN, ensureBuilt } from './helpers/process';
import { RawSession, encodeCommand } from './helpers/raw';

let dir: string;

beforeAll(() => {
  // `npm test` builds first; a direct `vitest run` of this file must not test a stale dist/
  ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tredis-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], cwd = dir): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'latin1', timeout: 15000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Starts the server; resolves once its output (or `logfile`, when it logs there) says it is ready. */
async function start(
  args: string[],
  logfile?: string,
): Promise<{ child: ReturnType<typeof spawn>; log: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (): boolean =>
    (logfile === undefined ? log : existsSync(logfile) ? readFileSync(logfile, 'latin1') : '').includes('Ready to accept connections');
  for (let i = 0; i < 300 && !ready(); i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (child.exitCode !== null) break;
  }
  return { child, log: () => log, exited };
}

describe('tredis-server command line', () => {
  it('--version and --help', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.out).toMatch(/^tredis server v=\S+ redis_version=7\.0\.15/);
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.out).toContain('Usage');
  });

  it('loads a config file with quoted arguments and include, overridden by the command line', async () => {
    const port = await freePort();
    writeFileSync(path.join(dir, 'extra.conf'), 'maxmemory-policy allkeys-lru\n');
    writeFileSync(
      path.join(dir, 'main.conf'),
      `# a comment\nport ${port - 1}\nbind 127.0.0.1\nsave ""\nrequirepass "p w\\x41"\ninclude ${path.join(dir, 'extra.conf')}\nslave-serve-stale-data no\n`,
    );
    const srv = await start(['main.conf', '--port', String(port), '--loglevel', 'verbose']);
    const r = new Redis({ port, host: '127.0.0.1', password: 'p wA', lazyConnect: true });
    try {
      await r.connect();
      expect(await r.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
      expect(await r.config('GET', 'replica-serve-stale-data')).toEqual(['replica-serve-stale-data', 'no']);
      expect(await r.config('GET', 'loglevel')).toEqual(['loglevel', 'verbose']);
      expect(await r.config('GET', 'port')).toEqual(['port', String(port)]);
    } finally {
      r.disconnect();
      srv.child.kill('SIGTERM');
      await srv.exited;
    }
  });

  it('logs the start-up lines supervisors watch for, and shuts down cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const port = await freePort();
      const pidfile = path.join(dir, `tredis-${signal}.pid`);
      const srv = await start(['--port', String(port), '--save', '', '--pidfile', pidfile]);
      const log = srv.log();
      expect(log).toContain(`PID: ${srv.child.pid}`);
      expect(log).toContain(`port=${port}`);
      expect(log).toContain('Ready to accept connections');
      expect(log).toMatch(/^\d+:[CM] \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] /m);
      expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(srv.child.pid));
      srv.child.kill(signal);
      expect(await srv.exited).toBe(0);
      expect(srv.log()).toContain('ready to exit, bye bye');
      expect(existsSync(pidfile)).toBe(false);
    }
  }, 20000);

  it('exits non-zero with "Failed listening on port" when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run(['--port', String(port), '--bind', '127.0.0.1']);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain(`Failed listening on port ${port} (TCP), aborting.`);
    } finally {
      blocker.close();
    }
  });

  it('SHUTDOWN from a client ends the process; logfile gets the lines', async () => {
    const port = await freePort();
    const logfile = path.join(dir, 'server.log');
    const srv = await start(['--port', String(port), '--save', '', '--logfile', logfile], logfile);
    expect(srv.log()).toBe('');
    const r = await RawSession.connect(port);
    r.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    await r.readUntilClosed(5000);
    r.close();
    expect(await srv.exited).toBe(0);
    const text = readFileSync(logfile, 'latin1');
    expect(text).toContain('Ready to accept connections');
    expect(text).toContain('User requested shutdown...');
  }, 20000);

  it('keeps serving when whoever read its log goes away (EPIPE on stdout)', async () => {
    const port = await freePort();
    const srv = await start(['--port', String(port), '--save', '', '--loglevel', 'debug']);
    srv.child.stdout!.destroy();
    srv.child.stderr!.destroy();
    for (let i = 0; i < 5; i++) {
      // every connection and command now logs into a closed pipe
      const r = await RawSession.connect(port);
      expect(await r.call('CONFIG', 'SET', 'loglevel', 'debug')).toBe('+OK\r\n');
      expect(await r.call('SHUTDOWN', 'ABORT')).toBe('-ERR No shutdown in progress.\r\n');
      r.close();
      await new Promise((res) => setTimeout(res, 20));
    }
    const r = await RawSession.connect(port);
    r.write(encodeCommand(['SHUTDOWN', 'NOSAVE']));
    await r.readUntilClosed(5000);
    expect(await srv.exited).toBe(0);
  });

  it('lowers maxclients to what the open-files limit allows, with Redis warnings', async () => {
    const port = await freePort();
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'))?.[1] ?? 'NaN');
    if (!Number.isFinite(limit) || limit > 1_000_000) return;
    const wanted = limit + 100;
    const srv = await start(['--port', String(port), '--save', '', '--maxclients', String(wanted)]);
    try {
      expect(srv.log()).toContain(`You requested maxclients of ${wanted} requiring at least ${wanted + 32} max file descriptors.`);
      expect(srv.log()).toContain(`maxclients has been reduced to ${limit - 32} to compensate for low ulimit.`);
      const r = await RawSession.connect(port);
      expect(await r.call('CONFIG', 'GET', 'maxclients')).toBe(`*2\r\n$10\r\nmaxclients\r\n$${String(limit - 32).length}\r\n${limit - 32}\r\n`);
      r.close();
    } finally {
      srv.child.kill('SIGTERM');
      await srv.exited;
    }
  });

  it('daemonize yes: the parent returns at once, the daemon serves and writes its pidfile', async () => {
    const port = await freePort();
    const pidfile = path.join(dir, 'daemon.pid');
    const r = run(['--port', String(port), '--save', '', '--daemonize', 'yes', '--pidfile', pidfile, '--logfile', path.join(dir, 'daemon.log')]);
    expect(r.status).toBe(0);
    let pid = 0;
    for (let i = 0; i < 200 && pid === 0; i++) {
      await new Promise((res) => setTimeout(res, 20));
      if (existsSync(pidfile)) pid = Number(readFileSync(pidfile, 'utf8').trim());
    }
    expect(pid).toBeGreaterThan(0);
    const client = new Redis({ port, host: '127.0.0.1' });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      process.kill(pid, 'SIGTERM');
    }
    for (let i = 0; i < 200 && existsSync(pidfile); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(pidfile)).toBe(false);
  }, 20000);
});

describe.skipIf(!oracleAvailable)('fatal config errors as redis-server words them', () => {
  const cases: Record<string, string> = {
    'unknown directive': 'port 7000\nfoo bar\n',
    'bad value': 'port 7000\nmaxmemory-policy sometimes\n',
    'wrong argument count': 'port 7000\nappendonly\n',
    'bad integer': 'hz many\n',
    'unbalanced quotes': 'requirepass "abc\n',
    'out of range': 'databases 0\n',
  };
  // command-line options are lines after the file's (and stdin's): their errors name those lines
  const argCases: Record<string, string[]> = {
    'unknown option': ['--port', '7000', '--foo', 'bar'],
    'bad option value': ['ok.conf', '--maxmemory-policy', 'foo'],
    'bad value after a good one': ['ok.conf', '--save', '1', '--appendonly', 'maybe'],
    'option without a value': ['ok.conf', '--loglevel', 'verbose', '--requirepass'],
    'out of range option': ['--bind', '1.2.3.4', '--port', '99999'],
    'stdin then options': ['ok.conf', '-', '--hz', 'x'],
    'missing file': ['nonexistent.conf'],
  };
  for (const [name, args] of Object.entries(argCases)) {
    it(name, () => {
      writeFileSync(path.join(dir, 'ok.conf'), 'port 7000\n# c\nhz 10\n');
      const input = 'hz 11\n';
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'latin1', timeout: 15000, input });
      const theirs = spawnSync('redis-server', args, { cwd: dir, encoding: 'latin1', timeout: 15000, input });
      expect(r.status).toBe(1);
      expect(theirs.status).toBe(1);
      // log lines carry pid and time; the rest must agree
      const strip = (s: string): string =>
        s
          .replace(/\(Redis [\d.]+\)/, '(Redis)')
          .replace(/^\d+:[CM] \d\d \w{3} \d{4} [\d:.]+ /gm, '')
          .trim();
      expect(strip(r.stdout + r.stderr)).toBe(strip(theirs.stdout + theirs.stderr));
    });
  }
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const file = path.join(dir, `bad-${name.replace(/ /g, '-')}.conf`);
      writeFileSync(file, text);
      const ours = run([file]);
      const theirs = spawnSync('redis-server', [file], { cwd: dir, encoding: 'latin1', timeout: 15000 });
      expect(ours.status).toBe(1);
      expect(theirs.status).toBe(1);
      // Redis names itself in the first line; the rest (line number, line, reason) must agree
      const strip = (s: string): string => s.replace(/\(Redis [\d.]+\)/, '(Redis)').trim();
      expect(strip(ours.out)).toBe(strip(theirs.stdout + theirs.stderr));
    });
  }
});
