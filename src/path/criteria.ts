import type { MatrixInput, ResponseInput } from '../linalg/input.ts';
import { logGamma } from '../datafits/datafits.ts';
import { GroupSparseError, ShapeError, ValueError } from '../errors.ts';
import { columnRank } from '../linalg/qr.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import { prepareProblem, type PreparedProblem } from '../problem/problem.ts';
import { checkChoice, checkNonNegative, checkOptions } from '../util/validate.ts';
import type { PathResult } from './path.ts';

/** How degrees of freedom are counted. */
export type DfMethod = 'yuanLin' | 'active';

export interface CriteriaOptions {
  /**
   * 'yuanLin': Yuan & Lin (2006), df = Σ_g 1(‖w_g‖ > 0) + Σ_g (‖w_g‖/‖w_g^LS‖)(p_g − 1), with w^LS
   * the unpenalized fit of all groups (least squares, or the MLE for logistic/Poisson) — it counts
   * a shrunken group as less than p_g parameters, which is what makes it an unbiased estimate of
   * the degrees of freedom for orthonormal groups. Needs n > p, a full-rank design and a finite MLE.
   * 'active': the number of non-zero coefficients, needs nothing but over-counts shrunken groups.
   * 'auto' (default): 'yuanLin' when the unpenalized fit exists, else 'active'.
   * Unpenalized groups count p_g, the intercept 1, in both.
   */
  df?: DfMethod | 'auto';
  /** The sample weights the path was fitted with (the log-likelihood is the weighted one). */
  sampleWeight?: ArrayLike<number>;
  /** The Cox ties rule the path was fitted with. */
  ties?: 'breslow' | 'efron';
  /** EBIC's γ ≥ 0 (default 0.5); named apart from a nonconvex penalty's γ. */
  ebicGamma?: number;
}

export interface CriteriaResult {
  lambdas: Float64Array;
  /** Degrees of freedom per λ (intercept and unpenalized groups included). */
  df: Float64Array;
  dfMethod: DfMethod;
  /** Log-likelihood per λ (Gaussian with σ² profiled out for the squared loss). */
  logLik: Float64Array;
  /** AIC = −2ℓ + 2 df. */
  aic: Float64Array;
  /** BIC = −2ℓ + log(n) df. */
  bic: Float64Array;
  /** EBIC = BIC + 2γ log C(G, k): G penalized groups, k of them active (Chen & Chen 2008). */
  ebic: Float64Array;
  /** Index of the smallest value of each criterion (the largest λ on ties). */
  best: { aic: number; bic: number; ebic: number };
  /** EBIC's γ. */
  ebicGamma: number;
}

/** log of the binomial coefficient C(m, k). */
function logChoose(m: number, k: number): number {
  return logGamma(m + 1) - logGamma(k + 1) - logGamma(m - k + 1);
}

/**
 * AIC, BIC and EBIC along a path, with group-lasso degrees of freedom:
 *   AIC = −2ℓ(w_λ) + 2 df(λ),  BIC = −2ℓ + log(n) df,  EBIC = BIC + 2γ log C(G, k_λ),
 * where ℓ is the log-likelihood of the fit at λ — for the squared loss the Gaussian one with σ²
 * profiled out, ℓ = −(N/2)(log(2π RSS/N) + 1), N = n·T; the mean negative log-likelihood times −n
 * for logistic and Poisson — and df is counted as `options.df` says (see {@link CriteriaOptions}).
 * X and y must be the data the path was fitted on.
 *
 * @example
 * const ic = informationCriteria(path, X, y);
 * path.activeGroups[ic.best.bic] // returns the groups BIC selects
 */
export function informationCriteria(path: PathResult, X: MatrixInput, y: ResponseInput, options: CriteriaOptions = {}): CriteriaResult {
  const fn = 'informationCriteria';
  checkOptions(fn, options, ['df', 'ebicGamma', 'sampleWeight', 'ties']);
  if (!path || !(path.lambdas instanceof Float64Array) || !Array.isArray(path.coefs)) {
    throw new ValueError(fn, 'path must be the result of groupLassoPath');
  }
  // The penalty does not enter the criteria; the unpenalized fit below is penalty-free anyway.
  const prob = prepareProblem(X, y, {
    groups: path.groups, loss: path.loss, fitIntercept: path.fitIntercept, sampleWeight: options.sampleWeight, ties: options.ties,
  }, fn);
  return criteriaOnProblem(path, prob, options, fn);
}

