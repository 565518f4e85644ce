/*
 * Replication, the follower's side (Redis's replication.c, replica half): the link to our leader.
 *
 * The link is a state machine on one outbound socket: connect; the handshake (PING, AUTH with
 * masterauth, REPLCONF listening-port, REPLCONF capa eof capa psync2, PSYNC with the id and offset
 * we hold so that a reconnect can continue); then either a full sync (an RDB image, sized `$<len>`
 * or delimited by an EOF mark when the leader streams it diskless, replacing our dataset) or a
 * partial one (+CONTINUE); then the stream. The stream is run by a client of kind 'master' through
 * the normal dispatch with its replies dropped; the bytes it applied are forwarded unchanged to our
 * own replicas and backlog, so a chain of replicas shares the leader's offsets and ids (PSYNC2).
 *
 * The offset a replica acknowledges counts only whole commands it has applied: a command split
 * across two reads is counted when its last byte has been run.
 */

import { readFileSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from './client';
import { abortBgsave, bgsaveInProgress, rdbLoadBuffer, rdbPath } from './commands/persistence';
import { libraryCodes, restoreLibraries } from './commands/persistence-functions';
import { execute } from './exec';
import { clock } from './keyspace/clock';
import { Db } from './keyspace/db';
import { encodeCommand } from './propagation';
import { PayloadReceiver } from './repl-transfer';
import { replicationOf, type LinkView, type Replication } from './replication';
import type { ServerState } from './state';

type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

/** Handshake steps: each sends a command and judges the one-line reply. */
type Step = { send: string[]; onReply: (line: string) => boolean };

export class ReplicaLink implements LinkView {
  private linkState: LinkState = 'connect';
  private socket: net.Socket | null = null;
  private master: Client | null = null;
  /** input not yet consumed during handshake and RDB transfer */
  private input: Buffer = Buffer.alloc(0);
  private steps: Step[] = [];
  /** the full sync being received */
  private fullId = '';
  private fullOffset = 0;
  /** the snapshot payload being received (to memory or a temp file, see repl-transfer.ts) */
  private rx: PayloadReceiver | null = null;
  /** stream bytes received but not yet applied (a partial command) */
  private tail: Buffer = Buffer.alloc(0);
  /** stream offset after the last applied command (what REPLCONF ACK reports) */
  private reploff = 0;
  /** stream offset of everything received (slave_read_repl_offset) */
  private readOffset = 0;
  private lastIo = Date.now();
  private downSince = Date.now();
  private retryTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private closedForGood = false;
  private readonly repl: Replication;

  constructor(
    private readonly s: ServerState,
    readonly host: string,
    readonly port: number,
  ) {
    this.repl = replicationOf(s);
    this.tickTimer = setInterval(() => this.tick(), 1000);
    this.tickTimer.unref();
    this.reploff = this.repl.offset;
    this.readOffset = this.reploff;
  }

  // ---------------------------------------------------------------------------------------------
  // LinkView

  state(): string {
    return this.linkState;
  }

  up(): boolean {
    return this.linkState === 'connected';
  }

  infoLines(): [string, string | number][] {
    const now = Date.now();
    const lines: [string, string | number][] = [
      ['role', 'slave'],
      ['master_host', this.host],
      ['master_port', this.port],
      ['master_link_status', this.up() ? 'up' : 'down'],
      ['master_last_io_seconds_ago', this.up() ? Math.floor((now - this.lastIo) / 1000) : -1],
      ['master_sync_in_progress', this.linkState === 'sync' ? 1 : 0],
      ['slave_read_repl_offset', this.readOffset],
      ['slave_repl_offset', this.reploff],
    ];
    if (this.linkState === 'sync') {
      // as Redis: with an EOF mark the total is -1 and left goes negative
      const total = this.rx?.size ?? -1;
      const read = this.rx?.read ?? 0;
      lines.push(['master_sync_total_bytes', total]);
      lines.push(['master_sync_read_bytes', read]);
      lines.push(['master_sync_left_bytes', total - read]);
      lines.push(['master_sync_perc', total > 0 ? ((read / total) * 100).toFixed(2) : '0.00']);
      lines.push(['master_sync_last_io_seconds_ago', Math.floor((now - this.lastIo) / 1000)]);
    }
    if (!this.up()) lines.push(['master_link_down_since_seconds', Math.floor((now - this.downSince) / 1000)]);
    lines.push(['slave_priority', this.s.config.number('replica-priority')]);
    lines.push(['slave_read_only', this.s.config.bool('replica-read-only') ? 1 : 0]);
    lines.push(['replica_announced', this.s.config.bool('replica-announced') ? 1 : 0]);
    return lines;
  }

  sendAck(): void {
    if (this.socket === null || this.linkState !== 'connected') return;
    this.socket.write(encodeCommand(['REPLCONF', 'ACK', String(this.reploff)]), 'latin1');
  }

  close(): void {
    this.closedForGood = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.drop(null);
  }

  // ---------------------------------------------------------------------------------------------
  // connection and handshake

  connect(): void {
    if (this.closedForGood) return;
    const s = this.s;
    this.linkState = 'connecting';
    s.log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      s.log.notice(`MASTER <-> REPLICA sync started`);
      this.linkState = 'handshake';
      this.lastIo = Date.now();
      this.beginHandshake();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.lastIo = Date.now();
      this.onData(chunk);
    });
    socket.on('error', (err) => {
      if (this.socket !== socket) return;
      if (this.linkState === 'connecting') s.log.warning(`Error condition on socket for SYNC: ${err.message}`);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.drop(this.linkState === 'connected' ? 'Connection with master lost.' : null);
    });
  }

  private beginHandshake(): void {
    const s = this.s;
    const steps: Step[] = [];
    steps.push({
      send: ['PING'],
      onReply: (line) => {
        // -NOAUTH is fine here: AUTH follows
        if (line[0] === '-' && !line.startsWith('-NOAUTH') && !line.startsWith('-NOPERM') && !line.startsWith('-ERR operation not permitted')) {
          s.log.warning(`Error reply to PING from master: '${line.slice(1)}'`);
          return false;
        }
        s.log.notice('Master replied to PING, replication can continue...');
        return true;
      },
    });
    const auth = s.config.get('masterauth');
    if (auth !== '') {
      const user = s.config.get('masteruser');
      steps.push({
        send: user !== '' ? ['AUTH', user, auth] : ['AUTH', auth],
        onReply: (line) => {
          if (line[0] === '-') {
            s.log.warning(`Unable to AUTH to MASTER: ${line.slice(1)}`);
            return false;
          }
          return true;
        },
      });
    }
    const announcePort = s.config.number('replica-announce-port');
    steps.push({
      send: ['REPLCONF', 'listening-port', String(announcePort !== 0 ? announcePort : s.port)],
      onReply: (line) => {
        if (line[0] === '-') s.log.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${line.slice(1)}`);
        return true;
      },
    });
    const ip = s.config.get('replica-announce-ip');
    if (ip !== '') {
      steps.push({
        send: ['REPLCONF', 'ip-address', ip],
        onReply: (line) => {
          if (line[0] === '-') s.log.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${line.slice(1)}`);
          return true;
        },
      });
    }
    steps.push({
      send: ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'],
      onReply: (line) => {
        if (line[0] === '-') s.log.notice(`(Non critical) Master does not understand REPLCONF capa: ${line.slice(1)}`);
        return true;
      },
    });
    const replid = this.s.replId;
    const offset = this.reploff + 1;
    // a leader handing over (FAILOVER) tells its target to take over first
    const failover = this.repl.failoverState === 'failover-in-progress';
    steps.push({
      send: failover ? ['PSYNC', replid, String(offset), 'FAILOVER'] : ['PSYNC', replid, String(offset)],
      onReply: (line) => this.onPsyncReply(line, replid, offset),
    });
    s.log.notice(`Trying a partial resynchronization (request ${replid}:${offset}).`);
    this.steps = steps;
    this.sendStep();
  }

  private sendStep(): void {
    const step = this.steps[0];
    if (step !== undefined) this.socket?.write(encodeCommand(step.send), 'latin1');
  }

  private onPsyncReply(line: string, replid: string, offset: number): boolean {
    const accepted = this.psyncReply(line, replid, offset);
    this.repl.failoverPsync?.(accepted);
    return accepted;
  }

  private psyncReply(line: string, replid: string, offset: number): boolean {
    const s = this.s;
    if (line.startsWith('+FULLRESYNC')) {
      const [, id, off] = line.split(' ');
      this.fullId = id ?? '';
      this.fullOffset = Number(off);
      s.log.notice(`Full resync from master: ${this.fullId}:${this.fullOffset}`);
      this.linkState = 'sync';
      this.rx?.abort();
      this.rx = null;
      try {
        this.rx = new PayloadReceiver(this.disklessLoad() ? null : s.config.get('dir'));
      } catch (err) {
        s.log.warning(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(err as Error).message}`);
        return false;
      }
      return true;
    }
    if (line.startsWith('+CONTINUE')) {
      const newId = line.slice(10).trim();
      s.log.notice('Successful partial resynchronization with master.');
      if (newId !== '' && newId !== replid) {
        // the leader's history continues under a new id: ours follows, the old one stays valid
        // as replid2 up to here
        s.replId2 = replid;
        this.repl.secondReplOffset = offset;
        s.replId = newId;
        s.log.notice(`Master replication ID changed to ${newId}`);
        this.repl.disconnectReplicas();
      }
      s.log.notice('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      this.startStream();
      return true;
    }
    if (line.startsWith('-NOMASTERLINK') || line.startsWith('-LOADING')) {
      s.log.notice(`Master is currently unable to PSYNC but should be in the future: ${line.slice(1)}`);
      return false;
    }
    if (line.startsWith('-ERR unknown command') || line.startsWith('-ERR')) {
      s.log.warning(`Unexpected reply to PSYNC from master: ${line}`);
      return false;
    }
    s.log.warning(`Unexpected reply to PSYNC from master: ${line}`);
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // input

  private onData(chunk: Buffer): void {
    if (this.linkState === 'connected') {
      this.onStream(chunk);
      return;
    }
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (this.socket !== null && this.input.length !== 0) {
      const state = this.state() as LinkState;
      if (state === 'handshake') {
        const nl = this.input.indexOf('\r\n');
        if (nl === -1) return;
        const line = this.input.latin1Slice(0, nl);
        this.input = this.input.subarray(nl + 2);
        const step = this.steps.shift();
        if (step === undefined || !step.onReply(line)) {
          this.drop(null);
          return;
        }
        if (this.steps.length !== 0) this.sendStep();
      } else if (state === 'sync') {
        if (!this.readRdb()) return;
      } else if (state === 'connected') {
        // what followed the handshake or the snapshot is stream
        const rest = this.input;
        this.input = Buffer.alloc(0);
        this.onStream(rest);
        return;
      } else {
        return;
      }
    }
  }

  /** repl-diskless-load: whether this full sync loads from memory rather than through dump.rdb. */
  private disklessLoad(): boolean {
    const mode = this.s.config.get('repl-diskless-load');
    if (mode === 'swapdb') return true;
    return mode === 'on-empty-db' && this.s.dbs.every((db) => db.size === 0);
  }

  /** Reads the snapshot from `input`; true when it is complete (the rest of input is stream). */
  private readRdb(): boolean {
    const rx = this.rx!;
    const s = this.s;
    if (!rx.started) {
      // the leader sends newlines to keep the link alive while it prepares the snapshot
      let i = 0;
      while (i < this.input.length && this.input[i] === 10) i++;
      this.input = this.input.subarray(i);
      const nl = this.input.indexOf('\r\n');
      if (nl === -1) return false;
      const line = this.input.latin1Slice(0, nl);
      this.input = this.input.subarray(nl + 2);
      if (line[0] === '-') {
        s.log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        this.drop(null);
        return false;
      }
      rx.header(line);
      const where = rx.toDisk ? 'to disk' : 'to parser';
      if (rx.usesMark) s.log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${where}`);
      else s.log.notice(`MASTER <-> REPLICA sync: receiving ${rx.size} bytes from master ${where}`);
    }
    let rest: Buffer | null;
    try {
      rest = rx.feed(this.input);
    } catch (err) {
      s.log.warning(`Write error saving the DB from master to disk: ${(err as Error).message}`);
      this.drop(null);
      return false;
    }
    if (rest === null) {
      this.input = Buffer.alloc(0);
      return false;
    }
    this.input = rest;
    return this.loadRdb(rx);
  }

  /**
   * The whole image is here: replaces our dataset with it (through dump.rdb for a disk load; into
   * fresh databases for swapdb, the old ones coming back if it does not parse). False when it failed
   * (the link is dropped).
   */
  private loadRdb(rx: PayloadReceiver): boolean {
    const s = this.s;
    this.rx = null;
    // a BGSAVE finishing now would put back a dump of the old dataset (and its snapshot would copy
    // the old dataset as the new one replaces it)
    if (bgsaveInProgress(s)) abortBgsave(s, 'loading the RDB received from the master');
    const swap = s.config.get('repl-diskless-load') === 'swapdb' && !rx.toDisk;
    let image: Buffer;
    let old: Db[] | null = null;
    let oldLibraries: string[] = [];
    if (swap) {
      image = rx.image();
      oldLibraries = libraryCodes(s);
      old = s.dbs.map((db) => {
        const keep = new Db(db.id);
        keep.swapWith(db);
        return keep;
      });
    } else {
      s.log.notice('MASTER <-> REPLICA sync: Flushing old data');
      for (const db of s.dbs) db.clear();
      s.flushed(-1);
      if (rx.toDisk) {
        const target = rdbPath(s);
        try {
          rx.commit(target);
          image = readFileSync(target);
        } catch (err) {
          s.log.warning(`Failed trying to rename the temp DB into ${path.basename(target)} in MASTER <-> REPLICA synchronization: ${(err as Error).message}`);
          rx.abort();
          this.drop(null);
          return false;
        }
      } else image = rx.image();
    }
    s.log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    try {
      rdbLoadBuffer(s, image, { dropExpired: false, log: true });
    } catch (err) {
      if (rx.toDisk) s.log.warning('Failed trying to load the MASTER synchronization DB from disk, check server logs.');
      else s.log.warning(`Failed trying to load the MASTER synchronization DB from socket: ${(err as Error).message}`);
      for (const db of s.dbs) db.clear();
      if (old !== null) {
        s.log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
        s.dbs.forEach((db, i) => db.swapWith(old![i]!));
        restoreLibraries(s, oldLibraries);
      }
      this.deleteSyncFile(rx);
      this.drop(null);
      return false;
    }
    if (old !== null) {
      s.log.notice('MASTER <-> REPLICA sync: Swapping active DB with loaded DB');
      for (const db of old) db.clear();
      s.flushed(-1);
      s.log.notice('MASTER <-> REPLICA sync: Discarding temporary DB in background');
    }
    this.deleteSyncFile(rx);
    s.afterReplicaLoad?.();
    // our history is now the leader's; replicas of ours must resync to learn it
    s.replId = this.fullId;
    this.repl.clearReplicationId2();
    this.repl.createBacklog();
    this.repl.setOffset(this.fullOffset);
    this.repl.disconnectReplicas();
    this.reploff = this.fullOffset;
    this.readOffset = this.fullOffset;
    s.dirty++;
    s.log.notice('MASTER <-> REPLICA sync: Finished with success');
    this.startStream();
    return true;
  }

  /** rdb-del-sync-files: a replica without persistence does not keep the leader's snapshot. */
  private deleteSyncFile(rx: PayloadReceiver): void {
    const s = this.s;
    if (!rx.toDisk || !s.config.bool('rdb-del-sync-files')) return;
    if (s.config.get('save').trim() !== '' || s.config.bool('appendonly')) return;
    s.log.notice('Removing the RDB file obtained from the master. This replica has persistence disabled');
    try {
      unlinkSync(rdbPath(s));
    } catch {
      // already gone
    }
  }

  private startStream(): void {
    const s = this.s;
    const socket = this.socket!;
    this.repl.createBacklog();
    const c = new Client(s.nextClientId++, socket, s.dbs[0]!, {
      maxBulkLen: s.config.number('proto-max-bulk-len'),
      maxQueryBuffer: Number.MAX_SAFE_INTEGER,
      unauthenticated: false,
    });
    c.kind = 'master';
    s.clients.set(c.id, c);
    this.master = c;
    this.tail = Buffer.alloc(0);
    this.linkState = 'connected';
    this.lastIo = Date.now();
    this.sendAck();
  }

  /** Runs stream bytes: whole commands are applied, then forwarded to our replicas and backlog. */
  private onStream(chunk: Buffer): void {
    const c = this.master;
    if (c === null) return;
    const s = this.s;
    clock.refresh();
    this.readOffset += chunk.length;
    const held = this.tail;
    const start = this.reploff;
    const base = this.readOffset;
    const err = c.parser.feed(chunk, (argv) => {
      this.applying(true);
      execute(c, argv, s);
      this.applying(false);
      this.reploff = base - c.parser.pending;
      return !c.closed;
    });
    c.clear();
    if (err !== null) {
      s.log.warning(`Protocol error from master: ${err}`);
      this.drop('Connection with master lost.');
      return;
    }
    // forward what was applied: the bytes held from earlier chunks, then this chunk's
    const applied = this.reploff - start;
    if (applied > 0 && held.length !== 0) this.repl.feedBytes(held, 0, Math.min(applied, held.length));
    if (applied > held.length) this.repl.feedBytes(chunk, 0, applied - held.length);
    // the rest waits for the end of its command (copied: a view would keep the whole chunk alive)
    this.tail = applied >= held.length ? Buffer.from(chunk.subarray(applied - held.length)) : Buffer.concat([held.subarray(applied), chunk]);
  }

  /** While the leader's commands run, keys past their expiry are still there for them. */
  private applying(on: boolean): void {
    this.s.dbHooks.showExpired = on;
  }

  // ---------------------------------------------------------------------------------------------
  // failures and timers

  /** Drops the connection; unless closed for good, tries again in a second. */
  private drop(reason: string | null): void {
    const s = this.s;
    const socket = this.socket;
    this.socket = null;
    if (reason !== null) s.log.notice(reason);
    // a FAILOVER whose target could not be reached or answered does not wait forever
    if (this.linkState !== 'connected' && !this.closedForGood) this.repl.failoverPsync?.(false);
    if (this.linkState === 'connected') this.downSince = Date.now();
    if (this.master !== null) {
      const m = this.master;
      this.master = null;
      m.closed = true;
      s.clients.delete(m.id);
      for (const fn of s.onDisconnect) fn(m);
    }
    socket?.destroy();
    this.input = Buffer.alloc(0);
    this.rx?.abort();
    this.rx = null;
    this.linkState = 'connect';
    if (this.closedForGood) return;
    if (this.retryTimer === null) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, 1000);
      this.retryTimer.unref();
    }
  }

  private tick(): void {
    const s = this.s;
    const timeout = s.config.number('repl-timeout') * 1000;
    const idle = Date.now() - this.lastIo;
    if (this.linkState === 'connected') {
      this.sendAck();
      if (idle > timeout) {
        s.log.warning('MASTER timeout: no data nor PING received...');
        this.drop(null);
      }
    } else if ((this.linkState === 'handshake' || this.linkState === 'sync' || this.linkState === 'connecting') && idle > timeout) {
      s.log.warning(`Timeout connecting to the MASTER...`);
      this.drop(null);
    }
  }
}

