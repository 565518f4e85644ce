/*
 * Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, SSUBSCRIBE,
 * SUNSUBSCRIBE, SPUBLISH and PUBSUB (CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB, HELP).
 * The subscription bookkeeping and delivery are in src/pubsub.ts.
 */

import { errArity } from '../args';
import type { Client } from '../client';
import { register, type CommandDef } from '../command';
import { globMatch } from '../keyspace/glob';
import { publish, subscribe, unsubscribe } from '../pubsub';
import type { ServerState } from '../state';

const docs = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'pubsub', complexity });

function subscriber(
  name: string,
  arity: number,
  keys: readonly [number, number, number],
  summary: string,
  since: string,
  handler: CommandDef['handler'],
): CommandDef {
  return { name, arity, flags: ['pubsub', 'noscript', 'loading', 'stale'], keys, categories: [], docs: docs(summary, since, 'O(N)'), handler };
}

/** PUBSUB CHANNELS / SHARDCHANNELS: the active channels matching an optional pattern. */
function listChannels(c: Client, argv: string[], channels: Map<string, Set<Client>>): void {
  const pattern = argv[2];
  const names: string[] = [];
  for (const name of channels.keys()) if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  c.bulks(names);
}

/** PUBSUB NUMSUB / SHARDNUMSUB: channel, count pairs (a map in RESP3). */
function countSubscribers(c: Client, argv: string[], channels: Map<string, Set<Client>>): void {
  c.map(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    c.bulk(argv[j]!);
    c.int(channels.get(argv[j]!)?.size ?? 0);
  }
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

function pubsubSub(name: string, arity: number, summary: string, handler: (c: Client, argv: string[], s: ServerState) => void): CommandDef {
  return {
    name: `pubsub|${name}`,
    arity,
    flags: name === 'help' ? ['loading', 'stale'] : ['pubsub', 'loading', 'stale'],
    keys: [0, 0, 0],
    categories: [],
    docs: docs(summary, name.startsWith('shard') ? '7.0.0' : '2.8.0', 'O(N)'),
    handler,
  };
}

register([
  subscriber('subscribe', -2, [0, 0, 0], 'Listens for messages published to channels.', '2.0.0', (c, argv, s) =>
    subscribe(c, s, 'channel', argv.slice(1)),
  ),
  subscriber('unsubscribe', -1, [0, 0, 0], 'Stops listening to messages posted to channels.', '2.0.0', (c, argv, s) =>
    unsubscribe(c, s, 'channel', argv.slice(1)),
  ),
  subscriber('psubscribe', -2, [0, 0, 0], 'Listens for messages published to channels that match one or more patterns.', '2.0.0', (c, argv, s) =>
    subscribe(c, s, 'pattern', argv.slice(1)),
  ),
  subscriber('punsubscribe', -1, [0, 0, 0], 'Stops listening to messages published to channels that match one or more patterns.', '2.0.0', (c, argv, s) =>
    unsubscribe(c, s, 'pattern', argv.slice(1)),
  ),
  subscriber('ssubscribe', -2, [1, -1, 1], 'Listens for messages published to shard channels.', '7.0.0', (c, argv, s) =>
    subscribe(c, s, 'shard', argv.slice(1)),
  ),
  subscriber('sunsubscribe', -1, [1, -1, 1], 'Stops listening to messages posted to shard channels.', '7.0.0', (c, argv, s) =>
    unsubscribe(c, s, 'shard', argv.slice(1)),
  ),
  {
    name: 'publish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('Posts a message to a channel.', '2.0.0', 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).'),
    handler(c, argv, s) {
      c.int(publish(s, argv[1]!, argv[2]!));
      // replicas deliver it to their own subscribers (not the AOF: messages are not data)
      s.propagate(c.db.id, argv, true);
    },
  },
  {
    name: 'spublish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast'],
    keys: [1, 1, 1],
    categories: [],
    docs: docs('Post a message to a shard channel', '7.0.0', 'O(N) where N is the number of clients subscribed to the receiving shard channel.'),
    handler(c, argv, s) {
      c.int(publish(s, argv[1]!, argv[2]!, true));
      s.propagate(c.db.id, argv, true);
    },
  },
  {
    name: 'pubsub',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    categories: [],
    docs: docs('A container for Pub/Sub commands.', '2.8.0', 'Depends on subcommand.'),
    handler(c, argv) {
      c.error(errArity(argv[0]!.toLowerCase()));
    },
    subcommands: [
      pubsubSub('channels', -2, 'Returns the active channels.', (c, argv, s) => {
        if (argv.length > 3) return c.error(errArity('pubsub|channels'));
        listChannels(c, argv, s.channels);
      }),
      pubsubSub('numsub', -2, 'Returns a count of subscribers to channels.', (c, argv, s) => countSubscribers(c, argv, s.channels)),
      pubsubSub('numpat', 2, 'Returns a count of unique pattern subscriptions.', (c, _argv, s) => c.int(s.patterns.size)),
      pubsubSub('shardchannels', -2, 'Returns the active shard channels.', (c, argv, s) => {
        if (argv.length > 3) return c.error(errArity('pubsub|shardchannels'));
        listChannels(c, argv, s.shardChannels);
      }),
      pubsubSub('shardnumsub', -2, 'Returns the count of subscribers of shard channels.', (c, argv, s) =>
        countSubscribers(c, argv, s.shardChannels),
      ),
      pubsubSub('help', 2, 'Returns helpful text about the different subcommands.', (c) => {
        c.array(PUBSUB_HELP.length);
        for (const line of PUBSUB_HELP) c.simple(line);
      }),
    ],
  },
]);
