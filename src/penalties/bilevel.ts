import { ValueError } from '../errors.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { checkPenaltyArgs, registerPenalty, type Penalty, type PenaltyParams } from './penalty.ts';

/**
 * A bi-level group penalty (grpreg's `cMCP` and `gel`): Ω(w) = Σ_g P_g(|w_g|) with P_g concave and
 * nondecreasing in each |w_j| and rate c_j = ∂P_g/∂|w_j| ≥ 0 continuous, c_j = λd_g at w_g = 0. It
 * selects groups and coefficients inside them; it is not radial, so each coefficient has its own
 * subdifferential: c_j·sign(w_j) for w_j ≠ 0, [−c_j, c_j] for w_j = 0 (Clarke; P_g is C¹ in |w|
 * and only |·| is not smooth). There is no duality gap: fits are certified by stationarity, the
 * KKT distance of the stated objective.
 *
 * The block problem min_θ (L/2)‖θ − v‖² + P_g(θ) has no closed form. Because P_g is concave in
 * |θ|, its tangent at |θ⁰| majorizes it; minimizing the majorizer is the soft-threshold
 * θ = S(v, c(θ⁰)/L) (grpreg's local linear approximation). Repeating this is a majorize–minimize
 * descent whose fixed points are exactly the block problem's stationary points; it is run from two
 * starts (the group lasso's shrinkage and v itself) and the lower block objective is kept.
 */
abstract class BilevelGroupPenalty implements Penalty {
  abstract readonly name: string;
  readonly lambda: number;
  readonly groups: GroupStructure;
  readonly convex = false;
  readonly gapSafe = false;
  private buf = new Float64Array(0);
  private rates = new Float64Array(0);
  private cand = new Float64Array(0);
  private keep = new Float64Array(0);

  constructor(groups: GroupStructure, lambda: number) {
    checkPenaltyArgs(new.target.name, groups, lambda);
    this.groups = groups;
    this.lambda = lambda;
  }

  abstract withLambda(lambda: number): Penalty;
  /** P_g of the block a[0..len) (signs ignored), at level l = λd_g. */
  protected abstract blockValue(a: Float64Array, len: number, l: number): number;
  /** rates[j] ← ∂P_g/∂|a_j| at the block a[0..len), level l. */
  protected abstract blockRates(a: Float64Array, len: number, l: number, rates: Float64Array): void;

  isPenalized(g: number): boolean {
    return this.lambda > 0 && this.groups.weights[g] > 0;
  }

  private scratch(len: number): void {
    if (this.buf.length < len) {
      this.buf = new Float64Array(len);
      this.rates = new Float64Array(len);
      this.cand = new Float64Array(len);
      this.keep = new Float64Array(len);
    }
  }

  /** Copies group g of w into the scratch block; returns its length. */
  private gather(w: Float64Array, g: number): number {
    const { ptr, indices } = this.groups;
    const len = ptr[g + 1] - ptr[g];
    this.scratch(len);
    for (let k = 0; k < len; k++) this.buf[k] = w[indices[ptr[g] + k]];
    return len;
  }

  groupValue(w: Float64Array, g: number): number {
    if (!this.isPenalized(g)) return 0;
    const len = this.gather(w, g);
    return this.blockValue(this.buf, len, this.lambda * this.groups.weights[g]);
  }

  value(w: Float64Array): number {
    let s = 0;
    for (let g = 0; g < this.groups.nGroups; g++) s += this.groupValue(w, g);
    return s;
  }

  groupProx(v: Float64Array, len: number, g: number, step: number): void {
    const l = this.lambda * this.groups.weights[g];
    const L = 1 / step;
    this.scratch(len);
    // v0 keeps v; cand holds the current iterate.
    const v0 = this.keep;
    for (let k = 0; k < len; k++) v0[k] = v[k];
    const cand = this.cand;
    // Start 1: the group lasso's shrinkage S(v, l/L) (the tangent at 0).
    for (let k = 0; k < len; k++) cand[k] = softThreshold(v0[k], l / L);
    const h1 = this.mmDescent(v0, cand, len, l, L);
    // Keep it in v while start 2 (v itself) runs.
    for (let k = 0; k < len; k++) v[k] = cand[k];
    for (let k = 0; k < len; k++) cand[k] = v0[k];
    const h2 = this.mmDescent(v0, cand, len, l, L);
    if (h2 < h1) for (let k = 0; k < len; k++) v[k] = cand[k];
  }

