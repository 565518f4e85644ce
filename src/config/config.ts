/*
 * Server configuration: every directive as data (name, aliases, type, default, bounds), the live
 * values, and validation with Redis's error messages. Start-up parsing of redis.conf files and
 * CONFIG REWRITE live beside this in config/file.ts.
 *
 * Hot settings are read through typed getters; other modules subscribe to changes with onChange.
 */

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

export class ConfigError extends Error {}

const DIRECTIVES: Directive[] = [
  { name: 'port', type: 'int', default: '6379', min: 0, max: 65535 },
  { name: 'bind', type: 'special', default: '127.0.0.1 -::1' },
  { name: 'databases', type: 'int', default: '16', min: 1, max: 2147483647, immutable: true },
  { name: 'hz', type: 'int', default: '10', min: 0, max: 2147483647 },
  { name: 'loglevel', type: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', type: 'string', default: '', immutable: true },
  { name: 'requirepass', type: 'string', default: '' },
  { name: 'maxclients', type: 'int', default: '10000', min: 1, max: 2147483647 },
  { name: 'proto-max-bulk-len', type: 'memory', default: '536870912', min: 1048576, max: 9223372036854775807 },
  { name: 'client-query-buffer-limit', type: 'memory', default: '1073741824', min: 1048576, max: 9223372036854775807 },
  { name: 'enable-debug-command', type: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  { name: 'timeout', type: 'int', default: '0', min: 0, max: 2147483647 },
  { name: 'slowlog-log-slower-than', type: 'int', default: '10000', min: -1, max: 9223372036854775807 },
  { name: 'slowlog-max-len', type: 'int', default: '128', min: 0, max: 9223372036854775807 },
  { name: 'latency-monitor-threshold', type: 'int', default: '0', min: 0, max: 9223372036854775807 },
  { name: 'latency-tracking', type: 'bool', default: 'yes' },
  { name: 'latency-tracking-info-percentiles', type: 'special', default: '50 99 99.9' },
];

export class Config {
  readonly directives = new Map<string, Directive>();
  private readonly values = new Map<string, string>();
  private readonly listeners = new Map<string, ((value: string) => void)[]>();

  constructor() {
    for (const d of DIRECTIVES) {
      this.directives.set(d.name, d);
      for (const a of d.aliases ?? []) this.directives.set(a, d);
      this.values.set(d.name, d.default);
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

  /** Validates and stores a value; throws ConfigError with the reason Redis gives. */
  set(name: string, value: string): void {
    const d = this.directive(name);
    if (d === undefined) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    let v = value;
    if (d.type === 'int' || d.type === 'memory') {
      const n = d.type === 'memory' ? parseMemory(value) : Number(value);
      if (n === null || !Number.isFinite(n) || !Number.isInteger(n)) throw new ConfigError('argument couldn\'t be parsed into an integer');
      if ((d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) {
        throw new ConfigError(`argument must be between ${d.min} and ${d.max} inclusive`);
      }
      v = String(n);
    } else if (d.type === 'bool') {
      const l = value.toLowerCase();
      if (l !== 'yes' && l !== 'no') throw new ConfigError('argument must be \'yes\' or \'no\'');
      v = l;
    } else if (d.type === 'enum') {
      const l = value.toLowerCase();
      if (!d.values!.includes(l)) throw new ConfigError(`argument(s) must be one of the following: ${d.values!.join(', ')}`);
      v = l;
    }
    this.values.set(d.name, v);
    for (const fn of this.listeners.get(d.name) ?? []) fn(v);
  }

  onChange(name: string, fn: (value: string) => void): void {
    const d = this.directive(name)!;
    const list = this.listeners.get(d.name) ?? [];
    list.push(fn);
    this.listeners.set(d.name, list);
  }
}

/** Parses a memory amount as Redis's memtoull: digits with an optional unit (k, kb, m, mb, g, gb). */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };
  return Number(m[1]) * mult[unit]!;
}
