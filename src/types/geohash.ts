/*
 * Geohash arithmetic for the GEO commands, pure functions only.
 *
 * A geo key is an ordinary sorted set whose scores are 52-bit geohashes: the longitude and latitude
 * are each scaled to a 26-bit cell index (longitude over -180..180, latitude over the Web-Mercator
 * limits -85.05112878..85.05112878) and the two indexes are interleaved, latitude in the even bits and
 * longitude in the odd bits. Scores must match Redis's bit for bit (a dump moved between the two
 * servers keeps working, ZSCORE answers the same), so every floating-point step here is done in the
 * same order and the same precision as Redis does it; changing the order of a multiplication can move
 * a point into the neighbouring cell.
 *
 * Why the bit work is split into two 32-bit words: JS bitwise operators are 32-bit, and a 52-bit value
 * only fits a double. Interleaving 16 bits at a time into each word and combining with a multiply
 * keeps everything exact (and the one rounding Redis does when it turns a 54-bit overflow hash into a
 * double happens identically here).
 *
 * A search covers the centre cell and its eight neighbours at a step (cell size) chosen from the
 * radius, as Redis does; `searchAreas` returns those cells, with the ones that cannot intersect the
 * query's bounding box removed, in Redis's visiting order (the unsorted reply order depends on it).
 */

import { asinCR, cosCR, sinCR } from './geohash-libm';

export const LON_MIN = -180;
export const LON_MAX = 180;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
export const STEP_MAX = 26;
export const EARTH_RADIUS = 6372797.560856;

const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;
const TWO32 = 4294967296;

export function degRad(a: number): number {
  return a * D_R;
}

export function radDeg(a: number): number {
  return a / D_R;
}

/** Spreads the low 16 bits of x over the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/**
 * Interleaves two cell indexes (each < 2^32, normally < 2^26; an index of exactly 2^step comes from
 * a coordinate at the top of its range, as in Redis) into one hash value.
 */
export function interleave(latIdx: number, lonIdx: number): number {
  const lo = (spread16(latIdx) | (spread16(lonIdx) << 1)) >>> 0;
  const hi = (spread16(latIdx >>> 16) | (spread16(lonIdx >>> 16) << 1)) >>> 0;
  return hi * TWO32 + lo;
}

/** The (uint64_t) cast C applies to a score before decoding it, as two 32-bit words [hi, lo]. */
export function scoreToWords(score: number): [number, number] {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.floor(score);
    const hi = Math.floor(t / TWO32);
    return [hi, t - hi * TWO32];
  }
  // Odd scores (negative, huge, infinite) follow x86-64's conversion, as Redis's binary does.
  let b: bigint;
  if (Number.isNaN(score) || score >= 18446744073709551616 || score === Infinity) b = 0n;
  else if (score < -9223372036854775808) b = 0x8000000000000000n;
  else b = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/** Splits a hash (given as a score) into [latIdx, lonIdx]. */
export function deinterleave(score: number): [number, number] {
  const [hi, lo] = scoreToWords(score);
  const lat = compact16(hi) * 65536 + compact16(lo);
  const lon = compact16(hi >>> 1) * 65536 + compact16(lo >>> 1);
  return [lat, lon];
}

/** A cell: its hash bits at a step (2*step bits); step 0 marks a cell dropped from a search. */
export interface GeoCell {
  bits: number;
  step: number;
}

/** The cell indexes of a point at a step, over the given ranges (Redis's geohashEncode). */
function cellIndexes(lon: number, lat: number, step: number, latMin: number, latMax: number): [number, number] {
  let latOff = (lat - latMin) / (latMax - latMin);
  let lonOff = (lon - LON_MIN) / (LON_MAX - LON_MIN);
  const scale = 2 ** step;
  latOff *= scale;
  lonOff *= scale;
  return [latOff >>> 0, lonOff >>> 0];
}

/** The hash of a point at a step over the Mercator ranges (the point must be within them). */
export function encode(lon: number, lat: number, step: number): number {
  const [la, lo] = cellIndexes(lon, lat, step, LAT_MIN, LAT_MAX);
  return interleave(la, lo);
}

