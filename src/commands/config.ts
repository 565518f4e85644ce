/*
 * CONFIG (GET, SET, RESETSTAT, REWRITE, HELP) and SHUTDOWN.
 *
 * CONFIG SET validates every pair before storing any, so a failing pair leaves nothing changed (Redis
 * applies and rolls back; with validation up front there is nothing to roll back).
 */

import { ERR_SYNTAX, errArity, is } from '../args';
import type { Client } from '../client';
import { register } from '../command';
import { ConfigError, type Directive } from '../config/config';
import { rewriteConfigFile } from '../config/file';
import { globMatch } from '../keyspace/glob';
import type { ServerState } from '../state';

const HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Print this help.',
];

function configGet(c: Client, argv: string[], s: ServerState): void {
  const cfg = s.config;
  const out = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i]!.toLowerCase();
    if (!/[*?[]/.test(pattern)) {
      if (cfg.directive(pattern) !== undefined && !out.has(pattern)) out.set(pattern, cfg.get(pattern));
      continue;
    }
    for (const name of cfg.names()) {
      if (!out.has(name) && globMatch(pattern, name, true)) out.set(name, cfg.get(name));
    }
  }
  c.map(out.size);
  for (const [k, v] of out) {
    c.bulk(k);
    c.bulk(v);
  }
}

function configSet(c: Client, argv: string[], s: ServerState): void {
  if (argv.length % 2 !== 0) return c.error(errArity('config|set'));
  const cfg = s.config;
  const pending: [Directive, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!;
    const d = cfg.directive(name);
    if (d === undefined) return c.error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    const fail = (reason: string): void =>
      c.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
    if (d.immutable) return fail("can't set immutable config");
    if (seen.has(d.name)) return fail('duplicate parameter');
    seen.add(d.name);
    try {
      pending.push([d, cfg.normalize(d, argv[i + 1]!)]);
    } catch (err) {
      if (err instanceof ConfigError) return fail(err.message);
      throw err;
    }
  }
  for (const [d, v] of pending) cfg.store(d, v);
  c.ok();
}

function configRewrite(c: Client, _argv: string[], s: ServerState): void {
  if (s.configFile === '') return c.error('ERR The server is running without a config file');
  try {
    rewriteConfigFile(s.config, s.configFile);
  } catch (err) {
    s.log.warning(`CONFIG REWRITE failed: ${(err as Error).message}`);
    return c.error(`ERR Rewriting config file: ${(err as Error).message}`);
  }
  s.log.notice('CONFIG REWRITE executed with success.');
  c.ok();
}

const sub = (
  name: string,
  arity: number,
  flags: string[],
  summary: string,
  handler: (c: Client, argv: string[], s: ServerState) => void,
) => ({
  name: `config|${name}`,
  arity,
  flags,
  keys: [0, 0, 0] as const,
  categories: [],
  docs: { summary, since: '2.0.0', group: 'server' },
  handler,
});

register([
  {
    name: 'config',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'A container for server configuration commands.', since: '2.0.0', group: 'server' },
    handler(c, argv) {
      c.error(errArity(argv[0]!.toLowerCase()));
    },
    subcommands: [
      sub('get', -3, ['admin', 'noscript', 'loading', 'stale'], 'Returns the effective values of configuration parameters.', configGet),
      sub('set', -4, ['admin', 'noscript', 'loading', 'stale'], 'Sets configuration parameters in-flight.', configSet),
      sub('resetstat', 2, ['admin', 'noscript', 'loading', 'stale'], 'Resets the server\'s statistics.', (c, _a, s) => {
        s.stats.reset();
        c.ok();
      }),
      sub('rewrite', 2, ['admin', 'noscript', 'loading', 'stale'], 'Persists the effective configuration to file.', configRewrite),
      sub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', (c) => {
        c.array(HELP.length);
        for (const line of HELP) c.simple(line);
      }),
    ],
  },
  {
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'sentinel', 'allow_busy'],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.', since: '1.0.0', group: 'server' },
    handler(c, argv, s) {
      const how: { save?: boolean; noSave?: boolean; now?: boolean; force?: boolean } = {};
      let abort = false;
      for (let i = 1; i < argv.length; i++) {
        const a = argv[i]!;
        if (is(a, 'nosave')) how.noSave = true;
        else if (is(a, 'save')) how.save = true;
        else if (is(a, 'now')) how.now = true;
        else if (is(a, 'force')) how.force = true;
        else if (is(a, 'abort')) abort = true;
        else return c.error(ERR_SYNTAX);
      }
      if ((abort && argv.length > 2) || (how.save && how.noSave)) return c.error(ERR_SYNTAX);
      if (abort) return c.error('ERR No shutdown in progress.');
      const err = s.shutdown(how);
      if (err !== null) c.error(err);
    },
  },
]);
