/*
 * repl-diskless-load on a tredis replica. disabled (the default): the payload goes to
 * temp-<unixtime>.<pid>.rdb in dir, is renamed over dump.rdb and loaded from there, so the replica's
 * dump.rdb is the leader's snapshot (removed again with rdb-del-sync-files and no persistence), and
 * the old dataset stays until the whole payload is in. on-empty-db: loaded from memory when the
 * replica is empty. swapdb: from memory, the old dataset kept when the payload does not parse.
 * Broken transfers come from a fake leader that speaks the handshake and sends what the test wants.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer as startServerIn } from './helpers/server';
import { until } from './helpers/setup';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tredis-replload-'));
  dirs.push(d);
  return d;
}

function startTestServer(directives: Record<string, string> = {}): Promise<RunningServer> {
  return startServerIn({ dir: tempDir(), 'enable-debug-command': 'yes', ...directives });
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function synced(leader: Redis, replica: Redis): Promise<void> {
  await until('the replica to sync', async () => {
    const lo = Number(infoField(await leader.info('replication'), 'master_repl_offset'));
    const info = await replica.info('replication');
    return infoField(info, 'master_link_status') === 'up' && Number(infoField(info, 'slave_repl_offset')) >= lo;
  });
  expect(await replica.call('DEBUG', 'DIGEST')).toBe(await leader.call('DEBUG', 'DIGEST'));
}

async function fill(r: Redis, n: number, prefix = 'k'): Promise<void> {
  const p = r.pipeline();
  for (let i = 0; i < n; i++) p.set(`${prefix}${i}`, `v${i}`);
  p.rpush('list', 'a', 'b');
  p.hset('hash', 'f', 'v');
  await p.exec();
}

async function dirOf(r: Redis): Promise<string> {
  const reply = (await r.config('GET', 'dir')) as string[];
  return reply[1]!;
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('temp-'));
}

/**
 * A leader that answers the handshake and then sends `payload` after +FULLRESYNC (and closes the
 * link after closeAfterMs). Returns its port and a way to stop it.
 */
