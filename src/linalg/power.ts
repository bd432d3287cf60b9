import { Random } from '../util/random.ts';
import { nrm2 } from './blas.ts';
import type { LinearOperator } from './operator.ts';

export interface PowerIterationOptions {
  /** Stop when the estimate changes by less than this relative amount (default 1e-6). */
  tol?: number;
  /** Iteration cap (default 200). */
  maxIter?: number;
  /** Seed of the random start vector (default 0). */
  seed?: number;
}

/**
 * Largest eigenvalue of AᵀA, i.e. ‖A‖₂² (the squared spectral norm), by power iteration on AᵀA from
 * a seeded random start. Power iteration approaches from below, so solvers that use it as a
 * Lipschitz constant also backtrack.
 */
export function operatorNormSquared(A: LinearOperator, options: PowerIterationOptions = {}): number {
  const tol = options.tol ?? 1e-6;
  const maxIter = options.maxIter ?? 200;
  if (A.rows === 0 || A.cols === 0) return 0;
  const rng = new Random(options.seed ?? 0);
  let x: Float64Array = rng.normals(A.cols);
  const Ax = new Float64Array(A.rows);
  let y: Float64Array = new Float64Array(A.cols);
  const nx = nrm2(A.cols, x);
  for (let k = 0; k < A.cols; k++) x[k] /= nx;
  let est = 0;
  for (let it = 0; it < maxIter; it++) {
    A.apply(x, Ax);
    A.applyTranspose(Ax, y);
    const ny = nrm2(A.cols, y);
    if (ny === 0) return est; // x fell in the null space: restart would be needed only for A = 0.
    const prev = est;
    est = ny; // ‖AᵀA x‖ with ‖x‖ = 1 tends to λ_max(AᵀA)
    for (let k = 0; k < A.cols; k++) y[k] /= ny;
    [x, y] = [y, x];
    if (it > 0 && Math.abs(est - prev) <= tol * est) break;
  }
  return est;
}
