#!/usr/bin/env node
/*
 * tredis vs Redis, side by side, in one run.
 *
 * Throughput: redis-benchmark against each server in pairs (ours then theirs, then theirs then ours,
 * alternating), same parameters; the machine is noisy, so the figure that counts is the median of
 * the per-pair ratios, not the absolute ops/s. Server pinned to core 0, client to core 1 (taskset),
 * for both servers alike.
 * Memory: 1,000,000 keys with 16-byte values loaded into each fresh server through a pipelined
 * socket; RSS growth (VmRSS) divided by the key count.
 *
 * Environment: BENCH_PAIRS (default 5), BENCH_N1 (requests per test at -P 1, default 100000),
 * BENCH_N16 (at -P 16, default 1000000), BENCH_KEYS (default 1000000), BENCH_TESTS
 * (default ping,set,get,incr,mset). `--record` appends the markdown report to bench/RESULTS.md.
 * Requires `npm run build` first (npm run bench does it) and redis-server / redis-benchmark.
 */

import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { fmt, machine, median, pinned, publish, rss, runMain, startServer } from './lib.mjs';
import { pubsubAndMulti } from './pubsub.mjs';
import { scriptsAndStreams } from './scripts-streams.mjs';
import { zsetScale } from './scale.mjs';
import { bgsaveBench } from './bgsave.mjs';

const env = process.env;
const PAIRS = Number(env.BENCH_PAIRS ?? 5);
const N1 = Number(env.BENCH_N1 ?? 100000);
const N16 = Number(env.BENCH_N16 ?? 1000000);
const KEYS = Number(env.BENCH_KEYS ?? 1000000);
/**
 * Test groups, each a redis-benchmark run of its own with its share of the requests: the core string
 * commands, the data-type commands (issue 3), and LRANGE, whose replies are long (a tenth of the
 * requests). BENCH_TESTS replaces the whole list with one group.
 */
const GROUPS = env.BENCH_TESTS
  ? [{ tests: env.BENCH_TESTS, share: 1 }]
  : [
      { tests: 'ping,set,get,incr,mset', share: 1 },
      { tests: 'lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin', share: 1 },
      { tests: 'lrange_100,lrange_600', share: 0.1 },
    ];
