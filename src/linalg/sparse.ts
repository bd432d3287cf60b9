import { ShapeError, ValueError } from '../errors.ts';
import type { DenseMatrix } from './dense.ts';
import { checkProduct, type ColumnAccess, type LinearOperator } from './operator.ts';

/**
 * Sparse real matrix in compressed sparse column (CSC) form: column j holds the entries
 * `values[colPtr[j] .. colPtr[j+1])` at rows `rowIndex[colPtr[j] .. colPtr[j+1])` (rows sorted
 * increasingly, no duplicates, no stored zeros). Column storage is what group solvers read:
 * X_gᵀ r and r ← r + X_g δ touch only the nonzeros of the group's columns, so a one-hot design with
 * n rows and many levels costs O(n) per sweep instead of O(n · levels).
 *
 * @example
 * const A = SparseMatrix.fromTriplets(3, 2, [0, 2, 1], [0, 0, 1], [1, 4, 5]);
 * const out = new Float64Array(3);
 * A.apply(Float64Array.of(2, 1), out);
 * // out is [2, 5, 8]
 */
export class SparseMatrix implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** cols + 1 offsets into rowIndex / values. */
  readonly colPtr: Int32Array;
  readonly rowIndex: Int32Array;
  readonly values: Float64Array;
  readonly columns: ColumnAccess;

  /**
   * Wrap CSC arrays (not copied). They are validated: offsets non-decreasing and ending at nnz,
   * row indices in range and strictly increasing inside each column, values finite.
   */
  constructor(rows: number, cols: number, colPtr: Int32Array, rowIndex: Int32Array, values: Float64Array) {
    const fn = 'SparseMatrix';
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new ShapeError(fn, `invalid shape ${rows} × ${cols}`);
    }
    if (colPtr.length !== cols + 1) throw new ShapeError(fn, `colPtr has length ${colPtr.length}, expected cols + 1 = ${cols + 1}`);
    const nnz = rowIndex.length;
    if (values.length !== nnz) throw new ShapeError(fn, `values has length ${values.length} but rowIndex has ${nnz}`);
    if (colPtr[0] !== 0 || colPtr[cols] !== nnz) {
      throw new ShapeError(fn, `colPtr must start at 0 and end at nnz = ${nnz}, got ${colPtr[0]} … ${colPtr[cols]}`);
    }
    for (let j = 0; j < cols; j++) {
      const a = colPtr[j];
      const b = colPtr[j + 1];
      if (b < a) throw new ShapeError(fn, `colPtr decreases at column ${j}`);
      for (let k = a; k < b; k++) {
        const i = rowIndex[k];
        if (i < 0 || i >= rows) throw new ShapeError(fn, `row index ${i} out of range [0, ${rows}) in column ${j}`);
        if (k > a && i <= rowIndex[k - 1]) throw new ShapeError(fn, `row indices of column ${j} are not strictly increasing`);
        if (!Number.isFinite(values[k])) throw new ValueError(fn, `non-finite value ${values[k]} at row ${i}, column ${j}`);
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.colPtr = colPtr;
    this.rowIndex = rowIndex;
    this.values = values;
    this.columns = new SparseColumns(this);
  }

  /** Number of stored (nonzero) entries. */
  get nnz(): number {
    return this.rowIndex.length;
  }

  /**
   * Build from coordinate triplets (row[k], col[k], value[k]). Duplicates are summed (the usual
   * COO convention) and entries that are exactly zero after summing are not stored.
   */
  static fromTriplets(
    rows: number, cols: number, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>, vals: ArrayLike<number>,
  ): SparseMatrix {
    const fn = 'SparseMatrix.fromTriplets';
    const m = rowIdx.length;
    if (colIdx.length !== m || vals.length !== m) {
      throw new ShapeError(fn, `rows, cols and values must have the same length, got ${m}, ${colIdx.length}, ${vals.length}`);
    }
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new ShapeError(fn, `invalid shape ${rows} × ${cols}`);
    }
    const count = new Int32Array(cols + 1);
    for (let k = 0; k < m; k++) {
      const i = rowIdx[k];
      const j = colIdx[k];
      if (!Number.isInteger(i) || i < 0 || i >= rows) throw new ShapeError(fn, `triplet ${k}: row ${i} out of range [0, ${rows})`);
      if (!Number.isInteger(j) || j < 0 || j >= cols) throw new ShapeError(fn, `triplet ${k}: column ${j} out of range [0, ${cols})`);
      if (!Number.isFinite(vals[k])) throw new ValueError(fn, `triplet ${k}: non-finite value ${vals[k]}`);
      count[j + 1]++;
    }
    for (let j = 0; j < cols; j++) count[j + 1] += count[j];
    // Bucket by column, then sort each column by row and merge duplicates.
    const next = count.slice(0, cols);
    const order = new Int32Array(m);
    for (let k = 0; k < m; k++) order[next[colIdx[k]]++] = k;
    const ptr = new Int32Array(cols + 1);
    const ri: number[] = [];
    const vs: number[] = [];
    for (let j = 0; j < cols; j++) {
      const seg = Array.from(order.subarray(count[j], count[j + 1]));
      seg.sort((a, b) => rowIdx[a] - rowIdx[b]);
      let k = 0;
      while (k < seg.length) {
        const i = rowIdx[seg[k]];
        let s = 0;
        while (k < seg.length && rowIdx[seg[k]] === i) s += vals[seg[k++]];
        if (s !== 0) {
          ri.push(i);
          vs.push(s);
        }
      }
      ptr[j + 1] = ri.length;
    }
    return new SparseMatrix(rows, cols, ptr, Int32Array.from(ri), Float64Array.from(vs));
  }

  /** Keep the nonzero entries of a dense (column-major) matrix. */
  static fromDense(A: DenseMatrix): SparseMatrix {
    const n = A.rows;
    const p = A.cols;
    const ptr = new Int32Array(p + 1);
    let nnz = 0;
    for (let k = 0; k < A.data.length; k++) if (A.data[k] !== 0) nnz++;
    const ri = new Int32Array(nnz);
    const vs = new Float64Array(nnz);
    let t = 0;
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < n; i++) {
        const v = A.data[i + j * n];
        if (v !== 0) {
          ri[t] = i;
          vs[t++] = v;
        }
      }
      ptr[j + 1] = t;
    }
    return new SparseMatrix(n, p, ptr, ri, vs);
  }

  /** Keep the nonzero entries of columns given as arrays (each of length `rows`). */
  static fromColumns(cols: readonly ArrayLike<number>[], rows: number): SparseMatrix {
    const p = cols.length;
    const ptr = new Int32Array(p + 1);
    const ri: number[] = [];
    const vs: number[] = [];
    for (let j = 0; j < p; j++) {
      const c = cols[j];
      if (c.length !== rows) throw new ShapeError('SparseMatrix.fromColumns', `column ${j} has ${c.length} entries, expected ${rows}`);
      for (let i = 0; i < rows; i++) {
        if (c[i] !== 0) {
          ri.push(i);
          vs.push(c[i]);
        }
      }
      ptr[j + 1] = ri.length;
    }
    return new SparseMatrix(rows, p, ptr, Int32Array.from(ri), Float64Array.from(vs));
  }

  /**
   * One-hot (indicator) columns: column j is 1 at the rows with `codes[i] === j` and 0 elsewhere.
   * A code of −1 marks a row with no column (the reference level of a dummy coding).
   */
  static fromOneHot(codes: ArrayLike<number>, nLevels: number): SparseMatrix {
    const fn = 'SparseMatrix.fromOneHot';
    const n = codes.length;
    const ptr = new Int32Array(nLevels + 1);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (!Number.isInteger(c) || c < -1 || c >= nLevels) throw new ShapeError(fn, `code ${c} at row ${i} out of range [-1, ${nLevels})`);
      if (c >= 0) ptr[c + 1]++;
    }
    for (let j = 0; j < nLevels; j++) ptr[j + 1] += ptr[j];
    const next = ptr.slice(0, nLevels);
    const ri = new Int32Array(ptr[nLevels]);
    // Rows arrive in increasing order, so each column's row list comes out sorted.
    for (let i = 0; i < n; i++) if (codes[i] >= 0) ri[next[codes[i]]++] = i;
    return new SparseMatrix(n, nLevels, ptr, ri, new Float64Array(ri.length).fill(1));
  }

  /** Columns side by side: [A₁ A₂ …] (all with the same number of rows). */
  static hstack(blocks: readonly SparseMatrix[]): SparseMatrix {
    const fn = 'SparseMatrix.hstack';
    if (blocks.length === 0) throw new ShapeError(fn, 'nothing to stack');
    const n = blocks[0].rows;
    let p = 0;
    let nnz = 0;
    for (const b of blocks) {
      if (b.rows !== n) throw new ShapeError(fn, `blocks have ${n} and ${b.rows} rows`);
      p += b.cols;
      nnz += b.nnz;
    }
    const ptr = new Int32Array(p + 1);
    const ri = new Int32Array(nnz);
    const vs = new Float64Array(nnz);
    let j0 = 0;
    let t = 0;
    for (const b of blocks) {
      ri.set(b.rowIndex, t);
      vs.set(b.values, t);
      for (let j = 0; j < b.cols; j++) ptr[j0 + j + 1] = t + b.colPtr[j + 1];
      j0 += b.cols;
      t += b.nnz;
    }
    return new SparseMatrix(n, p, ptr, ri, vs);
  }

  /**
   * The rows `idx` (strictly increasing, as cross-validation's fold rows are) as a CSC matrix:
   * one pass over the stored entries, so a fold of a one-hot design stays O(nnz) to select and to
   * fit, where a row view would lose column access and a dense copy would cost n × p.
   */
  selectRows(idx: ArrayLike<number>): SparseMatrix {
    const fn = 'SparseMatrix.selectRows';
    const map = new Int32Array(this.rows).fill(-1);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new ShapeError(fn, `row index ${i} is out of range [0, ${this.rows})`);
      if (k > 0 && i <= idx[k - 1]) throw new ShapeError(fn, 'row indices must be strictly increasing');
      map[i] = k;
    }
    const { colPtr, rowIndex, values } = this;
    let nnz = 0;
    for (let t = 0; t < rowIndex.length; t++) if (map[rowIndex[t]] >= 0) nnz++;
    const ptr = new Int32Array(this.cols + 1);
    const ri = new Int32Array(nnz);
    const vs = new Float64Array(nnz);
    let o = 0;
    for (let j = 0; j < this.cols; j++) {
      for (let t = colPtr[j]; t < colPtr[j + 1]; t++) {
        const r = map[rowIndex[t]];
        if (r < 0) continue;
        ri[o] = r;
        vs[o++] = values[t];
      }
      ptr[j + 1] = o;
    }
    return new SparseMatrix(idx.length, this.cols, ptr, ri, vs);
  }

  /** A X diag(s): column j multiplied by s[j] (a zero factor keeps the column's pattern, valued 0 is not stored). */
  scaleColumns(s: ArrayLike<number>): SparseMatrix {
    const fn = 'SparseMatrix.scaleColumns';
    if (s.length !== this.cols) throw new ShapeError(fn, `${s.length} factors for ${this.cols} columns`);
    const vs = new Float64Array(this.values.length);
    for (let j = 0; j < this.cols; j++) {
      const f = s[j];
      if (!Number.isFinite(f) || f === 0) throw new ValueError(fn, `factor ${j} must be finite and nonzero, got ${f}`);
      for (let t = this.colPtr[j]; t < this.colPtr[j + 1]; t++) vs[t] = this.values[t] * f;
    }
    return new SparseMatrix(this.rows, this.cols, this.colPtr, this.rowIndex, vs);
  }

  /** Entry (i, j) (binary search in column j). */
  get(i: number, j: number): number {
    let lo = this.colPtr[j];
    let hi = this.colPtr[j + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.rowIndex[mid];
      if (r === i) return this.values[mid];
      if (r < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Dense copy as column-major data (rows × cols). */
  toDenseData(): Float64Array {
    const out = new Float64Array(this.rows * this.cols);
    for (let j = 0; j < this.cols; j++) {
      for (let k = this.colPtr[j]; k < this.colPtr[j + 1]; k++) out[this.rowIndex[k] + j * this.rows] = this.values[k];
    }
    return out;
  }

  /** out ← A x. Columns with x_j = 0 are skipped. */
  apply(x: Float64Array, out: Float64Array): void {
    checkProduct('SparseMatrix.apply', 'x', x, this.cols, out, this.rows);
    out.fill(0);
    const { colPtr, rowIndex, values } = this;
    for (let j = 0; j < this.cols; j++) {
      const a = x[j];
      if (a === 0) continue;
      for (let k = colPtr[j]; k < colPtr[j + 1]; k++) out[rowIndex[k]] += a * values[k];
    }
  }

  /** out ← Aᵀ y. */
  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('SparseMatrix.applyTranspose', 'y', y, this.rows, out, this.cols);
    const { colPtr, rowIndex, values } = this;
    for (let j = 0; j < this.cols; j++) {
      let s = 0;
      for (let k = colPtr[j]; k < colPtr[j + 1]; k++) s += values[k] * y[rowIndex[k]];
      out[j] = s;
    }
  }
}

class SparseColumns implements ColumnAccess {
  private readonly m: SparseMatrix;
  // Row marks of the last disjointBlock call (a fresh stamp per call, no clearing pass).
  private mark = new Int32Array(0);
  private stamp = 0;
  constructor(m: SparseMatrix) {
    this.m = m;
  }
  dot(j: number, y: Float64Array): number {
    const { colPtr, rowIndex, values } = this.m;
    let s = 0;
    for (let k = colPtr[j]; k < colPtr[j + 1]; k++) s += values[k] * y[rowIndex[k]];
    return s;
  }
  axpy(j: number, alpha: number, y: Float64Array): void {
    if (alpha === 0) return;
    const { colPtr, rowIndex, values } = this.m;
    for (let k = colPtr[j]; k < colPtr[j + 1]; k++) y[rowIndex[k]] += alpha * values[k];
  }
  normSq(j: number): number {
    const { colPtr, values } = this.m;
    let s = 0;
    for (let k = colPtr[j]; k < colPtr[j + 1]; k++) s += values[k] * values[k];
    return s;
  }
  dotBlock(idx: Int32Array, start: number, end: number, y: Float64Array, out: Float64Array): void {
    for (let k = start; k < end; k++) out[k - start] = this.dot(idx[k], y);
  }
  /**
   * Whether the columns idx[start..end) have pairwise disjoint row supports (a dummy block: one
   * nonzero per row at most), so that the block's Gram matrix X_gᵀX_g is diagonal. O(nnz of the block).
   */
  disjointBlock(idx: Int32Array, start: number, end: number): boolean {
    const { colPtr, rowIndex } = this.m;
    if (this.mark.length < this.m.rows) this.mark = new Int32Array(this.m.rows);
    const stamp = ++this.stamp;
    for (let k = start; k < end; k++) {
      const j = idx[k];
      for (let t = colPtr[j]; t < colPtr[j + 1]; t++) {
        if (this.mark[rowIndex[t]] === stamp) return false;
        this.mark[rowIndex[t]] = stamp;
      }
    }
    return true;
  }

  axpyBlock(idx: Int32Array, start: number, end: number, coef: Float64Array, y: Float64Array): void {
    for (let k = start; k < end; k++) this.axpy(idx[k], coef[k - start], y);
  }
}
