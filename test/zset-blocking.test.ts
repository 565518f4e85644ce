/*
 * BZPOPMIN, BZPOPMAX, BZMPOP: immediate answers and errors against Redis (RESP2 and RESP3), and
 * clients woken by ZADD in blocking order.
 */

import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { expectSame } from './helpers/diff';
import { oracleAvailable } from './helpers/oracle';
import { useDifferential, useServer } from './helpers/setup';

describe.skipIf(!oracleAvailable)('blocking sorted-set pops vs Redis', () => {
  const d = useDifferential();

  it('answers as Redis when they need not block', async () => {
    const cases = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['BZPOPMIN', 'nokey', 'z', '0'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '2', 'nokey', 'z', 'MIN', 'COUNT', '5'],
      ['EXISTS', 'z'],
      ['BZPOPMIN', 'z', '-1'],
      ['BZPOPMIN', 'z', 'x'],
      ['BZMPOP', '0', '0', 'z', 'MIN'],
      ['BZMPOP', '0', '1', 'z', 'MIDDLE'],
      ['SET', 's', 'v'],
      ['BZPOPMIN', 's', '0'],
      ['BZPOPMIN', 'nokey', '0.01'],
      ['BZMPOP', '0.01', '1', 'nokey', 'MAX'],
      ['MULTI'],
      ['BZPOPMIN', 'nokey', '0'],
      ['BZMPOP', '0', '1', 'nokey', 'MIN'],
      ['EXEC'],
    ];
    await expectSame(d.pair, cases);
    await d.pair.ours.call('HELLO', '3');
    await d.pair.theirs.call('HELLO', '3');
    await d.pair.ours.call('FLUSHALL');
    await d.pair.theirs.call('FLUSHALL');
    await expectSame(d.pair, cases);
  });
});

describe('blocking sorted-set pops', () => {
  const t = useServer();

  it('ZADD wakes the clients in blocking order', async () => {
    const w1 = new Redis({ port: t.srv.port, host: '127.0.0.1' });
    const w2 = new Redis({ port: t.srv.port, host: '127.0.0.1' });
    try {
      const first = w1.bzpopmin('z', 0);
      await new Promise((r) => setTimeout(r, 20));
      const second = w2.call('BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2');
      await new Promise((r) => setTimeout(r, 20));
      await t.r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
      expect(await first).toEqual(['z', 'a', '1']);
      expect(await second).toEqual(['z', [['c', '3'], ['b', '2']]]);
      expect(await t.r.exists('z')).toBe(0);
    } finally {
      w1.disconnect();
      w2.disconnect();
    }
  });
});
