import { ShapeError, ValueError } from '../errors.ts';
import { checkTolerance } from '../util/validate.ts';
import { operatorNormSquared } from '../linalg/power.ts';
import { checkCoefs, checkContext, checkPoint, evaluate, evaluateFromEta0, newPoint, type PointBuffers, type ProblemContext } from './problem.ts';

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
  /** KKT violation relative to the gradient scale of the problem ({@link ProblemScales.kkt}). */
  relativeKkt: number;
  /**
   * Rounding floors at this point: the smallest gap and KKT violation float64 can resolve, given
   * the size of the terms that are summed (see {@link roundingFloors}). A certificate under its
   * floor cannot be improved by more iterations.
   */
  gapFloor: number;
  kktFloor: number;
}

/**
 * Scales of a problem that do not depend on λ or the iterate, computed once per context:
 * - `zeroLoss` F(0), the size of the response terms the dual sums (‖y‖²/(2n) for least squares);
 * - `colRms` / `colNorm` the largest column root-mean-square / 2-norm of X (from stored columns,
 *   else the operator norm, which bounds every column);
 * - `kkt` the gradient scale max_j |[Xᵀ∇F(η₀)]_j| at the null model η₀ (w = 0, unpenalized part
 *   fitted), or at η = 0 when that vanishes: relative KKT tolerances are taken against it, so they
 *   are invariant to rescaling columns or the response.
 */
export interface ProblemScales {
  zeroLoss: number;
  /** Root-mean-square of each column (length p), or null when X does not store its columns. */
  colRmsEach: Float64Array | null;
  /** ‖y‖₂ (the response's size, which every gradient entry is computed against). */
  yNorm: number;
  colRms: number;
  colNorm: number;
  kkt: number;
  /** Largest group size and weight (the KKT floor is a norm over a group). */
  maxGroupSize: number;
  maxWeight: number;
}

const scalesCache = new WeakMap<ProblemContext, ProblemScales>();

export function problemScales(ctx: ProblemContext): ProblemScales {
  const hit = scalesCache.get(ctx);
  if (hit) return hit;
  const N = ctx.n * ctx.T;
  const zeros = new Float64Array(N);
  const zeroLoss = ctx.datafit.value(zeros);
  let colNorm = 0;
  let colRmsEach: Float64Array | null = null;
  if (ctx.X.columns) {
    colRmsEach = new Float64Array(ctx.p);
    for (let j = 0; j < ctx.p; j++) {
      const q = ctx.X.columns.normSq(j);
      colRmsEach[j] = Math.sqrt(q / ctx.n);
      colNorm = Math.max(colNorm, q);
    }
    colNorm = Math.sqrt(colNorm);
  } else {
    colNorm = Math.sqrt(operatorNormSquared(ctx.X, { tol: 1e-3, maxIter: 30 }));
  }
  // The evaluation at w = 0 refits the unpenalized part: keep the context's current fit (callers
  // read the unpenalized coefficients of the point they certified last) and its converged flag.
  const savedC = ctx.unpenalized.c.slice();
  const savedConverged = ctx.unpenalized.converged;
  const pt = newPoint(ctx);
  // At w = 0: η₀ = X·0 = 0 without a pass over X.
  evaluateFromEta0(ctx, pt, true);
  ctx.unpenalized.c.set(savedC);
  ctx.unpenalized.converged = savedConverged;
  let kkt = 0;
  for (let j = 0; j < pt.grad.length; j++) kkt = Math.max(kkt, Math.abs(pt.grad[j]));
  if (!(kkt > 0)) {
    const u = new Float64Array(N);
    const g = new Float64Array(ctx.size);
    ctx.datafit.valueGrad(zeros, u);
    ctx.transpose(u, g);
    for (let j = 0; j < g.length; j++) kkt = Math.max(kkt, Math.abs(g[j]));
  }
  const gs = ctx.penalty.groups;
  let maxGroupSize = 1;
  let maxWeight = 0;
  for (let g = 0; g < gs.nGroups; g++) {
    maxGroupSize = Math.max(maxGroupSize, gs.ptr[g + 1] - gs.ptr[g]);
    maxWeight = Math.max(maxWeight, gs.weights[g]);
  }
  let yy = 0;
  for (let i = 0; i < ctx.datafit.y.length; i++) yy += ctx.datafit.y[i] * ctx.datafit.y[i];
  const out: ProblemScales = {
    zeroLoss: Number.isFinite(zeroLoss) ? Math.abs(zeroLoss) : 0,
    colRmsEach,
    yNorm: Math.sqrt(yy),
    colRms: colNorm / Math.sqrt(ctx.n), colNorm,
    kkt: kkt > 0 && Number.isFinite(kkt) ? kkt : 1,
    maxGroupSize, maxWeight,
  };
  scalesCache.set(ctx, out);
  return out;
}

