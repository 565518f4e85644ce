/*
 * Consumer groups: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP), XACK, XPENDING,
 * XCLAIM, XAUTOCLAIM. The delivery path shared with XREADGROUP (adding to the PELs, moving an
 * entry between consumers) lives here too, so that XCLAIM and XREADGROUP keep the group PEL and the
 * consumer PELs consistent in one place.
 *
 * Times (delivery time, seen time) use the server's cached clock, as Redis uses its command time
 * snapshot: every entry of one command gets the same time.
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import { signalKeyAsReady } from '../blocking';
import type { Client } from '../client';
import { register, unknownSubcommand, type CommandDef } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { Consumer, ConsumerGroup, MAX_ID, PEL_OVERHEAD, StreamValue, formatId, type Nack } from '../types/stream';
import { addKey } from './string-common';
import {
  noGroup,
  parseId,
  parseRangeId,
  parseStrictId,
  readStream,
  replyEntry,
  streamChanged,
  writeStream,
} from './stream-common';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'stream', complexity });

const ERR_XGROUP_NOKEY =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';

/** The consumer by name, created when missing (with Redis's keyspace event); seen time refreshed. */
export function lookupOrCreateConsumer(s: ServerState, c: Client, key: string, g: ConsumerGroup, name: string, refresh: boolean): Consumer {
  let consumer = g.consumers.get(name);
  if (consumer === undefined) {
    consumer = new Consumer(name, clock.now);
    g.consumers.set(name, consumer);
    s.notify('t', 'xgroup-createconsumer', key, c.db.id);
    s.dirty++;
  } else if (refresh) {
    consumer.seenTime = clock.now;
  }
  return consumer;
}

/**
 * Records a delivery of id to consumer (XREADGROUP): a new NACK, or an existing one (after SETID
 * moved the group back) reassigned with its count reset.
 */
export function deliver(st: StreamValue, g: ConsumerGroup, consumer: Consumer, id: bigint): void {
  const now = clock.now;
  const nack = g.pel.get(id);
  if (nack === undefined) {
    const fresh: Nack = { deliveryTime: now, deliveryCount: 1, consumer };
    g.pel.set(id, fresh);
    consumer.pel.set(id, fresh);
    st.accountGroups(PEL_OVERHEAD);
    return;
  }
  nack.consumer?.pel.delete(id);
  nack.consumer = consumer;
  nack.deliveryTime = now;
  nack.deliveryCount = 1;
  consumer.pel.set(id, nack);
}

/**
 * What replicas get for a delivery or a claim (Redis's streamPropagateXCLAIM): an XCLAIM that sets
 * the NACK to exactly this state, whatever the replica's clock says. A deleted entry's NACK goes
 * the same way, and the replica's XCLAIM drops it.
 */
export function propagateClaim(s: ServerState, c: Client, key: string, g: ConsumerGroup, group: string, consumer: string, id: bigint, nack: Nack): void {
  s.propagate(c.db.id, [
    'XCLAIM', key, group, consumer, '0', formatId(id), 'TIME', String(nack.deliveryTime),
    'RETRYCOUNT', String(nack.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(g.lastId),
  ]);
  c.propagateAs = [];
}

/** Removes a NACK from the group and its consumer. */
function dropNack(st: StreamValue, g: ConsumerGroup, id: bigint): Nack | undefined {
  const nack = g.pel.delete(id);
  if (nack === undefined) return undefined;
  nack.consumer?.pel.delete(id);
  st.accountGroups(-PEL_OVERHEAD);
  return nack;
}

/** Moves a NACK to consumer (XCLAIM/XAUTOCLAIM). */
function claimNack(nack: Nack, id: bigint, consumer: Consumer): void {
  if (nack.consumer === consumer) return;
  nack.consumer?.pel.delete(id);
  consumer.pel.set(id, nack);
  nack.consumer = consumer;
}

/** Parses an ENTRIESREAD value; null after replying. */
function parseEntriesRead(c: Client, arg: string): number | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.error(ERR_NOT_INT);
    return null;
  }
  if (v < -1) {
    c.error('ERR value for ENTRIESREAD must be positive or -1');
    return null;
  }
  return Number(v);
}

