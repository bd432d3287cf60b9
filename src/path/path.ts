import type { MatrixInput, ResponseInput } from '../linalg/input.ts';
import { ValueError } from '../errors.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import { groupNorms } from '../groups/norms.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import type { LossName } from '../datafits/datafits.ts';
import { checkSolveOptions, oneCall, prepareProblem, PreparedProblem, type CheckedSolveOptions, type ProblemOptions, type SolverName } from '../problem/problem.ts';
import { certificateVerdict, certify, problemScales, type Certificate } from '../solvers/certificate.ts';
import { operatorNormSquared } from '../linalg/power.ts';
import { ProjectedOperator, type PointBuffers, type ProblemContext } from '../solvers/problem.ts';
import { Random } from '../util/random.ts';
import { chooseSolver, getSolver } from '../solvers/registry.ts';
import { checkChoice, checkOptions, checkPositive, checkPositiveInt, checkSizeLimit, checkTolerance, deadlineFrom } from '../util/validate.ts';
import { selectColumnsOf } from '../linalg/subset.ts';
import { gapSafeSequential } from './screening.ts';
import { descentPath } from './descent.ts';

/** Options of {@link groupLassoPath}. */
export interface PathOptions extends ProblemOptions {
  /** Number of λ values of the default grid (default 100). */
  nLambda?: number;
  /** λ_min / λ_max of the default grid (default 1e-3 when n > p, else 0.05, as grpreg). */
  lambdaMinRatio?: number;
  /** Explicit λ values (≥ 0); sorted into decreasing order, which is the order of the results. */
  lambdas?: ArrayLike<number>;
  /** Relative duality gap each fit must reach (default 1e-8). */
  tol?: number;
  /** Work cap per fit, in passes over the data (default 100 000). */
  maxIter?: number;
  /**
   * Time budget in seconds for the whole path (cross-validation: for all its paths). When it runs
   * out, the fits left end at once, not converged, and `status` is 'time limit reached'.
   */
  maxTime?: number;
  /** Solver (default 'auto'). */
  solver?: SolverName;
  /**
   * 'strong': sequential strong rules with a KKT check, each fit on a sub-problem of the kept
   * groups; 'none': every fit on all groups; 'auto' (default): 'strong', except on small designs
   * (n·p·T ≤ 200 000) with a solver that picks its own working sets (block coordinate descent,
   * proximal Newton), where one fit on all groups costs less than building sub-problems.
   */
  screening?: 'auto' | 'strong' | 'none';
  /**
   * Called after each λ with (done, total); returning false stops the run: the λ left end at once,
   * not converged, and `status` is 'stopped by callback'.
   */
  onProgress?: (done: number, total: number) => boolean | void;
  /**
   * Called after every iteration of every fit (a single fit can run for minutes at a tight tol):
   * which λ, the iteration and the solver's running relative gap. Returning false stops the run as
   * onProgress does. Keep it cheap: throttle by time on the caller's side.
   */
  onIteration?: (info: FitIteration) => boolean | void;
}

/** What {@link PathOptions.onIteration} receives. */
export interface FitIteration {
  /** 0-based index of the λ being fitted, and the number of λ on the path. */
  lambdaIndex: number;
  nLambda: number;
  /** Iteration of this fit (from 1) and the passes over the data it has cost so far. */
  iteration: number;
  /** The solver's running relative duality gap (primal − best dual) / |primal|; NaN when unknown. */
  relativeGap: number;
}

/** A stop request shared by the paths of one run (cross-validation stops all its folds at once). */
export interface StopFlag {
  stopped: boolean;
}

export const PATH_KEYS = [
  'groups', 'loss', 'weights', 'fitIntercept', 'ungrouped', 'penalty', 'alpha', 'gamma', 'tau', 'sampleWeight', 'ties', 'nLambda', 'lambdaMinRatio', 'lambdas',
  'tol', 'maxIter', 'maxTime', 'solver', 'screening', 'onProgress', 'onIteration',
] as const;

