import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

/** Switches a session to RESP3: HELLO 3 when the server has it, else directly on the server's client. */
async function useResp3(s: RawSession, server?: RunningServer): Promise<void> {
  const r = await s.call('HELLO', '3');
  if (!r.startsWith('-') || server === undefined) return;
  for (const c of server.state.clients.values()) if (c.raddr.endsWith(`:${s.socket.localPort}`)) c.resp = 3;
}

const NOT_ALLOWED =
  '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a ' +
  'local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n';

const PROTOCOL_TYPES = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'TRUE', 'nope'];

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer({ 'enable-debug-command': 'yes' });
});
afterAll(async () => {
  await srv.close();
});

describe('DEBUG', () => {
  it('is refused unless enable-debug-command allows it; "local" allows loopback', async () => {
    const off = await startTestServer();
    const s = await RawSession.connect(off.port);
    expect(await s.call('DEBUG', 'HELP')).toBe(NOT_ALLOWED);
    expect(await s.call('DEBUG')).toBe("-ERR wrong number of arguments for 'debug' command\r\n");
    s.close();
    await off.close();
    const local = await startTestServer({ 'enable-debug-command': 'local' });
    const l = await RawSession.connect(local.port);
    expect(await l.call('DEBUG', 'LOG', 'hi')).toBe('+OK\r\n');
    l.close();
    await local.close();
  });

  it('HELP lists the subcommands in Redis\'s help format', async () => {
    const s = await RawSession.connect(srv.port);
    const help = await s.call('DEBUG', 'HELP');
    expect(help).toMatch(/^\*\d+\r\n\+DEBUG <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
    expect(help.endsWith('+HELP\r\n+    Prints this help.\r\n')).toBe(true);
    for (const sub of ['DIGEST-VALUE', 'PROTOCOL', 'SLEEP', 'OBJECT', 'SET-ACTIVE-EXPIRE', 'POPULATE']) expect(help).toContain(`+${sub}`);
    s.close();
  });

  it('SLEEP blocks the server for the given seconds', async () => {
    const s = await RawSession.connect(srv.port);
    const t0 = Date.now();
    expect(await s.call('DEBUG', 'SLEEP', '0.1')).toBe('+OK\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(await s.call('DEBUG', 'SLEEP', '0')).toBe('+OK\r\n');
    expect(await s.call('DEBUG', 'SLEEP', 'abc')).toBe('+OK\r\n');
    s.close();
  });

  it('OBJECT shows encoding, refcount, serialized length and LRU of a value', async () => {
    const s = await RawSession.connect(srv.port);
    await s.call('SET', 'os', 'hello');
    await s.call('SET', 'oi', '12345');
    await s.call('SET', 'osh', '7');
    await s.call('SET', 'or', 'x'.repeat(45));
    const line = /^\+Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\w+) serializedlength:(\d+) lru:(\d+) lru_seconds_idle:(\d+)\r\n$/;
    const parse = async (key: string) => line.exec(await s.call('DEBUG', 'OBJECT', key))!.slice(1, 4);
    expect(await parse('os')).toEqual(['1', 'embstr', '6']);
    expect(await parse('oi')).toEqual(['1', 'int', '3']);
    expect(await parse('osh')).toEqual(['2147483647', 'int', '2']);
    expect((await parse('or')).slice(0, 2)).toEqual(['1', 'raw']);
    expect(await s.call('DEBUG', 'OBJECT', 'nokey')).toBe('-ERR no such key\r\n');
    s.close();
  });

  it('ERROR replies with the text as an error without counting it', async () => {
    const own = await startTestServer({ 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(own.port);
    expect(await s.call('DEBUG', 'ERROR', 'FOO bar')).toBe('-FOO bar\r\n');
    expect(own.state.stats.totalErrorReplies).toBe(0);
    expect(own.state.stats.errorStats.size).toBe(0);
    s.close();
    await own.close();
  });

  it('SET-ACTIVE-EXPIRE, PAUSE-CRON, CHANGE-REPL-ID and QUICKLIST-PACKED-THRESHOLD set server state', async () => {
    const own = await startTestServer({ 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(own.port);
    expect(await s.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('+OK\r\n');
    expect(own.state.activeExpireEnabled).toBe(false);
    expect(await s.call('DEBUG', 'set-active-expire', '1')).toBe('+OK\r\n');
    expect(own.state.activeExpireEnabled).toBe(true);
    expect(await s.call('DEBUG', 'PAUSE-CRON', '1')).toBe('+OK\r\n');
    expect(own.state.cronPaused).toBe(true);
    await s.call('DEBUG', 'PAUSE-CRON', '0');
    const before = own.state.replId;
    expect(await s.call('DEBUG', 'CHANGE-REPL-ID')).toBe('+OK\r\n');
    expect(own.state.replId).not.toBe(before);
    expect(own.state.replId).toMatch(/^[0-9a-f]{40}$/);
    expect(await s.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1mb')).toBe('+OK\r\n');
    expect(own.state.quicklistPackedThreshold).toBe(1024 * 1024);
    s.close();
    await own.close();
  });

  it('LOG writes to the server log; STRINGMATCH-TEST survives the fuzzer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-debug-'));
    const own = await startTestServer({ 'enable-debug-command': 'yes' });
    own.state.log.enabled = true;
    own.state.log.file = path.join(dir, 'log');
    const s = await RawSession.connect(own.port);
    expect(await s.call('DEBUG', 'LOG', 'hello there')).toBe('+OK\r\n');
    expect(readFileSync(own.state.log.file, 'utf8')).toMatch(/^\d+:M \d\d \w{3} \d{4} [\d:.]+ # DEBUG LOG: hello there\n$/);
    expect(await s.call('DEBUG', 'STRINGMATCH-TEST')).toBe('+Apparently Redis did not crash: test passed\r\n');
    s.close();
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PANIC logs a crash report and aborts the process', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tredis-debug-'));
    const own = await startTestServer({ 'enable-debug-command': 'yes' });
    own.state.log.file = path.join(dir, 'log');
    const abort = vi.spyOn(process, 'abort').mockImplementation(() => undefined as never);
    const s = await RawSession.connect(own.port);
    s.write('*2\r\n$5\r\nDEBUG\r\n$5\r\nPANIC\r\n');
    await vi.waitFor(() => expect(abort).toHaveBeenCalledTimes(1));
    abort.mockRestore();
    const log = readFileSync(own.state.log.file, 'utf8');
    expect(log).toContain('# === REDIS BUG REPORT START: Cut & paste starting from here ===');
    expect(log).toMatch(/# Guru Meditation: DEBUG PANIC called at Unix time \d+/);
    expect(log).toContain('# redis_version:7.0.15');
    s.close();
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(!oracleAvailable)('DEBUG against the oracle', () => {
  let oracle: Oracle;
  let pair: Pair;
  beforeAll(async () => {
    oracle = await startOracle(['--enable-debug-command', 'yes']);
    pair = await connectPair(srv.port, oracle.port);
  });
  afterAll(async () => {
    closePair(pair);
    await oracle.close();
  });

  it('is refused the same way when not enabled', async () => {
    const off = await startOracle();
    const s = await RawSession.connect(off.port);
    expect(await s.call('DEBUG', 'HELP')).toBe(NOT_ALLOWED);
    s.close();
    await off.close();
  });

  it('PROTOCOL sends the same bytes in RESP2 and RESP3', async () => {
    await expectSame(pair, PROTOCOL_TYPES.map((t) => ['DEBUG', 'PROTOCOL', t]));
    await useResp3(pair.ours, srv);
    await useResp3(pair.theirs);
    await expectSame(pair, PROTOCOL_TYPES.map((t) => ['DEBUG', 'PROTOCOL', t]));
    closePair(pair);
    pair = await connectPair(srv.port, oracle.port);
  });

  it('DIGEST and DIGEST-VALUE match Redis for strings, integers, expiries and several dbs', async () => {
    await expectSame(pair, [
      ['FLUSHALL'],
      ['DEBUG', 'DIGEST'],
      ['SET', 'a', 'b'],
      ['DEBUG', 'DIGEST'],
      ['SET', 'n', '12345'],
      ['SET', 'neg', '-7'],
      ['SET', 'bin', '\x00\xff\r\n'],
      ['SET', 'e', 'v', 'EX', '1000'],
      ['SELECT', '3'],
      ['SET', 'x', 'y'],
      ['SET', 'big', '9'.repeat(19)],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'x', 'big', 'nokey'],
      ['SELECT', '0'],
      ['DEBUG', 'DIGEST-VALUE', 'a', 'n', 'neg', 'bin', 'e', 'nokey'],
      ['DEBUG', 'DIGEST-VALUE'],
      ['DEBUG', 'DIGEST', 'x'],
    ]);
  });

  it('POPULATE creates the same keys and values', async () => {
    await expectSame(pair, [
      ['FLUSHALL'],
      ['DEBUG', 'POPULATE', '5'],
      ['DBSIZE'],
      ['GET', 'key:4'],
      ['DEBUG', 'POPULATE', '3', 'pre', '10'],
      ['GET', 'pre:0'],
      ['DEBUG', 'POPULATE', '3', 'sh', '3'],
      ['GET', 'sh:2'],
      ['SET', 'key:1', 'mine'],
      ['DEBUG', 'POPULATE', '3'],
      ['GET', 'key:1'],
      ['DBSIZE'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', '1', 'a', '-1'],
      ['DEBUG', 'POPULATE', '1', 'a', '1', 'extra'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('argument errors and unknown subcommands are identical', async () => {
    await expectSame(pair, [
      ['DEBUG', 'OBJECT'],
      ['DEBUG', 'OBJECT', 'a', 'b'],
      ['DEBUG', 'OBJECT', 'nokey'],
      ['DEBUG', 'HELP', 'x'],
      ['DEBUG', 'LOG'],
      ['DEBUG', 'PROTOCOL'],
      ['DEBUG', 'SLEEP'],
      ['DEBUG', 'SLEEP', '0'],
      ['DEBUG', 'JMAP'],
      ['DEBUG', 'nosuch'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['DEBUG', 'CHANGE-REPL-ID', 'x'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 'x'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '5gb'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '0'],
      ['DEBUG', 'ERROR', 'ERR custom'],
      ['DEBUG', 'ERROR', ''],
    ]);
  });

  it('OBJECT reports the same encoding, refcount and serialized length for plain strings', async () => {
    const line = /refcount:(\d+) encoding:(\w+) serializedlength:(\d+) /;
    for (const [k, v] of [
      ['s', 'hello'],
      ['i', '12345'],
      ['small', '7'],
      ['neg', '-200'],
      ['big', '2147483648'],
      ['long', 'abcdefghijklmnopqrst'],
    ] as const) {
      const [a, b] = await Promise.all([
        (async () => (await pair.ours.call('SET', k, v), await pair.ours.call('DEBUG', 'OBJECT', k)))(),
        (async () => (await pair.theirs.call('SET', k, v), await pair.theirs.call('DEBUG', 'OBJECT', k)))(),
      ]);
      expect(line.exec(a)?.slice(1), k).toEqual(line.exec(b)?.slice(1));
    }
  });
});
