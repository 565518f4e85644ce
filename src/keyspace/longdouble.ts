/*
 * The x87 80-bit long double, emulated exactly with BigInt, so INCRBYFLOAT and HINCRBYFLOAT print
 * what Redis prints. Redis parses both operands with strtold, adds them in long double (64-bit
 * mantissa, 15-bit exponent, round-half-even) and formats the sum with "%.17Lf" minus trailing zeros.
 * A double (53-bit mantissa) would give different digits in the 17th place, e.g.
 * 1e10 + 0.1 = 10000000000.09999999962747097 in long double.
 *
 * A finite value is sign * mant * 2^exp with mant < 2^64 (normalized to 64 significant bits, or
 * fewer at the subnormal end, exp = -16445). Every operation computes the exact result first and
 * rounds once, which is what the hardware does:
 * - parse: decimal -> exact rational -> quotient with >= 66 significant bits plus a sticky bit;
 *   hex floats are exact binary. Overflow and underflow to zero are reported (strtold's ERANGE).
 * - add: align both to the smaller exponent, add exactly, round.
 * - format: scale the exact binary value by 10^17 and round half-even, as glibc's printf does.
 * BigInt is slow next to a double, but INCRBYFLOAT is not on the GET/SET hot path.
 */

export interface LongDouble {
  neg: boolean;
  /** 0 for zero; < 2^64 */
  mant: bigint;
  exp: number;
  /** infinity (mant and exp unused) */
  inf: boolean;
}

/** the exponent of the least significant mantissa bit of the smallest subnormal */
const MIN_LSB = -16445;
/** the exponent of the top bit of the largest finite value */
const MAX_TOP = 16383;
/** strtold accepts at most this many characters in Redis (MAX_LONG_DOUBLE_CHARS - 1) */
const MAX_CHARS = 5 * 1024 - 1;

const P17 = 10n ** 17n;
const TWO64 = 1n << 64n;

function zero(neg: boolean): LongDouble {
  return { neg, mant: 0n, exp: 0, inf: false };
}

function infinity(neg: boolean): LongDouble {
  return { neg, mant: 0n, exp: 0, inf: true };
}

function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const h = n.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)));
}

/**
 * Rounds the exact value q * 2^e (plus a little more when sticky) to long double precision,
 * half to even. q > 0. Callers pass q with enough bits that sticky only matters below the half bit.
 */
function round(neg: boolean, q: bigint, e: number, sticky: boolean): LongDouble {
  let lsb = e + bitLength(q) - 64;
  if (lsb < MIN_LSB) lsb = MIN_LSB;
  const shift = lsb - e;
  let m: bigint;
  if (shift <= 0) {
    m = q << BigInt(-shift);
  } else {
    const sb = BigInt(shift);
    m = q >> sb;
    const rem = q - (m << sb);
    const half = 1n << (sb - 1n);
    if (rem > half || (rem === half && (sticky || (m & 1n) === 1n))) m += 1n;
  }
  if (m === TWO64) {
    m >>= 1n;
    lsb += 1;
  }
  if (m === 0n) return zero(neg);
  if (lsb + bitLength(m) - 1 > MAX_TOP) return infinity(neg);
  return { neg, mant: m, exp: lsb, inf: false };
}

export function fromInteger(n: number | bigint): LongDouble {
  const b = BigInt(n);
  if (b === 0n) return zero(false);
  return b < 0n ? round(true, -b, 0, false) : round(false, b, 0, false);
}

const DEC = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^([+-]?)(?:inf|infinity)$/i;

/** Clamps a parsed exponent: anything this far out already overflows or underflows. */
function clampExp(s: string | undefined): number {
  if (s === undefined) return 0;
  const v = Number(s);
  return v > 100000 ? 100000 : v < -100000 ? -100000 : v;
}

