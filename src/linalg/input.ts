import { AbstractMatrix } from 'ml-matrix';
import { ShapeError, ValueError } from '../errors.ts';
import { checkFiniteArray } from '../util/validate.ts';
import { checkFiniteMatrix, DenseMatrix } from './dense.ts';
import type { LinearOperator } from './operator.ts';

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

/**
 * Design matrix at the API edge → a LinearOperator. Arrays of rows and ml-matrix matrices are
 * copied into column-major storage (the caller's data is never touched); a DenseMatrix or any other
 * LinearOperator is used as is, read-only. Dense inputs are checked for NaN/Inf.
 */
export function toOperator(X: unknown, fn: string, what = 'X'): LinearOperator {
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
export function toDense(X: unknown, fn: string, what = 'X'): DenseMatrix {
  const op = toOperator(X, fn, what);
  if (op instanceof DenseMatrix) return op;
  throw new ShapeError(fn, `${what} must be dense here (an array of rows, a Matrix or a DenseMatrix)`);
}

/** A numeric vector at the API edge → a fresh Float64Array, checked for length and finiteness. */
export function toVector(y: unknown, fn: string, what: string, length?: number): Float64Array {
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
export function toResponse(y: unknown, fn: string, n: number): { data: Float64Array; n: number; T: number } {
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
