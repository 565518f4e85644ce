/*
 * Per-file test fixtures, so suites do not repeat the same beforeAll/afterAll blocks:
 * - useServer(): a tredis server and an ioredis client for the enclosing describe (or file), the
 *   keyspace emptied before each test;
 * - useDifferential(): a tredis server and the oracle with a raw connection pair to each (for
 *   expectSame), both emptied before each test. Call it inside `describe.skipIf(!oracleAvailable)`.
 * - seeded randomness: testSeed(name) (TREDIS_SEED replays a run) and seededRandom(seed).
 * The returned objects are filled in by beforeAll, so read their fields inside tests only.
 */

import Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { RunningServer } from '../../src/server';
import { closePair, connectPair, type Pair } from './diff';
import { startOracle, type Oracle } from './oracle';
import { startTestServer } from './server';

export interface ServerFixture {
  srv: RunningServer;
  r: Redis;
}

export function useServer(directives: Record<string, string> = {}): ServerFixture {
  const f = {} as ServerFixture;
  beforeAll(async () => {
    f.srv = await startTestServer(directives);
    f.r = new Redis({ port: f.srv.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    f.r.disconnect();
    await f.srv.close();
  });
  beforeEach(() => {
    for (const db of f.srv.state.dbs) db.clear();
  });
  return f;
}

export interface DifferentialFixture {
  srv: RunningServer;
  oracle: Oracle;
  pair: Pair;
}

export function useDifferential(directives: Record<string, string> = {}, oracleArgs: string[] = []): DifferentialFixture {
  const f = {} as DifferentialFixture;
  beforeAll(async () => {
    f.srv = await startTestServer(directives);
    const extra = Object.entries(directives).flatMap(([k, v]) => [`--${k}`, v]);
    f.oracle = await startOracle([...extra, ...oracleArgs]);
    f.pair = await connectPair(f.srv.port, f.oracle.port);
  });
  afterAll(async () => {
    closePair(f.pair);
    await f.oracle.close();
    await f.srv.close();
  });
  beforeEach(async () => {
    for (const db of f.srv.state.dbs) db.clear();
    await f.pair.theirs.call('FLUSHALL');
  });
  return f;
}

/** The seed for a randomized run: TREDIS_SEED when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const env = process.env.TREDIS_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
}

/** A small fast PRNG (mulberry32): the same seed gives the same sequence, floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = t;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Waits until check() resolves true (a rejection counts as not yet), polling every 25 ms; throws
 * after ms milliseconds naming what it waited for.
 */
export async function until(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
