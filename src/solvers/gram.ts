/**
 * The group lasso on a quadratic given by its sufficient statistics (Gram space):
 *
 *   minimize_w  Q(w) + λ Σ_g d_g ‖w_g‖₂,   Q(w) = (1/(2n)) (wᵀAw − 2cᵀw + e),
 *
 * which is the squared-loss problem (1/(2n))‖y_c − X_c w‖² with A = X_cᵀX_c, c = X_cᵀy_c,
 * e = y_cᵀy_c (centred columns when an intercept is fitted: the intercept is profiled out), or a
 * weighted least-squares model of a GLM step (A = X_cᵀWX_c, …). Nothing here touches rows: one
 * sweep costs O(p · Σ_{moved g} p_g), whatever n is.
 *
 * Solver: block coordinate descent with the covariance updates of glmnet (Friedman, Hastie &
 * Tibshirani 2010): q = Aw is kept up to date, the gradient of block g is (q_g − c_g)/n, the step
 * is the group soft-threshold with L_g = λ_max(A_gg)/n, and q moves by A_{·g}Δw_g when block g
 * moves. Certificate: the duality gap of the same dual as the in-memory solvers, computed from
 * (A, c, e) alone (see {@link gramCertificate}).
 */
import type { GroupStructure } from '../groups/groups.ts';
import { GroupLassoPenalty } from '../penalties/penalties.ts';
import { largestEigenvalueSpd as largestEigenvalue } from '../linalg/eigen.ts';
import { gapConverged, nullObjectiveFloor, relativeGap } from './certificate.ts';

/** Sufficient statistics of a quadratic: A (p × p column-major, symmetric PSD), c, e, and the divisor n. */
export interface GramQuadratic {
  readonly p: number;
  readonly A: Float64Array;
  readonly c: Float64Array;
  readonly e: number;
  readonly n: number;
}

/** The certificate of a point, as the in-memory solvers report it. */
export interface GramCertificate {
  primal: number;
  dual: number;
  gap: number;
  relativeGap: number;
  kktViolation: number;
  /** Gradient ∇Q(w) = (Aw − c)/n. */
  grad: Float64Array;
}

/** y ← A x (A symmetric p × p). */
function symv(q: GramQuadratic, x: Float64Array, y: Float64Array): void {
  const { p, A } = q;
  y.fill(0);
  for (let j = 0; j < p; j++) {
    const xj = x[j];
    if (xj === 0) continue;
    const o = j * p;
    for (let i = 0; i < p; i++) y[i] += A[o + i] * xj;
  }
}

/**
 * Certificate at w: P = Q(w) + Ω(w); with the residual r = y_c − X_c w and u = −r/n, the dual
 * point θu, θ = min(1, λ / max_g ‖X_gᵀu‖/d_g), has D = −⟨θu, y_c⟩ − (n/2)‖θu‖²
 * = (θ/n)(e − cᵀw) − (θ²/(2n))‖r‖², ‖r‖² = wᵀAw − 2cᵀw + e, and X_gᵀu = ∇_g Q(w): all from the
 * statistics. KKT violation: max_g dist(−∇_g Q, ∂Ω_g(w_g)).
 */
export function gramCertificate(q: GramQuadratic, groups: GroupStructure, lambda: number, w: Float64Array, Aw?: Float64Array): GramCertificate {
  const { p, c, e, n } = q;
  const aw = Aw ?? new Float64Array(p);
  if (!Aw) symv(q, w, aw);
  let wAw = 0, cw = 0;
  const grad = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    wAw += w[j] * aw[j];
    cw += c[j] * w[j];
    grad[j] = (aw[j] - c[j]) / n;
  }
  // ‖r‖² ≥ 0 exactly; rounding of the expanded form can dip below.
  const rr = Math.max(wAw - 2 * cw + e, 0);
  const pen = new GroupLassoPenalty(groups, lambda);
  const primal = rr / (2 * n) + pen.value(w);
  let s = 0;
  let kkt = 0;
  for (let g = 0; g < groups.nGroups; g++) {
    kkt = Math.max(kkt, pen.groupViolation(w, grad, g));
    if (!pen.isPenalized(g)) continue;
    s = Math.max(s, pen.groupDualNorm(grad, g));
  }
  const theta = s > lambda ? lambda / s : 1;
  const dual = hasNaN(grad) ? NaN : (theta / n) * (e - cw) - ((theta * theta) / (2 * n)) * rr;
  const gap = Math.max(primal - dual, 0);
  return { primal, dual, gap: Number.isNaN(dual) ? NaN : gap, relativeGap: relativeGap(gap, primal), kktViolation: kkt, grad };
}

function hasNaN(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return true;
  return false;
}

/** Options of {@link solveGram}. */
export interface GramSolveOptions {
  /** Starting point (copied). */
  w0?: ArrayLike<number>;
  /** Relative duality gap to reach (default 1e-8). */
  tol?: number;
  /** Sweep cap (default 100 000). */
  maxIter?: number;
  /** Sweeps between certificates (default 10). */
  checkEvery?: number;
}

/** Result of {@link solveGram}. */
export interface GramSolveResult {
  w: Float64Array;
  certificate: GramCertificate;
  converged: boolean;
  status: string;
  iterations: number;
}

