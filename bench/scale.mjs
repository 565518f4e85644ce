/*
 * Scale check for sorted sets (issue 3): the time per ZRANK and per ZRANGEBYSCORE (a 10-member
 * window) at 10k members and at 1M members, for tredis and Redis. With a skip list both grow
 * logarithmically (1M/10k about 1.5x); a linear structure would grow 100x.
 *
 * Calls go through one connection in pipelined batches, so the figure is server time plus a share
 * of the round trip, the same for both servers.
 */

import net from 'node:net';
import { startServer } from './lib.mjs';

const CALLS = Number(process.env.BENCH_SCALE_CALLS ?? 100000);
const BATCH = 1000;

function command(...args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

/** Sends `count` commands made by make(i) in pipelined batches; resolves with the elapsed ms. */
async function pipelined(sock, count, make) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += BATCH) {
    let out = '';
    const n = Math.min(BATCH, count - i);
    for (let j = 0; j < n; j++) out += make(i + j);
    await roundTrip(sock, out, n);
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Writes a batch and waits for `replies` complete replies (counted loosely but safely: see below). */
function roundTrip(sock, out, replies) {
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    let got = 0;
    const onData = (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let pos = 0;
      // replies here are integers, simple strings, or arrays of bulk strings
      while (pos < pending.length) {
        const end = skipReply(pending, pos);
        if (end === -1) break;
        pos = end;
        got++;
      }
      pending = pending.subarray(pos);
      if (got >= replies) {
        sock.off('data', onData);
        resolve();
      }
    };
    sock.on('data', onData);
    sock.write(out);
  });
}

/** The offset after the reply starting at pos, or -1 when it is not complete yet. */
function skipReply(buf, pos) {
  const nl = buf.indexOf('\r\n', pos);
  if (nl === -1) return -1;
  const type = buf[pos];
  const n = Number(buf.latin1Slice(pos + 1, nl));
  if (type === 36 /* $ */) {
    if (n < 0) return nl + 2;
    return nl + 2 + n + 2 <= buf.length ? nl + 2 + n + 2 : -1;
  }
  if (type === 42 /* * */) {
    let p = nl + 2;
    for (let i = 0; i < n; i++) {
      p = skipReply(buf, p);
      if (p === -1) return -1;
    }
    return p;
  }
  return nl + 2;
}

async function measure(port, members) {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise((r) => sock.once('connect', r));
  const key = `z${members}`;
  await pipelined(sock, members, (i) => command('ZADD', key, String(i * 2), `m${i}`));
  let seed = 1;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const rank = await pipelined(sock, CALLS, () => command('ZRANK', key, `m${Math.floor(rnd() * members)}`));
  const range = await pipelined(sock, CALLS, () => {
    const lo = Math.floor(rnd() * members) * 2;
    return command('ZRANGEBYSCORE', key, String(lo), String(lo + 20), 'LIMIT', '0', '10');
  });
  sock.destroy();
  return { rankUs: (rank * 1000) / CALLS, rangeUs: (range * 1000) / CALLS };
}

/** Runs the check on both servers; returns markdown lines. */
export async function zsetScale(fmt) {
  const rows = [];
  for (const kind of ['tredis', 'redis']) {
    const srv = await startServer(kind);
    try {
      const small = await measure(srv.port, 10_000);
      const large = await measure(srv.port, 1_000_000);
      rows.push({ kind, small, large });
    } finally {
      await srv.stop();
    }
  }
  const lines = [
    `Sorted-set scale check, ${fmt(CALLS)} pipelined calls each, µs per call at 10k / 1M members (growth 1M÷10k):`,
    '',
    '| server | ZRANK | ZRANGEBYSCORE (10 members) |',
    '|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.kind} | ${fmt(r.small.rankUs, 2)} / ${fmt(r.large.rankUs, 2)} (${fmt(r.large.rankUs / r.small.rankUs, 2)}x) | ${fmt(r.small.rangeUs, 2)} / ${fmt(r.large.rangeUs, 2)} (${fmt(r.large.rangeUs / r.small.rangeUs, 2)}x) |`,
    );
  }
  return lines;
}
