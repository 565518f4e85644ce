/*
 * Lua scripting vs Redis 7.0: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO and SCRIPT byte for byte against the
 * oracle in RESP2 and RESP3 (conversions both ways, every error text, the sandbox, shebang flags and
 * the cjson/cmsgpack/bit/struct libraries), then flows through real clients (ioredis defineCommand,
 * EVALSHA with NOSCRIPT fallback) and server-side effects (dirty counts, MULTI, binary safety).
 * Cases where Lua 5.4 cannot behave as Redis's Lua 5.1 are listed in README "Scripting" and left out.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';

const BASICS: string[][] = [
  ["EVAL", "return 1", "0"],
  ["EVAL", "return 3.7", "0"],
  ["EVAL", "return -3.7", "0"],
  ["EVAL", "return 1e20", "0"],
  ["EVAL", "return -1e20", "0"],
  ["EVAL", "return 0/0", "0"],
  ["EVAL", "return math.huge", "0"],
  ["EVAL", "return 'str'", "0"],
  ["EVAL", "return true", "0"],
  ["EVAL", "return false", "0"],
  ["EVAL", "return nil", "0"],
  ["EVAL", "return {1,2,nil,3}", "0"],
  ["EVAL", "return {}", "0"],
  ["EVAL", "return {a=1}", "0"],
  ["EVAL", "return {1,{2,{3,'x'}},true,false}", "0"],
  ["EVAL", "return {err='x'}", "0"],
  ["EVAL", "return {err='-MY err'}", "0"],
  ["EVAL", "return {err='MY err'}", "0"],
  ["EVAL", "return {ok='fine'}", "0"],
  ["EVAL", "return {ok='-fine'}", "0"],
  ["EVAL", "return {err=3}", "0"],
  ["EVAL", "return {ok=3}", "0"],
  ["EVAL", "return redis.error_reply('x')", "0"],
  ["EVAL", "return redis.error_reply('-WRONG x')", "0"],
  ["EVAL", "return redis.error_reply('-WRONGx')", "0"],
  ["EVAL", "return redis.error_reply('')", "0"],
  ["EVAL", "return redis.error_reply()", "0"],
  ["EVAL", "return redis.error_reply(1)", "0"],
  ["EVAL", "return redis.status_reply('OK')", "0"],
  ["EVAL", "return redis.status_reply()", "0"],
  ["EVAL", "return {double=3.5}", "0"],
  ["EVAL", "return {big_number='123'}", "0"],
  ["EVAL", "return {map={a=1}}", "0"],
  ["EVAL", "return {set={a=true}}", "0"],
  ["EVAL", "return {verbatim_string={format='txt',string='hi'}}", "0"],
  ["EVAL", "return {1, {err='in array'}, 2}", "0"],
  ["EVAL", "return {1, {ok='in array'}, 2}", "0"],
  ["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2"],
  ["EVAL", "return #KEYS + #ARGV", "0"],
  ["EVAL", "return redis.call('get','nokey')", "0"],
  ["EVAL", "return type(redis.call('get','nokey'))", "0"],
  ["EVAL", "return redis.call('set','k','v')", "1", "k"],
  ["EVAL", "return type(redis.call('set','k','v'))", "0"],
  ["EVAL", "return redis.call('set','k','v')['ok']", "0"],
  ["EVAL", "return redis.call('incr','n')", "0"],
  ["EVAL", "return redis.call('incrbyfloat','f','1.5')", "0"],
  ["EVAL", "redis.call('hset','h','a','1','b','2') return redis.call('hgetall','h')", "0"],
  ["EVAL", "return redis.pcall('incr','k')", "0"],
  ["EVAL", "local r = redis.pcall('incr','k') return type(r) .. r.err", "0"],
  ["EVAL", "return redis.call('incr','k')", "0"],
  ["EVAL", "return redis.call('nosuch')", "0"],
  ["EVAL", "return redis.pcall('nosuch')", "0"],
  ["EVAL", "return redis.call('get')", "0"],
  ["EVAL", "return redis.pcall('get')", "0"],
  ["EVAL", "return redis.call()", "0"],
  ["EVAL", "return redis.pcall()", "0"],
  ["EVAL", "return redis.call('get', {})", "0"],
  ["EVAL", "return redis.call('get', nil)", "0"],
  ["EVAL", "return redis.call('get', 1.5)", "0"],
  ["EVAL", "redis.call('set', 'fk', 1.5) return redis.call('get','fk')", "0"],
  ["EVAL", "redis.call('set', 'fk', 0.1) return redis.call('get','fk')", "0"],
  ["EVAL", "redis.call('set', 'fk', 1e100) return redis.call('get','fk')", "0"],
  ["EVAL", "redis.call('set', 'fk', 3) return redis.call('get','fk')", "0"],
  ["EVAL", "return redis.call('eval','return 1','0')", "0"],
  ["EVAL", "return redis.call('multi')", "0"],
  ["EVAL", "return redis.call('subscribe','x')", "0"],
  ["EVAL", "return redis.call('script','load','return 1')", "0"],
  ["EVAL", "return redis.call('blpop','l','0')", "0"],
  ["EVAL", "return redis.call('client','list')", "0"],
  ["EVAL", "x = 1", "0"],
  ["EVAL", "return y", "0"],
  ["EVAL", "local t = {} t.x = 1 return t.x", "0"],
  ["EVAL", "error('boom')", "0"],
  ["EVAL", "error({err='boom table'})", "0"],
  ["EVAL", "error('boom', 0)", "0"],
  ["EVAL", "error()", "0"],
  ["EVAL", "error(nil)", "0"],
  ["EVAL", "error(3)", "0"],
  ["EVAL", "local a = nil; return a.b", "0"],
  ["EVAL", "\n\nlocal a = nil; return a.b", "0"],
  ["EVAL", "return 1 +", "0"],
  ["EVAL", "return 'unfinished", "0"],
  ["EVAL", "fn(", "0"],
  ["EVAL", "return redis.call('incr','k')", "0"],
  ["SET", "k", "v"],
  ["EVAL", "return redis.call('incr','k')", "0"],
  ["EVAL", "\nreturn redis.call('incr','k')", "0"],
  ["EVAL", "return redis.call('lpush','k','x')", "0"],
  ["EVAL", "return 1", "x"],
  ["EVAL", "return 1", "-1"],
  ["EVAL", "return 1", "2", "a"],
  ["EVAL", "return 1", "1"],
  ["EVAL", "return 1"],
  ["EVAL", "return 1", "99999999999999999999"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
  ["EVALSHA", "fff", "0"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
  ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "x"],
  ["SCRIPT", "LOAD", "return 1"],
  ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffffffffffffffffffffffffffffffffffffffff", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"],
  ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
  ["SCRIPT", "LOAD", "return +"],
  ["SCRIPT", "LOAD"],
  ["SCRIPT", "EXISTS"],
  ["SCRIPT", "FLUSH", "ASYNC"],
  ["SCRIPT", "FLUSH", "sync"],
  ["SCRIPT", "FLUSH", "x"],
  ["SCRIPT", "FLUSH", "sync", "x"],
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
  ["SCRIPT", "KILL"],
  ["SCRIPT", "KILL", "x"],
  ["SCRIPT", "HELP"],
  ["SCRIPT", "NOPE"],
  ["SCRIPT"],
  ["SCRIPT", "DEBUG", "no"],
  ["SCRIPT", "DEBUG", "x"],
  ["EVAL_RO", "return redis.call('set','a','b')", "1", "a"],
  ["EVAL_RO", "return redis.pcall('set','a','b')", "1", "a"],
  ["EVAL_RO", "return redis.call('get','a')", "1", "a"],
  ["EVAL_RO", "#!lua\nreturn redis.call('get','a')", "1", "a"],
  ["EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','a')", "1", "a"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "1", "a"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','a')", "1", "a"],
  ["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"],
  ["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
  ["EVAL", "#!lua bogus=1\nreturn 1", "0"],
  ["EVAL", "#!python\nreturn 1", "0"],
  ["EVAL", "#!lua\nreturn 1", "0"],
  ["EVAL", "#!lua", "0"],
  ["EVAL", "#!lua flags=\nreturn 1", "0"],
  ["EVAL", "#!lua\nreturn redis.call('get',KEYS[1])", "1", "a"],
  ["EVAL", "#!lua\nreturn redis.call('get','a')", "0"],
  ["EVAL", "#!lua flags=no-writes\nreturn y", "0"],
  ["EVAL", "#!lua flags=no-cluster,allow-cross-slot-keys,allow-stale\nreturn 2", "0"],
  ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
  ["SCRIPT", "LOAD", "return redis.call('set','a','b')"],
  ["EVALSHA_RO", "1ea9e6c0ec4bd2a8d3e7b7f0e5e7b5fe7a3f8b0f", "0"],
];

const SANDBOX: string[][] = [
  ["EVAL", "#!lua name=x\nreturn 1", "0"],
  ["EVAL", "return {1, {err='-in array'}, 2}", "0"],
  ["EVAL", "error({err='-X y'})", "0"],
  ["EVAL", "error({err='X y'})", "0"],
  ["EVAL", "error({err=5})", "0"],
  ["EVAL", "return redis.nosuch", "0"],
  ["EVAL", "return redis.nosuch()", "0"],
  ["EVAL", "local t = {} return t.x.y", "0"],
  ["EVAL", "local t = {} t.f()", "0"],
  ["EVAL", "local a; return a + 1", "0"],
  ["EVAL", "local a; return a .. 'x'", "0"],
  ["EVAL", "return 1 < 'x'", "0"],
  ["EVAL", "return {} < {}", "0"],
  ["EVAL", "return #nil", "0"],
  ["EVAL", "local a return #a", "0"],
  ["EVAL", "local s = 'abc' return s:nosuch()", "0"],
  ["EVAL", "local t = {} return t:nosuch()", "0"],
  ["EVAL", "return string.rep('x', -1)", "0"],
  ["EVAL", "return string.sub()", "0"],
  ["EVAL", "return tonumber('0x10')", "0"],
  ["EVAL", "return tostring(10/2)", "0"],
  ["EVAL", "return tostring(1e20)", "0"],
  ["EVAL", "return tostring(0.1)", "0"],
  ["EVAL", "return tostring(2^53)", "0"],
  ["EVAL", "return string.format('%d', 3.0)", "0"],
  ["EVAL", "return string.format('%d', 3.5)", "0"],
  ["EVAL", "return math.floor(3.7)", "0"],
  ["EVAL", "return tostring(math.floor(3.7))", "0"],
  ["EVAL", "return 7 % 3", "0"],
  ["EVAL", "return tostring(2^63)", "0"],
  ["EVAL", "return tostring(-0.0)", "0"],
  ["EVAL", "return string.format('%s', 1.5)", "0"],
  ["EVAL", "return unpack({1,2,3})", "0"],
  ["EVAL", "return {unpack({1,2,3})}", "0"],
  ["EVAL", "return table.getn({1,2})", "0"],
  ["EVAL", "return loadstring('return 5')()", "0"],
  ["EVAL", "return type(os)", "0"],
  ["EVAL", "return type(io)", "0"],
  ["EVAL", "return type(require)", "0"],
  ["EVAL", "return type(loadfile)", "0"],
  ["EVAL", "return type(dofile)", "0"],
  ["EVAL", "return type(print)", "0"],
  ["EVAL", "return type(debug)", "0"],
  ["EVAL", "return type(setfenv)", "0"],
  ["EVAL", "return type(getfenv)", "0"],
  ["EVAL", "return type(newproxy)", "0"],
  ["EVAL", "return type(module)", "0"],
  ["EVAL", "return type(coroutine)", "0"],
  ["EVAL", "return type(_G)", "0"],
  ["EVAL", "return type(rawget)", "0"],
  ["EVAL", "return type(gcinfo)", "0"],
  ["EVAL", "return type(math.pow)", "0"],
  ["EVAL", "return type(string.gfind)", "0"],
  ["EVAL", "return _VERSION", "0"],
  ["EVAL", "_G.x = 1", "0"],
  ["EVAL", "rawset(_G, 'x', 1)", "0"],
  ["EVAL", "setmetatable(_G, nil)", "0"],
  ["EVAL", "redis.call = nil", "0"],
  ["EVAL", "string.foo = 1", "0"],
  ["EVAL", "cjson.encode = 1", "0"],
  ["EVAL", "local function f() x = 1 end f()", "0"],
  ["EVAL", "return redis.sha1hex('')", "0"],
  ["EVAL", "return redis.sha1hex('abc')", "0"],
  ["EVAL", "return redis.sha1hex()", "0"],
  ["EVAL", "return redis.sha1hex(1)", "0"],
  ["EVAL", "return redis.sha1hex({})", "0"],
  ["EVAL", "return redis.REDIS_VERSION", "0"],
  ["EVAL", "return redis.REDIS_VERSION_NUM", "0"],
  ["EVAL", "return redis.LOG_WARNING", "0"],
  ["EVAL", "redis.log(redis.LOG_WARNING, 'hi')", "0"],
  ["EVAL", "redis.log()", "0"],
  ["EVAL", "redis.log(1)", "0"],
  ["EVAL", "redis.log('x', 'y')", "0"],
  ["EVAL", "redis.log(9, 'y')", "0"],
  ["EVAL", "return redis.setresp(4)", "0"],
  ["EVAL", "return redis.setresp()", "0"],
  ["EVAL", "return redis.setresp('x')", "0"],
  ["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
  ["EVAL", "return redis.set_repl(9)", "0"],
  ["EVAL", "return redis.set_repl()", "0"],
  ["EVAL", "return redis.replicate_commands()", "0"],
  ["EVAL", "return redis.breakpoint()", "0"],
  ["EVAL", "return redis.debug('x')", "0"],
  ["EVAL", "return redis.acl_check_cmd('set','a','b')", "0"],
  ["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
  ["EVAL", "return redis.acl_check_cmd()", "0"],
  ["EVAL", "return redis.register_function('a', function() end)", "0"],
  ["EVAL", "return redis.setresp(3)", "0"],
  ["EVAL", "return redis.call('ping')", "0"],
  ["EVAL", "return redis.call('ping', 'x')", "0"],
  ["EVAL", "return redis.call('select', '1')", "0"],
  ["EVAL", "redis.call('select', '1') redis.call('set','indb1','v') return redis.call('dbsize')", "0"],
  ["DBSIZE"],
  ["SELECT", "1"],
  ["DBSIZE"],
  ["SELECT", "0"],
  ["EVAL", "return redis.call('type', 'k')", "0"],
  ["EVAL", "return redis.pcall('type', 'k')", "0"],
  ["EVAL", "return redis.call('debug', 'sleep', '0')", "0"],
  ["EVAL", "return redis.call('time')[3]", "0"],
  ["EVAL", "return redis.call('command', 'count') > 100", "0"],
];

const ERRORS_51: string[][] = [
  ["EVAL", "#!lua flags=no-writes", "0"],
  ["EVAL", "#!lua ", "0"],
  ["EVAL", "#!", "0"],
  ["EVAL", "#!\nreturn 1", "0"],
  ["EVAL", "#! lua\nreturn 1", "0"],
  ["EVAL", "#!lua  flags=no-writes  \nreturn 1", "0"],
  ["EVAL", "#!lua \"flags=no-writes\"\nreturn 1", "0"],
  ["EVAL", "#!lua \"flags=no-writes\nreturn 1", "0"],
  ["EVAL", "#!lua flags=no-writes,,allow-oom\nreturn 1", "0"],
  ["EVAL", "#!lua flags=no-writes,\nreturn 1", "0"],
  ["EVAL", "#!lua flags=\nreturn 1", "0"],
  ["EVAL", "#!lua name=x\nreturn 1", "0"],
  ["EVAL", "#!LUA\nreturn 1", "0"],
  ["EVAL", "return {1, {err='-in array'}, 2}", "0"],
  ["EVAL", "error({err='-X y'})", "0"],
  ["EVAL", "error({err=5})", "0"],
  ["EVAL", "return {err='-MY err'}", "0"],
  ["EVAL", "error(3)", "0"],
  ["EVAL", "error(3.5)", "0"],
  ["EVAL", "error('x', 2)", "0"],
  ["EVAL", "local function f() error('deep', 2) end\nf()", "0"],
  ["EVAL", "local a = nil; return a.b", "0"],
  ["EVAL", "return redis.nosuch()", "0"],
  ["EVAL", "local t = {} return t.x.y", "0"],
  ["EVAL", "local a; return a + 1", "0"],
  ["EVAL", "local s = 'abc' return s:nosuch()", "0"],
  ["EVAL", "return tostring(10/2)", "0"],
  ["EVAL", "return tostring(-0.0)", "0"],
  ["EVAL", "return string.format('%d', 3.5)", "0"],
  ["EVAL", "return string.format('%5.2f|%d|%s|%x', 3.14159, -3.9, 'a', 255.5)", "0"],
  ["EVAL", "return string.format('%%%d', 2.0)", "0"],
  ["EVAL", "return _VERSION", "0"],
  ["EVAL", "rawset(_G, 'x', 1)", "0"],
  ["EVAL", "rawset(string, 'x', 1)", "0"],
  ["EVAL", "local t = {} rawset(t, 'x', 1) return t.x", "0"],
  ["EVAL", "setmetatable(_G, nil)", "0"],
  ["EVAL", "local t = setmetatable({}, {__index=function() return 7 end}) return t.q", "0"],
  ["EVAL", "local function f() x = 1 end f()", "0"],
  ["EVAL", "x = 1", "0"],
  ["EVAL", "return pcall(error, 'x')", "0"],
  ["EVAL", "return {pcall(error, 'x')}", "0"],
  ["EVAL", "return {pcall(function() error('x') end)}", "0"],
  ["EVAL", "return {pcall(function() local a; a.b = 1 end)}", "0"],
  ["EVAL", "return getmetatable('x').__index == string", "0"],
];

const CONVERSIONS: string[][] = [
  ["HSET", "h1", "a", "1"],
  ["HSET", "h", "a", "1", "b", "2"],
  ["SADD", "s", "x"],
  ["ZADD", "z", "1.5", "m"],
  ["SET", "str", "hello"],
  ["EVAL", "return redis.call('hgetall','h')", "0"],
  // integer replies up to 15 digits and past them (read two ways), negative ones, bulk lengths
  ["SET", "i15", "999999999999999"],
  ["SET", "i16", "1234567890123456"],
  ["SET", "ineg", "-999999999999999"],
  ["EVAL", "return {redis.call('incrby','i15',0), redis.call('incrby','i16',0), redis.call('incrby','ineg',0), redis.call('incrby','i15',1) - 1}", "0"],
  ["EVAL", "return {redis.call('get','i16'), #redis.call('get','i16'), redis.call('strlen','i16')}", "0"],
  // a map through a Lua table comes back in Lua's hash order: one field only
  ["EVAL", "redis.setresp(3) return redis.call('hgetall','h1')", "0"],
  ["EVAL", "redis.setresp(3) local r = redis.call('hgetall','h') return r.map.a", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('smembers','s')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('zscore','z','m')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('zscore','z','m').double", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('get','nokey')", "0"],
  ["EVAL", "redis.setresp(3) return type(redis.call('get','nokey'))", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','bignum')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','true')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','false')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','verbatim')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','double')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','null')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','map')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','set')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('debug','protocol','attrib')", "0"],
  ["EVAL", "return redis.call('debug','protocol','bignum')", "0"],
  ["EVAL", "return redis.call('debug','protocol','true')", "0"],
  ["EVAL", "return redis.call('debug','protocol','false')", "0"],
  ["EVAL", "return redis.call('debug','protocol','verbatim')", "0"],
  ["EVAL", "return redis.call('debug','protocol','double')", "0"],
  ["EVAL", "return redis.call('debug','protocol','null')", "0"],
  ["EVAL", "return redis.call('debug','protocol','map')", "0"],
  ["EVAL", "return redis.call('debug','protocol','set')", "0"],
  ["EVAL", "return redis.call('debug','protocol','attrib')", "0"],
  ["EVAL", "return {double=3.5}", "0"],
  ["EVAL", "return {double=1/3}", "0"],
  ["EVAL", "return {double='x'}", "0"],
  ["EVAL", "return {big_number='123'}", "0"],
  ["EVAL", "return {map={a=1}}", "0"],
  ["EVAL", "return {set={a=true}}", "0"],
  ["EVAL", "return {verbatim_string={format='txt',string='hi'}}", "0"],
  ["EVAL", "return true", "0"],
  ["EVAL", "return false", "0"],
  ["EVAL", "return nil", "0"],
  ["EVAL", "redis.setresp(3) return true", "0"],
  ["EVAL", "redis.setresp(3) return false", "0"],
  ["EVAL", "redis.setresp(3) return {true,false,nil}", "0"],
  ["EVAL", "return {1,2,3.9,'x',{ok='o'}}", "0"],
  ["EVAL", "return redis.call('hgetall','nokey')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('hgetall','nokey')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('hgetall','h')['map']['b']", "0"],
  ["EVAL", "return redis.call('zrange','z','0','-1','withscores')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('zrange','z','0','-1','withscores')", "0"],
  ["EVAL", "return redis.call('config','get','maxmemory')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('config','get','maxmemory')", "0"],
  ["EVAL", "return redis.call('lpop','nokey')", "0"],
  ["EVAL", "return redis.call('blpop','nokey', '0.01')", "0"],
  ["EVAL", "redis.setresp(3) return redis.call('blpop','nokey', '0.01')", "0"],
  ["EVAL", "return redis.call('object','encoding','str')", "0"],
  ["EVAL", "return {map={[1]=2, x={1,2}}}", "0"],
  ["EVAL", "return {set={[1]=true, [2]=true}}", "0"],
  ["EVAL", "return {double=math.huge}", "0"],
  ["EVAL", "return {double=-math.huge}", "0"],
  ["EVAL", "return {big_number='1\\r\\n2'}", "0"],
];

const LIBRARIES: string[][] = [
  ["EVAL", "return cjson.encode({1,2,3})", "0"],
  ["EVAL", "return cjson.encode({a=1})", "0"],
  ["EVAL", "return cjson.encode({})", "0"],
  ["EVAL", "return cjson.encode('x\"y\\n\\1/')", "0"],
  ["EVAL", "return cjson.encode(1.5)", "0"],
  ["EVAL", "return cjson.encode(1/3)", "0"],
  ["EVAL", "return cjson.encode(1e20)", "0"],
  ["EVAL", "return cjson.encode(10/2)", "0"],
  ["EVAL", "return cjson.encode(-0.0)", "0"],
  ["EVAL", "return cjson.encode(0/0)", "0"],
  ["EVAL", "return cjson.encode(math.huge)", "0"],
  ["EVAL", "return cjson.encode(true)", "0"],
  ["EVAL", "return cjson.encode(cjson.null)", "0"],
  ["EVAL", "return cjson.encode({1,nil,3})", "0"],
  ["EVAL", "return cjson.encode({[1]=1,[5]=5})", "0"],
  ["EVAL", "return cjson.encode({[1]=1,[20]=5})", "0"],
  ["EVAL", "return cjson.encode({a={b={c={1}}}})", "0"],
  ["EVAL", "return cjson.encode(function() end)", "0"],
  ["EVAL", "return cjson.encode()", "0"],
  ["EVAL", "return cjson.encode('\\200\\255')", "0"],
  ["EVAL", "return cjson.encode({[true]=1})", "0"],
  ["EVAL", "return cjson.encode({[1.5]=1})", "0"],
  ["EVAL", "local t = {} t[1]=t return cjson.encode(t)", "0"],
  ["EVAL", "return cjson.decode('[1,2,3]')", "0"],
  ["EVAL", "return cjson.decode('{\"a\":[1,2,{\"b\":null}]}').a[2]", "0"],
  ["EVAL", "return type(cjson.decode('null'))", "0"],
  ["EVAL", "return cjson.decode('null') == cjson.null", "0"],
  ["EVAL", "return cjson.decode('1.5e3')", "0"],
  ["EVAL", "return tostring(cjson.decode('1.5'))", "0"],
  ["EVAL", "return tostring(cjson.decode('15'))", "0"],
  ["EVAL", "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "0"],
  ["EVAL", "return cjson.decode('[1,2')", "0"],
  ["EVAL", "return cjson.decode('{\"a\":}')", "0"],
  ["EVAL", "return cjson.decode('')", "0"],
  ["EVAL", "return cjson.decode('xyz')", "0"],
  ["EVAL", "return cjson.decode('[1] x')", "0"],
  ["EVAL", "return cjson.decode()", "0"],
  ["EVAL", "return cjson.decode(5)", "0"],
  ["EVAL", "return cjson.decode('true')", "0"],
  ["EVAL", "return cjson.decode('[-0]')", "0"],
  ["EVAL", "return cjson.decode('[1e400]')", "0"],
  ["EVAL", "return cmsgpack.pack(1, 'a', {1,2}, {a=1}, true, 1.5, -1, 300, -300, 70000, 2^40)", "0"],
  ["EVAL", "return cmsgpack.pack(string.rep('x', 40))", "0"],
  ["EVAL", "return cmsgpack.pack(string.rep('x', 300))", "0"],
  ["EVAL", "return cmsgpack.pack(nil)", "0"],
  ["EVAL", "return cmsgpack.pack()", "0"],
  ["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, true, 1.5, -1, 300, -300, 70000))}", "0"],
  ["EVAL", "return cmsgpack.unpack('\\193')", "0"],
  ["EVAL", "return cmsgpack.unpack('')", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1)}", "0"],
  ["EVAL", "return cmsgpack.pack(0.1)", "0"],
  ["EVAL", "return cmsgpack.pack({[1]=1,[3]=3})", "0"],
  ["EVAL", "return bit.band(0xff, 0x0f)", "0"],
  ["EVAL", "return bit.bor(1, 2, 4)", "0"],
  ["EVAL", "return bit.bxor(0xffffffff, 1)", "0"],
  ["EVAL", "return bit.bnot(0)", "0"],
  ["EVAL", "return bit.lshift(1, 31)", "0"],
  ["EVAL", "return bit.rshift(-1, 28)", "0"],
  ["EVAL", "return bit.arshift(-256, 4)", "0"],
  ["EVAL", "return bit.rol(0x12345678, 8)", "0"],
  ["EVAL", "return bit.ror(0x12345678, 8)", "0"],
  ["EVAL", "return bit.bswap(0x12345678)", "0"],
  ["EVAL", "return bit.tohex(255)", "0"],
  ["EVAL", "return bit.tohex(-1, -4)", "0"],
  ["EVAL", "return bit.tohex(0x12345678, 3)", "0"],
  ["EVAL", "return bit.tobit(2^32 + 5)", "0"],
  ["EVAL", "return bit.tobit(1.5)", "0"],
  ["EVAL", "return bit.tobit(2.5)", "0"],
  ["EVAL", "return struct.pack('>I2', 258)", "0"],
  ["EVAL", "return struct.pack('<i4', -2)", "0"],
  ["EVAL", "return struct.pack('bBhHlLi8', 1, 2, 3, 4, 5, 6, 7)", "0"],
  ["EVAL", "return struct.pack('s', 'abc')", "0"],
  ["EVAL", "return struct.pack('c3', 'abcdef')", "0"],
  ["EVAL", "return struct.pack('d', 1.5)", "0"],
  ["EVAL", "return struct.pack('f', 1.5)", "0"],
  ["EVAL", "return {struct.unpack('>I2', '\\1\\2')}", "0"],
  ["EVAL", "return {struct.unpack('<i4I4', struct.pack('<i4I4', -2, 7))}", "0"],
  ["EVAL", "return {struct.unpack('s', 'abc\\0def')}", "0"],
  ["EVAL", "return {struct.unpack('>I2', '\\1')}", "0"],
  ["EVAL", "return struct.size('i4I2c3')", "0"],
  ["EVAL", "return struct.size('s')", "0"],
  ["EVAL", "return struct.pack('q', 1)", "0"],
  ["EVAL", "return {struct.unpack('d', struct.pack('d', 0.1))}", "0"],
  ["EVAL", "return tostring(({struct.unpack('d', struct.pack('d', 0.1))})[1])", "0"],
];

describe.skipIf(!oracleAvailable)('scripting vs Redis', () => {
  const d = useDifferential();

  const both = async (...args: string[]): Promise<void> => {
    await d.pair.ours.call(...args);
    await d.pair.theirs.call(...args);
  };

  for (const resp of [2, 3]) {
    it(`results, errors and SCRIPT subcommands, RESP${resp}`, async () => {
      await both('HELLO', String(resp));
      try {
        await expectSame(d.pair, BASICS);
      } finally {
        await both('HELLO', '2');
      }
    });

    it(`redis.call replies as Lua values and back (redis.setresp), RESP${resp}`, async () => {
      await both('HELLO', String(resp));
      try {
        await expectSame(d.pair, CONVERSIONS);
      } finally {
        await both('HELLO', '2');
      }
    });
  }

  it('sandbox: globals, 5.1 names, redis.* helpers and their errors', async () => {
    await expectSame(d.pair, SANDBOX);
  });

  it('Lua 5.1 error texts, readonly tables, error() levels and string.format', async () => {
    await expectSame(d.pair, ERRORS_51);
  });

  it('cjson, cmsgpack, bit and struct', async () => {
    await expectSame(d.pair, LIBRARIES);
  });

  it('binary-safe strings both ways', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await expectSame(d.pair, [
      ['SET', 'bin', all.toString('latin1')],
      ['EVAL', "return redis.call('get', KEYS[1])", '1', 'bin'],
      ['EVAL', 'local s = "" for i = 0, 255 do s = s .. string.char(i) end return s', '0'],
      ['EVAL', "return #ARGV[1] .. ':' .. redis.sha1hex(ARGV[1])", '0', all.toString('latin1')],
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('strlen', KEYS[1])", '1', '\u00ff\u0000k', all.toString('latin1')],
      ['GET', '\u00ff\u0000k'],
    ]);
  });

  it('scripts inside MULTI, after errors, and SCRIPT FLUSH between', async () => {
    await expectSame(d.pair, [
      ['MULTI'],
      ['EVAL', "return redis.call('incr', KEYS[1])", '1', 'ctr'],
      ['EVAL', 'return {err="in multi"}', '0'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['SCRIPT', 'LOAD', 'return 7'],
      ['EXEC'],
      ['EVALSHA', sha('return 7'), '0'],
      ['SCRIPT', 'FLUSH'],
      ['EVALSHA', sha('return 7'), '0'],
      ['SCRIPT', 'EXISTS', sha('return 7')],
    ]);
  });

  it('a script write wakes a blocked client after the script ends', async () => {
    await expectSame(d.pair, [
      ['EVAL', "redis.call('rpush', KEYS[1], 'a') return redis.call('llen', KEYS[1])", '1', 'q'],
      ['EVAL', "return redis.call('lpop', KEYS[1])", '1', 'q'],
      ['EVAL', "return redis.call('lpop', KEYS[1])", '1', 'q'],
    ]);
  });
});

function sha(body: string): string {
  return createHash('sha1').update(body, 'latin1').digest('hex');
}

describe('scripting through clients', () => {
  const f = useServer();

  it('ioredis defineCommand runs by EVALSHA and falls back to EVAL after SCRIPT FLUSH', async () => {
    const r = f.r as Redis & { incrAndGet(key: string, by: string): Promise<number> };
    r.defineCommand('incrAndGet', {
      numberOfKeys: 1,
      lua: "redis.call('incrby', KEYS[1], ARGV[1]) return tonumber(redis.call('get', KEYS[1]))",
    });
    expect(await r.incrAndGet('c', '5')).toBe(5);
    expect(await r.incrAndGet('c', '2')).toBe(7);
    await r.script('FLUSH');
    expect(await r.incrAndGet('c', '1')).toBe(8);
    const pipe = r.pipeline() as unknown as { incrAndGet(k: string, b: string): unknown; exec(): Promise<[Error | null, unknown][]> };
    pipe.incrAndGet('c', '1');
    pipe.incrAndGet('c', '1');
    expect(await pipe.exec()).toEqual([[null, 9], [null, 10]]);
  });

  it('EVALSHA after SCRIPT LOAD, NOSCRIPT after FLUSH, errors as ReplyError', async () => {
    const r = f.r;
    const s = (await r.script('LOAD', 'return {KEYS[1], ARGV[1], 3.99, false}')) as string;
    expect(s).toBe(sha('return {KEYS[1], ARGV[1], 3.99, false}'));
    expect(await r.evalsha(s, 1, 'k', 'a')).toEqual(['k', 'a', 3, null]);
    expect(await r.script('EXISTS', s, 'nope')).toEqual([1, 0]);
    await r.script('FLUSH', 'ASYNC');
    await expect(r.evalsha(s, 0)).rejects.toThrow('NOSCRIPT No matching script. Please use EVAL.');
    await expect(r.eval("return redis.call('nosuch')", 0)).rejects.toThrow(/Unknown Redis command called from script script: [0-9a-f]{40}, on @user_script:1\./);
  });

  it('SCRIPT LOAD/FLUSH do not count as changes; script writes do, command by command', async () => {
    const st = f.srv.state;
    const before = st.dirty;
    await f.r.script('LOAD', 'return 1');
    await f.r.script('FLUSH');
    expect(st.dirty).toBe(before);
    await f.r.eval("redis.call('set','a','1') redis.call('set','b','2')", 0);
    expect(st.dirty).toBe(before + 2);
  });

  it('EVAL_RO refuses writes; scripts see the caller database', async () => {
    await f.r.select(3);
    await f.r.set('x', 'in3');
    expect(await f.r.eval_ro("return redis.call('get', KEYS[1])", 1, 'x')).toBe('in3');
    await expect(f.r.eval_ro("return redis.call('set', KEYS[1], 'y')", 1, 'x')).rejects.toThrow(
      /Write commands are not allowed from read-only scripts/,
    );
    await f.r.select(0);
  });
});
