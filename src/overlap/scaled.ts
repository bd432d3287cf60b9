import type { ColumnAccess, LinearOperator } from '../linalg/operator.ts';

/**
 * X·c for a power of two c, with X's column access kept (the overlap solvers' block updates need
 * it). Multiplying by a power of two is exact in float64 (barring under- and overflow, which the
 * scale limits exclude), so a problem moved to unit scale through it is the same problem.
 */
export class PowerOfTwoScaled implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  readonly columns?: ColumnAccess;
  private readonly base: LinearOperator;
  private readonly c: number;
  private buf = new Float64Array(0);

  constructor(base: LinearOperator, c: number) {
    this.base = base;
    this.c = c;
    this.rows = base.rows;
    this.cols = base.cols;
    const cols = base.columns;
    if (cols) {
      this.columns = {
        dot: (j, y) => c * cols.dot(j, y),
        axpy: (j, alpha, y) => cols.axpy(j, alpha * c, y),
        // c² may leave the float64 range where c·‖a_j‖ does not: scale the norm, then square.
        normSq: (j) => {
          const r = Math.sqrt(cols.normSq(j)) * c;
          return r * r;
        },
        dotBlock: (idx, start, end, y, out) => {
          cols.dotBlock(idx, start, end, y, out);
          for (let k = 0; k < end - start; k++) out[k] *= c;
        },
        axpyBlock: (idx, start, end, coef, y) => {
          if (this.buf.length < end - start) this.buf = new Float64Array(end - start);
          const scaled = this.buf;
          for (let k = 0; k < end - start; k++) scaled[k] = c * coef[k];
          cols.axpyBlock(idx, start, end, scaled, y);
        },
      };
    }
  }

  apply(x: Float64Array, out: Float64Array): void {
    this.base.apply(x, out);
    for (let i = 0; i < out.length; i++) out[i] *= this.c;
  }

  applyTranspose(y: Float64Array, out: Float64Array): void {
    this.base.applyTranspose(y, out);
    for (let j = 0; j < out.length; j++) out[j] *= this.c;
  }
}

/**
 * The power of two c that brings X's largest stored entry near 1 when that entry is outside
 * [2⁻⁶⁴, 2⁶⁴], else 1 (no rescaling). Read through column access (one pass over X); an operator
 * without it is left at its own scale.
 */
export function designRescale(X: LinearOperator): number {
  if (!X.columns) return 1;
  const col = new Float64Array(X.rows);
  let hi = 0;
  for (let j = 0; j < X.cols; j++) {
    col.fill(0);
    X.columns.axpy(j, 1, col);
    for (let i = 0; i < col.length; i++) {
      const v = Math.abs(col[i]);
      if (v > hi) hi = v;
    }
  }
  if (!(hi > 0) || !Number.isFinite(hi)) return 1;
  const e = Math.round(Math.log2(hi));
  return Math.abs(e) > 64 ? 2 ** -e : 1;
}
