/*
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD, EXISTS, FLUSH, KILL, DEBUG, HELP).
 * The VM and the conversions live in src/scripting/; this module parses arguments, keeps Redis's
 * error texts and decides how a script may run (shebang flags, *_RO, maxmemory at start).
 */

import { performance } from 'node:perf_hooks';
import { ERR_NOT_INT, parseInt64 } from '../args';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
import { engineOf, existingEngine, sha1hex, type CachedScript, type RunContext, type ScriptEngine, type ScriptFlags } from '../scripting/engine';
import { luaLoadError, whenLuaReady } from '../scripting/lua';
import { installBusy } from '../scripting/busy';
import { BUSY_FUNCTION } from '../scripting/busy-state';
import { splitInlineArgs } from '../protocol/parser';
import type { ServerState } from '../state';

const FLAG_NAMES: Record<string, keyof ScriptFlags> = {
  'no-writes': 'noWrites',
  'allow-oom': 'allowOom',
  'allow-stale': 'allowStale',
  'no-cluster': 'noCluster',
  'allow-cross-slot-keys': 'allowCrossSlot',
};

export function emptyFlags(): ScriptFlags {
  return { noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false };
}

/**
 * The shebang of an EVAL script ('#!lua flags=no-writes,allow-oom'): its flags and the source to
 * compile (the shebang line blanked so line numbers stay), or Redis's error text. No shebang: flags null.
 */
export function parseShebang(body: string): { flags: ScriptFlags | null; source: string } | string {
  if (!body.startsWith('#!')) return { flags: null, source: body };
  const nl = body.indexOf('\n');
  if (nl === -1) return 'ERR Invalid script shebang';
  const parts = splitArgs(body.slice(0, nl));
  if (parts === null) return 'ERR Invalid engine in script shebang';
  if (parts[0] !== '#!lua') return `ERR Unexpected engine in script shebang: ${parts[0] ?? ''}`;
  const flags = emptyFlags();
  for (const opt of parts.slice(1)) {
    if (!opt.startsWith('flags=')) return `ERR Unknown lua shebang option: ${opt}`;
    const list = opt.slice(6);
    if (list === '') continue;
    for (const f of list.split(',')) {
      const k = FLAG_NAMES[f];
      if (k === undefined) return `ERR Unexpected flag in script shebang: ${f}`;
      flags[k] = true;
    }
  }
  return { flags, source: body.slice(nl) };
}

/** The shebang line split as Redis's sdssplitargs (quotes allowed), null when unbalanced. */
function splitArgs(line: string): string[] | null {
  const b = Buffer.from(line, 'latin1');
  return splitInlineArgs(b, 0, b.length);
}

/** Compiles body into the cache (or finds it there); returns the entry or an error text. */
function cacheScript(e: ScriptEngine, body: string): CachedScript | string {
  const sha = sha1hex(body);
  const known = e.scripts.get(sha);
  if (known !== undefined) return known;
  const sb = parseShebang(body);
  if (typeof sb === 'string') return sb;
  return e.compileScript(body, sha, sb.flags, sb.source);
}

/** The VM loads asynchronously at start-up: a command arriving before waits for it. */
export function engineOrWait(c: Client, argv: string[], s: ServerState): ScriptEngine | null {
  const e = engineOf(s);
  if (e !== null) {
    installBusy(s, e);
    return e;
  }
  const failed = luaLoadError();
  if (failed !== null) {
    c.error(`ERR scripting engine failed to load: ${failed.message}`.replace(/[\r\n]/g, ' '));
    return null;
  }
  if (c.inExec || c.socket === null) {
    c.error('ERR scripting engine is still loading');
    return null;
  }
  c.waiting = true;
  c.pendingArgv = argv;
  whenLuaReady(() => s.resumeClient(c));
  return null;
}

/** True when over maxmemory with nothing left to evict. */
export function overMaxmemory(s: ServerState): boolean {
  return s.maxmemory !== 0 && !s.performEvictions();
}

export function newRun(c: Client, name: string, readOnly: boolean, allowOom: boolean, s: ServerState): RunContext {
  return {
    caller: c, name, readOnly, allowOom, oom: overMaxmemory(s), wrote: false, start: performance.now(), killed: false, repl: 3,
  };
}

