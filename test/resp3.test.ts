import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

let srv: RunningServer;
let secured: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
  secured = await startTestServer({ requirepass: 'sekret' });
});
afterAll(async () => {
  await srv.close();
  await secured.close();
});

describe('HELLO and RESP3', () => {
  it('switches to RESP3 and back', async () => {
    const s = await RawSession.connect(srv.port);
    const hello = await s.call('HELLO', '3');
    expect(hello).toMatch(
      /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$/,
    );
    expect(await s.call('GET', 'missing-key')).toBe('_\r\n');
    expect(await s.call('CLIENT', 'TRACKINGINFO')).toBe('%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n');
    const hello2 = await s.call('HELLO', '2');
    expect(hello2.startsWith('*14\r\n')).toBe(true);
    expect(await s.call('GET', 'missing-key')).toBe('$-1\r\n');
    expect(await s.call('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await s.call('HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    s.close();
  });

  it('sets the name with SETNAME', async () => {
    const s = await RawSession.connect(srv.port);
    await s.call('HELLO', '3', 'SETNAME', 'conn1');
    expect(await s.call('CLIENT', 'GETNAME')).toBe('$5\r\nconn1\r\n');
    s.close();
  });

  it('serves node-redis in RESP3', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${srv.port}`, RESP: 3 });
    await client.connect();
    await client.set('r3', 'v');
    expect(await client.get('r3')).toBe('v');
    expect(await client.get('r3-missing')).toBe(null);
    expect(await client.incrByFloat('r3f', 1.5)).toBe('1.5');
    await client.quit();
  });

  it('authenticates with AUTH and HELLO AUTH (ioredis with a password)', async () => {
    const s = await RawSession.connect(secured.port);
    expect(await s.call('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await s.call('HELLO', '3')).toBe(
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
    );
    expect(await s.call('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await s.call('HELLO', '3', 'AUTH', 'default', 'sekret')).startsWith('%7\r\n')).toBe(true);
    expect(await s.call('GET', 'k')).toBe('_\r\n');
    expect(await s.call('RESET')).toBe('+RESET\r\n');
    expect(await s.call('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await s.call('AUTH', 'sekret')).toBe('+OK\r\n');
    expect(await s.call('GET', 'k')).toBe('$-1\r\n');
    s.close();
    const r = new Redis({ port: secured.port, host: '127.0.0.1', password: 'sekret', lazyConnect: true });
    await r.connect();
    expect(await r.set('a', '1')).toBe('OK');
    expect(await r.get('a')).toBe('1');
    r.disconnect();
  });

  it('AUTH without requirepass is an error', async () => {
    const s = await RawSession.connect(srv.port);
    expect(await s.call('AUTH', 'x')).toBe(
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    s.close();
  });
});

describe.skipIf(!oracleAvailable)('connection commands against Redis', () => {
  let oracle: Oracle;
  let pair: Pair;
  beforeAll(async () => {
    oracle = await startOracle();
    pair = await connectPair(srv.port, oracle.port);
  });
  afterAll(async () => {
    closePair(pair);
    await oracle.close();
  });

  it('answers the same', async () => {
    await expectSame(pair, [
      ['HELLO', '4'],
      ['HELLO', 'abc'],
      ['HELLO', '3', 'bogus'],
      ['HELLO', '3', 'SETNAME', 'a b'],
      ['AUTH', 'a', 'b', 'c'],
      ['AUTH', 'x'],
      ['SWAPDB', 'a', '1'],
      ['SWAPDB', '0', 'b'],
      ['SWAPDB', '0', '100'],
      ['SET', 'sw', '1'],
      ['SWAPDB', '0', '1'],
      ['GET', 'sw'],
      ['SELECT', '1'],
      ['GET', 'sw'],
      ['RESET'],
      ['GET', 'sw'],
      ['SWAPDB', '0', '1'],
      ['GET', 'sw'],
      ['CLIENT', 'SETNAME', 'bad name'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'good'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', '999999'],
      ['CLIENT', 'REPLY', 'bogus'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'UNBLOCK', '999999'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'PAUSE', 'abc'],
      ['CLIENT', 'PAUSE', '-1'],
      ['CLIENT', 'PAUSE', '10', 'BAD'],
      ['CLIENT', 'KILL', 'MAXAGE', 'x'],
      ['CLIENT', 'LIST', 'TYPE', 'bogus'],
      ['CLIENT', 'NOSUCH'],
    ]);
  });
});
