import { ShapeError, ValueError } from '../errors.ts';

/**
 * Sample weights checked and normalised to mean 1: w_i ≥ 0, finite, not all 0. Every datafit is
 * a weighted mean (1/n) Σ_i w_i ℓ_i, so with mean-1 weights λ keeps the scale it has without
 * weights (grpreg's scale), and integer weights act exactly as repeated rows up to that factor.
 * Returns a new array (the caller's is never kept).
 *
 * @example
 * normalizeSampleWeights([1, 3], 2, 'fit'); // returns Float64Array [0.5, 1.5]
 */
export function normalizeSampleWeights(w: ArrayLike<number>, n: number, fn: string): Float64Array {
  if (!Array.isArray(w) && !(ArrayBuffer.isView(w) && !(w instanceof DataView))) {
    throw new ShapeError(fn, `sampleWeight must be an array of ${n} numbers (one per row), got ${w === null ? 'null' : typeof w}`);
  }
  if (w.length !== n) throw new ShapeError(fn, `sampleWeight has length ${w.length}, expected ${n} (one per row)`);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValueError(fn, `sampleWeight must be finite and ≥ 0, got ${String(v)} at position ${i}`);
    }
    if (v > m) m = v;
  }
  if (!(m > 0)) throw new ValueError(fn, 'sampleWeight is 0 for every row: nothing to fit');
  // Summed as w_i/max: weights near the float64 maximum would overflow the sum (and normalise every
  // row to 0), subnormal ones make n/Σw overflow.
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i] / m;
  const out = new Float64Array(n);
  const scale = n / s;
  for (let i = 0; i < n; i++) out[i] = (w[i] / m) * scale;
  return out;
}

/** The largest entry of a weight vector (1 when there are no weights). */
export function maxWeight(w: Float64Array | undefined): number {
  if (!w) return 1;
  let m = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > m) m = w[i];
  return m;
}
