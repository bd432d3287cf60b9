import type { OverlapStructure } from './structure.ts';

/**
 * Decompositions for the overlapping group norm's dual norm,
 *   ‖s‖_ov* = min { max_g ‖t_g‖/d_g : Σ_g t_g = s, supp t_g ⊂ g },
 * evaluated on exact decompositions only (every candidate sums to s to rounding), so whatever the
 * search returns is an upper bound and the dual point it scales stays feasible.
 *
 * Why the split. At a solution w of the penalized problem with zero groups Z (w_g = 0), an
 * optimal decomposition has t_g = λd_g w_g/‖w_g‖ on the groups outside Z: those groups sit on
 * their bound and carry nothing on the features held at zero by Z. Searching over all groups at
 * once (alternating projections between the balls ‖t_g‖ ≤ λd_g and the affine set) crawls there:
 * the active groups' balls touch the affine set at one point (tangentially), and the excess
 * found on the zero groups never fully drains. Fixing the active groups and searching over the
 * zero groups alone (features held by Z, whose parts must carry s there) leaves a problem whose
 * feasible set has interior whenever the zero pattern is strictly optimal (every zero group
 * strictly inside its ball at the optimum), where projections converge linearly to a point with
 * max ratio ≤ λ: the dual point then needs no rescaling and the gap is the primal's error alone.
 */

/** max_g ‖t_g‖/d_g (over the groups with mask[g] when a mask is given). */
export function maxRatio(st: OverlapStructure, t: Float64Array, mask: Uint8Array | null = null): number {
  const { ptr, weights, nGroups } = st.groups;
  let m = 0;
  for (let g = 0; g < nGroups; g++) {
    if (mask && !mask[g]) continue;
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
 * Share the defect s − Σ_g t_g (`defect`, length p, on entry) into t so that t sums to s: each
 * feature's defect goes to the groups of `mask` holding it (all groups when mask is null), equally
 * among those with room under λd_g when any has room (adding to a group at its bound would push
 * the max ratio up to first order), else equally among all of them. `defect` is left at 0.
 */
export function repair(st: OverlapStructure, t: Float64Array, defect: Float64Array, lambda: number, mask: Uint8Array | null): void {
  const { ptr, indices, weights, nGroups } = st.groups;
  const p = st.count.length;
  const slack = new Uint8Array(nGroups);
  const slackCount = new Float64Array(p);
  const allCount = new Float64Array(p);
  for (let g = 0; g < nGroups; g++) {
    if (mask && !mask[g]) continue;
    let s = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) s += t[k] * t[k];
    const room = Math.sqrt(s) < lambda * weights[g] * (1 - 1e-9);
    if (room) slack[g] = 1;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) {
      allCount[indices[k]]++;
      if (room) slackCount[indices[k]]++;
    }
  }
  for (let g = 0; g < nGroups; g++) {
    if (mask && !mask[g]) continue;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) {
      const j = indices[k];
      if (slackCount[j] === 0) t[k] += defect[j] / allCount[j];
      else if (slack[g]) t[k] += defect[j] / slackCount[j];
    }
  }
  defect.fill(0);
}

/**
 * Lower max_g ‖t_g‖/d_g over the exact decompositions of s (Σ_g t_g = s, which t satisfies on
 * entry), moving only the groups of `mask` (all when null), by alternating projections between
 * the balls ‖t_g‖ ≤ λd_g and the affine set (whose orthogonal projection shares each feature's
 * residual equally among its moving groups). Ends on the affine set, keeps the best t seen and
 * returns its max ratio (over all groups). `res` (length p) is scratch.
 */
