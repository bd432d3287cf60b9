import type { CoxTies } from '../datafits/cox.ts';
import type { Datafit, LossName } from '../datafits/datafits.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { expandForTasks, makeGroups, type GroupSpec, type GroupStructure, type WeightRule } from '../groups/groups.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { toOperator, type MatrixInput, type ResponseInput } from '../linalg/input.ts';
import { sharedFastCopy } from '../linalg/kernels/fast.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { GroupLassoPenalty, SparseGroupLassoPenalty, type Penalty } from '../penalties/penalties.ts';
import { checkAlpha } from '../prox/prox.ts';
import { evaluate, newPoint, ProblemContext } from '../solvers/problem.ts';
import { drive, type StopRule } from '../solvers/driver.ts';
import { estimateLipschitz, type IterationInfo, type IterativeSolver } from '../solvers/proximal.ts';
import { getSolverFactory, solverNames } from '../solvers/registry.ts';
import '../solvers/bcd.ts'; // registers 'bcd'
import { checkChoice, checkNonNegative, checkOptions, checkPositive, checkPositiveInt } from '../util/validate.ts';
import { readResponse } from './response.ts';

/** Solver names: 'ista', 'fista', others registered later (e.g. 'bcd'), and 'auto'. */
export type SolverName = 'ista' | 'fista' | 'bcd' | 'auto';

/** What defines a problem, independent of λ. */
export interface ProblemOptions {
  /** A label per column, lists of member indices, or a GroupStructure. */
  groups: GroupSpec;
  /**
   * 'squared' (default), 'logistic' (labels 0/1), 'poisson' (counts), 'multitask' (y is n × T),
   * 'multinomial' (y: class labels, numbers or strings; one column of W per class, a feature's
   * group spans the classes) or 'cox' (y = { time, status } or rows [time, status]: grpreg's
   * grpsurv, mean negative log partial likelihood, no intercept).
   */
  loss?: LossName;
  /** Group weights d_g (default √p_g); 0 = unpenalized group. */
  weights?: ArrayLike<number> | WeightRule;
  /** Fit an unpenalized intercept (default true; the Cox model has none). */
  fitIntercept?: boolean;
  /** Sample weights (≥ 0, one per row), normalised to mean 1 so λ keeps its scale. */
  sampleWeight?: ArrayLike<number>;
  /** Tied event times of the Cox model: 'breslow' (default, as grpreg) or 'efron'. */
  ties?: CoxTies;
  /** Columns in no group: 'error' (default) or 'unpenalized'. */
  ungrouped?: 'error' | 'unpenalized';
  /** Sparse-group lasso mixing α ∈ [0, 1] (only for the sparse-group functions). */
  alpha?: number;
}

/** Options of one fit. */
export interface SolveOptions {
  /** Tolerance of the stopping certificate (relative duality gap by default; default 1e-8). */
  tol?: number;
  /** Iteration cap (default 100 000); reaching it gives converged: false. */
  maxIter?: number;
  /** Solver (default 'auto'). */
  solver?: SolverName;
  /** 'gap' (default): relative duality gap ≤ tol; 'kkt': KKT violation ≤ tol (absolute); 'both'. */
  stopOn?: StopRule;
  /** Starting coefficients (length p, or p·T); unpenalized parts are refitted exactly anyway. */
  warmStart?: { coef: ArrayLike<number>; intercept?: number | ArrayLike<number> };
  /** Called after each iteration; return false to stop. */
  callback?: (info: IterationInfo) => boolean | void;
}

export interface FitOptions extends ProblemOptions, SolveOptions {
  /** λ ≥ 0. */
  lambda: number;
}

