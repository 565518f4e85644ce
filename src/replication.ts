/*
 * Replication, the leader's side (Redis's replication.c, master half): the backlog, the replicas
 * and their state, full and partial resynchronization (PSYNC/SYNC), acknowledgements and WAIT.
 *
 * The replication stream is what propagation.ts emits, with a SELECT whenever the database
 * changes, encoded as bytes (protocol/command-buffer.ts). Once per event-loop turn, before the
 * turn's queued writes, what the turn wrote goes into the backlog and, as one shared Buffer, to every
 * online replica (replicas in a full sync hold it until their snapshot is sent). A full sync sends
 * `+FULLRESYNC <replid> <offset>` and an RDB image of the dataset as it is at that instant (the
 * forkless point-in-time snapshot, built in slices, or at once while a BGSAVE holds the snapshot
 * slot: either way it holds the dataset as of that offset), then the stream from that offset on.
 * A partial sync sends `+CONTINUE` and the missing bytes from the backlog. Replication ids follow
 * PSYNC2: a promoted replica keeps its old leader's id as replid2, so the other replicas can
 * continue with it.
 *
 * The follower's side (the link to a leader) is replica-link.ts; the commands are in
 * commands/replication.ts. One Replication per server, found with replicationOf(s).
 */

import { randomBytes } from 'node:crypto';
import type { Client } from './client';
import { encodeCommand } from './propagation';
import { CommandBuffer } from './protocol/command-buffer';
import { Backlog } from './repl-backlog';
import type { ServerState } from './state';

export type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

/** master_failover_state (FAILOVER, see failover.ts) */
export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

/** What the leader knows of one connected replica. */
export interface ReplicaInfo {
  client: Client;
  state: ReplicaState;
  /** REPLCONF listening-port / ip-address */
  port: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
  /** came with PSYNC (answered +FULLRESYNC first), not the old SYNC */
  psync: boolean;
  /**
   * the stream held for it while its snapshot is built and sent (and, diskless, until its first
   * ACK): Redis keeps it in the replica's output buffer; null once it is online
   */
  pending: Buffer[] | null;
  /** the snapshot went out; a diskless replica now waits to ACK it */
  imageSent: boolean;
  /** offset in its last REPLCONF ACK, and when that came (ms) */
  ackOffset: number;
  ackTime: number;
}

/** A client in WAIT. */
interface Waiter {
  client: Client;
  offset: number;
  needed: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Hooks the follower side installs (replica-link.ts), so that this module needs nothing from it:
 * what INFO, ROLE and REPLCONF GETACK need of the link to our leader.
 */
export interface LinkView {
  host: string;
  port: number;
  /** connect, connecting, sync, connected (ROLE's words) */
  state(): string;
  /** INFO replication lines of a replica (role:slave ... slave_read_only) */
  infoLines(): [string, string | number][];
  /** REPLCONF GETACK from our leader */
  sendAck(): void;
  /** the link is up and synchronized */
  up(): boolean;
  close(): void;
}

export class Replication {
  backlog: Backlog | null = null;
  /** master_repl_offset while there is no backlog */
  private offsetNoBacklog = 0;
  /** the stream since the last flushStream (written once per event-loop turn) */
  private readonly stream = new CommandBuffer();
  /** the offset up to which replid2 is valid (second_repl_offset), -1 when none */
  secondReplOffset = -1;
  readonly replicas = new Map<Client, ReplicaInfo>();
  /** the database the stream last selected (-1: the next command selects) */
  private selectedDb = -1;
  /** when the last replica left (for repl-backlog-ttl) */
  private noReplicasSince = Date.now();
  private readonly waiters: Waiter[] = [];
  /** a GETACK is due before the event loop sleeps (WAIT) */
  private getAckScheduled = false;
  /** replicas waiting for repl-diskless-sync-delay to pass */
  private delayTimer: NodeJS.Timeout | null = null;
  /** the link to our own leader while we are a replica */
  link: LinkView | null = null;
  /** FAILOVER's progress (failover.ts drives it) */
  failoverState: FailoverState = 'no-failover';
  /** while waiting for a replica to catch up: called on each ACK */
  failoverCheck: (() => void) | null = null;
  /** while failing over: the link reports whether the target took our PSYNC FAILOVER */
  failoverPsync: ((accepted: boolean) => void) | null = null;
  /** the role changed outside REPLICAOF (FAILOVER): the write checks are updated */
  roleChanged: () => void = () => {};
  /** counters for INFO */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;

