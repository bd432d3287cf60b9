import { AbstractMatrix } from 'ml-matrix';
import { ShapeError, ValueError } from '../errors.ts';
import { checkFiniteArray } from '../util/validate.ts';
import { checkFiniteMatrix, DenseMatrix } from './dense.ts';
import type { LinearOperator } from './operator.ts';
import { scaledRms } from './scale.ts';
import { SparseMatrix } from './sparse.ts';

/** What the public API accepts as a design matrix. */
export type MatrixInput = ArrayLike<ArrayLike<number>> | DenseMatrix | AbstractMatrix | LinearOperator;

/**
 * What the public API accepts as a response: a vector, or n × T rows / a Matrix for multi-task;
 * class labels (strings or whole numbers) for the multinomial; `{ time, status }` for the Cox model.
 */
export type ResponseInput =
  | ArrayLike<number> | ArrayLike<ArrayLike<number>> | AbstractMatrix
  | ArrayLike<string> | { time: ArrayLike<number>; status: ArrayLike<number> };

function isOperator(x: unknown): x is LinearOperator {
  return (
    typeof x === 'object' && x !== null &&
    typeof (x as LinearOperator).apply === 'function' &&
    typeof (x as LinearOperator).applyTranspose === 'function' &&
    typeof (x as LinearOperator).rows === 'number' &&
    typeof (x as LinearOperator).cols === 'number'
  );
}

/** Convert an ml-matrix Matrix to column-major storage. */
function fromMlMatrix(m: AbstractMatrix): DenseMatrix {
  const n = m.rows;
  const p = m.columns;
  const out = new DenseMatrix(n, p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out.data[i + j * n] = m.get(i, j);
  return out;
}

/** Operators whose transpose has passed {@link checkAdjoint} (each is tested once). */
const adjointChecked = new WeakSet<object>();

/**
 * The dot-product test ⟨Au, v⟩ = ⟨u, Aᵀv⟩ on one pair of fixed pseudo-random vectors, once per
 * operator object. Every certificate rests on Aᵀ being the transpose of A: with an inconsistent
 * applyTranspose the dual point is built from the wrong gradient and a wrong answer can be
 * certified with a gap of 0. Rounding in float64 operators (FFTs, compositions) leaves a relative
 * mismatch near 1e-15; 1e-8 also admits operators computed in reduced precision. One apply and
 * one applyTranspose per operator: a path or CV sees the operator once.
 */
function checkAdjoint(fn: string, what: string, A: LinearOperator): void {
  if (adjointChecked.has(A) || A.rows === 0 || A.cols === 0) return;
  let s = 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296 - 0.5;
  };
  const u = Float64Array.from({ length: A.cols }, next);
  const v = Float64Array.from({ length: A.rows }, next);
  const Au = new Float64Array(A.rows);
  const Atv = new Float64Array(A.cols);
  A.apply(u, Au);
  A.applyTranspose(v, Atv);
  let left = 0, right = 0, nAu = 0, nAtv = 0, nu = 0, nv = 0;
  for (let i = 0; i < A.rows; i++) { left += Au[i] * v[i]; nAu += Au[i] * Au[i]; nv += v[i] * v[i]; }
  for (let j = 0; j < A.cols; j++) { right += u[j] * Atv[j]; nAtv += Atv[j] * Atv[j]; nu += u[j] * u[j]; }
  if (!Number.isFinite(left) || !Number.isFinite(right)) {
    throw new ShapeError(fn, `${what}.apply or ${what}.applyTranspose returned non-finite values on a finite vector`);
  }
  const scale = Math.sqrt(nAu * nv) + Math.sqrt(nu * nAtv);
  if (Math.abs(left - right) > 1e-8 * scale) {
    throw new ShapeError(fn, `${what}.applyTranspose is not the transpose of ${what}.apply: ⟨Au, v⟩ = ${left.toPrecision(8)} but ⟨u, Aᵀv⟩ = ${right.toPrecision(8)} on random u, v (relative mismatch ${(Math.abs(left - right) / scale).toExponential(2)})`);
  }
  adjointChecked.add(A);
}

/**
 * Design matrix at the API edge → a LinearOperator. Arrays of rows and ml-matrix matrices are
 * copied into column-major storage (the caller's data is never touched); a DenseMatrix or any other
 * LinearOperator is used as is, read-only. Dense inputs are checked for NaN/Inf.
 */
