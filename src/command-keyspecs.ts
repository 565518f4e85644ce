/*
 * Key specs of every command with keys (Redis 7's key_specs), as COMMAND INFO prints them and as
 * GETKEYSANDFLAGS reads their flags: the kinds of key a command takes (SMOVE's source and
 * destination), where each starts (an index, or after a keyword such as XREAD's STREAMS) and how
 * many follow (a range, or a count given by an argument such as EVAL's numkeys), with the access
 * flags of each. These are data, taken from Redis 7.0's command table; dispatch extracts keys with
 * each command's own [first,last,step] or getKeys (command.ts).
 */

export type BeginSearch = { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startfrom: number } | { type: 'unknown' };

export type FindKeys =
  | { type: 'range'; lastkey: number; keystep: number; limit: number }
  | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number }
  | { type: 'unknown' };

export interface KeySpec {
  notes?: string;
  flags: readonly string[];
  begin: BeginSearch;
  find: FindKeys;
}

const idx = (index: number): BeginSearch => ({ type: 'index', index });
const kw = (keyword: string, startfrom: number): BeginSearch => ({ type: 'keyword', keyword, startfrom });
const range = (lastkey: number, keystep = 1, limit = 0): FindKeys => ({ type: 'range', lastkey, keystep, limit });
const keynum = (keynumidx: number, firstkey: number, keystep = 1): FindKeys => ({ type: 'keynum', keynumidx, firstkey, keystep });
const UNKNOWN_BEGIN: BeginSearch = { type: 'unknown' };
const UNKNOWN_FIND: FindKeys = { type: 'unknown' };

