/*
 * The generic keyspace commands across every data type, against the oracle: TYPE, OBJECT ENCODING
 * (listpack/hashtable/intset/skiplist/quicklist at the same *-max-* limits, including limits changed
 * with CONFIG SET while keys exist, and the encodings of results built by *STORE commands), SCAN's
 * TYPE filter, COPY (a deep copy: changing the copy leaves the original alone), RENAME/MOVE of
 * collections (contents, encoding and TTL travel), and WRONGTYPE from string commands used on
 * collections and from collection commands used on other types. Lists take part when the list type
 * exists in tredis (probed at run time).
 */
import { afterEach, describe, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential } from './helpers/setup';
import { expectSameUnordered } from './helpers/unordered';

async function listsExist(d: { pair: { ours: { call: (...a: string[]) => Promise<string> } } }): Promise<boolean> {
  const r = await d.pair.ours.call('LLEN', '__probe');
  return !r.startsWith('-ERR unknown command');
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe.skipIf(!oracleAvailable)('generic commands across types vs Redis', () => {
  const d = useDifferential();
  const DEFAULTS = [
    ['hash-max-listpack-entries', '128'],
    ['hash-max-listpack-value', '64'],
    ['set-max-intset-entries', '512'],
    ['zset-max-listpack-entries', '128'],
    ['zset-max-listpack-value', '64'],
  ];
  afterEach(async () => {
    // a failed test must not leave its limits behind for the next one
    for (const [k, v] of DEFAULTS) {
      await Promise.all([d.pair.ours.call('CONFIG', 'SET', k!, v!), d.pair.theirs.call('CONFIG', 'SET', k!, v!)]);
    }
    if (await listsExist(d)) await Promise.all([d.pair.ours.call('CONFIG', 'SET', 'list-max-listpack-size', '-2'), d.pair.theirs.call('CONFIG', 'SET', 'list-max-listpack-size', '-2')]);
    await Promise.all([d.pair.ours.call('SELECT', '0'), d.pair.theirs.call('SELECT', '0')]);
  });

  /** One key of every type that exists, small encodings. */
  async function fill(lists: boolean): Promise<string[]> {
    const keys = ['str', 'int', 'hash', 'set', 'iset', 'zset'];
    const cmds = [
      ['SET', 'str', 'hello'],
      ['SET', 'int', '42'],
      ['HSET', 'hash', 'f', 'v', 'g', 'w'],
      ['SADD', 'set', 'a', 'b', 'c'],
      ['SADD', 'iset', '1', '2', '3'],
      ['ZADD', 'zset', '1', 'a', '2', 'b'],
    ];
    if (lists) {
      cmds.push(['RPUSH', 'list', 'x', 'y', 'z']);
      keys.push('list');
    }
    await expectSame(d.pair, cmds);
    return keys;
  }

  it('TYPE and OBJECT ENCODING of every type', async () => {
    const keys = await fill(await listsExist(d));
    await expectSame(d.pair, [
      ...keys.flatMap((k) => [['TYPE', k], ['OBJECT', 'ENCODING', k]]),
      ['TYPE', 'missing'],
      ['OBJECT', 'ENCODING', 'missing'],
      ['SET', 'long', 'x'.repeat(45)],
      ['OBJECT', 'ENCODING', 'long'],
    ]);
  });

  it('encodings convert at the configured limits, one way', async () => {
    const lists = await listsExist(d);
    const cmds: string[][] = [
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '4'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '8'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '4'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '4'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '8'],
    ];
    // entries: at the limit, one past it, then back below (stays converted)
    cmds.push(['HSET', 'h1', ...range(4, (i) => [`f${i}`, 'v']).flat()], ['OBJECT', 'ENCODING', 'h1']);
    cmds.push(['HSET', 'h1', 'f4', 'v'], ['OBJECT', 'ENCODING', 'h1'], ['HDEL', 'h1', 'f0', 'f1', 'f2'], ['OBJECT', 'ENCODING', 'h1']);
    cmds.push(['SADD', 's1', '1', '2', '3', '4'], ['OBJECT', 'ENCODING', 's1'], ['SADD', 's1', '5'], ['OBJECT', 'ENCODING', 's1']);
    cmds.push(['SREM', 's1', '1', '2', '3', '4'], ['OBJECT', 'ENCODING', 's1']);
    cmds.push(['SADD', 's2', '1', '-9223372036854775808', '9223372036854775807'], ['OBJECT', 'ENCODING', 's2']);
    cmds.push(['SADD', 's2', '9223372036854775808'], ['OBJECT', 'ENCODING', 's2']);
    cmds.push(['SADD', 's3', '01'], ['OBJECT', 'ENCODING', 's3'], ['SADD', 's4', ' 1'], ['OBJECT', 'ENCODING', 's4']);
    cmds.push(['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['OBJECT', 'ENCODING', 'z1']);
    cmds.push(['ZADD', 'z1', '5', 'e'], ['OBJECT', 'ENCODING', 'z1'], ['ZREM', 'z1', 'a', 'b', 'c'], ['OBJECT', 'ENCODING', 'z1']);
    // value length: at the limit, one past it
    cmds.push(['HSET', 'h2', 'f', '12345678'], ['OBJECT', 'ENCODING', 'h2'], ['HSET', 'h2', 'f', '123456789'], ['OBJECT', 'ENCODING', 'h2']);
    cmds.push(['HSET', 'h3', '123456789', 'v'], ['OBJECT', 'ENCODING', 'h3']);
    cmds.push(['HSETNX', 'h4', 'f', '123456789'], ['OBJECT', 'ENCODING', 'h4']);
    cmds.push(['HINCRBYFLOAT', 'h5', 'f', '1.123456789'], ['OBJECT', 'ENCODING', 'h5']);
    cmds.push(['ZADD', 'z2', '1', '12345678'], ['OBJECT', 'ENCODING', 'z2'], ['ZADD', 'z2', '1', '123456789'], ['OBJECT', 'ENCODING', 'z2']);
    cmds.push(['ZINCRBY', 'z3', '1', '123456789'], ['OBJECT', 'ENCODING', 'z3']);
    // limits lowered while keys exist: nothing changes until the next write
    cmds.push(['HSET', 'h6', 'a', '1', 'b', '2', 'c', '3'], ['SADD', 's6', '1', '2', '3'], ['ZADD', 'z6', '1', 'a', '2', 'b', '3', 'c']);
    cmds.push(
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '1'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '1'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '1'],
      ['OBJECT', 'ENCODING', 'h6'],
      ['OBJECT', 'ENCODING', 's6'],
      ['OBJECT', 'ENCODING', 'z6'],
      ['HSET', 'h6', 'a', '9'], // an update converts: checked in the next test
      ['HSET', 'h6', 'd', '4'],
      ['OBJECT', 'ENCODING', 'h6'],
      ['SADD', 's6', '2'],
      ['OBJECT', 'ENCODING', 's6'],
      ['SADD', 's6', '4'],
      ['OBJECT', 'ENCODING', 's6'],
      ['ZADD', 'z6', '5', 'a'],
      ['OBJECT', 'ENCODING', 'z6'],
      ['ZADD', 'z6', '5', 'd'],
      ['OBJECT', 'ENCODING', 'z6'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ['ZADD', 'z7', '1', 'a'],
      ['OBJECT', 'ENCODING', 'z7'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'],
      ['HSET', 'h7', 'a', '1'],
      ['OBJECT', 'ENCODING', 'h7'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '0'],
      ['SADD', 's7', '1'],
      ['OBJECT', 'ENCODING', 's7'],
    );
    if (lists) {
      cmds.push(['RPUSH', 'l1', ...range(200, (i) => String(i))], ['OBJECT', 'ENCODING', 'l1']);
      cmds.push(['CONFIG', 'SET', 'list-max-listpack-size', '4'], ['RPUSH', 'l2', 'a'], ['OBJECT', 'ENCODING', 'l2']);
      cmds.push(['RPUSH', 'l2', 'b', 'c', 'd', 'e', 'f'], ['OBJECT', 'ENCODING', 'l2']);
    }
    cmds.push(
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
      ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
    );
    await expectSame(d.pair, cmds);
  });

  it('a write to an existing field of an over-limit listpack hash converts it', async () => {
    // Redis checks the length after every hashTypeSet, update or insert
    await expectSame(d.pair, [
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HSET', 'h2', 'a', '1', 'b', '2', 'c', '3'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '1'],
      ['OBJECT', 'ENCODING', 'h'],
      ['HSET', 'h', 'a', '9'],
      ['OBJECT', 'ENCODING', 'h'],
      ['HINCRBY', 'h2', 'a', '1'],
      ['OBJECT', 'ENCODING', 'h2'],
    ]);
  });

  it('encodings of results built by STORE commands and by COPY/RENAME/MOVE', async () => {
    const lists = await listsExist(d);
    const cmds: string[][] = [
      ['CONFIG', 'SET', 'set-max-intset-entries', '4'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '4'],
      ['SADD', 'big', ...range(10, (i) => String(i))],
      ['SADD', 'small', '1', '2', 'x'],
      ['SINTERSTORE', 'r1', 'big', 'small'],
      ['OBJECT', 'ENCODING', 'r1'],
      ['SDIFFSTORE', 'r2', 'small', 'big'],
      ['OBJECT', 'ENCODING', 'r2'],
      ['SUNIONSTORE', 'r3', 'big'],
      ['OBJECT', 'ENCODING', 'r3'],
      ['ZADD', 'zbig', ...range(10, (i) => [String(i), `m${i}`]).flat()],
      ['OBJECT', 'ENCODING', 'zbig'],
      ['ZRANGESTORE', 'zr', 'zbig', '0', '1'],
      ['OBJECT', 'ENCODING', 'zr'],
      ['ZUNIONSTORE', 'zu', '1', 'zbig'],
      ['OBJECT', 'ENCODING', 'zu'],
      ['ZINTERSTORE', 'zi', '2', 'zbig', 'zr'],
      ['OBJECT', 'ENCODING', 'zi'],
      ['COPY', 'zbig', 'zc'],
      ['OBJECT', 'ENCODING', 'zc'],
      ['COPY', 'big', 'bc'],
      ['OBJECT', 'ENCODING', 'bc'],
      ['ZREMRANGEBYRANK', 'zbig', '0', '7'],
      ['RENAME', 'zbig', 'zren'],
      ['OBJECT', 'ENCODING', 'zren'],
      ['MOVE', 'zren', '3'],
      ['SELECT', '3'],
      ['OBJECT', 'ENCODING', 'zren'],
      ['ZRANGE', 'zren', '0', '-1', 'WITHSCORES'],
      ['SELECT', '0'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    ];
    if (lists) cmds.push(['SADD', 'ss', 'b', 'a'], ['SORT', 'ss', 'ALPHA', 'STORE', 'sl'], ['OBJECT', 'ENCODING', 'sl']);
    await expectSame(d.pair, cmds);
  });

  it("SCAN's TYPE filter", async () => {
    const keys = await fill(await listsExist(d));
    for (const t of ['string', 'hash', 'set', 'zset', 'list', 'stream', 'HASH', 'Set', 'none', 'foo', '']) {
      await expectSameUnordered(d.pair, ['SCAN', '0', 'COUNT', '1000', 'TYPE', t], 'scan');
      await expectSameUnordered(d.pair, ['SCAN', '0', 'COUNT', '1000', 'MATCH', '*set', 'TYPE', t], 'scan');
    }
    await expectSame(d.pair, [['SCAN', '0', 'TYPE'], ['SCAN', '0', 'TYPE', 'hash', 'COUNT', '0']]);
    void keys;
  });

  it('COPY is a deep copy for every type (and keeps TTL, encoding, works across dbs)', async () => {
    const lists = await listsExist(d);
    const keys = await fill(lists);
    const cmds: string[][] = [['EXPIRE', 'hash', '1000']];
    for (const k of keys) {
      cmds.push(
        ['COPY', k, `${k}_c`],
        ['TYPE', `${k}_c`],
        ['OBJECT', 'ENCODING', `${k}_c`],
        ['DEBUG', 'DIGEST-VALUE', k, `${k}_c`],
        ['COPY', k, `${k}_c`],
        ['COPY', k, `${k}_c`, 'REPLACE'],
        ['COPY', k, k, 'DB', '1'],
        ['SELECT', '1'],
        ['DEBUG', 'DIGEST-VALUE', k],
        ['TYPE', k],
        ['SELECT', '0'],
      );
    }
    cmds.push(['TTL', 'hash_c'], ['COPY', 'hash', 'h2'], ['TTL', 'h2']);
    // change each copy; the originals must not move
    cmds.push(
      ['APPEND', 'str_c', '!'],
      ['INCR', 'int_c'],
      ['HSET', 'hash_c', 'f', 'changed', 'new', '1'],
      ['SADD', 'set_c', 'd'],
      ['SREM', 'set_c', 'a'],
      ['SADD', 'iset_c', '4', 'x'],
      ['ZADD', 'zset_c', '9', 'a', '3', 'c'],
      ['ZREM', 'zset_c', 'b'],
    );
    if (lists) cmds.push(['RPUSH', 'list_c', 'w'], ['LPOP', 'list_c'], ['LSET', 'list_c', '0', 'Y']);
    for (const k of keys) cmds.push(['DEBUG', 'DIGEST-VALUE', k, `${k}_c`], ['OBJECT', 'ENCODING', `${k}_c`]);
    cmds.push(
      ['GET', 'str'],
      ['GET', 'int'],
      ['HGETALL', 'hash'],
      ['SMEMBERS', 'iset'],
      ['ZRANGE', 'zset', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'zset_c', '0', '-1', 'WITHSCORES'],
      ['COPY', 'set', 'str', 'REPLACE'],
      ['TYPE', 'str'],
      ['COPY', 'str', 'str'],
      ['COPY', 'missing', 'x'],
      ['COPY', 'set', 'x', 'DB', '99'],
    );
    if (lists) cmds.push(['LRANGE', 'list', '0', '-1'], ['LRANGE', 'list_c', '0', '-1']);
    await expectSame(d.pair, cmds);
  });

  it('RENAME and MOVE carry collections with their TTL and encoding', async () => {
    const lists = await listsExist(d);
    const keys = await fill(lists);
    const cmds: string[][] = [['SET', 'blocker', 'x']];
    for (const k of keys) {
      cmds.push(
        ['PEXPIRE', k, '100000'],
        ['DEBUG', 'DIGEST-VALUE', k],
        ['RENAME', k, `${k}_r`],
        ['EXISTS', k],
        ['TYPE', `${k}_r`],
        ['OBJECT', 'ENCODING', `${k}_r`],
        ['DEBUG', 'DIGEST-VALUE', `${k}_r`],
        ['RENAMENX', `${k}_r`, 'blocker'],
        ['MOVE', `${k}_r`, '2'],
        ['SELECT', '2'],
        ['TYPE', `${k}_r`],
        ['OBJECT', 'ENCODING', `${k}_r`],
        ['DEBUG', 'DIGEST-VALUE', `${k}_r`],
        ['SELECT', '0'],
        ['EXISTS', `${k}_r`],
      );
    }
    cmds.push(['SADD', 'a', '1'], ['HSET', 'b', 'f', 'v'], ['RENAME', 'a', 'b'], ['TYPE', 'b'], ['SMEMBERS', 'b']);
    cmds.push(['SADD', 'm', '1'], ['SELECT', '2'], ['HSET', 'm', 'f', 'v'], ['SELECT', '0'], ['MOVE', 'm', '2'], ['TYPE', 'm']);
    await expectSame(d.pair, cmds);
    const ttls = keys.map((k) => ['SELECT', '2', `${k}_r`]);
    for (const [, , k] of ttls) {
      const [a, b] = await Promise.all([d.pair.ours.call('SELECT', '2'), d.pair.theirs.call('SELECT', '2')]);
      void a;
      void b;
      const [ta, tb] = await Promise.all([d.pair.ours.call('PTTL', k!), d.pair.theirs.call('PTTL', k!)]);
      const ms = (r: string) => Number(r.slice(1));
      if (Math.abs(ms(ta) - ms(tb)) > 2000 || ms(ta) <= 0) throw new Error(`PTTL of ${k}: ${ta} vs ${tb}`);
    }
    await Promise.all([d.pair.ours.call('SELECT', '0'), d.pair.theirs.call('SELECT', '0')]);
  });

  it('WRONGTYPE: string commands on collections, collection commands on other types', async () => {
    const lists = await listsExist(d);
    const keys = await fill(lists);
    const collections = keys.filter((k) => k !== 'str' && k !== 'int');
    const cmds: string[][] = [];
    for (const k of collections) {
      cmds.push(
        ['GET', k],
        ['GETDEL', k],
        ['GETEX', k, 'PERSIST'],
        ['GETSET', k, 'x'],
        ['GETRANGE', k, '0', '1'],
        ['SUBSTR', k, '0', '1'],
        ['STRLEN', k],
        ['APPEND', k, 'x'],
        ['SETRANGE', k, '0', 'x'],
        ['SETRANGE', k, '0', ''],
        ['INCR', k],
        ['DECR', k],
        ['INCRBY', k, '2'],
        ['DECRBY', k, '2'],
        ['INCRBYFLOAT', k, '1.5'],
        ['SETNX', k, 'x'],
        ['MGET', k, 'str'],
        ['MSETNX', k, 'x', 'new', 'y'],
        ['EXISTS', 'new'],
        ['SET', k, 'x', 'GET'],
        ['SET', k, 'x', 'NX', 'GET'],
        ['SET', k, 'x', 'XX', 'GET'],
        ['LCS', k, 'str'],
        ['SETBIT', k, '0', '1'],
        ['GETBIT', k, '0'],
        ['BITCOUNT', k],
        ['BITPOS', k, '1'],
        ['BITOP', 'AND', 'dst', k, 'str'],
        ['BITOP', 'NOT', 'dst', k],
        ['BITFIELD', k, 'GET', 'u8', '0'],
        ['BITFIELD_RO', k, 'GET', 'u8', '0'],
        ['PFADD', k, 'a'],
        ['PFCOUNT', k],
        ['PFMERGE', 'dst', k],
        ['TYPE', k],
        ['SORT', k, 'ALPHA', 'LIMIT', '0', '0'],
      );
    }
    for (const k of keys) {
      cmds.push(
        ['HSET', k, 'f', 'v'],
        ['HGET', k, 'f'],
        ['HLEN', k],
        ['SADD', k, 'm'],
        ['SCARD', k],
        ['ZADD', k, '1', 'm'],
        ['ZCARD', k],
        ['ZRANGE', k, '0', '-1'],
        ['SINTERCARD', '2', k, 'iset'],
        ['ZUNION', '2', k, 'zset'],
      );
      if (lists) cmds.push(['LPUSH', k, 'x'], ['LLEN', k], ['LRANGE', k, '0', '-1'], ['RPOPLPUSH', 'list', k]);
    }
    cmds.push(['SORT', 'str'], ['SORT', 'hash'], ['SORT_RO', 'int']);
    cmds.push(...keys.map((k) => ['DEBUG', 'DIGEST-VALUE', k]));
    // SET without GET replaces any type
    cmds.push(['SET', 'hash', 'now a string'], ['TYPE', 'hash'], ['GET', 'hash']);
    await expectSame(d.pair, cmds);
  });
});
