import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningServer } from '../src/server';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { decodeReply } from './helpers/resp';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

const pkgVersion = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The text of a bulk or verbatim INFO reply. */
function infoText(raw: string): string {
  const r = decodeReply(Buffer.from(raw, 'latin1')).reply;
  if (r.t === '=') return (r.v as string).slice(4);
  if (r.t !== '$') throw new Error(`not a string reply: ${raw}`);
  return r.v as string;
}

/** Switches a session to RESP3: HELLO 3 when the server has it, else directly on the server's client. */
async function useResp3(s: RawSession, server: RunningServer): Promise<void> {
  const r = await s.call('HELLO', '3');
  if (!r.startsWith('-')) return;
  for (const c of server.state.clients.values()) if (c.raddr.endsWith(`:${s.socket.localPort}`)) c.resp = 3;
}

function headers(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('# '));
}

/** Section title -> field names, in order. */
function fieldsBySection(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] = [];
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      cur = [];
      out.set(line.slice(2), cur);
    } else if (line !== '') {
      cur.push(line.slice(0, line.indexOf(':')));
    }
  }
  return out;
}

function field(text: string, name: string): string | undefined {
  for (const line of text.split('\r\n')) if (line.startsWith(name + ':')) return line.slice(name.length + 1);
  return undefined;
}

let srv: RunningServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

