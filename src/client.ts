/*
 * A connected client: its socket, its request parser, the replies it has pending (Client *is* a
 * ReplyBuffer, so a command writes `c.bulk(v)`), and the per-connection state Redis keeps in its
 * client struct (selected db, name, RESP version, auth, flags). It knows nothing of commands or of
 * the server; the server drives it.
 */

import type { Socket } from 'node:net';
import type { Db } from './keyspace/db';
import { RequestParser, type ParserLimits } from './protocol/parser';
import { ReplyBuffer } from './protocol/reply';

export class Client extends ReplyBuffer {
  readonly parser: RequestParser;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  user = 'default';
  /** the command now running (argv[0] lowercased), as CLIENT LIST's cmd= shows the last one */
  lastCommand = 'NULL';
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON */
  replyOff = false;
  /** CLIENT REPLY SKIP: the next command's replies are dropped (skipThis while it runs) */
  skipNext = false;
  skipThis = false;
  noEvict = false;
  noTouch = false;
  /** reply, then close (QUIT, protocol errors, CLIENT KILL of self) */
  closeAfterReply = false;
  closed = false;
  /** flags shown by CLIENT LIST (N, M for monitor, ...) */
  monitor = false;
  /** true while the client is blocked or paused and its input must wait (the parser holds it) */
  get waiting(): boolean {
    return this.parser.held;
  }
  set waiting(v: boolean) {
    this.parser.held = v;
  }
  /** the command that arrived while paused, run when the pause ends */
  pendingArgv: string[] | null = null;
  readonly laddr: string;
  readonly raddr: string;
  /** the kind for output buffer limits and CLIENT LIST/KILL TYPE: normal, replica, pubsub, master */
  kind: 'normal' | 'replica' | 'pubsub' | 'master' = 'normal';
  /** when the output buffer went over the soft limit (0 = it is not over) */
  softLimitSince = 0;
  /** what the client waits for while blocked (blocking.ts); null when not blocked */
  blocked: BlockedState | null = null;
  /** a script's client (scripting): blocking commands act non-blocking */
  isScript = false;
  /** on a script's client, while a script runs: the client that called it (tracking, NOLOOP) */
  scriptCaller: Client | null = null;
  /** CLIENT TRACKING state (tracking.ts); null while tracking is off */
  tracking: TrackingState | null = null;
  /** hands bytes the client sent to the server's input path (set on accept; ignored once closed) */
  onInput: ((chunk: Buffer) => void) | null = null;
  /** pub/sub subscriptions (pubsub.ts), created on the first one; subscribed mode while count > 0 */
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;
  subscriptionCount = 0;
  /**
   * what the running command propagates instead of its own argv (Redis's rewriteClientCommandVector):
   * null = argv as received, [] = nothing (its effects went out another way); reset by each call
   */
  propagateAs: string[] | null = null;
  /** the replication offset just after this client's last write (WAIT waits for replicas to reach it) */
  woff = 0;
  /** queued for a write after the current batch (ServerState.queueWrite) */
  writeQueued = false;
  /** bytes received (net_input_bytes contribution) and total commands processed */
  commands = 0;
  /** MULTI: the transaction being queued, null outside one (see multi.ts) */
  multi: Transaction | null = null;
  /** WATCH: the keys watched (null when none), and whether one changed since (flag 'd') */
  watched: WatchedKey[] | null = null;
  dirtyCas = false;
  /**
   * true while EXEC runs the queued commands: a blocking command then acts as its non-blocking form
   * (blocking.ts checks it), as inside a transaction nothing may wait
   */
  inExec = false;

  constructor(
    readonly id: number,
    readonly socket: Socket | null,
    public db: Db,
    limits: ParserLimits,
  ) {
    super();
    this.parser = new RequestParser(limits);
    this.authenticated = !limits.unauthenticated;
    this.laddr = socket ? `${fmtHost(socket.localAddress)}:${socket.localPort}` : '';
    this.raddr = socket ? `${fmtHost(socket.remoteAddress)}:${socket.remotePort}` : '';
  }

  /** Sends everything pending in one socket write. */
  flush(): void {
    if (this.empty || this.socket === null) return;
    if (this.closed) {
      this.clear();
      return;
    }
    const chunks = this.take();
    const socket = this.socket;
    if (chunks.length === 1) {
      const c = chunks[0]!;
      if (typeof c === 'string') socket.write(c, 'latin1');
      else socket.write(c);
    } else {
      socket.cork();
      for (const c of chunks) {
        if (typeof c === 'string') socket.write(c, 'latin1');
        else socket.write(c);
      }
      socket.uncork();
    }
  }

  /** Flushes what is pending, then closes the connection. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket?.end();
  }

  /** Bytes queued in the socket and not yet sent (the output buffer). */
  get outputBytes(): number {
    return (this.socket?.writableLength ?? 0) + this.size;
  }
}

/** A transaction in MULTI (multi.ts): the queued argvs, in order. */
export interface Transaction {
  readonly queue: string[][];
  /**
   * each queued command's spec id (the command table's dense index): EXEC runs what was resolved
   * when queued, as Redis does, without looking the name up again
   */
  readonly specIds: number[];
  /** a command failed to queue: EXEC answers EXECABORT */
  failed: boolean;
  /** a queued command may grow memory (EXEC is then refused under maxmemory) */
  denyoom: boolean;
  /** a queued command writes or may replicate (EXEC then waits out CLIENT PAUSE WRITE) */
  writes: boolean;
  /** bytes of queued arguments as Redis counts them (CLIENT LIST multi-mem) */
  mem: number;
}

/** A key a client WATCHes (multi.ts keeps the index from keys to these). */
export interface WatchedKey {
  readonly client: Client;
  readonly db: Db;
  readonly key: string;
  /** the key was already logically expired (but not deleted) when watched */
  expired: boolean;
}

function fmtHost(h: string | undefined): string {
  if (h === undefined) return '?';
  if (h.startsWith('::ffff:')) return h.slice(7);
  return h.includes(':') ? `[${h}]` : h;
}

/** A tracking client's settings (CLIENT TRACKING, tracking.ts). */
export interface TrackingState {
  /** client id the messages go to; 0 = the client itself */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES/NO given for the next command */
  caching: boolean;
  brokenRedirect: boolean;
  prefixes: Set<string>;
}

/** What a blocked client waits for (blocking.ts). */
export interface BlockedState {
  db: Db;
  keys: string[];
  timer: NodeJS.Timeout | null;
  /** serves the client if `key` now allows it: writes the reply and returns true */
  serve: (key: string) => boolean;
  /** writes the reply for a timeout */
  onTimeout: () => void;
  /** the value type it can be served from ('list', 'zset', 'stream'); null: any */
  type: string | null;
  /** replies when the key is deleted or holds another type (XREADGROUP); null: keep waiting */
  onKeyGone: (() => void) | null;
}
