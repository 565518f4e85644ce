/*
 * Failover under real Redis Sentinel (redis-server --sentinel, Redis 7.0): three sentinels watch a
 * tredis leader and two tredis followers, all separate processes. The leader is killed with
 * SIGKILL; the sentinels must promote a follower (REPLICAOF NO ONE), repoint the other at it, and an
 * ioredis client configured with the sentinels must reconnect to the new leader, with every write
 * that was acknowledged by WAIT 1 0 still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, oracleAvailable } from './helpers/oracle';
import { until } from './helpers/setup';

const root = path.resolve(__dirname, '..');

describe.skipIf(!oracleAvailable)('Redis Sentinel failover of tredis', () => {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'tredis-sentinel-'));
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function tredis(port: number, extra: string[] = []): Promise<ChildProcess> {
    const child = spawn(process.execPath, [path.join(root, 'bin/tredis-server'), '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--repl-diskless-sync-delay', '0', ...extra], { stdio: 'ignore' });
    children.push(child);
    await until(`tredis on ${port}`, async () => {
      const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, 10000);
    return child;
  }

  it('promotes a follower when the leader is killed; no write acknowledged with WAIT 1 0 is lost', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const leader = await tredis(p1);
    await tredis(p2, ['--replicaof', '127.0.0.1', String(p1)]);
    await tredis(p3, ['--replicaof', '127.0.0.1', String(p1)]);
    const l = new Redis(p1, '127.0.0.1');
    await until('both followers online', async () => /connected_slaves:2/.test(await l.info('replication')), 10000);
    l.disconnect();

    const sentinels: { host: string; port: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor m 127.0.0.1 ${p1} 2`, 'sentinel down-after-milliseconds m 1000', 'sentinel failover-timeout m 5000', ''].join('\n'),
      );
      children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
      sentinels.push({ host: '127.0.0.1', port });
    }
    const s0 = new Redis({ port: sentinels[0]!.port, host: '127.0.0.1', retryStrategy: () => 50 });
    s0.on('error', () => {});
    await until('the sentinels to know the followers and each other', async () => {
      const m = (await s0.call('SENTINEL', 'MASTER', 'm')) as string[];
      const field = (k: string): string => m[m.indexOf(k) + 1]!;
      return field('num-slaves') === '2' && field('num-other-sentinels') === '2';
    }, 20000);

    const client = new Redis({ sentinels, name: 'm', sentinelRetryStrategy: () => 100, retryStrategy: () => 100 });
    client.on('error', () => {});
    const acked: string[] = [];
    for (let i = 0; i < 50; i++) {
      await client.set(`k${i}`, String(i));
      if ((await client.wait(1, 0)) >= 1) acked.push(`k${i}`);
    }
    expect(acked.length).toBe(50);

    leader.kill('SIGKILL');
    await until('a follower to be promoted', async () => {
      const addr = (await s0.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[];
      return addr[1] !== String(p1);
    }, 30000);
    const [, newPort] = (await s0.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'm')) as string[];
    expect([String(p2), String(p3)]).toContain(newPort);

    // the client follows the sentinels to the new leader and can write there
    await until('the client to write to the new leader', async () => (await client.set('after', '1')) === 'OK', 20000);
    const role = (await client.role()) as unknown[];
    expect(role[0]).toBe('master');
    for (const k of acked) expect(await client.get(k)).not.toBeNull();

    // the other follower follows the new leader
    const other = newPort === String(p2) ? p3 : p2;
    const o = new Redis(other, '127.0.0.1');
    await until('the other follower to follow the new leader', async () => {
      const info = await o.info('replication');
      return info.includes(`master_port:${newPort}`) && info.includes('master_link_status:up');
    }, 20000);
    await until('the write to reach it', async () => (await o.get('after')) === '1', 10000);
    o.disconnect();
    client.disconnect();
    s0.disconnect();
  }, 90000);
});
