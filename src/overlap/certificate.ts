import { relativeGap, withFloors, type Certificate } from '../solvers/certificate.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { checkCoefs, checkContext, evaluate, newPoint, type PointBuffers, type ProblemContext } from '../solvers/problem.ts';
import { balance, dualNormInterval, maxRatio, repair } from './dualnorm.ts';
import { OverlapStructure } from './structure.ts';

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
 * decomposition of s by sharing the defect equally among the groups holding j, or among those of
 * them with ‖t_g‖ < λd_g when there are any, so Σ_g t_g = s; when some ‖t_g‖ > λd_g, alternating
 * projections (balls ‖t_g‖ ≤ λd_g, affine set Σ_g t_g = s) move the excess to groups with room;
 * when that still leaves some ‖t_g‖ > λd_g, the split at w's zero groups (dualnorm.ts) is tried
 * too and the lower of the two kept; and when some ‖t_g‖ > λd_g still, the dual norm itself is
 * solved to a certified relative 1e-3 (dualNormInterval; to rounding when `precise`, for points
 * accurate to rounding, where the rescaling would be the whole gap), its upper bound kept. With m = max_g ‖t_g‖/d_g and θ = min(1, λ/m), θt decomposes −Xᵀ(θu) with
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
  ctx: ProblemContext, st: OverlapStructure, w: Float64Array, t0: Float64Array | null, bestDual = -Infinity, precise = false,
): Certificate & { point: PointBuffers } {
  const fn = 'certifyOverlap';
  checkContext(fn, ctx);
  if (!(st instanceof OverlapStructure)) throw new ShapeError(fn, 'st must be an OverlapStructure (the expansion of overlapping groups)');
  checkCoefs(fn, ctx, w);
  if (t0 !== null && t0 !== undefined && !(t0 instanceof Float64Array && t0.length === st.groups.indices.length)) {
    throw new ShapeError(fn, `t0 must be null or a Float64Array of length ${st.groups.indices.length} (one entry per group member)`);
  }
  if (typeof bestDual !== 'number' || bestDual === Infinity) throw new ValueError(fn, `bestDual must be a number below +Infinity, got ${String(bestDual)}`);
  if (typeof precise !== 'boolean') throw new ValueError(fn, `precise must be true or false, got ${String(precise)}`);
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
  const fillDefect = (x: Float64Array): void => {
    defect.fill(0);
    for (const j of st.penalized) defect[j] = -grad[j];
    for (let k = 0; k < indices.length; k++) defect[indices[k]] -= x[k];
  };
  fillDefect(t);
  repair(st, t, defect, lambda, null);
  let m = maxRatio(st, t);
  if (m > lambda) m = balance(st, t, defect, lambda, m);
  if (m > lambda) {
    // Split at w's zero groups (see dualnorm.ts): the groups with w_g ≠ 0 keep their parts off the
    // held features, and the zero groups alone carry s there.
    const split = splitDecomposition(st, w, t0, fillDefect, defect, lambda);
    if (split && split.m < m) {
      m = split.m;
      t.set(split.t);
    }
  }
  if (m > lambda * (1 + (precise ? 4 * Number.EPSILON : 1e-3))) {
    // The heuristics left the dual point rescaled: solve the dual norm itself (a certified
    // interval), keeping its upper bound, so the rescaling is the least any decomposition allows.
    // A precise certificate solves it to rounding: at a point accurate to rounding (a polished
    // one) the gradient's dual norm is λ to rounding, and any rescaling left (the heuristics often
    // stop a few 1e-9 above λ when no zero group has room) would be the whole gap.
    const s = new Float64Array(p);
    for (const j of st.penalized) s[j] = -grad[j];
    const exact = t.slice();
    const r = dualNormInterval(st, s, exact, precise ? 1e-12 : 1e-3, lambda);
    if (r.upper < m) {
      m = r.upper;
      t.set(exact);
    }
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
  return withFloors(ctx, w, pt, { primal, dual, gap, relativeGap: relativeGap(gap, primal), kktViolation: kkt });
}

/**
 * The split decomposition of s at w: parts of the groups with w_g ≠ 0 set to 0 on the features of
 * zero groups (held features), defects shared within each side, then the zero groups balanced
 * with the others fixed. Null when w has no zero group or no nonzero one (nothing to split).
 */
function splitDecomposition(
  st: OverlapStructure, w: Float64Array, t0: Float64Array | null, fillDefect: (x: Float64Array) => void,
  defect: Float64Array, lambda: number,
): { t: Float64Array; m: number } | null {
  const { ptr, indices, nGroups } = st.groups;
  const zero = new Uint8Array(nGroups);
  let nz = 0;
  for (let g = 0; g < nGroups; g++) {
    let any = false;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) if (w[indices[k]] !== 0) any = true;
    if (!any) (zero[g] = 1), nz++;
  }
  if (nz === 0 || nz === nGroups) return null;
  const held = new Uint8Array(st.count.length);
  for (let g = 0; g < nGroups; g++) if (zero[g]) for (let k = ptr[g]; k < ptr[g + 1]; k++) held[indices[k]] = 1;
  const t = new Float64Array(indices.length);
  if (t0) t.set(t0);
  for (let g = 0; g < nGroups; g++) if (!zero[g]) for (let k = ptr[g]; k < ptr[g + 1]; k++) if (held[indices[k]]) t[k] = 0;
  fillDefect(t);
  // Free features' defects go to the nonzero groups (the only ones holding them), held features'
  // to the zero groups.
  const active = new Uint8Array(nGroups);
  for (let g = 0; g < nGroups; g++) active[g] = zero[g] ? 0 : 1;
  const heldDefect = defect.slice();
  for (let j = 0; j < defect.length; j++) if (held[j]) defect[j] = 0;
  else heldDefect[j] = 0;
  repair(st, t, defect, lambda, active);
  repair(st, t, heldDefect, lambda, zero);
  let m = maxRatio(st, t);
  if (m > lambda) m = balance(st, t, defect, lambda, m, zero);
  return { t, m };
}
