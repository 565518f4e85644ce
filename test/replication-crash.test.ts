/*
 * kill -9 during a full sync, with tredis-server as real processes (the built dist/). The leader's
 * snapshot reaches the replica through a proxy in this process that forwards the first bytes and
 * then holds the rest, so "mid-transfer" is a fact the test controls, not a timing guess.
 * (a) the replica is killed mid-transfer: restarted without REPLICAOF it loads its own previous
 *     dump.rdb (the payload was going to a temp file, renamed only once complete);
 * (b) the leader is killed mid-transfer: the replica keeps serving its old dataset
 *     (replica-serve-stale-data), and once the leader is back it syncs and ends equal (DEBUG DIGEST).
 */

import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/oracle';
import { ensureBuilt, startServerProcess, tempDirs, type ServerProcess } from './helpers/process';
import { until } from './helpers/setup';

const dirs = tempDirs();

beforeAll(ensureBuilt, 120000);
afterAll(dirs.removeAll);

function tempDir(): string {
  return dirs.make('tredis-replcrash-');
}

function startProcess(dir: string, port: number, extra: string[] = []): Promise<ServerProcess> {
  return startServerProcess(dir, port, ['--save', '', '--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0', ...extra]);
}

/**
 * A TCP proxy to the leader: replica -> leader passes freely; leader -> replica passes until
 * `holdAfter` bytes have gone through, then waits for release(). Each connection gets its own
 * upstream connection, so a restarted leader on the same port is reached again.
 */
async function holdingProxy(targetPort: number, holdAfter: number): Promise<{ port: number; forwarded: () => number; release: () => void; close: () => void }> {
  let forwarded = 0;
  let released = false;
  const held: { down: net.Socket; data: Buffer }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(targetPort, '127.0.0.1');
    for (const s of [up, down]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    up.on('close', () => down.destroy());
    down.on('close', () => up.destroy());
    down.on('data', (d) => up.write(d));
    up.on('data', (d: Buffer) => {
      if (released) {
        down.write(d);
        return;
      }
      const room = Math.max(0, holdAfter - forwarded);
      if (room > 0) {
        down.write(d.subarray(0, room));
        forwarded += Math.min(room, d.length);
      }
      if (d.length > room) held.push({ down, data: d.subarray(room) });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    forwarded: () => forwarded,
    release: () => {
      released = true;
      for (const h of held.splice(0)) if (!h.down.destroyed) h.down.write(h.data);
    },
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('temp-'));
}

/** The leader's dataset: 20k keys of 1 KB (a payload of ~20 MB), saved so a restart brings it back. */
async function bigLeader(dir: string, port: number): Promise<ServerProcess> {
  // uncompressed: DEBUG POPULATE's padded values would shrink to almost nothing
  const p = await startProcess(dir, port, ['--rdbcompression', 'no']);
  const r = new Redis(port, '127.0.0.1');
  await r.call('DEBUG', 'POPULATE', '20000', 'big', '1000');
  await r.save();
  r.disconnect();
  return p;
}

/** A replica-to-be with a dataset of its own, saved to its dump.rdb; returns the digest. */
async function oldData(port: number): Promise<string> {
  const r = new Redis(port, '127.0.0.1');
  const p = r.pipeline();
  for (let i = 0; i < 1000; i++) p.set(`old:${i}`, `value ${i}`);
  p.hset('old:hash', 'a', '1', 'b', '2');
  await p.exec();
  await r.save();
  const digest = (await r.call('DEBUG', 'DIGEST')) as string;
  r.disconnect();
  return digest;
}

describe('kill -9 during a full sync', () => {
  it('(a) the replica killed mid-transfer restarts on its previous dump.rdb', async () => {
    const leaderDir = tempDir();
    const replicaDir = tempDir();
    const leaderPort = await freePort();
    const leader = await bigLeader(leaderDir, leaderPort);
    const proxy = await holdingProxy(leaderPort, 4 << 20);
    const replicaPort = await freePort();
    let replica = await startProcess(replicaDir, replicaPort);
    try {
      const digest = await oldData(replicaPort);
      const saved = readFileSync(path.join(replicaDir, 'dump.rdb'));
      const r = new Redis(replicaPort, '127.0.0.1');
      await r.replicaof('127.0.0.1', proxy.port);
      await until('the transfer to be under way', async () => {
        const info = await r.info('replication');
        return infoField(info, 'master_sync_in_progress') === '1' && Number(infoField(info, 'master_sync_read_bytes')) > 1 << 20;
      });
      // mid-transfer: the payload goes to a temp file, the old dataset is still served
      expect(tempFiles(replicaDir).length).toBe(1);
      expect(await r.call('DEBUG', 'DIGEST')).toBe(digest);
      r.disconnect();
      await replica.kill();
      expect(readFileSync(path.join(replicaDir, 'dump.rdb')).equals(saved)).toBe(true);
      // restarted without REPLICAOF: its own last good state
      replica = await startProcess(replicaDir, replicaPort);
      const r2 = new Redis(replicaPort, '127.0.0.1');
      try {
        expect(await r2.dbsize()).toBe(1001);
        expect(await r2.call('DEBUG', 'DIGEST')).toBe(digest);
        expect(infoField(await r2.info('replication'), 'role')).toBe('master');
      } finally {
        r2.disconnect();
      }
    } finally {
      proxy.close();
      await replica.kill();
      await leader.kill();
    }
  }, 120000);

  it('(b) the leader killed mid-transfer: the replica serves its old data, then syncs with the restarted leader', async () => {
    const leaderDir = tempDir();
    const replicaDir = tempDir();
    const leaderPort = await freePort();
    let leader = await bigLeader(leaderDir, leaderPort);
    const proxy = await holdingProxy(leaderPort, 4 << 20);
    const replicaPort = await freePort();
    const replica = await startProcess(replicaDir, replicaPort);
    const r = new Redis(replicaPort, '127.0.0.1');
    try {
      const digest = await oldData(replicaPort);
      await r.replicaof('127.0.0.1', proxy.port);
      await until('the transfer to be under way', async () => Number(infoField(await r.info('replication'), 'master_sync_read_bytes')) > 1 << 20);
      await leader.kill();
      await until('the replica to notice', async () => infoField(await r.info('replication'), 'master_sync_in_progress') === '0');
      // replica-serve-stale-data yes: the old dataset, whole, still served; the torn temp file gone
      expect(infoField(await r.info('replication'), 'master_link_status')).toBe('down');
      expect(await r.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await r.get('old:7')).toBe('value 7');
      expect(tempFiles(replicaDir)).toEqual([]);
      // the leader comes back with its saved dataset; the replica syncs and ends equal
      proxy.release();
      leader = await startProcess(leaderDir, leaderPort, ['--rdbcompression', 'no']);
      const l = new Redis(leaderPort, '127.0.0.1');
      try {
        await until(
          'the replica to sync with the restarted leader',
          async () => {
            const info = await r.info('replication');
            return infoField(info, 'master_link_status') === 'up' && infoField(info, 'master_sync_in_progress') === '0';
          },
          60000,
        );
        await l.set('after', 'restart');
        await until('the write to arrive', async () => (await r.get('after')) === 'restart');
        expect(await r.dbsize()).toBe(20001);
        expect(await r.call('DEBUG', 'DIGEST')).toBe(await l.call('DEBUG', 'DIGEST'));
      } finally {
        l.disconnect();
      }
    } finally {
      r.disconnect();
      proxy.close();
      await replica.kill();
      await leader.kill();
    }
  }, 120000);
});
