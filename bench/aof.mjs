#!/usr/bin/env node
/*
 * AOF write throughput, tredis and Redis in the same run (issue 4): SET with `appendonly yes
 * appendfsync everysec` (redis-benchmark -t set -c 50 -r 100000 at -P 1 and -P 16), ratio
 * ours/redis. Each server gets a fresh temp dir on the same filesystem (startServer), starts with
 * appendonly on, and is measured once its first AOF base is written. Pairs alternate which kind
 * runs first; the report gives medians and the median of per-pair ratios, plus each server's
 * aof_delayed_fsync (writes that stopped waiting for a slow background fsync).
 * Server on core 0, benchmark client on core 1 (lib.mjs). redis-benchmark runs under `timeout`.
 * Env: BENCH_AOF_N (requests per run, default 200000), BENCH_PAIRS (default 3).
 * `--record` appends the report to bench/RESULTS.md. Requires `npm run build` and redis-server.
 */

import { execFileSync } from 'node:child_process';
import { fmt, machine, median, pinned, publish, runMain, startServer } from './lib.mjs';

const N = Number(process.env.BENCH_AOF_N ?? 200000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const AOF = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
/** seconds a redis-benchmark run may take before it is killed */
const BENCH_TIMEOUT = Number(process.env.BENCH_TIMEOUT ?? 600);

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

function infoField(port, section, name) {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(cli(port, 'info', section));
  return m === null ? '' : m[1].trim();
}

function setRate(port, pipeline) {
  const [cmd, args] = pinned(1, 'timeout', [
    String(BENCH_TIMEOUT), 'redis-benchmark', '-p', String(port), '-t', 'set', '-n', String(N), '-c', '50', '-P', String(pipeline), '-r', '100000', '--csv',
  ]);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('"SET"'));
  return Number(JSON.parse(`[${line}]`)[1]);
}

async function waitFor(check, ms = 60000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

/** SET rates at -P 1 and -P 16 of a fresh server of this kind with the AOF on. */
async function run(kind) {
  const out = {};
  for (const pipeline of [1, 16]) {
    const srv = await startServer(kind, AOF);
    await waitFor(() => infoField(srv.port, 'persistence', 'aof_rewrite_in_progress') === '0' && infoField(srv.port, 'persistence', 'aof_enabled') === '1');
    const rate = setRate(srv.port, pipeline);
    const delayed = Number(infoField(srv.port, 'persistence', 'aof_delayed_fsync'));
    await srv.stop();
    out[pipeline] = { rate, delayed };
  }
  return out;
}

async function main() {
  const ratios = { 1: [], 16: [] };
  const rates = { tredis: { 1: [], 16: [] }, redis: { 1: [], 16: [] } };
  const delayed = { tredis: 0, redis: 0 };
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? ['tredis', 'redis'] : ['redis', 'tredis'];
    const got = {};
    for (const kind of order) got[kind] = await run(kind);
    for (const p of [1, 16]) {
      ratios[p].push(got.tredis[p].rate / got.redis[p].rate);
      for (const kind of ['tredis', 'redis']) {
        rates[kind][p].push(got[kind][p].rate);
        delayed[kind] += got[kind][p].delayed;
      }
    }
  }
  const lines = [`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — AOF`, '', `Machine: ${machine()}.`, ''];
  lines.push(`SET with appendonly yes, appendfsync everysec (redis-benchmark -t set -c 50 -r 100000 -n ${fmt(N)}, ${PAIRS} pairs; medians; ratio = median of per-pair ratios):`);
  lines.push('');
  lines.push('| -P | tredis SET/s | redis SET/s | ratio |');
  lines.push('|---|---|---|---|');
  for (const p of [1, 16]) {
    lines.push(`| ${p} | ${fmt(median(rates.tredis[p]))} | ${fmt(median(rates.redis[p]))} | **${fmt(median(ratios[p]), 2)}** |`);
  }
  lines.push('');
  lines.push(`aof_delayed_fsync over all runs: tredis ${delayed.tredis}, redis ${delayed.redis}.`);
  lines.push('');
  publish(lines);
}

runMain(main);
