/*
 * The scripting engine of one server: one Lua VM (lua.ts) with the sandbox (prelude.ts), the EVAL
 * script cache, and the bridge both ways:
 * - redis.call/pcall run commands through the normal dispatch (exec.ts `call`) on a script client
 *   that shares the caller's db and carries `scriptCaller`, so keyspace notifications, dirty counts,
 *   WATCH, client tracking and MONITOR ('lua') see script commands as Redis does. The command's reply
 *   is parsed from the script client's buffer into Lua values (conv.ts).
 * - the script's result is written into the caller's reply buffer by Redis's Lua->RESP rules.
 * Errors follow Redis 7.0: every error becomes a table {err, source, line} (the prelude's handler),
 * shown as '<msg> script: <name>, on @user_script:<line>.'.
 * Everything is synchronous: a script runs to its end inside the command that started it (atomic).
 */

import { createHash } from 'node:crypto';
import { Client } from '../client';
import { lookupCommand } from '../command';
import { call, countError } from '../exec';
import { formatDouble } from '../protocol/reply';
import type { ServerState } from '../state';
import { busyState } from './busy-state';
import { pushReply, writeResult } from './conv';
import { installLibs } from './libs';
import {
  LUA_REGISTRYINDEX, LuaStrings, T_NIL, T_NUMBER, T_STRING, T_TABLE, luaApi, luaInt, type LuaApi,
} from './lua';
import { PRELUDE } from './prelude';

export const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;

/** How a script or function may run (shebang flags / function flags). */
export interface ScriptFlags {
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
}

/** A cached EVAL script. */
export interface CachedScript {
  sha: string;
  body: string;
  ref: number;
  /** null: no shebang (Redis's eval compatibility mode) */
  flags: ScriptFlags | null;
}

/** The state of the running script (Redis's scriptRunCtx). */
export interface RunContext {
  caller: Client;
  /** sha (EVAL) or function name (FCALL), for error messages */
  name: string;
  readOnly: boolean;
  allowOom: boolean;
  /** over maxmemory when the script started */
  oom: boolean;
  wrote: boolean;
  start: number;
  killed: boolean;
  /** redis.set_repl setting (accepted; there is no replication yet) */
  repl: number;
  /** FCALL: SCRIPT KILL does not stop functions (FUNCTION KILL does) */
  isFunction?: boolean;
  /** FCALL's arguments (FUNCTION STATS) */
  argv?: string[];
}

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

type JsFn = (L: number) => number;

export class ScriptEngine {
  readonly m: LuaApi;
  readonly L: number;
  readonly str: LuaStrings;
  /** the script client: runs the commands scripts call */
  readonly client: Client;
  readonly scripts = new Map<string, CachedScript>();
  /** bytes of cached script bodies (used_memory_scripts_eval) */
  scriptsMemory = 0;
  run: RunContext | null = null;
  /** a lua_Debug buffer for where() */
  private debugAr = 0;
  /** registry refs: the eval environment, the error handler, the real globals, library_env */
  private readonly envRef: number;
  readonly handlerRef: number;
  private readonly globalsRef: number;
  readonly libEnvRef: number;
  /** set while FUNCTION LOAD runs a library's code (functions.ts installs it) */
  registerFunction: JsFn | null = null;
  /** called from the count hook while a script runs (busy.ts) */
  onHook: (() => void) | null = null;

