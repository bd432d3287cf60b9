import { relativeGap, withFloors, type Certificate } from '../solvers/certificate.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { checkCoefs, checkContext, evaluate, newPoint, type PointBuffers, type ProblemContext } from '../solvers/problem.ts';
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
 * projections (balls ‖t_g‖ ≤ λd_g, affine set Σ_g t_g = s) move the excess to groups with room. With m = max_g ‖t_g‖/d_g and θ = min(1, λ/m), θt decomposes −Xᵀ(θu) with
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
  const fn = 'certifyOverlap';
  checkContext(fn, ctx);
  if (!(st instanceof OverlapStructure)) throw new ShapeError(fn, 'st must be an OverlapStructure (the expansion of overlapping groups)');
  checkCoefs(fn, ctx, w);
  if (t0 !== null && t0 !== undefined && !(t0 instanceof Float64Array && t0.length === st.groups.indices.length)) {
    throw new ShapeError(fn, `t0 must be null or a Float64Array of length ${st.groups.indices.length} (one entry per group member)`);
  }
  if (typeof bestDual !== 'number' || bestDual === Infinity) throw new ValueError(fn, `bestDual must be a number below +Infinity, got ${String(bestDual)}`);
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
  // Groups with room under their bound λd_g take a feature's defect when one holds it: adding it
  // to a group already at its bound would push m above λ to first order and cost the dual point a
  // rescaling (the active groups of an iterate sit on their bound, the zero groups inside it).
  const slack = new Uint8Array(nGroups);
  const slackCount = new Float64Array(p);
  for (let g = 0; g < nGroups; g++) {
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) s += t[k] * t[k];
    if (Math.sqrt(s) < lambda * weights[g] * (1 - 1e-9)) {
      slack[g] = 1;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) slackCount[indices[k]]++;
    }
  }
  for (let g = 0; g < nGroups; g++) {
    for (let k = ptr[g]; k < ptr[g + 1]; k++) {
      const j = indices[k];
      if (slackCount[j] === 0) t[k] += defect[j] / st.count[j];
      else if (slack[g]) t[k] += defect[j] / slackCount[j];
    }
  }
  let m = maxRatio(st, t);
  if (m > lambda) m = balance(st, t, defect, lambda, m);
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

/** max_g ‖t_g‖/d_g. */
function maxRatio(st: OverlapStructure, t: Float64Array): number {
  const { ptr, weights, nGroups } = st.groups;
  let m = 0;
  for (let g = 0; g < nGroups; g++) {
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) s += t[k] * t[k];
    const r = Math.sqrt(s) / weights[g];
    if (r > m) m = r;
  }
  return m;
}

/**
 * Rounds of alternating projections in {@link balance}: up to 1000 while the excess over λ keeps
 * falling by 1 % every 10 rounds, fewer on large structures (each round is O(Σ_g p_g), the cap
 * keeps a certificate within ~10⁷ operations).
 */
function balanceRounds(m: number): number {
  return Math.min(1000, Math.max(100, Math.floor(1e7 / Math.max(m, 1))));
}
/**
 * Over-relaxation of each round (t ← t + ω(P_A P_B t − t), 0 < ω < 2): plain alternating
 * projections crawl where the balls meet the affine set nearly tangentially (a zero group at the
 * edge of becoming active); ω = 1.8 reached rounding in < 100 rounds where ω = 1 needed ~1000.
 * Every round ends on the affine set, so the bound is valid whatever the rounds do.
 */
const RELAX = 1.8;

/**
 * Lower max_g ‖t_g‖/d_g over the exact decompositions of s (Σ_g t_g = s, which t satisfies on entry)
 * by (over-relaxed) alternating projections between the balls ‖t_g‖ ≤ λd_g and that affine set (whose orthogonal
 * projection shares each feature's defect equally among its groups). A decomposition from an
 * inexact iterate puts mass on groups at their bound that groups with room could carry; when s is
 * dual feasible the balls and the affine set meet and the projections move the excess over.
 * Ends on the affine set (t stays an exact decomposition), keeps the best t seen, and returns its
 * max ratio. `buf` (length p) is scratch.
 */
function balance(st: OverlapStructure, t: Float64Array, res: Float64Array, lambda: number, m0: number): number {
  const { ptr, indices, weights, nGroups } = st.groups;
  const best = t.slice();
  let bestM = m0;
  const x = t.slice();
  const cand = new Float64Array(t.length);
  res.fill(0); // s − Σ_g x_g: zero on entry (t is an exact decomposition)
  let stale = 0;
  const rounds = balanceRounds(indices.length);
  for (let round = 0; round < rounds && stale < 10; round++) {
    // One Gauss–Seidel sweep of min ½‖s − Σ_g x_g‖² over the balls: each block's exact minimizer
    // is the projection of x_g + res_g (the block's Hessian is the identity).
    for (let g = 0; g < nGroups; g++) {
      let q = 0;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) {
        const v = x[k] + res[indices[k]];
        q += v * v;
      }
      const r = lambda * weights[g];
      const nrm = Math.sqrt(q);
      const c = nrm > r ? r / nrm : 1;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) {
        const j = indices[k];
        const v = c * (x[k] + res[j]);
        res[j] -= v - x[k];
        x[k] = v;
      }
    }
    // Candidate on the affine set: the residual shared equally among each feature's groups.
    for (let k = 0; k < indices.length; k++) cand[k] = x[k] + res[indices[k]] / st.count[indices[k]];
    const m = maxRatio(st, cand);
    // Progress is measured on the excess over λ (what the rescaling costs), not on m itself.
    if (m - lambda < (bestM - lambda) * 0.99) stale = 0;
    else stale++;
    if (m < bestM) {
      bestM = m;
      best.set(cand);
    }
    if (bestM <= lambda) break;
  }
  t.set(best);
  return bestM;
}