/** The 52-bit score GEOADD stores for a point. */
export function geoScore(lon: number, lat: number): number {
  return encode(lon, lat, STEP_MAX);
}

/** True when lon/lat is a position GEOADD accepts. */
export function validLonLat(lon: number, lat: number): boolean {
  return lon >= LON_MIN && lon <= LON_MAX && lat >= LAT_MIN && lat <= LAT_MAX;
}

/** The bounds of a cell: [lonMin, lonMax, latMin, latMax]. */
export interface CellArea {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

function areaOf(latIdx: number, lonIdx: number, step: number): CellArea {
  const latScale = LAT_MAX - LAT_MIN;
  const lonScale = LON_MAX - LON_MIN;
  const div = 2 ** step;
  return {
    latMin: LAT_MIN + (latIdx / div) * latScale,
    latMax: LAT_MIN + ((latIdx + 1) / div) * latScale,
    lonMin: LON_MIN + (lonIdx / div) * lonScale,
    lonMax: LON_MIN + ((lonIdx + 1) / div) * lonScale,
  };
}

/** The area of a cell given by its hash bits at step. */
export function decodeCell(bits: number, step: number): CellArea {
  const [la, lo] = deinterleave(bits);
  return areaOf(la, lo, step);
}

/**
 * The position a score stands for: the centre of its 26-step cell, clamped to the valid ranges.
 * Writes [lon, lat] into out without allocating (searches decode every candidate).
 */
export function decodeScoreTo(score: number, out: Float64Array): void {
  let latIdx: number;
  let lonIdx: number;
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.floor(score);
    const hi = Math.floor(t / TWO32);
    const lo = t - hi * TWO32;
    latIdx = compact16(hi) * 65536 + compact16(lo);
    lonIdx = compact16(hi >>> 1) * 65536 + compact16(lo >>> 1);
  } else {
    [latIdx, lonIdx] = deinterleave(score);
  }
  const div = 67108864; // 2^26
  const lonMin = LON_MIN + (lonIdx / div) * (LON_MAX - LON_MIN);
  const lonMax = LON_MIN + ((lonIdx + 1) / div) * (LON_MAX - LON_MIN);
  const latMin = LAT_MIN + (latIdx / div) * (LAT_MAX - LAT_MIN);
  const latMax = LAT_MIN + ((latIdx + 1) / div) * (LAT_MAX - LAT_MIN);
  let lon = (lonMin + lonMax) / 2;
  if (lon > LON_MAX) lon = LON_MAX;
  if (lon < LON_MIN) lon = LON_MIN;
  let lat = (latMin + latMax) / 2;
  if (lat > LAT_MAX) lat = LAT_MAX;
  if (lat < LAT_MIN) lat = LAT_MIN;
  out[0] = lon;
  out[1] = lat;
}

const scratch = new Float64Array(2);

/** decodeScoreTo returning a fresh [lon, lat]. */
export function decodeScore(score: number): [number, number] {
  decodeScoreTo(score, scratch);
  return [scratch[0]!, scratch[1]!];
}

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * The standard 11-character geohash of a score, as GEOHASH prints it: the stored position re-encoded
 * with the standard latitude range -90..90; only 52 bits exist, so the last character is always '0'.
 */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const [la, lo] = cellIndexes(lon, lat, STEP_MAX, -90, 90);
  const bits = interleave(la, lo);
  let out = '';
  for (let i = 0; i < 10; i++) {
    const shift = 52 - (i + 1) * 5;
    out += BASE32[Math.floor(bits / 2 ** shift) % 32];
  }
  return out + '0';
}

/**
 * Great-circle distance in meters (haversine on Redis's earth radius), with V8's Math functions:
 * fast, and within an ulp or so of Redis's value. Use it where that cannot show.
 */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lat1r = degRad(lat1);
  const lon1r = degRad(lon1);
  const lat2r = degRad(lat2);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  // same meridian: Redis measures along it (and so must we, to the bit)
  if (v === 0) return EARTH_RADIUS * Math.abs(lat2r - lat1r);
  const u = Math.sin((lat2r - lat1r) / 2);
  return 2.0 * EARTH_RADIUS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/** The same distance with correctly rounded sin/cos/asin: Redis's value to the bit (almost always). */
