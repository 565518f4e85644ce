/*
 * The state of one server: configuration, databases, connected clients, statistics, and the
 * facilities commands share (slow log, latency monitor, monitors). It is Redis's `server` struct:
 * the commands read and change it; the network layer (server.ts) owns its lifetime.
 *
 * Several servers can live in one process (the tests start many), so nothing here is global.
 */

import { randomBytes } from 'node:crypto';
import type { Client } from './client';
import { Config } from './config/config';
import { touchStamp } from './keyspace/lru';
import { Db, type DbHooks, type Value } from './keyspace/db';
import { Logger } from './log';
import { TrackingTable } from './tracking-table';
import { keyUsage } from './memory';
import { Propagation } from './propagation';
import { discardTransaction, WatchRegistry } from './multi';

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
  /** latency histogram (latency.ts layout), allocated on the first recorded call */
  hist: Uint32Array | null;
}

export interface SlowlogEntry {
  id: number;
  time: number;
  durationUs: number;
  argv: string[];
  addr: string;
  name: string;
}

export interface LatencyEvent {
  samples: { time: number; latency: number }[];
  max: number;
}

export class Stats {
  totalConnections = 0;
  totalCommands = 0;
  rejectedConnections = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  expiredKeys = 0;
  expiredStalePerc = 0;
  evictedKeys = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  totalErrorReplies = 0;
  /**
   * error replies of commands run by EXEC: EXEC adds them here so that call() does not count them
   * as EXEC's own failure (failed_calls), as Redis
   */
  nestedErrorReplies = 0;
  unexpectedErrorReplies = 0;
  totalReadsProcessed = 0;
  totalWritesProcessed = 0;
  clientQueryBufferLimitDisconnections = 0;
  clientOutputBufferLimitDisconnections = 0;
  /** keys released by FLUSHDB/FLUSHALL ASYNC (INFO lazyfreed_objects) */
  lazyfreedObjects = 0;
  /** AOF writes that stopped waiting for a background fsync after 2 s (INFO aof_delayed_fsync) */
  aofDelayedFsync = 0;
  /** by command spec id (see command.ts allSpecs); sparse */
  readonly commandStats: (CommandStat | undefined)[] = [];
  readonly errorStats = new Map<string, number>();
  /** instantaneous ops/sec sampling (Redis samples every 100 ms over 16 samples) */
  readonly opsSamples: number[] = [];
  lastSampleTime = Date.now();
  lastSampleCommands = 0;

  reset(): void {
    const fresh = new Stats();
    const keep = new Set(['commandStats', 'errorStats', 'opsSamples']);
    for (const k of Object.keys(fresh) as (keyof Stats)[]) {
      if (!keep.has(k)) (this as Record<string, unknown>)[k] = fresh[k];
    }
    this.commandStats.length = 0;
    this.errorStats.clear();
    this.opsSamples.length = 0;
  }

  /** The statistics of the command with this spec id (created on first use). */
  commandStat(id: number): CommandStat {
    let st = this.commandStats[id];
    if (st === undefined) {
      st = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0, hist: null };
      this.commandStats[id] = st;
    }
    return st;
  }
}

export class ServerState {
  readonly config: Config;
  readonly log = new Logger();
  readonly dbs: Db[] = [];
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  readonly stats = new Stats();
  readonly runId = randomBytes(20).toString('hex');
  readonly startTime = Date.now();
  nextClientId = 1;
  /** writes since the last save (rdb_changes_since_last_save) */
  dirty = 0;
  lastSave = Math.floor(Date.now() / 1000);
  /** the port actually listened on (port 0 resolves to a free one) */
  port = 0;
  configFile = '';
  readonly slowlog: SlowlogEntry[] = [];
  slowlogNextId = 0;
  readonly latency = new Map<string, LatencyEvent>();
  /** slowlog-log-slower-than, cached: it is read after every command */
  slowlogThreshold = 10000;
  /** latency-monitor-threshold (ms, 0 = off) and latency-tracking, cached: read after every command */
  latencyThreshold = 0;
  latencyTracking = true;
  /** DEBUG SET-ACTIVE-EXPIRE: when false the cron must not expire keys actively (lazy expiry stays) */
  activeExpireEnabled = true;
  /** DEBUG PAUSE-CRON: when true the cron must skip its periodic work */
  cronPaused = false;
  /** DEBUG QUICKLIST-PACKED-THRESHOLD: list elements this large are stored as plain nodes */
  quicklistPackedThreshold = 1 << 30;
  /** replication ids (INFO master_replid/master_replid2; DEBUG CHANGE-REPL-ID renews the first) */
  replId = randomBytes(20).toString('hex');
  replId2 = '0'.repeat(40);
  /** memory figures for INFO/MEMORY STATS: heap use at start-up and the highest seen */
  readonly memoryStartup = process.memoryUsage().heapUsed;
  memoryPeak = 0;
  /** clients' query and output buffer bytes, as the cron last summed them (used_memory counts them) */
  clientsMemory = 0;
  /** live heap V8 found beyond the accounted figure at the last full GC (evict.ts HeapWatch) */
  heapSlack = 0;
  /** maxmemory in bytes (0 = no limit), cached by eviction for the per-command check */
  maxmemory = 0;
  /**
   * installed by eviction: frees memory by maxmemory-policy before a command runs (Redis's
   * performEvictions); false when over maxmemory and nothing could be freed
   */
  performEvictions: () => boolean = () => true;
  /** true on a replica (replication sets it): expiry and eviction then follow the leader */
  isReplica = false;
  /**
   * installed by replication while writes must be checked (a replica: -READONLY, -MASTERDOWN; a
   * leader with min-replicas-to-write: -NOREPLICAS): the error for a command, or null to run it
   */
  replicationCheck: ((isWrite: boolean, allowedStale: boolean) => string | null) | null = null;
  /** the stream of effects for replicas and the AOF (propagation.ts) */
  readonly propagation = new Propagation();

