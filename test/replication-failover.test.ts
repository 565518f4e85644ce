/*
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: argument errors compared with real Redis;
 * a tredis leader handing over to a tredis replica and to a real Redis replica (which must take our
 * PSYNC ... FAILOVER and promote itself), every write made before present after, roles swapped,
 * and writes on the old leader (also those paused while it waited) answered -READONLY. Waiting,
 * TIMEOUT, ABORT and FORCE are driven with a fake replica that never acknowledges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { RawSession } from './helpers/raw';
import { startTestServer as startServerIn } from './helpers/server';
import { until } from './helpers/setup';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startTestServer(directives: Record<string, string> = {}): Promise<RunningServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tredis-failover-'));
  dirs.push(dir);
  return startServerIn({ dir, 'enable-debug-command': 'yes', 'repl-diskless-sync-delay': '0', ...directives });
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function failoverState(r: Redis): Promise<string | undefined> {
  return infoField(await r.info('replication'), 'master_failover_state');
}

async function linkUp(r: Redis): Promise<void> {
  await until('the replica link to be up', async () => infoField(await r.info('replication'), 'master_link_status') === 'up');
}

/** A replica that syncs and then never acknowledges anything (a FAILOVER can never pick it). */
async function silentReplica(leaderPort: number, announcedPort: number): Promise<RawSession> {
  const s = await RawSession.connect(leaderPort);
  expect(await s.call('REPLCONF', 'listening-port', String(announcedPort))).toBe('+OK\r\n');
  expect(await s.call('REPLCONF', 'capa', 'psync2')).toBe('+OK\r\n');
  s.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
  return s;
}

/** A write issued now that stays unanswered while writes are paused. */
function pendingSet(r: Redis, key: string): Promise<string> {
  return r.set(key, 'during').then(
    (ok) => String(ok),
    (err: Error) => err.message,
  );
}

describe.skipIf(!oracleAvailable)('FAILOVER errors as Redis 7.0', () => {
  it('argument errors and the checks before starting', async () => {
    const ours = await startTestServer();
    const theirs = await startOracle();
    const a = await RawSession.connect(ours.port);
    const b = await RawSession.connect(theirs.port);
    try {
      const cases = [
        [],
        ['abort'],
        ['ABORT'],
        ['to'],
        ['to', '127.0.0.1'],
        ['to', '127.0.0.1', 'x'],
        ['to', '127.0.0.1', '1'],
        ['timeout', '0'],
        ['timeout', '-1'],
        ['timeout', 'x'],
        ['timeout', '99999999999999999999'],
        ['timeout', '100'],
        ['force'],
        ['force', 'timeout', '10'],
        ['to', '127.0.0.1', '1', 'force'],
        ['to', '127.0.0.1', '1', 'timeout', '10', 'force'],
        ['foo'],
        ['abort', 'timeout', '10'],
        ['to', '127.0.0.1', '1', 'abort'],
        ['timeout', '1', 'timeout', '2'],
        ['force', 'force'],
        ['to', 'a', '1', 'to', 'b', '2'],
      ];
      for (const args of cases) {
        expect(await a.call('FAILOVER', ...args), `FAILOVER ${args.join(' ')}`).toBe(await b.call('FAILOVER', ...args));
      }
      expect(await a.call('PSYNC', 'x', '1', 'FAILOVER')).toBe(await b.call('PSYNC', 'x', '1', 'FAILOVER'));
      expect(await a.call('COMMAND', 'INFO', 'FAILOVER')).toBe(await b.call('COMMAND', 'INFO', 'FAILOVER'));
    } finally {
      a.close();
      b.close();
      await theirs.close();
      await ours.close();
    }
  });

  it('on a replica: not valid; PSYNC FAILOVER with another id is refused', async () => {
    const leader = await startTestServer();
    const ours = await startTestServer();
    const theirs = await startOracle();
    const ro = new Redis(ours.port, '127.0.0.1');
    const rt = new Redis(theirs.port, '127.0.0.1');
    try {
      await ro.replicaof('127.0.0.1', leader.port);
      await rt.replicaof('127.0.0.1', leader.port);
      await linkUp(ro);
      await linkUp(rt);
      const a = await RawSession.connect(ours.port);
      const b = await RawSession.connect(theirs.port);
      for (const args of [[], ['to', '127.0.0.1', '1'], ['abort'], ['timeout', '0']]) {
        expect(await a.call('FAILOVER', ...args)).toBe(await b.call('FAILOVER', ...args));
      }
      expect(await a.call('PSYNC', 'x'.repeat(40), '1', 'FAILOVER')).toBe(await b.call('PSYNC', 'x'.repeat(40), '1', 'FAILOVER'));
      a.close();
      b.close();
    } finally {
      ro.disconnect();
      rt.disconnect();
      await theirs.close();
      await ours.close();
      await leader.close();
    }
  });
});

