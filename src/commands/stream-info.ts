/*
 * XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP: the fields and order
 * of Redis 7.0 (maps in RESP3, flat arrays in RESP2).
 *
 * radix-tree-keys is the number of nodes (types/stream.ts mirrors Redis's node boundaries);
 * radix-tree-nodes is the node count of a compressed radix tree over the nodes' 16-byte big-endian
 * master IDs, computed from the keys (one node per compressed run, per branching point and per key
 * end, plus the root), which is the shape Redis's rax keeps.
 */

import { ERR_NOT_INT } from '../args';
import type { Client } from '../client';
import { register, unknownSubcommand, type CommandDef } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { MAX_ID, formatId, type ConsumerGroup, type StreamValue } from '../types/stream';
import { readStream, replyEntry } from './stream-common';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'stream', complexity });

/** Node count of a compressed radix tree holding the given 16-byte keys (sorted ascending). */
export function raxNodeCount(ids: readonly bigint[]): number {
  if (ids.length === 0) return 1;
  const keys = ids.map((id) => id.toString(16).padStart(32, '0'));
  const lcp = (a: string, b: string): number => {
    let i = 0;
    while (i < 16 && a.substr(2 * i, 2) === b.substr(2 * i, 2)) i++;
    return i;
  };
  const count = (lo: number, hi: number, d: number): number => {
    if (d >= 16) return 1;
    const common = hi - lo === 1 ? 16 : lcp(keys[lo]!, keys[hi - 1]!);
    if (common > d) return 1 + count(lo, hi, common);
    let n = 1;
    let i = lo;
    while (i < hi) {
      const b = keys[i]!.substr(2 * d, 2);
      let j = i + 1;
      while (j < hi && keys[j]!.substr(2 * d, 2) === b) j++;
      n += count(i, j, d + 1);
      i = j;
    }
    return n;
  };
  return count(0, keys.length, 0);
}

function header(c: Client, st: StreamValue): void {
  c.bulk('length');
  c.int(st.length);
  c.bulk('radix-tree-keys');
  c.int(st.nodes.length);
  c.bulk('radix-tree-nodes');
  c.int(raxNodeCount(st.nodes.map((n) => n.masterId)));
  c.bulk('last-generated-id');
  c.bulk(formatId(st.lastId));
  c.bulk('max-deleted-entry-id');
  c.bulk(formatId(st.maxDeletedId));
  c.bulk('entries-added');
  c.int(st.entriesAdded);
  c.bulk('recorded-first-entry-id');
  c.bulk(formatId(st.firstId));
}

function replyLag(c: Client, st: StreamValue, g: ConsumerGroup): void {
  const lag = st.groupLag(g);
  if (lag === null) c.nil();
  else c.int(lag);
}

function entriesRead(c: Client, g: ConsumerGroup): void {
  if (g.entriesRead === -1) c.nil();
  else c.int(g.entriesRead);
}

