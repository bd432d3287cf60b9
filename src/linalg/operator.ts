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

/**
 * The arguments of a product `out ← A x` (or Aᵀ y): Float64Arrays of exactly the operator's sizes,
 * not sharing memory. The kernels index by the operator's sizes, so a short `out` would silently
 * drop entries (typed arrays ignore writes past their end), a long one would keep stale values, and
 * an aliased one would read what it has just overwritten. O(1), so every public `apply` pays it.
 */
export function checkProduct(fn: string, inName: string, x: unknown, inLength: number, out: unknown, outLength: number): void {
  checkVector(fn, inName, x, inLength);
  checkVector(fn, 'out', out, outLength);
  const a = x as Float64Array;
  const b = out as Float64Array;
  if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
    throw new ShapeError(fn, `out shares memory with ${inName}; pass a separate output array`);
  }
}

/** One argument of a product: a Float64Array of exactly n entries (module-level: products are hot). */
function checkVector(fn: string, what: string, v: unknown, n: number): void {
  if (!(v instanceof Float64Array)) {
    const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : ArrayBuffer.isView(v) ? (v as object).constructor.name : typeof v;
    throw new ShapeError(fn, `${what} must be a Float64Array of length ${n}, got ${got}`);
  }
  if (v.length !== n) throw new ShapeError(fn, `${what} has length ${v.length}, expected ${n}`);
}
