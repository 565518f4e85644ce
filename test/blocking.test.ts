/*
 * Blocking list pops (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP) and the blocking framework: scenarios
 * run against tredis and Redis side by side (blocked connections, a writer, then what each blocked
 * connection received, byte for byte), and real-client (ioredis) behaviour: FIFO service, decimal
 * timeouts, 0 = forever, CLIENT UNBLOCK, disconnects, held input, LMOVE chains.
 */

import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from './helpers/oracle';
import { encodeCommand, RawSession } from './helpers/raw';
import { useDifferential, useServer } from './helpers/setup';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 5 s) until the in-process server holds n blocked clients. */
async function untilHeld(state: { blocking: { blockedClients: number } }, n: number): Promise<void> {
  for (let i = 0; i < 500 && state.blocking.blockedClients !== n; i++) await sleep(10);
}

/** blocked_clients from INFO, read raw */
async function blockedClients(s: RawSession): Promise<number> {
  const info = await s.call('INFO', 'clients');
  const m = /blocked_clients:(\d+)/.exec(info);
  return m === null ? -1 : Number(m[1]);
}

/** Waits until the server reports n blocked clients (or gives up after ~2 s). */
async function untilBlocked(s: RawSession, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await blockedClients(s)) === n) return;
    await sleep(10);
  }
  throw new Error(`never reached ${n} blocked clients`);
}

interface Scenario {
  /** commands each blocking connection sends (without waiting), one connection per entry */
  blockers: string[][][];
  /** how many of them end up blocked after sending */
  blocked: number;
  /** the writer's commands, after the blockers blocked */
  then: string[][];
  /** the writer's commands after the blockers' replies were read (state checks) */
  after?: string[][];
  /** writer commands before the blockers connect */
  setup?: string[][];
}

const STILL_BLOCKED = '(still blocked)';

/** Runs a scenario on one server: returns everything every connection received, in order. */
async function run(port: number, sc: Scenario): Promise<string[]> {
  const out: string[] = [];
  const writer = await RawSession.connect(port);
  const blockers: RawSession[] = [];
  // the keyspace events of the whole scenario (served clients' pops and pushes included)
  await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
  const sub = await RawSession.connect(port);
  await sub.call('PSUBSCRIBE', '__key*__:*');
  const changes = async (): Promise<number> =>
    Number(/rdb_changes_since_last_save:(\d+)/.exec(await writer.call('INFO', 'persistence'))?.[1]);
  const changesBefore = await changes();
  try {
    for (const cmd of sc.setup ?? []) out.push(`setup ${cmd.join(' ')} -> ${await writer.call(...cmd)}`);
    let expectBlocked = 0;
    for (const cmds of sc.blockers) {
      const b = await RawSession.connect(port);
      blockers.push(b);
      b.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
      expectBlocked++;
      // let each block before the next, so that the order they blocked in is known
      await untilBlocked(writer, Math.min(expectBlocked, sc.blocked)).catch(() => undefined);
    }
    await untilBlocked(writer, sc.blocked);
    for (const cmd of sc.then) out.push(`${cmd.join(' ')} -> ${await writer.call(...cmd)}`);
    await sleep(30);
    for (let i = 0; i < blockers.length; i++) {
      const replies: string[] = [];
      for (;;) {
        try {
          replies.push(await blockers[i]!.readReply(60));
        } catch {
          break;
        }
      }
      // client ids (in HELLO replies) differ between the servers
      const text = replies.join('').replace(/\$2\r\nid\r\n:\d+/g, '$2\r\nid\r\n:ID');
      out.push(`blocker ${i}: ${replies.length === 0 ? STILL_BLOCKED : text}`);
    }
    for (const cmd of sc.after ?? []) out.push(`${cmd.join(' ')} -> ${await writer.call(...cmd)}`);
    for (;;) {
      try {
        out.push(`event ${await sub.readReply(60)}`);
      } catch {
        break;
      }
    }
    out.push(`changes counted: ${(await changes()) - changesBefore}`);
  } finally {
    await writer.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    for (const b of blockers) b.close();
    sub.close();
    writer.close();
  }
  return out;
}