  /**
   * Adds a command to the propagated stream (Redis's alsoPropagate): inside a command it joins that
   * command's unit, outside one (cron, a served blocked client) it goes out at once.
   */
  propagate(db: number, argv: readonly string[], replicationOnly = false): void {
    if (this.propagation.active) this.propagation.add(db, argv, this.executing !== null, replicationOnly);
  }

  /** Propagates a key the server deleted on its own (eviction, expiry) as a DEL, as Redis does. */
  propagateDel(db: Db, key: string): void {
    this.propagate(db.id, ['DEL', key]);
  }
  /**
   * INFO values owned by other modules: a getter installed under the field's name replaces the idle
   * value INFO prints (e.g. 'blocked_clients', 'pubsub_channels', 'rdb_bgsave_in_progress', 'loading').
   */
  readonly infoFields = new Map<string, () => string | number>();
  /** Whole INFO sections owned by other modules (e.g. 'replication' on a replica): lines after the header. */
  readonly infoSections = new Map<string, () => string[]>();
  /** CLIENT PAUSE: until when, and whether only writes are paused */
  pausedUntil = 0;
  pauseWritesOnly = false;
  /** writes paused by FAILOVER, apart from CLIENT PAUSE (CLIENT UNPAUSE does not end it, as in Redis) */
  failoverPause = false;
  /**
   * installed by persistence while it must refuse commands (-LOADING while the dataset loads,
   * -MISCONF for writes after a failed background save); null otherwise, so dispatch pays one check
   */
  commandGate: ((isWrite: boolean, name: string, allowedWhileLoading: boolean) => string | null) | null = null;
  /** called by RESET for each facility's per-client state (MULTI, WATCH, pub/sub, tracking) */
  readonly onReset: ((c: Client) => void)[] = [];
  /** called by the cron at every tick (hz times a second) with the time in ms */
  readonly onCron: ((now: number) => void)[] = [];
  /** called when the server closes, before its connections are (outbound links end here) */
  readonly onClose: (() => void)[] = [];
  /** called when a client disconnects (blocking, pub/sub and WATCH clean up here) */
  readonly onDisconnect: ((c: Client) => void)[] = [];
  /** WATCHed keys of all clients (multi.ts) */
  readonly watches = new WatchRegistry();
  /** installed by blocking commands: CLIENT UNBLOCK; true if the client was blocked */
  unblock: (c: Client, withError: boolean) => boolean = () => false;
  /** installed by the network layer: ends CLIENT PAUSE and resumes the paused clients */
  unpause: () => void = () => {};
  /** installed by the network layer: lets paused clients try again after a pause ended (each waits again if still paused) */
  resumePaused: () => void = () => {};
  /** installed by the network layer: SHUTDOWN; returns an error message or null when shutting down */
  shutdown: (opts: { save?: boolean; noSave?: boolean; now?: boolean; force?: boolean }) => string | null = () =>
    'ERR shutdown is not available';
  /**
   * installed by persistence (RDB): saves the dataset for SHUTDOWN (and the signals); returns an
   * error message or null. While null, shutdown logs that nothing could be saved and goes on.
   */
  shutdownSave: (() => string | null) | null = null;
  /**
   * installed by persistence: runs after FLUSHALL has emptied the databases (Redis abandons a running
   * BGSAVE there and, with save rules set, saves the empty dataset at once)
   */
  afterFlushAll: (() => void) | null = null;
  /** the AOF's flush point: called before a batch's replies are written (appendfsync always) */
  beforeReply: (() => void) | null = null;
  /** a replica replaced its dataset with its leader's (full sync): the AOF starts over from it */
  afterReplicaLoad: (() => void) | null = null;

