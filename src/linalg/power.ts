import { ShapeError, ValueError } from '../errors.ts';
import { checkOptions } from '../util/validate.ts';
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
  /** Start vector (length A.cols, not all zero; normalized here): a warm start instead of the random one. */
  start?: Float64Array;
  /** Receives the last iterate (length A.cols), the leading right-singular direction found: the next warm start. */
  direction?: Float64Array;
}

/**
 * Largest eigenvalue of AᵀA, i.e. ‖A‖₂² (the squared spectral norm), by power iteration on AᵀA from
 * a seeded random start (or a warm start). Power iteration approaches from below, so solvers that
 * use it as a Lipschitz constant also backtrack. This is the library's one power iteration on
 * operators (small dense matrices: linalg/eigen.ts).
 */
export function operatorNormSquared(A: LinearOperator, options: PowerIterationOptions = {}): number {
  return powerNormSquared('operatorNormSquared', A, options);
}

/** `operatorNormSquared` with its errors in the name `fn` of the public function that asked. */
export function powerNormSquared(fn: string, A: LinearOperator, options: PowerIterationOptions = {}): number {
  // O(1) checks: called once per fit by the solvers, and directly by users.
  if (A === null || typeof A !== 'object' || typeof A.apply !== 'function' || typeof A.applyTranspose !== 'function' ||
    !Number.isInteger(A.rows) || !Number.isInteger(A.cols) || A.rows < 0 || A.cols < 0) {
    throw new ShapeError(fn, 'A must be a LinearOperator (integer rows and cols, apply and applyTranspose)');
  }
  checkOptions(fn, options, ['tol', 'maxIter', 'seed', 'start', 'direction']);
  const tol = options.tol ?? 1e-6;
  const maxIter = options.maxIter ?? 200;
  if (typeof tol !== 'number' || !(tol > 0 && tol < 1)) throw new ValueError(fn, `tol must be a number in (0, 1), got ${String(tol)}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new ValueError(fn, `maxIter must be a whole number ≥ 1, got ${String(maxIter)}`);
  for (const key of ['start', 'direction'] as const) {
    const v = options[key];
    if (v !== undefined && !(v instanceof Float64Array && v.length === A.cols)) {
      throw new ShapeError(fn, `${key} must be a Float64Array of length A.cols = ${A.cols}`);
    }
  }
  if (A.rows === 0 || A.cols === 0) return 0;
  let x: Float64Array = options.start ? Float64Array.from(options.start) : new Random(options.seed ?? 0).normals(A.cols);
  const Ax = new Float64Array(A.rows);
  let y: Float64Array = new Float64Array(A.cols);
  const nx = nrm2(A.cols, x);
  if (!(nx > 0)) return 0;
  for (let k = 0; k < A.cols; k++) x[k] /= nx;
  let est = 0;
  for (let it = 0; it < maxIter; it++) {
    A.apply(x, Ax);
    A.applyTranspose(Ax, y);
    const ny = nrm2(A.cols, y);
    // A NaN here would otherwise run every iteration and be returned as the norm.
    if (!Number.isFinite(ny)) {
      throw new ValueError(fn, `‖AᵀA x‖ is not finite at power iteration ${it + 1}: A.apply or A.applyTranspose returned non-finite values on a finite unit vector, or ‖A‖₂² exceeds the float64 range`);
    }
    if (ny === 0) break; // x fell in the null space: restart would be needed only for A = 0.
    const prev = est;
    est = ny; // ‖AᵀA x‖ with ‖x‖ = 1 tends to λ_max(AᵀA)
    for (let k = 0; k < A.cols; k++) y[k] /= ny;
    [x, y] = [y, x];
    if (it > 0 && Math.abs(est - prev) <= tol * est) break;
  }
  if (options.direction) options.direction.set(x);
  return est;
}