export function distanceExact(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lat1r = degRad(lat1);
  const lon1r = degRad(lon1);
  const lat2r = degRad(lat2);
  const lon2r = degRad(lon2);
  const v = sinCR((lon2r - lon1r) / 2);
  // same meridian: Redis measures along it (and so must we, to the bit)
  if (v === 0) return EARTH_RADIUS * Math.abs(lat2r - lat1r);
  const u = sinCR((lat2r - lat1r) / 2);
  return 2.0 * EARTH_RADIUS * asinCR(Math.sqrt(u * u + cosCR(lat1r) * cosCR(lat2r) * v * v));
}

/**
 * How far (relative) the fast distance may be from the exact one. The haversine's asin is badly
 * conditioned near antipodes, so this is generous; only values this close to a decision point pay
 * for the exact computation.
 */
export const NEAR = 1e-7;

/** True when a and b are close enough that the fast distance cannot tell which is larger. */
export function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= NEAR * Math.max(Math.abs(a), Math.abs(b)) + 1e-9;
}

/** Meters per unit for m, km, ft, mi (any case); null for anything else. */
export function unitFactor(unit: string): number | null {
  switch (unit.toLowerCase()) {
    case 'm':
      return 1;
    case 'km':
      return 1000;
    case 'ft':
      return 0.3048;
    case 'mi':
      return 1609.34;
    default:
      return null;
  }
}

/** A search shape: centre, and a radius or a box (in the unit given by `conversion` meters). */
export interface GeoShape {
  lon: number;
  lat: number;
  /** meters per unit */
  conversion: number;
  box: boolean;
  radius: number;
  width: number;
  height: number;
}

/**
 * Whether a point lies in the shape; returns its distance to the centre in meters, or -1 when it is
 * outside. A box is measured as Redis does: east-west along the point's latitude, north-south along
 * its longitude, each against half the box's size.
 */
export function distanceInShape(sh: GeoShape, lon: number, lat: number): number {
  if (!sh.box) {
    const d = distance(sh.lon, sh.lat, lon, lat);
    const limit = sh.radius * sh.conversion;
    if (near(d, limit)) return distanceExact(sh.lon, sh.lat, lon, lat) > limit ? -1 : d;
    return d > limit ? -1 : d;
  }
  const halfW = (sh.width * sh.conversion) / 2;
  let lonDist = distance(lon, lat, sh.lon, lat);
  if (near(lonDist, halfW)) lonDist = distanceExact(lon, lat, sh.lon, lat);
  if (lonDist > halfW) return -1;
  const halfH = (sh.height * sh.conversion) / 2;
  let latDist = distance(lon, lat, lon, sh.lat);
  if (near(latDist, halfH)) latDist = distanceExact(lon, lat, lon, sh.lat);
  if (latDist > halfH) return -1;
  return distance(sh.lon, sh.lat, lon, lat);
}

/** The step (cell size) whose cells are about as large as the radius, coarser near the poles. */
export function estimateStep(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return STEP_MAX;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > STEP_MAX) step = STEP_MAX;
  return step;
}