function evalGeneric(c: Client, argv: string[], s: ServerState, bySha: boolean, ro: boolean): void {
  const e = engineOrWait(c, argv, s);
  if (e === null) return;
  const nk = parseInt64(argv[2]!);
  if (nk === null) return c.error(ERR_NOT_INT);
  const numkeys = Number(nk);
  if (numkeys > argv.length - 3) return c.error("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) return c.error("ERR Number of keys can't be negative");
  let script: CachedScript | string | undefined;
  if (bySha) {
    // the sha as sent first: clients send the lowercase text SCRIPT LOAD replied
    const sha = argv[1]!;
    script = e.scripts.get(sha) ?? (sha.length === 40 ? e.scripts.get(sha.toLowerCase()) : undefined);
    if (script === undefined) return c.error('NOSCRIPT No matching script. Please use EVAL.');
  } else {
    script = cacheScript(e, argv[1]!);
    if (typeof script === 'string') return c.error(script);
  }
  const flags = script.flags;
  if (ro && flags !== null && !flags.noWrites) {
    return c.error('ERR Can not execute a script with write flag using *_ro command.');
  }
  const readOnly = ro || (flags !== null && flags.noWrites);
  const allowOom = flags !== null && flags.allowOom;
  const ctx = newRun(c, script.sha, readOnly, allowOom, s);
  // a script declaring it may write is refused up front under maxmemory (eval without a shebang is
  // checked command by command instead)
  if (flags !== null && !readOnly && !allowOom && ctx.oom) {
    return c.error("OOM command not allowed when used memory > 'maxmemory'.");
  }
  e.execute(ctx, script.ref, argv, numkeys, false);
}

/** Key positions of EVAL-like commands (numkeys at argv[2]). */
export function evalKeys(argv: string[]): number[] {
  const n = parseInt64(argv[2] ?? '');
  if (n === null || n < 1 || n > argv.length - 3) return [];
  const out: number[] = [];
  for (let i = 0; i < Number(n); i++) out.push(3 + i);
  return out;
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

const docs = (summary: string, since: string, complexity: string, args?: string) => ({
  summary, since, group: 'scripting', complexity, ...(args !== undefined ? { args } : {}),
});
const cats = ['@scripting'];
const EVAL_FLAGS = ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'];

function evalDef(name: string, ro: boolean, bySha: boolean, summary: string, since: string): CommandDef {
  return {
    name,
    arity: -3,
    flags: ro ? ['readonly', ...EVAL_FLAGS] : EVAL_FLAGS,
    keys: [0, 0, 0],
    getKeys: evalKeys,
    categories: cats,
    docs: docs(summary, since, 'Depends on the script that is executed.', `${bySha ? 'sha1' : 'script'} numkeys [key [key ...]] [arg [arg ...]]`),
    handler: (c, argv, s) => evalGeneric(c, argv, s, bySha, ro),
  };
}

const sub = (name: string, arity: number, flags: string[], summary: string, since: string, handler: CommandDef['handler'], tips?: string[]): CommandDef => ({
  name: `script|${name}`, arity, flags, keys: [0, 0, 0], categories: cats,
  docs: docs(summary, since, 'O(1)'), handler, ...(tips !== undefined ? { tips } : {}),
});

register([
  evalDef('eval', false, false, 'Execute a Lua script server side', '2.6.0'),
  evalDef('evalsha', false, true, 'Execute a Lua script server side', '2.6.0'),
  evalDef('eval_ro', true, false, 'Execute a read-only Lua script server side', '7.0.0'),
  evalDef('evalsha_ro', true, true, 'Execute a read-only Lua script server side', '7.0.0'),
  {
    name: 'script',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for Lua scripts management commands', '2.6.0', 'Depends on subcommand.'),
    handler: () => {},
    subcommands: [
      sub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', '5.0.0', (c) => {
        c.array(SCRIPT_HELP.length);
        for (const l of SCRIPT_HELP) c.simple(l);
      }),
      sub('load', 3, ['noscript', 'stale'], 'Load the specified Lua script into the script cache.', '2.6.0', (c, argv, s) => {
        const e = engineOrWait(c, argv, s);
        if (e === null) return;
        const r = cacheScript(e, argv[2]!);
        if (typeof r === 'string') return c.error(r);
        c.bulk(r.sha);
      }, ['request_policy:all_nodes', 'response_policy:all_succeeded']),
      sub('exists', -3, ['noscript'], 'Check existence of scripts in the script cache.', '2.6.0', (c, argv, s) => {
        const e = existingEngine(s);
        c.array(argv.length - 2);
        for (let i = 2; i < argv.length; i++) c.int(e !== undefined && e.scripts.has(argv[i]!.toLowerCase()) ? 1 : 0);
      }, ['request_policy:all_shards', 'response_policy:agg_logical_and']),
      sub('flush', -2, ['noscript'], 'Remove all the scripts from the script cache.', '2.6.0', (c, argv, s) => {
        if (argv.length > 3 || (argv.length === 3 && !/^(a?sync)$/i.test(argv[2]!))) {
          return c.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
        }
        existingEngine(s)?.flushScripts();
        c.ok();
      }, ['request_policy:all_nodes', 'response_policy:all_succeeded']),
      sub('kill', 2, ['noscript', 'allow_busy'], 'Kill the script currently in execution.', '2.6.0', (c, _argv, s) => {
        const run = existingEngine(s)?.run ?? null;
        if (run === null) return c.error('NOTBUSY No scripts in execution right now.');
        if (run.wrote) {
          return c.error('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');
        }
        if (run.isFunction === true) return c.error(BUSY_FUNCTION);
        run.killed = true;
        c.ok();
      }, ['request_policy:all_shards', 'response_policy:one_succeeded']),
      sub('debug', 3, ['noscript'], 'Set the debug mode for executed scripts.', '3.2.0', (c, argv) => {
        const mode = argv[2]!.toLowerCase();
        if (mode === 'no') return c.ok();
        if (mode === 'yes' || mode === 'sync') return c.error('ERR SCRIPT DEBUG is not supported by this server');
        c.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
      }),
    ],
  },
]);
