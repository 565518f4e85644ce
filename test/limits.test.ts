/*
 * Connection-level limits: client-query-buffer-limit, maxclients and the pre-AUTH limits that
 * requirepass imposes (small multibulk/bulk lengths, NOAUTH). Replies are compared with the
 * oracle where it is available; the tredis-only assertions pin Redis 7's exact strings.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSession } from './helpers/raw';
import { startOracle, oracleAvailable, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

type Srv = Awaited<ReturnType<typeof startTestServer>>;

async function collect(port: number, data: string, timeoutMs = 3000): Promise<string> {
  const r = await RawSession.connect(port);
  r.write(data);
  try {
    return await r.readUntilClosed(timeoutMs);
  } finally {
    r.close();
  }
}

describe('client-query-buffer-limit', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer({ 'client-query-buffer-limit': '1mb' });
  });
  afterAll(async () => {
    await srv.close();
  });

  // a big (>=32KB) bulk is received into its own buffer; the limit applies to it as well, and Redis
  // closes such a client silently (checked with the oracle below)
  it('disconnects a client sending an unterminated 2MB bulk; others are unaffected', async () => {
    const other = await RawSession.connect(srv.port);
    expect(await other.call('SET', 'keep', 'me')).toBe('+OK\r\n');
    const bad = await RawSession.connect(srv.port);
    bad.write(`*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$${4 << 20}\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'z');
    for (let i = 0; i < 32 && !bad.closed; i++) {
      bad.write(chunk);
      await new Promise((r) => setTimeout(r, 5));
    }
    await bad.readUntilClosed(5000);
    expect(bad.closed).toBe(true);
    bad.close();
    expect(await other.call('GET', 'keep')).toBe('$2\r\nme\r\n');
    const fresh = await RawSession.connect(srv.port);
    expect(await fresh.call('PING')).toBe('+PONG\r\n');
    expect(await fresh.call('EXISTS', 'x')).toBe(':0\r\n');
    fresh.close();
    other.close();
  }, 20000);
});

describe.skipIf(!oracleAvailable)('client-query-buffer-limit (oracle)', () => {
  it('Redis closes a client sending an unterminated 2MB bulk without a reply', async () => {
    const oracle = await startOracle(['--client-query-buffer-limit', '1mb']);
    try {
      const bad = await RawSession.connect(oracle.port);
      bad.write(`*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$${4 << 20}\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'z');
      for (let i = 0; i < 32 && !bad.closed; i++) {
        bad.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await bad.readUntilClosed(5000)).toBe('');
      bad.close();
    } finally {
      await oracle.close();
    }
  }, 20000);
});

describe('client-query-buffer-limit with many small args', () => {
  // Redis 7.0 counts only unparsed bytes against the limit, so an unterminated multibulk of many
  // small arguments (2.5MB in total) keeps the connection open (checked with the oracle).
  const run = async (port: number): Promise<boolean> => {
    const r = await RawSession.connect(port);
    r.write('*1000000\r\n');
    const chunk = Buffer.from('$3\r\nabc\r\n'.repeat(7000));
    for (let i = 0; i < 40 && !r.closed; i++) {
      r.write(chunk);
      await new Promise((res) => setTimeout(res, 5));
    }
    await new Promise((res) => setTimeout(res, 300));
    const closed = r.closed;
    r.close();
    return closed;
  };
  it('tredis keeps the connection open, and so does Redis', async () => {
    const srv = await startTestServer({ 'client-query-buffer-limit': '1mb' });
    try {
      expect(await run(srv.port)).toBe(false);
      const fresh = await RawSession.connect(srv.port);
      expect(await fresh.call('PING')).toBe('+PONG\r\n');
      fresh.close();
    } finally {
      await srv.close();
    }
    if (oracleAvailable) {
      const oracle = await startOracle(['--client-query-buffer-limit', '1mb']);
      try {
        expect(await run(oracle.port)).toBe(false);
      } finally {
        await oracle.close();
      }
    }
  }, 20000);
});

describe('maxclients', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer({ maxclients: '3' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('refuses the connection past the limit with Redis error', async () => {
    const conns = [];
    for (let i = 0; i < 3; i++) {
      const r = await RawSession.connect(srv.port);
      expect(await r.call('PING')).toBe('+PONG\r\n');
      conns.push(r);
    }
    const extra = await RawSession.connect(srv.port);
    expect(await extra.readUntilClosed()).toBe('-ERR max number of clients reached\r\n');
    conns.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawSession.connect(srv.port);
    expect(await again.call('PING')).toBe('+PONG\r\n');
    again.close();
    for (const c of conns) c.close();
  });
});

describe('requirepass unauthenticated limits', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await startTestServer({ requirepass: 'x' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('NOAUTH before AUTH, then works', async () => {
    const r = await RawSession.connect(srv.port);
    expect(await r.call('GET', 'a')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await r.call('AUTH', 'x')).toBe('+OK\r\n');
    expect(await r.call('GET', 'a')).toBe('$-1\r\n');
    r.close();
  });

  it('rejects big multibulk/bulk lengths before AUTH', async () => {
    expect(await collect(srv.port, '*11\r\n')).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    expect(await collect(srv.port, '*2\r\n$4\r\nAUTH\r\n$16385\r\n')).toBe('-ERR Protocol error: unauthenticated bulk length\r\n');
  });

  it('allows big lengths after AUTH', async () => {
    const r = await RawSession.connect(srv.port);
    expect(await r.call('AUTH', 'x')).toBe('+OK\r\n');
    expect(await r.call('SET', 'big', 'v'.repeat(20000))).toBe('+OK\r\n');
    expect(await r.call('DEL', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k')).toBe(':0\r\n');
    r.close();
  });
});

describe.skipIf(!oracleAvailable)('requirepass limits vs oracle', () => {
  let srv: Srv;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer({ requirepass: 'x' });
    oracle = await startOracle(['--requirepass', 'x']);
  });
  afterAll(async () => {
    await srv.close();
    await oracle.close();
  });

  const inputs = [
    '*11\r\n',
    '*10\r\n',
    '*2\r\n$4\r\nAUTH\r\n$16385\r\n',
    '*2\r\n$4\r\nAUTH\r\n$16384\r\n',
    'GET a\r\nAUTH y\r\nAUTH x\r\nGET a\r\n',
    'AUTH default x\r\nDEL a b c d e f g h i j k\r\n',
    'PING\r\nQUIT\r\n',
  ];
  for (const input of inputs) {
    it(`same reply for ${JSON.stringify(input)}`, async () => {
      const run = async (port: number): Promise<string> => {
        const r = await RawSession.connect(port);
        r.write(input);
        try {
          return await r.readUntilClosed(400);
        } catch {
          return 'open:' + (await (async () => {
            // still open: gather what arrived
            const out: string[] = [];
            for (;;) {
              try {
                out.push(await r.readReply(50));
              } catch {
                break;
              }
            }
            return out.join('');
          })());
        } finally {
          r.close();
        }
      };
      const [a, b] = await Promise.all([run(srv.port), run(oracle.port)]);
      expect(a).toBe(b);
    });
  }
});
