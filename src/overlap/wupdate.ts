import { materializeColumn } from '../linalg/operator.ts';
import { JointDesign } from './joint.ts';
import { ValueError } from '../errors.ts';
import type { ProblemContext } from '../solvers/problem.ts';
import { choleskyFactor, choleskySolveInPlace } from '../linalg/cholesky.ts';
import { pcg, PcgWork } from '../linalg/cg.ts';
import type { OverlapStructure } from './structure.ts';

/**
 * The w-update solvers of consensus ADMM (squared loss: Cholesky cached per ρ or conjugate
 * gradients; other losses: Newton-CG).
 */

/** The w-update of consensus ADMM: w = argmin G(w) + (ρ/2) Σ_j count_j w_j² − ρ⟨a, w⟩ over the penalized features. */
export interface WUpdate {
  readonly name: string;
  /** Set ρ (refactorizes when needed). */
  setAdmmPenalty(rho: number): void;
  /** Overwrite w (length p; unpenalized entries stay 0) with the minimizer; w holds a warm start. */
  solve(a: Float64Array, w: Float64Array): void;
  /** Factorizations (Cholesky) or inner iterations (CG, Newton) so far. */
  readonly work: number;
  /**
   * Relative accuracy wanted from an iterative solve. The ADMM tightens it with its residuals:
   * a w-update much less accurate than the residuals would cap the certificate (the decomposition
   * ρμ of −∇G(w) is only as exact as the solve).
   */
  accuracy: number;
  /**
   * Most inner products (passes over the data) the next solve may spend: the ADMM sets it to its
   * remaining work budget, so `maxIter` bounds the inner iterations too. Direct solves ignore it.
   */
  cap: number;
  /** True when `work` counts inner products (each a pass over the data), false when factorizations. */
  readonly iterative: boolean;
}

/**
 * Squared loss, reduced to the penalized features by projecting off the unpenalized columns
 * (P⊥ = I − Π_span(1, X_U)):  (BᵀB/n + ρD) w = Bᵀy/n + ρa,  B = P⊥X_pen,  D = diag(count).
 * q ≤ n: Cholesky of the q × q Gram BᵀB/n + ρD. q > n: Woodbury,
 *   (BᵀB/n + ρD)⁻¹ r = (1/ρ)[D⁻¹r − D⁻¹Bᵀ(nρI + BD⁻¹Bᵀ)⁻¹BD⁻¹r],
 * with Cholesky of the n × n matrix nρI + BD⁻¹Bᵀ. Both are refactored when ρ changes.
 */
export class CholeskyUpdate implements WUpdate {
  readonly name = 'cholesky';
  readonly iterative = false;
  work = 0;
  cap = Infinity;
  accuracy = 0; // direct solve: exact to rounding
  private readonly q: number;
  private readonly n: number;
  private readonly kernel: boolean;
  private readonly pen: Int32Array;
  private readonly cnt: Float64Array;
  private readonly B: Float64Array | null; // n × q, kernel form only
  private readonly base: Float64Array; // Gram BᵀB/n (q × q) or K = BD⁻¹Bᵀ (n × n)
  private readonly L: Float64Array;
  private readonly M: Float64Array;
  private readonly b0: Float64Array; // Bᵀy/n
  private readonly x: Float64Array;
  private readonly tq: Float64Array;
  private admmPenalty = NaN;
  readonly meanDiag: number;

  constructor(ctx: ProblemContext, st: OverlapStructure) {
    const n = ctx.n;
    const pen = st.penalized;
    const q = pen.length;
    this.n = n;
    this.q = q;
    this.pen = pen;
    this.cnt = new Float64Array(q);
    for (let k = 0; k < q; k++) this.cnt[k] = st.count[pen[k]];
    this.kernel = q > n;
    const B = new Float64Array(n * q);
    const col = new Float64Array(n);
    for (let k = 0; k < q; k++) {
      materializeColumn(ctx.X, pen[k], col);
      ctx.unpenalized.projectOut(col);
      B.set(col, k * n);
    }
    const y = ctx.datafit.y;
    this.b0 = new Float64Array(q);
    let diag = 0;
    for (let k = 0; k < q; k++) {
      let s = 0;
      let d = 0;
      const o = k * n;
      for (let i = 0; i < n; i++) {
        s += B[o + i] * y[i];
        d += B[o + i] * B[o + i];
      }
      this.b0[k] = s / n;
      diag += d / n;
    }
    this.meanDiag = q > 0 ? diag / q : 1;
    const k = this.kernel ? n : q;
    this.base = new Float64Array(k * k);
    if (this.kernel) {
      // K = Σ_j b_j b_jᵀ / count_j (lower triangle, column by column).
      const K = this.base;
      for (let c = 0; c < q; c++) {
        const o = c * n;
        const ic = 1 / this.cnt[c];
        for (let j = 0; j < n; j++) {
          const a = B[o + j] * ic;
          if (a === 0) continue;
          const oj = j * n;
          for (let i = j; i < n; i++) K[oj + i] += a * B[o + i];
        }
      }
      this.B = B;
    } else {
      const G = this.base;
      for (let j = 0; j < q; j++) {
        const oj = j * n;
        for (let i = j; i < q; i++) {
          const oi = i * n;
          let s = 0;
          for (let r = 0; r < n; r++) s += B[oi + r] * B[oj + r];
          G[i + j * q] = s / n;
        }
      }
      this.B = null;
    }
    this.L = new Float64Array(k * k);
    this.M = new Float64Array(k * k);
    this.x = new Float64Array(k);
    this.tq = new Float64Array(q);
  }

