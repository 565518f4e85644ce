/*
 * MEMORY: USAGE (our estimate of what one key costs, see memory.ts for the formula), STATS (Redis's
 * field names, our figures), DOCTOR, MALLOC-STATS (V8's heap spaces: V8 is our allocator), PURGE and
 * HELP.
 */

import v8 from 'node:v8';
import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register, unknownSubcommand } from '../command';
import { keyUsage } from '../memory';
import type { ServerState } from '../state';
import { memoryFigures, sampleMemory } from './info';
import { helpReply } from './server';

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

function usage(c: Client, argv: string[]): void {
  let samples = 5;
  for (let j = 3; j < argv.length; j++) {
    if (is(argv[j]!, 'samples') && j + 1 < argv.length) {
      const n = parseInt64(argv[j + 1]!);
      if (n === null) return c.error(ERR_NOT_INT);
      if (n < 0) return c.error(ERR_SYNTAX);
      samples = n === 0 ? Number.MAX_SAFE_INTEGER : Number(n);
      j++;
    } else {
      return c.error(ERR_SYNTAX);
    }
  }
  // as Redis: a plain table lookup, no expiry check and no hit/miss accounting
  const key = argv[2]!;
  const slot = c.db.map.get(key);
  if (slot === undefined) return c.nil();
  c.int(keyUsage(key, c.db.values[slot]!, c.db.expires.has(key), samples));
}

/** A float as Redis reports it in MEMORY STATS (single precision). */
function float(c: Client, x: number): void {
  c.double(Math.fround(Number.isFinite(x) ? x : 0));
}

function stats(c: Client, s: ServerState): void {
  const m = sampleMemory(s);
  const fig = memoryFigures(s, m);
  const dbs = s.dbs.filter((db) => db.size !== 0);
  let keys = 0;
  for (const db of s.dbs) keys += db.size;
  c.map(27 + dbs.length);
  const int = (name: string, v: number): void => {
    c.bulk(name);
    c.int(Math.round(v));
  };
  int('peak.allocated', s.memoryPeak);
  int('total.allocated', m.used);
  int('startup.allocated', fig.startup);
  int('replication.backlog', 0);
  int('clients.slaves', 0);
  int('clients.normal', fig.clients);
  int('cluster.links', 0);
  int('aof.buffer', 0);
  int('lua.caches', 0);
  int('functions.caches', 0);
  for (const db of dbs) {
    c.bulk(`db.${db.id}`);
    c.map(3);
    int('overhead.hashtable.main', fig.keyspace.main[db.id]!);
    int('overhead.hashtable.expires', fig.keyspace.expires[db.id]!);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', fig.overhead);
  int('keys.count', keys);
  int('keys.bytes-per-key', keys === 0 ? 0 : Math.floor((m.used - fig.startup) / keys));
  int('dataset.bytes', fig.dataset);
  c.bulk('dataset.percentage');
  float(c, fig.datasetPerc);
  c.bulk('peak.percentage');
  float(c, fig.peakPerc);
  int('allocator.allocated', m.used);
  int('allocator.active', m.active);
  int('allocator.resident', m.rss);
  c.bulk('allocator-fragmentation.ratio');
  float(c, m.active / m.used);
  int('allocator-fragmentation.bytes', m.active - m.used);
  c.bulk('allocator-rss.ratio');
  float(c, m.rss / m.active);
  int('allocator-rss.bytes', m.rss - m.active);
  c.bulk('rss-overhead.ratio');
  float(c, 1);
  int('rss-overhead.bytes', 0);
  c.bulk('fragmentation');
  float(c, m.rss / m.used);
  int('fragmentation.bytes', m.rss - m.used);
}

/** MEMORY DOCTOR's report: a few checks on the figures, in plain words. */
export function memoryDoctor(s: ServerState): string {
  const m = sampleMemory(s);
  if (m.used < 5 * 1024 * 1024) {
    return 'This server holds too little data (under 5 MB) for a memory analysis to mean anything. Try again once it holds some.\n';
  }
  const issues: string[] = [];
  if (s.memoryPeak > m.used * 1.5) {
    issues.push(
      `Peak memory: memory use once peaked at ${s.memoryPeak} bytes, over 150% of the ${m.used} bytes used now. ` +
        'The fragmentation figures are skewed by memory the garbage collector has not returned to the system yet.',
    );
  }
  if (m.rss > 10 * 1024 * 1024 && m.rss / m.used > 1.4) {
    issues.push(
      `High fragmentation: the process holds ${(m.rss / m.used).toFixed(2)} times the memory in use. ` +
        'V8 keeps freed heap pages for reuse; MEMORY PURGE asks it to collect, which may return some of them.',
    );
  }
  let clients = 0;
  let big = 0;
  for (const c of s.clients.values()) {
    clients++;
    big += c.outputBytes;
  }
  if (clients > 0 && big / clients > 200 * 1024) {
    issues.push(
      'Big client buffers: clients hold over 200 KB of output each on average. Slow readers (often pub/sub ' +
        'subscribers or MONITOR) or very large replies (KEYS, SMEMBERS of big sets) cause this; client-output-buffer-limit bounds it.',
    );
  }
  if (issues.length === 0) return 'No memory issue found on this server.\n';
  return `Memory issues found on this server:\n\n${issues.map((x) => ` * ${x}`).join('\n\n')}\n`;
}

/** MEMORY MALLOC-STATS: V8's heap spaces, the allocator behind our memory. */
function mallocStats(): string {
  const h = v8.getHeapStatistics();
  let out = `___ Begin V8 heap statistics ___\nV8 ${process.versions.v8}, Node ${process.version}\n`;
  out += `total_heap_size: ${h.total_heap_size}\nused_heap_size: ${h.used_heap_size}\n`;
  out += `heap_size_limit: ${h.heap_size_limit}\nmalloced_memory: ${h.malloced_memory}\n`;
  out += `external_memory: ${process.memoryUsage().external}\n`;
  out += 'space                          size       used  available   physical\n';
  for (const sp of v8.getHeapSpaceStatistics()) {
    out +=
      sp.space_name.padEnd(24) +
      String(sp.space_size).padStart(11) +
      String(sp.space_used_size).padStart(11) +
      String(sp.space_available_size).padStart(11) +
      String(sp.physical_space_size).padStart(11) +
      '\n';
  }
  return out + '___ End V8 heap statistics ___\n';
}

const docs = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'server', complexity });
const shards = ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'];

