/*
 * Blocking XREAD / XREADGROUP and stream keyspace events, compared with the oracle: the same
 * scenario runs on both servers (a client blocks, others write), and the blocked client's reply bytes
 * must be identical; keyspace events ('t' class and friends) must arrive with the same names in the
 * same order.
 */
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { encodeCommand, RawSession } from './helpers/raw';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const words = (line: string): string[] => line.trim().split(/\s+/);

interface Scenario {
  name: string;
  setup: string[];
  /** blocking commands, one per client, sent in order */
  block: string[];
  /** commands another client runs once they are blocked */
  then: string[];
  resp3?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'XREAD $ served by XADD', setup: ['xadd s 1-0 a 1'], block: ['xread block 0 streams s $'], then: ['xadd s 2-0 b 2'] },
  { name: 'XREAD RESP3 map', setup: ['xadd s 1-0 a 1'], block: ['xread block 0 streams s $'], then: ['xadd s 2-0 b 2'], resp3: true },
  { name: 'XREAD on a missing key, created by XADD', setup: [], block: ['xread block 0 streams s 0'], then: ['xadd s 5-0 a 1'] },
  { name: 'XREAD two keys, second written', setup: ['xadd a 1-0 x 1'], block: ['xread block 0 streams a b $ $'], then: ['xadd b 3-0 y 2'] },
  { name: 'XREAD after MULTI of two XADDs', setup: ['xadd s 1-0 a 1'], block: ['xread block 0 streams s $'], then: ['multi', 'xadd s 2-0 a 2', 'xadd s 3-0 a 3', 'exec'] },
  { name: 'XREAD COUNT while blocked', setup: ['xadd s 1-0 a 1'], block: ['xread count 1 block 0 streams s $'], then: ['multi', 'xadd s 2-0 a 2', 'xadd s 3-0 a 3', 'exec'] },
  { name: 'XREAD timeout', setup: ['xadd s 1-0 a 1'], block: ['xread block 30 streams s $'], then: [] },
  { name: 'XREAD timeout RESP3', setup: ['xadd s 1-0 a 1'], block: ['xread block 30 streams s $'], then: [], resp3: true },
  {
    name: 'XREADGROUP two consumers share new entries',
    setup: ['xgroup create s g $ mkstream'],
    block: ['xreadgroup group g c1 block 0 streams s >', 'xreadgroup group g c2 block 0 streams s >'],
    then: ['xadd s 1-0 a 1', 'xadd s 2-0 a 2', 'xpending s g', 'xinfo groups s'],
  },
  {
    name: 'XREADGROUP NOACK COUNT',
    setup: ['xgroup create s g $ mkstream'],
    block: ['xreadgroup group g c1 count 1 noack block 0 streams s >'],
    then: ['multi', 'xadd s 1-0 a 1', 'xadd s 2-0 a 2', 'exec', 'xpending s g', 'xinfo groups s'],
  },
  {
    name: 'XREADGROUP group destroyed',
    setup: ['xgroup create s g $ mkstream'],
    block: ['xreadgroup group g c1 block 0 streams s >'],
    then: ['xgroup destroy s g'],
  },
  {
    name: 'XREADGROUP told when its stream is deleted',
    setup: ['xgroup create s g $ mkstream'],
    block: ['xreadgroup group g c1 block 0 streams s >', 'xreadgroup group g c2 block 0 streams s >'],
    then: ['del s'],
  },
  {
    name: 'XREADGROUP told when its stream becomes a string',
    setup: ['xgroup create s g $ mkstream'],
    block: ['xreadgroup group g c1 block 0 streams s >'],
    then: ['set s x'],
  },
  { name: 'XREAD does not wake on another type', setup: ['xadd s 1-0 a 1'], block: ['xread block 60 streams s $'], then: ['del s', 'set s x'] },
];

async function runScenario(port: number, sc: Scenario): Promise<string[]> {
  const writer = await RawSession.connect(port);
  const blockers: RawSession[] = [];
  try {
    await writer.call('flushall');
    for (const cmd of sc.setup) await writer.call(...words(cmd));
    for (const cmd of sc.block) {
      const b = await RawSession.connect(port);
      if (sc.resp3 === true) await b.call('hello', '3');
      blockers.push(b);
      b.write(encodeCommand(words(cmd)));
      await sleep(20);
    }
    const out: string[] = [];
    for (const cmd of sc.then) out.push(await writer.call(...words(cmd)));
    for (const b of blockers) out.push(await b.readReply(2000));
    // nothing more must be pending for the blocked clients
    for (const b of blockers) out.push(await b.call('ping'));
    return out;
  } finally {
    writer.close();
    for (const b of blockers) b.close();
  }
}

