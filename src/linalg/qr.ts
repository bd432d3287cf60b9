import { dot } from './blas.ts';
import { materializeColumn, type LinearOperator } from './operator.ts';

/**
 * Thin QR of a dense n × k matrix A (column-major) by modified Gram–Schmidt applied twice (which
 * keeps Q orthonormal to rounding even for ill-conditioned A), dropping columns that are linearly
 * dependent on the earlier ones (residual norm ≤ 1e-10 of the column's own norm).
 * Returns Q (n × r, the first r columns filled; r = kept.length, the numerical rank), R (k × k
 * storage, column-major, its leading r × r block upper triangular), the kept column indices and,
 * per column, the norm of its part outside the span of the earlier kept columns over its own norm
 * (`ratio`, 0 for a zero column): how close to dependent each column is.
 */
export function gramSchmidtQR(A: Float64Array, n: number, k: number): { Q: Float64Array; R: Float64Array; kept: Int32Array; ratio: Float64Array } {
  const Q = new Float64Array(n * k);
  const R = new Float64Array(k * k);
  const ratio = new Float64Array(k);
  const kept: number[] = [];
  const v = new Float64Array(n);
  for (let j = 0; j < k; j++) {
    v.set(A.subarray(j * n, (j + 1) * n));
    const norm0 = Math.sqrt(dot(n, v, 0, v, 0));
    const r = kept.length;
    const coef = new Float64Array(r);
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < r; q++) {
        const a = dot(n, Q, q * n, v, 0);
        coef[q] += a;
        for (let i = 0; i < n; i++) v[i] -= a * Q[q * n + i];
      }
    }
    const norm = Math.sqrt(dot(n, v, 0, v, 0));
    ratio[j] = norm0 > 0 ? norm / norm0 : 0;
    if (norm <= 1e-10 * norm0 || norm === 0) continue; // linearly dependent: drop (its coefficient stays 0)
    for (let i = 0; i < n; i++) Q[r * n + i] = v[i] / norm;
    // R is r_new × r_new upper triangular, stored column-major with leading dimension k.
    for (let q = 0; q < r; q++) R[q + r * k] = coef[q];
    R[r + r * k] = norm;
    kept.push(j);
  }
  return { Q, R, kept: Int32Array.from(kept), ratio };
}

/** Numerical column rank of [1, X] (with the intercept column when asked), by {@link gramSchmidtQR}. */
export function columnRank(X: LinearOperator, withIntercept: boolean): number {
  const n = X.rows;
  const k = X.cols + (withIntercept ? 1 : 0);
  const A = new Float64Array(n * k);
  if (withIntercept) A.fill(1, 0, n);
  const col = new Float64Array(n);
  for (let j = 0; j < X.cols; j++) {
    materializeColumn(X, j, col);
    A.set(col, (j + (withIntercept ? 1 : 0)) * n);
  }
  return gramSchmidtQR(A, n, k).kept.length;
}

// ---------------------------------------------------------------------------------------------
// Householder QR in the LINPACK dqrdc2 convention (no pivoting), which R's qr() uses by default.

/** Compact Householder QR of an n × p column-major matrix A (overwritten), LINPACK layout. */
export interface CompactQR {
  readonly n: number;
  readonly p: number;
  /** R in the upper triangle, the Householder vectors (below the diagonal) in the rest. */
  readonly qr: Float64Array;
  /** First component of each Householder vector (0 = no reflection). */
  readonly qraux: Float64Array;
}

/**
 * QR = A by Householder reflections H_l = I − u uᵀ / u_l with u_l = 1 + |a_ll| / ‖a_l‖ and
 * R_ll = −sign(a_ll) ‖a_l‖ (LINPACK's dqrdc2 sign rule, so Q matches R's `qr.Q`).
 */
export function householderQR(A: Float64Array, n: number, p: number): CompactQR {
  const x = A;
  const qraux = new Float64Array(p);
  const lup = Math.min(n, p);
  for (let l = 0; l < lup; l++) {
    if (l === n - 1) break;
    const o = l + l * n;
    let scale = 0;
    for (let i = l; i < n; i++) scale = Math.max(scale, Math.abs(x[i + l * n]));
    if (scale === 0) continue;
    let ss = 0;
    for (let i = l; i < n; i++) {
      const v = x[i + l * n] / scale;
      ss += v * v;
    }
    let nrmxl = scale * Math.sqrt(ss);
    if (x[o] !== 0) nrmxl = x[o] < 0 ? -nrmxl : nrmxl;
    for (let i = l; i < n; i++) x[i + l * n] /= nrmxl;
    x[o] += 1;
    for (let j = l + 1; j < p; j++) {
      let t = 0;
      for (let i = l; i < n; i++) t -= x[i + l * n] * x[i + j * n];
      t /= x[o];
      for (let i = l; i < n; i++) x[i + j * n] += t * x[i + l * n];
    }
    qraux[l] = x[o];
    x[o] = -nrmxl;
  }
  return { n, p, qr: x, qraux };
}

/** y ← Qᵀ y (R's `qr.qty`) for a vector y of length n. */
export function qrQty(f: CompactQR, y: Float64Array): void {
  const { n, p, qr, qraux } = f;
  const k = Math.min(p, n - 1);
  for (let j = 0; j < k; j++) reflect(qr, qraux[j], n, j, y);
}

/** y ← Q y (R's `qr.qy`) for a vector y of length n. */
export function qrQy(f: CompactQR, y: Float64Array): void {
  const { n, p, qr, qraux } = f;
  const k = Math.min(p, n - 1);
  for (let j = k - 1; j >= 0; j--) reflect(qr, qraux[j], n, j, y);
}

function reflect(qr: Float64Array, u0: number, n: number, j: number, y: Float64Array): void {
  if (u0 === 0) return;
  const o = j * n;
  let t = -u0 * y[j];
  for (let i = j + 1; i < n; i++) t -= qr[o + i] * y[i];
  t /= u0;
  y[j] += t * u0;
  for (let i = j + 1; i < n; i++) y[i] += t * qr[o + i];
}
