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

import net from 'node:net';
import { Client } from './client';
import { rdbLoadBuffer } from './commands/persistence';
import { execute } from './exec';
import { clock } from './keyspace/clock';
import { encodeCommand } from './propagation';
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
  private rdbSize = -1;
  private rdbMark: string | null = null;
  private rdbChunks: Buffer[] = [];
  private rdbRead = 0;
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
      const total = this.rdbSize;
      lines.push(['master_sync_total_bytes', total]);
      lines.push(['master_sync_read_bytes', this.rdbRead]);
      lines.push(['master_sync_left_bytes', total > 0 ? total - this.rdbRead : -1]);
      lines.push(['master_sync_perc', total > 0 ? ((this.rdbRead / total) * 100).toFixed(2) : '0.00']);
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
    steps.push({
      send: ['PSYNC', replid, String(offset)],
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
    const s = this.s;
    if (line.startsWith('+FULLRESYNC')) {
      const [, id, off] = line.split(' ');
      this.fullId = id ?? '';
      this.fullOffset = Number(off);
      s.log.notice(`Full resync from master: ${this.fullId}:${this.fullOffset}`);
      this.linkState = 'sync';
      this.rdbSize = -1;
      this.rdbMark = null;
      this.rdbChunks = [];
      this.rdbRead = 0;
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

  /** Reads the snapshot from `input`; true when it is complete (the rest of input is stream). */
  private readRdb(): boolean {
    if (this.rdbSize === -1 && this.rdbMark === null) {
      // the leader sends newlines to keep the link alive while it prepares the snapshot
      let i = 0;
      while (i < this.input.length && this.input[i] === 10) i++;
      this.input = this.input.subarray(i);
      const nl = this.input.indexOf('\r\n');
      if (nl === -1) return false;
      const line = this.input.latin1Slice(0, nl);
      this.input = this.input.subarray(nl + 2);
      if (line[0] === '-') {
        this.s.log.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        this.drop(null);
        return false;
      }
      if (line.startsWith('$EOF:')) {
        this.rdbMark = line.slice(5);
        this.s.log.notice('MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk');
      } else {
        this.rdbSize = Number(line.slice(1));
        this.s.log.notice(`MASTER <-> REPLICA sync: receiving ${this.rdbSize} bytes from master to disk`);
      }
    }
    if (this.rdbMark === null) {
      const need = this.rdbSize - this.rdbRead;
      const take = Math.min(need, this.input.length);
      this.rdbChunks.push(this.input.subarray(0, take));
      this.rdbRead += take;
      this.input = this.input.subarray(take);
      if (this.rdbRead < this.rdbSize) return false;
      this.loadRdb(Buffer.concat(this.rdbChunks));
      return true;
    }
    // diskless: the image ends with the 40-byte mark (a leader sends the stream only after our
    // first ACK, but look for the mark anywhere in the new bytes all the same)
    const mark = this.rdbMark;
    const prev = this.rdbChunks.length === 0 ? Buffer.alloc(0) : this.rdbChunks[this.rdbChunks.length - 1]!;
    const overlap = prev.subarray(Math.max(0, prev.length - mark.length));
    const window = Buffer.concat([overlap, this.input]);
    const at = window.indexOf(mark, 0, 'latin1');
    if (at === -1) {
      this.rdbChunks.push(this.input);
      this.rdbRead += this.input.length;
      this.input = Buffer.alloc(0);
      return false;
    }
    // the mark starts `at` bytes into window: cut the image there, keep what follows as stream
    const endInInput = at - overlap.length;
    const all = Buffer.concat([...this.rdbChunks, this.input.subarray(0, Math.max(0, endInInput))]);
    const image = endInInput >= 0 ? all : all.subarray(0, all.length + endInInput);
    this.input = this.input.subarray(endInInput + mark.length);
    this.rdbRead = image.length;
    this.loadRdb(image);
    return true;
  }

  private loadRdb(image: Buffer): void {
    const s = this.s;
    this.rdbChunks = [];
    s.log.notice('MASTER <-> REPLICA sync: Flushing old data');
    for (const db of s.dbs) db.clear();
    s.flushed(-1);
    s.log.notice('MASTER <-> REPLICA sync: Loading DB in memory');
    try {
      rdbLoadBuffer(s, image, { dropExpired: false, log: true });
    } catch (err) {
      s.log.warning(`Failed trying to load the MASTER synchronization DB from socket: ${(err as Error).message}`);
      for (const db of s.dbs) db.clear();
      this.drop(null);
      return;
    }
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
    const data = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    const start = this.reploff;
    const base = this.readOffset;
    const err = c.parser.feed(chunk, (argv) => {
      this.applying(true);
      execute(c, argv, s);
      this.applying(false);
      this.reploff = base - c.parser.pending;
      return !c.closed;
    });
    c.take();
    if (err !== null) {
      s.log.warning(`Protocol error from master: ${err}`);
      this.drop('Connection with master lost.');
      return;
    }
    const applied = this.reploff - start;
    if (applied > 0) this.repl.feedRaw(data.latin1Slice(0, applied));
    this.tail = data.subarray(applied);
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
    this.rdbChunks = [];
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
  s.log.notice('MASTER MODE enabled (user request from client)');
}

/** A replica leaves expiry to its leader: expired keys read as missing but stay until its DEL. */
function setKeepExpired(s: ServerState, on: boolean): void {
  s.dbHooks.keepExpired = on;
}