function xgroupCreate(c: Client, argv: string[], s: ServerState): void {
  const key = argv[2]!;
  const name = argv[3]!;
  let mkstream = false;
  let entriesRead = -1;
  for (let i = 5; i < argv.length; i++) {
    if (is(argv[i]!, 'mkstream')) mkstream = true;
    else if (is(argv[i]!, 'entriesread') && i + 1 < argv.length) {
      const v = parseEntriesRead(c, argv[++i]!);
      if (v === null) return;
      entriesRead = v;
    } else {
      c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!}'. Try XGROUP HELP.`);
      return;
    }
  }
  const st0 = writeStream(c, s, key);
  if (st0 === null) return;
  let st = st0;
  const idArg = argv[4]!;
  let id: bigint;
  if (idArg === '$') id = st === undefined ? 0n : st.lastId;
  else {
    const p = parseStrictId(c, idArg);
    if (p === null) return;
    id = p;
  }
  if (st === undefined) {
    if (!mkstream) {
      c.error(ERR_XGROUP_NOKEY);
      return;
    }
    st = new StreamValue();
    addKey(s, c.db, key, st);
    s.keyModified(c.db, key);
    s.dirty++;
  }
  if (st.groups.has(name)) {
    c.error('BUSYGROUP Consumer Group name already exists');
    return;
  }
  st.groups.set(name, new ConsumerGroup(name, id, entriesRead));
  st.accountGroups(PEL_OVERHEAD);
  c.ok();
  streamChanged(s, c, key, 'xgroup-create', 1);
}

/** The stream and group for XGROUP SETID/CREATECONSUMER/DELCONSUMER; null after replying. */
function xgroupTarget(c: Client, s: ServerState, key: string, name: string): { st: StreamValue; g: ConsumerGroup } | null {
  const st = writeStream(c, s, key);
  if (st === null) return null;
  if (st === undefined) {
    c.error(ERR_XGROUP_NOKEY);
    return null;
  }
  const g = st.groups.get(name);
  if (g === undefined) {
    c.error(`NOGROUP No such consumer group '${name}' for key name '${key}'`);
    return null;
  }
  return { st, g };
}

function xgroupSetid(c: Client, argv: string[], s: ServerState): void {
  const key = argv[2]!;
  let entriesRead = -1;
  for (let i = 5; i < argv.length; i++) {
    if (is(argv[i]!, 'entriesread') && i + 1 < argv.length) {
      const v = parseEntriesRead(c, argv[++i]!);
      if (v === null) return;
      entriesRead = v;
    } else {
      c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!}'. Try XGROUP HELP.`);
      return;
    }
  }
  const t = xgroupTarget(c, s, key, argv[3]!);
  if (t === null) return;
  let id: bigint;
  if (argv[4] === '$') id = t.st.lastId;
  else {
    const p = parseStrictId(c, argv[4]!);
    if (p === null) return;
    id = p;
  }
  t.g.lastId = id;
  t.g.entriesRead = entriesRead;
  c.ok();
  streamChanged(s, c, key, 'xgroup-setid', 1);
}

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

function sub(name: string, arity: number, flags: string[], summary: string, since: string, handler: CommandDef['handler']): CommandDef {
  return {
    name: `xgroup|${name}`,
    arity,
    flags,
    keys: [2, 2, 1],
    categories: ['@stream'],
    docs: docs(summary, since, 'O(1)'),
    handler,
  };
}

function xack(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const st = writeStream(c, s, key);
  if (st === null) return;
  const ids: bigint[] = [];
  for (let i = 3; i < argv.length; i++) {
    const id = parseStrictId(c, argv[i]!);
    if (id === null) return;
    ids.push(id);
  }
  const g = st?.groups.get(argv[2]!);
  if (st === undefined || g === undefined) {
    c.int(0);
    return;
  }
  let acked = 0;
  for (const id of ids) if (dropNack(st, g, id) !== undefined) acked++;
  if (acked !== 0) streamChanged(s, c, key, '', acked);
  c.int(acked);
}

