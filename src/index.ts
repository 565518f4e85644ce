/*
 * The library entry point: start a tredis server inside a Node process.
 *
 *   import { startServer } from 'tredis';
 *   const srv = await startServer({ port: 0 });   // 0 = a free port
 *   ...; await srv.close();
 */

export { startServer, Server, type RunningServer, type ServerOptions } from './server';
export { Config, ConfigError } from './config/config';
export { ServerState } from './state';
