/*
 * The network layer: one net.Server, a Client per connection, and the loop that turns socket data
 * into commands and replies. For each `data` chunk: refresh the cached clock, feed the parser, run
 * every complete command synchronously, then write all the replies of the batch at once (one socket
 * write per batch is where pipelined speed comes from). Also the server's timers (Redis's serverCron:
 * active expiry, stats sampling, idle timeouts, pause expiry) and a clean shutdown.
 */

import { unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { Client } from './client';
import { lookupCommand } from './command';
import './commands';
import { bindWordFor, listenHosts, probeListen } from './config/bind';
import { parseMemory, strerror, type Config } from './config/config';
import { sampleMemory } from './commands/info';
import { installPersistence, startLoading } from './commands/persistence';
import { installAof, startAofLoading } from './commands/aof';
import { Evictor, HeapWatch } from './evict';
import { countError, execute } from './exec';
import { installKeyspaceEvents, unsubscribeAll } from './pubsub';
import { installTracking } from './tracking';
import { installBlocking } from './blocking';
import { installReplication } from './commands/replication';
import { latencyAddSampleIfNeeded } from './latency';
import type { LogLevel } from './log';
import { clock } from './keyspace/clock';
import { QUERY_BUFFER_LIMIT } from './protocol/parser';
import { installSharedRead } from './socket-read';
import { ServerState } from './state';

export interface ServerOptions {
  config?: Config;
  /** overrides the config's port; 0 picks a free port */
  port?: number;
  /** overrides the config's bind addresses */
  host?: string;
  /** silence the log (tests) */
  quiet?: boolean;
  /** the config file the server was started with (CONFIG REWRITE writes it; INFO shows it) */
  configFile?: string;
  /** called after SHUTDOWN has closed the server (the command line exits the process here) */
  onShutdown?: () => void;
  /**
   * the server has the process to itself (tredis-server): used memory is then corrected with V8's
   * own live-heap figure, and V8's heap growth is tuned for maxmemory (see evict.ts HeapWatch)
   */
  ownsProcess?: boolean;
}

export interface RunningServer {
  readonly state: ServerState;
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const ACTIVE_EXPIRE_KEYS_PER_LOOP = 20;
const ACTIVE_EXPIRE_STALE_PERCENT = 10;

export class Server {
  readonly state: ServerState;
  private readonly servers: net.Server[] = [];
  private cron: NodeJS.Timeout | null = null;
  private readonly pausedClients = new Set<Client>();

  /** client-output-buffer-limit by client kind */
  private readonly outputLimits: Record<string, { hard: number; soft: number; softSeconds: number }> = {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
  };

  /** clients with output from outside their own commands, written after the current batch */
  private readonly queued: Client[] = [];
  private flushScheduled = false;

  constructor(state: ServerState) {
    this.state = state;
    state.unpause = () => this.unpause();
    state.resumePaused = () => this.resumePaused();
    state.resumeClient = (c) => this.resume(c);
    state.queueWrite = (c) => {
      if (c.writeQueued || c.closed) return;
      c.writeQueued = true;
      this.queued.push(c);
      state.scheduleWrites();
    };
    state.scheduleWrites = () => {
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushQueued);
      }
    };
    this.readOutputLimits();
    if (state.config.directive('client-output-buffer-limit') !== undefined) {
      state.config.onChange('client-output-buffer-limit', () => this.readOutputLimits());
    }
  }

  /**
   * Writes the output queued for other clients (published messages, served blocked commands): runs
   * once per event-loop turn, after every socket read of that turn, so a subscriber gets one write
   * for all the messages published in the turn.
   */
  private readonly flushQueued = (): void => {
    // the hook may queue replicas: they join this round
    this.state.beforeQueuedWrites?.();
    this.flushScheduled = false;
    this.state.beforeReply?.();
    const clients = this.queued.splice(0);
    for (const c of clients) {
      c.writeQueued = false;
      if (c.closed) continue;
      c.flush();
      if (c.socket !== null && c.socket.writableLength !== 0) this.checkOutputLimit(c);
    }
  };

  /** Listens on every bind address; rejects with the listen error. */
  async listen(port: number, hosts: string[]): Promise<number> {
    let actual = port;
    for (const rawHost of hosts) {
      const optional = rawHost.startsWith('-');
      const host = optional ? rawHost.slice(1) : rawHost;
      const srv = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port: actual, host }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
          this.state.log.warning(`Could not create server TCP listening socket ${host}:${actual}: ${code}`);
          continue;
        }
        throw err;
      }
      actual = (srv.address() as net.AddressInfo).port;
      this.servers.push(srv);
    }
    this.state.port = actual;
    this.startCron();
    return actual;
  }

  private accept(socket: net.Socket): void {
    const s = this.state;
    s.stats.totalConnections++;
    if (s.clients.size >= s.config.number('maxclients')) {
      s.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      socket.on('error', () => {});
      return;
    }
    socket.setNoDelay(true);
    const requirepass = s.config.get('requirepass');
    const c = new Client(s.nextClientId++, socket, s.dbs[0]!, {
      maxBulkLen: s.config.number('proto-max-bulk-len'),
      maxQueryBuffer: s.config.number('client-query-buffer-limit'),
      unauthenticated: requirepass !== '',
    });
    c.onError = (msg) => countError(s, msg);
    s.clients.set(c.id, c);
    const onCommand = (argv: string[]): boolean => this.onCommand(c, argv);
    c.onInput = (chunk: Buffer): void => {
      if (c.closed) return;
      clock.refresh();
      s.stats.netInputBytes += chunk.length;
      s.stats.totalReadsProcessed++;
      this.process(c, this.runBatch(c, chunk, onCommand));
    };
    const sharedRead = installSharedRead(socket, (chunk) => {
      c.onInput?.(chunk);
      c.parser.ownPending(chunk.buffer);
    });
    if (!sharedRead) socket.on('data', (chunk: Buffer) => c.onInput?.(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.disconnected(c));
  }

  /**
   * Runs the commands of one input batch, a chunk or (null) the input a waiting client kept, timed
   * back to back (ServerState.batchClock); returns the parser's outcome.
   */
  private runBatch(c: Client, chunk: Buffer | null, onCommand: (argv: string[]) => boolean): string | null {
    const s = this.state;
    s.batchClock = 0;
    try {
      return chunk === null ? c.parser.resume(onCommand) : c.parser.feed(chunk, onCommand);
    } finally {
      s.batchClock = -1;
    }
  }

  /** Handles the parser's outcome for a chunk and writes the batch. */
  private process(c: Client, result: string | null): void {
    this.state.beforeReply?.();
    if (result !== null) {
      if (result === QUERY_BUFFER_LIMIT) {
        this.state.stats.clientQueryBufferLimitDisconnections++;
        this.state.log.warning(`Closing client that reached max query buffer length: id=${c.id} addr=${c.raddr}`);
        c.flush();
        c.closed = true;
        c.socket?.destroy();
        return;
      }
      c.error('ERR ' + result);
      this.state.log.verbose(`Protocol error (${result}) from client: id=${c.id} addr=${c.raddr}`);
      c.close();
      return;
    }
    if (c.closeAfterReply) c.close();
    else {
      c.flush();
      if (c.socket !== null && c.socket.writableLength !== 0) this.checkOutputLimit(c);
    }
  }

  /**
   * Closes a client whose unsent output passed its class's client-output-buffer-limit: at once over
   * the hard limit, or after staying over the soft limit for its seconds (Redis's
   * checkClientOutputBufferLimits). A reader that stops reading must not grow memory without bound.
   */
  checkOutputLimit(c: Client): boolean {
    const limit = this.outputLimits[c.kind === 'master' ? 'normal' : c.kind];
    if (limit === undefined || (limit.hard === 0 && limit.soft === 0)) return false;
    const used = c.outputBytes;
    let over = limit.hard !== 0 && used >= limit.hard;
    if (!over && limit.soft !== 0 && used >= limit.soft) {
      const now = Date.now();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else over = now - c.softLimitSince >= limit.softSeconds * 1000;
    } else if (!over) {
      c.softLimitSince = 0;
    }
    if (!over) return false;
    this.state.stats.clientOutputBufferLimitDisconnections++;
    this.state.log.warning(
      `Client id=${c.id} addr=${c.raddr} name=${c.name} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    c.clear();
    c.closed = true;
    c.socket?.destroy();
    return true;
  }

  private readOutputLimits(): void {
    const cfg = this.state.config;
    if (cfg.directive('client-output-buffer-limit') === undefined) return;
    const words = cfg.get('client-output-buffer-limit').split(/\s+/).filter(Boolean);
    for (let i = 0; i + 3 < words.length; i += 4) {
      const cls = words[i]!.toLowerCase();
      const kind = cls === 'slave' ? 'replica' : cls;
      this.outputLimits[kind] = {
        hard: parseMemory(words[i + 1]!) ?? 0,
        soft: parseMemory(words[i + 2]!) ?? 0,
        softSeconds: Number(words[i + 3]),
      };
    }
  }

  /** Runs one parsed command; false stops the parser (client closing, paused or blocked). */
  private onCommand(c: Client, argv: string[]): boolean {
    const s = this.state;
    if ((s.pausedUntil !== 0 || s.failoverPause) && this.mustPause(c, argv)) {
      c.waiting = true;
      c.pendingArgv = argv;
      this.pausedClients.add(c);
      return false;
    }
    if (!c.replyOff && !c.skipThis && !c.skipNext) {
      execute(c, argv, s);
    } else {
      this.executeQuietly(c, argv);
    }
    return !c.closeAfterReply && !c.waiting;
  }

  /**
   * CLIENT REPLY OFF/SKIP: runs a command and drops its replies, keeping those of earlier commands
   * in the batch. A CLIENT REPLY ON run while off keeps its +OK, as in Redis.
   */
  private executeQuietly(c: Client, argv: string[]): void {
    const wasOff = c.replyOff;
    const skip = c.skipThis;
    c.skipThis = false;
    const mark = c.mark();
    execute(c, argv, this.state);
    if (skip || (wasOff && c.replyOff)) c.truncate(mark);
    if (c.skipNext) {
      c.skipNext = false;
      c.skipThis = true;
    }
  }

  private mustPause(c: Client, argv: string[]): boolean {
    const s = this.state;
    if (s.pausedUntil !== 0 && s.pausedUntil <= Date.now()) this.unpause();
    const clientPause = s.pausedUntil !== 0;
    if (clientPause && !s.pauseWritesOnly) return true;
    if (!clientPause && !s.failoverPause) return false;
    const spec = lookupCommand(argv);
    if (spec === undefined) return false;
    // an EXEC waits too when it would run a write
    return spec.isWrite || spec.flags.includes('may_replicate') || (spec.name === 'exec' && c.multi?.writes === true);
  }

  /** Ends CLIENT PAUSE: runs each paused client's waiting command and the rest of its input. */
  unpause(): void {
    this.state.pausedUntil = 0;
    this.resumePaused();
  }

  /** Resumes the paused clients; those a remaining pause (FAILOVER's) still holds wait again. */
  resumePaused(): void {
    const clients = [...this.pausedClients];
    this.pausedClients.clear();
    for (const c of clients) this.resume(c);
  }

  /** Continues a client that was waiting (paused or blocked) with its pending command and input. */
  resume(c: Client): void {
    if (c.closed) return;
    c.waiting = false;
    clock.refresh();
    const argv = c.pendingArgv;
    c.pendingArgv = null;
    if (argv !== null && !this.onCommand(c, argv)) {
      this.process(c, null);
      return;
    }
    this.process(c, this.runBatch(c, null, (a) => this.onCommand(c, a)));
  }

  private disconnected(c: Client): void {
    c.closed = true;
    this.state.clients.delete(c.id);
    this.state.monitors.delete(c);
    this.pausedClients.delete(c);
    for (const fn of this.state.onDisconnect) fn(c);
  }

  private cronWatchesHz = false;

  private startCron(): void {
    const hz = Math.min(Math.max(this.state.config.number('hz'), 1), 500);
    this.cron = setInterval(() => this.serverCron(), Math.floor(1000 / hz));
    this.cron.unref();
    if (this.cronWatchesHz) return;
    // one listener for the server's life: restarting the timer must not add another
    this.cronWatchesHz = true;
    this.state.config.onChange('hz', () => {
      if (this.cron === null) return;
      clearInterval(this.cron);
      this.startCron();
    });
  }

  /** Redis's serverCron: active expiry, stats sampling, idle client timeouts, pause expiry. */
  private serverCron(): void {
    const s = this.state;
    const now = clock.refresh();
    if (s.cronPaused) return;
    if (s.activeExpireEnabled) {
      this.activeExpireCycle(now);
      const ms = Date.now() - now;
      if (ms > 0) latencyAddSampleIfNeeded(s, 'expire-cycle', ms);
    }
    this.sampleOps(now);
    sampleMemory(s);
    for (const fn of s.onCron) fn(now);
    if (s.pausedUntil !== 0 && s.pausedUntil <= now) this.unpause();
    for (const c of s.clients.values()) {
      if (c.socket !== null && c.socket.writableLength !== 0) this.checkOutputLimit(c);
    }
    const timeout = s.config.number('timeout');
    if (timeout > 0) {
      for (const c of s.clients.values()) {
        if (c.kind === 'normal' && !c.waiting && now - c.lastInteraction > timeout * 1000) {
          s.log.verbose(`Closing idle client`);
          c.close();
        }
      }
    }
  }

  /** Samples volatile keys of each db while more than 10% of a sample was expired, within 25% of a cycle. */
  private activeExpireCycle(start: number): void {
    const s = this.state;
    const hz = Math.max(s.config.number('hz'), 1);
    const budgetMs = (1000 / hz) * 0.25;
    let expiredTotal = 0;
    let sampledTotal = 0;
    for (const db of s.dbs) {
      if (db.expires.size === 0) continue;
      for (let iter = 0; ; iter++) {
        const { sampled, expired } = db.expireSample(ACTIVE_EXPIRE_KEYS_PER_LOOP);
        sampledTotal += sampled;
        expiredTotal += expired;
        if (sampled === 0 || expired * 100 <= sampled * ACTIVE_EXPIRE_STALE_PERCENT) break;
        if ((iter & 15) === 15 && Date.now() - start > budgetMs) return;
      }
      if (Date.now() - start > budgetMs) break;
    }
    const perc = sampledTotal === 0 ? 0 : expiredTotal / sampledTotal;
    s.stats.expiredStalePerc = perc * 0.05 + s.stats.expiredStalePerc * 0.95;
  }

  private sampleOps(now: number): void {
    const st = this.state.stats;
    const dt = now - st.lastSampleTime;
    if (dt < 100) return;
    const ops = ((st.totalCommands - st.lastSampleCommands) * 1000) / dt;
    st.opsSamples.push(ops);
    if (st.opsSamples.length > 16) st.opsSamples.shift();
    st.lastSampleTime = now;
    st.lastSampleCommands = st.totalCommands;
  }

  /**
   * Stops listening (and the cron), sends every client what it has pending, then closes the
   * connections: ended, not destroyed, so replies already written still reach the client. `clients:
   * false` only stops listening and the cron (a rebind to new addresses keeps the connections).
   */
  async close(what: { clients?: boolean } = {}): Promise<void> {
    if (this.cron !== null) clearInterval(this.cron);
    this.cron = null;
    const servers = this.servers.splice(0);
    if (what.clients === false) {
      for (const srv of servers) srv.close();
      return;
    }
    const closing = servers.map((srv) => new Promise<void>((r) => srv.close(() => r())));
    for (const fn of this.state.onClose) fn();
    for (const c of this.state.clients.values()) {
      c.flush();
      c.closed = true;
      const socket = c.socket;
      if (socket === null) continue;
      closing.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            socket.destroy();
            resolve();
          }, 1000);
          timer.unref();
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.end();
        }),
      );
    }
    await Promise.all(closing);
  }
}

/**
 * Starts a server in this process. The tests, embedders and tredis-server use this. It applies the
 * config's loglevel/logfile, writes the pidfile when one is configured, rebinds when CONFIG SET
 * changes port or bind, and installs SHUTDOWN (Redis's prepareForShutdown: save if asked or if save
 * rules exist, remove the pidfile, close, then `onShutdown`).
 */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const state = new ServerState(opts.config);
  new Evictor(state); // installs itself as state.performEvictions
  installKeyspaceEvents(state);
  installTracking(state);
  installBlocking(state);
  installReplication(state);
  state.onReset.push((c) => unsubscribeAll(c, state));
  state.onDisconnect.push((c) => unsubscribeAll(c, state));
  const heapWatch = opts.ownsProcess === true ? new HeapWatch(state) : null;
  const log = state.log;
  const cfg = state.config;
  if (opts.quiet) log.enabled = false;
  log.level = cfg.get('loglevel') as LogLevel;
  log.file = cfg.get('logfile');
  cfg.onChange('loglevel', (v) => (log.level = v as LogLevel));
  state.configFile = opts.configFile ?? '';
  // the dataset loads in slices once listening: meanwhile clients get -LOADING (INFO: loading:1)
  installPersistence(state);
  installAof(state);
  const loading = (startAofLoading(state) ?? startLoading(state))?.then(
    () => null,
    (err: Error) => err,
  );
  const hostsFor = (bind: string): string[] => (opts.host !== undefined ? [opts.host] : listenHosts(bind));
  let server = new Server(state);
  const port = await server.listen(opts.port ?? cfg.number('port'), hostsFor(cfg.get('bind')));
  if (opts.port !== undefined) cfg.store(cfg.directive('port')!, String(port));
  let bound = cfg.get('bind');

  // CONFIG SET port/bind: the applier first checks synchronously (probeListen) that the new addresses
  // can be bound, so CONFIG SET fails with Redis's error when they cannot. A new port is listened on
  // before the old listeners are dropped; new addresses at the same port need the old listeners gone
  // first (as Redis closes them first). Existing connections stay. Should the real, asynchronous bind
  // still fail, it is logged, the old value restored, and the old listeners serve again.
  const rebind = (toPort: number, bind: string, undo: () => void): void => {
    if (toPort === state.port && bind === bound) return;
    const old = server;
    if (toPort === 0) {
      void old.close({ clients: false });
      bound = bind;
      return;
    }
    const samePort = toPort === state.port;
    const oldHosts = hostsFor(bound);
    if (samePort) void old.close({ clients: false });
    const unpauseOld = state.unpause;
    const next = new Server(state);
    const unpauseNext = state.unpause;
    next.listen(toPort, hostsFor(bind)).then(
      () => {
        void old.close({ clients: false });
        // clients paused by CLIENT PAUSE may be parked in either server
        state.unpause = () => {
          unpauseNext();
          unpauseOld();
        };
        server = next;
        bound = bind;
      },
      (err: NodeJS.ErrnoException & { address?: string }) => {
        void next.close({ clients: false });
        state.unpause = unpauseOld;
        log.warning(`Warning: Could not create server TCP listening socket ${bindWordFor(bind, err.address)}:${toPort}: bind: ${strerror(err)}`);
        log.warning(`Failed to change the listening address to port ${toPort}; keeping the previous one.`);
        if (samePort) {
          old.listen(toPort, oldHosts).catch((e: Error) => log.warning(`Could not listen again on the previous addresses: ${e.message}`));
        }
        undo();
      },
    );
  };
  const probe = (toPort: number, bind: string): boolean => {
    const failed = probeListen(toPort, hostsFor(bind), toPort === state.port ? hostsFor(bound) : []);
    if (failed === null) return true;
    log.warning(`Warning: Could not create server TCP listening socket ${bindWordFor(bind, failed.host)}:${toPort}: bind: ${strerror(Object.assign(new Error(failed.code), { code: failed.code }))}`);
    return false;
  };
  cfg.setApplier('port', (v, old) => {
    if (!probe(Number(v), cfg.get('bind'))) return 'Unable to listen on this port. Check server logs.';
    rebind(Number(v), cfg.get('bind'), () => cfg.store(cfg.directive('port')!, old));
    return null;
  });
  cfg.setApplier('bind', (v, old) => {
    if (!probe(state.port, v)) return 'Failed to bind to specified addresses.';
    rebind(state.port, v, () => cfg.store(cfg.directive('bind')!, old));
    return null;
  });

  const pidfile = cfg.get('pidfile');
  let pidWritten = false;
  if (pidfile !== '') {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
      pidWritten = true;
    } catch (err) {
      log.warning(`Failed to write PID file: ${strerror(err)}`);
    }
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    heapWatch?.stop();
    return (closing ??= server.close());
  };
  let shuttingDown = false;
  state.shutdown = (how) => {
    if (shuttingDown) return null;
    log.warning('User requested shutdown...');
    if (!how.noSave && (how.save || cfg.get('save') !== '')) {
      log.notice('Saving the final RDB snapshot before exiting.');
      const save = state.shutdownSave;
      const err = save === null ? null : save();
      if (save === null) log.warning('Nothing saved: tredis cannot write RDB snapshots yet.');
      else if (err !== null) {
        log.warning(`Error trying to save the DB, can't exit. (${err})`);
        if (!how.force) {
          log.warning('Errors trying to shut down the server. Check the logs for more information.');
          return 'ERR Errors trying to SHUTDOWN. Check logs.';
        }
      }
    }
    if (pidWritten) {
      log.notice('Removing the pid file.');
      try {
        unlinkSync(pidfile);
      } catch {
        // already gone
      }
    }
    shuttingDown = true;
    // nothing more is answered; connections close once the current batch has been handled
    setImmediate(() => {
      void close().then(() => {
        log.warning('Redis is now ready to exit, bye bye...');
        opts.onShutdown?.();
      });
    });
    return null;
  };
  // resolves once the dataset is in memory (Redis says "Ready to accept connections" then)
  const loadError = loading === undefined ? null : await loading;
  if (loadError !== null) {
    await close();
    throw loadError;
  }
  return {
    state,
    port,
    host: (hostsFor(cfg.get('bind'))[0] ?? '127.0.0.1').replace(/^-/, ''),
    close,
  };
}
