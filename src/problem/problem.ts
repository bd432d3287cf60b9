import { defaultLoss, lossNames, type Datafit, type LossName } from '../datafits/index.ts';
import type { CoxTies } from '../datafits/cox.ts';
import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { expandForTasks, isGroupStructure, makeGroups, type GroupSpec, type GroupStructure, type WeightRule } from '../groups/groups.ts';
import { groupNorms } from '../groups/norms.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { checkDesignScale, type MatrixInput, type ResponseInput } from '../linalg/input.ts';
import { callDesign, designOperator, FastDense, sharedFastCopy } from '../linalg/kernels/fast.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import '../penalties/index.ts'; // registers the built-in penalties
import { getPenalty, penaltyNames, type Penalty, type PenaltyParams, type PenaltySpec } from '../penalties/penalty.ts';
import { evaluate, newPoint, ProblemContext, type PointBuffers } from '../solvers/problem.ts';
import { drive, type DriveResult, type StopRule } from '../solvers/driver.ts';
import { descentPath } from '../path/descent.ts';
import { estimateLipschitz, type IterationInfo } from '../solvers/proximal.ts';
import { chooseSolver, getSolver, refiningSolver, solverNames } from '../solvers/registry.ts';
import '../solvers/bcd.ts'; // registers 'bcd'
import '../solvers/prox-newton.ts'; // registers 'proxNewton'
import { callerName, checkChoice, checkNonNegative, checkOptions, checkPositive, checkPositiveInt, checkTolerance, deadlineFrom } from '../util/validate.ts';
import { readResponse, resolveIntercept } from './response.ts';

/** Solver names: 'ista', 'fista', 'bcd', any name given to registerSolver, and 'auto'. */
export type SolverName = 'ista' | 'fista' | 'bcd' | 'auto' | (string & {});

/** Penalty names: the registered ones (grpreg's 'grLasso' is the group lasso). */
export type PenaltyName = 'groupLasso' | 'grLasso' | 'sparseGroupLasso' | 'grMCP' | 'grSCAD' | 'cMCP' | 'gel' | (string & {});

/** What defines a problem, independent of λ. */
export interface ProblemOptions {
  /** A label per column, lists of member indices, or a GroupStructure. */
  groups: GroupSpec;
  /**
   * 'squared' (default), 'logistic' (labels 0/1), 'poisson' (counts), 'multitask' (y is n × T),
   * 'multinomial' (y: class labels, numbers or strings; one column of W per class, a feature's
   * group spans the classes) or 'cox' (y = { time, status } or rows [time, status]: grpreg's
   * grpsurv, mean negative log partial likelihood, no intercept), or any registered loss.
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
  /** The penalty (default 'groupLasso'). */
  penalty?: PenaltyName;
  /** Sparse-group lasso mixing α ∈ [0, 1] (penalty 'sparseGroupLasso'; default 0.5). */
  alpha?: number;
  /** Concavity γ of the nonconvex penalties ('grMCP', 'cMCP': > 1, default 3; 'grSCAD': > 2, default 4). */
  gamma?: number;
  /** Coupling τ of the group exponential lasso ('gel': in (0, 1], default 1/3). */
  tau?: number;
}

