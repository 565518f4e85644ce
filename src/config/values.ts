/*
 * Parsing and rendering of directive values with Redis's exact C semantics: string2ll (strict
 * integers), memtoull (memory units, wrapping at 64 bits as C does), strtoll/strtod (lenient, for the
 * few directives Redis reads with them), sdscatrepr (quoting in CONFIG REWRITE), and the special
 * directives' own rules (save, client-output-buffer-limit, notify-keyspace-events, ...).
 *
 * Everything here is pure: functions take strings and return a canonical string or throw
 * ConfigError with the message Redis gives, so CONFIG SET, the config file and the command line all
 * report the same thing.
 */

import type { Directive } from './directives';

/** A rejected value; the message is the reason Redis gives (after its "- " in CONFIG SET errors). */
export class ConfigError extends Error {}

const U64 = 1n << 64n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Redis's string2ll: optional '-', digits, no leading zeros, no '+', no spaces, within int64. */
export function string2ll(s: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/**
 * C's strtoll in base 10 or 8 requiring the whole string to be consumed (as Redis checks *endptr):
 * leading spaces and a sign are accepted; no digits at all parses as 0 only when nothing is left over
 * (an empty string). Returns null when something is left over or the value overflows.
 */
export function strtollFull(s: string, base: 10 | 8): bigint | null {
  const m = base === 10 ? /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s) : /^[ \t\n\v\f\r]*([+-]?)([0-7]+)$/.exec(s);
  if (m === null) return s === '' ? 0n : null;
  let v = BigInt((base === 8 ? '0o' : '') + m[2]!);
  if (m[1] === '-') v = -v;
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/** C's strtoll(s, &end, 10) where the caller only checks *end (overflow clamps, as C does). */
export function strtollClamped(s: string): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return s === '' ? 0n : null;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  return v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v;
}

const UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000000n,
  mb: 1048576n,
  g: 1000000000n,
  gb: 1073741824n,
};

/** Redis's memtoull: leading digits then an optional unit; the product wraps at 64 bits as in C. */
export function memtoull(s: string): bigint | null {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const mul = UNITS[s.slice(i).toLowerCase()];
  if (mul === undefined || i >= 128) return null;
  let v = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (v >= U64) v = U64 - 1n; // strtoull saturates
  return (v * mul) % U64;
}

/** Redis's string2d: strtod over the whole string, no leading space, no NaN. */
export function string2d(s: string): number | null {
  if (s.length === 0 || /^\s/.test(s)) return null;
  const hex = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  if (hex !== null && (hex[2]! + (hex[3] ?? '')).length > 0) {
    const frac = hex[3] ?? '';
    let v = parseInt(hex[2]! + frac || '0', 16) / 16 ** frac.length;
    if (hex[4] !== undefined) v *= 2 ** Number(hex[4]);
    return hex[1] === '-' ? -v : v;
  }
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
  return Number(s);
}