/** A fit with its certificate. */
export interface FitResult {
  /** Coefficients on the columns of X (length p; for T tasks, p·T column-major: W[j, t] at t·p + j). */
  coef: Float64Array;
  /** Intercept (first task); 0 without intercept. */
  intercept: number;
  /** Intercept per task (length T). */
  intercepts: Float64Array;
  /** Primal objective P = F + Ω at the returned point. */
  objective: number;
  /** Best dual objective D (P − D is the gap). */
  dualObjective: number;
  /** Absolute duality gap P − D ≥ 0. */
  dualityGap: number;
  /** Duality gap relative to P. */
  relativeGap: number;
  /** max over groups of dist(−∇_g F, ∂Ω_g), with the intercept's and unpenalized gradients. */
  kktViolation: number;
  /** True only when the chosen certificate is under tol at the returned point. */
  converged: boolean;
  /** 'converged', or why not ('max iterations reached', 'diverged: …', 'stalled: …'). */
  status: string;
  iterations: number;
  /** Indices of groups with ‖w_g‖ > 0 (unpenalized groups included). */
  activeGroups: number[];
  /** Names of the active groups. */
  activeGroupNames: string[];
  /** ‖w_g‖₂ per group (over all tasks). */
  groupNorms: Float64Array;
  groupNames: readonly string[];
  solver: string;
  lambda: number;
  loss: LossName;
  nTasks: number;
}

const PROBLEM_KEYS = ['groups', 'loss', 'weights', 'fitIntercept', 'ungrouped', 'alpha', 'sampleWeight', 'ties'] as const;
const SOLVE_KEYS = ['tol', 'maxIter', 'solver', 'stopOn', 'warmStart', 'callback'] as const;
const LOSSES: readonly LossName[] = ['squared', 'logistic', 'poisson', 'multitask', 'multinomial', 'cox'];

/**
 * The solver 'auto' stands for: block coordinate descent where it applies (a column-access design,
 * a global curvature bound, a loss it supports), else FISTA.
 */
export function autoSolver(datafit: Datafit, X: LinearOperator): string {
  const bcdFits = datafit.separable && datafit.sampleWeight === undefined && Number.isFinite(datafit.curvature) &&
    (datafit.name === 'squared' || datafit.name === 'multitask' || datafit.name === 'logistic');
  return getSolverFactory('bcd') && X.columns && bcdFits ? 'bcd' : 'fista';
}

/**
 * A validated problem (design, response, groups, loss) ready to be fitted at many λ with warm
 * starts — what paths and cross-validation use. Build with {@link prepareProblem}.
 */
export class PreparedProblem {
  readonly X: LinearOperator;
  readonly datafit: Datafit;
  /** Groups over features (as given). */
  readonly groups: GroupStructure;
  /** Groups over the p·T coefficients. */
  readonly coefGroups: GroupStructure;
  readonly fitIntercept: boolean;
  readonly loss: LossName;
  readonly alpha: number | undefined;
  readonly n: number;
  readonly p: number;
  readonly T: number;
  /** Class labels in the order of the columns of W (multinomial only). */
  classes?: (number | string)[];
  private ctxPositive: ProblemContext | null = null;
  private lipschitz: number | undefined;
  private readonly fn: string;

  constructor(X: LinearOperator, datafit: Datafit, groups: GroupStructure, fitIntercept: boolean, alpha: number | undefined, fn: string) {
    this.X = X;
    this.datafit = datafit;
    this.groups = groups;
    this.coefGroups = expandForTasks(groups, datafit.T);
    this.fitIntercept = fitIntercept;
    this.loss = datafit.name;
    this.alpha = alpha;
    this.n = X.rows;
    this.p = X.cols;
    this.T = datafit.T;
    this.fn = fn;
  }

  private makePenalty(lambda: number): Penalty {
    return this.alpha === undefined
      ? new GroupLassoPenalty(this.coefGroups, lambda)
      : new SparseGroupLassoPenalty(this.coefGroups, lambda, this.alpha);
  }

  /**
   * Problem context at λ. For λ > 0 one context is reused (only λ changes, so the unpenalized
   * factorization and the Lipschitz estimate are kept); λ = 0 makes every group unpenalized.
   */
  context(lambda: number): ProblemContext {
    if (lambda === 0) return this.newContext(0);
    if (!this.ctxPositive) this.ctxPositive = this.newContext(lambda);
    (this.ctxPositive.penalty as { lambda: number }).lambda = lambda;
    return this.ctxPositive;
  }