const CLIENTS = 50;
/** Runs redis-benchmark --csv; returns {test: {rps, p50, p99}}. */
function benchmark(port, pipeline, n, tests) {
  const [cmd, args] = pinned(1, 'redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-n', String(n), '-P', String(pipeline),
    '-t', tests, '--csv',
  ]);
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const result = {};
  for (const line of out.split('\n')) {
    const cols = line.split(',').map((c) => c.replace(/"/g, ''));
    if (cols.length < 7 || cols[0] === 'test') continue;
    result[cols[0]] = { rps: Number(cols[1]), p50: Number(cols[4]), p99: Number(cols[6]) };
  }
  return result;
}

async function throughput(pipeline, n) {
  const ours = await startServer('tredis');
  const theirs = await startServer('redis');
  const runs = { tredis: [], redis: [] };
  try {
    // warm-up, not counted: lets V8 optimise the hot path before the first measured run
    for (const srv of [ours, theirs]) for (const g of GROUPS) benchmark(srv.port, pipeline, Math.max(10000, Math.floor((n * g.share) / 5)), g.tests);
    for (let i = 0; i < PAIRS; i++) {
      const order = i % 2 === 0 ? [ours, theirs] : [theirs, ours];
      for (const srv of order) {
        const result = {};
        for (const g of GROUPS) Object.assign(result, benchmark(srv.port, pipeline, Math.max(1000, Math.floor(n * g.share)), g.tests));
        runs[srv.kind].push(result);
        process.stderr.write('.');
      }
    }
  } finally {
    await ours.stop();
    await theirs.stop();
  }
  process.stderr.write('\n');
  const rows = [];
  for (const test of Object.keys(runs.tredis[0])) {
    const ratios = runs.tredis.map((r, i) => r[test].rps / runs.redis[i][test].rps);
    const pick = (kind, f) => median(runs[kind].map((r) => r[test][f]));
    rows.push({
      test,
      pipeline,
      ours: pick('tredis', 'rps'),
      theirs: pick('redis', 'rps'),
      ratio: median(ratios),
      minRatio: Math.min(...ratios),
      maxRatio: Math.max(...ratios),
      oursP50: pick('tredis', 'p50'),
      theirsP50: pick('redis', 'p50'),
      oursP99: pick('tredis', 'p99'),
      theirsP99: pick('redis', 'p99'),
    });
  }
  return rows;
}

/** Loads `count` keys `key:<i>` with 16-byte values through one pipelined connection. */
async function load(port, count) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise((r) => sock.once('connect', r));
  let replies = 0;
  let pending = '';
  const done = new Promise((resolve) => {
    sock.on('data', (d) => {
      pending += d.toString('latin1');
      let idx;
      while ((idx = pending.indexOf('\r\n')) !== -1) {
        pending = pending.slice(idx + 2);
        replies++;
      }
      if (replies >= count) resolve();
    });
  });
  const value = '0123456789abcdef';
  const BATCH = 1000;
  for (let i = 0; i < count; i += BATCH) {
    let chunk = '';
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      const key = `key:${j}`;
      chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$16\r\n${value}\r\n`;
    }
    if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
    // keep the outstanding replies bounded, as a real loader does
    while (replies < i - 50000) await new Promise((r) => setTimeout(r, 1));
  }
  await done;
  sock.destroy();
}

async function memory() {
  const out = {};
  for (const kind of ['tredis', 'redis']) {
    const srv = await startServer(kind);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = rss(srv.pid);
      await load(srv.port, KEYS);
      await new Promise((r) => setTimeout(r, 1000));
      const after = rss(srv.pid);
      out[kind] = { before, after, perKey: (after - before) / KEYS };
    } finally {
      await srv.stop();
    }
  }
  return out;
}

async function main() {
  const rows = [];
  rows.push(...(await throughput(1, N1)));
  rows.push(...(await throughput(16, N16)));
  const mem = await memory();
  const lines = [];
  lines.push(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(`Machine: ${machine()}.`);
  lines.push(`redis-benchmark -c ${CLIENTS}, ${PAIRS} pairs, -n ${N1} at -P 1 and ${N16} at -P 16; ops/s and latencies are medians over the runs, the ratio is the median of per-pair ratios (min–max in brackets).`);
  lines.push('');
  lines.push('| test | -P | tredis ops/s | redis ops/s | ratio | p50 ms tredis / redis | p99 ms tredis / redis |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(
      `| ${r.test} | ${r.pipeline} | ${fmt(r.ours)} | ${fmt(r.theirs)} | **${fmt(r.ratio, 2)}** (${fmt(r.minRatio, 2)}–${fmt(r.maxRatio, 2)}) | ${fmt(r.oursP50, 3)} / ${fmt(r.theirsP50, 3)} | ${fmt(r.oursP99, 3)} / ${fmt(r.theirsP99, 3)} |`,
    );
  }
  lines.push('');
  lines.push(`Memory, ${fmt(KEYS)} keys with 16-byte values: tredis ${fmt(mem.tredis.perKey, 1)} bytes/key of RSS (${fmt(mem.tredis.before / 2 ** 20, 1)} → ${fmt(mem.tredis.after / 2 ** 20, 1)} MiB), redis ${fmt(mem.redis.perKey, 1)} bytes/key (${fmt(mem.redis.before / 2 ** 20, 1)} → ${fmt(mem.redis.after / 2 ** 20, 1)} MiB); ratio **${fmt(mem.tredis.perKey / mem.redis.perKey, 2)}**.`);
  lines.push('');
  if (!env.BENCH_TESTS) {
    lines.push(...(await zsetScale(fmt)));
    lines.push('');
    lines.push(...(await pubsubAndMulti(fmt)));
    lines.push('');
    lines.push(...(await scriptsAndStreams(PAIRS, N1)));
    lines.push('');
    lines.push(...(await bgsaveBench()));
    lines.push('');
  }
  publish(lines);
}

runMain(main);