async function fakeLeader(payload: Buffer, closeAfterMs: number): Promise<{ port: number; close: () => void; syncs: () => number }> {
  let syncs = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      // the replica sends one command at a time and waits: one array per read is enough here
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (m === null) return;
        let pos = m[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(m[1]); i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(pos));
          if (h === null) return;
          const len = Number(h[1]);
          if (buf.length < pos + h[0].length + len + 2) return;
          args.push(buf.slice(pos + h[0].length, pos + h[0].length + len));
          pos += h[0].length + len + 2;
        }
        buf = buf.slice(pos);
        const cmd = args[0]!.toUpperCase();
        if (cmd === 'PING') sock.write('+PONG\r\n');
        else if (cmd === 'REPLCONF') {
          if (args[1]?.toUpperCase() !== 'ACK') sock.write('+OK\r\n');
        } else if (cmd === 'PSYNC') {
          syncs++;
          sock.write(`+FULLRESYNC ${'f'.repeat(40)} 0\r\n`);
          sock.write(payload);
          setTimeout(() => sock.destroy(), closeAfterMs);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    syncs: () => syncs,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('repl-diskless-load', () => {
  it('disabled: the received snapshot becomes dump.rdb (sized and EOF-marked payloads), no temp file left', async () => {
    for (const diskless of ['no', 'yes']) {
      const a = await startTestServer({ 'repl-diskless-sync': diskless, 'repl-diskless-sync-delay': '0' });
      const b = await startTestServer();
      const ra = new Redis(a.port, '127.0.0.1');
      const rb = new Redis(b.port, '127.0.0.1');
      try {
        await fill(ra, 500);
        await rb.set('old', 'data');
        const dir = await dirOf(rb);
        await rb.replicaof('127.0.0.1', a.port);
        await synced(ra, rb);
        expect(await rb.exists('old')).toBe(0);
        expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
        expect(tempFiles(dir)).toEqual([]);
        // the file is the leader's snapshot: a server started on it has the same dataset
        const c = await startServerIn({ dir, 'enable-debug-command': 'yes' });
        const rc = new Redis(c.port, '127.0.0.1');
        try {
          expect(await rc.call('DEBUG', 'DIGEST')).toBe(await ra.call('DEBUG', 'DIGEST'));
          expect(await rc.dbsize()).toBe(502);
        } finally {
          rc.disconnect();
          await c.close();
        }
      } finally {
        ra.disconnect();
        rb.disconnect();
        await b.close();
        await a.close();
      }
    }
  });

  it('disabled with rdb-del-sync-files yes and no persistence: the synced file is removed after loading', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0' });
    const b = await startTestServer({ 'rdb-del-sync-files': 'yes' });
    const ra = new Redis(a.port, '127.0.0.1');
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await fill(ra, 100);
      const dir = await dirOf(rb);
      await rb.replicaof('127.0.0.1', a.port);
      await synced(ra, rb);
      expect(readdirSync(dir).filter((f) => f.endsWith('.rdb'))).toEqual([]);
    } finally {
      ra.disconnect();
      rb.disconnect();
      await b.close();
      await a.close();
    }
  });

  it('on-empty-db: an empty replica loads from memory (no dump.rdb), a non-empty one through dump.rdb', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0' });
    try {
      const ra = new Redis(a.port, '127.0.0.1');
      await fill(ra, 100);
      for (const empty of [true, false]) {
        const b = await startTestServer({ 'repl-diskless-load': 'on-empty-db' });
        const rb = new Redis(b.port, '127.0.0.1');
        try {
          if (!empty) await rb.set('old', 'data');
          const dir = await dirOf(rb);
          await rb.replicaof('127.0.0.1', a.port);
          await synced(ra, rb);
          expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(!empty);
        } finally {
          rb.disconnect();
          await b.close();
        }
      }
      ra.disconnect();
    } finally {
      await a.close();
    }
  });

  it('swapdb: a payload that does not parse leaves the old dataset; a good one replaces it', async () => {
    // a valid header, then garbage where the first opcode should be
    const bad = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0x42, 0x42, 0x42, 0x42])]);
    const leader = await fakeLeader(Buffer.concat([Buffer.from(`$${bad.length}\r\n`, 'latin1'), bad]), 50);
    const b = await startTestServer({ 'repl-diskless-load': 'swapdb' });
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await fill(rb, 50, 'old');
      await rb.call('FUNCTION', 'LOAD', "#!lua name=keep\nredis.register_function('keepme', function() return 7 end)");
      const digest = await rb.call('DEBUG', 'DIGEST');
      const dir = await dirOf(rb);
      await rb.replicaof('127.0.0.1', leader.port);
      await until('the replica to try a sync', async () => leader.syncs() >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(await rb.call('DEBUG', 'DIGEST')).toBe(digest);
      // the libraries come back with the old dataset, as Redis keeps them
      expect(await rb.call('FCALL', 'keepme', '0')).toBe(7);
      expect(await rb.dbsize()).toBe(52);
      expect(readdirSync(dir)).toEqual([]);
      // and from a real leader the new dataset replaces the old
      leader.close();
      const a = await startTestServer({ 'repl-diskless-sync-delay': '0' });
      const ra = new Redis(a.port, '127.0.0.1');
      try {
        await fill(ra, 20, 'new');
        await rb.replicaof('127.0.0.1', a.port);
        await synced(ra, rb);
        expect(await rb.exists('old0')).toBe(0);
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        ra.disconnect();
        await a.close();
      }
    } finally {
      leader.close();
      rb.disconnect();
      await b.close();
    }
  });

  it('disabled: a transfer cut short keeps the old dataset and the old dump.rdb, and removes the temp file', async () => {
    const leader = await fakeLeader(Buffer.from('$1000000\r\nREDIS0010' + 'x'.repeat(5000), 'latin1'), 600);
    const b = await startTestServer();
    const rb = new Redis(b.port, '127.0.0.1');
    try {
      await fill(rb, 50, 'old');
      await rb.save();
      const dir = await dirOf(rb);
      const before = readFileSync(path.join(dir, 'dump.rdb'));
      const digest = await rb.call('DEBUG', 'DIGEST');
      await rb.replicaof('127.0.0.1', leader.port);
      await until('the replica to try a sync', async () => leader.syncs() >= 1);
      // mid-transfer: INFO shows the progress, the temp file exists, the old data is served
      await until('the transfer to be under way', async () => infoField(await rb.info('replication'), 'master_sync_read_bytes') === '5009');
      const info = await rb.info('replication');
      expect(infoField(info, 'master_sync_total_bytes')).toBe('1000000');
      expect(tempFiles(dir).length).toBe(1);
      expect(tempFiles(dir)[0]).toMatch(/^temp-\d+\.\d+\.rdb$/);
      expect(await rb.call('DEBUG', 'DIGEST')).toBe(digest);
      await until('the link to drop', async () => infoField(await rb.info('replication'), 'master_sync_in_progress') === '0');
      expect(await rb.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(tempFiles(dir)).toEqual([]);
      expect(readFileSync(path.join(dir, 'dump.rdb')).equals(before)).toBe(true);
    } finally {
      leader.close();
      rb.disconnect();
      await b.close();
    }
  });

  it.skipIf(!oracleAvailable)('a real Redis replica keeps the same dump.rdb behaviour (disabled): its file loads in tredis with the same dataset', async () => {
    const a = await startTestServer({ 'repl-diskless-sync-delay': '0' });
    const dir = tempDir();
    const o = await startOracle(['--enable-debug-command', 'yes', '--dir', dir]);
    const ra = new Redis(a.port, '127.0.0.1');
    const ro = new Redis(o.port, '127.0.0.1');
    try {
      await fill(ra, 200);
      await ro.replicaof('127.0.0.1', a.port);
      await synced(ra, ro);
      expect(existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    } finally {
      ra.disconnect();
      ro.disconnect();
      await o.close();
      await a.close();
    }
  });
});
