import { ShapeError } from '../errors.ts';
import { DenseMatrix } from './dense.ts';
import { SparseMatrix } from './sparse.ts';
import { checkProduct, type ColumnAccess, type LinearOperator } from './operator.ts';

function checkIndices(fn: string, idx: ArrayLike<number>, bound: number, what: string): Int32Array {
  const out = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const j = idx[k];
    if (!Number.isInteger(j) || j < 0 || j >= bound) throw new ShapeError(fn, `${what} index ${j} is out of range [0, ${bound})`);
    out[k] = j;
  }
  return out;
}

/**
 * The columns `cols` of any LinearOperator A, as an operator B = A[:, cols] (no copy):
 * B x = A (scatter x into cols), Bᵀy = (Aᵀy)[cols]. Column access is forwarded when A has it.
 * Used by screening to fit a reduced problem on a matrix-free operator.
 */
export class SubsetOperator implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  readonly parent: LinearOperator;
  readonly indices: Int32Array;
  readonly columns?: ColumnAccess;
  private readonly xFull: Float64Array;
  private readonly gFull: Float64Array;

  constructor(parent: LinearOperator, cols: ArrayLike<number>) {
    this.parent = parent;
    this.indices = checkIndices('SubsetOperator', cols, parent.cols, 'column');
    this.rows = parent.rows;
    this.cols = this.indices.length;
    this.xFull = new Float64Array(parent.cols);
    this.gFull = new Float64Array(parent.cols);
    if (parent.columns) this.columns = new SubsetColumns(parent.columns, this.indices);
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('SubsetOperator.apply', 'x', x, this.cols, out, this.rows);
    this.xFull.fill(0);
    for (let k = 0; k < this.cols; k++) this.xFull[this.indices[k]] = x[k];
    this.parent.apply(this.xFull, out);
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('SubsetOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.parent.applyTranspose(y, this.gFull);
    for (let k = 0; k < this.cols; k++) out[k] = this.gFull[this.indices[k]];
  }
}

class SubsetColumns implements ColumnAccess {
  private readonly c: ColumnAccess;
  private readonly idx: Int32Array;
  private map = new Int32Array(0);
  constructor(c: ColumnAccess, idx: Int32Array) {
    this.c = c;
    this.idx = idx;
  }
  dot(j: number, y: Float64Array): number {
    return this.c.dot(this.idx[j], y);
  }
  axpy(j: number, alpha: number, y: Float64Array): void {
    this.c.axpy(this.idx[j], alpha, y);
  }
  normSq(j: number): number {
    return this.c.normSq(this.idx[j]);
  }
  private mapped(idx: Int32Array, start: number, end: number): Int32Array {
    if (this.map.length < end - start) this.map = new Int32Array(end - start);
    for (let k = start; k < end; k++) this.map[k - start] = this.idx[idx[k]];
    return this.map;
  }
  dotBlock(idx: Int32Array, start: number, end: number, y: Float64Array, out: Float64Array): void {
    this.c.dotBlock(this.mapped(idx, start, end), 0, end - start, y, out);
  }
  axpyBlock(idx: Int32Array, start: number, end: number, coef: Float64Array, y: Float64Array): void {
    this.c.axpyBlock(this.mapped(idx, start, end), 0, end - start, coef, y);
  }
  disjointBlock(idx: Int32Array, start: number, end: number): boolean {
    return this.c.disjointBlock ? this.c.disjointBlock(this.mapped(idx, start, end), 0, end - start) : false;
  }
}

/**
 * The rows `rows` of any LinearOperator A, as B = A[rows, :]: B x = (A x)[rows],
 * Bᵀy = Aᵀ(scatter y into rows). Used by cross-validation on matrix-free operators.
 */
export class RowSubsetOperator implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  readonly parent: LinearOperator;
  readonly indices: Int32Array;
  private readonly yFull: Float64Array;

  constructor(parent: LinearOperator, rows: ArrayLike<number>) {
    this.parent = parent;
    this.indices = checkIndices('RowSubsetOperator', rows, parent.rows, 'row');
    this.rows = this.indices.length;
    this.cols = parent.cols;
    this.yFull = new Float64Array(parent.rows);
  }

  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('RowSubsetOperator.apply', 'x', x, this.cols, out, this.rows);
    this.parent.apply(x, this.yFull);
    for (let k = 0; k < this.rows; k++) out[k] = this.yFull[this.indices[k]];
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('RowSubsetOperator.applyTranspose', 'y', y, this.rows, out, this.cols);
    this.yFull.fill(0);
    for (let k = 0; k < this.rows; k++) this.yFull[this.indices[k]] += y[k];
    this.parent.applyTranspose(this.yFull, out);
  }
}

/** Columns of an operator: a dense copy for a DenseMatrix (contiguous for the solver), a view otherwise. */
export function selectColumnsOf(X: LinearOperator, cols: ArrayLike<number>): LinearOperator {
  if (X instanceof DenseMatrix) return X.selectColumns(cols);
  return new SubsetOperator(X, cols);
}

/**
 * Rows of an operator: a copy in the same storage for a DenseMatrix or a SparseMatrix (rows
 * increasing), a view otherwise. `pooled`: a kernel-backed copy takes a pooled memory, which the
 * caller gives back with `dispose()` (see FastDense.selectRows).
 */
export function selectRowsOf(X: LinearOperator, rows: ArrayLike<number>, pooled = false): LinearOperator {
  if (X instanceof DenseMatrix) return X.selectRows(rows, pooled);
  if (X instanceof SparseMatrix && increasing(rows)) return X.selectRows(rows);
  return new RowSubsetOperator(X, rows);
}

function increasing(idx: ArrayLike<number>): boolean {
  for (let k = 1; k < idx.length; k++) if (!(idx[k] > idx[k - 1])) return false;
  return true;
}
