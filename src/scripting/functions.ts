/*
 * Redis 7 functions: libraries of Lua code loaded with FUNCTION LOAD, each registering named
 * functions (redis.register_function) that FCALL runs. A library's code runs once at load, in an
 * environment that sees only the load-time `redis` API; its functions keep that environment, which
 * then reads through to the globals and the full API (prelude.ts library_env).
 * The registry lives beside the engine (one per server); FUNCTION DUMP/RESTORE use Redis's payload
 * (RDB_OPCODE_FUNCTION2 + code per library, RDB version, CRC64) so payloads move between tredis and Redis.
 */

import { crc64, RdbReader, RdbWriter } from '../persistence/rdb-format';
import type { ScriptEngine, ScriptFlags } from './engine';
import { luaMessage } from './engine';
import { splitInlineArgs } from '../protocol/parser';
import { LUA_REGISTRYINDEX, T_FUNCTION, T_NUMBER, T_STRING, T_TABLE, luaInt } from './lua';

export interface FunctionInfo {
  name: string;
  ref: number;
  flags: ScriptFlags;
  flagNames: string[];
  description: string | null;
  lib: Library;
}

export interface Library {
  name: string;
  code: string;
  functions: Map<string, FunctionInfo>;
}

export class FunctionRegistry {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();

  /** functions are keyed by lower-cased name (Redis finds them case-insensitively), libraries by name */
  add(lib: Library): void {
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.values()) this.functions.set(f.name.toLowerCase(), f);
  }

  remove(e: ScriptEngine, lib: Library): void {
    this.libraries.delete(lib.name);
    for (const f of lib.functions.values()) {
      this.functions.delete(f.name.toLowerCase());
      e.m._luaL_unref(e.L, LUA_REGISTRYINDEX, f.ref);
    }
  }

  functionCount(): number {
    return this.functions.size;
  }

  clear(e: ScriptEngine): void {
    for (const lib of [...this.libraries.values()]) this.remove(e, lib);
  }
}

const registries = new WeakMap<ScriptEngine, FunctionRegistry>();

export function registryOf(e: ScriptEngine): FunctionRegistry {
  let r = registries.get(e);
  if (r === undefined) {
    r = new FunctionRegistry();
    registries.set(e, r);
  }
  return r;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const ERR_NAME = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
const FLAG_KEYS: Record<string, keyof ScriptFlags> = {
  'no-writes': 'noWrites',
  'allow-oom': 'allowOom',
  'allow-stale': 'allowStale',
  'no-cluster': 'noCluster',
  'allow-cross-slot-keys': 'allowCrossSlot',
};

/** The library name in code's '#!lua name=...' line, and the source to compile, or an error text. */
export function parseMetadata(code: string): { name: string; source: string } | string {
  if (!code.startsWith('#!')) return 'ERR Missing library metadata';
  const nl = code.indexOf('\n');
  if (nl === -1) return 'ERR Invalid library metadata';
  const line = code.slice(0, nl);
  const b = Buffer.from(line.slice(2), 'latin1');
  const parts = splitInlineArgs(b, 0, b.length);
  if (parts === null || parts.length === 0) return 'ERR Invalid library metadata';
  const engine = parts[0]!;
  if (engine.toLowerCase() !== 'lua') return `ERR Engine '${engine}' not found`;
  let name: string | null = null;
  for (const opt of parts.slice(1)) {
    if (opt.toLowerCase().startsWith('name=')) {
      if (name !== null) return 'ERR Invalid metadata value, name argument was given multiple times';
      name = opt.slice(5);
    } else return `ERR Invalid metadata value given: ${opt}`;
  }
  if (name === null) return 'ERR Library name was not given';
  if (!NAME_RE.test(name)) return ERR_NAME;
  return { name, source: code.slice(nl) };
}

/**
 * Compiles a library's code and runs it, collecting the functions it registers, without installing
 * it: the caller checks collisions, then install()s or discard()s it.
 */
export function compileLibrary(e: ScriptEngine, code: string, name: string, source: string): Library | { error: string } {
  const m = e.m;
  const L = e.L;
  const top = m._lua_gettop(L);
  const err = e.load(source, '@user_function');
  if (err !== null) return { error: `ERR Error compiling function: ${luaMessage(err)}` };
  // the library's environment: library_env() returns it and the function that ends load mode
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(e.libEnvRef));
  if (m._lua_pcallk(L, 0, 2, 0, 0, 0) !== 0) {
    m._lua_settop(L, top);
    return { error: 'ERR could not create the library environment' };
  }
  // stack: chunk, env, done
  const doneRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
  m._lua_setupvalue(L, -2, 1);
  const lib: Library = { name, code, functions: new Map() };
  e.registerFunction = (l) => registerFunction(e, l, lib);
  // run the code under the error handler
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(e.handlerRef));
  m._lua_rotate(L, -2, 1);
  let rc: number;
  try {
    rc = m._lua_pcallk(L, 0, 0, top + 1, 0, 0);
  } catch (ex) {
    rc = -1;
    m._lua_settop(L, top);
    pushErrorText(e, (ex as Error).message);
  }
  e.registerFunction = null;
  if (rc !== 0) {
    const msg = m._lua_type(L, -1) === T_TABLE ? e.field(-1, 'err') : e.str.get(L, -1);
    m._luaL_unref(L, LUA_REGISTRYINDEX, doneRef);
    m._lua_settop(L, top);
    discardLibrary(e, lib);
    return { error: `ERR Error registering functions: ${msg ?? 'unknown error'}` };
  }
  m._lua_settop(L, top);
  // leave load mode: from now on the functions see the globals and the full API
  m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(doneRef));
  m._lua_pcallk(L, 0, 0, 0, 0, 0);
  m._luaL_unref(L, LUA_REGISTRYINDEX, doneRef);
  m._lua_settop(L, top);
  if (lib.functions.size === 0) return { error: 'ERR No functions registered' };
  return lib;
}

