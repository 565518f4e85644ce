/*
 * XREAD and XREADGROUP, with BLOCK on the generic blocking framework (blocking.ts).
 *
 * Both parse the same options, then resolve every key (type, group) before serving any, as Redis
 * does, so a bad key anywhere gives its error and nothing is delivered. A stream is served at once
 * when it has entries beyond the requested ID (for ">" beyond the group's last-delivered ID);
 * XREADGROUP with an explicit ID reads the consumer's own pending history, deleted entries showing
 * as [id, nil]. When nothing can be served and BLOCK was given the client blocks on all the keys;
 * XADD signals the key and the client is served from the ID it blocked with (for ">" the group's
 * current last-delivered ID, so clients of one group share new entries without duplicates), with
 * COUNT defaulting to 1000 as Redis limits a blocked read. Inside MULTI/scripts BLOCK acts as a
 * timeout at once.
 *
 * RESP3 gets a map key -> entries; RESP2 an array of [key, entries] pairs.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import { blockClient, mustNotBlock } from '../blocking';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { MAX_ID, StreamValue, formatId, type ConsumerGroup } from '../types/stream';
import { ERR_INVALID_ID, parseId, replyEntry } from './stream-common';
import { deliver, lookupOrCreateConsumer, propagateClaim } from './stream-group';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'stream', complexity });

const BLOCKED_DEFAULT_COUNT = 1000;

interface ReadArgs {
  count: number;
  /** absolute ms; 0 = forever; -1 = no BLOCK */
  timeout: number;
  noack: boolean;
  group: string | null;
  consumer: string | null;
  keys: string[];
  ids: string[];
}

