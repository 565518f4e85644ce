/*
 * The GEO searches: GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER (and the _RO forms) share
 * one parser and one search, as in Redis, because their options and errors are the same.
 *
 * Why the argument handling is so particular: Redis reads the source key first (so WRONGTYPE wins over
 * most argument errors), then the fixed arguments, then the options left to right replying to the first
 * bad one, and only then checks combinations (STORE with WITH*, FROM/BY missing, ANY without COUNT).
 * A missing source key still parses everything (but does not look the member up) and then answers an
 * empty array, or 0 after deleting the STORE destination. Replies are compared byte for byte against
 * Redis, so that order is kept exactly.
 *
 * The search scans the nine cells types/geohash.ts chooses, in Redis's order, keeping the points in
 * the shape; without ASC/DESC the reply is in that scan order. Sorting with a COUNT smaller than the
 * number of matches uses Redis's partial quicksort (pqsort), which is not stable: points at the same
 * distance come out in the order that algorithm leaves them, so it is reproduced as is.
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import type { ServerState } from '../state';
import {
  cellScoreRange,
  NEAR,
  decodeScore,
  decodeScoreTo,
  distanceExact,
  distanceInShape,
  formatCoord,
  formatDistance,
  near,
  searchAreas,
  toFixedC,
  unitFactor,
  validLonLat,
  type GeoShape,
} from '../types/geohash';
import { ZSetValue } from '../types/zset';
import { addKey } from './string-common';
import { parseScore, readZset, zlimits } from './zset-common';

export const ERR_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
export const ERR_MEMBER = 'ERR could not decode requested zset member';

export const RADIUS_COORDS = 1;
export const RADIUS_MEMBER = 2;
export const RADIUS_NOSTORE = 4;
export const GEOSEARCH = 8;
export const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

/** Redis's error for a position out of range, numbers printed as C's "%f". */
function pairError(lon: number, lat: number): string {
  return `ERR invalid longitude,latitude pair ${toFixedC(lon, 6)},${toFixedC(lat, 6)}`;
}

/** Parses lon and lat at argv[at], replying with Redis's error; null when bad. */
export function parseLonLat(c: Client, argv: string[], at: number): [number, number] | null {
  const lon = parseScore(argv[at]!);
  if (lon === null) {
    c.error('ERR value is not a valid float');
    return null;
  }
  const lat = parseScore(argv[at + 1]!);
  if (lat === null) {
    c.error('ERR value is not a valid float');
    return null;
  }
  if (!validLonLat(lon, lat)) {
    c.error(pairError(lon, lat));
    return null;
  }
  return [lon, lat];
}

/** Meters per unit for a unit argument, replying with the error when unknown. */
export function parseUnit(c: Client, arg: string): number | null {
  const f = unitFactor(arg);
  if (f === null) c.error(ERR_UNIT);
  return f;
}

/** A radius and unit at argv[at]: sets sh.radius and sh.conversion; false after an error. */
function parseRadius(c: Client, argv: string[], at: number, sh: GeoShape): boolean {
  const r = parseScore(argv[at]!);
  if (r === null) {
    c.error('ERR need numeric radius');
    return false;
  }
  if (r < 0) {
    c.error('ERR radius cannot be negative');
    return false;
  }
  const f = parseUnit(c, argv[at + 1]!);
  if (f === null) return false;
  sh.radius = r;
  sh.conversion = f;
  sh.box = false;
  return true;
}

function parseBox(c: Client, argv: string[], at: number, sh: GeoShape): boolean {
  const w = parseScore(argv[at]!);
  if (w === null) {
    c.error('ERR need numeric width');
    return false;
  }
  const h = parseScore(argv[at + 1]!);
  if (h === null) {
    c.error('ERR need numeric height');
    return false;
  }
  if (w < 0 || h < 0) {
    c.error('ERR height or width cannot be negative');
    return false;
  }
  const f = parseUnit(c, argv[at + 2]!);
  if (f === null) return false;
  sh.width = w;
  sh.height = h;
  sh.conversion = f;
  sh.box = true;
  return true;
}

/** The stored position of a member, or null when it is not in the set. */
function memberPosition(z: ZSetValue, member: string): [number, number] | null {
  const score = z.score(member);
  return score === undefined ? null : decodeScore(score);
}

/** One match of a search. */
export interface GeoPoint {
  member: string;
  score: number;
  /** meters until the reply divides it by the unit */
  dist: number;
  /** dist is Redis's value to the bit (computed with the exact functions) */
  exact: boolean;
  lon: number;
  lat: number;
}

/**
 * The points of z inside the shape, in Redis's cell-walk order; stops once `limit` points were found
 * (COUNT ... ANY), 0 for no limit.
 */
