/*
 * tredis-server's command line (temporary minimal version; config/file.ts parsing comes next).
 */

import { startServer } from './server';

export async function main(_args: string[]): Promise<void> {
  const srv = await startServer({ port: Number(process.env.PORT ?? 6379) });
  srv.state.log.notice(`Ready to accept connections tcp port ${srv.port}`);
  const stop = (): void => {
    void srv.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
