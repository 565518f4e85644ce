/*
 * Server administration and introspection: DBSIZE, TIME, LASTSAVE, FLUSHDB, FLUSHALL, MONITOR and
 * SLOWLOG. LATENCY lives in server-latency.ts, MEMORY in server-memory.ts, INFO in info.ts.
 *
 * FLUSHDB/FLUSHALL swap fresh tables into the Db (Db.clear), so SYNC and ASYNC cost the same O(1)
 * on the event loop and the old tables are left to the garbage collector: ASYNC only differs in what
 * it counts (lazyfreed_objects), as Redis's background free does.
 */

import { performance } from 'node:perf_hooks';
import { ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register, unknownSubcommand } from '../command';
import type { ServerState } from '../state';

/** Replies with a HELP listing as Redis does: one status line each, HELP's own entry last. */
export function helpReply(c: Client, lines: readonly string[]): void {
  c.array(lines.length + 2);
  for (const l of lines) c.simple(l);
  c.simple('HELP');
  c.simple('    Prints this help.');
}

/** The error a container gives for a subcommand called with the wrong arguments. */
export function subcommandSyntaxError(c: Client, argv: string[]): void {
  c.error(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.slice(0, 128)}'. Try ${argv[0]!.toUpperCase()} HELP.`,
  );
}

/** FLUSHDB/FLUSHALL's optional ASYNC|SYNC; null after replying with the syntax error. */
function flushMode(c: Client, argv: string[], s: ServerState): 'sync' | 'async' | null {
  if (argv.length > 2) {
    c.error(ERR_SYNTAX);
    return null;
  }
  if (argv.length === 2) {
    if (is(argv[1]!, 'async')) return 'async';
    if (is(argv[1]!, 'sync')) return 'sync';
    c.error(ERR_SYNTAX);
    return null;
  }
  const lazy = s.config.directive('lazyfree-lazy-user-flush') !== undefined && s.config.bool('lazyfree-lazy-user-flush');
  return lazy ? 'async' : 'sync';
}

/** Empties databases (all when dbid is -1); returns how many keys were removed. */
export function emptyData(s: ServerState, dbid: number, mode: 'sync' | 'async'): number {
  let removed = 0;
  s.flushing(dbid);
  for (const db of s.dbs) {
    if (dbid !== -1 && db.id !== dbid) continue;
    removed += db.size;
    if (db.size !== 0 || db.expires.size !== 0) db.clear();
  }
  if (mode === 'async') s.stats.lazyfreedObjects += removed;
  s.flushed(dbid);
  return removed;
}

/** Unix time with microseconds, as two integers. */
function nowMicros(): [number, number] {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return [Math.floor(us / 1e6), us % 1e6];
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

const ERR_SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';

function slowlogGet(c: Client, argv: string[], s: ServerState): void {
  if (argv.length > 3) return subcommandSyntaxError(c, argv);
  let count = 10;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]!);
    if (n === null || n < -1) return c.error(ERR_SLOWLOG_COUNT);
    count = n === -1 ? s.slowlog.length : Number(n);
  }
  const n = Math.min(count, s.slowlog.length);
  c.array(n);
  for (let i = 0; i < n; i++) {
    const e = s.slowlog[i]!;
    c.array(6);
    c.int(e.id);
    c.int(e.time);
    c.int(e.durationUs);
    c.bulks(e.argv);
    c.bulk(e.addr);
    c.bulk(e.name);
  }
}

const serverDocs = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'server', complexity });
const adminStale = ['admin', 'loading', 'stale'];

