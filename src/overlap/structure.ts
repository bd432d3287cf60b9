import type { Datafit } from '../datafits/datafits.ts';
import type { GroupStructure } from '../groups/groups.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { ValueError } from '../errors.ts';
import { GroupLassoPenalty } from '../penalties/penalties.ts';
import { ProblemContext } from '../solvers/problem.ts';

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
  return new ProblemContext(prob.X, prob.datafit, new GroupLassoPenalty(st.contextGroups, prob.lambda), prob.fitIntercept);
}
