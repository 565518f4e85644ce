/*
 * BGSAVE as a forkless point-in-time snapshot: the file holds exactly the keyspace as of the
 * BGSAVE, however hard clients write meanwhile (overwrites, in-place changes of every type,
 * deletes, expiries, RENAME, MOVE, FLUSHDB, SWAPDB, new keys); it passes redis-check-rdb and loads
 * in real Redis. Also BGSAVE's replies and bookkeeping (INFO persistence, LASTSAVE), the `save` rules
 * run by the cron, and stop-writes-on-bgsave-error (-MISCONF).
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';
import { rdbLoadBuffer, startSnapshot } from '../src/commands/persistence';
import { seededRandom, testSeed } from './helpers/setup';

const checkRdbAvailable = spawnSync('redis-check-rdb', ['--version']).error === undefined;

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tredis-bgsave-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function info(r: Redis, field: string): Promise<string> {
  const text = await r.info('persistence');
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text);
  return m === null ? '' : m[1]!.trim();
}

async function waitBgsave(r: Redis, timeoutMs = 60000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await info(r, 'rdb_bgsave_in_progress')) !== '0') {
    if (Date.now() > until) throw new Error('BGSAVE did not finish');
    await sleep(20);
  }
}

const N = 100_000;

/** Key i's type and creation command. */
function create(i: number): string[] {
  const k = `k:${i}`;
  switch (i % 8) {
    case 0:
      return ['HSET', k, 'a', String(i), 'b', 'x'.repeat(i % 50)];
    case 1:
      return ['RPUSH', k, 'a', String(i), 'c'];
    case 2:
      return ['ZADD', k, '1', 'a', String(i), 'b'];
    case 3:
      return ['SADD', k, 'a', String(i)];
    case 4:
      return ['XADD', k, `${i + 1}-1`, 'f', String(i)];
    default:
      return ['SET', k, i % 3 === 0 ? String(i) : `value:${i}:${'y'.repeat(i % 40)}`];
  }
}

/** A write that changes key i in place or replaces it, by type. */
function mutate(i: number, rnd: () => number): string[] {
  const k = `k:${i}`;
  const r = rnd();
  if (r < 0.08) return ['DEL', k];
  if (r < 0.12) return ['EXPIRE', k, '100000'];
  if (r < 0.14) return ['PERSIST', k];
  if (r < 0.17) return ['RENAME', k, `renamed:${i}`];
  if (r < 0.19) return ['MOVE', k, '5'];
  if (r < 0.22) return ['SET', k, 'overwritten'];
  switch (i % 8) {
    case 0:
      return ['HSET', k, 'a', 'changed', `new${i}`, 'v'];
    case 1:
      return r < 0.6 ? ['LPUSH', k, 'pushed'] : ['LPOP', k];
    case 2:
      return ['ZINCRBY', k, '5', 'a'];
    case 3:
      return r < 0.6 ? ['SADD', k, 'added'] : ['SPOP', k];
    case 4:
      return ['XADD', k, '*', 'g', 'h'];
    default:
      return r < 0.5 ? ['APPEND', k, '+'] : ['INCR', `counter:${i}`];
  }
}