/** Largest λ grid accepted (each λ keeps p·T coefficients; 10⁴ is far beyond any plot or CV). */
export const MAX_LAMBDAS = 10_000;
/**
 * Design size (n·p·T entries) up to which a working-set solver fits every group at each λ: a full
 * gradient there costs less than building a screened sub-problem.
 */
const ALL_IN_ONE_SIZE = 200_000;
/** Smallest lambdaMinRatio: below it λ is 0 to float64 rounding of the loss, and fits cannot be certified. */
export const MIN_LAMBDA_RATIO = 1e-12;

/** Certificate of one fit of the path, always for the full problem (every group, screened or not). */
export interface PathCertificate {
  /** Primal objective P(w) of the full problem. */
  objective: number;
  /** P − D ≥ 0 (absolute); NaN for a nonconvex penalty (no duality gap exists). */
  dualityGap: number;
  /** (P − D)/P; NaN for a nonconvex penalty. */
  relativeGap: number;
  /** max over all groups (and the intercept) of the distance of −∇ to the subdifferential. */
  kktViolation: number;
  /**
   * Relative gap ≤ tol, or under the rounding floor (then `status` says so); for a nonconvex
   * penalty, relative KKT distance ≤ tol.
   */
  converged: boolean;
  /** 'converged', 'at rounding level' (gap under `gapFloor`, not under tol), or 'not converged'. */
  status: 'converged' | 'at rounding level' | 'not converged';
  /** Smallest gap float64 can resolve here (see roundingFloors). */
  gapFloor: number;
}

/** A regularization path: one fit per λ, in decreasing λ. */
export interface PathResult {
  /** λ values, decreasing. */
  lambdas: Float64Array;
  /** Coefficients per λ (length p, or p·T column-major for T tasks). */
  coefs: Float64Array[];
  /** Intercept per λ (first task). */
  intercept: Float64Array;
  /** Intercepts per λ, one per task (as FitResult.intercepts). */
  intercepts: Float64Array[];
  /** Groups with ‖w_g‖ > 0 per λ (unpenalized groups included). */
  activeGroups: number[][];
  /** ‖w_g‖₂ per λ and group. */
  groupNorms: Float64Array[];
  certificates: PathCertificate[];
  groupNames: readonly string[];
  /** λ_max of the full problem (w = 0 optimal for λ ≥ λ_max). */
  lambdaMax: number;
  /** Groups over the features, as fitted (weights included). */
  groups: GroupStructure;
  loss: LossName;
  /** The penalty's registered name. */
  penalty: string;
  nTasks: number;
  nSamples: number;
  nFeatures: number;
  fitIntercept: boolean;
  /** Solver iterations per λ (all refits added up). */
  iterations: number[];
  /**
   * Per λ: how many penalized groups were fitted (`kept`), how many groups the strong rule left out
   * had to be put back (`violations`), and how many the sequential gap-safe rule proved zero
   * (`safe`, left out for good; 0 when every group is fitted at once; absent from paths built by
   * other means, such as the SQL sources).
   */
  screening: { kept: number; violations: number; safe?: number }[];
  /** Tolerance used. */
  tol: number;
  /**
   * 'complete', 'time limit reached' (maxTime ran out) or 'stopped by callback' (onProgress returned
   * false); in both the fits after that point are not converged.
   */
  status: 'complete' | 'time limit reached' | 'stopped by callback';
}

/**
 * Default λ grid: `nLambda` values log-spaced from λ_max down to λ_max·`lambdaMinRatio`
 * (λ_k = λ_max·ratio^{k/(nLambda−1)}).
 */
