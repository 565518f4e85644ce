/*
 * INFO: the server's state as `field:value` lines under `# Section` headers, CRLF-terminated, with
 * every field Redis 7.0 prints, in its order and under its names (monitoring tools, Sentinel and
 * client libraries parse them). Sections always come out in Redis's order whatever order they were
 * asked in; unknown names are ignored; no argument means `default`.
 *
 * Values are real where we have them. Facilities that do not exist yet (persistence, replication,
 * pub/sub, blocking, scripting) show their idle values; the module that implements one installs a
 * getter in `s.infoFields` under the field's name (or replaces a whole section through
 * `s.infoSections`), so INFO needs no change when they arrive.
 *
 * The reply is a verbatim string in RESP3, a bulk string in RESP2.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { allSpecs, register } from '../command';
import { clock } from '../keyspace/clock';
import { histogramPercentile, histogramTotal } from '../latency';
import { clientBuffersMemory, usedMemory } from '../evict';
import { bytesToHuman, EXPIRE_ENTRY_BYTES, KEY_SLOT_BYTES, memorySnapshot, type MemorySnapshot } from '../memory';
import type { ServerState } from '../state';

/** The Redis version whose behaviour we match. */
export const REDIS_VERSION = '7.0.15';

/** Our own version, read once from package.json. */
export const TREDIS_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

const BUILD_ID = createHash('sha1').update(`tredis-${TREDIS_VERSION}-${process.version}`).digest('hex').slice(0, 16);

/** Every section in output order. */
const SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;
type Section = (typeof SECTIONS)[number];

const TITLES: Record<Section, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

const DEFAULT_SECTIONS: readonly Section[] = SECTIONS.filter((x) => x !== 'commandstats' && x !== 'latencystats');

/** A configuration value, or `fallback` while the directive is not defined yet. */
function cfg(s: ServerState, name: string, fallback: string): string {
  return s.config.directive(name) !== undefined ? s.config.get(name) : fallback;
}

function fixed2(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '0.00';
}

