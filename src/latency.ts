/*
 * Latency accounting: per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats) and the
 * latency monitor's event time series (LATENCY LATEST/HISTORY/GRAPH/DOCTOR).
 *
 * Histograms. Redis keeps an HDR histogram per command (2 significant figures, 1 ns .. 1 s, values
 * recorded in nanoseconds = whole microseconds x 1000) and reports from it: cumulative counts at
 * power-of-two levels from 1024 ns (LATENCY HISTOGRAM) and percentiles (INFO latencystats). Its
 * figures are those of the HDR bucket layout (e.g. 6 us reads back as p50=6.015), so to report the
 * same numbers we use the same layout: 256 sub-buckets, the first bucket at unit 1 and each further
 * bucket holding the upper 128 sub-buckets at twice the unit, 23 buckets to cover 1e9, 3072 counters
 * in a Uint32Array (12 KB) allocated on a command's first call. Recording is a few integer operations
 * and one increment: cheap enough for every call.
 *
 * Latency monitor. An event ("command", "fast-command", "expire-cycle", ...) keeps up to 160 samples
 * (unix second, milliseconds); samples in the same second merge, keeping the largest. Modules report
 * through `latencyAddSampleIfNeeded`, which checks latency-monitor-threshold.
 */

import type { LatencyEvent } from './state';

/** Counters per histogram: (23 buckets + 1) x 128 half sub-buckets. */
export const HIST_COUNTS = 3072;
const HIST_MAX_NS = 1_000_000_000;
const SUB_HALF_MAG = 7; // log2(128)

/** The counter index of a value in nanoseconds (1 .. 1e9; fits in 32 bits). */
function indexOf(v: number): number {
  // bucket = position of the highest bit above the 8-bit sub-bucket range
  const bucket = 32 - Math.clz32(v | 255) - 8;
  const sub = v >>> bucket;
  return ((bucket + 1) << SUB_HALF_MAG) + (sub - 128);
}

/** The lowest value the counter at index i stands for. */
function valueAt(i: number): number {
  let bucket = (i >> SUB_HALF_MAG) - 1;
  let sub = (i & 127) + 128;
  if (bucket < 0) {
    sub -= 128;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The highest value that shares v's counter. */
function highestEquivalent(v: number): number {
  const bucket = Math.max(0, 32 - Math.clz32(v | 255) - 8);
  const sub = Math.floor(v / 2 ** bucket);
  const unit = 2 ** (sub >= 256 ? bucket + 1 : bucket);
  return sub * 2 ** bucket + unit - 1;
}

/** Records one call of `usec` microseconds (fractions dropped, as Redis measures whole microseconds). */
export function histogramRecord(hist: Uint32Array, usec: number): void {
  let ns = Math.floor(usec) * 1000;
  if (ns < 1) ns = 1;
  else if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
  hist[indexOf(ns)]!++;
}

export function histogramTotal(hist: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < HIST_COUNTS; i++) n += hist[i]!;
  return n;
}

/** The value (ns) at a percentile: the highest equivalent of the counter where the count is reached. */
export function histogramPercentile(hist: Uint32Array, percentile: number, total = histogramTotal(hist)): number {
  const p = Math.min(percentile, 100);
  const target = Math.max(1, Math.floor((p / 100) * total + 0.5));
  let seen = 0;
  for (let i = 0; i < HIST_COUNTS; i++) {
    seen += hist[i]!;
    if (seen >= target) return highestEquivalent(valueAt(i));
  }
  return 0;
}

/**
 * The cumulative distribution LATENCY HISTOGRAM replies with: [microseconds, cumulative count] at
 * levels 1024 ns x 2^k, only where the count grew, up to the level holding the last sample.
 */
export function histogramLevels(hist: Uint32Array): [number, number][] {
  const total = histogramTotal(hist);
  const out: [number, number][] = [];
  if (total === 0) return out;
  let idx = 0;
  let cumulative = 0;
  let previous = 0;
  for (let level = 1024; ; level *= 2) {
    // levels past the top bucket read the last counter, as the HDR iterator stops there
    const upto = level >= 2 ** 30 ? HIST_COUNTS - 1 : Math.min(indexOf(level), HIST_COUNTS - 1);
    for (; idx <= upto; idx++) cumulative += hist[idx]!;
    if (cumulative > previous) out.push([Math.floor(highestEquivalent(valueAt(upto)) / 1000), cumulative]);
    previous = cumulative;
    if (cumulative >= total || upto === HIST_COUNTS - 1) break;
  }
  return out;
}

/** Samples kept per latency event (Redis's LATENCY_TS_LEN). */
export const LATENCY_TS_LEN = 160;

/** Adds a sample to an event's series (Redis's latencyAddSample). */
export function latencyAddSample(events: Map<string, LatencyEvent>, event: string, ms: number, now = Date.now()): void {
  const time = Math.floor(now / 1000);
  const latency = Math.floor(ms);
  let ev = events.get(event);
  if (ev === undefined) {
    ev = { samples: [], max: 0 };
    events.set(event, ev);
  }
  if (latency > ev.max) ev.max = latency;
  const last = ev.samples[ev.samples.length - 1];
  if (last !== undefined && last.time === time) {
    if (latency > last.latency) last.latency = latency;
    return;
  }
  ev.samples.push({ time, latency });
  if (ev.samples.length > LATENCY_TS_LEN) ev.samples.shift();
}

/**
 * Adds a sample when the latency monitor is on and `ms` reaches its threshold (Redis's
 * latencyAddSampleIfNeeded). `threshold` is latency-monitor-threshold in ms (0 = monitor off).
 */
export function latencyAddSampleIfNeeded(
  s: { latency: Map<string, LatencyEvent>; latencyThreshold: number },
  event: string,
  ms: number,
): void {
  if (s.latencyThreshold !== 0 && ms >= s.latencyThreshold) latencyAddSample(s.latency, event, ms);
}