export function searchPoints(z: ZSetValue, sh: GeoShape, limit: number): GeoPoint[] {
  const cells = searchAreas(sh);
  const out: GeoPoint[] = [];
  const pos = new Float64Array(2);
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (cell.step === 0 && cell.bits === 0) continue;
    // a huge radius can make neighbours wrap onto the same cell: skip a repeat of the previous one
    if (last !== 0 && cell.bits === cells[last]!.bits && cell.step === cells[last]!.step) continue;
    if (limit !== 0 && out.length >= limit) break;
    const [min, max] = cellScoreRange(cell);
    let n = z.firstInScore({ min, max, minex: false, maxex: true });
    while (n !== null && n.score < max) {
      decodeScoreTo(n.score, pos);
      const lon = pos[0]!;
      const lat = pos[1]!;
      const d = distanceInShape(sh, lon, lat);
      if (d >= 0) out.push({ member: n.member, score: n.score, dist: d, exact: false, lon, lat });
      if (limit !== 0 && out.length >= limit) break;
      n = n.next[0]!;
    }
    last = i;
  }
  return out;
}

type Cmp = (a: GeoPoint, b: GeoPoint) => number;

const asc: Cmp = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const desc: Cmp = (a, b) => (a.dist > b.dist ? -1 : a.dist === b.dist ? 0 : 1);

function swap(v: GeoPoint[], i: number, j: number): void {
  const t = v[i]!;
  v[i] = v[j]!;
  v[j] = t;
}

function med3(v: GeoPoint[], a: number, b: number, c: number, cmp: Cmp): number {
  return cmp(v[a]!, v[b]!) < 0
    ? cmp(v[b]!, v[c]!) < 0
      ? b
      : cmp(v[a]!, v[c]!) < 0
        ? c
        : a
    : cmp(v[b]!, v[c]!) > 0
      ? b
      : cmp(v[a]!, v[c]!) < 0
        ? a
        : c;
}

/**
 * Partial quicksort (Bentley-McIlroy, as the BSD qsort Redis's pqsort derives from): sorts enough of
 * v[lo, lo+n) that positions lrange..rrange hold their sorted elements; parts wholly outside that
 * range are left unsorted.
 */
export function pqsort(v: GeoPoint[], lo: number, n: number, cmp: Cmp, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = lo + 1; pm < lo + n; pm++) for (let pl = pm; pl > lo && cmp(v[pl - 1]!, v[pl]!) > 0; pl--) swap(v, pl, pl - 1);
      return;
    }
    let pm = lo + (n >> 1);
    if (n > 7) {
      let pl = lo;
      let pn = lo + n - 1;
      if (n > 40) {
        const d = n >> 3;
        pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(v, pm - d, pm, pm + d, cmp);
        pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(v, pl, pm, pn, cmp);
    }
    swap(v, lo, pm);
    let pa = lo + 1;
    let pb = pa;
    let pc = lo + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(v[pb]!, v[lo]!)) <= 0) {
        if (r === 0) swap(v, pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc]!, v[lo]!)) >= 0) {
        if (r === 0) swap(v, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(v, pb++, pc--);
    }
    const pn = lo + n;
    let r = Math.min(pa - lo, pb - pa);
    for (let i = 0; i < r; i++) swap(v, lo + i, pb - r + i);
    r = Math.min(pd - pc, pn - pd - 1);
    for (let i = 0; i < r; i++) swap(v, pb + i, pn - r + i);
    r = pb - pa;
    if (r > 1) {
      const l = lo;
      const e = lo + r - 1;
      if (!((lrange < l && rrange < l) || (lrange > e && rrange > e))) pqsort(v, lo, r, cmp, lrange, rrange);
    }
    r = pd - pc;
    if (r <= 1) return;
    lo = pn - r;
    n = r;
    const e = lo + r - 1;
    if ((lrange < lo && rrange < lo) || (lrange > e && rrange > e)) return;
  }
}

/** Parsed options of a search. */
interface SearchArgs {
  storeKey: string | null;
  storeDist: boolean;
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  sort: number;
  any: boolean;
  count: number;
}

/**
 * Every GEO search: srcIdx is the source key's position, flags say which command this is. Replies
 * (and stores) as Redis's georadiusGeneric does.
 */
