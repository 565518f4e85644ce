/*
 * Correctly rounded sin, cos and asin, for distances that must equal Redis's to the last bit.
 *
 * Why: Redis computes distances with glibc's sin/cos/asin, which round correctly in practice, while
 * V8's Math.sin/cos/asin (fdlibm ports) are off by one ulp in a few percent of cases. That is
 * invisible in a 4-decimal distance but decides whether a point exactly on a search radius is in or
 * out, changes a STOREDIST score, or swaps two nearly equal distances. These versions evaluate in
 * double-double arithmetic (about 106 bits) and round once, so they agree with glibc except when the
 * true value lies very near a rounding midpoint, where glibc itself may round the wrong way (seen:
 * sin(2.7944136840321674), 0.006 ulp from a midpoint; midpointDistance finds such values).
 *
 * They cost tens of times more than Math.*, so the search uses them only where the fast result could
 * be wrong in a way that shows (geohash.ts decides when).
 */

// double-double values are pairs [hi, lo] with |lo| <= ulp(hi)/2

type DD = [number, number];

const SPLITTER = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function quick(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function add(a: DD, b: DD): DD {
  const s = twoSum(a[0], b[0]);
  const t = twoSum(a[1], b[1]);
  let r = quick(s[0], s[1] + t[0]);
  r = quick(r[0], r[1] + t[1]);
  return r;
}

function neg(a: DD): DD {
  return [-a[0], -a[1]];
}

function mul(a: DD, b: DD): DD {
  const p = twoProd(a[0], b[0]);
  return quick(p[0], p[1] + (a[0] * b[1] + a[1] * b[0]));
}

function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  let r = add(a, neg(mul([q1, 0], b)));
  const q2 = r[0] / b[0];
  r = add(r, neg(mul([q2, 0], b)));
  const q3 = r[0] / b[0];
  return add(quick(q1, q2), [q3, 0]);
}

function sqrtDD(a: DD): DD {
  if (a[0] <= 0) return [0, 0];
  const x = Math.sqrt(a[0]);
  // one Newton step: x + (a - x^2) / 2x
  const r = add(a, neg(twoProd(x, x)));
  return add([x, 0], [r[0] / (2 * x), 0]);
}

// pi/2 to about 160 bits, as three doubles
const PIO2: DD = [1.5707963267948966, 6.123233995736766e-17];
const PIO2_3 = -1.4973849048591698e-33;

/** 1/n! for n = 0..31 in double-double. */
const INV_FACT: DD[] = [];
{
  let f: DD = [1, 0];
  INV_FACT.push([1, 0]);
  for (let n = 1; n < 32; n++) {
    f = mul(f, [n, 0]);
    INV_FACT.push(div([1, 0], f));
  }
}

/** sin(r) and cos(r) for |r| <= ~pi/4 by Taylor series. */
function sinCosSmall(r: DD): [DD, DD] {
  const r2 = mul(r, r);
  // sin: r - r^3/3! + ...; cos: 1 - r^2/2! + ...
  let s: DD = [0, 0];
  let c: DD = [0, 0];
  let pw: DD = [1, 0]; // r^n
  for (let n = 0; n < 30; n += 2) {
    const ct = mul(pw, INV_FACT[n]!);
    const st = mul(mul(pw, r), INV_FACT[n + 1]!);
    if ((n / 2) % 2 === 0) {
      c = add(c, ct);
      s = add(s, st);
    } else {
      c = add(c, neg(ct));
      s = add(s, neg(st));
    }
    pw = mul(pw, r2);
    if (Math.abs(pw[0]) < 1e-40) break;
  }
  return [s, c];
}

/** sin and cos of a double-double x, for |x| up to a few pi (enough for geographic arguments). */
function sinCos(x: DD): [DD, DD] {
  const k = Math.round(x[0] / PIO2[0]);
  let r = x;
  if (k !== 0) {
    r = add(r, neg(mul([k, 0], PIO2)));
    r = add(r, [-k * PIO2_3, 0]);
  }
  const [s, c] = sinCosSmall(r);
  switch (((k % 4) + 4) % 4) {
    case 0:
      return [s, c];
    case 1:
      return [c, neg(s)];
    case 2:
      return [neg(s), neg(c)];
    default:
      return [neg(c), s];
  }
}

/** Correctly rounded sin(x) for |x| below about 10. */
export function sinCR(x: number): number {
  if (x === 0) return x;
  const r = sinCos([x, 0])[0];
  return r[0] + r[1];
}

/** Correctly rounded cos(x) for |x| below about 10. */
export function cosCR(x: number): number {
  const r = sinCos([x, 0])[1];
  return r[0] + r[1];
}

/** asin of a double-double in [0, 0.75] by Newton's method on sin, from the double estimate. */
function asinNewton(y: DD): DD {
  let t: DD = [Math.asin(y[0]), 0];
  for (let i = 0; i < 2; i++) {
    const [s, c] = sinCos(t);
    t = add(t, neg(div(add(s, neg(y)), c)));
  }
  return t;
}

/** Correctly rounded asin(y) for y in [-1, 1]. */
export function asinCR(y: number): number {
  if (y === 0 || Number.isNaN(y)) return y;
  if (y < 0) return -asinCR(-y);
  if (y > 1) return NaN;
  const r = asinDD(y);
  return r[0] + r[1];
}

function asinDD(y: number): DD {
  let r: DD;
  if (y <= 0.5) r = asinNewton([y, 0]);
  else {
    // asin(y) = pi/2 - 2 asin(sqrt((1 - y) / 2)); (1 - y) / 2 is exact for y >= 0.5
    const z = sqrtDD([(1 - y) / 2, 0]);
    const a = z[0] === 0 ? ([0, 0] as DD) : asinNewton(z);
    r = add(add(PIO2, [PIO2_3, 0]), neg(mul([2, 0], a)));
  }
  return r;
}

/**
 * How close the true value of sin(x), cos(x) or asin(x) (0 < x <= 1 for asin) lies to a rounding
 * midpoint, in ulps of the result (0 = on one, 0.5 = on a double). glibc's versions are not
 * correctly rounded: within a few hundredths of an ulp from a midpoint they may round either way,
 * so a distance built from such a value matches Redis's only by chance (the GEO tests avoid them).
 */
export function midpointDistance(fn: 'sin' | 'cos' | 'asin', x: number): number {
  const r = fn === 'asin' ? asinDD(x) : sinCos([x, 0])[fn === 'sin' ? 0 : 1];
  const hi = r[0] + r[1];
  const lo = r[1] - (hi - r[0]);
  const ulp = ulpOf(hi);
  if (ulp === 0) return 0.5;
  return Math.abs(Math.abs(lo) / ulp - 0.5);
}

function ulpOf(x: number): number {
  const a = Math.abs(x);
  if (a === 0 || !Number.isFinite(a)) return 0;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}