  constructor(readonly s: ServerState) {
    s.propagation.offset = () => this.offset;
    s.beforeQueuedWrites = this.flushStream;
  }

  get offset(): number {
    return this.backlog !== null ? this.backlog.endOffset + this.stream.length : this.offsetNoBacklog;
  }

  /** Sets the offset (a replica adopting its leader's after a full sync). */
  setOffset(offset: number): void {
    this.flushStream();
    if (this.backlog !== null) this.backlog = new Backlog(this.backlogSize(), offset);
    else this.offsetNoBacklog = offset;
  }

  private backlogSize(): number {
    return this.s.config.number('repl-backlog-size');
  }

  /** Creates the backlog if there is none, starting at the current offset. */
  createBacklog(): void {
    if (this.backlog === null) this.backlog = new Backlog(this.backlogSize(), this.offsetNoBacklog);
  }

  /**
   * Connects propagation to the stream while we are a leader (a replica only forwards what its
   * leader sends, see feedRaw).
   */
  installSink(): void {
    this.s.propagation.replication = this.s.isReplica || this.backlog === null ? null : this.sink;
  }

  private readonly sink = (db: number, argv: readonly string[]): void => {
    if (this.backlog === null) return;
    this.streamStarts();
    if (db !== -1 && db !== this.selectedDb) {
      this.stream.command(['SELECT', String(db)]);
      this.selectedDb = db;
    }
    this.stream.command(argv);
  };

  /** Appends bytes (a latin1 string) to the stream: the backlog and every online replica. */
  feedRaw(data: string): void {
    if (this.backlog === null) {
      this.offsetNoBacklog += data.length;
      return;
    }
    this.streamStarts();
    this.stream.text(data);
  }

  /** Appends bytes to the stream (a replica forwarding what its leader sent). */
  feedBytes(data: Buffer, from: number, to: number): void {
    if (this.backlog === null) {
      this.offsetNoBacklog += to - from;
      return;
    }
    this.streamStarts();
    this.stream.bytes(data, from, to);
  }

  /** The first bytes of a turn: the turn's queued writes must come (they flush the stream first). */
  private streamStarts(): void {
    if (this.stream.length === 0) this.s.scheduleWrites();
  }

  /**
   * Sends the stream written since the last flush: into the backlog, to every online replica, and
   * held for those in a full sync. Runs before the turn's queued writes, and before anything that
   * reads the backlog or changes a replica's state, so that each replica gets each byte once.
   */
  readonly flushStream = (): void => {
    if (this.stream.length === 0 || this.backlog === null) return;
    const chunk = this.stream.take();
    this.backlog.append(chunk);
    for (const r of this.replicas.values()) {
      if (r.client.closed) continue;
      if (r.state === 'online') {
        r.client.rawBuffer(chunk);
        this.s.queueWrite(r.client);
      } else if (r.pending !== null) r.pending.push(chunk);
    }
  };

  /** The next command goes out with a SELECT (a new full sync starts mid-stream). */
  forgetSelectedDb(): void {
    this.selectedDb = -1;
  }

  /** A fresh replication id: a replica promoted to leader keeps the old one as replid2 (PSYNC2). */
  shiftReplicationId(): void {
    this.s.replId2 = this.s.replId;
    this.secondReplOffset = this.offset + 1;
    this.s.replId = randomBytes(20).toString('hex');
    this.s.log.notice(
      `Setting secondary replication ID to ${this.s.replId2}, valid up to offset: ${this.secondReplOffset}. New replication ID is ${this.s.replId}`,
    );
  }

