/*
 * Comparing replies whose order Redis leaves unspecified (SMEMBERS, HGETALL of a hashtable-encoded
 * hash, SUNION, ...): both servers' raw replies are decoded and their elements (or field/value
 * pairs) sorted before comparing, so only the reply type, the count and the contents must match.
 */
import { expect } from 'vitest';
import type { Pair } from './diff';
import { decodeReply, type Reply } from './resp';

/**
 * 'elements': sort the top-level items; 'pairs': sort consecutive (field, value) pairs / map entries;
 * 'scan': a *SCAN reply (cursor, items) with its items sorted.
 */
export type Unordered = 'elements' | 'pairs' | 'scan';

function show(r: Reply): string {
  return JSON.stringify(r);
}

/** A canonical text of a raw reply with its top-level items sorted as `how` says. */
export function canonical(raw: string, how: Unordered): string {
  const { reply } = decodeReply(Buffer.from(raw, 'latin1'));
  if (!Array.isArray(reply.v)) return show(reply);
  const items = reply.v;
  if (how === 'scan') {
    const list = items[1]!;
    const inner = Array.isArray(list.v) ? list.v.map(show).sort() : [];
    return show(items[0]!) + JSON.stringify(inner);
  }
  if (how === 'elements') return reply.t + JSON.stringify(items.map(show).sort());
  const pairs: string[] = [];
  for (let i = 0; i < items.length; i += 2) pairs.push(show(items[i]!) + ' ' + show(items[i + 1]!));
  return reply.t + JSON.stringify(pairs.sort());
}

/** Runs cmd on both servers and expects the same reply up to the order of its items. */
export async function expectSameUnordered(pair: Pair, cmd: string[], how: Unordered): Promise<void> {
  const [a, b] = await Promise.all([pair.ours.call(...cmd), pair.theirs.call(...cmd)]);
  expect(canonical(a, how), `reply to ${JSON.stringify(cmd)}`).toBe(canonical(b, how));
}
