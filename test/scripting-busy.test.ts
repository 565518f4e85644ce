/*
 * Scripts past busy-reply-threshold, vs Redis 7.0. The server runs in this process and a busy script
 * blocks its event loop, so the clients run in a child process (plain node, raw RESP): connections
 * opened before the script starts send commands while it loops and record the replies. The same
 * client script runs against tredis and against the oracle and the transcripts must be equal:
 * -BUSY for other commands, MULTI/DISCARD allowed, SCRIPT KILL / FUNCTION KILL (and each one's BUSY
 * for the other kind), FUNCTION STATS while a function runs, UNKILLABLE after a write, and SHUTDOWN
 * NOSAVE ending the script and the server.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle } from './helpers/oracle';
import { startTestServer } from './helpers/server';

const CLIENT = String.raw`
import net from 'node:net';
const port = Number(process.argv[2]);
const out = [];
function conn() {
  const s = net.connect(port, '127.0.0.1');
  let buf = '';
  let wake = null;
  s.setEncoding('latin1');
  s.on('data', (d) => { buf += d; if (wake) wake(); });
  s.on('error', () => {});
  const read = async (ms = 8000) => {
    const t0 = Date.now();
    while (!buf.includes('\r\n') && Date.now() - t0 < ms) await new Promise((r) => { wake = r; setTimeout(r, 50); });
    await new Promise((r) => setTimeout(r, 20));
    const b = buf; buf = ''; return b;
  };
  const send = (...args) => {
    let o = '*' + args.length + '\r\n';
    for (const a of args) o += '$' + Buffer.byteLength(a) + '\r\n' + a + '\r\n';
    s.write(o);
  };
  const call = async (...args) => { send(...args); return read(); };
  return { s, send, read, call, ready: new Promise((r) => s.on('connect', r)) };
}
const a = conn(), b = conn(), c = conn();
await Promise.all([a.ready, b.ready, c.ready]);
const log = (label, reply) => out.push(label + ' ' + JSON.stringify(reply.replace(/duration_ms\r\n:\d+/, 'duration_ms\r\n:N')));
log('config', await b.call('CONFIG', 'SET', 'busy-reply-threshold', '100'));
log('load', await b.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=busylib\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)"));
const spin = 'local i = 0 while true do i = i + 1 end';
const wspin = "redis.call('set', KEYS[1], 'v') local i = 0 while true do i = i + 1 end";
const pause = () => new Promise((r) => setTimeout(r, 300));

a.send('EVAL', spin, '0');
await pause();
for (const cmd of [['GET', 'x'], ['PING'], ['FUNCTION', 'STATS'], ['FUNCTION', 'KILL'], ['MULTI'], ['SET', 'k', 'v'], ['DISCARD'], ['SHUTDOWN'], ['SCRIPT', 'KILL']]) {
  log('eval: ' + cmd.join(' '), await b.call(...cmd));
}
log('eval caller', await a.read());
log('after', await b.call('PING'));

a.send('FCALL', 'spin', '0');
await pause();
for (const cmd of [['GET', 'x'], ['SCRIPT', 'KILL'], ['FUNCTION', 'STATS'], ['FUNCTION', 'KILL']]) {
  log('fcall: ' + cmd.join(' '), await b.call(...cmd));
}
log('fcall caller', await a.read());

a.send('EVAL', wspin, '1', 'w');
await pause();
for (const cmd of [['GET', 'w'], ['SCRIPT', 'KILL'], ['FUNCTION', 'KILL']]) {
  log('write: ' + cmd.join(' '), await b.call(...cmd));
}
c.send('SHUTDOWN', 'NOSAVE');
log('write caller', await a.read(3000));
log('shutdown caller', await c.read(3000));
console.log(JSON.stringify(out));
process.exit(0);
`;

function runClient(port: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tredis-busy-'));
  const file = path.join(dir, 'client.mjs');
  writeFileSync(file, CLIENT);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', () => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as string[]);
      } catch {
        reject(new Error(`client failed: ${stdout} ${stderr}`));
      }
    });
  });
}

describe.skipIf(!oracleAvailable)('busy scripts vs Redis', () => {
  it('BUSY replies, SCRIPT/FUNCTION KILL, UNKILLABLE and SHUTDOWN NOSAVE as Redis', async () => {
    const srv = await startTestServer();
    const oracle = await startOracle();
    try {
      const ours = await runClient(srv.port);
      const theirs = await runClient(oracle.port);
      expect(theirs.some((l) => l.includes('-BUSY'))).toBe(true);
      expect(ours).toEqual(theirs);
    } finally {
      // both ended with SHUTDOWN NOSAVE: an exit already seen is not awaited again
      await Promise.race([oracle.close(), new Promise((r) => setTimeout(r, 1000))]);
      await Promise.race([srv.close(), new Promise((r) => setTimeout(r, 1000))]);
    }
  }, 60_000);
});
