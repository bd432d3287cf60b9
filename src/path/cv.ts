import type { MatrixInput, ResponseInput } from '../linalg/input.ts';
import { GroupSparseError, ShapeError, ValueError } from '../errors.ts';
import { prepareProblem, PreparedProblem } from '../problem/problem.ts';
import { Random } from '../util/random.ts';
import { checkOptions, checkPositiveInt, checkSizeLimit, deadlineFrom } from '../util/validate.ts';
import { PATH_KEYS, pathOnProblem, problemOptionsOf, type PathCertificate, type PathOptions, type PathResult } from './path.ts';
import { selectRowsOf } from '../linalg/subset.ts';
import { FastDense } from '../linalg/kernels/fast.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { runFoldsInParallel } from './parallel.ts';

/** Largest number of folds accepted (each fold is a path; leave-one-out beyond this is a typo). */
export const MAX_FOLDS = 1000;

/** Options of {@link cvGroupLasso}: the path options plus the fold design. */
export interface CvOptions extends PathOptions {
  /** Number of folds (default 10; at most n). With `foldIds`, it must equal the number of folds they name (or be left out). */
  nFolds?: number;
  /** Seed of the fold shuffle (default 1): the same seed gives the same folds. */
  seed?: number;
  /** Keep the class ratio in every fold (default: true for classification losses, else false). */
  stratify?: boolean;
  /** A fold label per row (integers ≥ 0); overrides nFolds/seed/stratify. */
  foldIds?: ArrayLike<number>;
  /**
   * Threads fitting folds at once (the calling one included; Node only, worker_threads). Default:
   * as many as the machine has cores (at most the number of folds) when the folds are worth it —
   * judged from the full-data path: a second of fitting or more, or 250 ms once the worker threads
   * are running (see startCvWorkers) — else 1. The result is the same, bit for bit, whatever the
   * number of threads.
   */
  workers?: number;
}

export const CV_KEYS = [...PATH_KEYS, 'nFolds', 'seed', 'stratify', 'foldIds', 'workers'] as const;

/** Result of {@link cvGroupLasso}. */
export interface CvResult {
  /**
   * 'complete', 'time limit reached' (maxTime ran out before every fold was fitted) or 'stopped by
   * callback' (onProgress returned false).
   */
  status: 'complete' | 'time limit reached' | 'stopped by callback';
  /**
   * Warnings about the selection, in plain sentences: the minimum at an edge of the λ grid, fold
   * fits not certified, the time budget run out. Empty when there is nothing to say.
   */
  diagnostics: string[];
  /** The λ grid (decreasing), the same for every fold: it comes from the full data. */
  lambdas: Float64Array;
  /**
   * Mean held-out loss per λ, over all n rows (each row is held out once). Cox: the
   * cross-validated partial-likelihood deviance per event (grpreg's cv.grpsurv): out-of-fold
   * linear predictors of all rows, scored on the full data's risk sets.
   */
  meanLoss: Float64Array;
  /** Standard error of `meanLoss`: sd over rows (Cox: events) / √n (as grpreg's cv.grpreg). */
  seLoss: Float64Array;
  /** Mean held-out loss per fold and λ: foldLoss[f][k]. */
  foldLoss: Float64Array[];
  /** What `meanLoss` measures: 'mean squared error' (squared, multitask) or 'deviance' (logistic, Poisson). */
  metric: string;
  /** λ with the smallest mean loss, and its index. */
  lambdaMin: number;
  indexMin: number;
  /** Largest λ whose mean loss is ≤ min + its standard error, and its index (λ_1se ≥ λ_min). */
  lambda1se: number;
  index1se: number;
  /** Fold label (0..nFolds−1) of each row. */
  foldIds: Int32Array;
  nFolds: number;
  /** Fits of the folds whose certificate is not under tol (counted over folds and λ). */
  notConverged: number;
  /** The path on all the data (the refit): `path.coefs[indexMin]` is the model at λ_min. */
  path: PathResult;
  /** The refit at λ_min on all the data, with its certificate. */
  fit: {
    lambda: number; coef: Float64Array; intercept: number; activeGroups: number[]; activeGroupNames: string[];
    certificate: PathCertificate;
  };
}

