/**
 * Correctly rounded decimal → double conversion for significands of up to 19 digits, without
 * building a string: the decimal M·10^e is multiplied out in double-double arithmetic (about 102
 * correct bits), and its rounding to a double is read off unless the product lies so close to a
 * midpoint between two doubles that the error bound cannot decide — then, and outside the range
 * where the bound holds, the caller falls back to `Number` on the text. So every value returned
 * is the double `Number(text)` gives; the fallback is rare (≈ 2^-45 of random inputs).
 *
 * This is the idea of Eisel & Lemire's algorithm ("Number parsing at a gigabyte per second",
 * 2021: a truncated 128-bit product of the significand with a power of ten, plus an ambiguity
 * test) written with the arithmetic JavaScript has fast: float64 products split exactly by
 * Dekker's method instead of 64 × 64-bit integer products.
 */

/** Smallest and largest decimal exponent with a double-double table entry (both parts normal, no overflow in Dekker's split). */
const E_MIN = -270;
const E_MAX = 280;

let table: Float64Array | null = null; // [hi, lo] of 10^e for e = E_MIN … E_MAX

/** 10^e as hi + lo, each rounded from exact big-integer arithmetic (error ≤ 2^-106 · 10^e). */
function powers(): Float64Array {
  if (table !== null) return table;
  const t = new Float64Array(2 * (E_MAX - E_MIN + 1));
  for (let e = E_MIN; e <= E_MAX; e++) {
    let hi: number, lo: number;
    if (e >= 0) {
      const big = 10n ** BigInt(e);
      hi = Number(big);
      lo = Number(big - BigInt(hi));
    } else {
      // 2^s / 10^-e carries ≥ 120 bits; the scaling back by 2^-s is exact (normal range).
      const s = Math.ceil(-e * Math.log2(10)) + 120;
      const q = (1n << BigInt(s)) / 10n ** BigInt(-e);
      const qh = Number(q);
      const ql = Number(q - BigInt(qh));
      const scale = 2 ** -s;
      hi = qh * scale;
      lo = ql * scale;
    }
    t[2 * (e - E_MIN)] = hi;
    t[2 * (e - E_MIN) + 1] = lo;
  }
  return (table = t);
}

/** Dekker's splitting constant 2^27 + 1. */
const SPLIT = 134217729;
/** Powers of ten 10^0 … 10^4 (the low part of a significand has at most 4 digits). */
const POW10_SMALL = [1, 10, 100, 1000, 10000];

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Index of the high 32-bit word of a float64 on this host. */
const HI = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 1 : 0;

/**
 * The double nearest to (a·10^k + b)·10^e, where a < 10^15 and b < 10^k (k ≤ 4) are whole
 * numbers, stored in out[at]; false when this method cannot decide (the caller then parses the
 * text). The result goes into an array because a double returned from a call is boxed.
 */
export function decimalToDouble(a: number, b: number, k: number, e: number, out: Float64Array, at: number): boolean {
  if (e < E_MIN || e > E_MAX) return false;
  const P = powers();
  const ph = P[2 * (e - E_MIN)], pl = P[2 * (e - E_MIN) + 1];
  // M = a·10^k + b exactly as mh + ml (a·10^k by Dekker's product, then b added by two-sum).
  const t = POW10_SMALL[k];
  let c = SPLIT * a;
  const ah = c - (c - a), al = a - ah;
  c = SPLIT * t;
  const th = c - (c - t), tl = t - th;
  const x = a * t;
  const xl = ((ah * th - x) + ah * tl + al * th) + al * tl;
  const s = x + b;
  const bb = s - x;
  const sl = (x - (s - bb)) + (b - bb) + xl;
  const mh = s + sl;
  const ml = sl - (mh - s);
  // (mh + ml)·(ph + pl): exact product of the high parts, the cross terms rounded (≈ 2^-102 relative).
  c = SPLIT * mh;
  const mhh = c - (c - mh), mhl = mh - mhh;
  c = SPLIT * ph;
  const phh = c - (c - ph), phl = ph - phh;
  const h0 = mh * ph;
  const l0 = ((mhh * phh - h0) + mhh * phl + mhl * phh) + mhl * phl;
  const l1 = l0 + (mh * pl + ml * ph);
  const h = h0 + l1;
  const l = l1 - (h - h0);
  if (!(h > 1e-290 && h < 1e300)) return false; // outside the range where every part stays normal
  // h is the rounded sum; it is the rounding of the true product unless the true product may lie
  // beyond a midpoint next to h: l, give or take the error bound, must stay inside half a spacing.
  bits[0] = h;
  const hw = words[HI];
  const pow2 = (hw & 0xfffff) === 0 && words[1 - HI] === 0;
  words[HI] = ((hw >>> 20) - 52) << 20;
  words[1 - HI] = 0;
  const up = bits[0]; // spacing of the doubles above h (h is positive and normal)
  const down = pow2 ? up / 2 : up; // below a power of two the spacing halves
  const margin = h * 2 ** -98; // the product's error bound (≈ 2^-101 relative), with room
  if (!(l + margin < up / 2 && l - margin > -down / 2)) return false;
  out[at] = h;
  return true;
}
