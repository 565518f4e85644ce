/*
 * Command execution (Redis's processCommand + call): look the command up in the table, check arity
 * and authentication, run it, and account for it (commandstats, errorstats, slow log, MONITOR).
 * Everything runs synchronously: no Promise on the hot path.
 */

// the module's binding, not the global: Node 20 defines globalThis.performance as an accessor, and
// reading it costs a getter call (25-30 ns measured) on each of the two clock reads per command
import { performance } from 'node:perf_hooks';
import { errArity } from './args';
import type { Client } from './client';
import { keyPositions, lookupCommand, type CommandSpec } from './command';
import { rememberKeys, sendPendingSelf } from './tracking';
import { handleReadyKeys } from './blocking';
import { clock } from './keyspace/clock';
import { histogramRecord, HIST_COUNTS, latencyAddSample } from './latency';
import { abortExec, flagTransaction, oomInMulti, queueCommand, TX_CONTROL } from './multi';
import { busyRefusal, busyState } from './scripting/busy-state';
import type { ServerState } from './state';

function unknownCommand(argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argv[i]!.slice(0, 128 - args.length)}' `;
  return `ERR unknown command '${argv[0]!.slice(0, 128)}', with args beginning with: ${args}`;
}

/** Resolves argv to the command (or subcommand) to run, or replies with the error and returns null. */
export function resolveCommand(c: Client, argv: string[], s: ServerState): CommandSpec | null {
  let spec = lookupCommand(argv);
  if (spec === undefined) {
    c.error(unknownCommand(argv));
    return null;
  }
  if (spec.subcommands !== undefined) {
    if (argv.length >= 2) {
      const sub = spec.subcommands.get(argv[1]!.toLowerCase());
      if (sub === undefined) {
        c.error(`ERR unknown subcommand '${argv[1]!.slice(0, 128)}'. Try ${argv[0]!.toUpperCase()} HELP.`);
        return null;
      }
      spec = sub;
    }
  }
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) {
    if (spec.name === 'exec') refuseExec(c, s, argv, errArity(spec.name));
    else c.error(errArity(spec.name));
    s.stats.commandStat(spec.id).rejectedCalls++;
    return null;
  }
  return spec;
}

/** Counts an error reply in errorstats (the first word is the error code). */
export function countError(s: ServerState, msg: string): void {
  const sp = msg.indexOf(' ');
  const code = sp === -1 ? msg : msg.slice(0, sp);
  s.stats.errorStats.set(code, (s.stats.errorStats.get(code) ?? 0) + 1);
  s.stats.totalErrorReplies++;
}

