/*
 * FUNCTION (LOAD, DELETE, LIST, FLUSH, DUMP, RESTORE, STATS, KILL, HELP), FCALL and FCALL_RO.
 * Libraries and the Lua side live in src/scripting/functions.ts; this module keeps Redis 7.0's
 * argument handling, error texts and reply shapes. FUNCTION LOAD/DELETE/FLUSH/RESTORE count one
 * change (s.dirty) so they propagate as they came, as Redis does; FCALL itself is never propagated
 * (its redis.call writes are, one by one).
 */

import { performance } from 'node:perf_hooks';
import { is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
import { globMatch } from '../keyspace/glob';
import { BUSY_EVAL } from '../scripting/busy-state';
import { existingEngine } from '../scripting/engine';
import {
  compileLibrary, discardLibrary, dumpLibraries, libKey, loadLibrary, parseMetadata, readLibraries, registryOf,
  type Library,
} from '../scripting/functions';
import type { ServerState } from '../state';
import { engineOrWait, evalKeys, newRun } from './scripting';

function fcallGeneric(c: Client, argv: string[], s: ServerState, ro: boolean): void {
  const e = engineOrWait(c, argv, s);
  if (e === null) return;
  const fn = registryOf(e).functions.get(libKey(argv[1]!));
  if (fn === undefined) return c.error('ERR Function not found');
  const nk = parseInt64(argv[2]!);
  if (nk === null) return c.error('ERR Bad number of keys provided');
  if (nk < 0) return c.error("ERR Number of keys can't be negative");
  const numkeys = Number(nk);
  if (numkeys > argv.length - 3) return c.error("ERR Number of keys can't be greater than number of args");
  const flags = fn.flags;
  if (ro && !flags.noWrites) return c.error('ERR Can not execute a script with write flag using *_ro command.');
  const ctx = newRun(c, fn.name, ro || flags.noWrites, flags.allowOom, s);
  ctx.isFunction = true;
  ctx.argv = argv;
  if (!flags.noWrites && !flags.allowOom && ctx.oom) {
    return c.error("OOM command not allowed when used memory > 'maxmemory'.");
  }
  e.execute(ctx, fn.ref, argv, numkeys, true);
}

function functionLoad(c: Client, argv: string[], s: ServerState): void {
  let replace = false;
  let i = 2;
  for (; i < argv.length - 1; i++) {
    if (is(argv[i]!, 'replace')) replace = true;
    else return c.error(`ERR Unknown option given: ${argv[i]}`);
  }
  const e = engineOrWait(c, argv, s);
  if (e === null) return;
  const r = loadLibrary(e, argv[i]!, replace);
  if (typeof r !== 'string') return c.error(r.error);
  s.dirty++;
  c.bulk(r);
}

function functionDelete(c: Client, argv: string[], s: ServerState): void {
  const e = existingEngine(s);
  const reg = e !== undefined ? registryOf(e) : null;
  const lib = reg?.libraries.get(argv[2]!);
  if (e === undefined || reg === null || lib === undefined) return c.error('ERR Library not found');
  reg.remove(e, lib);
  s.dirty++;
  c.ok();
}

function functionList(c: Client, argv: string[], s: ServerState): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (is(a, 'withcode') && !withCode) {
      withCode = true;
    } else if (is(a, 'libraryname') && pattern === null) {
      if (i + 1 >= argv.length) return c.error('ERR library name argument was not given');
      pattern = argv[++i]!;
    } else {
      return c.error(`ERR Unknown argument ${a}`);
    }
  }
  const e = existingEngine(s);
  const libs: Library[] = [];
  if (e !== undefined) {
    for (const lib of registryOf(e).libraries.values()) {
      if (pattern === null || globMatch(pattern, lib.name, false)) libs.push(lib);
    }
  }
  c.array(libs.length);
  for (const lib of libs) {
    c.map(withCode ? 4 : 3);
    c.bulk('library_name');
    c.bulk(lib.name);
    c.bulk('engine');
    c.bulk('LUA');
    c.bulk('functions');
    c.array(lib.functions.size);
    for (const f of lib.functions.values()) {
      c.map(3);
      c.bulk('name');
      c.bulk(f.name);
      c.bulk('description');
      if (f.description === null) c.nil();
      else c.bulk(f.description);
      c.bulk('flags');
      c.set(f.flagNames.length);
      for (const fl of f.flagNames) c.simple(fl);
    }
    if (withCode) {
      c.bulk('library_code');
      c.bulk(lib.code);
    }
  }
}

