/**
 * Plain-TypeScript dense kernels: the fallback when WebAssembly SIMD is missing, and the reference
 * the WebAssembly kernels are tested against. Same contracts as kernels.wat: X is column-major with
 * n rows (entry (i, j) at data[i + j·n]) and column lists are slices of an index array.
 *
 * Shape (as in the WebAssembly kernels): for short columns (n ≤ JS_SPLIT) Xᵀy is one column at a
 * time with eight independent accumulators; for longer ones four columns share each read of the
 * vector, two accumulators each. Xw always goes four columns per pass over the output.
 */

/** Rows up to which Xᵀy goes one column at a time (the vector stays in L1; measured faster). */
export const JS_SPLIT = 4096;

/** Σ_{i<n} x[xo+i]·y[yo+i], eight independent accumulators. */
export function dotJs(n: number, x: Float64Array, xo: number, y: Float64Array, yo: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = 0;
  const m = n - (n & 7);
  for (; i < m; i += 8) {
    const a = xo + i, b = yo + i;
    s0 += x[a] * y[b];
    s1 += x[a + 1] * y[b + 1];
    s2 += x[a + 2] * y[b + 2];
    s3 += x[a + 3] * y[b + 3];
    s4 += x[a + 4] * y[b + 4];
    s5 += x[a + 5] * y[b + 5];
    s6 += x[a + 6] * y[b + 6];
    s7 += x[a + 7] * y[b + 7];
  }
  for (; i < n; i++) s0 += x[xo + i] * y[yo + i];
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

/**
 * out[outOffset + k] ← X[:, idx[start+k]]ᵀ y for k in [0, end − start): Xᵀy restricted to the listed
 * columns (a group's X_gᵀr when idx/start/end come from CSR group indices).
 */
export function gemvTJs(
  data: Float64Array, n: number, idx: ArrayLike<number>, start: number, end: number,
  y: Float64Array, out: Float64Array, outOffset = 0, split = JS_SPLIT,
): void {
  const m = n - (n & 1);
  let k = start;
  for (; n > split && k + 4 <= end; k += 4) {
    const o0 = idx[k] * n, o1 = idx[k + 1] * n, o2 = idx[k + 2] * n, o3 = idx[k + 3] * n;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    let i = 0;
    for (; i < m; i += 2) {
      const u = y[i], v = y[i + 1];
      a0 += data[o0 + i] * u; b0 += data[o0 + i + 1] * v;
      a1 += data[o1 + i] * u; b1 += data[o1 + i + 1] * v;
      a2 += data[o2 + i] * u; b2 += data[o2 + i + 1] * v;
      a3 += data[o3 + i] * u; b3 += data[o3 + i + 1] * v;
    }
    if (i < n) {
      const u = y[i];
      a0 += data[o0 + i] * u; a1 += data[o1 + i] * u; a2 += data[o2 + i] * u; a3 += data[o3 + i] * u;
    }
    const q = outOffset + k - start;
    out[q] = a0 + b0; out[q + 1] = a1 + b1; out[q + 2] = a2 + b2; out[q + 3] = a3 + b3;
  }
  for (; k < end; k++) out[outOffset + k - start] = dotJs(n, data, idx[k] * n, y, 0);
}

/**
 * y ← y + Σ_k coef[coefOffset + k]·X[:, idx[start+k]] for k in [0, end − start): a rank-|g| residual
 * update X_g δ, or X w over the nonzero columns. Zero coefficients are not skipped here (callers
 * that expect many gather the nonzero columns first).
 */
export function gemvNJs(
  data: Float64Array, n: number, idx: ArrayLike<number>, start: number, end: number,
  coef: ArrayLike<number>, coefOffset: number, y: Float64Array,
): void {
  let k = start;
  for (; k + 4 <= end; k += 4) {
    const o0 = idx[k] * n, o1 = idx[k + 1] * n, o2 = idx[k + 2] * n, o3 = idx[k + 3] * n;
    const c = coefOffset + k - start;
    const w0 = coef[c], w1 = coef[c + 1], w2 = coef[c + 2], w3 = coef[c + 3];
    for (let i = 0; i < n; i++) {
      y[i] += (w0 * data[o0 + i] + w1 * data[o1 + i]) + (w2 * data[o2 + i] + w3 * data[o3 + i]);
    }
  }
  for (; k < end; k++) {
    const w = coef[coefOffset + k - start];
    const o = idx[k] * n;
    for (let i = 0; i < n; i++) y[i] += w * data[o + i];
  }
}

/** out ← Xᵀy over all p columns (contiguous, no index list). */
export function gemvTAllJs(data: Float64Array, n: number, p: number, y: Float64Array, out: Float64Array, split = JS_SPLIT): void {
  const m = n - (n & 1);
  let j = 0;
  for (; n > split && j + 4 <= p; j += 4) {
    const o0 = j * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    let i = 0;
    for (; i < m; i += 2) {
      const u = y[i], v = y[i + 1];
      a0 += data[o0 + i] * u; b0 += data[o0 + i + 1] * v;
      a1 += data[o1 + i] * u; b1 += data[o1 + i + 1] * v;
      a2 += data[o2 + i] * u; b2 += data[o2 + i + 1] * v;
      a3 += data[o3 + i] * u; b3 += data[o3 + i + 1] * v;
    }
    if (i < n) {
      const u = y[i];
      a0 += data[o0 + i] * u; a1 += data[o1 + i] * u; a2 += data[o2 + i] * u; a3 += data[o3 + i] * u;
    }
    out[j] = a0 + b0; out[j + 1] = a1 + b1; out[j + 2] = a2 + b2; out[j + 3] = a3 + b3;
  }
  for (; j < p; j++) out[j] = dotJs(n, data, j * n, y, 0);
}

/**
 * out ← X w over all p columns. Columns with w_j = 0 are skipped (sparse coefficients are the
 * usual case in a group-lasso solver); the rest go four at a time.
 */
export function gemvNAllJs(data: Float64Array, n: number, p: number, w: Float64Array, out: Float64Array): void {
  out.fill(0, 0, n);
  let j = 0;
  let c0 = -1, c1 = -1, c2 = -1;
  let filled = 0;
  for (; j < p; j++) {
    if (w[j] === 0) continue;
    if (filled === 0) c0 = j;
    else if (filled === 1) c1 = j;
    else if (filled === 2) c2 = j;
    else {
      const o0 = c0 * n, o1 = c1 * n, o2 = c2 * n, o3 = j * n;
      const w0 = w[c0], w1 = w[c1], w2 = w[c2], w3 = w[j];
      for (let i = 0; i < n; i++) {
        out[i] += (w0 * data[o0 + i] + w1 * data[o1 + i]) + (w2 * data[o2 + i] + w3 * data[o3 + i]);
      }
      filled = 0;
      continue;
    }
    filled++;
  }
  if (filled > 0) axpyColumn(data, n, c0, w[c0], out);
  if (filled > 1) axpyColumn(data, n, c1, w[c1], out);
  if (filled > 2) axpyColumn(data, n, c2, w[c2], out);
}

function axpyColumn(data: Float64Array, n: number, j: number, a: number, y: Float64Array): void {
  const o = j * n;
  for (let i = 0; i < n; i++) y[i] += a * data[o + i];
}

/**
 * out[outOffset + k] ← Σ_i X[i, idx[start+k]]·w[i]·y[i] for k in [0, end − start): X_gᵀ diag(w) y
 * without forming w∘y (the contract of the WebAssembly gemv_tw).
 */
export function gemvTWJs(
  data: Float64Array, n: number, idx: ArrayLike<number>, start: number, end: number,
  y: Float64Array, w: Float64Array, out: Float64Array, outOffset = 0,
): void {
  for (let k = start; k < end; k++) {
    const o = idx[k] * n;
    let a0 = 0, a1 = 0;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      a0 += data[o + i] * (w[i] * y[i]);
      a1 += data[o + i + 1] * (w[i + 1] * y[i + 1]);
    }
    if (i < n) a0 += data[o + i] * (w[i] * y[i]);
    out[outOffset + k - start] = a0 + a1;
  }
}
