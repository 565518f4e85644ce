/*
 * Server configuration: the live value of every directive (the table is in directives.ts, the value
 * rules in values.ts), CONFIG SET's all-or-nothing semantics, and change listeners.
 *
 * Values are kept as the canonical strings CONFIG GET prints (memory as bytes, `save` as
 * "3600 1 300 100 60 10000"), so GET, REWRITE and listeners all see one form; hot settings are
 * cached by their readers through onChange.
 *
 * As in Redis 7.0, a directive's alias is a name of its own (slaveof next to replicaof): CONFIG GET
 * patterns list both, and CONFIG SET errors name the one the client used.
 *
 * Setting a value has two steps, as in Redis: parse-and-store (validation; nothing is changed when any
 * pair fails), then "apply" for the values that changed (side effects that may fail, such as binding
 * a new port; a failure restores every old value). Listeners run only once everything succeeded.
 */

import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DIRECTIVES, TLS_APPLY, type Directive, type DirectiveType } from './directives';
import {
  ConfigError,
  normalizeBind,
  normalizeEnum,
  normalizeFlags,
  normalizeKeyspaceEvents,
  normalizeNumber,
  normalizeOomValues,
  normalizeOutputBufferLimit,
  normalizePercentiles,
  normalizeReplicaof,
  normalizeSave,
} from './values';

export { ConfigError };
export type { Directive, DirectiveType };

/** State shared by the lines of one config load (a file, its includes and the command line). */
export interface LoadContext {
  /** the first `save` line replaces the defaults; later ones add rules */
  saveLoaded: boolean;
}

/** A name CONFIG GET/SET know: a directive's own name or its alias. */
export interface ConfigEntry {
  name: string;
  d: Directive;
}

/**
 * A side effect of a changed value, run by CONFIG SET after every value is stored; returns Redis's
 * error text to make the whole CONFIG SET fail (and be rolled back), or null.
 */
export type Applier = (value: string, old: string) => string | null;

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** C's strerror for a Node error. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return ERRNO_TEXT[code] ?? (err as Error).message;
}

/** File descriptors Redis keeps for itself beyond one per client (CONFIG_MIN_RESERVED_FDS). */
export const RESERVED_FDS = 32;

/**
 * The process's open-files limit (null when unknown or unlimited). Node already raises its soft
 * limit to the hard one at start-up, which is as far as Redis's own attempts could get, so this is
 * the figure Redis would end up with.
 */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line === undefined ? NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) ? soft : null;
  } catch {
    return null;
  }
}

const TLS_ERROR = 'Unable to update TLS configuration. Check server logs.';

export class Config {
  /** every name and alias (lowercase) to its directive */
  readonly directives = new Map<string, Directive>();
  private readonly entries = new Map<string, ConfigEntry>();
  private readonly ordered: ConfigEntry[] = [];
  private readonly values = new Map<string, string>();
  private readonly defaults = new Map<string, string>();
  private readonly listeners = new Map<string, ((value: string) => void)[]>();
  private readonly appliers = new Map<string, Applier>();

  constructor() {
    for (const d of DIRECTIVES) {
      for (const name of d.alias === undefined ? [d.name] : [d.name, d.alias]) {
        const e = { name, d };
        this.entries.set(name, e);
        this.ordered.push(e);
        this.directives.set(name, d);
      }
      const v = d.name === 'dir' ? process.cwd() : d.default;
      this.values.set(d.name, v);
      this.defaults.set(d.name, d.name === 'dir' ? '' : v);
    }
    this.appliers.set('maxclients', (v) => {
      const limit = openFilesLimit();
      return limit !== null && Number(v) + RESERVED_FDS > limit
        ? `The operating system is not able to handle the specified number of clients, try with ${limit - RESERVED_FDS}`
        : null;
    });
    this.appliers.set('tls-port', () => TLS_ERROR);
    for (const name of TLS_APPLY) {
      this.appliers.set(name, () =>
        this.get('tls-port') !== '0' || this.bool('tls-replication') || this.bool('tls-cluster') ? TLS_ERROR : null,
      );
    }
  }