  private newContext(lambda: number): ProblemContext {
    const ctx = new ProblemContext(this.X, this.datafit, this.makePenalty(lambda), this.fitIntercept);
    const pt = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), pt);
    ctx.nullObjective = pt.loss;
    // Any unpenalized column (not only the intercept: λ = 0, weight-0 groups) can make the
    // GLM's unpenalized fit unbounded; without this check a separable no-intercept fit went on
    // with a Newton iterate that had run off, and returned arbitrary coefficients.
    if (ctx.unpenalized.k > 0 && !ctx.unpenalized.converged) {
      throw new ValueError(this.fn, `the unpenalized part (intercept and unpenalized groups) has no finite optimum for this ${this.loss} response (separable or degenerate data)`);
    }
    return ctx;
  }

  /**
   * λ_max: the smallest λ at which w = 0 (all penalized groups zero) is optimal, i.e.
   * max_g ρ_g(Xᵀ∇F(η₀)) with η₀ the unpenalized fit; ρ_g(z) = ‖z_g‖/d_g for the group lasso.
   */
  lambdaMax(): number {
    const ctx = this.context(1);
    const pt = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), pt);
    let m = 0;
    const pen = ctx.penalty;
    for (let g = 0; g < pen.groups.nGroups; g++) {
      if (!(pen.groups.weights[g] > 0)) continue;
      const r = pen.groupDualNorm(pt.grad, g);
      if (r > m) m = r;
    }
    return m;
  }

  /** Fit at one λ. */
  fit(lambda: number, options: SolveOptions = {}): FitResult {
    const fn = this.fn;
    checkNonNegative(fn, 'lambda', lambda);
    const tol = options.tol === undefined ? 1e-8 : checkPositive(fn, 'tol', options.tol);
    const maxIter = options.maxIter === undefined ? 100_000 : checkPositiveInt(fn, 'maxIter', options.maxIter);
    const stopOn = options.stopOn === undefined ? 'gap' : checkChoice(fn, 'stopping rule', options.stopOn, ['gap', 'kkt', 'both'] as const);
    const names = [...solverNames(), 'auto'];
    let solverName = options.solver === undefined ? 'auto' : checkChoice(fn, 'solver', options.solver, names);
    const ctx = this.context(lambda);
    if (solverName === 'auto') solverName = autoSolver(this.datafit, this.X);
    const factory = getSolverFactory(solverName)!;
    const w0 = new Float64Array(ctx.size);
    if (options.callback !== undefined && typeof options.callback !== 'function') {
      throw new ValueError(fn, `callback must be a function, got ${options.callback === null ? 'null' : typeof options.callback}`);
    }
    if (options.warmStart !== undefined) {
      // null used to escape as a TypeError and a typo (`intrcept`) was silently ignored.
      if (options.warmStart === null || typeof options.warmStart !== 'object') {
        throw new ValueError(fn, `warmStart must be an object { coef, intercept? }, got ${options.warmStart === null ? 'null' : typeof options.warmStart}`);
      }
      checkOptions(`${fn} (warmStart)`, options.warmStart, ['coef', 'intercept']);
      const c = options.warmStart.coef;
      if (!c || c.length !== ctx.size) {
        throw new ShapeError(fn, `warmStart.coef has length ${c ? c.length : 0}, expected ${ctx.size}`);
      }
      for (let i = 0; i < ctx.size; i++) {
        if (!Number.isFinite(c[i])) throw new ValueError(fn, `warmStart.coef has a non-finite value at ${i}`);
        w0[i] = c[i];
      }
    }
    // With a global curvature bound the Lipschitz estimate holds for every λ: compute it once.
    let lipschitz: number | undefined;
    // (Block coordinate descent uses per-group constants instead and skips this estimate.)
    if (lambda > 0 && Number.isFinite(this.datafit.curvature) && solverName !== 'bcd') {
      this.lipschitz ??= estimateLipschitz(ctx);
      lipschitz = this.lipschitz;
    }
    const solver = factory(ctx, w0, { lipschitz });
    return this.finishRun(ctx, solver, solverName, lambda, { tol, maxIter, stopOn, callback: options.callback });
  }

  private finishRun(
    ctx: ProblemContext, solver: IterativeSolver, solverName: string, lambda: number,
    o: { tol: number; maxIter: number; stopOn: StopRule; callback?: (info: IterationInfo) => boolean | void },
  ): FitResult {
    const res = drive(ctx, solver, { tol: o.tol, maxIter: o.maxIter, stopOn: o.stopOn, checkEvery: 10, callback: o.callback });
    // The final certificate evaluated the returned point, so ctx holds its unpenalized fit.
    const coef = ctx.fullCoefficients(res.w);
    const { intercepts } = ctx.unpenalizedCoefficients();
    const gs = this.coefGroups;
    const groupNorms = new Float64Array(gs.nGroups);
    const active: number[] = [];
    for (let g = 0; g < gs.nGroups; g++) {
      groupNorms[g] = nrm2Indexed(coef, gs.indices, gs.ptr[g], gs.ptr[g + 1]);
      if (groupNorms[g] > 0) active.push(g);
    }
    const c = res.certificate;
    return {
      coef, intercept: intercepts[0], intercepts,
      objective: c.primal, dualObjective: c.dual, dualityGap: c.gap, relativeGap: c.relativeGap,
      kktViolation: c.kktViolation, converged: res.converged, status: res.status, iterations: res.iterations,
      activeGroups: active, activeGroupNames: active.map((g) => gs.names[g]), groupNorms, groupNames: gs.names,
      solver: solverName, lambda, loss: this.loss, nTasks: this.T,
    };
  }
}

