/*
 * tredis-server's command line, as redis-server's: `tredis-server [config-file|-] [--name value ...]`.
 * The file's text and the options (one config line each, appended after the file) are loaded
 * together, so an error names its line as Redis does. commander handles --help and --version.
 *
 * Process lifecycle lives here, not in the library: daemonize (re-spawned detached, since Node
 * cannot fork), pidfile, the start-up banner, SIGINT/SIGTERM, and the exit code when the port is taken.
 */

import { spawn } from 'node:child_process';
import { openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Config } from './config/config';
import { ConfigFileError, REDIS_VERSION, argsToConfigText, loadConfigText } from './config/file';
import { Logger, type LogLevel } from './log';
import { startServer } from './server';

const VERSION: string = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;

function versionLine(): string {
  return `tredis server v=${VERSION} redis_version=${REDIS_VERSION} node=${process.version} bits=64`;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('tredis-server')
    .usage('[/path/to/redis.conf] [--directive value ...]')
    .description('A Redis-compatible server. Any redis.conf directive may be given as --directive value.')
    .helpOption('-h, --help', 'show this help')
    .option('-v, --version', 'show the version')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .addHelpText(
      'after',
      '\nExamples:\n  tredis-server                        (defaults: port 6379)\n  tredis-server /etc/redis/6379.conf\n' +
        '  tredis-server --port 7777\n  tredis-server /etc/myredis.conf --loglevel verbose\n  echo "port 7000" | tredis-server -',
    );
  if (argv.includes('-h') || argv.includes('--help')) {
    program.outputHelp();
    return;
  }
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(versionLine() + '\n');
    return;
  }

  let configFile = '';
  let text = '';
  let rest = argv;
  if (argv.length !== 0 && !argv[0]!.startsWith('--')) {
    configFile = argv[0]!;
    rest = argv.slice(1);
    try {
      text = configFile === '-' ? readFileSync(0, 'latin1') : readFileSync(configFile, 'latin1');
    } catch (err) {
      process.stderr.write(`Fatal error, can't open config file '${configFile}': ${(err as Error).message}\n`);
      process.exit(1);
    }
  }
  const config = new Config();
  let warnings: string[] = [];
  try {
    warnings = loadConfigText(config, text + '\n' + argsToConfigText(rest), configFile === '' || configFile === '-' ? process.cwd() : path.dirname(configFile)).warnings;
  } catch (err) {
    if (err instanceof ConfigFileError) {
      process.stderr.write(err.message);
      process.exit(1);
    }
    throw err;
  }

  if (config.bool('daemonize') && process.env.TREDIS_DAEMONIZED !== '1') {
    const logfile = config.get('logfile');
    const out = logfile === '' ? 'ignore' : openSync(logfile, 'a');
    const child = spawn(process.execPath, [process.argv[1]!, ...argv], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, TREDIS_DAEMONIZED: '1' },
    });
    child.unref();
    return;
  }

  const log = new Logger();
  log.level = config.get('loglevel') as LogLevel;
  log.file = config.get('logfile');
  log.notice('oO0OoO0OoO0Oo tredis is starting oO0OoO0OoO0Oo');
  log.notice(`tredis version=${VERSION}, redis_version=${REDIS_VERSION}, bits=64, node=${process.version}, pid=${process.pid}, just started`);
  if (configFile === '') {
    log.warning('Warning: no config file specified, using the default config. In order to specify a config file use tredis-server /path/to/redis.conf');
  } else {
    log.notice('Configuration loaded');
  }
  for (const w of warnings) log.warning(w);
  const noEffect = [...new Set([...config.directives.values()])].filter((d) => d.noEffect && !config.isDefault(d.name));
  for (const d of noEffect) log.verbose(`Directive '${d.name}' is accepted but has no effect in tredis`);

  const port = config.number('port');
  let srv;
  try {
    srv = await startServer({
      config,
      configFile: configFile === '' || configFile === '-' ? '' : path.resolve(configFile),
      onShutdown: () => {
        removePidfile(config);
        process.exit(0);
      },
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log.warning(`Warning: Could not create server TCP listening socket ${config.get('bind')}:${port}: ${e.code === 'EADDRINUSE' ? 'bind: Address already in use' : e.message}`);
    log.warning(`Failed listening on port ${port} (tcp), aborting.`);
    process.exit(1);
  }
  log.notice(`Running mode=standalone, port=${srv.port}.`);
  log.notice(`PID: ${process.pid}, host ${os.hostname()}`);
  log.notice('Server initialized');
  const pidfile = config.get('pidfile') || (config.bool('daemonize') ? '/var/run/redis_6379.pid' : '');
  if (pidfile !== '') {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (err) {
      log.warning(`Failed to write PID file: ${(err as Error).message}`);
    }
  }
  log.notice('Ready to accept connections tcp');

  const onSignal = (name: string): void => {
    log.warning(`Received ${name} scheduling shutdown...`);
    srv.state.shutdown({});
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

function removePidfile(config: Config): void {
  const pidfile = config.get('pidfile');
  if (pidfile === '') return;
  try {
    unlinkSync(pidfile);
  } catch {
    // already gone
  }
}