/** REPLICAOF host port: becomes a replica of that leader (dropping any previous link). */
export function becomeReplica(s: ServerState, host: string, port: number): void {
  const repl = replicationOf(s);
  if (repl.link !== null) repl.link.close();
  const wasLeader = !s.isReplica;
  s.isReplica = true;
  setKeepExpired(s, true);
  repl.installSink();
  // replicas of ours reconnect and learn the new history from us
  repl.disconnectReplicas();
  if (wasLeader) {
    // the first PSYNC offers our own history: a leader we used to lead can continue it
    repl.createBacklog();
  }
  const link = new ReplicaLink(s, host, port);
  repl.link = link;
  s.log.notice(`Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.`);
  link.connect();
}

/** REPLICAOF NO ONE: back to leader, keeping the history so that replicas can continue (PSYNC2). */
export function becomeLeader(s: ServerState): void {
  const repl = replicationOf(s);
  if (repl.link === null) return;
  repl.link.close();
  repl.link = null;
  s.isReplica = false;
  setKeepExpired(s, false);
  repl.shiftReplicationId();
  repl.createBacklog();
  repl.installSink();
  repl.disconnectReplicas();
}

/** A replica leaves expiry to its leader: expired keys read as missing but stay until its DEL. */
function setKeepExpired(s: ServerState, on: boolean): void {
  s.dbHooks.keepExpired = on;
}
