/*
 * Stream commands on entries: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID (types/stream.ts holds
 * the structure). Consumer groups are in stream-group.ts, XREAD/XREADGROUP in stream-read.ts, XINFO
 * in stream-info.ts.
 *
 * Argument handling follows Redis 7.0's order, since it decides which error a bad call gets: the
 * trimming options and the ID are parsed first (left to right, the first non-option being the ID),
 * then the field/value count, then the key's type. Trimming with "~" removes whole nodes only and is
 * bounded by LIMIT (default 100 x stream-node-max-entries, within 10000..1000000 as Redis clamps);
 * exact trimming has no limit.
 */

import { ERR_NOT_INT, ERR_SYNTAX, errArity, is, parseInt64 } from '../args';
import { signalKeyAsReady } from '../blocking';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { MAX_ID, StreamValue, U64_MAX, formatId, idMs, makeId } from '../types/stream';
import { addKey } from './string-common';
import { ERR_INVALID_ID, nodeLimits, parseId, parseRangeId, parseStrictId, readStream, replyEntry, streamChanged, writeStream } from './stream-common';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'stream', complexity });

export interface TrimArgs {
  /** -1 when not trimming by MAXLEN */
  maxlen: number;
  minId: bigint | null;
  approx: boolean;
  limit: number;
  noMkstream: boolean;
  /** XADD: the parsed ID, or null for "*" */
  id: bigint | null;
  seqGiven: boolean;
  /** index of the first field (XADD) */
  next: number;
  /** where the trimming threshold, the `~` and LIMIT's count are in argv (-1: absent), for rewriting */
  valueAt: number;
  approxAt: number;
  limitAt: number;
}

