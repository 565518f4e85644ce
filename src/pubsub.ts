/*
 * Pub/sub (Redis's pubsub.c) and keyspace notifications (notify.c).
 *
 * The server keeps three maps: channel -> subscribers, pattern -> subscribers, shard channel ->
 * subscribers (ServerState.channels/patterns/shardChannels); each client keeps the names it is
 * subscribed to. PUBLISH builds the message frame once and appends the same text to every receiver
 * (RESP2 and RESP3 frames differ only in their first byte), then queues each receiver for one socket
 * write after the current batch (ServerState.queueWrite), so a fan-out to a thousand subscribers
 * encodes once and writes once per subscriber. Delivery order is Redis's: channel subscribers in
 * subscription order, then pattern subscribers.
 *
 * A subscribed client is of class "pubsub" for client-output-buffer-limit, so a subscriber that stops
 * reading is cut off instead of growing memory.
 *
 * Keyspace notifications: ServerState.notify(class, event, key, db) publishes on
 * `__keyspace@<db>__:<key>` (K) and `__keyevent@<db>__:<event>` (E) when notify-keyspace-events
 * enables the class.
 */

import type { Client } from './client';
import { globMatch } from './keyspace/glob';
import { bulkHead } from './protocol/reply';
import type { ServerState } from './state';

export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** The reply kinds Redis uses for each subscription kind. */
const NAMES: Record<SubscriptionKind, { sub: string; unsub: string }> = {
  channel: { sub: 'subscribe', unsub: 'unsubscribe' },
  pattern: { sub: 'psubscribe', unsub: 'punsubscribe' },
  shard: { sub: 'ssubscribe', unsub: 'sunsubscribe' },
};

function serverMap(s: ServerState, kind: SubscriptionKind): Map<string, Set<Client>> {
  return kind === 'channel' ? s.channels : kind === 'pattern' ? s.patterns : s.shardChannels;
}

function clientSet(c: Client, kind: SubscriptionKind): Set<string> {
  if (kind === 'channel') return (c.channels ??= new Set());
  if (kind === 'pattern') return (c.patterns ??= new Set());
  return (c.shardChannels ??= new Set());
}

/** Redis's count in (un)subscribe replies: channels + patterns, or shard channels for the S forms. */
function replyCount(c: Client, kind: SubscriptionKind): number {
  if (kind === 'shard') return c.shardChannels?.size ?? 0;
  return (c.channels?.size ?? 0) + (c.patterns?.size ?? 0);
}

function updateKind(c: Client): void {
  const n = (c.channels?.size ?? 0) + (c.patterns?.size ?? 0) + (c.shardChannels?.size ?? 0);
  c.subscriptionCount = n;
  if (n > 0 && c.kind === 'normal') c.kind = 'pubsub';
  else if (n === 0 && c.kind === 'pubsub') c.kind = 'normal';
}

function confirm(c: Client, what: string, name: string | null, count: number): void {
  c.push(3);
  c.bulk(what);
  if (name === null) c.nil();
  else c.bulk(name);
  c.int(count);
}

export function subscribe(c: Client, s: ServerState, kind: SubscriptionKind, names: readonly string[]): void {
  const mine = clientSet(c, kind);
  const all = serverMap(s, kind);
  for (const name of names) {
    if (!mine.has(name)) {
      mine.add(name);
      let subscribers = all.get(name);
      if (subscribers === undefined) {
        subscribers = new Set();
        all.set(name, subscribers);
      }
      subscribers.add(c);
    }
    updateKind(c);
    confirm(c, NAMES[kind].sub, name, replyCount(c, kind));
  }
}

/** Unsubscribes from `names`, or from everything of that kind when names is empty. */
export function unsubscribe(c: Client, s: ServerState, kind: SubscriptionKind, names: readonly string[], reply = true): void {
  const mine = clientSet(c, kind);
  const all = serverMap(s, kind);
  const targets = names.length === 0 ? [...mine] : names;
  if (targets.length === 0) {
    if (reply) confirm(c, NAMES[kind].unsub, null, replyCount(c, kind));
    return;
  }
  for (const name of targets) {
    if (mine.delete(name)) {
      const subscribers = all.get(name);
      if (subscribers !== undefined) {
        subscribers.delete(c);
        if (subscribers.size === 0) all.delete(name);
      }
    }
    updateKind(c);
    if (reply) confirm(c, NAMES[kind].unsub, name, replyCount(c, kind));
  }
}

/** Drops every subscription without replies (RESET, disconnect). */
export function unsubscribeAll(c: Client, s: ServerState): void {
  if (c.subscriptionCount === 0) return;
  unsubscribe(c, s, 'channel', [], false);
  unsubscribe(c, s, 'pattern', [], false);
  unsubscribe(c, s, 'shard', [], false);
}

