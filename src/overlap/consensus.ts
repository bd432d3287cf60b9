import type { Datafit } from '../datafits/datafits.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { materializeColumn, type LinearOperator } from '../linalg/operator.ts';
import { ValueError } from '../errors.ts';
import { GroupLassoPenalty } from '../penalties/penalties.ts';
import { relativeGap, type Certificate } from '../solvers/certificate.ts';
import { evaluate, newPoint, ProblemContext, type PointBuffers } from '../solvers/problem.ts';
import { choleskyFactor, choleskySolveInPlace, pcg, PcgWork } from './linear.ts';

/**
 * The plain overlapping group norm and its problem:
 *   minimize_{w, b}  F(Xw + b) + Ω(w),   Ω(w) = λ Σ_g d_g ‖w_g‖₂,
 * with groups g that may share features, F = (1/(2n))‖y − Xw − b‖² (squared) or the mean logistic /
 * Poisson negative log-likelihood, d_g = √p_g by default, intercept b unpenalized.
 *
 * Unlike the latent norm, Ω charges a feature once per group that holds it, so a group can only be
 * switched off together with all its members: the zero pattern is a union of groups, the support
 * an intersection of complements of groups.
 *
 * Write A: ℝ^p → ℝ^{Σp_g} for the stacking map (Aw)_g = w_g, so Ω(w) = λN(Aw) with
 * N(z) = Σ_g d_g‖z_g‖; AᵀA = diag(count_j), count_j = number of groups holding feature j.
 */
export interface OverlapProblem {
  X: LinearOperator;
  datafit: Datafit;
  /** Groups over the p features (may overlap), with weights d_g; weight-0 groups are dropped from Ω. */
  groups: GroupStructure;
  lambda: number;
  fitIntercept: boolean;
}

/** Which linear solver the squared-loss w-update uses. */
export type LinearSolverName = 'auto' | 'cholesky' | 'cg';

export interface AdmmOptions {
  /** Initial penalty parameter ρ > 0 (default: mean diagonal of XᵀX/n over penalized features). */
  rho?: number;
  /** Residual balancing (Boyd et al. 2011, §3.4.1): default true. */
  adaptive?: boolean;
  /** Squared loss w-update: Cholesky cached per ρ, or conjugate gradients ('auto': Cholesky when min(n, q) ≤ 1500 and X has columns). */
  linearSolver?: LinearSolverName;
}

/**
 * Penalized part of the problem: the groups with d_g > 0 (those that enter Ω), and the features
 * that no such group holds (they are unpenalized and fitted exactly, like the intercept).
 */
export class OverlapStructure {
  /** Groups of Ω: member lists and weights of the groups with λd_g > 0. */
  readonly groups: GroupStructure;
  /** Index in the caller's group structure of each group of Ω. */
  readonly original: Int32Array;
  /** count_j = number of groups of Ω holding feature j (0 = unpenalized feature). */
  readonly count: Float64Array;
  /** Penalized features (count_j > 0), ascending. */
  readonly penalized: Int32Array;
  /**
   * Groups for the problem context: the groups of Ω followed by one weight-0 singleton per
   * unpenalized feature. Its penalty value is exactly Ω (weight-0 groups add nothing).
   */
  readonly contextGroups: GroupStructure;