/** Redis's streamParseAddOrTrimArgsOrReply: null after replying an error. */
export function parseTrimArgs(c: Client, s: ServerState, argv: string[], xadd: boolean): TrimArgs | null {
  const a: TrimArgs = { maxlen: -1, minId: null, approx: false, limit: 0, noMkstream: false, id: null, seqGiven: true, next: argv.length, valueAt: -1, approxAt: -1, limitAt: -1 };
  let limitGiven = false;
  let strategy = 0; // 0 none, 1 maxlen, 2 minid
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    if (xadd && opt === '*') {
      i++;
      break;
    }
    if (is(opt, 'maxlen') && more > 0) {
      if (strategy === 2) {
        c.error('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
        return null;
      }
      const next = argv[i + 1]!;
      if (more >= 2 && (next === '~' || next === '=')) {
        a.approx = next === '~';
        i++;
        a.approxAt = i;
      }
      a.valueAt = i + 1;
      const v = parseInt64(argv[i + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return null;
      }
      if (v < 0) {
        c.error('ERR The MAXLEN argument must be >= 0.');
        return null;
      }
      a.maxlen = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      strategy = 1;
      i++;
    } else if (is(opt, 'minid') && more > 0) {
      if (strategy === 1) {
        c.error('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
        return null;
      }
      const next = argv[i + 1]!;
      if (more >= 2 && (next === '~' || next === '=')) {
        a.approx = next === '~';
        i++;
        a.approxAt = i;
      }
      a.valueAt = i + 1;
      const id = parseStrictId(c, argv[i + 1]!);
      if (id === null) return null;
      a.minId = id;
      strategy = 2;
      i++;
    } else if (is(opt, 'limit') && more > 0) {
      const v = parseInt64(argv[i + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return null;
      }
      if (v < 0) {
        c.error('ERR The LIMIT argument must be >= 0.');
        return null;
      }
      a.limit = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      limitGiven = true;
      a.limitAt = i + 1;
      i++;
    } else if (xadd && is(opt, 'nomkstream')) {
      a.noMkstream = true;
    } else if (xadd) {
      const p = parseId(opt, 0n, true, true, false);
      if (p === null) {
        c.error(ERR_INVALID_ID);
        return null;
      }
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      i++;
      break;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  a.next = i;
  if (a.limit !== 0 && strategy === 0) {
    c.error('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
    return null;
  }
  if (!xadd && strategy === 0) {
    c.error('ERR syntax error, XTRIM must be called with a trimming strategy');
    return null;
  }
  if (a.approx) {
    if (!limitGiven) {
      let l = nodeLimits(s).entries * 100;
      if (l <= 0) l = 10000;
      if (l > 1000000) l = 1000000;
      a.limit = l;
    }
  } else {
    if (limitGiven) {
      c.error('ERR syntax error, LIMIT cannot be used without the special ~ option');
      return null;
    }
    a.limit = 0;
  }
  return a;
}

/**
 * What replicas get for an XADD/XTRIM: the id actually given to the entry, and for an approximate
 * trim (whose result depends on node sizes, which a replica may set differently) the exact
 * threshold reached: `= <length>` or `= <first id>`, without LIMIT.
 */
function effectArgv(argv: string[], a: TrimArgs, st: StreamValue, idAt: number, id: string | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (i === idAt && id !== null) out.push(id);
    else if (!a.approx) out.push(argv[i]!);
    else if (i === a.approxAt) out.push('=');
    else if (i === a.valueAt) out.push(a.maxlen >= 0 ? String(st.length) : formatId(st.length === 0 ? st.lastId : st.edgeId(false)));
    else if (i === a.limitAt || i === a.limitAt - 1) continue;
    else out.push(argv[i]!);
  }
  return out;
}

/** Runs the trimming a parsed XADD/XTRIM asks for; the number of entries removed. */
function applyTrim(st: StreamValue, a: TrimArgs): number {
  if (a.maxlen < 0 && a.minId === null) return 0;
  return st.trim(a.maxlen, a.minId, a.approx, a.limit);
}

/** The ms of the last `XADD *` and its id <ms>-0, made once per millisecond instead of per entry. */
let autoIdMs = -1;
let autoIdBase = 0n;

function xadd(c: Client, argv: string[], s: ServerState): void {
  const a = parseTrimArgs(c, s, argv, true);
  if (a === null) return;
  const nf = argv.length - a.next;
  if (nf < 2 || nf % 2 === 1) {
    c.error(errArity('xadd'));
    return;
  }
  if (a.id === 0n && a.seqGiven) {
    c.error('ERR The ID specified in XADD must be greater than 0-0');
    return;
  }
  const key = argv[1]!;
  let st = writeStream(c, s, key);
  if (st === null) return;
  let created = false;
  if (st === undefined) {
    if (a.noMkstream) {
      c.nil();
      return;
    }
    st = new StreamValue();
    created = true;
  }
  // the new entry's id
  const last = st.lastId;
  let id: bigint;
  if (last === MAX_ID) id = -1n;
  else if (a.id === null) {
    const now = Date.now();
    if (now !== autoIdMs) {
      autoIdMs = now;
      autoIdBase = makeId(BigInt(now), 0n);
    }
    // now-0 beats the last id exactly when now is past the last id's ms
    id = autoIdBase > last ? autoIdBase : last + 1n;
  } else if (!a.seqGiven) {
    const ms = idMs(a.id);
    const lastMs = idMs(last);
    if (ms > lastMs) id = makeId(ms, 0n);
    else if (ms === lastMs) id = (last & U64_MAX) === U64_MAX ? -2n : last + 1n;
    else id = -2n;
  } else {
    id = a.id > last ? a.id : -2n;
  }
  if (id === -1n) {
    c.error('ERR The stream has exhausted the last possible ID, unable to add more items');
    return;
  }
  if (id === -2n) {
    c.error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    return;
  }
  if (created) addKey(s, c.db, key, st);
  const lim = nodeLimits(s);
  const text = st.append(id, argv.slice(a.next), lim.bytes, lim.entries);
  c.bulk(text);
  streamChanged(s, c, key, 'xadd', 1);
  if (applyTrim(st, a) > 0) streamChanged(s, c, key, 'xtrim', 0);
  if (a.id === null || !a.seqGiven || a.approx) c.propagateAs = effectArgv(argv, a, st, a.next - 1, text);
  if (!created) signalKeyAsReady(s, c.db, key);
}

function range(c: Client, argv: string[], s: ServerState, rev: boolean): void {
  const key = argv[1]!;
  // XREVRANGE takes end first
  const startArg = rev ? argv[3]! : argv[2]!;
  const endArg = rev ? argv[2]! : argv[3]!;
  const start = parseRangeId(c, startArg, false);
  if (start === null) return;
  const end = parseRangeId(c, endArg, true);
  if (end === null) return;
  let count = -1;
  for (let i = 4; i < argv.length; i++) {
    if (is(argv[i]!, 'count') && i + 1 < argv.length) {
      const v = parseInt64(argv[i + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      count = v < 0 ? 0 : typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      i++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const st = readStream(c, s, key);
  if (st === null) return;
  if (st === undefined) {
    c.array(0);
    return;
  }
  if (count === 0) {
    c.nilArray();
    return;
  }
  replyRange(c, st, start, end, count < 0 ? 0 : count, rev);
}

/** Writes the entries of [start, end] (up to count, 0 = all) as an array; returns how many. */
export function replyRange(c: Client, st: StreamValue, start: bigint, end: bigint, count: number, rev: boolean): number {
  const found: string[][] = [];
  st.range(start, end, count, rev, (e) => {
    found.push(e);
  });
  c.array(found.length);
  for (const e of found) replyEntry(c, e);
  return found.length;
}

register([
  {
    name: 'xadd',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    tips: ['nondeterministic_output'],
    docs: docs('Appends a new message to a stream. Creates the key if it doesn\'t exist.', '5.0.0', 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.'),
    handler: xadd,
  },
  {
    name: 'xlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('Return the number of messages in a stream.', '5.0.0', 'O(1)'),
    handler(c, argv, s) {
      const st = readStream(c, s, argv[1]!);
      if (st === null) return;
      c.int(st === undefined ? 0 : st.length);
    },
  },
  {
    name: 'xrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('Returns the messages from a stream within a range of IDs.', '5.0.0', 'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).'),
    handler: (c, argv, s) => range(c, argv, s, false),
  },
  {
    name: 'xrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('Returns the messages from a stream within a range of IDs in reverse order.', '5.0.0', 'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).'),
    handler: (c, argv, s) => range(c, argv, s, true),
  },
  {
    name: 'xdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('Returns the number of messages after removing them from a stream.', '5.0.0', 'O(1) for each single item to delete in the stream, regardless of the stream size.'),
    handler(c, argv, s) {
      const ids: bigint[] = [];
      for (let i = 2; i < argv.length; i++) {
        const id = parseStrictId(c, argv[i]!);
        if (id === null) return;
        ids.push(id);
      }
      const key = argv[1]!;
      const st = writeStream(c, s, key);
      if (st === null) return;
      if (st === undefined) {
        c.int(0);
        return;
      }
      let deleted = 0;
      let first = false;
      for (const id of ids) {
        if (!st.delete(id)) continue;
        if (id === st.firstId) first = true;
        if (id > st.maxDeletedId) st.maxDeletedId = id;
        deleted++;
      }
      if (deleted !== 0) {
        if (st.length === 0) st.firstId = 0n;
        else if (first) st.refreshFirstId();
        streamChanged(s, c, key, 'xdel', deleted);
      }
      c.int(deleted);
    },
  },
  {
    name: 'xtrim',
    arity: -4,
    flags: ['write'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    tips: ['nondeterministic_output'],
    docs: docs('Deletes messages from the beginning of a stream.', '5.0.0', 'O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.'),
    handler(c, argv, s) {
      const key = argv[1]!;
      const a = parseTrimArgs(c, s, argv, false);
      if (a === null) return;
      const st = writeStream(c, s, key);
      if (st === null) return;
      if (st === undefined) {
        c.int(0);
        return;
      }
      const removed = applyTrim(st, a);
      if (removed !== 0) streamChanged(s, c, key, 'xtrim', removed);
      if (a.approx) c.propagateAs = effectArgv(argv, a, st, -1, null);
      c.int(removed);
    },
  },
  {
    name: 'xsetid',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@stream'],
    docs: docs('An internal command for replicating stream values.', '5.0.0', 'O(1)'),
    handler: xsetid,
  },
]);

function xsetid(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const id = parseStrictId(c, argv[2]!);
  if (id === null) return;
  let entriesAdded = -1;
  let maxDeleted: bigint | null = null;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (is(argv[i]!, 'entriesadded') && more > 0) {
      const v = parseInt64(argv[i + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      if (v < 0) {
        c.error('ERR entries_added must be positive');
        return;
      }
      entriesAdded = Number(v);
      i++;
    } else if (is(argv[i]!, 'maxdeletedid') && more > 0) {
      const m = parseStrictId(c, argv[i + 1]!);
      if (m === null) return;
      if (id < m) {
        c.error('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        return;
      }
      maxDeleted = m;
      i++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const st = writeStream(c, s, key);
  if (st === null) return;
  if (st === undefined) {
    c.error('ERR no such key');
    return;
  }
  if (st.length > 0) {
    const maxId = st.edgeId(true);
    if (id < maxId) {
      c.error('ERR The ID specified in XSETID is smaller than the target stream top item');
      return;
    }
    if (entriesAdded !== -1 && st.length > entriesAdded) {
      c.error('ERR The entries_added specified in XSETID is smaller than the target stream length');
      return;
    }
  }
  st.lastId = id;
  if (entriesAdded !== -1) st.entriesAdded = entriesAdded;
  if (maxDeleted !== null) st.maxDeletedId = maxDeleted;
  c.ok();
  streamChanged(s, c, key, 'xsetid', 1);
}
