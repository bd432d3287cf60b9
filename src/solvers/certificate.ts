import { evaluate, newPoint, type PointBuffers, type ProblemContext } from './problem.ts';

/**
 * Optimality certificate of a point w:
 * - duality gap P(w) − D(u) with u = θ∇F(η), θ = min(1, λ / max_g ρ_g(Xᵀ∇F(η))) (a feasible dual
 *   point: Aᵀu = 0 holds because the unpenalized part is fitted exactly);
 * - KKT violation max_g dist(−∇_g G(w), ∂Ω_g(w_g)), together with the unpenalized coordinates'
 *   gradient norms and |Σ_i u_i| for the intercept (all zero exactly at a solution).
 */
export interface Certificate {
  /** P(w) = F(Xw + Ac*) + Ω(w). */
  primal: number;
  /** Best dual objective D(u) known (a lower bound on the optimum). */
  dual: number;
  /** P − D ≥ 0 (absolute). */
  gap: number;
  /** gap / P (0 when both are 0). */
  relativeGap: number;
  /** KKT violation (absolute, in gradient units). */
  kktViolation: number;
}

/** Whether any entry is NaN. */
function hasNaN(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return true;
  return false;
}

/** Dual objective at the rescaled point θu (scratch receives θu). */
export function dualValue(ctx: ProblemContext, pt: PointBuffers, scratch: Float64Array): number {
  // A NaN gradient Xᵀu (e.g. an operator whose transpose returns NaN) must not pass as feasible:
  // comparisons with NaN are false, which used to leave θ = 1 and certify a zero gap.
  if (hasNaN(pt.grad)) return NaN;
  const pen = ctx.penalty;
  // A nonconvex penalty has no dual problem: there is no lower bound to report.
  if (!pen.convex) return NaN;
  let s = 0;
  for (let g = 0; g < pen.groups.nGroups; g++) {
    if (!pen.isPenalized(g)) continue;
    const r = pen.groupDualNorm(pt.grad, g);
    if (r > s) s = r;
  }
  const theta = s > pen.lambda ? pen.lambda / s : 1;
  for (let i = 0; i < pt.u.length; i++) scratch[i] = theta * pt.u[i];
  return ctx.datafit.dualValue(scratch, pt.eta);
}

/** KKT violation at w, given the gradient at w (pt must be evaluated at w). */
export function kktViolation(ctx: ProblemContext, w: Float64Array, pt: PointBuffers): number {
  // Same reason as in dualValue: the per-group distances read a NaN gradient as "no violation".
  if (hasNaN(pt.grad) || hasNaN(pt.u)) return NaN;
  const pen = ctx.penalty;
  let v = 0;
  for (let g = 0; g < pen.groups.nGroups; g++) {
    const r = pen.groupViolation(w, pt.grad, g);
    if (r > v) v = r;
  }
  if (ctx.fitIntercept) {
    for (let t = 0; t < ctx.T; t++) {
      let s = 0;
      for (let i = 0; i < ctx.n; i++) s += pt.u[t * ctx.n + i];
      if (Math.abs(s) > v) v = Math.abs(s);
    }
  }
  return v;
}

/** Relative gap gap/P with 0/0 = 0. */
export function relativeGap(gap: number, primal: number): number {
  if (gap <= 0) return 0;
  return primal > 0 ? gap / primal : Infinity;
}

/**
 * Whether a gap certifies tolerance `tol`: gap ≤ tol·P, or below the rounding floor
 * 64·ε·P₀ (P₀ = objective at w = 0), under which the gap is not computable anyway.
 */
export function gapConverged(gap: number, primal: number, nullObjective: number, tol: number): boolean {
  if (!(gap <= Infinity)) return false; // NaN
  // Absolute values: an objective that is 0 at the optimum (a perfect fit, a separable GLM) can
  // come out a few ulps below 0, and `gap <= tol·P` then refused even a gap of exactly 0, so the
  // solver ran to maxIter on a solved problem.
  return gap <= tol * Math.abs(primal) || gap <= 64 * Number.EPSILON * Math.max(Math.abs(nullObjective), Math.abs(primal));
}

/**
 * Full certificate computed from scratch at w (one forward and one transpose product), independent
 * of any solver bookkeeping. `bestDual` (if given) is a dual value found earlier by the solver.
 */
export function certify(ctx: ProblemContext, w: Float64Array, bestDual = -Infinity): Certificate & { point: PointBuffers } {
  const pt = newPoint(ctx);
  evaluate(ctx, w, pt);
  const primal = pt.loss + ctx.penalty.value(w);
  const scratch = new Float64Array(pt.u.length);
  if (!ctx.penalty.convex) {
    // No duality gap exists for a nonconvex penalty: the certificate is stationarity alone.
    return { primal, dual: NaN, gap: NaN, relativeGap: NaN, kktViolation: kktViolation(ctx, w, pt), point: pt };
  }
  const dual = Math.max(dualValue(ctx, pt, scratch), bestDual);
  const gap = Math.max(primal - dual, 0);
  return { primal, dual, gap, relativeGap: relativeGap(gap, primal), kktViolation: kktViolation(ctx, w, pt), point: pt };
}

/**
 * Whether a certificate meets tolerance `tol`: the relative duality gap (convex penalties), or the
 * KKT distance (nonconvex penalties, which have no gap).
 */
export function certificateMeets(ctx: ProblemContext, cert: Certificate, tol: number): boolean {
  if (!ctx.penalty.convex) return cert.kktViolation <= tol;
  return gapConverged(cert.gap, cert.primal, ctx.nullObjective, tol);
}