  setAdmmPenalty(rho: number): void {
    if (rho === this.admmPenalty) return;
    this.admmPenalty = rho;
    const { M } = this;
    M.set(this.base);
    const k = this.kernel ? this.n : this.q;
    for (let i = 0; i < k; i++) M[i + i * k] += this.kernel ? this.n * rho : rho * this.cnt[i];
    if (!choleskyFactor(M, k, this.L)) throw new ValueError('ConsensusAdmm', `the w-update system is not numerically positive definite at ρ = ${rho}`);
    this.work++;
  }

  solve(a: Float64Array, w: Float64Array): void {
    const { q, n, pen, admmPenalty: rho } = this;
    const t = this.tq;
    for (let k = 0; k < q; k++) t[k] = this.b0[k] + rho * a[pen[k]];
    if (!this.kernel) {
      choleskySolveInPlace(this.L, q, t);
      for (let k = 0; k < q; k++) w[pen[k]] = t[k];
      return;
    }
    const B = this.B!;
    const x = this.x;
    for (let k = 0; k < q; k++) t[k] /= this.cnt[k]; // D⁻¹r
    x.fill(0);
    for (let k = 0; k < q; k++) {
      const c = t[k];
      if (c === 0) continue;
      const o = k * n;
      for (let i = 0; i < n; i++) x[i] += c * B[o + i];
    }
    choleskySolveInPlace(this.L, n, x);
    for (let k = 0; k < q; k++) {
      let s = 0;
      const o = k * n;
      for (let i = 0; i < n; i++) s += B[o + i] * x[i];
      w[pen[k]] = (t[k] - s / this.cnt[k]) / rho;
    }
  }
}

/**
 * Squared loss by preconditioned conjugate gradients on the same system (matrix-free: one product
 * with X and one with Xᵀ per inner iteration), warm-started at the previous w.
 */
export class CgUpdate implements WUpdate {
  readonly name = 'cg';
  readonly iterative = true;
  work = 0;
  cap = Infinity;
  private readonly ctx: ProblemContext;
  private readonly pen: Int32Array;
  private readonly cnt: Float64Array;
  private readonly colDiag: Float64Array;
  private readonly b0: Float64Array;
  private readonly rhs: Float64Array;
  private readonly x: Float64Array;
  private readonly diag: Float64Array;
  private readonly full: Float64Array;
  private readonly fullOut: Float64Array;
  private readonly eta: Float64Array;
  private readonly pcgWork: PcgWork;
  private admmPenalty = 1;
  readonly meanDiag: number;
  accuracy = 1e-6;

  constructor(ctx: ProblemContext, st: OverlapStructure) {
    this.ctx = ctx;
    const n = ctx.n;
    const pen = st.penalized;
    const q = pen.length;
    this.pen = pen;
    this.cnt = new Float64Array(q);
    for (let k = 0; k < q; k++) this.cnt[k] = st.count[pen[k]];
    this.full = new Float64Array(ctx.p);
    this.fullOut = new Float64Array(ctx.p);
    this.eta = new Float64Array(n);
    // Jacobi diagonal ‖x_j‖²/n (without the projection: an upper bound, good enough to precondition).
    this.colDiag = new Float64Array(q);
    let mean = 0;
    if (ctx.X.columns) {
      for (let k = 0; k < q; k++) this.colDiag[k] = ctx.X.columns.normSq(pen[k]) / n;
      for (let k = 0; k < q; k++) mean += this.colDiag[k];
      mean = q > 0 ? mean / q : 1;
    } else {
      // ‖X‖_F²/(nq) from Rademacher probes, E‖Xz‖² = ‖X‖_F².
      let s = 0;
      const probes = 4;
      let state = 12345;
      for (let r = 0; r < probes; r++) {
        this.full.fill(0);
        for (let k = 0; k < q; k++) {
          state = (state * 1103515245 + 12345) >>> 0;
          this.full[pen[k]] = state & 0x10000 ? 1 : -1;
        }
        ctx.X.apply(this.full, this.eta);
        for (let i = 0; i < n; i++) s += this.eta[i] * this.eta[i];
      }
      mean = q > 0 ? s / probes / (n * q) : 1;
      this.colDiag.fill(mean);
    }
    this.meanDiag = mean > 0 ? mean : 1;
    // b0 = X_penᵀ P⊥ y / n.
    this.eta.set(ctx.datafit.y.subarray(0, n));
    ctx.unpenalized.projectOut(this.eta);
    ctx.X.applyTranspose(this.eta, this.fullOut);
    this.b0 = new Float64Array(q);
    for (let k = 0; k < q; k++) this.b0[k] = this.fullOut[pen[k]] / n;
    this.rhs = new Float64Array(q);
    this.x = new Float64Array(q);
    this.diag = new Float64Array(q);
    this.pcgWork = new PcgWork(q);
  }

