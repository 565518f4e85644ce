#!/usr/bin/env node
/*
 * BGSAVE of a big keyspace under a steady write load, tredis (forkless snapshot) vs Redis (fork):
 * - time from BGSAVE to rdb_bgsave_in_progress:0;
 * - extra memory during it: tredis's peak RSS over its RSS before; Redis's peak of the parent's
 *   growth plus the fork child's private pages (smaps_rollup Private_*), i.e. what the fork really
 *   costs (the child's shared pages are the parent's). Redis's own rdb_last_cow_size is shown too;
 * - latency of a write load of ~10k SET/s (one connection, requests sent on a 1 ms clock, each
 *   request's time from send to reply): p50/p99/max during the BGSAVE and over a quiet window before.
 * Keys are `key:<i>` with 64-byte values; the writes overwrite random existing keys.
 *
 * Environment: BENCH_BGSAVE_KEYS (default 1000000), BENCH_BGSAVE_RATE (writes/s, default 10000).
 * Run alone with `npm run bench:bgsave [-- --record]`; `npm run bench` runs it after the others.
 */

import { appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fmt, machine, root, rss, startServer } from './lib.mjs';

const env = process.env;
const KEYS = Number(env.BENCH_BGSAVE_KEYS ?? 1000000);
const RATE = Number(env.BENCH_BGSAVE_RATE ?? 10000);
const VALUE = 'v'.repeat(64);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A connection answering simple commands in order (replies are single lines or one bulk). */
function connect(port) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.setNoDelay(true);
  let buf = '';
  const waiting = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    for (;;) {
      if (buf.length === 0 || waiting.length === 0) return;
      let end;
      if (buf[0] === '$') {
        const nl = buf.indexOf('\r\n');
        if (nl === -1) return;
        const n = Number(buf.slice(1, nl));
        end = n < 0 ? nl + 2 : nl + 2 + n + 2;
        if (buf.length < end) return;
      } else {
        const nl = buf.indexOf('\r\n');
        if (nl === -1) return;
        end = nl + 2;
      }
      const reply = buf.slice(0, end);
      buf = buf.slice(end);
      waiting.shift()(reply);
    }
  });
  const ready = new Promise((r) => sock.once('connect', r));
  return {
    ready,
    sock,
    /** sends without waiting; cb gets the reply */
    send(args, cb) {
      waiting.push(cb);
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    },
    /** waits for a reply to something written directly to the socket */
    expectReply(cb) {
      waiting.push(cb);
    },
    call(...args) {
      return new Promise((resolve) => this.send(args, resolve));
    },
    close() {
      sock.destroy();
    },
  };
}

async function load(port, count) {
  const c = connect(port);
  await c.ready;
  let done = 0;
  const BATCH = 1000;
  for (let i = 0; i < count; i += BATCH) {
    let chunk = '';
    const n = Math.min(count, i + BATCH) - i;
    for (let j = i; j < i + n; j++) {
      const key = `key:${j}`;
      chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`;
    }
    // replies are counted, not parsed: every one is +OK
    for (let j = 0; j < n; j++) c.expectReply(() => done++);
    c.sock.write(chunk);
    while (done < i - 50000) await sleep(1);
  }
  while (done < count) await sleep(5);
  c.close();
}

function info(text, field) {
  const m = new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text);
  return m === null ? '' : m[1];
}

/** Samples extra memory every 10 ms until told to stop, then posts the peak. */
const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { pid, base, fork } = workerData;
const kb = (text, field) => { const m = new RegExp(field + ':\\\\s+(\\\\d+) kB').exec(text); return m ? Number(m[1]) * 1024 : 0; };
const children = () => { try { return readFileSync('/proc/' + pid + '/task/' + pid + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean); } catch { return []; } };
let peak = 0;
let stop = false;
parentPort.on('message', () => { stop = true; });
const tick = () => {
  let extra = 0;
  try { extra = kb(readFileSync('/proc/' + pid + '/status', 'utf8'), 'VmRSS') - base; } catch {}
  if (fork) for (const c of children()) {
    try { const t = readFileSync('/proc/' + c + '/smaps_rollup', 'utf8'); extra += kb(t, 'Private_Clean') + kb(t, 'Private_Dirty'); } catch {}
  }
  if (extra > peak) peak = extra;
  if (stop) parentPort.postMessage(peak); else setTimeout(tick, 10);
};
tick();
`;

/** A steady write load; returns {stop(): latencies (ms) of requests sent between marks}. */
function writeLoad(c, rate) {
  const lat = [];
  let sent = 0;
  const start = performance.now();
  let marks = [];
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      const t0 = performance.now();
      const key = `key:${Math.floor(Math.random() * KEYS)}`;
      c.send(['SET', key, VALUE], () => lat.push([t0, performance.now() - t0]));
      sent++;
    }
  }, 1);
  return {
    mark() {
      marks.push(performance.now());
    },
    async stop() {
      clearInterval(timer);
      while (lat.length < sent) await sleep(5);
      return { lat, marks };
    },
  };
}

