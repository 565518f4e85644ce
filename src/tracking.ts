/*
 * Client-side caching support (Redis's tracking.c): CLIENT TRACKING and the invalidation messages.
 *
 * Default mode: after a read-only command of a tracking client, its keys are remembered in the
 * tracking table (key name -> ids of the clients that may cache it; names only, not databases, as
 * Redis). When a key changes, each remembered client gets an invalidation and the key is forgotten.
 * OPTIN/OPTOUT make remembering depend on CLIENT CACHING YES/NO before the command; NOLOOP skips the
 * client that made the change. A change made by the client itself is reported after that command's
 * reply, as Redis 7 does.
 * BCAST mode: clients register key prefixes; every changed key under a prefix is collected and sent
 * once per event-loop turn, one message per prefix (prefixes in byte order, keys sorted).
 *
 * Invalidations go out as RESP3 push messages (`invalidate` + array of keys, or null for a flush),
 * or, with REDIRECT to a client in RESP2 subscribed mode, as messages on `__redis__:invalidate`.
 * A redirect target that has gone away makes the tracking client (in RESP3) get
 * `tracking-redir-broken` instead.
 */

import type { Client, TrackingState } from './client';
import type { ServerState } from './state';
import type { TrackingTable } from './tracking-table';

const FLAG_OPTIONS = ['bcast', 'optin', 'optout', 'noloop'] as const;

/** Whether one prefix is a prefix of the other (Redis's stringCheckPrefix). */
function overlaps(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]. */
export function trackingCommand(c: Client, argv: string[], s: ServerState): void {
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  let redirect = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const more = j + 1 < argv.length;
    if (opt === 'redirect' && more) {
      j++;
      if (redirect !== 0) return c.error('ERR A client can only redirect to a single other client');
      const id = /^-?\d+$/.test(argv[j]!) ? Number(argv[j]!) : NaN;
      if (!Number.isSafeInteger(id)) return c.error('ERR value is not an integer or out of range');
      if (!s.clients.has(id)) return c.error('ERR The client ID you want redirect to does not exist');
      redirect = id;
    } else if ((FLAG_OPTIONS as readonly string[]).includes(opt)) {
      opts[opt as (typeof FLAG_OPTIONS)[number]] = true;
    } else if (opt === 'prefix' && more) {
      prefixes.push(argv[++j]!);
    } else {
      return c.error('ERR syntax error');
    }
  }
  const onOff = argv[2]!.toLowerCase();
  if (onOff === 'off') {
    disableTracking(c, s);
    return c.ok();
  }
  if (onOff !== 'on') return c.error('ERR syntax error');
  const t = c.tracking;
  if (!opts.bcast && prefixes.length !== 0) return c.error('ERR PREFIX option requires BCAST mode to be enabled');
  if (t !== null && t.bcast !== opts.bcast) {
    return c.error(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast && (opts.optin || opts.optout)) return c.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
  if (opts.optin && opts.optout) return c.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
  if (t !== null && ((opts.optin && t.optout) || (opts.optout && t.optin))) {
    return c.error(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
  }
  if (opts.bcast) {
    for (let i = 0; i < prefixes.length; i++) {
      for (const existing of t?.prefixes ?? []) {
        if (overlaps(existing, prefixes[i]!)) {
          return c.error(
            `ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`,
          );
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(prefixes[i]!, prefixes[j]!)) {
          return c.error(
            `ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`,
          );
        }
      }
    }
  }
  enableTracking(c, s, redirect, opts, prefixes);
  c.ok();
}

function enableTracking(c: Client, s: ServerState, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: string[]): void {
  const table = s.tracking;
  let t = c.tracking;
  if (t === null) {
    table.clients++;
    t = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedirect: false, prefixes: new Set() };
    c.tracking = t;
  }
  t.redirect = redirect;
  t.brokenRedirect = false;
  t.bcast = opts.bcast;
  t.optin = opts.optin;
  t.optout = opts.optout;
  t.noloop = opts.noloop;
  if (opts.bcast) for (const p of prefixes.length === 0 ? [''] : prefixes) addPrefix(table, c, t, p);
}

function addPrefix(table: TrackingTable, c: Client, t: TrackingState, prefix: string): void {
  let entry = table.prefixes.get(prefix);
  if (entry === undefined) {
    entry = { clients: new Set(), keys: new Map() };
    table.prefixes.set(prefix, entry);
  }
  entry.clients.add(c);
  t.prefixes.add(prefix);
}

/** Wires tracking into a server: invalidation on key changes and flushes, clean-up on RESET/close. */
export function installTracking(s: ServerState): void {
  s.invalidateTracked = (key) => invalidateKey(s, key, s.executing);
  s.invalidateTrackedAll = (dbid) => invalidateAll(s, dbid);
  s.onReset.push((c) => disableTracking(c, s));
  s.onDisconnect.push((c) => disableTracking(c, s));
}

/** Turns tracking off for a client (CLIENT TRACKING OFF, RESET, disconnect). */
export function disableTracking(c: Client, s: ServerState): void {
  const t = c.tracking;
  if (t === null) return;
  const table = s.tracking;
  for (const p of t.prefixes) {
    const entry = table.prefixes.get(p);
    if (entry === undefined) continue;
    entry.clients.delete(c);
    if (entry.clients.size === 0) table.prefixes.delete(p);
  }
  c.tracking = null;
  table.clients--;
}

