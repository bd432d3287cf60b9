import { materializeColumn } from '../linalg/operator.ts';
import type { ProblemContext } from '../solvers/problem.ts';
import type { OverlapStructure } from './structure.ts';

/**
 * The joint design [X_S A] of the overlap solvers' Newton steps: a selection S of X's columns
 * (given per call) next to the unpenalized columns A = [1, X_U] (intercept, features in no group),
 * which are stored densely (n × k) because they are few and every product needs them.
 * A vector of the joint space is (v_S, c): |S| selected coefficients, then the k unpenalized ones.
 */
export class JointDesign {
  readonly n: number;
  /** Number of unpenalized columns (intercept first, then the unpenalized features). */
  readonly k: number;
  /** Unpenalized features (count_j = 0), ascending. */
  readonly unpenalized: number[];
  /** A, column-major n × k. */
  readonly A: Float64Array;
  private readonly ctx: ProblemContext;
  private readonly full: Float64Array;
  private readonly fullOut: Float64Array;

  constructor(ctx: ProblemContext, st: OverlapStructure) {
    this.ctx = ctx;
    const n = ctx.n;
    this.n = n;
    const unpen: number[] = [];
    for (let j = 0; j < ctx.p; j++) if (st.count[j] === 0) unpen.push(j);
    this.unpenalized = unpen;
    const k = (ctx.fitIntercept ? 1 : 0) + unpen.length;
    this.k = k;
    this.A = new Float64Array(n * k);
    let col = 0;
    if (ctx.fitIntercept) this.A.fill(1, 0, n), col++;
    const buf = new Float64Array(n);
    for (const j of unpen) {
      materializeColumn(ctx.X, j, buf);
      this.A.set(buf, col * n);
      col++;
    }
    this.full = new Float64Array(ctx.p);
    this.fullOut = new Float64Array(ctx.p);
  }

  /** The unpenalized coefficients c of the context's current fit (intercept first). */
  currentUnpenalized(out: Float64Array): void {
    const { intercepts, features } = this.ctx.unpenalizedCoefficients();
    const off = this.ctx.fitIntercept ? 1 : 0;
    if (this.ctx.fitIntercept) out[0] = intercepts[0];
    for (let r = 0; r < this.unpenalized.length; r++) out[off + r] = features[r];
  }

  /** out ← X_S v[0..|S|) + A v[|S|..|S|+k). */
  forward(sel: Int32Array, v: Float64Array, out: Float64Array): void {
    const { k, n, A, full } = this;
    const q = sel.length;
    full.fill(0);
    for (let j = 0; j < q; j++) full[sel[j]] = v[j];
    this.ctx.X.apply(full, out);
    for (let r = 0; r < k; r++) {
      const a = v[q + r];
      if (a === 0) continue;
      const o = r * n;
      for (let i = 0; i < n; i++) out[i] += a * A[o + i];
    }
  }

  /** out ← [X_S A]ᵀ r. */
  transpose(sel: Int32Array, r: Float64Array, out: Float64Array): void {
    const { k, n, A, fullOut } = this;
    const q = sel.length;
    this.ctx.X.applyTranspose(r, fullOut);
    for (let j = 0; j < q; j++) out[j] = fullOut[sel[j]];
    for (let c = 0; c < k; c++) {
      let s = 0;
      const o = c * n;
      for (let i = 0; i < n; i++) s += A[o + i] * r[i];
      out[q + c] = s;
    }
  }

  /** out[q + r] ← Σ_i h_i A_ir² (the Jacobi diagonal of the unpenalized block; 1 where it vanishes). */
  unpenalizedDiag(h: Float64Array, q: number, out: Float64Array): void {
    const { k, n, A } = this;
    for (let r = 0; r < k; r++) {
      let s = 0;
      const o = r * n;
      for (let i = 0; i < n; i++) s += h[i] * A[o + i] * A[o + i];
      out[q + r] = s > 0 ? s : 1;
    }
  }
}
