/*
 * COMMAND: the command table described to clients (COMMAND, COUNT, LIST, INFO, DOCS, GETKEYS,
 * GETKEYSANDFLAGS, HELP), in Redis 7's reply shapes.
 *
 * Everything is read from `commandTable` at call time, so commands registered by any module appear.
 * Key specs are Redis's own, kept as data in command-keyspecs.ts (every command with keys has its
 * entry); a command missing there would get one derived from its [first,last,step] and flags. Flags
 * and ACL categories are printed in Redis's table order so that replies compare byte for byte with
 * the real server.
 */

import { ERR_SYNTAX, is } from '../args';
import type { Client } from '../client';
import { commandTable, keyPositions, register, type CommandSpec } from '../command';
import { KEY_SPECS, type KeySpec } from '../command-keyspecs';
import { globMatch } from '../keyspace/glob';

/** The flags COMMAND INFO shows, in Redis's order (others, like sentinel, are not shown). */
const FLAG_ORDER = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading',
  'stale', 'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys',
  'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

/** ACL categories in Redis's table order (ACL CAT). */
const CATEGORY_ORDER = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];

const infoCache = new WeakMap<CommandSpec, { flags: string[]; cats: string[] }>();

function ordered(spec: CommandSpec): { flags: string[]; cats: string[] } {
  let o = infoCache.get(spec);
  if (o === undefined) {
    const own = new Set(spec.flags);
    if (spec.getKeys !== undefined) own.add('movablekeys');
    const flags = FLAG_ORDER.filter((f) => own.has(f));
    const rank = (cat: string): number => {
      const i = CATEGORY_ORDER.indexOf(cat.slice(1));
      return i === -1 ? CATEGORY_ORDER.length : i;
    };
    const cats = [...spec.allCategories].sort((a, b) => rank(a) - rank(b));
    o = { flags, cats };
    infoCache.set(spec, o);
  }
  return o;
}

/** Key spec flags guessed from a command's flags (for a command missing from KEY_SPECS). */
function guessedKeyFlags(spec: CommandSpec): readonly string[] {
  if (spec.flags.includes('write')) return ['RW', 'access', 'update'];
  return ['RO', 'access'];
}

function hasKeySpec(spec: CommandSpec): boolean {
  return spec.keys[0] !== 0 || spec.getKeys !== undefined;
}

function writeKeySpecs(c: Client, spec: CommandSpec): void {
  // RESP3 sends the key specs and the subcommands as sets, as Redis does
  const specs = keySpecsOf(spec);
  c.set(specs.length);
  for (const ks of specs) writeKeySpec(c, ks);
}

/** The key specs of a command: Redis's own, else derived from its key range. */
function keySpecsOf(spec: CommandSpec): readonly KeySpec[] {
  const declared = KEY_SPECS.get(spec.name);
  if (declared !== undefined) return declared;
  if (!hasKeySpec(spec)) return [];
  const [first, last, step] = spec.keys;
  const flags = guessedKeyFlags(spec);
  if (first === 0) return [{ flags, begin: { type: 'unknown' }, find: { type: 'unknown' } }];
  return [{ flags, begin: { type: 'index', index: first }, find: { type: 'range', lastkey: last < 0 ? last : last - first, keystep: step, limit: 0 } }];
}

function writeKeySpec(c: Client, ks: KeySpec): void {
  c.map(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) {
    c.bulk('notes');
    c.bulk(ks.notes);
  }
  c.bulk('flags');
  c.set(ks.flags.length);
  for (const f of ks.flags) c.simple(f);
  c.bulk('begin_search');
  c.map(2);
  c.bulk('type');
  const b = ks.begin;
  c.bulk(b.type);
  c.bulk('spec');
  if (b.type === 'index') {
    c.map(1);
    c.bulk('index');
    c.int(b.index);
  } else if (b.type === 'keyword') {
    c.map(2);
    c.bulk('keyword');
    c.bulk(b.keyword);
    c.bulk('startfrom');
    c.int(b.startfrom);
  } else c.map(0);
  c.bulk('find_keys');
  c.map(2);
  c.bulk('type');
  const f = ks.find;
  c.bulk(f.type);
  c.bulk('spec');
  if (f.type === 'range') {
    c.map(3);
    c.bulk('lastkey');
    c.int(f.lastkey);
    c.bulk('keystep');
    c.int(f.keystep);
    c.bulk('limit');
    c.int(f.limit);
  } else if (f.type === 'keynum') {
    c.map(3);
    c.bulk('keynumidx');
    c.int(f.keynumidx);
    c.bulk('firstkey');
    c.int(f.firstkey);
    c.bulk('keystep');
    c.int(f.keystep);
  } else c.map(0);
}