  /** the hooks every Db calls (expiry events; replicas keep expired keys for their leader's DEL) */
  readonly dbHooks: DbHooks;

  constructor(config = new Config()) {
    this.config = config;
    const hooks: DbHooks = {
      expired: (db, key) => this.onExpired(db, key),
      keepExpired: false,
      showExpired: false,
    };
    this.dbHooks = hooks;
    this.slowlogThreshold = config.number('slowlog-log-slower-than');
    config.onChange('slowlog-log-slower-than', (v) => (this.slowlogThreshold = Number(v)));
    this.latencyThreshold = config.number('latency-monitor-threshold');
    config.onChange('latency-monitor-threshold', (v) => (this.latencyThreshold = Number(v)));
    this.latencyTracking = config.bool('latency-tracking');
    config.onChange('latency-tracking', (v) => (this.latencyTracking = v === 'yes'));
    const n = config.number('databases');
    for (let i = 0; i < n; i++) {
      const db = new Db(i);
      db.hooks = hooks;
      this.dbs.push(db);
    }
    const endTransaction = (c: Client): void => discardTransaction(c, this.watches);
    this.onReset.push(endTransaction);
    this.onDisconnect.push(endTransaction);
  }

  /** Hook: a key expired (lazily or actively). Keyspace events and replication DELs attach here. */
  onExpired(db: Db, key: string): void {
    this.stats.expiredKeys++;
    if (this.watches.count !== 0) this.watches.touch(db, key);
    if (this.tracking.clients !== 0) this.invalidateTracked(key);
    this.notify('x', 'expired', key, db.id);
    this.propagateDel(db, key);
    if (this.blocking.blockedClients !== 0) this.blocking.signal(db, key);
  }

  /**
   * Looks a key up for reading (Redis's lookupKeyRead): expires it if due, counts a keyspace hit or
   * miss, and updates its access time unless the client asked for NO-TOUCH.
   */
  readKey(c: Client, key: string): Value | undefined {
    const db = c.db;
    const slot = db.slot(key);
    if (slot === -1) {
      this.stats.keyspaceMisses++;
      this.notify('m', 'keymiss', key, db.id);
      return undefined;
    }
    this.stats.keyspaceHits++;
    if (!c.noTouch) db.lru[slot] = touchStamp(db.lru[slot]!);
    return db.values[slot];
  }

  /** Looks a key up for writing (lookupKeyWrite): expires it if due, touches it, counts nothing. */
  writeKey(c: Client, key: string): Value | undefined {
    const db = c.db;
    const slot = db.slot(key);
    if (slot === -1) return undefined;
    if (!c.noTouch) db.lru[slot] = touchStamp(db.lru[slot]!);
    return db.values[slot];
  }

  /**
   * Signals that a key was modified (Redis's signalModifiedKey): WATCH and client tracking attach
   * here. Every write command calls it for each key it changes, and adds to `dirty`.
   */
  keyModified(db: Db, key: string): void {
    if (this.watches.count !== 0) this.watches.touch(db, key);
    // a waiter may have to learn that its key went away or changed type (XREADGROUP)
    if (this.blocking.blockedClients !== 0) this.blocking.signal(db, key);
    if (this.tracking.clients !== 0) this.invalidateTracked(key);
    // memory accounting: the key's new footprint (collections estimate theirs by sampling)
    const slot = db.map.get(key);
    if (slot !== undefined) {
      db.account(slot, keyUsage(key, db.values[slot]!, db.expires.size !== 0 && db.expires.has(key)));
    }
  }

  /**
   * Signals that a database was emptied (Redis's signalFlushedDb); dbid -1 means all of them.
   * FLUSHDB/FLUSHALL (and later SWAPDB, replica full sync) call it after clearing: WATCH marks the
   * watchers of that db dirty and client tracking invalidates everything here.
   */
  flushed(dbid: number): void {
    if (this.tracking.clients !== 0 || dbid === -1) this.invalidateTrackedAll(dbid);
  }