export function lambdaGrid(lambdaMax: number, nLambda: number, lambdaMinRatio: number): Float64Array {
  const fn = 'lambdaGrid';
  checkPositive(fn, 'lambdaMax', lambdaMax);
  checkPositiveInt(fn, 'nLambda', nLambda);
  checkSizeLimit(fn, 'nLambda', nLambda, MAX_LAMBDAS, 'each λ is a fit and keeps its coefficients');
  checkPositive(fn, 'lambdaMinRatio', lambdaMinRatio);
  if (lambdaMinRatio >= 1) throw new ValueError(fn, `lambdaMinRatio must be < 1, got ${lambdaMinRatio}`);
  const out = new Float64Array(nLambda);
  if (nLambda === 1) {
    out[0] = lambdaMax;
    return out;
  }
  const step = Math.log(lambdaMinRatio) / (nLambda - 1);
  for (let k = 0; k < nLambda; k++) out[k] = lambdaMax * Math.exp(step * k);
  out[nLambda - 1] = lambdaMax * lambdaMinRatio;
  return out;
}

/** User λ values → a validated, decreasing Float64Array. */
export function checkLambdas(fn: string, lambdas: ArrayLike<number>): Float64Array {
  if (lambdas === null || typeof lambdas !== 'object' || typeof lambdas.length !== 'number') {
    throw new ValueError(fn, 'lambdas must be an array of numbers');
  }
  if (lambdas.length === 0) throw new ValueError(fn, 'lambdas is empty');
  const out = new Float64Array(lambdas.length);
  for (let k = 0; k < lambdas.length; k++) {
    const v = lambdas[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValueError(fn, `lambdas[${k}] must be a finite number ≥ 0, got ${String(v)}`);
    }
    out[k] = v;
  }
  // Warm starts and strong rules need λ to decrease along the path.
  out.sort();
  out.reverse();
  return out;
}

/**
 * Group lasso regularization path:
 *   for each λ in a decreasing grid, minimize_{w, b} F(Xw + b) + λ Σ_g d_g ‖w_g‖₂
 * (F = (1/(2n))‖y − Xw − b‖² for the squared loss, the mean negative log-likelihood for logistic
 * and Poisson; d_g = √p_g by default), each fit warm-started from the previous one.
 *
 * Default grid: `nLambda` = 100 values log-spaced from λ_max (all groups zero) down to
 * λ_max·`lambdaMinRatio` (1e-3 when n > p, else 0.05). User `lambdas` are sorted decreasingly.
 *
 * Screening ('strong', default): at λ_k a penalized, inactive group g is left out of the fit when
 * ‖∇_g F‖₂ < d_g(2λ_k − λ_{k−1}) at the previous solution (sequential strong rule, Tibshirani et
 * al. 2012). The rule can be wrong, so after each fit every left-out group is checked against its
 * optimality condition ‖∇_g F‖₂ ≤ λ d_g on the FULL problem; violators are put back and the fit
 * repeated until none remain. Each returned certificate (duality gap, KKT violation) is computed
 * on the full problem, so it covers the screened groups too.
 *
 * @example
 * const path = groupLassoPath(X, y, { groups: ['a', 'a', 'b'], nLambda: 20 });
 * path.activeGroups[0] // returns [] (λ_max: every group is zero)
 */
export function groupLassoPath(X: MatrixInput, y: ResponseInput, options: PathOptions): PathResult {
  const fn = 'groupLassoPath';
  checkOptions(fn, options, PATH_KEYS);
  if (options === undefined || options === null) throw new ValueError(fn, 'options with at least `groups` are required');
  // One call: a converted design lives in a pooled kernel memory for the path's duration (the
  // result holds copies only), so a second path on rows of that size rewrites touched pages.
  return oneCall(X, fn, (op) => {
    const prob = prepareProblem(op, y, problemOptionsOf(options), fn);
    return pathOnProblem(prob, options, fn);
  });
}

/** The problem's part of path or cross-validation options (what prepareProblem takes). */
export function problemOptionsOf(o: ProblemOptions): ProblemOptions {
  return {
    groups: o.groups, loss: o.loss, weights: o.weights, fitIntercept: o.fitIntercept, ungrouped: o.ungrouped,
    penalty: o.penalty, alpha: o.alpha, gamma: o.gamma, tau: o.tau, sampleWeight: o.sampleWeight, ties: o.ties,
  };
}

