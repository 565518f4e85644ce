/*
 * Connection commands: PING, ECHO, QUIT, SELECT.
 */

import { ERR_NOT_INT, parseInteger } from '../args';
import { register } from '../command';

register([
  {
    name: 'ping',
    arity: -1,
    flags: ['fast', 'sentinel'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Returns the server\'s liveliness response.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv) {
      if (argv.length > 2) c.error("ERR wrong number of arguments for 'ping' command");
      else if (argv.length === 2) c.bulk(argv[1]!);
      else c.simple('PONG');
    },
  },
  {
    name: 'echo',
    arity: 2,
    flags: ['fast'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Returns the given string.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv) {
      c.bulk(argv[1]!);
    },
  },
  {
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Changes the selected database.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c, argv, s) {
      const id = parseInteger(argv[1]!);
      if (id === null) return c.error(ERR_NOT_INT);
      if (id < 0 || id >= s.dbs.length) return c.error('ERR DB index is out of range');
      c.db = s.dbs[id]!;
      c.ok();
    },
  },
  {
    name: 'quit',
    arity: -1,
    flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
    keys: [0, 0, 0],
    categories: ['@connection'],
    docs: { summary: 'Closes the connection.', since: '1.0.0', group: 'connection', complexity: 'O(1)' },
    handler(c) {
      c.ok();
      c.closeAfterReply = true;
    },
  },
]);
