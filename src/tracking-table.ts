/*
 * The tracking bookkeeping a server keeps for client-side caching (see tracking.ts for the logic):
 * which clients read which keys, the BCAST prefixes, and invalidations waiting for the end of the
 * running command. Plain data, so ServerState can own it without importing the tracking logic.
 */

import type { Client } from './client';

/** One BCAST prefix: its clients and the keys changed under it since the last broadcast (key -> writer). */
interface PrefixEntry {
  clients: Set<Client>;
  keys: Map<string, Client | null>;
}

/** Tracking bookkeeping of one server, kept on ServerState.tracking. */
export class TrackingTable {
  /** key name -> ids of the clients that read it */
  readonly keys = new Map<string, Set<number>>();
  readonly prefixes = new Map<string, PrefixEntry>();
  clients = 0;
  /** invalidations for the client whose command is running, sent after its reply (null = flush) */
  readonly pendingSelf: (string | null)[] = [];
  broadcastScheduled = false;
}