function xpending(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    c.error(ERR_SYNTAX);
    return;
  }
  let minIdle = 0;
  let start = 0n;
  let end = MAX_ID;
  let count = 0;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let at = 3;
    if (is(argv[3]!, 'idle')) {
      const v = parseInt64(argv[4]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      if (argc < 8) {
        c.error(ERR_SYNTAX);
        return;
      }
      minIdle = Number(v);
      at += 2;
    }
    const n = parseInt64(argv[at + 2]!);
    if (n === null) {
      c.error(ERR_NOT_INT);
      return;
    }
    count = n < 0 ? 0 : Number(n);
    const a = parseRangeId(c, argv[at]!, false);
    if (a === null) return;
    const b = parseRangeId(c, argv[at + 1]!, true);
    if (b === null) return;
    start = a;
    end = b;
    if (at + 3 < argc) consumerName = argv[at + 3]!;
  }
  const st = readStream(c, s, key);
  if (st === null) return;
  const g = st?.groups.get(argv[2]!);
  if (st === undefined || g === undefined) {
    c.error(noGroup(key, argv[2]!));
    return;
  }
  if (argc === 3) {
    if (g.pel.size === 0) {
      c.array(4);
      c.int(0);
      c.nil();
      c.nil();
      c.nilArray();
      return;
    }
    c.array(4);
    c.int(g.pel.size);
    c.bulk(formatId(g.pel.first()!));
    c.bulk(formatId(g.pel.last()!));
    const owners = g.sortedConsumers().filter((x) => x.pel.size !== 0);
    c.array(owners.length);
    for (const o of owners) {
      c.array(2);
      c.bulk(o.name);
      c.bulk(String(o.pel.size));
    }
    return;
  }
  const pel = consumerName === null ? g.pel : g.consumers.get(consumerName)?.pel;
  const rows: [bigint, Nack][] = [];
  if (pel !== undefined && count > 0) {
    const now = clock.now;
    pel.each(start, end, (id, nack) => {
      if (minIdle !== 0 && now - nack.deliveryTime < minIdle) return true;
      rows.push([id, nack]);
      return rows.length < count;
    });
  }
  c.array(rows.length);
  const now = clock.now;
  for (const [id, nack] of rows) {
    c.array(4);
    c.bulk(formatId(id));
    c.bulk(nack.consumer?.name ?? '');
    c.int(Math.max(0, now - nack.deliveryTime));
    c.int(nack.deliveryCount);
  }
}

