/**
 * Sizes of matrix columns for the float64 range checks at the API edge, computed from per-column
 * sums of squares that a conversion or copy pass accumulates as it goes (so the check costs no
 * pass of its own).
 */

/** Root mean square of the entries, computed with a scaled sum of squares (no overflow). */
export function scaledRms(a: ArrayLike<number>): number {
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v === 0) continue;
    if (scale < v) {
      ssq = 1 + ssq * (scale / v) * (scale / v);
      scale = v;
    } else {
      ssq += (v / scale) * (v / scale);
    }
  }
  return a.length === 0 ? 0 : scale * Math.sqrt(ssq / a.length);
}

/**
 * Mean squares inside this range are computed by the plain sum Σx² to full relative accuracy (no
 * term overflows, and terms small enough to underflow are negligible next to the sum); outside it
 * the column is measured again with {@link scaledRms}. The range checks' limits (root-mean-square
 * 1e±151, mean square 1e±302) lie outside it, so a column near a limit is always measured exactly.
 */
const PLAIN_LOW = 1e-280;
const PLAIN_HIGH = 1e280;

/**
 * max_j RMS(column j) of an n × p column-major matrix, given the plain sums of squares `ss[j]` of
 * its columns. A sum that is NaN means a NaN entry; the caller has checked finiteness first.
 */
export function maxColumnRms(data: Float64Array, n: number, p: number, ss: Float64Array): number {
  let hi = 0;
  for (let j = 0; j < p; j++) {
    const ms = ss[j] / n;
    let r: number;
    if (ms >= PLAIN_LOW && ms <= PLAIN_HIGH) r = Math.sqrt(ms);
    else r = scaledRms(data.subarray(j * n, (j + 1) * n));
    if (r > hi || r !== r) hi = r;
  }
  return hi;
}

/** Plain sums of squares of the columns of an n × p column-major matrix (one read pass). */
export function columnSumSq(data: Float64Array, n: number, p: number): Float64Array {
  const ss = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const o = j * n;
    let s0 = 0, s1 = 0;
    let i = 0;
    for (const m2 = n - (n & 1); i < m2; i += 2) {
      const a = data[o + i], b = data[o + i + 1];
      s0 += a * a;
      s1 += b * b;
    }
    if (i < n) s0 += data[o + i] * data[o + i];
    ss[j] = s0 + s1;
  }
  return ss;
}

/**
 * True when every entry is finite, read from the column sums of squares: a finite sum proves its
 * column finite (x² is NaN or ∞ for a non-finite x); a column whose sum overflowed is looked at.
 */
export function finiteFromSumSq(data: Float64Array, n: number, p: number, ss: Float64Array): boolean {
  for (let j = 0; j < p; j++) {
    const s = ss[j];
    if (s - s === 0) continue; // finite
    if (s !== s) return false;
    const o = j * n;
    for (let i = 0; i < n; i++) if (data[o + i] - data[o + i] !== 0) return false;
  }
  return true;
}
