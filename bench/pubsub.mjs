/*
 * Pub/sub and transactions, tredis and Redis in the same run (issue 6):
 * - PUBLISH fan-out: N subscribers (1, 100, 1000) on one channel, one publisher pipelining PUBLISH of
 *   a 64-byte message; the figure is messages delivered per second (published x subscribers),
 *   counted from the bytes the subscribers receive.
 * - MULTI/EXEC of 10 SETs: 50 connections, each sending transactions back to back.
 * Both run from this Node process on core 1 (servers on core 0), the same way for both servers.
 * Run by `npm run bench`, or alone: `node bench/pubsub.mjs`.
 */

import net from 'node:net';
import { fmt, machine, median, pinSelf, publish, runMain, startServer } from './lib.mjs';

const MESSAGE = 'm'.repeat(64);

function command(...args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' }, () => resolve(sock));
    sock.setNoDelay(true);
    sock.on('error', reject);
  });
}

/** Counts the bytes of replies arriving on sock until `target` bytes have come. */
function countBytes(sock, target) {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d) => {
      got += d.length;
      if (got >= target) {
        sock.off('data', onData);
        resolve();
      }
    };
    sock.on('data', onData);
  });
}

export async function fanout(port, subscribers, messages) {
  const subs = [];
  for (let i = 0; i < subscribers; i++) {
    const s = await connect(port);
    const ready = new Promise((r) => s.once('data', r));
    s.write(command('SUBSCRIBE', 'bench'));
    await ready;
    subs.push(s);
  }
  const frame = `*3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$${MESSAGE.length}\r\n${MESSAGE}\r\n`.length;
  const pub = await connect(port);
  const start = process.hrtime.bigint();
  const delivered = Promise.all(subs.map((s) => countBytes(s, frame * messages)));
  const BATCH = 100;
  const one = command('PUBLISH', 'bench', MESSAGE);
  for (let sent = 0; sent < messages; sent += BATCH) {
    const n = Math.min(BATCH, messages - sent);
    const replies = new Promise((resolve) => {
      let lines = 0;
      const onData = (d) => {
        for (const b of d) if (b === 10) lines++;
        if (lines >= n) {
          pub.off('data', onData);
          resolve();
        }
      };
      pub.on('data', onData);
    });
    pub.write(one.repeat(n));
    await replies;
  }
  await delivered;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  pub.destroy();
  for (const s of subs) s.destroy();
  return (messages * subscribers) / seconds;
}

export async function multiExec(port, transactions) {
  const CONNS = 50;
  const per = Math.ceil(transactions / CONNS);
  let tx = '';
  tx += command('MULTI');
  for (let i = 0; i < 10; i++) tx += command('SET', `k${i}`, 'value');
  tx += command('EXEC');
  // replies per transaction: +OK, 10 x +QUEUED, then *10 and 10 x +OK = 22 lines
  const LINES = 22;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      const s = await connect(port);
      for (let done = 0; done < per; done += 10) {
        const n = Math.min(10, per - done);
        const replies = new Promise((resolve) => {
          let lines = 0;
          const onData = (d) => {
            for (const b of d) if (b === 10) lines++;
            if (lines >= n * LINES) {
              s.off('data', onData);
              resolve();
            }
          };
          s.on('data', onData);
        });
        s.write(tx.repeat(n));
        await replies;
      }
      s.destroy();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (per * CONNS) / seconds;
}

async function once(kind) {
  const out = {};
  const srv = await startServer(kind);
  try {
    for (const n of [1, 100, 1000]) out[`publish to ${n}`] = await fanout(srv.port, n, n === 1000 ? 2000 : n === 100 ? 20000 : 200000);
    out['MULTI/EXEC of 10 SETs'] = await multiExec(srv.port, 100000);
  } finally {
    await srv.stop();
  }
  return out;
}

/**
 * Runs the checks on both servers in alternating pairs (the box's speed drifts between runs);
 * returns markdown lines with medians and the median of the per-pair ratios.
 */
export async function pubsubAndMulti(fmt, pairs = Number(process.env.BENCH_PAIRS ?? 3)) {
  const runs = { tredis: [], redis: [] };
  pinSelf(1);
  for (let i = 0; i < pairs; i++) {
    for (const kind of i % 2 === 0 ? ['tredis', 'redis'] : ['redis', 'tredis']) runs[kind].push(await once(kind));
  }
  const lines = [
    `Pub/sub fan-out (messages delivered per second, 64-byte messages) and MULTI/EXEC of 10 SETs (transactions per second, 50 connections); ${pairs} alternating pairs, medians, ratio = median of per-pair ratios:`,
    '',
    '| test | tredis | redis | ratio |',
    '|---|---|---|---|',
  ];
  for (const test of Object.keys(runs.tredis[0])) {
    const ours = median(runs.tredis.map((r) => r[test]));
    const theirs = median(runs.redis.map((r) => r[test]));
    const ratio = median(runs.tredis.map((r, i) => r[test] / runs.redis[i][test]));
    lines.push(`| ${test} | ${fmt(ours)} | ${fmt(theirs)} | **${fmt(ratio, 2)}** |`);
  }
  return lines;
}

// run alone, the report gets its own heading (inside `npm run bench` it is part of that run's)
if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(async () => {
    const heading = [`## Pub/sub and MULTI/EXEC, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Machine: ${machine()}.`, ''];
    publish([...heading, ...(await pubsubAndMulti(fmt))]);
  });
}