export function geoSearch(c: Client, argv: string[], s: ServerState, srcIdx: number, flags: number): void {
  const z = readZset(c, s, argv[srcIdx]!);
  if (z === null) return;
  const sh: GeoShape = { lon: 0, lat: 0, conversion: 1, box: false, radius: 0, width: 0, height: 0 };
  const o: SearchArgs = {
    storeKey: null,
    storeDist: false,
    withDist: false,
    withHash: false,
    withCoord: false,
    sort: SORT_NONE,
    any: false,
    count: 0,
  };
  let base: number;
  if ((flags & RADIUS_COORDS) !== 0) {
    base = 6;
    const ll = parseLonLat(c, argv, 2);
    if (ll === null) return;
    sh.lon = ll[0];
    sh.lat = ll[1];
    if (!parseRadius(c, argv, 4, sh)) return;
  } else if ((flags & RADIUS_MEMBER) !== 0) {
    base = 5;
    if (z !== undefined) {
      const pos = memberPosition(z, argv[2]!);
      if (pos === null) {
        c.error(ERR_MEMBER);
        return;
      }
      sh.lon = pos[0];
      sh.lat = pos[1];
      if (!parseRadius(c, argv, 3, sh)) return;
    }
  } else {
    base = 2;
    if ((flags & GEOSEARCHSTORE) !== 0) {
      base = 3;
      o.storeKey = argv[1]!;
    }
  }
  if (!parseOptions(c, argv, base, flags, z, sh, o)) return;

  if (z === undefined) {
    if (o.storeKey !== null) {
      if (s.writeKey(c, o.storeKey) !== undefined) {
        c.db.delete(o.storeKey);
        s.keyModified(c.db, o.storeKey);
        s.notify('g', 'del', o.storeKey, c.db.id);
        s.dirty++;
      }
      c.int(0);
    } else c.array(0);
    return;
  }
  // COUNT means "the nearest N" unless ANY: it implies ascending order
  if (o.count !== 0 && o.sort === SORT_NONE && !o.any) o.sort = SORT_ASC;

  const points = searchPoints(z, sh, o.any ? o.count : 0);
  if (points.length === 0 && o.storeKey === null) {
    c.array(0);
    return;
  }
  const total = points.length;
  const returned = o.count === 0 || total < o.count ? total : o.count;
  if (o.sort !== SORT_NONE) sortPoints(sh, points, returned, o.sort === SORT_ASC ? asc : desc);
  if (o.storeKey === null) reply(c, sh, points, returned, o);
  else store(c, s, sh, points, returned, o.storeKey, o.storeDist, (flags & GEOSEARCH) !== 0);
}