  /** Forgets replid2 (after a full sync from a new leader). */
  clearReplicationId2(): void {
    this.s.replId2 = '0'.repeat(40);
    this.secondReplOffset = -1;
  }

  /** Drops every replica connection (they reconnect and resync, partially when they can). */
  disconnectReplicas(): void {
    for (const r of [...this.replicas.values()]) r.client.close();
  }

  // ---------------------------------------------------------------------------------------------
  // synchronization

  /** PSYNC / SYNC from a client: partial resync when possible, else a full one. */
  sync(c: Client, replid: string | null, offset: number): void {
    this.flushStream();
    const info: ReplicaInfo = this.replicas.get(c) ?? {
      client: c,
      state: 'wait_bgsave',
      port: 0,
      ip: clientIp(c),
      capaEof: false,
      capaPsync2: false,
      psync: replid !== null,
      pending: null,
      imageSent: false,
      ackOffset: 0,
      ackTime: Date.now(),
    };
    const pending = pendingCapa.get(c);
    if (pending !== undefined) Object.assign(info, pending);
    if (replid !== null && this.tryPartial(c, info, replid, offset)) return;
    if (replid !== null) {
      if (replid !== '?') {
        this.syncPartialErr++;
        this.s.log.notice(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.s.replId}' and '${this.s.replId2}')`);
      } else {
        this.s.log.notice(`Replica ${info.ip}:${info.port} asks for synchronization`);
        this.s.log.notice(`Full resync requested by replica ${info.ip}:${info.port}`);
      }
    }
    c.kind = 'replica';
    info.state = 'wait_bgsave';
    this.replicas.set(c, info);
    this.createBacklog();
    this.installSink();
    info.psync = replid !== null;
    const delay = this.s.config.number('repl-diskless-sync-delay');
    if (this.s.config.bool('repl-diskless-sync') && delay > 0 && info.capaEof) {
      if (this.delayTimer === null) {
        this.s.log.notice(`Delay next BGSAVE for diskless SYNC`);
        this.delayTimer = setTimeout(() => {
          this.delayTimer = null;
          this.startFullSyncs();
        }, delay * 1000);
      }
      return;
    }
    this.startFullSyncs();
  }

  private tryPartial(c: Client, info: ReplicaInfo, replid: string, offset: number): boolean {
    const s = this.s;
    const sameHistory = replid === s.replId || (replid === s.replId2 && offset <= this.secondReplOffset);
    if (!sameHistory || this.backlog === null || !this.backlog.covers(offset)) {
      if (sameHistory) {
        this.syncPartialErr++;
        s.log.notice(`Unable to partial resync with replica ${info.ip}:${info.port} for lack of backlog (Replica request was: ${offset}).`);
      }
      return false;
    }
    c.kind = 'replica';
    info.state = 'online';
    info.ackTime = Date.now();
    this.replicas.set(c, info);
    c.raw(info.capaPsync2 ? `+CONTINUE ${s.replId}\r\n` : '+CONTINUE\r\n');
    const missing = this.backlog.from(offset);
    if (missing.length !== 0) c.rawBuffer(missing);
    this.syncPartialOk++;
    s.log.notice(
      `Partial resynchronization request from ${info.ip}:${info.port} accepted. Sending ${missing.length} bytes of backlog starting from offset ${offset}.`,
    );
    return true;
  }

