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
