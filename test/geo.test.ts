/*
 * GEO: the geohash arithmetic against values taken from Redis 7.0 (scores of GEOADD, GEOPOS and
 * GEOHASH outputs, distances), then the commands against the oracle byte for byte in RESP2 and RESP3
 * (errors in Redis's order of checks, unsorted search replies in Redis's cell-walk order, STORE
 * results, encodings and digests of stored keys, keyspace events), and real clients.
 * The seeded randomized run is in geo-random.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { pqsort, type GeoPoint } from '../src/commands/geo-search';
import {
  decodeScore,
  distance,
  estimateStep,
  formatCoord,
  formatDistance,
  geohashString,
  geoScore,
  neighbors,
  toFixedC,
  unitFactor,
} from '../src/types/geohash';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { useDifferential, useServer } from './helpers/setup';

describe('geohash arithmetic (values from Redis 7.0)', () => {
  it('encodes positions to the scores GEOADD stores', () => {
    expect(geoScore(13.361389, 38.115556)).toBe(3479099956230698);
    expect(geoScore(15.087269, 37.502669)).toBe(3479447370796909);
    // the top of each range overflows into bit 52/53, as in Redis
    expect(geoScore(180, 85.05112878)).toBe(13510798882111488);
    expect(geoScore(-180, -85.05112878)).toBe(0);
    expect(geoScore(180, 0)).toBe(10133099161583616);
    expect(geoScore(0, 85.05112878)).toBe(6755399441055744);
  });

  it('decodes scores to cell centres and prints them as GEOPOS does', () => {
    const show = (s: number) => decodeScore(s).map(formatCoord);
    expect(show(3479099956230698)).toEqual(['13.36138933897018433', '38.11555639549629859']);
    expect(show(3479447370796909)).toEqual(['15.08726745843887329', '37.50266842333162032']);
    expect(show(13510798882111488)).toEqual(['180', '85.0511287799999991']);
    expect(show(0)).toEqual(['-179.99999731779098511', '-85.05112751263942528']);
    expect(show(10133099161583616)).toEqual(['180', '0.00000126736058093']);
    // scores ZADD can put there: cast to uint64 as x86-64 does
    expect(show(-1)).toEqual(['180', '85.0511287799999991']);
    expect(show(1.5)).toEqual(['-179.99999731779098511', '-85.05112497791824921']);
    expect(show(1e20)).toEqual(['-179.99999731779098511', '-85.05112751263942528']);
    expect(show(-1e20)).toEqual(['180', '-85.05112751263942528']);
    expect(show(Infinity)).toEqual(['-179.99999731779098511', '-85.05112751263942528']);
    expect(show(-Infinity)).toEqual(['180', '-85.05112751263942528']);
  });

  it('gives the standard 11-character geohash', () => {
    expect(geohashString(3479099956230698)).toBe('sqc8b49rny0');
    expect(geohashString(3479447370796909)).toBe('sqdtr74hyu0');
    expect(geohashString(13510798882111488)).toBe('bp05b5048p0');
    expect(geohashString(0)).toBe('00bh0hbj200');
    expect(geohashString(10133099161583616)).toBe('80000000000');
    expect(geohashString(6755399441055744)).toBe('up05b5048p0');
    expect(geohashString(1.5)).toBe('00bh0hbj210');
  });

  it('measures distances as GEODIST', () => {
    const [a, b] = decodeScore(3479099956230698);
    const [c, d] = decodeScore(3479447370796909);
    expect(formatDistance(distance(a, b, c, d))).toBe('166274.1516');
    expect(formatDistance(distance(a, b, c, d) / unitFactor('KM')!)).toBe('166.2742');
    expect(unitFactor('Mi')).toBe(1609.34);
    expect(unitFactor('ft')).toBe(0.3048);
    expect(unitFactor('yd')).toBeNull();
  });

  it('prints fixed decimals as C printf (ties to even, no exponent)', () => {
    expect(toFixedC(0.03125, 4)).toBe('0.0312');
    expect(toFixedC(0.09375, 4)).toBe('0.0938');
    expect(toFixedC(2.5, 0)).toBe('2');
    expect(toFixedC(200, 6)).toBe('200.000000');
    expect(toFixedC(-Infinity, 6)).toBe('-inf');
    expect(toFixedC(1e22, 1)).toBe('10000000000000000000000.0');
    expect(formatCoord(-1e-20)).toBe('0');
  });

  it('estimates the step from the radius and wraps neighbours around', () => {
    expect(estimateStep(0, 0)).toBe(26);
    expect(estimateStep(1000, 0)).toBe(14);
    expect(estimateStep(1000, 70)).toBe(13);
    expect(estimateStep(1000, -85)).toBe(12);
    expect(estimateStep(1e9, 0)).toBe(1);
    // at step 1 there are two cells per axis: east and west are the same cell
    const n = neighbors(0, 1);
    expect(n[3]).toEqual(n[4]);
    expect(n[1]).toEqual(n[2]);
  });

  it('pqsort puts the first k in order and keeps the multiset', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rnd() * 120);
      const k = 1 + Math.floor(rnd() * n);
      const pts: GeoPoint[] = [];
      for (let i = 0; i < n; i++) pts.push({ member: `m${i}`, score: i, dist: Math.floor(rnd() * 30), exact: false, lon: 0, lat: 0 });
      const sorted = pts.map((p) => p.dist).sort((a, b) => a - b);
      pqsort(pts, 0, n, (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1), 0, k - 1);
      expect(pts.slice(0, k).map((p) => p.dist)).toEqual(sorted.slice(0, k));
      expect(new Set(pts.map((p) => p.member)).size).toBe(n);
    }
  });
});

const SICILY = ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'];

const FIXED: string[][] = [
  SICILY,
  ['ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'],
  ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo'],
  ['GEOADD', 'Sicily', 'CH', '13.361390', '38.115556', 'Palermo', '1', '1', 'new'],
  ['GEOADD', 'Sicily', 'XX', 'CH', '13.361389', '38.115556', 'Palermo', '2', '2', 'absent'],
  ['GEOADD', 'Sicily', 'NX', '0', '0', 'Palermo', '3', '3', 'other'],
  ['GEOADD', 'Sicily', 'XX', 'NX', '1', '2', 'a'],
  ['GEOADD', 'Sicily', 'GT', '1', '2', 'a'],
  ['GEOADD', 'Sicily', '1', '2', 'a', '3'],
  ['GEOADD', 'Sicily', 'ch', 'ch', 'nx', '1', '2'],
  ['GEOADD', 'Sicily', '200', '1', 'x'],
  ['GEOADD', 'Sicily', '1', '85.06', 'x'],
  ['GEOADD', 'Sicily', '1', '-85.06', 'x'],
  ['GEOADD', 'Sicily', 'abc', '1', 'x'],
  ['GEOADD', 'Sicily', '1', ' 1', 'x'],
  ['GEOADD', 'Sicily', '1e300', '1', 'x'],
  ['GEOADD', 'Sicily', '-inf', '1', 'x'],
  ['GEOADD', 'Sicily', '1', 'nan', 'x'],
  ['GEOADD', 'Sicily', '-0.0000001', '1', 'x'],
  ['GEOADD', 'edges', '180', '85.05112878', 'a', '-180', '-85.05112878', 'b', '180', '0', 'c', '0', '85.05112878', 'd', '0', '0', 'o'],
  ['ZRANGE', 'edges', '0', '-1', 'WITHSCORES'],
  ['GEOPOS', 'edges', 'a', 'b', 'c', 'd', 'o', 'nope'],
  ['GEOHASH', 'edges', 'a', 'b', 'c', 'd', 'o', 'nope'],
  ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'nope'],
  ['GEOPOS', 'nokey', 'a', 'b'],
  ['GEOPOS', 'nokey'],
  ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope'],
  ['GEOHASH', 'nokey', 'a'],
  ['GEOHASH', 'Sicily'],
  ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
  ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
  ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'],
  ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'Ft'],
  ['GEODIST', 'Sicily', 'Palermo', 'Palermo'],
  ['GEODIST', 'Sicily', 'Palermo', 'nope'],
  ['GEODIST', 'nokey', 'a', 'b'],
  ['GEODIST', 'nokey', 'a', 'b', 'xx'],
  ['GEODIST', 'Sicily', 'a', 'b', 'km', 'x'],
  ['ZADD', 'odd', '-1', 'n1', '1.5', 'n2', '1e20', 'n3', '-1e20', 'n4', 'inf', 'n5', '-inf', 'n6', '9.3e18', 'n7'],
  ['GEOPOS', 'odd', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'],
  ['GEOHASH', 'odd', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'],
  ['GEODIST', 'odd', 'n1', 'n4'],
  // searches
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'ASC'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'DESC', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'COUNT', '1'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'COUNT', '2', 'DESC'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '1', 'ANY'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'COUNT', '99999999999999999999'],
  ['GEORADIUS_RO', 'Sicily', '15', '37', '500', 'mi', 'WITHHASH'],
  ['GEORADIUS', 'Sicily', '15', '37', '0', 'km'],
  ['GEORADIUS', 'Sicily', '15', '37', '1', 'm'],
  ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'WITHDIST'],
  ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '0', 'km', 'WITHDIST'],
  ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '100000', 'ft', 'WITHCOORD', 'ASC'],
  ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHCOORD', 'WITHDIST'],
  ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
  ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '300', '100', 'km', 'DESC', 'WITHDIST'],
  ['GEOSEARCH', 'Sicily', 'BYBOX', '300', '100', 'km', 'FROMMEMBER', 'Palermo'],
  ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '20000', 'km'],
  ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '0', '85', 'BYRADIUS', '20000', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '-179', '-80', 'BYBOX', '50000', '50000', 'km', 'WITHDIST'],
  ['GEOSEARCH', 'edges', 'FROMLONLAT', '180', '85.05112878', 'BYRADIUS', '5000', 'km', 'WITHDIST', 'WITHCOORD'],
  ['GEOSEARCH', 'edges', 'FROMLONLAT', '0', '0', 'BYBOX', '0', '0', 'm', 'WITHDIST', 'WITHCOORD'],
  ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
  ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
  ['OBJECT', 'ENCODING', 'dst'],
  ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST', 'COUNT', '1'],
  ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
  ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
  ['EXISTS', 'dst'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd2'],
  ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
  ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'd2', 'ASC', 'COUNT', '2'],
  ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
  ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'STORE', 'd3', 'STOREDIST', 'd4'],
  ['EXISTS', 'd3', 'd4'],
  ['ZRANGE', 'd4', '0', '-1', 'WITHSCORES'],
  ['GEORADIUSBYMEMBER', 'nokey', 'x', '200', 'km', 'STORE', 'd4'],
  ['EXISTS', 'd4'],
  ['SET', 'str', 'x'],
  ['GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'str'],
  ['EXISTS', 'str'],
  // argument errors, in Redis's order
  ['GEORADIUS', 'Sicily', '15', '37', 'abc', 'km'],
  ['GEORADIUS', 'Sicily', '15', '37', '-1', 'km'],
  ['GEORADIUS', 'Sicily', '15', '37', '-1', 'kx'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'kx'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'count', '0'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'count', '-1'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'count', 'abc'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'count'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'any'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'store'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'store', 'x', 'withdist'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'withhash', 'storedist', 'x'],
  ['GEORADIUS_RO', 'Sicily', '15', '37', '100', 'km', 'store', 'x'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'bogus'],
  ['GEORADIUS', 'Sicily', '15', '37', '100', 'km', 'frommember', 'Palermo'],
  ['GEORADIUSBYMEMBER', 'Sicily', 'nosuch', '100', 'km'],
  ['GEORADIUSBYMEMBER', 'Sicily', 'nosuch', 'abc', 'km'],
  ['GEORADIUSBYMEMBER', 'nokey', 'nosuch', '100', 'km'],
  ['GEORADIUSBYMEMBER', 'nokey', 'nosuch', 'abc', 'km'],
  ['GEORADIUSBYMEMBER', 'nokey', 'nosuch', 'abc', 'km', 'bogus'],
  ['GEORADIUS', 'nokey', '15', '37', 'abc', 'km'],
  ['GEORADIUS', 'nokey', '200', '37', '1', 'km'],
  ['GEORADIUS', 'nokey', '20', '37', '1', 'km', 'any'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'withdist', 'asc'],
  ['GEOSEARCH', 'Sicily', 'byradius', '10', 'km', 'asc'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'byradius', '10', 'km', 'fromlonlat', '1', '2'],
  ['GEOSEARCH', 'Sicily', 'fromlonlat', '1', '2', 'frommember', 'Palermo', 'byradius', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'byradius', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', 'abc', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', 'abc', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '-1', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '-1', '10', 'kk'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '-1', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'kk'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'nosuch', 'bybox', '10', '10', 'km'],
  ['GEOSEARCH', 'nokey', 'frommember', 'nosuch', 'bybox', '10', '10', 'km'],
  ['GEOSEARCH', 'nokey', 'frommember', 'nosuch', 'bybox', '10', '10', 'km', 'withdist'],
  ['GEOSEARCH', 'nokey', 'frommember', 'nosuch', 'bybox', '10', '10', 'km', 'store', 'x'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'store', 'x'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'storedist'],
  ['GEOSEARCHSTORE', 'd', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'withdist'],
  ['GEOSEARCHSTORE', 'd', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'storedist'],
  ['GEOSEARCHSTORE', 'd', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'store', 'x'],
  ['GEOSEARCHSTORE', 'd', 'nokey', 'frommember', 'Palermo', 'bybox', '10', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'count', '1', 'any'],
  ['GEOSEARCH', 'Sicily', 'frommember', 'Palermo', 'bybox', '10', '10', 'km', 'any'],
  ['GEOSEARCH', 'Sicily', 'fromlonlat', '200', '2', 'bybox', '10', '10', 'km'],
  ['GEOSEARCH', 'Sicily', 'fromlonlat', '2', 'bybox', '10', '10', 'km'],
  ['GEOSEARCH', 'str', 'frommember', 'a', 'byradius', '1', 'km'],
  ['GEOSEARCH', 'str', 'frommember', 'a', 'byradius', '1', 'kk'],
  ['GEORADIUS', 'str', '1', '2', '3', 'kk'],
  ['GEORADIUSBYMEMBER', 'str', 'a', '1', 'kx'],
  ['GEOSEARCHSTORE', 'd', 'str', 'frommember', 'a', 'byradius', '1', 'km'],
  ['GEOADD', 'str', '1', '2', 'a'],
  ['GEOADD', 'str', '1', '2000', 'a'],
  ['GEOPOS', 'str', 'a'],
  ['GEOHASH', 'str', 'a'],
  ['GEODIST', 'str', 'a', 'b'],
  ['GEODIST', 'str', 'a', 'b', 'kk'],
];

describe.skipIf(!oracleAvailable)('GEO commands vs Redis', () => {
  const d = useDifferential();

  for (const resp of [2, 3]) {
    it(`fixed cases, RESP${resp}`, async () => {
      await d.pair.ours.call('HELLO', String(resp));
      await d.pair.theirs.call('HELLO', String(resp));
      try {
        await expectSame(d.pair, FIXED);
      } finally {
        await d.pair.ours.call('HELLO', '2');
        await d.pair.theirs.call('HELLO', '2');
      }
    });
  }

  it('stored results: encodings, digests and TTL dropped', async () => {
    const add = ['GEOADD', 'pts'];
    for (let i = 0; i < 200; i++) add.push(String((i % 20) * 0.01), String(Math.floor(i / 20) * 0.01), `p${i}`);
    await expectSame(d.pair, [
      add,
      ['OBJECT', 'ENCODING', 'pts'],
      ['SET', 'dst', 'v', 'EX', '100'],
      ['GEOSEARCHSTORE', 'dst', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '3', 'km'],
      ['TTL', 'dst'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['DEBUG', 'DIGEST-VALUE', 'dst'],
      ['GEOSEARCHSTORE', 'dst', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '3', 'km', 'COUNT', '5', 'STOREDIST'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYBOX', '3', '2', 'km', 'STOREDIST'],
      ['DEBUG', 'DIGEST-VALUE', 'dst'],
      ['GEOSEARCH', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYBOX', '3', '2', 'km'],
      ['GEOSEARCH', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '5', 'km', 'COUNT', '7', 'ANY'],
      ['GEOSEARCH', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '5', 'km', 'COUNT', '7', 'ANY', 'DESC'],
      ['GEOSEARCH', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '5', 'km', 'COUNT', '30', 'WITHDIST'],
      ['GEOSEARCH', 'pts', 'FROMLONLAT', '0.05', '0.05', 'BYRADIUS', '5', 'km', 'COUNT', '30', 'DESC', 'WITHDIST'],
      ['GEORADIUS', 'pts', '0.05', '0.05', '5', 'km', 'COUNT', '150', 'DESC'],
      // not INFO keyspace: Redis's avg_ttl estimate lags until its next expire cycle
      ['DBSIZE'],
      ['PTTL', 'dst'],
    ]);
  });

  it('ties in distance with COUNT follow Redis partial quicksort', async () => {
    const add = ['GEOADD', 'same'];
    // many members at a handful of identical positions
    for (let i = 0; i < 120; i++) add.push(String((i % 3) * 0.001), '0', `m${String(i).padStart(3, '0')}`);
    const cmds: string[][] = [add];
    for (const n of ['1', '2', '5', '7', '8', '20', '41', '60', '119', '120', '200']) {
      cmds.push(['GEOSEARCH', 'same', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'COUNT', n]);
      cmds.push(['GEOSEARCH', 'same', 'FROMLONLAT', '0.001', '0', 'BYRADIUS', '1', 'km', 'COUNT', n, 'DESC']);
    }
    await expectSame(d.pair, cmds);
  });

  it('keyspace events of GEOADD and the STORE forms', async () => {
    const subOurs = await d.pair.ours.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subTheirs = await d.pair.theirs.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    expect(subOurs).toBe(subTheirs);
    const listenOurs = await RawSession.connect(d.srv.port);
    const listenTheirs = await RawSession.connect(d.oracle.port);
    try {
      await listenOurs.call('PSUBSCRIBE', '__keyevent@0__:*');
      await listenTheirs.call('PSUBSCRIBE', '__keyevent@0__:*');
      const cmds = [
        SICILY,
        ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'a'],
        ['GEOSEARCHSTORE', 'b', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
        ['GEOSEARCHSTORE', 'b', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
        ['GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'a'],
        ['PING'],
      ];
      await expectSame(d.pair, cmds);
      const read = async (s: RawSession) => {
        const out: string[] = [];
        for (;;) {
          const m = await s.readReply();
          out.push(m);
          if (m.includes('ping')) break;
          if (out.length > 20) break;
        }
        return out;
      };
      await d.pair.ours.call('SET', 'ping', '1');
      await d.pair.theirs.call('SET', 'ping', '1');
      expect(await read(listenOurs)).toEqual(await read(listenTheirs));
    } finally {
      listenOurs.close();
      listenTheirs.close();
      await d.pair.ours.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      await d.pair.theirs.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  it('distances equal Redis to the bit (STOREDIST exposes all 17 digits)', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const add = ['GEOADD', 'ex', '12.5', '41.9', 'centre'];
    const meridian = ['GEOADD', 'mer', '12.5', '41.9', 'centre'];
    for (let i = 0; i < 400; i++) {
      add.push(String(rnd() * 360 - 180), String(rnd() * 170 - 85), `p${i}`);
      meridian.push('12.5', String(rnd() * 170 - 85), `q${i}`);
    }
    const dists = async (key: string) => {
      const cmd = ['GEOSEARCHSTORE', 'dst', key, 'FROMMEMBER', 'centre', 'BYRADIUS', '30000', 'km', 'STOREDIST'];
      const ours = await d.pair.ours.call(...cmd);
      const theirs = await d.pair.theirs.call(...cmd);
      expect(ours).toBe(theirs);
      const read = async (raw: RawSession) => {
        const text = await raw.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES');
        const parts = text.split('\r\n').filter((x) => x !== '' && !x.startsWith('$') && !x.startsWith('*'));
        const m = new Map<string, number>();
        for (let i = 0; i < parts.length; i += 2) m.set(parts[i]!, Number(parts[i + 1]!));
        return m;
      };
      return [await read(d.pair.ours), await read(d.pair.theirs)] as const;
    };
    await expectSame(d.pair, [add, meridian]);
    const [a, b] = await dists('ex');
    expect(a.size).toBe(401);
    let differ = 0;
    for (const [m, v] of b) {
      const w = a.get(m)!;
      if (w !== v) differ++;
      expect(Math.abs(w - v)).toBeLessThanOrEqual(Math.abs(v) * 4e-16);
    }
    // glibc misrounds about one sin/cos/asin in a thousand; correctly rounded functions match the rest
    expect(differ).toBeLessThanOrEqual(8);
    const [c, e] = await dists('mer');
    expect([...c.entries()].sort()).toEqual([...e.entries()].sort());
    const cmds: string[][] = [];
    for (let i = 0; i < 200; i++) cmds.push(['GEODIST', 'ex', `p${i}`, `p${i + 1}`, ['m', 'km', 'mi', 'ft'][i % 4]!]);
    await expectSame(d.pair, cmds);
  });

  it('COMMAND INFO and GETKEYS as Redis', async () => {
    const cmds: string[][] = [];
    for (const name of ['geoadd', 'geodist', 'geohash', 'geopos', 'geosearch', 'geosearchstore', 'georadius', 'georadius_ro', 'georadiusbymember', 'georadiusbymember_ro']) {
      cmds.push(['COMMAND', 'GETKEYS', name, ...(name.startsWith('geosearchstore') ? ['d', 's'] : ['k']), '1', '2', '3', 'm', 'x', 'y', 'z']);
    }
    cmds.push(['COMMAND', 'GETKEYS', 'georadius', 'k', '1', '2', '3', 'm', 'store', 'a', 'storedist', 'b']);
    cmds.push(['COMMAND', 'GETKEYS', 'georadiusbymember', 'k', 'x', '3', 'm', 'STOREDIST', 'b']);
    await expectSame(d.pair, cmds);
  });
});

describe('GEO with real clients', () => {
  const t = useServer();

  it('ioredis: add, search, positions', async () => {
    expect(await t.r.geoadd('Sicily', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania')).toBe(2);
    expect(await t.r.geodist('Sicily', 'Palermo', 'Catania', 'KM')).toBe('166.2742');
    expect(await t.r.geopos('Sicily', 'Palermo', 'x')).toEqual([['13.36138933897018433', '38.11555639549629859'], null]);
    expect(await t.r.geosearch('Sicily', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC', 'WITHDIST')).toEqual([
      ['Catania', '56.4413'],
      ['Palermo', '190.4424'],
    ]);
    expect(await t.r.type('Sicily')).toBe('zset');
    expect(await t.r.zscore('Sicily', 'Palermo')).toBe('3479099956230698');
  });
});