describe('FAILOVER between tredis servers', () => {
  it('hands over to the replica: roles swapped, every write kept, the old leader answers -READONLY', async () => {
    const a = await startTestServer();
    const b = await startTestServer();
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    const late = new Redis(a.port, '127.0.0.1');
    try {
      await rb.replicaof('127.0.0.1', a.port);
      await linkUp(rb);
      const p = ra.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`k${i}`, `v${i}`);
      p.rpush('list', 'a', 'b', 'c');
      await p.exec();
      expect(await ra.call('FAILOVER', 'TO', '127.0.0.1', String(b.port))).toBe('OK');
      // a write sent meanwhile waits, and is then refused by what the server has become
      const during = pendingSet(late, 'during');
      await until('the failover to end', async () => (await failoverState(ra)) === 'no-failover');
      expect(await during).toContain("READONLY You can't write against a read only replica.");
      expect(await rb.role()).toEqual(['master', expect.any(Number), expect.any(Array)]);
      const roleA = (await ra.role()) as unknown[];
      expect(roleA.slice(0, 3)).toEqual(['slave', '127.0.0.1', b.port]);
      await expect(ra.set('x', 'y')).rejects.toThrow("READONLY You can't write against a read only replica.");
      expect(await rb.dbsize()).toBe(1001);
      expect(await rb.get('k999')).toBe('v999');
      expect(await rb.exists('during')).toBe(0);
      // the new leader's writes reach the old one, continuing the same history (no full sync)
      await rb.set('after', 'failover');
      await until('the write to reach the old leader', async () => (await ra.get('after')) === 'failover');
      expect(await ra.call('DEBUG', 'DIGEST')).toBe(await rb.call('DEBUG', 'DIGEST'));
      const ib = await rb.info('stats');
      expect(infoField(ib, 'sync_partial_ok')).toBe('1');
      expect(infoField(ib, 'sync_full')).toBe('0');
      expect(await failoverState(rb)).toBe('no-failover');
    } finally {
      ra.disconnect();
      rb.disconnect();
      late.disconnect();
      await b.close();
      await a.close();
    }
  });

  it('without TO: the first replica that has everything; INFO shows waiting-for-sync meanwhile', async () => {
    const a = await startTestServer();
    const b = await startTestServer();
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await rb.replicaof('127.0.0.1', a.port);
      await linkUp(rb);
      // in one batch: the replica cannot have acknowledged the write when FAILOVER starts
      const res = await ra.pipeline().set('before', '1').call('FAILOVER').info('replication').exec();
      expect(res!.map(([err]) => err)).toEqual([null, null, null]);
      expect(res![1]![1]).toBe('OK');
      expect(infoField(res![2]![1] as string, 'master_failover_state')).toBe('waiting-for-sync');
      await until('the failover to end', async () => (await failoverState(ra)) === 'no-failover');
      expect((await rb.role())[0]).toBe('master');
      expect((await ra.role())[0]).toBe('slave');
      expect(await rb.get('before')).toBe('1');
    } finally {
      ra.disconnect();
      rb.disconnect();
      await b.close();
      await a.close();
    }
  });

  it('TIMEOUT without FORCE aborts, ABORT aborts, writes paused meanwhile then run; FORCE demotes anyway and a refused PSYNC puts the leader back', async () => {
    const a = await startTestServer();
    const other = await startTestServer();
    const ra = new Redis(a.port, '127.0.0.1');
    const late = new Redis(a.port, '127.0.0.1');
    // a replica that claims to listen on `other`'s port and never acknowledges
    const fake = await silentReplica(a.port, other.port);
    try {
      await until('the fake replica to be online', async () => /state=online/.test(await ra.info('replication')));
      await ra.set('k', 'v');
      const started = Date.now();
      expect(await ra.call('FAILOVER', 'TIMEOUT', '300')).toBe('OK');
      await expect(ra.call('FAILOVER')).rejects.toThrow('ERR FAILOVER already in progress.');
      await until('the timeout to abort it', async () => (await failoverState(ra)) === 'no-failover');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect((await ra.role())[0]).toBe('master');
      const during = pendingSet(late, 'p1');
      expect(await ra.call('FAILOVER', 'TIMEOUT', '60000')).toBe('OK');
      await expect(ra.call('FAILOVER')).rejects.toThrow('ERR FAILOVER already in progress.');
      const paused = pendingSet(late, 'p2');
      await new Promise((r) => setTimeout(r, 200));
      expect(await ra.exists('p2')).toBe(0);
      expect(await failoverState(ra)).toBe('waiting-for-sync');
      // CLIENT PAUSE / UNPAUSE meanwhile is a pause of its own: UNPAUSE does not release the failover's
      expect(await ra.call('CLIENT', 'PAUSE', '100000', 'WRITE')).toBe('OK');
      expect(await ra.call('CLIENT', 'UNPAUSE')).toBe('OK');
      await new Promise((r) => setTimeout(r, 100));
      expect(await ra.exists('p2')).toBe(0);
      expect(await ra.call('FAILOVER', 'ABORT')).toBe('OK');
      expect(await paused).toBe('OK');
      expect(await during).toBe('OK');
      expect(await failoverState(ra)).toBe('no-failover');
      await expect(ra.call('FAILOVER', 'ABORT')).rejects.toThrow('ERR No failover in progress.');
      // FORCE: after the timeout the leader follows the target all the same; `other` is a leader
      // and refuses PSYNC FAILOVER, so the failover is aborted and we lead again
      const idBefore = infoField(await ra.info('replication'), 'master_replid');
      expect(await ra.call('FAILOVER', 'TO', '127.0.0.1', String(other.port), 'TIMEOUT', '200', 'FORCE')).toBe('OK');
      await until('the forced failover to be refused', async () => (await failoverState(ra)) === 'no-failover' && (await ra.role())[0] === 'master', 5000);
      const info = await ra.info('replication');
      // back in charge with a new id, the old one kept as replid2
      expect(infoField(info, 'master_replid2')).toBe(idBefore);
      expect(await ra.set('after', 'abort')).toBe('OK');
    } finally {
      fake.close();
      ra.disconnect();
      late.disconnect();
      await other.close();
      await a.close();
    }
  });
});