/**
 * The argv positions one key spec finds (Redis's getKeysUsingKeySpecs), to tell each key's flags
 * apart in GETKEYSANDFLAGS.
 */
function positionsOf(ks: KeySpec, argv: string[]): number[] {
  const b = ks.begin;
  let start: number;
  if (b.type === 'index') start = b.index;
  else if (b.type === 'keyword') {
    start = -1;
    const keyword = b.keyword.toLowerCase();
    if (b.startfrom >= 0) {
      for (let i = b.startfrom; i < argv.length; i++) if (is(argv[i]!, keyword)) { start = i + 1; break; }
    } else {
      for (let i = argv.length + b.startfrom; i > 0; i--) if (is(argv[i]!, keyword)) { start = i + 1; break; }
    }
    if (start === -1) return [];
  } else return [];
  const f = ks.find;
  const out: number[] = [];
  if (f.type === 'range') {
    let last = f.lastkey >= 0 ? start + f.lastkey : argv.length + f.lastkey;
    if (f.lastkey < 0 && f.limit > 1) last = start + Math.floor((argv.length - start) / f.limit) - 1;
    for (let i = start; i <= last && i < argv.length; i += f.keystep) out.push(i);
  } else if (f.type === 'keynum') {
    const n = Number(argv[start + f.keynumidx]);
    if (!Number.isInteger(n) || n < 0) return [];
    const first = start + f.firstkey;
    for (let k = 0, i = first; k < n && i < argv.length; k++, i += f.keystep) out.push(i);
  }
  return out;
}

/**
 * The flags of the key at argv position i: those of the first spec that finds it, else of a spec
 * whose keys cannot be found from the spec alone (SORT's STORE). Variable flags are worked out
 * from the arguments, as Redis's key procs do (SET without GET only writes; BITFIELD with only GETs
 * only reads).
 */
function flagsAt(spec: CommandSpec, argv: string[], i: number): readonly string[] {
  if (spec.name === 'set') return argv.slice(3).some((a) => is(a, 'get')) ? ['RW', 'access', 'update'] : ['OW', 'update'];
  if (spec.name === 'bitfield') {
    const writes = argv.slice(2).some((a) => is(a, 'set') || is(a, 'incrby'));
    return writes ? ['RW', 'access', 'update'] : ['RO', 'access'];
  }
  const declared = KEY_SPECS.get(spec.name);
  if (declared !== undefined) {
    for (const ks of declared) if (positionsOf(ks, argv).includes(i)) return ks.flags;
    // the last such spec: SORT's keys past the first are its STORE destination
    for (let j = declared.length - 1; j >= 0; j--) if (declared[j]!.begin.type === 'unknown') return declared[j]!.flags;
  }
  return guessedKeyFlags(spec);
}

/**
 * The (first, last, step) COMMAND INFO shows before the key specs: for several specs, as Redis
 * derives it from them (contiguous index/range specs merged; anything else gives 0 0 0).
 */
