/*
 * Seeded randomized differential run of the list commands against Redis: the same sequence on both
 * servers, every reply compared byte for byte (RESP2 and RESP3), then the keyspace events each
 * server published and the number of changes each counted (rdb_changes_since_last_save). The seed
 * is in the test name; TREDIS_SEED=<seed> replays a failure.
 */

import { describe, expect, it } from 'vitest';
import { oracleAvailable } from './helpers/oracle';
import { RawSession, encodeCommand } from './helpers/raw';
import { seededRandom, testSeed, useDifferential } from './helpers/setup';

const KEYS = ['a', 'b', 'c', 's'];
const VALS = ['x', 'y', 'z', '1', '22', '-7', '007', '', 'long'.repeat(12), 'bin\x00\xff\r\n', '9223372036854775808'];

function randomCommands(seed: number, n: number): string[][] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const idx = (): string => pick([String(Math.floor(rnd() * 14) - 7), String(Math.floor(rnd() * 40) - 20), '0', '-1', '9999999999', '-9223372036854775808']);
  const where = (): string => pick(['LEFT', 'RIGHT', 'left', 'right']);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = pick(KEYS);
    const ops: (() => string[])[] = [
      () => ['LPUSH', k, pick(VALS), pick(VALS), pick(VALS)],
      () => ['RPUSH', k, pick(VALS)],
      () => ['RPUSH', k, ...Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => pick(VALS))],
      () => ['LPUSHX', k, pick(VALS)],
      () => ['RPUSHX', k, pick(VALS), pick(VALS)],
      () => ['LPOP', k],
      () => ['RPOP', k],
      () => [pick(['LPOP', 'RPOP']), k, pick(['0', '1', '2', '5', '100'])],
      () => ['LLEN', k],
      () => ['LRANGE', k, idx(), idx()],
      () => ['LRANGE', k, '0', '-1'],
      () => ['LINDEX', k, idx()],
      () => ['LSET', k, idx(), pick(VALS)],
      () => ['LINSERT', k, pick(['BEFORE', 'AFTER', 'before']), pick(VALS), pick(VALS)],
      () => ['LREM', k, pick(['0', '1', '2', '-1', '-2', '5']), pick(VALS)],
      () => ['LTRIM', k, idx(), idx()],
      () => ['LPOS', k, pick(VALS)],
      () => ['LPOS', k, pick(VALS), 'RANK', pick(['1', '-1', '2', '-3', '-9223372036854775808']), 'COUNT', pick(['0', '1', '3'])],
      () => ['LPOS', k, pick(VALS), 'MAXLEN', pick(['0', '1', '3']), 'RANK', pick(['1', '-1', '2'])],
      () => ['LMOVE', k, pick(KEYS), where(), where()],
      () => ['RPOPLPUSH', k, pick(KEYS)],
      () => ['LMPOP', '2', k, pick(KEYS), where(), 'COUNT', String(1 + Math.floor(rnd() * 4))],
      () => ['LMPOP', '1', k, where()],
      // blocking forms with a short timeout: they answer at once whenever a source has elements
      // (one slot for all five: a timeout costs up to 100 ms in Redis, whose timer runs at hz)
      () =>
        pick([
          ['BLPOP', k, pick(KEYS), '0.001'],
          ['BRPOP', k, '0.001'],
          ['BLMOVE', k, pick(KEYS), where(), where(), '0.001'],
          ['BRPOPLPUSH', k, pick(KEYS), '0.001'],
          ['BLMPOP', '0.001', '2', k, pick(KEYS), where(), 'COUNT', '2'],
        ]),
      () => ['DEBUG', 'DIGEST-VALUE', k],
      () => ['OBJECT', 'ENCODING', k],
      () => ['TYPE', k],
      () => ['EXISTS', k],
      () => ['COPY', k, pick(KEYS), 'REPLACE'],
      () => ['SET', 's', pick(VALS)],
      () => ['DEL', pick(KEYS)],
    ];
    out.push(pick(ops)());
  }
  return out;
}

function changes(info: string): number {
  const m = /rdb_changes_since_last_save:(\d+)/.exec(info);
  return m === null ? -1 : Number(m[1]);
}

/** Reads every message a subscriber received until it stays quiet. */
async function drain(sub: RawSession): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    try {
      out.push(await sub.readReply(150));
    } catch {
      return out;
    }
  }
}

