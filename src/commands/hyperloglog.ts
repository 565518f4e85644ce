/*
 * HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. The data structure and its
 * byte format are in types/hyperloglog.ts; this module does lookups, validation and bookkeeping the
 * way Redis's commands do, because several of their side effects are observable:
 * - PFADD creating a key counts as an update (dirty, "pfadd" event) even with no elements;
 * - PFCOUNT of one key stores the cardinality it computed in the value's header (dirty++, the key
 *   signalled as modified, no event), and any HLL a command touches for writing becomes 'raw';
 * - PFCOUNT of several keys merges into scratch registers and writes nothing;
 * - PFMERGE merges the destination itself too, turns it dense if any input is dense, and raises
 *   its registers one by one in index order (a sparse destination is edited exactly as Redis does,
 *   so its bytes match).
 * A value is copied into a byte buffer only when it is about to change, and turned back into a
 * latin1 string once per command.
 */

import { ERR_WRONGTYPE } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import type { Db } from '../keyspace/db';
import type { ServerState } from '../state';
import {
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  cachedCard,
  cardBytes,
  countRegisters,
  createHll,
  decodeSparse,
  denseGetString,
  fromString,
  hllCount,
  hllSet,
  invalidateCache,
  isHllString,
  mergeInto,
  patIndex,
  patLen,
  selfTest,
  sparseToDense,
  toLatin1,
  type HllBuf,
} from '../types/hyperloglog';
import { addKey, markRaw, writeSlot } from './string-common';

const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const ERR_INVALID = 'INVALIDOBJ Corrupted HLL object detected';

/** The HLL string of a value, or null after replying with the error (wrong type / not an HLL). */
function hllString(c: Client, v: unknown): string | null {
  if (typeof v === 'object') {
    c.error(ERR_WRONGTYPE);
    return null;
  }
  // an int-encoded value is never an HLL (Redis requires an sds-encoded string)
  if (typeof v !== 'string' || !isHllString(v)) {
    c.error(ERR_NOT_HLL);
    return null;
  }
  return v;
}

function sparseMax(s: ServerState): number {
  return s.config.number('hll-sparse-max-bytes');
}

/** Stores a changed HLL back into its slot (or adds the key) as a raw string. */
function store(s: ServerState, db: Db, key: string, slot: number, h: HllBuf): void {
  const v = toLatin1(h);
  if (slot === -1) addKey(s, db, key, v);
  else db.update(slot, v);
  markRaw(db, key, v.length);
}

function pfaddCommand(c: Client, argv: string[], s: ServerState): void {
  const key = argv[1]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  let h: HllBuf | null = null;
  let updated = 0;
  let current = '';
  if (slot === -1) {
    h = createHll();
    updated = 1;
  } else {
    const v = hllString(c, db.values[slot]);
    if (v === null) return;
    current = v;
  }
  const max = sparseMax(s);
  const dense = h === null && current.charCodeAt(4) === HLL_DENSE;
  for (let j = 2; j < argv.length; j++) {
    const count = patLen(argv[j]!);
    if (h === null) {
      // a dense value is copied only once some register really has to rise
      if (dense && count <= denseGetString(current, patIndex)) continue;
      h = fromString(current, true);
    }
    const r = hllSet(h, patIndex, count, max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis edits in place: what changed before the corruption was found stays
      if (updated !== 0) store(s, db, key, slot, h);
      c.error(ERR_INVALID);
      return;
    }
  }
  if (updated !== 0) {
    invalidateCache(h!);
    store(s, db, key, slot, h!);
    s.keyModified(db, key);
    s.dirty += updated;
    s.notify('$', 'pfadd', key, db.id);
  } else {
    markRaw(db, key, current.length);
  }
  c.int(updated !== 0 ? 1 : 0);
}

function pfcountCommand(c: Client, argv: string[], s: ServerState): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const o = s.readKey(c, argv[j]!);
      if (o === undefined) continue;
      const v = hllString(c, o);
      if (v === null) return;
      if (!mergeInto(max, fromString(v, true))) {
        c.error(ERR_INVALID);
        return;
      }
    }
    c.int(countRegisters(max));
    return;
  }
  const key = argv[1]!;
  const o = s.readKey(c, key);
  if (o === undefined) {
    c.int(0);
    return;
  }
  const v = hllString(c, o);
  if (v === null) return;
  const db = c.db;
  markRaw(db, key, v.length);
  let card = cachedCard(v);
  if (card === -1) {
    card = hllCount(fromString(v, true));
    if (card === -1) {
      c.error(ERR_INVALID);
      return;
    }
    // the computed count is cached in the value: a change other servers must see too
    db.update(db.map.get(key)!, v.slice(0, 8) + cardBytes(card) + v.slice(16));
    s.keyModified(db, key);
    s.dirty++;
  }
  c.int(card);
}