describe.skipIf(!oracleAvailable)('blocking stream reads vs Redis', () => {
  const d = useDifferential();
  for (const sc of SCENARIOS) {
    it(sc.name, async () => {
      const ours = await runScenario(d.srv.port, sc);
      const theirs = await runScenario(d.oracle.port, sc);
      expect(ours.map((r) => r.replace(/:\d{13}\r\n/g, ':T\r\n'))).toEqual(theirs.map((r) => r.replace(/:\d{13}\r\n/g, ':T\r\n')));
    });
  }

  it('BLOCK inside MULTI answers at once', async () => {
    const cmds = ['multi', 'xread block 0 streams s $', 'xreadgroup group g c block 0 streams s >', 'exec'];
    const run = async (port: number): Promise<string[]> => {
      const r = await RawSession.connect(port);
      try {
        await r.call('flushall');
        await r.call('xgroup', 'create', 's', 'g', '$', 'mkstream');
        const out: string[] = [];
        for (const cmd of cmds) out.push(await r.call(...words(cmd)));
        return out;
      } finally {
        r.close();
      }
    };
    expect(await run(d.srv.port)).toEqual(await run(d.oracle.port));
  });

  it('keyspace events of stream commands', async () => {
    const script = [
      'config set notify-keyspace-events KEA',
      'xadd s 1-0 a 1',
      'xadd s maxlen 1 2-0 a 2',
      'xadd s nomkstream 3-0 a 3',
      'xadd t nomkstream 3-0 a 3',
      'xdel s 3-0',
      'xdel s 99-0',
      'xtrim s maxlen 0',
      'xtrim s maxlen 0',
      'xgroup create s g $',
      'xgroup create m g $ mkstream',
      'xgroup createconsumer s g c',
      'xgroup createconsumer s g c',
      'xadd s 4-0 a 1',
      'xreadgroup group g c2 streams s >',
      'xclaim s g c3 0 4-0',
      'xautoclaim s g c4 0 0',
      'xgroup setid s g 0',
      'xgroup delconsumer s g c',
      'xgroup destroy s g',
      'xsetid s 10-0',
      'xack s g 4-0',
      'del s',
      'config set notify-keyspace-events ""',
    ];
    const collect = async (port: number): Promise<string[]> => {
      const sub = new Redis({ port, host: '127.0.0.1' });
      const r = new Redis({ port, host: '127.0.0.1' });
      const events: string[] = [];
      sub.on('pmessage', (_p: string, ch: string, msg: string) => events.push(`${ch} ${msg}`));
      await sub.psubscribe('__key*__:*');
      await r.flushall();
      for (const cmd of script) {
        const [name, ...args] = words(cmd);
        await r.call(name!, ...args.map((a) => (a === '""' ? '' : a)));
      }
      await sleep(50);
      sub.disconnect();
      r.disconnect();
      return events;
    };
    const ours = await collect(d.srv.port);
    const theirs = await collect(d.oracle.port);
    expect(ours).toEqual(theirs);
    expect(ours).toContain('__keyevent@0__:xgroup-createconsumer s');
  });
});

describe('blocking stream reads through ioredis', () => {
  const t = useServer();
  it('XREAD BLOCK wakes on XADD and times out with null', async () => {
    const r = t.r;
    const blocked = new Redis({ port: t.srv.port, host: '127.0.0.1' });
    try {
      await r.xadd('s', '1-0', 'a', '1');
      const pending = blocked.xread('BLOCK', 0, 'STREAMS', 's', '$');
      await sleep(30);
      await r.xadd('s', '2-0', 'b', '2');
      expect(await pending).toEqual([['s', [['2-0', ['b', '2']]]]]);
      const started = Date.now();
      expect(await blocked.xread('BLOCK', 50, 'STREAMS', 's', '$')).toBe(null);
      expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    } finally {
      blocked.disconnect();
    }
  });
});