describe.skipIf(!oracleAvailable)('list commands vs Redis: seeded random runs', () => {
  const d = useDifferential({ 'enable-debug-command': 'yes' });

  for (const resp of [2, 3]) {
    const seed = testSeed();
    it(`agrees on 2500 random commands, events and change counts, RESP${resp} (seed ${seed}; TREDIS_SEED replays)`, async () => {
      const { ours, theirs } = d.pair;
      if (resp === 3) {
        await ours.call('HELLO', '3');
        await theirs.call('HELLO', '3');
      }
      await ours.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      await theirs.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      const subs = [await RawSession.connect(d.srv.port), await RawSession.connect(d.oracle.port)];
      try {
        for (const sub of subs) await sub.call('PSUBSCRIBE', '__key*__:*');
        const before = [changes(await ours.call('INFO', 'persistence')), changes(await theirs.call('INFO', 'persistence'))];
        const commands = randomCommands(seed, 2500);
        for (let i = 0; i < commands.length; i++) {
          const cmd = commands[i]!;
          const [a, b] = await Promise.all([ours.call(...cmd), theirs.call(...cmd)]);
          expect(a, `seed ${seed}, command #${i}: ${JSON.stringify(cmd)}`).toBe(b);
        }
        const after = [changes(await ours.call('INFO', 'persistence')), changes(await theirs.call('INFO', 'persistence'))];
        expect(after[0]! - before[0]!, `seed ${seed}: changes counted`).toBe(after[1]! - before[1]!);
        for (const k of KEYS) {
          const cmd = ['DEBUG', 'DIGEST-VALUE', k];
          expect(await ours.call(...cmd)).toBe(await theirs.call(...cmd));
        }
        const [evOurs, evTheirs] = await Promise.all(subs.map(drain));
        expect(evOurs.length, `seed ${seed}: number of keyspace events`).toBeGreaterThan(100);
        for (let i = 0; i < Math.max(evOurs.length, evTheirs.length); i++) {
          expect(evOurs[i], `seed ${seed}: event #${i}`).toBe(evTheirs[i]);
        }
      } finally {
        for (const sub of subs) sub.close();
        await ours.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        await theirs.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        if (resp === 3) {
          await ours.call('HELLO', '2');
          await theirs.call('HELLO', '2');
        }
      }
    }, 120000);
  }

  it('long lists: pipelined pushes, then ranges, inserts, removals and trims in the middle', async () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    const batch: string[][] = [];
    for (let i = 0; i < 200; i++) {
      const vals = Array.from({ length: 50 }, (_, j) => String((i * 50 + j) % 97));
      batch.push([i % 2 === 0 ? 'RPUSH' : 'LPUSH', 'big', ...vals]);
    }
    for (let i = 0; i < 300; i++) {
      const v = String(Math.floor(rnd() * 97));
      const op = Math.floor(rnd() * 8);
      if (op === 0) batch.push(['LINSERT', 'big', rnd() < 0.5 ? 'BEFORE' : 'AFTER', v, 'ins' + i]);
      else if (op === 1) batch.push(['LREM', 'big', String(Math.floor(rnd() * 7) - 3), v]);
      else if (op === 2) batch.push(['LSET', 'big', String(Math.floor(rnd() * 20000) - 10000), 'set' + i]);
      else if (op === 3) batch.push(['LINDEX', 'big', String(Math.floor(rnd() * 20000) - 10000)]);
      else if (op === 4) batch.push(['LPOS', 'big', v, 'RANK', String(Math.floor(rnd() * 5) + 1), 'COUNT', '3']);
      else if (op === 5) batch.push(['LRANGE', 'big', String(Math.floor(rnd() * 9000)), String(Math.floor(rnd() * 200) + 9000)]);
      else if (op === 6) batch.push(['LTRIM', 'big', String(Math.floor(rnd() * 3)), String(-1 - Math.floor(rnd() * 3))]);
      else batch.push(['LLEN', 'big']);
    }
    batch.push(['DEBUG', 'DIGEST-VALUE', 'big']);
    batch.push(['LRANGE', 'big', '0', '-1']);
    const run = async (s: RawSession): Promise<string[]> => {
      s.write(Buffer.concat(batch.map((c) => encodeCommand(c))));
      const out: string[] = [];
      for (let i = 0; i < batch.length; i++) out.push(await s.readReply());
      return out;
    };
    const [a, b] = await Promise.all([run(d.pair.ours), run(d.pair.theirs)]);
    for (let i = 0; i < batch.length; i++) expect(a[i], `seed ${seed}: ${JSON.stringify(batch[i]).slice(0, 100)}`).toBe(b[i]);
  }, 60000);
});
