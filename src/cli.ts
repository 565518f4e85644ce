/*
 * tredis-server: the command line and the process around the server, as redis-server's.
 *
 *   tredis-server [/path/to/redis.conf] [-] [--directive value ...]
 *
 * The config file, stdin ('-') and the options are loaded as one text (cmdline.ts, file.ts), so a bad
 * option is reported like a bad line, with Redis's FATAL CONFIG FILE ERROR block and exit code 1.
 * commander 14 provides --help and --version (-v); everything else follows redis-server's own rules,
 * which commander's option model cannot express (values that start with `--`, `--save` alone, ...).
 *
 * Process lifecycle lives here, not in the library: the start-up log lines, `dir` (chdir), daemonize
 * (Node cannot fork, so the process re-spawns itself detached and the parent exits 0), signals
 * (SIGINT/SIGTERM shut down as SHUTDOWN does, honouring shutdown-on-sigint/sigterm; a second SIGINT
 * exits at once), and the exit codes when the port is taken or nothing can be listened on.
 */

import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import { renameCommand } from './command';
import { bindWordFor } from './config/bind';
import { parseCommandLine, configText } from './config/cmdline';
import { Config, RESERVED_FDS, openFilesLimit, strerror } from './config/config';
import {
  ConfigFileError,
  ConfigOpenError,
  REDIS_VERSION,
  loadConfigText,
  newLoadResult,
  readConfigFile,
  type LoadResult,
} from './config/file';
import { Logger, type LogLevel } from './log';
import { startServer, type RunningServer } from './server';

export const VERSION: string = (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;

const DAEMON_ENV = 'TREDIS_DAEMONIZED';

export function versionLine(): string {
  return `tredis server v=${VERSION} redis_version=${REDIS_VERSION} node=${process.version} bits=64`;
}

function program(): Command {
  return new Command('tredis-server')
    .usage('[/path/to/redis.conf] [options] [-]')
    .description(
      `A Redis ${REDIS_VERSION} compatible server. Any redis.conf directive can be given as --directive value [value ...];\n` +
        "the options are applied after the config file, as redis-server does. '-' reads the config from stdin.",
    )
    .version(versionLine(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  tredis-server                                  (run the server with the default config)',
        "  echo 'maxmemory 128mb' | tredis-server -",
        '  tredis-server /etc/redis/6379.conf',
        '  tredis-server --port 7777',
        '  tredis-server --port 7777 --replicaof 127.0.0.1 8888',
        '  tredis-server /etc/myredis.conf --loglevel verbose -',
        '  tredis-server /etc/myredis.conf --loglevel verbose',
      ].join('\n'),
    );
}

function exit(code: number): never {
  process.exit(code);
}

/** Reads the config (file, stdin, options) as redis-server does; exits 1 on errors. */
function loadConfig(argv: string[], log: Logger, stdinText: string | null): { config: Config; configFile: string; result: LoadResult; stdinText: string } {
  const cl = parseCommandLine(argv);
  const config = new Config();
  let configFile = '';
  let fileText = '';
  let input = '';
  try {
    if (cl.configFile !== null) {
      configFile = path.resolve(cl.configFile);
      fileText = readConfigFile(configFile);
    }
    if (cl.stdin) {
      if (stdinText === null) log.warning('Reading config from stdin');
      input = stdinText ?? readFileSync(0, 'latin1');
    }
    const result =
      argv.length === 0
        ? newLoadResult()
        : loadConfigText(config, configText(fileText, input, cl.options), newLoadResult(), { saveLoaded: false }, { renameCommand });
    return { config, configFile, result, stdinText: input };
  } catch (err) {
    if (err instanceof ConfigFileError) {
      process.stderr.write(Buffer.from(err.message, 'latin1'));
      exit(1);
    }
    if (err instanceof ConfigOpenError) {
      log.warning(err.message);
      exit(1);
    }
    throw err;
  }
}

/** daemonize yes: start a detached copy of this process (stdio to the logfile or /dev/null), then exit 0. */
function daemonize(argv: string[], config: Config, stdinText: string): void {
  const logfile = config.get('logfile');
  const out = logfile === '' ? 'ignore' : openSync(path.resolve(config.get('dir'), logfile), 'a');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    detached: true,
    cwd: process.cwd(),
    stdio: [stdinText === '' ? 'ignore' : 'pipe', out, out],
    env: { ...process.env, [DAEMON_ENV]: '1' },
  });
  child.unref();
  if (child.stdin !== null) child.stdin.end(Buffer.from(stdinText, 'latin1'), () => exit(0));
  else exit(0);
}