  constructor(readonly s: ServerState) {
    const m = luaApi();
    if (m === null) throw new Error('Lua VM not loaded');
    this.m = m;
    const L = m._luaL_newstate();
    this.L = L;
    m._luaL_openlibs(L);
    this.str = new LuaStrings(m);
    this.client = new Client(0, null, s.dbs[0]!, { maxBulkLen: 1 << 30, maxQueryBuffer: 1 << 30, unauthenticated: false });
    this.client.isScript = true;
    this.client.onError = (msg) => countError(s, msg);

    // the JS functions the prelude wires into redis.*, cjson, cmsgpack, struct
    m._lua_createtable(L, 0, 32);
    const fns: Record<string, JsFn> = {
      call: (l) => this.redisCall(l, true),
      pcall: (l) => this.redisCall(l, false),
      sha1hex: (l) => this.luaSha1hex(l),
      log: (l) => this.luaLog(l),
      setresp: (l) => this.luaSetresp(l),
      set_repl: (l) => this.luaSetRepl(l),
      acl_check_cmd: (l) => this.luaAclCheck(l),
      register_function: (l) => {
        if (this.registerFunction === null) return this.raise(l, 'ERR redis.register_function can only be called on FUNCTION LOAD command');
        return this.registerFunction(l);
      },
      ...installLibs(this),
    };
    for (const [name, fn] of Object.entries(fns)) {
      m._lua_pushcclosure(L, m.addFunction(fn, 'ii'), 0);
      m._lua_setfield(L, -2, this.str.name(name));
    }
    this.str.push(L, REDIS_VERSION);
    m._lua_setfield(L, -2, this.str.name('version'));
    m._lua_pushinteger(L, BigInt(REDIS_VERSION_NUM));
    m._lua_setfield(L, -2, this.str.name('version_num'));
    m._lua_pushlightuserdata(L, 0);
    m._lua_setfield(L, -2, this.str.name('cjson_null'));

    const err = this.load(PRELUDE, '=prelude');
    if (err !== null) throw new Error(`scripting prelude: ${err}`);
    m._lua_rotate(L, -2, 1); // function below the J table
    if (m._lua_pcallk(L, 1, 4, 0, 0, 0) !== 0) throw new Error(`scripting prelude: ${this.str.get(L, -1)}`);
    this.libEnvRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    this.globalsRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    this.handlerRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
    this.envRef = m._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  /** Compiles source text and leaves the function on the stack; returns the error message or null. */
  load(source: string, chunkName: string): string | null {
    const m = this.m;
    const L = this.L;
    const n = source.length;
    const buf = m._malloc(n + 1);
    const h = m.views.HEAPU8;
    for (let i = 0; i < n; i++) h[buf + i] = source.charCodeAt(i);
    const rc = m._luaL_loadbufferx(L, buf, n, this.str.name(chunkName), this.str.name('t'));
    m._free(buf);
    if (rc !== 0) {
      const msg = this.str.get(L, -1) ?? 'unknown error';
      m._lua_settop(L, -2);
      return msg;
    }
    return null;
  }

  /** Sets the first upvalue (_ENV) of the function on top of the stack to the eval environment. */
  setEvalEnv(): void {
    this.m._lua_rawgeti(this.L, LUA_REGISTRYINDEX, luaInt(this.envRef));
    this.m._lua_setupvalue(this.L, -2, 1);
  }

  /** Compiles an EVAL script into the cache; returns the entry or Redis's error text. */
  compileScript(body: string, sha: string, flags: ScriptFlags | null, source: string): CachedScript | string {
    const err = this.load(source, '@user_script');
    if (err !== null) return `ERR Error compiling script (new function): ${luaMessage(err)}`;
    this.setEvalEnv();
    const ref = this.m._luaL_ref(this.L, LUA_REGISTRYINDEX);
    const entry: CachedScript = { sha, body, ref, flags };
    this.scripts.set(sha, entry);
    this.scriptsMemory += body.length + 64;
    return entry;
  }

  flushScripts(): void {
    for (const e of this.scripts.values()) this.m._luaL_unref(this.L, LUA_REGISTRYINDEX, e.ref);
    this.scripts.clear();
    this.scriptsMemory = 0;
    this.collect();
  }

  /** Lua heap in bytes (used_memory_lua). */
  memory(): number {
    const m = this.m;
    const L = this.L;
    m._lua_getglobal(L, this.str.name('collectgarbage'));
    this.str.push(L, 'count');
    if (m._lua_pcallk(L, 1, 1, 0, 0, 0) !== 0) {
      m._lua_settop(L, -2);
      return 0;
    }
    const kb = m._lua_tonumberx(L, -1, 0);
    m._lua_settop(L, -2);
    return Math.floor(kb * 1024);
  }

  private collect(): void {
    const m = this.m;
    m._lua_getglobal(this.L, this.str.name('collectgarbage'));
    m._lua_pcallk(this.L, 0, 0, 0, 0, 0);
  }

  /**
   * Runs the function in registry `ref` for `caller` with keys argv[3, 3 + numkeys) and the rest as
   * args (EVAL and FCALL alike): EVAL style (KEYS/ARGV globals) when `asFunction` is false, FCALL
   * style (keys, args as arguments) when true. Writes the reply to the caller.
   */
  execute(ctx: RunContext, ref: number, argv: string[], numkeys: number, asFunction: boolean): void {
    const m = this.m;
    const L = this.L;
    const c = ctx.caller;
    const sc = this.client;
    sc.db = c.db;
    sc.resp = 2;
    sc.scriptCaller = c;
    sc.clear();
    const top = m._lua_gettop(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(this.handlerRef));
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(ref));
    const argsFrom = 3 + numkeys;
    if (asFunction) {
      this.pushStrings(argv, 3, argsFrom);
      this.pushStrings(argv, argsFrom, argv.length);
    } else {
      // raw sets: the globals table refuses new keys through its metatable
      m._lua_rawgeti(L, LUA_REGISTRYINDEX, luaInt(this.globalsRef));
      this.str.push(L, 'KEYS');
      this.pushStrings(argv, 3, argsFrom);
      m._lua_rawset(L, -3);
      this.str.push(L, 'ARGV');
      this.pushStrings(argv, argsFrom, argv.length);
      m._lua_rawset(L, -3);
      m._lua_settop(L, -2);
    }
    this.run = ctx;
    if (this.onHook !== null) m._lua_sethook(L, hookPointer(this), 8, HOOK_COUNT);
    let rc: number;
    try {
      rc = m._lua_pcallk(L, asFunction ? 2 : 0, 1, top + 1, 0, 0);
    } catch (e) {
      // a trap inside the VM (out of memory, stack exhaustion) must not take the server down
      m._lua_settop(L, top);
      this.run = null;
      sc.scriptCaller = null;
      busyState.active = false;
      busyState.abort = false;
      c.error(`ERR Error running script (call to ${ctx.name}): @user_script: ${(e as Error).message}`);
      return;
    }
    m._lua_sethook(L, 0, 0, 0);
    this.run = null;
    sc.scriptCaller = null;
    const aborted = busyState.abort;
    if (busyState.active) {
      busyState.active = false;
      busyState.abort = false;
    }
    if (aborted) {
      // SHUTDOWN NOSAVE stopped it: the server is going away and the caller gets no reply, as in Redis
      m._lua_settop(L, top);
      return;
    }
    if (rc === 0) {
      writeResult(this, c, sc.resp);
    } else {
      this.replyError(c, ctx);
    }
    m._lua_settop(L, top);
    if (sc.db !== c.db) sc.db = c.db;
  }

