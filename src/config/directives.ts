/*
 * Every configuration directive Redis 7.0 knows, as data: type, default, bounds or values, alias,
 * and flags (immutable, protected, hidden, multi-argument, sensitive), plus whether it means anything
 * in a Node process (`noEffect`). Directives of features still to come are stored and validated
 * already, so a user's redis.conf loads unchanged and CONFIG GET/SET answer as Redis does.
 *
 * The order is Redis's own table order: CONFIG REWRITE appends new lines in this order.
 *
 * Numbers keep Redis's C semantics, which show in its error messages: `unsigned` directives (C
 * unsigned int, unsigned long long, size_t) compare their bounds as unsigned 64-bit values, so -1 is
 * "between 1 and 4294967295" rather than unparsable; `memory` ones accept units (1kb, 5gb) and print
 * bytes; `percent` accepts N% (stored negative, as Redis does); `octal` parses base 8.
 */

export type DirectiveType = 'bool' | 'string' | 'enum' | 'flags' | 'number' | 'special';

export interface Directive {
  name: string;
  /** the other accepted name (slaveof, hash-max-ziplist-entries, ...) */
  alias?: string;
  type: DirectiveType;
  /** the value as CONFIG GET shows it */
  default: string;
  /** numbers: bounds, C signedness, and how the value is written */
  min?: bigint;
  max?: bigint;
  unsigned?: boolean;
  memory?: boolean;
  percent?: boolean;
  octal?: boolean;
  /** enum and flags: accepted names in Redis's order; for flags the first one means "none" */
  values?: string[];
  /** enum names that mean the same as another (oom-score-adj relative = yes); GET shows the target */
  synonyms?: Record<string, string>;
  /** strings: an empty value means unset (CONFIG REWRITE then writes no line) */
  emptyIsNull?: boolean;
  /** takes several arguments (save 900 1 300 10); CONFIG SET splits its value on spaces */
  multiArg?: boolean;
  /** cannot be changed with CONFIG SET */
  immutable?: boolean;
  /** CONFIG SET needs enable-protected-configs */
  protected?: boolean;
  /** CONFIG GET lists it only when asked by its exact name */
  hidden?: boolean;
  /** its value is a secret (redacted from SLOWLOG and MONITOR) */
  sensitive?: boolean;
  /** accepted and shown, but has no effect in a Node process or in tredis */
  noEffect?: boolean;
  /** extra validation after parsing: Redis's error text, or null when valid */
  validate?: (value: string) => string | null;
}

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const LLONG_MAX = LONG_MAX;
const ULLONG_MAX = 18446744073709551615n;
const SSIZE_MAX = LONG_MAX;

type Opts = Partial<Omit<Directive, 'name' | 'type' | 'default'>>;

function bool(name: string, def: boolean, o: Opts = {}): Directive {
  return { name, type: 'bool', default: def ? 'yes' : 'no', ...o };
}
function str(name: string, def: string, o: Opts = {}): Directive {
  return { name, type: 'string', default: def, ...o };
}
function enm(name: string, values: string[], def: string, o: Opts = {}): Directive {
  return { name, type: 'enum', default: def, values, ...o };
}
function num(name: string, min: bigint, max: bigint, def: string, o: Opts = {}): Directive {
  return { name, type: 'number', default: def, min, max, ...o };
}
function special(name: string, def: string, o: Opts = {}): Directive {
  return { name, type: 'special', default: def, ...o };
}

const baseName = (what: string, kind: string) => (v: string): string | null => {
  if (v === '' && kind !== 'db') return `${what} can't be empty`;
  if (v.includes('/') || v.includes('\\')) return `${what} can't be a path, just a ${kind === 'dir' ? 'dirname' : 'filename'}`;
  return null;
};

function validHostname(v: string): string | null {
  if (v.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(v)) return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

/** proc-title-template: known {variables} only, and not empty once expanded with an empty title. */
function validTitleTemplate(v: string): string | null {
  const bad = 'template format is invalid or contains unknown variables';
  const sample: Record<string, string> = {
    title: '',
    'listen-addr': '*:6379',
    'server-mode': '',
    port: '6379',
    'tls-port': '0',
    unixsocket: '',
    'config-file': '',
  };
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '{') {
      out += v[i];
      continue;
    }
    const end = v.indexOf('}', i);
    if (end === -1) return bad;
    const value = sample[v.slice(i + 1, end)];
    if (value === undefined) return bad;
    out += value;
    i = end;
  }
  return out.trim() === '' ? bad : null;
}

const DEFRAG_ERROR =
  'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the ' +
  'one shipped by default with the Redis source distribution';

const NE = { noEffect: true };
const IMM = { immutable: true };
const IMM_NE = { immutable: true, noEffect: true };
const NULL_STR = { emptyIsNull: true };

