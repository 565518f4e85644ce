/*
 * Streams: the structure (types/stream.ts) on its own, the commands through ioredis, and
 * differential runs against the oracle (RESP2 and RESP3) with explicit IDs so replies are
 * deterministic. Fields that depend on the clock (idle times, delivery times, seen times) are
 * compared after masking them.
 */
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { expectSame, type Pair } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';
import { IdMap, MAX_ID, StreamValue, formatId, lpStrBytes, makeId } from '../src/types/stream';
import { parseId, parseU64 } from '../src/commands/stream-common';

const fv = (...a: string[]): string[] => a;

describe('StreamValue', () => {
  it('appends, ranges both ways and deletes with tombstones', () => {
    const s = new StreamValue();
    for (let i = 1; i <= 250; i++) s.append(makeId(BigInt(i), 0n), fv('f', String(i)), 4096, 100);
    expect(s.length).toBe(250);
    expect(s.nodes.length).toBe(3);
    const got: string[] = [];
    s.range(makeId(10n, 0n), makeId(20n, 5n), 0, false, (e) => got.push(e[0]!));
    expect(got).toEqual(Array.from({ length: 11 }, (_, i) => `${i + 10}-0`));
    const rev: string[] = [];
    s.range(0n, MAX_ID, 3, true, (e) => rev.push(e[0]!));
    expect(rev).toEqual(['250-0', '249-0', '248-0']);
    expect(s.delete(makeId(15n, 0n))).toBe(true);
    expect(s.delete(makeId(15n, 0n))).toBe(false);
    const after: string[] = [];
    s.range(makeId(14n, 0n), makeId(16n, 0n), 0, false, (e) => after.push(e[0]!));
    expect(after).toEqual(['14-0', '16-0']);
    // a node whose entries are all deleted goes away
    for (let i = 201; i <= 250; i++) s.delete(makeId(BigInt(i), 0n));
    expect(s.nodes.length).toBe(2);
    expect(s.length).toBe(199);
  });

  it('trims as Redis: whole nodes when approximate, tombstones in the first node when exact', () => {
    const s = new StreamValue();
    for (let i = 1; i <= 250; i++) s.append(makeId(BigInt(i), 0n), fv('f', 'v'), 4096, 100);
    expect(s.trim(120, null, true, 0)).toBe(100);
    expect(s.length).toBe(150);
    expect(s.trim(120, null, false, 0)).toBe(30);
    expect(s.nodes.length).toBe(2);
    expect(s.nodes[0]!.deleted).toBe(30);
    expect(formatId(s.firstId)).toBe('131-0');
  });

  it('keeps ids up to 2^64-1 exact and sizes listpack elements as Redis', () => {
    const top = makeId(18446744073709551615n, 18446744073709551615n);
    expect(top).toBe(MAX_ID);
    expect(formatId(top)).toBe('18446744073709551615-18446744073709551615');
    // the cached ms text must follow the ms part, and a seq past 2^53 stays exact
    for (const [ms, seq] of [[5n, 1n], [5n, 2n], [6n, 2n], [5n, 9007199254740992n], [5n, 9007199254740993n], [0n, 0n]] as const) {
      expect(formatId(makeId(ms, seq))).toBe(`${ms}-${seq}`);
    }
    expect(lpStrBytes('1')).toBe(2);
    expect(lpStrBytes('abc')).toBe(5);
    expect(lpStrBytes('-4096')).toBe(3);
    expect(lpStrBytes('01')).toBe(4);
    expect(lpStrBytes('x'.repeat(100))).toBe(103);
  });

  it('IdMap stays sorted through inserts and deletes anywhere', () => {
    const m = new IdMap<number>();
    const ref = new Map<bigint, number>();
    let x = 12345;
    for (let i = 0; i < 3000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const id = BigInt(x % 5000);
      if (x % 3 === 0) {
        expect(m.delete(id)).toBe(ref.get(id));
        ref.delete(id);
      } else {
        m.set(id, i);
        ref.set(id, i);
      }
    }
    const seen: bigint[] = [];
    m.each(0n, MAX_ID, (id, v) => {
      seen.push(id);
      expect(v).toBe(ref.get(id));
    });
    expect(seen).toEqual([...ref.keys()].sort((a, b) => (a < b ? -1 : 1)));
    expect(m.size).toBe(ref.size);
  });

  it('parses ids with Redis string2ull rules', () => {
    expect(parseU64('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseU64('18446744073709551616')).toBe(null);
    expect(parseU64('+5')).toBe(5n);
    expect(parseU64(' 6')).toBe(6n);
    expect(parseU64('05')).toBe(5n);
    expect(parseU64('-1')).toBe(null);
    expect(parseU64('')).toBe(null);
    expect(parseId('5', 0n, true, false, false)?.id).toBe(makeId(5n, 0n));
    expect(parseId('5-*', 0n, true, true, false)?.seqGiven).toBe(false);
    expect(parseId('-', 0n, true, false, false)).toBe(null);
  });
});

describe('streams through ioredis', () => {
  const t = useServer();
  it('XADD / XRANGE / XLEN / XDEL', async () => {
    const r: Redis = t.r;
    expect(await r.xadd('s', '1-1', 'a', '1')).toBe('1-1');
    const id = await r.xadd('s', '*', 'b', '2');
    expect(id).toMatch(/^\d+-0$/);
    expect(await r.xlen('s')).toBe(2);
    expect(await r.xrange('s', '-', '+')).toEqual([
      ['1-1', ['a', '1']],
      [id, ['b', '2']],
    ]);
    expect(await r.xdel('s', '1-1')).toBe(1);
    expect(await r.xlen('s')).toBe(1);
    expect(await r.type('s')).toBe('stream');
    expect(await r.object('ENCODING', 's')).toBe('stream');
  });

  it('XADD * takes the current ms, or continues a last id that is not behind it', async () => {
    const r: Redis = t.r;
    const before = Date.now();
    const results = (await r.multi().xadd('auto', '*', 'a', '1').xadd('auto', '*', 'a', '2').xadd('auto', '*', 'a', '3').exec())!;
    const ids = results.map(([, id]) => String(id).split('-').map(BigInt));
    expect(Number(ids[0]![0])).toBeGreaterThanOrEqual(before);
    for (let i = 1; i < ids.length; i++) {
      const [ms, seq] = ids[i]!;
      const [pms, pseq] = ids[i - 1]!;
      expect(ms! > pms! || (ms === pms && seq === pseq! + 1n)).toBe(true);
    }
    // a last id in the future: * continues its sequence, on this stream only
    expect(await r.xadd('future', '99999999999999-5', 'a', '1')).toBe('99999999999999-5');
    expect(await r.xadd('future', '*', 'a', '2')).toBe('99999999999999-6');
    expect(await r.xadd('past', '1-1', 'a', '1')).toBe('1-1');
    const [ms, seq] = String(await r.xadd('past', '*', 'a', '2')).split('-');
    expect(Number(ms)).toBeGreaterThanOrEqual(before);
    expect(seq).toBe('0');
  });
});

/** Runs commands on both servers; replies must match byte for byte. */
async function same(pair: Pair, cmds: string[][]): Promise<void> {
  await expectSame(pair, cmds);
}

const words = (line: string): string[] => line.trim().split(/\s+/);

describe.skipIf(!oracleAvailable)('streams vs Redis', () => {
  const d = useDifferential();

  it('XADD ids, options and errors', async () => {
    await same(d.pair, [
      'xadd s 0-0 a 1',
      'xadd s 0-* a 1',
      'xadd s 0-* a 1',
      'xadd s 0-1 a 1',
      'xadd s - a 1',
      'xadd s + a 1',
      'xadd s 1 a',
      'xadd s maxlen -1 * a 1',
      'xadd s maxlen 1 limit 1 * a 1',
      'xadd s maxlen ~ 1 limit -1 * a 1',
      'xadd s limit 5 * a 1',
      'xadd s maxlen = 1 limit 5 * a 1',
      'xadd s maxlen 1 minid 1 * a 1',
      'xadd s minid 1 maxlen 1 * a 1',
      'xadd s maxlen abc * a 1',
      'xadd s minid abc * a 1',
      'xadd s nomkstream',
      'xadd nos nomkstream maxlen ~ 1 * a 1',
      'exists nos',
      'xadd s 5-* a 1 b 2',
      'xadd s 5-* a 1 b 2',
      'xadd s 5 a 1',
      'xadd s 6 a 1',
      'xadd s +7-08 a 1',
      'xadd s 18446744073709551616 a 1',
      'xadd s 7-18446744073709551616 a 1',
      'xadd s 18446744073709551615-* a 1',
      'xadd s 18446744073709551615-* a 1',
      'xadd s 18446744073709551615-18446744073709551615 a 1',
      'xadd s 18446744073709551615-18446744073709551615 a 1',
      'xadd s 1-1 a 1',
      'xrange s - +',
      'set str x',
      'xadd str 1-1 a 1',
      'xadd str 1-1 a',
      'xadd str foo 1-1 a 1',
      'xlen s',
      'xlen str',
      'xlen nokey',
      'debug digest-value s',
    ].map(words));
  });

  it('XRANGE / XREVRANGE bounds, COUNT and errors', async () => {
    const cmds = [];
    for (let i = 1; i <= 30; i++) cmds.push(words(`xadd s ${i}-${i % 3} f${i % 4} v${i} g ${i * 7}`));
    cmds.push(
      ...[
        'xrange s - +',
        'xrange s - + count 5',
        'xrange s - + count 0',
        'xrange s - + count -1',
        'xrange s - + count',
        'xrange s - + foo 1',
        'xrange s - + count 1 count 3',
        'xrange s 5 10',
        'xrange s (5-2 (10-1',
        'xrange s (5 +',
        'xrange s - (6',
        'xrange s (18446744073709551615-18446744073709551615 +',
        'xrange s - (0-0',
        'xrange s ( +',
        'xrange s (- +',
        'xrange s - (+',
        'xrange s + -',
        'xrevrange s + -',
        'xrevrange s + - count 4',
        'xrevrange s 20 10 count 3',
        'xrevrange s (20 (10',
        'xrevrange s - +',
        'xrange nokey - +',
        'xrange nokey - + count 0',
        'xrange s abc +',
        'xdel s 3-0 4-1 5-2 100-0',
        'xdel s 3-0',
        'xdel s abc',
        'xdel nokey 1-1',
        'xrange s 1 10',
        'xrevrange s 10 1',
        'debug digest-value s',
      ].map(words),
    );
    await same(d.pair, cmds);
  });

  it('node boundaries follow stream-node-max-bytes and -entries (approximate trimming)', async () => {
    const big = 'a'.repeat(1100);
    const cmds: string[][] = [];
    for (let i = 1; i <= 12; i++) cmds.push(['xadd', 'b', `${i}-0`, 'f', big]);
    cmds.push(words('xadd b maxlen ~ 5 13-0 f x'), words('xlen b'), words('xtrim b maxlen ~ 2'), words('xlen b'));
    for (let i = 1; i <= 350; i++) cmds.push(words(`xadd n ${i}-0 field ${i % 7 === 0 ? 'x' + i : String(i)}`));
    cmds.push(
      ...[
        'xtrim n maxlen ~ 290',
        'xlen n',
        'xtrim n maxlen ~ 10 limit 100',
        'xlen n',
        'xtrim n minid ~ 260',
        'xlen n',
        'xtrim n minid 270',
        'xlen n',
        'xrange n - + count 2',
        'xtrim n maxlen = 5',
        'xlen n',
        'xrange n - +',
        'xtrim n maxlen 100',
        'xtrim nokey maxlen 1',
        'xtrim n foo 1',
        'xtrim n maxlen',
        'xtrim n maxlen 1 limit 1',
        'xtrim n minid ~ 0 limit 5 foo',
        'xtrim n limit 5',
        'set str x',
        'xtrim str maxlen 1',
        'xtrim str foo 1',
        'xadd m maxlen = 3 1-0 a 1',
        'xadd m maxlen = 3 2-0 a 1',
        'xadd m maxlen = 3 3-0 a 1',
        'xadd m maxlen = 3 4-0 a 1',
        'xadd m maxlen 0 5-0 a 1',
        'xlen m',
        'exists m',
        'debug digest-value n',
      ].map(words),
    );
    await same(d.pair, cmds);
  });

  it('XSETID', async () => {
    await same(d.pair, [
      'xsetid nokey 1-1',
      'xadd s 5-1 a 1',
      'xsetid s 1-1',
      'xsetid s 5-1 entriesadded 0',
      'xsetid s 1-1 entriesadded 0',
      'xsetid s 5-1 entriesadded -1',
      'xsetid s 5-1 maxdeletedid 6-0',
      'xsetid s 5-1 maxdeletedid 4-0 entriesadded 10',
      'xsetid s 5-1 foo',
      'xsetid s -',
      'xsetid nokey 5-1 maxdeletedid 6-0',
      'xdel s 5-1',
      'xsetid s 1-1',
      'xadd s 2-* a 1',
      'xrange s - +',
    ].map(words));
  });
});

/** Masks clock-dependent integers: absolute ms times, idle times (XINFO CONSUMERS, XPENDING rows). */
function maskTimes(reply: string): string {
  return reply
    .replace(/:\d{13}\r\n/g, ':T\r\n')
    .replace(/(\$4\r\nidle\r\n):\d+\r\n/g, '$1:I\r\n')
    .replace(/(\*4\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, '$1:I\r\n');
}

/** Like expectSame, with clock-dependent fields masked. */
async function sameLoose(pair: Pair, cmds: string[][]): Promise<void> {
  for (const cmd of cmds) {
    const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
    expect(maskTimes(a), `reply to ${JSON.stringify(cmd)}`).toBe(maskTimes(b));
  }
}

const GROUP_SCRIPT = [
  'xgroup create s g $',
  'xgroup create s g $ mkstream',
  'xgroup create s g $ mkstream',
  'xgroup create s g2 0 entriesread',
  'xgroup create s g2 0 entriesread -5',
  'xgroup create s g2 0 entriesread abc',
  'xgroup create s g2 0 foo',
  'xgroup create s g2 abc',
  'xgroup create s g3 0 entriesread 3',
  'xgroup create s g4 0 entriesread -1 mkstream',
  'xgroup setid s nog 0',
  'xgroup setid nokey g 0',
  'xgroup setid s g 0 entriesread 2',
  'xgroup setid s g 0 foo',
  'xgroup setid s g abc',
  'xgroup createconsumer s g c1',
  'xgroup createconsumer s g c1',
  'xgroup createconsumer s nog c1',
  'xgroup createconsumer nokey g c1',
  'xgroup delconsumer s g c1',
  'xgroup delconsumer s g c1',
  'xgroup delconsumer s nog c1',
  'xgroup destroy s g4',
  'xgroup destroy s g4',
  'xgroup destroy nokey g4',
  'xgroup foo',
  'xgroup create s',
  'xgroup help',
  'xgroup help x',
  'xinfo help',
  'xinfo groups s',
  'xinfo consumers s g',
  'xinfo consumers s nog',
  'xinfo groups nokey',
  'xinfo stream nokey',
  'xinfo foo',
  'set str x',
  'xgroup create str g $',
  'xinfo groups str',
  'del s',
  'xadd s 1-0 a 1',
  'xadd s 2-0 a 2',
  'xadd s 3-0 a 3',
  'xgroup create s g 0',
  'xgroup create s g2 $',
  'xgroup create s g3 2-0',
  'xinfo groups s',
  'xreadgroup group g c1 count 1 streams s >',
  'xinfo groups s',
  'xreadgroup group g c1 streams s 0',
  'xreadgroup group g c2 noack streams s >',
  'xpending s g',
  'xpending s g - + 10',
  'xpending s g idle 0 - + 10',
  'xpending s g idle 0 - + 10 c1',
  'xpending s g - + 10 c1',
  'xpending s g - + 10 c2',
  'xpending s g - + 10 nobody',
  'xpending s g - +',
  'xpending s g - + 10 c1 extra',
  'xpending s g idle abc - + 10',
  'xpending s g - + abc',
  'xpending s g - + -5',
  'xpending s g (1-0 + 10',
  'xpending s nog',
  'xpending nokey g',
  'xpending s g idle 0',
  'xpending str g',
  'xdel s 1-0',
  'xreadgroup group g c1 streams s 0',
  'xinfo groups s',
  'xreadgroup group g c1 streams s >',
  'xreadgroup group nog c1 streams s >',
  'xreadgroup group g c1 streams s $',
  'xreadgroup group g c1 streams s',
  'xreadgroup group g c1 streams s nokey > >',
  'xreadgroup group g c1 streams nokey s > >',
  'xreadgroup streams s >',
  'xreadgroup group g streams s >',
  'xreadgroup group g c1 count abc streams s >',
  'xreadgroup group g c1 block abc streams s >',
  'xreadgroup group g c1 block -1 streams s >',
  'xreadgroup group g c1 foo streams s >',
  'xreadgroup group g c1 streams s > extra',
  'xreadgroup group g c1 streams str >',
  'xread streams s >',
  'xread group g c1 streams s 0',
  'xread noack streams s 0',
  'xread count 1 streams s 0',
  'xread streams s nokey 0 0',
  'xread streams s $',
  'xread streams s 1-0 extra',
  'xread streams s abc',
  'xread count 2 streams s',
  'xread foo streams s 0',
  'xread streams str 0',
  'xack s g 1-0 2-0 9-0',
  'xack s g abc',
  'xack nokey g 1-0',
  'xack s nog 1-0',
  'xadd s 4-0 b 4',
  'xadd s 5-0 b 5',
  'xadd s 6-0 b 6',
  'xreadgroup group g c1 count 2 streams s >',
  'xreadgroup group g c3 streams s >',
  'xgroup setid s g 0',
  'xreadgroup group g c2 streams s >',
  'xpending s g - + 100',
  'xinfo groups s',
  'xclaim s g c4 0 4-0 justid',
  'xclaim s g c4 abc 4-0',
  'xclaim s nog c4 abc 4-0',
  'xclaim nokey g c4 0 4-0',
  'xclaim s g c4 0 4-0 idle abc',
  'xclaim s g c4 0 4-0 time abc',
  'xclaim s g c4 0 4-0 retrycount abc',
  'xclaim s g c4 0 4-0 lastid abc',
  'xclaim s g c4 0 4-0 foo',
  'xclaim s g c4 -5 4-0 5-0 retrycount 5 justid',
  'xclaim s g c4 0 6-0',
  'xclaim s g c4 0 2-0 force justid',
  'xclaim s g c4 0 1-0 force',
  'xclaim s g c4 100000 5-0',
  'xclaim s g c4 0 3-0 idle 1000 retrycount 2 lastid 9-0',
  'xpending s g - + 100',
  'xinfo groups s',
  'xautoclaim s g c5 0 0 count 0',
  'xautoclaim s g c5 0 0 count abc',
  'xautoclaim s g c5 0 abc',
  'xautoclaim s g c5 0 (0 count 2 justid',
  'xautoclaim s g c5 0 0 foo',
  'xautoclaim s nog c5 0 0',
  'xautoclaim s nog c5 abc 0',
  'xautoclaim s g c5 abc 0',
  'xautoclaim s g c5 -1 0 count 1',
  'xautoclaim s g c5 100000 0',
  'xdel s 4-0',
  'xautoclaim s g c6 0 0',
  'xpending s g',
  'xinfo consumers s g',
  'xgroup delconsumer s g c6',
  'xpending s g',
  'xinfo stream s',
  'xinfo stream s full',
  'xinfo stream s full count 1',
  'xinfo stream s full count 0',
  'xinfo stream s full count -1',
  'xinfo stream s full count abc',
  'xinfo stream s full foo 1',
  'xinfo stream s foo',
  'xinfo stream s full count',
  'xinfo groups s',
  'xgroup destroy s g',
  'xinfo groups s',
  'xinfo stream s',
];

describe.skipIf(!oracleAvailable)('stream consumer groups vs Redis', () => {
  const d = useDifferential();

  it('RESP2', async () => {
    await sameLoose(d.pair, GROUP_SCRIPT.map(words));
  });

  it('RESP3', async () => {
    await Promise.all([d.pair.ours.call('hello', '3'), d.pair.theirs.call('hello', '3')]);
    try {
      await sameLoose(d.pair, GROUP_SCRIPT.map(words));
    } finally {
      await Promise.all([d.pair.ours.call('hello', '2'), d.pair.theirs.call('hello', '2')]);
    }
  });
});

describe.skipIf(!oracleAvailable)('stream values in generic commands vs Redis', () => {
  const d = useDifferential();

  it('COPY, RENAME, TYPE, OBJECT ENCODING, DEBUG DIGEST and binary fields', async () => {
    await sameLoose(d.pair, [
      ['xadd', 's', '1-1', 'f\u0000\u00ff', 'v\r\n\u0080', '123', '-7'],
      ['xadd', 's', '2-0', 'f\u0000\u00ff', 'x', '123', '9223372036854775808'],
      ['xadd', 's', '3-0', 'other', ''],
      ['xgroup', 'create', 's', 'g', '0'],
      ['xreadgroup', 'group', 'g', 'c', 'count', '2', 'streams', 's', '>'],
      ['copy', 's', 's2'],
      ['xinfo', 'stream', 's2', 'full'],
      ['xrange', 's2', '-', '+'],
      ['debug', 'digest-value', 's', 's2'],
      ['type', 's2'],
      ['object', 'encoding', 's2'],
      ['xack', 's2', 'g', '1-1'],
      ['xpending', 's', 'g'],
      ['xpending', 's2', 'g'],
      ['rename', 's2', 's3'],
      ['xinfo', 'groups', 's3'],
      ['debug', 'digest'],
    ]);
  });
});
