/*
 * The forkless snapshot on its own (no server): Dbs changed in every way the keyspace can change
 * while the walk runs (overwrites, in-place updates, deletes that move slots, expiry set and removed,
 * new keys, clear, swapWith), with the walk paused and resumed as a slow consumer would, produce an
 * RDB image that loads back to exactly the contents at the start. Seeded: TREDIS_SEED replays a run.
 */

import { describe, expect, it } from 'vitest';
import { Db, type Value } from '../src/keyspace/db';
import { loadRdb } from '../src/persistence/rdb';
import { Snapshot, type SnapshotResult } from '../src/persistence/snapshot';
import { HashValue } from '../src/types/hash';
import { seededRandom, testSeed } from './helpers/setup';

const OPTS = { compression: true, listFill: -2, packedThreshold: 1 << 30, checksum: true, usedMem: 0, accessInfo: 'none' as const, sliceMs: 0.05 };
const LIMITS = { hashEntries: 128, hashValue: 64, setIntset: 512, zsetEntries: 128, zsetValue: 64 };

/** What a Db holds, as comparable text: db/key -> value text and expiry. */
function contents(dbs: Db[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of dbs) {
    for (let slot = 0; slot < db.keys.length; slot++) {
      const key = db.keys[slot]!;
      const v = db.values[slot]!;
      const text = v instanceof HashValue ? `hash:${v.fields.map((f, i) => `${f}=${v.values[i]}`).join(',')}` : String(v);
      out.set(`${db.id}/${key}`, `${text}@${db.expires.get(key) ?? -1}`);
    }
  }
  return out;
}

function run(dbs: Db[], mutate: (snap: Snapshot, step: number) => void): Promise<{ image: Buffer; res: SnapshotResult }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    let step = 0;
    let done = false;
    const snap = new Snapshot(dbs, OPTS, (c) => chunks.push(Buffer.from(c)), (err, res) => {
      done = true;
      if (err !== null) reject(err);
      else resolve({ image: Buffer.concat(chunks), res });
    }, 512);
    // the "clients": a batch of changes between each two slices of the walk
    const clients = (): void => {
      if (done) return;
      mutate(snap, step++);
      setImmediate(clients);
    };
    setImmediate(clients);
  });
}

describe('forkless snapshot', () => {
  it('saves exactly the contents at the start whatever happens meanwhile', async () => {
    const seed = testSeed();
    const rnd = seededRandom(seed);
    const dbs = [new Db(0), new Db(1), new Db(2), new Db(3)];
    for (const db of dbs) {
      for (let i = 0; i < 3000; i++) {
        const key = `k${i}`;
        if (i % 5 === 0) {
          const h = new HashValue();
          h.set('a', String(i), 128, 64);
          db.add(key, h);
        } else db.add(key, i % 2 === 0 ? i : `v${i}-${'x'.repeat(i % 30)}`);
        if (i % 7 === 0) db.setExpire(key, 4_000_000_000_000 + i);
      }
    }
    const before = contents(dbs);
    let paused = false;
    const { image, res } = await run(dbs, (snap, step) => {
      if (step === 3) dbs[1]!.clear();
      if (step === 5) dbs[2]!.swapWith(dbs[3]!);
      if (step % 4 === 1) {
        paused = !paused;
        if (paused) snap.pause();
        else snap.resume();
      }
      for (let j = 0; j < 40; j++) {
        const db = dbs[Math.floor(rnd() * 4)]!;
        const key = `k${Math.floor(rnd() * 3000)}`;
        const r = rnd();
        if (r < 0.25) db.delete(key);
        else if (r < 0.45) db.set(key, `new-${step}`);
        else if (r < 0.6) {
          const slot = db.slot(key);
          const v: Value | undefined = slot === -1 ? undefined : db.values[slot];
          if (v instanceof HashValue) v.set('changed', 'in place', 128, 64);
          else if (slot !== -1) db.update(slot, 'updated in place');
        } else if (r < 0.7) {
          if (db.map.has(key)) db.setExpire(key, 5_000_000_000_000);
        } else if (r < 0.8) db.persist(key);
        else db.set(`fresh-${step}-${j}`, 'created after the start');
      }
    });
    expect(res.keys).toBe(before.size);
    expect(res.earlyKeys, 'changes reached keys before the walk').toBeGreaterThan(0);
    const loaded = [new Db(0), new Db(1), new Db(2), new Db(3)];
    loadRdb(image, {
      limits: LIMITS,
      databases: 4,
      checksum: true,
      dropExpired: false,
      onKey: (k) => {
        loaded[k.db]!.add(k.key, k.value);
        if (k.expireAt !== -1) loaded[k.db]!.setExpire(k.key, k.expireAt);
      },
    });
    const after = contents(loaded);
    const diff = [...before].filter(([k, v]) => after.get(k) !== v).slice(0, 5);
    expect(diff, `seed ${seed}`).toEqual([]);
    expect(after.size).toBe(before.size);
    for (const db of dbs) expect(db.snap).toBeNull();
  });
});