/** Options of one fit. */
export interface SolveOptions {
  /**
   * Tolerance of the stopping certificate in (0, 1) (default 1e-8): relative duality gap, or KKT
   * violation relative to the problem's gradient scale (stopOn: 'kkt'). A tolerance under what
   * float64 can resolve on this data ends as soon as the certificate reaches its rounding floor,
   * with `converged: true, status: 'at rounding level'` and the floors in `roundingFloor`.
   */
  tol?: number;
  /**
   * Work cap in passes over the data (default 100 000): an iteration of ISTA/FISTA is one pass, a
   * block coordinate descent step counts its inner epochs. Reaching it gives converged: false.
   */
  maxIter?: number;
  /** Time budget in seconds (default none); reaching it gives converged: false, 'time limit reached'. */
  maxTime?: number;
  /** Solver (default 'auto'). */
  solver?: SolverName;
  /** 'gap' (default): relative duality gap ≤ tol; 'kkt': relative KKT violation ≤ tol; 'both'. */
  stopOn?: StopRule;
  /** Starting coefficients (length p, or p·T); unpenalized parts are refitted exactly anyway. */
  warmStart?: { coef: ArrayLike<number>; intercept?: number | ArrayLike<number> };
  /** Called after each iteration; return false to stop. */
  callback?: (info: IterationInfo) => boolean | void;
  /**
   * Make the reported gap track the true suboptimality (default: on when tol ≥ 1e-5, off below).
   * The dual point built from the answer itself is O(δ) off where the objective is O(δ²) off, so a
   * plain certificate is 10²–10⁶× looser than the answer deserves. On: the answer is kept and its
   * dual rebuilt from later iterates until the gap is provably within 4× of the suboptimality, for at
   * most twice the work already spent (counted in `work`). Off by default at tight tolerances, where
   * that doubling would be paid for a certificate already under a gap the caller accepted.
   */
  tightenGap?: boolean;
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
  /** Best dual objective D (P − D is the gap); NaN for a nonconvex penalty (no dual exists). */
  dualObjective: number;
  /** Absolute duality gap P − D ≥ 0; NaN for a nonconvex penalty. */
  dualityGap: number;
  /** Duality gap relative to P; NaN for a nonconvex penalty. */
  relativeGap: number;
  /**
   * max over groups of dist(−∇_g F, ∂Ω_g), with the intercept's and unpenalized gradients. For a
   * nonconvex penalty this stationarity measure (with the penalty's local subdifferential) is the
   * whole certificate: a point with 0 here is stationary, not necessarily a global minimum.
   */
  kktViolation: number;
  /**
   * kktViolation / the problem's gradient scale (max_j |X_jᵀ∇F| at the null model): what
   * stopOn 'kkt' compares with tol; unchanged when columns or the response are rescaled.
   */
  relativeKkt: number;
  /** Smallest duality gap and KKT violation float64 can resolve at this point (absolute). */
  roundingFloor: { gap: number; kkt: number };
  /**
   * True when the chosen certificate (KKT for nonconvex penalties) is under tol at the returned
   * point, or under its rounding floor (status 'at rounding level': more iterations cannot do
   * better on this data).
   */
  converged: boolean;
  /**
   * 'converged', 'at rounding level', or why not ('max iterations reached', 'time limit reached',
   * 'diverged: …', 'stalled: …', 'stopped by callback').
   */
  status: string;
  /** Solver iterations (outer steps). */
  iterations: number;
  /** Passes over the data spent (what maxIter bounds). */
  work: number;
  /** Indices of groups with ‖w_g‖ > 0 (unpenalized groups included). */
  activeGroups: number[];
  /** Names of the active groups. */
  activeGroupNames: string[];
  /** ‖w_g‖₂ per group (over all tasks). */
  groupNorms: Float64Array;
  groupNames: readonly string[];
  solver: string;
  /** The penalty's registered name. */
  penalty: string;
  lambda: number;
  loss: LossName;
  nTasks: number;
}

const PROBLEM_KEYS = ['groups', 'loss', 'weights', 'fitIntercept', 'ungrouped', 'penalty', 'alpha', 'gamma', 'tau', 'sampleWeight', 'ties'] as const;
const SOLVE_KEYS = ['tol', 'maxIter', 'maxTime', 'solver', 'stopOn', 'warmStart', 'callback', 'tightenGap'] as const;
/** Option names that are penalty parameters (each penalty takes those its spec lists). */
export const PENALTY_PARAM_KEYS = ['alpha', 'gamma', 'tau'] as const;

/** A penalty chosen and its parameters checked, ready to be built at any λ. */
export interface PenaltyChoice {
  readonly spec: PenaltySpec;
  readonly params: PenaltyParams;
}

/**
 * The penalty named in `options` (default 'groupLasso'), with its parameters checked. A parameter
 * the penalty does not take is an error (alpha with the group lasso, gamma with the lasso…).
 */
