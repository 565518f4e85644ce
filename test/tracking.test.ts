/*
 * Client-side caching (CLIENT TRACKING): the same scenario against tredis and Redis, every byte each
 * connection receives compared (client ids, which differ between servers, are replaced by names), and
 * node-redis's client-side cache seeing invalidations.
 */

import net from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server';
import { oracleAvailable, startOracle, type Oracle } from './helpers/oracle';
import { encodeCommand } from './helpers/raw';
import { startTestServer } from './helpers/server';

/** A raw connection that collects whatever arrives; `take()` returns what came since the last take. */
class Conn {
  private text = '';
  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    sock.on('error', () => {});
  }
  static async open(port: number): Promise<Conn> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    return new Conn(sock);
  }
  send(...args: string[]): void {
    this.sock.write(encodeCommand(args));
  }
  /**
   * What arrived since the last take: waits for something to arrive (up to 2 s) unless `quiet`
   * (nothing is expected), then a little longer for what follows it.
   */
  async take(quiet = false): Promise<string> {
    for (let waited = 0; !quiet && this.text === '' && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    const t = this.text;
    this.text = '';
    return t;
  }
  close(): void {
    this.sock.destroy();
  }
}

/** The scenario: returns a transcript of what each connection received after each step. */
async function scenario(port: number): Promise<string[]> {
  const out: string[] = [];
  const ids = new Map<string, string>();
  const conns: Conn[] = [];
  const open = async (): Promise<Conn> => {
    const c = await Conn.open(port);
    conns.push(c);
    return c;
  };
  const idOf = async (c: Conn, name: string): Promise<string> => {
    c.send('CLIENT', 'ID');
    const id = (await c.take()).slice(1).trim();
    ids.set(id, name);
    return id;
  };
  const note = async (label: string, c: Conn, quiet = false): Promise<void> => {
    let t = await c.take(quiet);
    // integer replies that are client ids (lines ":<id>") are named, as ids differ between servers
    t = t
      .split('\r\n')
      .map((line) => (line.startsWith(':') && ids.has(line.slice(1)) ? `:<${ids.get(line.slice(1))}>` : line))
      .join('\r\n');
    out.push(`${label}: ${t}`);
  };
  try {
    const a = await open();
    const b = await open();
    a.send('HELLO', '3');
    await a.take();
    a.send('CLIENT', 'TRACKING', 'on');
    await note('on', a);
    a.send('GET', 'k');
    await note('get', a);
    a.send('SET', 'k', 'v');
    await note('own write: reply first, then the invalidation', a);
    a.send('GET', 'k');
    await a.take();
    b.send('SET', 'k', 'w');
    await b.take();
    await note('other client wrote', a);
    b.send('SET', 'k', 'x');
    await b.take();
    await note('not read again: no second message', a, true);
    a.send('MGET', 'k', 'k2');
    await a.take();
    b.send('DEL', 'k2');
    await b.take();
    await note('MGET keys tracked', a);
    b.send('FLUSHALL');
    await b.take();
    await note('flush', a);
    a.send('CLIENT', 'TRACKINGINFO');
    await note('info', a);
    a.send('CLIENT', 'GETREDIR');
    await note('getredir', a);

    const c = await open();
    const cid = await idOf(c, 'c');
    const bid = await idOf(b, 'b');
    for (const args of [
      ['CLIENT', 'TRACKING', 'on'],
      ['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'abc'],
      ['CLIENT', 'TRACKING', 'on', 'REDIRECT', cid, 'REDIRECT', bid],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'TRACKING', 'maybe'],
      ['CLIENT', 'TRACKING', 'on', 'FOO'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab'],
      ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'abc'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'OPTIN'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'TRACKING', 'on', 'OPTOUT'],
      ['CLIENT', 'CACHING', 'maybe'],
      ['CLIENT', 'TRACKING', 'off'],
    ]) {
      c.send(...args);
      await note(args.map((x) => ids.get(x) ?? x).join(' '), c);
    }

    // RESP2 with REDIRECT to a subscriber of __redis__:invalidate
    const d = await open();
    const did = await idOf(d, 'd');
    d.send('SUBSCRIBE', '__redis__:invalidate');
    await d.take();
    const e = await open();
    e.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', did);
    await note('redirect on', e);
    e.send('GET', 'x');
    await e.take();
    b.send('SET', 'x', '1');
    await b.take();
    await note('redirected message', d);
    e.send('GET', 'x');
    await e.take();
    b.send('FLUSHDB');
    await b.take();
    await note('redirected flush', d);
    e.send('CLIENT', 'GETREDIR');
    await note('getredir with redirect', e);

    // BCAST with prefixes
    const f = await open();
    f.send('HELLO', '3');
    await f.take();
    f.send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj');
    await note('bcast on', f);
    b.send('MSET', 'user:2', 'a', 'user:1', 'b', 'other', 'c', 'obj', 'd');
    await b.take();
    await note('bcast messages', f);
    f.send('CLIENT', 'TRACKINGINFO');
    await note('bcast info', f);

    // OPTIN
    const g = await open();
    g.send('HELLO', '3');
    await g.take();
    g.send('CLIENT', 'TRACKING', 'on', 'OPTIN');
    await g.take();
    g.send('GET', 'o1');
    await g.take();
    g.send('CLIENT', 'CACHING', 'yes');
    await g.take();
    g.send('GET', 'o2');
    await g.take();
    g.send('GET', 'o3');
    await g.take();
    b.send('MSET', 'o1', '1', 'o2', '2', 'o3', '3');
    await b.take();
    await note('optin: only the key read right after CACHING YES', g);

    // NOLOOP
    const h = await open();
    h.send('HELLO', '3');
    await h.take();
    h.send('CLIENT', 'TRACKING', 'on', 'NOLOOP');
    await h.take();
    h.send('GET', 'nl');
    await h.take();
    h.send('SET', 'nl', '1');
    await note('noloop: no message for its own write', h);
    b.send('SET', 'nl', '2');
    await b.take();
    await note('noloop: not read since, so nothing', h, true);

    // redirect target gone
    const i = await open();
    i.send('HELLO', '3');
    await i.take();
    const j = await open();
    const jid = await idOf(j, 'j');
    i.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', jid);
    await i.take();
    i.send('GET', 'rb');
    await i.take();
    j.close();
    await new Promise((r) => setTimeout(r, 50));
    b.send('SET', 'rb', '1');
    await b.take();
    await note('broken redirect', i);
    i.send('CLIENT', 'TRACKINGINFO');
    await note('broken info', i);
  } finally {
    for (const c of conns) c.close();
  }
  return out;
}

describe.skipIf(!oracleAvailable)('CLIENT TRACKING vs Redis', () => {
  let srv: RunningServer;
  let oracle: Oracle;
  beforeAll(async () => {
    srv = await startTestServer();
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle.close();
    await srv.close();
  });

  it('sends the same invalidations and replies', async () => {
    const ours = await scenario(srv.port);
    const theirs = await scenario(oracle.port);
    expect(ours).toEqual(theirs);
  }, 30000);
});

describe('client-side caching with node-redis', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('a RESP3 client with a client-side cache sees its cached key invalidated', async () => {
    const cached = createClient({ socket: { port: srv.port, host: '127.0.0.1' }, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    const writer = createClient({ socket: { port: srv.port, host: '127.0.0.1' } });
    await cached.connect();
    await writer.connect();
    try {
      await writer.set('csc', 'one');
      expect(await cached.get('csc')).toBe('one');
      expect(await cached.get('csc')).toBe('one'); // from the local cache
      await writer.set('csc', 'two');
      await new Promise((r) => setTimeout(r, 50));
      expect(await cached.get('csc')).toBe('two');
      expect(srv.state.tracking.clients).toBe(1);
    } finally {
      await cached.quit();
      await writer.quit();
    }
  });
});
