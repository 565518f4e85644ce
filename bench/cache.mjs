#!/usr/bin/env node
/*
 * A cache under pressure, tredis and Redis side by side with the same settings: maxmemory (256mb),
 * for each of allkeys-lru, allkeys-lfu and volatile-ttl, a cache-aside workload: GET a key drawn from
 * a Zipf distribution (exponent 0.99, as YCSB) over 2M keys; on a miss, SET it with a 1 KB value
 * (with a TTL, so volatile-ttl has keys to choose from; the TTL is long enough never to expire
 * during the run). Requests (GETs and SETs) total 10M per server and policy.
 *
 * Printed for both: hit rate, evicted keys, peak RSS (VmHWM), idle RSS, ops/s. Targets (issue 5): hit
 * rate within 2 points of Redis's; peak RSS <= 1.3 x maxmemory + idle RSS.
 *
 * The client is one Node process pinned to core 1: CONNS connections, each keeping DEPTH requests in
 * flight (a pipelined batch of GETs, then the SETs for the misses with the next batch), with a
 * minimal reply scanner. Keys are drawn with the same seed for both servers.
 *
 * Environment: CACHE_REQUESTS (10000000), CACHE_KEYS (2000000), CACHE_MAXMEMORY (256mb),
 * CACHE_POLICIES (allkeys-lru,allkeys-lfu,volatile-ttl), CACHE_CONNS (8), CACHE_DEPTH (32).
 * `--record` appends the report to bench/RESULTS.md.
 */

import net from 'node:net';
import { fmt, machine, publish, rss, runMain, startServer } from './lib.mjs';

const env = process.env;
const REQUESTS = Number(env.CACHE_REQUESTS ?? 10_000_000);
const KEYS = Number(env.CACHE_KEYS ?? 2_000_000);
const MAXMEMORY = env.CACHE_MAXMEMORY ?? '256mb';
const POLICIES = (env.CACHE_POLICIES ?? 'allkeys-lru,allkeys-lfu,volatile-ttl').split(',');
const CONNS = Number(env.CACHE_CONNS ?? 8);
const DEPTH = Number(env.CACHE_DEPTH ?? 32);
const VALUE_SIZE = 1024;
const TTL = 86400;

function mulberry32(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = t;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(0.99) over [0, n): the cumulative table, sampled by binary search. */
function zipfSampler(n, rnd) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, 0.99);
    cdf[i] = sum;
  }
  return () => {
    const u = rnd() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    // scatter ranks over the key space so hot keys are not neighbours
    return Math.imul(lo, 2654435761) >>> 0;
  };
}

/**
 * Counts complete replies in a byte stream without building them: `$-1` (miss), `$N` + N bytes
 * (hit), `+OK`, `-ERR...` (errors counted).
 */
class ReplyScanner {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.skip = 0;
  }
  /** Feeds a chunk; calls onReply(kind) for each: 'hit' | 'miss' | 'ok' | 'error'. */
  feed(chunk, onReply) {
    let buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      pos = n;
      if (this.skip > 0) {
        this.buf = Buffer.alloc(0);
        return;
      }
    }
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      const type = buf[pos];
      if (type === 36) {
        if (buf[pos + 1] === 45) {
          onReply('miss');
          pos = nl + 1;
          continue;
        }
        const len = Number(buf.latin1Slice(pos + 1, nl - 1));
        const end = nl + 1 + len + 2;
        onReply('hit');
        if (end > buf.length) {
          this.skip = end - buf.length;
          pos = buf.length;
          break;
        }
        pos = end;
      } else {
        onReply(type === 43 ? 'ok' : 'error');
        pos = nl + 1;
      }
    }
    this.buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos);
  }
}

function bulk(s) {
  return `$${s.length}\r\n${s}\r\n`;
}

