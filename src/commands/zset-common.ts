/*
 * Shared by the sorted-set command modules (zset.ts, zset-range.ts, zset-store.ts, zset-pop.ts) and
 * meant for the GEO commands too: lookups with the WRONGTYPE reply, the listpack limits from config,
 * Redis's three ways of reading a number (a score argument, a range bound, an integer), lex range
 * items, replies of member/score lists in RESP2 and RESP3 shapes, and the store-a-result step.
 *
 * Number parsing differs on purpose, as in Redis 7.0: a score argument (ZADD, ZINCRBY, WEIGHTS) is
 * strict (no leading space, overflow and underflow to zero rejected), while a range bound (ZCOUNT,
 * ZRANGEBYSCORE...) is a bare strtod: leading blanks allowed, "" reads as 0, overflow becomes inf.
 */

import { ERR_WRONGTYPE, parseFloatArg } from '../args';
import type { Client } from '../client';
import type { ServerState } from '../state';
import { ZSetValue, type LexBound, type LexRange, type ScoreRange, type ZLimits, type ZNode } from '../types/zset';
import { addKey } from './string-common';

export const ERR_MINMAX_FLOAT = 'ERR min or max is not a float';
export const ERR_MINMAX_LEX = 'ERR min or max not valid string range item';
export const ERR_NAN = 'ERR resulting score is not a number (NaN)';

const limitsCache = new WeakMap<ServerState, ZLimits>();

/** zset-max-listpack-entries / -value of this server, read once and kept current. */
export function zlimits(s: ServerState): ZLimits {
  let l = limitsCache.get(s);
  if (l === undefined) {
    const cfg = s.config;
    const fresh: ZLimits = { entries: cfg.number('zset-max-listpack-entries'), value: cfg.number('zset-max-listpack-value') };
    cfg.onChange('zset-max-listpack-entries', () => (fresh.entries = cfg.number('zset-max-listpack-entries')));
    cfg.onChange('zset-max-listpack-value', () => (fresh.value = cfg.number('zset-max-listpack-value')));
    limitsCache.set(s, fresh);
    l = fresh;
  }
  return l;
}

