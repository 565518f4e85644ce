/*
 * The Lua VM: Lua 5.4 compiled to WebAssembly (the wasmoon package), driven through its raw C API
 * exports rather than wasmoon's object bridge, which converts strings as UTF-8 and wraps every value
 * in proxies. Lua strings are bytes; ours are latin1 strings (one char per byte), so strings cross
 * by copying bytes into and out of the WebAssembly heap. Chosen over fengari (pure JS Lua 5.3) by
 * measurement (README "Scripting"): about 4x the EVALSHA rate, 64-bit integers and %.14g number
 * printing where fengari wraps integers at 32 bits.
 *
 * The WebAssembly module can only be instantiated asynchronously, so loading starts when this module
 * is imported and `luaReady()` says whether it is there; commands arriving before (a few ms after
 * start-up) wait for `whenLuaReady`.
 */

import { LuaWasm } from 'wasmoon';
import { latin1 } from '../protocol/latin1';

/** The raw exports of the Lua WebAssembly module that tredis uses (pointers are numbers). */
export interface LuaApi {
  /** the heap's views, replaced by new ones when the heap grows: read them at each use */
  views: { readonly HEAPU8: Uint8Array; readonly HEAPU32: Uint32Array };
  _malloc(n: number): number;
  _free(p: number): void;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
  _lua_tolstring(L: number, idx: number, lenPtr: number): number;
  _lua_pushlstring(L: number, p: number, len: number): number;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_type(L: number, idx: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rawlen(L: number, idx: number): number;
  _lua_setfield(L: number, idx: number, k: number): void;
  _lua_getfield(L: number, idx: number, k: number): number;
  _lua_setglobal(L: number, name: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushnil(L: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_touserdata(L: number, idx: number): number;
  _lua_toboolean(L: number, idx: number): number;
  _lua_next(L: number, idx: number): number;
  _lua_error(L: number): number;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_getstack(L: number, level: number, ar: number): number;
  _lua_setupvalue(L: number, funcIndex: number, n: number): number;
  _lua_getinfo(L: number, what: number, ar: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  addFunction(fn: (...args: number[]) => number | void, sig: string): number;
}

export const LUA_REGISTRYINDEX = -1001000;
export const T_NIL = 0;
export const T_BOOLEAN = 1;
export const T_LIGHTUSERDATA = 2;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_TABLE = 5;
export const T_FUNCTION = 6;

/*
 * Lua integers cross as i64, so as BigInts, one allocation each (~50 ns). The small ones that index
 * arrays, name registry slots and count things are made once.
 */
const SMALL_INTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** n (an integer that fits in 53 bits) as a Lua integer. */
export function luaInt(n: number): bigint {
  return n >= 0 && n < 1024 ? SMALL_INTS[n]! : BigInt(n);
}

let api: LuaApi | null = null;
let failure: Error | null = null;
const waiters: (() => void)[] = [];

/*
 * wasmoon's build wraps every export in an assertion closure (a template string and a keyed lookup
 * per call: 460 ms of 500k EVALSHA). The raw exports are taken from the instance as it is created
 * and called directly; the module object still provides the heap views (replaced when the heap
 * grows) and addFunction.
 */
interface Instantiated {
  instance: { exports: Record<string, unknown> };
}
type Instantiate = (bytes: unknown, imports?: unknown) => Promise<Instantiated>;
let rawExports: Record<string, unknown> | null = null;
const wasmNamespace = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;
const originalInstantiate = wasmNamespace.instantiate;
wasmNamespace.instantiate = function (bytes, imports) {
  wasmNamespace.instantiate = originalInstantiate;
  const env = (imports as { env?: Record<string, unknown> } | undefined)?.env;
  if (env !== undefined && typeof env.invoke_vii === 'function') env.invoke_vii = invokeVii;
  return originalInstantiate.call(wasmNamespace, bytes, imports).then((source) => {
    rawExports = source.instance.exports;
    return source;
  });
};

type WasmFn = (...args: number[]) => number;
const protectedCalls: WasmFn[] = [];
/*
 * Lua's error recovery (setjmp/longjmp) is built by Emscripten as a JS try/catch around each
 * protected call (one per script run): `invoke_vii`. wasmoon's version checks each time that the
 * function table still holds the entry it cached, through a call into the engine's C++. The
 * functions protected calls reach are Lua's own C functions, fixed when the module is built, so
 * they are looked up once here.
 */
function invokeVii(index: number, a: number, b: number): void {
  const x = rawExports as Record<string, WasmFn> & { __indirect_function_table: { get(i: number): WasmFn } };
  const sp = x.stackSave!();
  try {
    (protectedCalls[index] ??= x.__indirect_function_table.get(index))(a, b);
  } catch (e) {
    x.stackRestore!(sp);
    // a longjmp is thrown as a number; anything else is a real exception
    if (typeof e !== 'number') throw e;
    x.setThrew!(1, 0);
  }
}

interface EmscriptenModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  addFunction: LuaApi['addFunction'];
}

/*
 * The API as an object literal of plain fields: one fast-mode shape whose fields V8 reads at a fixed
 * offset (an accessor or keyed stores of more than a dozen fields turn an object into a dictionary).
 * A copy of all ~160 exports by keyed stores (as this was) was one, and every call then paid a hash
 * lookup for the function and another for HEAPU8 on its prototype.
 */
function directApi(module: EmscriptenModule): LuaApi {
  const source = module as unknown as Record<string, unknown>;
  const pick = <K extends keyof LuaApi>(name: K): LuaApi[K] =>
    ((rawExports !== null ? rawExports[name.slice(1)] : undefined) ?? source[name]) as LuaApi[K];
  return {
    views: module,
    addFunction: (fn, sig) => module.addFunction(fn, sig),
    _malloc: pick('_malloc'),
    _free: pick('_free'),
    _luaL_newstate: pick('_luaL_newstate'),
    _luaL_openlibs: pick('_luaL_openlibs'),
    _luaL_loadbufferx: pick('_luaL_loadbufferx'),
    _lua_pcallk: pick('_lua_pcallk'),
    _lua_tolstring: pick('_lua_tolstring'),
    _lua_pushlstring: pick('_lua_pushlstring'),
    _lua_pushnumber: pick('_lua_pushnumber'),
    _lua_pushinteger: pick('_lua_pushinteger'),
    _lua_tointegerx: pick('_lua_tointegerx'),
    _lua_tonumberx: pick('_lua_tonumberx'),
    _lua_isinteger: pick('_lua_isinteger'),
    _lua_type: pick('_lua_type'),
    _lua_gettop: pick('_lua_gettop'),
    _lua_settop: pick('_lua_settop'),
    _lua_createtable: pick('_lua_createtable'),
    _lua_rawseti: pick('_lua_rawseti'),
    _lua_rawgeti: pick('_lua_rawgeti'),
    _lua_rawget: pick('_lua_rawget'),
    _lua_rawset: pick('_lua_rawset'),
    _lua_rawlen: pick('_lua_rawlen'),
    _lua_setfield: pick('_lua_setfield'),
    _lua_getfield: pick('_lua_getfield'),
    _lua_setglobal: pick('_lua_setglobal'),
    _lua_getglobal: pick('_lua_getglobal'),
    _lua_pushcclosure: pick('_lua_pushcclosure'),
    _lua_pushboolean: pick('_lua_pushboolean'),
    _lua_pushnil: pick('_lua_pushnil'),
    _lua_pushvalue: pick('_lua_pushvalue'),
    _lua_pushlightuserdata: pick('_lua_pushlightuserdata'),
    _lua_touserdata: pick('_lua_touserdata'),
    _lua_toboolean: pick('_lua_toboolean'),
    _lua_next: pick('_lua_next'),
    _lua_error: pick('_lua_error'),
    _lua_sethook: pick('_lua_sethook'),
    _lua_rotate: pick('_lua_rotate'),
    _lua_checkstack: pick('_lua_checkstack'),
    _lua_getstack: pick('_lua_getstack'),
    _lua_setupvalue: pick('_lua_setupvalue'),
    _lua_getinfo: pick('_lua_getinfo'),
    _luaL_ref: pick('_luaL_ref'),
    _luaL_unref: pick('_luaL_unref'),
  };
}

const loading = LuaWasm.initialize().then(
  (w) => {
    wasmNamespace.instantiate = originalInstantiate;
    const direct = directApi(w.module as unknown as EmscriptenModule);
    // a wasmoon without one of them fails here, as a load error scripts report, not mid-script
    const missing = Object.entries(direct).filter(([k, v]) => k.startsWith('_') && typeof v !== 'function');
    if (missing.length === 0) api = direct;
    else failure = new Error(`the Lua module lacks ${missing.map(([k]) => k.slice(1)).join(', ')}`);
    for (const fn of waiters.splice(0)) fn();
  },
  (err: unknown) => {
    wasmNamespace.instantiate = originalInstantiate;
    failure = err instanceof Error ? err : new Error(String(err));
    for (const fn of waiters.splice(0)) fn();
  },
);
void loading;

/** The VM module, or null while it loads. */
export function luaApi(): LuaApi | null {
  return api;
}

export function luaLoadError(): Error | null {
  return failure;
}

/** Calls fn once the module has loaded (or failed to). */
export function whenLuaReady(fn: () => void): void {
  if (api !== null || failure !== null) fn();
  else waiters.push(fn);
}

/** A promise for tests and start-up code that can wait. */
export function luaLoaded(): Promise<void> {
  return new Promise((resolve) => whenLuaReady(resolve));
}

/**
 * String transfer between JS (latin1) and the WebAssembly heap. One scratch buffer that grows on
 * demand; HEAPU8 is re-read each time since the heap may grow (which replaces the view).
 */
export class LuaStrings {
  private buf = 0;
  private cap = 0;
  readonly lenPtr: number;
  private readonly names = new Map<string, number>();
  private heapView: Uint8Array | null = null;
  private heapBuffer: Buffer = Buffer.alloc(0);

  constructor(private readonly m: LuaApi) {
    this.lenPtr = m._malloc(8);
    this.ensure(4096);
  }

  private ensure(n: number): void {
    if (n <= this.cap) return;
    if (this.buf !== 0) this.m._free(this.buf);
    this.cap = Math.max(n, this.cap * 2);
    this.buf = this.m._malloc(this.cap);
  }

  /** Pushes a latin1 string as a Lua string. */
  push(L: number, s: string): void {
    const n = s.length;
    this.ensure(n + 1);
    const h = this.m.views.HEAPU8;
    const b = this.buf;
    for (let i = 0; i < n; i++) h[b + i] = s.charCodeAt(i);
    this.m._lua_pushlstring(L, b, n);
  }

  /** Pushes bytes as a Lua string. */
  pushBytes(L: number, bytes: Uint8Array): void {
    this.ensure(bytes.length + 1);
    this.m.views.HEAPU8.set(bytes, this.buf);
    this.m._lua_pushlstring(L, this.buf, bytes.length);
  }

  /** The string (or number, converted as Lua does) at idx, as latin1; null for other types. */
  get(L: number, idx: number): string | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.m.views.HEAPU32[this.lenPtr >> 2]!;
    return latin1(this.heap(), p, n);
  }

  /** A Buffer over the WebAssembly memory, remade when the heap grows (which replaces the view). */
  private heap(): Buffer {
    const h = this.m.views.HEAPU8;
    // compares the views, not their .buffer: that getter cost ~80 ns a string
    if (h !== this.heapView) {
      this.heapView = h;
      this.heapBuffer = Buffer.from(h.buffer, h.byteOffset, h.byteLength);
    }
    return this.heapBuffer;
  }

  /** The bytes of the string at idx (a copy). */
  getBytes(L: number, idx: number): Uint8Array | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.m.views.HEAPU32[this.lenPtr >> 2]!;
    return this.m.views.HEAPU8.slice(p, p + n);
  }

  /** A NUL-terminated C string for a field or global name, allocated once and kept. */
  name(s: string): number {
    let p = this.names.get(s);
    if (p === undefined) {
      p = this.m._malloc(s.length + 1);
      const h = this.m.views.HEAPU8;
      for (let i = 0; i < s.length; i++) h[p + i] = s.charCodeAt(i);
      h[p + s.length] = 0;
      this.names.set(s, p);
    }
    return p;
  }
}
