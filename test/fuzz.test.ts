/*
 * Seeded protocol fuzzing: ~2,000 inputs mixing random bytes with valid commands whose bytes are
 * mutated (flips, truncation, duplication, absurd lengths), sent over several connections in
 * parallel with a hard time cap. The assertion is survival: afterwards the server answers PING on
 * a fresh connection and a key written before the fuzz still reads back. The same inputs go to the
 * oracle as a sanity check that the harness itself is reasonable. TREDIS_FUZZ_SEED replays a run.
 */

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawSession } from './helpers/raw';
import { startOracle, oracleAvailable, type Oracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

type Srv = Awaited<ReturnType<typeof startTestServer>>;

const SEED = process.env.TREDIS_FUZZ_SEED ? Number(process.env.TREDIS_FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;

/** mulberry32: tiny, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeInputs(seed: number, count: number): Buffer[] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]!;
  const key = (): string => `fz:${int(20)}`;
  const cmds: (() => string[])[] = [
    () => ['SET', key(), String(int(1000))],
    () => ['GET', key()],
    () => ['INCR', key()],
    () => ['INCRBY', key(), String(int(1e6) - 5e5)],
    () => ['APPEND', key(), 'x'.repeat(int(50))],
    () => ['EXPIRE', key(), String(int(100))],
    () => ['DEL', key(), key()],
    () => ['MSET', key(), 'a', key(), 'b'],
    () => ['MGET', key(), key(), key()],
    () => ['GETRANGE', key(), String(int(10) - 5), String(int(10) - 5)],
    () => ['SETRANGE', key(), String(int(100)), 'zz'],
    () => ['STRLEN', key()],
    () => ['PING'],
    () => ['ECHO', 'hi'],
    () => ['TTL', key()],
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = int(10);
    if (kind === 0) {
      const b = Buffer.alloc(1 + int(64));
      for (let j = 0; j < b.length; j++) b[j] = int(256);
      out.push(b);
      continue;
    }
    if (kind === 1) {
      out.push(Buffer.from(pick(['$999999999999\r\n', '*999999999999\r\n', '*3\r\n$999999999999\r\n', '*-5\r\n', '*1\r\n$-1\r\n', '*2\r\n$3\r\nGET\r\n$99999\r\nab\r\n'])));
      continue;
    }
    if (kind === 2) {
      out.push(Buffer.from(pick(cmds)().join(' ') + pick(['\r\n', '\n', ' "\r\n', " 'x\r\n"]), 'latin1'));
      continue;
    }
    const b = Buffer.from(encodeCommand(pick(cmds)()));
    if (kind <= 5) {
      out.push(b);
      continue;
    }
    const m = int(4);
    if (m === 0) {
      const c = Buffer.from(b);
      for (let f = 0; f < 1 + int(3); f++) c[int(c.length)] ^= 1 << int(8);
      out.push(c);
    } else if (m === 1) out.push(b.subarray(0, int(b.length)));
    else if (m === 2) {
      const at = int(b.length);
      out.push(Buffer.concat([b.subarray(0, at), b.subarray(int(b.length)), b.subarray(at)]));
    } else out.push(Buffer.from(b.toString('latin1').replace(/\$\d+/, '$' + pick(['999999999999', '-3', '0', 'abc', '18446744073709551616'])), 'latin1'));
  }
  return out;
}

/** Sends inputs over `conns` parallel connections, reconnecting after the server closes one. */
async function blast(port: number, inputs: Buffer[], conns: number, deadline: number): Promise<number> {
  let sent = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    let sock: net.Socket | null = null;
    while (next < inputs.length && Date.now() < deadline) {
      if (sock === null || sock.destroyed) {
        sock = await new Promise<net.Socket>((resolve) => {
          const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
          s.on('error', () => {});
          s.on('data', () => {});
        });
      }
      if (next >= inputs.length) break;
      const input = inputs[next++]!;
      sock.write(input);
      sent++;
      // let replies and closes flow before the next input
      await new Promise((r) => setTimeout(r, sent % 10 === 0 ? 2 : 0));
    }
    sock?.destroy();
  };
  await Promise.all(Array.from({ length: conns }, worker));
  return sent;
}

async function survives(port: number): Promise<void> {
  const r = await RawSession.connect(port);
  expect(await r.call('PING')).toBe('+PONG\r\n');
  expect(await r.call('GET', 'fuzz:sentinel')).toBe('$5\r\nalive\r\n');
  r.close();
}

describe('protocol fuzz', () => {
  let srv: Srv;
  let oracle: Oracle | null = null;
  const inputs = makeInputs(SEED, 2000);
  beforeAll(async () => {
    srv = await startTestServer();
    if (oracleAvailable) oracle = await startOracle();
  });
  afterAll(async () => {
    await srv.close();
    await oracle?.close();
  });

  it(`survives seeded fuzzing (seed ${SEED}; replay with TREDIS_FUZZ_SEED=${SEED})`, async () => {
    const r = await RawSession.connect(srv.port);
    expect(await r.call('SET', 'fuzz:sentinel', 'alive')).toBe('+OK\r\n');
    r.close();
    const sent = await blast(srv.port, inputs, 6, Date.now() + 10000);
    expect(sent, `seed ${SEED}`).toBeGreaterThan(100);
    await survives(srv.port);
  }, 30000);

  it.skipIf(!oracleAvailable)(`the oracle survives the same inputs (seed ${SEED})`, async () => {
    const r = await RawSession.connect(oracle!.port);
    expect(await r.call('SET', 'fuzz:sentinel', 'alive')).toBe('+OK\r\n');
    r.close();
    await blast(oracle!.port, inputs, 6, Date.now() + 10000);
    await survives(oracle!.port);
  }, 30000);
});