interface SubProblem {
  key: string;
  problem: PreparedProblem;
  /** Feature columns of the sub-problem in the full design. */
  cols: Int32Array;
  /** Lipschitz constant of the sub-problem's smooth part (estimated once per sub-problem). */
  lipschitz?: number;
}

/** What one solve along the path reports. */
interface SolveRunSummary {
  iterations: number;
  converged: boolean;
}

/** The path on an already validated problem (used by cross-validation and the estimator too). */
export function pathOnProblem(
  prob: PreparedProblem, options: Omit<PathOptions, 'groups'> & { deadline?: number; stop?: StopFlag }, fn = 'groupLassoPath',
): PathResult {
  const stop = options.stop ?? { stopped: false };
  const tol = checkTolerance(fn, options.tol);
  const deadline = options.deadline ?? deadlineFrom(fn, options.maxTime);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ValueError(fn, `onProgress must be a function (done, total) => void, got ${options.onProgress === null ? 'null' : typeof options.onProgress}`);
  }
  const screening = options.screening === undefined ? 'auto' : checkChoice(fn, 'screening', options.screening, ['auto', 'strong', 'none'] as const);
  const solveOptions = checkSolveOptions(fn, { tol, maxIter: options.maxIter, solver: options.solver });
  solveOptions.deadline = deadline;
  const onIteration = options.onIteration;
  if (onIteration !== undefined && typeof onIteration !== 'function') {
    throw new ValueError(fn, `onIteration must be a function (info) => void, got ${onIteration === null ? 'null' : typeof onIteration}`);
  }
  // Which λ the iteration callback reports; set by the loop below.
  const at = { k: 0, K: 0, iteration: 0 };
  if (onIteration) {
    solveOptions.callback = (info) => {
      at.iteration++;
      const gap = (info.primal - info.dual) / Math.abs(info.primal);
      if (onIteration({ lambdaIndex: at.k, nLambda: at.K, iteration: at.iteration, relativeGap: Number.isFinite(gap) ? gap : NaN }) === false) {
        stop.stopped = true;
        return false;
      }
      return undefined;
    };
  }
  const { n, p, T } = prob;
  const lmax = prob.lambdaMax();
  let lambdas: Float64Array;
  if (options.lambdas !== undefined) {
    if (options.nLambda !== undefined || options.lambdaMinRatio !== undefined) {
      throw new ValueError(fn, 'give either lambdas or nLambda/lambdaMinRatio, not both');
    }
    lambdas = checkLambdas(fn, options.lambdas);
    checkSizeLimit(fn, 'the number of lambdas', lambdas.length, MAX_LAMBDAS, 'each λ is a fit and keeps its coefficients');
  } else {
    const nLambda = options.nLambda === undefined ? 100 : checkPositiveInt(fn, 'nLambda', options.nLambda);
    checkSizeLimit(fn, 'nLambda', nLambda, MAX_LAMBDAS, 'each λ is a fit and keeps its coefficients');
    const ratio = options.lambdaMinRatio === undefined ? (n > p ? 1e-3 : 0.05) : checkPositive(fn, 'lambdaMinRatio', options.lambdaMinRatio);
    if (ratio >= 1) throw new ValueError(fn, `lambdaMinRatio must be < 1, got ${ratio}`);
    if (ratio < MIN_LAMBDA_RATIO) {
      throw new ValueError(fn, `lambdaMinRatio ${ratio} is below ${MIN_LAMBDA_RATIO}: such λ are 0 to float64 rounding of the loss and cannot be certified; pass lambdas explicitly (0 included) for unpenalized fits`);
    }
    if (!(lmax > 0)) {
      throw new ValueError(fn, 'λ_max is 0: no penalized group is correlated with the response beyond the unpenalized fit (constant response?), so there is no path to compute; pass lambdas explicitly');
    }
    lambdas = lambdaGrid(lmax, nLambda, ratio);
  }

  const fgs = prob.groups; // feature groups
  const cgs = prob.coefGroups; // coefficient groups (same group indices)
  const G = fgs.nGroups;
  const size = p * T;
  const K = lambdas.length;
  let nPenalized = 0;
  for (let g = 0; g < G; g++) if (prob.context(Math.max(lmax, Number.MIN_VALUE)).penalty.isPenalized(g)) nPenalized++;
  const solverEntry = getSolver(solveOptions.solver === 'auto' ? chooseSolver(prob.context(Math.max(lmax, Number.MIN_VALUE))) : solveOptions.solver);
  const allInOne = screening === 'auto' && solverEntry?.workingSets === true && n * p * T <= ALL_IN_ONE_SIZE;
  const result: PathResult = {
    lambdas, coefs: [], intercept: new Float64Array(K), intercepts: [], activeGroups: [], groupNorms: [],
    certificates: [], groupNames: fgs.names, lambdaMax: lmax, groups: fgs, loss: prob.loss, penalty: prob.penalty.spec.name, nTasks: T,
    nSamples: n, nFeatures: p, fitIntercept: prob.fitIntercept, iterations: [], screening: [], tol, status: 'complete',
  };

  // State carried along the path: penalized coefficients (unpenalized entries 0), the gradient Xᵀ∇F
  // at that solution, and its λ. Start at w = 0, optimal for every λ ≥ λ_max.
  let w: Float64Array = new Float64Array(size);
  let warmCoef: Float64Array = new Float64Array(size);
  const ctx0 = prob.context(Math.max(lmax, lambdas[0], Number.MIN_VALUE));
  // The certificate point of the last fit (at w, on context `startCtx`): the datafit part of a
  // point does not depend on λ, so the next fit starts from it instead of evaluating w again.
  let start: PointBuffers | null = certify(ctx0, w).point;
  let startCtx: ProblemContext | null = ctx0;
  let grad: Float64Array = start.grad;
  let lambdaPrev = Math.max(lmax, lambdas[0]);
  let sub: SubProblem | null = null;
  // Leading right-singular direction of the last sub-problem: warm start of the next estimate.
  const power = new Random(0).normals(size);

  // The squared loss on a small dense design, or a wide one on the WebAssembly kernels: group
  // descent with its state carried along the path (see descent.ts). Its own strong rule and KKT
  // checks take the place of screening 'auto'; an explicit solver or screening rule takes the
  // general route below.
  const engine = screening === 'auto' && solveOptions.solver === 'auto' && lambdas[K - 1] > 0
    ? descentPath(ctx0, n * p * T <= ALL_IN_ONE_SIZE) : null;
  for (let k = 0; engine && k < K; k++) {
    const lam = lambdas[k];
    if (stop.stopped) solveOptions.deadline = -Infinity;
    const onEpoch = onIteration
      ? (iteration: number, relativeGap: number): boolean | void => {
        if (onIteration({ lambdaIndex: k, nLambda: K, iteration, relativeGap }) === false) {
          stop.stopped = true;
          return false;
        }
        return undefined;
      }
      : undefined;
    const f = engine.fit(lam, lambdaPrev, { tol, maxIter: solveOptions.maxIter, deadline: solveOptions.deadline, strong: true, onEpoch });
    // The context's unpenalized fit is that of the certified point (no unpenalized group here).
    recordFit(result, k, cgs, engine.w.slice(), ctx0.unpenalizedCoefficients().intercepts, pathCertificate(f.cert, f.converged, f.atFloor),
      f.epochs, { kept: f.kept, violations: f.violations, safe: 0 });
    lambdaPrev = lam;
    if (options.onProgress?.(k + 1, K) === false) stop.stopped = true;
  }
  engine?.release();
  for (let k = 0; !engine && k < K; k++) {
    const lam = lambdas[k];
    at.k = k;
    at.K = K;
    at.iteration = 0;
    // After a stop request every fit left ends at once (its certificate says not converged).
    if (stop.stopped) solveOptions.deadline = -Infinity;
    const ctx = prob.context(lam);
    const pen = ctx.penalty;
    const kept = new Uint8Array(G);
    const threshold = pen.strongRuleThreshold(lam, lambdaPrev);
    // Groups proven zero at λ from the last solution (sequential gap-safe rule): never fitted and
    // never put back. A fit on every group (allInOne) leaves this to its solver's own screening.
    const safe = new Uint8Array(G);
    const nSafe = screening !== 'none' && !allInOne && start !== null && startCtx === ctx ? gapSafeSequential(ctx, w, start, safe) : 0;
    let nKept = 0;
    for (let g = 0; g < G; g++) {
      if (!pen.isPenalized(g)) {
        kept[g] = 1;
        continue;
      }
      if (safe[g]) continue;
      const active = nrm2Indexed(w, cgs.indices, cgs.ptr[g], cgs.ptr[g + 1]) > 0;
      const strong = screening === 'none' || active || pen.groupDualNorm(grad, g) >= threshold;
      if (strong) {
        kept[g] = 1;
        nKept++;
      }
    }
    // Small designs with a working-set solver: every group in one fit (see SolverTraits.workingSets).
    if (allInOne && nKept < nPenalized) {
      kept.fill(1);
      nKept = nPenalized;
    }
    let iterations = 0;
    let violations = 0;
    let fit: SolveRunSummary | null = null;
    let cert!: ReturnType<typeof certify>;
    let converged = false;
    let atFloor = false;
    // Fits are solved to tol/10: their own stopping test may use a dual point from an earlier
    // iterate, while the certificate reported here is recomputed at the returned point only.
    let innerTol = nKept === nPenalized ? tol : 0.1 * tol;
    for (let attempt = 0; ; attempt++) {
      for (;;) {
        let full: ReturnType<typeof certify> | undefined;
        ({ w, fit, sub, full } = solveKept(prob, ctx, kept, lam, warmCoef, sub, power, { ...solveOptions, tol: innerTol }, fn, startCtx === ctx ? start : null));
        if (fit) iterations += fit.iterations;
        // A fit on every group was certified on the full problem by the driver, at w: no need to
        // recompute (it also keeps the best dual the solver found).
        cert = full ?? certify(ctx, w);
        start = cert.point;
        startCtx = ctx;
        // KKT on the full problem for every left-out group (at w_g = 0; ‖∇_g‖ ≤ λ d_g for the
        // group lasso). Never trust the rule alone.
        let added = 0;
        for (let g = 0; g < G; g++) {
          if (kept[g] || safe[g]) continue;
          if (pen.groupViolation(w, cert.point.grad, g) > 0) {
            kept[g] = 1;
            added++;
          }
        }
        if (added === 0) break;
        violations += added;
        nKept += added;
        warmCoef = ctx.fullCoefficients(w);
      }
      const verdict = certificateVerdict(ctx, cert, tol);
      converged = verdict !== false;
      atFloor = verdict === 'floor';
      // Tightening the inner tolerance helps only while it is above the rounding floor: that of
      // the gap, or of the KKT distance for a nonconvex penalty (its gap and gap floor are NaN).
      const underFloor = ctx.penalty.convex
        ? innerTol * Math.abs(cert.primal) <= cert.gapFloor
        : innerTol * problemScales(ctx).kkt <= cert.kktFloor;
      // A warm start accepted as it is while a zero group violates its optimality condition (just
      // below the λ where that group enters, the gap is second order in the distance) is within
      // tol, but misses the group: fit once more, tighter, so the support follows the path.
      const stale = converged && fit !== null && fit.iterations === 0 && attempt === 0 && zeroGroupViolated(pen, w, cert.point.grad, cgs);
      if ((converged && !stale) || fit === null || !fit.converged || attempt >= 3 || underFloor) break;
      innerTol *= 0.1;
      warmCoef = ctx.fullCoefficients(w);
      if (attempt >= 1 && !converged && nKept < nPenalized) {
        // A screened fit certifies its own gap with the best dual point its iterates gave; the
        // full problem's certificate is rebuilt from w's residual alone, which is off by O(‖w − w*‖)
        // where the objective is off by O(‖w − w*‖²). Tightening the sub-problem further gains
        // about √10 a round on that first-order term; a short run on every group, warm from w,
        // lets the full problem's own driver track its best dual and certify it.
        kept.fill(1);
        nKept = nPenalized;
        innerTol = tol;
      }
    }
    const coef = ctx.fullCoefficients(w);
    grad = cert.point.grad;
    recordFit(result, k, cgs, coef, ctx.unpenalizedCoefficients().intercepts, pathCertificate(cert, converged, atFloor),
      iterations, { kept: nKept, violations, safe: nSafe });
    warmCoef = coef;
    lambdaPrev = lam;
    if (options.onProgress?.(k + 1, K) === false) stop.stopped = true;
  }
  if (stop.stopped) result.status = 'stopped by callback';
  else if (deadline !== undefined && performance.now() > deadline) result.status = 'time limit reached';
  return result;
}