/** The bounding box of a shape in degrees: [lonMin, latMin, lonMax, latMax]. */
export function boundingBox(sh: GeoShape): [number, number, number, number] {
  const height = sh.conversion * (sh.box ? sh.height / 2 : sh.radius);
  const width = sh.conversion * (sh.box ? sh.width / 2 : sh.radius);
  const latDelta = radDeg(height / EARTH_RADIUS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS / Math.cos(degRad(sh.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS / Math.cos(degRad(sh.lat - latDelta)));
  // the wider edge of the box is the one nearer the equator
  const south = sh.lat < 0;
  return [
    south ? sh.lon - lonDeltaBottom : sh.lon - lonDeltaTop,
    sh.lat - latDelta,
    south ? sh.lon + lonDeltaBottom : sh.lon + lonDeltaTop,
    sh.lat + latDelta,
  ];
}

/** Cell index moved by d (±1) with wrap-around at the step; the other index is left as is. */
function wrap(idx: number, d: number, step: number): number {
  const n = 2 ** step;
  return (((idx + d) % n) + n) % n;
}

/** The centre cell and its neighbours in Redis's order: centre, N, S, E, W, NE, NW, SE, SW. */
export function neighbors(bits: number, step: number): GeoCell[] {
  const [la, lo] = deinterleave(bits);
  const cell = (dLon: number, dLat: number): GeoCell => ({
    bits: interleave(dLat === 0 ? la : wrap(la, dLat, step), dLon === 0 ? lo : wrap(lo, dLon, step)),
    step,
  });
  return [
    { bits, step },
    cell(0, 1),
    cell(0, -1),
    cell(1, 0),
    cell(-1, 0),
    cell(1, 1),
    cell(-1, 1),
    cell(1, -1),
    cell(-1, -1),
  ];
}

/**
 * The cells a search must scan, in visiting order; dropped cells have step 0. The step is estimated
 * from the radius (for a box, its half diagonal); when a neighbour does not reach the edge of the
 * bounding box the step is made one coarser; then neighbours wholly outside the box are dropped.
 */
export function searchAreas(sh: GeoShape): GeoCell[] {
  const radiusMeters = sh.box
    ? Math.sqrt(((sh.width * sh.conversion) / 2) ** 2 + ((sh.height * sh.conversion) / 2) ** 2)
    : sh.radius * sh.conversion;
  const [minLon, minLat, maxLon, maxLat] = boundingBox(sh);
  let step = estimateStep(radiusMeters, sh.lat);
  let cells = neighbors(encode(sh.lon, sh.lat, step), step);
  const north = decodeCell(cells[1]!.bits, step);
  const south = decodeCell(cells[2]!.bits, step);
  const east = decodeCell(cells[3]!.bits, step);
  const west = decodeCell(cells[4]!.bits, step);
  if (
    step > 1 &&
    (north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon)
  ) {
    step--;
    cells = neighbors(encode(sh.lon, sh.lat, step), step);
  }
  if (step >= 2) {
    const area = decodeCell(cells[0]!.bits, step);
    const drop = (...idx: number[]): void => {
      for (const i of idx) cells[i] = { bits: 0, step: 0 };
    };
    if (area.latMin < minLat) drop(2, 7, 8);
    if (area.latMax > maxLat) drop(1, 5, 6);
    if (area.lonMin < minLon) drop(4, 8, 6);
    if (area.lonMax > maxLon) drop(3, 7, 5);
  }
  return cells;
}

/** The score interval [min, max) of the points inside a cell. */
export function cellScoreRange(cell: GeoCell): [number, number] {
  const shift = 2 ** (52 - cell.step * 2);
  return [cell.bits * shift, (cell.bits + 1) * shift];
}

/**
 * A double printed with `digits` decimals, as C's printf("%.Nf") does: the exact binary value
 * rounded half to even (JS's toFixed rounds exact ties away from zero, and is exponential past 1e21).
 */
export function toFixedC(x: number, digits: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a >= 1e21) {
    const int = BigInt(a).toString();
    return (neg ? '-' : '') + int + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  }
  let s = a.toFixed(digits);
  // An exact tie: the value ends exactly one binary digit past the decimal precision's reach
  // (its last set bit is worth 5 in the next decimal place).
  const scaled = a * 10 ** digits;
  if (scaled - Math.floor(scaled) === 0.5 && Number.isInteger(a * 2 ** (digits + 1))) {
    const exact = a.toFixed(digits + 1);
    if (exact.endsWith('5')) {
      const down = exact.slice(0, -1).replace(/\.$/, '');
      const last = down.charCodeAt(down.length - 1) - 48;
      if (last % 2 === 0) s = down;
    }
  }
  return (neg ? '-' : '') + s;
}

/** A coordinate as Redis prints it: 17 decimals (long double), trailing zeros and point removed. */
export function formatCoord(x: number): string {
  let s = toFixedC(x, 17);
  if (s.indexOf('.') !== -1) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s === '-0' ? '0' : s;
}

/** A distance as Redis prints it: four decimals. */
export function formatDistance(d: number): string {
  return toFixedC(d, 4);
}
