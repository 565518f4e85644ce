/*
 * `bind` addresses as Node can listen on them. Redis's wildcards are `*` (every IPv4 address) and
 * `::*` (every IPv6 address); a leading `-` makes an address optional (skipped when it does not
 * exist on this host). Node's `::` is dual-stack and would collide with `0.0.0.0`, so when both
 * wildcards are asked for, the IPv4 one is kept and the IPv6 wildcard dropped.
 */

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
