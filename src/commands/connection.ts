/*
 * Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET, SWAPDB.
 *
 * Authentication knows one user, `default`, whose password is `requirepass` (ACL users are not
 * implemented). HELLO switches the connection's RESP version; everything RESP3-specific is then
 * decided by the reply buffer.
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInteger } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { REDIS_VERSION } from '../config/file';
import type { ServerState } from '../state';

register([
  {
    name: 'ping',
    arity: -1,
    flags: ['fast', 'sentinel'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Returns the server\'s liveliness response.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    handler(c, argv) {
      if (argv.length > 2) c.error("ERR wrong number of arguments for 'ping' command");
      else if (c.subscriptionCount !== 0 && c.resp === 2) {
        // in RESP2 subscribed mode the reply has the shape of a message: pong and the argument
        c.array(2);
        c.bulk('pong');
        c.bulk(argv.length === 2 ? argv[1]! : '');
      } else if (argv.length === 2) c.bulk(argv[1]!);
      else c.simple('PONG');
    },
  },
  {
    name: 'echo',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Returns the given string.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv) {
      c.bulk(argv[1]!);
    },
  },
  {
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Changes the selected database.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv, s) {
      const id = parseInteger(argv[1]!);
      if (id === null) return c.error(ERR_NOT_INT);
      if (id < 0 || id >= s.dbs.length) return c.error('ERR DB index is out of range');
      c.db = s.dbs[id]!;
      c.ok();
    },
  },
  {
    name: 'quit',
    arity: -1,
    flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Closes the connection.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c) {
      c.ok();
      c.closeAfterReply = true;
    },
  },
]);

/** The server map HELLO replies with (Redis 7.0's fields). */
function helloReply(c: Client, s: ServerState): void {
  c.map(7);
  c.bulk('server');
  c.bulk('redis');
  c.bulk('version');
  c.bulk(REDIS_VERSION);
  c.bulk('proto');
  c.int(c.resp);
  c.bulk('id');
  c.int(c.id);
  c.bulk('mode');
  c.bulk('standalone');
  c.bulk('role');
  c.bulk(s.isReplica ? 'replica' : 'master');
  c.bulk('modules');
  c.array(0);
}

/** Checks a username/password pair against requirepass (the default user is the only user). */
function checkAuth(c: Client, s: ServerState, user: string, pass: string): boolean {
  const required = s.config.get('requirepass');
  if (user !== 'default' || (required !== '' && pass !== required)) {
    c.error('WRONGPASS invalid username-password pair or user is disabled.');
    return false;
  }
  c.authenticated = true;
  c.user = user;
  c.parser.limits.unauthenticated = false;
  return true;
}

/** Client names may hold only printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

register([
  {
    name: 'auth',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Authenticates the connection.', since: '1.0.0', group: 'connection', complexity: 'O(N) where N is the number of passwords defined for the user' },
    handler(c, argv, s) {
      if (argv.length > 3) return c.error(ERR_SYNTAX);
      if (argv.length === 2 && s.config.get('requirepass') === '') {
        return c.error(
          'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
        );
      }
      const user = argv.length === 3 ? argv[1]! : 'default';
      const pass = argv[argv.length - 1]!;
      if (checkAuth(c, s, user, pass)) c.ok();
      // MONITOR and SLOWLOG must not show the secret
      for (let i = 1; i < argv.length; i++) argv[i] = '(redacted)';
    },
  },
  {
    name: 'hello',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Handshakes with the Redis server.', since: '6.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv, s) {
      let ver = 0;
      let next = 1;
      if (argv.length >= 2) {
        const v = parseInteger(argv[1]!);
        if (v === null) return c.error('ERR Protocol version is not an integer or out of range');
        if (v < 2 || v > 3) return c.error('NOPROTO unsupported protocol version');
        ver = v;
        next = 2;
      }
      let auth: [string, string] | null = null;
      let name: string | null = null;
      for (let j = next; j < argv.length; j++) {
        const more = argv.length - j - 1;
        if (is(argv[j]!, 'auth') && more >= 2) {
          auth = [argv[j + 1]!, argv[j + 2]!];
          argv[j + 1] = '(redacted)';
          argv[j + 2] = '(redacted)';
          j += 2;
        } else if (is(argv[j]!, 'setname') && more >= 1) {
          name = argv[j + 1]!;
          if (!validClientName(name)) return c.error('ERR Client names cannot contain spaces, newlines or special characters.');
          j += 1;
        } else {
          return c.error(`ERR Syntax error in HELLO option '${argv[j]!.slice(0, 128)}'`);
        }
      }
      if (auth !== null && !checkAuth(c, s, auth[0], auth[1])) return;
      if (!c.authenticated) {
        return c.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
      }
      if (name !== null) c.name = name;
      if (ver !== 0) c.resp = ver;
      helloReply(c, s);
    },
  },
  {
    name: 'reset',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Resets the connection.', since: '6.2.0', group: 'connection', complexity: 'O(1)' },
    handler(c, _argv, s) {
      c.db = s.dbs[0]!;
      c.resp = 2;
      c.name = '';
      c.replyOff = false;
      c.skipNext = false;
      c.noEvict = false;
      c.noTouch = false;
      if (c.monitor) {
        c.monitor = false;
        s.monitors.delete(c);
      }
      for (const fn of s.onReset) fn(c);
      if (s.config.get('requirepass') !== '') {
        c.authenticated = false;
        c.parser.limits.unauthenticated = true;
      }
      c.user = 'default';
      c.simple('RESET');
    },
  },
  {
    name: 'swapdb',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [0, 0, 0],
    categories: ['@keyspace', '@dangerous'],
    docs: { summary: 'Swaps two Redis databases.', since: '4.0.0', group: 'server', complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.' },
    handler(c, argv, s) {
      const a = parseInteger(argv[1]!);
      if (a === null) return c.error('ERR invalid first DB index');
      const b = parseInteger(argv[2]!);
      if (b === null) return c.error('ERR invalid second DB index');
      if (a < 0 || a >= s.dbs.length || b < 0 || b >= s.dbs.length) return c.error('ERR DB index is out of range');
      if (a !== b) {
        s.dbs[a]!.swapWith(s.dbs[b]!);
        s.swapped(a, b);
        s.flushed(a);
        s.flushed(b);
        s.dirty++;
      }
      c.ok();
    },
  },
]);