function pct(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(kind) {
  const srv = await startServer(kind);
  try {
    await load(srv.port, KEYS);
    await sleep(1500);
    const ctl = connect(srv.port);
    const w = connect(srv.port);
    await Promise.all([ctl.ready, w.ready]);
    const base = rss(srv.pid);
    const load1 = writeLoad(w, RATE);
    await sleep(2000);
    load1.mark(); // quiet window: [0, mark0)
    const baseUnderLoad = rss(srv.pid);
    const t0 = performance.now();
    const reply = await ctl.call('BGSAVE');
    if (!reply.startsWith('+Background saving started')) throw new Error(`${kind}: BGSAVE -> ${reply}`);
    // the fork child inherits the server's pinning to core 0: the server gets one core either way
    // (moving the child to the client's core starves the client and inflates the latencies seen)
    // memory is sampled in a worker thread: reading a big process's smaps_rollup takes long enough
    // to stall this thread's event loop, which would show up as write latency
    const sampler = new Worker(SAMPLER, { eval: true, workerData: { pid: srv.pid, base: baseUnderLoad, fork: kind === 'redis' } });
    let text;
    for (;;) {
      text = await ctl.call('INFO', 'persistence');
      if (info(text, 'rdb_bgsave_in_progress') === '0') break;
      await sleep(10);
    }
    const peak = await new Promise((resolve) => {
      sampler.once('message', resolve);
      sampler.postMessage('stop');
    });
    await sampler.terminate();
    const seconds = (performance.now() - t0) / 1000;
    load1.mark();
    const status = info(text, 'rdb_last_bgsave_status');
    const cow = Number(info(text, 'rdb_last_cow_size'));
    const { lat, marks } = await load1.stop();
    const quiet = lat.filter(([t]) => t < marks[0]).map(([, d]) => d);
    const during = lat.filter(([t]) => t >= t0 && t <= marks[1]).map(([, d]) => d);
    ctl.close();
    w.close();
    return {
      kind,
      seconds,
      status,
      base,
      peak,
      cow,
      writes: during.length,
      quiet: { p50: pct(quiet, 50), p99: pct(quiet, 99), max: pct(quiet, 100) },
      during: { p50: pct(during, 50), p99: pct(during, 99), max: pct(during, 100) },
    };
  } finally {
    await srv.stop();
  }
}

/** The report lines (markdown). */
export async function bgsaveBench() {
  const ours = await measure('tredis');
  const theirs = await measure('redis');
  const mib = (b) => fmt(b / 2 ** 20, 1);
  const ms = (x) => fmt(x, 2);
  const lines = [];
  lines.push(`BGSAVE of ${fmt(KEYS)} keys (64-byte values) under ~${fmt(RATE)} SET/s on random existing keys (one connection, latency from send to reply):`);
  lines.push('');
  lines.push('| server | BGSAVE s | status | RSS before MiB | extra peak MiB | rdb_last_cow_size MiB | writes during | p50 / p99 / max ms during | p50 / p99 / max ms before |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of [ours, theirs]) {
    lines.push(
      `| ${r.kind} | ${fmt(r.seconds, 2)} | ${r.status} | ${mib(r.base)} | ${mib(r.peak)} | ${mib(r.cow)} | ${fmt(r.writes)} | ${ms(r.during.p50)} / ${ms(r.during.p99)} / ${ms(r.during.max)} | ${ms(r.quiet.p50)} / ${ms(r.quiet.p99)} / ${ms(r.quiet.max)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Ratios tredis / redis: time **${fmt(ours.seconds / theirs.seconds, 2)}**, extra peak memory **${fmt(ours.peak / Math.max(1, theirs.peak), 2)}**, p99 during BGSAVE **${fmt(ours.during.p99 / theirs.during.p99, 2)}**. tredis's extra memory is RSS growth (it includes garbage the collector has not returned yet); Redis's is the parent's growth plus the fork child's private pages. Both servers are pinned to one core and Redis's fork child inherits that pinning, so it competes with its parent for the core: on a machine with a spare core Redis's latency during BGSAVE would be far lower (this box has two cores and the client needs the other).`,
  );
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = [`## BGSAVE, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Machine: ${machine()}.`, '', ...(await bgsaveBench())];
  const report = lines.join('\n');
  console.log(report);
  if (process.argv.includes('--record')) appendFileSync(path.join(root, 'bench/RESULTS.md'), '\n' + report + '\n');
}
