import { ShapeError } from '../errors.ts';
/**
 * A linear map A: ℝ^cols → ℝ^rows known only through its products. Every solver takes one, so a
 * dense matrix, a sparse matrix, a partial Fourier transform or a duplicated (latent) design all
 * plug in the same way.
 */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** out ← A x  (x has length cols, out has length rows; out is overwritten). */
  apply(x: Float64Array, out: Float64Array): void;
  /** out ← Aᵀ y  (y has length rows, out has length cols; out is overwritten). */
  applyTranspose(y: Float64Array, out: Float64Array): void;
  /**
   * Column access, present when single columns are cheap (dense or sparse storage). Block
   * coordinate solvers use it for residual updates; matrix-free operators leave it out.
   */
  readonly columns?: ColumnAccess;
}

/** Cheap access to the columns a_j of an operator. */
export interface ColumnAccess {
  /** a_jᵀ y. */
  dot(j: number, y: Float64Array): number;
  /** y ← y + alpha·a_j. */
  axpy(j: number, alpha: number, y: Float64Array): void;
  /** ‖a_j‖². */
  normSq(j: number): number;
  /** out[k] ← a_{idx[start+k]}ᵀ y for k in [0, end − start): X_gᵀ y for one group. */
  dotBlock(idx: Int32Array, start: number, end: number, y: Float64Array, out: Float64Array): void;
  /** y ← y + Σ_k coef[k]·a_{idx[start+k]}: a rank-|g| residual update. */
  axpyBlock(idx: Int32Array, start: number, end: number, coef: Float64Array, y: Float64Array): void;
  /**
   * Optional: true when the columns idx[start..end) have pairwise disjoint supports, so the block's
   * Gram matrix is the diagonal of its squared column norms (dummy blocks in sparse storage). Only
   * storage that knows its nonzeros answers; absent means unknown.
   */
  disjointBlock?(idx: Int32Array, start: number, end: number): boolean;
}

/** Columns of an operator read through products with unit vectors (for operators without storage). */
export function materializeColumn(A: LinearOperator, j: number, out?: Float64Array): Float64Array {
  const fn = 'materializeColumn';
  if (A === null || typeof A !== 'object' || typeof A.apply !== 'function' || !Number.isInteger(A.rows) || !Number.isInteger(A.cols)) {
    throw new ShapeError(fn, 'A must be a LinearOperator');
  }
  if (!Number.isInteger(j) || j < 0 || j >= A.cols) throw new ShapeError(fn, `column index j must be a whole number from 0 to ${A.cols - 1}, got ${String(j)}`);
  if (out === undefined) out = new Float64Array(A.rows);
  else if (!(out instanceof Float64Array) || out.length !== A.rows) throw new ShapeError(fn, `out must be a Float64Array of length A.rows = ${A.rows}`);
  if (A.columns) {
    out.fill(0);
    A.columns.axpy(j, 1, out);
    return out;
  }
  const e = new Float64Array(A.cols);
  e[j] = 1;
  A.apply(e, out);
  return out;
}
