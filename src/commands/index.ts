/*
 * Loads every command module; each registers its commands in the table (command.ts) as it loads.
 */

import './connection';
import './string';
import './string-incr';
import './string-lcs';
import './keys';
import './keys-expire';
import './sort';
import './info';
import './server';
import './server-latency';
import './server-memory';
import './debug';
import './config';
import './client';
import './command';
import './hash';
import './set';
import './set-ops';
import './zset';
import './zset-range';
import './zset-store';
import './zset-pop';
import './bitmap';
import './bitmap-field';
import './hyperloglog';
import './multi';
import './pubsub';
import './list';
import './list-blocking';
import './zset-blocking';
import './geo';
import './persistence';
import './aof';
import './dump';
import './stream';
import './stream-group';
import './stream-read';
import './stream-info';
import './scripting';
import './functions';
import './replication';
import './migrate';