export function toOperator(X: unknown, fn: string = 'toOperator', what = 'X'): LinearOperator {
  // Called directly by users too: a missing or junk caller name words errors as toOperator's own.
  if (typeof fn !== 'string' || fn === '') fn = 'toOperator';
  if (typeof what !== 'string') what = 'X';
  if (X === null || X === undefined) throw new ShapeError(fn, `${what} is missing`);
  let op: LinearOperator;
  if (X instanceof DenseMatrix) {
    checkFiniteMatrix(fn, what, X);
    op = X;
  } else if (AbstractMatrix.isMatrix(X)) {
    op = fromMlMatrix(X);
    checkFiniteMatrix(fn, what, op as DenseMatrix);
  } else if (isOperator(X)) {
    // Shapes size every work buffer: a fractional or NaN size would surface later as a
    // RangeError or a confusing length mismatch.
    if (!Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.rows < 0 || X.cols < 0) {
      throw new ShapeError(fn, `${what} is a LinearOperator with an invalid shape ${X.rows} × ${X.cols}`);
    }
    checkAdjoint(fn, what, X);
    op = X;
  } else if (Array.isArray(X) || ArrayBuffer.isView(X)) {
    const rows = X as ArrayLike<unknown>;
    if (rows.length > 0 && (typeof rows[0] !== 'object' || rows[0] === null)) {
      throw new ShapeError(fn, `${what} must be a matrix (array of rows), got a flat array`);
    }
    op = DenseMatrix.fromRows(rows as ArrayLike<ArrayLike<number>>, fn);
    checkFiniteMatrix(fn, what, op as DenseMatrix);
  } else {
    throw new ShapeError(fn, `${what} must be an array of rows, an ml-matrix Matrix, a DenseMatrix or a LinearOperator`);
  }
  if (op.rows === 0) throw new ShapeError(fn, `${what} has no rows`);
  if (op.cols === 0) throw new ShapeError(fn, `${what} has no columns`);
  return op;
}

/** Like {@link toOperator} but always dense (copies a DenseMatrix only when asked). */
export function toDense(X: unknown, fn: string = 'toDense', what = 'X'): DenseMatrix {
  if (typeof fn !== 'string' || fn === '') fn = 'toDense';
  if (typeof what !== 'string') what = 'X';
  const op = toOperator(X, fn, what);
  if (op instanceof DenseMatrix) return op;
  throw new ShapeError(fn, `${what} must be dense here (an array of rows, a Matrix or a DenseMatrix)`);
}

/** A numeric vector at the API edge → a fresh Float64Array, checked for length and finiteness. */
export function toVector(y: unknown, fn: string = 'toVector', what = 'values', length?: number): Float64Array {
  if (typeof fn !== 'string' || fn === '') fn = 'toVector';
  if (typeof what !== 'string') what = 'values';
  if (length !== undefined && !(Number.isInteger(length) && length >= 0)) {
    throw new ShapeError(fn, `expected length must be a non-negative integer, got ${String(length)}`);
  }
  if (y === null || y === undefined) throw new ShapeError(fn, `${what} is missing`);
  if (AbstractMatrix.isMatrix(y)) {
    const m = y as AbstractMatrix;
    if (m.columns !== 1 && m.rows !== 1) throw new ShapeError(fn, `${what} must be a vector, got a ${m.rows} × ${m.columns} matrix`);
    y = m.to1DArray();
  }
  const a = y as ArrayLike<unknown>;
  if (typeof a.length !== 'number') throw new ShapeError(fn, `${what} must be an array of numbers`);
  if (a.length > 0 && typeof a[0] === 'object') throw new ShapeError(fn, `${what} must be a flat array of numbers`);
  checkFiniteArray(fn, what, a as ArrayLike<number>);
  if (length !== undefined && a.length !== length) {
    throw new ShapeError(fn, `${what} has length ${a.length}, expected ${length}`);
  }
  return Float64Array.from(a as ArrayLike<number>);
}

/** Response at the API edge: `{ data, n, T }` with `data` column-major n × T (T = 1 for a vector). */
export function toResponse(y: unknown, fn: string = 'toResponse', n: number = NaN): { data: Float64Array; n: number; T: number } {
  if (typeof fn !== 'string' || fn === '') fn = 'toResponse';
  if (!(Number.isInteger(n) && n > 0)) throw new ShapeError(fn, `the number of rows n must be a positive integer, got ${String(n)}`);
  if (y === null || y === undefined) throw new ShapeError(fn, 'y is missing');
  let rows: ArrayLike<ArrayLike<number>> | null = null;
  if (AbstractMatrix.isMatrix(y)) {
    const m = y as AbstractMatrix;
    if (m.columns === 1) return { data: toVector(m.to1DArray(), fn, 'y', n), n, T: 1 };
    rows = m.to2DArray();
  } else if ((Array.isArray(y) || ArrayBuffer.isView(y)) && (y as ArrayLike<unknown>).length > 0 &&
    typeof (y as ArrayLike<unknown>)[0] === 'object') {
    rows = y as ArrayLike<ArrayLike<number>>;
  }
  if (rows === null) return { data: toVector(y, fn, 'y', n), n, T: 1 };
  if (rows.length !== n) throw new ShapeError(fn, `y has ${rows.length} rows but X has ${n}`);
  const m = DenseMatrix.fromRows(rows, fn);
  for (let k = 0; k < m.data.length; k++) {
    if (!Number.isFinite(m.data[k])) throw new ValueError(fn, `y contains a non-finite value at row ${k % n}, column ${Math.floor(k / n)}`);
  }
  return { data: m.data, n, T: m.cols };
}