function parseOptions(
  c: Client,
  argv: string[],
  base: number,
  flags: number,
  z: ZSetValue | undefined,
  sh: GeoShape,
  o: SearchArgs,
): boolean {
  const search = (flags & GEOSEARCH) !== 0;
  const canStore = (flags & RADIUS_NOSTORE) === 0 && !search;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[base + i]!;
    if (is(arg, 'withdist')) o.withDist = true;
    else if (is(arg, 'withhash')) o.withHash = true;
    else if (is(arg, 'withcoord')) o.withCoord = true;
    else if (is(arg, 'any')) o.any = true;
    else if (is(arg, 'asc')) o.sort = SORT_ASC;
    else if (is(arg, 'desc')) o.sort = SORT_DESC;
    else if (is(arg, 'count') && i + 1 < remaining) {
      const n = parseInt64(argv[base + i + 1]!);
      if (n === null) {
        c.error(ERR_NOT_INT);
        return false;
      }
      if (n <= 0) {
        c.error('ERR COUNT must be > 0');
        return false;
      }
      o.count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      i++;
    } else if (is(arg, 'store') && i + 1 < remaining && canStore) {
      o.storeKey = argv[base + i + 1]!;
      o.storeDist = false;
      i++;
    } else if (is(arg, 'storedist') && i + 1 < remaining && canStore) {
      o.storeKey = argv[base + i + 1]!;
      o.storeDist = true;
      i++;
    } else if (is(arg, 'storedist') && search && (flags & GEOSEARCHSTORE) !== 0) {
      o.storeDist = true;
    } else if (is(arg, 'frommember') && i + 1 < remaining && search && !fromLoc) {
      if (z !== undefined) {
        const pos = memberPosition(z, argv[base + i + 1]!);
        if (pos === null) {
          c.error(ERR_MEMBER);
          return false;
        }
        sh.lon = pos[0];
        sh.lat = pos[1];
      }
      fromMember = true;
      i++;
    } else if (is(arg, 'fromlonlat') && i + 2 < remaining && search && !fromMember) {
      const ll = parseLonLat(c, argv, base + i + 1);
      if (ll === null) return false;
      sh.lon = ll[0];
      sh.lat = ll[1];
      fromLoc = true;
      i += 2;
    } else if (is(arg, 'byradius') && i + 2 < remaining && search && !byBox) {
      if (!parseRadius(c, argv, base + i + 1, sh)) return false;
      byRadius = true;
      i += 2;
    } else if (is(arg, 'bybox') && i + 3 < remaining && search && !byRadius) {
      if (!parseBox(c, argv, base + i + 1, sh)) return false;
      byBox = true;
      i += 3;
    } else {
      c.error(ERR_SYNTAX);
      return false;
    }
  }
  if (o.storeKey !== null && (o.withDist || o.withHash || o.withCoord)) {
    c.error(
      `ERR ${(flags & GEOSEARCHSTORE) !== 0 ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
    return false;
  }
  if (search && !(fromMember || fromLoc)) {
    c.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]!}`);
    return false;
  }
  if (search && !(byRadius || byBox)) {
    c.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]!}`);
    return false;
  }
  if (o.any && o.count === 0) {
    c.error('ERR the ANY argument requires COUNT argument');
    return false;
  }
  return true;
}

/** The point's distance to the centre as Redis computed it (replacing the fast estimate). */
function exactDist(sh: GeoShape, p: GeoPoint): number {
  if (!p.exact) {
    p.dist = distanceExact(sh.lon, sh.lat, p.lon, p.lat);
    p.exact = true;
  }
  return p.dist;
}

/**
 * Sorts by distance as Redis does (a stable sort, or pqsort when COUNT cuts the list). The fast
 * distances can be an ulp off Redis's, which only matters between two different positions at
 * nearly the same distance (in the sorted part, or across the COUNT cut): then every distance is
 * recomputed exactly and the sort redone from the walk order.
 */
function sortPoints(sh: GeoShape, points: GeoPoint[], returned: number, cmp: Cmp): void {
  const walk = points.slice();
  const total = points.length;
  const run = (): void => {
    if (returned === total) points.sort(cmp);
    else pqsort(points, 0, total, cmp, 0, returned - 1);
  };
  run();
  let suspect = false;
  for (let i = 1; i < returned && !suspect; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (a.score !== b.score && near(a.dist, b.dist)) suspect = true;
  }
  if (!suspect && returned < total) {
    const last = points[returned - 1]!;
    for (let i = returned; i < total && !suspect; i++) {
      const b = points[i]!;
      if (b.score !== last.score && near(last.dist, b.dist)) suspect = true;
    }
  }
  if (!suspect) return;
  for (let i = 0; i < total; i++) {
    points[i] = walk[i]!;
    exactDist(sh, walk[i]!);
  }
  run();
}

/** WITHDIST text: 4 decimals; exact when the fast value is too close to a rounding boundary. */
function distText(sh: GeoShape, p: GeoPoint): string {
  const x = p.dist / sh.conversion;
  if (!p.exact) {
    const r = x * 10000;
    const f = r - Math.floor(r);
    if (Math.abs(f - 0.5) <= r * NEAR * 4 + 1e-6) {
      return formatDistance(exactDist(sh, p) / sh.conversion);
    }
  }
  return formatDistance(x);
}

function reply(c: Client, sh: GeoShape, points: GeoPoint[], returned: number, o: SearchArgs): void {
  const extra = (o.withDist ? 1 : 0) + (o.withHash ? 1 : 0) + (o.withCoord ? 1 : 0);
  c.array(returned);
  for (let i = 0; i < returned; i++) {
    const p = points[i]!;
    if (extra !== 0) c.array(extra + 1);
    c.bulk(p.member);
    if (o.withDist) c.bulk(distText(sh, p));
    if (o.withHash) c.int(p.score);
    if (o.withCoord) {
      c.array(2);
      coord(c, p.lon);
      coord(c, p.lat);
    }
  }
}

/** A coordinate: a bulk string in RESP2, a double in RESP3, in Redis's "human" long double form. */
export function coord(c: Client, x: number): void {
  const t = formatCoord(x);
  if (c.resp === 2) c.bulk(t);
  else c.raw(',' + t + '\r\n');
}

function store(
  c: Client,
  s: ServerState,
  sh: GeoShape,
  points: GeoPoint[],
  returned: number,
  key: string,
  storeDist: boolean,
  search: boolean,
): void {
  const db = c.db;
  if (returned === 0) {
    if (s.writeKey(c, key) !== undefined) {
      db.delete(key);
      s.keyModified(db, key);
      s.notify('g', 'del', key, db.id);
      s.dirty++;
    }
    c.int(0);
    return;
  }
  const entries = points.slice(0, returned).map((p) => ({ m: p.member, v: storeDist ? exactDist(sh, p) / sh.conversion : p.score }));
  entries.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
  const limits = zlimits(s);
  let z: ZSetValue;
  let distinct = true;
  for (let i = 1; i < entries.length; i++) if (entries[i]!.m === entries[i - 1]!.m) distinct = false;
  if (distinct) {
    z = ZSetValue.fromSorted(
      entries.map((e) => e.m),
      entries.map((e) => e.v),
      limits,
    );
  } else {
    z = new ZSetValue();
    for (const e of entries) z.add(e.m, e.v, limits);
  }
  if (s.writeKey(c, key) === undefined) addKey(s, db, key, z);
  else db.set(key, z);
  s.keyModified(db, key);
  s.notify('z', search ? 'geosearchstore' : 'georadiusstore', key, db.id);
  s.dirty += returned;
  c.int(returned);
}