/** The path's certificate of one fit, from the full problem's certificate. */
function pathCertificate(cert: Certificate, converged: boolean, atFloor: boolean): PathCertificate {
  return {
    objective: cert.primal, dualityGap: cert.gap, relativeGap: cert.relativeGap, kktViolation: cert.kktViolation, converged,
    status: !converged ? 'not converged' : atFloor ? 'at rounding level' : 'converged', gapFloor: cert.gapFloor,
  };
}

/** Appends the k-th fit (coefficients of the full problem, its intercepts and certificate) to the path. */
function recordFit(
  result: PathResult, k: number, cgs: GroupStructure, coef: Float64Array, ints: Float64Array, certificate: PathCertificate,
  iterations: number, screening: PathResult['screening'][number],
): void {
  const { norms, active } = groupNorms(coef, cgs);
  result.coefs.push(coef);
  result.intercept[k] = ints[0];
  result.intercepts.push(ints);
  result.activeGroups.push(active);
  result.groupNorms.push(norms);
  result.certificates.push(certificate);
  result.iterations.push(iterations);
  result.screening.push(screening);
}

/** Whether some penalized group is zero at w and violates its optimality condition there. */
function zeroGroupViolated(pen: ProblemContext['penalty'], w: Float64Array, grad: Float64Array, cgs: GroupStructure): boolean {
  for (let g = 0; g < cgs.nGroups; g++) {
    if (!pen.isPenalized(g) || nrm2Indexed(w, cgs.indices, cgs.ptr[g], cgs.ptr[g + 1]) > 0) continue;
    if (pen.groupViolation(w, grad, g) > 0) return true;
  }
  return false;
}