/** Safety factor of the floors over the typical (√N-growth) rounding error of a sum. */
const FLOOR_FACTOR = 4;

/**
 * Rounding floors of the certificate at a point, estimated from the terms float64 sums:
 * - gap: P and D are sums of N = n·T terms of sizes |P|, |D| and the cross terms ⟨u, y⟩ of size
 *   ~2√(|P|·F(0)); the linear predictor η = Xw carries an error ~ε·√p·Σ_j rms(X_j)|w_j| per entry, which
 *   moves F by ‖u‖·‖δη‖. A sum of N terms is off by ~ε·√N times their total size;
 * - KKT: each X_jᵀu is a sum of n terms bounded by ‖X_j‖·‖u‖, plus the error δη passed through the
 *   loss curvature, summed over a group (√p_g), plus the rounding of λd_g.
 */
export function roundingFloors(
  ctx: ProblemContext, primal: number, dual: number, uNorm: number, w: Float64Array,
): { gap: number; kkt: number } {
  const sc = problemScales(ctx);
  const eps = Number.EPSILON;
  const rootN = Math.sqrt(ctx.n * ctx.T);
  const P = Math.abs(primal);
  const D = Number.isFinite(dual) ? Math.abs(dual) : 0;
  // rms of Σ_j |X_ij||w_j| ≤ Σ_j rms(X_j)·|w_j| (per task, the largest task counted).
  let wScaled = 0;
  for (let t = 0; t < ctx.T; t++) {
    let s = 0;
    for (let j = 0; j < ctx.p; j++) s += (sc.colRmsEach ? sc.colRmsEach[j] : sc.colRms) * Math.abs(w[t * ctx.p + j]);
    wScaled = Math.max(wScaled, s);
  }
  const etaErr = eps * Math.sqrt(ctx.p) * wScaled;
  const gap = FLOOR_FACTOR * (eps * rootN * (P + D + 2 * Math.sqrt(P * sc.zeroLoss)) + rootN * uNorm * etaErr);
  // X_jᵀu sums n terms bounded by ‖X_j‖·‖u‖ in all (error ~ε√N of that); each u_i = ∂F/∂η_i is
  // itself a difference of terms of size |u_i| + |y_i|/n, rounded on its own even where u is ~0
  // (an exact fit): ‖δu‖ ≲ ε(‖u‖ + 2‖y‖/n), seen through ‖X_j‖.
  const uMag = uNorm + 2 * sc.yNorm / ctx.n;
  // How an error δη moves u: curvature·δη, or for a loss without a global bound (Poisson:
  // ∂²F = e^η/n ≤ |u| + |y|/n entrywise) the same term size.
  const curvMove = Number.isFinite(ctx.datafit.curvature) ? ctx.datafit.curvature * rootN : uMag;
  const kkt = FLOOR_FACTOR * Math.sqrt(sc.maxGroupSize) *
    (eps * sc.colNorm * (rootN * uNorm + uMag) + sc.colNorm * curvMove * etaErr + eps * ctx.penalty.lambda * sc.maxWeight);
  return { gap: Number.isFinite(gap) ? gap : Infinity, kkt: Number.isFinite(kkt) ? kkt : Infinity };
}

/** How a certificate meets a tolerance: under it, only under the rounding floor, or not at all. */
export type CertificateVerdict = 'tol' | 'floor' | false;

/**
 * Whether a certificate certifies tolerance `tol` under the rule: relative gap ≤ tol, relative
 * KKT ≤ tol (stopOn 'kkt'), or both. 'floor' when the rule fails but every value it tests is under
 * its rounding floor — more iterations cannot do better, and the result is reported as
 * 'at rounding level' with the floors, never silently as if the tolerance were met.
 */