/**
 * Validate inputs once and build a {@link PreparedProblem}. `fn` names the public function in
 * error messages.
 */
export function prepareProblem(X: MatrixInput, y: ResponseInput, options: ProblemOptions, fn = 'prepareProblem', sparseGroup = false): PreparedProblem {
  if (options === undefined || options === null) throw new ValueError(fn, 'options with at least `groups` are required');
  // Dense designs run on the fast kernels (one copy per matrix, reused across fits while unchanged).
  const given = toOperator(X, fn);
  const op = given instanceof DenseMatrix ? sharedFastCopy(given) : given;
  if (op.rows < 2) throw new ShapeError(fn, `X has ${op.rows} row; at least 2 samples are needed`);
  let loss = options.loss === undefined ? undefined : checkChoice(fn, 'loss', options.loss, LOSSES);
  if (loss === undefined) {
    // The default: squared, or multitask for a response of several columns.
    const multi = (Array.isArray(y) || ArrayBuffer.isView(y)) && (y as ArrayLike<unknown>).length > 0 && typeof (y as ArrayLike<unknown>)[0] === 'object';
    const cols = y !== null && typeof y === 'object' && 'columns' in y && typeof (y as { columns: unknown }).columns === 'number' ? (y as { columns: number }).columns : 1;
    loss = multi || cols > 1 ? 'multitask' : 'squared';
  }
  if (loss === 'cox' && options.fitIntercept === true) {
    throw new ValueError(fn, 'the Cox model has no intercept (it cancels out of every risk set): leave fitIntercept unset or false');
  }
  const fitIntercept = options.fitIntercept ?? loss !== 'cox';
  if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
  let alpha: number | undefined;
  if (sparseGroup) alpha = checkAlpha(fn, options.alpha ?? 0.5);
  else if (options.alpha !== undefined) throw new ValueError(fn, 'alpha is only used by the sparse-group lasso (fitSparseGroupLasso)');
  // An unknown mode is an OptionError (as errors.ts documents), with a suggestion for typos.
  if (options.ungrouped !== undefined) checkChoice(fn, 'ungrouped mode', options.ungrouped, ['error', 'unpenalized'] as const);
  const groups = makeGroups(options.groups, op.cols, { weights: options.weights, ungrouped: options.ungrouped }, fn);
  const { datafit, classes } = readResponse(loss, y, op.rows, { sampleWeight: options.sampleWeight, ties: options.ties }, fn);
  if (fitIntercept && loss === 'logistic') {
    let s = 0;
    for (let i = 0; i < op.rows; i++) s += datafit.y[i];
    if (s === 0 || s === op.rows) throw new ValueError(fn, `logistic labels are all ${s === 0 ? 0 : 1}: with an intercept the fit has no finite optimum`);
  }
  if (fitIntercept && loss === 'poisson') {
    let s = 0;
    for (let i = 0; i < op.rows; i++) s += datafit.y[i];
    if (s === 0) throw new ValueError(fn, 'Poisson targets are all 0: with an intercept the fit has no finite optimum');
  }
  const prob = new PreparedProblem(op, datafit, groups, fitIntercept, alpha, fn);
  prob.classes = classes;
  return prob;
}