/** Rows makeFolds assigns in memory: 2^26, far past any design matrix held as Float64Arrays here. */
const MAX_FOLD_ROWS = 2 ** 26;

/**
 * Fold labels for n rows: a seeded shuffle dealt round-robin, so fold sizes differ by at most one.
 * With `labels` (classes 0, 1, …), each class is dealt separately, continuing the round-robin, so every fold
 * keeps the class ratio up to one row per class.
 */
export function makeFolds(n: number, nFolds: number, seed = 1, labels?: ArrayLike<number>): Int32Array {
  const fn = 'makeFolds';
  checkPositiveInt(fn, 'n', n);
  // The assignment and a row list are held in memory (about 12 bytes a row): 1e9 rows ran out of it.
  checkSizeLimit(fn, 'n', n, MAX_FOLD_ROWS, 'folds of an in-memory table; hash a row key into folds in SQL for more (groupsparse/sql)');
  checkPositiveInt(fn, 'nFolds', nFolds);
  if (nFolds < 2) throw new ValueError(fn, `nFolds must be ≥ 2, got ${nFolds}`);
  if (nFolds > n) throw new ValueError(fn, `nFolds (${nFolds}) is larger than the number of rows (${n})`);
  const rng = new Random(seed);
  const folds = new Int32Array(n);
  const classes: number[][] = [];
  if (labels === undefined) {
    classes.push(Array.from({ length: n }, (_, i) => i));
  } else {
    if (labels.length !== n) throw new ShapeError(fn, `labels has length ${labels.length}, expected ${n}`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      if (!Number.isInteger(c) || c < 0) throw new ValueError(fn, `stratified folds need class labels 0, 1, 2, …, got ${c} at row ${i}`);
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)!.push(i);
    }
    // Classes in increasing label order (0/1 labels are dealt as they always were).
    for (const c of [...byClass.keys()].sort((a, b) => a - b)) classes.push(byClass.get(c)!);
  }
  let offset = 0;
  for (const members of classes) {
    rng.shuffle(members);
    for (let k = 0; k < members.length; k++) folds[members[k]] = (offset + k) % nFolds;
    offset += members.length;
  }
  return folds;
}

/** User fold labels → 0..K−1 (in order of the sorted distinct labels). */
function relabelFolds(fn: string, ids: ArrayLike<number>, n: number): { folds: Int32Array; K: number } {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') throw new ValueError(fn, 'foldIds must be an array of integers');
  if (ids.length !== n) throw new ShapeError(fn, `foldIds has length ${ids.length}, expected one per row (${n})`);
  const distinct = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = ids[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(fn, `foldIds[${i}] must be an integer ≥ 0, got ${String(v)}`);
    distinct.add(v);
  }
  const sorted = [...distinct].sort((a, b) => a - b);
  if (sorted.length < 2) throw new ValueError(fn, 'foldIds must name at least 2 folds');
  const map = new Map(sorted.map((v, k) => [v, k]));
  const folds = new Int32Array(n);
  for (let i = 0; i < n; i++) folds[i] = map.get(ids[i])!;
  return { folds, K: sorted.length };
}

/**
 * K-fold cross-validation of the group lasso path
 *   minimize_{w, b} F(Xw + b) + λ Σ_g d_g ‖w_g‖₂  (scaling as in groupLassoPath),
 * on one λ grid computed from the full data. For every λ it reports the mean held-out loss over
 * all rows (squared error for the squared loss, deviance for logistic and Poisson) and its
 * standard error sd/√n, λ_min (smallest mean loss) and λ_1se (the largest λ within one standard
 * error of that minimum), and the refit on all data along the whole grid.
 *
 * @example
 * const cv = cvGroupLasso(X, y, { groups, nFolds: 5, seed: 1 });
 * cv.fit.activeGroupNames // returns the groups selected at λ_min
 */
