/*
 * Dataset digests for DEBUG DIGEST and DEBUG DIGEST-VALUE, computed the way Redis computes them so
 * that the same data gives the same 40 hex digits on both servers (the replication and persistence
 * tests compare digests across servers).
 *
 * The scheme: a 20-byte digest is changed either by xor-ing in the SHA1 of some bytes (order does
 * not matter: used for members of unordered collections and to combine keys) or by "mixing": xor in
 * the SHA1 of the bytes, then replace the digest by its own SHA1 (order matters: used for sequences).
 * A key's digest mixes the key name, its type code (as a big-endian 32-bit integer) and its value,
 * then xors in "!!expire!!" if the key is volatile. The dataset digest mixes in each non-empty db's
 * index (big-endian 32-bit) and xors in the SHA1 of each key's digest.
 *
 * Collection values compute their own part by implementing `digestInto(digest)` with the helpers
 * exported here (Redis's per-type rules: list elements mixed in order; set members and hash fields
 * xor-ed in; ...); a value without it contributes only its type code.
 */

import { createHash } from 'node:crypto';
import type { Db, Value } from './db';

/** Redis's type codes, mixed into each key's digest. */
const TYPE_CODES: Record<string, number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, module: 5, stream: 6 };

function sha1(data: Uint8Array | string): Buffer {
  const h = createHash('sha1');
  if (typeof data === 'string') h.update(data, 'latin1');
  else h.update(data);
  return h.digest();
}

/** digest ^= SHA1(data) */
export function xorDigest(digest: Uint8Array, data: Uint8Array | string): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] = digest[i]! ^ h[i]!;
}

/** digest = SHA1(digest ^ SHA1(data)) */
export function mixDigest(digest: Uint8Array, data: Uint8Array | string): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

/** Adds a value (type code, contents, expiry flag) to a key's digest (Redis's xorObjectDigest). */
export function valueDigestInto(digest: Uint8Array, value: Value, volatile: boolean): void {
  const type = typeof value === 'object' ? value.type : 'string';
  mixDigest(digest, be32(TYPE_CODES[type] ?? 5));
  if (typeof value === 'object') {
    value.digestInto?.(digest);
  } else {
    mixDigest(digest, typeof value === 'number' ? String(value) : value);
  }
  if (volatile) xorDigest(digest, '!!expire!!');
}

/** The digest of one key's value, without its name (DEBUG DIGEST-VALUE); zeros when missing. */
export function valueDigest(db: Db, key: string): string {
  const digest = new Uint8Array(20);
  const slot = db.slot(key);
  if (slot !== -1) valueDigestInto(digest, db.values[slot]!, db.expires.has(key));
  return Buffer.from(digest).toString('hex');
}

/** The digest of every database (DEBUG DIGEST); 40 zeros when all are empty. */
export function datasetDigest(dbs: readonly Db[]): string {
  const final = new Uint8Array(20);
  const digest = new Uint8Array(20);
  for (const db of dbs) {
    if (db.size === 0) continue;
    mixDigest(final, be32(db.id));
    for (let slot = 0; slot < db.keys.length; slot++) {
      const key = db.keys[slot]!;
      digest.fill(0);
      mixDigest(digest, key);
      valueDigestInto(digest, db.values[slot]!, db.expires.has(key));
      xorDigest(final, digest);
    }
  }
  return Buffer.from(final).toString('hex');
}
