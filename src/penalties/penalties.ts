import type { GroupStructure } from '../groups/groups.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import { checkAlpha, groupSoftThresholdBlock, proxGroupLassoInPlace, proxSparseGroupInPlace, softThresholdBlock } from '../prox/prox.ts';
import { checkPenaltyArgs, registerPenalty, type Penalty } from './penalty.ts';

export { registerPenalty, penaltyNames, getPenalty, type Penalty, type PenaltySpec, type PenaltyParams } from './penalty.ts';

/**
 * Weighted group lasso Ω(w) = λ Σ_g d_g ‖w_g‖₂ (d_g from the group structure, √p_g by default).
 * Subdifferential of group g: λd_g·w_g/‖w_g‖ if w_g ≠ 0, the ball of radius λd_g otherwise.
 */
export class GroupLassoPenalty implements Penalty {
  readonly name = 'groupLasso' as const;
  readonly lambda: number;
  readonly groups: GroupStructure;
  readonly convex = true;
  readonly gapSafe = true;
  constructor(groups: GroupStructure, lambda: number) {
    checkPenaltyArgs('GroupLassoPenalty', groups, lambda);
    this.groups = groups;
    this.lambda = lambda;
  }
  withLambda(lambda: number): GroupLassoPenalty {
    return new GroupLassoPenalty(this.groups, lambda);
  }
  groupValue(w: Float64Array, g: number): number {
    const d = this.groups.weights[g];
    return d > 0 ? this.lambda * d * nrm2Indexed(w, this.groups.indices, this.groups.ptr[g], this.groups.ptr[g + 1]) : 0;
  }
  groupProx(v: Float64Array, len: number, g: number, step: number): void {
    groupSoftThresholdBlock(v, len, step * this.lambda * this.groups.weights[g]);
  }
  strongRuleThreshold(lambda: number, lambdaPrev: number): number {
    return 2 * lambda - lambdaPrev;
  }
  gapSafeScreen(g: number, thetaDualNorm: number, radiusBound: number): boolean {
    const d = this.groups.weights[g];
    // A relative margin: at an optimum an active group sits at ‖X_gᵀθ‖ = λd_g exactly, and
    // rounding must not push it under the threshold.
    return thetaDualNorm * d + radiusBound < this.lambda * d * (1 - 1e-12);
  }
  isPenalized(g: number): boolean {
    return this.lambda > 0 && this.groups.weights[g] > 0;
  }
  value(w: Float64Array): number {
    const { ptr, indices, weights } = this.groups;
    let s = 0;
    for (let g = 0; g < this.groups.nGroups; g++) {
      if (weights[g] > 0) s += weights[g] * nrm2Indexed(w, indices, ptr[g], ptr[g + 1]);
    }
    return this.lambda * s;
  }
  proxInPlace(out: Float64Array, v: Float64Array, step: number): number {
    return this.lambda * proxGroupLassoInPlace(out, v, this.groups, step * this.lambda);
  }
  groupViolation(w: Float64Array, grad: Float64Array, g: number): number {
    const l = this.lambda * this.groups.weights[g];
    return radialViolation(w, grad, this.groups, g, this.isPenalized(g), l, () => l);
  }

  groupDualNorm(z: Float64Array, g: number): number {
    const d = this.groups.weights[g];
    const zn = nrm2Indexed(z, this.groups.indices, this.groups.ptr[g], this.groups.ptr[g + 1]);
    if (d > 0) return zn / d;
    return zn === 0 ? 0 : Infinity;
  }
}

/**
 * Sparse-group lasso Ω(w) = λ [α‖w‖₁ + (1 − α) Σ_g d_g‖w_g‖₂] (Simon et al. 2013), α ∈ [0, 1].
 * Groups of weight 0 are unpenalized altogether (no ℓ1 part either).
 */
