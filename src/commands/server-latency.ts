/*
 * LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, GRAPH, DOCTOR) and the per-command
 * latency histograms (HISTOGRAM). The data is collected in exec.ts (command durations) and by any
 * module calling latencyAddSampleIfNeeded (latency.ts); this file only reports it.
 *
 * GRAPH and DOCTOR are for people: same header line and facts as Redis, our own rendering and wording.
 */

import type { Client } from '../client';
import { commandTable, register, unknownSubcommand, type CommandSpec } from '../command';
import { histogramLevels, histogramTotal } from '../latency';
import type { LatencyEvent, ServerState } from '../state';
import { helpReply } from './server';

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
];

/** "12s", "5m", "3h", "2d": how long ago a sample was taken. */
function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const GRAPH_ROWS = 4;
const GRAPH_COLUMNS = 80;

/** A bar per sample (the most recent 80), scaled between the lowest and highest, ages written downwards. */
export function latencyGraph(event: string, ev: LatencyEvent, nowSec: number): string {
  const samples = ev.samples.slice(-GRAPH_COLUMNS);
  let min = Infinity;
  let max = 0;
  for (const x of samples) {
    min = Math.min(min, x.latency);
    max = Math.max(max, x.latency);
  }
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ev.max} ms)\n${'-'.repeat(80)}\n`;
  // heights in half rows: 1 (lowest) .. 2 * rows (highest)
  const steps = GRAPH_ROWS * 2;
  const heights = samples.map((x) => (max === min ? 1 : 1 + Math.round(((x.latency - min) / (max - min)) * (steps - 1))));
  for (let row = GRAPH_ROWS - 1; row >= 0; row--) {
    let line = '';
    for (const h of heights) line += h >= row * 2 + 2 ? '#' : h === row * 2 + 1 ? '_' : ' ';
    out += line + '\n';
  }
  const labels = samples.map((x) => age(Math.max(0, nowSec - x.time)));
  const depth = Math.max(...labels.map((l) => l.length));
  for (let i = 0; i < depth; i++) {
    let line = '';
    for (const l of labels) line += l[i] ?? ' ';
    out += line + '\n';
  }
  return out;
}

interface EventSummary {
  name: string;
  count: number;
  avg: number;
  mad: number;
  period: number;
  max: number;
}

function summarize(name: string, ev: LatencyEvent, nowSec: number): EventSummary {
  const n = ev.samples.length;
  let sum = 0;
  for (const x of ev.samples) sum += x.latency;
  const avg = n === 0 ? 0 : sum / n;
  let dev = 0;
  for (const x of ev.samples) dev += Math.abs(x.latency - avg);
  const first = ev.samples[0]?.time ?? nowSec;
  return { name, count: n, avg, mad: n === 0 ? 0 : dev / n, period: n === 0 ? 0 : Math.max(1, nowSec - first) / n, max: ev.max };
}

/** LATENCY DOCTOR's report. */
export function latencyDoctor(s: ServerState, nowSec: number): string {
  if (s.latencyThreshold === 0) {
    return (
      'Latency monitoring is disabled on this server, so there is nothing to analyse. ' +
      'Enable it with "CONFIG SET latency-monitor-threshold <milliseconds>".\n'
    );
  }
  if (s.latency.size === 0) return 'No latency spike has been observed since this server started.\n';
  let out = 'Latency spikes were observed on this server:\n\n';
  let i = 1;
  let commands = false;
  let expiry = false;
  for (const [name, ev] of s.latency) {
    const x = summarize(name, ev, nowSec);
    out +=
      `${i++}. ${name}: ${x.count} latency spikes (average ${Math.round(x.avg)}ms, mean deviation ` +
      `${Math.round(x.mad)}ms, period ${x.period.toFixed(2)} sec). Worst all time event ${x.max}ms.\n`;
    if (name === 'command' || name === 'fast-command') commands = true;
    if (name.startsWith('expire')) expiry = true;
  }
  out += '\nWhat to look at:\n\n';
  if (commands) {
    if (s.slowlogThreshold < 0 || s.slowlogThreshold > s.latencyThreshold * 1000) {
      out +=
        '- The slow log records fewer commands than the latency monitor flags: ' +
        '"CONFIG SET slowlog-log-slower-than 0" logs them all.\n';
    }
    out += '- SLOWLOG GET lists the slow commands and their arguments.\n';
    out +=
      '- Commands over many elements (KEYS, SMEMBERS or LRANGE of big collections, DEL of big values) ' +
      'run in one go and block every other client meanwhile: prefer SCAN-family commands and smaller values.\n';
  }
  if (expiry) out += '- Many keys expiring at the same time make expiry cycles slow: spread the TTLs.\n';
  return out;
}

/** The specs LATENCY HISTOGRAM reports for one name: a command, a container's subcommands, or "cont|sub". */
function specsNamed(name: string): CommandSpec[] {
  const lower = name.toLowerCase();
  const bar = lower.indexOf('|');
  if (bar !== -1) {
    const sub = commandTable.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
    return sub === undefined ? [] : [sub];
  }
  const spec = commandTable.get(lower);
  if (spec === undefined) return [];
  return spec.subcommands !== undefined ? [...spec.subcommands.values()] : [spec];
}

function histogramReply(c: Client, argv: string[], s: ServerState): void {
  const specs: CommandSpec[] = [];
  if (argv.length === 2) {
    for (const spec of commandTable.values()) {
      if (spec.subcommands !== undefined) specs.push(...spec.subcommands.values());
      else specs.push(spec);
    }
  } else {
    for (let i = 2; i < argv.length; i++) specs.push(...specsNamed(argv[i]!));
  }
  const entries: [string, Uint32Array, number][] = [];
  for (const spec of specs) {
    const hist = s.stats.commandStats[spec.id]?.hist;
    if (hist === undefined || hist === null) continue;
    const total = histogramTotal(hist);
    if (total !== 0) entries.push([spec.name, hist, total]);
  }
  c.map(entries.length);
  for (const [name, hist, total] of entries) {
    c.bulk(name);
    c.map(2);
    c.bulk('calls');
    c.int(total);
    c.bulk('histogram_usec');
    const levels = histogramLevels(hist);
    c.map(levels.length);
    for (const [us, count] of levels) {
      c.int(us);
      c.int(count);
    }
  }
}

const adminFlags = ['admin', 'noscript', 'loading', 'stale'];
const special = ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'];
const docs = (summary: string, since: string, args?: string) => ({
  summary,
  since,
  group: 'server',
  complexity: 'O(1)',
  ...(args !== undefined ? { args } : {}),
});

register([
  {
    name: 'latency',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: { ...docs('A container for latency diagnostics commands.', '2.8.13'), complexity: 'Depends on subcommand.' },
    handler: unknownSubcommand,
    subcommands: [
      {
        name: 'latency|latest',
        arity: 2,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: special,
        docs: docs('Returns the latest latency samples for all events.', '2.8.13'),
        handler(c, _argv, s) {
          c.array(s.latency.size);
          for (const [name, ev] of s.latency) {
            const last = ev.samples[ev.samples.length - 1];
            c.array(4);
            c.bulk(name);
            c.int(last?.time ?? 0);
            c.int(last?.latency ?? 0);
            c.int(ev.max);
          }
        },
      },
      {
        name: 'latency|history',
        arity: 3,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: special,
        docs: docs('Returns timestamp-latency samples for an event.', '2.8.13', 'event'),
        handler(c, argv, s) {
          const ev = s.latency.get(argv[2]!);
          if (ev === undefined) return c.array(0);
          c.array(ev.samples.length);
          for (const x of ev.samples) {
            c.array(2);
            c.int(x.time);
            c.int(x.latency);
          }
        },
      },
      {
        name: 'latency|reset',
        arity: -2,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        docs: docs('Resets the latency data for one or more events.', '2.8.13', '[event [event ...]]'),
        handler(c, argv, s) {
          if (argv.length === 2) {
            const n = s.latency.size;
            s.latency.clear();
            return c.int(n);
          }
          let n = 0;
          for (let i = 2; i < argv.length; i++) if (s.latency.delete(argv[i]!)) n++;
          c.int(n);
        },
      },
      {
        name: 'latency|graph',
        arity: 3,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: special,
        docs: docs('Returns a latency graph for an event.', '2.8.13', 'event'),
        handler(c, argv, s) {
          const ev = s.latency.get(argv[2]!);
          if (ev === undefined || ev.samples.length === 0) {
            return c.error(`ERR No samples available for event '${argv[2]!}'`);
          }
          c.verbatim(latencyGraph(argv[2]!, ev, Math.floor(Date.now() / 1000)));
        },
      },
      {
        name: 'latency|doctor',
        arity: 2,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: special,
        docs: docs('Returns a human-readable latency analysis report.', '2.8.13'),
        handler(c, _argv, s) {
          c.verbatim(latencyDoctor(s, Math.floor(Date.now() / 1000)));
        },
      },
      {
        name: 'latency|histogram',
        arity: -2,
        flags: adminFlags,
        keys: [0, 0, 0],
        categories: [],
        tips: special,
        docs: {
          ...docs('Returns the cumulative distribution of latencies of a subset or all commands.', '7.0.0', '[command [command ...]]'),
          complexity: 'O(N) where N is the number of commands with latency information being retrieved.',
        },
        handler: histogramReply,
      },
      {
        name: 'latency|help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        categories: [],
        docs: docs('Returns helpful text about the different subcommands.', '2.8.13'),
        handler(c) {
          helpReply(c, LATENCY_HELP);
        },
      },
    ],
  },
]);
