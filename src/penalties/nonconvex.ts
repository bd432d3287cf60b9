import { ValueError } from '../errors.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { nrm2, nrm2Indexed } from '../linalg/blas.ts';
import { radialViolation } from './penalties.ts';
import { checkPenaltyArgs, registerPenalty, type Penalty, type PenaltyParams } from './penalty.ts';

/**
 * One piece of a radial penalty ρ on [lo, hi]: ρ(θ) = c0 + c1·θ − (c2/2)·θ² there (c2 ≥ 0: the
 * penalties here are concave in θ, with curvature at most 1/γ).
 */
interface Piece {
  lo: number;
  hi: number;
  c0: number;
  c1: number;
  c2: number;
}

/**
 * argmin_{θ ≥ 0} (L/2)(θ − u)² + ρ(θ) for a piecewise-quadratic ρ: on each piece the objective is a
 * quadratic, so its minimizer over the piece is its stationary point clamped to the piece (or an
 * end when the piece's quadratic is concave, L ≤ c2); the best over all pieces wins. For L > c2 on
 * every piece (grpreg's case: orthonormal groups, γ > 1 for MCP, γ > 2 for SCAD) the objective is
 * convex and this is grpreg's firm thresholding; for smaller L it still returns the exact
 * minimizer of the block problem.
 */
function radialProx(u: number, L: number, pieces: readonly Piece[]): number {
  let best = 0;
  let bestVal = Infinity;
  const h = (t: number, p: Piece): number => 0.5 * L * (t - u) * (t - u) + p.c0 + p.c1 * t - 0.5 * p.c2 * t * t;
  for (const p of pieces) {
    const cands = [p.lo];
    if (Number.isFinite(p.hi)) cands.push(p.hi);
    if (L > p.c2) {
      let t = (L * u - p.c1) / (L - p.c2);
      if (t < p.lo) t = p.lo;
      if (t > p.hi) t = p.hi;
      cands.push(t);
    }
    for (const t of cands) {
      const v = h(t, p);
      if (v < bestVal || (v === bestVal && t < best)) {
        bestVal = v;
        best = t;
      }
    }
  }
  return best;
}

/**
 * A nonconvex group penalty Ω(w) = Σ_g ρ(‖w_g‖₂; λd_g, γ) with ρ concave in ‖w_g‖, ρ(0) = 0 and
 * ρ'(0⁺) = λd_g (so λ_max, the strong rule and the KKT test at w_g = 0 are the group lasso's).
 * There is no duality gap: fits are certified by stationarity, the distance of −∇_g F to
 * ρ'(‖w_g‖)·w_g/‖w_g‖ (w_g ≠ 0) or to the ball of radius λd_g (w_g = 0, the Clarke subdifferential).
 */
abstract class RadialGroupPenalty implements Penalty {
  abstract readonly name: string;
  readonly lambda: number;
  readonly gamma: number;
  readonly groups: GroupStructure;
  readonly convex = false;
  readonly gapSafe = false;

  constructor(groups: GroupStructure, lambda: number, gamma: number) {
    // The concrete class names the error and sets γ's floor (grpreg: 1 for MCP, 2 for SCAD).
    const cls = new.target as unknown as { name: string; gammaFloor: number };
    checkPenaltyArgs(cls.name, groups, lambda);
    checkGamma(cls.name, gamma, NaN, cls.gammaFloor, cls.name === 'GroupScadPenalty' ? 'SCAD' : 'MCP');
    this.groups = groups;
    this.lambda = lambda;
    this.gamma = gamma;
  }

  abstract withLambda(lambda: number): Penalty;
  /** ρ(θ; l) for the group level l = λd_g. */
  protected abstract rho(theta: number, l: number): number;
  /** ρ'(θ; l) for θ > 0. */
  protected abstract drho(theta: number, l: number): number;
  /** The pieces of ρ(·; l). */
  protected abstract pieces(l: number): Piece[];

  isPenalized(g: number): boolean {
    return this.lambda > 0 && this.groups.weights[g] > 0;
  }

  groupValue(w: Float64Array, g: number): number {
    if (!this.isPenalized(g)) return 0;
    const { ptr, indices, weights } = this.groups;
    return this.rho(nrm2Indexed(w, indices, ptr[g], ptr[g + 1]), this.lambda * weights[g]);
  }

  value(w: Float64Array): number {
    let s = 0;
    for (let g = 0; g < this.groups.nGroups; g++) s += this.groupValue(w, g);
    return s;
  }

  groupProx(v: Float64Array, len: number, g: number, step: number): void {
    const u = nrm2(len, v);
    if (u === 0) return;
    const theta = radialProx(u, 1 / step, this.pieces(this.lambda * this.groups.weights[g]));
    const s = theta / u;
    for (let k = 0; k < len; k++) v[k] *= s;
  }

  proxInPlace(out: Float64Array, v: Float64Array, step: number): number {
    if (out !== v) out.set(v);
    const { ptr, indices, weights } = this.groups;
    let value = 0;
    for (let g = 0; g < this.groups.nGroups; g++) {
      if (!this.isPenalized(g)) continue;
      const u = nrm2Indexed(out, indices, ptr[g], ptr[g + 1]);
      if (u === 0) continue;
      const l = this.lambda * weights[g];
      const theta = radialProx(u, 1 / step, this.pieces(l));
      const s = theta / u;
      for (let k = ptr[g]; k < ptr[g + 1]; k++) out[indices[k]] *= s;
      value += this.rho(theta, l);
    }
    return value;
  }

