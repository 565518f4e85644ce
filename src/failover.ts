/*
 * FAILOVER, the leader's side of a coordinated switch-over (Redis 6.2+): the leader pauses writes
 * from clients (CLIENT PAUSE WRITE's machinery), waits until a replica (the one named with TO, or
 * the first to get there) has acknowledged everything it was sent (waiting-for-sync), then demotes
 * itself to a replica of that one (failover-in-progress) and offers it `PSYNC <replid> <offset>
 * FAILOVER`: the target, seeing its own leader's id, promotes itself and continues the history
 * (+CONTINUE with a new id, PSYNC2), and the old leader then lets the paused writes through, which
 * now get -READONLY. TIMEOUT bounds the wait: without FORCE the failover is aborted, with FORCE the
 * leader demotes itself all the same. A rejected PSYNC, a lost link before it, or ABORT puts the
 * old leader back in charge.
 *
 * The target's half (PSYNC ... FAILOVER) is in commands/replication.ts; the handshake sends the
 * FAILOVER argument and reports its outcome through Replication.failover*.
 */

import { becomeLeader, becomeReplica } from './replica-link';
import { replicationOf, type Replication, type ReplicaInfo } from './replication';
import type { ServerState } from './state';

interface Failover {
  host: string | null;
  port: number;
  force: boolean;
  /** absolute ms, 0 without TIMEOUT */
  endTime: number;
  timer: NodeJS.Timeout;
}

const running = new WeakMap<ServerState, Failover>();

/** FAILOVER's checks and start; returns an error text or null (then the caller replies +OK). */
export function startFailover(s: ServerState, host: string | null, port: number, timeoutMs: number, force: boolean): string | null {
  const repl = replicationOf(s);
  if (repl.link !== null) return 'ERR FAILOVER is not valid when server is a replica.';
  if (repl.replicas.size === 0) return 'ERR FAILOVER requires connected replicas.';
  if (repl.failoverState !== 'no-failover') return 'ERR FAILOVER already in progress.';
  if (force && (timeoutMs <= 0 || host === null)) return 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
  if (host !== null) {
    const r = findReplica(repl, host, port);
    if (r === undefined) return 'ERR FAILOVER target HOST and PORT is not a replica.';
    if (r.state !== 'online') return 'ERR FAILOVER target replica is not online.';
    s.log.notice(`FAILOVER requested to ${host}:${port}.`);
  } else s.log.notice('FAILOVER requested to any replica.');
  const now = Date.now();
  const f: Failover = {
    host,
    port,
    force,
    endTime: timeoutMs > 0 ? now + timeoutMs : 0,
    timer: setInterval(() => check(s), 100),
  };
  f.timer.unref();
  running.set(s, f);
  repl.failoverState = 'waiting-for-sync';
  repl.failoverCheck = () => check(s);
  repl.failoverPsync = (accepted) => psyncDone(s, accepted);
  // writes wait; a CLIENT PAUSE given meanwhile, and its CLIENT UNPAUSE, are a separate pause
  s.failoverPause = true;
  return null;
}

/** FAILOVER ABORT: an error text or null. */
export function abortFailoverCommand(s: ServerState): string | null {
  if (replicationOf(s).failoverState === 'no-failover') return 'ERR No failover in progress.';
  abortFailover(s, 'Failover manually aborted');
  return null;
}

function findReplica(repl: Replication, host: string, port: number): ReplicaInfo | undefined {
  for (const r of repl.replicas.values()) if (r.ip === host && r.port === port && !r.client.closed) return r;
  return undefined;
}

/** While waiting: a replica that has everything is the target; or the timeout has passed. */
function check(s: ServerState): void {
  const f = running.get(s);
  const repl = replicationOf(s);
  if (f === undefined || repl.failoverState !== 'waiting-for-sync') return;
  if (f.endTime !== 0 && Date.now() >= f.endTime) {
    if (f.force && f.host !== null) {
      s.log.notice(`FAILOVER to ${f.host}:${f.port} time out exceeded, failing over.`);
      demote(s, f.host, f.port);
    } else abortFailover(s, 'Replica never caught up before timeout');
    return;
  }
  const offset = repl.offset;
  let target: ReplicaInfo | undefined;
  if (f.host !== null) {
    const r = findReplica(repl, f.host, f.port);
    if (r !== undefined && r.state === 'online' && r.ackOffset === offset) target = r;
  } else {
    for (const r of repl.replicas.values()) {
      if (r.state === 'online' && r.ackOffset === offset && !r.client.closed) {
        target = r;
        break;
      }
    }
  }
  if (target === undefined) return;
  s.log.notice(`Failover target ${target.ip}:${target.port} is synced, failing over.`);
  demote(s, target.ip, target.port);
}

/** failover-in-progress: we follow the target, whose PSYNC answer ends the failover. */
function demote(s: ServerState, host: string, port: number): void {
  const repl = replicationOf(s);
  repl.failoverState = 'failover-in-progress';
  becomeReplica(s, host, port);
  repl.roleChanged();
}

function psyncDone(s: ServerState, accepted: boolean): void {
  if (replicationOf(s).failoverState !== 'failover-in-progress') return;
  if (accepted) {
    s.log.notice('Failover target accepted the PSYNC request: failover complete.');
    clear(s);
  } else abortFailover(s, 'Failover target rejected psync request');
}

function abortFailover(s: ServerState, reason: string): void {
  const repl = replicationOf(s);
  s.log.warning(`FAILOVER aborted: ${reason}`);
  if (repl.failoverState === 'failover-in-progress') {
    // back in charge: a new id, the history so far kept as replid2
    repl.failoverState = 'no-failover';
    becomeLeader(s);
    s.log.notice('MASTER MODE enabled (failover aborted)');
    repl.roleChanged();
  }
  clear(s);
}

/** Ends the failover: the paused writes run (against the role we now have). */
function clear(s: ServerState): void {
  const repl = replicationOf(s);
  const f = running.get(s);
  running.delete(s);
  repl.failoverState = 'no-failover';
  repl.failoverCheck = null;
  repl.failoverPsync = null;
  if (f === undefined) return;
  clearInterval(f.timer);
  s.failoverPause = false;
  s.resumePaused();
}
