/*
 * Replication commands: REPLICAOF/SLAVEOF, ROLE, REPLCONF, PSYNC, SYNC, WAIT, and the wiring that
 * connects replication to the server (the snapshot a full sync sends, the once-a-second cron, INFO's
 * replication section, the write checks of replicas and of min-replicas-to-write).
 * The machinery is in replication.ts (leader) and replica-link.ts (follower).
 */

import type { Client } from '../client';
import { register } from '../command';
import { ERR_NOT_INT, ERR_SYNTAX, is, parseInteger, parseInt64 } from '../args';
import { mustNotBlock } from '../blocking';
import { abortFailoverCommand, startFailover } from '../failover';
import { becomeLeader, becomeReplica } from '../replica-link';
import { replicationOf, replconfOption } from '../replication';
import type { ServerState } from '../state';
import { startSnapshot, writeRdbImage } from './persistence';

const docs = (summary: string, since: string, group = 'server') => ({ summary, since, group, complexity: 'O(1)' });

const READONLY = "READONLY You can't write against a read only replica.";
const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';

function replicaof(c: Client, argv: string[], s: ServerState): void {
  const repl = replicationOf(s);
  if (is(argv[1]!, 'no') && is(argv[2]!, 'one')) {
    if (repl.link !== null) {
      becomeLeader(s);
      s.log.notice(`MASTER MODE enabled (user request from '${describe(c)}')`);
    }
    updateChecks(s);
    c.ok();
    return;
  }
  const port = parseInt64(argv[2]!);
  if (port === null || typeof port === 'bigint' || port < 0 || port > 65535) {
    c.error('ERR Invalid master port');
    return;
  }
  const host = argv[1]!;
  if (repl.link !== null && repl.link.host === host && repl.link.port === port) {
    s.log.notice('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.simple('OK Already connected to specified master');
    return;
  }
  becomeReplica(s, host, port);
  updateChecks(s);
  s.log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${describe(c)}')`);
  c.ok();
}

function describe(c: Client): string {
  return `id=${c.id} addr=${c.raddr} laddr=${c.laddr} fd=0 name=${c.name} age=${Math.floor((Date.now() - c.createdAt) / 1000)}`;
}

function role(c: Client, s: ServerState): void {
  const repl = replicationOf(s);
  const link = repl.link;
  if (link !== null) {
    const state = link.state();
    c.array(5);
    c.bulk('slave');
    c.bulk(link.host);
    c.int(link.port);
    c.bulk(state);
    c.int(state === 'connected' ? repl.offset : -1);
    return;
  }
  c.array(3);
  c.bulk('master');
  c.int(repl.offset);
  const online = [...repl.replicas.values()].filter((r) => r.state === 'online');
  c.array(online.length);
  for (const r of online) {
    c.array(3);
    c.bulk(r.ip);
    c.bulk(String(r.port));
    c.bulk(String(r.ackOffset));
  }
}

function replconf(c: Client, argv: string[], s: ServerState): void {
  if (argv.length % 2 === 0) {
    c.error(ERR_SYNTAX);
    return;
  }
  const repl = replicationOf(s);
  for (let i = 1; i < argv.length; i += 2) {
    const opt = argv[i]!;
    const val = argv[i + 1]!;
    if (is(opt, 'listening-port')) {
      const port = parseInteger(val);
      if (port === null) return c.error(ERR_NOT_INT);
      replconfOption(c, repl, { port });
    } else if (is(opt, 'ip-address')) {
      replconfOption(c, repl, { ip: val });
    } else if (is(opt, 'capa')) {
      if (is(val, 'eof')) replconfOption(c, repl, { capaEof: true });
      else if (is(val, 'psync2')) replconfOption(c, repl, { capaPsync2: true });
    } else if (is(opt, 'ack')) {
      // from a replica, and never answered
      const off = parseInteger(val);
      if (off !== null && c.kind === 'replica') repl.ack(c, off);
      return;
    } else if (is(opt, 'getack')) {
      // from our leader: answered with an ACK of what we applied, outside the reply stream
      if (c.kind === 'master') repl.link?.sendAck();
      return;
    } else if (is(opt, 'rdb-only')) {
      const v = parseInteger(val);
      if (v !== 0 && v !== 1) return c.error(ERR_SYNTAX);
    } else {
      c.error(`ERR Unrecognized REPLCONF option: ${opt}`);
      return;
    }
  }
  c.ok();
}

function psync(c: Client, argv: string[], s: ServerState, old: boolean): void {
  if (c.kind === 'replica') return;
  const repl = replicationOf(s);
  if (!old && argv.length > 3 && is(argv[3]!, 'failover')) {
    // our leader hands over to us (its FAILOVER): we lead first, then answer its PSYNC
    if (repl.link === null) return c.error("ERR PSYNC FAILOVER can't be sent to a master.");
    if (argv[1] !== s.replId) return c.error('ERR PSYNC FAILOVER replid must match my replid.');
    becomeLeader(s);
    updateChecks(s);
    s.log.notice(`MASTER MODE enabled (failover request from '${describe(c)}')`);
  }
  if (repl.failoverState !== 'no-failover') {
    c.error("NOMASTERLINK Can't SYNC while failing over");
    return;
  }
  if (repl.link !== null && !repl.link.up()) {
    c.error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (old) {
    repl.sync(c, null, 0);
    return;
  }
  const offset = parseInt64(argv[2]!);
  if (offset === null) {
    c.error(ERR_NOT_INT);
    return;
  }
  repl.sync(c, argv[1]!, typeof offset === 'bigint' ? -1 : offset);
}

/** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] */
function failover(c: Client, argv: string[], s: ServerState): void {
  let host: string | null = null;
  let port = 0;
  let timeout: number | null = null;
  let force = false;
  let abort = false;
  for (let j = 1; j < argv.length; j++) {
    const opt = argv[j]!;
    if (is(opt, 'to') && host === null && j + 2 < argv.length) {
      const p = parseInt64(argv[j + 2]!);
      if (p === null) return c.error(ERR_NOT_INT);
      host = argv[j + 1]!;
      port = Number(p);
      j += 2;
    } else if (is(opt, 'timeout') && timeout === null && j + 1 < argv.length) {
      const t = parseInt64(argv[++j]!);
      if (t === null) return c.error(ERR_NOT_INT);
      timeout = Number(t);
    } else if (is(opt, 'force') && !force) force = true;
    else if (is(opt, 'abort') && !abort) abort = true;
    else return c.error(ERR_SYNTAX);
  }
  if (abort) {
    if (host !== null || force || timeout !== null) return c.error(ERR_SYNTAX);
    const err = abortFailoverCommand(s);
    return err === null ? c.ok() : c.error(err);
  }
  if (timeout !== null && timeout <= 0) return c.error('ERR FAILOVER timeout must be greater than 0');
  const err = startFailover(s, host, port, timeout ?? 0, force);
  if (err !== null) return c.error(err);
  c.ok();
}

function wait(c: Client, argv: string[], s: ServerState): void {
  const repl = replicationOf(s);
  if (repl.link !== null) {
    c.error(
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
    );
    return;
  }
  const needed = parseInt64(argv[1]!);
  if (needed === null) return c.error(ERR_NOT_INT);
  const timeout = parseInt64(argv[2]!);
  if (timeout === null) return c.error('ERR timeout is not an integer or out of range');
  if (timeout < 0) return c.error('ERR timeout is negative');
  repl.wait(c, Number(needed), Number(timeout), !mustNotBlock(c));
}

register([
  ...['replicaof', 'slaveof'].map((name) => ({
    name,
    arity: 3,
    flags: ['admin', 'noscript', 'stale', 'no_async_loading'],
    keys: [0, 0, 0] as const,
    categories: [],
    docs: { ...docs('Make the server a replica of another instance, or promote it as master.', name === 'slaveof' ? '1.0.0' : '5.0.0'), args: 'host port' },
    handler: replicaof,
  })),
  {
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: ['@admin', '@dangerous'],
    docs: docs('Return the role of the instance in the context of replication', '2.8.12'),
    handler: (c, _argv, s) => role(c, s),
  },
  {
    name: 'replconf',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('An internal command for configuring the replication stream', '3.0.0'),
    handler: replconf,
  },
  {
    name: 'psync',
    arity: -3,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    keys: [0, 0, 0],
    categories: [],
    docs: { ...docs('Internal command used for replication', '2.8.0'), args: 'replicationid offset' },
    handler: (c, argv, s) => psync(c, argv, s, false),
  },
  {
    name: 'sync',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('Internal command used for replication', '1.0.0'),
    handler: (c, argv, s) => psync(c, argv, s, true),
  },
  {
    name: 'failover',
    arity: -1,
    flags: ['admin', 'noscript', 'stale'],
    keys: [0, 0, 0],
    categories: [],
    docs: { ...docs('Start a coordinated failover between this server and one of its replicas.', '6.2.0'), args: '[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]' },
    handler: failover,
  },
  {
    name: 'wait',
    arity: 3,
    flags: ['noscript'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    tips: ['request_policy:all_shards', 'response_policy:agg_min'],
    docs: {
      ...docs('Wait for the synchronous replication of all the write commands sent in the context of the current connection', '3.0.0', 'generic'),
      args: 'numreplicas timeout',
    },
    handler: wait,
  },
]);

/**
 * The checks a write must pass on this server, installed only while there are any (replica, or
 * min-replicas-to-write set), so that a plain leader pays nothing.
 */
function updateChecks(s: ServerState): void {
  const repl = replicationOf(s);
  const minReplicas = s.config.number('min-replicas-to-write');
  if (repl.link === null && minReplicas === 0) {
    s.replicationCheck = null;
    return;
  }
  s.replicationCheck = (isWrite, allowedStale) => {
    const link = repl.link;
    if (link !== null) {
      if (isWrite && s.config.bool('replica-read-only')) return READONLY;
      if (!allowedStale && !link.up() && !s.config.bool('replica-serve-stale-data')) return MASTERDOWN;
      return null;
    }
    const min = s.config.number('min-replicas-to-write');
    if (isWrite && min > 0 && repl.goodReplicas() < min) return NOREPLICAS;
    return null;
  };
}

/** An RDB image of the whole dataset built at once (a full sync while a BGSAVE runs). */
function snapshot(s: ServerState): Buffer {
  const chunks: Buffer[] = [];
  writeRdbImage(s, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks);
}

function infoLines(s: ServerState): string[] {
  const repl = replicationOf(s);
  const out: string[] = [];
  const link = repl.link;
  if (link !== null) for (const [k, v] of link.infoLines()) out.push(`${k}:${v}`);
  else out.push('role:master');
  out.push(`connected_slaves:${repl.replicas.size}`);
  let i = 0;
  const now = Date.now();
  for (const r of repl.replicas.values()) {
    out.push(`slave${i++}:ip=${r.ip},port=${r.port},state=${r.state},offset=${r.ackOffset},lag=${Math.floor((now - r.ackTime) / 1000)}`);
  }
  out.push(`master_failover_state:${repl.failoverState}`);
  out.push(`master_replid:${s.replId}`);
  out.push(`master_replid2:${s.replId2}`);
  out.push(`master_repl_offset:${repl.offset}`);
  out.push(`second_repl_offset:${repl.secondReplOffset}`);
  repl.flushStream();
  const b = repl.backlog;
  out.push(`repl_backlog_active:${b !== null ? 1 : 0}`);
  out.push(`repl_backlog_size:${b !== null ? b.size : s.config.number('repl-backlog-size')}`);
  out.push(`repl_backlog_first_byte_offset:${b !== null ? b.firstOffset : 0}`);
  out.push(`repl_backlog_histlen:${b !== null ? b.histlen : 0}`);
  return out;
}

/** Connects replication to a server: called once by startServer. */
export function installReplication(s: ServerState): void {
  const repl = replicationOf(s);
  repl.buildImage = (done) => {
    const chunks: Buffer[] = [];
    const snap = startSnapshot(
      s,
      (chunk) => chunks.push(Buffer.from(chunk)),
      (err) => {
        if (err === null) done(Buffer.concat(chunks));
        else {
          s.log.warning(`Snapshot for replicas failed: ${err.message}; building it at once`);
          done(snapshot(s));
        }
      },
    );
    // a BGSAVE holds the snapshot machinery: build this one in one go
    if (snap === null) done(snapshot(s));
  };
  s.infoSections.set('replication', () => infoLines(s));
  s.infoFields.set('sync_full', () => repl.syncFull);
  s.infoFields.set('sync_partial_ok', () => repl.syncPartialOk);
  s.infoFields.set('sync_partial_err', () => repl.syncPartialErr);
  s.onDisconnect.push((c) => repl.forget(c));
  s.onClose.push(() => {
    repl.link?.close();
    repl.link = null;
  });
  let lastSecond = 0;
  s.onCron.push((now) => {
    if (now - lastSecond < 1000) return;
    lastSecond = now;
    repl.cron();
  });
  s.config.onChange('min-replicas-to-write', () => updateChecks(s));
  repl.roleChanged = () => updateChecks(s);
  s.config.onChange('repl-backlog-size', () => {
    repl.flushStream();
    repl.backlog?.resize(s.config.number('repl-backlog-size'));
  });
  const initial = s.config.get('replicaof');
  if (initial !== '') {
    const [host, port] = initial.split(' ');
    becomeReplica(s, host!, Number(port));
  }
  updateChecks(s);
}
