/*
 * Conversions between RESP and Lua values, by Redis 7.0's rules.
 *
 * RESP -> Lua (a command's reply inside redis.call): integer -> number, bulk -> string, null bulk /
 * null array -> false (RESP2) or nil (RESP3 null), array -> table, status -> {ok=}, error -> {err=};
 * with redis.setresp(3) also map -> {map={}}, set -> {set={m=true}}, double -> {double=},
 * boolean -> boolean, big number -> {big_number=}, verbatim -> {verbatim_string={format=, string=}}.
 * The reply is parsed from the script client's output text, which is cheap next to running the
 * command and keeps the command handlers unaware of scripts.
 *
 * Lua -> RESP (a script's result): number -> integer (truncated), string -> bulk, true -> 1 (or #t
 * when the script set RESP3), false/nil -> null, tables with err/ok/double/big_number/map/set/
 * verbatim_string fields -> those types, any other table -> array up to the first nil.
 */

import type { Client } from '../client';
import type { ScriptEngine } from './engine';
import { T_BOOLEAN, T_NIL, T_NUMBER, T_STRING, T_TABLE, luaInt } from './lua';

/** Pushes the reply in text (one complete RESP reply) onto the Lua stack. */
export function pushReply(e: ScriptEngine, text: string, resp3: boolean): void {
  parse(e, text, 0, resp3);
}

function lineEnd(text: string, pos: number): number {
  return text.indexOf('\r\n', pos);
}

/** Parses one reply at pos and pushes it; returns the position after it. */
function parse(e: ScriptEngine, text: string, pos: number, resp3: boolean): number {
  const m = e.m;
  const L = e.L;
  const type = text.charCodeAt(pos);
  const end = lineEnd(text, pos);
  const head = text.slice(pos + 1, end);
  let next = end + 2;
  switch (type) {
    case 36: {
      // $ bulk
      const n = Number(head);
      if (n < 0) {
        if (resp3) m._lua_pushnil(L);
        else m._lua_pushboolean(L, 0);
        return next;
      }
      e.str.push(L, text.slice(next, next + n));
      return next + n + 2;
    }
    case 58: {
      // : integer
      const n = Number(head);
      m._lua_pushinteger(L, Number.isSafeInteger(n) ? luaInt(n) : BigInt(head));
      return next;
    }
    case 43: // + status
      pushField(e, 'ok', head);
      return next;
    case 45: // - error
      pushField(e, 'err', head);
      return next;
    case 42: // * array
    case 62: {
      // > push
      const n = Number(head);
      if (n < 0) {
        if (resp3) m._lua_pushnil(L);
        else m._lua_pushboolean(L, 0);
        return next;
      }
      m._lua_checkstack(L, 4);
      m._lua_createtable(L, n, 0);
      for (let i = 1; i <= n; i++) {
        next = parse(e, text, next, resp3);
        m._lua_rawseti(L, -2, luaInt(i));
      }
      return next;
    }
    case 95: // _ null
      m._lua_pushnil(L);
      return next;
    case 35: // # boolean
      m._lua_pushboolean(L, head === 't' ? 1 : 0);
      return next;
    case 44: {
      // , double
      m._lua_createtable(L, 0, 1);
      m._lua_pushnumber(L, parseDouble(head));
      m._lua_setfield(L, -2, e.str.name('double'));
      return next;
    }
    case 40: // ( big number
      pushField(e, 'big_number', head);
      return next;
    case 61: {
      // = verbatim
      const n = Number(head);
      const body = text.slice(next, next + n);
      m._lua_createtable(L, 0, 1);
      m._lua_createtable(L, 0, 2);
      e.str.push(L, body.slice(4));
      m._lua_setfield(L, -2, e.str.name('string'));
      e.str.push(L, body.slice(0, 3));
      m._lua_setfield(L, -2, e.str.name('format'));
      m._lua_setfield(L, -2, e.str.name('verbatim_string'));
      return next + n + 2;
    }
    case 37: // % map
    case 126: {
      // ~ set
      const n = Number(head);
      m._lua_checkstack(L, 4);
      m._lua_createtable(L, 0, 1);
      m._lua_createtable(L, 0, n);
      for (let i = 0; i < n; i++) {
        next = parse(e, text, next, resp3);
        if (type === 37) next = parse(e, text, next, resp3);
        else m._lua_pushboolean(L, 1);
        m._lua_rawset(L, -3);
      }
      m._lua_setfield(L, -2, e.str.name(type === 37 ? 'map' : 'set'));
      return next;
    }
    default:
      m._lua_pushnil(L);
      return text.length;
  }
}

function parseDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s === 'nan' || s === '-nan') return NaN;
  return Number(s);
}

