/*
 * Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...), as Redis's blocked.c does them.
 *
 * API for command modules:
 * - `blockClient(s, c, keys, timeoutMs, serve, onTimeout)`: the command found nothing to serve now.
 *   The client stops reading input (c.waiting) and waits on `keys` of its db until `timeoutMs`
 *   (absolute ms; 0 = forever). `serve(key)` is called when a key it waits on may be ready: it
 *   checks the key and, if it can, writes the command's reply and returns true. `onTimeout()` writes
 *   the reply for a timeout (usually a null array).
 * - `signalKeyAsReady(s, db, key)`: a write made `key` possibly ready (LPUSH, ZADD, XADD, ...).
 * - `mustNotBlock(c)`: inside MULTI/EXEC (and scripts) a blocking command acts as its non-blocking
 *   form: reply as on timeout at once.
 * - `parseTimeout(c, arg, now)`: Redis's timeout argument (seconds, decimals allowed) to absolute ms.
 *
 * Ready keys are served after the command that made them ready (or the whole EXEC) has finished,
 * by exec.ts calling handleReadyKeys; clients blocked on a key are served in the order they blocked.
 * A waiter is offered a key only while it holds the type its command pops (BLOCK_TYPES): as in
 * Redis 7.0, a key that became another type leaves the client blocked, silently. FLUSHALL leaves
 * blocked clients blocked; SWAPDB re-offers every key waited on in both databases (state.swapped).
 * While blocked, the client's parser holds later input (c.waiting), so nothing it sends runs early.
 * Serving one client can make another key ready (BLMOVE pushes): the loop runs until nothing is
 * left. A served client's reply is written at the end of the event-loop turn and its remaining input
 * is processed after that.
 */

import type { BlockedState, Client } from './client';
import type { Db } from './keyspace/db';
import { parseLongDouble } from './keyspace/longdouble';
import type { ServerState } from './state';

const TWO63 = 1n << 63n;

/**
 * Parses a timeout in seconds as Redis 7.0's getTimeoutFromObjectOrReply: the argument is a long
 * double (strtold: decimals, exponents, hex floats, inf), turned into whole milliseconds rounding up
 * (so 1e-10 still times out rather than meaning "forever"), and a millisecond count that does not
 * fit a 64-bit integer (inf, 1e300) comes out of C's cast negative. Returns the absolute deadline in
 * ms, 0 for "forever" (also when now + timeout overflows, as the wrapped deadline never fires in
 * Redis), or null after replying the error.
 */
export function parseTimeout(c: Client, arg: string, now: number): number | null {
  const ld = parseLongDouble(arg);
  if (ld === null) {
    c.error('ERR timeout is not a float or out of range');
    return null;
  }
  let ms: bigint;
  if (ld.inf) ms = -1n;
  else {
    // |value| * 1000 = mant * 1000 * 2^exp, exactly; then ceil (towards +inf)
    const v = ld.mant * 1000n;
    let whole: bigint;
    let frac = false;
    if (ld.exp >= 0) whole = v << BigInt(ld.exp);
    else {
      const sh = BigInt(-ld.exp);
      whole = v >> sh;
      frac = whole << sh !== v;
    }
    ms = ld.neg ? -whole : frac ? whole + 1n : whole;
    if (ms >= TWO63) ms = -1n;
  }
  if (ms < 0n) {
    c.error('ERR timeout is negative');
    return null;
  }
  if (ms === 0n) return 0;
  if (ms > TWO63 - 1n - BigInt(now)) return 0;
  return now + Number(ms);
}

/** True when a blocking command must not block (inside EXEC or a script). */
export function mustNotBlock(c: Client): boolean {
  return c.inExec || c.isScript;
}

/**
 * The type of value each blocking command pops (Redis's btype): a waiter is offered a ready key only
 * while the key holds that type. In Redis 7.0 a key that became another type (or a list pushed where
 * a BZPOPMIN waits) leaves the client blocked, with no error.
 */
const BLOCK_TYPES: Readonly<Record<string, string>> = {
  blpop: 'list',
  brpop: 'list',
  brpoplpush: 'list',
  blmove: 'list',
  blmpop: 'list',
  bzpopmin: 'zset',
  bzpopmax: 'zset',
  bzmpop: 'zset',
  xread: 'stream',
  xreadgroup: 'stream',
};

/**
 * Blocks c on keys of its db. `type` is the value type it can be served from (default: the one its
 * command pops, see BLOCK_TYPES); serve is only called while the ready key holds that type.
 */
