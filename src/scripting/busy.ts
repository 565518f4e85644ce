/*
 * Long scripts (busy-reply-threshold, alias lua-time-limit). Node runs one thread, and a script runs
 * synchronously to its end inside the command that started it, so the event loop cannot serve other
 * clients meanwhile. Instead the Lua count hook (every HOOK_COUNT instructions, engine.ts) checks the
 * elapsed time; past the threshold the script is "busy" and each hook call polls the other clients'
 * sockets itself: a non-blocking read(2) on each socket's file descriptor, and the bytes are handed
 * to the client's own input path (Client.onInput), so they go through the normal parser and
 * dispatch. Dispatch (exec.ts) refuses everything but allow_busy commands with -BUSY
 * (busy-state.ts); SCRIPT KILL / FUNCTION KILL mark the run killed and the next hook call raises
 * the error that ends the script; SHUTDOWN NOSAVE stops it whatever it wrote. Replies go out at
 * once: libuv writes to an idle socket synchronously. The script's own client is not read (Redis protects it the same way); connections
 * opened during the busy time wait in the listen backlog until the script ends.
 */

import { readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ServerState } from '../state';
import { busyState } from './busy-state';
import type { RunContext, ScriptEngine } from './engine';

const installed = new WeakSet<ScriptEngine>();
const scratch = Buffer.allocUnsafe(64 * 1024);

export function installBusy(s: ServerState, e: ScriptEngine): void {
  if (installed.has(e)) return;
  installed.add(e);
  e.onHook = () => hook(s, e);
}

function hook(s: ServerState, e: ScriptEngine): void {
  const run = e.run;
  if (run === null) return;
  if (!busyState.active) {
    const threshold = s.config.number('busy-reply-threshold');
    if (threshold <= 0 || performance.now() - run.start < threshold) return;
    busyState.active = true;
    busyState.isEval = run.isFunction !== true;
    s.log.warning(
      `Slow script detected: still in execution after ${Math.floor(performance.now() - run.start)} milliseconds. ` +
        `You can try killing the script using the ${busyState.isEval ? 'SCRIPT' : 'FUNCTION'} KILL command. Script name is: ${run.name}.`,
    );
  }
  poll(s, run);
  if (run.killed || busyState.abort) {
    // raised again at every hook call, so a pcall in the script cannot swallow it for good
    e.raise(e.L, 'ERR Script killed by user with SCRIPT KILL...');
  }
}

/** Reads what the other clients sent and runs it through their normal input path. */
function poll(s: ServerState, run: RunContext): void {
  for (const c of s.clients.values()) {
    const sock = c.socket;
    if (c === run.caller || sock === null || c.closed || c.waiting || sock.destroyed) continue;
    const fd = (sock as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) continue;
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, null);
    } catch {
      continue; // EAGAIN: nothing sent
    }
    if (n > 0) c.onInput?.(Buffer.from(scratch.subarray(0, n)));
  }
}