  /** clients blocked on keys (blocking.ts) */
  readonly blocking = new BlockingTable();
  /** installed by the network layer: a client that was blocked goes on with its pending input */
  resumeClient: (c: Client) => void = () => {};
  /** client-side caching bookkeeping (tracking.ts) */
  readonly tracking = new TrackingTable();
  /** the client whose command is running (Redis's current_client), for NOLOOP and deferred invalidations */
  executing: Client | null = null;
  /**
   * Where the next command of the input batch being run starts, for its commandstats time: -1 outside
   * a batch (each command reads the clock), 0 when the next one reads it, else the end of the one
   * before. The commands of a batch run back to back, so one clock read per command times them all
   * (each command's time then includes parsing its own arguments).
   */
  batchClock = -1;
  /** installed by tracking.ts: a key changed, invalidate it for the clients caching it */
  invalidateTracked: (key: string) => void = () => {};
  /** installed by tracking.ts: a database (-1: all) was flushed */
  invalidateTrackedAll: (dbid: number) => void = () => {};

  /**
   * Called before databases are emptied (dbid -1: all): WATCH must see which watched keys existed.
   * emptyData calls it; so must anything else that clears a db.
   */
  flushing(dbid: number): void {
    if (this.watches.count === 0) return;
    for (const db of this.dbs) if (dbid === -1 || db.id === dbid) this.watches.flushing(db);
  }

  /** Called by SWAPDB after exchanging the contents of two databases (WATCH). */
  swapped(a: number, b: number): void {
    if (this.watches.count !== 0) this.watches.swapped(this.dbs[a]!, this.dbs[b]!);
    // as Redis's scanDatabaseForReadyKeys: what clients wait on may have arrived with the swap
    if (this.blocking.blockedClients !== 0) {
      this.blocking.signalAll(this.dbs[a]!);
      this.blocking.signalAll(this.dbs[b]!);
    }
  }

  /**
   * Raises a keyspace notification (Redis's notifyKeyspaceEvent). `type` is the class flag Redis
   * uses for the event: 'g' generic, '$' string, 'l' list, 's' set, 'h' hash, 'z' zset, 'x' expired,
   * 'e' evicted, 't' stream, 'd' module, 'n' new key, 'm' key miss. Commands call it with Redis's exact
   * event names (e.g. notify('$', 'set', key, db.id)); pubsub.ts publishes the enabled ones.
   */
  notify(type: string, event: string, key: string, dbid: number): void {
    if (this.keyspaceEvents !== 0) this.publishKeyspaceEvent(type, event, key, dbid);
  }

  /** notify-keyspace-events as bits (pubsub.ts keeps it current); 0 = nothing is published */
  keyspaceEvents = 0;
  /** installed by pubsub.ts: publishes one keyspace event when its class is enabled */
  publishKeyspaceEvent: (type: string, event: string, key: string, dbid: number) => void = () => {};
  /** pub/sub subscribers by channel, by pattern, and by shard channel (pubsub.ts) */
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /**
   * installed by the network layer: the client has output from outside its own commands (a
   * published message, a served blocked command) to be written once the current batch ends
   */
  queueWrite: (c: Client) => void = () => {};
  /** installed by the network layer: the turn's queued writes will run (even if none is queued yet) */
  scheduleWrites: () => void = () => {};
  /** replication's flush point: its stream joins the replicas' output before the turn's queued writes */
  beforeQueuedWrites: (() => void) | null = null;

  /** The Unix time in seconds of the server's start. */
  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startTime) / 1000);
  }
}

/** Blocked clients by key, and the keys made ready since they were last served (blocking.ts). */
export class BlockingTable {
  /** db id -> key -> clients blocked on it, in blocking order */
  readonly byKey = new Map<number, Map<string, Client[]>>();
  /** keys signalled ready since the last handleReadyKeys, in order, without repeats */
  readonly ready: { db: Db; key: string }[] = [];
  readonly readySet = new Set<string>();
  blockedClients = 0;

  /** Marks key as ready when clients wait on it (blocking.ts signalKeyAsReady). */
  signal(db: Db, key: string): void {
    if (this.byKey.get(db.id)?.has(key) !== true) return;
    const id = `${db.id}:${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
  }

  /** Marks every key clients wait on in db as ready (SWAPDB brought in other contents). */
  signalAll(db: Db): void {
    const perDb = this.byKey.get(db.id);
    if (perDb === undefined) return;
    for (const key of perDb.keys()) {
      const id = `${db.id}:${key}`;
      if (this.readySet.has(id)) continue;
      this.readySet.add(id);
      this.ready.push({ db, key });
    }
  }
}