export function cvGroupLasso(X: MatrixInput, y: ResponseInput, options: CvOptions): CvResult {
  const fn = 'cvGroupLasso';
  checkOptions(fn, options, CV_KEYS);
  if (options === undefined || options === null) throw new ValueError(fn, 'options with at least `groups` are required');
  const prob = prepareProblem(X, y, problemOptionsOf(options), fn);
  return cvOnProblem(prob, options, fn);
}

/** Cross-validation on a validated problem (shared with the estimator). */
export function cvOnProblem(prob: PreparedProblem, options: Omit<CvOptions, 'groups'>, fn = 'cvGroupLasso'): CvResult {
  const { n, T } = prob;
  const yAll = prob.datafit.y;
  const strata = prob.datafit.strata();
  let folds: Int32Array;
  let K: number;
  if (options.foldIds !== undefined) {
    ({ folds, K } = relabelFolds(fn, options.foldIds, n));
    // Two statements of the fold count that disagree: one of them is a mistake, and which one
    // the caller meant cannot be guessed.
    if (options.nFolds !== undefined && options.nFolds !== K) throw new ValueError(fn, `nFolds is ${String(options.nFolds)} but foldIds name ${K} folds; give one of them`);
  } else {
    K = options.nFolds === undefined ? Math.min(10, n) : checkPositiveInt(fn, 'nFolds', options.nFolds);
    if (K < 2) throw new ValueError(fn, `nFolds must be ≥ 2, got ${K}`);
    if (K > n) throw new ValueError(fn, `nFolds (${K}) is larger than the number of rows (${n})`);
    checkSizeLimit(fn, 'nFolds', K, MAX_FOLDS, 'each fold is a whole path');
    const stratify = options.stratify ?? strata !== null;
    if (typeof stratify !== 'boolean') throw new ValueError(fn, `stratify must be true or false, got ${String(stratify)}`);
    // A loss without classes can still be stratified by a 0/1 response.
    if (stratify && strata === null) {
      for (let i = 0; i < n; i++) {
        if (yAll[i] !== 0 && yAll[i] !== 1) throw new ValueError(fn, `stratify needs 0/1 labels, y has ${yAll[i]} at row ${i}`);
      }
    }
    const seed = options.seed ?? 1;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ValueError(fn, `seed must be a number, got ${String(seed)}`);
    folds = makeFolds(n, K, seed, stratify ? strata ?? yAll.subarray(0, n) : undefined);
  }

  const progressTotal = K + 1;
  const report = (done: number, k: number, total: number): boolean => !(options.onProgress && options.onProgress(done * total + k, progressTotal * total) === false);
  // One time budget and one stop request for every path of the cross-validation.
  const stop = { stopped: false };
  const pathOpts = { ...options, onProgress: undefined, maxTime: undefined, deadline: deadlineFrom(fn, options.maxTime), stop };
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ValueError(fn, `onProgress must be a function (done, total) => void, got ${options.onProgress === null ? 'null' : typeof options.onProgress}`);
  }
  const started = performance.now();
  const path = pathOnProblem(prob, { ...pathOpts, onProgress: (k, total) => report(0, k, total) }, fn);
  const lambdas = path.lambdas;
  const L = lambdas.length;

  // Out-of-fold linear predictors per λ (n × T), scored once all folds are in, on the full data's
  // datafit: row by row for separable losses, on the full risk sets for Cox (grpreg's cv.grpsurv),
  // which needs every row's η at once.
  const etaCv = Array.from({ length: L }, () => new Float64Array(n * T));
  let notConverged = 0;
  const store = (f: number, r: FoldPrediction): void => {
    const test = foldRows(folds, f).test;
    const m = test.length;
    notConverged += r.notConverged;
    for (let k = 0; k < L; k++) for (let t = 0; t < T; t++) for (let q = 0; q < m; q++) etaCv[k][t * n + test[q]] = r.eta[(k * T + t) * m + q];
  };
  const workers = options.workers === undefined ? undefined : checkPositiveInt(fn, 'workers', options.workers);
  const foldOpts: FoldPathOptions = { tol: options.tol, maxIter: options.maxIter, solver: options.solver, screening: options.screening, deadline: pathOpts.deadline };
  const parallel = runFoldsInParallel(prob, folds, K, lambdas, foldOpts, fn, { workers, fullPathMs: performance.now() - started, store, progress: (done, k) => report(done + 1, k, L) });
  if (!parallel) {
    for (let f = 0; f < K; f++) store(f, foldPredictions(prob, folds, f, K, lambdas, { ...foldOpts, onIteration: pathOpts.onIteration, onProgress: (k, total) => report(f + 1, k, total) }, fn));
  }

  const meanLoss = new Float64Array(L);
  const seLoss = new Float64Array(L);
  const foldLoss = Array.from({ length: K }, () => new Float64Array(L));
  const r = new Float64Array(n);
  const foldSum = new Float64Array(K);
  const foldCount = new Float64Array(K);
  for (let k = 0; k < L; k++) {
    const count = prob.datafit.rowLosses(etaCv[k], r);
    let m = 0;
    let used = 0;
    foldSum.fill(0);
    foldCount.fill(0);
    for (let i = 0; i < n; i++) {
      if (r[i] !== r[i]) continue; // NaN: a row with no share (a censored row of the Cox deviance)
      m += r[i];
      used++;
      foldSum[folds[i]] += r[i];
      foldCount[folds[i]]++;
    }
    m /= count;
    let v = 0;
    for (let i = 0; i < n; i++) if (r[i] === r[i]) v += (r[i] - m) * (r[i] - m);
    meanLoss[k] = m;
    seLoss[k] = used > 1 ? Math.sqrt(v / (used - 1)) / Math.sqrt(used) : NaN;
    for (let f = 0; f < K; f++) foldLoss[f][k] = foldCount[f] > 0 ? foldSum[f] / foldCount[f] : NaN;
  }
  let indexMin = 0;
  for (let k = 1; k < L; k++) if (meanLoss[k] < meanLoss[indexMin]) indexMin = k;
  // λ decreases along the grid: the first index within one SE of the minimum is the largest λ.
  let index1se = indexMin;
  const bound = meanLoss[indexMin] + seLoss[indexMin];
  for (let k = 0; k <= indexMin; k++) {
    if (meanLoss[k] <= bound) {
      index1se = k;
      break;
    }
  }
  const names = path.groupNames;
  const diagnostics: string[] = [];
  if (L > 2 && indexMin === L - 1) {
    diagnostics.push(`the cross-validation minimum is at the smallest λ of the grid (${lambdas[L - 1].toExponential(3)}): the best λ may be smaller; lower lambdaMinRatio or pass smaller lambdas`);
  } else if (L > 2 && indexMin === 0) {
    diagnostics.push('the cross-validation minimum is at the largest λ of the grid: no group improves the held-out loss over the null model');
  }
  if (notConverged > 0) diagnostics.push(`${notConverged} fold fit(s) not certified to tol (see path.certificates and the folds' statuses)`);
  const timedOut = path.status === 'time limit reached' || (pathOpts.deadline !== undefined && performance.now() > pathOpts.deadline);
  if (stop.stopped) diagnostics.push('stopped by the onProgress callback: the fits after it are not converged and the curve is not reliable');
  else if (timedOut) diagnostics.push('maxTime ran out: the fits after it are not converged and the curve is not reliable');
  return {
    status: stop.stopped ? 'stopped by callback' : timedOut ? 'time limit reached' : 'complete', diagnostics,
    lambdas, meanLoss, seLoss, foldLoss,
    metric: prob.datafit.heldOutMetric,
    lambdaMin: lambdas[indexMin], indexMin, lambda1se: lambdas[index1se], index1se,
    foldIds: folds, nFolds: K, notConverged, path,
    fit: {
      lambda: lambdas[indexMin], coef: path.coefs[indexMin], intercept: path.intercept[indexMin],
      activeGroups: path.activeGroups[indexMin],
      activeGroupNames: path.activeGroups[indexMin].map((g) => names[g]),
      certificate: path.certificates[indexMin],
    },
  };
}

