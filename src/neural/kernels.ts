import { ShapeError } from '../errors.ts';

/**
 * Inference kernels for measuring what pruning buys: a dense product, a CSR sparse × dense product
 * and im2col lowering. Layout: Y (out × batch) = W (out × in) · X (in × batch), all row-major, so
 * the innermost loop runs over the batch contiguously in both kernels (the fastest order for a
 * plain-JS CSR kernel, and a fair one for the dense kernel).
 */

/**
 * Y = W·X, W (m × k), X (k × n), Y (m × n), row-major; 2·m·k·n FLOPs. Four rows of W share each
 * load of a row of X (register blocking by hand, as JS has no SIMD/BLAS).
 */
export function denseMatmul(W: Float64Array, X: Float64Array, m: number, k: number, n: number, Y: Float64Array = new Float64Array(m * n)): Float64Array {
  if (W.length < m * k || X.length < k * n || Y.length < m * n) throw new ShapeError('denseMatmul', 'array lengths do not match m, k, n');
  Y.fill(0, 0, m * n);
  let o = 0;
  for (; o + 4 <= m; o += 4) {
    const y0 = o * n, y1 = y0 + n, y2 = y1 + n, y3 = y2 + n;
    const w0 = o * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    for (let t = 0; t < k; t++) {
      const a0 = W[w0 + t], a1 = W[w1 + t], a2 = W[w2 + t], a3 = W[w3 + t];
      const xo = t * n;
      for (let j = 0; j < n; j++) {
        const x = X[xo + j];
        Y[y0 + j] += a0 * x;
        Y[y1 + j] += a1 * x;
        Y[y2 + j] += a2 * x;
        Y[y3 + j] += a3 * x;
      }
    }
  }
  for (; o < m; o++) {
    const yo = o * n;
    for (let t = 0; t < k; t++) {
      const a = W[o * k + t];
      const xo = t * n;
      for (let j = 0; j < n; j++) Y[yo + j] += a * X[xo + j];
    }
  }
  return Y;
}

/** Compressed sparse rows: row i's entries are values[ptr[i] .. ptr[i+1]) at columns cols[…]. */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly ptr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float64Array;
}

/** CSR copy of a row-major dense matrix, keeping entries ≠ 0. */
export function csrFromDense(W: Float64Array, m: number, k: number): CsrMatrix {
  if (W.length !== m * k) throw new ShapeError('csrFromDense', `W has ${W.length} entries, expected ${m}·${k}`);
  let nnz = 0;
  for (let i = 0; i < W.length; i++) if (W[i] !== 0) nnz++;
  const ptr = new Int32Array(m + 1);
  const colIdx = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const v = W[i * k + j];
      if (v !== 0) {
        colIdx[p] = j;
        values[p++] = v;
      }
    }
    ptr[i + 1] = p;
  }
  return { rows: m, cols: k, ptr, colIdx, values };
}

/**
 * Y = A·X for CSR A (m × k) and row-major X (k × n): 2·nnz·n FLOPs. Two non-zeros per pass share
 * each load/store of the output row.
 */
export function csrMatmul(A: CsrMatrix, X: Float64Array, n: number, Y: Float64Array = new Float64Array(A.rows * n)): Float64Array {
  if (X.length < A.cols * n || Y.length < A.rows * n) throw new ShapeError('csrMatmul', 'array lengths do not match the matrix and n');
  const { ptr, colIdx, values } = A;
  Y.fill(0, 0, A.rows * n);
  for (let i = 0; i < A.rows; i++) {
    const yo = i * n;
    let p = ptr[i];
    const end = ptr[i + 1];
    for (; p + 2 <= end; p += 2) {
      const a0 = values[p], a1 = values[p + 1];
      const x0 = colIdx[p] * n, x1 = colIdx[p + 1] * n;
      for (let j = 0; j < n; j++) Y[yo + j] += a0 * X[x0 + j] + a1 * X[x1 + j];
    }
    if (p < end) {
      const a = values[p];
      const xo = colIdx[p] * n;
      for (let j = 0; j < n; j++) Y[yo + j] += a * X[xo + j];
    }
  }
  return Y;
}

/**
 * im2col of a batch (NCHW, `batch` samples of C × H × W) for a kh × kw kernel, stride 1, zero
 * padding `pad`: rows (c, i, j) in the order c·kh·kw + i·kw + j (only `rows` if given, in that
 * order), columns (sample, p, q) → a (rows × batch·Ho·Wo) row-major matrix, so a conv is
 * W (O × C·kh·kw) · cols.
 */
export function im2col(x: Float64Array, batch: number, C: number, H: number, W: number, kh: number, kw: number, pad: number, rows?: ArrayLike<number>, out?: Float64Array): Float64Array {
  const Ho = H + 2 * pad - kh + 1;
  const Wo = W + 2 * pad - kw + 1;
  const ncol = batch * Ho * Wo;
  const r = rows ?? Int32Array.from({ length: C * kh * kw }, (_, i) => i);
  const res = out ?? new Float64Array(r.length * ncol);
  for (let a = 0; a < r.length; a++) {
    const row = r[a];
    const c = Math.floor(row / (kh * kw));
    const i = Math.floor(row / kw) % kh;
    const j = row % kw;
    let col = a * ncol;
    for (let s = 0; s < batch; s++) {
      const xs = (s * C + c) * H * W;
      for (let p = 0; p < Ho; p++) {
        const hh = p - pad + i;
        if (hh < 0 || hh >= H) {
          res.fill(0, col, col + Wo);
          col += Wo;
          continue;
        }
        for (let q = 0; q < Wo; q++) {
          const ww = q - pad + j;
          res[col++] = ww >= 0 && ww < W ? x[xs + hh * W + ww] : 0;
        }
      }
    }
  }
  return res;
}
