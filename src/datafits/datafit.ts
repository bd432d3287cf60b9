import { ValueError } from '../errors.ts';

/**
 * Names of the registered losses. The built-in ones are listed for editors; any name given to
 * {@link registerLoss} is accepted as well.
 */
export type LossName = 'squared' | 'logistic' | 'poisson' | 'multitask' | (string & {});

/**
 * A smooth loss F(η) of the linear predictor η = Xw + b (length n·T, column-major n × T).
 * Every datafit is a mean over samples, so λ means the same thing whatever n is.
 *
 * This is the whole contract a loss implements: the solvers, the path, cross-validation, the
 * information criteria and the estimator ask the datafit for what they need and never look at its
 * name. A new loss is a class implementing this interface plus one {@link registerLoss} call; it is
 * then accepted as `loss: '<name>'` by every fitting function, the estimator and the CLI.
 * - Solvers: `value`, `valueGrad`, `gradient`, `hessianDiag`, `curvature` (finite curvature lets
 *   block coordinate descent and the fixed-step solvers run; Infinity makes them back-track or
 *   refuse), `quadratic`, and `dualValue` for the duality gap.
 * - Cross-validation: `subset` (the training and held-out rows), `rowLosses` and `heldOutMetric`,
 *   `strata` (stratified folds).
 * - Information criteria: `logLikelihood`.
 * - Estimator: `nullPredictor` (the null model of the deviance explained); the inverse link
 *   (predictions on the response scale) is the loss's, in its {@link LossSpec}, since it needs no data.
 * - Problem validation: the constructor checks the response (throwing a ValueError naming `fn`),
 *   `interceptObstacle` says why an intercept-only fit would have no finite optimum.
 */
export interface Datafit {
  readonly name: LossName;
  /** Number of samples n. */
  readonly n: number;
  /** Number of tasks T (columns of the response). */
  readonly T: number;
  /** The response, column-major n × T (owned by the datafit, never the caller's array). */
  readonly y: Float64Array;
  /** F(η). */
  value(eta: Float64Array): number;
  /** out ← ∇F(η); returns F(η). */
  valueGrad(eta: Float64Array, out: Float64Array): number;
  /** out ← ∇F(η) (no value: what coordinate-wise solvers need at every block step). */
  gradient(eta: Float64Array, out: Float64Array): void;
  /** out ← diagonal of ∇²F(η) (F is separable, so this is the whole Hessian). */
  hessianDiag(eta: Float64Array, out: Float64Array): void;
  /** A global bound on the diagonal of ∇²F (1/n squared, 1/(4n) logistic); Infinity when none (Poisson). */
  readonly curvature: number;
  /**
   * Dual objective −F*(u) at a dual point u (length n·T); −Infinity when u is outside dom F*.
   * Points a hair outside the domain (rounding) are clamped onto it.
   */
  dualValue(u: Float64Array): number;
  /**
   * True when the quadratic upper bound F(η + δ) ≤ F(η) + ⟨∇F(η), δ⟩ + (1/2)·curvature·‖δ‖² is an
   * identity (squared loss), so backtracking can test it without cancellation and the unpenalized
   * part is a projection.
   */
  readonly quadratic: boolean;
  /** The same loss on rows `rows` of the response (what cross-validation trains and scores on). */
  subset(rows: ArrayLike<number>): Datafit;
  /**
   * out[i] ← held-out loss of row i at η (out has length n; tasks are averaged): the squared error,
   * or the deviance −2·(log-likelihood − saturated log-likelihood), written in the same
   * cancellation-free forms as `value`.
   */
  rowLosses(eta: Float64Array, out: Float64Array): void;
  /** What `rowLosses` measures, for reports: 'mean squared error' or 'deviance'. */
  readonly heldOutMetric: string;
  /** Log-likelihood ℓ(η) of the fit (the squared loss: Gaussian with σ² profiled out). */
  logLikelihood(eta: Float64Array): number;
  /**
   * The best constant linear predictor per task (length T), the null model of the deviance
   * explained; a non-finite entry when there is none (labels all equal).
   */
  nullPredictor(): Float64Array;
  /** Why an intercept-only fit of this response has no finite optimum, or null when it has one. */
  interceptObstacle(): string | null;
  /** Class labels 0..K−1 to stratify cross-validation folds by (classification), or null. */
  strata(): Int32Array | null;
}

/** How a loss is built from a validated response (shape and finiteness already checked). */
export interface LossSpec {
  readonly name: string;
  /** Whether the loss accepts T > 1 response columns. */
  readonly multiTask: boolean;
  /** Build the datafit; throw a ValueError naming `fn` for a response the loss cannot take. */
  create(y: Float64Array, n: number, T: number, fn: string): Datafit;
  /** out ← the mean response at the linear predictor η (n × T): identity, σ(η), e^η. */
  inverseLink(eta: Float64Array, out: Float64Array): void;
}

const losses = new Map<string, LossSpec>();

/**
 * Make a loss available under `spec.name` to every fitting function, the estimator and the CLI.
 *
 * @example
 * registerLoss({ name: 'huber', multiTask: false, create: (y, n, T, fn) => new HuberLoss(y, n, fn), inverseLink: (eta, out) => out.set(eta) });
 */
export function registerLoss(spec: LossSpec): void {
  if (!spec || typeof spec.name !== 'string' || spec.name === '' || typeof spec.create !== 'function') {
    throw new ValueError('registerLoss', 'a loss needs a non-empty name and a create function');
  }
  losses.set(spec.name, spec);
}

/** Names accepted by the `loss` option. */
export function lossNames(): string[] {
  return [...losses.keys()];
}

/** The registered loss of this name, or undefined. */
export function getLoss(name: string): LossSpec | undefined {
  return losses.get(name);
}

/** Build the datafit for a registered loss name (response already validated for shape and finiteness). */
export function makeDatafit(loss: LossName, y: Float64Array, n: number, T: number, fn: string): Datafit {
  const spec = losses.get(loss);
  if (!spec) throw new ValueError(fn, `unknown loss '${loss}'; registered: ${lossNames().join(', ')}`);
  if (!spec.multiTask && T > 1) {
    throw new ValueError(fn, `loss '${loss}' needs a single response column, y has ${T}`);
  }
  return spec.create(y, n, T, fn);
}

/** Rows `rows` of a column-major n × T response. */
export function subsetResponse(y: Float64Array, n: number, T: number, rows: ArrayLike<number>): Float64Array {
  const m = rows.length;
  const out = new Float64Array(m * T);
  for (let t = 0; t < T; t++) for (let k = 0; k < m; k++) out[t * m + k] = y[t * n + rows[k]];
  return out;
}