function pushErrorText(e: ScriptEngine, msg: string): void {
  e.str.push(e.L, msg);
}

/** Releases the Lua references of a library that was compiled but not installed. */
export function discardLibrary(e: ScriptEngine, lib: Library): void {
  for (const f of lib.functions.values()) e.m._luaL_unref(e.L, LUA_REGISTRYINDEX, f.ref);
  lib.functions.clear();
}

/** Functions are looked up case-insensitively, as Redis's dict does (libraries by exact name). */
export function libKey(name: string): string {
  return name.toLowerCase();
}

/**
 * FUNCTION LOAD: compiles and runs the library's code, collects its functions and installs the
 * library (replacing one of the same name when `replace`). Returns the library name or an error.
 */
export function loadLibrary(e: ScriptEngine, code: string, replace: boolean): string | { error: string } {
  const reg = registryOf(e);
  const meta = parseMetadata(code);
  if (typeof meta === 'string') return { error: meta };
  const old = reg.libraries.get(meta.name);
  if (old !== undefined && !replace) return { error: `ERR Library '${meta.name}' already exists` };
  const lib = compileLibrary(e, code, meta.name, meta.source);
  if ('error' in lib) return lib;
  for (const f of lib.functions.values()) {
    const existing = reg.functions.get(libKey(f.name));
    if (existing !== undefined && existing.lib !== old) {
      discardLibrary(e, lib);
      return { error: `ERR Function ${f.name} already exists` };
    }
  }
  if (old !== undefined) reg.remove(e, old);
  reg.add(lib);
  return lib.name;
}

