import { GroupError, ValueError } from '../errors.ts';
import { makeGroups, type GroupSpec, type GroupStructure } from '../groups/groups.ts';
import { nrm2, nrm2Indexed } from '../linalg/blas.ts';
import { checkFiniteArray, checkNonNegative } from '../util/validate.ts';

/**
 * Proximal operators. Each comes as a plain function returning a new array, and as an in-place form
 * `…InPlace(out, v, …)` that writes the prox into `out` (which may be `v` itself) and returns the
 * value of the (unscaled) function at the output, as ProximalOperators.jl does. A norm of zero is
 * handled by an explicit branch, never by dividing by it.
 */

function checkDisjoint(fn: string, gs: GroupStructure): void {
  if (gs.overlapping) {
    throw new GroupError(fn, 'groups overlap: the prox of an overlapping sum has no closed form (use fitOverlappingGroupLasso)');
  }
}

/**
 * Group soft-thresholding of one contiguous block, in place: v ← (1 − t/‖v‖₂)₊ · v over
 * v[off..off+len). Returns ‖v‖₂ after the step. This is the one kernel every group-lasso prox
 * (block coordinate descent, ADMM, the group penalties) goes through.
 */
export function groupSoftThresholdBlock(v: Float64Array, len: number, t: number, off = 0): number {
  const norm = nrm2(len, v, off);
  const end = off + len;
  if (norm <= t) {
    for (let k = off; k < end; k++) v[k] = 0;
    return 0;
  }
  if (t > 0) {
    const s = 1 - t / norm;
    for (let k = off; k < end; k++) v[k] *= s;
    return norm - t;
  }
  return norm;
}

/** Soft-thresholding of one contiguous block, in place: v_k ← sign(v_k)(|v_k| − t)₊. */
export function softThresholdBlock(v: Float64Array, len: number, t: number): void {
  for (let k = 0; k < len; k++) {
    const a = v[k];
    v[k] = a > t ? a - t : a < -t ? a + t : 0;
  }
}

/**
 * Weighted group soft-thresholding, the prox of τ·Σ_g d_g‖w_g‖₂:
 *   out_g = (1 − τ d_g / ‖v_g‖₂)₊ · v_g,
 * zero when ‖v_g‖₂ ≤ τ d_g. Coordinates in no group pass through unchanged (unpenalized).
 * Returns Σ_g d_g ‖out_g‖₂ (multiply by τ for the value of τ·penalty).
 */
export function proxGroupLassoInPlace(
  out: Float64Array, v: Float64Array, gs: GroupStructure, tau: number, weights: ArrayLike<number> = gs.weights,
): number {
  if (out !== v) out.set(v);
  let value = 0;
  const { ptr, indices } = gs;
  for (let g = 0; g < gs.nGroups; g++) {
    const start = ptr[g];
    const end = ptr[g + 1];
    const d = weights[g];
    const norm = nrm2Indexed(v, indices, start, end);
    const t = tau * d;
    if (norm <= t) {
      for (let k = start; k < end; k++) out[indices[k]] = 0;
      continue;
    }
    if (t > 0) {
      const scale = 1 - t / norm;
      for (let k = start; k < end; k++) out[indices[k]] *= scale;
      value += d * (norm - t); // ‖out_g‖ = ‖v_g‖ − τ d_g exactly
    } else {
      value += d * norm;
    }
  }
  return value;
}

/**
 * Prox of τ·Σ_g d_g‖w_g‖₂ (group soft-thresholding), returning a new array.
 * `groups` is a label per coordinate, lists of member indices, or a GroupStructure; `weights`
 * defaults to d_g = √p_g. Coordinates in no group are returned unchanged.
 *
 * @example
 * proxGroupLasso([3, 4, 1, 2], [[0, 1], [2, 3]], 3, [1, 1]) // returns Float64Array [1.2, 1.6, 0, 0]
 */
export function proxGroupLasso(
  v: ArrayLike<number>, groups: GroupSpec, tau: number, weights?: ArrayLike<number>,
): Float64Array {
  const fn = 'proxGroupLasso';
  checkFiniteArray(fn, 'v', v);
  checkNonNegative(fn, 'tau', tau);
  const gs = makeGroups(groups, v.length, { ungrouped: 'unpenalized', allowOverlap: true, weights }, fn);
  checkDisjoint(fn, gs);
  const x = Float64Array.from(v);
  proxGroupLassoInPlace(x, x, gs, tau);
  return x;
}

/**
 * Soft-thresholding, the prox of τ‖w‖₁: out_i = sign(v_i)·max(|v_i| − τ, 0). Returns ‖out‖₁.
 */