export function balance(
  st: OverlapStructure, t: Float64Array, res: Float64Array, lambda: number, m0: number, mask: Uint8Array | null = null,
): number {
  const { ptr, indices, weights, nGroups } = st.groups;
  const p = st.count.length;
  let cnt = st.count;
  let fixedMax = 0;
  if (mask) {
    cnt = new Float64Array(p);
    for (let g = 0; g < nGroups; g++) if (mask[g]) for (let k = ptr[g]; k < ptr[g + 1]; k++) cnt[indices[k]]++;
    const inv = new Uint8Array(nGroups);
    for (let g = 0; g < nGroups; g++) inv[g] = mask[g] ? 0 : 1;
    fixedMax = maxRatio(st, t, inv);
  }
  // The fixed groups bound what moving the others can reach: progress is measured above it.
  const target = Math.max(lambda, fixedMax);
  const best = t.slice();
  let bestM = m0;
  const x = t.slice();
  const cand = t.slice();
  res.fill(0); // s − Σ_g x_g: zero on entry (t is an exact decomposition)
  let stale = 0;
  const rounds = balanceRounds(indices.length);
  for (let round = 0; round < rounds && stale < 10; round++) {
    // One Gauss–Seidel sweep of min ½‖s − Σ_g x_g‖² over the balls: each block's exact minimizer
    // is the projection of x_g + res_g (the block's Hessian is the identity).
    for (let g = 0; g < nGroups; g++) {
      if (mask && !mask[g]) continue;
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
    // Candidate on the affine set: the residual shared equally among each feature's moving groups.
    for (let g = 0; g < nGroups; g++) {
      if (mask && !mask[g]) continue;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) cand[k] = x[k] + res[indices[k]] / cnt[indices[k]];
    }
    const m = maxRatio(st, cand);
    if (m - target < (bestM - target) * 0.99) stale = 0;
    else stale++;
    if (m < bestM) {
      bestM = m;
      best.set(cand);
    }
    if (bestM <= target) break;
  }
  t.set(best);
  return bestM;
}

/**
 * Most primal–dual iterations of {@link dualNormInterval}: each is O(Σ_g p_g + G log G), the cap
 * keeps one certificate within ~10⁸ operations.
 */
function intervalRounds(m: number): number {
  return Math.min(20000, Math.max(200, Math.floor(1e8 / Math.max(m, 1))));
}

/**
 * The dual norm ‖s‖_ov* to a relative `rtol`, as a certified interval [lower, upper]: Chambolle–Pock
 * on min_t f(t) = max_g ‖t_g‖/d_g subject to Σ_g t_g = s (K t = Σ_g t_g, ‖K‖² = max_j count_j), a
 * convex problem on which the method provably converges. Its dual is max ⟨s, w⟩ over ‖w‖_ov ≤ 1:
 * any w ≠ 0 gives the lower bound ⟨s, w⟩/‖w‖_ov, any exact decomposition the upper bound
 * max_g ‖t_g‖/d_g, so both are valid at every iteration and the run stops when they meet (or the
 * upper bound is at or under `enough`, when a better one is of no use). The prox of τf is
 * x − τ·Π(x/τ), Π the projection on the dual ball Σ_g d_g‖v_g‖ ≤ 1 (group soft-thresholding at
 * the level μ where the ball's constraint holds, found over the sorted breakpoints ‖x_g‖/d_g).
 * `t` (an exact decomposition of s) is the warm start and receives the best decomposition found.
 */