/** The criteria of a path on the validated problem it was fitted on (shared with the estimator). */
export function criteriaOnProblem(path: PathResult, prob: PreparedProblem, options: CriteriaOptions = {}, fn = 'informationCriteria'): CriteriaResult {
  // A multinomial's K columns hold K − 1 free ones: each count below is scaled by free/T.
  const freeShare = prob.datafit.freeColumns / prob.T;
  const method = options.df === undefined ? 'auto' : checkChoice(fn, 'df method', options.df, ['auto', 'yuanLin', 'active'] as const);
  const gamma = options.ebicGamma === undefined ? 0.5 : checkNonNegative(fn, 'ebicGamma', options.ebicGamma);
  const { n, p, T } = prob;
  if (p !== path.nFeatures || T !== path.nTasks || n !== path.nSamples) {
    throw new ShapeError(fn, `the data (${n} × ${p}, ${T} task(s)) is not the one the path was fitted on (${path.nSamples} × ${path.nFeatures}, ${path.nTasks})`);
  }
  checkPathData(fn, prob, path);
  const cgs = prob.coefGroups;
  const G = cgs.nGroups;
  const weights = path.groups.weights;

  // The unpenalized fit of all groups (λ = 0) gives ‖w_g^LS‖.
  let lsNorms: Float64Array | null = null;
  let whyNot = '';
  // The multinomial's unpenalized W is not unique (a common shift of the classes), so there is no
  // reference norm for Yuan–Lin's count: it uses the active count.
  if (method !== 'active' && freeShare === 1) {
    if (n <= p + (prob.fitIntercept ? 1 : 0)) whyNot = `n = ${n} is not larger than the number of coefficients`;
    else if (columnRank(prob.X, prob.fitIntercept) < p + (prob.fitIntercept ? 1 : 0)) whyNot = 'the design is rank-deficient';
    else {
      try {
        const ls = prob.fit(0);
        lsNorms = new Float64Array(G);
        for (let g = 0; g < G; g++) lsNorms[g] = nrm2Indexed(ls.coef, cgs.indices, cgs.ptr[g], cgs.ptr[g + 1]);
      } catch (e) {
        if (!(e instanceof GroupSparseError)) throw e;
        whyNot = 'the unpenalized fit has no finite optimum';
      }
    }
    if (freeShare !== 1 && method === 'yuanLin') whyNot = 'the multinomial has no unique unpenalized fit';
    if (lsNorms === null && method === 'yuanLin') {
      throw new ValueError(fn, `df: 'yuanLin' needs the unpenalized fit of all groups, but ${whyNot}; use df: 'active'`);
    }
  }
  const eta = new Float64Array(n * T);
  const wTask = new Float64Array(p);
  const logLikAt = (k: number): number => {
    for (let t = 0; t < T; t++) {
      wTask.set(path.coefs[k].subarray(t * p, (t + 1) * p));
      const out = eta.subarray(t * n, (t + 1) * n);
      prob.X.apply(wTask, out);
      const b = path.intercepts[k][t];
      for (let i = 0; i < n; i++) out[i] += b;
    }
    return prob.datafit.logLikelihood(eta);
  };
  return criteriaAlongPath({ lambdas: path.lambdas, coefs: path.coefs, groups: cgs, weights, lsNorms, logLikAt, n, interceptDf: prob.fitIntercept ? T : 0, freeShare, ebicGamma: gamma });
}

/** What {@link criteriaAlongPath} needs: the path's fits and a log-likelihood per fit, wherever they come from. */
export interface CriteriaInputs {
  lambdas: Float64Array;
  coefs: Float64Array[];
  /** Groups over the coefficients (weights give which are penalized). */
  groups: { nGroups: number; ptr: ArrayLike<number>; indices: Int32Array };
  weights: ArrayLike<number>;
  /** ‖w_g‖ of the unpenalized fit (Yuan–Lin's df), or null for the active count. */
  lsNorms: Float64Array | null;
  logLikAt: (k: number) => number;
  n: number;
  /** Degrees of freedom of the intercepts. */
  interceptDf: number;
  /** Share of free columns (the multinomial's (K−1)/K, else 1). */
  freeShare: number;
  ebicGamma: number;
}