export function judge(cert: Certificate, stopOn: 'gap' | 'kkt' | 'both', tol: number): CertificateVerdict {
  // NaN fails (a nonconvex penalty has no gap, NaN, and certifies by KKT alone), and so does an
  // overflowed (infinite) gap or KKT violation: it bounds nothing.
  if ((stopOn !== 'kkt' && !Number.isFinite(cert.gap)) || !Number.isFinite(cert.kktViolation)) return false;
  // Under tol only if tol is above the floor: a gap computed as 0 where rounding is larger than
  // tol·P (D came out ≥ P) says "at rounding level", not "within tol".
  const gapTol = cert.gap <= tol * Math.abs(cert.primal) && cert.gapFloor <= tol * Math.abs(cert.primal);
  const kktScale = cert.relativeKkt > 0 ? cert.kktViolation / cert.relativeKkt : Infinity;
  const kktTol = cert.relativeKkt <= tol && !(cert.kktFloor > tol * kktScale);
  // A floor is a bound on rounding only while it is a finite number: an overflowed floor (Infinity,
  // from terms past float64's range) would accept any certificate as "at rounding level".
  const gapFloor = Number.isFinite(cert.gapFloor) ? cert.gapFloor : 0;
  const kktFloor = Number.isFinite(cert.kktFloor) ? cert.kktFloor : 0;
  const gapOk = gapTol || cert.gap <= Math.max(gapFloor, tol * Math.abs(cert.primal));
  const kktOk = kktTol || cert.relativeKkt <= tol || cert.kktViolation <= kktFloor;
  const tolMet = stopOn === 'gap' ? gapTol : stopOn === 'kkt' ? kktTol : gapTol && kktTol;
  if (tolMet) return 'tol';
  const floorMet = stopOn === 'gap' ? gapOk : stopOn === 'kkt' ? kktOk : gapOk && kktOk;
  return floorMet ? 'floor' : false;
}

/** Whether any entry is NaN. */
function hasNaN(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return true;
  return false;
}