  /**
   * Majorize–minimize on (L/2)‖θ − v‖² + P_g(θ) from θ = cand (in place) until θ stops moving (to
   * rounding) or 1000 rounds; returns the block objective at the end. Each round lowers it.
   */
  private mmDescent(v: Float64Array, cand: Float64Array, len: number, l: number, L: number): number {
    const rates = this.rates;
    let scale = 0;
    for (let k = 0; k < len; k++) scale = Math.max(scale, Math.abs(v[k]));
    for (let it = 0; it < 1000; it++) {
      this.blockRates(cand, len, l, rates);
      let moved = 0;
      for (let k = 0; k < len; k++) {
        const t = softThreshold(v[k], rates[k] / L);
        moved = Math.max(moved, Math.abs(t - cand[k]));
        cand[k] = t;
      }
      if (moved <= 1e-15 * scale) break;
    }
    let q = 0;
    for (let k = 0; k < len; k++) q += (cand[k] - v[k]) ** 2;
    return 0.5 * L * q + this.blockValue(cand, len, l);
  }

  proxInPlace(out: Float64Array, v: Float64Array, step: number): number {
    if (out !== v) out.set(v);
    const { ptr, indices, nGroups } = this.groups;
    let value = 0;
    let block = new Float64Array(0);
    for (let g = 0; g < nGroups; g++) {
      if (!this.isPenalized(g)) continue;
      const len = ptr[g + 1] - ptr[g];
      if (block.length < len) block = new Float64Array(len);
      for (let k = 0; k < len; k++) block[k] = out[indices[ptr[g] + k]];
      this.groupProx(block, len, g, step);
      for (let k = 0; k < len; k++) out[indices[ptr[g] + k]] = block[k];
      value += this.blockValue(block, len, this.lambda * this.groups.weights[g]);
    }
    return value;
  }

  groupViolation(w: Float64Array, grad: Float64Array, g: number): number {
    const { ptr, indices } = this.groups;
    const start = ptr[g];
    const end = ptr[g + 1];
    let s = 0;
    if (!this.isPenalized(g)) {
      for (let k = start; k < end; k++) s += grad[indices[k]] ** 2;
      return Math.sqrt(s);
    }
    const len = this.gather(w, g);
    this.blockRates(this.buf, len, this.lambda * this.groups.weights[g], this.rates);
    for (let k = 0; k < len; k++) {
      const j = indices[start + k];
      const c = this.rates[k];
      const wj = w[j];
      if (wj !== 0) {
        const r = grad[j] + c * Math.sign(wj);
        s += r * r;
      } else {
        const a = Math.abs(grad[j]);
        if (a > c) s += (a - c) * (a - c);
      }
    }
    return Math.sqrt(s);
  }

  /** At w_g = 0 the subdifferential is the box λd_g·[−1, 1]^p_g: ρ_g(z) = ‖z_g‖_∞ / d_g (grpreg's maxprod). */
  groupDualNorm(z: Float64Array, g: number): number {
    const { ptr, indices, weights } = this.groups;
    let m = 0;
    for (let k = ptr[g]; k < ptr[g + 1]; k++) m = Math.max(m, Math.abs(z[indices[k]]));
    const d = weights[g];
    if (d > 0) return m / d;
    return m === 0 ? 0 : Infinity;
  }

  strongRuleThreshold(lambda: number, lambdaPrev: number): number {
    // The lasso's sequential strong rule on the group's box at 0; the path checks left-out groups.
    return 2 * lambda - lambdaPrev;
  }

  gapSafeScreen(): boolean {
    return false;
  }
}

function softThreshold(x: number, t: number): number {
  return x > t ? x - t : x < -t ? x + t : 0;
}

/** MCP(θ; l, a) = lθ − θ²/(2a) for θ ≤ al, al²/2 beyond (θ ≥ 0). */
function mcp(theta: number, l: number, a: number): number {
  return theta <= a * l ? l * theta - (theta * theta) / (2 * a) : (a * l * l) / 2;
}

/** MCP'(θ; l, a) = (l − θ/a)₊. */
function dmcp(theta: number, l: number, a: number): number {
  return theta < a * l ? l - theta / a : 0;
}

/**
 * Composite MCP (grpreg's `cMCP`; Breheny & Huang 2009): an outer MCP of the sum of inner MCPs,
 *   P_g(w_g) = MCP(Σ_j MCP(|w_j|; √l, γ); √l, p_g·γ·√l/2),  l = λd_g,  γ > 1 (default 3),
 * grpreg's scaling (src/lcdfit_gaussian.c): the rate at w_g = 0 is √l·√l = l, and the outer MCP
 * saturates exactly when every inner one does. Nonconvex: stationarity certificate, no gap.
 */