export const KEY_SPECS: ReadonlyMap<string, readonly KeySpec[]> = new Map<string, KeySpec[]>([
  ['append', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['bitcount', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['bitfield', [
    { notes: "This command allows both access and modification of the key", flags: ['RW', 'access', 'update', 'variable_flags'], begin: idx(1), find: range(0) },
  ]],
  ['bitfield_ro', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['bitop', [
    { flags: ['OW', 'update'], begin: idx(2), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(3), find: range(-1) },
  ]],
  ['bitpos', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['blmove', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['blmpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['blpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(-2) },
  ]],
  ['brpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(-2) },
  ]],
  ['brpoplpush', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['bzmpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['bzpopmax', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(-2) },
  ]],
  ['bzpopmin', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(-2) },
  ]],
  ['copy', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
    { flags: ['OW', 'update'], begin: idx(2), find: range(0) },
  ]],
  ['decr', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['decrby', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['del', [
    { flags: ['RM', 'delete'], begin: idx(1), find: range(-1) },
  ]],
  ['dump', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['eval', [
    { notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", flags: ['RW', 'access', 'update'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['eval_ro', [
    { notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['evalsha', [
    { flags: ['RW', 'access', 'update'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['evalsha_ro', [
    { flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['exists', [
    { flags: ['RO'], begin: idx(1), find: range(-1) },
  ]],
  ['expire', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['expireat', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['expiretime', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['fcall', [
    { notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", flags: ['RW', 'access', 'update'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['fcall_ro', [
    { notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['geoadd', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['geodist', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['geohash', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['geopos', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['georadius', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
    { flags: ['OW', 'update'], begin: kw('STORE', 6), find: range(0) },
    { flags: ['OW', 'update'], begin: kw('STOREDIST', 6), find: range(0) },
  ]],
  ['georadius_ro', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['georadiusbymember', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
    { flags: ['OW', 'update'], begin: kw('STORE', 5), find: range(0) },
    { flags: ['OW', 'update'], begin: kw('STOREDIST', 5), find: range(0) },
  ]],
  ['georadiusbymember_ro', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['geosearch', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['geosearchstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['get', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['getbit', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['getdel', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['getex', [
    { notes: "RW and UPDATE because it changes the TTL", flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['getrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['getset', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['hdel', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['hexists', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['hget', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hgetall', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hincrby', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['hincrbyfloat', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['hkeys', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hlen', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['hmget', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hmset', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['hrandfield', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hscan', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['hset', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['hsetnx', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['hstrlen', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['hvals', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['incr', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['incrby', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['incrbyfloat', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['lcs', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(1) },
  ]],
  ['lindex', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['linsert', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['llen', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['lmove', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['lmpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['lpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['lpos', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['lpush', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['lpushx', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['lrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['lrem', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['lset', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['ltrim', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['memory|usage', [
    { flags: ['RO'], begin: idx(2), find: range(0) },
  ]],
  ['mget', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(-1) },
  ]],
  ['migrate', [
    { flags: ['RW', 'access', 'delete'], begin: idx(3), find: range(0) },
    { flags: ['RW', 'access', 'delete', 'incomplete'], begin: kw('KEYS', -2), find: range(-1) },
  ]],
  ['move', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['mset', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(-1, 2) },
  ]],
  ['msetnx', [
    { flags: ['OW', 'insert'], begin: idx(1), find: range(-1, 2) },
  ]],
  ['object|encoding', [
    { flags: ['RO'], begin: idx(2), find: range(0) },
  ]],
  ['object|freq', [
    { flags: ['RO'], begin: idx(2), find: range(0) },
  ]],
  ['object|idletime', [
    { flags: ['RO'], begin: idx(2), find: range(0) },
  ]],
  ['object|refcount', [
    { flags: ['RO'], begin: idx(2), find: range(0) },
  ]],
  ['persist', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['pexpire', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['pexpireat', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['pexpiretime', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['pfadd', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['pfcount', [
    { notes: "RW because it may change the internal representation of the key, and propagate to replicas", flags: ['RW', 'access'], begin: idx(1), find: range(-1) },
  ]],
  ['pfdebug', [
    { flags: ['RW', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['pfmerge', [
    { flags: ['RW', 'access', 'insert'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(-1) },
  ]],
  ['psetex', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['pttl', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['rename', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['OW', 'update'], begin: idx(2), find: range(0) },
  ]],
  ['renamenx', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['OW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['restore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['restore-asking', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['rpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['rpoplpush', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['rpush', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['rpushx', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['sadd', [
    { flags: ['RW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['scard', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['sdiff', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(-1) },
  ]],
  ['sdiffstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(-1) },
  ]],
  ['set', [
    { notes: "RW and ACCESS due to the optional `GET` argument", flags: ['RW', 'access', 'update', 'variable_flags'], begin: idx(1), find: range(0) },
  ]],
  ['setbit', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['setex', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['setnx', [
    { flags: ['OW', 'insert'], begin: idx(1), find: range(0) },
  ]],
  ['setrange', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['sinter', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(-1) },
  ]],
  ['sintercard', [
    { flags: ['RO', 'access'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['sinterstore', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(-1) },
  ]],
  ['sismember', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['smembers', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['smismember', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['smove', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['sort', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
    { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: ['RO', 'access'], begin: UNKNOWN_BEGIN, find: UNKNOWN_FIND },
    { notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", flags: ['OW', 'update'], begin: UNKNOWN_BEGIN, find: UNKNOWN_FIND },
  ]],
  ['sort_ro', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
    { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: ['RO', 'access'], begin: UNKNOWN_BEGIN, find: UNKNOWN_FIND },
  ]],
  ['spop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['spublish', [
    { flags: ['not_key'], begin: idx(1), find: range(0) },
  ]],
  ['srandmember', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['srem', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['sscan', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['ssubscribe', [
    { flags: ['not_key'], begin: idx(1), find: range(-1) },
  ]],
  ['strlen', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['substr', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['sunion', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(-1) },
  ]],
  ['sunionstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(-1) },
  ]],
  ['sunsubscribe', [
    { flags: ['not_key'], begin: idx(1), find: range(-1) },
  ]],
  ['touch', [
    { flags: ['RO'], begin: idx(1), find: range(-1) },
  ]],
  ['ttl', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['type', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['unlink', [
    { flags: ['RM', 'delete'], begin: idx(1), find: range(-1) },
  ]],
  ['watch', [
    { flags: ['RO'], begin: idx(1), find: range(-1) },
  ]],
  ['xack', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['xadd', [
    { notes: "UPDATE instead of INSERT because of the optional trimming feature", flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['xautoclaim', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['xclaim', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['xdel', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['xgroup|create', [
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['xgroup|createconsumer', [
    { flags: ['RW', 'insert'], begin: idx(2), find: range(0) },
  ]],
  ['xgroup|delconsumer', [
    { flags: ['RW', 'delete'], begin: idx(2), find: range(0) },
  ]],
  ['xgroup|destroy', [
    { flags: ['RW', 'delete'], begin: idx(2), find: range(0) },
  ]],
  ['xgroup|setid', [
    { flags: ['RW', 'update'], begin: idx(2), find: range(0) },
  ]],
  ['xinfo|consumers', [
    { flags: ['RO', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['xinfo|groups', [
    { flags: ['RO', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['xinfo|stream', [
    { flags: ['RO', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['xlen', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['xpending', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['xrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['xread', [
    { flags: ['RO', 'access'], begin: kw('STREAMS', 1), find: range(-1, 1, 2) },
  ]],
  ['xreadgroup', [
    { flags: ['RO', 'access'], begin: kw('STREAMS', 4), find: range(-1, 1, 2) },
  ]],
  ['xrevrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['xsetid', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['xtrim', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zadd', [
    { flags: ['RW', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['zcard', [
    { flags: ['RO'], begin: idx(1), find: range(0) },
  ]],
  ['zcount', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zdiff', [
    { flags: ['RO', 'access'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['zdiffstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['zincrby', [
    { flags: ['RW', 'access', 'update'], begin: idx(1), find: range(0) },
  ]],
  ['zinter', [
    { flags: ['RO', 'access'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['zintercard', [
    { flags: ['RO', 'access'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['zinterstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
  ['zlexcount', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zmpop', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['zmscore', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zpopmax', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zpopmin', [
    { flags: ['RW', 'access', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zrandmember', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrangebylex', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrangebyscore', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrangestore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: range(0) },
  ]],
  ['zrank', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrem', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zremrangebylex', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zremrangebyrank', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zremrangebyscore', [
    { flags: ['RW', 'delete'], begin: idx(1), find: range(0) },
  ]],
  ['zrevrange', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrevrangebylex', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrevrangebyscore', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zrevrank', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zscan', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zscore', [
    { flags: ['RO', 'access'], begin: idx(1), find: range(0) },
  ]],
  ['zunion', [
    { flags: ['RO', 'access'], begin: idx(1), find: keynum(0, 1) },
  ]],
  ['zunionstore', [
    { flags: ['OW', 'update'], begin: idx(1), find: range(0) },
    { flags: ['RO', 'access'], begin: idx(2), find: keynum(0, 1) },
  ]],
]);
