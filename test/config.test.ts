/*
 * CONFIG GET/SET/RESETSTAT/REWRITE against Redis: glob patterns and aliases, validation errors word
 * for word, all-or-nothing multi-pair SET, and REWRITE of a file with comments (the rewritten files
 * compared with the ones Redis writes for the same file and the same changes).
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../src/config/config';
import { loadConfigText } from '../src/config/file';
import { startServer, type RunningServer } from '../src/server';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { freePort, oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { RawSession, encodeCommand } from './helpers/raw';

describe.skipIf(!oracleAvailable)('CONFIG vs Redis', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  let pair: Pair;
  beforeAll(async () => {
    srv = await startServer({ port: 0, host: '127.0.0.1', quiet: true });
    oracle = await startOracle();
    pair = await connectPair(srv.port, oracle.port);
  });
  afterAll(async () => {
    pair.ours.close();
    pair.theirs.close();
    await oracle.close();
    await srv.close();
  });

  /** CONFIG GET's name/value pairs, sorted: Redis lists them in its hash table's order. */
  function pairs(reply: string): string[] {
    const lines = reply.split('\r\n').slice(1, -1);
    const out: string[] = [];
    for (let i = 0; i + 3 < lines.length; i += 4) out.push(`${lines[i + 1]}=${lines[i + 3]}`);
    return out.sort();
  }

  it('GET with patterns, several patterns and aliases', async () => {
    for (const patterns of [['hash-max-*-entries'], ['maxmemory-*', 'lfu-*'], ['list-max-*'], ['*'], ['*max*', 'maxmemory']]) {
      const [ours, theirs] = await Promise.all([pair.ours.call('CONFIG', 'GET', ...patterns), pair.theirs.call('CONFIG', 'GET', ...patterns)]);
      if (patterns[0] === '*') {
        // every directive both servers know must show the same value; the lists may differ only by
        // directives of features Redis builds in and tredis leaves out (none are expected)
        const theirMap = new Map(pairs(theirs).map((p) => [p.slice(0, p.indexOf('=')), p]));
        const differing = pairs(ours).filter((p) => {
          const name = p.slice(0, p.indexOf('='));
          // the servers run with their own ports and directories (and the oracle with --bind/--save)
          return !['port', 'dir', 'pidfile', 'logfile', 'bind', 'save'].includes(name) && theirMap.has(name) && theirMap.get(name) !== p;
        });
        expect(differing).toEqual([]);
        expect(pairs(ours).length).toBe(pairs(theirs).length);
      } else {
        expect(pairs(ours), patterns.join(' ')).toEqual(pairs(theirs));
      }
    }
    await expectSame(pair, [
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'slave-serve-stale-data'],
      ['CONFIG', 'GET', 'nosuchthing'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'GET', 'client-output-buffer-limit'],
      ['CONFIG', 'GET'],
    ]);
  });

  it('SET validates as Redis and applies several pairs all or nothing', async () => {
    await expectSame(pair, [
      ['CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '20mb', 'maxmemory-policy', 'sometimes'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'hz', 'fast'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'daemonize', 'yes'],
      ['CONFIG', 'SET', 'nosuch', '1'],
      ['CONFIG', 'SET', 'maxmemory'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'Q'],
      ['CONFIG', 'SET', 'save', '100 10 60 1000'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'save', '100'],
      ['CONFIG', 'SET', 'slave-read-only', 'no'],
      ['CONFIG', 'GET', 'replica-read-only'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'maxmemory', '1'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'save', ''],
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'HELP'],
    ]);
  });

  it('SET: every directive both know answers a range of values exactly as Redis, then GET agrees', async () => {
    // left out: port and bind (they move the listener; tested below), requirepass (locks the
    // connection out), appendonly (the oracle would start writing an AOF), dir (each server runs in
    // its own directory; protected, so both refuse every value anyway)
    const skip = new Set(['port', 'bind', 'requirepass', 'appendonly', 'dir']);
    const values = [
      ...['abc', '', ' ', 'yes', 'No', 'YES', 'on', 'relative', 'default', 'save nosave', 'now force'],
      ...['0', '1', '-1', '-0', '00', '01', '+1', ' 1', '1 ', '1.5', '0x10', '1 2', '1  2', '3600 1', 'a b c d'],
      ...['100', '1000', '0777', '777', '65535', '65536', '2147483647', '2147483648', '-2147483649', '4294967295'],
      ...['9223372036854775807', '9223372036854775808', '-9223372036854775809', '18446744073709551616', '99999999999999999999'],
      ...['1k', '1kb', '1KB', '1m', '1mb', '1g', '1gb', '-1gb', '1bb', '1%', '5%', '100%', '101%', '%'],
      ...['normal 1 2 3', 'replica 1mb 2mb 60', 'pubsub 1 2', 'foo 1 2 3', 'normal 1 2 -1', '-2001 0 0', '1 2 3', '50 99', '101', 'inf'],
      ...['KEA', 'Ex', 'Q', 'A', 'gA', '$lshzxetdn', '{title}', '{foo}', 'x.rdb', 'a/b', 'a_b', '1.2.3.4'],
    ];
    const listed = (reply: string): Map<string, string> => new Map(pairs(reply).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const all = listed(await pair.theirs.call('CONFIG', 'GET', '*'));
    const hidden = ['watchdog-period', 'rdb-key-save-delay', 'key-load-delay', 'use-exit-on-panic', 'loading-process-events-interval-bytes'];
    const names = [...all.keys(), ...hidden].filter((n) => !skip.has(n));
    expect(names.length).toBeGreaterThan(190);
    let compared = 0;
    for (const name of names) {
      // Redis raises its open-files limit in steps of 16 down from maxclients + 32: billions of
      // clients would keep the oracle busy for minutes
      const vals = name === 'maxclients' ? values.filter((v) => !(Number(v) > 65536)) : values;
      // one directive's whole run in one write per server: SET, GET, restore, for every value
      const run = async (sess: RawSession): Promise<string[]> => {
        const original = (await sess.call('CONFIG', 'GET', name)).split('\r\n')[4]!;
        const cmds = vals.flatMap((v) => [
          ['CONFIG', 'SET', name, v],
          ['CONFIG', 'GET', name],
          ['CONFIG', 'SET', name, original],
        ]);
        sess.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
        const out: string[] = [];
        for (let i = 0; i < cmds.length; i++) out.push(await sess.readReply());
        return out;
      };
      const [ours, theirs] = await Promise.all([run(pair.ours), run(pair.theirs)]);
      for (let i = 0; i < ours.length; i++) {
        // the restoring SET answers +OK on both; the SET and GET before it must agree
        if (i % 3 !== 2) expect(ours[i], `CONFIG ${i % 3 === 0 ? 'SET' : 'GET'} ${name} ${JSON.stringify(vals[Math.floor(i / 3)])}`).toBe(theirs[i]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(names.length * (values.length - 10) * 3);
  });

  it('SET rolls everything back when a later side effect fails', async () => {
    // maxclients beyond the open-files limit fails in Redis's apply step, after maxmemory was stored
    await expectSame(pair, [
      ['CONFIG', 'SET', 'maxmemory', '6mb', 'maxclients', '65535'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxclients'],
      ['CONFIG', 'SET', 'maxclients', '100', 'maxmemory', '7mb'],
      ['CONFIG', 'GET', 'maxclients'],
      ['CONFIG', 'SET', 'maxclients', '10000', 'maxmemory', '0'],
      // the watchdog never fires more often than every second cron tick (hidden: GET by name only)
      ['CONFIG', 'SET', 'watchdog-period', '1'],
      ['CONFIG', 'GET', 'watchdog-period'],
      ['CONFIG', 'SET', 'watchdog-period', '0'],
      ['CONFIG', 'GET', 'watchdog-period'],
    ]);
  });

  it('RESETSTAT clears the statistics', async () => {
    const s = await RawSession.connect(srv.port);
    try {
      await s.call('GET', 'x');
      await s.call('CONFIG', 'RESETSTAT');
      const info = await s.call('INFO', 'stats');
      expect(info).toContain('keyspace_misses:0');
      expect(info).toContain('total_error_replies:0');
    } finally {
      s.close();
    }
  });
});

describe.skipIf(!oracleAvailable)('CONFIG SET port and bind vs Redis', () => {
  it('answers with the outcome of binding: taken ports and foreign addresses fail and change nothing', async () => {
    const config = new Config();
    config.set('port', String(await freePort()));
    config.set('bind', '127.0.0.1');
    config.set('save', '');
    const srv = await startServer({ config, quiet: true });
    const oracle = await startOracle();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    let pair = await connectPair(srv.port, oracle.port);
    try {
      await expectSame(pair, [
        ['CONFIG', 'SET', 'maxmemory', '5mb', 'port', String(taken)],
        ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'bind', '127.0.0.1 10.254.254.254', 'maxmemory', '7mb'],
        ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'GET', 'bind'],
        // an optional address that this host lacks is skipped
        ['CONFIG', 'SET', 'bind', '127.0.0.1 -10.254.254.254'],
        ['CONFIG', 'GET', 'bind'],
        ['CONFIG', 'SET', 'bind', '127.0.0.1'],
      ]);
      expect(await RawSession.connect(srv.port).then((r) => r.call('PING').finally(() => r.close()))).toBe('+PONG\r\n');
      // a new port: existing connections stay, new ones go to the new port
      const [ourNew, theirNew] = [await freePort(), await freePort()];
      expect(await pair.ours.call('CONFIG', 'SET', 'port', String(ourNew))).toBe('+OK\r\n');
      expect(await pair.theirs.call('CONFIG', 'SET', 'port', String(theirNew))).toBe('+OK\r\n');
      await expectSame(pair, [['PING']]);
      for (let i = 0; i < 50 && (await RawSession.connect(ourNew).then((r) => (r.close(), false), () => true)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const again = await connectPair(ourNew, theirNew);
      closePair(pair);
      pair = again;
      await expectSame(pair, [['PING'], ['CONFIG', 'GET', 'maxmemory']]);
    } finally {
      closePair(pair);
      blocker.close();
      await oracle.close();
      await srv.close();
    }
  });
});

describe.skipIf(!oracleAvailable)('CONFIG REWRITE vs Redis', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tredis-rewrite-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('rewrites a commented file as Redis does: in place, appended, defaults dropped', async () => {
    const text = (port: number): string =>
      [
        '# my settings',
        `port ${port}`,
        // redis.conf's own line: tredis's default, not Redis's, and kept by both
        'bind 127.0.0.1 -::1',
        '',
        '# memory',
        'maxmemory 100mb',
        'maxmemory-policy allkeys-lru',
        'hz 20',
        '# replication',
        'slave-serve-stale-data no',
        'save ""',
        'appendonly no',
        '',
      ].join('\n');
    const ourPort = await freePort();
    const theirPort = await freePort();
    const ourFile = path.join(dir, 'ours.conf');
    const theirFile = path.join(dir, 'theirs.conf');
    writeFileSync(ourFile, text(ourPort));
    writeFileSync(theirFile, text(theirPort));
    const config = new Config();
    loadConfigText(config, text(ourPort));
    config.set('dir', dir);
    const srv = await startServer({ config, configFile: ourFile, quiet: true });
    const oracle = spawn('redis-server', [theirFile, '--dir', dir], { stdio: 'ignore' });
    try {
      let theirs: RawSession | null = null;
      for (let i = 0; i < 100 && theirs === null; i++) {
        theirs = await RawSession.connect(theirPort).catch(() => null);
        if (theirs === null) await new Promise((r) => setTimeout(r, 30));
      }
      const ours = await RawSession.connect(ourPort);
      const changes = [
        ['CONFIG', 'SET', 'maxmemory', '200mb'],
        ['CONFIG', 'SET', 'hz', '10'],
        ['CONFIG', 'SET', 'timeout', '30'],
        ['CONFIG', 'SET', 'slave-serve-stale-data', 'yes'],
        ['CONFIG', 'REWRITE'],
      ];
      for (const cmd of changes) expect(await ours.call(...cmd)).toBe(await theirs!.call(...cmd));
      ours.close();
      theirs!.close();
      // lines Redis appends come in its hash table's order: compare them as a set
      const norm = (file: string, port: number): string => {
        const [kept, appended = ''] = readFileSync(file, 'latin1').replace(`port ${port}`, 'port <port>').split('# Generated by CONFIG REWRITE\n');
        return `${kept}# Generated by CONFIG REWRITE\n${appended.split('\n').sort().join('\n')}`;
      };
      expect(norm(ourFile, ourPort)).toBe(norm(theirFile, theirPort));
      expect(readFileSync(ourFile, 'latin1')).toContain('# memory\nmaxmemory 200mb\n');
    } finally {
      oracle.kill('SIGKILL');
      await srv.close();
    }
  });
});
