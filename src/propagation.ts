/*
 * Propagation: the stream of writes a leader sends its replicas (and an append-only file records).
 *
 * What goes out is the effect of a command, not the request: a command that changed the dataset is
 * sent as it came unless it rewrote itself (SET ... EX becomes SET ... PXAT, SPOP becomes SREM, a
 * served BLPOP an LPOP; see Client.propagateAs), and keys the server deletes on its own (expiry,
 * eviction) go out as DEL. Everything one top-level command causes (EXEC's queued commands, a
 * script's writes, keys that expired on the way) forms one unit: a unit of several commands is
 * wrapped in MULTI/EXEC so that a replica applies it atomically, as Redis 7.0 does.
 *
 * Sinks receive each command already encoded as RESP with the database it applies to; each keeps
 * track of its own selected database (replication and the AOF select independently). Nothing here
 * costs anything while no sink is installed.
 */

/** Receives one encoded command; db is -1 for MULTI/EXEC, which need no SELECT. */
export type Sink = (db: number, encoded: string) => void;

interface PendingOp {
  db: number;
  encoded: string;
  /** PUBLISH goes to replicas only */
  replicationOnly: boolean;
}

export const MULTI_ENCODED = '*1\r\n$5\r\nMULTI\r\n';
export const EXEC_ENCODED = '*1\r\n$4\r\nEXEC\r\n';

/** A command as a RESP array of bulk strings (arguments are latin1 strings: one char per byte). */
export function encodeCommand(argv: readonly string[]): string {
  let out = '*' + argv.length + '\r\n';
  for (const a of argv) out += '$' + a.length + '\r\n' + a + '\r\n';
  return out;
}

export class Propagation {
  /** the replication feed, installed while this server is a leader with a backlog */
  replication: Sink | null = null;
  /** the append-only file, installed while appendonly is on */
  aof: Sink | null = null;
  private readonly pending: PendingOp[] = [];
  /** the replication offset after what was sent so far (installed by replication) */
  offset: () => number = () => 0;

  get active(): boolean {
    return this.replication !== null || this.aof !== null;
  }

  /**
   * Adds a command to the stream. Inside a command (inUnit) it waits for the end of the unit;
   * otherwise (active expiry, eviction from the cron, a served blocked client) it goes out at once.
   */
  add(db: number, argv: readonly string[], inUnit: boolean, replicationOnly = false): void {
    if (!this.active) return;
    const op = { db, encoded: encodeCommand(argv), replicationOnly };
    if (inUnit) this.pending.push(op);
    else this.emit([op]);
  }

  /** Ends the current unit: sends what it propagated, wrapped in MULTI/EXEC when more than one. */
  endUnit(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending.splice(0);
    this.emit(ops);
  }

  private emit(ops: PendingOp[]): void {
    const repl = this.replication;
    if (repl !== null) send(repl, ops);
    const aof = this.aof;
    if (aof !== null) {
      const forAof = ops.some((o) => o.replicationOnly) ? ops.filter((o) => !o.replicationOnly) : ops;
      if (forAof.length !== 0) send(aof, forAof);
    }
  }
}

function send(sink: Sink, ops: PendingOp[]): void {
  const wrap = ops.length > 1;
  if (wrap) sink(-1, MULTI_ENCODED);
  for (const op of ops) sink(op.db, op.encoded);
  if (wrap) sink(-1, EXEC_ENCODED);
}