  constructor(gs: GroupStructure, lambda: number) {
    const p = gs.nFeatures;
    const keep: number[] = [];
    for (let g = 0; g < gs.nGroups; g++) if (lambda > 0 && gs.weights[g] > 0) keep.push(g);
    const ptr = new Int32Array(keep.length + 1);
    for (let q = 0; q < keep.length; q++) ptr[q + 1] = ptr[q] + gs.ptr[keep[q] + 1] - gs.ptr[keep[q]];
    const indices = new Int32Array(ptr[keep.length]);
    const weights = new Float64Array(keep.length);
    const count = new Float64Array(p);
    const groupOf = new Int32Array(p).fill(-1);
    for (let q = 0; q < keep.length; q++) {
      const g = keep[q];
      indices.set(gs.indices.subarray(gs.ptr[g], gs.ptr[g + 1]), ptr[q]);
      weights[q] = gs.weights[g];
      for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
        const j = gs.indices[k];
        count[j]++;
        if (groupOf[j] < 0) groupOf[j] = q;
      }
    }
    const names = keep.map((g) => gs.names[g]);
    let overlapping = false;
    for (let j = 0; j < p; j++) if (count[j] > 1) overlapping = true;
    this.groups = { nFeatures: p, nGroups: keep.length, ptr, indices, weights, names, overlapping, groupOf };
    this.original = Int32Array.from(keep);
    this.count = count;
    const pen: number[] = [];
    const unpen: number[] = [];
    for (let j = 0; j < p; j++) (count[j] > 0 ? pen : unpen).push(j);
    this.penalized = Int32Array.from(pen);
    const cptr = new Int32Array(keep.length + unpen.length + 1);
    cptr.set(ptr);
    for (let q = 0; q < unpen.length; q++) cptr[keep.length + q + 1] = cptr[keep.length + q] + 1;
    const cidx = new Int32Array(indices.length + unpen.length);
    cidx.set(indices);
    cidx.set(unpen, indices.length);
    const cw = new Float64Array(keep.length + unpen.length);
    cw.set(weights);
    const cOf = groupOf.slice();
    unpen.forEach((j, q) => (cOf[j] = keep.length + q));
    this.contextGroups = {
      nFeatures: p, nGroups: keep.length + unpen.length, ptr: cptr, indices: cidx, weights: cw,
      names: [...names, ...unpen.map((j) => `x${j}`)], overlapping, groupOf: cOf,
    };
  }
}

/** A problem context for the overlapping problem (reduced objective, exact unpenalized fit). */
export function overlapContext(prob: OverlapProblem, st: OverlapStructure): ProblemContext {
  const ctx = new ProblemContext(prob.X, prob.datafit, new GroupLassoPenalty(st.contextGroups, prob.lambda), prob.fitIntercept);
  const pt = newPoint(ctx);
  evaluate(ctx, new Float64Array(ctx.size), pt);
  ctx.nullObjective = pt.loss;
  return ctx;
}

/**
 * Certificate of a point w of the overlapping problem, from a decomposition t of the gradient.
 *
 * Notation: ‖w‖_ov = Σ_g d_g‖w_g‖ = N(Aw) over the penalized features (Ω = λ‖·‖_ov), U = [1, X_free]
 * the unpenalized columns (intercept, features in no penalized group), fitted exactly for each w.
 *
 * Dual norm. A is injective on the penalized features (each is in some group), so
 *   ‖s‖_ov* = min { N*(t) : Aᵀt = s } = min over s = Σ_g s^g (supp s^g ⊂ g) of max_g ‖s^g‖₂/d_g,
 * and |⟨s, w⟩| = |⟨t, Aw⟩| ≤ N*(t)·N(Aw) for every such t.
 *
 * Feasible dual point. Let u = ∇F(η) at η = Xw + Uc* (c* optimal, so Uᵀu = 0) and s = −Xᵀu on the
 * penalized features. Take any t with supp t_g ⊂ g (the ADMM's ρμ) and repair it into an exact
 * decomposition of s by sharing the defect equally: t_g,j ← t_g,j + (s_j − Σ_{h∋j} t_h,j)/count_j,
 * so Σ_g t_g = s. With m = max_g ‖t_g‖/d_g and θ = min(1, λ/m), θt decomposes −Xᵀ(θu) with
 * N*(θt) ≤ λ, hence ‖Xᵀ(θu)‖_ov* ≤ λ; and Uᵀ(θu) = 0. For v = θu and any (w', c'):
 *   F(Xw' + Uc') ≥ −F*(v) + ⟨v, Xw' + Uc'⟩ = −F*(v) + ⟨Xᵀv, w'⟩       (Fenchel–Young, Uᵀv = 0)
 *   λ‖w'‖_ov ≥ −⟨Xᵀv, w'⟩                                                   (‖Xᵀv‖_ov* ≤ λ)
 * so P(w', c') ≥ −F*(v): D = −F*(θu) is a lower bound on the optimum and gap = P(w) − D ≥ 0.
 *
 * KKT. −∇F(w) ∈ ∂Ω(w) = Aᵀ∂(λN)(Aw) = {Σ_g t'_g : t'_g = λd_g w_g/‖w_g‖ if w_g ≠ 0, ‖t'_g‖ ≤ λd_g
 * otherwise}. Projecting each t_g onto its set gives a member Σ_g t'_g of ∂Ω(w), so
 *   dist(−∇F, ∂Ω(w)) ≤ ‖s − Σ_g t'_g‖₂,
 * which is reported (it tends to 0 as t tends to an optimal decomposition), together with the
 * gradient on the unpenalized features and |Σ_i u_i| for the intercept, like every other fit.
 */
