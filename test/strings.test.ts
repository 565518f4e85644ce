import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { useServer } from './helpers/setup';

const t = useServer();

describe('GET / SET', () => {
  it('stores and returns binary-safe values', async () => {
    const bin = Buffer.from([0, 1, 2, 255, 254, 13, 10, 0]);
    expect(await t.r.set('bin', bin)).toBe('OK');
    expect(await t.r.getBuffer('bin')).toEqual(bin);
    expect(await t.r.get('missing')).toBeNull();
    expect(await t.r.set('n', '12345')).toBe('OK');
    expect(await t.r.get('n')).toBe('12345');
    expect(t.srv.state.dbs[0]!.get('n')).toBe(12345);
    expect(await t.r.set('big', '-9223372036854775808')).toBe('OK');
    expect(await t.r.get('big')).toBe('-9223372036854775808');
  });

  it('honours NX, XX, GET, KEEPTTL and expiry options', async () => {
    expect(await t.r.set('k', 'v1', 'NX')).toBe('OK');
    expect(await t.r.set('k', 'v2', 'NX')).toBeNull();
    expect(await t.r.set('other', 'v', 'XX')).toBeNull();
    expect(await t.r.set('k', 'v3', 'XX', 'GET')).toBe('v1');
    expect(await t.r.set('k', 'v4', 'EX', 100)).toBe('OK');
    expect(await t.r.ttl('k')).toBe(100);
    expect(await t.r.set('k', 'v5', 'KEEPTTL')).toBe('OK');
    expect(await t.r.ttl('k')).toBe(100);
    expect(await t.r.set('k', 'v6')).toBe('OK');
    expect(await t.r.ttl('k')).toBe(-1);
    expect(await t.r.set('k', 'v7', 'PX', 5000)).toBe('OK');
    expect(await t.r.pttl('k')).toBeGreaterThan(4000);
    const at = Math.floor(Date.now() / 1000) + 500;
    expect(await t.r.set('k', 'v8', 'EXAT', at)).toBe('OK');
    expect(await t.r.expiretime('k')).toBe(at);
    expect(await t.r.set('k', 'v9', 'PXAT', at * 1000 + 123)).toBe('OK');
    expect(await t.r.pexpiretime('k')).toBe(at * 1000 + 123);
    await expect(t.r.set('k', 'v', 'EX', 0)).rejects.toThrow("ERR invalid expire time in 'set' command");
    await expect(t.r.call('set', 'k', 'v', 'NX', 'XX')).rejects.toThrow('ERR syntax error');
  });

  it('SET with a past EXAT leaves no readable key', async () => {
    expect(await t.r.set('k', 'v', 'EXAT', 1)).toBe('OK');
    expect(await t.r.get('k')).toBeNull();
    expect(await t.r.exists('k')).toBe(0);
  });
});