/**
 * Magnitudes the float64 solvers handle without overflow or underflow. The response enters the
 * squared loss squared, and a duality gap a factor tol below that must stay a normal number: y is
 * limited to root-mean-square sizes in [1e-100, 1e100]. The design enters through ‖X‖² (the
 * Lipschitz constant) and the norms are computed scaled: X is limited to [1e-151, 1e151].
 */
export const SCALE_LIMITS = { low: 1e-100, high: 1e100 } as const;
export const DESIGN_SCALE_LIMITS = { low: 1e-151, high: 1e151 } as const;

function scaleAdvice(fn: string, what: string, size: number, remedy: string): ValueError {
  const lim = what === 'X' ? DESIGN_SCALE_LIMITS : SCALE_LIMITS;
  const side = size > lim.high ? 'large' : 'small';
  return new ValueError(
    fn,
    `${what} is too ${side} for float64 arithmetic (root-mean-square size ${size.toExponential(2)}; supported range ` +
      `${lim.low.toExponential(0)} to ${lim.high.toExponential(0)}): squares and products would ` +
      `${side === 'large' ? 'overflow' : 'underflow'} and no certificate could be trusted; ${remedy}`,
  );
}

/**
 * Refuse a design whose columns are at a scale where the loss and its certificate overflow or
 * underflow (read through column norms when the operator stores its columns; a matrix-free operator
 * is not probed). All-zero columns are fine.
 */
export function checkDesignScale(fn: string, X: LinearOperator): void {
  let hi = 0;
  // Read the stored entries (a squared norm would itself under- or overflow).
  const col = (j: number): number => {
    if (X instanceof SparseMatrix) {
      const a = X.colPtr[j];
      const b = X.colPtr[j + 1];
      return scaledRms(X.values.subarray(a, b)) * Math.sqrt((b - a) / X.rows);
    }
    return X.columns ? Math.sqrt(X.columns.normSq(j) / X.rows) : 0;
  };
  if (X instanceof DenseMatrix) hi = X.maxColumnRms();
  else for (let j = 0; j < X.cols; j++) hi = Math.max(hi, col(j));
  if (!(hi <= DESIGN_SCALE_LIMITS.high)) throw scaleAdvice(fn, 'X', hi, 'divide X by a constant (the coefficients scale back by the same factor)');
  if (hi > 0 && hi < DESIGN_SCALE_LIMITS.low) throw scaleAdvice(fn, 'X', hi, 'multiply X by a constant (the coefficients scale back by the same factor)');
}

/** Refuse a real-valued response (squared loss) outside the float64-safe range; y = 0 is fine. */
export function checkResponseScale(fn: string, y: ArrayLike<number>): void {
  const s = scaledRms(y);
  if (s === 0) return;
  if (!(s <= SCALE_LIMITS.high)) throw scaleAdvice(fn, 'y', s, 'divide y by a constant (coefficients and intercept scale with it)');
  if (s < SCALE_LIMITS.low) throw scaleAdvice(fn, 'y', s, 'multiply y by a constant (coefficients and intercept scale with it)');
}

/**
 * Refuse counts (Poisson loss) above the float64-safe range: the fitted means e^η reach the size
 * of the counts and their squares (gradient norms, curvature) overflowed, which once let an
 * infinite KKT violation pass as converged. Small counts are fine (the loss is in log space).
 */
export function checkCountScale(fn: string, y: ArrayLike<number>): void {
  const s = scaledRms(y);
  if (!(s <= SCALE_LIMITS.high)) {
    throw new ValueError(
      fn,
      `Poisson targets are too large for float64 arithmetic (root-mean-square size ${s.toExponential(2)}; supported up to ` +
        `${SCALE_LIMITS.high.toExponential(0)}): the means and gradients would overflow and no certificate could be trusted; ` +
        'divide the counts by a constant c (the intercept shifts by −log c and λ scales by 1/c)',
    );
  }
}
