#!/usr/bin/env node
/*
 * The command path in-process, without sockets: parser -> execute -> reply, for batches of 16
 * pipelined commands, with each batch's output flattened into a buffer as the socket write would.
 * A developer's microbenchmark for changes to that path (it has no Redis counterpart, so it is not
 * part of `npm run bench`): run it for two trees in alternation and compare the per-run minimums,
 * which hide most of a shared machine's noise.
 *
 *   node bench/hot-path.mjs [kind ...] [--tree DIR]    (kinds: ping set get incr publish xadd evalsha mix; after npm run build)
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { root } from './lib.mjs';

const args = process.argv.slice(2);
const treeAt = args.indexOf('--tree');
const tree = treeAt === -1 ? root : path.resolve(args[treeAt + 1]);
const kinds = args.filter((a, i) => !a.startsWith('--') && (treeAt === -1 || i !== treeAt + 1));
const require = createRequire(path.join(tree, 'package.json'));
const { ServerState } = require('./dist/state.js');
const { Client } = require('./dist/client.js');
const { execute } = require('./dist/exec.js');
const { subscribe } = require('./dist/pubsub.js');
const { luaLoaded } = require('./dist/scripting/lua.js');
require('./dist/commands/index.js');

const encode = (argv) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
const key = () => `key:${String(Math.floor(Math.random() * 100000)).padStart(12, '0')}`;
const MESSAGE = 'm'.repeat(64);
/** the script of `npm run bench`'s EVALSHA test */
const SCRIPT = "local v = redis.call('GET', KEYS[1]); redis.call('INCR', KEYS[1]); return v";
const SCRIPT_SHA = 'c41a4ecf8c1c89a1f10025a848a8ce1843f9ffbe';
/** the 16 commands of a batch, by kind */
const BATCHES = {
  ping: () => ['PING'],
  set: () => ['SET', key(), 'xxx'],
  get: () => ['GET', key()],
  incr: () => ['INCR', key()],
  publish: () => ['PUBLISH', 'bench', MESSAGE],
  xadd: () => ['XADD', 'stream', '*', 'field', 'value'],
  evalsha: () => ['EVALSHA', SCRIPT_SHA, '1', key()],
  mix: (i, k = key()) =>
    [['SET', k, 'x'], ['GET', k], ['INCR', `n${k}`], ['EXISTS', k], ['HSET', `h${k}`, 'f', 'v'], ['LPUSH', 'l', 'v'], ['RPOP', 'l'], ['SADD', `s${k}`, 'm'],
     ['TTL', k], ['TYPE', k], ['STRLEN', k], ['HGET', `h${k}`, 'f'], ['ZADD', 'z', String(i), `m${i}`], ['ECHO', 'hi'], ['SCARD', `s${k}`], ['PING']][i],
};

function run(kind) {
  const s = new ServerState();
  const opts = { maxBulkLen: 1 << 29, maxQueryBuffer: 1 << 30, unauthenticated: false };
  const c = new Client(1, null, s.dbs[0], opts);
  const subscriber = new Client(2, null, s.dbs[0], opts);
  s.queueWrite = () => {};
  s.scheduleWrites = () => {};
  if (kind === 'publish') {
    subscribe(subscriber, s, 'channel', ['bench']);
    subscriber.take();
  }
  if (kind === 'evalsha') execute(c, ['SCRIPT', 'LOAD', SCRIPT], s);
  if (kind === 'get' || kind === 'evalsha') for (let i = 0; i < 100000; i++) execute(c, ['SET', `key:${String(i).padStart(12, '0')}`, kind === 'get' ? 'xxx' : '1'], s);
  c.take();
  const chunk = Buffer.from(Array.from({ length: 16 }, (_, i) => encode(BATCHES[kind](i))).join(''));
  const out = Buffer.allocUnsafe(1 << 20);
  const drain = (client) => {
    for (const o of client.take()) if (typeof o === 'string') out.latin1Write(o, 0);
  };
  const onCommand = (argv) => {
    execute(c, argv, s);
    return true;
  };
  const batched = 'batchClock' in s; // as the server's socket reads do, where the tree has it
  const N = 10000;
  const times = [];
  for (let r = 0; r < 25; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      if (batched) s.batchClock = 0;
      c.parser.feed(chunk, onCommand);
      if (batched) s.batchClock = -1;
      drain(c);
      drain(subscriber);
    }
    times.push(Number(process.hrtime.bigint() - t) / (N * 16));
  }
  times.sort((a, b) => a - b);
  console.log(`${kind.padEnd(8)} min ${times[0].toFixed(0)} median ${times[12].toFixed(0)} ns/command  (${tree})`);
}

await luaLoaded();
for (const kind of kinds.length === 0 ? Object.keys(BATCHES) : kinds) {
  if (!(kind in BATCHES)) throw new Error(`unknown kind ${kind}: ${Object.keys(BATCHES).join(' ')}`);
  run(kind);
}
