/*
 * Redis 7 functions vs Redis 7.0.15: FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP and
 * FCALL/FCALL_RO byte for byte against the oracle (every error text, the load-time sandbox, reply
 * shapes in RESP2 and RESP3), FUNCTION DUMP payloads moved both ways between tredis and Redis, change
 * counts, and node-redis / ioredis calling functions.
 */
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';

const FIXED: string[][] = [
  ["FUNCTION", "FLUSH"],
  ["FUNCTION", "LOAD"],
  ["FUNCTION", "LOAD", "x"],
  ["FUNCTION", "LOAD", "REPLACE"],
  ["FUNCTION", "LOAD", "REPLACE", "x", "y"],
  ["FUNCTION", "LOAD", "x", "y"],
  ["FUNCTION", "DELETE"],
  ["FUNCTION", "DELETE", "nolib"],
  ["FUNCTION", "LIST", "x"],
  ["FUNCTION", "LIST", "libraryname"],
  ["FUNCTION", "LIST", "withcode", "withcode"],
  ["FUNCTION", "LIST", "libraryname", "a", "libraryname", "b"],
  ["FUNCTION", "FLUSH", "x"],
  ["FUNCTION", "FLUSH", "async", "x"],
  ["FUNCTION", "DUMP", "x"],
  ["FUNCTION", "RESTORE"],
  ["FUNCTION", "RESTORE", "x"],
  ["FUNCTION", "RESTORE", "x", "y"],
  ["FUNCTION", "RESTORE", "x", "flush", "z"],
  ["FUNCTION", "STATS", "x"],
  ["FUNCTION", "KILL"],
  ["FUNCTION", "NOSUCH"],
  ["FUNCTION"],
  ["FUNCTION", "HELP"],
  ["FCALL"],
  ["FCALL", "f"],
  ["FCALL", "f", "0"],
  ["FCALL", "f", "x"],
  ["FCALL", "f", "-1"],
  ["FCALL", "f", "2", "a"],
  ["FCALL_RO", "f", "0"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "DUMP"],
  ["FUNCTION", "LOAD", "#!lua name=lib1\nlocal function f1(keys, args) return {keys, args} end\nredis.register_function(\"f1\", f1)\nredis.register_function{function_name=\"f2\", callback=function(k, a) return redis.call(\"set\", k[1], a[1]) end, description=\"sets\", flags={\"allow-oom\"}}\nredis.register_function{function_name=\"ro\", callback=function(k) return redis.call(\"get\", k[1]) end, flags={\"no-writes\", \"allow-stale\"}}"],
  ["FUNCTION", "LOAD", "#!lua name=lib1\nlocal function f1(keys, args) return {keys, args} end\nredis.register_function(\"f1\", f1)\nredis.register_function{function_name=\"f2\", callback=function(k, a) return redis.call(\"set\", k[1], a[1]) end, description=\"sets\", flags={\"allow-oom\"}}\nredis.register_function{function_name=\"ro\", callback=function(k) return redis.call(\"get\", k[1]) end, flags={\"no-writes\", \"allow-stale\"}}"],
  ["FCALL", "f1", "x"],
  ["FCALL", "f1", "-1"],
  ["FCALL", "f1", "2", "a"],
  ["FCALL", "f1", "2", "a", "b", "c"],
  ["FCALL", "f2", "1", "k", "v"],
  ["FCALL_RO", "f2", "1", "k", "v"],
  ["FCALL_RO", "ro", "1", "k"],
  ["FCALL", "ro", "1", "k"],
  ["FCALL", "F1", "0"],
  ["FCALL", "f1", "0"],
  ["FCALL", "RO", "1", "k"],
  ["FUNCTION", "LOAD", "#!lua name=one\nredis.register_function{function_name=\"only\", callback=function() return 1 end, description=\"d\", flags={\"no-writes\", \"allow-oom\"}}"],
  ["FUNCTION", "LIST", "libraryname", "o*"],
  ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "one"],
  ["FUNCTION", "LIST", "libraryname", "zz*"],
  ["FCALL_RO", "only", "0"],
  ["FUNCTION", "DELETE", "ONE"],
  ["FUNCTION", "DELETE", "one"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "LOAD", "#!lua name=Lib1\nredis.register_function('x1', function() return 1 end)"],
  ["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('F1', function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"],
  ["FCALL", "f1", "0"],
  ["FCALL", "f2", "1", "k", "v"],
  ["FUNCTION", "FLUSH", "SYNC"],
  ["FUNCTION", "FLUSH", "async"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nreturn 1"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return 1 end)\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", 1)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\")"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"b-d\", function() end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.call(\"set\",\"x\",\"y\")"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal x = KEYS"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nerror(\"boom\")"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nx = 1"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function() end, flags={\"bogus\"}}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function() end, flags=\"x\"}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function() end, nope=1}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{callback=function() end}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\"}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=1, callback=function() end}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=1}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function() end, description=1}"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(1, function() end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() end, 3)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function()"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"x\")"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nreturn +"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a x=1\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a name=b\nredis.register_function(\"f\", function() end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!js name=a\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a-b\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!LUA name=a\nredis.register_function(\"ff\", function() end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return 1 end)\nlocal t = redis.setresp"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal v = {redis.REPL_ALL}\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal v = redis.acl_check_cmd\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal v = {math.floor(1)}\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nfor k, v in pairs(redis) do end\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua  name=a\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=\"a\"\nredis.register_function(\"f\", function() return 1 end)"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\n"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua \"name=a"],
  ["FUNCTION", "LOAD", "REPLACE", "#!"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a nAme=b"],
  ["HSET", "hh", "a", "1"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal r = redis\nredis.register_function(\"f\", function() return r.call(\"ping\") end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.log(redis.LOG_NOTICE, \"loading\")\nredis.register_function(\"f\", function() return redis.REDIS_VERSION end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nlocal v = redis.REDIS_VERSION_NUM\nredis.register_function(\"f\", function() return v end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return KEYS end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return ARGV end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() x = 1 end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return y end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function() return {string.len(\"x\"), cjson.encode({1}), redis.sha1hex(\"\")} end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.call(\"nosuch\") end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a)\n  error(\"boom\")\nend)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a)\n  local t = nil\n  return t.x\nend)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.register_function(\"g\", function() end) end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.setresp(3) end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) redis.setresp(3) return redis.call(\"hgetall\", k[1]) end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return {#k, #a, k[1], a[1], a[2]} end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.call(\"eval\", \"return 1\", \"0\") end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.call(\"fcall\", \"f\", \"0\") end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function(\"f\", function(k, a) return redis.call(\"function\", \"list\") end)"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function(k, a) return redis.call(\"set\", \"x\", \"y\") end, flags={\"no-writes\"}}"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function{function_name=\"f\", callback=function(k, a) return redis.pcall(\"set\", \"x\", \"y\") end, flags={\"no-writes\"}}"],
  ["FCALL", "f", "1", "hh", "x", "y"],
  ["FUNCTION", "FLUSH"],
];

const LIBA = "#!lua name=liba\nredis.register_function('fa', function(k, a) return 'a' .. #k end)";
const LIBB = "#!lua name=libb\nredis.register_function{function_name='fb', callback=function() return 'b' end, flags={'no-writes'}, description='bee'}";
const LIBA2 = "#!lua name=liba\nredis.register_function('fa', function() return 'a2' end)";
const CLASH = "#!lua name=clash\nredis.register_function('fa', function() return 'clash' end)";

/** The bulk string payload in a raw reply. */
function bulkOf(raw: string): string {
  const m = /^\$(\d+)\r\n/.exec(raw);
  if (m === null) throw new Error(`not a bulk: ${raw}`);
  const start = m[0].length;
  return raw.slice(start, start + Number(m[1]));
}

describe.skipIf(!oracleAvailable)('functions vs Redis', () => {
  const d = useDifferential();

  const both = async (...args: string[]): Promise<void> => {
    await d.pair.ours.call(...args);
    await d.pair.theirs.call(...args);
  };

  for (const resp of [2, 3]) {
    it(`FUNCTION and FCALL: errors, load-time sandbox, replies, RESP${resp}`, async () => {
      await both('HELLO', String(resp));
      try {
        await expectSame(d.pair, FIXED);
      } finally {
        await both('HELLO', '2');
        await both('FUNCTION', 'FLUSH');
      }
    });
  }

  it('FUNCTION DUMP from Redis restores into tredis and the reverse', async () => {
    await both('FUNCTION', 'FLUSH');
    await d.pair.theirs.call('FUNCTION', 'LOAD', LIBA);
    await d.pair.theirs.call('FUNCTION', 'LOAD', LIBB);
    // a long library, so the payload holds an LZF-compressed string
    const long = `#!lua name=longlib\n${'-- padding padding padding\n'.repeat(40)}redis.register_function('fl', function() return 'long' end)`;
    await d.pair.theirs.call('FUNCTION', 'LOAD', long);
    const fromRedis = bulkOf(await d.pair.theirs.call('FUNCTION', 'DUMP'));
    expect(await d.pair.ours.call('FUNCTION', 'RESTORE', fromRedis)).toBe('+OK\r\n');
    await expectSame(d.pair, [
      ['FCALL', 'fa', '1', 'k'],
      ['FCALL_RO', 'fb', '0'],
      ['FCALL', 'fl', '0'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'liba', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'longlib', 'WITHCODE'],
      ['FUNCTION', 'STATS'],
    ]);
    // and back: ours into an empty Redis
    const fromUs = bulkOf(await d.pair.ours.call('FUNCTION', 'DUMP'));
    await both('FUNCTION', 'FLUSH');
    expect(await d.pair.theirs.call('FUNCTION', 'RESTORE', fromUs)).toBe('+OK\r\n');
    expect(await d.pair.theirs.call('FCALL', 'fl', '0')).toBe('$4\r\nlong\r\n');
    expect(await d.pair.theirs.call('FCALL_RO', 'fb', '0')).toBe('$1\r\nb\r\n');
    expect(await d.pair.theirs.call('FUNCTION', 'STATS')).toContain('libraries_count\r\n:3\r\n');
    await both('FUNCTION', 'FLUSH');
  });

  it('FUNCTION RESTORE policies and collisions', async () => {
    await both('FUNCTION', 'FLUSH');
    await d.pair.theirs.call('FUNCTION', 'LOAD', LIBA);
    await d.pair.theirs.call('FUNCTION', 'LOAD', LIBB);
    const payload = bulkOf(await d.pair.theirs.call('FUNCTION', 'DUMP'));
    await d.pair.theirs.call('FUNCTION', 'FLUSH');
    const corrupt = payload.slice(0, -1) + String.fromCharCode(payload.charCodeAt(payload.length - 1) ^ 1);
    const oldVersion = payload.slice(0, -10) + '\u000b\u0000' + payload.slice(-8);
    await expectSame(d.pair, [
      ['FUNCTION', 'RESTORE', corrupt],
      ['FUNCTION', 'RESTORE', oldVersion],
      ['FUNCTION', 'RESTORE', payload, 'nope'],
      ['FUNCTION', 'LOAD', LIBA2],
      ['FUNCTION', 'RESTORE', payload],
      ['FUNCTION', 'RESTORE', payload, 'APPEND'],
      ['FCALL', 'fa', '0'],
      ['FUNCTION', 'RESTORE', payload, 'REPLACE'],
      ['FCALL', 'fa', '0'],
      ['FCALL_RO', 'fb', '0'],
      ['FUNCTION', 'DELETE', 'liba'],
      ['FUNCTION', 'LOAD', CLASH],
      ['FUNCTION', 'RESTORE', payload, 'REPLACE'],
      ['FUNCTION', 'RESTORE', payload, 'FLUSH'],
      ['FCALL', 'fa', '0'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'LOAD', CLASH],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'libb'],
      ['FUNCTION', 'FLUSH'],
    ]);
  });

  it('script errors inside functions and the no-writes flag', async () => {
    const lib = [
      '#!lua name=errs',
      "redis.register_function('boom', function(k, a)",
      "  return redis.call('incr', k[1])",
      'end)',
      "redis.register_function{function_name='rw', callback=function(k) return redis.call('set', k[1], 'v') end, flags={'no-writes'}}",
      "redis.register_function('res', function(k, a) return {err=a[1]} end)",
    ].join('\n');
    await expectSame(d.pair, [
      ['FUNCTION', 'LOAD', lib],
      ['SET', 's', 'x'],
      ['FCALL', 'boom', '1', 's'],
      ['FCALL', 'rw', '1', 's'],
      ['FCALL_RO', 'rw', '1', 's'],
      ['FCALL', 'res', '0', 'MY own'],
      ['FCALL', 'res', '0', '-MY own'],
      ['FUNCTION', 'FLUSH'],
    ]);
  });
});

describe('functions through clients and the server state', () => {
  const f = useServer();

  it('LOAD/DELETE/FLUSH/RESTORE count one change each; DUMP, LIST, FCALL without writes none', async () => {
    const st = f.srv.state;
    const d0 = st.dirty;
    await f.r.function('LOAD', LIBA);
    expect(st.dirty).toBe(d0 + 1);
    const payload = (await f.r.callBuffer('FUNCTION', 'DUMP')) as Buffer;
    await f.r.function('LIST');
    await f.r.fcall('fa', 0);
    expect(st.dirty).toBe(d0 + 1);
    await f.r.function('DELETE', 'liba');
    await f.r.callBuffer('FUNCTION', 'RESTORE', payload);
    await f.r.function('FLUSH');
    expect(st.dirty).toBe(d0 + 4);
    await expect(f.r.function('DELETE', 'liba')).rejects.toThrow('ERR Library not found');
    expect(st.dirty).toBe(d0 + 4);
  });

  it('ioredis fcall with keys and args; functions survive FLUSHALL', async () => {
    const code = "#!lua name=counter\nredis.register_function('bump', function(k, a) return redis.call('incrby', k[1], a[1]) end)";
    expect(await f.r.function('LOAD', 'REPLACE', code)).toBe('counter');
    expect(await f.r.fcall('bump', 1, 'n', 5)).toBe(5);
    expect(await f.r.fcall('BUMP', 1, 'n', 2)).toBe(7);
    await f.r.flushall();
    expect(await f.r.fcall('bump', 1, 'n', 1)).toBe(1);
    await expect(f.r.fcall_ro('bump', 1, 'n', 1)).rejects.toThrow('Can not execute a script with write flag using *_ro command');
    await f.r.function('FLUSH');
  });

  it('node-redis RESP3 reads FUNCTION LIST as maps', async () => {
    const { createClient } = await import('redis');
    const client = createClient({ socket: { port: f.srv.port, host: '127.0.0.1' }, RESP: 3 });
    await client.connect();
    try {
      await client.sendCommand(['FUNCTION', 'LOAD', LIBB]);
      const list = (await client.sendCommand(['FUNCTION', 'LIST'])) as unknown[];
      expect(list).toHaveLength(1);
      expect(JSON.stringify(list)).toContain('bee');
      expect(await client.sendCommand(['FCALL_RO', 'fb', '0'])).toBe('b');
    } finally {
      await client.sendCommand(['FUNCTION', 'FLUSH']);
      await client.quit();
    }
  });
});

void Redis;