describe('BGSAVE: a forkless point-in-time snapshot', () => {
  it(`the file holds exactly the keyspace of the BGSAVE start under heavy writes (${N} keys)`, async () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    const dir = tempDir();
    const srv = await startTestServer({ dir, 'enable-debug-command': 'yes', save: '' });
    const r = new Redis({ port: srv.port, host: '127.0.0.1', enableAutoPipelining: false });
    const w = new Redis({ port: srv.port, host: '127.0.0.1' });
    try {
      for (let base = 0; base < N; base += 10000) {
        const p = r.pipeline();
        for (let i = base; i < base + 10000; i++) {
          p.call(...(create(i) as [string, ...string[]]));
          if (i % 10 === 0) p.pexpire(`k:${i}`, 10_000_000 + i);
        }
        await p.exec();
      }
      // other databases: one to be flushed, two to be swapped
      for (const db of [1, 2, 3]) {
        const p = r.pipeline();
        p.select(db);
        for (let i = 0; i < 2000; i++) p.set(`db${db}:${i}`, `v${db}-${i}`);
        p.select(0);
        await p.exec();
      }
      // record every key's digest and expiry at the start
      const recorded = new Map<string, [string, number]>();
      for (const db of [0, 1, 2, 3]) {
        const keys = (await r.call('SELECT', String(db)), (await r.keys('*')) as string[]);
        for (let i = 0; i < keys.length; i += 5000) {
          const p = r.pipeline();
          for (const k of keys.slice(i, i + 5000)) {
            p.call('DEBUG', 'DIGEST-VALUE', k);
            p.pexpiretime(k);
          }
          const res = (await p.exec())!;
          keys.slice(i, i + 5000).forEach((k, j) => recorded.set(`${db}/${k}`, [String(res[2 * j]![1]), Number(res[2 * j + 1]![1])]));
        }
      }
      await r.call('SELECT', '0');
      expect(recorded.size).toBe(N + 6000);
      expect(await r.bgsave()).toBe('Background saving started');
      await expect(r.bgsave()).rejects.toThrow('ERR Background save already in progress');
      await expect(r.save()).rejects.toThrow('ERR Background save already in progress');
      expect(await info(r, 'rdb_bgsave_in_progress')).toBe('1');
      // hammer the keyspace until the snapshot is done
      let writes = 0;
      let rounds = 0;
      const special = [['SELECT', '1'], ['FLUSHDB'], ['SELECT', '0'], ['SWAPDB', '2', '3']];
      while ((await info(r, 'rdb_bgsave_in_progress')) === '1') {
        const p = w.pipeline();
        if (rounds < special.length) p.call(...(special[rounds] as [string, ...string[]]));
        for (let j = 0; j < 2000; j++) {
          const i = Math.floor(rnd() * N);
          p.call(...(mutate(i, rnd) as [string, ...string[]]));
          if (j % 50 === 0) p.set(`new:${rounds}:${j}`, 'created after the start');
        }
        await p.exec();
        writes += 2000;
        rounds++;
      }
      expect(rounds, 'the snapshot ran across several write batches').toBeGreaterThan(3);
      expect(await info(r, 'rdb_last_bgsave_status')).toBe('ok');
      expect(await info(r, 'rdb_saves')).toBe('1');
      expect(Number(await info(r, 'rdb_last_cow_size'))).toBeGreaterThan(0);
      expect(writes).toBeGreaterThan(0);

      const file = path.join(dir, 'dump.rdb');
      if (checkRdbAvailable) {
        const check = spawnSync('redis-check-rdb', [file], { encoding: 'latin1' });
        expect(check.stdout, check.stdout).toContain('RDB looks OK');
      }
      // a fresh server with that file holds the recorded keyspace, nothing more
      const fresh = await startTestServer({ dir, 'enable-debug-command': 'yes', save: '' });
      const f = new Redis({ port: fresh.port, host: '127.0.0.1' });
      try {
        let seen = 0;
        const bad: string[] = [];
        for (const db of [0, 1, 2, 3]) {
          await f.call('SELECT', String(db));
          const keys = (await f.keys('*')) as string[];
          seen += keys.length;
          for (let i = 0; i < keys.length; i += 5000) {
            const p = f.pipeline();
            for (const k of keys.slice(i, i + 5000)) {
              p.call('DEBUG', 'DIGEST-VALUE', k);
              p.pexpiretime(k);
            }
            const res = (await p.exec())!;
            keys.slice(i, i + 5000).forEach((k, j) => {
              const want = recorded.get(`${db}/${k}`);
              const got: [string, number] = [String(res[2 * j]![1]), Number(res[2 * j + 1]![1])];
              if (want === undefined || want[0] !== got[0] || want[1] !== got[1]) bad.push(`${db}/${k}: ${JSON.stringify(want)} != ${JSON.stringify(got)}`);
            });
          }
        }
        expect(bad.slice(0, 10), `seed ${seed}`).toEqual([]);
        expect(seen).toBe(recorded.size);
        // MOVEd keys landed in db 5 after the start: no other database holds anything
        for (let db = 4; db < 16; db++) {
          await f.call('SELECT', String(db));
          expect(await f.dbsize(), `db ${db}`).toBe(0);
        }
      } finally {
        f.disconnect();
        await fresh.close();
      }
      if (oracleAvailable) {
        // real Redis loads it too, with the same digests
        const oracle = await startOracle(['--dir', dir, '--enable-debug-command', 'yes']);
        const o = new Redis({ port: oracle.port, host: '127.0.0.1' });
        try {
          expect(await o.dbsize()).toBe(N);
          const sample = ['k:0', 'k:1', 'k:2', 'k:3', 'k:4', 'k:5', 'k:12345', 'k:99999'];
          for (const k of sample) {
            const want = recorded.get(`0/${k}`);
            expect(String(await o.call('DEBUG', 'DIGEST-VALUE', k))).toBe(want![0]);
          }
        } finally {
          o.disconnect();
          await oracle.close();
        }
      }
      // the file is whole: no temp file left behind
      expect(readFileSync(file).subarray(0, 9).toString()).toBe('REDIS0010');
    } finally {
      r.disconnect();
      w.disconnect();
      await srv.close();
    }
  }, 120000);

  it('startSnapshot streams the same image to any sink (what a replication full sync would send)', async () => {
    const srv = await startTestServer({ save: '', 'enable-debug-command': 'yes' });
    const other = await startTestServer({ save: '', 'enable-debug-command': 'yes' });
    const r = new Redis({ port: srv.port, host: '127.0.0.1' });
    const o = new Redis({ port: other.port, host: '127.0.0.1' });
    try {
      await r.call('DEBUG', 'POPULATE', '50000');
      await r.hset('h', 'f', 'v');
      await r.xadd('s', '1-1', 'a', 'b');
      const digest = await r.call('DEBUG', 'DIGEST');
      const chunks: Buffer[] = [];
      const done = new Promise<Error | null>((resolve) => {
        const snap = startSnapshot(srv.state, (c) => chunks.push(Buffer.from(c)), (err) => resolve(err));
        expect(snap).not.toBeNull();
        // one snapshot at a time
        expect(startSnapshot(srv.state, () => {}, () => {})).toBeNull();
      });
      await r.set('after', 'not in the image');
      await r.del('h');
      expect(await done).toBeNull();
      rdbLoadBuffer(other.state, Buffer.concat(chunks));
      expect(await o.call('DEBUG', 'DIGEST')).toBe(digest);
    } finally {
      r.disconnect();
      o.disconnect();
      await srv.close();
      await other.close();
    }
  });

  it('BGSAVE replies, INFO persistence and LASTSAVE', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '' });
    const r = new Redis({ port: srv.port, host: '127.0.0.1' });
    try {
      await r.set('a', '1');
      await r.set('b', '2');
      srv.state.lastSave = 0;
      expect(await info(r, 'rdb_changes_since_last_save')).toBe('2');
      expect(await r.call('BGSAVE', 'SCHEDULE')).toBe('Background saving started');
      await waitBgsave(r);
      expect(await info(r, 'rdb_changes_since_last_save')).toBe('0');
      expect(await info(r, 'rdb_last_bgsave_time_sec')).toBe('0');
      expect(await info(r, 'rdb_current_bgsave_time_sec')).toBe('-1');
      expect(Number(await r.lastsave())).toBeGreaterThan(0);
      await expect(r.call('BGSAVE', 'NOW')).rejects.toThrow('ERR syntax error');
      // inside EXEC it is scheduled and run by the cron
      const res = await r.multi().bgsave().exec();
      expect(res![0]![1]).toBe('Background saving scheduled');
      const until = Date.now() + 5000;
      while ((await info(r, 'rdb_saves')) !== '2' && Date.now() < until) await sleep(20);
      expect(await info(r, 'rdb_saves')).toBe('2');
    } finally {
      r.disconnect();
      await srv.close();
    }
  });

  it('save rules trigger BGSAVE from the cron; save "" turns them off', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '' });
    const r = new Redis({ port: srv.port, host: '127.0.0.1' });
    try {
      await r.set('a', '1');
      srv.state.lastSave -= 10;
      await sleep(300);
      expect(await info(r, 'rdb_saves')).toBe('0');
      await r.config('SET', 'save', '3600 1000 1 1');
      expect(await r.config('GET', 'save')).toEqual(['save', '3600 1000 1 1']);
      const until = Date.now() + 5000;
      while ((await info(r, 'rdb_saves')) !== '1' && Date.now() < until) await sleep(20);
      expect(await info(r, 'rdb_saves')).toBe('1');
      await waitBgsave(r);
      expect(await info(r, 'rdb_changes_since_last_save')).toBe('0');
    } finally {
      r.disconnect();
      await srv.close();
    }
  });

  it.skipIf(!oracleAvailable)('FLUSHALL abandons a BGSAVE and, with save rules, saves the empty dataset, as Redis', async () => {
    const results: string[][] = [];
    for (const kind of ['tredis', 'redis'] as const) {
      const dir = tempDir();
      const srv = kind === 'tredis' ? await startTestServer({ dir, save: '', 'enable-debug-command': 'yes' }) : null;
      // rdb-key-save-delay keeps Redis's child saving until FLUSHALL kills it: a child that finished
      // first would make Redis subtract its start-of-save dirty count (rdb_changes_since_last_save -4)
      const oracle = kind === 'redis' ? await startOracle(['--dir', dir, '--enable-debug-command', 'yes', '--rdb-key-save-delay', '100']) : null;
      const r = new Redis({ port: srv?.port ?? oracle!.port, host: '127.0.0.1' });
      const out: string[] = [];
      try {
        await r.set('a', '1');
        await r.set('b', '1');
        await r.flushall();
        out.push(await info(r, 'rdb_changes_since_last_save'), await info(r, 'rdb_saves'));
        await r.config('SET', 'save', '3600 1');
        await r.call('DEBUG', 'POPULATE', '200000');
        expect(await r.bgsave()).toBe('Background saving started');
        await r.flushall();
        // Redis clears rdb_bgsave_in_progress only when its cron reaps the killed child (100 ms at
        // hz 10): read it after that, or the comparison depends on timing
        await new Promise((res) => setTimeout(res, 300));
        out.push(await info(r, 'rdb_bgsave_in_progress'), await info(r, 'rdb_changes_since_last_save'), await info(r, 'rdb_saves'));
        // the dump now holds the empty dataset
        const file = readFileSync(path.join(dir, 'dump.rdb'));
        out.push(String(file.length < 200));
        await r.flushdb();
        out.push(await info(r, 'rdb_changes_since_last_save'));
        await r.config('SET', 'save', '');
      } finally {
        r.disconnect();
        if (srv !== null) await srv.close();
        if (oracle !== null) await oracle.close();
      }
      results.push(out);
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('a failed BGSAVE with save rules set refuses writes and PING with -MISCONF, until a save succeeds', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '3600 1' });
    const r = new Redis({ port: srv.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      await r.set('a', '1');
      // the temp file's name taken by a directory: opening it fails
      const blocker = path.join(dir, `temp-${process.pid}.rdb`);
      mkdirSync(blocker);
      expect(await r.bgsave()).toBe('Background saving started');
      await waitBgsave(r);
      expect(await info(r, 'rdb_last_bgsave_status')).toBe('err');
      const misconf = /^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails \(stop-writes-on-bgsave-error option\)\. Please check the Redis logs for details about the RDB error\.$/;
      await expect(r.set('b', '2')).rejects.toThrow(misconf);
      await expect(r.ping()).rejects.toThrow(misconf);
      expect(await r.get('a')).toBe('1');
      await r.config('SET', 'stop-writes-on-bgsave-error', 'no');
      expect(await r.set('b', '2')).toBe('OK');
      await r.config('SET', 'stop-writes-on-bgsave-error', 'yes');
      await expect(r.set('b', '2')).rejects.toThrow(misconf);
      rmSync(blocker, { recursive: true });
      expect(await r.bgsave()).toBe('Background saving started');
      await waitBgsave(r);
      expect(await info(r, 'rdb_last_bgsave_status')).toBe('ok');
      expect(await r.set('c', '3')).toBe('OK');
      expect(await r.ping()).toBe('PONG');
    } finally {
      r.disconnect();
      await srv.close();
    }
  });
});
