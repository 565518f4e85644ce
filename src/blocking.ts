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
 * - `parseTimeout(c, arg)`: Redis's timeout argument (seconds, decimals allowed) to absolute ms.
 *
 * Ready keys are served after the command that made them ready (or the whole EXEC) has finished,
 * by exec.ts calling handleReadyKeys; clients blocked on a key are served in the order they blocked.
 * Serving one client can make another key ready (BLMOVE pushes): the loop runs until nothing is
 * left. A served client's reply is written at the end of the event-loop turn and its remaining input
 * is processed after that.
 */

import type { BlockedState, Client } from './client';
import type { Db } from './keyspace/db';
import type { ServerState } from './state';

const MAX_TIMEOUT = 2 ** 63;

/** Parses a timeout in seconds (Redis's getTimeoutFromObjectOrReply); absolute ms, 0 = forever, null after replying. */
export function parseTimeout(c: Client, arg: string, now: number): number | null {
  const v = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?inf(inity)?$/i.test(arg) ? Number(arg.replace(/inf(inity)?/i, 'Infinity')) : NaN;
  if (Number.isNaN(v) || /\s/.test(arg)) {
    c.error('ERR timeout is not a float or out of range');
    return null;
  }
  const ms = v * 1000;
  // C's (long long) cast: out-of-range values (inf, 1e100) come out negative
  const tval = Number.isFinite(ms) && Math.abs(ms) < MAX_TIMEOUT ? Math.trunc(ms) : -1;
  if (tval < 0) {
    c.error('ERR timeout is negative');
    return null;
  }
  if (tval === 0) return 0;
  if (tval > MAX_TIMEOUT - now) {
    c.error('ERR timeout is out of range');
    return null;
  }
  return now + tval;
}

/** True when a blocking command must not block (inside EXEC or a script). */
export function mustNotBlock(c: Client): boolean {
  return c.inExec || c.isScript;
}

export function blockClient(
  s: ServerState,
  c: Client,
  keys: readonly string[],
  timeoutAt: number,
  serve: (key: string) => boolean,
  onTimeout: () => void,
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
  const state: BlockedState = { db, keys: unique, timer: null, serve, onTimeout };
  if (timeoutAt !== 0) {
    state.timer = setTimeout(() => {
      if (c.blocked !== state) return;
      state.onTimeout();
      unblock(s, c, true);
    }, Math.max(0, timeoutAt - Date.now()));
  }
  c.blocked = state;
  c.waiting = true;
  table.blockedClients++;
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
  const table = s.blocking;
  if (table.blockedClients === 0) return;
  if (table.byKey.get(db.id)?.has(key) !== true) return;
  const id = `${db.id}:${key}`;
  if (table.readySet.has(id)) return;
  table.readySet.add(id);
  table.ready.push({ db, key });
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
  s.infoFields.set('blocked_clients', () => s.blocking.blockedClients);
}