/** commands whose writes propagate one by one as they run (queued commands, scripts' calls) */
const PROPAGATED_BY_PARTS = new Set(['exec', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

const SUBSCRIBED_MODE = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Runs one command from a client. */
export function execute(c: Client, argv: string[], s: ServerState): void {
  c.lastInteraction = clock.now;
  const spec = resolveCommand(c, argv, s);
  if (spec === null) {
    c.lastCommand = argv[0]!.toLowerCase();
    if (c.multi !== null) flagTransaction(c);
    return;
  }
  c.lastCommand = spec.name;
  if (!c.authenticated && !spec.flags.includes('no_auth')) {
    rejected(c, s, spec, argv, 'NOAUTH Authentication required.');
    return;
  }
  // a script past busy-reply-threshold: its hook polls us, and only allow_busy commands run
  if (busyState.active) {
    const refusal = busyRefusal(spec.name, argv, spec.flags);
    if (refusal !== null) {
      rejected(c, s, spec, argv, refusal);
      return;
    }
  }
  // maxmemory: evict first; when nothing could be freed, refuse what may grow memory (reads go on)
  // (in MULTI queueing anything takes memory: see oomInMulti)
  if (
    s.maxmemory !== 0 &&
    !s.performEvictions() &&
    (spec.isDenyoom || (c.multi !== null && oomInMulti(c, spec.name)))
  ) {
    rejected(c, s, spec, argv, "OOM command not allowed when used memory > 'maxmemory'.");
    return;
  }
  if (s.commandGate !== null && c.kind !== 'master') {
    const refusal = s.commandGate(spec.isWrite, spec.name, spec.flags.includes('loading'));
    if (refusal !== null) {
      rejected(c, s, spec, argv, refusal);
      return;
    }
  }
  if (s.replicationCheck !== null && c.kind !== 'master') {
    const refusal = s.replicationCheck(spec.isWrite, spec.flags.includes('stale'));
    if (refusal !== null) {
      rejected(c, s, spec, argv, refusal);
      return;
    }
  }
  // RESP2 subscribed mode: the connection carries messages, so only these commands make sense
  if (c.subscriptionCount !== 0 && c.resp === 2 && !SUBSCRIBED_MODE.has(spec.name)) {
    rejected(
      c, s, spec, argv,
      `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return;
  }
  if (c.multi !== null && !TX_CONTROL.has(spec.name)) {
    if (spec.flags.includes('no_multi')) rejected(c, s, spec, argv, 'ERR Command not allowed inside a transaction');
    else queueCommand(c, argv, spec);
    return;
  }
  const chained = s.batchClock;
  const end = call(c, spec, argv, s, chained > 0 ? chained : performance.now());
  if (chained !== -1) s.batchClock = end;
  // clients blocked on keys this command (or EXEC) made ready are served once it is done
  if (s.blocking.ready.length !== 0 && s.executing === null) {
    handleReadyKeys(s);
    // that time is not the next command's
    if (chained !== -1) s.batchClock = 0;
  }
}

/** A refused EXEC ends its transaction with the reason, and MONITOR still sees it (as Redis). */
function refuseExec(c: Client, s: ServerState, argv: string[], msg: string): void {
  abortExec(c, s.watches, msg);
  if (s.monitors.size !== 0) feedMonitors(c, argv, s);
}

function rejected(c: Client, s: ServerState, spec: CommandSpec, argv: string[], msg: string): void {
  if (spec.name === 'exec') refuseExec(c, s, argv, msg);
  else {
    c.error(msg);
    flagTransaction(c);
  }
  s.stats.commandStat(spec.id).rejectedCalls++;
}

/**
 * Client-side caching after a command of a tracking client: remember the keys a read-only command
 * read, forget a CLIENT CACHING given for it, and (at the outermost call) send the invalidations its
 * own writes caused, after its reply.
 */
function afterTrackedCommand(c: Client, spec: CommandSpec, argv: string[], s: ServerState, outermost: boolean): void {
  const t = c.tracking!;
  if (spec.isReadonly && !t.bcast) {
    const keys: string[] = [];
    for (const i of keyPositions(spec, argv)) keys.push(argv[i]!);
    if (keys.length !== 0) rememberKeys(c, s, keys);
  }
  if (spec.name !== 'client|caching' && c.multi === null) t.caching = false;
  if (outermost && s.tracking.pendingSelf.length !== 0) sendPendingSelf(s, c);
}

/**
 * Runs a resolved command and accounts for it (Redis's call()). Returns the clock at its end, which a
 * caller running commands back to back (EXEC) passes as the next one's start: a clock read costs
 * about 50 ns here, a twentieth of a SET.
 */
export function call(c: Client, spec: CommandSpec, argv: string[], s: ServerState, start = performance.now()): number {
  // errors of the commands an EXEC runs are theirs, not EXEC's (see Stats.nestedErrorReplies)
  const errorsBefore = s.stats.totalErrorReplies - s.stats.nestedErrorReplies;
  const outer = s.executing;
  // a script's commands act for the client that ran the script (tracking, NOLOOP)
  const caller = c.scriptCaller;
  s.executing = caller ?? c;
  const dirty = s.dirty;
  c.propagateAs = null;
  try {
    spec.handler(c, argv, s);
  } catch (err) {
    // a bug in a command must cost that command, never the server and its data
    s.log.warning(`Internal error in '${spec.name}': ${(err as Error).stack ?? String(err)}`);
    c.error(`ERR internal error while executing '${spec.name}'`);
  }
  s.executing = outer;
  if (s.propagation.active) {
    if (s.dirty !== dirty && !PROPAGATED_BY_PARTS.has(spec.name)) {
      const as = c.propagateAs ?? argv;
      if (as.length !== 0) s.propagation.add(c.db.id, as, true);
    }
    if (outer === null) {
      s.propagation.endUnit();
      // WAIT waits for replicas to reach this client's last write, not everything sent since
      if (s.dirty !== dirty) c.woff = s.propagation.offset();
    }
  }
  if (c.tracking !== null) afterTrackedCommand(c, spec, argv, s, outer === null);
  else if (caller !== null && caller.tracking !== null && spec.isReadonly && !caller.tracking.bcast) {
    const keys: string[] = [];
    for (const i of keyPositions(spec, argv)) keys.push(argv[i]!);
    if (keys.length !== 0) rememberKeys(caller, s, keys);
  }
  const end = performance.now();
  const usec = (end - start) * 1000;
  const st = s.stats.commandStat(spec.id);
  st.calls++;
  st.usec += usec;
  s.stats.totalCommands++;
  c.commands++;
  if (s.stats.totalErrorReplies - s.stats.nestedErrorReplies > errorsBefore) st.failedCalls++;
  if (s.latencyTracking) histogramRecord(st.hist ?? (st.hist = new Uint32Array(HIST_COUNTS)), usec);
  if (s.latencyThreshold !== 0 && usec >= s.latencyThreshold * 1000) {
    latencyAddSample(s.latency, spec.flags.includes('fast') ? 'fast-command' : 'command', usec / 1000);
  }
  // after the command, as Redis 7: the line shows the db a SELECT switched to; commands rewrite
  // secret arguments in argv ('(redacted)') before this reads them
  if (s.monitors.size !== 0 && !spec.flags.includes('skip_monitor') && !spec.flags.includes('admin')) {
    feedMonitors(c, argv, s);
  }
  if (usec >= s.slowlogThreshold && s.slowlogThreshold >= 0 && !spec.flags.includes('skip_slowlog')) {
    addSlowlog(c, s, argv, usec);
  }
  return end;
}

function addSlowlog(c: Client, s: ServerState, argv: string[], usec: number): void {
  const max = s.config.number('slowlog-max-len');
  const args: string[] = [];
  const n = Math.min(argv.length, 32);
  for (let i = 0; i < n; i++) {
    const a = argv[i]!;
    if (i === 31 && argv.length > 32) {
      args.push(`... (${argv.length - 31} more arguments)`);
    } else {
      args.push(a.length > 128 ? `${a.slice(0, 128)}... (${a.length - 128} more bytes)` : a);
    }
  }
  s.slowlog.unshift({
    id: s.slowlogNextId++,
    time: Math.floor(Date.now() / 1000),
    durationUs: Math.floor(usec),
    argv: args,
    addr: c.raddr,
    name: c.name,
  });
  if (s.slowlog.length > max) s.slowlog.length = max;
}

/** Sends the command to every MONITOR client (the caller itself included, as Redis does). */
export function feedMonitors(c: Client, argv: string[], s: ServerState): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  let line = `+${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')} [${c.db.id} ${
    c.socket === null ? 'lua' : c.raddr
  }]`;
  for (const a of argv) line += ' "' + escapeMonitorArg(a) + '"';
  line += '\r\n';
  for (const m of s.monitors) {
    m.raw(line);
    // the calling monitor's own line goes out with its batch
    if (m !== c) m.flush();
  }
}

/** Escapes an argument as Redis's sdscatrepr does. */
export function escapeMonitorArg(a: string): string {
  let out = '';
  for (let i = 0; i < a.length; i++) {
    const ch = a.charCodeAt(i);
    if (ch === 92) out += '\\\\';
    else if (ch === 34) out += '\\"';
    else if (ch === 10) out += '\\n';
    else if (ch === 13) out += '\\r';
    else if (ch === 9) out += '\\t';
    else if (ch === 7) out += '\\a';
    else if (ch === 8) out += '\\b';
    else if (ch < 32 || ch > 126) out += '\\x' + ch.toString(16).padStart(2, '0');
    else out += a[i];
  }
  return out;
}
