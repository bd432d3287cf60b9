import { groupSoftThresholdBlock } from '../prox/prox.ts';
import type { ProblemContext } from '../solvers/problem.ts';
import { CgUpdate, CholeskyUpdate, NewtonUpdate, type WUpdate } from './wupdate.ts';
import type { OverlapStructure } from './structure.ts';

export { OverlapStructure, overlapContext, type OverlapProblem } from './structure.ts';
export { certifyOverlap } from './certificate.ts';

/** Which linear solver the squared-loss w-update uses. */
export type LinearSolverName = 'auto' | 'cholesky' | 'cg';

export interface AdmmOptions {
  /** Initial penalty parameter ρ > 0 (default: mean diagonal of XᵀX/n over penalized features). */
  admmPenalty?: number;
  /** Residual balancing (Boyd et al. 2011, §3.4.1): default true. */
  adaptive?: boolean;
  /** Squared loss w-update: Cholesky cached per ρ, or conjugate gradients ('auto': Cholesky when min(n, q) ≤ 1500 and X has columns). */
  linearSolver?: LinearSolverName;
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
  admmPenalty: number;
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
  admmPenalty: number;
  iteration = 0;
  admmPenaltyUpdates = 0;
  /**
   * Passes over the data spent so far: per iteration, the inner products of an iterative
   * w-update (at least 1), or 1 plus the refactorizations of a direct one.
   */
  work = 0;
  /** Most passes the next iteration's inner solve may spend (the caller's remaining budget). */
  workLimit = Infinity;
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
    this.admmPenalty = options.admmPenalty ?? upd.meanDiag;
    upd.setAdmmPenalty(this.admmPenalty);
    this.work = upd.iterative ? 0 : upd.work; // the first factorization
  }

  /** Name of the w-update method ('cholesky', 'cg' or 'newton-cg'). */
  get wUpdate(): string {
    return this.update.name;
  }

  /** Factorizations (Cholesky) or inner CG products (CG, Newton) used so far. */
  get linearWork(): number {
    return this.update.work;
  }

  /** 1 for each group whose copy z_g is exactly zero after the last iteration. */
  get zeroPattern(): Uint8Array {
    return this.zeroGroup;
  }

  /** The scaled decomposition ρμ (stacked), the dual certificate's starting point. */
  decomposition(out: Float64Array = new Float64Array(this.mu.length)): Float64Array {
    for (let k = 0; k < out.length; k++) out[k] = this.admmPenalty * this.mu[k];
    return out;
  }

  /**
   * w (or `from`, e.g. an extrapolated iterate) with every feature of a group whose copy z_g is
   * exactly zero set to 0: the zero pattern of the plain norm (a union of groups), which the
   * iterate w itself only approaches.
   */
  sparseIterate(out: Float64Array = new Float64Array(this.w.length), from: Float64Array = this.w): Float64Array {
    out.set(from);
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
    const before = this.update.work;
    this.update.cap = this.workLimit;
    this.update.solve(a, w);
    zOld.set(z);
    let zn = 0;
    let awn = 0;
    for (let g = 0; g < nGroups; g++) {
      const start = ptr[g];
      const end = ptr[g + 1];
      for (let k = start; k < end; k++) z[k] = w[indices[k]] + mu[k];
      // z_g is stored contiguously: the group soft-thresholding kernel works on it in place.
      const after = groupSoftThresholdBlock(z, end - start, (this.lambda * weights[g]) / this.admmPenalty, start);
      this.zeroGroup[g] = after === 0 ? 1 : 0;
      zn += after * after;
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
      dualResidual: this.admmPenalty * Math.sqrt(s2),
      primalScale: Math.max(Math.sqrt(awn), Math.sqrt(zn)),
      dualScale: this.admmPenalty * Math.sqrt(dn),
      admmPenalty: this.admmPenalty,
    };
    // Inner accuracy follows the relative residuals (two orders below them, within [1e-14, 1e-6]).
    const rel = Math.min(
      info.primalScale > 0 ? info.primalResidual / info.primalScale : 1,
      info.dualScale > 0 ? info.dualResidual / info.dualScale : 1,
    );
    this.update.accuracy = Math.min(1e-6, Math.max(1e-14, 1e-2 * rel));
    if (this.adaptive && this.admmPenaltyUpdates < 100 && this.iteration - this.lastAdapt >= 5) {
      const { primalResidual: r, dualResidual: s } = info;
      let f = 1;
      if (r > 10 * s) f = 2;
      else if (s > 10 * r) f = 0.5;
      if (f !== 1) {
        this.admmPenalty *= f;
        for (let k = 0; k < mu.length; k++) mu[k] /= f;
        this.update.setAdmmPenalty(this.admmPenalty);
        this.admmPenaltyUpdates++;
        this.lastAdapt = this.iteration;
      }
    }
    const spent = this.update.work - before;
    this.work += this.update.iterative ? Math.max(1, spent) : 1 + spent;
    return { done: false, value: info };
  }
}
