/*
 * DEBUG: the testing and troubleshooting command. Allowed only when enable-debug-command is `yes`,
 * or `local` and the client connects over loopback. As in Redis 7.0 it is one command (no subcommand
 * table): a subcommand that is unknown or has the wrong number of arguments gets
 * "unknown subcommand or wrong number of arguments for '<sub>'. Try DEBUG HELP.".
 *
 * Implemented: HELP, SLEEP, OBJECT, DIGEST, DIGEST-VALUE, PROTOCOL, LOG, ERROR, POPULATE,
 * SET-ACTIVE-EXPIRE, PAUSE-CRON, CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-TEST,
 * PANIC, ASSERT, SEGFAULT, RELOAD (commands/persistence.ts), LOADAOF (commands/aof.ts). The others (JMAP, MALLCTL, LISTPACK, QUICKLIST, ...)
 * answer with the unknown-subcommand error until the facility they exercise exists.
 *
 * SET-ACTIVE-EXPIRE and PAUSE-CRON set flags in the state (activeExpireEnabled, cronPaused) that the
 * server's cron honours. PANIC/ASSERT/SEGFAULT log a crash report and abort the process (SIGABRT),
 * as Redis ends after its bug report.
 */

import { randomBytes } from 'node:crypto';
import type { Client } from '../client';
import { register } from '../command';
import { parseMemory } from '../config/config';
import { datasetDigest, valueDigest } from '../keyspace/digest';
import { globMatch } from '../keyspace/glob';
import type { ServerState } from '../state';
import { stringEncoding } from './string-common';
import { genInfo } from './info';
import { debugLoadAof } from './aof';
import { debugReload, serializedLength } from './persistence';
import { helpReply, subcommandSyntaxError } from './server';

const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ASSERT',
  '    Crash by assertion failed.',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'PANIC',
  '    Crash the server simulating a panic.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SEGFAULT',
  '    Crash the server with sigsegv.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
];

const NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a ' +
  'local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

const PROTOCOL_TYPES = 'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';

/** Loopback or a unix socket (no remote address), as Redis's islocalClient. */
function isLocal(c: Client): boolean {
  const a = c.socket?.remoteAddress;
  if (a === undefined) return true;
  return a.startsWith('127.') || a.startsWith('::ffff:127.') || a === '::1';
}

function allowed(c: Client, s: ServerState): boolean {
  const mode = s.config.get('enable-debug-command');
  return mode === 'yes' || (mode === 'local' && isLocal(c));
}

/** C's atoi: optional spaces and sign, then digits; 0 when there are none. */
function atoi(arg: string): number {
  const m = /^\s*([+-]?\d+)/.exec(arg);
  return m === null ? 0 : Number(m[1]);
}