function pfmergeCommand(c: Client, argv: string[], s: ServerState): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const o = s.readKey(c, argv[j]!);
    if (o === undefined) continue;
    const v = hllString(c, o);
    if (v === null) return;
    if (v.charCodeAt(4) === HLL_DENSE) useDense = true;
    if (!mergeInto(max, fromString(v, true))) {
      c.error(ERR_INVALID);
      return;
    }
  }
  const key = argv[1]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  // the destination was validated as a source above
  const h = slot === -1 ? createHll() : fromString(db.values[slot] as string, true);
  if (useDense && !sparseToDense(h)) {
    c.error(ERR_INVALID);
    return;
  }
  const sparseBytes = sparseMax(s);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] !== 0) hllSet(h, j, max[j]!, sparseBytes);
  }
  invalidateCache(h);
  store(s, db, key, slot, h);
  s.keyModified(db, key);
  s.notify('$', 'pfadd', key, db.id);
  s.dirty++;
  c.ok();
}

function pfdebugCommand(c: Client, argv: string[], s: ServerState): void {
  const cmd = argv[1]!;
  const key = argv[2]!;
  const db = c.db;
  const slot = writeSlot(db, key);
  if (slot === -1) {
    c.error('ERR The specified key does not exist');
    return;
  }
  const v = hllString(c, db.values[slot]);
  if (v === null) return;
  markRaw(db, key, v.length);
  const sub = cmd.toLowerCase();
  if (sub === 'getreg' || sub === 'todense') {
    const h = fromString(v);
    let converted = false;
    if (h.b[4] === HLL_SPARSE) {
      if (!sparseToDense(h)) {
        c.error(ERR_INVALID);
        return;
      }
      store(s, db, key, slot, h);
      converted = true;
      // no keyspace signal, as Redis: only the encoding changed
      s.dirty++;
    }
    if (sub === 'todense') {
      c.int(converted ? 1 : 0);
      return;
    }
    c.array(HLL_REGISTERS);
    const b = h.b;
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const pos = i * 6;
      const byte = 16 + (pos >>> 3);
      const fb = pos & 7;
      c.int(((b[byte]! >>> fb) | (b[byte + 1]! << (8 - fb))) & 63);
    }
  } else if (sub === 'decode') {
    if (v.charCodeAt(4) !== HLL_SPARSE) {
      c.error('ERR HLL encoding is not sparse');
      return;
    }
    c.bulk(decodeSparse(fromString(v)));
  } else if (sub === 'encoding') {
    c.simple(v.charCodeAt(4) === HLL_DENSE ? 'dense' : 'sparse');
  } else {
    c.error(`ERR Unknown PFDEBUG subcommand '${cmd}'`);
  }
}

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'hyperloglog', complexity });

register([
  {
    name: 'pfadd',
    arity: -2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['@hyperloglog'],
    docs: docs('Adds the specified elements to the specified HyperLogLog.', '2.8.9', 'O(1) to add every element.'),
    handler: pfaddCommand,
  },
  {
    name: 'pfcount',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    categories: ['@hyperloglog'],
    docs: docs(
      'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
      '2.8.9',
      'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    ),
    handler: pfcountCommand,
  },
  {
    name: 'pfmerge',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    categories: ['@hyperloglog'],
    docs: docs('Merge N different HyperLogLogs into a single one.', '2.8.9', 'O(N) to merge N HyperLogLogs, but with high constant times.'),
    handler: pfmergeCommand,
  },
  {
    name: 'pfdebug',
    arity: 3,
    flags: ['write', 'denyoom', 'admin'],
    keys: [2, 2, 1],
    categories: ['@hyperloglog'],
    docs: docs('Internal commands for debugging HyperLogLog values', '2.8.9', 'N/A'),
    handler: pfdebugCommand,
  },
  {
    name: 'pfselftest',
    arity: 1,
    flags: ['admin'],
    keys: [0, 0, 0],
    categories: ['@hyperloglog'],
    docs: docs('An internal command for testing HyperLogLog values', '2.8.9', 'N/A'),
    handler(c) {
      const err = selfTest();
      if (err === null) c.ok();
      else c.error(err);
    },
  },
]);
