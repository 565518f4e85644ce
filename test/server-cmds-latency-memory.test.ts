import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { histogramLevels, histogramPercentile, histogramRecord, HIST_COUNTS, latencyAddSample } from '../src/latency';
import { keyUsage, stringBytes, bytesToHuman } from '../src/memory';
import type { LatencyEvent } from '../src/state';
import { startTestServer } from './helpers/server';
import { RawSession } from './helpers/raw';
import { decodeReply, type Reply } from './helpers/resp';
import { closePair, connectPair, expectSame, type Pair } from './helpers/diff';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';

function decode(raw: string): Reply {
  return decodeReply(Buffer.from(raw, 'latin1')).reply;
}

/** Switches a session to RESP3: HELLO 3 when the server has it, else directly on the server's client. */
async function useResp3(s: RawSession, server?: RunningServer): Promise<void> {
  const r = await s.call('HELLO', '3');
  if (!r.startsWith('-') || server === undefined) return;
  for (const c of server.state.clients.values()) if (c.raddr.endsWith(`:${s.socket.localPort}`)) c.resp = 3;
}

/** The reply's shape: types, with map keys and short strings kept, numbers dropped. */
function shape(r: Reply): unknown {
  if (Array.isArray(r.v)) return [r.t, r.v.map((x) => shape(x))];
  if (r.t === '$' && typeof r.v === 'string' && /^[a-z][a-z0-9.|_-]*$/.test(r.v)) return r.v;
  return r.t;
}

describe('latency histogram (HDR layout, as Redis reports it)', () => {
  const hist = (...usecs: number[]): Uint32Array => {
    const h = new Uint32Array(HIST_COUNTS);
    for (const u of usecs) histogramRecord(h, u);
    return h;
  };

  it('reads percentiles back as the highest value of the sample\'s bucket', () => {
    // the figures Redis 7.0 printed for single 6, 26 and 454 us calls, and for a 0 us call
    expect(histogramPercentile(hist(6), 50)).toBe(6015);
    expect(histogramPercentile(hist(26), 99)).toBe(26111);
    expect(histogramPercentile(hist(454), 99.9)).toBe(454655);
    expect(histogramPercentile(hist(0), 50)).toBe(1);
    expect(histogramPercentile(hist(6.9), 50)).toBe(6015);
    const h = hist(1, 2, 3, 4, 100);
    expect(histogramPercentile(h, 50)).toBe(3007);
    expect(histogramPercentile(h, 99)).toBe(100351);
  });

  it('reports cumulative counts at power-of-two levels from 1024 ns, clamped at 1 s', () => {
    expect(histogramLevels(hist(0, 1, 2, 3, 100, 2_000_000))).toEqual([
      [1, 2],
      [2, 3],
      [4, 4],
      [132, 5],
      [1073741, 6],
    ]);
    expect(histogramLevels(hist())).toEqual([]);
    expect(histogramLevels(hist(4, 4, 4))).toEqual([[4, 3]]);
  });

  it('merges latency monitor samples of the same second, keeping the highest, and keeps 160', () => {
    const events = new Map<string, LatencyEvent>();
    latencyAddSample(events, 'command', 120, 1_000_000);
    latencyAddSample(events, 'command', 300, 1_000_500);
    latencyAddSample(events, 'command', 200, 1_000_900);
    latencyAddSample(events, 'command', 150, 1_002_000);
    const ev = events.get('command')!;
    expect(ev.samples).toEqual([
      { time: 1000, latency: 300 },
      { time: 1002, latency: 150 },
    ]);
    expect(ev.max).toBe(300);
    for (let i = 0; i < 200; i++) latencyAddSample(events, 'x', i, i * 1000);
    expect(events.get('x')!.samples).toHaveLength(160);
    expect(events.get('x')!.samples[0]!.time).toBe(40);
  });
});

