/*
 * CLIENT: ID, SETNAME, GETNAME, LIST, INFO, KILL, PAUSE, UNPAUSE, REPLY, SETINFO, NO-EVICT, NO-TOUCH,
 * GETREDIR, TRACKINGINFO, UNBLOCK, HELP.
 *
 * CLIENT LIST prints Redis 7.0's fields in its order (SETINFO is accepted and stored, but 7.0's
 * line has no lib-name/lib-ver fields, so neither does ours); the memory fields report what we can see of a Node socket (queued output bytes).
 */

import { ERR_NOT_INT, ERR_SYNTAX, errArity, is, parseInteger } from '../args';
import type { Client } from '../client';
import { cachingCommand, getRedirect, trackingCommand, trackingInfo } from '../tracking';
import { register, type CommandDef } from '../command';
import { clock } from '../keyspace/clock';
import type { ServerState } from '../state';
import { validClientName } from './connection';

const HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are: ID <id>, ADDR <ip:port>, LADDR <ip:port>,',
  '    TYPE (NORMAL|MASTER|REPLICA|PUBSUB), USER <username>, SKIPME (YES|NO), MAXAGE <seconds>.',
  'LIST [options ...]',
  '    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID <id> [...].',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO (LIB-NAME|LIB-VER) <value>',
  '    Set client library name or version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
  'HELP',
  '    Prints this help.',
];

function fd(c: Client): number {
  const handle = (c.socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return handle?.fd ?? -1;
}

function flags(c: Client): string {
  let f = '';
  if (c.kind === 'master') f += 'M';
  if (c.kind === 'replica') f += 'S';
  if (c.monitor) f += 'O';
  if (c.kind === 'pubsub') f += 'P';
  if (c.multi !== null) f += 'x';
  if (c.blocked !== null || c.pendingArgv !== null) f += 'b';
  if (c.dirtyCas) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (c.noEvict) f += 'e';
  if (c.noTouch) f += 'T';
  return f === '' ? 'N' : f;
}

/** One CLIENT LIST / CLIENT INFO line. */
export function describeClient(c: Client): string {
  const now = clock.now;
  const qbuf = c.parser.pending;
  const omem = c.outputBytes;
  const multiMem = c.multi === null ? 0 : c.multi.mem;
  return (
    `id=${c.id} addr=${c.raddr} laddr=${c.laddr} fd=${fd(c)} name=${c.name} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${flags(c)} db=${c.db.id} sub=${c.channels?.size ?? 0} psub=${c.patterns?.size ?? 0} ssub=${c.shardChannels?.size ?? 0} multi=${c.multi === null ? -1 : c.multi.queue.length} qbuf=${qbuf} qbuf-free=${Math.max(0, 20474 - qbuf)} ` +
    `argv-mem=0 multi-mem=${multiMem} rbs=16384 rbp=16384 obl=0 oll=0 omem=${omem} tot-mem=${16384 + qbuf + omem + multiMem} ` +
    `events=r${(c.socket?.writableLength ?? 0) > 0 ? 'w' : ''} cmd=${c.lastCommand} user=${c.user} redir=-1 resp=${c.resp}`
  );
}

function typeOf(arg: string): Client['kind'] | null {
  const t = arg.toLowerCase();
  if (t === 'normal' || t === 'master' || t === 'pubsub') return t;
  if (t === 'replica' || t === 'slave') return 'replica';
  return null;
}

function clientList(c: Client, argv: string[], s: ServerState): void {
  let clients = [...s.clients.values()];
  if (argv.length === 4 && is(argv[2]!, 'type')) {
    const t = typeOf(argv[3]!);
    if (t === null) return c.error(`ERR Unknown client type '${argv[3]}'`);
    clients = clients.filter((x) => x.kind === t);
  } else if (argv.length > 3 && is(argv[2]!, 'id')) {
    const ids = new Set<number>();
    for (let i = 3; i < argv.length; i++) {
      const id = parseInteger(argv[i]!);
      if (id === null || id <= 0) return c.error('ERR Invalid client ID');
      ids.add(id);
    }
    clients = clients.filter((x) => ids.has(x.id));
  } else if (argv.length !== 2) {
    return c.error(ERR_SYNTAX);
  }
  let out = '';
  for (const x of clients) out += describeClient(x) + '\n';
  c.verbatim(out);
}

function kill(c: Client, target: Client): void {
  if (target === c) c.closeAfterReply = true;
  else target.close();
}

function clientKill(c: Client, argv: string[], s: ServerState): void {
  if (argv.length === 3) {
    const target = [...s.clients.values()].find((x) => x.raddr === argv[2]);
    if (target === undefined) return c.error('ERR No such client');
    kill(c, target);
    return c.ok();
  }
  if (argv.length % 2 !== 0) return c.error(ERR_SYNTAX);
  let id: number | null = null;
  let type: Client['kind'] | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let maxAge: number | null = null;
  let skipMe = true;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i]!;
    const val = argv[i + 1]!;
    if (is(opt, 'id')) {
      id = parseInteger(val);
      if (id === null || id <= 0) return c.error('ERR client-id should be greater than 0');
    } else if (is(opt, 'type')) {
      type = typeOf(val);
      if (type === null) return c.error(`ERR Unknown client type '${val}'`);
    } else if (is(opt, 'addr')) addr = val;
    else if (is(opt, 'laddr')) laddr = val;
    else if (is(opt, 'user')) user = val;
    else if (is(opt, 'skipme')) {
      if (is(val, 'yes')) skipMe = true;
      else if (is(val, 'no')) skipMe = false;
      else return c.error(ERR_SYNTAX);
    } else if (is(opt, 'maxage')) {
      maxAge = parseInteger(val);
      if (maxAge === null) return c.error(ERR_SYNTAX);
    } else return c.error(ERR_SYNTAX);
  }
  let killed = 0;
  for (const x of [...s.clients.values()]) {
    if (id !== null && x.id !== id) continue;
    if (type !== null && x.kind !== type) continue;
    if (addr !== null && x.raddr !== addr) continue;
    if (laddr !== null && x.laddr !== laddr) continue;
    if (user !== null && x.user !== user) continue;
    if (maxAge !== null && clock.now - x.createdAt < maxAge * 1000) continue;
    if (skipMe && x === c) continue;
    kill(c, x);
    killed++;
  }
  c.int(killed);
}