describe('INFO', () => {
  it('lets ioredis connect (it reads INFO at connect) and reports both versions', async () => {
    const r = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    const info = await r.info();
    expect(field(info, 'redis_version')).toBe('7.0.15');
    expect(field(info, 'tredis_version')).toBe(pkgVersion);
    expect(info.split('\r\n')[2]).toBe(`tredis_version:${pkgVersion}`);
    expect(field(info, 'loading')).toBe('0');
    expect(field(info, 'maxmemory_policy')).toBe('noeviction');
    r.disconnect();
  });

  it('selects sections as Redis: default, all, everything, several, any case, always in Redis order', async () => {
    const s = await RawSession.connect(srv.port);
    const dflt = ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules', '# Errorstats', '# Cluster', '# Keyspace'];
    const all = ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules', '# Commandstats', '# Errorstats', '# Latencystats', '# Cluster', '# Keyspace'];
    expect(headers(infoText(await s.call('INFO')))).toEqual(dflt);
    expect(headers(infoText(await s.call('INFO', 'default')))).toEqual(dflt);
    expect(headers(infoText(await s.call('INFO', 'all')))).toEqual(all);
    expect(headers(infoText(await s.call('INFO', 'everything')))).toEqual(all);
    expect(headers(infoText(await s.call('INFO', 'default', 'commandstats')))).toEqual([...dflt.slice(0, 8), '# Commandstats', ...dflt.slice(8)]);
    expect(headers(infoText(await s.call('INFO', 'Server', 'CLIENTS', 'server')))).toEqual(['# Server', '# Clients']);
    expect(headers(infoText(await s.call('info', 'cluster', 'modules')))).toEqual(['# Modules', '# Cluster']);
    s.close();
  });

  it('replies an empty bulk (RESP2) or verbatim (RESP3) string for unknown sections', async () => {
    const s = await RawSession.connect(srv.port);
    expect(await s.call('INFO', 'nosuchsection')).toBe('$0\r\n\r\n');
    await useResp3(s, srv);
    expect(await s.call('INFO', 'nosuchsection')).toBe('=4\r\ntxt:\r\n');
    const r = await s.call('INFO', 'cluster');
    expect(r).toBe('=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n');
    s.close();
  });

  it('ends every line with CRLF and separates sections with an empty line', async () => {
    const s = await RawSession.connect(srv.port);
    const text = infoText(await s.call('INFO', 'everything'));
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('\r\n\r\n# Clients\r\n');
    s.close();
  });

  it('reports real values for this server', async () => {
    const s = await RawSession.connect(srv.port);
    const t = infoText(await s.call('INFO', 'server', 'clients', 'replication', 'memory'));
    expect(field(t, 'tcp_port')).toBe(String(srv.port));
    expect(field(t, 'run_id')).toBe(srv.state.runId);
    expect(field(t, 'process_id')).toBe(String(process.pid));
    expect(field(t, 'redis_mode')).toBe('standalone');
    expect(field(t, 'os')).toMatch(/^\S+ \S+ \S+$/);
    expect(Number(field(t, 'connected_clients'))).toBeGreaterThanOrEqual(1);
    expect(field(t, 'role')).toBe('master');
    expect(field(t, 'master_replid')).toMatch(/^[0-9a-f]{40}$/);
    expect(field(t, 'master_replid2')).toBe('0'.repeat(40));
    expect(Number(field(t, 'used_memory'))).toBeGreaterThan(0);
    expect(field(t, 'used_memory_human')).toMatch(/^\d+\.\d\d[KMG]$/);
    expect(field(t, 'maxmemory_human')).toBe('0B');
    s.close();
  });

  it('counts commands, errors and keys in stats, commandstats, errorstats and keyspace', async () => {
    const own = await startTestServer();
    const s = await RawSession.connect(own.port);
    await s.call('SET', 'k', 'v');
    await s.call('GET', 'k');
    await s.call('GET', 'missing');
    await s.call('SLOWLOG', 'LEN');
    await s.call('NOSUCHCOMMAND');
    await s.call('GET');
    own.state.dbs[2]!.add('x', 'y');
    own.state.dbs[2]!.setExpire('x', Date.now() + 100000);
    const t = infoText(await s.call('INFO', 'stats', 'commandstats', 'errorstats', 'keyspace'));
    expect(field(t, 'keyspace_hits')).toBe('1');
    expect(field(t, 'keyspace_misses')).toBe('1');
    expect(field(t, 'total_error_replies')).toBe('2');
    expect(field(t, 'total_commands_processed')).toBe('4');
    expect(field(t, 'cmdstat_get')).toMatch(/^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0$/);
    expect(field(t, 'cmdstat_slowlog|len')).toMatch(/^calls=1,/);
    expect(field(t, 'errorstat_ERR')).toBe('count=2');
    expect(field(t, 'db0')).toBe('keys=1,expires=0,avg_ttl=0');
    expect(field(t, 'db2')).toMatch(/^keys=1,expires=1,avg_ttl=\d+$/);
    expect(field(t, 'db1')).toBeUndefined();
    const lat = infoText(await s.call('INFO', 'latencystats'));
    expect(field(lat, 'latency_percentiles_usec_get')).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    s.close();
    await own.close();
  });

  it('times each command of a pipelined batch on its own: a slow one does not spill into the next', async () => {
    const own = await startTestServer({ 'enable-debug-command': 'yes' });
    const s = await RawSession.connect(own.port);
    const cmd = (...a: string[]): string => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`;
    s.write(cmd('DEBUG', 'SLEEP', '0.2') + cmd('PING') + cmd('ECHO', 'x'));
    expect(await s.readReply()).toBe('+OK\r\n');
    expect(await s.readReply()).toBe('+PONG\r\n');
    expect(await s.readReply()).toBe('$1\r\nx\r\n');
    // an idle gap before the next batch is nobody's time either
    await new Promise((r) => setTimeout(r, 200));
    s.write(cmd('GET', 'k'));
    await s.readReply();
    const t = infoText(await s.call('INFO', 'commandstats'));
    const usec = (name: string): number => Number(/usec=(\d+)/.exec(field(t, `cmdstat_${name}`) ?? '')?.[1]);
    expect(usec('debug')).toBeGreaterThanOrEqual(200000);
    for (const name of ['ping', 'echo', 'get']) expect(usec(name)).toBeLessThan(50000);
    s.close();
    await own.close();
  });

  it('lets other modules supply values and whole sections', async () => {
    const own = await startTestServer();
    own.state.infoFields.set('loading', () => 1);
    own.state.infoFields.set('used_memory_lua', () => 2048);
    own.state.infoSections.set('replication', () => ['role:slave', 'master_host:127.0.0.1']);
    const s = await RawSession.connect(own.port);
    const t = infoText(await s.call('INFO', 'persistence', 'memory', 'replication'));
    expect(field(t, 'loading')).toBe('1');
    expect(field(t, 'used_memory_lua')).toBe('2048');
    expect(field(t, 'used_memory_lua_human')).toBe('2.00K');
    expect(t).toContain('# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\n');
    s.close();
    await own.close();
  });
});

describe.skipIf(!oracleAvailable)('INFO against the oracle', () => {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
  });

  async function both(...args: string[]): Promise<[string, string]> {
    const a = await RawSession.connect(srv.port);
    const b = await RawSession.connect(oracle.port);
    const r: [string, string] = [infoText(await a.call('INFO', ...args)), infoText(await b.call('INFO', ...args))];
    a.close();
    b.close();
    return r;
  }

  it('has the same sections for every selection', async () => {
    for (const args of [[], ['all'], ['everything'], ['default'], ['server', 'clients'], ['cluster', 'modules'], ['nosuch'], ['ALL', 'keyspace'], ['default', 'latencystats']]) {
      const [ours, theirs] = await both(...args);
      expect(headers(ours), `INFO ${args.join(' ')}`).toEqual(headers(theirs));
    }
  });

  it('has the same field names in the same order in every fixed section', async () => {
    const [ours, theirs] = await both('everything');
    const o = fieldsBySection(ours);
    const t = fieldsBySection(theirs);
    for (const section of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Cluster']) {
      const mine = o.get(section)!.filter((f) => f !== 'tredis_version');
      expect(mine, section).toEqual(t.get(section));
    }
  });

  it('has the same lines in commandstats, errorstats, latencystats and keyspace after the same commands', async () => {
    const a = await RawSession.connect(srv.port);
    const b = await RawSession.connect(oracle.port);
    const script = [['CONFIG', 'RESETSTAT'], ['SELECT', '5'], ['SET', 'a', '1'], ['GET', 'a'], ['GET', 'b'], ['WHATEVER'], ['SLOWLOG', 'LEN'], ['SLOWLOG', 'GET', 'x'], ['SELECT', '0']];
    // CONFIG RESETSTAT may not exist here yet: reset our own statistics directly
    srv.state.stats.reset();
    for (const d of srv.state.dbs) d.clear();
    for (const cmd of script.slice(1)) {
      await a.call(...cmd);
    }
    for (const cmd of script) await b.call(...cmd);
    const ours = fieldsBySection(infoText(await a.call('INFO', 'commandstats', 'errorstats', 'latencystats', 'keyspace')));
    const theirs = fieldsBySection(infoText(await b.call('INFO', 'commandstats', 'errorstats', 'latencystats', 'keyspace')));
    const drop = (xs: string[]) => xs.filter((x) => !/(info|config\|resetstat)$/.test(x)).sort();
    for (const section of ['Commandstats', 'Errorstats', 'Latencystats', 'Keyspace']) {
      expect(drop(ours.get(section)!), section).toEqual(drop(theirs.get(section)!));
    }
    a.close();
    b.close();
  });
});