/** Dual objective at the rescaled point θu (scratch receives θu). */
export function dualValue(ctx: ProblemContext, pt: PointBuffers, scratch: Float64Array): number {
  checkContext('dualValue', ctx);
  checkPoint('dualValue', ctx, pt);
  if (!(scratch instanceof Float64Array) || scratch.length !== pt.u.length) {
    throw new ShapeError('dualValue', `scratch must be a Float64Array of length n·T = ${pt.u.length}`);
  }
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

/**
 * The gap-safe sphere at a point w (pt evaluated at w) with primal P and dual D: the rescaling θ of
 * the dual point u (θ·u is feasible, as in {@link dualValue}) and the radius √(2·(P − D + floor)·curvature)
 * of a ball around θu that holds every dual solution (F* is 1/curvature-strongly convex). The gap
 * counts its rounding floor: at a computed gap of 0 a radius of 0 screened active groups out on
 * rounding. null when the gap is not a finite number ≥ 0.
 */
export function safeSphere(ctx: ProblemContext, pt: PointBuffers, w: Float64Array, primal: number, dual: number): { theta: number; radius: number } | null {
  const gap = primal - dual;
  if (!(gap >= 0) || !Number.isFinite(gap)) return null;
  const pen = ctx.penalty;
  let smax = 0;
  for (let g = 0; g < pen.groups.nGroups; g++) if (pen.isPenalized(g)) smax = Math.max(smax, pen.groupDualNorm(pt.grad, g));
  let uu = 0;
  for (let i = 0; i < pt.u.length; i++) uu += pt.u[i] * pt.u[i];
  const floor = roundingFloors(ctx, primal, dual, Math.sqrt(uu), w).gap;
  return { theta: smax > pen.lambda ? pen.lambda / smax : 1, radius: Math.sqrt(2 * (gap + floor) * ctx.datafit.curvature) };
}

/** KKT violation at w, given the gradient at w (pt must be evaluated at w). */
export function kktViolation(ctx: ProblemContext, w: Float64Array, pt: PointBuffers): number {
  checkContext('kktViolation', ctx);
  checkCoefs('kktViolation', ctx, w);
  checkPoint('kktViolation', ctx, pt);
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
 * Whether a gap certifies tolerance `tol`: gap ≤ tol·|P|, or under the rounding floor `floor`
 * (from {@link roundingFloors}), below which the gap is not computable anyway.
 */
/**
 * The rounding floor of a gap known only through the null model's objective P0 (solvers without
 * a floor estimate of their own, such as the Gram-space and SQL ones): 64ε·max(|P0|, |P|).
 */
export function nullObjectiveFloor(nullObjective: number, primal: number): number {
  return 64 * Number.EPSILON * Math.max(Math.abs(nullObjective), Math.abs(primal));
}

export function gapConverged(gap: number, primal: number, floor: number, tol: number): boolean {
  if (!(gap <= Infinity)) return false; // NaN
  // Absolute values: an objective that is 0 at the optimum (a perfect fit, a separable GLM) can
  // come out a few ulps below 0, and `gap <= tol·P` then refused even a gap of exactly 0, so the
  // solver ran to maxIter on a solved problem.
  return gap <= tol * Math.abs(primal) || gap <= floor;
}

/** Work buffers a caller that certifies many points keeps for {@link certify} (see certifyBuffers). */
export interface CertifyBuffers {
  point: PointBuffers;
  scratch: Float64Array;
}

/** Buffers for {@link certify} on this context (a path certifies once per λ: allocating them each time cost more than the products). */
export function certifyBuffers(ctx: ProblemContext): CertifyBuffers {
  checkContext('certifyBuffers', ctx);
  return { point: newPoint(ctx), scratch: new Float64Array(ctx.n * ctx.T) };
}

/**
 * Full certificate computed from scratch at w (one forward and one transpose product), independent
 * of any solver bookkeeping. `bestDual` (if given) is a dual value found earlier by the solver.
 * `buffers` (from certifyBuffers): filled instead of new ones, and the returned `point` is
 * `buffers.point` — valid until the next call with them.
 */
export function certify(ctx: ProblemContext, w: Float64Array, bestDual = -Infinity, buffers?: CertifyBuffers): Certificate & { point: PointBuffers } {
  checkContext('certify', ctx);
  checkCoefs('certify', ctx, w);
  // NaN is allowed: a nonconvex penalty has no dual, and its running best dual is NaN.
  if (typeof bestDual !== 'number' || bestDual === Infinity) {
    throw new ValueError('certify', `bestDual must be a number below +Infinity (a dual value, -Infinity or NaN for none), got ${String(bestDual)}`);
  }
  if (buffers !== undefined) {
    if (buffers === null || typeof buffers !== 'object' || !(buffers.scratch instanceof Float64Array) || buffers.scratch.length !== ctx.n * ctx.T) {
      throw new ShapeError('certify', 'buffers must be the certifyBuffers(ctx) of this context');
    }
    checkPoint('certify', ctx, buffers.point);
  }
  const pt = buffers ? buffers.point : newPoint(ctx);
  evaluate(ctx, w, pt);
  const primal = pt.loss + ctx.penalty.value(w);
  const scratch = buffers ? buffers.scratch : new Float64Array(pt.u.length);
  if (!ctx.penalty.convex) {
    // No duality gap exists for a nonconvex penalty: the certificate is stationarity alone.
    return withFloors(ctx, w, pt, { primal, dual: NaN, gap: NaN, relativeGap: NaN, kktViolation: kktViolation(ctx, w, pt) });
  }
  const dual = Math.max(dualValue(ctx, pt, scratch), bestDual);
  const gap = Math.max(primal - dual, 0);
  return withFloors(ctx, w, pt, { primal, dual, gap, relativeGap: relativeGap(gap, primal), kktViolation: kktViolation(ctx, w, pt) });
}

/** Complete a certificate with its relative KKT violation and rounding floors at w. */
export function withFloors(
  ctx: ProblemContext, w: Float64Array, pt: PointBuffers, c: Omit<Certificate, 'relativeKkt' | 'gapFloor' | 'kktFloor'>,
): Certificate & { point: PointBuffers } {
  let uu = 0;
  for (let i = 0; i < pt.u.length; i++) uu += pt.u[i] * pt.u[i];
  const floors = roundingFloors(ctx, c.primal, c.dual, Math.sqrt(uu), w);
  return {
    primal: c.primal, dual: c.dual, gap: c.gap, relativeGap: c.relativeGap, kktViolation: c.kktViolation, point: pt, relativeKkt: c.kktViolation / problemScales(ctx).kkt, gapFloor: floors.gap, kktFloor: floors.kkt,
  };
}

/**
 * Whether a certificate meets tolerance `tol`: the relative duality gap (convex penalties), or the
 * KKT distance (nonconvex penalties, which have no gap).
 */
export function certificateMeets(ctx: ProblemContext, cert: Certificate, tol: number): boolean {
  checkContext('certificateMeets', ctx);
  if (cert === null || typeof cert !== 'object' || typeof cert.gap !== 'number' || typeof cert.primal !== 'number') {
    throw new ValueError('certificateMeets', 'cert must be a Certificate (from certify)');
  }
  tol = checkTolerance('certificateMeets', tol);
  return certificateVerdict(ctx, cert, tol) !== false;
}

/** {@link judge} under the rule a problem certifies with: the gap, or KKT for nonconvex penalties. */
export function certificateVerdict(ctx: ProblemContext, cert: Certificate, tol: number): CertificateVerdict {
  return judge(cert, ctx.penalty.convex ? 'gap' : 'kkt', tol);
}
