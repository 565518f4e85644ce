/*
 * Server configuration: the live value of every directive (the table is in directives.ts), with
 * Redis's validation and error messages, the renderings CONFIG GET shows, and change listeners.
 * File parsing and CONFIG REWRITE are in file.ts.
 *
 * Values are kept as the canonical strings CONFIG GET prints (memory as bytes, `save` as
 * "3600 1 300 100 60 10000"), so GET, REWRITE and change listeners all see one form; hot settings are
 * cached by their readers through onChange.
 */

import path from 'node:path';
import { DIRECTIVES } from './directives';

export type DirectiveType = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export interface Directive {
  name: string;
  aliases?: string[];
  type: DirectiveType;
  default: string;
  min?: number;
  max?: number;
  values?: string[];
  /** cannot be changed with CONFIG SET */
  immutable?: boolean;
  /** accepted and shown, but has no effect in a Node process */
  noEffect?: boolean;
}

/** A rejected value; the message is the reason Redis gives (after its "- " in CONFIG SET errors). */
export class ConfigError extends Error {}

const KEYSPACE_EVENT_CHARS = 'g$lshzxetdmn';
const OBUF_CLASSES = ['normal', 'slave', 'pubsub'];

export class Config {
  readonly directives = new Map<string, Directive>();
  private readonly values = new Map<string, string>();
  private readonly defaults = new Map<string, string>();
  private readonly listeners = new Map<string, ((value: string) => void)[]>();

  constructor() {
    for (const d of DIRECTIVES) {
      this.directives.set(d.name, d);
      for (const a of d.aliases ?? []) this.directives.set(a, d);
      const v = d.name === 'dir' ? process.cwd() : d.default;
      this.values.set(d.name, v);
      this.defaults.set(d.name, v);
    }
  }

  /** The canonical directive for a name or alias (case-insensitive). */
  directive(name: string): Directive | undefined {
    return this.directives.get(name.toLowerCase());
  }