export class CompositeMcpPenalty extends BilevelGroupPenalty {
  readonly name = 'cMCP';
  readonly gamma: number;
  constructor(groups: GroupStructure, lambda: number, gamma: number) {
    super(groups, lambda);
    if (typeof gamma !== 'number' || !(gamma > 1) || !Number.isFinite(gamma)) {
      throw new ValueError('CompositeMcpPenalty', `gamma must be a finite number greater than 1, got ${String(gamma)}`);
    }
    this.gamma = gamma;
  }
  withLambda(lambda: number): CompositeMcpPenalty {
    return new CompositeMcpPenalty(this.groups, lambda, this.gamma);
  }
  protected blockValue(a: Float64Array, len: number, l: number): number {
    const li = Math.sqrt(l);
    let s = 0;
    for (let k = 0; k < len; k++) s += mcp(Math.abs(a[k]), li, this.gamma);
    return mcp(s, li, (len * this.gamma * li) / 2);
  }
  protected blockRates(a: Float64Array, len: number, l: number, rates: Float64Array): void {
    const li = Math.sqrt(l);
    let s = 0;
    for (let k = 0; k < len; k++) s += mcp(Math.abs(a[k]), li, this.gamma);
    const outer = dmcp(s, li, (len * this.gamma * li) / 2);
    for (let k = 0; k < len; k++) rates[k] = outer * dmcp(Math.abs(a[k]), li, this.gamma);
  }
}

/**
 * Group exponential lasso (grpreg's `gel`; Breheny 2015):
 *   P_g(w_g) = (l²/τ)·(1 − exp(−τ‖w_g‖₁/l)),  l = λd_g,  τ ∈ (0, 1] (default 1/3),
 * with rate l·exp(−τ‖w_g‖₁/l) for every member: small τ is close to the group lasso on ‖·‖₁
 * (the lasso), larger τ lets a group's members enter more easily once one has. Nonconvex.
 */
export class GroupExpLassoPenalty extends BilevelGroupPenalty {
  readonly name = 'gel';
  readonly tau: number;
  constructor(groups: GroupStructure, lambda: number, tau: number) {
    super(groups, lambda);
    if (typeof tau !== 'number' || !(tau > 0 && tau <= 1)) throw new ValueError('GroupExpLassoPenalty', `tau must be in (0, 1], got ${String(tau)}`);
    this.tau = tau;
  }
  withLambda(lambda: number): GroupExpLassoPenalty {
    return new GroupExpLassoPenalty(this.groups, lambda, this.tau);
  }
  protected blockValue(a: Float64Array, len: number, l: number): number {
    let s = 0;
    for (let k = 0; k < len; k++) s += Math.abs(a[k]);
    // −expm1 keeps the small-‖w_g‖ end exact (l·‖w_g‖₁ to first order).
    return ((l * l) / this.tau) * -Math.expm1((-this.tau * s) / l);
  }
  protected blockRates(a: Float64Array, len: number, l: number, rates: Float64Array): void {
    let s = 0;
    for (let k = 0; k < len; k++) s += Math.abs(a[k]);
    const c = l * Math.exp((-this.tau * s) / l);
    for (let k = 0; k < len; k++) rates[k] = c;
  }
}

function finiteParam(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValueError(fn, `${name} must be a finite number, got ${String(value)}`);
  return value;
}

registerPenalty({
  name: 'cMCP', params: ['gamma'],
  checkParams: (p, fn): PenaltyParams => {
    const gamma = finiteParam(fn, 'gamma', p.gamma ?? 3);
    if (!(gamma > 1)) throw new ValueError(fn, `gamma must be greater than 1 for the composite MCP penalty, got ${gamma}`);
    return { gamma };
  },
  create: (groups, lambda, params) => new CompositeMcpPenalty(groups, lambda, params.gamma),
});

registerPenalty({
  name: 'gel', params: ['tau'],
  checkParams: (p, fn): PenaltyParams => {
    const tau = finiteParam(fn, 'tau', p.tau ?? 1 / 3);
    // τ ≤ 0 is no penalty of this form. In one coordinate P_g has curvature −τ·exp(−τ‖w_g‖₁/l) ≥ −τ,
    // so τ ≤ 1 keeps each coordinate problem convex on standardized columns (grpreg's setting).
    if (!(tau > 0 && tau <= 1)) throw new ValueError(fn, `tau must be in (0, 1] for the group exponential lasso, got ${tau}`);
    return { tau };
  },
  create: (groups, lambda, params) => new GroupExpLassoPenalty(groups, lambda, params.tau),
});