/** Options handed to a kit helper: an object (its keys are the caller's to check). */
function checkOptionsObject(fn: string, options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError(fn, `options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
}

export function choosePenalty(fn: string, options: { penalty?: string; alpha?: number; gamma?: number; tau?: number }): PenaltyChoice {
  fn = callerName(fn, 'choosePenalty');
  checkOptionsObject(fn, options);
  const name = options.penalty === undefined ? 'groupLasso' : checkChoice(fn, 'penalty', options.penalty, penaltyNames());
  const spec = getPenalty(name)!;
  const given: Record<string, unknown> = {};
  for (const k of PENALTY_PARAM_KEYS) {
    if (options[k] === undefined) continue;
    if (!spec.params.includes(k)) {
      throw new ValueError(fn, `${k} is not a parameter of the ${spec.name} penalty${k === 'alpha' ? " (alpha belongs to penalty: 'sparseGroupLasso', fitSparseGroupLasso)" : ''}`);
    }
    given[k] = options[k];
  }
  return { spec, params: spec.checkParams(given, fn) };
}

/** Solve options after validation. */
export interface CheckedSolveOptions {
  tol: number;
  maxIter: number;
  stopOn: StopRule;
  /** A registered solver name or 'auto'. */
  solver: string;
  callback?: (info: IterationInfo) => boolean | void;
  /** performance.now() time stamp at which the run stops ('time limit reached'). */
  deadline?: number;
  /** See SolveOptions.tightenGap (default resolved from tol). */
  tightenGap: boolean;
}

/** Tolerances at or above this are loose: a single fit tightens its reported gap by default. */
export const LOOSE_TOL = 1e-5;

/** Validate the solve options (tol, maxIter, maxTime, stopOn, solver, callback) once. */
export function checkSolveOptions(fn: string, options: SolveOptions): CheckedSolveOptions {
  fn = callerName(fn, 'checkSolveOptions');
  checkOptionsObject(fn, options);
  const tol = checkTolerance(fn, options.tol);
  const maxIter = options.maxIter === undefined ? 100_000 : checkPositiveInt(fn, 'maxIter', options.maxIter);
  const stopOn = options.stopOn === undefined ? 'gap' : checkChoice(fn, 'stopping rule', options.stopOn, ['gap', 'kkt', 'both'] as const);
  const solver = options.solver === undefined ? 'auto' : checkChoice(fn, 'solver', options.solver, [...solverNames(), 'auto']);
  if (options.callback !== undefined && typeof options.callback !== 'function') {
    throw new ValueError(fn, `callback must be a function, got ${options.callback === null ? 'null' : typeof options.callback}`);
  }
  if (options.tightenGap !== undefined && typeof options.tightenGap !== 'boolean') {
    throw new ValueError(fn, `tightenGap must be true or false, got ${options.tightenGap === null ? 'null' : typeof options.tightenGap}`);
  }
  const tightenGap = options.tightenGap ?? tol >= LOOSE_TOL;
  return { tol, maxIter, stopOn, solver, callback: options.callback, deadline: deadlineFrom(fn, options.maxTime), tightenGap };
}

/**
 * Design size (n·p entries, p ≤ n) up to which a single least-squares fit with default options
 * runs group descent on the Gram matrix (see PreparedProblem.gramDescent).
 */
const GRAM_DESCENT_SIZE = 200_000;

/** What one run of the solve sequence returns. */
export interface SolveRun {
  drive: DriveResult;
  /** The solver that ran ('auto' resolved). */
  solver: string;
}

/**
 * A validated problem (design, response, groups, loss, penalty) ready to be fitted at many λ with
 * warm starts — what paths and cross-validation use. Build with {@link prepareProblem} (user
 * input) or {@link problemFromValidated} (already validated parts, inside the library).
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
  readonly penalty: PenaltyChoice;
  readonly n: number;
  readonly p: number;
  readonly T: number;
  /** Class labels in the order of the columns of W (multinomial only). */
  classes?: (number | string)[];
  private ctxPositive: ProblemContext | null = null;
  private lipschitz: number | undefined;
  private readonly fn: string;

  constructor(X: LinearOperator, datafit: Datafit, groups: GroupStructure, fitIntercept: boolean, penalty: PenaltyChoice, fn: string) {
    // O(1) checks, once per problem (built from validated parts by problemFromValidated).
    fn = callerName(fn, 'PreparedProblem');
    if (X === null || typeof X !== 'object' || typeof X.apply !== 'function' || !Number.isInteger(X.rows) || !Number.isInteger(X.cols)) {
      throw new ShapeError(fn, 'X must be a LinearOperator (see toOperator)');
    }
    if (datafit === null || typeof datafit !== 'object' || typeof datafit.valueGrad !== 'function' || datafit.n !== X.rows) {
      throw new ShapeError(fn, `datafit must be a Datafit over the ${X.rows} rows of X`);
    }
    if (!isGroupStructure(groups) || groups.nFeatures !== X.cols) throw new ShapeError(fn, `groups must be a GroupStructure over the ${X.cols} columns of X`);
    if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
    if (penalty === null || typeof penalty !== 'object' || penalty.spec === null || typeof penalty.spec !== 'object') {
      throw new OptionError(fn, 'penalty must be a penalty choice (from choosePenalty)');
    }
    this.X = X;
    this.datafit = datafit;
    this.groups = groups;
    this.coefGroups = expandForTasks(groups, datafit.T);
    this.fitIntercept = fitIntercept;
    this.loss = datafit.name;
    this.penalty = penalty;
    this.n = X.rows;
    this.p = X.cols;
    this.T = datafit.T;
    this.fn = fn;
  }

  /** The penalty at λ. */
  makePenalty(lambda: number): Penalty {
    return this.penalty.spec.create(this.coefGroups, lambda, this.penalty.params);
  }

  /** The same problem on other columns (screened sub-problems of a path); `groups` over those columns. */
  withColumns(X: LinearOperator, groups: GroupStructure): PreparedProblem {
    const p = new PreparedProblem(X, this.datafit, groups, this.fitIntercept, this.penalty, this.fn);
    p.classes = this.classes;
    return p;
  }

  /** The same problem on rows `rows` (cross-validation folds), validated as a problem of its own. */
  withRows(X: LinearOperator, rows: ArrayLike<number>, fn = this.fn): PreparedProblem {
    const p = problemFromValidated({ X, datafit: this.datafit.subset(rows), groups: this.groups, fitIntercept: this.fitIntercept, penalty: this.penalty }, fn);
    p.classes = this.classes;
    return p;
  }

  /**
   * Problem context at λ. For λ > 0 one context is reused (only λ changes, so the unpenalized
   * factorization and the Lipschitz estimate are kept); λ = 0 makes every group unpenalized.
   */
  context(lambda: number): ProblemContext {
    if (lambda === 0) return this.newContext(0);
    if (!this.ctxPositive) this.ctxPositive = this.newContext(lambda);
    else this.ctxPositive.setLambda(lambda);
    return this.ctxPositive;
  }

  private newContext(lambda: number): ProblemContext {
    const ctx = new ProblemContext(this.X, this.datafit, this.makePenalty(lambda), this.fitIntercept);
    // Any unpenalized column (not only the intercept: λ = 0, weight-0 groups) can make the
    // GLM's unpenalized fit unbounded; without this check a separable no-intercept fit went on
    // with a Newton iterate that had run off, and returned arbitrary coefficients.
    const near = ctx.unpenalized.nearCollinear;
    if (near) {
      const what = near.column < 0 ? 'the intercept' : `column ${near.column}`;
      throw new ValueError(this.fn, `the unpenalized columns (intercept and unpenalized groups${lambda === 0 ? ', every group at lambda = 0' : ''}) are nearly collinear: ` +
        `${what}'s part outside the span of the earlier ones is ${near.ratio.toExponential(1)} of its norm, so their fit needs coefficients ~${(1 / near.ratio).toExponential(0)} ` +
        'that float64 cannot evaluate to a certified optimum; remove or combine that column, or penalize it (lambda > 0, weight > 0)');
    }
    if (ctx.unpenalized.k > 0 && !ctx.unpenalized.converged) {
      throw new ValueError(this.fn, `the unpenalized part (intercept and unpenalized groups) has no finite optimum for this ${this.loss} response (separable or degenerate data)`);
    }
    return ctx;
  }

  /**
   * λ_max: the smallest λ at which w = 0 (all penalized groups zero) is optimal (for a nonconvex
   * penalty: stationary), i.e. max_g ρ_g(Xᵀ∇F(η₀)) with η₀ the unpenalized fit; ρ_g(z) = ‖z_g‖/d_g
   * for the group lasso.
   */
  lambdaMax(): number {
    return this.zeroPoint(1).lambdaMax;
  }

  /**
   * λ_max with the point w = 0 evaluated on the context at λ (> 0), which a fit from w = 0 at that
   * λ starts from (the datafit part does not depend on λ): one evaluation serves both.
   */
  zeroPoint(lambda: number): { lambdaMax: number; point: PointBuffers } {
    const ctx = this.context(lambda);
    const point = newPoint(ctx);
    evaluate(ctx, new Float64Array(ctx.size), point);
    const grad = point.grad;
    let m = 0;
    const pen = ctx.penalty;
    for (let g = 0; g < pen.groups.nGroups; g++) {
      if (!(pen.groups.weights[g] > 0)) continue;
      const r = pen.groupDualNorm(grad, g);
      if (r > m) m = r;
    }
    return { lambdaMax: m, point };
  }

  /**
   * Fit at one λ (options validated here). `deadline` (a performance.now() time stamp) is how
   * paths and cross-validation pass one time budget down to all their fits.
   */
  fit(lambda: number, options: SolveOptions & { deadline?: number } = {}, zeroStart?: PointBuffers): FitResult {
    const fn = this.fn;
    checkNonNegative(fn, 'lambda', lambda);
    const o = checkSolveOptions(fn, options);
    if (options.deadline !== undefined) o.deadline = options.deadline;
    const ctx = this.context(lambda);
    const w0 = new Float64Array(ctx.size);
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
        if (typeof c[i] !== 'number' || !Number.isFinite(c[i])) throw new ValueError(fn, `warmStart.coef has a non-finite value at ${i}`);
        w0[i] = c[i];
      }
      // The intercept is refitted exactly, so its value is not used — but a bad one is a bug in
      // the caller's code and was silently ignored.
      const b = options.warmStart.intercept;
      if (b !== undefined) {
        const bs = typeof b === 'number' ? [b] : b;
        if (bs === null || typeof bs !== 'object' || typeof bs.length !== 'number') {
          throw new ValueError(fn, `warmStart.intercept must be a number or one number per task, got ${b === null ? 'null' : typeof b}`);
        }
        for (let t = 0; t < bs.length; t++) {
          if (typeof bs[t] !== 'number' || !Number.isFinite(bs[t])) throw new ValueError(fn, `warmStart.intercept has a non-finite value ${String(bs[t])}`);
        }
      }
    }
    // `zeroStart`: w = 0 already evaluated on this context (see zeroPoint), used when w0 is 0.
    const start = options.warmStart === undefined ? zeroStart : undefined;
    if (o.solver === 'auto' && options.warmStart === undefined && o.callback === undefined && o.stopOn === 'gap' && !o.tightenGap) {
      const run = this.gramDescent(ctx, lambda, o, start);
      if (run !== null) return this.summarize(ctx, run, lambda);
    }
    return this.summarize(ctx, this.solve(ctx, w0, o, undefined, start, o.tightenGap), lambda);
  }

  /**
   * A small dense least-squares fit from w = 0 by cyclic group descent on the Gram matrix (the
   * engine paths use, see descent.ts), or null when the problem is not one it serves. Its epochs
   * cost O(p·|g|) per block against the O(n·|g|) of a residual update, which on designs this size
   * is most of a fit (birthwt, 189 × 16: about a quarter of the time of working-set BCD). The
   * certificate is computed from scratch at the returned point, as every solver's is.
   */
  private gramDescent(ctx: ProblemContext, lambda: number, o: CheckedSolveOptions, start?: PointBuffers): SolveRun | null {
    if (!(lambda > 0) || this.T !== 1 || this.p > this.n || this.n * this.p > GRAM_DESCENT_SIZE) return null;
    const engine = descentPath(ctx, true, start);
    if (engine === null) return null;
    try {
      // λ_max from the gradient at w = 0 (the engine's start) sets the strong rule's first set;
      // without that evaluation at hand every group is cycled over.
      let lmax = Infinity;
      if (start !== undefined) {
        lmax = 0;
        for (let g = 0; g < ctx.penalty.groups.nGroups; g++) {
          if (ctx.penalty.isPenalized(g)) lmax = Math.max(lmax, ctx.penalty.groupDualNorm(start.grad, g));
        }
      }
      const f = engine.fit(lambda, Math.max(lmax, lambda), { tol: o.tol, maxIter: o.maxIter, deadline: o.deadline, strong: true });
      if (f.stop === 'stalled') {
        // Near the rounding floor the Gram-space gradient can say optimal while the certificate
        // from scratch is still above tol: the general route goes on from this point (residual
        // updates, its own stall tests), with the work already spent counted.
        const run = this.solve(ctx, engine.w.slice(), { ...o, maxIter: Math.max(1, o.maxIter - Math.ceil(f.work)) });
        run.drive.iterations += f.epochs;
        run.drive.work += f.work;
        return run;
      }
      const status = f.converged
        ? f.atFloor ? 'at rounding level' : 'converged'
        : f.stop === 'deadline' ? 'time limit reached' : 'max iterations reached';
      const drive: DriveResult = { w: engine.w.slice(), certificate: f.cert, converged: f.converged, iterations: f.epochs, work: f.work, status };
      // Block coordinate descent, on the Gram matrix.
      return { drive, solver: 'bcd' };
    } finally {
      engine.release();
    }
  }

  /**
   * The solve sequence on a context of this problem, from w0 (trusted, length ctx.size):
   * resolve 'auto', apply the Lipschitz policy (one global estimate per problem for solvers that
   * take a fixed step, or `lipschitz()` when the caller has a better one), build the solver, and
   * drive it to its certificate. `start`: w0 already evaluated on ctx (see ProximalOptions.start).
   * `tightDual`: a single fit's reported gap made to track its suboptimality (see tightenDual); a
   * path, whose every λ is a warm start for the next, leaves it off.
   */
  solve(ctx: ProblemContext, w0: Float64Array, o: CheckedSolveOptions, lipschitz?: () => number, start?: PointBuffers, tightDual = false): SolveRun {
    const name = o.solver === 'auto' ? chooseSolver(ctx) : o.solver;
    const entry = getSolver(name)!;
    let L: number | undefined;
    // With a global curvature bound the Lipschitz estimate holds for every λ: computed once.
    if (entry.globalLipschitz && ctx.penalty.lambda > 0 && Number.isFinite(this.datafit.curvature)) {
      if (lipschitz) L = lipschitz();
      else L = this.lipschitz ??= estimateLipschitz(ctx);
    }
    const solver = entry.factory(ctx, w0, { lipschitz: L, start });
    const refiner = tightDual ? refiningSolver(ctx, name) : null;
    const res = drive(ctx, solver, {
      tol: o.tol, maxIter: o.maxIter, stopOn: o.stopOn, checkEvery: 10, callback: o.callback, deadline: o.deadline,
      // The fit's own solver, when it is the refiner, runs on from its warm state (no second setup).
      tightDual: refiner
        ? refiner.name === name ? () => solver : (w) => refiner.factory(ctx, w, { lipschitz: refiner.globalLipschitz ? L : undefined })
        : undefined,
    });
    return { drive: res, solver: name };
  }

  /** The FitResult of a run (the final certificate evaluated the returned point, so ctx holds its unpenalized fit). */
  summarize(ctx: ProblemContext, run: SolveRun, lambda: number): FitResult {
    const res = run.drive;
    const coef = ctx.fullCoefficients(res.w);
    const { intercepts } = ctx.unpenalizedCoefficients();
    const gs = this.coefGroups;
    const { norms, active } = groupNorms(coef, gs);
    const c = res.certificate;
    return {
      coef, intercept: intercepts[0], intercepts,
      objective: c.primal, dualObjective: c.dual, dualityGap: c.gap, relativeGap: c.relativeGap,
      kktViolation: c.kktViolation, relativeKkt: c.relativeKkt, roundingFloor: { gap: c.gapFloor, kkt: c.kktFloor },
      converged: res.converged, status: res.status, iterations: res.iterations, work: res.work,
      activeGroups: active, activeGroupNames: active.map((g) => gs.names[g]), groupNorms: norms, groupNames: gs.names,
      solver: run.solver, penalty: ctx.penalty.name, lambda, loss: this.loss, nTasks: this.T,
    };
  }
}