/** Per-group Lipschitz constants λ_max(A_gg)/n (computed once per quadratic). */
export function gramLipschitz(q: GramQuadratic, groups: GroupStructure): Float64Array {
  const { p, A, n } = q;
  const L = new Float64Array(groups.nGroups);
  for (let g = 0; g < groups.nGroups; g++) {
    const s = groups.ptr[g], m = groups.ptr[g + 1] - s;
    const M = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) M[a * m + b] = A[groups.indices[s + a] * p + groups.indices[s + b]];
    L[g] = (m === 1 ? M[0] : largestEigenvalue(M, m)) / n;
  }
  return L;
}

/** Solve the Gram-space group lasso at λ (see the module comment). */
export function solveGram(q: GramQuadratic, groups: GroupStructure, lambda: number, options: GramSolveOptions = {}, lipschitz?: Float64Array): GramSolveResult {
  const { p, A, c, n } = q;
  const tol = options.tol ?? 1e-8;
  const maxIter = options.maxIter ?? 100_000;
  const checkEvery = options.checkEvery ?? 10;
  const L = lipschitz ?? gramLipschitz(q, groups);
  const w = new Float64Array(p);
  if (options.w0) for (let j = 0; j < p; j++) w[j] = options.w0[j];
  const aw = new Float64Array(p);
  symv(q, w, aw);
  const nullObjective = q.e / (2 * n);
  const { ptr, indices, weights } = groups;
  const maxM = Math.max(1, ...Array.from({ length: groups.nGroups }, (_, g) => ptr[g + 1] - ptr[g]));
  const v = new Float64Array(maxM);
  const d = new Float64Array(maxM);
  let cert = gramCertificate(q, groups, lambda, w, aw);
  if (gapConverged(cert.gap, cert.primal, nullObjectiveFloor(nullObjective, cert.primal), tol)) return { w, certificate: cert, converged: true, status: 'converged', iterations: 0 };
  let it = 0;
  for (it = 1; it <= maxIter; it++) {
    let moved = 0;
    for (let g = 0; g < groups.nGroups; g++) {
      const s = ptr[g], m = ptr[g + 1] - s;
      const Lg = L[g];
      if (!(Lg > 0)) {
        // The block does not touch the quadratic: a penalized block's minimizer is 0.
        if (lambda > 0 && weights[g] > 0) {
          for (let k = 0; k < m; k++) {
            const j = indices[s + k];
            if (w[j] !== 0) {
              d[k] = -w[j];
              moved = Math.max(moved, Math.abs(w[j]));
            } else d[k] = 0;
          }
          applyDelta(q, groups, g, d, w, aw);
        }
        continue;
      }
      let nv = 0;
      for (let k = 0; k < m; k++) {
        const j = indices[s + k];
        v[k] = w[j] - (aw[j] - c[j]) / n / Lg;
        nv += v[k] * v[k];
      }
      nv = Math.sqrt(nv);
      const t = (lambda * weights[g]) / Lg;
      const scale = t > 0 ? (nv <= t ? 0 : 1 - t / nv) : 1;
      let any = 0;
      for (let k = 0; k < m; k++) {
        const j = indices[s + k];
        d[k] = scale * v[k] - w[j];
        any = Math.max(any, Math.abs(d[k]));
      }
      if (any === 0) continue;
      moved = Math.max(moved, any);
      applyDelta(q, groups, g, d, w, aw);
    }
    if (it % checkEvery === 0 || moved === 0) {
      // q drifts from Aw by rounding over many updates: recompute it before certifying.
      symv(q, w, aw);
      cert = gramCertificate(q, groups, lambda, w, aw);
      if (gapConverged(cert.gap, cert.primal, nullObjectiveFloor(nullObjective, cert.primal), tol)) return { w, certificate: cert, converged: true, status: 'converged', iterations: it };
      if (!Number.isFinite(cert.primal)) return { w, certificate: cert, converged: false, status: 'diverged: non-finite objective', iterations: it };
      if (moved === 0) return { w, certificate: cert, converged: false, status: 'stalled: no block moves but the gap is above tol', iterations: it };
    }
  }
  symv(q, w, aw);
  cert = gramCertificate(q, groups, lambda, w, aw);
  const converged = gapConverged(cert.gap, cert.primal, nullObjectiveFloor(nullObjective, cert.primal), tol);
  return { w, certificate: cert, converged, status: converged ? 'converged' : 'max iterations reached', iterations: maxIter };
}

function applyDelta(q: GramQuadratic, groups: GroupStructure, g: number, d: Float64Array, w: Float64Array, aw: Float64Array): void {
  const { p, A } = q;
  const s = groups.ptr[g], m = groups.ptr[g + 1] - s;
  for (let k = 0; k < m; k++) {
    const dk = d[k];
    if (dk === 0) continue;
    const j = groups.indices[s + k];
    w[j] += dk;
    const o = j * p;
    for (let i = 0; i < p; i++) aw[i] += A[o + i] * dk;
  }
}

/**
 * λ_max: the smallest λ at which every penalized group is zero, max_g ‖∇_g Q(w₀)‖/d_g with w₀
 * the fit of the unpenalized groups alone (w₀ = 0 when there are none).
 */
export function gramLambdaMax(q: GramQuadratic, groups: GroupStructure, lipschitz?: Float64Array): number {
  let w: Float64Array = new Float64Array(q.p);
  if (Array.from(groups.weights).some((d) => !(d > 0))) w = solveGram(q, groups, Number.MAX_VALUE, { tol: 1e-12 }, lipschitz).w;
  const cert = gramCertificate(q, groups, 1, w);
  const pen = new GroupLassoPenalty(groups, 1);
  let m = 0;
  for (let g = 0; g < groups.nGroups; g++) if (pen.isPenalized(g)) m = Math.max(m, pen.groupDualNorm(cert.grad, g));
  return m;
}
