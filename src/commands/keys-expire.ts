/*
 * Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT), TTL, PTTL, EXPIRETIME,
 * PEXPIRETIME, PERSIST.
 *
 * Times are int64 milliseconds as in Redis: arguments that fit comfortably in a double take a plain
 * number path; larger ones are checked in BigInt with Redis's overflow rules (seconds beyond
 * LLONG_MAX/1000, or adding the base time past LLONG_MAX, are "invalid expire time"). A time already
 * past deletes the key (Redis 7 replies 1 and raises "del"). Expiry decisions use the cached clock
 * that lazy expiry uses, so a batch of commands sees one consistent time.
 */

import { ERR_NOT_INT, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { getExpireExact, readSlotNoTouch, setExpireExact, signal, writeSlot } from './string-common';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

function expireGeneric(c: Client, argv: string[], s: ServerState, relative: boolean, seconds: boolean, name: string): void {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const o = opt.length === 2 ? opt.toLowerCase() : '';
    if (o === 'nx') flags |= NX;
    else if (o === 'xx') flags |= XX;
    else if (o === 'gt') flags |= GT;
    else if (o === 'lt') flags |= LT;
    else {
      c.error(`ERR Unsupported option ${opt}`);
      return;
    }
  }
  if (flags & NX && flags & (XX | GT | LT)) {
    c.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (flags & GT && flags & LT) {
    c.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  const v = parseInt64(argv[2]!);
  if (v === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  const base = relative ? clock.now : 0;
  let when: number | bigint;
  if (typeof v === 'number' && v < 2 ** 40 && v > -(2 ** 40)) {
    when = (seconds ? v * 1000 : v) + base;
  } else {
    let b = BigInt(v);
    if (seconds) {
      if (b > INT64_MAX / 1000n || b < INT64_MIN / 1000n) {
        c.error(`ERR invalid expire time in '${name}' command`);
        return;
      }
      b *= 1000n;
    }
    if (b > INT64_MAX - BigInt(base)) {
      c.error(`ERR invalid expire time in '${name}' command`);
      return;
    }
    b += BigInt(base);
    const n = Number(b);
    when = Number.isSafeInteger(n) ? n : b;
  }
  const key = argv[1]!;
  const db = c.db;
  if (writeSlot(db, key) === -1) {
    c.int(0);
    return;
  }
  if (flags !== 0) {
    const cur = db.expires.size === 0 ? -1 : getExpireExact(db, key);
    if ((flags & NX && cur !== -1) || (flags & XX && cur === -1) || (flags & GT && (cur === -1 || when <= cur)) || (flags & LT && cur !== -1 && when >= cur)) {
      c.int(0);
      return;
    }
  }
  if (when <= clock.now) {
    db.delete(key);
    signal(s, db, key, 'g', 'del');
    c.propagateAs = ['DEL', key];
  } else {
    setExpireExact(db, key, when);
    signal(s, db, key, 'g', 'expire');
    // replicas get the absolute time (and the flags, as Redis sends them)
    c.propagateAs = ['PEXPIREAT', key, String(when), ...argv.slice(3)];
  }
  c.int(1);
}

function ttlGeneric(c: Client, argv: string[], s: ServerState, ms: boolean, absolute: boolean): void {
  const key = argv[1]!;
  const db = c.db;
  if (readSlotNoTouch(s, db, key) === -1) {
    c.int(-2);
    return;
  }
  const at = db.expires.size === 0 ? undefined : db.expires.get(key);
  if (at === undefined) {
    c.int(-1);
    return;
  }
  if (at <= Number.MAX_SAFE_INTEGER) {
    let ttl = absolute ? at : at - clock.now;
    if (ttl < 0) ttl = 0;
    c.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
    return;
  }
  const exact = BigInt(getExpireExact(db, key));
  let ttl = absolute ? exact : exact - BigInt(clock.now);
  if (ttl < 0n) ttl = 0n;
  c.int(ms ? ttl : (ttl + 500n) / 1000n);
}

const docs = (summary: string, since: string) => ({ summary, since, group: 'generic', complexity: 'O(1)' });
const keyspace = ['@keyspace'];

function expireSpec(name: string, summary: string, since: string, relative: boolean, seconds: boolean) {
  return {
    name,
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1] as const,
    categories: keyspace,
    docs: docs(summary, since),
    handler(c: Client, argv: string[], s: ServerState) {
      expireGeneric(c, argv, s, relative, seconds, name);
    },
  };
}

function ttlSpec(name: string, summary: string, since: string, ms: boolean, absolute: boolean) {
  return {
    name,
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1] as const,
    categories: keyspace,
    tips: absolute ? [] : ['nondeterministic_output'],
    docs: docs(summary, since),
    handler(c: Client, argv: string[], s: ServerState) {
      ttlGeneric(c, argv, s, ms, absolute);
    },
  };
}

register([
  expireSpec('expire', "Set a key's time to live in seconds", '1.0.0', true, true),
  expireSpec('pexpire', "Set a key's time to live in milliseconds", '2.6.0', true, false),
  expireSpec('expireat', 'Set the expiration for a key as a UNIX timestamp', '1.2.0', false, true),
  expireSpec('pexpireat', 'Set the expiration for a key as a UNIX timestamp specified in milliseconds', '2.6.0', false, false),
  ttlSpec('ttl', 'Get the time to live for a key in seconds', '1.0.0', false, false),
  ttlSpec('pttl', 'Get the time to live for a key in milliseconds', '2.6.0', true, false),
  ttlSpec('expiretime', 'Get the expiration Unix timestamp for a key', '7.0.0', false, true),
  ttlSpec('pexpiretime', 'Get the expiration Unix timestamp for a key in milliseconds', '7.0.0', true, true),
  {
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: keyspace,
    docs: docs('Remove the expiration from a key', '2.2.0'),
    handler(c, argv, s) {
      const key = argv[1]!;
      const db = c.db;
      if (writeSlot(db, key) !== -1 && db.expires.size !== 0 && db.persist(key)) {
        signal(s, db, key, 'g', 'persist');
        c.int(1);
      } else c.int(0);
    },
  },
]);