  setAdmmPenalty(rho: number): void {
    this.admmPenalty = rho;
    for (let k = 0; k < this.cnt.length; k++) this.diag[k] = this.colDiag[k] + rho * this.cnt[k];
  }

  private readonly mul = (v: Float64Array, out: Float64Array): void => {
    const { ctx, pen, full, fullOut, eta } = this;
    const n = ctx.n;
    for (let k = 0; k < pen.length; k++) full[pen[k]] = v[k];
    ctx.X.apply(full, eta);
    ctx.unpenalized.projectOut(eta);
    ctx.X.applyTranspose(eta, fullOut);
    for (let k = 0; k < pen.length; k++) out[k] = fullOut[pen[k]] / n + this.admmPenalty * this.cnt[k] * v[k];
  };

  solve(a: Float64Array, w: Float64Array): void {
    const { pen, admmPenalty: rho } = this;
    for (let k = 0; k < pen.length; k++) {
      this.rhs[k] = this.b0[k] + rho * a[pen[k]];
      this.x[k] = w[pen[k]];
    }
    // pcg reports at most maxIter + 2 products (the first residual included).
    const limit = Math.min(10 * pen.length + 100, this.cap - 2);
    if (limit >= 0) this.work += pcg(this.mul, this.rhs, this.x, this.diag, this.accuracy, limit, this.pcgWork);
    for (let k = 0; k < pen.length; k++) w[pen[k]] = this.x[k];
  }
}

/**
 * Logistic / Poisson: damped Newton on the joint (w, c) of
 *   Φ(w, c) = F(Xw + Ac) + (ρ/2) Σ_j count_j w_j² − ρ⟨a, w⟩,   A = [1, X_U] (unpenalized columns),
 * each Newton system solved by conjugate gradients with products v ↦ [X A]ᵀ H [X A] v + ρD v
 * (H = ∇²F, diagonal), then an Armijo backtracking line search. Warm-started, so after the first
 * ADMM iterations one or two Newton steps suffice.
 */
export class NewtonUpdate implements WUpdate {
  readonly name = 'newton-cg';
  readonly iterative = true;
  work = 0;
  accuracy = 1e-6;
  cap = Infinity;
  private readonly ctx: ProblemContext;
  private readonly jd: JointDesign;
  private readonly pen: Int32Array;
  private readonly cnt: Float64Array;
  private readonly k: number;
  private readonly c: Float64Array;
  private readonly colNormSq: Float64Array;
  private admmPenalty = 1;
  private readonly n: number;
  private readonly q: number;
  private readonly eta: Float64Array;
  private readonly u: Float64Array;
  private readonly h: Float64Array;
  private readonly g: Float64Array;
  private readonly d: Float64Array;
  private readonly v: Float64Array;
  private readonly diag: Float64Array;
  private readonly dEta: Float64Array;
  private readonly tmpEta: Float64Array;
  private readonly etaTry: Float64Array;
  private readonly pcgWork: PcgWork;
  readonly meanDiag: number;