/**
 * The criteria from the fits and their log-likelihoods (shared by the in-memory path and the
 * fits on SQL sources, which get ℓ from sufficient statistics): df per fit — intercepts,
 * unpenalized groups in full, per active group 1 + (‖w_g‖/‖w_g^LS‖)(p_g − 1) (Yuan & Lin) or p_g
 * — then AIC, BIC, EBIC and their minimizers.
 */
export function criteriaAlongPath(inp: CriteriaInputs): CriteriaResult {
  const { lambdas, coefs, groups: cgs, weights, lsNorms, n, freeShare, ebicGamma: gamma } = inp;
  const G = cgs.nGroups;
  const K = lambdas.length;
  const df = new Float64Array(K);
  const logLik = new Float64Array(K);
  const aic = new Float64Array(K);
  const bic = new Float64Array(K);
  const ebic = new Float64Array(K);
  let nPen = 0;
  for (let g = 0; g < G; g++) if (weights[g] > 0) nPen++;
  for (let k = 0; k < K; k++) {
    const w = coefs[k];
    let d = inp.interceptDf;
    let active = 0;
    for (let g = 0; g < G; g++) {
      const size = cgs.ptr[g + 1] - cgs.ptr[g];
      if (!(weights[g] > 0)) {
        d += size;
        continue;
      }
      const norm = nrm2Indexed(w, cgs.indices, cgs.ptr[g], cgs.ptr[g + 1]);
      if (norm === 0) continue;
      active++;
      if (lsNorms) d += 1 + (lsNorms[g] > 0 ? norm / lsNorms[g] : 1) * (size - 1);
      else d += size;
    }
    df[k] = d * freeShare;
    logLik[k] = inp.logLikAt(k);
    aic[k] = -2 * logLik[k] + 2 * df[k];
    bic[k] = -2 * logLik[k] + Math.log(n) * df[k];
    ebic[k] = bic[k] + 2 * gamma * logChoose(nPen, active);
  }
  const argmin = (a: Float64Array): number => {
    let b = 0;
    for (let k = 1; k < a.length; k++) if (a[k] < a[b]) b = k;
    return b;
  };
  return {
    lambdas, df, dfMethod: lsNorms ? 'yuanLin' : 'active', logLik, aic, bic, ebic, ebicGamma: gamma,
    best: { aic: argmin(aic), bic: argmin(bic), ebic: argmin(ebic) },
  };
}

/**
 * Refuse data other than the path's: the objective of the least penalized fit, recomputed from
 * X and y, must equal the one the path certified (a different y of the same length used to be
 * scored silently).
 */
function checkPathData(fn: string, prob: PreparedProblem, path: PathResult): void {
  const K = path.lambdas.length;
  if (K === 0) return;
  // The objective includes the penalty: comparable only when the problem carries the path's
  // penalty (informationCriteria builds its problem with the default one).
  if (prob.penalty.spec.name !== path.penalty) return;
  const k = K - 1;
  const ctx = prob.context(path.lambdas[k]);
  const { n, p, T } = prob;
  const eta = new Float64Array(n * T);
  const wt = new Float64Array(p);
  const w = new Float64Array(p * T);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < p; j++) wt[j] = path.coefs[k][t * p + j];
    ctx.X.apply(wt, eta.subarray(t * n, (t + 1) * n));
    const b = path.intercepts[k][t];
    for (let i = 0; i < n; i++) eta[t * n + i] += b;
  }
  for (let c = 0; c < w.length; c++) w[c] = ctx.penalizedMask[c] ? path.coefs[k][c] : 0;
  const objective = ctx.datafit.value(eta) + ctx.penalty.value(w);
  const reported = path.certificates[k].objective;
  // Agreement to rounding of the objective and to the path's own gap (the returned point is that
  // of the certificate, so only rounding separates the two).
  const gap = path.certificates[k].dualityGap; // NaN for a nonconvex penalty (no gap exists)
  const slack = 1e-8 * Math.max(Math.abs(reported), Math.abs(objective)) + (Number.isFinite(gap) ? gap : 0) + 1e-300;
  if (!(Math.abs(objective - reported) <= slack)) {
    throw new ValueError(fn, `X and y are not the data the path was fitted on: the objective of its last fit is ${reported.toPrecision(8)}, recomputed from these data ${objective.toPrecision(8)}`);
  }
}