function functionFlush(c: Client, argv: string[], s: ServerState): void {
  if (argv.length === 3 && !is(argv[2]!, 'async') && !is(argv[2]!, 'sync')) {
    return c.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  }
  if (argv.length > 3) {
    return c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
  }
  const e = existingEngine(s);
  if (e !== undefined) registryOf(e).clear(e);
  s.dirty++;
  c.ok();
}

function functionDump(c: Client, _argv: string[], s: ServerState): void {
  const e = existingEngine(s);
  c.bulk(dumpLibraries(e !== undefined ? registryOf(e) : null, s.config.bool('rdbcompression')).toString('latin1'));
}

function functionRestore(c: Client, argv: string[], s: ServerState): void {
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (argv.length > 4) return c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
  if (argv.length === 4) {
    const p = argv[3]!.toLowerCase();
    if (p !== 'flush' && p !== 'append' && p !== 'replace') {
      return c.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
    policy = p;
  }
  const codes = readLibraries(Buffer.from(argv[2]!, 'latin1'));
  if (typeof codes === 'string') return c.error(codes);
  const e = engineOrWait(c, argv, s);
  if (e === null) return;
  const reg = registryOf(e);
  // compile everything first: nothing changes unless the whole payload is good
  const libs: Library[] = [];
  const fail = (msg: string): void => {
    for (const l of libs) discardLibrary(e, l);
    c.error(msg);
  };
  const names = new Set<string>();
  for (const code of codes) {
    const meta = parseMetadata(code);
    if (typeof meta === 'string') return fail(meta);
    if (names.has(meta.name)) return fail(`ERR Library '${meta.name}' already exists`);
    names.add(meta.name);
    const lib = compileLibrary(e, code, meta.name, meta.source);
    if ('error' in lib) return fail(lib.error);
    libs.push(lib);
  }
  // which existing libraries go away, then collisions with the ones that stay
  const removed = new Set<Library>();
  if (policy === 'flush') {
    for (const l of reg.libraries.values()) removed.add(l);
  } else {
    for (const lib of libs) {
      const old = reg.libraries.get(lib.name);
      if (old === undefined) continue;
      if (policy === 'append') return fail(`ERR Library ${lib.name} already exists`);
      removed.add(old);
    }
  }
  const fnames = new Set<string>();
  for (const lib of libs) {
    for (const f of lib.functions.values()) {
      const k = libKey(f.name);
      const existing = reg.functions.get(k);
      if (fnames.has(k) || (existing !== undefined && !removed.has(existing.lib))) return fail(`ERR Function ${f.name} already exists`);
      fnames.add(k);
    }
  }
  for (const old of removed) reg.remove(e, old);
  for (const lib of libs) reg.add(lib);
  s.dirty++;
  c.ok();
}

function functionStats(c: Client, _argv: string[], s: ServerState): void {
  const e = existingEngine(s);
  const run = e?.run ?? null;
  if (run !== null && run.isFunction !== true) return c.error(BUSY_EVAL);
  c.map(2);
  c.bulk('running_script');
  if (run === null || run.isFunction !== true) c.nil();
  else {
    c.map(3);
    c.bulk('name');
    c.bulk(run.name);
    c.bulk('command');
    const argv = run.argv ?? [];
    c.array(argv.length);
    for (const a of argv) c.bulk(a);
    c.bulk('duration_ms');
    c.int(Math.floor(performance.now() - run.start));
  }
  c.bulk('engines');
  c.map(1);
  c.bulk('LUA');
  c.map(2);
  const reg = e !== undefined ? registryOf(e) : null;
  c.bulk('libraries_count');
  c.int(reg?.libraries.size ?? 0);
  c.bulk('functions_count');
  c.int(reg?.functions.size ?? 0);
}

function functionKill(c: Client, _argv: string[], s: ServerState): void {
  const run = existingEngine(s)?.run ?? null;
  if (run === null) return c.error('NOTBUSY No scripts in execution right now.');
  if (run.wrote) {
    return c.error('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');
  }
  if (run.isFunction !== true) return c.error(BUSY_EVAL);
  run.killed = true;
  c.ok();
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

const docs = (summary: string, since: string, complexity: string, args?: string) => ({
  summary, since, group: 'scripting', complexity, ...(args !== undefined ? { args } : {}),
});
const cats = ['@scripting'];
const ALL_SHARDS = ['request_policy:all_shards', 'response_policy:all_succeeded'];

const sub = (
  name: string, arity: number, flags: string[], summary: string, complexity: string, handler: CommandDef['handler'], tips?: string[],
): CommandDef => ({
  name: `function|${name}`, arity, flags, keys: [0, 0, 0], categories: cats,
  docs: docs(summary, '7.0.0', complexity), handler, ...(tips !== undefined ? { tips } : {}),
});

function fcallDef(name: string, ro: boolean, summary: string): CommandDef {
  return {
    name,
    arity: -3,
    flags: ro ? ['readonly', 'noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'] : ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'],
    keys: [0, 0, 0],
    getKeys: evalKeys,
    categories: cats,
    docs: docs(summary, '7.0.0', 'Depends on the function that is executed.', 'function numkeys [key [key ...]] [arg [arg ...]]'),
    handler: (c, argv, s) => fcallGeneric(c, argv, s, ro),
  };
}

register([
  fcallDef('fcall', false, 'Invoke a function'),
  fcallDef('fcall_ro', true, 'Invoke a read-only function'),
  {
    name: 'function',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for function commands', '7.0.0', 'Depends on subcommand.'),
    handler: () => {},
    subcommands: [
      sub('delete', 3, ['write', 'noscript'], 'Delete a function by name', 'O(1)', functionDelete, ALL_SHARDS),
      sub('dump', 2, ['noscript'], 'Dump all functions into a serialized binary payload', 'O(N) where N is the number of functions', functionDump),
      sub('flush', -2, ['write', 'noscript'], 'Deleting all functions', 'O(N) where N is the number of functions deleted', functionFlush, ALL_SHARDS),
      sub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', 'O(1)', (c) => {
        c.array(FUNCTION_HELP.length);
        for (const l of FUNCTION_HELP) c.simple(l);
      }),
      sub('kill', 2, ['noscript', 'allow_busy'], 'Kill the function currently in execution.', 'O(1)', functionKill, [
        'request_policy:all_shards', 'response_policy:one_succeeded',
      ]),
      sub('list', -2, ['noscript'], 'List information about all the functions', 'O(N) where N is the number of functions', functionList, [
        'nondeterministic_output_order',
      ]),
      sub('load', -3, ['write', 'denyoom', 'noscript'], 'Create a function with the given arguments (name, code, description)',
        'O(1) (considering compilation time is redundant)', functionLoad, ALL_SHARDS),
      sub('restore', -3, ['write', 'denyoom', 'noscript'], 'Restore all the functions on the given payload',
        'O(N) where N is the number of functions on the payload', functionRestore, ALL_SHARDS),
      sub('stats', 2, ['noscript', 'allow_busy'], 'Return information about the function currently running (name, description, duration)', 'O(1)', functionStats, [
        'nondeterministic_output', 'request_policy:all_shards', 'response_policy:special',
      ]),
    ],
  },
]);
