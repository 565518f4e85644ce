/*
 * GEO commands: GEOADD GEODIST GEOHASH GEOPOS here, the searches in geo-search.ts. A geo key is a
 * plain sorted set (types/zset.ts) whose scores are the 52-bit geohashes of types/geohash.ts.
 *
 * GEOADD is ZADD in disguise, as in Redis: it parses its own options (NX XX CH) and every position
 * first (so a bad position is reported before WRONGTYPE), then hands a rewritten argument vector to
 * the ZADD handler, which gives the exact replies, errors, events ('zadd') and dirty counts. The
 * handler is looked up at call time because module load order is not fixed.
 */

import { ERR_SYNTAX, is } from '../args';
import type { Client } from '../client';
import { commandTable, register } from '../command';
import type { ServerState } from '../state';
import { decodeScore, distanceExact, formatDistance, geohashString, geoScore } from '../types/geohash';
import {
  GEOSEARCH,
  GEOSEARCHSTORE,
  RADIUS_COORDS,
  RADIUS_MEMBER,
  RADIUS_NOSTORE,
  coord,
  geoSearch,
  parseLonLat,
  parseUnit,
} from './geo-search';
import { readZset } from './zset-common';

function geoadd(c: Client, argv: string[], s: ServerState): void {
  let at = 2;
  let nx = false;
  let xx = false;
  for (; at < argv.length; at++) {
    const opt = argv[at]!;
    if (is(opt, 'nx')) nx = true;
    else if (is(opt, 'xx')) xx = true;
    else if (!is(opt, 'ch')) break;
  }
  if ((argv.length - at) % 3 !== 0 || (nx && xx)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const zargv = argv.slice(0, at);
  zargv[0] = 'zadd';
  for (let i = at; i < argv.length; i += 3) {
    const ll = parseLonLat(c, argv, i);
    if (ll === null) return;
    zargv.push(String(geoScore(ll[0], ll[1])), argv[i + 2]!);
  }
  commandTable.get('zadd')!.handler(c, zargv, s);
}

function geodist(c: Client, argv: string[], s: ServerState): void {
  let toMeter = 1;
  if (argv.length === 5) {
    const f = parseUnit(c, argv[4]!);
    if (f === null) return;
    toMeter = f;
  } else if (argv.length > 5) {
    c.error(ERR_SYNTAX);
    return;
  }
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  const s1 = z === undefined ? undefined : z.score(argv[2]!);
  const s2 = z === undefined ? undefined : z.score(argv[3]!);
  if (s1 === undefined || s2 === undefined) {
    c.nil();
    return;
  }
  const [lon1, lat1] = decodeScore(s1);
  const [lon2, lat2] = decodeScore(s2);
  c.bulk(formatDistance(distanceExact(lon1, lat1, lon2, lat2) / toMeter));
}

function geohash(c: Client, argv: string[], s: ServerState): void {
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  c.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = z === undefined ? undefined : z.score(argv[i]!);
    if (score === undefined) c.nil();
    else c.bulk(geohashString(score));
  }
}

function geopos(c: Client, argv: string[], s: ServerState): void {
  const z = readZset(c, s, argv[1]!);
  if (z === null) return;
  c.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = z === undefined ? undefined : z.score(argv[i]!);
    if (score === undefined) {
      c.nilArray();
      continue;
    }
    const [lon, lat] = decodeScore(score);
    c.array(2);
    coord(c, lon);
    coord(c, lat);
  }
}

/**
 * GEORADIUS/GEORADIUSBYMEMBER keys: the source, then the keys after the first STORE and the first
 * STOREDIST keyword at or past `from` (Redis's keyword key specs).
 */
function radiusKeys(from: number): (argv: string[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const kw of ['store', 'storedist']) {
      for (let i = from; i < argv.length; i++) {
        if (is(argv[i]!, kw)) {
          if (i + 1 < argv.length) keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

const categories = ['@geo'];
const docs = (summary: string, since: string, complexity: string, args: string) => ({
  summary,
  since,
  group: 'geo',
  complexity,
  args,
});
const SEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape';
const RADIUS_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.';
const RADIUS_OPTS = '[WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]';
const SEARCH_OPTS =
  'FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius M|KM|FT|MI|BYBOX width height M|KM|FT|MI [ASC|DESC] [COUNT count [ANY]]';

register([
  {
    name: 'geoadd',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories,
    docs: docs(
      'Add one or more geospatial items in the geospatial index represented using a sorted set',
      '3.2.0',
      'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
      'key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]',
    ),
    handler: geoadd,
  },
  {
    name: 'geodist',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs('Returns the distance between two members of a geospatial index', '3.2.0', 'O(log(N))', 'key member1 member2 [M|KM|FT|MI]'),
    handler: geodist,
  },
  {
    name: 'geohash',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs(
      'Returns members of a geospatial index as standard geohash strings',
      '3.2.0',
      'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
      'key [member [member ...]]',
    ),
    handler: geohash,
  },
  {
    name: 'geopos',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs(
      'Returns longitude and latitude of members of a geospatial index',
      '3.2.0',
      'O(N) where N is the number of members requested.',
      'key [member [member ...]]',
    ),
    handler: geopos,
  },
  {
    name: 'geosearch',
    arity: -7,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs(
      'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.',
      '6.2.0',
      SEARCH_COMPLEXITY,
      `key ${SEARCH_OPTS} [WITHCOORD] [WITHDIST] [WITHHASH]`,
    ),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 1, GEOSEARCH);
    },
  },
  {
    name: 'geosearchstore',
    arity: -8,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    categories,
    docs: docs(
      'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.',
      '6.2.0',
      SEARCH_COMPLEXITY,
      `destination source ${SEARCH_OPTS} [STOREDIST]`,
    ),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 2, GEOSEARCH | GEOSEARCHSTORE);
    },
  },
  {
    name: 'georadius',
    arity: -6,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories,
    getKeys: radiusKeys(6),
    docs: docs(
      'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point',
      '3.2.0',
      RADIUS_COMPLEXITY,
      `key longitude latitude radius M|KM|FT|MI ${RADIUS_OPTS} [STORE key] [STOREDIST key]`,
    ),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 1, RADIUS_COORDS);
    },
  },
  {
    name: 'georadius_ro',
    arity: -6,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs('A read-only variant for GEORADIUS', '3.2.10', RADIUS_COMPLEXITY, `key longitude latitude radius M|KM|FT|MI ${RADIUS_OPTS}`),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 1, RADIUS_COORDS | RADIUS_NOSTORE);
    },
  },
  {
    name: 'georadiusbymember',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories,
    getKeys: radiusKeys(5),
    docs: docs(
      'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member',
      '3.2.0',
      RADIUS_COMPLEXITY,
      `key member radius M|KM|FT|MI ${RADIUS_OPTS} [STORE key] [STOREDIST key]`,
    ),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 1, RADIUS_MEMBER);
    },
  },
  {
    name: 'georadiusbymember_ro',
    arity: -5,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories,
    docs: docs('A read-only variant for GEORADIUSBYMEMBER', '3.2.10', RADIUS_COMPLEXITY, `key member radius M|KM|FT|MI ${RADIUS_OPTS}`),
    handler(c, argv, s) {
      geoSearch(c, argv, s, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
    },
  },
]);
