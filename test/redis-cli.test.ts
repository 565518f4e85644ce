/*
 * redis-cli as a real client: PING, --pipe mass insertion, --scan, --bigkeys, and the --raw /
 * --no-raw renderings of common replies compared with the oracle's output byte for byte.
 */

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawSession } from './helpers/raw';
import { startOracle, oracleAvailable, redisCliAvailable, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

type Srv = Awaited<ReturnType<typeof startTestServer>>;

function cli(port: number, args: string[], stdin?: Buffer): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const p = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d.toString('latin1')));
    p.stderr.on('data', (d) => (stderr += d.toString('latin1')));
    p.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    if (stdin) p.stdin.end(stdin);
    else p.stdin.end();
  });
}

describe.skipIf(!redisCliAvailable)('redis-cli against tredis', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('PING', async () => {
    const r = await cli(srv.port, ['PING']);
    expect(r.stdout).toBe('PONG\n');
  });

  it('--pipe inserts 10,000 SETs', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 10000; i++) parts.push(encodeCommand(['SET', `pipe:${i}`, `val${i}`]));
    const r = await cli(srv.port, ['--pipe'], Buffer.concat(parts));
    expect(r.stdout + r.stderr).toContain('errors: 0, replies: 10000');
    expect(r.code).toBe(0);
    const s = await RawSession.connect(srv.port);
    expect(await s.call('GET', 'pipe:9999')).toBe('$7\r\nval9999\r\n');
    expect(await s.call('DBSIZE')).toBe(':10000\r\n');
    expect(await s.call('FLUSHALL')).toBe('+OK\r\n');
    s.close();
  }, 30000);

  it('--scan --pattern returns exactly the matching keys', async () => {
    const s = await RawSession.connect(srv.port);
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      await s.call('SET', `k:${i}`, 'v');
      if (String(i).startsWith('1')) expected.push(`k:${i}`);
    }
    await s.call('SET', 'other:1', 'v');
    s.close();
    const r = await cli(srv.port, ['--scan', '--pattern', 'k:1*']);
    const got = r.stdout.split('\n').filter((l) => l !== '');
    expect(got.sort()).toEqual(expected.sort());
  });

  it('--bigkeys names the biggest string key', async () => {
    const s = await RawSession.connect(srv.port);
    await s.call('SET', 'the:biggest', 'x'.repeat(5000));
    s.close();
    const r = await cli(srv.port, ['--bigkeys']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Biggest string found '?"?the:biggest"?'? has 5000 bytes/);
  });
});

describe.skipIf(!redisCliAvailable || !oracleAvailable)('redis-cli output vs oracle', () => {
  let srv: Srv;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
    for (const port of [srv.port, oracle.port]) {
      const s = await RawSession.connect(port);
      await s.call('SET', 'str', 'hello world');
      await s.call('SET', 'num', '41');
      await s.call('SET', 'bin', Buffer.from([0, 1, 0xff, 0x22, 0x0a, 0x41]));
      s.close();
    }
  });
  afterAll(async () => {
    await srv.close();
    await oracle.close();
  });

  const cases = [
    ['GET', 'str'],
    ['GET', 'missing'],
    ['GET', 'bin'],
    ['INCR', 'num'],
    ['INCR', 'str'],
    ['MGET', 'str', 'missing', 'num'],
    ['NOSUCHCOMMAND', 'a'],
    ['GET'],
    ['ECHO', ''],
    ['EXISTS', 'str', 'num'],
  ];
  for (const mode of ['--no-raw', '--raw']) {
    for (const c of cases) {
      it(`${mode} ${c.join(' ')}`, async () => {
        const [a, b] = await Promise.all([cli(srv.port, [mode, ...c]), cli(oracle.port, [mode, ...c])]);
        expect(a.stdout).toBe(b.stdout);
        expect(a.stderr).toBe(b.stderr);
      });
    }
  }
});
