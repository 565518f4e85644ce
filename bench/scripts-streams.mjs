/*
 * EVALSHA of a small script, XADD and XREADGROUP, tredis and Redis in the same run (issue 6), each a
 * redis-benchmark run of an arbitrary command (-c 50, -P 1), in alternating pairs; the figure is
 * the median of the per-pair ratios.
 * - EVALSHA: `return redis.call('GET', KEYS[1])`-like script (GET then INCR of a random key).
 * - XADD: `XADD s * f v` on one stream.
 * - XREADGROUP: `XREADGROUP GROUP g c COUNT 1 STREAMS s >` on a stream filled beforehand with
 *   enough entries that every call gets one.
 * Run by `npm run bench` after the others, or alone: `node bench/scripts-streams.mjs`.
 */

import { execFileSync } from 'node:child_process';
import { fmt, machine, median, pinned, publish, runMain, startServer } from './lib.mjs';

const SCRIPT = "local v = redis.call('GET', KEYS[1]); redis.call('INCR', KEYS[1]); return v";

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

/** ops/s of redis-benchmark running one command. */
function rate(port, n, command) {
  const [cmd, args] = pinned(1, 'redis-benchmark', ['-p', String(port), '-c', '50', '-n', String(n), '-r', '100000', '--csv', ...command]);
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').find((l) => l.startsWith('"') && !l.startsWith('"test"'));
  return Number(line.split(',')[1].replace(/"/g, ''));
}

async function once(kind, n) {
  const srv = await startServer(kind);
  try {
    const sha = cli(srv.port, 'script', 'load', SCRIPT);
    const evalsha = rate(srv.port, n, ['evalsha', sha, '1', 'key:__rand_int__']);
    const xadd = rate(srv.port, n, ['xadd', 'bench-stream', '*', 'field', 'value']);
    cli(srv.port, 'xgroup', 'create', 'bench-stream', 'g', '0');
    // the XADD run left n entries: each XREADGROUP gets one
    const xreadgroup = rate(srv.port, Math.floor(n * 0.9), ['xreadgroup', 'group', 'g', 'c', 'count', '1', 'streams', 'bench-stream', '>']);
    return { evalsha, xadd, xreadgroup };
  } finally {
    await srv.stop();
  }
}

export async function scriptsAndStreams(pairs = Number(process.env.BENCH_PAIRS ?? 3), n = Number(process.env.BENCH_N1 ?? 100000)) {
  const runs = { tredis: [], redis: [] };
  const ratios = { evalsha: [], xadd: [], xreadgroup: [] };
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? ['tredis', 'redis'] : ['redis', 'tredis'];
    const got = {};
    for (const kind of order) got[kind] = await once(kind, n);
    for (const kind of order) runs[kind].push(got[kind]);
    for (const k of Object.keys(ratios)) ratios[k].push(got.tredis[k] / got.redis[k]);
  }
  const lines = [
    `EVALSHA, XADD and XREADGROUP (redis-benchmark -c 50 -P 1, -n ${fmt(n)}, ${pairs} pairs; ops/s medians, ratio = median of per-pair ratios):`,
    '',
    '| test | tredis | redis | ratio |',
    '|---|---|---|---|',
  ];
  for (const k of Object.keys(ratios)) {
    const ours = median(runs.tredis.map((r) => r[k]));
    const theirs = median(runs.redis.map((r) => r[k]));
    lines.push(`| ${k.toUpperCase()} | ${fmt(ours)} | ${fmt(theirs)} | **${fmt(median(ratios[k]), 2)}** |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(async () => {
    const heading = [`## EVALSHA, XADD and XREADGROUP, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Machine: ${machine()}.`, ''];
    publish([...heading, ...(await scriptsAndStreams())]);
  });
}