export function proxL1InPlace(out: Float64Array, v: Float64Array, tau: number): number {
  let value = 0;
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (a > tau) {
      out[i] = a - tau;
      value += a - tau;
    } else if (a < -tau) {
      out[i] = a + tau;
      value -= a + tau;
    } else {
      out[i] = 0;
    }
  }
  return value;
}

/** Soft-thresholding (prox of τ‖·‖₁) returning a new array. */
export function proxL1(v: ArrayLike<number>, tau: number): Float64Array {
  checkFiniteArray('proxL1', 'v', v);
  checkNonNegative('proxL1', 'tau', tau);
  const x = Float64Array.from(v);
  proxL1InPlace(x, x, tau);
  return x;
}

/**
 * Prox of the sparse-group lasso τ·(α‖w‖₁ + (1 − α)Σ_g d_g‖w_g‖₂) on grouped coordinates:
 * soft-threshold by τα, then group-threshold by τ(1 − α)d_g (this composition is exact for this
 * sum, Friedman et al. 2010). Groups of weight 0 are unpenalized (no ℓ1 part either), as are
 * coordinates in no group. Returns α‖out‖₁ + (1 − α)Σ_g d_g‖out_g‖₂ over penalized groups.
 */
export function proxSparseGroupInPlace(
  out: Float64Array, v: Float64Array, gs: GroupStructure, tau: number, alpha: number, weights: ArrayLike<number> = gs.weights,
): number {
  if (out !== v) out.set(v);
  const { ptr, indices } = gs;
  const t1 = tau * alpha;
  let value = 0;
  for (let g = 0; g < gs.nGroups; g++) {
    const d = weights[g];
    if (d === 0) continue;
    const start = ptr[g];
    const end = ptr[g + 1];
    let l1 = 0;
    for (let k = start; k < end; k++) {
      const j = indices[k];
      const a = out[j];
      const s = a > t1 ? a - t1 : a < -t1 ? a + t1 : 0;
      out[j] = s;
      l1 += Math.abs(s);
    }
    const norm = nrm2Indexed(out, indices, start, end);
    const t2 = tau * (1 - alpha) * d;
    if (norm <= t2) {
      for (let k = start; k < end; k++) out[indices[k]] = 0;
      continue;
    }
    const scale = t2 > 0 ? 1 - t2 / norm : 1;
    if (t2 > 0) for (let k = start; k < end; k++) out[indices[k]] *= scale;
    value += alpha * l1 * scale + (1 - alpha) * d * (norm - t2);
  }
  return value;
}

/** Sparse-group prox returning a new array (see {@link proxSparseGroupInPlace}). */
export function proxSparseGroup(
  v: ArrayLike<number>, groups: GroupSpec, tau: number, alpha: number, weights?: ArrayLike<number>,
): Float64Array {
  const fn = 'proxSparseGroup';
  checkFiniteArray(fn, 'v', v);
  checkNonNegative(fn, 'tau', tau);
  checkAlpha(fn, alpha);
  const gs = makeGroups(groups, v.length, { ungrouped: 'unpenalized', allowOverlap: true, weights }, fn);
  checkDisjoint(fn, gs);
  const x = Float64Array.from(v);
  proxSparseGroupInPlace(x, x, gs, tau, alpha);
  return x;
}

export function checkAlpha(fn: string, alpha: unknown): number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new ValueError(fn, `alpha must be a number in [0, 1], got ${String(alpha)}`);
  }
  return alpha;
}

/**
 * Euclidean projection onto the ball {w : ‖w‖₂ ≤ r}: out = v·min(1, r/‖v‖₂). This is the prox of
 * the ball's indicator; returns 0 (the indicator's value at a feasible point).
 */
export function projectL2BallInPlace(out: Float64Array, v: Float64Array, radius: number): number {
  const norm = nrm2(v.length, v);
  if (norm <= radius) {
    if (out !== v) out.set(v);
    return 0;
  }
  const s = radius / norm; // norm > radius ≥ 0, so no division by zero
  for (let i = 0; i < v.length; i++) out[i] = v[i] * s;
  return 0;
}

/** Projection onto the L2 ball of radius r, returning a new array. */
export function projectL2Ball(v: ArrayLike<number>, radius: number): Float64Array {
  checkFiniteArray('projectL2Ball', 'v', v);
  checkNonNegative('projectL2Ball', 'radius', radius);
  const x = Float64Array.from(v);
  projectL2BallInPlace(x, x, radius);
  return x;
}