  /** The error at the top of the stack (the handler made it a table) as Redis replies it. */
  private replyError(c: Client, ctx: RunContext): void {
    const m = this.m;
    const L = this.L;
    if (m._lua_type(L, -1) !== T_TABLE) {
      const msg = this.str.get(L, -1) ?? '';
      c.error(`ERR Error running script (call to f_${ctx.name}): @user_script: ${msg}`.replace(/[\r\n]/g, ' '));
      return;
    }
    const msg = this.field(-1, 'err') ?? 'ERR unknown error';
    const source = this.field(-1, 'source');
    m._lua_getfield(L, -1, this.str.name('line'));
    const line = m._lua_type(L, -1) === T_NUMBER ? String(m._lua_tointegerx(L, -1, 0)) : null;
    m._lua_settop(L, -2);
    m._lua_getfield(L, -1, this.str.name('ignore_stats'));
    const ignoreStats = m._lua_toboolean(L, -1) !== 0;
    m._lua_settop(L, -2);
    let text = source !== null && line !== null ? `${msg} script: ${ctx.name}, on ${source}:${line}.` : msg;
    text = text.replace(/[\r\n]/g, ' ');
    if (ignoreStats) c.raw('-' + text + '\r\n');
    else c.error(text);
  }

  /** The string (or number, as text) field k of the table at idx, or null. */
  field(idx: number, k: string): string | null {
    const m = this.m;
    const t = m._lua_getfield(this.L, idx, this.str.name(k));
    const v = t === T_STRING || t === T_NUMBER ? this.str.get(this.L, -1) : null;
    m._lua_settop(this.L, -2);
    return v;
  }

  /** Pushes a table of items[from, to). */
  private pushStrings(items: string[], from: number, to: number): void {
    const m = this.m;
    const L = this.L;
    m._lua_createtable(L, to - from, 0);
    for (let i = from; i < to; i++) {
      this.str.push(L, items[i]!);
      m._lua_rawseti(L, -2, luaInt(i - from + 1));
    }
  }