/** Parts of a problem that are already validated (the library's own callers). */
export interface ValidatedParts {
  X: LinearOperator;
  datafit: Datafit;
  groups: GroupStructure;
  fitIntercept: boolean;
  penalty?: PenaltyChoice;
}

/**
 * The internal validated entry: a problem from parts already checked (an operator, a datafit
 * built from a checked response, a group structure over X's columns). Only the checks that need
 * all parts together run here (an intercept-only fit must exist).
 */
export function problemFromValidated(parts: ValidatedParts, fn: string): PreparedProblem {
  const { datafit, groups, fitIntercept } = parts;
  // Dense designs run on the fast kernels (one copy per matrix, reused across fits while unchanged).
  const X = parts.X instanceof DenseMatrix ? sharedFastCopy(parts.X) : parts.X;
  if (groups.nFeatures !== X.cols) throw new ShapeError(fn, `the groups cover ${groups.nFeatures} columns, X has ${X.cols}`);
  if (datafit.n !== X.rows) throw new ShapeError(fn, `the response has ${datafit.n} rows, X has ${X.rows}`);
  if (fitIntercept) {
    const why = datafit.interceptObstacle();
    if (why !== null) throw new ValueError(fn, `${why}: with an intercept the fit has no finite optimum`);
  }
  const penalty = parts.penalty ?? choosePenalty(fn, {});
  return new PreparedProblem(X, datafit, groups, fitIntercept, penalty, fn);
}