/**
 * Parses s as Redis's string2ld: the whole string must be a strtold number (decimal, hex float,
 * inf/infinity), no leading space, at most 5119 chars; NaN, overflow and underflow to zero are
 * rejected (null). Subnormal results are accepted.
 */
export function parseLongDouble(s: string): LongDouble | null {
  const len = s.length;
  if (len === 0 || len > MAX_CHARS) return null;
  let m = DEC.exec(s);
  if (m !== null) {
    const int = m[2]!;
    const frac = m[3] ?? '';
    if (int.length === 0 && frac.length === 0) return null;
    const neg = m[1] === '-';
    let digits = int + frac;
    let k = clampExp(m[4]) - frac.length;
    let i = 0;
    while (i < digits.length && digits.charCodeAt(i) === 48) i++;
    if (i === digits.length) return zero(neg);
    digits = digits.slice(i);
    // trailing zeros only make the numbers bigger
    let j = digits.length;
    while (digits.charCodeAt(j - 1) === 48) j--;
    k += digits.length - j;
    digits = digits.slice(0, j);
    const nd = digits.length;
    if (nd + k > 4940) return null; // >= 10^4939: overflow
    if (nd + k < -4960) return null; // < 10^-4960: underflows to zero
    const n = BigInt(digits);
    if (k >= 0) return round(neg, n * 10n ** BigInt(k), 0, false);
    const den = 10n ** BigInt(-k);
    const sh = Math.max(0, bitLength(den) - bitLength(n) + 66);
    const num = n << BigInt(sh);
    const q = num / den;
    const r = round(neg, q, -sh, q * den !== num);
    if (r.inf || r.mant === 0n) return null;
    return r;
  }
  m = HEX.exec(s);
  if (m !== null) {
    const int = m[2]!;
    const frac = m[3] ?? '';
    if (int.length === 0 && frac.length === 0) return null;
    const neg = m[1] === '-';
    const n = BigInt('0x' + (int + frac || '0'));
    if (n === 0n) return zero(neg);
    const r = round(neg, n, clampExp(m[4]) - 4 * frac.length, false);
    if (r.inf || r.mant === 0n) return null;
    return r;
  }
  m = INF.exec(s);
  if (m !== null) return infinity(m[1] === '-');
  return null;
}

/** a + b rounded to long double; infinite when it overflows (or when an operand is infinite). */
export function add(a: LongDouble, b: LongDouble): LongDouble {
  if (a.inf || b.inf) return infinity(a.inf ? a.neg : b.neg);
  const e = Math.min(a.exp, b.exp);
  let x = a.mant << BigInt(a.exp - e);
  let y = b.mant << BigInt(b.exp - e);
  if (a.neg) x = -x;
  if (b.neg) y = -y;
  const sum = x + y;
  if (sum === 0n) return zero(a.neg && b.neg && a.mant === 0n && b.mant === 0n);
  return sum < 0n ? round(true, -sum, e, false) : round(false, sum, e, false);
}

/**
 * Formats as Redis's ld2string in human mode: printf("%.17Lf") (exact value, half-even), then
 * trailing zeros and a trailing '.' removed, and "-0" written "0". Infinity as "inf"/"-inf".
 */
export function formatHuman(x: LongDouble): string {
  if (x.inf) return x.neg ? '-inf' : 'inf';
  let scaled: bigint;
  if (x.exp >= 0) {
    scaled = (x.mant << BigInt(x.exp)) * P17;
  } else {
    const num = x.mant * P17;
    const sb = BigInt(-x.exp);
    let q = num >> sb;
    const rem = num - (q << sb);
    const half = 1n << (sb - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    scaled = q;
  }
  const digits = scaled.toString().padStart(18, '0');
  const int = digits.slice(0, digits.length - 17);
  let frac = digits.slice(digits.length - 17);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const out = (x.neg ? '-' : '') + int + (frac.length !== 0 ? '.' + frac : '');
  return out === '-0' ? '0' : out;
}