/** Zero the unpenalized entries (the context refits them exactly and wants them 0 in w). */
function penalizedPart(ctx: ProblemContext, coef: Float64Array): Float64Array {
  const w = coef.slice();
  for (const c of ctx.unpenalizedCoefs) w[c] = 0;
  return w;
}

/**
 * Fit the problem restricted to the kept groups at λ, warm-started from `warm` (full length), and
 * return the full-length penalized coefficients. Without any kept penalized group the answer is
 * w = 0 (the unpenalized part is fitted exactly by the context).
 */
function solveKept(
  prob: PreparedProblem, ctx: ProblemContext, kept: Uint8Array, lam: number, warm: Float64Array,
  sub: SubProblem | null, power: Float64Array, o: CheckedSolveOptions, fn: string, start: PointBuffers | null,
): { w: Float64Array; fit: SolveRunSummary | null; sub: SubProblem | null; full?: Certificate & { point: PointBuffers } } {
  const fgs = prob.groups;
  const G = fgs.nGroups;
  const { p, T } = prob;
  let all = true;
  let anyPenalized = false;
  for (let g = 0; g < G; g++) {
    if (!kept[g]) all = false;
    else if (ctx.penalty.isPenalized(g)) anyPenalized = true;
  }
  if (!anyPenalized) return { w: new Float64Array(p * T), fit: null, sub };
  if (all) {
    // `start` is the point of the warm start itself (the caller's last certificate, at warm).
    const run = prob.solve(ctx, warm.slice(), o, undefined, start ?? undefined);
    const d = run.drive;
    const c = d.certificate as Certificate & { point?: PointBuffers };
    return { w: penalizedPart(ctx, d.w), fit: { iterations: d.iterations, converged: d.converged }, sub, full: c.point ? { ...c, point: c.point } : undefined };
  }
  let key = '';
  for (let g = 0; g < G; g++) if (kept[g]) key += g + ',';
  if (sub === null || sub.key !== key) {
    const lists: number[][] = [];
    const weights: number[] = [];
    const names: string[] = [];
    const cols: number[] = [];
    for (let g = 0; g < G; g++) {
      if (!kept[g]) continue;
      const list: number[] = [];
      for (let q = fgs.ptr[g]; q < fgs.ptr[g + 1]; q++) {
        list.push(cols.length);
        cols.push(fgs.indices[q]);
      }
      lists.push(list);
      weights.push(fgs.weights[g]);
      names.push(fgs.names[g]);
    }
    const Xs = selectColumnsOf(prob.X, cols);
    const gs = makeGroups(lists, cols.length, { weights, names }, fn);
    sub = { key, problem: prob.withColumns(Xs, gs), cols: Int32Array.from(cols) };
  }
  const ps = sub.cols.length;
  const ctxS = sub.problem.context(lam);
  const ws = new Float64Array(ps * T);
  for (let t = 0; t < T; t++) for (let q = 0; q < ps; q++) ws[t * ps + q] = warm[t * p + sub.cols[q]];
  // The problem's solve sequence, with a Lipschitz estimate warm-started from the previous
  // sub-problem (a cold power iteration per kept set would cost more than the fits themselves).
  const s = sub;
  const run = sub.problem.solve(ctxS, ws, o, () => (s.lipschitz ??= warmLipschitz(ctxS, s.cols, p, power)));
  const coefS = ctxS.fullCoefficients(run.drive.w);
  const fit: SolveRunSummary = { iterations: run.drive.iterations, converged: run.drive.converged };
  const w = new Float64Array(p * T);
  for (let t = 0; t < T; t++) for (let q = 0; q < ps; q++) w[t * p + sub.cols[q]] = coefS[t * ps + q];
  return { w: penalizedPart(ctx, w), fit, sub };
}

