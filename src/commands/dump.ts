/*
 * DUMP and RESTORE (REPLACE, ABSTTL, IDLETIME, FREQ) with Redis's payload format: the RDB value, the
 * RDB version (2 bytes) and a CRC64 of both, so payloads travel between tredis and real Redis both
 * ways. The value codecs are in src/persistence/; the server-level options come from persistence.ts.
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { Value } from '../keyspace/db';
import { dumpPayload, loadedStamp, readPayload, verifyPayload } from '../persistence/rdb';
import type { ServerState } from '../state';
import { loadLimits, saveOptions } from './persistence';
import { addKey } from './string-common';

function dumpCommand(c: Client, argv: string[], s: ServerState): void {
  const v = s.readKey(c, argv[1]!);
  if (v === undefined) return c.nil();
  let payload: Buffer;
  try {
    payload = dumpPayload(v, saveOptions(s));
  } catch (err) {
    return c.error(`ERR ${err instanceof Error ? err.message : String(err)}`);
  }
  c.bulk(payload.toString('latin1'));
}

function restoreCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const a = argv[j]!;
    if (is(a, 'replace')) replace = true;
    else if (is(a, 'absttl')) absttl = true;
    else if (is(a, 'idletime') && more >= 1 && freq === -1) {
      const v = parseInt64(argv[++j]!);
      if (v === null) return c.error(ERR_NOT_INT);
      if (v < 0) return c.error('ERR Invalid IDLETIME value, must be >= 0');
      idle = Number(v);
    } else if (is(a, 'freq') && more >= 1 && idle === -1) {
      const v = parseInt64(argv[++j]!);
      if (v === null) return c.error(ERR_NOT_INT);
      if (v < 0 || v > 255) return c.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
      freq = Number(v);
    } else return c.error(ERR_SYNTAX);
  }
  const db = c.db;
  if (!replace && s.writeKey(c, key) !== undefined) return c.error('BUSYKEY Target key name already exists.');
  const parsedTtl = parseInt64(argv[2]!);
  if (parsedTtl === null) return c.error(ERR_NOT_INT);
  if (parsedTtl < 0) return c.error('ERR Invalid TTL value, must be >= 0');
  let ttl = Number(parsedTtl);
  const payload = Buffer.from(argv[3]!, 'latin1');
  if (!verifyPayload(payload)) return c.error('ERR DUMP payload version or checksum are wrong');
  let value: Value;
  try {
    value = readPayload(payload, loadLimits(s));
  } catch {
    return c.error('ERR Bad data format');
  }
  let deleted = false;
  if (replace) deleted = db.delete(key);
  if (ttl !== 0 && !absttl) ttl += clock.now;
  if (ttl !== 0 && ttl <= clock.now && !s.isReplica) {
    // already expired: nothing is created, but a replaced key is gone
    if (deleted) {
      c.propagateAs = ['DEL', key];
      s.keyModified(db, key);
      s.notify('g', 'del', key, db.id);
      s.dirty++;
    }
    return c.ok();
  }
  const slot = addKey(s, db, key, value);
  if (ttl !== 0) db.setExpire(key, ttl);
  const stamp = loadedStamp(idle, freq);
  if (stamp !== null) db.lru[slot] = stamp;
  s.keyModified(db, key);
  s.notify('g', 'restore', key, db.id);
  s.dirty++;
  // replicas get the absolute expiry time, as Redis 7.0 rewrites it
  if (ttl !== 0 && !absttl) {
    c.propagateAs = argv.slice();
    c.propagateAs[2] = String(ttl);
    c.propagateAs.push('ABSTTL');
  }
  c.ok();
}

register([
  {
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['@keyspace'],
    tips: ['nondeterministic_output'],
    docs: {
      summary: 'Return a serialized version of the value stored at the specified key.',
      since: '2.6.0',
      group: 'generic',
      complexity:
        'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
      args: 'key',
    },
    handler: dumpCommand,
  },
  {
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    categories: ['@keyspace', '@dangerous'],
    docs: {
      summary: 'Create a key using the provided serialized value, previously obtained using DUMP.',
      since: '2.6.0',
      group: 'generic',
      complexity:
        'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).',
      args: 'key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]',
    },
    handler: restoreCommand,
  },
]);