function legacyRange(spec: CommandSpec): [number, number, number] {
  const declared = KEY_SPECS.get(spec.name);
  if (declared === undefined) return spec.getKeys !== undefined ? [0, 0, 0] : [spec.keys[0], spec.keys[1], spec.keys[2]];
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let prevLast = 0;
  for (const ks of declared) {
    const b = ks.begin;
    const f = ks.find;
    if (b.type !== 'index' || f.type !== 'range') continue;
    if (declared.length === 1) return [b.index, f.lastkey < 0 ? f.lastkey : b.index + f.lastkey, f.keystep];
    if (f.keystep !== 1 || (prevLast !== 0 && prevLast !== b.index - 1)) return [0, 0, 0];
    first = Math.min(first, b.index);
    const abs = f.lastkey >= 0 ? f.lastkey + b.index : f.lastkey;
    // compared unsigned, as Redis does: a negative (from the end) wins
    last = (abs >>> 0) > (last >>> 0) ? abs : last;
    prevLast = last;
  }
  return first === Number.MAX_SAFE_INTEGER ? [0, 0, 0] : [first, last, 1];
}

/** One COMMAND INFO entry. */
function writeInfo(c: Client, spec: CommandSpec): void {
  const { flags, cats } = ordered(spec);
  c.array(10);
  c.bulk(spec.name);
  c.int(spec.arity);
  c.set(flags.length);
  for (const f of flags) c.simple(f);
  const [first, last, step] = legacyRange(spec);
  c.int(first);
  c.int(last);
  c.int(step);
  c.set(cats.length);
  for (const cat of cats) c.simple(cat);
  const tips = spec.tips ?? [];
  c.set(tips.length);
  for (const t of tips) c.bulk(t);
  writeKeySpecs(c, spec);
  const subs = spec.subcommands;
  if (subs === undefined) {
    c.set(0);
  } else {
    c.set(subs.size);
    for (const sub of subs.values()) writeInfo(c, sub);
  }
}

/** One COMMAND DOCS value (the map of a command's documentation). */
function writeDocs(c: Client, spec: CommandSpec): void {
  const d = spec.docs;
  const subs = spec.subcommands;
  const n = 3 + (d.complexity !== undefined ? 1 : 0) + (subs !== undefined ? 1 : 0);
  c.map(n);
  c.bulk('summary');
  c.bulk(d.summary);
  c.bulk('since');
  c.bulk(d.since);
  c.bulk('group');
  c.bulk(d.group);
  if (d.complexity !== undefined) {
    c.bulk('complexity');
    c.bulk(d.complexity);
  }
  if (subs !== undefined) {
    c.bulk('subcommands');
    c.map(subs.size);
    for (const sub of subs.values()) {
      c.bulk(sub.name);
      writeDocs(c, sub);
    }
  }
}

/** A command or "container|sub" by name, any case. */
function findByName(name: string): CommandSpec | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf('|');
  if (bar === -1) return commandTable.get(lower);
  return commandTable.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
}

function allSpecsFlat(): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const spec of commandTable.values()) {
    out.push(spec);
    if (spec.subcommands !== undefined) for (const sub of spec.subcommands.values()) out.push(sub);
  }
  return out;
}

/** The spec GETKEYS should use for argv (the subcommand when argv names one), with Redis's errors. */
function getKeysFor(c: Client, argv: string[]): { spec: CommandSpec; keys: number[] } | null {
  const cmd = argv.slice(2);
  let spec = commandTable.get(cmd[0]!.toLowerCase());
  if (spec !== undefined && spec.subcommands !== undefined && cmd.length >= 2) {
    spec = spec.subcommands.get(cmd[1]!.toLowerCase());
  }
  if (spec === undefined) {
    c.error('ERR Invalid command specified');
    return null;
  }
  if ((spec.arity > 0 && cmd.length !== spec.arity) || cmd.length < -spec.arity) {
    c.error('ERR Invalid number of arguments specified for command');
    return null;
  }
  if (!hasKeySpec(spec)) {
    c.error('ERR The command has no key arguments');
    return null;
  }
  const keys = keyPositions(spec, cmd);
  if (keys.length === 0 && !spec.flags.includes('no_mandatory_keys')) {
    c.error('ERR Invalid arguments specified for command');
    return null;
  }
  return { spec, keys: keys.map((i) => i + 2) };
}

const HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