export function blockClient(
  s: ServerState,
  c: Client,
  keys: readonly string[],
  timeoutAt: number,
  serve: (key: string) => boolean,
  onTimeout: () => void,
  type: string | null = BLOCK_TYPES[c.lastCommand] ?? null,
  onKeyGone: (() => void) | null = null,
): void {
  const table = s.blocking;
  const db = c.db;
  let perDb = table.byKey.get(db.id);
  if (perDb === undefined) {
    perDb = new Map();
    table.byKey.set(db.id, perDb);
  }
  const unique = [...new Set(keys)];
  for (const key of unique) {
    const list = perDb.get(key);
    if (list === undefined) perDb.set(key, [c]);
    else list.push(c);
  }
  const state: BlockedState = { db, keys: unique, timer: null, serve, onTimeout, type, onKeyGone };
  if (timeoutAt !== 0) armTimer(s, c, state, timeoutAt);
  c.blocked = state;
  c.waiting = true;
  table.blockedClients++;
}

/** setTimeout's longest delay (Node fires at once beyond it): longer timeouts re-arm on the way */
const MAX_TIMER_MS = 2 ** 31 - 1;

function armTimer(s: ServerState, c: Client, state: BlockedState, timeoutAt: number): void {
  const delay = Math.max(0, timeoutAt - Date.now());
  state.timer = setTimeout(() => {
    if (c.blocked !== state) return;
    if (timeoutAt > Date.now()) {
      armTimer(s, c, state, timeoutAt);
      return;
    }
    state.onTimeout();
    unblock(s, c, true);
  }, Math.min(delay, MAX_TIMER_MS));
  // the server's sockets keep the process alive; a blocked client's timer must not
  state.timer.unref();
}

/** Removes a client from the keys it waits on and lets it continue (after its reply is written). */
function unblock(s: ServerState, c: Client, resume: boolean): void {
  const state = c.blocked;
  if (state === null) return;
  const table = s.blocking;
  if (state.timer !== null) clearTimeout(state.timer);
  const perDb = table.byKey.get(state.db.id);
  for (const key of state.keys) {
    const list = perDb?.get(key);
    if (list === undefined) continue;
    const i = list.indexOf(c);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) perDb!.delete(key);
  }
  c.blocked = null;
  table.blockedClients--;
  if (!resume) return;
  s.queueWrite(c);
  // its remaining input runs in a later turn, not inside the command that served it
  setImmediate(() => {
    if (c.closed || c.blocked !== null) return;
    c.waiting = false;
    s.resumeClient(c);
  });
}

/** A write may have made `key` ready: remember it if someone waits on it. */
export function signalKeyAsReady(s: ServerState, db: Db, key: string): void {
  if (s.blocking.blockedClients !== 0) s.blocking.signal(db, key);
}

/** Serves the clients blocked on keys made ready (called when a top-level command has finished). */
export function handleReadyKeys(s: ServerState): void {
  const table = s.blocking;
  while (table.ready.length !== 0) {
    const { db, key } = table.ready.shift()!;
    table.readySet.delete(`${db.id}:${key}`);
    const waiting = table.byKey.get(db.id)?.get(key);
    if (waiting === undefined) continue;
    for (const c of [...waiting]) {
      const state = c.blocked;
      if (state === null || c.closed) continue;
      const slot = db.slot(key);
      let gone = slot === -1;
      if (!gone && state.type !== null) {
        const v = db.values[slot]!;
        gone = typeof v !== 'object' || v.type !== state.type;
      }
      if (gone) {
        // XREADGROUP is told its stream is gone (deleted or replaced); the others keep waiting
        if (state.onKeyGone !== null) {
          state.onKeyGone();
          unblock(s, c, true);
        }
        continue;
      }
      const prevDb = c.db;
      c.db = state.db;
      const served = state.serve(key);
      c.db = prevDb;
      if (served) unblock(s, c, true);
      // stop once the key is gone (emptied); other clients keep waiting
      if (!db.map.has(key)) break;
    }
  }
}

/** Installs CLIENT UNBLOCK and the disconnect clean-up. */
export function installBlocking(s: ServerState): void {
  s.unblock = (c, withError) => {
    const state = c.blocked;
    if (state === null) return false;
    if (withError) c.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else state.onTimeout();
    unblock(s, c, true);
    return true;
  };
  s.onDisconnect.push((c) => unblock(s, c, false));
  // as Redis 7.0, clients held by CLIENT PAUSE (a command waiting in pendingArgv) count as blocked
  s.infoFields.set('blocked_clients', () => {
    let n = s.blocking.blockedClients;
    for (const c of s.clients.values()) if (c.pendingArgv !== null && c.blocked === null) n++;
    return n;
  });
  s.infoFields.set('clients_in_timeout_table', () => {
    let n = 0;
    if (s.blocking.blockedClients !== 0) for (const c of s.clients.values()) if (c.blocked !== null && c.blocked.timer !== null) n++;
    return n;
  });
}