/** Blocks the whole process, as Redis's DEBUG SLEEP blocks its event loop. */
function sleepSync(ms: number): void {
  if (!(ms > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function debugObject(c: Client, s: ServerState, key: string): void {
  const db = c.db;
  // a plain table lookup, as Redis: no expiry, no statistics
  const slot = db.map.get(key);
  if (slot === undefined) return c.error('ERR no such key');
  const v = db.values[slot]!;
  let encoding: string;
  let serialized = 0;
  let refcount = 1;
  if (typeof v === 'object') {
    encoding = v.encoding !== undefined ? v.encoding() : 'unknown';
    serialized = serializedLength(v, s);
  } else {
    encoding = stringEncoding(db, key, v);
    serialized = serializedLength(v, s);
    const policy = s.config.directive('maxmemory-policy') !== undefined ? s.config.get('maxmemory-policy') : 'noeviction';
    const maxmemory = s.config.directive('maxmemory') !== undefined ? s.config.number('maxmemory') : 0;
    const shareable = maxmemory === 0 || !(policy.includes('lru') || policy.includes('lfu'));
    if (shareable && typeof v === 'number' && v >= 0 && v < 10000 && encoding === 'int') refcount = 2147483647;
  }
  const lru = db.lru[slot]! & 0xffffff;
  const now = Math.floor(Date.now() / 1000) & 0xffffff;
  const idle = now >= lru ? now - lru : now + (0xffffff - lru);
  // we have no addresses to show: the db and slot identify the value instead
  const at = `0x${(db.id * 0x100000000 + slot).toString(16)}`;
  c.simple(
    `Value at:${at} refcount:${refcount} encoding:${encoding} serializedlength:${serialized} lru:${lru} lru_seconds_idle:${idle}`,
  );
}

function protocol(c: Client, type: string): void {
  switch (type.toLowerCase()) {
    case 'string':
      return c.bulk('Hello World');
    case 'integer':
      return c.int(12345);
    case 'double':
      return c.double(3.141);
    case 'bignum':
      return c.bigNumber('1234567999999999999999999999999999999');
    case 'null':
      return c.nil();
    case 'array':
    case 'set':
      if (type.toLowerCase() === 'array') c.array(3);
      else c.set(3);
      for (let i = 0; i < 3; i++) c.int(i);
      return;
    case 'map':
      c.map(3);
      for (let i = 0; i < 3; i++) {
        c.int(i);
        c.bool(i === 1);
      }
      return;
    case 'attrib':
      // RESP2 has no attributes: only the reply that follows is sent
      if (c.resp === 3) c.raw('|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n');
      return c.bulk('Some real reply following the attribute');
    case 'push':
      if (c.resp === 2) return c.error('ERR RESP2 is not supported by this command');
      c.push(2);
      c.bulk('server-cpu-usage');
      c.int(42);
      return c.bulk('Some real reply following the push reply');
    case 'verbatim':
      return c.verbatim('This is a verbatim\nstring');
    case 'true':
      return c.bool(true);
    case 'false':
      return c.bool(false);
    default:
      return c.error(`ERR Wrong protocol type name. Please use one of the following: ${PROTOCOL_TYPES}`);
  }
}

/** getPositiveLongFromObjectOrReply: a non-negative integer, or null after the error. */
function positive(c: Client, arg: string): number | null {
  const n = /^(0|-?[1-9]\d*)$/.test(arg) ? Number(arg) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    c.error('ERR value is out of range, must be positive');
    return null;
  }
  return n;
}

function populate(c: Client, argv: string[]): void {
  const count = positive(c, argv[2]!);
  if (count === null) return;
  const prefix = argv.length >= 4 ? argv[3]! : 'key';
  let size = 0;
  if (argv.length === 5) {
    const n = positive(c, argv[4]!);
    if (n === null) return;
    size = n;
  }
  const db = c.db;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (db.slot(key) !== -1) continue;
    let value = `value:${j}`;
    if (size !== 0) value = size <= value.length ? value.slice(0, size) : value + '\0'.repeat(size - value.length);
    db.add(key, value);
  }
  c.ok();
}

const FUZZ_CHARS = 'ab*?[]^-\\';

/** Random patterns and subjects through the glob matcher: it must neither throw nor hang. */
function stringmatchFuzz(iterations: number): void {
  const rnd = (n: number): number => Math.floor(Math.random() * n);
  const gen = (len: number): string => {
    let out = '';
    for (let i = 0; i < len; i++) out += rnd(4) === 0 ? String.fromCharCode(rnd(256)) : FUZZ_CHARS[rnd(FUZZ_CHARS.length)]!;
    return out;
  };
  for (let i = 0; i < iterations; i++) globMatch(gen(rnd(32)), gen(rnd(32)), rnd(2) === 1);
}

/** Logs a crash report in Redis's shape and aborts the process (Redis ends with SIGABRT too). */
function crash(s: ServerState, headline: string[]): never {
  const log = s.log;
  // a crash report must reach the log even from a server started quiet
  log.enabled = true;
  log.warning('=== REDIS BUG REPORT START: Cut & paste starting from here ===');
  for (const line of headline) log.warning(line);
  log.warning('------ STACK TRACE ------');
  for (const line of (new Error('crash').stack ?? '').split('\n').slice(1)) log.warning(line.trim());
  log.warning('------ INFO OUTPUT ------');
  for (const line of genInfo(s, ['all']).split('\r\n')) if (line !== '') log.warning(line);
  log.warning('=== REDIS BUG REPORT END. Make sure to include from START to END. ===');
  process.abort();
}

function debugCommand(c: Client, argv: string[], s: ServerState): void {
  if (!allowed(c, s)) return c.error(NOT_ALLOWED);
  const sub = argv[1]!.toLowerCase();
  const n = argv.length;
  if (sub === 'help' && n === 2) return helpReply(c, DEBUG_HELP);
  if (sub === 'segfault') {
    return crash(s, ['Redis 7.0.15 crashed by signal: 11, si_code: 0', 'DEBUG SEGFAULT called']);
  }
  if (sub === 'panic') {
    return crash(s, [
      '------------------------------------------------',
      '!!! Software Failure. Press left mouse button to continue',
      `Guru Meditation: DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)} #debug.ts`,
    ]);
  }
  if (sub === 'assert') return crash(s, ['=== ASSERTION FAILED ===', "==> debug.ts '1 == 2' is not true"]);
  if (sub === 'log' && n === 3) {
    s.log.warning(`DEBUG LOG: ${argv[2]!}`);
    return c.ok();
  }
  if (sub === 'sleep' && n === 3) {
    const seconds = parseFloat(argv[2]!);
    sleepSync(Number.isFinite(seconds) ? seconds * 1000 : 0);
    return c.ok();
  }
  if (sub === 'object' && n === 3) return debugObject(c, s, argv[2]!);
  if (sub === 'reload') return debugReload(c, argv, s);
  if (sub === 'loadaof') return debugLoadAof(c, s);
  if (sub === 'digest' && n === 2) return c.simple(datasetDigest(s.dbs));
  if (sub === 'digest-value' && n >= 2) {
    c.array(n - 2);
    for (let i = 2; i < n; i++) c.simple(valueDigest(c.db, argv[i]!));
    return;
  }
  if (sub === 'protocol' && n === 3) return protocol(c, argv[2]!);
  if (sub === 'error' && n === 3) {
    // sent as given, and not counted in the error statistics (Redis does the same)
    c.raw(`-${argv[2]!}\r\n`);
    return;
  }
  if (sub === 'populate' && n >= 3 && n <= 5) return populate(c, argv);
  if (sub === 'set-active-expire' && n === 3) {
    s.activeExpireEnabled = atoi(argv[2]!) !== 0;
    return c.ok();
  }
  if (sub === 'pause-cron' && n === 3) {
    s.cronPaused = atoi(argv[2]!) !== 0;
    return c.ok();
  }
  if (sub === 'change-repl-id' && n === 2) {
    s.log.warning('Changing replication IDs after receiving DEBUG change-repl-id');
    s.replId = randomBytes(20).toString('hex');
    s.replId2 = '0'.repeat(40);
    return c.ok();
  }
  if (sub === 'quicklist-packed-threshold' && n === 3) {
    const size = parseMemory(argv[2]!);
    if (size === null || size < 0 || size > 2 ** 32 - 2 ** 20) {
      return c.error('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
    }
    s.quicklistPackedThreshold = size === 0 ? 1 << 30 : size;
    return c.ok();
  }
  if (sub === 'stringmatch-test' && n === 2) {
    stringmatchFuzz(100_000);
    return c.simple('Apparently Redis did not crash: test passed');
  }
  subcommandSyntaxError(c, argv);
}

register([
  {
    name: 'debug',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'A container for debugging commands.', since: '1.0.0', group: 'server', complexity: 'Depends on subcommand.' },
    handler: debugCommand,
  },
]);