describe.skipIf(!oracleAvailable)('FAILOVER to a real Redis replica', () => {
  it('real Redis takes our PSYNC FAILOVER and promotes itself; tredis follows it', async () => {
    const a = await startTestServer();
    const o = await startOracle(['--enable-debug-command', 'yes']);
    const ra = new Redis(a.port, '127.0.0.1');
    const ro = new Redis(o.port, '127.0.0.1');
    try {
      await ro.replicaof('127.0.0.1', a.port);
      await linkUp(ro);
      const p = ra.pipeline();
      for (let i = 0; i < 500; i++) p.set(`k${i}`, `v${i}`);
      p.hset('h', 'f', 'v');
      p.zadd('z', 1, 'm');
      await p.exec();
      expect(await ra.call('FAILOVER', 'TO', '127.0.0.1', String(o.port), 'TIMEOUT', '5000')).toBe('OK');
      await until('the failover to end', async () => (await failoverState(ra)) === 'no-failover');
      expect((await ro.role())[0]).toBe('master');
      expect(((await ra.role()) as unknown[]).slice(0, 3)).toEqual(['slave', '127.0.0.1', o.port]);
      await expect(ra.set('x', 'y')).rejects.toThrow('READONLY');
      expect(await ro.dbsize()).toBe(502);
      await linkUp(ra);
      await ro.set('after', 'failover');
      await until('the write to reach tredis', async () => (await ra.get('after')) === 'failover');
      expect(await ra.call('DEBUG', 'DIGEST')).toBe(await ro.call('DEBUG', 'DIGEST'));
      // continued, not resent
      expect(infoField(await ro.info('stats'), 'sync_partial_ok')).toBe('1');
    } finally {
      ra.disconnect();
      ro.disconnect();
      await o.close();
      await a.close();
    }
  });

  it('a real Redis leader hands over to a tredis replica', async () => {
    const o = await startOracle(['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0']);
    const b = await startTestServer();
    const ro = new Redis(o.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await rb.replicaof('127.0.0.1', o.port);
      await linkUp(rb);
      // Redis marks a diskless replica online only once it reaps the sync's child (serverCron)
      await until('Redis to see the replica online', async () => (await ro.info('replication')).includes('state=online'));
      for (let i = 0; i < 100; i++) await ro.set(`k${i}`, `v${i}`);
      expect(await ro.call('FAILOVER', 'TO', '127.0.0.1', String(b.port), 'TIMEOUT', '5000')).toBe('OK');
      await until('the failover to end', async () => (await failoverState(ro)) === 'no-failover');
      expect((await rb.role())[0]).toBe('master');
      expect((await ro.role())[0]).toBe('slave');
      expect(await rb.dbsize()).toBe(100);
      await rb.set('after', 'failover');
      await until('the write to reach Redis', async () => (await ro.get('after')) === 'failover');
      expect(await ro.call('DEBUG', 'DIGEST')).toBe(await rb.call('DEBUG', 'DIGEST'));
    } finally {
      ro.disconnect();
      rb.disconnect();
      await b.close();
      await o.close();
    }
  });
});