  groupViolation(w: Float64Array, grad: Float64Array, g: number): number {
    const l = this.lambda * this.groups.weights[g];
    return radialViolation(w, grad, this.groups, g, this.isPenalized(g), l, (t) => this.drho(t, l));
  }

  groupDualNorm(z: Float64Array, g: number): number {
    const d = this.groups.weights[g];
    const zn = nrm2Indexed(z, this.groups.indices, this.groups.ptr[g], this.groups.ptr[g + 1]);
    if (d > 0) return zn / d;
    return zn === 0 ? 0 : Infinity;
  }

  strongRuleThreshold(lambda: number, lambdaPrev: number): number {
    // grpreg applies the group lasso's sequential strong rule to every group penalty.
    return 2 * lambda - lambdaPrev;
  }

  gapSafeScreen(): boolean {
    return false;
  }
}

/**
 * Group MCP (grpreg's `grMCP`; Breheny & Huang 2015): Ω(w) = Σ_g MCP(‖w_g‖₂; λd_g, γ) with
 *   MCP(θ; l, γ) = lθ − θ²/(2γ) for θ ≤ γl,  γl²/2 beyond,  γ > 1 (default 3).
 * Groups beyond γλd_g are not shrunk at all. Nonconvex: no duality gap, stationarity certificate.
 */
export class GroupMcpPenalty extends RadialGroupPenalty {
  static readonly gammaFloor = 1;
  readonly name = 'grMCP';
  withLambda(lambda: number): GroupMcpPenalty {
    return new GroupMcpPenalty(this.groups, lambda, this.gamma);
  }
  protected rho(theta: number, l: number): number {
    const g = this.gamma;
    return theta <= g * l ? l * theta - (theta * theta) / (2 * g) : (g * l * l) / 2;
  }
  protected drho(theta: number, l: number): number {
    return theta < this.gamma * l ? l - theta / this.gamma : 0;
  }
  protected pieces(l: number): Piece[] {
    const g = this.gamma;
    return [
      { lo: 0, hi: g * l, c0: 0, c1: l, c2: 1 / g },
      { lo: g * l, hi: Infinity, c0: (g * l * l) / 2, c1: 0, c2: 0 },
    ];
  }
}

/**
 * Group SCAD (grpreg's `grSCAD`; Fan & Li 2001 on group norms): Ω(w) = Σ_g SCAD(‖w_g‖₂; λd_g, γ),
 *   SCAD(θ; l, γ) = lθ (θ ≤ l),  (2γlθ − θ² − l²)/(2(γ − 1)) (l < θ ≤ γl),  l²(γ + 1)/2 beyond,
 * γ > 2 (default 4). Nonconvex: no duality gap, stationarity certificate.
 */
export class GroupScadPenalty extends RadialGroupPenalty {
  static readonly gammaFloor = 2;
  readonly name = 'grSCAD';
  withLambda(lambda: number): GroupScadPenalty {
    return new GroupScadPenalty(this.groups, lambda, this.gamma);
  }
  protected rho(theta: number, l: number): number {
    const g = this.gamma;
    if (theta <= l) return l * theta;
    if (theta <= g * l) return (2 * g * l * theta - theta * theta - l * l) / (2 * (g - 1));
    return (l * l * (g + 1)) / 2;
  }
  protected drho(theta: number, l: number): number {
    const g = this.gamma;
    if (theta <= l) return l;
    if (theta < g * l) return (g * l - theta) / (g - 1);
    return 0;
  }
  protected pieces(l: number): Piece[] {
    const g = this.gamma;
    return [
      { lo: 0, hi: l, c0: 0, c1: l, c2: 0 },
      { lo: l, hi: g * l, c0: -(l * l) / (2 * (g - 1)), c1: (g * l) / (g - 1), c2: 1 / (g - 1) },
      { lo: g * l, hi: Infinity, c0: (l * l * (g + 1)) / 2, c1: 0, c2: 0 },
    ];
  }
}

/** γ as grpreg checks it: a finite number above `floor` (1 for MCP, 2 for SCAD). */
function checkGamma(fn: string, value: unknown, fallback: number, floor: number, what: string): PenaltyParams {
  const gamma = value === undefined ? fallback : value;
  if (typeof gamma !== 'number' || !Number.isFinite(gamma)) throw new ValueError(fn, `gamma must be a finite number, got ${String(gamma)}`);
  if (!(gamma > floor)) throw new ValueError(fn, `gamma must be greater than ${floor} for the ${what} penalty, got ${gamma}`);
  return { gamma };
}

registerPenalty({
  name: 'grMCP', params: ['gamma'],
  checkParams: (p, fn) => checkGamma(fn, p.gamma, 3, 1, 'MCP'),
  create: (groups, lambda, params) => new GroupMcpPenalty(groups, lambda, params.gamma),
});

registerPenalty({
  name: 'grSCAD', params: ['gamma'],
  checkParams: (p, fn) => checkGamma(fn, p.gamma, 4, 2, 'SCAD'),
  create: (groups, lambda, params) => new GroupScadPenalty(groups, lambda, params.gamma),
});