function xclaim(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const st = writeStream(c, s, key);
  if (st === null) return;
  const g = st?.groups.get(argv[2]!);
  if (st === undefined || g === undefined) {
    c.error(noGroup(key, argv[2]!));
    return;
  }
  const mi = parseInt64(argv[4]!);
  if (mi === null) {
    c.error('ERR Invalid min-idle-time argument for XCLAIM');
    return;
  }
  const minIdle = mi < 0 ? 0 : Number(mi);
  const ids: bigint[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseStrictIdQuiet(argv[j]!);
    if (id === null) break;
    ids.push(id);
  }
  const now = clock.now;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId = 0n;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    if (is(opt, 'force')) force = true;
    else if (is(opt, 'justid')) justId = true;
    else if (is(opt, 'idle') && more > 0) {
      const v = parseInt64(argv[++j]!);
      if (v === null) {
        c.error('ERR Invalid IDLE option argument for XCLAIM');
        return;
      }
      deliveryTime = now - Number(v);
    } else if (is(opt, 'time') && more > 0) {
      const v = parseInt64(argv[++j]!);
      if (v === null) {
        c.error('ERR Invalid TIME option argument for XCLAIM');
        return;
      }
      deliveryTime = Number(v);
    } else if (is(opt, 'retrycount') && more > 0) {
      const v = parseInt64(argv[++j]!);
      if (v === null) {
        c.error('ERR Invalid RETRYCOUNT option argument for XCLAIM');
        return;
      }
      retryCount = Number(v);
    } else if (is(opt, 'lastid') && more > 0) {
      const v = parseStrictId(c, argv[++j]!);
      if (v === null) return;
      lastId = v;
    } else {
      c.error(`ERR Unrecognized XCLAIM option '${opt}'`);
      return;
    }
  }
  let changed = 0;
  c.propagateAs = [];
  if (lastId > g.lastId) {
    g.lastId = lastId;
    changed++;
    s.propagate(c.db.id, ['XGROUP', 'SETID', key, argv[2]!, formatId(lastId), 'ENTRIESREAD', String(g.entriesRead)]);
  }
  if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | null = null;
  const out: (string | string[])[] = [];
  for (const id of ids) {
    let nack = g.pel.get(id);
    if (!st.has(id)) {
      if (nack !== undefined) {
        propagateClaim(s, c, key, g, argv[2]!, nack.consumer?.name ?? argv[3]!, id, nack);
        dropNack(st, g, id);
        changed++;
      }
      continue;
    }
    if (force && nack === undefined) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: null };
      g.pel.set(id, nack);
      st.accountGroups(PEL_OVERHEAD);
    }
    if (nack === undefined) continue;
    if (nack.consumer !== null && minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    if (consumer === null) consumer = lookupOrCreateConsumer(s, c, key, g, argv[3]!, false);
    claimNack(nack, id, consumer);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    out.push(justId ? formatId(id) : st.get(id)!);
    changed++;
    propagateClaim(s, c, key, g, argv[2]!, argv[3]!, id, nack);
  }
  c.array(out.length);
  for (const e of out) {
    if (typeof e === 'string') c.bulk(e);
    else replyEntry(c, e);
  }
  if (changed !== 0) streamChanged(s, c, key, '', changed);
}

/** A strict ID without replying (XCLAIM tells IDs from trailing options by trying to parse). */
function parseStrictIdQuiet(arg: string): bigint | null {
  const p = parseId(arg, 0n, true, false, false);
  return p === null ? null : p.id;
}

function xautoclaim(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const st = writeStream(c, s, key);
  if (st === null) return;
  const g = st?.groups.get(argv[2]!);
  const mi = parseInt64(argv[4]!);
  if (mi === null) {
    c.error('ERR Invalid min-idle-time argument for XAUTOCLAIM');
    return;
  }
  const minIdle = mi < 0 ? 0 : Number(mi);
  const start = parseRangeId(c, argv[5]!, false);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j]!, 'count') && more > 0) {
      const v = parseInt64(argv[++j]!);
      if (v === null || v < 1 || v > Math.floor(9223372036854775807 / 10)) {
        c.error('ERR COUNT must be > 0');
        return;
      }
      count = Number(v);
    } else if (is(argv[j]!, 'justid')) justId = true;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (st === undefined || g === undefined) {
    c.error(noGroup(key, argv[2]!));
    return;
  }
  let consumer: Consumer | null = null;
  let attempts = count * 10;
  const now = clock.now;
  // collect the walk first: the PEL changes as entries are claimed or dropped
  const walk: [bigint, Nack][] = [];
  g.pel.each(start, MAX_ID, (id, nack) => {
    walk.push([id, nack]);
    return walk.length <= attempts;
  });
  const claimed: (string | string[])[] = [];
  const deleted: string[] = [];
  let i = 0;
  let changed = 0;
  for (; i < walk.length && attempts > 0 && count > 0; i++) {
    attempts--;
    const [id, nack] = walk[i]!;
    if (!st.has(id)) {
      propagateClaim(s, c, key, g, argv[2]!, nack.consumer?.name ?? argv[3]!, id, nack);
      dropNack(st, g, id);
      deleted.push(formatId(id));
      changed++;
      // deleted ids count against COUNT: it bounds the reply
      count--;
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    if (consumer === null) consumer = lookupOrCreateConsumer(s, c, key, g, argv[3]!, false);
    claimNack(nack, id, consumer);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    claimed.push(justId ? formatId(id) : st.get(id)!);
    count--;
    changed++;
    propagateClaim(s, c, key, g, argv[2]!, argv[3]!, id, nack);
  }
  const next = i < walk.length ? walk[i]![0] : 0n;
  c.array(3);
  c.bulk(formatId(next));
  c.array(claimed.length);
  for (const e of claimed) {
    if (typeof e === 'string') c.bulk(e);
    else replyEntry(c, e);
  }
  c.array(deleted.length);
  for (const d of deleted) c.bulk(d);
  if (changed !== 0) streamChanged(s, c, key, '', changed);
}

