/*
 * SORT and SORT_RO, as Redis 7.0 runs them.
 *
 * The order of work decides which error a bad call gets, so it follows Redis: every option is parsed
 * first (syntax and LIMIT errors win over WRONGTYPE), then the key is looked up (a missing key sorts
 * as an empty list), then the elements are loaded, weighted, sorted and replied or stored.
 *
 * Details that are observable and therefore kept:
 * - BY with a pattern that has no '*' (conventionally "nosort") skips sorting: lists and sorted sets
 *   come out in their own order (DESC walks them backwards, LIMIT picks the range directly), sets in
 *   their iteration order with DESC ignored. A set with STORE is sorted ALPHA instead, so that the
 *   stored result does not depend on the hash table's order.
 * - Numeric weights are parsed as C's strtod over a NUL-terminated string: leading spaces, hex and
 *   "inf" are accepted, "" is 0, NaN and out-of-range values (overflow or underflow) are errors.
 *   A missing weight key counts as 0 (numeric) or sorts first (ALPHA BY).
 * - Ties in numeric order are broken by comparing the elements' bytes, so the result is
 *   deterministic. ALPHA compares with strcoll in the C locale (bytes up to the first NUL) when
 *   replying, but with full binary comparison when storing. Ties left after that keep the input
 *   order: the sort used is stable, as glibc's qsort (a merge sort) is.
 * - Sorting a sorted set converts it to the skiplist encoding for good (Redis does this even for
 *   SORT_RO and BY nosort), which OBJECT ENCODING shows.
 * - GET/BY patterns: "#" is the element itself; otherwise the first '*' is replaced by the element
 *   and "->field" after it reads a hash field. Only strings (or hashes with ->) give a value.
 * - STORE writes a list (replacing any value and its TTL) or deletes the destination when the
 *   result is empty; dirty grows by the number of stored items.
 */

import { ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { Value } from '../keyspace/db';
import type { ServerState } from '../state';
import { HashValue } from '../types/hash';
import { ListValue } from '../types/list';
import { SetValue } from '../types/set';
import { ZSetValue } from '../types/zset';
import { addKey, writeSlot } from './string-common';

const ERR_SCORES = "ERR One or more scores can't be converted into double";

/** The part of a string C code sees: up to the first NUL. */
function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A weight as Redis reads it (strtod, then: nothing may follow, no ERANGE, no NaN). null when it
 * cannot be used.
 */
export function strtodWeight(v: string): number | null {
  const s = cstr(v);
  if (s.length === 0) return 0; // strtod converts nothing and stops on the terminator
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  const t = i === 0 ? s : s.slice(i);
  if (INF_RE.test(t)) return t.charCodeAt(0) === 45 ? -Infinity : Infinity;
  let r: number;
  let nonzeroDigits: boolean;
  if (DEC_RE.test(t)) {
    r = Number(t);
    nonzeroDigits = /[1-9]/.test(t.replace(/[eE].*$/, ''));
  } else {
    const m = HEX_RE.exec(t);
    if (m === null) return null;
    const int = m[2]!;
    const frac = m[3] ?? '';
    if (int.length === 0 && frac.length === 0) return null;
    let mant = 0;
    for (const ch of int) mant = mant * 16 + parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of frac) {
      mant += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    r = m[4] === undefined ? mant : mant * Math.pow(2, parseInt(m[4], 10));
    if (m[1] === '-') r = -r;
    nonzeroDigits = mant !== 0;
  }
  if (Number.isNaN(r)) return null;
  if (!Number.isFinite(r)) return null; // overflow: ERANGE
  if (nonzeroDigits && Math.abs(r) < MIN_NORMAL) return null; // underflow: ERANGE
  return r;
}

/**
 * The value a GET/BY pattern names for one element: a string (or number-stored string), or null
 * when the key is missing, of another type, or the pattern names no key.
 */
function lookupByPattern(c: Client, s: ServerState, pattern: string, elem: string): string | number | null {
  const cpat = cstr(pattern);
  if (cpat === '#') return elem;
  const star = cpat.indexOf('*');
  if (star === -1) return null;
  const arrow = cpat.indexOf('->', star + 1);
  const hasField = arrow !== -1 && arrow + 2 < cpat.length;
  const key = pattern.slice(0, star) + elem + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = s.readKey(c, key);
  if (v === undefined) return null;
  if (hasField) {
    if (!(v instanceof HashValue)) return null;
    const f = v.get(pattern.slice(arrow + 2));
    return f === undefined ? null : f;
  }
  return typeof v === 'object' ? null : v;
}

function strOf(v: string | number): string {
  return typeof v === 'string' ? v : String(v);
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  sortBy: string | null;
  dontSort: boolean;
  store: string | null;
  gets: string[];
}

/** Parses argv[2..]; null after replying with the error. */
function parseOptions(c: Client, argv: string[], readonly: boolean): SortOptions | null {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    sortBy: null,
    dontSort: false,
    store: null,
    gets: [],
  };
  for (let j = 2; j < argv.length; j++) {
    const arg = argv[j]!;
    const left = argv.length - j - 1;
    if (is(arg, 'asc')) o.desc = false;
    else if (is(arg, 'desc')) o.desc = true;
    else if (is(arg, 'alpha')) o.alpha = true;
    else if (is(arg, 'limit') && left >= 2) {
      const a = parseInt64(argv[j + 1]!);
      const b = a === null ? null : parseInt64(argv[j + 2]!);
      if (a === null || b === null) {
        c.error(ERR_NOT_INT);
        return null;
      }
      o.limitStart = Number(a);
      o.limitCount = Number(b);
      j += 2;
    } else if (!readonly && is(arg, 'store') && left >= 1) {
      o.store = argv[j + 1]!;
      j++;
    } else if (is(arg, 'by') && left >= 1) {
      o.sortBy = argv[j + 1]!;
      // a pattern without '*' names no per-element key: nothing to sort by
      if (cstr(o.sortBy).indexOf('*') === -1) o.dontSort = true;
      j++;
    } else if (is(arg, 'get') && left >= 1) {
      o.gets.push(argv[j + 1]!);
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  return o;
}

/** Binary (memcmp) order of latin1 strings: JS compares char codes, which are the bytes. */
function cmpBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortGeneric(c: Client, argv: string[], s: ServerState, readonly: boolean): void {
  const o = parseOptions(c, argv, readonly);
  if (o === null) return;
  const v: Value | undefined = s.readKey(c, argv[1]!);
  if (v !== undefined && !(v instanceof SetValue) && !(v instanceof ListValue) && !(v instanceof ZSetValue)) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  let { dontSort, alpha, sortBy } = o;
  const desc = o.desc;
  // a set has no order of its own: make stored results independent of the hash table's order
  if (dontSort && v instanceof SetValue && o.store !== null) {
    dontSort = false;
    alpha = true;
    sortBy = null;
  }
  if (v instanceof ZSetValue) v.listpack = false;

  let vectorLen = v === undefined ? 0 : v instanceof ListValue ? v.length : v.size;
  let start = o.limitStart < 0 ? 0 : o.limitStart;
  let end = o.limitCount < 0 ? vectorLen - 1 : start + o.limitCount - 1;
  if (start >= vectorLen) {
    start = vectorLen - 1;
    end = vectorLen - 2;
  }
  if (end >= vectorLen) end = vectorLen - 1;

  let elems: string[];
  if (v === undefined) {
    elems = [];
  } else if (dontSort && !(v instanceof SetValue)) {
    // lists and sorted sets in their own order: load just the LIMIT range
    const n = end - start + 1;
    elems = n > 0 ? (v instanceof ListValue ? listRange(v, start, n, desc) : zsetRange(v, start, n, desc)) : [];
    end -= start;
    start = 0;
  } else if (v instanceof SetValue) {
    elems = v.members.slice();
  } else if (v instanceof ListValue) {
    elems = v.toArray();
  } else {
    // a sorted set's dict order; only the sort below decides the output
    elems = v.nodes.map((n) => n.member);
  }

  if (!dontSort) {
    const n = elems.length;
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const sign = desc ? -1 : 1;
    if (alpha) {
      const binary = o.store !== null;
      if (sortBy !== null) {
        const keys = new Array<string | null>(n);
        for (let i = 0; i < n; i++) {
          const w = lookupByPattern(c, s, sortBy, elems[i]!);
          keys[i] = w === null ? null : binary ? strOf(w) : cstr(strOf(w));
        }
        order.sort((a, b) => {
          const ka = keys[a]!;
          const kb = keys[b]!;
          let r: number;
          if (ka === null || kb === null) r = ka === kb ? 0 : ka === null ? -1 : 1;
          else r = cmpBinary(ka, kb);
          return sign * r;
        });
      } else {
        const keys = binary ? elems : elems.map(cstr);
        order.sort((a, b) => sign * cmpBinary(keys[a]!, keys[b]!));
      }
    } else {
      const scores = new Float64Array(n);
      let bad = false;
      for (let i = 0; i < n; i++) {
        const w = sortBy !== null ? lookupByPattern(c, s, sortBy, elems[i]!) : elems[i]!;
        if (w === null) continue; // a missing weight is 0
        if (typeof w === 'number') {
          scores[i] = w;
          continue;
        }
        const d = strtodWeight(w);
        if (d === null) bad = true;
        else scores[i] = d;
      }
      if (bad) {
        c.error(ERR_SCORES);
        return;
      }
      order.sort((a, b) => {
        const sa = scores[a]!;
        const sb = scores[b]!;
        const r = sa > sb ? 1 : sa < sb ? -1 : cmpBinary(elems[a]!, elems[b]!);
        return sign * r;
      });
    }
    const sorted = new Array<string>(n);
    for (let i = 0; i < n; i++) sorted[i] = elems[order[i]!]!;
    elems = sorted;
  }

  const count = end - start + 1 > 0 ? end - start + 1 : 0;
  const gets = o.gets;
  const outputLen = gets.length !== 0 ? gets.length * count : count;
  if (o.store === null) {
    c.array(outputLen);
    for (let j = start; j <= end; j++) {
      const e = elems[j]!;
      if (gets.length === 0) c.bulk(e);
      for (const g of gets) {
        const val = lookupByPattern(c, s, g, e);
        if (val === null) c.nil();
        else if (typeof val === 'number') c.bulkNumber(val);
        else c.bulk(val);
      }
    }
    return;
  }
  const items: string[] = [];
  for (let j = start; j <= end; j++) {
    const e = elems[j]!;
    if (gets.length === 0) items.push(e);
    for (const g of gets) {
      const val = lookupByPattern(c, s, g, e);
      items.push(val === null ? '' : strOf(val));
    }
  }
  storeList(c, s, o.store, items);
  c.int(outputLen);
}

/** n elements of a list from index start, walking backwards from the tail end when desc. */
function listRange(l: ListValue, start: number, n: number, desc: boolean): string[] {
  const out: string[] = [];
  const len = l.length;
  if (desc) for (let i = len - start - 1; i >= 0 && out.length < n; i--) out.push(l.at(i));
  else for (let i = start; i < len && out.length < n; i++) out.push(l.at(i));
  return out;
}

/** n members of a sorted set from rank start, from the highest score when desc. */
function zsetRange(z: ZSetValue, start: number, n: number, desc: boolean): string[] {
  const out: string[] = [];
  let node = desc ? z.at(z.size - 1 - start) : z.at(start);
  while (node !== null && out.length < n) {
    out.push(node.member);
    node = desc ? node.prev : node.next[0]!;
  }
  return out;
}

/** STORE: the result as a list replacing dst, or dst deleted when the result is empty. */
function storeList(c: Client, s: ServerState, dst: string, items: string[]): void {
  const db = c.db;
  if (items.length !== 0) {
    const list = ListValue.from(items);
    if (writeSlot(db, dst) === -1) addKey(s, db, dst, list);
    else db.set(dst, list);
    s.keyModified(db, dst);
    s.dirty += items.length;
    s.notify('l', 'sortstore', dst, db.id);
  } else if (db.delete(dst)) {
    s.keyModified(db, dst);
    s.notify('g', 'del', dst, db.id);
    s.dirty++;
  }
}

/**
 * SORT's keys as Redis's sortGetKeys finds them: the sorted key and the last STORE's destination.
 * Keys named by BY/GET patterns depend on the data and are not reported (Redis does not either).
 */
export function sortKeys(argv: string[]): number[] {
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (is(a, 'limit')) i += 2;
    else if (is(a, 'get') || is(a, 'by')) i += 1;
    else if (is(a, 'store') && i + 1 < argv.length) store = i + 1;
  }
  return store === -1 ? [1] : [1, store];
}

const docs = (summary: string, since: string, args: string) => ({
  summary,
  since,
  group: 'generic',
  args,
  complexity:
    'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
});
const categories = ['@set', '@sortedset', '@list', '@dangerous'];

register([
  {
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories,
    getKeys: sortKeys,
    docs: docs(
      'Sort the elements in a list, set or sorted set',
      '1.0.0',
      'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]',
    ),
    handler(c, argv, s) {
      sortGeneric(c, argv, s, false);
    },
  },
  {
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly', 'movablekeys'],
    keys: [1, 1, 1],
    categories,
    docs: docs(
      'Sort the elements in a list, set or sorted set. Read-only variant of SORT.',
      '7.0.0',
      'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]',
    ),
    handler(c, argv, s) {
      sortGeneric(c, argv, s, true);
    },
  },
]);