const FLAGS = ['loading', 'stale'];
const CATS = ['@connection'];
const ORDER_TIP = ['nondeterministic_output_order'];

function sub(
  name: string,
  arity: number,
  summary: string,
  handler: CommandSpec['handler'],
  tips?: string[],
): Parameters<typeof register>[0][number] {
  return {
    name: `command|${name}`,
    arity,
    flags: FLAGS,
    keys: [0, 0, 0],
    categories: CATS,
    docs: { summary, since: '7.0.0', group: 'server' },
    tips,
    handler,
  };
}

register([
  {
    name: 'command',
    arity: -1,
    flags: FLAGS,
    keys: [0, 0, 0],
    categories: CATS,
    docs: {
      summary: 'Get array of Redis command details',
      since: '2.8.13',
      group: 'server',
      complexity: 'O(N) where N is the total number of Redis commands',
    },
    tips: ORDER_TIP,
    handler(c) {
      c.array(commandTable.size);
      for (const spec of commandTable.values()) writeInfo(c, spec);
    },
    subcommands: [
      sub('count', 2, 'Get total number of Redis commands', (c) => c.int(commandTable.size)),
      sub(
        'list',
        -2,
        'Get an array of Redis command names',
        (c, argv) => {
          let specs = allSpecsFlat();
          if (argv.length !== 2) {
            if (argv.length !== 5 || !is(argv[2]!, 'filterby')) return c.error(ERR_SYNTAX);
            const kind = argv[3]!;
            const arg = argv[4]!;
            if (is(kind, 'module')) specs = [];
            else if (is(kind, 'aclcat')) {
              const cat = '@' + arg.toLowerCase();
              specs = specs.filter((s) => s.allCategories.includes(cat));
            } else if (is(kind, 'pattern')) {
              specs = specs.filter((s) => globMatch(arg, s.name, true));
            } else return c.error(ERR_SYNTAX);
          }
          c.array(specs.length);
          for (const s of specs) c.bulk(s.name);
        },
        ORDER_TIP,
      ),
      sub(
        'info',
        -2,
        'Get array of specific Redis command details, or all when no argument is given',
        (c, argv) => {
          if (argv.length === 2) {
            c.array(commandTable.size);
            for (const spec of commandTable.values()) writeInfo(c, spec);
            return;
          }
          c.array(argv.length - 2);
          for (let i = 2; i < argv.length; i++) {
            const spec = findByName(argv[i]!);
            if (spec === undefined) c.nil();
            else writeInfo(c, spec);
          }
        },
        ORDER_TIP,
      ),
      sub(
        'docs',
        -2,
        'Get array of specific Redis command documentation',
        (c, argv) => {
          const specs: CommandSpec[] = [];
          if (argv.length === 2) specs.push(...commandTable.values());
          else {
            for (let i = 2; i < argv.length; i++) {
              const spec = findByName(argv[i]!);
              if (spec !== undefined) specs.push(spec);
            }
          }
          c.map(specs.length);
          for (const spec of specs) {
            c.bulk(spec.name);
            writeDocs(c, spec);
          }
        },
        ORDER_TIP,
      ),
      sub('getkeys', -4, 'Extract keys given a full Redis command', (c, argv) => {
        const r = getKeysFor(c, argv);
        if (r === null) return;
        c.array(r.keys.length);
        for (const i of r.keys) c.bulk(argv[i]!);
      }),
      sub('getkeysandflags', -4, 'Extract keys and access flags given a full Redis command', (c, argv) => {
        const r = getKeysFor(c, argv);
        if (r === null) return;
        c.array(r.keys.length);
        const cmd = argv.slice(2);
        for (const i of r.keys) {
          c.array(2);
          c.bulk(argv[i]!);
          const kf = flagsAt(r.spec, cmd, i - 2);
          c.set(kf.length);
          for (const f of kf) c.simple(f);
        }
      }),
      sub('help', 2, 'Show helpful text about the different subcommands', (c) => {
        c.array(HELP.length);
        for (const line of HELP) c.simple(line);
      }),
    ],
  },
]);