function xinfoStream(c: Client, argv: string[], s: ServerState): void {
  const st = readStream(c, s, argv[2]!);
  if (st === null) return;
  if (st === undefined) {
    c.error('ERR no such key');
    return;
  }
  const optc = argv.length - 3;
  let full = false;
  let count = 10;
  if (optc !== 0) {
    const bad = (): void => c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!}'. Try XINFO HELP.`);
    if ((optc !== 1 && optc !== 3) || argv[3]!.toLowerCase() !== 'full') return bad();
    if (optc === 3) {
      if (argv[4]!.toLowerCase() !== 'count') return bad();
      const n = parseCount(argv[5]!);
      if (n === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      count = n < 0 ? 10 : n;
    }
    full = true;
  }
  if (!full) {
    c.map(10);
    header(c, st);
    c.bulk('groups');
    c.int(st.groups.size);
    for (const last of [false, true]) {
      c.bulk(last ? 'last-entry' : 'first-entry');
      const e = st.edge(last);
      if (e === undefined) c.nil();
      else replyEntry(c, e);
    }
    return;
  }
  c.map(9);
  header(c, st);
  c.bulk('entries');
  const found: string[][] = [];
  st.range(0n, MAX_ID, count, false, (e) => void found.push(e));
  c.array(found.length);
  for (const e of found) replyEntry(c, e);
  c.bulk('groups');
  const groups = st.sortedGroups();
  c.array(groups.length);
  for (const g of groups) {
    c.map(7);
    c.bulk('name');
    c.bulk(g.name);
    c.bulk('last-delivered-id');
    c.bulk(formatId(g.lastId));
    c.bulk('entries-read');
    entriesRead(c, g);
    c.bulk('lag');
    replyLag(c, st, g);
    c.bulk('pel-count');
    c.int(g.pel.size);
    c.bulk('pending');
    const rows: string[] = [];
    const nacks: { time: number; count: number; owner: string }[] = [];
    g.pel.each(0n, MAX_ID, (id, n) => {
      if (count !== 0 && rows.length >= count) return false;
      rows.push(formatId(id));
      nacks.push({ time: n.deliveryTime, count: n.deliveryCount, owner: n.consumer?.name ?? '' });
      return true;
    });
    c.array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      c.array(4);
      c.bulk(rows[i]!);
      c.bulk(nacks[i]!.owner);
      c.int(nacks[i]!.time);
      c.int(nacks[i]!.count);
    }
    c.bulk('consumers');
    const consumers = g.sortedConsumers();
    c.array(consumers.length);
    for (const cs of consumers) {
      c.map(4);
      c.bulk('name');
      c.bulk(cs.name);
      c.bulk('seen-time');
      c.int(cs.seenTime);
      c.bulk('pel-count');
      c.int(cs.pel.size);
      c.bulk('pending');
      const pend: [bigint, number, number][] = [];
      cs.pel.each(0n, MAX_ID, (id, n) => {
        if (count !== 0 && pend.length >= count) return false;
        pend.push([id, n.deliveryTime, n.deliveryCount]);
        return true;
      });
      c.array(pend.length);
      for (const [id, time, cnt] of pend) {
        c.array(3);
        c.bulk(formatId(id));
        c.int(time);
        c.int(cnt);
      }
    }
  }
}

function parseCount(arg: string): number | null {
  if (!/^-?(0|[1-9]\d*)$/.test(arg)) return null;
  const v = BigInt(arg);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

function sub(name: string, arity: number, summary: string, handler: CommandDef['handler']): CommandDef {
  return {
    ...(name === 'consumers' ? { tips: ['nondeterministic_output'] } : {}),
    name: `xinfo|${name}`,
    arity,
    flags: ['readonly'],
    keys: [2, 2, 1],
    categories: ['@stream'],
    docs: docs(summary, '5.0.0', 'O(1)'),
    handler,
  };
}

register([
  {
    name: 'xinfo',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for stream introspection commands.', '5.0.0', 'Depends on subcommand.'),
    handler: unknownSubcommand,
    subcommands: [
      sub('stream', -3, 'Returns information about a stream.', xinfoStream),
      sub('groups', 3, 'Returns a list of the consumer groups of a stream.', (c, argv, s) => {
        const st = readStream(c, s, argv[2]!);
        if (st === null) return;
        if (st === undefined) {
          c.error('ERR no such key');
          return;
        }
        const groups = st.sortedGroups();
        c.array(groups.length);
        for (const g of groups) {
          c.map(6);
          c.bulk('name');
          c.bulk(g.name);
          c.bulk('consumers');
          c.int(g.consumers.size);
          c.bulk('pending');
          c.int(g.pel.size);
          c.bulk('last-delivered-id');
          c.bulk(formatId(g.lastId));
          c.bulk('entries-read');
          entriesRead(c, g);
          c.bulk('lag');
          replyLag(c, st, g);
        }
      }),
      sub('consumers', 4, 'Returns a list of the consumers in a consumer group.', (c, argv, s) => {
        const key = argv[2]!;
        const st = readStream(c, s, key);
        if (st === null) return;
        if (st === undefined) {
          c.error('ERR no such key');
          return;
        }
        const g = st.groups.get(argv[3]!);
        if (g === undefined) {
          c.error(`NOGROUP No such consumer group '${argv[3]!}' for key name '${key}'`);
          return;
        }
        const consumers = g.sortedConsumers();
        const now = clock.now;
        c.array(consumers.length);
        for (const cs of consumers) {
          c.map(3);
          c.bulk('name');
          c.bulk(cs.name);
          c.bulk('pending');
          c.int(cs.pel.size);
          c.bulk('idle');
          c.int(Math.max(0, now - cs.seenTime));
        }
      }),
      {
        name: 'xinfo|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: ['@stream'],
        docs: docs('Returns helpful text about the different subcommands.', '5.0.0', 'O(1)'),
        handler(c) {
          c.array(XINFO_HELP.length);
          for (const line of XINFO_HELP) c.simple(line);
        },
      },
    ],
  },
]);
