/*
 * Run as a child process by MIGRATE inside MULTI/EXEC or a script, where the command must finish
 * before the next one runs: the parent blocks in execFileSync (as Redis's server blocks during
 * MIGRATE) while this process talks to the target. Reads a transfer request on stdin, writes
 * `{"err":…,"replies":[…]}` (replies as latin1 text) on stdout.
 */

import { readFileSync } from 'node:fs';
import { decodeTransferRequest, transfer } from './migrate-transfer';

const { req, data } = decodeTransferRequest(readFileSync(0));
transfer(req.host, req.port, req.ms, data, req.expected, (err, replies) => {
  process.stdout.write(Buffer.from(JSON.stringify({ err, replies }), 'latin1'), () => process.exit(0));
});