/**
 * Validate user inputs once and build a {@link PreparedProblem}. `fn` names the public function in
 * error messages.
 */
export function prepareProblem(X: MatrixInput, y: ResponseInput, options: ProblemOptions, fn = 'prepareProblem'): PreparedProblem {
  if (options === undefined || options === null) throw new ValueError(fn, 'options with at least `groups` are required');
  // Each dense form reaches the kernel memory in one pass that also checks it (no second copy).
  const op = designOperator(X, fn);
  if (op.rows < 2) throw new ShapeError(fn, `X has ${op.rows} row; at least 2 samples are needed`);
  let loss = options.loss === undefined ? undefined : checkChoice(fn, 'loss', options.loss, lossNames());
  if (loss === undefined) {
    // The default loss, chosen by the number of response columns.
    const multi = (Array.isArray(y) || ArrayBuffer.isView(y)) && (y as ArrayLike<unknown>).length > 0 && typeof (y as ArrayLike<unknown>)[0] === 'object';
    const cols = y !== null && typeof y === 'object' && 'columns' in y && typeof (y as { columns: unknown }).columns === 'number' ? (y as { columns: number }).columns : 1;
    loss = defaultLoss(multi ? Math.max(2, cols) : cols);
  }
  const fitIntercept = resolveIntercept(fn, loss, options.fitIntercept);
  // Extreme scales (1e±300) used to be certified through underflow (a zero objective, a zero
  // gap, w = 0): refuse them here, where the remedy is a constant factor (the response's scale is
  // checked by its loss).
  checkDesignScale(fn, op);
  const penalty = choosePenalty(fn, options);
  // An unknown mode is an OptionError (as errors.ts documents), with a suggestion for typos.
  if (options.ungrouped !== undefined) checkChoice(fn, 'ungrouped mode', options.ungrouped, ['error', 'unpenalized'] as const);
  const groups = makeGroups(options.groups, op.cols, { weights: options.weights, ungrouped: options.ungrouped }, fn);
  const { datafit, classes } = readResponse(loss, y, op.rows, { sampleWeight: options.sampleWeight, lossOptions: { ties: options.ties } }, fn);
  const prob = problemFromValidated({ X: op, datafit, groups, fitIntercept, penalty }, fn);
  prob.classes = classes;
  return prob;
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
  return oneCall(X, fn, (op) => fitResolvable(fn, prepareProblem(op, y, options, fn), options.lambda, options));
}