  /** Raises a Lua error {err=msg} from a JS function (does not return: lua_error unwinds). */
  raise(L: number, msg: string, ignoreStats = false): number {
    const m = this.m;
    m._lua_createtable(L, 0, 2);
    this.str.push(L, msg);
    m._lua_setfield(L, -2, this.str.name('err'));
    if (ignoreStats) {
      m._lua_pushboolean(L, 1);
      m._lua_setfield(L, -2, this.str.name('ignore_stats'));
    }
    return m._lua_error(L);
  }

  /** Raises a plain string error (the handler prefixes 'ERR '), as Redis's redis.* functions do. */
  raiseString(L: number, msg: string): number {
    this.str.push(L, msg);
    return this.m._lua_error(L);
  }

  /**
   * Raises a string error as luaL_error does in the C libraries (cjson, cmsgpack, struct): prefixed
   * with the position of the Lua code that called the function ('user_script:1: ').
   */
  raiseWhere(L: number, msg: string): number {
    this.str.push(L, this.where(L) + msg);
    return this.m._lua_error(L);
  }

  /** luaL_where(L, 1): 'chunk:line: ' of the caller when it is Lua code, else ''. */
  where(L: number): string {
    const m = this.m;
    if (this.debugAr === 0) this.debugAr = m._malloc(256);
    const ar = this.debugAr;
    if (m._lua_getstack(L, 1, ar) === 0) return '';
    m._lua_getinfo(L, this.str.name('Sl'), ar);
    // lua_Debug on wasm32: currentline at byte 24, short_src (char[60]) at byte 44
    const h = m.views.HEAPU8;
    const line = new Int32Array(h.buffer, h.byteOffset + ar + 24, 1)[0]!;
    if (line <= 0) return '';
    let src = '';
    for (let i = ar + 44; i < ar + 104 && h[i] !== 0; i++) src += String.fromCharCode(h[i]!);
    return `${src}:${line}: `;
  }

  /** Pushes {err=msg} (a pcall's error result). */
  private pushError(L: number, msg: string): number {
    const m = this.m;
    m._lua_createtable(L, 0, 1);
    this.str.push(L, msg);
    m._lua_setfield(L, -2, this.str.name('err'));
    return 1;
  }

  /** redis.call raises the error, redis.pcall returns it. */
  private callFailed(L: number, raise: boolean, msg: string): number {
    return raise ? this.raise(L, msg) : this.pushError(L, msg);
  }

  /** redis.call (raise) and redis.pcall. */
  private redisCall(L: number, raise: boolean): number {
    const m = this.m;
    const ctx = this.run;
    const n = m._lua_gettop(L);
    if (ctx === null) return this.callFailed(L, raise, 'ERR redis.call can only be called inside a script invocation');
    if (n === 0) return this.callFailed(L, raise, 'ERR Please specify at least one argument for this redis lib call');
    const argv: string[] = new Array<string>(n);
    for (let i = 1; i <= n; i++) {
      const t = m._lua_type(L, i);
      if (t === T_STRING) argv[i - 1] = this.str.get(L, i)!;
      else if (t === T_NUMBER) {
        argv[i - 1] = m._lua_isinteger(L, i) !== 0 ? String(m._lua_tointegerx(L, i, 0)) : formatDouble(m._lua_tonumberx(L, i, 0));
      } else {
        return this.callFailed(L, raise, 'ERR Lua redis lib command arguments must be strings or integers');
      }
    }
    const s = this.s;
    let spec = lookupCommand(argv);
    if (spec !== undefined && spec.subcommands !== undefined && n >= 2) spec = spec.subcommands.get(argv[1]!.toLowerCase());
    if (spec === undefined) return this.callFailed(L, raise, 'ERR Unknown Redis command called from script');
    if ((spec.arity > 0 && n !== spec.arity) || n < -spec.arity) {
      return this.callFailed(L, raise, 'ERR Wrong number of args calling Redis command from script');
    }
    if (spec.flags.includes('noscript')) return this.callFailed(L, raise, 'ERR This Redis command is not allowed from script');
    if (spec.isWrite) {
      if (ctx.readOnly) return this.callFailed(L, raise, 'ERR Write commands are not allowed from read-only scripts.');
    }
    if (!ctx.allowOom && ctx.oom && !ctx.wrote && spec.flags.includes('denyoom')) {
      return this.callFailed(L, raise, "OOM command not allowed when used memory > 'maxmemory'.");
    }
    if (spec.isWrite) ctx.wrote = true;
    const sc = this.client;
    call(sc, spec, argv, s);
    const text = sc.takeText();
    if (raise && text.charCodeAt(0) === 45 /* - */) {
      const end = text.indexOf('\r\n');
      return this.raise(L, text.slice(1, end), true);
    }
    pushReply(this, text, sc.resp === 3);
    return 1;
  }