  constructor(ctx: ProblemContext, st: OverlapStructure, jd: JointDesign = new JointDesign(ctx, st)) {
    this.ctx = ctx;
    this.jd = jd;
    const n = ctx.n;
    this.n = n;
    const pen = st.penalized;
    this.pen = pen;
    const q = pen.length;
    this.q = q;
    this.cnt = new Float64Array(q);
    for (let j = 0; j < q; j++) this.cnt[j] = st.count[pen[j]];
    const k = jd.k;
    this.k = k;
    this.c = new Float64Array(k);
    // Start the intercept at the unpenalized fit's value (w = 0).
    jd.currentUnpenalized(this.c);
    this.colNormSq = new Float64Array(q);
    let mean = 0;
    if (ctx.X.columns) for (let j = 0; j < q; j++) mean += this.colNormSq[j] = ctx.X.columns.normSq(pen[j]);
    else this.colNormSq.fill(n);
    mean = q > 0 && mean > 0 ? mean / q : n;
    const curv = Number.isFinite(ctx.datafit.curvature) ? ctx.datafit.curvature : 1 / n;
    this.meanDiag = mean * curv;
    this.eta = new Float64Array(n);
    this.u = new Float64Array(n);
    this.h = new Float64Array(n);
    this.g = new Float64Array(q + k);
    this.d = new Float64Array(q + k);
    this.v = new Float64Array(q + k);
    this.diag = new Float64Array(q + k);
    this.dEta = new Float64Array(n);
    this.tmpEta = new Float64Array(n);
    this.etaTry = new Float64Array(n);
    this.pcgWork = new PcgWork(q + k);
  }

  setAdmmPenalty(rho: number): void {
    this.admmPenalty = rho;
  }

  private readonly hess = (v: Float64Array, out: Float64Array): void => {
    const { q, n, h, tmpEta, jd, pen } = this;
    jd.forward(pen, v, tmpEta);
    for (let i = 0; i < n; i++) tmpEta[i] *= h[i];
    jd.transpose(pen, tmpEta, out);
    for (let j = 0; j < q; j++) out[j] += this.admmPenalty * this.cnt[j] * v[j];
  };

  private phi(eta: Float64Array, w: Float64Array, a: Float64Array, step: number, d: Float64Array): number {
    let s = 0;
    const { pen, q, admmPenalty: rho, cnt } = this;
    for (let j = 0; j < q; j++) {
      const x = w[pen[j]] - step * d[j];
      s += 0.5 * rho * cnt[j] * x * x - rho * a[pen[j]] * x;
    }
    return this.ctx.datafit.value(eta) + s;
  }

  solve(a: Float64Array, w: Float64Array): void {
    const { pen, q, k, n, c, eta, u, h, g, d, v, diag, dEta, etaTry, jd } = this;
    const df = this.ctx.datafit;
    const start = this.work;
    for (let it = 0; it < 30; it++) {
      // η = X w + A c.
      for (let j = 0; j < q; j++) v[j] = w[pen[j]];
      for (let r = 0; r < k; r++) v[q + r] = c[r];
      jd.forward(pen, v, eta);
      df.valueGrad(eta, u);
      d.fill(0);
      const phi0 = this.phi(eta, w, a, 0, d);
      jd.transpose(pen, u, g);
      for (let j = 0; j < q; j++) g[j] += this.admmPenalty * (this.cnt[j] * w[pen[j]] - a[pen[j]]);
      df.hessianDiag(eta, h);
      let hbar = 0;
      for (let i = 0; i < n; i++) hbar += h[i];
      hbar /= n;
      for (let j = 0; j < q; j++) diag[j] = this.admmPenalty * this.cnt[j] + hbar * this.colNormSq[j] + 1e-300;
      jd.unpenalizedDiag(h, q, diag);
      // Each product with [X A] is a pass over the data (the gradient, every CG step, the line
      // search direction): the ADMM's work budget caps them.
      const left = this.cap - (this.work - start);
      if (left < 4) return;
      this.work += 2 + pcg(this.hess, g, d, diag, Math.min(1e-2, this.accuracy), Math.min(4 * (q + k) + 50, left - 4), this.pcgWork);
      let dec = 0;
      for (let j = 0; j < q + k; j++) dec += g[j] * d[j];
      if (!(dec > 1e-28 * Math.max(1, Math.abs(phi0)))) return;
      // Line search along −d: η(t) = η − t·[X A]d.
      jd.forward(pen, d, dEta);
      let t = 1;
      let accepted = false;
      for (let ls = 0; ls < 50; ls++) {
        for (let i = 0; i < n; i++) etaTry[i] = eta[i] - t * dEta[i];
        const ph = this.phi(etaTry, w, a, t, d);
        if (ph <= phi0 - 1e-4 * t * dec) {
          accepted = true;
          break;
        }
        t /= 2;
      }
      if (!accepted) return;
      for (let j = 0; j < q; j++) w[pen[j]] -= t * d[j];
      for (let r = 0; r < k; r++) c[r] -= t * d[q + r];
      // Quadratic convergence region reached: the next decrement would be below rounding.
      if (t === 1 && dec < 1e-16 * Math.max(1, Math.abs(phi0))) return;
    }
  }
}