export function certifyOverlap(
  ctx: ProblemContext, st: OverlapStructure, w: Float64Array, t0: Float64Array | null, bestDual = -Infinity,
): Certificate & { point: PointBuffers } {
  const pt = newPoint(ctx);
  evaluate(ctx, w, pt);
  const lambda = ctx.penalty.lambda;
  const { ptr, indices, weights, nGroups } = st.groups;
  const primal = pt.loss + ctx.penalty.value(w);
  const p = ctx.p;
  const grad = pt.grad;
  // t: the decomposition, repaired to sum to s = −grad on the penalized features.
  const t = new Float64Array(indices.length);
  if (t0) t.set(t0);
  const defect = new Float64Array(p);
  for (const j of st.penalized) defect[j] = -grad[j];
  for (let k = 0; k < indices.length; k++) defect[indices[k]] -= t[k];
  for (let k = 0; k < indices.length; k++) {
    const j = indices[k];
    t[k] += defect[j] / st.count[j];
  }
  let m = 0;
  for (let g = 0; g < nGroups; g++) {
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) s += t[k] * t[k];
    const r = Math.sqrt(s) / weights[g];
    if (r > m) m = r;
  }
  const theta = m > lambda ? lambda / m : 1;
  const scaled = new Float64Array(pt.u.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = theta * pt.u[i];
  const dual = Math.max(ctx.datafit.dualValue(scaled, pt.eta), bestDual);
  const gap = Math.max(primal - dual, 0);
  // KKT bound: project each t_g onto λd_g∂‖·‖(w_g), sum, compare with s.
  const res = defect; // reuse: residual s − Σ_g t'_g on penalized features
  res.fill(0);
  for (const j of st.penalized) res[j] = -grad[j];
  for (let g = 0; g < nGroups; g++) {
    const start = ptr[g];
    const end = ptr[g + 1];
    const r = lambda * weights[g];
    let wn = 0;
    for (let k = start; k < end; k++) wn += w[indices[k]] * w[indices[k]];
    wn = Math.sqrt(wn);
    if (wn > 0) {
      for (let k = start; k < end; k++) res[indices[k]] -= (r * w[indices[k]]) / wn;
    } else {
      let tn = 0;
      for (let k = start; k < end; k++) tn += t[k] * t[k];
      tn = Math.sqrt(tn);
      const c = tn > r ? r / tn : 1;
      for (let k = start; k < end; k++) res[indices[k]] -= c * t[k];
    }
  }
  let kkt = 0;
  for (const j of st.penalized) kkt += res[j] * res[j];
  kkt = Math.sqrt(kkt);
  for (let j = 0; j < p; j++) if (st.count[j] === 0 && Math.abs(grad[j]) > kkt) kkt = Math.abs(grad[j]);
  if (ctx.fitIntercept) {
    let s = 0;
    for (let i = 0; i < ctx.n; i++) s += pt.u[i];
    if (Math.abs(s) > kkt) kkt = Math.abs(s);
  }
  return { primal, dual, gap, relativeGap: relativeGap(gap, primal), kktViolation: kkt, point: pt };
}

/** The w-update: w = argmin G(w) + (ρ/2) Σ_j count_j w_j² − ρ⟨a, w⟩ over the penalized features. */
interface WUpdate {
  readonly name: string;
  /** Set ρ (refactorizes when needed). */
  setRho(rho: number): void;
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
}

/**
 * Squared loss, reduced to the penalized features by projecting off the unpenalized columns
 * (P⊥ = I − Π_span(1, X_U)):  (BᵀB/n + ρD) w = Bᵀy/n + ρa,  B = P⊥X_pen,  D = diag(count).
 * q ≤ n: Cholesky of the q × q Gram BᵀB/n + ρD. q > n: Woodbury,
 *   (BᵀB/n + ρD)⁻¹ r = (1/ρ)[D⁻¹r − D⁻¹Bᵀ(nρI + BD⁻¹Bᵀ)⁻¹BD⁻¹r],
 * with Cholesky of the n × n matrix nρI + BD⁻¹Bᵀ. Both are refactored when ρ changes.
 */