register([
  {
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    keys: [0, 0, 0],
    categories: ['@keyspace'],
    tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
    docs: serverDocs('Returns the number of keys in the database.', '1.0.0'),
    handler(c) {
      c.int(c.db.size);
    },
  },
  {
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: [],
    tips: ['nondeterministic_output'],
    docs: serverDocs('Returns the server time.', '2.6.0'),
    handler(c) {
      const [sec, usec] = nowMicros();
      c.array(2);
      c.bulk(String(sec));
      c.bulk(String(usec));
    },
  },
  {
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: ['@admin', '@dangerous'],
    tips: ['nondeterministic_output'],
    docs: serverDocs('Returns the Unix timestamp of the last successful save to disk.', '1.0.0'),
    handler(c, _argv, s) {
      c.int(s.lastSave);
    },
  },
  {
    name: 'flushdb',
    arity: -1,
    flags: ['write'],
    keys: [0, 0, 0],
    categories: ['@keyspace', '@dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    docs: { ...serverDocs('Removes all keys from the current database.', '1.0.0', 'O(N) where N is the number of keys in the selected database'), args: '[ASYNC|SYNC]' },
    handler(c, argv, s) {
      const mode = flushMode(c, argv, s);
      if (mode === null) return;
      s.dirty += emptyData(s, c.db.id, mode);
      c.ok();
    },
  },
  {
    name: 'flushall',
    arity: -1,
    flags: ['write'],
    keys: [0, 0, 0],
    categories: ['@keyspace', '@dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    docs: { ...serverDocs('Removes all keys from all databases.', '1.0.0', 'O(N) where N is the total number of keys in all databases'), args: '[ASYNC|SYNC]' },
    handler(c, argv, s) {
      const mode = flushMode(c, argv, s);
      if (mode === null) return;
      s.dirty += emptyData(s, -1, mode);
      // with save points configured Redis also saves here (persistence.ts)
      s.afterFlushAll?.();
      // replicas and the AOF get it even when nothing was there to flush (or the save reset dirty)
      s.propagate(c.db.id, argv);
      c.propagateAs = [];
      c.ok();
    },
  },
  {
    name: 'monitor',
    arity: 1,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    keys: [0, 0, 0],
    categories: [],
    docs: serverDocs('Listens for all requests received by the server in real-time.', '1.0.0'),
    handler(c, _argv, s) {
      // a second MONITOR (or one from a replica link) is ignored without a reply, as in Redis
      if (c.monitor || c.kind === 'replica') return;
      c.monitor = true;
      s.monitors.add(c);
      c.ok();
    },
  },
  {
    name: 'slowlog',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: serverDocs('A container for slow log commands.', '2.2.12', 'Depends on subcommand.'),
    handler: unknownSubcommand,
    subcommands: [
      {
        name: 'slowlog|get',
        arity: -2,
        flags: adminStale,
        keys: [0, 0, 0],
        categories: [],
        tips: ['request_policy:all_nodes', 'nondeterministic_output'],
        docs: { ...serverDocs('Returns the slow log\'s entries.', '2.2.12', 'O(N) where N is the number of entries returned'), args: '[count]' },
        handler: slowlogGet,
      },
      {
        name: 'slowlog|len',
        arity: 2,
        flags: adminStale,
        keys: [0, 0, 0],
        categories: [],
        tips: ['request_policy:all_nodes', 'response_policy:agg_sum', 'nondeterministic_output'],
        docs: serverDocs('Returns the number of entries in the slow log.', '2.2.12'),
        handler(c, _argv, s) {
          c.int(s.slowlog.length);
        },
      },
      {
        name: 'slowlog|reset',
        arity: 2,
        flags: adminStale,
        keys: [0, 0, 0],
        categories: [],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        docs: serverDocs('Clears all entries from the slow log.', '2.2.12', 'O(N) where N is the number of entries in the slowlog'),
        handler(c, _argv, s) {
          s.slowlog.length = 0;
          c.ok();
        },
      },
      {
        name: 'slowlog|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: [],
        docs: serverDocs('Returns helpful text about the different subcommands.', '6.2.0'),
        handler(c) {
          helpReply(c, SLOWLOG_HELP);
        },
      },
    ],
  },
]);
