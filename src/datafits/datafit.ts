import { ShapeError, ValueError } from '../errors.ts';
import { callerName } from '../util/validate.ts';

/**
 * Names of the registered losses. The built-in ones are listed for editors; any name given to
 * {@link registerLoss} is accepted as well.
 */
export type LossName = 'squared' | 'logistic' | 'poisson' | 'multitask' | 'multinomial' | 'cox' | (string & {});

/**
 * A smooth loss F(η) of the linear predictor η = Xw + b (length n·T, column-major n × T).
 * Every datafit is a mean over samples, so λ means the same thing whatever n is.
 *
 * This is the whole contract a loss implements: the solvers, the path, cross-validation, the
 * information criteria and the estimator ask the datafit for what they need and never look at its
 * name. A new loss is a class implementing this interface plus one {@link registerLoss} call; it is
 * then accepted as `loss: '<name>'` by every fitting function, the estimator and the CLI.
 * - Solvers: `value`, `valueGrad`, `gradient`, `hessianDiag`, `hessianVec`, `rowHessian` (optional),
 *   `separable`, `shiftInvariant`, `curvature` (finite curvature lets
 *   block coordinate descent and the fixed-step solvers run; Infinity makes them back-track or
 *   refuse), `quadratic`, and `dualValue` for the duality gap.
 * - Cross-validation: `subset` (the training and held-out rows), `rowLosses` and `heldOutMetric`,
 *   `strata` (stratified folds).
 * - Information criteria: `logLikelihood`.
 * - Estimator: `nullPredictor` and `nullDeviance` (the null model of the deviance explained, what
 *   `score` divides by), `explosionLimit` and `fitDiagnostics` (warnings about the fit); the
 *   inverse link (predictions on the response scale) is the loss's, in its {@link LossSpec}, since
 *   it needs no data.
 * - Problem validation: the constructor checks the response (throwing a ValueError naming `fn`),
 *   `interceptObstacle` says why an intercept-only fit would have no finite optimum. How a raw
 *   response (numbers, labels, `{ time, status }`) is read is the {@link LossSpec}'s.
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
  /** out ← diagonal of ∇²F(η) (the whole Hessian when `separable`). */
  hessianDiag(eta: Float64Array, out: Float64Array): void;
  /** out ← ∇²F(η) v (v, out of length n·T). */
  hessianVec(eta: Float64Array, v: Float64Array, out: Float64Array): void;
  /**
   * Optional, for a loss whose Hessian is block-diagonal over rows (each row's T entries of η
   * coupled, rows independent: the multinomial): out[(t·T + s)·n + i] ← ∂²F/∂η_it∂η_is (length
   * n·T²). Proximal Newton then forms its model's Hessian from these blocks instead of T·K
   * Hessian-vector products.
   */
  rowHessian?(eta: Float64Array, out: Float64Array): void;
  /** True when ∇²F is diagonal (each entry of η has its own term); false for Cox and multinomial. */
  readonly separable: boolean;
  /**
   * True when F(η + c·1) = F(η) for every constant c (Cox: risk sets only compare rows), so ∇²F
   * annihilates constants; second-order solvers then centre their model's columns. Absent: false.
   */
  readonly shiftInvariant?: boolean;
  /** Normalised sample weights (mean 1), or undefined when every row weighs 1. */
  readonly sampleWeight: Float64Array | undefined;
  /**
   * A global bound on ‖∇²F(η)‖₂ over all η (max w/n squared, max w/(4n) logistic); Infinity when
   * none (Poisson) or when the bound is far from typical curvature (Cox: see datafits/cox.ts).
   */
  readonly curvature: number;
  /**
   * Dual objective −F*(u) at a dual point u = θ∇F(η) (length n·T); −Infinity when u is outside
   * dom F*. Points a hair outside the domain (rounding) are clamped onto it. `eta` is the point u
   * was scaled from: losses whose conjugate has no closed form (Cox) use it to return a lower
   * bound on −F*(u) that is exact at the optimum, which keeps every gap an upper bound.
   */
  dualValue(u: Float64Array, eta?: Float64Array): number;
  /**
   * True when the quadratic upper bound F(η + δ) ≤ F(η) + ⟨∇F(η), δ⟩ + (1/2)·curvature·‖δ‖² is an
   * identity (squared loss), so backtracking can test it without cancellation and the unpenalized
   * part is a projection.
   */
  readonly quadratic: boolean;
  /** The same loss on rows `rows` of the response (what cross-validation trains and scores on). */
  subset(rows: ArrayLike<number>): Datafit;
  /**
   * out[i] ← held-out loss of row i at η (out has length n; tasks are averaged): the (weighted)
   * squared error, or the deviance −2·(log-likelihood − saturated log-likelihood), written in the
   * same cancellation-free forms as `value`. Returns the count the losses are averaged over (n;
   * Cox: the weighted number of events, its censored rows get NaN — they hold no term).
   */
  rowLosses(eta: Float64Array, out: Float64Array): number;
  /**
   * Columns of η that carry information: T, or K − 1 for the multinomial (the softmax ignores a
   * common shift). Degrees of freedom count per free column.
   */
  readonly freeColumns: number;
  /** What `rowLosses` measures, for reports: 'mean squared error' or 'deviance'. */
  readonly heldOutMetric: string;
  /** Log-likelihood ℓ(η) of the fit (the squared loss: Gaussian with σ² profiled out). */
  logLikelihood(eta: Float64Array): number;
  /**
   * The best constant linear predictor per task (length T), the null model of the deviance
   * explained; a non-finite entry when there is none (labels all equal).
   */
  nullPredictor(): Float64Array;
  /**
   * Σ_i of `rowLosses` at the null model (NaN rows skipped): the deviance `score` compares with.
   * 0 when the null model fits exactly (a constant response, labels all equal).
   */
  nullDeviance(): number;
  /** Why an intercept-only fit of this response has no finite optimum, or null when it has one. */
  interceptObstacle(): string | null;
  /**
   * A group norm of standardized coefficients above this is reported as exploded (collinearity or
   * separation, not a real effect): 1e4 response standard deviations (squared loss), 30 on the
   * log or logit scale of η (GLMs).
   */
  explosionLimit(): number;
  /** Warnings about a fit at the linear predictor η (length n·T): e.g. separated logistic labels. */
  fitDiagnostics(eta: Float64Array): string[];
  /** Class labels 0..K−1 to stratify cross-validation folds by (classification), or null. */
  strata(): Int32Array | null;
  /**
   * How another thread rebuilds this datafit bit for bit from plain data (parallel
   * cross-validation): a registered loss and the arguments of its `create`. Absent or null when it
   * cannot be (then its folds are fitted on the calling thread).
   */
  transferable?(): DatafitRecipe | null;
}

