/*
 * `bind` addresses as Node can listen on them. Redis's wildcards are `*` (every IPv4 address) and
 * `::*` (every IPv6 address); a leading `-` makes an address optional (skipped when it does not
 * exist on this host). Node's `::` is dual-stack and would collide with `0.0.0.0`, so when both
 * wildcards are asked for, the IPv4 one is kept and the IPv6 wildcard dropped.
 */

import { spawnSync } from 'node:child_process';

/** Maps bind words to listen hosts (keeping the optional `-` prefix). */
export function listenHosts(bind: string): string[] {
  const words = bind.split(' ').filter((w) => w !== '');
  const hosts = words.map((w) => {
    const opt = w.startsWith('-') ? '-' : '';
    const h = opt === '' ? w : w.slice(1);
    return opt + (h === '*' ? '0.0.0.0' : h === '::*' ? '::' : h);
  });
  if (hosts.some((h) => h.replace(/^-/, '') === '0.0.0.0')) return hosts.filter((h) => h.replace(/^-/, '') !== '::');
  return hosts;
}

/** The bind word (as the user wrote it) that a failing listen address came from, for Redis's log line. */
export function bindWordFor(bind: string, address: string | undefined): string {
  const words = bind.split(' ').filter((w) => w !== '');
  for (const w of words) {
    const h = w.replace(/^-/, '');
    if (h === address || (h === '*' && address === '0.0.0.0') || (h === '::*' && address === '::')) return h;
  }
  return address ?? words[0] ?? '*';
}

/** A listen address that could not be bound, and the errno code why. */
export interface ListenFailure {
  host: string;
  code: string;
}

// Run in a child: binds every host in turn (optional ones may be missing on this host, as in
// Server.listen) and reports the first failure as JSON.
const PROBE = `
const net = require('node:net');
const [port, hosts] = JSON.parse(process.argv[1]);
(async () => {
  for (const raw of hosts) {
    const optional = raw.startsWith('-');
    const host = optional ? raw.slice(1) : raw;
    const code = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', (e) => resolve(e.code || 'EINVAL'));
      srv.listen({ port, host }, () => resolve(null));
    });
    if (code !== null && !(optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT'))) {
      process.stdout.write(JSON.stringify({ host, code }));
      process.exit(1);
    }
  }
  process.exit(0);
})();
`;

/**
 * Whether `hosts` can all be listened on at `port`, answered synchronously: Node binds
 * asynchronously, but CONFIG SET port/bind must reply with the outcome as Redis does, so a short-lived
 * child process tries the binds. Hosts in `held` (what this server listens on now, at this port) are
 * left out: the server hands them over itself. Null when everything could be bound.
 */
export function probeListen(port: number, hosts: string[], held: string[] = []): ListenFailure | null {
  const owned = new Set(held.map((h) => h.replace(/^-/, '')));
  const todo = hosts.filter((h) => !owned.has(h.replace(/^-/, '')));
  if (port === 0 || todo.length === 0) return null;
  const r = spawnSync(process.execPath, ['-e', PROBE, JSON.stringify([port, todo])], { encoding: 'latin1', timeout: 10000 });
  if (r.status === 0) return null;
  let failure: ListenFailure;
  try {
    failure = JSON.parse(r.stdout) as ListenFailure;
  } catch {
    return { host: todo[0]!.replace(/^-/, ''), code: 'EINVAL' };
  }
  // a wildcard overlaps this server's own listeners at the same port, which it releases before
  // binding: the probe cannot tell, so the asynchronous bind decides (and undoes on failure)
  const wild = (h: string): boolean => h === '0.0.0.0' || h === '::';
  if (failure.code === 'EADDRINUSE' && owned.size !== 0 && (wild(failure.host) || [...owned].some(wild))) return null;
  return failure;
}