register([
  {
    name: 'xgroup',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for consumer groups commands.', '5.0.0', 'Depends on subcommand.'),
    handler: unknownSubcommand,
    subcommands: [
      sub('create', -5, ['write', 'denyoom'], 'Creates a consumer group.', '5.0.0', xgroupCreate),
      sub('setid', -5, ['write'], 'Sets the last-delivered ID of a consumer group.', '5.0.0', xgroupSetid),
      sub('destroy', 4, ['write'], 'Destroys a consumer group.', '5.0.0', (c, argv, s) => {
        const key = argv[2]!;
        const st = writeStream(c, s, key);
        if (st === null) return;
        if (st === undefined) {
          c.error(ERR_XGROUP_NOKEY);
          return;
        }
        const g = st.groups.get(argv[3]!);
        if (g === undefined) {
          c.int(0);
          return;
        }
        st.accountGroups(-PEL_OVERHEAD * (g.pel.size + 1));
        st.groups.delete(argv[3]!);
        c.int(1);
        streamChanged(s, c, key, 'xgroup-destroy', 1);
        // clients blocked in XREADGROUP on this group get their error
        signalKeyAsReady(s, c.db, key);
      }),
      sub('createconsumer', 5, ['write', 'denyoom'], 'Creates a consumer in a consumer group.', '6.2.0', (c, argv, s) => {
        const key = argv[2]!;
        const t = xgroupTarget(c, s, key, argv[3]!);
        if (t === null) return;
        if (t.g.consumers.has(argv[4]!)) {
          c.int(0);
          return;
        }
        t.g.consumers.set(argv[4]!, new Consumer(argv[4]!, clock.now));
        c.int(1);
        streamChanged(s, c, key, 'xgroup-createconsumer', 1);
      }),
      sub('delconsumer', 5, ['write'], 'Deletes a consumer from a consumer group.', '5.0.0', (c, argv, s) => {
        const key = argv[2]!;
        const t = xgroupTarget(c, s, key, argv[3]!);
        if (t === null) return;
        const consumer = t.g.consumers.get(argv[4]!);
        if (consumer === undefined) {
          c.int(0);
          return;
        }
        const pending = consumer.pel.size;
        const ids: bigint[] = [];
        consumer.pel.each(0n, MAX_ID, (id) => {
          ids.push(id);
        });
        for (const id of ids) dropNack(t.st, t.g, id);
        t.g.consumers.delete(argv[4]!);
        c.int(pending);
        streamChanged(s, c, key, 'xgroup-delconsumer', 1);
      }),
      {
        name: 'xgroup|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: ['@stream'],
        docs: docs('Returns helpful text about the different subcommands.', '5.0.0', 'O(1)'),
        handler(c) {
          c.array(XGROUP_HELP.length);
          for (const line of XGROUP_HELP) c.simple(line);
        },
      },
    ],
  },
  {
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.', '5.0.0', 'O(1) for each message ID processed.'),
    handler: xack,
  },
  {
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    tips: ['nondeterministic_output'],
    docs: docs('Returns the information and entries from a stream consumer group\'s pending entries list.', '5.0.0', 'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.'),
    handler: xpending,
  },
  {
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    tips: ['nondeterministic_output'],
    docs: docs('Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.', '5.0.0', 'O(log N) with N being the number of messages in the PEL of the consumer group.'),
    handler: xclaim,
  },
  {
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    tips: ['nondeterministic_output'],
    docs: docs('Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.', '6.2.0', 'O(1) if COUNT is small.'),
    handler: xautoclaim,
  },
]);