export class SparseGroupLassoPenalty implements Penalty {
  readonly name = 'sparseGroupLasso' as const;
  readonly lambda: number;
  readonly alpha: number;
  readonly groups: GroupStructure;
  readonly convex = true;
  /** The gap-safe sphere test for this penalty needs the sparse-group dual norm of a ball: not implemented. */
  readonly gapSafe = false;
  private scratch: Float64Array = new Float64Array(0);
  constructor(groups: GroupStructure, lambda: number, alpha: number) {
    checkPenaltyArgs('SparseGroupLassoPenalty', groups, lambda);
    checkAlpha('SparseGroupLassoPenalty', alpha);
    this.groups = groups;
    this.lambda = lambda;
    this.alpha = alpha;
  }
  withLambda(lambda: number): SparseGroupLassoPenalty {
    return new SparseGroupLassoPenalty(this.groups, lambda, this.alpha);
  }
  groupValue(w: Float64Array, g: number): number {
    const { ptr, indices, weights } = this.groups;
    if (!(weights[g] > 0)) return 0;
    let l1 = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) l1 += Math.abs(w[indices[k]]);
    return this.lambda * (this.alpha * l1 + (1 - this.alpha) * weights[g] * nrm2Indexed(w, indices, ptr[g], ptr[g + 1]));
  }
  groupProx(v: Float64Array, len: number, g: number, step: number): void {
    // Soft-threshold then group-threshold: exact for this sum (Friedman et al. 2010).
    softThresholdBlock(v, len, step * this.lambda * this.alpha);
    groupSoftThresholdBlock(v, len, step * this.lambda * (1 - this.alpha) * this.groups.weights[g]);
  }
  strongRuleThreshold(lambda: number, lambdaPrev: number): number {
    // ρ_g is the sparse-group dual norm, so the rule ρ_g(∇_g) ≥ 2λ − λPrev is Simon et al.'s.
    return 2 * lambda - lambdaPrev;
  }
  gapSafeScreen(): boolean {
    return false;
  }
  isPenalized(g: number): boolean {
    return this.lambda > 0 && this.groups.weights[g] > 0;
  }
  value(w: Float64Array): number {
    const { ptr, indices, weights } = this.groups;
    let s = 0;
    for (let g = 0; g < this.groups.nGroups; g++) {
      if (!(weights[g] > 0)) continue;
      let l1 = 0;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) l1 += Math.abs(w[indices[k]]);
      s += this.alpha * l1 + (1 - this.alpha) * weights[g] * nrm2Indexed(w, indices, ptr[g], ptr[g + 1]);
    }
    return this.lambda * s;
  }
  proxInPlace(out: Float64Array, v: Float64Array, step: number): number {
    return this.lambda * proxSparseGroupInPlace(out, v, this.groups, step * this.lambda, this.alpha);
  }
  groupViolation(w: Float64Array, grad: Float64Array, g: number): number {
    const { ptr, indices } = this.groups;
    const start = ptr[g];
    const end = ptr[g + 1];
    if (!this.isPenalized(g)) return nrm2Indexed(grad, indices, start, end);
    const l1 = this.lambda * this.alpha;
    const l2 = this.lambda * (1 - this.alpha) * this.groups.weights[g];
    const wn = nrm2Indexed(w, indices, start, end);
    let s = 0;
    if (wn === 0) {
      // −∇_g must lie in l1·[−1,1]^|g| + l2·Ball: distance = (‖S(∇_g, l1)‖ − l2)₊.
      for (let k = start; k < end; k++) {
        const a = Math.abs(grad[indices[k]]);
        if (a > l1) s += (a - l1) * (a - l1);
      }
      const st = Math.sqrt(s);
      return st > l2 ? st - l2 : 0;
    }
    const c = l2 / wn;
    for (let k = start; k < end; k++) {
      const j = indices[k];
      const wj = w[j];
      if (wj !== 0) {
        const r = grad[j] + l1 * Math.sign(wj) + c * wj;
        s += r * r;
      } else {
        const a = Math.abs(grad[j]);
        if (a > l1) s += (a - l1) * (a - l1);
      }
    }
    return Math.sqrt(s);
  }
  groupDualNorm(z: Float64Array, g: number): number {
    const { ptr, indices } = this.groups;
    const d = this.groups.weights[g];
    const m = ptr[g + 1] - ptr[g];
    if (this.scratch.length < m) this.scratch = new Float64Array(m);
    const a = this.scratch.subarray(0, m);
    for (let k = 0; k < m; k++) a[k] = Math.abs(z[indices[ptr[g] + k]]);
    if (!(d > 0)) {
      for (let k = 0; k < m; k++) if (a[k] !== 0) return Infinity;
      return 0;
    }
    return sparseGroupDualNorm(a, this.alpha, d);
  }
}