  /**
   * Starts a full sync for every replica waiting for one: +FULLRESYNC with the offset now, then the
   * snapshot as of now, built in slices between event-loop turns (persistence's forkless snapshot),
   * while the stream that follows is held for them.
   */
  private startFullSyncs(): void {
    const waiting = [...this.replicas.values()].filter((r) => r.state === 'wait_bgsave' && !r.client.closed);
    if (waiting.length === 0) return;
    // what was written before the snapshot's offset is not the replicas' to get
    this.flushStream();
    const s = this.s;
    const diskless = s.config.bool('repl-diskless-sync');
    s.log.notice(`Starting BGSAVE for SYNC with target: ${diskless ? 'replicas sockets' : 'disk'}`);
    const started = Date.now();
    const offset = this.offset;
    // the stream after the snapshot must say which database it writes to
    this.forgetSelectedDb();
    for (const r of waiting) {
      if (r.psync) r.client.raw(`+FULLRESYNC ${s.replId} ${offset}\r\n`);
      s.queueWrite(r.client);
      r.state = 'send_bulk';
      r.pending = [];
      r.imageSent = false;
    }
    this.buildImage((image) => {
      s.log.notice(`Background RDB transfer started`);
      for (const r of waiting) {
        const c = r.client;
        if (c.closed || this.replicas.get(c) !== r) continue;
        if (diskless && r.capaEof) {
          const mark = randomBytes(20).toString('hex');
          c.raw(`$EOF:${mark}\r\n`);
          c.rawBuffer(image);
          c.raw(mark);
          // a diskless replica finds the end of the image by its last bytes: the stream waits for
          // its first ACK, as Redis's does
          r.imageSent = true;
        } else {
          c.raw(`$${image.length}\r\n`);
          c.rawBuffer(image);
          this.putOnline(r);
        }
        r.ackTime = Date.now();
        this.syncFull++;
        s.queueWrite(c);
        s.log.notice(`Synchronization with replica ${r.ip}:${r.port} succeeded`);
      }
      s.log.verbose(`Snapshot for ${waiting.length} replica(s): ${image.length} bytes in ${Date.now() - started} ms`);
    });
  }

  /** Sends a replica the stream held for it; from now on it gets the stream as it goes. */
  private putOnline(r: ReplicaInfo): void {
    this.flushStream();
    const held = r.pending;
    r.pending = null;
    r.state = 'online';
    if (held !== null && held.length !== 0) {
      for (const chunk of held) r.client.rawBuffer(chunk);
      this.s.queueWrite(r.client);
    }
  }

  /**
   * Builds the RDB image a full sync sends and hands it to `done` (installed by
   * commands/replication.ts: a forkless snapshot, or one built at once while a BGSAVE runs).
   */
  buildImage: (done: (image: Buffer) => void) => void = () => {
    throw new Error('no snapshot writer installed');
  };

  // ---------------------------------------------------------------------------------------------
  // acknowledgements and WAIT

  /** REPLCONF ACK <offset> from a replica. */
  ack(c: Client, offset: number): void {
    const r = this.replicas.get(c);
    if (r === undefined) return;
    if (r.state === 'send_bulk' && r.imageSent) this.putOnline(r);
    if (offset > r.ackOffset) r.ackOffset = offset;
    r.ackTime = Date.now();
    if (this.waiters.length !== 0) this.checkWaiters();
    this.failoverCheck?.();
  }

