/*
 * Streams in RDB files and DUMP payloads, as Redis 7.0 writes them (RDB_TYPE_STREAM_LISTPACKS_2),
 * and read from the older STREAM_LISTPACKS (Redis 5/6) and the newer STREAM_LISTPACKS_3 (7.2, which
 * adds a consumer's active time).
 *
 * Layout: the radix tree of listpack nodes (each keyed by its master id as 16 big-endian bytes), the
 * length, last id, first id, max deleted id, entries added, then every consumer group (name, last id,
 * entries read, its PEL with delivery time and count, its consumers with seen time and their PEL ids).
 * Our StreamNode mirrors Redis's node boundaries one for one, so each node becomes one listpack with
 * Redis's entry layout (master entry, then per entry flags, id deltas, values or fields and values,
 * and the lp-count back-pointer); a stream without deleted entries DUMPs to Redis's bytes.
 *
 * Deleted entries: Redis keeps a tombstone's fields in the listpack; ours dropped them (stream.ts), so
 * a tombstone is written with the same number of strings, all empty (still a valid entry for Redis's
 * iterator and integrity check, only the node's byte size differs). On load a node's byte count is
 * taken from the listpack itself, so node boundaries continue exactly as in the server that wrote it.
 */

import { ConsumerGroup, Consumer, StreamNode, StreamValue, lpIntBytes, makeId, MAX_ID, type Nack } from '../types/stream';
import { RdbError, type RdbReader, type RdbWriter, readListpack, writeListpack } from './rdb-format';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

export const STREAM_V1 = 15;
export const STREAM_V2 = 19;
export const STREAM_V3 = 21;

const U64 = 0xffffffffffffffffn;

function idKey(id: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(id >> 64n, 0);
  b.writeBigUInt64BE(id & U64, 8);
  return b;
}

function writeId(w: RdbWriter, id: bigint): void {
  w.lenBig(id >> 64n);
  w.lenBig(id & U64);
}

function delta(a: bigint, b: bigint): string {
  return BigInt.asIntN(64, a - b).toString();
}

/** The listpack of one node, as Redis's streamAppendItem/XDEL would have left it. */
function nodeListpack(node: StreamNode): Buffer {
  const mf = node.masterFields;
  const nf = mf.length;
  const elems: string[] = [String(node.valid), String(node.deleted), String(nf)];
  for (let i = 0; i < nf; i++) elems.push(mf[i]!);
  elems.push('0');
  const mMs = node.masterId >> 64n;
  const mSeq = node.masterId & U64;
  const { ids, starts, data } = node;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const raw = starts[i]!;
    const live = raw >= 0;
    const start = live ? raw : -1 - raw;
    const nextRaw = i + 1 === starts.length ? data.length : starts[i + 1]!;
    const end = nextRaw < 0 ? -1 - nextRaw : nextRaw;
    const count = (end - start) >> 1;
    let same = count === nf;
    if (same && live) {
      for (let k = 0; k < nf; k++) {
        if (data[start + 2 * k] !== mf[k]) {
          same = false;
          break;
        }
      }
    }
    elems.push(String((same ? FLAG_SAMEFIELDS : 0) | (live ? 0 : FLAG_DELETED)), delta(id >> 64n, mMs), delta(id & U64, mSeq));
    if (same) {
      for (let k = 0; k < nf; k++) elems.push(live ? data[start + 2 * k + 1]! : '');
      elems.push(String(nf + 3));
    } else {
      elems.push(String(count));
      for (let j = start; j < end; j++) elems.push(live ? data[j]! : '');
      elems.push(String(2 * count + 4));
    }
  }
  return writeListpack(elems);
}