describe('counters', () => {
  it('INCR family is int64-exact beyond 2^53', async () => {
    expect(await t.r.incr('c')).toBe(1);
    expect(await t.r.incrby('c', 41)).toBe(42);
    expect(await t.r.decr('c')).toBe(41);
    expect(await t.r.decrby('c', 50)).toBe(-9);
    await t.r.set('c', '9007199254740991');
    await t.r.incr('c');
    await t.r.incrby('c', 1000);
    expect(await t.r.get('c')).toBe('9007199254741992');
    await t.r.set('c', '9223372036854775806');
    await t.r.incr('c');
    expect(await t.r.get('c')).toBe('9223372036854775807');
    await expect(t.r.incr('c')).rejects.toThrow('ERR increment or decrement would overflow');
    await expect(t.r.decrby('c', '-9223372036854775808')).rejects.toThrow('ERR decrement would overflow');
    await t.r.set('s', 'abc');
    await expect(t.r.incr('s')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(t.r.incrby('s', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
  });

  it('INCR keeps the TTL and returns to int encoding', async () => {
    await t.r.set('c', '10', 'EX', 100);
    await t.r.append('c', '0');
    expect(await t.r.object('ENCODING', 'c')).toBe('raw');
    expect(await t.r.incr('c')).toBe(101);
    expect(await t.r.object('ENCODING', 'c')).toBe('int');
    expect(await t.r.ttl('c')).toBe(100);
  });

  it('INCRBYFLOAT prints what Redis prints', async () => {
    expect(await t.r.incrbyfloat('f', '0.1')).toBe('0.1');
    expect(await t.r.incrbyfloat('f', '0.1')).toBe('0.2');
    expect(await t.r.incrbyfloat('f', '0.1')).toBe('0.3');
    await t.r.set('g', '1e10');
    expect(await t.r.incrbyfloat('g', '0.1')).toBe('10000000000.09999999962747097');
    await t.r.set('h', '5.0e3');
    expect(await t.r.incrbyfloat('h', '2.0e2')).toBe('5200');
    expect(await t.r.object('ENCODING', 'h')).toBe('embstr');
    await expect(t.r.incrbyfloat('h', 'abc')).rejects.toThrow('ERR value is not a valid float');
    await expect(t.r.incrbyfloat('h', 'inf')).rejects.toThrow('ERR increment would produce NaN or Infinity');
  });
});

describe('string editing', () => {
  it('APPEND, STRLEN, GETRANGE, SETRANGE', async () => {
    expect(await t.r.append('a', 'Hello')).toBe(5);
    expect(await t.r.append('a', ' World')).toBe(11);
    expect(await t.r.strlen('a')).toBe(11);
    expect(await t.r.getrange('a', 0, 4)).toBe('Hello');
    expect(await t.r.getrange('a', -5, -1)).toBe('World');
    expect(await t.r.setrange('a', 6, 'Redis')).toBe(11);
    expect(await t.r.get('a')).toBe('Hello Redis');
    expect(await t.r.setrange('z', 3, 'x')).toBe(4);
    expect(await t.r.getBuffer('z')).toEqual(Buffer.from([0, 0, 0, 120]));
    await expect(t.r.setrange('z', -1, 'x')).rejects.toThrow('ERR offset is out of range');
    await expect(t.r.setrange('z', 536870911, 'xx')).rejects.toThrow(
      'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
    );
  });

  it('GETDEL, GETEX, GETSET, MGET, MSET, MSETNX', async () => {
    expect(await t.r.mset('a', '1', 'b', '2')).toBe('OK');
    expect(await t.r.mget('a', 'b', 'c')).toEqual(['1', '2', null]);
    expect(await t.r.msetnx('c', '3', 'a', '9')).toBe(0);
    expect(await t.r.msetnx('c', '3', 'd', '4')).toBe(1);
    expect(await t.r.getset('a', 'x')).toBe('1');
    expect(await t.r.getdel('a')).toBe('x');
    expect(await t.r.exists('a')).toBe(0);
    expect(await t.r.getex('b', 'EX', 50)).toBe('2');
    expect(await t.r.ttl('b')).toBe(50);
    expect(await t.r.getex('b', 'PERSIST')).toBe('2');
    expect(await t.r.ttl('b')).toBe(-1);
  });

  it('LCS', async () => {
    await t.r.mset('s1', 'ohmytext', 's2', 'mynewtext');
    expect(await t.r.call('lcs', 's1', 's2')).toBe('mytext');
    expect(await t.r.call('lcs', 's1', 's2', 'LEN')).toBe(6);
    expect(await t.r.call('lcs', 's1', 's2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toEqual([
      'matches',
      [[[4, 7], [5, 8], 4]],
      'len',
      6,
    ]);
  });
});

describe('keyspace events and dirty', () => {
  it('raise Redis event names in order', async () => {
    const events: string[] = [];
    const st = t.srv.state;
    const orig = st.notify;
    st.notify = (type, event, key, db) => {
      events.push(`${type}:${event}:${key}@${db}`);
    };
    try {
      const dirty = st.dirty;
      await t.r.set('a', '1');
      await t.r.set('a', '2', 'EX', 100);
      await t.r.incr('a');
      await t.r.incrbyfloat('a', '1.5');
      await t.r.append('a', 'x');
      await t.r.setrange('a', 0, 'y');
      await t.r.getdel('a');
      expect(events).toEqual([
        'n:new:a@0',
        '$:set:a@0',
        '$:set:a@0',
        'g:expire:a@0',
        '$:incrby:a@0',
        '$:incrbyfloat:a@0',
        '$:append:a@0',
        '$:setrange:a@0',
        'g:del:a@0',
      ]);
      expect(st.dirty - dirty).toBe(7);
    } finally {
      st.notify = orig;
    }
  });
});

describe.skipIf(!oracleAvailable)('strings vs Redis', () => {
  let oracle: Oracle;
  let pair: Pair;
  beforeAll(async () => {
    oracle = await startOracle();
    pair = await connectPair(t.srv.port, oracle.port);
  });
  afterAll(async () => {
    closePair(pair);
    await oracle.close();
  });
  beforeEach(async () => {
    await pair.theirs.call('FLUSHALL');
  });

  it('GET/SET and their options', async () => {
    await expectSame(pair, [
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['GET', 'k'],
      ['SET', 'k', ''],
      ['GET', 'k'],
      ['SET', 'k', 'v', 'NX'],
      ['SET', 'k', 'v', 'nx', 'GET'],
      ['SET', 'k2', 'v', 'XX'],
      ['SET', 'k2', 'v', 'XX', 'GET'],
      ['SET', 'k2', 'v', 'NX', 'GET'],
      ['SET', 'k', 'v2', 'GET'],
      ['SET', 'k', 'v', 'GET', 'GET'],
      ['SET', 'k', 'v', 'NX', 'NX'],
      ['SET', 'k', 'v', 'NX', 'XX'],
      ['SET', 'k', 'v', 'XX', 'NX'],
      ['SET', 'k', 'v', 'EX', '10', 'PX', '10'],
      ['SET', 'k', 'v', 'EX', '10', 'EX', '20'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'PX', '10', 'EX', '10'],
      ['SET', 'k', 'v', 'EXAT', '10', 'PXAT', '10'],
      ['SET', 'k', 'v', 'PXAT', '10', 'EXAT', '10'],
      ['SET', 'k', 'v', 'KEEPTTL', 'EX', '10'],
      ['SET', 'k', 'v', 'EX', '10', 'KEEPTTL'],
      ['SET', 'k', 'v', 'KEEPTTL', 'KEEPTTL'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'PERSIST'],
      ['SET', 'k', 'v', 'EX'],
      ['SET', 'k', 'v', 'EX', 'NX'],
      ['SET', 'k', 'v', 'EX', '0'],
      ['SET', 'k', 'v', 'EX', '-5'],
      ['SET', 'k', 'v', 'PX', '0'],
      ['SET', 'k', 'v', 'EXAT', '0'],
      ['SET', 'k', 'v', 'PXAT', '-1'],
      ['SET', 'k', 'v', 'EX', 'abc'],
      ['SET', 'k', 'v', 'EX', '1.5'],
      ['SET', 'k', 'v', 'EX', '9223372036854775'],
      ['SET', 'k', 'v', 'EX', '9223372036854775807'],
      ['SET', 'k', 'v', 'PX', '9223372036854775807'],
      ['SET', 'k', 'v', 'PX', '9223372036854775808'],
      ['SET', 'k', 'v', 'EXAT', '9223372036854775'],
      ['SET', 'k', 'v', 'EXAT', '9223372036854776'],
      ['SET', 'k', 'v', 'PXAT', '9223372036854775807'],
      ['PEXPIRETIME', 'k'],
      ['EXPIRETIME', 'k'],
      ['SET', 'k', 'v', 'EX', 'abc', 'NX', 'XX'],
      ['SET', 'k', 'v', 'FOO'],
      ['SET', 'k'],
      ['GET'],
      ['GET', 'a', 'b'],
      ['SET', 'k', 'v', 'EXAT', '1'],
      ['GET', 'k'],
      ['SET', 'k', 'v', 'PXAT', '1', 'GET'],
      ['GET', 'k'],
      ['SET', 'n', '123'],
      ['SET', 'n', '-0'],
      ['GET', 'n'],
      ['SET', 'n', '007'],
      ['GET', 'n'],
      ['SET', 'n', '-9223372036854775809'],
      ['GET', 'n'],
      ['SETNX', 'nx', 'a'],
      ['SETNX', 'nx', 'b'],
      ['GET', 'nx'],
      ['SETEX', 'ex', '100', 'v'],
      ['TTL', 'ex'],
      ['SETEX', 'ex', '0', 'v'],
      ['SETEX', 'ex', 'x', 'v'],
      ['SETEX', 'ex', '9223372036854775807', 'v'],
      ['PSETEX', 'ex', '100000', 'v'],
      ['TTL', 'ex'],
      ['PSETEX', 'ex', '-1', 'v'],
      ['SETEX', 'ex', '10'],
    ]);
  });

  it('multi-key and get-and-modify commands', async () => {
    await expectSame(pair, [
      ['MSET', 'a', '1', 'b', '2', 'c', 'three'],
      ['MGET', 'a', 'b', 'c', 'd'],
      ['MGET', 'd'],
      ['MSET', 'a'],
      ['MSET', 'a', '1', 'b'],
      ['MSETNX', 'a', '1', 'x', '2'],
      ['EXISTS', 'x'],
      ['MSETNX', 'x', '1', 'y', '2'],
      ['MSETNX', 'q', '1', 'q', '2'],
      ['GET', 'q'],
      ['MSETNX', 'a'],
      ['GETSET', 'a', 'new'],
      ['GETSET', 'zz', 'new'],
      ['GETDEL', 'a'],
      ['GETDEL', 'a'],
      ['GETEX', 'b'],
      ['GETEX', 'b', 'EX', '100'],
      ['TTL', 'b'],
      ['GETEX', 'b', 'PERSIST'],
      ['TTL', 'b'],
      ['GETEX', 'b', 'PX', '100000'],
      ['TTL', 'b'],
      ['GETEX', 'b', 'EXAT', '4102444800'],
      ['EXPIRETIME', 'b'],
      ['GETEX', 'b', 'PXAT', '4102444800123'],
      ['PEXPIRETIME', 'b'],
      ['GETEX', 'b', 'PERSIST', 'EX', '10'],
      ['GETEX', 'b', 'EX', '10', 'PERSIST'],
      ['GETEX', 'b', 'PERSIST', 'PERSIST'],
      ['GETEX', 'b', 'KEEPTTL'],
      ['GETEX', 'b', 'NX'],
      ['GETEX', 'b', 'GET'],
      ['GETEX', 'b', 'EX'],
      ['GETEX', 'b', 'EX', '0'],
      ['GETEX', 'b', 'EX', 'abc'],
      ['GETEX', 'b', 'EX', '10', 'PX', '10'],
      ['GETEX', 'nokey', 'EX', '0'],
      ['GETEX', 'nokey', 'FOO'],
      ['GETEX', 'b', 'EXAT', '1'],
      ['EXISTS', 'b'],
      ['SET', 'c', 'v', 'EX', '100'],
      ['GETSET', 'c', 'w'],
      ['TTL', 'c'],
    ]);
  });

  it('counters', async () => {
    await expectSame(pair, [
      ['INCR', 'c'],
      ['INCR', 'c'],
      ['DECR', 'c'],
      ['INCRBY', 'c', '100'],
      ['DECRBY', 'c', '1000'],
      ['INCRBY', 'c', '-5'],
      ['INCRBY', 'c', 'x'],
      ['INCRBY', 'c', '1.5'],
      ['INCRBY', 'c', ' 1'],
      ['INCRBY', 'c', '+1'],
      ['INCRBY', 'c', '9223372036854775808'],
      ['DECRBY', 'c', '-9223372036854775808'],
      ['DECRBY', 'c', '-9223372036854775807'],
      ['GET', 'c'],
      ['SET', 'c', '9223372036854775807'],
      ['INCR', 'c'],
      ['DECR', 'c'],
      ['SET', 'c', '-9223372036854775808'],
      ['DECR', 'c'],
      ['INCR', 'c'],
      ['INCRBY', 'c', '9223372036854775807'],
      ['INCRBY', 'c', '9223372036854775807'],
      ['SET', 'c', '9007199254740990'],
      ['INCR', 'c'],
      ['INCR', 'c'],
      ['INCR', 'c'],
      ['GET', 'c'],
      ['OBJECT', 'ENCODING', 'c'],
      ['DECRBY', 'c', '18014398509481983'],
      ['GET', 'c'],
      ['SET', 'c', 'abc'],
      ['INCR', 'c'],
      ['SET', 'c', '1.0'],
      ['INCR', 'c'],
      ['SET', 'c', ' 1'],
      ['INCR', 'c'],
      ['SET', 'c', '1 '],
      ['INCR', 'c'],
      ['SET', 'c', '01'],
      ['INCR', 'c'],
      ['SET', 'c', '-0'],
      ['INCR', 'c'],
      ['SET', 'c', '123456789012345678901'],
      ['INCR', 'c'],
      ['SET', 'c', '5', 'EX', '100'],
      ['INCR', 'c'],
      ['TTL', 'c'],
      ['DECRBY', 'c', '0'],
      ['INCRBY', 'new', '9223372036854775807'],
      ['GET', 'new'],
      ['DECRBY', 'new2', '9223372036854775807'],
      ['DECR', 'new2'],
      ['DECR', 'new2'],
      ['INCR'],
    ]);
  });

  it('INCRBYFLOAT', async () => {
    await expectSame(pair, [
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', '-0.3'],
      ['INCRBYFLOAT', 'f', '10.5'],
      ['INCRBYFLOAT', 'f', '5.0e3'],
      ['INCRBYFLOAT', 'f', '-5.0E3'],
      ['INCRBYFLOAT', 'f', '1e-20'],
      ['SET', 'g', '1e10'],
      ['INCRBYFLOAT', 'g', '0.1'],
      ['SET', 'h', '1e308'],
      ['INCRBYFLOAT', 'h', '1e308'],
      ['SET', 'h', '1e4932'],
      ['INCRBYFLOAT', 'h', '1e4932'],
      ['SET', 'i', 'inf'],
      ['INCRBYFLOAT', 'i', '1'],
      ['INCRBYFLOAT', 'j', 'inf'],
      ['INCRBYFLOAT', 'j', '-infinity'],
      ['INCRBYFLOAT', 'j', 'nan'],
      ['INCRBYFLOAT', 'j', '1e-5000'],
      ['INCRBYFLOAT', 'j', '1e-4950'],
      ['INCRBYFLOAT', 'j', '1e5000'],
      ['INCRBYFLOAT', 'k', '0x1p3'],
      ['INCRBYFLOAT', 'k', '0X1.8P-1'],
      ['INCRBYFLOAT', 'k', '0x'],
      ['INCRBYFLOAT', 'k', '0x1p'],
      ['INCRBYFLOAT', 'k', ' 1'],
      ['INCRBYFLOAT', 'k', '1 '],
      ['INCRBYFLOAT', 'k', '1e'],
      ['INCRBYFLOAT', 'k', '.'],
      ['INCRBYFLOAT', 'k', ''],
      ['INCRBYFLOAT', 'k', '.5'],
      ['INCRBYFLOAT', 'k', '5.'],
      ['INCRBYFLOAT', 'k', '+5'],
      ['INCRBYFLOAT', 'k', '-0'],
      ['INCRBYFLOAT', 'k', '1\x00'],
      ['INCRBYFLOAT', 'k', '1.23456789012345678901234567890'],
      ['INCRBYFLOAT', 'k', '-123456789.987654321'],
      ['SET', 'm', '-0'],
      ['INCRBYFLOAT', 'm', '-0'],
      ['SET', 'm', '5'],
      ['INCRBYFLOAT', 'm', '5'],
      ['OBJECT', 'ENCODING', 'm'],
      ['INCR', 'm'],
      ['OBJECT', 'ENCODING', 'm'],
      ['SET', 'm', 'abc'],
      ['INCRBYFLOAT', 'm', '1'],
      ['SET', 'm', '1'],
      ['SETRANGE', 'm', '2', '2'],
      ['INCRBYFLOAT', 'm', '1'],
      ['SET', 'm', '9223372036854775807'],
      ['INCRBYFLOAT', 'm', '1'],
      ['SET', 'm', '3', 'EX', '100'],
      ['INCRBYFLOAT', 'm', '1'],
      ['TTL', 'm'],
      ['INCRBYFLOAT', 'q', '1.18973149535723176502e+4932'],
      ['INCRBYFLOAT', 'q', '1e4931'],
      ['INCRBYFLOAT', 'r', '3.6e-4951'],
      ['INCRBYFLOAT', 'r', '1.8e-4951'],
      ['INCRBYFLOAT', 'r', '0.00000000000000000500000000000000000001'],
      ['INCRBYFLOAT', 's', '0.000000000000000005'],
      ['INCRBYFLOAT', 's', '0.000000000000000015'],
      ['INCRBYFLOAT', 's', '-0.00000000000000002'],
      ['INCRBYFLOAT', 'big', '12345678901234567890123'],
      ['INCRBYFLOAT', 'big', '0.5'],
    ]);
  });

  it('APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE and encodings', async () => {
    await expectSame(pair, [
      ['APPEND', 'a', 'hello'],
      ['APPEND', 'a', ' world'],
      ['GET', 'a'],
      ['STRLEN', 'a'],
      ['STRLEN', 'nokey'],
      ['OBJECT', 'ENCODING', 'a'],
      ['APPEND', 'n', '123'],
      ['OBJECT', 'ENCODING', 'n'],
      ['APPEND', 'n', ''],
      ['OBJECT', 'ENCODING', 'n'],
      ['APPEND', 'n', '4'],
      ['GET', 'n'],
      ['STRLEN', 'n'],
      ['SET', 'i', '-123'],
      ['STRLEN', 'i'],
      ['GETRANGE', 'i', '0', '1'],
      ['GETRANGE', 'a', '0', '4'],
      ['GETRANGE', 'a', '-5', '-1'],
      ['GETRANGE', 'a', '-1', '-5'],
      ['GETRANGE', 'a', '5', '3'],
      ['GETRANGE', 'a', '-100', '100'],
      ['GETRANGE', 'a', '100', '200'],
      ['GETRANGE', 'a', '0', '-100'],
      ['GETRANGE', 'a', '9223372036854775807', '-9223372036854775808'],
      ['GETRANGE', 'a', '-9223372036854775808', '9223372036854775807'],
      ['GETRANGE', 'a', 'x', '1'],
      ['GETRANGE', 'a', '1', 'x'],
      ['GETRANGE', 'nokey', '0', '-1'],
      ['GETRANGE', 'nokey', 'x', '-1'],
      ['SUBSTR', 'a', '1', '3'],
      ['SET', 'e', ''],
      ['GETRANGE', 'e', '0', '-1'],
      ['GETRANGE', 'e', '-1', '0'],
      ['SETRANGE', 'a', '6', 'Redis'],
      ['GET', 'a'],
      ['SETRANGE', 'a', '20', 'X'],
      ['GET', 'a'],
      ['SETRANGE', 'a', '0', ''],
      ['SETRANGE', 'new', '0', ''],
      ['EXISTS', 'new'],
      ['SETRANGE', 'new', '5', ''],
      ['SETRANGE', 'new', '2', 'ab'],
      ['GET', 'new'],
      ['OBJECT', 'ENCODING', 'new'],
      ['SETRANGE', 'new', '-1', 'x'],
      ['SETRANGE', 'new', 'x', 'x'],
      ['SETRANGE', 'new', '536870911', 'xx'],
      ['SETRANGE', 'new', '536870912', ''],
      ['SETRANGE', 'new', '9223372036854775807', 'a'],
      ['SETRANGE', 'new', '9223372036854775808', 'a'],
      ['SET', 'num', '1234'],
      ['OBJECT', 'ENCODING', 'num'],
      ['SETRANGE', 'num', '0', ''],
      ['OBJECT', 'ENCODING', 'num'],
      ['SETRANGE', 'num', '0', '9'],
      ['GET', 'num'],
      ['OBJECT', 'ENCODING', 'num'],
      ['SET', 'e', 'x'.repeat(44)],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', 'x'.repeat(45)],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', '12345678901234567890'],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', '-9223372036854775808'],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', '9223372036854775808'],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', '1.5'],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', 'x'.repeat(40)],
      ['APPEND', 'e', 'yyyy'],
      ['OBJECT', 'ENCODING', 'e'],
      ['APPEND', 'e', 'z'],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'p', 'v', 'EX', '100'],
      ['APPEND', 'p', 'w'],
      ['SETRANGE', 'p', '0', 'x'],
      ['TTL', 'p'],
      ['GET', 'p'],
    ]);
  });

  it('LCS', async () => {
    await expectSame(pair, [
      ['MSET', 's1', 'ohmytext', 's2', 'mynewtext'],
      ['LCS', 's1', 's2'],
      ['LCS', 's1', 's2', 'LEN'],
      ['LCS', 's1', 's2', 'IDX'],
      ['LCS', 's1', 's2', 'IDX', 'MINMATCHLEN', '4'],
      ['LCS', 's1', 's2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
      ['LCS', 's1', 's2', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 's1', 's2', 'IDX', 'MINMATCHLEN', '-5'],
      ['LCS', 's1', 's2', 'IDX', 'LEN'],
      ['LCS', 's1', 's2', 'LEN', 'IDX'],
      ['LCS', 's1', 's2', 'MINMATCHLEN'],
      ['LCS', 's1', 's2', 'MINMATCHLEN', 'x'],
      ['LCS', 's1', 's2', 'FOO'],
      ['LCS', 's1', 's2', 'len', 'withmatchlen'],
      ['LCS', 's1', 'nokey'],
      ['LCS', 's1', 'nokey', 'IDX'],
      ['LCS', 'nokey', 'nokey2', 'LEN'],
      ['MSET', 'a', 'GTCGTTCGGAATGCCGTTGCTCTGTAAA', 'b', 'ACCGGTCGAGTGCGCGGAAGCCGGCCGAA'],
      ['LCS', 'a', 'b'],
      ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 'b', 'a', 'IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN'],
      ['LCS', 'a', 'b', 'LEN'],
      ['SET', 'n', '12345'],
      ['SET', 'm', '2x4'],
      ['LCS', 'n', 'm', 'IDX'],
      ['LCS', 'a'],
    ]);
  });

  it('RESP3 replies (nulls, LCS IDX map, OBJECT HELP)', async () => {
    const p3 = await connectPair(t.srv.port, oracle.port);
    try {
      await p3.ours.call('HELLO', '3');
      await p3.theirs.call('HELLO', '3');
      await expectSame(p3, [
        ['GET', 'nokey'],
        ['SET', 'k', 'v'],
        ['SET', 'k', 'v', 'NX'],
        ['SET', 'k2', 'v', 'XX', 'GET'],
        ['MGET', 'k', 'nokey'],
        ['GETEX', 'nokey'],
        ['GETDEL', 'nokey'],
        ['GETSET', 'nokey', 'x'],
        ['INCRBYFLOAT', 'f', '1.5'],
        ['MSET', 's1', 'ohmytext', 's2', 'mynewtext'],
        ['LCS', 's1', 's2', 'IDX', 'WITHMATCHLEN'],
        ['LCS', 's1', 's2'],
        ['OBJECT', 'ENCODING', 'nokey'],
        ['OBJECT', 'HELP'],
        ['EXISTS', 'k'],
        ['TTL', 'k'],
      ]);
    } finally {
      closePair(p3);
    }
  });

  it('LCS refuses tables larger than proto-max-bulk-len', async () => {
    t.srv.state.config.set('proto-max-bulk-len', '1mb');
    await pair.theirs.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');
    try {
      await expectSame(pair, [
        ['MSET', 'a', 'x'.repeat(511), 'b', 'x'.repeat(511), 'c', 'x'.repeat(512)],
        ['LCS', 'a', 'b', 'LEN'],
        ['LCS', 'a', 'c', 'LEN'],
        ['LCS', 'c', 'a', 'IDX'],
        ['LCS', 'c', 'a'],
        ['APPEND', 'a', 'x'.repeat(1048576 - 511)],
        ['APPEND', 'a', 'x'],
        ['SETRANGE', 'b', '1048575', 'x'],
        ['SETRANGE', 'b', '1048576', 'x'],
      ]);
    } finally {
      t.srv.state.config.set('proto-max-bulk-len', '512mb');
      await pair.theirs.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
    }
  });

  it('random strings agree on LCS', async () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const cmds: string[][] = [];
    for (let i = 0; i < 40; i++) {
      let a = '';
      let b = '';
      const la = rnd(30);
      const lb = rnd(30);
      for (let j = 0; j < la; j++) a += 'abcd'[rnd(4)];
      for (let j = 0; j < lb; j++) b += 'abcd'[rnd(4)];
      cmds.push(['MSET', 'x', a, 'y', b], ['LCS', 'x', 'y'], ['LCS', 'x', 'y', 'IDX', 'WITHMATCHLEN'], ['LCS', 'x', 'y', 'LEN']);
      cmds.push(['LCS', 'x', 'y', 'IDX', 'MINMATCHLEN', String(rnd(4))]);
    }
    await expectSame(pair, cmds);
  });
});