  /** Replicas whose acknowledged offset reached `offset`. */
  replicasAt(offset: number): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /**
   * WAIT: answers at once when enough replicas are there (or the caller may not block), else blocks
   * the client until they acknowledge or the timeout passes.
   */
  wait(c: Client, needed: number, timeoutMs: number, mayBlock: boolean): void {
    const offset = c.woff;
    const have = this.replicasAt(offset);
    if (have >= needed || !mayBlock) {
      c.int(have);
      return;
    }
    const w: Waiter = { client: c, offset, needed, timer: null };
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => this.finishWait(w), Math.min(timeoutMs, 2 ** 31 - 1));
    }
    this.waiters.push(w);
    c.waiting = true;
    this.requestAcks();
  }

  private finishWait(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i === -1) return;
    this.waiters.splice(i, 1);
    if (w.timer !== null) clearTimeout(w.timer);
    const c = w.client;
    if (c.closed) return;
    c.int(this.replicasAt(w.offset));
    this.s.resumeClient(c);
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) if (this.replicasAt(w.offset) >= w.needed) this.finishWait(w);
  }

  /** A disconnected client stops waiting. */
  forget(c: Client): void {
    const w = this.waiters.find((x) => x.client === c);
    if (w !== undefined) {
      if (w.timer !== null) clearTimeout(w.timer);
      this.waiters.splice(this.waiters.indexOf(w), 1);
    }
    if (this.replicas.delete(c)) {
      const r = c.raddr;
      this.s.log.notice(`Connection with replica ${r} lost.`);
      if (this.replicas.size === 0) this.noReplicasSince = Date.now();
    }
    pendingCapa.delete(c);
  }

  /** Asks every replica for its offset (once per event-loop turn, however many clients WAIT). */
  private requestAcks(): void {
    if (this.getAckScheduled) return;
    this.getAckScheduled = true;
    setImmediate(() => {
      this.getAckScheduled = false;
      if (this.replicas.size === 0 || this.backlog === null) return;
      this.feedRaw(GETACK);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // cron (once a second)

  cron(): void {
    const s = this.s;
    const now = Date.now();
    if (!s.isReplica && this.replicas.size !== 0) {
      const period = s.config.number('repl-ping-replica-period');
      // no PING while a FAILOVER waits for a replica to reach our offset
      if (++this.pingTicks >= period && this.failoverState === 'no-failover') {
        this.pingTicks = 0;
        this.feedRaw(PING);
      }
      const timeout = s.config.number('repl-timeout') * 1000;
      for (const r of [...this.replicas.values()]) {
        if (r.state === 'online' && now - r.ackTime > timeout) {
          s.log.warning(`Disconnecting timedout replica (streaming sync): ${r.ip}:${r.port}`);
          r.client.close();
        }
      }
    }
    if (this.replicas.size === 0 && this.backlog !== null && !s.isReplica) {
      const ttl = s.config.number('repl-backlog-ttl');
      if (ttl > 0 && now - this.noReplicasSince > ttl * 1000) {
        // a new id: a replica that comes back cannot continue from bytes we no longer hold
        this.flushStream();
        this.offsetNoBacklog = this.backlog.endOffset;
        this.backlog = null;
        this.installSink();
        this.shiftReplicationId();
        this.clearReplicationId2();
        s.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
      }
    }
    if (this.waiters.length !== 0) this.requestAcks();
  }

  private pingTicks = 0;

  /** Replicas counted by min-replicas-to-write: online and heard from within min-replicas-max-lag. */
  goodReplicas(): number {
    const lag = this.s.config.number('min-replicas-max-lag') * 1000;
    const now = Date.now();
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && now - r.ackTime <= lag) n++;
    return n;
  }
}

const PING = encodeCommand(['PING']);
const GETACK = encodeCommand(['REPLCONF', 'GETACK', '*']);

/** REPLCONF options a client gave before its PSYNC (it is not a replica yet). */
const pendingCapa = new WeakMap<Client, Partial<ReplicaInfo>>();

/** Records a REPLCONF option of a (future) replica. */
export function replconfOption(c: Client, repl: Replication, opt: Partial<ReplicaInfo>): void {
  const r = repl.replicas.get(c);
  if (r !== undefined) Object.assign(r, opt);
  else pendingCapa.set(c, { ...pendingCapa.get(c), ...opt });
}

function clientIp(c: Client): string {
  const a = c.raddr;
  const i = a.lastIndexOf(':');
  const host = i === -1 ? a : a.slice(0, i);
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

const instances = new WeakMap<ServerState, Replication>();

/** The server's replication state (created on first use). */
export function replicationOf(s: ServerState): Replication {
  let r = instances.get(s);
  if (r === undefined) {
    r = new Replication(s);
    instances.set(s, r);
  }
  return r;
}