describe.skipIf(!oracleAvailable)('blocking pops vs Redis (scenarios)', () => {
  const d = useDifferential();

  async function same(sc: Scenario): Promise<string[]> {
    const ours = await run(d.srv.port, sc);
    const theirs = await run(d.oracle.port, sc);
    expect(ours).toEqual(theirs);
    return ours;
  }

  it('one push serves several blocked clients, oldest first, one element each', async () => {
    const out = await same({
      blockers: [[['BLPOP', 'q', '0']], [['BRPOP', 'q', '0']], [['BLPOP', 'q', '0']]],
      blocked: 3,
      then: [['LPUSH', 'q', 'a', 'b'], ['LLEN', 'q']],
      after: [['RPUSH', 'q', 'c'], ['EXISTS', 'q']],
    });
    expect(out.join('\n')).toContain(STILL_BLOCKED);
  });

  it('a push of three elements to three waiters', async () => {
    await same({
      blockers: [[['BLPOP', 'q', '0']], [['BLPOP', 'q', '0']], [['BLMPOP', '0', '1', 'q', 'RIGHT', 'COUNT', '5']]],
      blocked: 3,
      then: [['RPUSH', 'q', 'a', 'b', 'c', 'd', 'e'], ['LRANGE', 'q', '0', '-1']],
    });
  });

  it('several keys: the one pushed serves; BLMPOP takes up to COUNT', async () => {
    await same({
      blockers: [[['BLPOP', 'a', 'b', '0']], [['BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2']]],
      blocked: 2,
      then: [['RPUSH', 'b', '1', '2', '3', '4']],
      after: [['LRANGE', 'b', '0', '-1']],
    });
  });

  it('pushes inside MULTI serve after EXEC, in the order the keys were made ready', async () => {
    await same({
      blockers: [[['BLPOP', 'a', 'b', '0']], [['BLPOP', 'a', '0']]],
      blocked: 2,
      then: [['MULTI'], ['RPUSH', 'b', 'x', 'y'], ['RPUSH', 'a', 'z'], ['LPOP', 'b'], ['EXEC']],
      after: [['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1']],
    });
  });

  it('a list emptied again inside the same transaction serves nobody', async () => {
    await same({
      blockers: [[['BLPOP', 'k', '0']]],
      blocked: 1,
      then: [['MULTI'], ['RPUSH', 'k', 'a'], ['DEL', 'k'], ['EXEC'], ['INFO', 'keyspace']],
    });
  });

  it('a key that became another type leaves the client blocked (Redis 7.0)', async () => {
    await same({
      blockers: [[['BLPOP', 'k', '0']]],
      blocked: 1,
      then: [['MULTI'], ['LPUSH', 'k', 'a'], ['DEL', 'k'], ['SET', 'k', 'str'], ['EXEC'], ['TYPE', 'k']],
    });
    await same({
      blockers: [[['BLPOP', 'k2', '0']]],
      blocked: 1,
      then: [['SET', 'k2', 'x'], ['DEL', 'k2'], ['RPUSH', 'k2', 'v']],
    });
  });

  it('a sorted set pushed under a key a list pop waits on does not serve it, nor the reverse', async () => {
    await same({
      blockers: [[['BLPOP', 'k', '0']], [['BZPOPMIN', 'k', '0']]],
      blocked: 2,
      then: [['ZADD', 'k', '1', 'm'], ['DEL', 'k'], ['RPUSH', 'k', 'v']],
    });
  });

  it('FLUSHALL leaves blocked clients blocked; a later push serves them', async () => {
    await same({
      blockers: [[['BLPOP', 'k', '0']]],
      blocked: 1,
      then: [['FLUSHALL'], ['FLUSHDB']],
    });
    await same({
      blockers: [[['BLPOP', 'k', '0']]],
      blocked: 1,
      then: [['FLUSHALL'], ['RPUSH', 'k', 'v']],
    });
  });

  it('SWAPDB serves clients blocked on keys the other db holds as lists', async () => {
    await same({
      setup: [['SELECT', '1'], ['RPUSH', 'q', 'v1', 'v2'], ['ZADD', 'z', '1', 'm']],
      blockers: [[['BLPOP', 'q', '0']], [['BLPOP', 'z', '0']]],
      blocked: 2,
      then: [['SWAPDB', '0', '1'], ['LRANGE', 'q', '0', '-1']],
    });
  });

  it('a client blocked in db 1 is not served by a push in db 0', async () => {
    await same({
      blockers: [[['SELECT', '1'], ['BLPOP', 'q', '0']]],
      blocked: 1,
      then: [['RPUSH', 'q', 'v'], ['SELECT', '1'], ['RPUSH', 'q', 'w'], ['LLEN', 'q']],
    });
  });

  it('BLMOVE chains hand one element along; BRPOPLPUSH rotates', async () => {
    await same({
      blockers: [
        [['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0']],
        [['BRPOPLPUSH', 'b', 'c', '0']],
        [['BLMOVE', 'c', 'd', 'RIGHT', 'LEFT', '0']],
        [['BLPOP', 'd', '0']],
      ],
      blocked: 4,
      then: [['RPUSH', 'a', 'x', 'y']],
      after: [['LRANGE', 'a', '0', '-1'], ['EXISTS', 'b', 'c', 'd']],
    });
  });

  it('BLMOVE to a key of the wrong type gets WRONGTYPE when served and leaves the element', async () => {
    await same({
      blockers: [[['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0']], [['BLPOP', 'src', '0']]],
      blocked: 2,
      then: [['SET', 'dst', 'str'], ['RPUSH', 'src', 'x']],
      after: [['LRANGE', 'src', '0', '-1']],
    });
  });

  it('RPOPLPUSH and LMOVE into a key clients wait on serve them', async () => {
    await same({
      setup: [['RPUSH', 's', '1', '2', '3']],
      blockers: [[['BLPOP', 'd', '0']], [['BRPOP', 'e', '0']]],
      blocked: 2,
      then: [['RPOPLPUSH', 's', 'd'], ['LMOVE', 's', 'e', 'LEFT', 'RIGHT'], ['LLEN', 's']],
    });
  });

  it('RESP3 clients get RESP3 replies when served', async () => {
    await same({
      blockers: [
        [['HELLO', '3'], ['BLPOP', 'q', '0']],
        [['HELLO', '3'], ['BLMPOP', '0', '1', 'q', 'LEFT', 'COUNT', '2']],
        [['HELLO', '3'], ['BLMOVE', 'q', 'd', 'RIGHT', 'LEFT', '0']],
      ],
      blocked: 3,
      then: [['RPUSH', 'q', '1', '2', '3', '4', '5']],
    });
  });

  it('a served pop or move breaks WATCH on the keys it changed', async () => {
    const collect = async (port: number): Promise<string[]> => {
      const out: string[] = [];
      const watcher = await RawSession.connect(port);
      const w = await RawSession.connect(port);
      const b = await RawSession.connect(port);
      try {
        await w.call('RPUSH', 'other', 'v');
        out.push(await watcher.call('WATCH', 'd'));
        b.write(encodeCommand(['BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0']));
        await untilBlocked(w, 1);
        out.push(await w.call('RPUSH', 's', 'x'));
        out.push(await b.readReply());
        out.push(await watcher.call('MULTI'));
        out.push(await watcher.call('LLEN', 'd'));
        out.push(await watcher.call('EXEC'));
        await w.call('DEL', 's', 'd', 'other');
        return out;
      } finally {
        for (const x of [watcher, w, b]) x.close();
      }
    };
    expect(await collect(d.srv.port)).toEqual(await collect(d.oracle.port));
  });

  it('timeouts: decimals and rounding up to whole ms; the replies of each command in RESP2 and RESP3', async () => {
    const collect = async (port: number): Promise<string[]> => {
      const s = await RawSession.connect(port);
      try {
        const out: string[] = [];
        out.push(await s.call('BLPOP', 'none', '0.05'));
        out.push(await s.call('BRPOPLPUSH', 'none', 'dst', '1e-10'));
        out.push(await s.call('BLMOVE', 'none', 'dst', 'LEFT', 'LEFT', '0x1p-4'));
        out.push(await s.call('BLMPOP', '.05', '1', 'none', 'LEFT'));
        await s.call('HELLO', '3');
        out.push(await s.call('BLPOP', 'none', '0.05'));
        out.push(await s.call('BRPOPLPUSH', 'none', 'dst', '0.01'));
        out.push(await s.call('BLMPOP', '0.01', '1', 'none', 'LEFT'));
        return out;
      } finally {
        s.close();
      }
    };
    expect(await collect(d.srv.port)).toEqual(await collect(d.oracle.port));
  });

  it('timeout argument errors and edge values', async () => {
    const args = ['-1', 'abc', '1e300', 'inf', '-inf', 'nan', ' 1', '1 ', '9223372036854775807', '1e5000', '1e-5000', ''];
    const collect = async (port: number): Promise<string[]> => {
      const s = await RawSession.connect(port);
      try {
        const out: string[] = [];
        for (const a of args) {
          out.push(await s.call('BLPOP', 'none', a));
          out.push(await s.call('BLMOVE', 'none', 'x', 'LEFT', 'LEFT', a));
          out.push(await s.call('BLMPOP', a, '1', 'none', 'LEFT'));
        }
        return out;
      } finally {
        s.close();
      }
    };
    expect(await collect(d.srv.port)).toEqual(await collect(d.oracle.port));
  });

  it('a timeout too large to fit with the clock blocks for ever; a negative zero is 0 (for ever)', async () => {
    await same({
      blockers: [[['BLPOP', 'k', '9223372036854775']], [['BLPOP', 'k', '-0.0001']], [['BLPOP', 'k', '0x10']]],
      blocked: 3,
      then: [['RPUSH', 'k', 'a', 'b', 'c']],
    });
  });

  it('commands pipelined after a blocking one, and input sent while blocked, wait until it is served', async () => {
    for (const port of [d.srv.port, d.oracle.port]) {
      const b = await RawSession.connect(port);
      const w = await RawSession.connect(port);
      try {
        b.write(Buffer.concat([encodeCommand(['BLPOP', 'q', '0']), encodeCommand(['ECHO', 'first'])]));
        await untilBlocked(w, 1);
        b.write(Buffer.concat([encodeCommand(['ECHO', 'later']), encodeCommand(['LLEN', 'q'])]));
        await expect(b.readReply(80)).rejects.toThrow('timeout');
        expect(await w.call('RPUSH', 'q', 'x', 'y')).toBe(':2\r\n');
        expect(await b.readReply()).toBe('*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
        expect(await b.readReply()).toBe('$5\r\nfirst\r\n');
        expect(await b.readReply()).toBe('$5\r\nlater\r\n');
        expect(await b.readReply()).toBe(':1\r\n');
      } finally {
        b.close();
        w.close();
      }
    }
  });

  it('CLIENT UNBLOCK: TIMEOUT answers the timeout reply, ERROR the UNBLOCKED error; CLIENT LIST flag b', async () => {
    const collect = async (port: number): Promise<string[]> => {
      const out: string[] = [];
      const w = await RawSession.connect(port);
      const cmds = [
        ['BLPOP', 'none', '0'],
        ['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0'],
        ['BRPOPLPUSH', 'none', 'x', '0'],
        ['BLMPOP', '0', '1', 'none', 'LEFT'],
      ];
      try {
        for (const how of ['TIMEOUT', 'ERROR']) {
          for (const cmd of cmds) {
            const b = await RawSession.connect(port);
            try {
              const id = /:(\d+)/.exec(await b.call('CLIENT', 'ID'))![1]!;
              b.write(encodeCommand(cmd));
              await untilBlocked(w, 1);
              const line = await w.call('CLIENT', 'LIST', 'ID', id);
              out.push(/flags=(\S+)/.exec(line)![1]! + ' ' + /cmd=(\S+)/.exec(line)![1]!);
              out.push(await w.call('CLIENT', 'UNBLOCK', id, how));
              out.push(await b.readReply());
              out.push(await w.call('CLIENT', 'UNBLOCK', id, how));
              out.push(await b.call('PING'));
            } finally {
              b.close();
            }
          }
        }
        out.push(await w.call('CLIENT', 'UNBLOCK', '999999'));
        return out;
      } finally {
        w.close();
      }
    };
    expect(await collect(d.srv.port)).toEqual(await collect(d.oracle.port));
  });

  it('INFO blocked_clients and clients_in_timeout_table; a client held by CLIENT PAUSE counts as blocked (flag b)', async () => {
    const collect = async (port: number): Promise<string[]> => {
      const out: string[] = [];
      const w = await RawSession.connect(port);
      const b1 = await RawSession.connect(port);
      const b2 = await RawSession.connect(port);
      const p = await RawSession.connect(port);
      const fields = async (): Promise<string> => {
        const info = await w.call('INFO', 'clients');
        return /blocked_clients:\d+/.exec(info)![0] + ' ' + /clients_in_timeout_table:\d+/.exec(info)![0];
      };
      try {
        b1.write(encodeCommand(['BLPOP', 'k', '0']));
        b2.write(encodeCommand(['BLPOP', 'k', '30']));
        await untilBlocked(w, 2);
        out.push(await fields());
        await w.call('CLIENT', 'PAUSE', '300', 'WRITE');
        p.write(encodeCommand(['SET', 'pk', '1']));
        await untilBlocked(w, 3);
        out.push(await fields());
        const list = await w.call('CLIENT', 'LIST');
        out.push(list.split('\n').filter((l) => /flags=\S*b/.test(l)).length + ' clients with flag b');
        await w.call('CLIENT', 'UNPAUSE');
        out.push(await p.readReply());
        out.push(await w.call('RPUSH', 'k', 'a', 'b'));
        out.push(await b1.readReply());
        out.push(await b2.readReply());
        await untilBlocked(w, 0);
        out.push(await fields());
        await w.call('DEL', 'pk');
        return out;
      } finally {
        for (const x of [w, b1, b2, p]) x.close();
      }
    };
    expect(await collect(d.srv.port)).toEqual(await collect(d.oracle.port));
  });

  it('INFO blocked_clients counts blocked clients and drops those that disconnect', async () => {
    for (const port of [d.srv.port, d.oracle.port]) {
      const w = await RawSession.connect(port);
      const bs = await Promise.all([0, 1, 2].map(() => RawSession.connect(port)));
      try {
        for (const b of bs) b.write(encodeCommand(['BLPOP', 'k', '0']));
        await untilBlocked(w, 3);
        bs[1]!.close();
        await untilBlocked(w, 2);
        expect(await w.call('RPUSH', 'k', 'a', 'b', 'c')).toBe(':3\r\n');
        expect(await bs[0]!.readReply()).toBe('*2\r\n$1\r\nk\r\n$1\r\na\r\n');
        expect(await bs[2]!.readReply()).toBe('*2\r\n$1\r\nk\r\n$1\r\nb\r\n');
        await untilBlocked(w, 0);
        expect(await w.call('LRANGE', 'k', '0', '-1')).toBe('*1\r\n$1\r\nc\r\n');
        await w.call('DEL', 'k');
      } finally {
        for (const b of bs) b.close();
        w.close();
      }
    }
  });
});

describe('blocking pops (ioredis)', () => {
  const t = useServer();

  function client(): Redis {
    return new Redis({ port: t.srv.port, host: '127.0.0.1' });
  }

  it('serves blocked clients in the order they blocked, one element each', async () => {
    const waiters = [client(), client(), client()];
    try {
      const results: Promise<[string, string] | null>[] = [];
      // each blocks before the next one asks (a loaded machine may connect them out of order)
      for (const w of waiters) {
        results.push(w.blpop('q', 0));
        await untilHeld(t.srv.state, results.length);
      }
      expect(t.srv.state.blocking.blockedClients).toBe(3);
      await t.r.rpush('q', 'one', 'two');
      expect(await results[0]).toEqual(['q', 'one']);
      expect(await results[1]).toEqual(['q', 'two']);
      await t.r.lpush('q', 'three');
      expect(await results[2]).toEqual(['q', 'three']);
      expect(await t.r.exists('q')).toBe(0);
    } finally {
      for (const w of waiters) w.disconnect();
    }
  });

  it('times out with decimals (null), and 0 waits for ever', async () => {
    const w = client();
    const f = client();
    try {
      const start = Date.now();
      expect(await w.blpop('none', 0.2)).toBeNull();
      const took = Date.now() - start;
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(1500);
      expect(await w.brpoplpush('none', 'dst', 0.05)).toBeNull();
      expect(await w.blmove('none', 'dst', 'LEFT', 'RIGHT', 0.05)).toBeNull();
      let done = false;
      const forever = f.brpop('later', 0).then((v) => {
        done = true;
        return v;
      });
      await sleep(400);
      expect(done).toBe(false);
      await t.r.rpush('later', 'v');
      expect(await forever).toEqual(['later', 'v']);
    } finally {
      w.disconnect();
      f.disconnect();
    }
  });

  it('a timeout longer than a timer can hold does not fire early', async () => {
    const w = client();
    try {
      let done = false;
      const p = w.blpop('far', 3e6).then((v) => {
        done = true;
        return v;
      });
      await sleep(150);
      expect(done).toBe(false);
      await t.r.rpush('far', 'v');
      expect(await p).toEqual(['far', 'v']);
    } finally {
      w.disconnect();
    }
  });

  it('CLIENT UNBLOCK with TIMEOUT and ERROR', async () => {
    const w = client();
    try {
      const id = Number(await w.client('ID'));
      const p1 = w.blpop('none', 0);
      await sleep(30);
      expect(await t.r.client('UNBLOCK', id, 'TIMEOUT')).toBe(1);
      expect(await p1).toBeNull();
      const p2 = w.blpop('none', 0);
      await sleep(30);
      expect(await t.r.client('UNBLOCK', id, 'ERROR')).toBe(1);
      await expect(p2).rejects.toThrow('UNBLOCKED client unblocked via CLIENT UNBLOCK');
      expect(await t.r.client('UNBLOCK', id)).toBe(0);
      expect(await w.ping()).toBe('PONG');
    } finally {
      w.disconnect();
    }
  });

  it('a client that disconnects while blocked is forgotten; the next one gets the element', async () => {
    const gone = await RawSession.connect(t.srv.port);
    gone.write(encodeCommand(['BLPOP', 'q', '0']));
    await untilHeld(t.srv.state, 1);
    const w = client();
    try {
      const p = w.blpop('q', 0);
      await untilHeld(t.srv.state, 2);
      gone.close();
      await untilHeld(t.srv.state, 1);
      await t.r.rpush('q', 'x');
      expect(await p).toEqual(['q', 'x']);
      expect(t.srv.state.blocking.blockedClients).toBe(0);
      expect(await t.r.llen('q')).toBe(0);
    } finally {
      w.disconnect();
    }
  });

  it('a push inside MULTI wakes a blocked client only after EXEC; BLMOVE chains hand elements on', async () => {
    const w1 = client();
    const w2 = client();
    try {
      const chain = w1.blmove('a', 'b', 'LEFT', 'LEFT', 0);
      const end = w2.blpop('b', 0);
      await sleep(30);
      const tx = t.r.multi().rpush('a', 'v').llen('a');
      expect(await tx.exec()).toEqual([
        [null, 1],
        [null, 1],
      ]);
      expect(await chain).toBe('v');
      expect(await end).toEqual(['b', 'v']);
    } finally {
      w1.disconnect();
      w2.disconnect();
    }
  });

  it('inside MULTI the blocking forms answer at once as on timeout', async () => {
    const tx = t.r.multi().blpop('none', 0).brpoplpush('none', 'x', 0).blmove('none', 'x', 'LEFT', 'LEFT', 0).call('BLMPOP', '0', '1', 'none', 'LEFT');
    expect(await tx.exec()).toEqual([
      [null, null],
      [null, null],
      [null, null],
      [null, null],
    ]);
  });

  it('a BLMPOP served by a push gets up to COUNT elements; the rest stays', async () => {
    const w = client();
    try {
      const p = w.call('BLMPOP', '0', '2', 'x', 'y', 'LEFT', 'COUNT', '3');
      await sleep(30);
      await t.r.rpush('y', '1', '2', '3', '4', '5');
      expect(await p).toEqual(['y', ['1', '2', '3']]);
      expect(await t.r.lrange('y', 0, -1)).toEqual(['4', '5']);
    } finally {
      w.disconnect();
    }
  });
});
