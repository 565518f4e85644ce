/*
 * Seeded random stream workload against the oracle: XADD (explicit ids, trimming options, ids that
 * must fail), XDEL, XTRIM, XRANGE/XREVRANGE, XREAD, consumer groups (XGROUP, XREADGROUP, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM), XSETID and XINFO, in RESP2 and RESP3, with small node limits so
 * node boundaries, approximate trimming and radix-tree counts are exercised. Replies must match
 * byte for byte once clock-dependent integers (delivery/seen times, idle times) are masked.
 * TREDIS_SEED=<n> replays a run.
 */
import { describe, expect, it } from 'vitest';
import type { Pair } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { seededRandom, testSeed, useDifferential } from './helpers/setup';

function maskTimes(reply: string): string {
  return reply
    .replace(/:\d{13}\r\n/g, ':T\r\n')
    .replace(/(\$4\r\nidle\r\n):\d+\r\n/g, '$1:I\r\n')
    .replace(/(\*4\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, '$1:I\r\n');
}

function workload(rand: () => number, n: number): string[][] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const int = (k: number): number => Math.floor(rand() * k);
  const keys = ['s1', 's2', 's3'];
  const groups = ['g1', 'g2'];
  const consumers = ['c1', 'c2', 'c3'];
  const top = new Map<string, number>();
  const id = (key: string): string => {
    const t = top.get(key) ?? 0;
    return `${Math.max(1, t - 3 + int(6))}-${int(3)}`;
  };
  const cmds: string[][] = [];
  for (let i = 0; i < n; i++) {
    const key = pick(keys);
    const r = rand();
    if (r < 0.3) {
      const t = (top.get(key) ?? 0) + 1 + int(3);
      top.set(key, t);
      const explicit = rand() < 0.15 ? id(key) : rand() < 0.2 ? `${t}-*` : `${t}-${int(3)}`;
      const opts: string[] = [];
      const o = rand();
      if (o < 0.1) opts.push('maxlen', pick(['~', '=', '']), String(int(30)));
      else if (o < 0.15) opts.push('minid', pick(['~', '=']), `${Math.max(0, t - 20 + int(10))}`);
      else if (o < 0.18) opts.push('maxlen', '~', String(int(20)), 'limit', String(int(12)));
      else if (o < 0.2) opts.push('nomkstream');
      const fields = rand() < 0.7 ? ['f', String(int(1000))] : ['f', `v${int(50)}`, `x${int(3)}`, String(int(5))];
      cmds.push(['xadd', key, ...opts.filter((x) => x !== ''), explicit, ...fields]);
    } else if (r < 0.36) {
      cmds.push(['xdel', key, id(key), id(key)]);
    } else if (r < 0.4) {
      cmds.push(rand() < 0.5 ? ['xtrim', key, 'maxlen', pick(['~', '=']), String(int(25))] : ['xtrim', key, 'minid', pick(['~', '=']), id(key)]);
    } else if (r < 0.46) {
      const a = id(key);
      const b = id(key);
      const count = rand() < 0.5 ? ['count', String(int(6))] : [];
      cmds.push(rand() < 0.5 ? ['xrange', key, pick(['-', a, `(${a}`]), pick(['+', b]), ...count] : ['xrevrange', key, pick(['+', b]), pick(['-', a]), ...count]);
    } else if (r < 0.5) {
      cmds.push(['xread', 'count', String(1 + int(4)), 'streams', key, pick(keys), id(key), pick(['0', '$', id(key)])]);
    } else if (r < 0.56) {
      const g = pick(groups);
      const sub = rand();
      if (sub < 0.4) cmds.push(['xgroup', 'create', key, g, pick(['$', '0', id(key)]), ...(rand() < 0.3 ? ['mkstream'] : []), ...(rand() < 0.2 ? ['entriesread', String(int(5))] : [])]);
      else if (sub < 0.6) cmds.push(['xgroup', 'setid', key, g, pick(['$', '0', id(key)])]);
      else if (sub < 0.7) cmds.push(['xgroup', 'destroy', key, g]);
      else if (sub < 0.85) cmds.push(['xgroup', 'createconsumer', key, g, pick(consumers)]);
      else cmds.push(['xgroup', 'delconsumer', key, g, pick(consumers)]);
    } else if (r < 0.7) {
      const hist = rand() < 0.25;
      cmds.push(['xreadgroup', 'group', pick(groups), pick(consumers), 'count', String(1 + int(4)), ...(rand() < 0.15 ? ['noack'] : []), 'streams', key, hist ? pick(['0', id(key)]) : '>']);
    } else if (r < 0.77) {
      cmds.push(['xack', key, pick(groups), id(key), id(key), id(key)]);
    } else if (r < 0.82) {
      cmds.push(rand() < 0.4 ? ['xpending', key, pick(groups)] : ['xpending', key, pick(groups), '-', '+', String(int(10)), ...(rand() < 0.4 ? [pick(consumers)] : [])]);
    } else if (r < 0.87) {
      const opts = rand() < 0.3 ? ['justid'] : rand() < 0.3 ? ['force'] : rand() < 0.2 ? ['retrycount', String(int(5))] : [];
      cmds.push(['xclaim', key, pick(groups), pick(consumers), '0', id(key), id(key), ...opts]);
    } else if (r < 0.9) {
      cmds.push(['xautoclaim', key, pick(groups), pick(consumers), '0', pick(['0', id(key)]), 'count', String(1 + int(5)), ...(rand() < 0.3 ? ['justid'] : [])]);
    } else if (r < 0.93) {
      cmds.push(rand() < 0.5 ? ['xinfo', 'stream', key] : ['xinfo', 'stream', key, 'full', 'count', String(int(4))]);
    } else if (r < 0.96) {
      cmds.push(['xinfo', 'groups', key]);
    } else if (r < 0.98) {
      cmds.push(['xlen', key]);
    } else {
      const t = top.get(key) ?? 0;
      cmds.push(['xsetid', key, `${t + int(3)}-${int(3)}`, ...(rand() < 0.3 ? ['entriesadded', String(int(200))] : [])]);
    }
  }
  for (const key of keys) cmds.push(['xinfo', 'stream', key, 'full', 'count', '0'], ['debug', 'digest-value', key]);
  return cmds;
}

async function run(pair: Pair, cmds: string[][]): Promise<void> {
  for (const cmd of cmds) {
    const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
    expect(maskTimes(a), `reply to ${JSON.stringify(cmd)}`).toBe(maskTimes(b));
  }
}

describe.skipIf(!oracleAvailable)('random stream workload vs Redis', () => {
  const d = useDifferential({ 'stream-node-max-entries': '5', 'stream-node-max-bytes': '256' });
  const seed = testSeed();

  it(`RESP2 (seed ${seed})`, async () => {
    await run(d.pair, workload(seededRandom(seed), 1500));
  });

  it(`RESP3 (seed ${seed + 1})`, async () => {
    await Promise.all([d.pair.ours.call('hello', '3'), d.pair.theirs.call('hello', '3')]);
    try {
      await run(d.pair, workload(seededRandom(seed + 1), 1500));
    } finally {
      await Promise.all([d.pair.ours.call('hello', '2'), d.pair.theirs.call('hello', '2')]);
    }
  });
});