function pushField(e: ScriptEngine, name: string, value: string): void {
  const m = e.m;
  m._lua_createtable(e.L, 0, 1);
  e.str.push(e.L, value);
  m._lua_setfield(e.L, -2, e.str.name(name));
}

/** Writes the value on top of the Lua stack (left there) to c as the script's reply. */
export function writeResult(e: ScriptEngine, c: Client, scriptResp: number): void {
  toReply(e, c, scriptResp, 0);
}

/** Lua numbers become integers by truncation, as Redis's (long long) cast. */
function luaInteger(e: ScriptEngine, idx: number): bigint | number {
  const m = e.m;
  if (m._lua_isinteger(e.L, idx) !== 0) return m._lua_tointegerx(e.L, idx, 0);
  const d = m._lua_tonumberx(e.L, idx, 0);
  if (!Number.isFinite(d)) return -9223372036854775808n;
  const t = Math.trunc(d);
  if (Number.isSafeInteger(t)) return t;
  if (t >= 9.223372036854776e18 || t < -9.223372036854776e18) return -9223372036854775808n;
  return BigInt(t);
}

function toReply(e: ScriptEngine, c: Client, scriptResp: number, depth: number): void {
  const m = e.m;
  const L = e.L;
  const t = m._lua_type(L, -1);
  switch (t) {
    case T_STRING:
      c.bulk(e.str.get(L, -1)!);
      return;
    case T_BOOLEAN:
      if (scriptResp === 2) {
        if (m._lua_toboolean(L, -1) !== 0) c.int(1);
        else c.nil();
      } else c.bool(m._lua_toboolean(L, -1) !== 0);
      return;
    case T_NUMBER:
      c.int(luaInteger(e, -1));
      return;
    case T_TABLE:
      tableReply(e, c, scriptResp, depth);
      return;
    case T_NIL:
    default:
      c.nil();
  }
}

function tableReply(e: ScriptEngine, c: Client, scriptResp: number, depth: number): void {
  const m = e.m;
  const L = e.L;
  if (depth > 500 || m._lua_checkstack(L, 4) === 0) {
    c.error('ERR reached lua stack limit');
    return;
  }
  // {err=...}
  let ft = m._lua_getfield(L, -1, e.str.name('err'));
  if (ft === T_STRING) {
    // a leading '-' stays (Redis replies '--x' for {err='-x'})
    const msg = e.str.get(L, -1)!.replace(/[\r\n]/g, ' ');
    m._lua_settop(L, -2);
    c.error(msg);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('ok'));
  if (ft === T_STRING) {
    const msg = e.str.get(L, -1)!.replace(/[\r\n]/g, ' ');
    m._lua_settop(L, -2);
    c.simple(msg);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('double'));
  if (ft === T_NUMBER) {
    const d = m._lua_tonumberx(L, -1, 0);
    m._lua_settop(L, -2);
    c.double(d);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('big_number'));
  if (ft === T_STRING) {
    const v = e.str.get(L, -1)!.replace(/[\r\n]/g, ' ');
    m._lua_settop(L, -2);
    c.bigNumber(v);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('map'));
  if (ft === T_TABLE) {
    let n = 0;
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      n++;
      m._lua_settop(L, -2);
    }
    c.map(n);
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      // key at -2, value at -1: reply the key from a copy (lua_tolstring would change a number key)
      m._lua_pushvalue(L, -2);
      toReply(e, c, scriptResp, depth + 1);
      m._lua_settop(L, -2);
      toReply(e, c, scriptResp, depth + 1);
      m._lua_settop(L, -2);
    }
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('set'));
  if (ft === T_TABLE) {
    let n = 0;
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      n++;
      m._lua_settop(L, -2);
    }
    c.set(n);
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      m._lua_pushvalue(L, -2);
      toReply(e, c, scriptResp, depth + 1);
      m._lua_settop(L, -3);
    }
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  ft = m._lua_getfield(L, -1, e.str.name('verbatim_string'));
  if (ft === T_TABLE) {
    const format = e.field(-1, 'format');
    const str = e.field(-1, 'string');
    if (format !== null && str !== null) {
      m._lua_settop(L, -2);
      c.verbatim(str, format.slice(0, 3));
      return;
    }
  }
  m._lua_settop(L, -2);
  // an array up to the first nil; its length is known only at the end
  let n = 0;
  while (m._lua_rawgeti(L, -1, luaInt(n + 1)) !== T_NIL) {
    m._lua_settop(L, -2);
    n++;
  }
  m._lua_settop(L, -2);
  c.array(n);
  for (let i = 1; i <= n; i++) {
    m._lua_rawgeti(L, -1, luaInt(i));
    toReply(e, c, scriptResp, depth + 1);
    m._lua_settop(L, -2);
  }
}