/** Runs the workload against one server; returns the client's counts and elapsed time. */
async function workload(port, seed) {
  const rnd = mulberry32(seed);
  const next = zipfSampler(KEYS, rnd);
  const value = 'v'.repeat(VALUE_SIZE);
  const setTail = `${bulk(value)}${bulk('EX')}${bulk(String(TTL))}`;
  const stats = { gets: 0, hits: 0, misses: 0, sets: 0, errors: 0 };
  let issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNS }, () =>
      new Promise((resolve, reject) => {
        const sock = net.connect({ port, host: '127.0.0.1' });
        sock.setNoDelay(true);
        const scanner = new ReplyScanner();
        let inflightKeys = []; // per in-flight request: the key for a GET, null for a SET
        let replies = 0;
        let toSet = [];
        const send = () => {
          if (issued >= REQUESTS) {
            sock.end();
            resolve();
            return;
          }
          let out = '';
          const keys = [];
          for (const key of toSet) {
            if (issued >= REQUESTS) break;
            out += `*5\r\n$3\r\nSET\r\n${bulk(key)}${setTail}`;
            keys.push(null);
            issued++;
            stats.sets++;
          }
          toSet = [];
          while (keys.length < DEPTH && issued < REQUESTS) {
            const key = `key:${next()}`;
            out += `*2\r\n$3\r\nGET\r\n${bulk(key)}`;
            keys.push(key);
            issued++;
            stats.gets++;
          }
          inflightKeys = keys;
          replies = 0;
          sock.write(out, 'latin1');
        };
        sock.on('connect', send);
        sock.on('error', reject);
        sock.on('data', (chunk) => {
          scanner.feed(chunk, (kind) => {
            const key = inflightKeys[replies++];
            if (kind === 'hit') stats.hits++;
            else if (kind === 'miss') {
              stats.misses++;
              toSet.push(key);
            } else if (kind === 'error') stats.errors++;
          });
          if (replies === inflightKeys.length) send();
        });
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { ...stats, seconds, opsPerSec: (stats.gets + stats.sets) / seconds };
}

async function infoField(port, section, field) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' }, () => sock.write(`INFO ${section}\r\n`));
    let text = '';
    sock.on('data', (d) => {
      text += d.toString('latin1');
      const m = new RegExp(`${field}:(\\d+)`).exec(text);
      if (m) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
  });
}

async function one(kind, policy) {
  const srv = await startServer(kind, ['--maxmemory', MAXMEMORY, '--maxmemory-policy', policy]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const idle = rss(srv.pid);
    const w = await workload(srv.port, 12345);
    const evicted = await infoField(srv.port, 'stats', 'evicted_keys');
    const peak = rss(srv.pid, 'VmHWM');
    process.stderr.write(`${kind} ${policy}: hit ${(100 * w.hits / w.gets).toFixed(2)}% ${fmt(w.opsPerSec)} ops/s\n`);
    return { ...w, evicted, idle, peak };
  } finally {
    await srv.stop();
  }
}

function parseMemory(s) {
  const m = /^(\d+)(kb|mb|gb)?$/i.exec(s);
  const unit = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

async function main() {
  const lines = [];
  lines.push(`## Cache under pressure, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(`Machine: ${machine()}.`);
  lines.push(
    `maxmemory ${MAXMEMORY}; ${fmt(REQUESTS)} requests per run (GET, and SET with EX on a miss), Zipf(0.99) over ${fmt(KEYS)} keys, ${VALUE_SIZE}-byte values, ${CONNS} connections x ${DEPTH} in flight. Target: hit rate within 2 points of Redis; peak RSS <= 1.3 x maxmemory + idle RSS.`,
  );
  lines.push('');
  lines.push('| policy | server | hit rate | evicted keys | ops/s | idle RSS MiB | peak RSS MiB | peak / (1.3 x maxmemory + idle) |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const max = parseMemory(MAXMEMORY);
  for (const policy of POLICIES) {
    for (const kind of ['tredis', 'redis']) {
      const r = await one(kind, policy);
      const bound = 1.3 * max + r.idle;
      lines.push(
        `| ${policy} | ${kind} | ${(100 * r.hits / r.gets).toFixed(2)}% | ${fmt(r.evicted)} | ${fmt(r.opsPerSec)} | ${fmt(r.idle / 2 ** 20, 1)} | ${fmt(r.peak / 2 ** 20, 1)} | ${fmt(r.peak / bound, 2)}${r.errors ? ` (${fmt(r.errors)} errors)` : ''} |`,
      );
    }
  }
  lines.push('');
  publish(lines);
}

runMain(main);