/** Writes a stream value (type byte, optional key, body) as Redis 7.0's rdbSaveObject. */
export function writeStream(w: RdbWriter, st: StreamValue, key: string | null): void {
  w.byte(STREAM_V2);
  if (key !== null) w.string(key);
  w.len(st.nodes.length);
  for (const node of st.nodes) {
    w.blob(idKey(node.masterId));
    w.blob(nodeListpack(node));
  }
  w.len(st.length);
  writeId(w, st.lastId);
  writeId(w, st.firstId);
  writeId(w, st.maxDeletedId);
  w.len(st.entriesAdded);
  const groups = st.sortedGroups();
  w.len(groups.length);
  for (const g of groups) {
    w.string(g.name);
    writeId(w, g.lastId);
    w.lenBig(BigInt.asUintN(64, BigInt(g.entriesRead)));
    w.len(g.pel.size);
    g.pel.each(0n, MAX_ID, (id, nack) => {
      w.bytes(idKey(id));
      w.i64le(nack.deliveryTime);
      w.len(nack.deliveryCount);
    });
    const consumers = g.sortedConsumers();
    w.len(consumers.length);
    for (const c of consumers) {
      w.string(c.name);
      w.i64le(c.seenTime);
      w.len(c.pel.size);
      c.pel.each(0n, MAX_ID, (id) => {
        w.bytes(idKey(id));
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// reading

function int(s: string | undefined): bigint {
  if (s === undefined) throw new RdbError('Stream listpack truncated');
  if (!/^-?[0-9]+$/.test(s)) throw new RdbError('Stream listpack integer expected');
  return BigInt(s);
}

function small(s: string | undefined): number {
  const v = int(s);
  if (v < 0n || v > 0xffffffffn) throw new RdbError('Stream listpack count out of range');
  return Number(v);
}

function readId(r: RdbReader): bigint {
  const ms = r.lenBig();
  return makeId(ms, r.lenBig());
}

function rawId(r: RdbReader): bigint {
  const b = r.take(16);
  return makeId(b.readBigUInt64BE(0), b.readBigUInt64BE(8));
}

/** Rebuilds a node from its listpack (Redis's layout, see nodeListpack). */
function readNode(master: bigint, lp: Buffer): StreamNode {
  const e = readListpack(lp);
  if (e.length === 0) throw new RdbError('Empty listpack inside stream');
  const valid = small(e[0]);
  const deleted = small(e[1]);
  const nf = small(e[2]);
  if (3 + nf >= e.length) throw new RdbError('Stream listpack truncated');
  const fv: string[] = new Array(2 * nf);
  for (let k = 0; k < nf; k++) {
    fv[2 * k] = e[3 + k]!;
    fv[2 * k + 1] = '';
  }
  if (e[3 + nf] !== '0') throw new RdbError('Stream master entry not terminated');
  const node = new StreamNode(master, fv);
  const mf = node.masterFields;
  const mMs = master >> 64n;
  const mSeq = master & U64;
  let p = 4 + nf;
  let live = 0;
  let dead = 0;
  let prev = -1n;
  while (p < e.length) {
    const flags = small(e[p++]);
    const ms = BigInt.asUintN(64, mMs + int(e[p++]));
    const seq = BigInt.asUintN(64, mSeq + int(e[p++]));
    const id = makeId(ms, seq);
    if (id <= prev || id < master) throw new RdbError('Stream entries out of order');
    prev = id;
    const isLive = (flags & FLAG_DELETED) === 0;
    const start = node.data.length;
    if ((flags & FLAG_SAMEFIELDS) !== 0) {
      for (let k = 0; k < nf; k++) {
        const v = e[p++];
        if (v === undefined) throw new RdbError('Stream listpack truncated');
        node.data.push(isLive ? mf[k]! : '', isLive ? v : '');
      }
      if (small(e[p++]) !== nf + 3) throw new RdbError('Stream entry lp-count mismatch');
    } else {
      const n = small(e[p++]);
      if (p + 2 * n > e.length) throw new RdbError('Stream listpack truncated');
      for (let j = 0; j < 2 * n; j++) node.data.push(isLive ? e[p + j]! : '');
      p += 2 * n;
      if (small(e[p++]) !== 2 * n + 4) throw new RdbError('Stream entry lp-count mismatch');
    }
    node.ids.push(id);
    node.starts.push(isLive ? start : -1 - start);
    if (isLive) live++;
    else dead++;
  }
  if (live !== valid || dead !== deleted) throw new RdbError('Stream node counts mismatch');
  if (live === 0) throw new RdbError('Empty listpack inside stream');
  node.valid = valid;
  node.deleted = deleted;
  node.bytes = lp.length - 7 - lpIntBytes(valid) - lpIntBytes(deleted);
  return node;
}

/** Reads a stream value of type 15, 19 or 21 (the type byte already consumed). */
export function readStream(r: RdbReader, type: number): StreamValue {
  const st = new StreamValue();
  const nodes = r.len();
  let prevMaster = -1n;
  for (let i = 0; i < nodes; i++) {
    const key = r.stringBytes();
    if (key.length !== 16) throw new RdbError('Stream node key entry is not the size of a stream ID');
    const master = makeId(key.readBigUInt64BE(0), key.readBigUInt64BE(8));
    if (master <= prevMaster) throw new RdbError('Stream nodes out of order');
    prevMaster = master;
    st.nodes.push(readNode(master, r.stringBytes()));
  }
  st.length = r.len();
  st.lastId = readId(r);
  let live = 0;
  for (const n of st.nodes) live += n.valid;
  if (live !== st.length) throw new RdbError('Stream length inconsistent');
  if (type !== STREAM_V1) {
    st.firstId = readId(r);
    st.maxDeletedId = readId(r);
    st.entriesAdded = Number(BigInt.asIntN(64, r.lenBig()));
  } else {
    st.entriesAdded = st.length;
    st.refreshFirstId();
  }
  const groups = r.len();
  for (let g = 0; g < groups; g++) {
    const name = r.string();
    const lastId = readId(r);
    let entriesRead: number;
    if (type !== STREAM_V1) entriesRead = Number(BigInt.asIntN(64, r.lenBig()));
    else entriesRead = st.estimateDistance(lastId);
    const group = new ConsumerGroup(name, lastId, entriesRead);
    if (st.groups.has(name)) throw new RdbError('Duplicated consumer group name');
    st.groups.set(name, group);
    const pel = r.len();
    for (let k = 0; k < pel; k++) {
      const id = rawId(r);
      const nack: Nack = { deliveryTime: r.i64le(), deliveryCount: r.len(), consumer: null };
      if (!group.pel.set(id, nack)) throw new RdbError('Duplicated global PEL entry loading stream consumer group');
    }
    const consumers = r.len();
    for (let c = 0; c < consumers; c++) {
      const cname = r.string();
      const seen = r.i64le();
      if (type === STREAM_V3) r.i64le(); // active time (7.2)
      const consumer = new Consumer(cname, seen);
      if (group.consumers.has(cname)) throw new RdbError('Duplicate stream consumer detected');
      group.consumers.set(cname, consumer);
      const cpel = r.len();
      for (let k = 0; k < cpel; k++) {
        const id = rawId(r);
        const nack = group.pel.get(id);
        if (nack === undefined) throw new RdbError('Consumer entry not found in group global PEL');
        nack.consumer = consumer;
        consumer.pel.set(id, nack);
      }
    }
  }
  st.recount();
  return st;
}
