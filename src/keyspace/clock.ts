/*
 * The cached clock. Reading Date.now() for every key lookup costs more than the lookup, so the server
 * refreshes this once per batch of commands (and on every timer), as Redis caches mstime per command.
 * All expiry decisions read it, so a batch sees one consistent time.
 *
 * It also precomputes the access stamp a new key gets (see lru.ts): the LRU clock in seconds, or
 * under an LFU policy Redis's (minutes << 8 | LFU_INIT_VAL), so creating a key stays one field read.
 */

/** the counter a new key starts with under LFU, so it is not evicted before it has a chance */
export const LFU_INIT_VAL = 5;

export const clock = {
  /** milliseconds since the epoch */
  now: Date.now(),
  /** the LRU clock: seconds, as Redis's LRU clock at 1000 ms resolution */
  lruNow: Math.floor(Date.now() / 1000),
  /** Redis's LFU time: minutes, 16 bits */
  lfuMinutes: Math.floor(Date.now() / 60000) & 0xffff,
  /** true under an LFU maxmemory policy: access stamps hold LFU counters */
  lfu: false,
  /** the access stamp of a key created now */
  newStamp: Math.floor(Date.now() / 1000),
  refresh(): number {
    const now = Date.now();
    this.now = now;
    this.lruNow = Math.floor(now / 1000);
    this.lfuMinutes = Math.floor(now / 60000) & 0xffff;
    this.newStamp = this.lfu ? (this.lfuMinutes << 8) | LFU_INIT_VAL : this.lruNow;
    return now;
  },
};
