/*
 * CommandBuffer (src/protocol/command-buffer.ts) encodes the replication stream and the AOF: its
 * bytes must equal the string encoding byte for byte, and a view it handed out must stay as it was
 * while later commands are written and the buffer grows.
 */

import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../src/propagation';
import { CommandBuffer } from '../src/protocol/command-buffer';
import { seededRandom, testSeed } from './helpers/setup';

function randomArg(rand: () => number): string {
  const sizes = [0, 1, 9, 10, 99, 100, 101, 31, 32, 33, 999, 1000, 70000];
  const n = rand() < 0.7 ? Math.floor(rand() * 40) : sizes[Math.floor(rand() * sizes.length)]!;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
  return s;
}

describe('CommandBuffer', () => {
  it('encodes exactly as encodeCommand, binary arguments and every length class included', () => {
    const rand = seededRandom(testSeed());
    const b = new CommandBuffer();
    let expected = '';
    for (let i = 0; i < 2000; i++) {
      const argv = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => randomArg(rand));
      b.command(argv);
      expected += encodeCommand(argv);
      if (rand() < 0.05) {
        b.text('#TS:1700000000\r\n');
        expected += '#TS:1700000000\r\n';
      }
    }
    expect(b.length).toBe(expected.length);
    expect(b.take().toString('latin1')).toBe(expected);
    expect(b.length).toBe(0);
  });

  it('never overwrites a view it handed out, across growth', () => {
    const b = new CommandBuffer();
    b.command(['SET', 'a', '1']);
    const first = b.take();
    const firstCopy = Buffer.from(first);
    const views: [Buffer, Buffer][] = [];
    let sinceTake = '';
    for (let i = 0; i < 300; i++) {
      // 10 KB arguments outgrow the backing buffer several times
      const argv = ['SET', `key${i}`, String.fromCharCode(i % 256).repeat(10000)];
      b.command(argv);
      sinceTake += encodeCommand(argv);
      if (i % 3 === 0) {
        const view = b.take();
        expect(view.toString('latin1')).toBe(sinceTake);
        sinceTake = '';
        views.push([view, Buffer.from(view)]);
      }
    }
    expect(first.equals(firstCopy)).toBe(true);
    for (const [view, copy] of views) expect(view.equals(copy)).toBe(true);
  });

  it('peek leaves the bytes for the next take; bytes() copies a range', () => {
    const b = new CommandBuffer();
    b.bytes(Buffer.from('xxhello worldxx'), 2, 13);
    expect(b.peek().toString()).toBe('hello world');
    expect(b.peek().toString()).toBe('hello world');
    expect(b.take().toString()).toBe('hello world');
    expect(b.peek().length).toBe(0);
  });
});