export const DIRECTIVES: Directive[] = [
  /* yes/no */
  bool('rdbchecksum', true, IMM),
  bool('daemonize', false, IMM),
  bool('io-threads-do-reads', false, IMM_NE),
  bool('always-show-logo', false, IMM),
  bool('protected-mode', true),
  bool('rdbcompression', true),
  bool('rdb-del-sync-files', false),
  bool('activerehashing', true, NE),
  bool('stop-writes-on-bgsave-error', true),
  bool('set-proc-title', true, IMM_NE),
  bool('dynamic-hz', true, NE),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('repl-disable-tcp-nodelay', false),
  bool('repl-diskless-sync', true),
  bool('aof-rewrite-incremental-fsync', true, NE),
  bool('no-appendfsync-on-rewrite', false),
  bool('cluster-require-full-coverage', true, NE),
  bool('rdb-save-incremental-fsync', true, NE),
  bool('aof-load-truncated', true),
  bool('aof-use-rdb-preamble', true),
  bool('aof-timestamp-enabled', false),
  bool('cluster-replica-no-failover', false, { alias: 'cluster-slave-no-failover', noEffect: true }),
  bool('replica-lazy-flush', false, { alias: 'slave-lazy-flush' }),
  bool('replica-serve-stale-data', true, { alias: 'slave-serve-stale-data' }),
  bool('replica-read-only', true, { alias: 'slave-read-only' }),
  bool('replica-ignore-maxmemory', true, { alias: 'slave-ignore-maxmemory' }),
  bool('jemalloc-bg-thread', true, NE),
  bool('activedefrag', false, { noEffect: true, validate: (v) => (v === 'yes' ? DEFRAG_ERROR : null) }),
  bool('syslog-enabled', false, IMM_NE),
  bool('cluster-enabled', false, IMM_NE),
  bool('appendonly', false),
  bool('cluster-allow-reads-when-down', false, NE),
  bool('cluster-allow-pubsubshard-when-down', true, NE),
  bool('crash-log-enabled', true, NE),
  bool('crash-memcheck-enabled', true, NE),
  bool('use-exit-on-panic', false, { hidden: true, noEffect: true }),
  bool('disable-thp', true, IMM_NE),
  bool('cluster-allow-replica-migration', true, NE),
  bool('replica-announced', true),
  bool('latency-tracking', true),
  bool('aof-disable-auto-gc', false),
  bool('replica-ignore-disk-write-errors', false),

  /* strings */
  str('aclfile', '', IMM),
  str('unixsocket', '', { ...IMM_NE, ...NULL_STR }),
  str('pidfile', '', { ...IMM, ...NULL_STR }),
  str('replica-announce-ip', '', { alias: 'slave-announce-ip', ...NULL_STR }),
  str('masteruser', '', { sensitive: true, ...NULL_STR }),
  str('cluster-announce-ip', '', { ...NE, ...NULL_STR }),
  str('cluster-config-file', 'nodes.conf', IMM_NE),
  str('cluster-announce-hostname', '', { ...NE, ...NULL_STR, validate: validHostname }),
  str('syslog-ident', 'redis', IMM_NE),
  str('dbfilename', 'dump.rdb', { protected: true, validate: baseName('dbfilename', 'db') }),
  str('appendfilename', 'appendonly.aof', { ...IMM, validate: baseName('appendfilename', 'file') }),
  str('appenddirname', 'appendonlydir', { ...IMM, validate: baseName('appenddirname', 'dir') }),
  str('server_cpulist', '', { ...IMM_NE, ...NULL_STR }),
  str('bio_cpulist', '', { ...IMM_NE, ...NULL_STR }),
  str('aof_rewrite_cpulist', '', { ...IMM_NE, ...NULL_STR }),
  str('bgsave_cpulist', '', { ...IMM_NE, ...NULL_STR }),
  str('ignore-warnings', '', NE),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', { noEffect: true, validate: validTitleTemplate }),
  str('bind-source-addr', '', { ...NE, ...NULL_STR }),
  str('logfile', '', IMM),
  str('masterauth', '', { sensitive: true, ...NULL_STR }),
  str('requirepass', '', { sensitive: true, ...NULL_STR }),

  /* enums */
  enm('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', IMM_NE),
  enm('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', IMM_NE),
  enm('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled'),
  enm('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice'),
  enm(
    'maxmemory-policy',
    ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
    'noeviction',
  ),
  enm('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  enm('oom-score-adj', ['no', 'yes', 'relative', 'absolute'], 'no', { noEffect: true, synonyms: { relative: 'yes' } }),
  enm('acl-pubsub-default', ['allchannels', 'resetchannels'], 'resetchannels'),
  enm('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),
  enm('enable-protected-configs', ['no', 'yes', 'local'], 'no', IMM),
  enm('enable-debug-command', ['no', 'yes', 'local'], 'no', IMM),
  enm('enable-module-command', ['no', 'yes', 'local'], 'no', IMM_NE),
  enm('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip', NE),
  enm('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),
  { name: 'shutdown-on-sigint', type: 'flags', default: 'default', values: ['default', 'save', 'nosave', 'now', 'force'], multiArg: true },
  { name: 'shutdown-on-sigterm', type: 'flags', default: 'default', values: ['default', 'save', 'nosave', 'now', 'force'], multiArg: true },

  /* numbers: int */
  num('databases', 1n, INT_MAX, '16', IMM),
  num('port', 0n, 65535n, '6379'),
  num('io-threads', 1n, 128n, '1', IMM_NE),
  num('auto-aof-rewrite-percentage', 0n, INT_MAX, '100'),
  num('cluster-replica-validity-factor', 0n, INT_MAX, '10', { alias: 'cluster-slave-validity-factor', noEffect: true }),
  num('list-max-listpack-size', INT_MIN, INT_MAX, '-2', { alias: 'list-max-ziplist-size' }),
  num('tcp-keepalive', 0n, INT_MAX, '300'),
  num('cluster-migration-barrier', 0n, INT_MAX, '1', NE),
  num('active-defrag-cycle-min', 1n, 99n, '1', NE),
  num('active-defrag-cycle-max', 1n, 99n, '25', NE),
  num('active-defrag-threshold-lower', 0n, 1000n, '10', NE),
  num('active-defrag-threshold-upper', 0n, 1000n, '100', NE),
  num('lfu-log-factor', 0n, INT_MAX, '10'),
  num('lfu-decay-time', 0n, INT_MAX, '1'),
  num('replica-priority', 0n, INT_MAX, '100', { alias: 'slave-priority' }),
  num('repl-diskless-sync-delay', 0n, INT_MAX, '5'),
  num('maxmemory-samples', 1n, INT_MAX, '5'),
  num('maxmemory-eviction-tenacity', 0n, 100n, '10'),
  num('timeout', 0n, INT_MAX, '0'),
  num('replica-announce-port', 0n, 65535n, '0', { alias: 'slave-announce-port' }),
  num('tcp-backlog', 0n, INT_MAX, '511', IMM_NE),
  num('cluster-port', 0n, 65535n, '0', IMM_NE),
  num('cluster-announce-bus-port', 0n, 65535n, '0', NE),
  num('cluster-announce-port', 0n, 65535n, '0', NE),
  num('cluster-announce-tls-port', 0n, 65535n, '0', NE),
  num('repl-timeout', 1n, INT_MAX, '60'),
  num('repl-ping-replica-period', 1n, INT_MAX, '10', { alias: 'repl-ping-slave-period' }),
  num('list-compress-depth', 0n, INT_MAX, '0', NE),
  num('rdb-key-save-delay', INT_MIN, INT_MAX, '0', { hidden: true }),
  num('key-load-delay', INT_MIN, INT_MAX, '0', { hidden: true }),
  num('active-expire-effort', 1n, 10n, '1'),
  num('hz', 0n, INT_MAX, '10'),
  num('min-replicas-to-write', 0n, INT_MAX, '0', { alias: 'min-slaves-to-write' }),
  num('min-replicas-max-lag', 0n, INT_MAX, '10', { alias: 'min-slaves-max-lag' }),
  num('watchdog-period', 0n, INT_MAX, '0', { hidden: true, noEffect: true }),
  num('shutdown-timeout', 0n, INT_MAX, '10'),
  num('repl-diskless-sync-max-replicas', 0n, INT_MAX, '0'),
  /* unsigned int */
  num('maxclients', 1n, UINT_MAX, '10000', { unsigned: true }),
  num('unixsocketperm', 0n, 0o777n, '0', { unsigned: true, octal: true, ...IMM_NE }),
  num('socket-mark-id', 0n, UINT_MAX, '0', { unsigned: true, ...IMM_NE }),
  /* unsigned long (compared signed, as Redis does) */
  num('active-defrag-max-scan-fields', 1n, LONG_MAX, '1000', NE),
  num('slowlog-max-len', 0n, LONG_MAX, '128'),
  num('acllog-max-len', 0n, LONG_MAX, '128'),
  /* long long */
  num('busy-reply-threshold', 0n, LONG_MAX, '5000', { alias: 'lua-time-limit' }),
  num('cluster-node-timeout', 0n, LLONG_MAX, '15000', NE),
  num('slowlog-log-slower-than', -1n, LLONG_MAX, '10000'),
  num('latency-monitor-threshold', 0n, LLONG_MAX, '0'),
  num('proto-max-bulk-len', 1048576n, LONG_MAX, '536870912', { memory: true }),
  num('stream-node-max-entries', 0n, LLONG_MAX, '100'),
  num('repl-backlog-size', 1n, LLONG_MAX, '1048576', { memory: true }),
  /* unsigned long long */
  num('maxmemory', 0n, ULLONG_MAX, '0', { memory: true, unsigned: true }),
  num('cluster-link-sendbuf-limit', 0n, ULLONG_MAX, '0', { memory: true, unsigned: true, noEffect: true }),
  /* size_t */
  num('hash-max-listpack-entries', 0n, LONG_MAX, '512', { alias: 'hash-max-ziplist-entries', unsigned: true }),
  num('set-max-intset-entries', 0n, LONG_MAX, '512', { unsigned: true }),
  num('zset-max-listpack-entries', 0n, LONG_MAX, '128', { alias: 'zset-max-ziplist-entries', unsigned: true }),
  num('active-defrag-ignore-bytes', 1n, LLONG_MAX, '104857600', { memory: true, unsigned: true, noEffect: true }),
  num('hash-max-listpack-value', 0n, LONG_MAX, '64', { alias: 'hash-max-ziplist-value', memory: true, unsigned: true }),
  num('stream-node-max-bytes', 0n, LONG_MAX, '4096', { memory: true, unsigned: true }),
  num('zset-max-listpack-value', 0n, LONG_MAX, '64', { alias: 'zset-max-ziplist-value', memory: true, unsigned: true }),
  num('hll-sparse-max-bytes', 0n, LONG_MAX, '3000', { memory: true, unsigned: true }),
  num('tracking-table-max-keys', 0n, LONG_MAX, '1000000', { unsigned: true }),
  num('client-query-buffer-limit', 1048576n, LONG_MAX, '1073741824', { memory: true, unsigned: true }),
  /* ssize_t */
  num('maxmemory-clients', -100n, SSIZE_MAX, '0', { memory: true, percent: true }),
  /* time_t, off_t */
  num('repl-backlog-ttl', 0n, LONG_MAX, '3600'),
  num('auto-aof-rewrite-min-size', 0n, LLONG_MAX, '67108864', { memory: true }),
  num('loading-process-events-interval-bytes', 1024n, INT_MAX, '2097152', { hidden: true, noEffect: true }),

  /* TLS: accepted and validated; tredis does not speak TLS, so enabling it fails as a Redis without certificates does */
  num('tls-port', 0n, 65535n, '0', NE),
  num('tls-session-cache-size', 0n, INT_MAX, '20480', NE),
  num('tls-session-cache-timeout', 0n, INT_MAX, '300', NE),
  bool('tls-cluster', false, NE),
  bool('tls-replication', false, NE),
  enm('tls-auth-clients', ['no', 'yes', 'optional'], 'yes', NE),
  bool('tls-prefer-server-ciphers', false, NE),
  bool('tls-session-caching', true, NE),
  str('tls-cert-file', '', { ...NE, ...NULL_STR }),
  str('tls-key-file', '', { ...NE, ...NULL_STR }),
  str('tls-key-file-pass', '', { ...NE, ...NULL_STR }),
  str('tls-client-cert-file', '', { ...NE, ...NULL_STR }),
  str('tls-client-key-file', '', { ...NE, ...NULL_STR }),
  str('tls-client-key-file-pass', '', { ...NE, ...NULL_STR }),
  str('tls-dh-params-file', '', { ...NE, ...NULL_STR }),
  str('tls-ca-cert-file', '', { ...NE, ...NULL_STR }),
  str('tls-ca-cert-dir', '', { ...NE, ...NULL_STR }),
  str('tls-protocols', '', { ...NE, ...NULL_STR }),
  str('tls-ciphers', '', { ...NE, ...NULL_STR }),
  str('tls-ciphersuites', '', { ...NE, ...NULL_STR }),

  /* special */
  special('dir', '', { protected: true }),
  special('save', '3600 1 300 100 60 10000', { multiArg: true }),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', { multiArg: true }),
  special('oom-score-adj-values', '0 200 800', { multiArg: true, noEffect: true }),
  special('notify-keyspace-events', ''),
  special('bind', '127.0.0.1 -::1', { multiArg: true }),
  special('replicaof', '', { alias: 'slaveof', multiArg: true, immutable: true }),
  special('latency-tracking-info-percentiles', '50 99 99.9', { multiArg: true }),
];

/** The TLS directives whose change makes Redis reconfigure TLS (and fail without certificates). */
export const TLS_APPLY = new Set([
  'tls-session-cache-size',
  'tls-session-cache-timeout',
  'tls-cluster',
  'tls-replication',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-client-key-file-pass',
  'tls-dh-params-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
]);