/** CLIENT CACHING YES|NO. */
export function cachingCommand(c: Client, argv: string[]): void {
  const t = c.tracking;
  if (t === null || !(t.optin || t.optout)) {
    return c.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  const v = argv[2]!.toLowerCase();
  if (v === 'yes') {
    if (!t.optin) return c.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (v === 'no') {
    if (!t.optout) return c.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    return c.error('ERR syntax error');
  }
  t.caching = true;
  c.ok();
}

/** CLIENT GETREDIR: -1 when not tracking, else the redirect id (0 for none). */
export function getRedirect(c: Client): number {
  return c.tracking === null ? -1 : c.tracking.redirect;
}

/** CLIENT TRACKINGINFO. */
export function trackingInfo(c: Client): void {
  const t = c.tracking;
  const flags: string[] = [];
  if (t === null) flags.push('off');
  else {
    flags.push('on');
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optout) flags.push('optout');
    if (t.caching) flags.push(t.optin ? 'caching-yes' : 'caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
  }
  c.map(3);
  c.bulk('flags');
  c.set(flags.length);
  for (const f of flags) c.bulk(f);
  c.bulk('redirect');
  c.int(t === null ? -1 : t.redirect);
  c.bulk('prefixes');
  const prefixes = t === null ? [] : [...t.prefixes].sort();
  c.bulks(prefixes);
}

/** After a read-only command of a tracking client: remembers its keys (trackingRememberKeys). */
export function rememberKeys(c: Client, s: ServerState, keys: readonly string[]): void {
  const t = c.tracking!;
  if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
  const table = s.tracking.keys;
  for (const key of keys) {
    let ids = table.get(key);
    if (ids === undefined) {
      ids = new Set();
      table.set(key, ids);
    }
    ids.add(c.id);
  }
}

/**
 * A key changed (signalModifiedKey): invalidates it for the clients that read it, and collects it
 * for the BCAST prefixes it falls under. `writer` is the client whose command changed it, if any.
 */
export function invalidateKey(s: ServerState, key: string, writer: Client | null): void {
  const table = s.tracking;
  if (table.prefixes.size !== 0) {
    for (const [prefix, entry] of table.prefixes) {
      if (key.startsWith(prefix)) entry.keys.set(key, writer);
    }
    if (!table.broadcastScheduled) {
      table.broadcastScheduled = true;
      setImmediate(() => broadcast(s));
    }
  }
  const ids = table.keys.get(key);
  if (ids === undefined) return;
  table.keys.delete(key);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const target = s.clients.get(id);
    if (target === undefined || target.tracking === null || target.tracking.bcast) continue;
    if (target.tracking.noloop && target === writer) continue;
    if (target === writer && s.executing === writer) table.pendingSelf.push(key);
    else send(s, target, [key]);
  }
}

/** FLUSHDB/FLUSHALL: every tracking client is told to drop everything (a null invalidation). */
export function invalidateAll(s: ServerState, dbid: number): void {
  const table = s.tracking;
  if (table.clients !== 0) {
    for (const c of s.clients.values()) {
      if (c.tracking === null) continue;
      if (c === s.executing) table.pendingSelf.push(null);
      else send(s, c, null);
    }
  }
  if (dbid === -1) table.keys.clear();
}

/** Sends what was deferred for the client whose command just finished. */
export function sendPendingSelf(s: ServerState, c: Client): void {
  const pending = s.tracking.pendingSelf.splice(0);
  for (const key of pending) if (c.tracking !== null) send(s, c, key === null ? null : [key]);
}

/** One invalidation message to a tracking client (or where it redirects). keys null = flush. */
function send(s: ServerState, c: Client, keys: readonly string[] | null): void {
  const t = c.tracking!;
  let target = c;
  let redirected = false;
  if (t.redirect !== 0) {
    const r = s.clients.get(t.redirect);
    if (r === undefined) {
      t.brokenRedirect = true;
      if (c.resp === 3) {
        c.push(2);
        c.bulk('tracking-redir-broken');
        c.int(t.redirect);
        if (c !== s.executing) s.queueWrite(c);
      }
      return;
    }
    target = r;
    redirected = true;
  }
  if (target.resp === 3) {
    target.push(2);
    target.bulk('invalidate');
  } else if (redirected && target.subscriptionCount !== 0) {
    target.push(3);
    target.bulk('message');
    target.bulk('__redis__:invalidate');
  } else {
    return;
  }
  if (keys === null) {
    // the null of the tracking client's protocol, as Redis sends it
    target.raw(c.resp === 3 ? '_\r\n' : '$-1\r\n');
  } else {
    target.bulks(keys);
  }
  if (target !== s.executing) s.queueWrite(target);
}

/** BCAST: one message per prefix with the keys changed under it (NOLOOP clients skip their own). */
function broadcast(s: ServerState): void {
  const table = s.tracking;
  table.broadcastScheduled = false;
  const prefixes = [...table.prefixes.keys()].sort();
  for (const prefix of prefixes) {
    const entry = table.prefixes.get(prefix)!;
    if (entry.keys.size === 0) continue;
    const keys = [...entry.keys.keys()].sort();
    for (const c of entry.clients) {
      if (c.tracking === null) continue;
      const own = c.tracking.noloop ? keys.filter((k) => entry.keys.get(k) !== c) : keys;
      if (own.length !== 0) send(s, c, own);
    }
    entry.keys.clear();
  }
}