/** Redis's sdscatrepr: a double-quoted string with C escapes, as CONFIG REWRITE writes strings. */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c <= 126) out += ch;
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** printf's %f then Redis's trimDoubleString (no trailing zeros or dot). */
export function fmtPercentile(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  // printf keeps the sign of -0.0, which toFixed drops
  let s = (Object.is(v, -0) ? '-' : '') + v.toFixed(6);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** Memory amounts as CONFIG REWRITE writes them (1gb, 64mb, 3kb, or bytes), on C's long long. */
export function fmtMemory(bytes: bigint): string {
  const b = BigInt.asIntN(64, bytes);
  const GB = 1073741824n;
  const MB = 1048576n;
  const KB = 1024n;
  if (b !== 0n && b % GB === 0n) return `${b / GB}gb`;
  if (b !== 0n && b % MB === 0n) return `${b / MB}mb`;
  if (b !== 0n && b % KB === 0n) return `${b / KB}kb`;
  return String(b);
}

/** Parses a number directive's value; returns the int64 Redis would store (before the bounds check). */
function parseNumber(d: Directive, v: string): bigint {
  if (d.memory) {
    const m = memtoull(v);
    if (m !== null) return BigInt.asIntN(64, m);
  }
  if (d.percent && v.length > 1 && v.endsWith('%')) {
    const p = string2ll(v.slice(0, -1));
    if (p !== null && p >= 0n) return -p;
  }
  if (d.octal) {
    const o = strtollFull(v, 8);
    if (o !== null) return o;
  }
  if (!d.memory && !d.percent && !d.octal) {
    const n = string2ll(v);
    if (n !== null) return n;
  }
  if (d.memory && d.percent) throw new ConfigError('argument must be a memory or percent value');
  if (d.memory) throw new ConfigError('argument must be a memory value');
  if (d.octal) throw new ConfigError("argument couldn't be parsed as an octal number");
  throw new ConfigError("argument couldn't be parsed into an integer");
}

/** The number directive's canonical CONFIG GET form after Redis's parse and bounds check. */
export function normalizeNumber(d: Directive, v: string): string {
  const ll = parseNumber(d, v);
  const min = d.min!;
  const max = d.max!;
  if (d.unsigned) {
    const u = BigInt.asUintN(64, ll);
    const lo = BigInt.asUintN(64, min);
    const hi = BigInt.asUintN(64, max);
    if (u > hi || u < lo) {
      const f = (x: bigint): string => (d.octal ? x.toString(8) : String(x));
      throw new ConfigError(`argument must be between ${f(lo)} and ${f(hi)} inclusive`);
    }
  } else if (d.percent && ll < 0n) {
    if (ll < min) throw new ConfigError(`percentage argument must be less or equal to ${-min}`);
  } else if (ll > max || ll < min) {
    throw new ConfigError(`argument must be between ${min} and ${max} inclusive`);
  }
  if (d.percent && ll < 0n) return `${-ll}%`;
  if (d.memory) return String(BigInt.asUintN(64, ll));
  if (d.octal) return ll.toString(8);
  return String(ll);
}

/** The int64 behind a number directive's canonical form (for CONFIG REWRITE). */
export function numberValue(d: Directive, canonical: string): bigint {
  if (d.percent && canonical.endsWith('%')) return -BigInt(canonical.slice(0, -1));
  if (d.octal) return BigInt('0o' + canonical);
  return BigInt.asIntN(64, BigInt(canonical));
}

export function normalizeEnum(d: Directive, v: string): string {
  const l = v.toLowerCase();
  if (!d.values!.includes(l)) throw new ConfigError(`argument(s) must be one of the following: ${d.values!.join(', ')}`);
  return d.synonyms?.[l] ?? l;
}

/** Multi-valued flags (shutdown-on-sigint): names OR'ed together, shown in table order. */
export function normalizeFlags(d: Directive, args: string[]): string {
  const names = d.values!;
  const set = new Set<string>();
  // no words at all (CONFIG SET x "") is not "default": Redis wants at least one name
  if (args.length === 0) throw new ConfigError(`argument(s) must be one of the following: ${names.join(', ')}`);
  for (const a of args) {
    const l = a.toLowerCase();
    if (!names.includes(l)) throw new ConfigError(`argument(s) must be one of the following: ${names.join(', ')}`);
    if (l !== names[0]) set.add(l);
  }
  if (set.has('save') && set.has('nosave')) throw new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  const out = names.filter((n) => set.has(n));
  return out.length === 0 ? names[0]! : out.join(' ');
}

const EVENT_CLASSES = 'g$lshzxetd';

/** notify-keyspace-events flags, rendered as Redis's keyspaceEventsFlagsToString. */
export function normalizeKeyspaceEvents(args: string[]): string {
  if (args.length !== 1) throw new ConfigError('wrong number of arguments');
  const flags = new Set<string>();
  for (const ch of args[0]!) {
    if (ch === 'A') for (const c of EVENT_CLASSES) flags.add(c);
    else if ('g$lshzxeKEtmdn'.includes(ch)) flags.add(ch);
    else throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  let out = '';
  if ([...EVENT_CLASSES].every((c) => flags.has(c))) out = 'A';
  else {
    for (const c of EVENT_CLASSES) if (flags.has(c)) out += c;
    if (flags.has('n')) out += 'n';
  }
  for (const c of 'KEm') if (flags.has(c)) out += c;
  return out;
}

/**
 * save rules. `reset` false appends to `current` (a second `save` line in a config file adds rules);
 * `save ""` always clears.
 */
export function normalizeSave(args: string[], current: string, reset: boolean): string {
  if (args.length === 1 && args[0] === '') {
    args = [];
    current = '';
  }
  if (args.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
  for (let j = 0; j < args.length; j++) {
    const v = strtollClamped(args[j]!);
    if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) throw new ConfigError('Invalid save parameters');
  }
  const rules: string[] = [];
  for (let j = 0; j < args.length; j += 2) {
    const seconds = strtollClamped(args[j]!)!;
    const changes = BigInt.asIntN(32, strtollClamped(args[j + 1]!)!);
    rules.push(`${seconds} ${changes}`);
  }
  if (!reset && current !== '') rules.unshift(current);
  return rules.join(' ');
}

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'];

export function normalizeOutputBufferLimit(args: string[], current: string): string {
  if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const table = new Map<string, string[]>();
  const cur = current.split(' ');
  for (let i = 0; i + 3 < cur.length; i += 4) table.set(cur[i]!, cur.slice(i + 1, i + 4));
  const updates = new Map<string, string[]>();
  for (let i = 0; i < args.length; i += 4) {
    let cls = args[i]!.toLowerCase();
    if (cls === 'replica') cls = 'slave';
    if (!OBUF_CLASSES.includes(cls)) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(args[i + 1]!);
    const soft = memtoull(args[i + 2]!);
    const secs = strtollClamped(args[i + 3]!);
    if (hard === null || soft === null || secs === null || BigInt.asIntN(32, secs) < 0n) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    updates.set(cls, [String(hard), String(soft), String(BigInt.asIntN(32, secs))]);
  }
  for (const [k, v] of updates) table.set(k, v);
  return OBUF_CLASSES.map((c) => [c, ...(table.get(c) ?? ['0', '0', '0'])].join(' ')).join(' ');
}

export function normalizeOomValues(args: string[]): string {
  if (args.length !== 3) throw new ConfigError('wrong number of arguments');
  const out: string[] = [];
  for (const a of args) {
    const v = strtollClamped(a);
    if (v === null || v < -2000n || v > 2000n) {
      throw new ConfigError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
    }
    out.push(String(v));
  }
  return out.join(' ');
}

export function normalizeBind(args: string[]): string {
  if (args.length > 16) throw new ConfigError('Too many bind addresses specified.');
  if (args.length === 1 && args[0] === '') return '';
  return args.join(' ');
}

export function normalizeReplicaof(args: string[]): string {
  if (args.length !== 2) throw new ConfigError('wrong number of arguments');
  if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return '';
  const port = strtollFull(args[1]!, 10);
  if (port === null || port < 0n || port > 65535n) throw new ConfigError('Invalid master port');
  return `${args[0]} ${port}`;
}

export function normalizePercentiles(args: string[]): string {
  if (args.length === 1 && args[0] === '') return '';
  const out: string[] = [];
  for (const a of args) {
    const v = string2d(a);
    if (v === null) throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
    if (v > 100 || v < 0) throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    out.push(fmtPercentile(v));
  }
  return out.join(' ');
}