/**
 * KKT distance of a radial group penalty ρ(‖w_g‖) with ρ'(0⁺) = `atZero`: dist(−∇_g, ρ'(‖w_g‖)·w_g/‖w_g‖)
 * for w_g ≠ 0, (‖∇_g‖ − atZero)₊ at w_g = 0 (the ball of the (Clarke) subdifferential), ‖∇_g‖
 * for an unpenalized group. Shared by the group lasso (ρ' = λd_g) and the nonconvex penalties.
 */
export function radialViolation(
  w: Float64Array, grad: Float64Array, gs: GroupStructure, g: number, penalized: boolean, atZero: number,
  slope: (norm: number) => number,
): number {
  const { ptr, indices } = gs;
  const start = ptr[g];
  const end = ptr[g + 1];
  const gn = nrm2Indexed(grad, indices, start, end);
  if (!penalized) return gn;
  const wn = nrm2Indexed(w, indices, start, end);
  if (wn === 0) return gn > atZero ? gn - atZero : 0;
  const c = slope(wn) / wn;
  let s = 0;
  for (let k = start; k < end; k++) {
    const j = indices[k];
    const r = grad[j] + c * w[j];
    s += r * r;
  }
  return Math.sqrt(s);
}

/**
 * Smallest s ≥ 0 with ‖S(a, sα)‖₂ ≤ s(1 − α)d, for a ≥ 0 (modified in place: sorted descending).
 * The left side minus the right decreases in s; on the segment where the top-k entries are above
 * the threshold it is a quadratic, solved in closed form.
 */
export function sparseGroupDualNorm(a: Float64Array, alpha: number, d: number): number {
  const m = a.length;
  const c = (1 - alpha) * d;
  if (alpha === 0) {
    let s = 0;
    for (let k = 0; k < m; k++) s += a[k] * a[k];
    return Math.sqrt(s) / c;
  }
  a.sort();
  a.reverse();
  if (a[0] === 0) return 0;
  if (c === 0) return a[0] / alpha;
  let S1 = 0;
  let S2 = 0;
  // Welford's running mean and M2 = Σ(a_i − mean)², so that S1² − k·S2 = −k·M2 has no cancellation.
  let mean = 0;
  let M2 = 0;
  for (let k = 1; k <= m; k++) {
    const ak = a[k - 1];
    S1 += ak;
    S2 += ak * ak;
    const delta = ak - mean;
    mean += delta / k;
    M2 += delta * (ak - mean);
    // Left end of the segment where exactly the top-k entries exceed sα: s = a_{k+1}/α, i.e. sα = a_{k+1}
    // (written through t = sα so that a tiny α cannot overflow s²α²).
    const t = k < m ? a[k] : 0;
    const sLeft = t / alpha;
    // f(sLeft) with the top-k active: sqrt(Σ (a_i − t)²) − c·s.
    const q = S2 - 2 * t * S1 + k * t * t;
    if (Math.sqrt(Math.max(q, 0)) - c * sLeft >= 0) {
      // Roots of (kα² − c²)s² − 2αS1·s + S2 = 0; discriminant/4 = α²S1² − (kα² − c²)S2 = c²S2 − α²k·M2.
      const disc = Math.max(c * c * S2 - alpha * alpha * k * M2, 0);
      let s = S2 / (alpha * S1 + Math.sqrt(disc));
      const sRight = a[k - 1] / alpha;
      if (s < sLeft) s = sLeft;
      if (s > sRight) s = sRight;
      return s;
    }
  }
  return 0; // unreachable: f(0) = ‖a‖ ≥ 0
}

registerPenalty({
  name: 'groupLasso', params: [],
  checkParams: () => ({}),
  create: (groups, lambda) => new GroupLassoPenalty(groups, lambda),
}, ['grLasso']);

registerPenalty({
  name: 'sparseGroupLasso', params: ['alpha'],
  checkParams: (p, fn) => ({ alpha: checkAlpha(fn, p.alpha ?? 0.5) }),
  create: (groups, lambda, params) => new SparseGroupLassoPenalty(groups, lambda, params.alpha),
}, ['sgl']);
