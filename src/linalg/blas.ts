/**
 * Level-1 kernels over flat Float64Arrays with explicit offsets, so a block of a column-major
 * matrix or a group's slice is read in place. Four independent accumulators let the JIT overlap
 * the floating-point adds (about 2x faster than one running sum).
 */

/** Σ_{k<n} x[xo+k]·y[yo+k]. */
export function dot(n: number, x: Float64Array, xo: number, y: Float64Array, yo: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  const m = n - (n % 4);
  for (; k < m; k += 4) {
    s0 += x[xo + k] * y[yo + k];
    s1 += x[xo + k + 1] * y[yo + k + 1];
    s2 += x[xo + k + 2] * y[yo + k + 2];
    s3 += x[xo + k + 3] * y[yo + k + 3];
  }
  for (; k < n; k++) s0 += x[xo + k] * y[yo + k];
  return s0 + s1 + s2 + s3;
}

/** y[yo..yo+n) += a·x[xo..xo+n). */
export function axpy(n: number, a: number, x: Float64Array, xo: number, y: Float64Array, yo: number): void {
  if (a === 0) return;
  for (let k = 0; k < n; k++) y[yo + k] += a * x[xo + k];
}

/** Σ x_k² without the scaling guard; callers that may overflow use {@link nrm2}. */
export function sumSq(n: number, x: Float64Array, xo: number): number {
  let s0 = 0, s1 = 0;
  let k = 0;
  const m = n - (n % 2);
  for (; k < m; k += 2) {
    s0 += x[xo + k] * x[xo + k];
    s1 += x[xo + k + 1] * x[xo + k + 1];
  }
  if (k < n) s0 += x[xo + k] * x[xo + k];
  return s0 + s1;
}

// Below SMALL or above BIG the plain sum of squares may underflow or overflow.
const SMALL = 1e-150;
const BIG = 1e150;

/**
 * Euclidean norm ‖x[xo..xo+n)‖₂ without overflow or underflow: the plain sum of squares when it
 * is safely inside the floating range, else a scaled sum (LAPACK's dnrm2 idea).
 */
export function nrm2(n: number, x: Float64Array, xo = 0): number {
  const s = sumSq(n, x, xo);
  // A NaN entry makes the sum NaN (the squares are ≥ 0, so nothing else can); the scaled branch
  // below would skip NaNs in its max and return 0 for an all-NaN vector, so answer here.
  if (s !== s) return NaN;
  if (s > SMALL * SMALL * 1e20 && s < BIG * BIG * 1e-20) return Math.sqrt(s);
  if (s === 0) {
    // Either all zero or all entries underflowed: check.
    let any = false;
    for (let k = 0; k < n; k++) if (x[xo + k] !== 0) { any = true; break; }
    if (!any) return 0;
  }
  return scaledNorm(n, (k) => x[xo + k]);
}

/** Norm of the entries x[idx[k]] for k in [start, end), overflow-safe. */
export function nrm2Indexed(x: Float64Array, idx: Int32Array, start: number, end: number): number {
  let s = 0;
  for (let k = start; k < end; k++) {
    const v = x[idx[k]];
    s += v * v;
  }
  if (s !== s) return NaN; // as in nrm2: a NaN entry, never a norm of 0
  if (s > SMALL * SMALL * 1e20 && s < BIG * BIG * 1e-20) return Math.sqrt(s);
  if (s === 0) {
    let any = false;
    for (let k = start; k < end; k++) if (x[idx[k]] !== 0) { any = true; break; }
    if (!any) return 0;
  }
  return scaledNorm(end - start, (k) => x[idx[start + k]]);
}

function scaledNorm(n: number, at: (k: number) => number): number {
  let scale = 0;
  for (let k = 0; k < n; k++) {
    const a = Math.abs(at(k));
    if (a > scale) scale = a;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let k = 0; k < n; k++) {
    const v = at(k) / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** x[xo..xo+n) *= a. */
export function scal(n: number, a: number, x: Float64Array, xo = 0): void {
  for (let k = 0; k < n; k++) x[xo + k] *= a;
}

/** max_k |x_k|. */
export function amax(x: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < x.length; k++) {
    const a = Math.abs(x[k]);
    if (a > m) m = a;
  }
  return m;
}
