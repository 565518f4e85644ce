/*
 * The command table, as data (Redis's redisCommandTable): name, arity, flags, key positions, ACL
 * categories and docs for every command. One table drives dispatch (lookup, arity check, auth and
 * write checks), COMMAND INFO/DOCS/LIST/COUNT/GETKEYS, and key extraction.
 *
 * Each module of commands registers its specs at load with `register`; commands/index.ts loads them
 * all. Subcommands (CONFIG GET, CLIENT LIST, ...) hang under their container command, as in Redis 7.
 */

import type { Client } from './client';
import type { ServerState } from './state';

export type Handler = (c: Client, argv: string[], s: ServerState) => void;

export interface CommandDocs {
  summary: string;
  since: string;
  group: string;
  complexity?: string;
  /** argument names for redis-cli hints, in order, optional ones in brackets */
  args?: string;
}

export interface CommandSpec {
  /** lowercase; a subcommand is "container|sub" */
  name: string;
  /** Redis arity: N exact, -N at least N (argv[0] counts) */
  arity: number;
  /** Redis command flags: write, readonly, denyoom, admin, pubsub, noscript, blocking, loading, stale,
   * skip_monitor, skip_slowlog, fast, no_auth, may_replicate, no_mandatory_keys, allow_busy, ... */
  flags: readonly string[];
  /** first key index, last key index (-1 = last argument, -2 ...), step; 0,0,0 when no keys */
  keys: readonly [number, number, number];
  /** ACL categories beyond those the flags imply (e.g. @string, @keyspace, @connection) */
  categories: readonly string[];
  docs: CommandDocs;
  /** for commands whose key positions are not a simple range (EVAL's numkeys, ...) */
  getKeys?: (argv: string[]) => number[];
  /** command tips (nondeterministic_output, request_policy:..., ...) */
  tips?: readonly string[];
  handler: Handler;
  subcommands?: Map<string, CommandSpec>;
  /** derived at registration */
  isWrite: boolean;
  isReadonly: boolean;
  /** flags a transaction checks for every queued command */
  isDenyoom: boolean;
  mayReplicate: boolean;
  allCategories: string[];
  /** a dense index, so per-server statistics can live in an array instead of a Map keyed by name */
  id: number;
}

export type CommandDef = Omit<CommandSpec, 'isWrite' | 'isReadonly' | 'isDenyoom' | 'mayReplicate' | 'allCategories' | 'subcommands' | 'id'> & {
  subcommands?: CommandDef[];
};

export const commandTable = new Map<string, CommandSpec>();

/** Every spec (commands and subcommands) by id. */
export const allSpecs: CommandSpec[] = [];

/**
 * Lookup for dispatch: each name in lowercase and in uppercase, so that the usual spellings are
 * found without allocating a lowercased copy of argv[0].
 */
const dispatchTable = new Map<string, CommandSpec>();

function finish(def: CommandDef): CommandSpec {
  const flags = def.flags;
  const cats = new Set<string>();
  if (flags.includes('write')) cats.add('@write');
  if (flags.includes('readonly') && !def.categories.includes('@scripting')) cats.add('@read');
  if (flags.includes('admin')) {
    cats.add('@admin');
    cats.add('@dangerous');
  }
  if (flags.includes('pubsub')) cats.add('@pubsub');
  if (flags.includes('fast')) cats.add('@fast');
  if (flags.includes('blocking')) cats.add('@blocking');
  if (!flags.includes('fast')) cats.add('@slow');
  for (const c of def.categories) cats.add(c);
  // every field named, in one order: all specs share one hidden class, so the property reads of
  // dispatch (spec.handler, spec.flags, ...) stay monomorphic across a mix of commands (spreading
  // the definitions gave 85 shapes for 315 specs)
  const spec: CommandSpec = {
    name: def.name,
    arity: def.arity,
    flags: def.flags,
    keys: def.keys,
    categories: def.categories,
    docs: def.docs,
    getKeys: def.getKeys,
    tips: def.tips,
    handler: def.handler,
    subcommands: def.subcommands === undefined ? undefined : new Map(),
    isWrite: flags.includes('write'),
    isReadonly: flags.includes('readonly'),
    isDenyoom: flags.includes('denyoom'),
    mayReplicate: flags.includes('may_replicate'),
    allCategories: [...cats],
    id: allSpecs.length,
  };
  allSpecs.push(spec);
  if (def.subcommands !== undefined) {
    for (const sub of def.subcommands) spec.subcommands!.set(sub.name.split('|')[1]!, finish(sub));
  }
  return spec;
}

export function register(defs: CommandDef[]): void {
  for (const def of defs) {
    const spec = finish(def);
    commandTable.set(def.name, spec);
    dispatchTable.set(def.name, spec);
    dispatchTable.set(def.name.toUpperCase(), spec);
  }
}

/**
 * rename-command (redis.conf): the command answers to `to` instead of `from`, or to nothing when `to`
 * is empty. Returns Redis's error text or null. Dispatch only, and process-wide: meant for the
 * tredis-server process, which runs one server.
 */
export function renameCommand(from: string, to: string): string | null {
  const spec = dispatchTable.get(from.toLowerCase());
  if (spec === undefined) return 'No such command in rename-command';
  for (const [k, v] of dispatchTable) if (v === spec && k.toLowerCase() === from.toLowerCase()) dispatchTable.delete(k);
  if (to !== '') {
    if (dispatchTable.has(to.toLowerCase())) return 'Target command name already exists';
    dispatchTable.set(to.toLowerCase(), spec);
    dispatchTable.set(to.toUpperCase(), spec);
  }
  return null;
}

/** Looks a command up (argv[0] any case); for containers, the subcommand when argv[1] names one. */
export function lookupCommand(argv: string[]): CommandSpec | undefined {
  const spec = dispatchTable.get(argv[0]!);
  return spec !== undefined ? spec : dispatchTable.get(argv[0]!.toLowerCase());
}

/** Key positions of argv for spec (after arity was checked). */
export function keyPositions(spec: CommandSpec, argv: string[]): number[] {
  if (spec.getKeys !== undefined) return spec.getKeys(argv);
  const [first, lastSpec, step] = spec.keys;
  if (first === 0) return [];
  const last = lastSpec < 0 ? argv.length + lastSpec : lastSpec;
  const out: number[] = [];
  for (let i = first; i <= last && i < argv.length; i += step) out.push(i);
  return out;
}

/** Handler for a container command (CONFIG, CLIENT, ...) whose subcommand is unknown. */
export function unknownSubcommand(c: Client, argv: string[]): void {
  c.error(
    `ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${argv[0]!.toUpperCase()} HELP.`,
  );
}
