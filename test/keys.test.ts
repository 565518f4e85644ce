import Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { decodeReply, type Reply } from './helpers/resp';
import { useServer } from './helpers/setup';

const t = useServer();

async function scanAll(client: Redis, ...opts: (string | number)[]): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, keys] = (await client.call('scan', cursor, ...opts)) as [string, string[]];
    for (const k of keys) seen.add(k);
    cursor = next;
    rounds++;
  } while (cursor !== '0' && rounds < 100000);
  return [...seen].sort();
}

describe('generic keyspace commands', () => {
  it('DEL, UNLINK, EXISTS, TYPE, TOUCH', async () => {
    await t.r.mset('a', '1', 'b', '2', 'c', '3');
    expect(await t.r.exists('a', 'a', 'b', 'nokey')).toBe(3);
    expect(await t.r.type('a')).toBe('string');
    expect(await t.r.type('nokey')).toBe('none');
    expect(await t.r.touch('a', 'b', 'nokey')).toBe(2);
    expect(await t.r.del('a', 'a', 'nokey')).toBe(1);
    expect(await t.r.unlink('b', 'c')).toBe(2);
    expect(t.srv.state.dbs[0]!.size).toBe(0);
  });

  it('KEYS, SCAN, RANDOMKEY', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 500; i++) keys.push(`key:${i}`);
    await t.r.mset(...keys.flatMap((k) => [k, 'v']));
    await t.r.set('other', 'x');
    expect((await t.r.keys('key:*')).sort()).toEqual([...keys].sort());
    expect(await t.r.keys('key:1?')).toHaveLength(10);
    expect(await scanAll(t.r, 'COUNT', 7)).toEqual([...keys, 'other'].sort());
    expect(await scanAll(t.r, 'MATCH', 'key:4*', 'COUNT', 50)).toEqual(keys.filter((k) => k.startsWith('key:4')).sort());
    expect(await scanAll(t.r, 'TYPE', 'STRING', 'MATCH', 'oth*')).toEqual(['other']);
    expect(await scanAll(t.r, 'TYPE', 'list')).toEqual([]);
    const rk = await t.r.randomkey();
    expect([...keys, 'other']).toContain(rk);
    t.srv.state.dbs[0]!.clear();
    expect(await t.r.randomkey()).toBeNull();
    await expect(t.r.call('scan', 'x')).rejects.toThrow('ERR invalid cursor');
    await expect(t.r.call('scan', '0', 'COUNT', '0')).rejects.toThrow('ERR syntax error');
  });

  it('SCAN returns every key present throughout, even while keys come and go', async () => {
    const stable: string[] = [];
    for (let i = 0; i < 300; i++) stable.push(`s${i}`);
    await t.r.mset(...stable.flatMap((k) => [k, '1']));
    const seen = new Set<string>();
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = (await t.r.call('scan', cursor, 'COUNT', 10)) as [string, string[]];
      for (const k of keys) seen.add(k);
      cursor = next;
      // churn: add and delete other keys between calls
      await t.r.set(`t${n}`, '1');
      if (n > 2) await t.r.del(`t${n - 2}`);
      n++;
    } while (cursor !== '0');
    for (const k of stable) expect(seen.has(k), k).toBe(true);
  });

  it('RENAME, RENAMENX keep value, TTL and encoding', async () => {
    await t.r.set('a', 'hello', 'EX', 100);
    await t.r.append('a', '!');
    expect(await t.r.rename('a', 'b')).toBe('OK');
    expect(await t.r.get('b')).toBe('hello!');
    expect(await t.r.ttl('b')).toBe(100);
    expect(await t.r.object('ENCODING', 'b')).toBe('raw');
    await expect(t.r.rename('a', 'c')).rejects.toThrow('ERR no such key');
    await t.r.set('c', 'x');
    expect(await t.r.renamenx('b', 'c')).toBe(0);
    expect(await t.r.renamenx('b', 'd')).toBe(1);
    expect(await t.r.exists('b')).toBe(0);
  });

  it('MOVE and COPY across databases', async () => {
    await t.r.set('k', 'v', 'EX', 100);
    expect(await t.r.move('k', 1)).toBe(1);
    expect(await t.r.exists('k')).toBe(0);
    const db1 = t.srv.state.dbs[1]!;
    expect(db1.get('k')).toBe('v');
    expect(db1.expireAt('k')).toBeGreaterThan(Date.now());
    expect(await t.r.copy('nokey', 'x')).toBe(0);
    await t.r.set('src', '42');
    expect(await t.r.copy('src', 'dst')).toBe(1);
    expect(await t.r.copy('src', 'dst')).toBe(0);
    expect(await t.r.copy('src', 'dst', 'REPLACE')).toBe(1);
    expect(await t.r.copy('src', 'dst', 'DB', 2)).toBe(1);
    expect(t.srv.state.dbs[2]!.get('dst')).toBe(42);
  });

  it('OBJECT subcommands', async () => {
    await t.r.set('i', '5');
    await t.r.set('s', 'short');
    await t.r.set('l', 'x'.repeat(100));
    expect(await t.r.object('ENCODING', 'i')).toBe('int');
    expect(await t.r.object('ENCODING', 's')).toBe('embstr');
    expect(await t.r.object('ENCODING', 'l')).toBe('raw');
    expect(await t.r.object('ENCODING', 'nokey')).toBeNull();
    expect(await t.r.object('REFCOUNT', 'i')).toBe(2147483647);
    expect(await t.r.object('REFCOUNT', 's')).toBe(1);
    // idle time (whole seconds) comes from the access clock, which GET refreshes and OBJECT does not;
    // a second boundary may pass between two commands, hence the +1 allowances
    expect(await t.r.object('IDLETIME', 's')).toBeLessThanOrEqual(1);
    const db = t.srv.state.dbs[0]!;
    db.lru[db.slot('s')] = Math.floor(Date.now() / 1000) - 7;
    expect([7, 8]).toContain(await t.r.object('IDLETIME', 's'));
    await t.r.get('s');
    expect(await t.r.object('IDLETIME', 's')).toBeLessThanOrEqual(1);
    await expect(t.r.object('FREQ', 's')).rejects.toThrow('ERR An LFU maxmemory policy is not selected');
    const help = (await t.r.call('object', 'help')) as string[];
    expect(help[0]).toBe('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  });

  it('OBJECT FREQ / IDLETIME / REFCOUNT follow the eviction policy', async () => {
    const config = t.srv.state.config;
    await t.r.set('k', '5');
    try {
      config.set('maxmemory-policy', 'allkeys-lfu');
      await expect(t.r.object('IDLETIME', 'k')).rejects.toThrow('ERR An LFU maxmemory policy is selected, idle time not tracked.');
      expect(typeof (await t.r.object('FREQ', 'k'))).toBe('number');
      expect(await t.r.object('REFCOUNT', 'k')).toBe(2147483647); // sharing stays on while maxmemory is 0
      // Redis decides sharing when the value is written; keys written under these settings agree
      config.set('maxmemory', '100mb');
      await t.r.set('k', '5');
      expect(await t.r.object('REFCOUNT', 'k')).toBe(1);
      config.set('maxmemory-policy', 'allkeys-random');
      await t.r.set('k', '5');
      expect(await t.r.object('REFCOUNT', 'k')).toBe(2147483647);
      await expect(t.r.object('FREQ', 'k')).rejects.toThrow('ERR An LFU maxmemory policy is not selected');
    } finally {
      config.set('maxmemory-policy', 'noeviction');
      config.set('maxmemory', '0');
    }
  });

  it('treats collection values as the wrong type and copies them through clone()', async () => {
    // a stand-in collection: the data-type modules implement CollectionValue the same way
    class FakeList {
      readonly type = 'list';
      constructor(readonly items: string[]) {}
      encoding(): string {
        return 'quicklist';
      }
      clone(): FakeList {
        return new FakeList([...this.items]);
      }
    }
    const db = t.srv.state.dbs[0]!;
    const list = new FakeList(['a']);
    db.add('l', list);
    const wrong = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    for (const cmd of [
      ['get', 'l'],
      ['set', 'l', 'v', 'GET'],
      ['getset', 'l', 'v'],
      ['getdel', 'l'],
      ['getex', 'l', 'PERSIST'],
      ['append', 'l', 'x'],
      ['strlen', 'l'],
      ['getrange', 'l', '0', '-1'],
      ['setrange', 'l', '0', 'x'],
      ['incr', 'l'],
      ['incrbyfloat', 'l', '1'],
    ]) {
      await expect(t.r.call(cmd[0]!, ...cmd.slice(1)), cmd.join(' ')).rejects.toThrow(wrong);
    }
    await expect(t.r.call('lcs', 'l', 'x')).rejects.toThrow('ERR The specified keys must contain string values');
    expect(db.get('l')).toBe(list);
    expect(await t.r.mget('l', 'x')).toEqual([null, null]);
    expect(await t.r.type('l')).toBe('list');
    expect(await t.r.object('ENCODING', 'l')).toBe('quicklist');
    expect(await scanAll(t.r, 'TYPE', 'list')).toEqual(['l']);
    expect(await t.r.copy('l', 'l2')).toBe(1);
    const copy = db.get('l2') as FakeList;
    expect(copy).not.toBe(list);
    expect(copy.items).toEqual(['a']);
    expect(await t.r.rename('l', 'l3')).toBe('OK');
    expect(db.get('l3')).toBe(list);
    // SET replaces a value of any type
    expect(await t.r.set('l3', 'str')).toBe('OK');
    expect(await t.r.type('l3')).toBe('string');
  });

  it('raises rename/move/copy events in Redis order', async () => {
    const events: string[] = [];
    const st = t.srv.state;
    const orig = st.notify;
    await t.r.set('a', '1');
    st.notify = (type, event, key, db) => {
      events.push(`${type}:${event}:${key}@${db}`);
    };
    try {
      await t.r.rename('a', 'b');
      await t.r.copy('b', 'c');
      await t.r.move('c', 1);
      await t.r.del('b', 'nokey');
      expect(events).toEqual([
        'n:new:b@0',
        'g:rename_from:a@0',
        'g:rename_to:b@0',
        'n:new:c@0',
        'g:copy_to:c@0',
        'n:new:c@1',
        'g:move_from:c@0',
        'g:move_to:c@1',
        'g:del:b@0',
      ]);
    } finally {
      st.notify = orig;
    }
  });
});

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

function strings(reply: Reply): string[] {
  return (reply.v as Reply[]).map((x) => x.v as string);
}

describe.skipIf(!oracleAvailable)('keyspace commands vs Redis', () => {
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
    await expectSame(pair, [['SELECT', '0']]);
  });

  it('DEL, EXISTS, TYPE, TOUCH, RENAME, RENAMENX', async () => {
    await expectSame(pair, [
      ['MSET', 'a', '1', 'b', 'two', 'c', '3'],
      ['EXISTS', 'a', 'a', 'b', 'nokey'],
      ['EXISTS', 'nokey'],
      ['TYPE', 'a'],
      ['TYPE', 'nokey'],
      ['TOUCH', 'a', 'b', 'nokey', 'a'],
      ['DEL', 'a', 'a', 'nokey'],
      ['UNLINK', 'b', 'c', 'nokey'],
      ['DEL'],
      ['EXISTS'],
      ['SET', 'a', '1'],
      ['RENAME', 'a', 'b'],
      ['GET', 'a'],
      ['GET', 'b'],
      ['RENAME', 'b', 'b'],
      ['RENAMENX', 'b', 'b'],
      ['RENAME', 'nokey', 'x'],
      ['RENAME', 'nokey', 'nokey'],
      ['RENAMENX', 'nokey', 'x'],
      ['SET', 'c', '2'],
      ['RENAMENX', 'b', 'c'],
      ['RENAME', 'b', 'c'],
      ['GET', 'c'],
      ['EXISTS', 'b'],
      ['EXPIRE', 'c', '1000'],
      ['RENAME', 'c', 'd'],
      ['TTL', 'd'],
      ['SET', 'e', 'x'],
      ['RENAME', 'e', 'd'],
      ['TTL', 'd'],
      ['SET', 'f', 'y', 'EX', '500'],
      ['RENAMENX', 'f', 'g'],
      ['TTL', 'g'],
      ['SET', 'h', 'abc'],
      ['APPEND', 'h', 'd'],
      ['RENAME', 'h', 'i'],
      ['OBJECT', 'ENCODING', 'i'],
      ['RENAME', 'a'],
    ]);
  });

  it('MOVE and COPY', async () => {
    await expectSame(pair, [
      ['SET', 'd', 'v', 'EX', '1000'],
      ['MOVE', 'd', '1'],
      ['MOVE', 'd', '1'],
      ['EXISTS', 'd'],
      ['SELECT', '1'],
      ['TTL', 'd'],
      ['MOVE', 'nokey', '1'],
      ['MOVE', 'd', '1'],
      ['MOVE', 'd', '16'],
      ['MOVE', 'd', '-1'],
      ['MOVE', 'd', 'abc'],
      ['MOVE', 'd', '4294967296'],
      ['MOVE', 'd', '99999999999999999999'],
      ['MOVE', 'd', '0'],
      ['SELECT', '0'],
      ['SET', 'd', 'other'],
      ['SELECT', '1'],
      ['SET', 'd', 'mine'],
      ['MOVE', 'd', '0'],
      ['GET', 'd'],
      ['SELECT', '0'],
      ['GET', 'd'],
      ['COPY', 'd', 'e'],
      ['GET', 'e'],
      ['COPY', 'd', 'e'],
      ['COPY', 'd', 'e', 'REPLACE'],
      ['COPY', 'd', 'd'],
      ['COPY', 'd', 'd', 'REPLACE'],
      ['COPY', 'd', 'd', 'DB', '0'],
      ['COPY', 'd', 'd', 'DB', '1'],
      ['COPY', 'd', 'd', 'DB', '1', 'REPLACE'],
      ['SELECT', '1'],
      ['GET', 'd'],
      ['SELECT', '0'],
      ['COPY', 'd', 'x', 'DB'],
      ['COPY', 'd', 'x', 'DB', '16'],
      ['COPY', 'd', 'x', 'DB', 'abc'],
      ['COPY', 'd', 'x', 'FOO'],
      ['COPY', 'd', 'x', 'DB', '1', 'FOO'],
      ['COPY', 'nokey', 'x'],
      ['COPY', 'nokey', 'nokey'],
      ['SET', 't', 'v', 'EX', '1000'],
      ['COPY', 't', 't2'],
      ['TTL', 't2'],
      ['SET', 'n', '7'],
      ['COPY', 'n', 'n2'],
      ['OBJECT', 'ENCODING', 'n2'],
      ['OBJECT', 'REFCOUNT', 'n'],
      ['OBJECT', 'REFCOUNT', 'n2'],
      ['COPY', 'n'],
      ['MOVE', 'n'],
    ]);
  });

  it('OBJECT', async () => {
    await expectSame(pair, [
      ['SET', 'i', '5'],
      ['SET', 'j', '10000'],
      ['SET', 'k', '-1'],
      ['SET', 's', 'hello'],
      ['OBJECT', 'ENCODING', 'i'],
      ['OBJECT', 'ENCODING', 's'],
      ['OBJECT', 'ENCODING', 'nokey'],
      ['OBJECT', 'REFCOUNT', 'i'],
      ['OBJECT', 'REFCOUNT', 'j'],
      ['OBJECT', 'REFCOUNT', 'k'],
      ['OBJECT', 'REFCOUNT', 's'],
      ['OBJECT', 'REFCOUNT', 'nokey'],
      ['OBJECT', 'IDLETIME', 'nokey'],
      ['OBJECT', 'FREQ', 's'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'help', 'extra'],
      ['OBJECT', 'FOO'],
      ['OBJECT', 'FOO', 'bar'],
      ['OBJECT'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'ENCODING', 'a', 'b'],
      ['INCR', 'i'],
      ['OBJECT', 'REFCOUNT', 'i'],
      ['INCRBY', 'i', '100000'],
      ['OBJECT', 'REFCOUNT', 'i'],
      ['INCRBYFLOAT', 'f', '3'],
      ['OBJECT', 'REFCOUNT', 'f'],
      ['OBJECT', 'ENCODING', 'f'],
    ]);
  });

  it('KEYS and SCAN argument handling', async () => {
    await expectSame(pair, [
      ['MSET', 'a1', '1', 'a2', '2', 'b1', '3'],
      ['KEYS', 'nomatch*'],
      ['SCAN', 'abc'],
      ['SCAN', '-'],
      ['SCAN', '+'],
      ['SCAN', '1.5'],
      ['SCAN', ' 0'],
      ['SCAN', '0 '],
      ['SCAN', '18446744073709551616'],
      ['SCAN', '-18446744073709551616'],
      ['SCAN', '0', 'COUNT', '0'],
      ['SCAN', '0', 'COUNT', '-1'],
      ['SCAN', '0', 'COUNT', 'abc'],
      ['SCAN', '0', 'COUNT', '9223372036854775808'],
      ['SCAN', '0', 'COUNT'],
      ['SCAN', '0', 'MATCH'],
      ['SCAN', '0', 'TYPE'],
      ['SCAN', '0', 'FOO', 'bar'],
      ['SCAN', '0', 'MATCH', 'nomatch', 'FOO'],
      ['SCAN'],
      ['KEYS'],
      ['KEYS', 'a', 'b'],
      ['RANDOMKEY', 'x'],
    ]);
    const patterns = ['*', 'a*', '?1', '[ab]2', 'nomatch', '*1', 'A*'];
    for (const p of patterns) {
      const ours = strings(decode(await pair.ours.call('KEYS', p))).sort();
      const theirs = strings(decode(await pair.theirs.call('KEYS', p))).sort();
      expect(ours, `KEYS ${p}`).toEqual(theirs);
    }
    // a full SCAN with options returns the same set of keys
    for (const opts of [[], ['MATCH', 'a*'], ['COUNT', '1'], ['TYPE', 'string'], ['TYPE', 'hash'], ['MATCH', '*1', 'COUNT', '2']]) {
      const full = async (sess: RawSession): Promise<string[]> => {
        const out = new Set<string>();
        let cursor = '0';
        do {
          const reply = decode(await sess.call('SCAN', cursor, ...opts)).v as Reply[];
          cursor = reply[0]!.v as string;
          for (const k of strings(reply[1]!)) out.add(k);
        } while (cursor !== '0');
        return [...out].sort();
      };
      expect(await full(pair.ours), `SCAN ${opts.join(' ')}`).toEqual(await full(pair.theirs));
    }
    // cursors Redis accepts (empty, signed, huge) are accepted here too
    for (const cursor of ['', '-1', '+0', '00', '18446744073709551615', '-0']) {
      const ours = decode(await pair.ours.call('SCAN', cursor));
      const theirs = decode(await pair.theirs.call('SCAN', cursor));
      expect(ours.t, `SCAN ${cursor}`).toBe(theirs.t);
    }
  });
});
