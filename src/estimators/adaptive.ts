import { ValueError } from '../errors.ts';
import { expandForTasks, makeGroups, type GroupStructure } from '../groups/groups.ts';
import { groupNorms } from '../groups/norms.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { selectColumnsOf } from '../linalg/subset.ts';
import { cvOnProblem, type CvResult } from '../path/cv.ts';
import type { PathResult } from '../path/path.ts';
import { choosePenalty, problemFromValidated, type PreparedProblem } from '../problem/problem.ts';
import { checkOptions, checkPositiveInt } from '../util/validate.ts';

/**
 * The adaptive group lasso (Wang & Leng 2008): weights from an initial fit,
 *   d_g = d⁰_g / ‖w̃_g‖₂^power,
 * with d⁰_g the group's ordinary weight (√p_g by default) and w̃ the group lasso at the λ that
 * cross-validation picks (λ_min), on the same (standardized) design. A group the initial fit sets to
 * zero has an infinite weight: it is left out of the fit and stays at zero. Unpenalized groups stay
 * unpenalized.
 */
export interface AdaptiveOptions {
  /** Exponent of the initial group norms (default 1). */
  power?: number;
  /** Folds of the initial cross-validation (default 5). */
  nFolds?: number;
  /** Fold shuffle seed of the initial cross-validation (default 1). */
  seed?: number;
}

/** The checked adaptive options. */
export interface CheckedAdaptive {
  power: number;
  nFolds: number;
  seed: number;
}

/** `adaptive: true | { power, nFolds, seed }` checked (undefined or false: no adaptive weights). */
export function checkAdaptive(fn: string, value: unknown): CheckedAdaptive | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { power: 1, nFolds: 5, seed: 1 };
  if (typeof value !== 'object' || value === null) throw new ValueError(fn, `adaptive must be true, false or { power, nFolds, seed }, got ${value === null ? 'null' : typeof value}`);
  const o = value as AdaptiveOptions;
  checkOptions(fn, o, ['power', 'nFolds', 'seed']);
  const power = o.power ?? 1;
  if (typeof power !== 'number' || !(power > 0) || !Number.isFinite(power)) throw new ValueError(fn, `adaptive.power must be a finite number > 0, got ${String(power)}`);
  const nFolds = o.nFolds === undefined ? 5 : checkPositiveInt(fn, 'adaptive.nFolds', o.nFolds);
  if (nFolds < 2) throw new ValueError(fn, `adaptive.nFolds must be at least 2, got ${nFolds}`);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ValueError(fn, `adaptive.seed must be a whole number, got ${String(seed)}`);
  return { power, nFolds, seed };
}

/** The reduced problem of an adaptive fit, and how to map its results back to the full design. */
export interface AdaptiveProblem {
  /** The problem over the kept groups, with the adaptive weights. */
  problem: PreparedProblem;
  /** d_g per group of the full fitted structure (Infinity: left out, fixed at zero). */
  weights: Float64Array;
  /** The initial fit's cross-validation (group lasso on the full problem). */
  initial: CvResult;
  /** A path of the reduced problem as a path of the full one (left-out groups at zero). */
  expandPath(path: PathResult): PathResult;
  /** A cross-validation result of the reduced problem over the full one. */
  expandCv(cv: CvResult): CvResult;
}

/**
 * Initial group lasso by cross-validation on `prob` (same design, loss and base weights), then
 * the problem with adaptive weights over the groups it kept; `X` is `prob`'s design as given.
 * `common` holds the solve options and the λ grid (nLambda, lambdaMinRatio) of the initial path.
 */
export function adaptiveProblem(
  X: LinearOperator, prob: PreparedProblem, opts: CheckedAdaptive,
  common: { tol?: number; maxIter?: number; maxTime?: number; solver?: string; nLambda?: number; lambdaMinRatio?: number },
  fn: string,
): AdaptiveProblem {
  const { T, p } = prob;
  const base = problemFromValidated({ X: prob.X, datafit: prob.datafit, groups: prob.groups, fitIntercept: prob.fitIntercept, penalty: choosePenalty(fn, {}) }, fn);
  const initial = cvOnProblem(base, { ...common, nFolds: opts.nFolds, seed: opts.seed }, fn);
  if (initial.status !== 'complete') throw new ValueError(fn, 'the initial fit of the adaptive weights ran out of time (maxTime): no weights to use');
  const w0 = initial.path.coefs[initial.indexMin];
  const gs = prob.groups;
  const { norms } = groupNorms(w0, expandForTasks(gs, T));
  const weights = new Float64Array(gs.nGroups);
  const kept: number[] = [];
  for (let g = 0; g < gs.nGroups; g++) {
    const d0 = gs.weights[g];
    if (!(d0 > 0)) weights[g] = 0;
    else weights[g] = norms[g] > 0 ? d0 / norms[g] ** opts.power : Infinity;
    if (Number.isFinite(weights[g])) kept.push(g);
  }
  if (kept.length === 0) throw new ValueError(fn, 'the initial fit of the adaptive weights selected no group: every group would be left out');
  // Columns of the kept groups, in order; the reduced structure lists them by position.
  const cols: number[] = [];
  const lists: number[][] = [];
  for (const g of kept) {
    const list: number[] = [];
    for (let k = gs.ptr[g]; k < gs.ptr[g + 1]; k++) {
      list.push(cols.length);
      cols.push(gs.indices[k]);
    }
    lists.push(list);
  }
  const reduced: GroupStructure = makeGroups(lists, cols.length, { weights: kept.map((g) => weights[g]), names: kept.map((g) => gs.names[g]) }, fn);
  const problem = problemFromValidated({
    X: selectColumnsOf(X, cols), datafit: prob.datafit, groups: reduced, fitIntercept: prob.fitIntercept, penalty: prob.penalty,
  }, fn);
  const pr = cols.length;
  const full = expandForTasks(gs, T);
  const expandCoef = (c: Float64Array): Float64Array => {
    const out = new Float64Array(p * T);
    for (let t = 0; t < T; t++) for (let q = 0; q < pr; q++) out[t * p + cols[q]] = c[t * pr + q];
    return out;
  };
  const expandPath = (path: PathResult): PathResult => {
    const coefs = path.coefs.map(expandCoef);
    const summary = coefs.map((c) => groupNorms(c, full));
    return {
      ...path, coefs, groupNorms: summary.map((s) => s.norms), activeGroups: summary.map((s) => s.active),
      groupNames: gs.names, groups: gs, nFeatures: p,
    };
  };
  const expandCv = (cv: CvResult): CvResult => {
    const path = expandPath(cv.path);
    const k = cv.indexMin;
    return {
      ...cv, path,
      fit: { ...cv.fit, coef: path.coefs[k], activeGroups: path.activeGroups[k], activeGroupNames: path.activeGroups[k].map((g) => gs.names[g]) },
    };
  };
  return { problem, weights, initial, expandPath, expandCv };
}
