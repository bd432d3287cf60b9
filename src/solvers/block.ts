import { largestEigenvalueSpd } from '../linalg/eigen.ts';
import type { Penalty } from '../penalties/penalty.ts';
import type { ColumnAccess } from '../linalg/operator.ts';

/**
 * One block prox-gradient step on group g of the penalty's structure, in place on the stacked
 * coefficients w (entry k of the block is w[indices[ptr[g] + k]]):
 *
 *   w_g ← prox_{Ω_g/L}(w_g − grad/L)        (no prox for an unpenalized block),
 *
 * the step of block coordinate descent (L a block Lipschitz bound) and of proximal Newton's inner
 * model (L the block's curvature). When L ≤ 0 the block does not touch the (model) loss: a
 * penalized block's minimizer is then 0, an unpenalized one keeps its value. `d` receives the
 * change of the block and `v` is work space (both of the block's length); `grad` may be `v`.
 * Returns max_k |d_k| (0 when nothing moved).
 */
export function blockProxStep(
  pen: Penalty, g: number, w: Float64Array, grad: Float64Array, L: number, penalized: boolean,
  v: Float64Array, d: Float64Array,
): number {
  const { ptr, indices } = pen.groups;
  const s = ptr[g];
  const m = ptr[g + 1] - s;
  let moved = 0;
  if (!(L > 0)) {
    for (let k = 0; k < m; k++) {
      const c = indices[s + k];
      d[k] = penalized ? -w[c] : 0;
      if (penalized) w[c] = 0;
      if (Math.abs(d[k]) > moved) moved = Math.abs(d[k]);
    }
    return moved;
  }
  for (let k = 0; k < m; k++) v[k] = w[indices[s + k]] - grad[k] / L;
  if (penalized) pen.groupProx(v, m, g, 1 / L);
  for (let k = 0; k < m; k++) {
    const c = indices[s + k];
    d[k] = v[k] - w[c];
    if (Math.abs(d[k]) > moved) moved = Math.abs(d[k]);
    w[c] = v[k];
  }
  return moved;
}

/** How far from a multiple of the identity a block's Gram matrix may be and still count as orthogonal. */
const ORTHOGONAL_TOL = 1e-10;

/**
 * A sure upper bound on the largest eigenvalue of a block's Gram matrix M (m × m, symmetric
 * positive semidefinite, row-major), the `L` of {@link blockProxStep} once scaled by the loss
 * curvature. When M is c·I up to rounding — the orthonormal groups grpreg builds (X_gᵀX_g/n = I) —
 * the Gershgorin bound max_a (M_aa + Σ_{b≠a} |M_ab|) is used: sure, and equal to c to rounding, so
 * for the squared loss the block step is the exact minimizer over the block (grpreg's closed-form
 * group descent) rather than a step 1 + 1e-6 times too short, and no power iteration runs.
 * Otherwise the power-iteration bound of largestEigenvalueSpd. `orthogonal` says which.
 */
export function blockGramBound(M: Float64Array, m: number): { bound: number; orthogonal: boolean } {
  let dmin = Infinity, dmax = 0, off = 0, gersh = 0;
  for (let a = 0; a < m; a++) {
    const d = M[a * m + a];
    let r = 0;
    for (let b = 0; b < m; b++) if (b !== a) r += Math.abs(M[a * m + b]);
    dmin = Math.min(dmin, d);
    dmax = Math.max(dmax, d);
    off = Math.max(off, r);
    gersh = Math.max(gersh, d + r);
  }
  if (dmax > 0 && dmax - dmin <= ORTHOGONAL_TOL * dmax && off <= ORTHOGONAL_TOL * dmax) return { bound: gersh, orthogonal: true };
  return { bound: largestEigenvalueSpd(M, m), orthogonal: false };
}

/**
 * Passes over the data that forming every block's Gram matrix may cost (n·Σ_g p_g² against n·p)
 * for the working-set solvers that need them to be chosen by 'auto'. A categorical of 5000 levels
 * is one block of 4999 columns: its Gram took minutes per fold (n·p_g² ≈ 1.2e11 operations) before
 * the first block step, where FISTA's power iteration over X costs a few passes.
 */
const BLOCK_GRAM_PASSES = 256;

/**
 * Whether the block Gram matrices of these groups cost at most {@link BLOCK_GRAM_PASSES} passes over the data.
 * With `cols`, a block its storage reports as disjoint (a dummy block in CSC) costs nothing: its Gram
 * matrix is the diagonal of its squared column norms (see {@link disjointBlockBound}).
 */
export function blockGramsAffordable(groups: { nGroups: number; ptr: Int32Array; indices: Int32Array }, p: number, cols?: ColumnAccess): boolean {
  let cost = 0;
  for (let g = 0; g < groups.nGroups; g++) {
    const m = groups.ptr[g + 1] - groups.ptr[g];
    if (m > 1 && !(cols?.disjointBlock && cols.disjointBlock(groups.indices, groups.ptr[g], groups.ptr[g + 1]))) cost += m * m;
  }
  return cost <= BLOCK_GRAM_PASSES * Math.max(p, 1);
}

/**
 * A sure upper bound on the largest eigenvalue of a disjoint block's Gram matrix, centred or not:
 * X_gᵀX_g = diag(‖x_j‖²) when the columns' supports are disjoint, and centring subtracts the
 * positive semidefinite n·μ_gμ_gᵀ, so max_j ‖x_j‖² bounds both. For standardized dummies it is
 * n/(1 − p_j) at the most frequent level against the centred block's ≈ n: a step that much short
 * of the block minimizer, for O(nnz) instead of an m × m Gram matrix.
 */
export function disjointBlockBound(cols: ColumnAccess, idx: Int32Array, start: number, end: number): number {
  let top = 0;
  for (let k = start; k < end; k++) top = Math.max(top, cols.normSq(idx[k]));
  return top;
}
