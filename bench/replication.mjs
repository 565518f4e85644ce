#!/usr/bin/env node
/*
 * Replication, tredis and Redis in the same run (issue 4):
 * - SET throughput with a follower attached (redis-benchmark -c 50 at -P 1 and -P 16), against the
 *   same leader without one, ratio ours/redis; the follower is of the same kind as the leader.
 * - Full sync time: a leader holding BENCH_REPL_KEYS keys (DEBUG POPULATE, 16-byte values), a fresh
 *   follower: from REPLICAOF to master_link_status:up with every key loaded.
 * Leader and follower run on core 0 (the follower's work competes with the leader's, as it would on
 * a one-core box), the benchmark client on core 1: alike for both kinds.
 * `--record` appends the report to bench/RESULTS.md. Requires `npm run build` and redis-server.
 */

import { execFileSync } from 'node:child_process';
import { fmt, machine, median, pinned, publish, runMain, startServer } from './lib.mjs';

const KEYS = Number(process.env.BENCH_REPL_KEYS ?? 1000000);
const N = Number(process.env.BENCH_N1 ?? 100000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const DEBUG = ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0'];

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

function setRate(port, pipeline) {
  const [cmd, args] = pinned(1, 'redis-benchmark', ['-p', String(port), '-t', 'set', '-n', String(N * (pipeline > 1 ? 4 : 1)), '-c', '50', '-P', String(pipeline), '-r', '100000', '--csv']);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('"SET"'));
  return Number(JSON.parse(`[${line}]`)[1]);
}

async function waitFor(check, ms = 600000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

function linkUp(port, keys) {
  const info = cli(port, 'info', 'replication');
  return /master_link_status:up/.test(info) && Number(cli(port, 'dbsize')) === keys;
}

/** A follower of `leader`, of the same kind. */
async function follower(kind, leader) {
  const f = await startServer(kind, [...DEBUG]);
  cli(f.port, 'replicaof', '127.0.0.1', String(leader.port));
  return f;
}

async function throughput(kind) {
  const out = {};
  for (const pipeline of [1, 16]) {
    const leader = await startServer(kind, DEBUG);
    const alone = setRate(leader.port, pipeline);
    const f = await follower(kind, leader);
    await waitFor(() => /master_link_status:up/.test(cli(f.port, 'info', 'replication')));
    const withFollower = setRate(leader.port, pipeline);
    // the follower must have kept up: same data on both
    await waitFor(() => cli(f.port, 'dbsize') === cli(leader.port, 'dbsize'), 60000);
    await f.stop();
    await leader.stop();
    out[pipeline] = { alone, withFollower };
  }
  return out;
}

async function fullSync(kind) {
  const leader = await startServer(kind, DEBUG);
  cli(leader.port, 'debug', 'populate', String(KEYS), 'key', '16');
  const f = await startServer(kind, DEBUG);
  const t0 = performance.now();
  cli(f.port, 'replicaof', '127.0.0.1', String(leader.port));
  await waitFor(() => linkUp(f.port, KEYS));
  const ms = performance.now() - t0;
  await f.stop();
  await leader.stop();
  return ms;
}

async function main() {
  const rows = { 1: [], 16: [] };
  const syncs = { tredis: [], redis: [] };
  const rates = { tredis: { 1: [], 16: [] }, redis: { 1: [], 16: [] } };
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? ['tredis', 'redis'] : ['redis', 'tredis'];
    const got = {};
    for (const kind of order) got[kind] = await throughput(kind);
    for (const p of [1, 16]) {
      rows[p].push(got.tredis[p].withFollower / got.redis[p].withFollower);
      for (const kind of ['tredis', 'redis']) rates[kind][p].push(got[kind][p]);
    }
    for (const kind of order) syncs[kind].push(await fullSync(kind));
  }
  const lines = [`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — replication`, '', `Machine: ${machine()}.`, ''];
  lines.push(`SET with a follower attached (redis-benchmark -c 50, -n ${fmt(N)} at -P 1 and ${fmt(N * 4)} at -P 16, ${PAIRS} pairs; medians; ratio = median of per-pair ratios):`);
  lines.push('');
  lines.push('| -P | tredis alone | tredis + follower | redis alone | redis + follower | ratio with follower |');
  lines.push('|---|---|---|---|---|---|');
  for (const p of [1, 16]) {
    const m = (kind, k) => median(rates[kind][p].map((x) => x[k]));
    lines.push(`| ${p} | ${fmt(m('tredis', 'alone'))} | ${fmt(m('tredis', 'withFollower'))} | ${fmt(m('redis', 'alone'))} | ${fmt(m('redis', 'withFollower'))} | **${fmt(median(rows[p]), 2)}** |`);
  }
  lines.push('');
  const st = median(syncs.tredis);
  const sr = median(syncs.redis);
  lines.push(`Full sync of ${fmt(KEYS)} keys (16-byte values) to a fresh follower, REPLICAOF to link up with every key loaded: tredis ${fmt(st / 1000, 2)} s, redis ${fmt(sr / 1000, 2)} s (ratio of times **${fmt(st / sr, 2)}**).`);
  lines.push('');
  publish(lines);
}

runMain(main);