class CholeskyUpdate implements WUpdate {
  readonly name = 'cholesky';
  work = 0;
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
  private rho = NaN;
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

  setRho(rho: number): void {
    if (rho === this.rho) return;
    this.rho = rho;
    const { M } = this;
    M.set(this.base);
    const k = this.kernel ? this.n : this.q;
    for (let i = 0; i < k; i++) M[i + i * k] += this.kernel ? this.n * rho : rho * this.cnt[i];
    if (!choleskyFactor(M, k, this.L)) throw new ValueError('ConsensusAdmm', `the w-update system is not numerically positive definite at ρ = ${rho}`);
    this.work++;
  }

  solve(a: Float64Array, w: Float64Array): void {
    const { q, n, pen, rho } = this;
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
class CgUpdate implements WUpdate {
  readonly name = 'cg';
  work = 0;
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
  private rho = 1;
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

  setRho(rho: number): void {
    this.rho = rho;
    for (let k = 0; k < this.cnt.length; k++) this.diag[k] = this.colDiag[k] + rho * this.cnt[k];
  }

  private readonly mul = (v: Float64Array, out: Float64Array): void => {
    const { ctx, pen, full, fullOut, eta } = this;
    const n = ctx.n;
    for (let k = 0; k < pen.length; k++) full[pen[k]] = v[k];
    ctx.X.apply(full, eta);
    ctx.unpenalized.projectOut(eta);
    ctx.X.applyTranspose(eta, fullOut);
    for (let k = 0; k < pen.length; k++) out[k] = fullOut[pen[k]] / n + this.rho * this.cnt[k] * v[k];
  };

  solve(a: Float64Array, w: Float64Array): void {
    const { pen, rho } = this;
    for (let k = 0; k < pen.length; k++) {
      this.rhs[k] = this.b0[k] + rho * a[pen[k]];
      this.x[k] = w[pen[k]];
    }
    this.work += pcg(this.mul, this.rhs, this.x, this.diag, this.accuracy, 10 * pen.length + 100, this.pcgWork);
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
class NewtonUpdate implements WUpdate {
  readonly name = 'newton-cg';
  work = 0;
  accuracy = 1e-6;
  private readonly ctx: ProblemContext;
  private readonly pen: Int32Array;
  private readonly cnt: Float64Array;
  private readonly A: Float64Array; // n × k unpenalized columns
  private readonly k: number;
  private readonly c: Float64Array;
  private readonly colNormSq: Float64Array;
  private rho = 1;
  private readonly n: number;
  private readonly q: number;
  private readonly eta0: Float64Array;
  private readonly eta: Float64Array;
  private readonly u: Float64Array;
  private readonly h: Float64Array;
  private readonly full: Float64Array;
  private readonly fullOut: Float64Array;
  private readonly g: Float64Array;
  private readonly d: Float64Array;
  private readonly diag: Float64Array;
  private readonly dEta: Float64Array;
  private readonly tmpEta: Float64Array;
  private readonly etaTry: Float64Array;
  private readonly pcgWork: PcgWork;
  readonly meanDiag: number;

  constructor(ctx: ProblemContext, st: OverlapStructure) {
    this.ctx = ctx;
    const n = ctx.n;
    this.n = n;
    const pen = st.penalized;
    this.pen = pen;
    const q = pen.length;
    this.q = q;
    this.cnt = new Float64Array(q);
    for (let j = 0; j < q; j++) this.cnt[j] = st.count[pen[j]];
    const unpen: number[] = [];
    for (let j = 0; j < ctx.p; j++) if (st.count[j] === 0) unpen.push(j);
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
    this.c = new Float64Array(k);
    // Start the intercept at the unpenalized fit's value (w = 0).
    const { intercepts, features } = ctx.unpenalizedCoefficients();
    if (ctx.fitIntercept) this.c[0] = intercepts[0];
    for (let r = 0; r < unpen.length; r++) this.c[(ctx.fitIntercept ? 1 : 0) + r] = features[r];
    this.colNormSq = new Float64Array(q);
    let mean = 0;
    if (ctx.X.columns) for (let j = 0; j < q; j++) mean += this.colNormSq[j] = ctx.X.columns.normSq(pen[j]);
    else this.colNormSq.fill(n);
    mean = q > 0 && mean > 0 ? mean / q : n;
    const curv = Number.isFinite(ctx.datafit.curvature) ? ctx.datafit.curvature : 1 / n;
    this.meanDiag = mean * curv;
    this.eta0 = new Float64Array(n);
    this.eta = new Float64Array(n);
    this.u = new Float64Array(n);
    this.h = new Float64Array(n);
    this.full = new Float64Array(ctx.p);
    this.fullOut = new Float64Array(ctx.p);
    this.g = new Float64Array(q + k);
    this.d = new Float64Array(q + k);
    this.diag = new Float64Array(q + k);
    this.dEta = new Float64Array(n);
    this.tmpEta = new Float64Array(n);
    this.etaTry = new Float64Array(n);
    this.pcgWork = new PcgWork(q + k);
  }

  setRho(rho: number): void {
    this.rho = rho;
  }

  /** out ← [X_pen A] v (v = (w_pen, c)). */
  private forward(v: Float64Array, out: Float64Array): void {
    const { pen, q, k, n, A, full } = this;
    for (let j = 0; j < q; j++) full[pen[j]] = v[j];
    this.ctx.X.apply(full, out);
    for (let r = 0; r < k; r++) {
      const a = v[q + r];
      if (a === 0) continue;
      const o = r * n;
      for (let i = 0; i < n; i++) out[i] += a * A[o + i];
    }
  }

  /** out ← [X_pen A]ᵀ r. */
  private transpose(r: Float64Array, out: Float64Array): void {
    const { pen, q, k, n, A, fullOut } = this;
    this.ctx.X.applyTranspose(r, fullOut);
    for (let j = 0; j < q; j++) out[j] = fullOut[pen[j]];
    for (let c = 0; c < k; c++) {
      let s = 0;
      const o = c * n;
      for (let i = 0; i < n; i++) s += A[o + i] * r[i];
      out[q + c] = s;
    }
  }

  private readonly hess = (v: Float64Array, out: Float64Array): void => {
    const { q, n, h, tmpEta } = this;
    this.forward(v, tmpEta);
    for (let i = 0; i < n; i++) tmpEta[i] *= h[i];
    this.transpose(tmpEta, out);
    for (let j = 0; j < q; j++) out[j] += this.rho * this.cnt[j] * v[j];
  };

  private phi(eta: Float64Array, w: Float64Array, a: Float64Array, step: number, d: Float64Array): number {
    let s = 0;
    const { pen, q, rho, cnt } = this;
    for (let j = 0; j < q; j++) {
      const x = w[pen[j]] - step * d[j];
      s += 0.5 * rho * cnt[j] * x * x - rho * a[pen[j]] * x;
    }
    return this.ctx.datafit.value(eta) + s;
  }

  solve(a: Float64Array, w: Float64Array): void {
    const { pen, q, k, n, A, c, eta0, eta, u, h, g, d, diag, dEta, etaTry } = this;
    const df = this.ctx.datafit;
    for (let it = 0; it < 30; it++) {
      // η = X w + A c.
      for (let j = 0; j < q; j++) this.full[pen[j]] = w[pen[j]];
      this.ctx.X.apply(this.full, eta0);
      eta.set(eta0);
      for (let r = 0; r < k; r++) {
        const o = r * n;
        for (let i = 0; i < n; i++) eta[i] += c[r] * A[o + i];
      }
      df.valueGrad(eta, u);
      d.fill(0);
      const phi0 = this.phi(eta, w, a, 0, d);
      this.transpose(u, g);
      for (let j = 0; j < q; j++) g[j] += this.rho * (this.cnt[j] * w[pen[j]] - a[pen[j]]);
      df.hessianDiag(eta, h);
      let hbar = 0;
      for (let i = 0; i < n; i++) hbar += h[i];
      hbar /= n;
      for (let j = 0; j < q; j++) diag[j] = this.rho * this.cnt[j] + hbar * this.colNormSq[j] + 1e-300;
      for (let r = 0; r < k; r++) {
        let s = 0;
        const o = r * n;
        for (let i = 0; i < n; i++) s += h[i] * A[o + i] * A[o + i];
        diag[q + r] = s > 0 ? s : 1;
      }
      this.work += pcg(this.hess, g, d, diag, Math.min(1e-2, this.accuracy), 4 * (q + k) + 50, this.pcgWork);
      let dec = 0;
      for (let j = 0; j < q + k; j++) dec += g[j] * d[j];
      if (!(dec > 1e-28 * Math.max(1, Math.abs(phi0)))) return;
      // Line search along −d: η(t) = η − t·[X A]d.
      this.forward(d, dEta);
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

/** What one ADMM iteration reports. */
export interface AdmmInfo {
  iteration: number;
  /** ‖Aw − z‖₂ (primal residual). */
  primalResidual: number;
  /** ρ‖Aᵀ(z − z_prev)‖₂ (dual residual). */
  dualResidual: number;
  /** max(‖Aw‖, ‖z‖): scale of the primal residual. */
  primalScale: number;
  /** ‖ρAᵀμ‖: scale of the dual residual. */
  dualScale: number;
  rho: number;
}

/**
 * Consensus ADMM for the plain overlapping group lasso (Boyd et al. 2011, §7.2 and §3.4.1).
 * Each group g owns a copy z_g of w_g; with the scaled dual μ_g:
 *   w ← argmin_w G(w) + (ρ/2) Σ_g ‖w_g − z_g + μ_g‖²      (G: loss with unpenalized part fitted)
 *   z_g ← prox_{(λd_g/ρ)‖·‖}(w_g + μ_g)                     (group soft-thresholding)
 *   μ_g ← μ_g + w_g − z_g
 * Residuals r = ‖Aw − z‖, s = ρ‖Aᵀ(z − z_prev)‖. Residual balancing: ρ ← 2ρ (μ ← μ/2) when
 * r > 10s, ρ ← ρ/2 (μ ← 2μ) when s > 10r, at most once every 5 iterations and at most 100 times
 * in a run (so ρ settles and the usual convergence proof applies). At a fixed point w = z and
 * −∇G(w) = ρAᵀμ with ρμ_g ∈ λd_g∂‖z_g‖: ρμ is an optimal decomposition, which
 * {@link certifyOverlap} turns into a duality gap and a KKT bound.
 *
 * An iterator over explicit state (w, z, μ, ρ): `next()` performs one iteration.
 */
export class ConsensusAdmm implements Iterator<AdmmInfo> {
  readonly name = 'admm';
  readonly st: OverlapStructure;
  readonly lambda: number;
  /** Current w (length p; unpenalized entries 0: they live in the problem context). */
  readonly w: Float64Array;
  /** Copies z_g, stacked like st.groups.indices. */
  readonly z: Float64Array;
  /** Scaled duals μ_g, stacked the same way. */
  readonly mu: Float64Array;
  rho: number;
  iteration = 0;
  rhoUpdates = 0;
  private readonly zOld: Float64Array;
  private readonly a: Float64Array;
  private readonly sv: Float64Array;
  private readonly zeroGroup: Uint8Array;
  private readonly update: WUpdate;
  private readonly adaptive: boolean;
  private lastAdapt = 0;

  constructor(ctx: ProblemContext, st: OverlapStructure, options: AdmmOptions = {}) {
    this.st = st;
    this.lambda = ctx.penalty.lambda;
    const p = ctx.p;
    const m = st.groups.indices.length;
    this.w = new Float64Array(p);
    this.z = new Float64Array(m);
    this.mu = new Float64Array(m);
    this.zOld = new Float64Array(m);
    this.a = new Float64Array(p);
    this.sv = new Float64Array(p);
    this.zeroGroup = new Uint8Array(st.groups.nGroups).fill(1);
    this.adaptive = options.adaptive ?? true;
    let which = options.linearSolver ?? 'auto';
    let upd: WUpdate & { meanDiag: number };
    if (ctx.datafit.quadratic) {
      if (which === 'auto') which = ctx.X.columns && Math.min(ctx.n, st.penalized.length) <= 1500 ? 'cholesky' : 'cg';
      upd = which === 'cholesky' ? new CholeskyUpdate(ctx, st) : new CgUpdate(ctx, st);
    } else {
      upd = new NewtonUpdate(ctx, st);
    }
    this.update = upd;
    this.rho = options.rho ?? upd.meanDiag;
    upd.setRho(this.rho);
  }

  /** Name of the w-update method ('cholesky', 'cg' or 'newton-cg'). */
  get wUpdate(): string {
    return this.update.name;
  }

  /** Factorizations (Cholesky) or inner CG products (CG, Newton) used so far. */
  get linearWork(): number {
    return this.update.work;
  }

  /** The scaled decomposition ρμ (stacked), the dual certificate's starting point. */
  decomposition(out: Float64Array = new Float64Array(this.mu.length)): Float64Array {
    for (let k = 0; k < out.length; k++) out[k] = this.rho * this.mu[k];
    return out;
  }

  /**
   * w with every feature of a group whose copy z_g is exactly zero set to 0: the zero pattern of
   * the plain norm (a union of groups), which the iterate w itself only approaches.
   */
  sparseIterate(out: Float64Array = new Float64Array(this.w.length)): Float64Array {
    out.set(this.w);
    const { ptr, indices } = this.st.groups;
    for (let g = 0; g < this.st.groups.nGroups; g++) {
      if (!this.zeroGroup[g]) continue;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) out[indices[k]] = 0;
    }
    return out;
  }

  next(): IteratorResult<AdmmInfo> {
    this.iteration++;
    const { w, z, mu, zOld, a, sv, st } = this;
    const { ptr, indices, weights, nGroups } = st.groups;
    a.fill(0);
    for (let k = 0; k < indices.length; k++) a[indices[k]] += z[k] - mu[k];
    this.update.solve(a, w);
    zOld.set(z);
    let zn = 0;
    let awn = 0;
    for (let g = 0; g < nGroups; g++) {
      const start = ptr[g];
      const end = ptr[g + 1];
      let s = 0;
      for (let k = start; k < end; k++) {
        const v = w[indices[k]] + mu[k];
        z[k] = v;
        s += v * v;
      }
      const norm = Math.sqrt(s);
      const t = (this.lambda * weights[g]) / this.rho;
      if (norm <= t) {
        for (let k = start; k < end; k++) z[k] = 0;
        this.zeroGroup[g] = 1;
      } else {
        const c = 1 - t / norm;
        for (let k = start; k < end; k++) {
          z[k] *= c;
          zn += z[k] * z[k];
        }
        this.zeroGroup[g] = 0;
      }
    }
    let r2 = 0;
    for (let k = 0; k < indices.length; k++) {
      const wk = w[indices[k]];
      const d = wk - z[k];
      mu[k] += d;
      r2 += d * d;
      awn += wk * wk;
    }
    sv.fill(0);
    for (let k = 0; k < indices.length; k++) sv[indices[k]] += z[k] - zOld[k];
    let s2 = 0;
    for (const j of st.penalized) s2 += sv[j] * sv[j];
    sv.fill(0);
    for (let k = 0; k < indices.length; k++) sv[indices[k]] += mu[k];
    let dn = 0;
    for (const j of st.penalized) dn += sv[j] * sv[j];
    const info: AdmmInfo = {
      iteration: this.iteration,
      primalResidual: Math.sqrt(r2),
      dualResidual: this.rho * Math.sqrt(s2),
      primalScale: Math.max(Math.sqrt(awn), Math.sqrt(zn)),
      dualScale: this.rho * Math.sqrt(dn),
      rho: this.rho,
    };
    // Inner accuracy follows the relative residuals (two orders below them, within [1e-14, 1e-6]).
    const rel = Math.min(
      info.primalScale > 0 ? info.primalResidual / info.primalScale : 1,
      info.dualScale > 0 ? info.dualResidual / info.dualScale : 1,
    );
    this.update.accuracy = Math.min(1e-6, Math.max(1e-14, 1e-2 * rel));
    if (this.adaptive && this.rhoUpdates < 100 && this.iteration - this.lastAdapt >= 5) {
      const { primalResidual: r, dualResidual: s } = info;
      let f = 1;
      if (r > 10 * s) f = 2;
      else if (s > 10 * r) f = 0.5;
      if (f !== 1) {
        this.rho *= f;
        for (let k = 0; k < mu.length; k++) mu[k] /= f;
        this.update.setRho(this.rho);
        this.rhoUpdates++;
        this.lastAdapt = this.iteration;
      }
    }
    return { done: false, value: info };
  }
}
