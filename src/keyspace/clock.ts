/*
 * The cached clock. Reading Date.now() for every key lookup costs more than the lookup, so the server
 * refreshes this once per batch of commands (and on every timer), as Redis caches mstime per command.
 * All expiry decisions read it, so a batch sees one consistent time.
 */

export const clock = {
  /** milliseconds since the epoch */
  now: Date.now(),
  /** the LRU clock: seconds, as Redis's 24-bit LRU clock at 1000 ms resolution */
  lruNow: Math.floor(Date.now() / 1000),
  refresh(): number {
    const now = Date.now();
    this.now = now;
    this.lruNow = Math.floor(now / 1000);
    return now;
  },
};
