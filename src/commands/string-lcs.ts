/*
 * LCS: the longest common subsequence of two string values, with LEN, IDX, MINMATCHLEN and
 * WITHMATCHLEN, as Redis 7.0 computes it: the classic dynamic-programming table, walked back from the
 * end to produce the string and the matching ranges (last range first), so the ranges and the
 * tie-breaking between equally long answers are the same as Redis's.
 *
 * LEN alone needs no walk back, so it keeps two rows instead of the whole table (but refuses the same
 * sizes Redis refuses: a table over proto-max-bulk-len bytes).
 */

import { ERR_NOT_INT, ERR_SYNTAX, is, parseInt64 } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { ServerState } from '../state';
import { str } from './string-common';

function lcsLength(a: string, b: string): number {
  const blen = b.length;
  let prev = new Uint32Array(blen + 1);
  let cur = new Uint32Array(blen + 1);
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) cur[j] = prev[j - 1]! + 1;
      else {
        const x = prev[j]!;
        const y = cur[j - 1]!;
        cur[j] = x > y ? x : y;
      }
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[blen]!;
}

function lcsCommand(c: Client, argv: string[], s: ServerState): void {
  const va = s.readKey(c, argv[1]!);
  const vb = s.readKey(c, argv[2]!);
  if (typeof va === 'object' || typeof vb === 'object') {
    c.error('ERR The specified keys must contain string values');
    return;
  }
  const a = va === undefined ? '' : str(va);
  const b = vb === undefined ? '' : str(vb);
  let getidx = false;
  let getlen = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const more = argv.length - 1 - j;
    if (is(opt, 'idx')) getidx = true;
    else if (is(opt, 'len')) getlen = true;
    else if (is(opt, 'withmatchlen')) withmatchlen = true;
    else if (is(opt, 'minmatchlen') && more > 0) {
      const v = parseInt64(argv[j + 1]!);
      if (v === null) {
        c.error(ERR_NOT_INT);
        return;
      }
      minmatchlen = v < 0 ? 0 : typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
      j++;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (getidx && getlen) {
    c.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  // Redis refuses a table (4 bytes a cell) larger than proto-max-bulk-len, even for LEN
  if ((alen + 1) * w * 4 > s.config.number('proto-max-bulk-len')) {
    c.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return;
  }
  if (getlen) {
    c.int(lcsLength(a, b));
    return;
  }
  let dp: Uint32Array;
  try {
    dp = new Uint32Array((alen + 1) * w);
  } catch {
    c.error('ERR Insufficient memory, failed allocating transient memory for LCS');
    return;
  }
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w;
    const up = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) dp[row + j] = dp[up + j - 1]! + 1;
      else {
        const x = dp[up + j]!;
        const y = dp[row + j - 1]!;
        dp[row + j] = x > y ? x : y;
      }
    }
  }
  const total = dp[alen * w + blen]!;
  let idx = total;
  const out: string[] = getidx ? [] : new Array<string>(total);
  const ranges: number[] = [];
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      if (!getidx) out[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * w + j]! > dp[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getidx && (minmatchlen === 0 || matchLen >= minmatchlen)) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }
  if (!getidx) {
    c.bulk(out.join(''));
    return;
  }
  c.map(2);
  c.bulk('matches');
  c.array(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    c.array(withmatchlen ? 3 : 2);
    c.array(2);
    c.int(ranges[k]!);
    c.int(ranges[k + 1]!);
    c.array(2);
    c.int(ranges[k + 2]!);
    c.int(ranges[k + 3]!);
    if (withmatchlen) c.int(ranges[k + 4]!);
  }
  c.bulk('len');
  c.int(total);
}

register([
  {
    name: 'lcs',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 2, 1],
    categories: ['@string'],
    docs: {
      summary: 'Find longest common substring',
      since: '7.0.0',
      group: 'string',
      complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    },
    handler: lcsCommand,
  },
]);