/**
 * Below this fraction of λ_max (about ε/2) a penalty cannot be told from none: see {@link fitResolvable}.
 */
const LAMBDA_RESOLUTION = 1e-16;

/**
 * One fit at λ, refusing 0 < λ < LAMBDA_RESOLUTION·λ_max. There the threshold λ·d_g is under the
 * rounding of the gradient it is compared with (entries up to λ_max·d_g), so no dual point can be
 * certified: every solver ran to its stall test or work cap and returned converged: false with a
 * relative gap near 1, although λ = 0, the same fit to working precision, is certified.
 */
function fitResolvable(fn: string, prob: PreparedProblem, lambda: number, options: SolveOptions): FitResult {
  if (typeof lambda === 'number' && lambda > 0 && Number.isFinite(lambda)) {
    const { lambdaMax: lmax, point } = prob.zeroPoint(lambda);
    if (lmax > 0 && lambda < LAMBDA_RESOLUTION * lmax) {
      throw new ValueError(fn, `lambda = ${lambda} is below ${LAMBDA_RESOLUTION}·λ_max = ${(LAMBDA_RESOLUTION * lmax).toExponential(2)} (λ_max = ${lmax.toExponential(3)}): float64 cannot tell a penalty this small from none; use lambda: 0 for the unpenalized fit`);
    }
    return prob.fit(lambda, options, point);
  }
  return prob.fit(lambda, options);
}