export function dualNormInterval(
  st: OverlapStructure, s: Float64Array, t: Float64Array, rtol = 1e-3, enough = 0,
): { lower: number; upper: number; iterations: number } {
  const { ptr, indices, weights, nGroups } = st.groups;
  const p = st.count.length;
  const M = indices.length;
  let upper = maxRatio(st, t);
  let lower = 0;
  if (!(upper > 0) || !Number.isFinite(upper)) return { lower: upper, upper, iterations: 0 };
  for (let g = 0; g < nGroups; g++) if (!(weights[g] > 0)) return { lower, upper, iterations: 0 };
  // Scaled so that s is of unit dual norm (about): the step sizes then suit both t and w.
  const sc = 1 / upper;
  let cmax = 0;
  for (let j = 0; j < p; j++) if (st.count[j] > cmax) cmax = st.count[j];
  const tau = 0.99 / Math.sqrt(cmax);
  const sigma = tau;
  const x = new Float64Array(M);
  for (let k = 0; k < M; k++) x[k] = sc * t[k];
  const xPrev = new Float64Array(M);
  const z = new Float64Array(M);
  const y = new Float64Array(p);
  const Kx = new Float64Array(p);
  const cand = new Float64Array(M);
  const norms = new Float64Array(nGroups);
  const order = new Int32Array(nGroups);
  const best = t.slice();
  const rounds = intervalRounds(M + nGroups);
  let it = 0;
  for (; it < rounds; it++) {
    // x ← prox_{τf}(x − τ Kᵀy) = v − τ Π(v/τ).
    xPrev.set(x);
    let ballNorm = 0;
    for (let g = 0; g < nGroups; g++) {
      let q = 0;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) {
        const v = x[k] - tau * y[indices[k]];
        z[k] = v;
        q += v * v;
      }
      norms[g] = Math.sqrt(q) / tau; // ‖(v/τ)_g‖
      ballNorm += weights[g] * norms[g];
    }
    let mu = 0;
    if (ballNorm > 1) {
      // Σ_g d_g max(‖v_g‖ − μ d_g, 0) = 1: decreasing, piecewise linear in μ.
      for (let g = 0; g < nGroups; g++) order[g] = g;
      order.sort((a, b) => norms[b] / weights[b] - norms[a] / weights[a]);
      let sumDN = 0;
      let sumDD = 0;
      for (let r = 0; r < nGroups; r++) {
        const g = order[r];
        sumDN += weights[g] * norms[g];
        sumDD += weights[g] * weights[g];
        const m = (sumDN - 1) / sumDD;
        const next = r + 1 < nGroups ? norms[order[r + 1]] / weights[order[r + 1]] : 0;
        if (m >= next) {
          mu = m;
          break;
        }
      }
    }
    for (let g = 0; g < nGroups; g++) {
      // Π(v/τ)_g = (v/τ)_g·max(0, 1 − μd_g/‖(v/τ)_g‖); x_g = v_g − τΠ(v/τ)_g.
      const keep = ballNorm > 1 ? (norms[g] > mu * weights[g] ? 1 - (mu * weights[g]) / norms[g] : 0) : 1;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) x[k] = z[k] - z[k] * keep;
    }
    // y ← y + σ(K(2x − x_prev) − s·sc).
    Kx.fill(0);
    for (let k = 0; k < M; k++) Kx[indices[k]] += 2 * x[k] - xPrev[k];
    for (const j of st.penalized) y[j] += sigma * (Kx[j] - sc * s[j]);
    if ((it & 15) !== 15 && it !== rounds - 1) continue;
    // Bounds (in the scale of s). Upper: x made exact (each feature's defect shared equally).
    Kx.fill(0);
    for (let k = 0; k < M; k++) Kx[indices[k]] += x[k];
    for (let k = 0; k < M; k++) {
      const j = indices[k];
      cand[k] = (x[k] + (sc * s[j] - Kx[j]) / st.count[j]) / sc;
    }
    const u = maxRatio(st, cand);
    if (u < upper) {
      upper = u;
      best.set(cand);
    }
    // Lower: w = −y, ⟨s, w⟩/‖w‖_ov.
    let sw = 0;
    for (const j of st.penalized) sw -= s[j] * y[j];
    let nw = 0;
    for (let g = 0; g < nGroups; g++) {
      let q = 0;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) q += y[indices[k]] * y[indices[k]];
      nw += weights[g] * Math.sqrt(q);
    }
    if (nw > 0 && sw / nw > lower) lower = sw / nw;
    if (upper - lower <= rtol * upper || upper <= enough) break;
  }
  t.set(best);
  return { lower, upper, iterations: it + 1 };
}
