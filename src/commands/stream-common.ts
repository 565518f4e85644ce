/*
 * Shared by the stream command modules: Redis's stream ID parsing rules, typed lookups, the node
 * limits from config, and the reply shapes of entries.
 *
 * ID parsing follows Redis 7.0 exactly, since that decides which inputs are errors: "-" and "+"
 * where a range allows them, "ms" or "ms-seq" split at the first '-', each part read as Redis's
 * string2ull (a canonical int64 that is not negative, or else C's strtoull over the whole part:
 * leading spaces and a sign allowed, a '-' wrapping modulo 2^64, overflow rejected), text from the
 * first NUL byte on ignored, 128 bytes or more rejected.
 */

import { ERR_WRONGTYPE } from '../args';
import type { Client } from '../client';
import type { ServerState } from '../state';
import { StreamValue, U64_MAX, makeId, type ConsumerGroup } from '../types/stream';

export const ERR_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

const TWO64 = 1n << 64n;

/** Redis's string2ull: null when not an unsigned 64-bit number by its rules. */
export function parseU64(s: string): bigint | null {
  const len = s.length;
  if (len === 0) return null;
  // fast path: plain digits without a leading zero (or "0")
  let plain = len <= 20;
  for (let i = 0; i < len && plain; i++) {
    const d = s.charCodeAt(i);
    if (d < 48 || d > 57) plain = false;
  }
  if (plain && (s.charCodeAt(0) !== 48 || len === 1)) {
    const v = BigInt(s);
    return v < TWO64 ? v : null;
  }
  // strtoull: optional spaces, a sign, at least one digit, nothing after
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (m === null) return null;
  let v = BigInt(m[2]!);
  if (v >= TWO64) return null;
  if (m[1] === '-') {
    // a negative canonical int64 fails string2ll's range check first
    if (/^-[1-9]\d*$/.test(s) && v <= 9223372036854775808n) return null;
    v = (TWO64 - v) % TWO64;
  }
  return v;
}

export interface ParsedId {
  id: bigint;
  /** false for "ms-*" (XADD) */
  seqGiven: boolean;
  exclusive: boolean;
}

/**
 * Parses a stream ID argument. missingSeq fills a missing sequence (0 for starts, 2^64-1 for ends);
 * strict forbids "-" and "+"; allowSeqStar accepts "ms-*"; allowExclusive accepts a "(" prefix.
 * Returns null (no reply written) when invalid.
 */
export function parseId(arg: string, missingSeq: bigint, strict: boolean, allowSeqStar: boolean, allowExclusive: boolean): ParsedId | null {
  let s = arg;
  let exclusive = false;
  if (allowExclusive && s.length > 1 && s.charCodeAt(0) === 40) {
    exclusive = true;
    s = s.slice(1);
  }
  if (s.length > 127) return null;
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  if (s.length === 1 && !strict) {
    if (s === '-') return exclusive ? null : { id: 0n, seqGiven: true, exclusive };
    if (s === '+') return exclusive ? null : { id: (U64_MAX << 64n) | U64_MAX, seqGiven: true, exclusive };
  }
  const dash = s.indexOf('-');
  const msPart = dash === -1 ? s : s.slice(0, dash);
  const ms = parseU64(msPart);
  if (ms === null) return null;
  if (dash === -1) return { id: makeId(ms, missingSeq), seqGiven: true, exclusive };
  const seqPart = s.slice(dash + 1);
  if (allowSeqStar && seqPart === '*') return { id: makeId(ms, 0n), seqGiven: false, exclusive };
  const seq = parseU64(seqPart);
  if (seq === null) return null;
  return { id: makeId(ms, seq), seqGiven: true, exclusive };
}

/** A strict ID ("ms[-seq]", no "-"/"+"), replying the invalid-ID error on failure. */
export function parseStrictId(c: Client, arg: string): bigint | null {
  const p = parseId(arg, 0n, true, false, false);
  if (p === null) {
    c.error(ERR_INVALID_ID);
    return null;
  }
  return p.id;
}

/** A range bound (XRANGE, XPENDING, XAUTOCLAIM), "(" allowed; replies on error. */
export function parseRangeId(c: Client, arg: string, end: boolean): bigint | null {
  const p = parseId(arg, end ? U64_MAX : 0n, false, false, true);
  if (p === null) {
    c.error(ERR_INVALID_ID);
    return null;
  }
  if (!p.exclusive) return p.id;
  if (end) {
    if (p.id === 0n) {
      c.error('ERR invalid end ID for the interval');
      return null;
    }
    return p.id - 1n;
  }
  if (p.id === ((U64_MAX << 64n) | U64_MAX)) {
    c.error('ERR invalid start ID for the interval');
    return null;
  }
  return p.id + 1n;
}

/** The stream at key for reading: undefined when missing, null after replying WRONGTYPE. */
export function readStream(c: Client, s: ServerState, key: string): StreamValue | undefined | null {
  const v = s.readKey(c, key);
  if (v === undefined || v instanceof StreamValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The stream at key for writing: undefined when missing, null after replying WRONGTYPE. */
export function writeStream(c: Client, s: ServerState, key: string): StreamValue | undefined | null {
  const v = s.writeKey(c, key);
  if (v === undefined || v instanceof StreamValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

interface NodeLimits {
  bytes: number;
  entries: number;
}

const limitsCache = new WeakMap<ServerState, NodeLimits>();

/** stream-node-max-bytes / stream-node-max-entries, read once per server and kept current. */
export function nodeLimits(s: ServerState): NodeLimits {
  let l = limitsCache.get(s);
  if (l === undefined) {
    const cfg = s.config;
    const read = (name: string): number => (cfg.directive(name) !== undefined ? cfg.number(name) : name.endsWith('bytes') ? 4096 : 100);
    const fresh: NodeLimits = { bytes: read('stream-node-max-bytes'), entries: read('stream-node-max-entries') };
    if (cfg.directive('stream-node-max-bytes') !== undefined) cfg.onChange('stream-node-max-bytes', () => (fresh.bytes = read('stream-node-max-bytes')));
    if (cfg.directive('stream-node-max-entries') !== undefined) cfg.onChange('stream-node-max-entries', () => (fresh.entries = read('stream-node-max-entries')));
    limitsCache.set(s, fresh);
    l = fresh;
  }
  return l;
}

/** Writes one entry as Redis does: [id, [field, value, ...]]. */
export function replyEntry(c: Client, e: readonly string[]): void {
  c.array(2);
  c.bulk(e[0]!);
  const n = e.length - 1;
  c.array(n);
  for (let i = 1; i <= n; i++) c.bulk(e[i]!);
}

/** Bookkeeping after a stream write: WATCH/tracking/memory, dirty, keyspace event. */
export function streamChanged(s: ServerState, c: Client, key: string, event: string, dirty: number): void {
  s.keyModified(c.db, key);
  s.dirty += dirty;
  if (event !== '') s.notify('t', event, key, c.db.id);
}

/** NOGROUP error text used by XPENDING / XCLAIM / XAUTOCLAIM. */
export function noGroup(key: string, group: string): string {
  return `NOGROUP No such key '${key}' or consumer group '${group}'`;
}

/** The group by name, or undefined. */
export function lookupGroup(st: StreamValue | undefined, name: string): ConsumerGroup | undefined {
  return st === undefined ? undefined : st.groups.get(name);
}
