/*
 * Glob-style matching with Redis's exact semantics (stringmatchlen in Redis 7.0), used by KEYS, SCAN
 * MATCH, CONFIG GET, PSUBSCRIBE and friends. Patterns and subjects are latin1 strings (bytes).
 *
 * Behaviour reproduced on purpose, including Redis's quirks:
 * - `*` any run, `?` one byte, `[...]` a class with `^` negation, `a-z` ranges (reversed ranges are
 *   swapped), `\x` escapes both outside and inside classes; a trailing `\` matches itself.
 * - An unterminated `[` ends the class at the end of the pattern (the class still applies).
 * - Range bounds compare as C `char` (signed on x86), so bytes >= 0x80 are negative in ranges.
 * - nocase folds only ASCII A-Z, as tolower() in the C locale.
 * - Reading one byte past the end of the pattern sees the C string terminator (0).
 * - Protection against abusive patterns: recursion deeper than 1000 `*` levels fails the match, and
 *   once the rest of a pattern after a `*` fails at every position, outer `*`s stop trying longer
 *   runs (the result cannot change), which keeps `*a*a*a*...b` linear instead of exponential.
 *
 * The matcher works on char codes by index (no substrings) and keeps the "stop trying longer
 * matches" flag in a module variable: matching is synchronous, so one flag per top-level call is safe.
 */

let skipLonger = false;

/** The byte at i, or 0 past the end (the C terminator). */
function at(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as a signed C char. */
function schar(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function match(pat: string, p: number, plen: number, str: string, s: number, slen: number, nocase: boolean, nesting: number): boolean {
  if (nesting > 1000) return false;
  while (plen > 0 && slen > 0) {
    const pc = pat.charCodeAt(p);
    if (pc === 42) {
      // '*'
      while (plen > 0 && at(pat, p + 1) === 42) {
        p++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (match(pat, p + 1, plen - 1, str, s, slen, nocase, nesting + 1)) return true;
        if (skipLonger) return false;
        s++;
        slen--;
      }
      skipLonger = true;
      return false;
    } else if (pc === 63) {
      // '?'
      s++;
      slen--;
    } else if (pc === 91) {
      // '['
      p++;
      plen--;
      const not = at(pat, p) === 94;
      if (not) {
        p++;
        plen--;
      }
      let matched = false;
      const sc = str.charCodeAt(s);
      for (;;) {
        const c = at(pat, p);
        if (c === 92 && plen >= 2) {
          p++;
          plen--;
          if (at(pat, p) === sc) matched = true;
        } else if (c === 93) {
          break;
        } else if (plen === 0) {
          p--;
          plen++;
          break;
        } else if (plen >= 3 && at(pat, p + 1) === 45) {
          let start = schar(c);
          let end = schar(at(pat, p + 2));
          let ch = schar(sc);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          p += 2;
          plen -= 2;
          if (ch >= start && ch <= end) matched = true;
        } else if (nocase ? lower(c) === lower(sc) : c === sc) {
          matched = true;
        }
        p++;
        plen--;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      s++;
      slen--;
    } else {
      let c = pc;
      if (c === 92 && plen >= 2) {
        p++;
        plen--;
        c = pat.charCodeAt(p);
      }
      const sc = str.charCodeAt(s);
      if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
      s++;
      slen--;
    }
    p++;
    plen--;
    if (slen === 0) {
      while (at(pat, p) === 42) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

/** True when s matches the glob pattern as Redis's stringmatchlen decides. */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  // the commonest pattern, and the one SCAN/KEYS without MATCH would use
  if (pattern.length === 1 && pattern.charCodeAt(0) === 42) return true;
  skipLonger = false;
  return match(pattern, 0, pattern.length, s, 0, s.length, nocase, 0);
}
