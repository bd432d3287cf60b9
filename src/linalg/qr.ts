import { dot } from './blas.ts';
import { materializeColumn, type LinearOperator } from './operator.ts';

/**
 * Thin QR of a dense n × k matrix A (column-major) by modified Gram–Schmidt applied twice (which
 * keeps Q orthonormal to rounding even for ill-conditioned A), dropping columns that are linearly
 * dependent on the earlier ones (residual norm ≤ 1e-10 of the column's own norm).
 * Returns Q (n × r, the first r columns filled; r = kept.length, the numerical rank), R (k × k
 * storage, column-major, its leading r × r block upper triangular) and the kept column indices.
 */
export function gramSchmidtQR(A: Float64Array, n: number, k: number): { Q: Float64Array; R: Float64Array; kept: Int32Array } {
  const Q = new Float64Array(n * k);
  const R = new Float64Array(k * k);
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
    if (norm <= 1e-10 * norm0 || norm === 0) continue; // linearly dependent: drop (its coefficient stays 0)
    for (let i = 0; i < n; i++) Q[r * n + i] = v[i] / norm;
    // R is r_new × r_new upper triangular, stored column-major with leading dimension k.
    for (let q = 0; q < r; q++) R[q + r * k] = coef[q];
    R[r + r * k] = norm;
    kept.push(j);
  }
  return { Q, R, kept: Int32Array.from(kept) };
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
