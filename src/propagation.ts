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
 * Sinks receive each command as its argv with the database it applies to, and encode it into their
 * own buffers (protocol/command-buffer.ts); each keeps track of its own selected database
 * (replication and the AOF select independently). The argv arrays of a unit are held, not copied,
 * until the unit ends: nothing changes an argv once its command ran. Nothing here costs anything
 * while no sink is installed.
 */

/** Receives one command; db is -1 for MULTI/EXEC, which need no SELECT. */
export type Sink = (db: number, argv: readonly string[]) => void;

export const MULTI: readonly string[] = ['MULTI'];
export const EXEC: readonly string[] = ['EXEC'];

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
  /** the unit so far, in parallel arrays (no object per command) */
  private readonly dbs: number[] = [];
  private readonly argvs: (readonly string[])[] = [];
  /** PUBLISH goes to replicas only */
  private readonly replicationOnly: boolean[] = [];
  private count = 0;
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
    const i = this.count++;
    this.dbs[i] = db;
    this.argvs[i] = argv;
    this.replicationOnly[i] = replicationOnly;
    if (!inUnit) this.endUnit();
  }

  /** Ends the current unit: sends what it propagated, wrapped in MULTI/EXEC when more than one. */
  endUnit(): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    const repl = this.replication;
    if (repl !== null) this.send(repl, n, true);
    const aof = this.aof;
    if (aof !== null) this.send(aof, n, false);
    // let go of the argvs: a big one must not live on in the slot until a later unit reuses it
    for (let i = 0; i < n; i++) this.argvs[i] = EXEC;
  }

  private send(sink: Sink, n: number, replication: boolean): void {
    let ops = n;
    if (!replication) for (let i = 0; i < n; i++) if (this.replicationOnly[i]) ops--;
    if (ops === 0) return;
    if (ops > 1) sink(-1, MULTI);
    for (let i = 0; i < n; i++) if (replication || !this.replicationOnly[i]) sink(this.dbs[i]!, this.argvs[i]!);
    if (ops > 1) sink(-1, EXEC);
  }
}