/**
 * Plain data a datafit is rebuilt from elsewhere: `makeDatafit(loss, y, n, T)` on another thread
 * gives the same datafit, bit for bit.
 */
export interface DatafitRecipe {
  loss: LossName;
  y: Float64Array;
  n: number;
  T: number;
}

/** What reading a response may be given besides the data. */
export interface ResponseOptions {
  /** One weight ≥ 0 per row. */
  sampleWeight?: ArrayLike<number>;
  /**
   * Class labels to code the response with (the fitted model's, when a response is scored);
   * a label outside them is refused. Categorical losses only.
   */
  classes?: readonly (number | string)[];
  /** The loss's own options, by the names in {@link LossSpec.lossOptions} (Cox: `ties`). */
  lossOptions?: Readonly<Record<string, unknown>>;
}

/** What a response was read into: the datafit, and the class labels of a categorical loss. */
export interface ReadResponse {
  datafit: Datafit;
  /** Class labels in the order of η's columns (categorical losses only). */
  classes?: (number | string)[];
}

/** How a loss is built from a validated response (shape and finiteness already checked). */
export interface LossSpec {
  readonly name: string;
  /** Whether the loss accepts T > 1 response columns. */
  readonly multiTask: boolean;
  /**
   * Read a raw response (whatever the user passes as `y`) into the datafit, validating it and
   * throwing a ShapeError/ValueError naming `fn`. Without it the response is numbers: an n-vector
   * or an n × T matrix, given to `create`.
   */
  readResponse?(y: unknown, n: number, options: ResponseOptions, fn: string): ReadResponse;
  /** Names of the loss's own options (accepted by the fitting functions; refused for other losses). */
  readonly lossOptions?: readonly string[];
  /** Why the model has no intercept (then `fitIntercept` defaults to false and true is refused). */
  readonly noIntercept?: string;
  /** True when the response is class labels, one column of η per class (fits carry `classes`). */
  readonly categorical?: boolean;
  /**
   * Build the datafit; throw a ValueError naming `fn` for a response the loss cannot take.
   * `sampleWeight` (one per row, ≥ 0) is normalised to mean 1 by the loss.
   */
  create(y: Float64Array, n: number, T: number, fn: string, sampleWeight?: ArrayLike<number>): Datafit;
  /** out ← the mean response at the linear predictor η (n × T): identity, σ(η), e^η, softmax over T. */
  inverseLink(eta: Float64Array, out: Float64Array, T: number): void;
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
export function makeDatafit(loss: LossName, y: Float64Array, n: number, T: number, fn = 'makeDatafit', sampleWeight?: ArrayLike<number>): Datafit {
  fn = callerName(fn, 'makeDatafit');
  const spec = losses.get(loss);
  if (!spec) throw new ValueError(fn, `unknown loss '${loss}'; registered: ${lossNames().join(', ')}`);
  if (!spec.multiTask && T > 1) {
    throw new ValueError(fn, `loss '${loss}' needs a single response column, y has ${T}`);
  }
  return spec.create(y, n, T, fn, sampleWeight);
}

/**
 * The loss used when none is named: the squared loss, under the name 'multitask' for a response
 * of several columns (one name per kind of fit, as the results report it).
 */
export function defaultLoss(columns: number): LossName {
  if (typeof columns !== 'number' || !Number.isInteger(columns) || columns < 1) {
    throw new ValueError('defaultLoss', `columns (of the response) must be a whole number ≥ 1, got ${String(columns)}`);
  }
  return columns > 1 ? 'multitask' : 'squared';
}

/**
 * Σ_i rowLosses(η₀) at the null predictor η₀ of `df` (rows with NaN losses skipped), 0 when the
 * null predictor is not finite (the best constant fits exactly: labels all equal). What
 * `nullDeviance` is for every loss whose null model is a constant per task.
 */
export function devianceAtNull(df: Datafit): number {
  checkDatafit('devianceAtNull', df);
  const c = df.nullPredictor();
  for (let t = 0; t < c.length; t++) if (!Number.isFinite(c[t])) return 0;
  const eta0 = new Float64Array(df.n * df.T);
  for (let t = 0; t < df.T; t++) eta0.fill(c[Math.min(t, c.length - 1)], t * df.n, (t + 1) * df.n);
  return sumRowLosses(df, eta0);
}

/** Σ_i rowLosses(η), rows with NaN losses (Cox's censored rows) skipped. */
export function sumRowLosses(df: Datafit, eta: Float64Array): number {
  checkDatafit('sumRowLosses', df);
  if (!(eta instanceof Float64Array) || eta.length !== df.n * df.T) {
    throw new ShapeError('sumRowLosses', `eta must be a Float64Array of n·T = ${df.n * df.T} entries`);
  }
  const r = new Float64Array(df.n);
  df.rowLosses(eta, r);
  let s = 0;
  for (let i = 0; i < df.n; i++) if (r[i] === r[i]) s += r[i];
  return s;
}

/** A Datafit given to a kit function: the methods and sizes it reads (O(1)). */
function checkDatafit(fn: string, df: unknown): asserts df is Datafit {
  const d = df as Datafit | null;
  if (d === null || typeof d !== 'object' || typeof d.rowLosses !== 'function' || typeof d.nullPredictor !== 'function' ||
    !Number.isInteger(d.n) || d.n < 1 || !Number.isInteger(d.T) || d.T < 1) {
    throw new ShapeError(fn, 'df must be a Datafit (from makeDatafit or a loss class)');
  }
}

/** Rows `rows` of a column-major n × T response. */
export function subsetResponse(y: Float64Array, n: number, T: number, rows: ArrayLike<number>): Float64Array {
  const fn = 'subsetResponse';
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(T) || T < 1) throw new ShapeError(fn, `n and T must be whole numbers ≥ 1, got ${String(n)} and ${String(T)}`);
  if (!(y instanceof Float64Array) || y.length !== n * T) throw new ShapeError(fn, `y must be a Float64Array of n·T = ${n * T} entries`);
  if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') throw new ShapeError(fn, 'rows must be an array of row indices');
  // O(rows), like the copy below: a row out of range would read undefined into the response.
  for (let k = 0; k < rows.length; k++) {
    if (!Number.isInteger(rows[k]) || rows[k] < 0 || rows[k] >= n) throw new ShapeError(fn, `rows[${k}] = ${String(rows[k])} is not a row index below ${n}`);
  }
  const m = rows.length;
  const out = new Float64Array(m * T);
  for (let t = 0; t < T; t++) for (let k = 0; k < m; k++) out[t * m + k] = y[t * n + rows[k]];
  return out;
}