/** Rows of fold f (held out) and the others (trained on), in increasing order. */
export function foldRows(folds: Int32Array, f: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < folds.length; i++) (folds[i] === f ? test : train).push(i);
  return { train, test };
}

/** The path options a fold's fit takes (the λ grid comes from the full data). */
export interface FoldPathOptions {
  tol?: number;
  maxIter?: number;
  solver?: PathOptions['solver'];
  screening?: PathOptions['screening'];
  /** performance.now() time stamp of the shared time budget. */
  deadline?: number;
  onProgress?: (done: number, total: number) => void;
  /** Per iteration of each fit (sequential folds only: a function does not cross to a worker). */
  onIteration?: PathOptions['onIteration'];
}

/** Held-out linear predictors of one fold: eta[(k·T + t)·m + q] for λ_k, task t, test row q. */
export interface FoldPrediction {
  eta: Float64Array;
  /** Fits of this fold's path not certified to tol. */
  notConverged: number;
}

/**
 * The path of fold f (trained on the other rows, on the given λ grid) and its predictions on the
 * held-out rows. The serial loop and the worker threads both run exactly this, so the parallel
 * cross-validation gives the serial one's numbers bit for bit.
 */
export function foldPredictions(
  prob: PreparedProblem, folds: Int32Array, f: number, K: number, lambdas: Float64Array, o: FoldPathOptions, fn: string,
): FoldPrediction {
  const { T } = prob;
  const { train, test } = foldRows(folds, f);
  if (test.length === 0) throw new ValueError(fn, `fold ${f + 1} has no rows`);
  if (train.length < 2) throw new ValueError(fn, `fold ${f + 1} leaves fewer than 2 rows to train on`);
  let fp: PathResult;
  // Both row subsets in pooled kernel memories, taken before the path and given back after the
  // predictions: the next fold rewrites the same pages instead of faulting in fresh ones (taking
  // the test rows after the training rows were given back would miss the pool and drop it).
  const Xtr = selectRowsOf(prob.X, train, true);
  const Xte = selectRowsOf(prob.X, test, true);
  try {
    try {
      const sub = prob.withRows(Xtr, train, fn);
      fp = pathOnProblem(sub, { ...o, lambdas }, fn);
    } catch (e) {
      if (e instanceof GroupSparseError) {
        const msg = e.message.startsWith(`${fn}: `) ? e.message.slice(fn.length + 2) : e.message;
        throw new (e.constructor as typeof ValueError)(fn, `fold ${f + 1} of ${K}: ${msg}`);
      }
      throw e;
    }
    return predictFold(fp, Xte, prob.p, T, lambdas.length);
  } finally {
    if (Xtr instanceof FastDense && Xtr !== prob.X) Xtr.dispose();
    if (Xte instanceof FastDense && Xte !== prob.X) Xte.dispose();
  }
}

/** Held-out predictions of a fold's path (see {@link foldPredictions}); the path holds copies only. */
function predictFold(fp: PathResult, Xte: LinearOperator, p: number, T: number, L: number): FoldPrediction {
  const m = Xte.rows;
  const out = new Float64Array(L * T * m);
  const eta = new Float64Array(m);
  const wTask = new Float64Array(p);
  let notConverged = 0;
  for (let k = 0; k < L; k++) {
    if (!fp.certificates[k].converged) notConverged++;
    for (let t = 0; t < T; t++) {
      wTask.set(fp.coefs[k].subarray(t * p, (t + 1) * p));
      Xte.apply(wTask, eta);
      const b = fp.intercepts[k][t];
      for (let q = 0; q < m; q++) out[(k * T + t) * m + q] = eta[q] + b;
    }
  }
  return { eta: out, notConverged };
}
