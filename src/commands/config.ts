/*
 * CONFIG (GET, SET, RESETSTAT, REWRITE, HELP) and SHUTDOWN.
 *
 * CONFIG GET takes several patterns; a name without glob characters is looked up directly (so hidden
 * directives answer too) and listed under the spelling the client used; patterns match every name and
 * alias, case-insensitively. Redis lists matches in its hash table's order, which changes from process
 * to process; tredis lists them in table order. The semantics of CONFIG SET (all or nothing, Redis's
 * error for the first bad pair) live in Config.setFromCommand.
 */

import { ERR_SYNTAX, is } from '../args';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
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
  '    Prints this help.',
];

function configGet(c: Client, argv: string[], s: ServerState): void {
  const cfg = s.config;
  // lowercased name -> [name as listed, value]
  const out = new Map<string, [string, string]>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i]!;
    if (!/[*?[]/.test(pattern)) {
      const key = pattern.toLowerCase();
      const e = cfg.entry(pattern);
      if (e !== undefined && !out.has(key)) out.set(key, [pattern, cfg.get(e.d.name)]);
      continue;
    }
    for (const e of cfg.allEntries()) {
      if (e.d.hidden || out.has(e.name)) continue;
      if (globMatch(pattern, e.name, true)) out.set(e.name, [e.name, cfg.get(e.d.name)]);
    }
  }
  c.map(out.size);
  for (const [name, value] of out.values()) {
    c.bulk(name);
    c.bulk(value);
  }
}

/** Loopback or a unix socket, as Redis's islocalClient (enable-protected-configs local). */
function isLocal(c: Client): boolean {
  const a = c.socket?.remoteAddress;
  if (a === undefined) return true;
  return a.startsWith('127.') || a.startsWith('::ffff:127.') || a === '::1';
}

function configSet(c: Client, argv: string[], s: ServerState): void {
  if (argv.length % 2 !== 0) return c.error(ERR_SYNTAX);
  const mode = s.config.get('enable-protected-configs');
  const err = s.config.setFromCommand(argv.slice(2), mode === 'yes' || (mode === 'local' && isLocal(c)));
  if (err !== null) return c.error('ERR ' + err);
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
  s.log.warning('CONFIG REWRITE executed with success.');
  c.ok();
}

const ADMIN = ['admin', 'noscript', 'loading', 'stale'];

function sub(
  name: string,
  arity: number,
  flags: string[],
  docs: { summary: string; since: string; complexity: string; args?: string },
  handler: (c: Client, argv: string[], s: ServerState) => void,
  tips?: string[],
): CommandDef {
  return {
    name: `config|${name}`,
    arity,
    flags,
    keys: [0, 0, 0],
    categories: [],
    docs: { ...docs, group: 'server' },
    ...(tips !== undefined ? { tips } : {}),
    handler,
  };
}

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: flags in any order; ABORT alone. */
function shutdown(c: Client, argv: string[], s: ServerState): void {
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
  if ((abort && (how.save || how.noSave || how.now || how.force)) || (how.save && how.noSave)) return c.error(ERR_SYNTAX);
  // tredis shuts down at once (no replicas to wait for), so there is never one in progress
  if (abort) return c.error('ERR No shutdown in progress.');
  const err = s.shutdown(how);
  if (err !== null) c.error(err);
}

register([
  {
    name: 'config',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: { summary: 'A container for server configuration commands.', since: '2.0.0', group: 'server', complexity: 'Depends on subcommand.' },
    handler() {
      // dispatch resolves the subcommand (or answers the unknown-subcommand error) before this runs
    },
    subcommands: [
      sub(
        'get',
        -3,
        ADMIN,
        { summary: 'Returns the values of configuration parameters.', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', args: 'parameter [parameter ...]' },
        configGet,
      ),
      sub(
        'set',
        -4,
        ADMIN,
        { summary: 'Sets configuration parameters in-flight.', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', args: 'parameter value [parameter value ...]' },
        configSet,
        ['request_policy:all_nodes', 'response_policy:all_succeeded'],
      ),
      sub('resetstat', 2, ADMIN, { summary: "Resets the server's statistics.", since: '2.0.0', complexity: 'O(1)' }, (c, _a, s) => {
        s.stats.reset();
        c.ok();
      }),
      sub('rewrite', 2, ADMIN, { summary: 'Persists the effective configuration to file.', since: '2.8.0', complexity: 'O(1)' }, configRewrite),
      sub('help', 2, ['loading', 'stale'], { summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', complexity: 'O(1)' }, (c) => {
        c.array(HELP.length);
        for (const line of HELP) c.simple(line);
      }),
    ],
  },
  {
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    keys: [0, 0, 0],
    categories: [],
    docs: {
      summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.',
      since: '1.0.0',
      group: 'server',
      complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
      args: '[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]',
    },
    handler: shutdown,
  },
]);