function bulkText(v: string): string {
  return bulkHead(v.length) + v + '\r\n';
}

/**
 * The last output deliver() built. Subscribers of a channel receive the same frames in the same
 * order, so the next one whose pending output is that same string takes the same result: a batch of
 * messages fanned out to 1,000 subscribers leaves them sharing one rope (flattened once, when the
 * first of them is written) instead of building and flattening 1,000 copies of it.
 */
const lastDelivery = { before: '', frame: '', after: '' };
/** bigger outputs are not kept between deliveries (the memo would hold them after they are sent) */
const SHARED_OUTPUT_MAX = 1 << 20;

function deliver(s: ServerState, c: Client, frame: string): void {
  const d = lastDelivery;
  const before = c.text;
  if (before === d.before && frame === d.frame) c.text = d.after;
  else {
    c.raw(frame);
    const keep = c.text.length <= SHARED_OUTPUT_MAX;
    d.before = keep ? before : '';
    d.frame = keep ? frame : '';
    d.after = keep ? c.text : '';
  }
  s.queueWrite(c);
}

/** The start of a message frame in RESP2 (an array) and RESP3 (a push): its size and kind. */
type FrameHeads = readonly [string, string];

function frameHeads(size: number, kind: string): FrameHeads {
  return [`*${size}\r\n${bulkText(kind)}`, `>${size}\r\n${bulkText(kind)}`];
}

const MESSAGE_HEAD = frameHeads(3, 'message');
const SMESSAGE_HEAD = frameHeads(3, 'smessage');
const PMESSAGE_HEAD = frameHeads(4, 'pmessage');

/** Delivers one message to each client: the head for its protocol, then the rest of the frame. */
function deliverAll(s: ServerState, clients: Iterable<Client>, heads: FrameHeads, body: string): void {
  const frame2 = heads[0] + body;
  let frame3: string | null = null;
  for (const c of clients) {
    if (c.resp !== 3) deliver(s, c, frame2);
    else deliver(s, c, (frame3 ??= heads[1] + body));
  }
}

/** PUBLISH (or SPUBLISH with shard): delivers the message; returns how many clients received it. */
export function publish(s: ServerState, channel: string, message: string, shard = false): number {
  let receivers = 0;
  const subscribers = (shard ? s.shardChannels : s.channels).get(channel);
  let tail: string | null = null;
  if (subscribers !== undefined) {
    tail = bulkText(channel) + bulkText(message);
    deliverAll(s, subscribers, shard ? SMESSAGE_HEAD : MESSAGE_HEAD, tail);
    receivers += subscribers.size;
  }
  if (!shard && s.patterns.size !== 0) {
    for (const [pattern, clients] of s.patterns) {
      if (!globMatch(pattern, channel)) continue;
      tail ??= bulkText(channel) + bulkText(message);
      deliverAll(s, clients, PMESSAGE_HEAD, bulkText(pattern) + tail);
      receivers += clients.size;
    }
  }
  return receivers;
}

/** Keyspace event classes, as notify-keyspace-events letters, in a bit set. */
const CLASS_BITS: Record<string, number> = {
  K: 1 << 0,
  E: 1 << 1,
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 12,
  n: 1 << 13,
};
const ALL_CLASSES = 'g$lshzxetd';

/** Parses notify-keyspace-events into bits (the config layer has validated the letters). */
export function keyspaceEventBits(flags: string): number {
  let bits = 0;
  for (const ch of flags) {
    if (ch === 'A') for (const a of ALL_CLASSES) bits |= CLASS_BITS[a]!;
    else bits |= CLASS_BITS[ch] ?? 0;
  }
  return bits;
}

/**
 * Installs keyspace notifications on a server: keeps the parsed flags current and routes
 * ServerState.notify to PUBLISH when the event's class is enabled.
 */
export function installKeyspaceEvents(s: ServerState): void {
  const read = (): void => {
    const bits = keyspaceEventBits(s.config.get('notify-keyspace-events'));
    // nothing is published unless K or E is there too, as Redis
    s.keyspaceEvents = bits & (CLASS_BITS.K! | CLASS_BITS.E!) ? bits : 0;
  };
  read();
  s.config.onChange('notify-keyspace-events', read);
  s.publishKeyspaceEvent = (type, event, key, dbid) => {
    const bit = CLASS_BITS[type];
    if (bit === undefined || (s.keyspaceEvents & bit) === 0) return;
    if (s.keyspaceEvents & CLASS_BITS.K!) publish(s, `__keyspace@${dbid}__:${key}`, event);
    if (s.keyspaceEvents & CLASS_BITS.E!) publish(s, `__keyevent@${dbid}__:${event}`, key);
  };
}