function onOff(c: Client, arg: string, set: (on: boolean) => void): void {
  if (is(arg, 'on')) set(true);
  else if (is(arg, 'off')) set(false);
  else return c.error(ERR_SYNTAX);
  c.ok();
}

const sub = (
  name: string,
  arity: number,
  extraFlags: string[],
  summary: string,
  handler: (c: Client, argv: string[], s: ServerState) => void,
): CommandDef => ({
  name: `client|${name}`,
  arity,
  flags: ['noscript', 'loading', 'stale', ...extraFlags],
  keys: [0, 0, 0],
  categories: ['@connection'],
  docs: { summary, since: '2.4.0', group: 'connection' },
  handler,
});

register([
  {
    name: 'client',
    arity: -2,
    flags: ['sentinel'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'A container for client connection commands.', since: '2.4.0', group: 'connection' },
    handler(c, argv) {
      c.error(errArity(argv[0]!.toLowerCase()));
    },
    subcommands: [
      sub('id', 2, [], 'Returns the unique client ID of the connection.', (c) => c.int(c.id)),
      sub('getname', 2, ['fast'], 'Returns the name of the connection.', (c) => (c.name === '' ? c.nil() : c.bulk(c.name))),
      sub('setname', 3, ['fast'], 'Sets the connection name.', (c, argv) => {
        if (!validClientName(argv[2]!)) return c.error('ERR Client names cannot contain spaces, newlines or special characters.');
        c.name = argv[2]!;
        c.ok();
      }),
      sub('list', -2, ['admin'], 'Lists open connections.', clientList),
      { ...sub('info', 2, [], 'Returns information about the connection.', (c) => c.verbatim(describeClient(c) + '\n')), tips: ['nondeterministic_output'] },
      sub('kill', -3, ['admin'], 'Terminates open connections.', clientKill),
      sub('pause', -3, ['admin'], 'Suspends commands processing.', (c, argv, s) => {
        const ms = parseInteger(argv[2]!);
        if (ms === null) return c.error('ERR timeout is not an integer or out of range');
        if (ms < 0) return c.error('ERR timeout is negative');
        let writesOnly = false;
        if (argv.length === 4) {
          if (is(argv[3]!, 'write')) writesOnly = true;
          else if (!is(argv[3]!, 'all')) return c.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
        } else if (argv.length > 4) return c.error(ERR_SYNTAX);
        const until = Date.now() + ms;
        // while paused, the longer end and the stricter mode win, as in Redis
        const wasPaused = s.pausedUntil !== 0;
        s.pauseWritesOnly = writesOnly && (!wasPaused || s.pauseWritesOnly);
        if (!wasPaused || until > s.pausedUntil) s.pausedUntil = until;
        c.ok();
      }),
      sub('unpause', 2, ['admin'], 'Resumes processing commands from paused clients.', (c, _a, s) => {
        s.unpause();
        c.ok();
      }),
      sub('reply', 3, [], 'Instructs the server whether to reply to commands.', (c, argv) => {
        const mode = argv[2]!;
        if (is(mode, 'on')) {
          c.replyOff = false;
          c.skipNext = false;
          c.skipThis = false;
          c.ok();
        } else if (is(mode, 'off')) c.replyOff = true;
        else if (is(mode, 'skip')) {
          // the server drops the replies of the next command it runs while skipThis is set
          if (!c.replyOff) c.skipThis = true;
        } else c.error(ERR_SYNTAX);
      }),
      sub('setinfo', 4, [], 'Sets information specific to the client or connection.', (c, argv) => {
        const attr = argv[2]!;
        const val = argv[3]!;
        const isName = is(attr, 'lib-name');
        if (!isName && !is(attr, 'lib-ver')) return c.error(`ERR Unrecognized option '${attr}'`);
        if (!validClientName(val) && val !== '') {
          return c.error(`ERR ${isName ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`);
        }
        if (isName) c.libName = val;
        else c.libVer = val;
        c.ok();
      }),
      sub('no-evict', 3, ['admin'], 'Sets the client eviction mode of the connection.', (c, argv) =>
        onOff(c, argv[2]!, (on) => (c.noEvict = on)),
      ),
      sub('no-touch', 3, ['fast'], 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', (c, argv) =>
        onOff(c, argv[2]!, (on) => (c.noTouch = on)),
      ),
      sub('getredir', 2, [], 'Returns the client ID to which the connection\'s tracking notifications are redirected.', (c) =>
        c.int(getRedirect(c)),
      ),
      sub('trackinginfo', 2, [], 'Returns information about server-assisted client-side caching for the connection.', (c) => trackingInfo(c)),
      sub('tracking', -3, [], 'Controls server-assisted client-side caching for the connection.', (c, argv, s) => trackingCommand(c, argv, s)),
      sub('caching', 3, [], 'Instructs the server whether to track the keys in the next request.', (c, argv) => cachingCommand(c, argv)),
      sub('unblock', -3, ['admin'], 'Unblocks a client blocked by a blocking command from a different connection.', (c, argv, s) => {
        const id = parseInteger(argv[2]!);
        if (id === null) return c.error(ERR_NOT_INT);
        if (argv.length === 4 && !is(argv[3]!, 'timeout') && !is(argv[3]!, 'error')) {
          return c.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
        }
        if (argv.length > 4) return c.error(ERR_SYNTAX);
        const target = s.clients.get(id);
        c.int(target !== undefined && s.unblock(target, argv.length === 4 && is(argv[3]!, 'error')) ? 1 : 0);
      }),
      sub('help', 2, [], 'Returns helpful text about the different subcommands.', (c) => {
        c.array(HELP.length);
        for (const line of HELP) c.simple(line);
      }),
    ],
  },
]);