/** The problem on a subset of rows (cross-validation folds), with nothing re-read from the user. */
export function restrictRows(prob: PreparedProblem, rows: ArrayLike<number>, X: LinearOperator, fn: string): PreparedProblem {
  const sub = new PreparedProblem(X, prob.datafit.restrict(rows), prob.groups, prob.fitIntercept, prob.alpha, fn);
  sub.classes = prob.classes;
  return sub;
}

/**
 * Group lasso fit:
 *   minimize_{w, b}  F(Xw + b) + λ Σ_g d_g ‖w_g‖₂,
 * F = (1/(2n))‖y − Xw − b‖² (squared), the mean logistic or Poisson negative log-likelihood, or
 * (1/(2n))‖Y − XW − 1bᵀ‖²_F (multitask, group = the features' rows of W). d_g = √p_g by default;
 * the intercept b and groups of weight 0 are unpenalized and fitted exactly.
 * The result carries its certificate (duality gap, KKT violation); `converged` is true only when
 * the relative duality gap (or, with stopOn: 'kkt', the KKT violation) is ≤ tol.
 *
 * @example
 * const fit = fitGroupLasso(X, y, { groups: ['a', 'a', 'b'], lambda: 0.1 });
 * fit.activeGroupNames // returns e.g. ['a']
 */
export function fitGroupLasso(X: MatrixInput, y: ResponseInput, options: FitOptions): FitResult {
  const fn = 'fitGroupLasso';
  checkOptions(fn, options, ['lambda', ...PROBLEM_KEYS.filter((k) => k !== 'alpha'), ...SOLVE_KEYS]);
  if (options === undefined || options === null) throw new ValueError(fn, 'options { groups, lambda } are required');
  checkNonNegative(fn, 'lambda', options.lambda);
  return prepareProblem(X, y, options, fn).fit(options.lambda, options);
}

/**
 * Sparse-group lasso fit (Simon, Friedman, Hastie & Tibshirani 2013):
 *   minimize_{w, b}  F(Xw + b) + λ [α‖w‖₁ + (1 − α) Σ_g d_g ‖w_g‖₂],  α ∈ [0, 1] (default 0.5),
 * with the same losses, scaling and certificate as {@link fitGroupLasso}.
 */
export function fitSparseGroupLasso(X: MatrixInput, y: ResponseInput, options: FitOptions & { alpha?: number }): FitResult {
  const fn = 'fitSparseGroupLasso';
  checkOptions(fn, options, ['lambda', ...PROBLEM_KEYS, ...SOLVE_KEYS]);
  if (options === undefined || options === null) throw new ValueError(fn, 'options { groups, lambda } are required');
  checkNonNegative(fn, 'lambda', options.lambda);
  return prepareProblem(X, y, options, fn, true).fit(options.lambda, options);
}

/**
 * λ_max = max_g ρ_g(Xᵀ∇F(η₀)) / 1: the smallest λ for which every penalized group is zero at the
 * optimum, where η₀ is the fit of the unpenalized part alone (intercept: ȳ for the squared loss)
 * and ρ_g(z) = ‖z_g‖₂/d_g (group lasso) or the sparse-group dual norm when `alpha` is given.
 * Scaling as in {@link fitGroupLasso}: for the squared loss λ_max = max_g ‖X_gᵀ(y − ȳ)‖₂ / (n d_g).
 */
export function lambdaMax(X: MatrixInput, y: ResponseInput, options: ProblemOptions): number {
  const fn = 'lambdaMax';
  checkOptions(fn, options, PROBLEM_KEYS);
  return prepareProblem(X, y, options, fn, options?.alpha !== undefined).lambdaMax();
}