describe('memory estimates', () => {
  it('follows the documented formula', () => {
    expect(stringBytes(1)).toBe(24);
    expect(stringBytes(8)).toBe(24);
    expect(stringBytes(9)).toBe(32);
    expect(keyUsage('a', 'b', false)).toBe(24 + 24 + 56);
    expect(keyUsage('a', 5, false)).toBe(24 + 0 + 56);
    expect(keyUsage('a', 1e10, false)).toBe(24 + 16 + 56);
    expect(keyUsage('a', 'b', true)).toBe(24 + 24 + 56 + 48);
    expect(keyUsage('k', { type: 'set', memoryUsage: (n: number) => n * 10 }, false, 3)).toBe(24 + 30 + 56);
  });

  it('formats bytes as Redis', () => {
    expect(bytesToHuman(0)).toBe('0B');
    expect(bytesToHuman(1023)).toBe('1023B');
    expect(bytesToHuman(916560)).toBe('895.08K');
    expect(bytesToHuman(6766592)).toBe('6.45M');
    expect(bytesToHuman(25276026880)).toBe('23.54G');
  });
});

describe('LATENCY and MEMORY', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startTestServer({ 'enable-debug-command': 'yes' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('records "command" events over latency-monitor-threshold and reports them', async () => {
    const s = await RawSession.connect(srv.port);
    expect(await s.call('LATENCY', 'LATEST')).toBe('*0\r\n');
    srv.state.config.set('latency-monitor-threshold', '50');
    await s.call('DEBUG', 'SLEEP', '0.06');
    await s.call('PING');
    const latest = decode(await s.call('LATENCY', 'LATEST')).v as Reply[];
    expect(latest).toHaveLength(1);
    const [name, time, last, max] = (latest[0]!.v as Reply[]).map((x) => x.v);
    expect(name).toBe('command');
    expect(Math.abs(Number(time) - Date.now() / 1000)).toBeLessThan(3);
    expect(Number(last)).toBeGreaterThanOrEqual(60);
    expect(Number(max)).toBe(Number(last));
    const history = decode(await s.call('LATENCY', 'HISTORY', 'command')).v as Reply[];
    expect(history).toHaveLength(1);
    const graph = decode(await s.call('LATENCY', 'GRAPH', 'command')).v as string;
    expect(graph).toMatch(/^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
    expect(decode(await s.call('LATENCY', 'DOCTOR')).v).toContain('1. command: 1 latency spikes');
    expect(await s.call('LATENCY', 'RESET', 'nosuch', 'command')).toBe(':1\r\n');
    expect(await s.call('LATENCY', 'LATEST')).toBe('*0\r\n');
    srv.state.config.set('latency-monitor-threshold', '0');
    s.close();
  });

  it('reports per-command histograms, by command, container or subcommand', async () => {
    const s = await RawSession.connect(srv.port);
    await s.call('SLOWLOG', 'LEN');
    await s.call('SLOWLOG', 'LEN');
    const all = decode(await s.call('LATENCY', 'HISTOGRAM')).v as Reply[];
    expect(all.filter((x, i) => i % 2 === 0).map((x) => x.v)).toContain('slowlog|len');
    const one = decode(await s.call('LATENCY', 'HISTOGRAM', 'SLOWLOG')).v as Reply[];
    expect(one[0]!.v).toBe('slowlog|len');
    const detail = one[1]!.v as Reply[];
    expect(detail[0]!.v).toBe('calls');
    expect(detail[1]!.v).toBe('2');
    expect(detail[2]!.v).toBe('histogram_usec');
    expect(decode(await s.call('LATENCY', 'HISTOGRAM', 'slowlog|LEN', 'nosuch', 'get')).v).toHaveLength(2);
    srv.state.config.set('latency-tracking', 'no');
    await s.call('SLOWLOG', 'LEN');
    const after = (decode(await s.call('LATENCY', 'HISTOGRAM', 'slowlog|len')).v as Reply[])[1]!.v as Reply[];
    expect(after[1]!.v).toBe('2');
    srv.state.config.set('latency-tracking', 'yes');
    s.close();
  });

  it('MEMORY USAGE estimates a key, without expiring or counting it', async () => {
    const s = await RawSession.connect(srv.port);
    await s.call('SET', 'mu', 'hello');
    expect(await s.call('MEMORY', 'USAGE', 'mu')).toBe(`:${24 + 24 + 56}\r\n`);
    expect(await s.call('MEMORY', 'USAGE', 'mu', 'SAMPLES', '0')).toBe(`:${24 + 24 + 56}\r\n`);
    expect(await s.call('MEMORY', 'USAGE', 'nokey')).toBe('$-1\r\n');
    s.close();
  });
});

describe.skipIf(!oracleAvailable)('LATENCY and MEMORY against the oracle', () => {
  let oracle: Oracle;
  let srv: RunningServer;
  let pair: Pair;
  beforeAll(async () => {
    oracle = await startOracle(['--enable-debug-command', 'yes']);
    srv = await startTestServer({ 'enable-debug-command': 'yes' });
    pair = await connectPair(srv.port, oracle.port);
  });
  afterAll(async () => {
    closePair(pair);
    await srv.close();
    await oracle.close();
  });

  it('LATENCY replies and errors are identical', async () => {
    await expectSame(pair, [
      ['LATENCY'],
      ['LATENCY', 'foo'],
      ['LATENCY', 'HELP'],
      ['LATENCY', 'HELP', 'x'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'LATEST', 'x'],
      ['LATENCY', 'HISTORY'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'RESET'],
      ['LATENCY', 'RESET', 'a', 'b'],
      ['LATENCY', 'GRAPH'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'DOCTOR', 'x'],
      ['LATENCY', 'HISTOGRAM', 'nosuch'],
      ['LATENCY', 'HISTOGRAM', 'lpush'],
    ]);
  });

  it('LATENCY LATEST / HISTORY / HISTOGRAM have the same shapes (RESP2 and RESP3)', async () => {
    for (const sess of [pair.ours, pair.theirs]) {
      await sess.call('LATENCY', 'RESET');
      await sess.call('CONFIG', 'SET', 'latency-monitor-threshold', '50');
    }
    srv.state.config.set('latency-monitor-threshold', '50');
    for (const sess of [pair.ours, pair.theirs]) {
      await sess.call('DEBUG', 'SLEEP', '0.06');
      await sess.call('ECHO', 'x');
      await sess.call('ECHO', 'y');
    }
    for (const resp of [2, 3]) {
      if (resp === 3) {
        await useResp3(pair.ours, srv);
        await useResp3(pair.theirs);
      }
      for (const cmd of [['LATENCY', 'LATEST'], ['LATENCY', 'HISTORY', 'command'], ['LATENCY', 'HISTOGRAM', 'echo'], ['LATENCY', 'DOCTOR'], ['LATENCY', 'GRAPH', 'command']]) {
        const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
        if (cmd[1] === 'HISTOGRAM') {
          // bucket counts depend on timing: compare the frame (command, calls) only
          const frame = (r: Reply) => {
            const items = r.v as Reply[];
            const detail = items[1]!.v as Reply[];
            return [r.t, items[0]!.v, detail[0]!.v, detail[1]!.v, detail[2]!.v, detail[3]!.t];
          };
          expect(frame(decode(a)), `RESP${resp} ${cmd.join(' ')}`).toEqual(frame(decode(b)));
        } else {
          expect(shape(decode(a)), `RESP${resp} ${cmd.join(' ')}`).toEqual(shape(decode(b)));
        }
      }
    }
    srv.state.config.set('latency-monitor-threshold', '0');
    await pair.theirs.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  });

  it('MEMORY replies, errors and STATS fields are identical in form', async () => {
    const p2 = await connectPair(srv.port, oracle.port);
    await expectSame(p2, [
      ['FLUSHALL'],
      ['SET', 'k', 'v'],
      ['SET', 'e', 'v', 'EX', '100'],
      ['MEMORY'],
      ['MEMORY', 'foo'],
      ['MEMORY', 'HELP'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES'],
      ['MEMORY', 'USAGE', 'k', 'foo', 'bar'],
      ['MEMORY', 'STATS', 'x'],
      ['MEMORY', 'PURGE'],
    ]);
    for (const resp of [2, 3]) {
      if (resp === 3) {
        await useResp3(p2.ours, srv);
        await useResp3(p2.theirs);
      }
      for (const cmd of [['MEMORY', 'STATS'], ['MEMORY', 'USAGE', 'k'], ['MEMORY', 'DOCTOR'], ['MEMORY', 'MALLOC-STATS']]) {
        const [a, b] = await Promise.all([p2.ours.call(...cmd), p2.theirs.call(...cmd)]);
        expect(shape(decode(a)), `RESP${resp} ${cmd.join(' ')}`).toEqual(shape(decode(b)));
      }
    }
    closePair(p2);
  });
});