/**
 * Run `body` on the design of one call: what the call converts (rows, an ml-matrix, a dense
 * enough CSC matrix, a DenseMatrix without a kept kernel copy) lives in a pooled kernel memory
 * that goes back to the pool when the call returns, so the next call of that size writes into
 * the same pages (see callDesign). The results hold no view on that memory.
 */
export function oneCall<T>(X: MatrixInput, fn: string, body: (op: LinearOperator) => T): T {
  const { op, owned } = callDesign(X, fn);
  try {
    return body(op);
  } finally {
    if (owned && op instanceof FastDense) op.dispose();
  }
}

/**
 * Sparse-group lasso fit (Simon, Friedman, Hastie & Tibshirani 2013):
 *   minimize_{w, b}  F(Xw + b) + λ [α‖w‖₁ + (1 − α) Σ_g d_g ‖w_g‖₂],  α ∈ [0, 1] (default 0.5),
 * with the same losses, scaling and certificate as {@link fitGroupLasso}.
 */
export function fitSparseGroupLasso(X: MatrixInput, y: ResponseInput, options: FitOptions & { alpha?: number }): FitResult {
  const fn = 'fitSparseGroupLasso';
  checkOptions(fn, options, ['lambda', ...PROBLEM_KEYS.filter((k) => k !== 'penalty' && k !== 'gamma' && k !== 'tau'), ...SOLVE_KEYS]);
  if (options === undefined || options === null) throw new ValueError(fn, 'options { groups, lambda } are required');
  checkNonNegative(fn, 'lambda', options.lambda);
  return oneCall(X, fn, (op) => fitResolvable(fn, prepareProblem(op, y, { ...options, penalty: 'sparseGroupLasso' }, fn), options.lambda, options));
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
  // Without a penalty name, alpha means the sparse-group lasso (what fitSparseGroupLasso fits).
  const penalty = options?.penalty ?? (options?.alpha !== undefined ? 'sparseGroupLasso' : undefined);
  return oneCall(X, fn, (op) => prepareProblem(op, y, { ...options, penalty }, fn).lambdaMax());
}