function parseRead(c: Client, argv: string[], group: boolean): ReadArgs | null {
  const a: ReadArgs = { count: 0, timeout: -1, noack: false, group: null, consumer: null, keys: [], ids: [] };
  let streamsAt = 0;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i]!;
    if (is(o, 'block') && more > 0) {
      const v = parseInt64(argv[++i]!);
      if (v === null) {
        c.error('ERR timeout is not an integer or out of range');
        return null;
      }
      if (v < 0) {
        c.error('ERR timeout is negative');
        return null;
      }
      const n = Number(v);
      if (n > 0 && n > Number.MAX_SAFE_INTEGER - clock.now) {
        c.error('ERR timeout is out of range');
        return null;
      }
      a.timeout = n === 0 ? 0 : clock.now + n;
    } else if (is(o, 'count') && more > 0) {
      const v = parseInt64(argv[++i]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return null;
      }
      a.count = v < 0 ? 0 : typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else if (is(o, 'streams') && more > 0) {
      streamsAt = i + 1;
      if ((argv.length - streamsAt) % 2 !== 0) {
        c.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
        return null;
      }
      break;
    } else if (is(o, 'group') && more >= 2) {
      if (!group) {
        c.error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      a.group = argv[i + 1]!;
      a.consumer = argv[i + 2]!;
      i += 2;
    } else if (is(o, 'noack')) {
      if (!group) {
        c.error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        return null;
      }
      a.noack = true;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  if (streamsAt === 0) {
    c.error(ERR_SYNTAX);
    return null;
  }
  if (group && a.group === null) {
    c.error('ERR Missing GROUP option for XREADGROUP');
    return null;
  }
  const n = (argv.length - streamsAt) / 2;
  a.keys = argv.slice(streamsAt, streamsAt + n);
  a.ids = argv.slice(streamsAt + n);
  return a;
}

/** One key of a read, resolved: ">" is id === MAX_ID with history false. */
interface Target {
  key: string;
  st: StreamValue | undefined;
  group: ConsumerGroup | undefined;
  /** entries must be greater than this */
  gt: bigint;
  history: boolean;
}

function resolve(c: Client, s: ServerState, a: ReadArgs): Target[] | null {
  const out: Target[] = [];
  for (let i = 0; i < a.keys.length; i++) {
    const key = a.keys[i]!;
    const v = s.readKey(c, key);
    if (v !== undefined && !(v instanceof StreamValue)) {
      c.error(ERR_WRONGTYPE);
      return null;
    }
    const st = v;
    let group: ConsumerGroup | undefined;
    if (a.group !== null) {
      group = st?.groups.get(a.group);
      if (st === undefined || group === undefined) {
        c.error(`NOGROUP No such key '${key}' or consumer group '${a.group}' in XREADGROUP with GROUP option`);
        return null;
      }
    }
    const arg = a.ids[i]!;
    let gt: bigint;
    let history = false;
    if (arg === '$') {
      if (a.group !== null) {
        c.error(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
        return null;
      }
      gt = st === undefined ? 0n : st.lastId;
    } else if (arg === '>') {
      if (a.group === null) {
        c.error('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
        return null;
      }
      gt = MAX_ID;
    } else {
      const p = parseId(arg, 0n, true, false, false);
      if (p === null) {
        c.error(ERR_INVALID_ID);
        return null;
      }
      gt = p.id;
      history = a.group !== null;
    }
    out.push({ key, st, group, gt, history });
  }
  return out;
}

/** Writes the entries of one stream for a read; the group bookkeeping of XREADGROUP included. */
function serveStream(c: Client, s: ServerState, t: Target, st: StreamValue, a: ReadArgs, count: number): void {
  const start = t.gt === MAX_ID ? MAX_ID : t.gt + 1n;
  const g = t.group;
  if (g === undefined) {
    const found: string[][] = [];
    if (t.gt !== MAX_ID) st.range(start, MAX_ID, count, false, (e) => void found.push(e));
    c.array(found.length);
    for (const e of found) replyEntry(c, e);
    return;
  }
  const existed = g.consumers.has(a.consumer!);
  const consumer = lookupOrCreateConsumer(s, c, t.key, g, a.consumer!, true);
  s.dirty++;
  // replicas get the effects (XCLAIM per delivered entry, or CREATECONSUMER/SETID with NOACK),
  // never the read itself, as Redis 7.0
  c.propagateAs = [];
  if (t.history) {
    // the consumer's own pending entries from start
    const rows: [bigint, string[] | undefined][] = [];
    if (t.gt !== MAX_ID) {
      consumer.pel.each(start, MAX_ID, (id) => {
        rows.push([id, st.get(id)]);
        return count === 0 || rows.length < count;
      });
    }
    const now = clock.now;
    c.array(rows.length);
    for (const [id, e] of rows) {
      if (e === undefined) {
        c.array(2);
        c.bulk(formatId(id));
        c.nilArray();
        continue;
      }
      replyEntry(c, e);
      const nack = consumer.pel.get(id)!;
      nack.deliveryTime = now;
      nack.deliveryCount++;
    }
    return;
  }
  const found: [string[], bigint][] = [];
  if (g.lastId !== MAX_ID) st.range(g.lastId + 1n, MAX_ID, count, false, (e, id) => void found.push([e, id]));
  c.array(found.length);
  for (const [e, id] of found) {
    if (id > g.lastId) {
      if (g.entriesRead !== -1 && !st.rangeHasTombstones(id, MAX_ID)) g.entriesRead++;
      else if (st.entriesAdded !== 0) g.entriesRead = st.estimateDistance(id);
      g.lastId = id;
    }
    replyEntry(c, e);
    if (!a.noack) {
      deliver(st, g, consumer, id);
      propagateClaim(s, c, t.key, g, a.group!, a.consumer!, id, g.pel.get(id)!);
    }
  }
  if (a.noack && found.length !== 0) {
    if (!existed) s.propagate(c.db.id, ['XGROUP', 'CREATECONSUMER', t.key, a.group!, a.consumer!]);
    s.propagate(c.db.id, ['XGROUP', 'SETID', t.key, a.group!, formatId(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
  }
}

/** The last live entry's id (Redis's streamLastValidID); 0-0 when empty. */
function lastValid(st: StreamValue): bigint {
  return st.length === 0 ? 0n : st.edgeId(true);
}

function xread(c: Client, argv: string[], s: ServerState, group: boolean): void {
  const a = parseRead(c, argv, group);
  if (a === null) return;
  const targets = resolve(c, s, a);
  if (targets === null) return;
  const ready: Target[] = [];
  for (const t of targets) {
    const st = t.st;
    if (st === undefined) continue;
    if (t.group !== undefined) {
      if (t.gt === MAX_ID) {
        if (lastValid(st) > t.group.lastId) ready.push(t);
      } else ready.push(t);
    } else if (lastValid(st) > t.gt) ready.push(t);
  }
  if (ready.length !== 0) {
    if (c.resp === 2) c.array(ready.length);
    else c.map(ready.length);
    for (const t of ready) {
      if (c.resp === 2) c.array(2);
      c.bulk(t.key);
      serveStream(c, s, t, t.st!, a, a.count);
    }
    return;
  }
  if (a.timeout === -1 || mustNotBlock(c)) {
    c.nilArray();
    return;
  }
  const byKey = new Map<string, Target>();
  for (const t of targets) if (!byKey.has(t.key)) byKey.set(t.key, t);
  const count = a.count !== 0 ? a.count : BLOCKED_DEFAULT_COUNT;
  blockClient(
    s,
    c,
    a.keys,
    a.timeout,
    (key) => {
      const t = byKey.get(key);
      if (t === undefined) return false;
      const v = c.db.values[c.db.slot(key)] as unknown;
      if (!(v instanceof StreamValue)) return false;
      const st = v;
      let gt = t.gt;
      let g: ConsumerGroup | undefined;
      if (a.group !== null) {
        g = st.groups.get(a.group);
        if (g === undefined) {
          c.error('NOGROUP the consumer group this client was blocked on no longer exists');
          return true;
        }
        gt = g.lastId;
      }
      if (!(st.lastId > gt)) return false;
      const served: Target = { key, st, group: g, gt: g === undefined ? gt : MAX_ID, history: false };
      if (c.resp === 2) {
        c.array(1);
        c.array(2);
      } else c.map(1);
      c.bulk(key);
      serveStream(c, s, served, st, a, count);
      return true;
    },
    () => c.nilArray(),
    undefined,
    a.group !== null ? () => c.error('UNBLOCKED the stream key no longer exists') : null,
  );
}

register([
  {
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking', 'movablekeys'],
    keys: [0, 0, 0],
    getKeys: (argv) => streamKeys(argv, 1),
    categories: ['@stream'],
    docs: docs('Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.', '5.0.0', 'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.'),
    handler: (c, argv, s) => xread(c, argv, s, false),
  },
  {
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking', 'movablekeys'],
    keys: [0, 0, 0],
    getKeys: (argv) => streamKeys(argv, 4),
    categories: ['@stream'],
    docs: docs('Returns new or historical messages from a stream for a consumer in agroup. Blocks until a message is available otherwise.', '5.0.0', 'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.'),
    handler: (c, argv, s) => xread(c, argv, s, true),
  },
]);

/** Key positions after the STREAMS keyword (half of what follows it). */
function streamKeys(argv: string[], from: number): number[] {
  for (let i = from; i < argv.length; i++) {
    if (is(argv[i]!, 'streams')) {
      const n = Math.floor((argv.length - i - 1) / 2);
      const out: number[] = [];
      for (let k = 0; k < n; k++) out.push(i + 1 + k);
      return out;
    }
  }
  return [];
}
