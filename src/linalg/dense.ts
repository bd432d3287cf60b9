import { ShapeError, ValueError } from '../errors.ts';
import { dot, sumSq } from './blas.ts';
import { checkProduct, type ColumnAccess, type LinearOperator } from './operator.ts';
import { gemvNAllJs, gemvNJs, gemvTAllJs, gemvTJs } from './kernels/js.ts';
import { columnSumSq, maxColumnRms } from './scale.ts';

/**
 * Dense real matrix in column-major order over one Float64Array: entry (i, j) is
 * `data[i + j·rows]`, so a column (and a group's block of columns) is contiguous and X_gᵀr reads
 * memory in order.
 */
export class DenseMatrix implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly columns: ColumnAccess;

  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new ShapeError('DenseMatrix', `invalid shape ${rows} × ${cols}`);
    }
    // A plain array would work until the first subarray() call: refuse it here.
    if (data !== undefined && !(data instanceof Float64Array)) {
      throw new ShapeError('DenseMatrix', 'data must be a Float64Array (use DenseMatrix.fromRows for arrays of rows)');
    }
    if (data !== undefined && data.length !== rows * cols) {
      throw new ShapeError('DenseMatrix', `data has length ${data.length}, expected ${rows} × ${cols} = ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
    this.columns = new DenseColumns(this);
  }

  /** Build from an array of rows (`number[][]`, the usual JS table shape). */
  static fromRows(rows: ArrayLike<ArrayLike<number>>, fn = 'DenseMatrix.fromRows'): DenseMatrix {
    if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') {
      throw new ShapeError(fn, 'expected an array of rows');
    }
    const n = rows.length;
    const r0 = n > 0 ? rows[0] : undefined;
    const p = r0 !== null && r0 !== undefined && typeof r0.length === 'number' ? r0.length : 0;
    const m = new DenseMatrix(n, p);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (r === null || r === undefined || typeof r.length !== 'number') {
        throw new ShapeError(fn, `row ${i} is not an array`);
      }
      if (r.length !== p) throw new ShapeError(fn, `row ${i} has ${r.length} entries, row 0 has ${p} (ragged rows)`);
      for (let j = 0; j < p; j++) {
        const v = r[j];
        // Storing into a Float64Array would turn null into 0, '2' into 2 and true into 1: a
        // missing value must not become a silent zero.
        if (typeof v !== 'number') throw new ValueError(fn, `entry at row ${i}, column ${j} is not a number (${v === null ? 'null' : typeof v})`);
        m.data[i + j * n] = v;
      }
    }
    return m;
  }

  /** Build from columns (each of length rows). */
  static fromColumns(cols: ArrayLike<ArrayLike<number>>, fn = 'DenseMatrix.fromColumns'): DenseMatrix {
    if (cols === null || typeof cols !== 'object' || typeof cols.length !== 'number') {
      throw new ShapeError(fn, 'expected an array of columns');
    }
    const p = cols.length;
    for (let j = 0; j < p; j++) {
      const c = cols[j];
      if (c === null || c === undefined || typeof c.length !== 'number') throw new ShapeError(fn, `column ${j} is not an array`);
    }
    const n = p > 0 ? cols[0].length : 0;
    const m = new DenseMatrix(n, p);
    for (let j = 0; j < p; j++) {
      if (cols[j].length !== n) throw new ShapeError(fn, `column ${j} has ${cols[j].length} entries, expected ${n}`);
      for (let i = 0; i < n; i++) {
        const v = cols[j][i];
        if (typeof v !== 'number') throw new ValueError(fn, `entry at row ${i}, column ${j} is not a number (${v === null ? 'null' : typeof v})`);
        m.data[i + j * n] = v;
      }
    }
    return m;
  }

  /**
   * True when every entry is known to be finite without looking (a fast operator checked on
   * creation and on each `set`); plain matrices always answer false, so they are checked.
   */
  isKnownFinite(): boolean {
    return false;
  }

  /**
   * max_j √(‖x_j‖²/rows), the size the float64 range check compares with its limits (one read
   * pass; a fast operator answers from the pass that filled it).
   */
  maxColumnRms(): number {
    return maxColumnRms(this.data, this.rows, this.cols, columnSumSq(this.data, this.rows, this.cols));
  }

  get(i: number, j: number): number {
    return this.data[i + j * this.rows];
  }

  set(i: number, j: number, v: number): void {
    this.data[i + j * this.rows] = v;
  }

  /** A view (no copy) of column j. */
  column(j: number): Float64Array {
    return this.data.subarray(j * this.rows, (j + 1) * this.rows);
  }

  /** Array of rows, for printing and interop. */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      const r = new Array<number>(this.cols);
      for (let j = 0; j < this.cols; j++) r[j] = this.data[i + j * this.rows];
      out.push(r);
    }
    return out;
  }

  clone(): DenseMatrix {
    return new DenseMatrix(this.rows, this.cols, this.data.slice());
  }

  /** New matrix made of the listed columns, in order. */
  selectColumns(idx: ArrayLike<number>): DenseMatrix {
    const n = this.rows;
    const m = new DenseMatrix(n, idx.length);
    for (let k = 0; k < idx.length; k++) m.data.set(this.column(idx[k]), k * n);
    return m;
  }

  /**
   * New matrix made of the listed rows, in order. `pooled` concerns kernel-backed matrices only
   * (see FastDense.selectRows); a plain DenseMatrix allocates an ordinary array either way.
   */
  selectRows(idx: ArrayLike<number>, pooled?: boolean): DenseMatrix {
    void pooled;
    const n = idx.length;
    const m = new DenseMatrix(n, this.cols);
    for (let j = 0; j < this.cols; j++) {
      const src = j * this.rows;
      const dst = j * n;
      for (let k = 0; k < n; k++) m.data[dst + k] = this.data[src + idx[k]];
    }
    return m;
  }

  /** out ← X w. Columns with w_j = 0 are skipped, which pays off for sparse coefficients. */
  apply(w: Float64Array, out: Float64Array): void {
    checkProduct('DenseMatrix.apply', 'w', w, this.cols, out, this.rows);
    gemvNAllJs(this.data, this.rows, this.cols, w, out);
  }

  /** out ← Xᵀ y. */
  applyTranspose(y: Float64Array, out: Float64Array): void {
    checkProduct('DenseMatrix.applyTranspose', 'y', y, this.rows, out, this.cols);
    gemvTAllJs(this.data, this.rows, this.cols, y, out);
  }
}

class DenseColumns implements ColumnAccess {
  private readonly m: DenseMatrix;
  constructor(m: DenseMatrix) {
    this.m = m;
  }
  dot(j: number, y: Float64Array): number {
    return dot(this.m.rows, this.m.data, j * this.m.rows, y, 0);
  }
  axpy(j: number, alpha: number, y: Float64Array): void {
    if (alpha === 0) return;
    const n = this.m.rows;
    const d = this.m.data;
    const o = j * n;
    for (let i = 0; i < n; i++) y[i] += alpha * d[o + i];
  }
  normSq(j: number): number {
    return sumSq(this.m.rows, this.m.data, j * this.m.rows);
  }
  dotBlock(idx: Int32Array, start: number, end: number, y: Float64Array, out: Float64Array): void {
    gemvTJs(this.m.data, this.m.rows, idx, start, end, y, out, 0);
  }
  axpyBlock(idx: Int32Array, start: number, end: number, coef: Float64Array, y: Float64Array): void {
    gemvNJs(this.m.data, this.m.rows, idx, start, end, coef, 0, y);
  }
}

/** Throw unless every entry of the matrix is finite. */
export function checkFiniteMatrix(fn: string, what: string, m: DenseMatrix): void {
  if (m.isKnownFinite()) return;
  const d = m.data;
  // Fast pass: x·0 is 0 for every finite x and NaN for ±Inf/NaN, so the sums stay 0 unless some
  // entry is not finite (this runs at memory speed; the slow pass below only locates the culprit).
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (const m4 = d.length - (d.length & 3); i < m4; i += 4) {
    s0 += d[i] * 0;
    s1 += d[i + 1] * 0;
    s2 += d[i + 2] * 0;
    s3 += d[i + 3] * 0;
  }
  for (; i < d.length; i++) s0 += d[i] * 0;
  if (s0 + s1 + s2 + s3 === 0) return;
  for (let k = 0; k < d.length; k++) {
    if (!Number.isFinite(d[k])) {
      const i = k % m.rows;
      const j = Math.floor(k / m.rows);
      throw new ValueError(fn, `${what} contains a non-finite value (${d[k]}) at row ${i}, column ${j}`);
    }
  }
}