/**
 * Lipschitz constant of the smooth part of a sub-problem, curvature·‖P⊥X_S‖² (P⊥ projects off the
 * unpenalized columns, X_S the penalized kept columns), by power iteration started from the
 * previous sub-problem's leading direction `power` (full length p·T, updated in place). Power
 * iteration approaches from below; the 5 % margin and the solvers' backtracking cover the rest.
 */
function warmLipschitz(ctx: ProblemContext, cols: Int32Array, p: number, power: Float64Array): number {
  const { T, size } = ctx;
  const ps = cols.length;
  const mask = ctx.penalizedMask;
  const x = new Float64Array(size);
  for (let t = 0; t < T; t++) {
    for (let q = 0; q < ps; q++) {
      const c = t * ps + q;
      // A little of every direction, so a start orthogonal to the top one cannot stall.
      x[c] = mask[c] ? power[t * p + cols[q]] + 1e-2 * Math.sin(1 + c) : 0;
    }
  }
  const est = operatorNormSquared(new ProjectedOperator(ctx), { start: x, direction: x, tol: 1e-3, maxIter: 100 });
  if (!(est > 0)) return 1;
  for (let t = 0; t < T; t++) for (let q = 0; q < ps; q++) power[t * p + cols[q]] = x[t * ps + q];
  const L = 1.05 * est * ctx.datafit.curvature;
  return L > 0 && Number.isFinite(L) ? L : 1;
}

/** Index of the λ in a path closest to `lambda` (on the log scale). */
export function nearestLambdaIndex(lambdas: ArrayLike<number>, lambda: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let k = 0; k < lambdas.length; k++) {
    const d = lambda > 0 && lambdas[k] > 0 ? Math.abs(Math.log(lambdas[k] / lambda)) : Math.abs(lambdas[k] - lambda);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}