/** The zset at key for reading: undefined when missing, null after replying WRONGTYPE. */
export function readZset(c: Client, s: ServerState, key: string): ZSetValue | undefined | null {
  const v = s.readKey(c, key);
  if (v === undefined || v instanceof ZSetValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** The zset at key for writing: undefined when missing, null after replying WRONGTYPE. */
export function writeZset(c: Client, s: ServerState, key: string): ZSetValue | undefined | null {
  const v = s.writeKey(c, key);
  if (v === undefined || v instanceof ZSetValue) return v;
  c.error(ERR_WRONGTYPE);
  return null;
}

/** Bookkeeping after a write to a zset key: WATCH/accounting, dirty, the 'z' event. */
export function zchanged(s: ServerState, c: Client, key: string, event: string, dirty: number): void {
  s.keyModified(c.db, key);
  s.dirty += dirty;
  s.notify('z', event, key, c.db.id);
}

/** Deletes a zset key that became empty, with the generic "del" event. */
export function dropEmpty(s: ServerState, c: Client, key: string): void {
  c.db.delete(key);
  s.notify('g', 'del', key, c.db.id);
}

function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

/**
 * A score argument as Redis's getDoubleFromObject reads it: the whole string a float, no leading
 * blank, NaN rejected, and a result that overflowed to ±inf or underflowed to 0 rejected (strtod's
 * ERANGE) unless the text says inf or zero. Null when invalid.
 */
export function parseScore(s: string): number | null {
  const v = parseFloatArg(s);
  if (v === null) return null;
  if (v === Infinity || v === -Infinity) {
    const c0 = s.charCodeAt(0);
    const bare = (c0 === 43 || c0 === 45 ? s.slice(1) : s).toLowerCase();
    return bare === 'inf' || bare === 'infinity' ? v : null;
  }
  if (v === 0) {
    const lower = s.toLowerCase();
    const hex = lower.indexOf('0x');
    if (hex !== -1) {
      const p = lower.indexOf('p');
      if (/[1-9a-f]/.test(lower.slice(hex + 2, p === -1 ? lower.length : p))) return null;
    } else {
      const e = lower.indexOf('e');
      if (/[1-9]/.test(e === -1 ? lower : lower.slice(0, e))) return null;
    }
  }
  return v;
}

/** A bare strtod over the whole string (stopping at a NUL); null when it does not parse or is NaN. */
function strtodWhole(s: string): number | null {
  const nul = s.indexOf('\0');
  const t = nul === -1 ? s : s.slice(0, nul);
  if (t.length === 0) return 0;
  let i = 0;
  while (i < t.length && isSpace(t.charCodeAt(i))) i++;
  if (i === t.length) return null;
  return parseFloatArg(i === 0 ? t : t.slice(i));
}

function parseBound(s: string): { v: number; ex: boolean } | null {
  if (s.charCodeAt(0) === 40) {
    const v = strtodWhole(s.slice(1));
    return v === null ? null : { v, ex: true };
  }
  const v = strtodWhole(s);
  return v === null ? null : { v, ex: false };
}

/** A score range from min and max arguments ("(" prefix = exclusive); null when invalid. */
export function parseScoreRange(min: string, max: string): ScoreRange | null {
  const a = parseBound(min);
  if (a === null) return null;
  const b = parseBound(max);
  if (b === null) return null;
  return { min: a.v, max: b.v, minex: a.ex, maxex: b.ex };
}

function parseLexItem(s: string): { b: LexBound; ex: boolean } | null {
  if (s.length === 0) return null;
  const c0 = s.charCodeAt(0);
  // Redis looks at the second byte as a C string: "+" followed by a NUL still reads as "+"
  const alone = s.length === 1 || s.charCodeAt(1) === 0;
  if (c0 === 43) return alone ? { b: Infinity, ex: true } : null;
  if (c0 === 45) return alone ? { b: -Infinity, ex: true } : null;
  if (c0 === 40) return { b: s.slice(1), ex: true };
  if (c0 === 91) return { b: s.slice(1), ex: false };
  return null;
}

/** A lex range from min and max arguments ("[a", "(a", "-", "+"); null when invalid. */
export function parseLexRange(min: string, max: string): LexRange | null {
  const a = parseLexItem(min);
  if (a === null) return null;
  const b = parseLexItem(max);
  if (b === null) return null;
  return { min: a.b, max: b.b, minex: a.ex, maxex: b.ex };
}

/** Replies with members (and scores): flat in RESP2, [member, score] pairs in RESP3. */
export function replyEntries(c: Client, members: readonly string[], scores: readonly number[] | null): void {
  const n = members.length;
  if (scores === null) {
    c.array(n);
    for (let i = 0; i < n; i++) c.bulk(members[i]!);
    return;
  }
  if (c.resp === 2) {
    c.array(n * 2);
    for (let i = 0; i < n; i++) {
      c.bulk(members[i]!);
      c.double(scores[i]!);
    }
    return;
  }
  c.array(n);
  for (let i = 0; i < n; i++) {
    c.array(2);
    c.bulk(members[i]!);
    c.double(scores[i]!);
  }
}

/** Replies with one entry of a WITHSCORES list (the caller wrote the array header). */
export function replyNode(c: Client, n: ZNode, withScores: boolean): void {
  if (!withScores) {
    c.bulk(n.member);
    return;
  }
  if (c.resp !== 2) c.array(2);
  c.bulk(n.member);
  c.double(n.score);
}

/** The array header for count entries (doubled for RESP2 WITHSCORES). */
export function entriesHeader(c: Client, count: number, withScores: boolean): void {
  c.array(withScores && c.resp === 2 ? count * 2 : count);
}

/**
 * Stores a computed zset at dst (ZRANGESTORE, ZUNIONSTORE...): replaces whatever is there (TTL
 * dropped) and replies with its size; an empty result deletes dst instead and replies 0.
 */
export function storeResult(c: Client, s: ServerState, dst: string, result: ZSetValue, event: string): void {
  const db = c.db;
  if (result.size === 0) {
    c.int(0);
    if (s.writeKey(c, dst) !== undefined) {
      db.delete(dst);
      s.keyModified(db, dst);
      s.dirty++;
      s.notify('g', 'del', dst, db.id);
    }
    return;
  }
  if (s.writeKey(c, dst) === undefined) addKey(s, db, dst, result);
  else db.set(dst, result);
  s.keyModified(db, dst);
  c.int(result.size);
  s.notify('z', event, dst, db.id);
  s.dirty++;
}