/** redis.register_function(name, callback) or redis.register_function{function_name=, callback=, flags=, description=}. */
function registerFunction(e: ScriptEngine, L: number, lib: Library): number {
  const m = e.m;
  const n = m._lua_gettop(L);
  let name: string | null = null;
  let hasCallback = false;
  const flags: ScriptFlags = { noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false };
  const flagNames: string[] = [];
  let description: string | null = null;
  if (n === 1) {
    if (m._lua_type(L, 1) !== T_TABLE) {
      return e.raise(L, 'ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
    }
    m._lua_pushnil(L);
    while (m._lua_next(L, 1) !== 0) {
      // key at -2, value at -1
      const key = m._lua_type(L, -2) === T_STRING ? e.str.get(L, -2) : null;
      if (key === 'function_name') {
        if (!isStringy(m._lua_type(L, -1))) return e.raise(L, 'ERR function_name argument given to redis.register_function must be a string');
        name = e.str.get(L, -1);
      } else if (key === 'description') {
        if (!isStringy(m._lua_type(L, -1))) return e.raise(L, 'ERR description argument given to redis.register_function must be a string');
        description = e.str.get(L, -1);
      } else if (key === 'callback') {
        if (m._lua_type(L, -1) !== T_FUNCTION) return e.raise(L, 'ERR callback argument given to redis.register_function must be a function');
        hasCallback = true;
        m._lua_pushvalue(L, -1);
        m._lua_setfield(L, LUA_REGISTRYINDEX, e.str.name('tredis_pending_callback'));
      } else if (key === 'flags') {
        if (m._lua_type(L, -1) !== T_TABLE) return e.raise(L, 'ERR flags argument to redis.register_function must be a table representing function flags');
        const abs = m._lua_gettop(L);
        m._lua_pushnil(L);
        while (m._lua_next(L, abs) !== 0) {
          const f = m._lua_type(L, -1) === T_STRING ? e.str.get(L, -1)! : '';
          const k = FLAG_KEYS[f];
          if (k === undefined) return e.raise(L, 'ERR unknown flag given');
          flags[k] = true;
          if (!flagNames.includes(f)) flagNames.push(f);
          m._lua_settop(L, -2);
        }
      } else {
        return e.raise(L, 'ERR unknown argument given to redis.register_function');
      }
      m._lua_settop(L, -2);
    }
    if (name === null) return e.raise(L, 'ERR redis.register_function must get a function name argument');
    if (!hasCallback) return e.raise(L, 'ERR redis.register_function must get a callback argument');
  } else if (n === 2) {
    if (!isStringy(m._lua_type(L, 1))) return e.raise(L, 'ERR first argument to redis.register_function must be a string');
    if (m._lua_type(L, 2) !== T_FUNCTION) return e.raise(L, 'ERR second argument to redis.register_function must be a function');
    name = e.str.get(L, 1);
    m._lua_pushvalue(L, 2);
    m._lua_setfield(L, LUA_REGISTRYINDEX, e.str.name('tredis_pending_callback'));
  } else {
    return e.raise(L, 'ERR wrong number of arguments to redis.register_function');
  }
  if (name === null || !NAME_RE.test(name)) return e.raise(L, ERR_NAME);
  if (lib.functions.has(name)) return e.raise(L, 'ERR Function already exists in the library');
  m._lua_getfield(L, LUA_REGISTRYINDEX, e.str.name('tredis_pending_callback'));
  const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
  const info: FunctionInfo = { name, ref, flags, flagNames, description, lib };
  lib.functions.set(name, info);
  return 0;
}

/** lua_tostring accepts numbers as strings (function_name=1 is the name '1'). */
function isStringy(t: number): boolean {
  return t === T_STRING || t === T_NUMBER;
}

/** FUNCTION DUMP's payload. */
export function dumpLibraries(reg: FunctionRegistry | null, compression: boolean): Buffer {
  const w = new RdbWriter({ compression });
  for (const lib of reg?.libraries.values() ?? []) {
    w.byte(245); // RDB_OPCODE_FUNCTION2
    w.string(lib.code);
  }
  w.byte(10);
  w.byte(0);
  w.bytes(w.checksum());
  return Buffer.from(w.result());
}

/** The library codes in a FUNCTION RESTORE payload, or an error text. */
export function readLibraries(p: Buffer): string[] | string {
  if (p.length < 10) return 'ERR DUMP payload version or checksum are wrong';
  const version = p.readUInt16LE(p.length - 10);
  if (version > 10 || !crc64(p, 0, p.length - 8).equals(p.subarray(p.length - 8))) {
    return 'ERR DUMP payload version or checksum are wrong';
  }
  const codes: string[] = [];
  try {
    const r = new RdbReader(p, 0, p.length - 10);
    while (r.pos < p.length - 10) {
      const op = r.byte();
      if (op !== 245) return 'ERR given type is not a function';
      codes.push(r.string());
    }
  } catch {
    return 'ERR payload is not a valid function dump';
  }
  return codes;
}