  /** The directive for a name or alias (case-insensitive). */
  directive(name: string): Directive | undefined {
    return this.directives.get(name.toLowerCase());
  }

  /** The entry (name as CONFIG GET lists it, and its directive) for a name or alias. */
  entry(name: string): ConfigEntry | undefined {
    return this.entries.get(name.toLowerCase());
  }

  /** Every name CONFIG GET may list (names and aliases), in table order. */
  names(): string[] {
    return this.ordered.map((e) => e.name);
  }

  /** Every entry in table order. */
  allEntries(): readonly ConfigEntry[] {
    return this.ordered;
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

  /** The built-in default's canonical form ('' for dir: Redis has none). */
  defaultOf(name: string): string {
    return this.defaults.get(this.directive(name)!.name)!;
  }

  /** True when the value is the built-in default. */
  isDefault(name: string): boolean {
    const d = this.directive(name)!;
    return this.values.get(d.name) === this.defaults.get(d.name);
  }

  /**
   * Parses a directive's arguments as redis.conf and CONFIG SET do and returns the canonical value;
   * throws ConfigError with Redis's reason. `ctx` is given while loading a config file.
   */
  parse(d: Directive, args: string[], ctx?: LoadContext): string {
    if (!d.multiArg && args.length !== 1) throw new ConfigError('wrong number of arguments');
    const v = args[0] ?? '';
    let out: string;
    switch (d.type) {
      case 'bool': {
        const l = v.toLowerCase();
        if (l !== 'yes' && l !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
        out = l;
        break;
      }
      case 'string':
        out = v;
        break;
      case 'enum':
        out = normalizeEnum(d, v);
        break;
      case 'flags':
        out = normalizeFlags(d, args);
        break;
      case 'number':
        out = normalizeNumber(d, v);
        break;
      case 'special':
        out = this.parseSpecial(d, args, ctx);
        break;
    }
    const err = d.validate?.(out);
    if (err != null) throw new ConfigError(err);
    return out;
  }

  private parseSpecial(d: Directive, args: string[], ctx?: LoadContext): string {
    switch (d.name) {
      case 'save': {
        let reset = true;
        if (ctx !== undefined) {
          reset = !ctx.saveLoaded;
          ctx.saveLoaded = true;
        }
        return normalizeSave(args, this.get('save'), reset);
      }
      case 'client-output-buffer-limit':
        return normalizeOutputBufferLimit(args, this.get('client-output-buffer-limit'));
      case 'oom-score-adj-values':
        return normalizeOomValues(args);
      case 'notify-keyspace-events':
        return normalizeKeyspaceEvents(args);
      case 'bind':
        return normalizeBind(args);
      case 'replicaof':
        return normalizeReplicaof(args);
      case 'latency-tracking-info-percentiles':
        return normalizePercentiles(args);
      case 'dir':
        return resolveDir(this.get('dir'), args[0]!);
      default:
        throw new ConfigError(`no parser for ${d.name}`);
    }
  }

  /**
   * Validates a value given as one string. CONFIG SET splits multi-argument values on single spaces
   * as sdssplitlen does: "a  b" has an empty middle word, and "" is no words at all (so
   * `client-output-buffer-limit ""` changes nothing, where the config-file line `... ""` is an error).
   */
  normalize(d: Directive, value: string): string {
    return this.parse(d, d.multiArg ? (value === '' ? [] : value.split(' ')) : [value]);
  }

  /** Validates and stores a value (ignores immutability: for start-up and embedders). */
  set(name: string, value: string): void {
    const d = this.directive(name);
    if (d === undefined) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    this.store(d, this.normalize(d, value));
  }

  /** Stores an already canonical value and tells the listeners if it changed. */
  store(d: Directive, value: string): void {
    const old = this.values.get(d.name);
    this.values.set(d.name, value);
    if (old !== value) this.notify(d.name, value);
  }

  private notify(name: string, value: string): void {
    for (const fn of this.listeners.get(name) ?? []) fn(value);
  }

  onChange(name: string, fn: (value: string) => void): void {
    const d = this.directive(name)!;
    const list = this.listeners.get(d.name) ?? [];
    list.push(fn);
    this.listeners.set(d.name, list);
  }

  /** Installs the side effect CONFIG SET runs when this directive changes (replaces any previous). */
  setApplier(name: string, fn: Applier): void {
    this.appliers.set(this.directive(name)!.name, fn);
  }

  /**
   * CONFIG SET name value [name value ...]: all or nothing. Returns null on success, or the error
   * reply's text without the "ERR " prefix.
   */
  setFromCommand(pairs: string[], allowProtected: boolean): string | null {
    const found: ConfigEntry[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      const e = this.entry(name);
      if (e === undefined) return `Unknown option or number of arguments for CONFIG SET - '${name}'`;
      const fail = (why: string): string => `CONFIG SET failed (possibly related to argument '${name}') - ${why}`;
      if (e.d.immutable) return fail("can't set immutable config");
      if (e.d.protected && !allowProtected) return fail("can't set protected config");
      if (found.includes(e)) return fail('duplicate parameter');
      found.push(e);
    }
    const parsed: string[] = [];
    for (let i = 0; i < found.length; i++) {
      try {
        parsed.push(this.normalize(found[i]!.d, pairs[i * 2 + 1]!));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return `CONFIG SET failed (possibly related to argument '${found[i]!.name}') - ${err.message}`;
      }
    }
    const old = found.map((e) => this.values.get(e.d.name)!);
    const changed: number[] = [];
    for (let i = 0; i < found.length; i++) {
      const d = found[i]!.d;
      let v = parsed[i]!;
      if (v === this.values.get(d.name)) continue;
      // Redis's apply steps for these adjust the value rather than fail
      if (d.name === 'hz') v = String(Math.min(Math.max(Number(v), 1), 500));
      if (d.name === 'repl-backlog-size' && BigInt(v) < 16384n) v = '16384';
      if (d.name === 'watchdog-period') v = watchdogPeriod(v, this.number('hz'));
      this.values.set(d.name, v);
      changed.push(i);
    }
    const applied: { fn: Applier; i: number }[] = [];
    for (const i of changed) {
      const fn = this.appliers.get(found[i]!.d.name);
      if (fn === undefined || applied.some((a) => a.fn === fn)) continue;
      applied.push({ fn, i });
      const err = fn(this.values.get(found[i]!.d.name)!, old[i]!);
      if (err !== null) {
        const failed = found.map((e) => this.values.get(e.d.name)!);
        for (let j = 0; j < found.length; j++) this.values.set(found[j]!.d.name, old[j]!);
        for (const a of applied) a.fn(old[a.i]!, failed[a.i]!);
        return `CONFIG SET failed (possibly related to argument '${found[i]!.name}') - ${err}`;
      }
    }
    for (const i of changed) this.notify(found[i]!.d.name, this.values.get(found[i]!.d.name)!);
    return null;
  }
}

/** Redis's watchdog never fires more often than every second cron tick: shorter periods are raised. */
export function watchdogPeriod(v: string, hz: number): string {
  const n = Number(v);
  const min = Math.trunc(1000 / hz) * 2;
  return n !== 0 && n < min ? String(min) : v;
}

/** `dir`: Redis chdir()s and reports getcwd(); here the directory is checked and kept as its real path. */
function resolveDir(current: string, value: string): string {
  const target = path.resolve(current, value);
  try {
    if (value === '') throw Object.assign(new Error('empty'), { code: 'ENOENT' });
    if (!statSync(target).isDirectory()) throw Object.assign(new Error('not a dir'), { code: 'ENOTDIR' });
    return realpathSync(target);
  } catch (err) {
    throw new ConfigError(strerror(err));
  }
}

/** Parses a memory amount (digits with an optional k/kb/m/mb/g/gb unit) as a number; null if malformed. */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };
  return Number(m[1]) * mult[unit]!;
}