register([
  {
    name: 'memory',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for memory diagnostics commands.', '4.0.0', 'Depends on subcommand.'),
    handler: unknownSubcommand,
    subcommands: [
      {
        name: 'memory|doctor',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        categories: [],
        tips: shards,
        docs: docs('Outputs a memory problems report.', '4.0.0'),
        handler(c, _argv, s) {
          c.verbatim(memoryDoctor(s));
        },
      },
      {
        name: 'memory|malloc-stats',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        categories: [],
        tips: shards,
        docs: docs('Returns the allocator statistics.', '4.0.0', 'Depends on how much memory is allocated, could be slow'),
        handler(c) {
          c.verbatim(mallocStats());
        },
      },
      {
        name: 'memory|purge',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        categories: [],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        docs: docs('Asks the allocator to release memory.', '4.0.0', 'Depends on how much memory is allocated, could be slow'),
        handler(c) {
          // a full collection is only reachable when node runs with --expose-gc
          const gc = (globalThis as { gc?: () => void }).gc;
          if (typeof gc === 'function') gc();
          c.ok();
        },
      },
      {
        name: 'memory|stats',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        categories: [],
        tips: shards,
        docs: docs('Returns details about memory usage.', '4.0.0'),
        handler(c, _argv, s) {
          stats(c, s);
        },
      },
      {
        name: 'memory|usage',
        arity: -3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        categories: [],
        docs: { ...docs('Estimates the memory usage of a key.', '4.0.0', 'O(N) where N is the number of samples.'), args: 'key [SAMPLES count]' },
        handler(c, argv) {
          usage(c, argv);
        },
      },
      {
        name: 'memory|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: [],
        docs: docs('Returns helpful text about the different subcommands.', '4.0.0'),
        handler(c) {
          helpReply(c, MEMORY_HELP);
        },
      },
    ],
  },
]);
