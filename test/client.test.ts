import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

const fieldNames = (line: string): string[] => line.trim().split(' ').map((f) => f.split('=')[0]!);

describe('CLIENT', () => {
  it('REPLY OFF and SKIP drop the following replies only', async () => {
    const s = await RawSession.connect(srv.port);
    s.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n');
    expect(await s.readReply()).toBe('$1\r\nb\r\n');
    s.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n');
    expect(await s.readReply()).toBe('+OK\r\n');
    expect(await s.call('ECHO', 'd')).toBe('$1\r\nd\r\n');
    s.close();
  });

  it('ID, INFO, LIST filters', async () => {
    const s = await RawSession.connect(srv.port);
    const id = (await s.call('CLIENT', 'ID')).slice(1, -2);
    const info = await s.call('CLIENT', 'INFO');
    expect(info).toContain(`id=${id} `);
    expect(info).toContain('cmd=client|info');
    const list = await s.call('CLIENT', 'LIST', 'ID', id);
    expect(list).toContain(`id=${id} `);
    expect(await s.call('CLIENT', 'LIST', 'ID', 'x')).toBe('-ERR Invalid client ID\r\n');
    s.close();
  });

  it('KILL by ID and by address, and of itself', async () => {
    const a = await RawSession.connect(srv.port);
    const b = await RawSession.connect(srv.port);
    const idB = (await b.call('CLIENT', 'ID')).slice(1, -2);
    expect(await a.call('CLIENT', 'KILL', 'ID', idB)).toBe(':1\r\n');
    expect(await b.readUntilClosed()).toBe('');
    const c = await RawSession.connect(srv.port);
    const infoC = await c.call('CLIENT', 'INFO');
    const addr = /addr=(\S+)/.exec(infoC)![1]!;
    expect(await a.call('CLIENT', 'KILL', addr)).toBe('+OK\r\n');
    expect(await c.readUntilClosed()).toBe('');
    const idA = (await a.call('CLIENT', 'ID')).slice(1, -2);
    expect(await a.call('CLIENT', 'KILL', 'ID', idA, 'SKIPME', 'yes')).toBe(':0\r\n');
    expect(await a.call('CLIENT', 'KILL', 'ID', idA, 'SKIPME', 'no')).toBe(':1\r\n');
    expect(await a.readUntilClosed()).toBe('');
  });

  it('PAUSE WRITE holds writes until UNPAUSE', async () => {
    const a = await RawSession.connect(srv.port);
    const b = await RawSession.connect(srv.port);
    expect(await a.call('CLIENT', 'PAUSE', '10000', 'WRITE')).toBe('+OK\r\n');
    expect(await b.call('GET', 'paused-key')).toBe('$-1\r\n');
    const pending = b.call('SET', 'paused-key', 'v');
    let done = false;
    void pending.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    expect(await a.call('CLIENT', 'UNPAUSE')).toBe('+OK\r\n');
    expect(await pending).toBe('+OK\r\n');
    a.close();
    b.close();
  });

  it('HELP and the small subcommands', async () => {
    const s = await RawSession.connect(srv.port);
    expect((await s.call('CLIENT', 'HELP')).startsWith('*')).toBe(true);
    expect(await s.call('CLIENT', 'NO-TOUCH', 'on')).toBe('+OK\r\n');
    expect(await s.call('CLIENT', 'NO-EVICT', 'on')).toBe('+OK\r\n');
    expect(await s.call('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib')).toBe('+OK\r\n');
    expect(await s.call('CLIENT', 'GETREDIR')).toBe(':-1\r\n');
    expect(await s.call('CLIENT', 'UNBLOCK', '1')).toBe(':0\r\n');
    s.close();
  });
});

describe.skipIf(!oracleAvailable)('CLIENT LIST against Redis', () => {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
  });

  it('prints the same fields in the same order', async () => {
    const ours = await RawSession.connect(srv.port);
    const theirs = await RawSession.connect(oracle.port);
    const a = await ours.call('CLIENT', 'INFO');
    const b = await theirs.call('CLIENT', 'INFO');
    expect(fieldNames(a.split('\r\n')[1]!)).toEqual(fieldNames(b.split('\r\n')[1]!));
    ours.close();
    theirs.close();
  });
});