/** Microseconds as Redis prints CPU times: seconds with six decimals. */
function cpuSeconds(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(Math.floor(us % 1e6)).padStart(6, '0')}`;
}

/** Collects the lines of one section, letting `s.infoFields` override any value. */
class Lines {
  readonly out: string[] = [];
  constructor(private readonly s: ServerState) {}

  /** Adds a field and returns the value actually printed. */
  f(name: string, value: string | number): string | number {
    const o = this.s.infoFields.get(name);
    const v = o !== undefined ? o() : value;
    this.out.push(`${name}:${v}`);
    return v;
  }

  /** A byte count followed by its `_human` twin. */
  bytes(name: string, value: number): void {
    const v = Number(this.f(name, value));
    this.out.push(`${name}_human:${bytesToHuman(v)}`);
  }
}

function serverSection(s: ServerState, l: Lines): void {
  const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const uptime = s.uptimeSeconds();
  l.f('redis_version', REDIS_VERSION);
  l.f('tredis_version', TREDIS_VERSION);
  l.f('redis_git_sha1', '00000000');
  l.f('redis_git_dirty', 0);
  l.f('redis_build_id', BUILD_ID);
  l.f('redis_mode', 'standalone');
  l.f('os', `${os.type()} ${os.release()} ${os.machine()}`);
  l.f('arch_bits', process.arch.includes('64') ? 64 : 32);
  l.f('monotonic_clock', 'POSIX clock_gettime');
  l.f('multiplexing_api', process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue');
  l.f('atomicvar_api', 'none');
  // not built with gcc: Redis prints 0.0.0 then
  l.f('gcc_version', '0.0.0');
  l.f('process_id', process.pid);
  const supervised = cfg(s, 'supervised', 'no');
  l.f('process_supervised', supervised === 'auto' ? 'no' : supervised);
  l.f('run_id', s.runId);
  l.f('tcp_port', s.port);
  l.f('server_time_usec', nowUs);
  l.f('uptime_in_seconds', uptime);
  l.f('uptime_in_days', Math.floor(uptime / 86400));
  l.f('hz', cfg(s, 'hz', '10'));
  l.f('configured_hz', cfg(s, 'hz', '10'));
  l.f('lru_clock', clock.lruNow & 0xffffff);
  l.f('executable', path.resolve(process.argv[1] ?? process.execPath));
  l.f('config_file', s.configFile === '' ? '' : path.resolve(s.configFile));
  l.f('io_threads_active', 0);
}

function clientsSection(s: ServerState, l: Lines): void {
  let replicas = 0;
  let maxIn = 0;
  let maxOut = 0;
  for (const c of s.clients.values()) {
    if (c.kind === 'replica') replicas++;
    maxIn = Math.max(maxIn, c.parser.pending);
    maxOut = Math.max(maxOut, c.outputBytes);
  }
  l.f('connected_clients', s.clients.size - replicas);
  l.f('cluster_connections', 0);
  l.f('maxclients', cfg(s, 'maxclients', '10000'));
  l.f('client_recent_max_input_buffer', maxIn);
  l.f('client_recent_max_output_buffer', maxOut);
  l.f('blocked_clients', 0);
  l.f('tracking_clients', 0);
  l.f('clients_in_timeout_table', 0);
}

/** Memory the clients' buffers hold (pending input and unsent output). */
/** The bookkeeping bytes of the keyspace: key slots and expiry entries. */
export function keyspaceOverhead(s: ServerState): { main: number[]; expires: number[]; total: number } {
  const main: number[] = [];
  const expires: number[] = [];
  let total = 0;
  for (const db of s.dbs) {
    main.push(db.size * KEY_SLOT_BYTES);
    expires.push(db.expires.size * EXPIRE_ENTRY_BYTES);
    total += db.size * KEY_SLOT_BYTES + db.expires.size * EXPIRE_ENTRY_BYTES;
  }
  return { main, expires, total };
}

/**
 * Reads the memory figures and updates the peak (INFO and MEMORY STATS share this): used is the
 * server's accounting (evict.ts usedMemory, what maxmemory is compared with), with the clients'
 * buffers summed now; active and rss are the process's.
 */
export function sampleMemory(s: ServerState): MemorySnapshot {
  s.clientsMemory = clientBuffersMemory(s);
  const proc = memorySnapshot();
  const m = { used: usedMemory(s), active: proc.active, rss: proc.rss };
  if (m.used > s.memoryPeak) s.memoryPeak = m.used;
  return m;
}

/** The derived figures INFO memory and MEMORY STATS both report. */
export function memoryFigures(s: ServerState, m: MemorySnapshot) {
  const clients = s.clientsMemory;
  const ks = keyspaceOverhead(s);
  const startup = Math.min(s.memoryStartup, m.used);
  const overhead = Math.min(startup + clients + ks.total, m.used);
  const dataset = m.used - overhead;
  const net = m.used - startup;
  return {
    clients,
    keyspace: ks,
    startup,
    overhead,
    dataset,
    datasetPerc: net > 0 ? (dataset * 100) / net : 0,
    peakPerc: s.memoryPeak > 0 ? (m.used * 100) / s.memoryPeak : 100,
  };
}

function memorySection(s: ServerState, l: Lines): void {
  const m = sampleMemory(s);
  const fig = memoryFigures(s, m);
  const maxmemory = Number(cfg(s, 'maxmemory', '0'));
  l.bytes('used_memory', m.used);
  l.bytes('used_memory_rss', m.rss);
  l.bytes('used_memory_peak', s.memoryPeak);
  l.f('used_memory_peak_perc', `${fixed2(fig.peakPerc)}%`);
  l.f('used_memory_overhead', fig.overhead);
  l.f('used_memory_startup', fig.startup);
  l.f('used_memory_dataset', fig.dataset);
  l.f('used_memory_dataset_perc', `${fixed2(fig.datasetPerc)}%`);
  l.f('allocator_allocated', m.used);
  l.f('allocator_active', m.active);
  l.f('allocator_resident', m.rss);
  l.bytes('total_system_memory', os.totalmem());
  const lua = Number(l.f('used_memory_lua', 0));
  l.f('used_memory_vm_eval', 0);
  l.out.push(`used_memory_lua_human:${bytesToHuman(lua)}`);
  l.f('used_memory_scripts_eval', 0);
  l.f('number_of_cached_scripts', 0);
  l.f('number_of_functions', 0);
  l.f('number_of_libraries', 0);
  l.f('used_memory_vm_functions', 0);
  l.bytes('used_memory_vm_total', 0);
  l.f('used_memory_functions', 0);
  l.bytes('used_memory_scripts', 0);
  l.bytes('maxmemory', maxmemory);
  l.f('maxmemory_policy', cfg(s, 'maxmemory-policy', 'noeviction'));
  l.f('allocator_frag_ratio', fixed2(m.active / m.used));
  l.f('allocator_frag_bytes', m.active - m.used);
  l.f('allocator_rss_ratio', fixed2(m.rss / m.active));
  l.f('allocator_rss_bytes', m.rss - m.active);
  l.f('rss_overhead_ratio', '1.00');
  l.f('rss_overhead_bytes', 0);
  l.f('mem_fragmentation_ratio', fixed2(m.rss / m.used));
  l.f('mem_fragmentation_bytes', m.rss - m.used);
  l.f('mem_not_counted_for_evict', 0);
  l.f('mem_replication_backlog', 0);
  l.f('mem_total_replication_buffers', 0);
  l.f('mem_clients_slaves', 0);
  l.f('mem_clients_normal', fig.clients);
  l.f('mem_cluster_links', 0);
  l.f('mem_aof_buffer', 0);
  l.f('mem_allocator', `v8-${process.versions.v8}`);
  l.f('active_defrag_running', 0);
  l.f('lazyfree_pending_objects', 0);
  l.f('lazyfreed_objects', s.stats.lazyfreedObjects);
}

function persistenceSection(s: ServerState, l: Lines): void {
  l.f('loading', 0);
  l.f('async_loading', 0);
  l.f('current_cow_peak', 0);
  l.f('current_cow_size', 0);
  l.f('current_cow_size_age', 0);
  l.f('current_fork_perc', '0.00');
  l.f('current_save_keys_processed', 0);
  l.f('current_save_keys_total', 0);
  l.f('rdb_changes_since_last_save', s.dirty);
  l.f('rdb_bgsave_in_progress', 0);
  l.f('rdb_last_save_time', s.lastSave);
  l.f('rdb_last_bgsave_status', 'ok');
  l.f('rdb_last_bgsave_time_sec', -1);
  l.f('rdb_current_bgsave_time_sec', -1);
  l.f('rdb_saves', 0);
  l.f('rdb_last_cow_size', 0);
  l.f('rdb_last_load_keys_expired', 0);
  l.f('rdb_last_load_keys_loaded', 0);
  l.f('aof_enabled', cfg(s, 'appendonly', 'no') === 'yes' ? 1 : 0);
  l.f('aof_rewrite_in_progress', 0);
  l.f('aof_rewrite_scheduled', 0);
  l.f('aof_last_rewrite_time_sec', -1);
  l.f('aof_current_rewrite_time_sec', -1);
  l.f('aof_last_bgrewrite_status', 'ok');
  l.f('aof_rewrites', 0);
  l.f('aof_rewrites_consecutive_failures', 0);
  l.f('aof_last_write_status', 'ok');
  l.f('aof_last_cow_size', 0);
  l.f('module_fork_in_progress', 0);
  l.f('module_fork_last_cow_size', 0);
  // only while appendonly is on (the AOF installs the getters), as Redis
  if (Number(s.infoFields.get('aof_enabled')?.() ?? 0) === 1) {
    for (const f of ['aof_current_size', 'aof_base_size', 'aof_pending_rewrite', 'aof_buffer_length', 'aof_pending_bio_fsync', 'aof_delayed_fsync']) l.f(f, 0);
  }
  // only while the dataset loads (persistence installs the getters); ioredis waits loading_eta_seconds
  if (Number(s.infoFields.get('loading')?.() ?? 0) === 1) {
    for (const f of ['loading_start_time', 'loading_total_bytes', 'loading_rdb_used_mem', 'loading_loaded_bytes', 'loading_loaded_perc', 'loading_eta_seconds']) l.f(f, 0);
  }
}

function statsSection(s: ServerState, l: Lines): void {
  const st = s.stats;
  let opsSum = 0;
  for (const x of st.opsSamples) opsSum += x;
  l.f('total_connections_received', st.totalConnections);
  l.f('total_commands_processed', st.totalCommands);
  // Redis averages over a fixed window of 16 samples, zeros included while it fills
  l.f('instantaneous_ops_per_sec', Math.floor(opsSum / 16));
  l.f('total_net_input_bytes', st.netInputBytes);
  l.f('total_net_output_bytes', st.netOutputBytes);
  l.f('total_net_repl_input_bytes', 0);
  l.f('total_net_repl_output_bytes', 0);
  l.f('instantaneous_input_kbps', '0.00');
  l.f('instantaneous_output_kbps', '0.00');
  l.f('instantaneous_input_repl_kbps', '0.00');
  l.f('instantaneous_output_repl_kbps', '0.00');
  l.f('rejected_connections', st.rejectedConnections);
  l.f('sync_full', 0);
  l.f('sync_partial_ok', 0);
  l.f('sync_partial_err', 0);
  l.f('expired_keys', st.expiredKeys);
  l.f('expired_stale_perc', fixed2(st.expiredStalePerc * 100));
  l.f('expired_time_cap_reached_count', 0);
  l.f('expire_cycle_cpu_milliseconds', 0);
  l.f('evicted_keys', st.evictedKeys);
  l.f('evicted_clients', 0);
  l.f('total_eviction_exceeded_time', 0);
  l.f('current_eviction_exceeded_time', 0);
  l.f('keyspace_hits', st.keyspaceHits);
  l.f('keyspace_misses', st.keyspaceMisses);
  l.f('pubsub_channels', s.channels.size);
  l.f('pubsub_patterns', s.patterns.size);
  l.f('pubsubshard_channels', s.shardChannels.size);
  l.f('latest_fork_usec', 0);
  l.f('total_forks', 0);
  l.f('migrate_cached_sockets', 0);
  l.f('slave_expires_tracked_keys', 0);
  l.f('active_defrag_hits', 0);
  l.f('active_defrag_misses', 0);
  l.f('active_defrag_key_hits', 0);
  l.f('active_defrag_key_misses', 0);
  l.f('total_active_defrag_time', 0);
  l.f('current_active_defrag_time', 0);
  l.f('tracking_total_keys', 0);
  l.f('tracking_total_items', 0);
  l.f('tracking_total_prefixes', 0);
  l.f('unexpected_error_replies', st.unexpectedErrorReplies);
  l.f('total_error_replies', st.totalErrorReplies);
  l.f('dump_payload_sanitizations', 0);
  l.f('total_reads_processed', st.totalReadsProcessed);
  l.f('total_writes_processed', st.totalWritesProcessed);
  l.f('io_threaded_reads_processed', 0);
  l.f('io_threaded_writes_processed', 0);
  l.f('reply_buffer_shrinks', 0);
  l.f('reply_buffer_expands', 0);
}

function replicationSection(s: ServerState, l: Lines): void {
  l.f('role', 'master');
  l.f('connected_slaves', 0);
  l.f('master_failover_state', 'no-failover');
  l.f('master_replid', s.replId);
  l.f('master_replid2', s.replId2);
  l.f('master_repl_offset', 0);
  l.f('second_repl_offset', -1);
  l.f('repl_backlog_active', 0);
  l.f('repl_backlog_size', cfg(s, 'repl-backlog-size', '1048576'));
  l.f('repl_backlog_first_byte_offset', 0);
  l.f('repl_backlog_histlen', 0);
}

function cpuSection(_s: ServerState, l: Lines): void {
  const u = process.cpuUsage();
  l.f('used_cpu_sys', cpuSeconds(u.system));
  l.f('used_cpu_user', cpuSeconds(u.user));
  l.f('used_cpu_sys_children', '0.000000');
  l.f('used_cpu_user_children', '0.000000');
  // Node 20 cannot read the main thread's own times: the process's include GC helper threads
  l.f('used_cpu_sys_main_thread', cpuSeconds(u.system));
  l.f('used_cpu_user_main_thread', cpuSeconds(u.user));
}

function commandstatsSection(s: ServerState, l: Lines): void {
  for (const spec of allSpecs) {
    const st = s.stats.commandStats[spec.id];
    if (st === undefined || (st.calls === 0 && st.failedCalls === 0 && st.rejectedCalls === 0)) continue;
    const usec = Math.floor(st.usec);
    const perCall = st.calls === 0 ? 0 : usec / st.calls;
    l.out.push(
      `cmdstat_${spec.name}:calls=${st.calls},usec=${usec},usec_per_call=${fixed2(perCall)},` +
        `rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}`,
    );
  }
}

function errorstatsSection(s: ServerState, l: Lines): void {
  const codes = [...s.stats.errorStats.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const code of codes) l.out.push(`errorstat_${code}:count=${s.stats.errorStats.get(code)}`);
}

/** latency-tracking-info-percentiles as numbers, skipping what does not parse. */
function percentiles(s: ServerState): number[] {
  return cfg(s, 'latency-tracking-info-percentiles', '50 99 99.9')
    .split(' ')
    .filter((x) => x !== '')
    .map(Number)
    .filter((x) => Number.isFinite(x) && x >= 0 && x <= 100);
}

function latencystatsSection(s: ServerState, l: Lines): void {
  if (!s.latencyTracking) return;
  const ps = percentiles(s);
  for (const spec of allSpecs) {
    const hist = s.stats.commandStats[spec.id]?.hist;
    if (hist === undefined || hist === null) continue;
    const total = histogramTotal(hist);
    if (total === 0) continue;
    const parts = ps.map((p) => `p${p}=${(histogramPercentile(hist, p, total) / 1000).toFixed(3)}`);
    l.out.push(`latency_percentiles_usec_${spec.name}:${parts.join(',')}`);
  }
}

function clusterSection(s: ServerState, l: Lines): void {
  l.f('cluster_enabled', cfg(s, 'cluster-enabled', 'no') === 'yes' ? 1 : 0);
}

function keyspaceSection(s: ServerState, l: Lines): void {
  for (const db of s.dbs) {
    if (db.size === 0) continue;
    l.out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.floor(db.avgTtl)}`);
  }
}

