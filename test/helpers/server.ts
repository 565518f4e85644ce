/*
 * Starts a tredis server in this process on a free 127.0.0.1 port for a test file.
 */

import { Config } from '../../src/config/config';
import { startServer, type RunningServer } from '../../src/server';

export async function startTestServer(directives: Record<string, string> = {}): Promise<RunningServer> {
  const config = new Config();
  // no save points unless a test asks: a FLUSHALL or SHUTDOWN must not write dump.rdb into the
  // working directory (and the oracle runs with --save '' too)
  config.set('save', '');
  for (const [k, v] of Object.entries(directives)) config.set(k, v);
  return startServer({ config, port: 0, host: '127.0.0.1', quiet: true });
}
