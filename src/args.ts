/*
 * Argument parsing shared by commands: Redis's exact rules for what is an integer or a float, and
 * its error strings. Parse functions return null on bad input so a command can reply with the error
 * its Redis counterpart uses (they differ: "value is not an integer or out of range", "timeout is not
 * an integer or out of range", ...).
 */

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NO_KEY = 'ERR no such key';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';

export function errArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses a string as Redis's string2ll: optional '-', digits, no leading zeros (except "0"), no '+',
 * no spaces, within int64. Returns a number when it is a safe integer, a bigint beyond that, or null.
 */
export function parseInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (len === 1) return null;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0" and "01" are not canonical
  if (first < 49 || first > 57) return null;
  if (len - i <= 15) {
    let n = 0;
    for (; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      n = n * 10 + d;
    }
    return s.charCodeAt(0) === 45 ? -n : n;
  }
  for (let j = i; j < len; j++) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return null;
  }
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

/** parseInt64 restricted to safe integers (counts, indexes, offsets): null beyond. */
export function parseInteger(s: string): number | null {
  const v = parseInt64(s);
  if (v === null) return null;
  if (typeof v === 'bigint') {
    // clamp: callers use these as counts/indexes where anything this large means "all"
    return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  }
  return v;
}

/** True when s is the canonical text of an integer that is stored as a number (int encoding). */
export function canonicalInt(s: string): number | null {
  if (s.length === 0 || s.length > 16) return null;
  const v = parseInt64(s);
  return typeof v === 'number' ? v : null;
}

/**
 * Parses a float as Redis's string2d (strtod over the whole string, no spaces, NaN rejected).
 * Accepts "inf", "+inf", "-inf", "infinity" in any case, as strtod does. Returns null on bad input.
 */
export function parseFloatArg(s: string): number | null {
  const len = s.length;
  if (len === 0) return null;
  const c0 = s.charCodeAt(0);
  const cl = s.charCodeAt(len - 1);
  if (c0 === 32 || cl === 32 || (c0 >= 9 && c0 <= 13) || (cl >= 9 && cl <= 13)) return null;
  const lower = s.toLowerCase();
  const bare = lower.charCodeAt(0) === 43 || lower.charCodeAt(0) === 45 ? lower.slice(1) : lower;
  if (bare === 'inf' || bare === 'infinity') return lower.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (bare.startsWith('0x')) {
    const v = parseHexFloat(bare.slice(2));
    if (v === null) return null;
    return lower.charCodeAt(0) === 45 ? -v : v;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return null;
  const v = Number(s);
  if (Number.isNaN(v)) return null;
  return v;
}

/** The digits of a C hex float after "0x": h.hhhp±d. */
function parseHexFloat(s: string): number | null {
  const m = /^([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/.exec(s);
  if (m === null) return null;
  const int = m[1] ?? '';
  const frac = m[2] ?? '';
  if (int.length === 0 && frac.length === 0) return null;
  let v = 0;
  for (const ch of int) v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of frac) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return m[3] === undefined ? v : v * Math.pow(2, parseInt(m[3], 10));
}

/** Case-insensitive comparison of an argument with a lowercase keyword. */
export function is(arg: string, lowerKeyword: string): boolean {
  return arg.length === lowerKeyword.length && arg.toLowerCase() === lowerKeyword;
}

const TWO64 = 18446744073709551616n;

/**
 * A SCAN/HSCAN/SSCAN/ZSCAN cursor parsed as Redis does (strtoul: stops at a NUL, a leading '-' wraps
 * around 2^64); null when invalid ("ERR invalid cursor"). Cursors past 2^53 clamp.
 */
export function parseScanCursor(arg: string): number | null {
  let a = arg;
  const nul = a.indexOf('\0');
  if (nul !== -1) a = a.slice(0, nul);
  if (a.length === 0) return 0;
  const m = /^([+-]?)(\d+)$/.exec(a);
  if (m === null) return null;
  let v = BigInt(m[2]!);
  if (v >= TWO64) return null;
  if (m[1] === '-' && v !== 0n) v = TWO64 - v;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/**
 * The options of HSCAN/SSCAN/ZSCAN from argv[from]: COUNT n (>= 1) and MATCH pattern, in any order,
 * later ones winning. Returns the error text for a bad one (Redis's wording), else the options;
 * pattern is null when absent or "*".
 */
export function parseScanOptions(argv: string[], from: number): { count: number; pattern: string | null } | string {
  let count = 10;
  let pattern: string | null = null;
  for (let i = from; i < argv.length; i += 2) {
    const more = argv.length - i;
    const opt = argv[i]!;
    if (is(opt, 'count') && more >= 2) {
      const v = parseInt64(argv[i + 1]!);
      if (v === null) return ERR_NOT_INT;
      if (v < 1) return ERR_SYNTAX;
      count = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
    } else if (is(opt, 'match') && more >= 2) {
      pattern = argv[i + 1]!;
      if (pattern === '*') pattern = null;
    } else {
      return ERR_SYNTAX;
    }
  }
  return { count, pattern };
}
