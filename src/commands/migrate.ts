/*
 * MIGRATE: moves keys to another server (tredis or Redis) with DUMP payloads and RESTORE, then
 * deletes them here unless COPY. Redis does this synchronously, the whole server waiting on the
 * target; here only the calling client waits (its connection is held while the transfer runs), so
 * the payloads are taken when the command arrives and the keys are deleted when the target has
 * answered, provided they still hold the values that were sent. Inside MULTI/EXEC or a script,
 * where the next command must see MIGRATE done, the whole server waits as Redis's does: a child
 * process (src/migrate-child.ts) talks to the target while execFileSync blocks.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { clock } from '../keyspace/clock';
import type { Db, Value } from '../keyspace/db';
import { encodeTransferRequest, transfer } from '../migrate-transfer';
import { dumpPayload } from '../persistence/rdb';
import { encodeCommand } from '../propagation';
import type { ServerState } from '../state';
import { saveOptions } from './persistence';

interface Outgoing {
  key: string;
  value: Value;
  ttl: number;
  payload: Buffer;
}

function migrate(c: Client, argv: string[], s: ServerState): void {
  let copy = false;
  let replace = false;
  let auth: string[] | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    if (is(opt, 'copy')) copy = true;
    else if (is(opt, 'replace')) replace = true;
    else if (is(opt, 'auth') && more >= 1) auth = ['AUTH', argv[++j]!];
    else if (is(opt, 'auth2') && more >= 2) {
      auth = ['AUTH', argv[j + 1]!, argv[j + 2]!];
      j += 2;
    } else if (is(opt, 'keys')) {
      if (argv[3]!.length !== 0) return c.error('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else return c.error(ERR_SYNTAX);
  }
  const port = parseInt64(argv[2]!);
  const timeout = parseInt64(argv[5]!);
  const dbid = parseInt64(argv[4]!);
  if (port === null || timeout === null || dbid === null) return c.error(ERR_NOT_INT);
  const out: Outgoing[] = [];
  const opts = saveOptions(s);
  for (let i = firstKey; i < firstKey + numKeys; i++) {
    const key = argv[i]!;
    const value = s.readKey(c, key);
    if (value === undefined) continue;
    const at = c.db.expires.size === 0 ? undefined : c.db.expires.get(key);
    const ttl = at === undefined ? 0 : Math.max(1, at - clock.now);
    out.push({ key, value, ttl, payload: dumpPayload(value, opts) });
  }
  if (out.length === 0) return c.simple('NOKEY');
  const ms = timeout <= 0 ? 1000 : Number(timeout);
  const commands: Buffer[] = [];
  if (auth !== null) commands.push(Buffer.from(encodeCommand(auth), 'latin1'));
  commands.push(Buffer.from(encodeCommand(['SELECT', String(dbid)]), 'latin1'));
  for (const o of out) {
    const args = ['RESTORE', o.key, String(o.ttl), o.payload.latin1Slice(0, o.payload.length)];
    if (replace) args.push('REPLACE');
    commands.push(Buffer.from(encodeCommand(args), 'latin1'));
  }
  const db = c.db;
  const data = Buffer.concat(commands);
  if (c.inExec || c.isScript) {
    const { err, replies } = transferSync(argv[1]!, Number(port), ms, data, commands.length);
    return finishMigrate(c, s, db, out, copy, auth !== null, err, replies);
  }
  c.waiting = true;
  transfer(argv[1]!, Number(port), ms, data, commands.length, (err, replies) => {
    if (c.closed) return;
    finishMigrate(c, s, db, out, copy, auth !== null, err, replies);
    s.resumeClient(c);
  });
}

/** Deletes what the target took (unless COPY) and answers as Redis's MIGRATE. */
function finishMigrate(c: Client, s: ServerState, db: Db, out: Outgoing[], copy: boolean, authed: boolean, err: string | null, replies: string[]): void {
  if (err !== null) return c.error(err);
  // replies: AUTH?, SELECT, then one per key
  const skip = authed ? 2 : 1;
  const failed = replies.slice(0, skip).find((r) => r[0] === '-');
  let firstError: string | null = failed !== undefined ? failed : null;
  const moved: Outgoing[] = [];
  for (let i = 0; i < out.length && firstError === null; i++) {
    const r = replies[skip + i]!;
    if (r[0] === '-') {
      firstError = r;
      break;
    }
    moved.push(out[i]!);
  }
  if (!copy) {
    const deleted: string[] = [];
    for (const o of moved) {
      const slot = db.map.get(o.key);
      // a key changed since it was sent stays: the target has the old value, this one is newer
      if (slot === undefined || db.values[slot] !== o.value) continue;
      db.delete(o.key);
      s.keyModified(db, o.key);
      s.notify('g', 'del', o.key, db.id);
      s.dirty++;
      deleted.push(o.key);
    }
    if (deleted.length !== 0) s.propagate(db.id, ['DEL', ...deleted]);
  }
  if (firstError !== null) c.error(`ERR Target instance replied with error: ${firstError.slice(1)}`);
  else c.ok();
}

/** the compiled child next to this module, or dist's when running from the TypeScript sources (tests) */
const CHILD = [path.join(__dirname, '..', 'migrate-child.js'), path.join(__dirname, '..', '..', 'dist', 'migrate-child.js')].find((f) => existsSync(f)) ?? '';

/** The transfer run to completion before returning (the event loop waits, as Redis's server does). */
function transferSync(host: string, port: number, ms: number, data: Buffer, expected: number): { err: string | null; replies: string[] } {
  try {
    const out = execFileSync(process.execPath, [CHILD], {
      input: encodeTransferRequest({ host, port, ms, expected }, data),
      // the child keeps MIGRATE's own timeout; this one only guards against a child that never ends
      timeout: ms + 5000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out.latin1Slice(0, out.length)) as { err: string | null; replies: string[] };
  } catch {
    return { err: 'IOERR error or timeout reading to target instance', replies: [] };
  }
}

register([
  {
    name: 'migrate',
    arity: -6,
    flags: ['write', 'movablekeys'],
    keys: [3, 3, 1],
    getKeys: (argv) => {
      for (let j = 6; j < argv.length; j++) {
        if (is(argv[j]!, 'keys')) return Array.from({ length: argv.length - j - 1 }, (_, i) => j + 1 + i);
        if (is(argv[j]!, 'auth')) j++;
        else if (is(argv[j]!, 'auth2')) j += 2;
      }
      return argv[3]!.length === 0 ? [] : [3];
    },
    categories: ['@keyspace', '@dangerous'],
    tips: ['nondeterministic_output'],
    docs: {
      summary: 'Atomically transfer a key from a Redis instance to another one.',
      since: '2.6.0',
      group: 'generic',
      complexity: 'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
      args: 'host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password|AUTH2 username password] [KEYS key [key ...]]',
    },
    handler: migrate,
  },
]);