const GENERATORS: Record<Section, (s: ServerState, l: Lines) => void> = {
  server: serverSection,
  clients: clientsSection,
  memory: memorySection,
  persistence: persistenceSection,
  stats: statsSection,
  replication: replicationSection,
  cpu: cpuSection,
  modules: () => {},
  commandstats: commandstatsSection,
  errorstats: errorstatsSection,
  latencystats: latencystatsSection,
  cluster: clusterSection,
  keyspace: keyspaceSection,
};

/** Which sections the arguments of INFO select (lowercase names; `all`, `everything`, `default`). */
export function selectSections(args: readonly string[]): Set<Section> {
  const wanted = new Set<Section>();
  if (args.length === 0) {
    for (const x of DEFAULT_SECTIONS) wanted.add(x);
    return wanted;
  }
  for (const raw of args) {
    const a = raw.toLowerCase();
    if (a === 'all' || a === 'everything') for (const x of SECTIONS) wanted.add(x);
    else if (a === 'default') for (const x of DEFAULT_SECTIONS) wanted.add(x);
    else if (a === 'module_list') wanted.add('modules');
    else if ((SECTIONS as readonly string[]).includes(a)) wanted.add(a as Section);
  }
  return wanted;
}

/** The INFO text for the given arguments. */
export function genInfo(s: ServerState, args: readonly string[]): string {
  const wanted = selectSections(args);
  let out = '';
  let first = true;
  for (const section of SECTIONS) {
    if (!wanted.has(section)) continue;
    if (!first) out += '\r\n';
    first = false;
    out += `# ${TITLES[section]}\r\n`;
    const override = s.infoSections.get(section);
    const lines = new Lines(s);
    if (override !== undefined) lines.out.push(...override());
    else GENERATORS[section](s, lines);
    for (const line of lines.out) out += line + '\r\n';
  }
  return out;
}

register([
  {
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    categories: ['@dangerous'],
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
    docs: {
      summary: 'Reports information and statistics about the server.',
      since: '1.0.0',
      group: 'server',
      complexity: 'O(1)',
      args: '[section [section ...]]',
    },
    handler(c, argv, s) {
      c.verbatim(genInfo(s, argv.slice(1)));
    },
  },
]);
