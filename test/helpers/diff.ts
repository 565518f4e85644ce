/*
 * Differential testing: run the same command sequence against tredis and the oracle over raw
 * sockets and compare the reply bytes exactly.
 */

import { expect } from 'vitest';
import { RawSession } from './raw';

export interface Pair {
  ours: RawSession;
  theirs: RawSession;
}

export async function connectPair(ourPort: number, theirPort: number): Promise<Pair> {
  return { ours: await RawSession.connect(ourPort), theirs: await RawSession.connect(theirPort) };
}

/** Runs each command on both and expects byte-identical replies. */
export async function expectSame(pair: Pair, commands: (string | Buffer)[][]): Promise<void> {
  for (const cmd of commands) {
    const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
    expect(a, `reply to ${JSON.stringify(cmd.map(String))}`).toBe(b);
  }
}

export function closePair(pair: Pair): void {
  pair.ours.close();
  pair.theirs.close();
}
