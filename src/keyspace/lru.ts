/*
 * Access stamps, as Redis keeps them in each object's 24-bit lru field, here one Int32 per key slot
 * (Db.lru):
 * - LRU policies (and no policy): the LRU clock in seconds at the last access. Idle time is the
 *   difference to now.
 * - LFU policies: (minutes of the last decrement, 16 bits) << 8 | a logarithmic 8-bit counter. An
 *   access first decays the counter by one per `lfu-decay-time` minutes elapsed, then increments it
 *   with probability 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1), so a counter of 255 takes
 *   about a million accesses at the default factor 10.
 * Switching policies reinterprets the stamps, as in Redis: they settle after the next accesses.
 */

import { clock, LFU_INIT_VAL } from './clock';

export const lfuSettings = {
  /** lfu-log-factor */
  logFactor: 10,
  /** lfu-decay-time, minutes (0 = never decay) */
  decayTime: 1,
};

/** Switches stamps between LRU seconds and LFU counters (on maxmemory-policy changes). */
export function setLfuMode(on: boolean): void {
  clock.lfu = on;
  clock.refresh();
}

/** The stamp after an access to a key with stamp `old` (Redis's updateLFU, or the LRU clock). */
export function touchStamp(old: number): number {
  if (!clock.lfu) return clock.lruNow;
  let counter = lfuCounter(old);
  if (counter < 255) {
    const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    if (Math.random() < 1 / (base * lfuSettings.logFactor + 1)) counter++;
  }
  return (clock.lfuMinutes << 8) | counter;
}

/** The LFU counter of a stamp after decay (Redis's LFUDecrAndReturn), without storing it. */
export function lfuCounter(stamp: number): number {
  const counter = stamp & 255;
  if (lfuSettings.decayTime === 0) return counter;
  const last = (stamp >>> 8) & 0xffff;
  const now = clock.lfuMinutes;
  const elapsed = now >= last ? now - last : 65535 - last + now;
  const periods = Math.floor(elapsed / lfuSettings.decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** Milliseconds since the access an LRU stamp records (Redis's estimateObjectIdleTime). */
export function idleMs(stamp: number): number {
  return Math.max(0, clock.lruNow - stamp) * 1000;
}
