import { ValueError } from '../errors.ts';
import { isGroupStructure, type GroupStructure } from '../groups/groups.ts';

/**
 * A separable, group-structured penalty Ω over the coefficient vector (length = groups.nFeatures).
 * λ is part of Ω.
 *
 * This is the whole contract a penalty implements: solvers, the path (λ_max, strong rules, the
 * KKT check of screened groups), the certificate and block coordinate descent ask the penalty for
 * what they need and never look at its name. A new penalty is a class implementing this
 * interface plus one {@link registerPenalty} call; it is then accepted as `penalty: '<name>'` by
 * the fitting functions, the path, cross-validation, the estimator and the CLI.
 * - Value and prox: `value`, `groupValue`, `proxInPlace` (whole vector), `groupProx` (one block).
 * - Optimality: `groupViolation` (the KKT distance), `groupDualNorm` (λ_max, dual points).
 * - Screening: `strongRuleThreshold` (sequential strong rule along a path, or −∞ for none) and
 *   `gapSafeScreen` (safe elimination from a duality gap, only meaningful when `convex`).
 * - `convex`: false for nonconvex penalties (MCP, SCAD): they have no duality gap, and fits are
 *   certified by stationarity (the KKT distance) of the stated objective only.
 */
export interface Penalty {
  /** The registered name (for reports; nothing branches on it). */
  readonly name: string;
  readonly lambda: number;
  /** Disjoint groups over coefficients. */
  readonly groups: GroupStructure;
  /** Convex penalties have a duality gap; nonconvex ones are certified by stationarity alone. */
  readonly convex: boolean;
  /** The same penalty at another λ (a new object: a penalty never changes). */
  withLambda(lambda: number): Penalty;
  /** Whether group g carries a penalty (λ > 0 and d_g > 0); others are fitted exactly, unpenalized. */
  isPenalized(g: number): boolean;
  /** Ω(w). */
  value(w: Float64Array): number;
  /** Ω_g(w_g) of one group, read through the group's indices. */
  groupValue(w: Float64Array, g: number): number;
  /** out ← prox_{step·Ω}(v) on penalized groups (others copied); returns Ω(out). */
  proxInPlace(out: Float64Array, v: Float64Array, step: number): number;
  /**
   * v ← prox_{step·Ω_g}(v) for group g, its coefficients stored contiguously in v[0..len) in the
   * order of the group's indices (block coordinate descent). Only called on penalized groups.
   * `step` is 1/L_g for the block's Lipschitz constant L_g (nonconvex penalties need it for their
   * closed-form block minimizer, grpreg's firm thresholding).
   */
  groupProx(v: Float64Array, len: number, g: number, step: number): void;
  /** dist(−∇_g, ∂Ω_g(w_g)) for one group: 0 exactly when group g satisfies its optimality condition. */
  groupViolation(w: Float64Array, grad: Float64Array, g: number): number;
  /**
   * ρ_g(z) for one group with λ = 1: the smallest s ≥ 0 with z_g ∈ s·∂Ω_g(0)/λ. The dual point
   * u is feasible when max_g ρ_g(Xᵀu) ≤ λ; λ_max = max_g ρ_g(∇ at w = 0).
   */
  groupDualNorm(z: Float64Array, g: number): number;
  /**
   * Sequential strong rule: at λ (previous path point λPrev) an inactive group g is left out of
   * the fit when ρ_g(∇_g at the previous solution) < this threshold; −Infinity disables the rule.
   * The path always checks the left-out groups' optimality afterwards, so a wrong rule costs a
   * refit, never a wrong answer.
   */
  strongRuleThreshold(lambda: number, lambdaPrev: number): number;
  /**
   * Gap-safe test (Ndiaye et al. 2017): with θ·ρ_g(∇_g) the dual point's group norm and
   * `radiusBound` = ‖P⊥X_g‖_F · √(2·gap·curvature), whether group g is zero at every optimum.
   * Penalties without a safe rule return false.
   */
  gapSafeScreen(g: number, thetaDualNorm: number, radiusBound: number): boolean;
  /** Whether gapSafeScreen can ever return true (lets solvers skip the screening pass). */
  readonly gapSafe: boolean;
}

/** Parameters a penalty takes besides λ and the groups (alpha, gamma, …), already checked by the spec. */
export type PenaltyParams = Readonly<Record<string, number>>;

/** How a penalty is built, and which parameters it takes. */
export interface PenaltySpec {
  readonly name: string;
  /** Parameter names it accepts (e.g. ['alpha'], ['gamma']). */
  readonly params: readonly string[];
  /**
   * Checks the parameters (throwing a ValueError naming `fn`) and fills in defaults; returns
   * the complete parameter set.
   */
  checkParams(params: Readonly<Record<string, unknown>>, fn: string): PenaltyParams;
  create(groups: GroupStructure, lambda: number, params: PenaltyParams): Penalty;
}

const penalties = new Map<string, PenaltySpec>();
const aliases = new Map<string, string>();

/**
 * Make a penalty available under `spec.name` (and any `aliases`, e.g. grpreg's names).
 *
 * @example
 * registerPenalty({ name: 'myPenalty', params: [], checkParams: () => ({}), create: (gs, lam) => new MyPenalty(gs, lam) });
 */
export function registerPenalty(spec: PenaltySpec, alias: readonly string[] = []): void {
  if (!spec || typeof spec.name !== 'string' || spec.name === '' || typeof spec.create !== 'function') {
    throw new ValueError('registerPenalty', 'a penalty needs a non-empty name and a create function');
  }
  penalties.set(spec.name, spec);
  for (const a of alias) aliases.set(a, spec.name);
}

/** Names (and aliases) accepted by the `penalty` option. */
export function penaltyNames(): string[] {
  return [...penalties.keys(), ...aliases.keys()];
}

/** The registered penalty of this name or alias, or undefined. */
export function getPenalty(name: string): PenaltySpec | undefined {
  return penalties.get(aliases.get(name) ?? name);
}

/**
 * The arguments every penalty class takes, checked when one is built directly (O(1): once per λ
 * along a path, never per iteration): a GroupStructure and a finite λ ≥ 0.
 */
export function checkPenaltyArgs(fn: string, groups: unknown, lambda: unknown): void {
  if (!isGroupStructure(groups)) throw new ValueError(fn, 'groups must be a GroupStructure (from makeGroups)');
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) {
    throw new ValueError(fn, `lambda must be a finite number ≥ 0, got ${String(lambda)}`);
  }
}