/** As Redis at start-up: more clients than file descriptors allow lowers maxclients, with its warnings. */
function adjustMaxclients(config: Config, log: Logger): void {
  const limit = openFilesLimit();
  const wanted = config.number('maxclients');
  if (limit === null || wanted + RESERVED_FDS <= limit) return;
  const reduced = limit - RESERVED_FDS;
  log.warning(`You requested maxclients of ${wanted} requiring at least ${wanted + RESERVED_FDS} max file descriptors.`);
  log.warning(`Server can't set maximum open files to ${wanted + RESERVED_FDS} because of OS error: Operation not permitted.`);
  log.warning(
    `Current maximum open files is ${limit}. maxclients has been reduced to ${reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
  );
  config.set('maxclients', String(reduced));
}

function modeLine(config: Config, port: number): string[] {
  const showLogo = config.bool('always-show-logo') || (process.stdout.isTTY === true && config.get('logfile') === '');
  // supervisors grep for `PID: <pid>` and the port, so the one-line form names both too
  if (!showLogo) return [`Running mode=standalone, port=${port}, PID: ${process.pid}.`];
  return [
    `tredis ${VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit, node ${process.version}`,
    `Running in standalone mode`,
    `Port: ${port}`,
    `PID: ${process.pid}`,
  ];
}

export async function main(argv: string[]): Promise<void> {
  const first = argv[0];
  if (first === '-v' || first === '--version' || first === '-h' || first === '--help') {
    program().parse([first], { from: 'user' });
    return;
  }
  if (first === '--test-memory' || first === '--check-system' || argv.includes('--sentinel')) {
    process.stderr.write(`tredis-server: ${argv.includes('--sentinel') ? '--sentinel' : first} is not supported by tredis\n`);
    exit(1);
  }

  // On one core (pinned with taskset, or a one-CPU machine) V8's parallel scavenge hands work to
  // helper threads that take turns with the main thread on that same core, and the pause grows.
  // With 1M keys under SET load, the median young-GC pause measured 1.36 ms without it and
  // 1.91 ms with it. V8 reads this flag at each scavenge.
  if (availableParallelism() === 1) setFlagsFromString('--no-parallel-scavenge');

  // a log reader that goes away (`tredis-server | head`) must not take the server down: Redis
  // ignores SIGPIPE and failed log writes, where Node would throw EPIPE from the stream
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const daemonChild = process.env[DAEMON_ENV] === '1';
  delete process.env[DAEMON_ENV];
  const log = new Logger();
  log.role = 'C';
  const { config, configFile, result, stdinText } = loadConfig(argv, log, null);
  log.level = config.get('loglevel') as LogLevel;
  // relative to `dir`, where Redis has chdir()ed by now
  log.file = config.get('logfile') === '' ? '' : path.resolve(config.get('dir'), config.get('logfile'));

  if (!daemonChild) {
    log.warning('oO0OoO0OoO0Oo tredis is starting oO0OoO0OoO0Oo');
    log.warning(
      `tredis version=${VERSION}, redis_version=${REDIS_VERSION}, bits=64, node=${process.version}, pid=${process.pid}, just started`,
    );
    if (argv.length === 0) {
      log.warning(
        'Warning: no config file specified, using the default config. In order to specify a config file use tredis-server /path/to/redis.conf',
      );
    } else {
      log.warning('Configuration loaded');
    }
    if (config.bool('daemonize')) {
      daemonize(argv, config, stdinText);
      return;
    }
  }

  // Redis chdir()s to `dir`; here the library keeps it as a value and the process follows it
  process.chdir(config.get('dir'));
  config.onChange('dir', (d) => process.chdir(d));
  log.role = 'M';
  adjustMaxclients(config, log);
  if (config.bool('daemonize') && config.get('pidfile') === '') config.set('pidfile', '/var/run/redis.pid');
  if (config.get('tls-port') !== '0' || config.bool('tls-replication') || config.bool('tls-cluster')) {
    log.warning('TLS is not supported by tredis (tls-port, tls-replication, tls-cluster).');
    log.warning('Failed to configure TLS. Check logs for more info.');
    exit(1);
  }
  const port = config.number('port');
  if (port === 0) {
    log.warning('Configured to not listen anywhere, exiting.');
    exit(1);
  }
  for (const u of result.users) {
    log.warning(`ACL 'user ${u[0]}' directive accepted but not enforced: tredis has no ACL users yet.`);
  }
  if (config.bool('set-proc-title')) process.title = `tredis-server ${config.get('bind').split(' ')[0] ?? '*'}:${port}`;

  let srv: RunningServer;
  try {
    srv = await startServer({ config, configFile, onShutdown: () => exit(0), ownsProcess: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { address?: string };
    log.warning(
      `Warning: Could not create server TCP listening socket ${bindWordFor(config.get('bind'), e.address)}:${port}: ${e.syscall ?? 'bind'}: ${strerror(e)}`,
    );
    log.warning(`Failed listening on port ${port} (TCP), aborting.`);
    exit(1);
  }
  const slog = srv.state.log;
  slog.file = log.file;
  for (const line of modeLine(config, port)) slog.notice(line);
  slog.warning('Server initialized');
  const noEffect = new Set(config.allEntries().map((e) => e.d).filter((d) => d.noEffect && !config.isDefault(d.name)));
  for (const d of noEffect) slog.verbose(`Directive '${d.name}' is accepted but has no effect in tredis`);
  for (const m of result.modules) {
    slog.warning(`Module ${m} failed to load: tredis cannot load Redis modules`);
    slog.warning(`Can't load module from ${m}: server aborting`);
    exit(1);
  }
  if (result.moduleConfigs.length !== 0) {
    slog.warning('Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting');
    exit(1);
  }
  let signalled = false;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (signalled && sig === 'SIGINT') {
      slog.signal('You insist... exiting now.');
      exit(1);
    }
    signalled = true;
    slog.signal(`Received ${sig} scheduling shutdown...`);
    const flags = config.get(sig === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm').split(' ');
    const err = srv.state.shutdown({
      save: flags.includes('save'),
      noSave: flags.includes('nosave'),
      now: flags.includes('now'),
      force: flags.includes('force'),
    });
    if (err !== null) {
      signalled = false;
      slog.warning(`${sig} received but errors trying to shut down the server, check the logs for more information`);
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // after the handlers: a supervisor that stops the server as soon as it reads this gets a clean shutdown
  slog.notice('Ready to accept connections');
}