  private luaSha1hex(L: number): number {
    if (this.m._lua_gettop(L) !== 1) return this.raiseString(L, 'wrong number of arguments');
    const v = this.str.get(L, 1) ?? '';
    this.str.push(L, sha1hex(v));
    return 1;
  }

  private luaLog(L: number): number {
    const m = this.m;
    const n = m._lua_gettop(L);
    if (n < 2) return this.raiseString(L, 'redis.log() requires two arguments or more.');
    if (m._lua_type(L, 1) !== T_NUMBER) return this.raiseString(L, 'First argument must be a number (log level).');
    const level = Number(m._lua_tointegerx(L, 1, 0));
    if (level < 0 || level > 3) return this.raiseString(L, 'Invalid debug level.');
    const parts: string[] = [];
    for (let i = 2; i <= n; i++) {
      const sv = this.str.get(L, i);
      if (sv !== null) parts.push(sv);
    }
    const msg = parts.join(' ');
    const log = this.s.log;
    if (level === 0) log.debug(msg);
    else if (level === 1) log.verbose(msg);
    else if (level === 2) log.notice(msg);
    else log.warning(msg);
    return 0;
  }

  private luaSetresp(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) return this.raiseString(L, 'redis.setresp() requires one argument.');
    const v = Number(m._lua_tointegerx(L, 1, 0));
    if (v !== 2 && v !== 3) return this.raiseString(L, 'RESP version must be 2 or 3.');
    this.client.resp = v;
    return 0;
  }

  private luaSetRepl(L: number): number {
    const m = this.m;
    if (m._lua_gettop(L) !== 1) return this.raiseString(L, 'redis.set_repl() requires two arguments.');
    const v = Number(m._lua_tointegerx(L, 1, 0));
    if (v < 0 || v > 3) return this.raiseString(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
    if (this.run !== null) this.run.repl = v;
    return 0;
  }

  /** redis.acl_check_cmd: there are no ACL users but 'default', who may run every known command. */
  private luaAclCheck(L: number): number {
    const m = this.m;
    const n = m._lua_gettop(L);
    if (n === 0) return this.raiseString(L, 'Please specify at least one argument for this redis lib call');
    const argv: string[] = [];
    for (let i = 1; i <= n; i++) argv.push(this.str.get(L, i) ?? '');
    const spec = lookupCommand(argv);
    if (spec === undefined) return this.raise(L, 'ERR Invalid command passed to redis.acl_check_cmd()');
    m._lua_pushboolean(L, 1);
    return 1;
  }

  /** True when the value at idx is nil. */
  isNil(idx: number): boolean {
    return this.m._lua_type(this.L, idx) === T_NIL;
  }
}

/** Lua 5.4 quotes '<eof>' as a bare token where Lua 5.1 (Redis) writes near '<eof>'. */
export function luaMessage(msg: string): string {
  return msg.replace(/near <eof>/g, "near '<eof>'");
}

/** Instructions between two calls of the count hook (cheap enough, and ~ms granularity). */
export const HOOK_COUNT = 100000;

const hookPointers = new WeakMap<ScriptEngine, number>();
function hookPointer(e: ScriptEngine): number {
  let p = hookPointers.get(e);
  if (p === undefined) {
    p = e.m.addFunction(() => {
      if (e.onHook !== null) e.onHook();
    }, 'vii');
    hookPointers.set(e, p);
  }
  return p;
}

const engines = new WeakMap<ServerState, ScriptEngine>();

/** The server's engine, created on first use (null while the VM module is still loading). */
export function engineOf(s: ServerState): ScriptEngine | null {
  let e = engines.get(s);
  if (e === undefined) {
    if (luaApi() === null) return null;
    e = new ScriptEngine(s);
    engines.set(s, e);
  }
  return e;
}

/** The engine if it exists (no creation), e.g. for INFO. */
export function existingEngine(s: ServerState): ScriptEngine | undefined {
  return engines.get(s);
}
