/*
 * Protocol robustness: pipelining, byte-at-a-time delivery, inline commands, malformed requests
 * (compared byte for byte with the oracle, including whether the connection is closed) and binary
 * safety of keys/values. Malformed-input cases collect everything the server sends until it
 * closes or goes quiet, because Redis replies with an error and then closes.
 */

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawSession } from './helpers/raw';
import { startOracle, oracleAvailable, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

/** A test name for a protocol input: JSON-escaped, long inputs cut in the middle. */
function label(input: string): string {
  const j = JSON.stringify(input);
  return j.length <= 80 ? j : `${j.slice(0, 40)}…(${input.length} bytes)…${j.slice(-30)}`;
}

type Srv = Awaited<ReturnType<typeof startTestServer>>;

/** Sends bytes, returns what came back until close or `quietMs` of silence. */
function exchange(port: number, data: Buffer | string, quietMs = 300): Promise<{ out: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ out, closed });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    s.on('connect', () => {
      s.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      arm();
    });
    s.on('data', (d) => {
      out += d.toString('latin1');
      arm();
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

describe('protocol (tredis only)', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('answers a 500-command pipeline in one write, in order', async () => {
    const r = await RawSession.connect(srv.port);
    const parts: Buffer[] = [];
    for (let i = 0; i < 500; i++) parts.push(encodeCommand(i % 2 === 0 ? ['SET', `p:${i}`, `v${i}`] : ['GET', `p:${i - 1}`]));
    r.write(Buffer.concat(parts));
    for (let i = 0; i < 500; i++) {
      const rep = await r.readReply();
      expect(rep).toBe(i % 2 === 0 ? '+OK\r\n' : `$${`v${i - 1}`.length}\r\nv${i - 1}\r\n`);
    }
    r.close();
  });

  it('handles a pipeline delivered one byte at a time', async () => {
    const r = await RawSession.connect(srv.port);
    r.socket.setNoDelay(true);
    const data = Buffer.concat([encodeCommand(['SET', 'bb', 'hello']), encodeCommand(['GET', 'bb']), Buffer.from('PING\r\n')]);
    for (const byte of data) {
      r.write(Buffer.from([byte]));
      await new Promise((res) => setImmediate(res));
    }
    expect(await r.readReply()).toBe('+OK\r\n');
    expect(await r.readReply()).toBe('$5\r\nhello\r\n');
    expect(await r.readReply()).toBe('+PONG\r\n');
    r.close();
  });

  it('round-trips all 256 byte values in keys and values', async () => {
    const r = await RawSession.connect(srv.port);
    for (let b = 0; b < 256; b++) {
      const key = Buffer.from([b, 0, b, 13, 10]);
      const val = Buffer.from([b, b, 0, 255, b]);
      expect(await r.call('SET', key, val)).toBe('+OK\r\n');
    }
    for (let b = 0; b < 256; b++) {
      const key = Buffer.from([b, 0, b, 13, 10]);
      const val = Buffer.from([b, b, 0, 255, b]);
      expect(await r.call('GET', key)).toBe(`$5\r\n${val.toString('latin1')}\r\n`);
    }
    const all = Buffer.alloc(256);
    for (let b = 0; b < 256; b++) all[b] = b;
    expect(await r.call('SET', all, all)).toBe('+OK\r\n');
    expect(await r.call('GET', all)).toBe(`$256\r\n${all.toString('latin1')}\r\n`);
    r.close();
  });

  for (const size of [1 << 20, 20 << 20]) {
    it(`round-trips a ${size >> 20}MB value byte-exact`, async () => {
      const r = await RawSession.connect(srv.port);
      const v = Buffer.alloc(size);
      for (let i = 0; i < size; i++) v[i] = (i * 131 + (i >> 8)) & 255;
      expect(await r.call('SET', 'big', v)).toBe('+OK\r\n');
      const rep = await r.call('GET', 'big');
      const head = `$${size}\r\n`;
      expect(rep.slice(0, head.length)).toBe(head);
      expect(Buffer.from(rep.slice(head.length, head.length + size), 'latin1').equals(v)).toBe(true);
      expect(await r.call('STRLEN', 'big')).toBe(`:${size}\r\n`);
      r.close();
    }, 30000);
  }
});

describe('proto-max-bulk-len', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer({ 'proto-max-bulk-len': '1mb' });
  });
  afterAll(async () => {
    await srv.close();
  });
  it('accepts exactly 1MB and rejects 1MB+1', async () => {
    const r = await RawSession.connect(srv.port);
    expect(await r.call('SET', 'k', Buffer.alloc(1 << 20, 'a'))).toBe('+OK\r\n');
    expect(await r.call('STRLEN', 'k')).toBe(`:${1 << 20}\r\n`);
    r.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${(1 << 20) + 1}\r\n`);
    expect(await r.readUntilClosed()).toBe('-ERR Protocol error: invalid bulk length\r\n');
    r.close();
  });
});

describe.skipIf(!oracleAvailable)('protocol vs oracle', () => {
  let srv: Srv;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
  });
  afterAll(async () => {
    await srv.close();
    await oracle.close();
  });

  const same = async (data: string | Buffer, quietMs = 300): Promise<{ out: string; closed: boolean }> => {
    const [a, b] = await Promise.all([exchange(srv.port, data, quietMs), exchange(oracle.port, data, quietMs)]);
    expect(a, `input ${JSON.stringify(data.toString().slice(0, 80))}`).toEqual(b);
    return b;
  };

  const inline = [
    'PING\r\n',
    'ECHO a\r\n',
    'SET  il   v1 \r\nGET il\r\n',
    'SET\til\tv2\r\nGET il\r\n',
    'ECHO "a b"\r\n',
    "ECHO 'x'\r\n",
    'ECHO "\\x41\\n\\t\\\\"\r\n',
    "ECHO 'it\\'s'\r\n",
    'ECHO ""\r\n',
    'PING\nECHO lf\n',
    '\r\n\r\n\nPING\r\n',
    '   \r\nPING\r\n',
    'ECHO "a"b\r\n',
    'ECHO "unbalanced\r\nPING\r\n',
    "ECHO 'unbalanced\r\nPING\r\n",
    'NOSUCHCMD a b\r\n',
  ];
  for (const input of inline) {
    it(`inline ${label(input)}`, async () => {
      await same(input);
    });
  }

  const malformed = [
    '*abc\r\nPING\r\n',
    '*-1\r\nPING\r\n',
    '*0\r\nPING\r\n',
    '*1\r\n:1\r\nPING\r\n',
    '*1\r\n$-5\r\nPING\r\n',
    '*1\r\n$x\r\nPING\r\n',
    '*1\r\n$abc\r\n',
    '*2\r\n$4\r\nECHO\r\n$1\r\nabc\r\nPING\r\n',
    `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${512 * 1024 * 1024 + 1}\r\n`,
    '*1048577\r\n',
    '*1024\r\n',
    '*99999999999999999999\r\n',
    '$3\r\nSET\r\n',
    'SET x 1\r\n*abc\r\nSET y 2\r\n',
    'PING\r\n*1\r\n$q\r\nSET z 1\r\n',
    '*1\r\n$4\r\nPINGxxPING\r\n',
    '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n',
    '*1\n$4\r\nPING\r\n',
    '*1\r\n$4\nPING\r\n',
    '*1\r\n$4\r\nPING\n',
    '*+1\r\n$4\r\nPING\r\n',
    '*1\r\n$+4\r\nPING\r\n',
    '*1\r\n$\r\n',
    '*\r\nPING\r\n',
    ' *1\r\n',
    '*1\r\n$4\r\nPING\r\n*1\r\n',
    `*2\r\n$4\r\nECHO\r\n$40000\r\n${'q'.repeat(40000)}XYPING\r\n`,
    '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nab\r\n*1\r\n$3\r\nGET\r\n',
  ];
  for (const input of malformed) {
    it(`malformed ${label(input)}`, async () => {
      await same(input);
    });
  }

  // Redis parses lengths with string2ll, which rejects leading zeros and "-0": a protocol error
  const leadingZeros = ['*01\r\n$4\r\nPING\r\n', '*1\r\n$04\r\nPING\r\n', '*-0\r\nPING\r\n', '*1\r\n$-0\r\nPING\r\n'];
  for (const input of leadingZeros) {
    it(`malformed (leading zero) ${label(input)}`, async () => {
      await same(input);
    });
  }

  it('commands after a protocol error in the same packet are not executed', async () => {
    await same('DEL after1\r\n');
    await same('*x\r\nSET after1 1\r\n');
    await same('EXISTS after1\r\n');
    const r = await exchange(srv.port, 'EXISTS after1\r\n');
    expect(r.out).toBe(':0\r\n');
  });

  it('an inline request over 64KB without newline is rejected like Redis', async () => {
    const r = await same('A'.repeat(70 * 1024), 500);
    expect(r.closed).toBe(true);
  });

  it('an oversized multibulk header without newline is rejected like Redis', async () => {
    await same('*' + '1'.repeat(70 * 1024), 500);
  });
});