  /** The value as CONFIG GET shows it. */
  get(name: string): string {
    const d = this.directive(name);
    if (d === undefined) throw new ConfigError(`unknown directive ${name}`);
    return this.values.get(d.name)!;
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** True when the value differs from the default (CONFIG REWRITE writes only those). */
  isDefault(name: string): boolean {
    const d = this.directive(name)!;
    return this.values.get(d.name) === this.defaults.get(d.name);
  }

  /** Validates a value and returns its canonical form; throws ConfigError with Redis's reason. */
  normalize(d: Directive, value: string): string {
    switch (d.type) {
      case 'int':
      case 'memory': {
        const n = d.type === 'memory' ? parseMemory(value) : parseIntStrict(value);
        if (n === null) {
          throw new ConfigError(d.type === 'memory' ? 'argument must be a memory value' : "argument couldn't be parsed into an integer");
        }
        if ((d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) {
          throw new ConfigError(`argument must be between ${fmtBound(d.min!)} and ${fmtBound(d.max!)} inclusive`);
        }
        return String(n);
      }
      case 'bool': {
        const l = value.toLowerCase();
        if (l !== 'yes' && l !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
        return l;
      }
      case 'enum': {
        const l = value.toLowerCase();
        if (!d.values!.includes(l)) throw new ConfigError(`argument(s) must be one of the following: ${d.values!.join(', ')}`);
        return l;
      }
      case 'string':
        return value;
      case 'special':
        return this.normalizeSpecial(d.name, value);
    }
  }

  private normalizeSpecial(name: string, value: string): string {
    const words = value.split(' ').filter((w) => w.length !== 0);
    switch (name) {
      case 'save': {
        if (words.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
        for (const w of words) if (parseIntStrict(w) === null || Number(w) < 0) throw new ConfigError('Invalid save parameters');
        return words.join(' ');
      }
      case 'bind':
        if (words.length > 16) throw new ConfigError('Too many bind addresses specified.');
        return words.join(' ');
      case 'client-output-buffer-limit':
        return this.normalizeObuf(words);
      case 'oom-score-adj-values': {
        if (words.length !== 3) throw new ConfigError('Invalid oom-score-adj-values');
        for (const w of words) {
          const n = parseIntStrict(w);
          if (n === null || n < -2000 || n > 2000) throw new ConfigError('Invalid oom-score-adj-values');
        }
        return words.join(' ');
      }
      case 'notify-keyspace-events':
        return normalizeKeyspaceEvents(value);
      case 'replicaof':
        if (words.length === 0) return '';
        if (words.length !== 2) throw new ConfigError('wrong number of arguments');
        if (words[0]!.toLowerCase() === 'no' && words[1]!.toLowerCase() === 'one') return '';
        if (parseIntStrict(words[1]!) === null) throw new ConfigError('Invalid master port');
        return words.join(' ');
      case 'dir':
        return path.resolve(this.values.get('dir') ?? process.cwd(), value);
      case 'latency-tracking-info-percentiles': {
        for (const w of words) {
          const n = Number(w);
          if (!/^[0-9.]+$/.test(w) || !Number.isFinite(n) || n < 0 || n > 100) {
            throw new ConfigError('latency-tracking-info-percentiles should be between 0 and 100');
          }
        }
        return words.map((w) => String(Number(w))).join(' ');
      }
      case 'unixsocketperm': {
        if (!/^[0-7]+$/.test(value) || parseInt(value, 8) > 0o777) throw new ConfigError('Invalid socket file permissions');
        return String(parseInt(value, 8).toString(8)).replace(/^0+(?=.)/, '');
      }
      case 'shutdown-on-sigint':
      case 'shutdown-on-sigterm': {
        const allowed = ['default', 'save', 'nosave', 'now', 'force'];
        const flags = words.map((w) => w.toLowerCase());
        if (flags.length === 0 || flags.some((f) => !allowed.includes(f))) {
          throw new ConfigError('argument(s) must be one of the following: default, save, nosave, now, force');
        }
        if (flags.includes('save') && flags.includes('nosave')) throw new ConfigError("'save' and 'nosave' are mutually exclusive");
        return allowed.filter((a) => flags.includes(a)).join(' ');
      }
      case 'list-max-listpack-size': {
        const n = parseIntStrict(value);
        if (n === null) throw new ConfigError("argument couldn't be parsed into an integer");
        return String(n);
      }
      default:
        return value;
    }
  }

  private normalizeObuf(words: string[]): string {
    if (words.length % 4 !== 0 || words.length === 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
    const current = (this.values.get('client-output-buffer-limit') ?? '').split(' ');
    const table = new Map<string, string[]>();
    for (let i = 0; i + 3 < current.length; i += 4) table.set(current[i]!, current.slice(i + 1, i + 4));
    for (let i = 0; i < words.length; i += 4) {
      let cls = words[i]!.toLowerCase();
      if (cls === 'replica') cls = 'slave';
      if (!OBUF_CLASSES.includes(cls)) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
      const hard = parseMemory(words[i + 1]!);
      const soft = parseMemory(words[i + 2]!);
      const secs = parseIntStrict(words[i + 3]!);
      if (hard === null || soft === null || secs === null || hard < 0 || soft < 0 || secs < 0) {
        throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
      }
      table.set(cls, [String(hard), String(soft), String(secs)]);
    }
    return OBUF_CLASSES.map((c) => [c, ...(table.get(c) ?? ['0', '0', '0'])].join(' ')).join(' ');
  }

  /** Validates and stores a value; throws ConfigError with the reason Redis gives. */
  set(name: string, value: string): void {
    const d = this.directive(name);
    if (d === undefined) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    this.store(d, this.normalize(d, value));
  }

  /** Stores an already normalized value and tells the listeners. */
  store(d: Directive, value: string): void {
    this.values.set(d.name, value);
    for (const fn of this.listeners.get(d.name) ?? []) fn(value);
  }

  onChange(name: string, fn: (value: string) => void): void {
    const d = this.directive(name)!;
    const list = this.listeners.get(d.name) ?? [];
    list.push(fn);
    this.listeners.set(d.name, list);
  }

  /** Every name CONFIG GET may list (canonical names and aliases), in table order. */
  names(): string[] {
    return [...this.directives.keys()];
  }
}

function fmtBound(n: number): string {
  if (n >= 9223372036854775807) return '9223372036854775807';
  if (n <= -9223372036854775807) return '-9223372036854775808';
  return String(n);
}

/** A decimal integer as Redis's string2ll reads a config value (sign, digits, nothing else). */
function parseIntStrict(s: string): number | null {
  return /^-?\d+$/.test(s) ? Number(s) : null;
}

/** Parses a memory amount as Redis's memtoull: digits with an optional unit (k, kb, m, mb, g, gb). */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };
  return Number(m[1]) * mult[unit]!;
}

/** Validates notify-keyspace-events flags and renders them as Redis does. */
function normalizeKeyspaceEvents(value: string): string {
  const flags = new Set<string>();
  for (const ch of value) {
    if (ch === 'A') for (const c of 'g$lshzxetd') flags.add(c);
    else if (ch === 'K' || ch === 'E' || KEYSPACE_EVENT_CHARS.includes(ch)) flags.add(ch);
    else throw new ConfigError('Invalid event class character. Use \'Ag$lshzxeKEtmdn\'.');
  }
  const all = [...'g$lshzxetd'].every((c) => flags.has(c));
  let out = all ? 'A' : [...'g$lshzxetd'].filter((c) => flags.has(c)).join('');
  if (flags.has('m')) out += 'm';
  if (flags.has('n')) out += 'n';
  if (flags.has('K')) out += 'K';
  if (flags.has('E')) out += 'E';
  return out;
}
