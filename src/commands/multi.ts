/*
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH (the state and the WATCH index are in ../multi.ts; exec.ts
 * queues commands while a client is in MULTI).
 *
 * EXEC runs the queue synchronously through call(), so each command is accounted as if sent alone
 * (commandstats, slow log, MONITOR lines before EXEC's own), and nothing else can run in between:
 * atomicity with respect to other clients comes from the single thread and from EXEC never
 * yielding. While it runs, `c.inExec` tells blocking commands to act as their non-blocking forms;
 * the transaction stays on the client until the end so CLIENT LIST/INFO inside it shows flag x and
 * multi=N as Redis does.
 */

import { performance } from 'node:perf_hooks';
import type { Client } from '../client';
import { allSpecs, register } from '../command';
import { call } from '../exec';
import { beginTransaction, discardTransaction } from '../multi';
import type { ServerState } from '../state';

const category = ['@transaction'];

function docs(summary: string, since: string, complexity: string, args?: string) {
  return { summary, since, group: 'transactions', complexity, ...(args !== undefined ? { args } : {}) };
}

function execCommand(c: Client, _argv: string[], s: ServerState): void {
  const tx = c.multi;
  if (tx === null) return c.error('ERR EXEC without MULTI');
  if (tx.failed) {
    discardTransaction(c, s.watches);
    return c.error('EXECABORT Transaction discarded because of previous errors.');
  }
  if (c.dirtyCas || s.watches.expiredSinceWatch(c)) {
    discardTransaction(c, s.watches);
    return c.nilArray();
  }
  // before running: the transaction's own writes must not mark its client dirty
  s.watches.unwatchAll(c);
  const queue = tx.queue;
  c.array(queue.length);
  const stats = s.stats;
  c.inExec = true;
  let clock = performance.now();
  for (let i = 0; i < queue.length; i++) {
    const argv = queue[i]!;
    const spec = allSpecs[tx.specIds[i]!]!;
    const errors = stats.totalErrorReplies;
    clock = call(c, spec, argv, s, clock);
    const d = stats.totalErrorReplies - errors;
    if (d > 0) stats.nestedErrorReplies += d;
  }
  c.inExec = false;
  c.multi = null;
}

register([
  {
    name: 'multi',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    keys: [0, 0, 0],
    categories: category,
    docs: docs('Mark the start of a transaction block', '1.2.0', 'O(1)'),
    handler(c) {
      if (c.multi !== null) return c.error('ERR MULTI calls can not be nested');
      beginTransaction(c);
      c.ok();
    },
  },
  {
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    keys: [0, 0, 0],
    categories: category,
    docs: docs('Execute all commands issued after MULTI', '1.2.0', 'Depends on commands in the transaction'),
    handler: execCommand,
  },
  {
    name: 'discard',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    keys: [0, 0, 0],
    categories: category,
    docs: docs('Discard all commands issued after MULTI', '2.0.0', 'O(N), when N is the number of queued commands'),
    handler(c, _argv, s) {
      if (c.multi === null) return c.error('ERR DISCARD without MULTI');
      discardTransaction(c, s.watches);
      c.ok();
    },
  },
  {
    name: 'watch',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    keys: [1, -1, 1],
    categories: category,
    docs: docs('Watch the given keys to determine execution of the MULTI/EXEC block', '2.2.0', 'O(1) for every key.', 'key [key ...]'),
    handler(c, argv, s) {
      if (c.multi !== null) return c.error('ERR WATCH inside MULTI is not allowed');
      // already doomed: watching more changes nothing
      if (!c.dirtyCas) for (let i = 1; i < argv.length; i++) s.watches.watch(c, c.db, argv[i]!);
      c.ok();
    },
  },
  {
    name: 'unwatch',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    keys: [0, 0, 0],
    categories: category,
    docs: docs('Forget about all watched keys', '2.2.0', 'O(1)'),
    handler(c, _argv, s) {
      s.watches.unwatchAll(c);
      c.ok();
    },
  },
]);
