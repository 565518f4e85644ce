/*
 * redis.conf files: loading (as redis-server does: the file's text, then the command line's
 * `--name value` options as extra lines, `include`, quoted arguments, `save` lines that accumulate)
 * and CONFIG REWRITE (changed lines rewritten in place, comments kept, new ones appended, written to a
 * temporary file and renamed over the original so a crash never leaves half a config).
 *
 * Errors are reported as Redis reports them, naming the line, so a script that reads redis-server's
 * output sees the same thing.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { splitInlineArgs } from '../protocol/parser';
import { Config, ConfigError, type Directive } from './config';

export const REDIS_VERSION = '7.0.15';

/** A fatal configuration error, formatted as redis-server prints it. */
export class ConfigFileError extends Error {}

function fatal(lineNo: number, line: string, reason: string): ConfigFileError {
  return new ConfigFileError(
    `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n` +
      `Reading the configuration file, at line ${lineNo}\n>>> '${line}'\n${reason}\n`,
  );
}

/** Directives whose several arguments form one value. */
const MULTI_ARG = new Set([
  'save',
  'bind',
  'client-output-buffer-limit',
  'oom-score-adj-values',
  'replicaof',
  'slaveof',
  'latency-tracking-info-percentiles',
  'shutdown-on-sigint',
  'shutdown-on-sigterm',
  'notify-keyspace-events',
]);

/** Directives redis.conf may hold that are not CONFIG parameters; accepted as Redis accepts them. */
const NON_CONFIG = new Set(['include', 'rename-command', 'user', 'loadmodule', 'sentinel']);

export interface LoadResult {
  /** warnings to log once logging is set up (e.g. accepted directives we ignore) */
  warnings: string[];
}

/**
 * Applies config text to config. `options` are the command line's directives, one per line, as
 * redis-server appends them after the file.
 */
export function loadConfigText(config: Config, text: string, baseDir: string, result: LoadResult = { warnings: [] }): LoadResult {
  const lines = text.split('\n');
  let saveSeen = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const buf = Buffer.from(line, 'latin1');
    const argv = splitInlineArgs(buf, 0, buf.length);
    if (argv === null) throw fatal(i + 1, line, 'Unbalanced quotes in configuration line');
    if (argv.length === 0) continue;
    const name = argv[0]!.toLowerCase();
    const args = argv.slice(1);
    if (NON_CONFIG.has(name)) {
      if (name === 'include') {
        if (args.length !== 1) throw fatal(i + 1, line, 'wrong number of arguments');
        const file = path.resolve(baseDir, args[0]!);
        let included: string;
        try {
          included = readFileSync(file, 'latin1');
        } catch (err) {
          throw fatal(i + 1, line, `Fatal error, can't open config file '${file}': ${(err as Error).message}`);
        }
        loadConfigText(config, included, path.dirname(file), result);
      } else {
        result.warnings.push(`Ignoring '${name}' at line ${i + 1}: tredis does not implement it yet`);
      }
      continue;
    }
    const d = config.directive(name);
    if (d === undefined) throw fatal(i + 1, line, 'Bad directive or wrong number of arguments');
    if (!MULTI_ARG.has(d.name) && !(d.aliases ?? []).some((a) => MULTI_ARG.has(a)) && args.length !== 1) {
      throw fatal(i + 1, line, 'wrong number of arguments');
    }
    if (args.length === 0 && d.name !== 'save') throw fatal(i + 1, line, 'wrong number of arguments');
    let value = args.join(' ');
    if (d.name === 'save') {
      // the first save line replaces the defaults; later ones add rules
      if (saveSeen && value !== '') value = `${config.get('save')} ${value}`.trim();
      saveSeen = true;
    }
    try {
      config.store(d, config.normalize(d, value));
    } catch (err) {
      if (err instanceof ConfigError) throw fatal(i + 1, line, err.message);
      throw err;
    }
  }
  return result;
}

/** Turns command line arguments (`--port 7000 --save ""`) into config lines, as redis-server does. */
export function argsToConfigText(args: string[]): string {
  const lines: string[] = [];
  let current: string[] | null = null;
  for (const a of args) {
    if (a.startsWith('--') && a.length > 2) {
      if (current !== null) lines.push(current.join(' '));
      current = [a.slice(2)];
    } else if (current !== null) {
      current.push(quote(a));
    }
  }
  if (current !== null) lines.push(current.join(' '));
  return lines.join('\n');
}

/** Quotes an argument for a config line when it needs it. */
export function quote(s: string): string {
  if (s.length !== 0 && /^[\x21-\x7e]+$/.test(s) && !/["'\\]/.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** The config lines for a directive's current value. */
function renderLines(config: Config, d: Directive): string[] {
  const v = config.get(d.name);
  if (d.name === 'save') {
    const w = v.split(' ').filter(Boolean);
    if (w.length === 0) return ['save ""'];
    const out: string[] = [];
    for (let i = 0; i < w.length; i += 2) out.push(`save ${w[i]} ${w[i + 1]}`);
    return out;
  }
  if (d.name === 'client-output-buffer-limit') {
    const w = v.split(' ');
    const out: string[] = [];
    for (let i = 0; i + 3 < w.length; i += 4) out.push(`client-output-buffer-limit ${w.slice(i, i + 4).join(' ')}`);
    return out;
  }
  if (MULTI_ARG.has(d.name)) return [`${d.name} ${v === '' ? '""' : v.split(' ').map(quote).join(' ')}`];
  return [`${d.name} ${quote(v)}`];
}

const REWRITE_MARK = '# Generated by CONFIG REWRITE';

/** Rewrites the config file with the current values (CONFIG REWRITE). */
export function rewriteConfigFile(config: Config, file: string): void {
  let text = '';
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    text = '';
  }
  const out: string[] = [];
  const written = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === REWRITE_MARK) continue;
    if (line.length === 0 || line.startsWith('#')) {
      out.push(raw);
      continue;
    }
    const buf = Buffer.from(line, 'latin1');
    const argv = splitInlineArgs(buf, 0, buf.length);
    const d = argv && argv.length !== 0 ? config.directive(argv[0]!) : undefined;
    if (d === undefined) {
      out.push(raw);
      continue;
    }
    if (written.has(d.name)) continue;
    written.add(d.name);
    out.push(...renderLines(config, d));
  }
  while (out.length !== 0 && out[out.length - 1] === '') out.pop();
  const added: string[] = [];
  const seen = new Set<string>();
  for (const name of config.names()) {
    const d = config.directive(name)!;
    if (seen.has(d.name) || written.has(d.name)) continue;
    seen.add(d.name);
    if (config.isDefault(d.name)) continue;
    added.push(...renderLines(config, d));
  }
  if (added.length !== 0) out.push(REWRITE_MARK, ...added);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, out.join('\n') + '\n', 'latin1');
  renameSync(tmp, file);
}
