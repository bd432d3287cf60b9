/**
 * `GroupLasso.fit(source, spec)`: the estimator's fit on a table in a database. The rows stay in
 * the engine; the path, the cross-validation and the information criteria come from sufficient
 * statistics (`fit.ts`), standardized as the in-memory estimator standardizes (means and scales of
 * all rows, read off the same pass). Loaded by `GroupLasso` with a dynamic import, so the core
 * never reaches this module statically.
 */
import { OptionError, ValueError } from '../errors.ts';
import type { GroupLassoOptions, Preprocessing } from '../estimators/groupLasso.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import { choleskyFactor, choleskySolveInPlace } from '../linalg/cholesky.ts';
import { criteriaAlongPath, type CriteriaResult } from '../path/criteria.ts';
import type { CvResult } from '../path/cv.ts';
import type { PathCertificate, PathResult } from '../path/path.ts';
import type { GramQuadratic } from '../solvers/gram.ts';
import { checkChoice, checkNonNegative, checkOptions, checkPositiveInt } from '../util/validate.ts';
import type { SqlDesignSpec } from './design.ts';
import { cvGroupLassoSql, groupLassoPathSql, type SqlFitOptions, type SqlPathResult } from './fit.ts';
import type { SqlSource } from './source.ts';

/** What the estimator keeps from a fit on a source. */
export interface SourceModel {
  path: PathResult;
  standardizedPath: PathResult;
  cv: CvResult | undefined;
  criteria: CriteriaResult | undefined;
  diagnostics: string[];
  groups: GroupStructure;
  featureNames: string[];
  loss: 'squared' | 'logistic' | 'poisson';
  preprocessing: Preprocessing;
  selection: 'lambda' | 'cv' | 'criterion';
  index: number;
  /** Passes over the rows, design included. */
  passes: number;
}

/**
 * Options of the in-memory estimator that have no meaning (or no implementation) on a source,
 * each with the reason given to the user.
 */
const REFUSED: Partial<Record<keyof GroupLassoOptions, string>> = {
  penalty: 'only the group lasso is fitted in Gram space',
  alpha: 'only the group lasso is fitted in Gram space',
  gamma: 'only the group lasso is fitted in Gram space',
  orthonormalize: 'groups are standardized column by column on a source',
  ungrouped: 'the design spec groups every column',
  ties: 'Cox models are not fitted on a source',
  solver: 'a source is always solved by block coordinate descent on XᵀX',
  screening: 'the Gram-space solver needs no screening',
  maxTime: 'passes cannot be stopped part way; bound the work with maxIter',
  onProgress: 'progress on a source is reported per pass over the rows: use onPass',
};

/** Fit the estimator's model on a source (see `GroupLasso.fit`). */
export async function fitSourceModel(source: SqlSource, spec: SqlDesignSpec, o: GroupLassoOptions, fn: string): Promise<SourceModel> {
  if (spec === null || typeof spec !== 'object') throw new ValueError(fn, 'a source needs a design spec as second argument: fit(source, { target, columns })');
  for (const [k, why] of Object.entries(REFUSED)) {
    if ((o as Record<string, unknown>)[k] !== undefined && (o as Record<string, unknown>)[k] !== false) throw new OptionError(fn, `option ${k} is not available on a SQL source: ${why}`);
  }
  if (o.groups !== undefined) throw new OptionError(fn, 'on a SQL source the groups come from the design spec (a categorical is one group, …): leave options.groups out');
  const loss = o.loss === undefined ? 'squared' : checkChoice(fn, 'loss', o.loss, ['squared', 'logistic', 'poisson'] as const);
  const standardize = o.standardize ?? true;
  if (standardize && loss !== 'squared') {
    throw new OptionError(fn, `a ${loss} model on a SQL source is fitted on the columns as given: pass standardize: false (standardization is implemented for the squared loss)`);
  }
  const fitIntercept = o.fitIntercept ?? true;
  const common: SqlFitOptions = {
    loss, weights: o.weights, fitIntercept, standardize, tol: o.tol, maxIter: o.maxIter,
    onProgress: o.onPass,
  };
  let res: SqlPathResult;
  let index: number;
  let selection: SourceModel['selection'];
  let cvRes: Awaited<ReturnType<typeof cvGroupLassoSql>> | undefined;
  const grid = o.lambdas !== undefined ? { lambdas: o.lambdas } : { nLambda: o.nLambda, lambdaMinRatio: o.lambdaMinRatio };
  if (o.lambda !== undefined) {
    const lam = checkNonNegative(fn, 'lambda', o.lambda);
    // One λ: the Gram-space solve needs no warm start from λ_max (it costs no pass either way).
    res = await groupLassoPathSql(source, spec, { ...common, lambdas: [lam] });
    index = 0;
    selection = 'lambda';
  } else if (o.criterion !== undefined) {
    if (loss !== 'squared') throw new OptionError(fn, 'information criteria on a SQL source are implemented for the squared loss (use lambda)');
    res = await groupLassoPathSql(source, spec, { ...common, ...grid });
    index = 0;
    selection = 'criterion';
  } else {
    if (loss !== 'squared') throw new OptionError(fn, `cross-validation on a SQL source is implemented for the squared loss (a ${loss} path costs several passes per λ and fold): use lambda`);
    const cv = typeof o.cv === 'object' && o.cv !== null ? o.cv : typeof o.cv === 'number' ? { nFolds: o.cv } : {};
    for (const k of ['seed', 'stratify', 'foldIds'] as const) {
      if (cv[k] !== undefined) throw new OptionError(fn, `cv.${k} does not apply to a SQL source: each row's fold is a hash of its row key (cv.rowKey), computed in SQL`);
    }
    checkOptions(fn, cv, ['nFolds', 'rowKey']);
    const nFolds = cv.nFolds === undefined ? 10 : checkPositiveInt(fn, 'cv.nFolds', cv.nFolds);
    cvRes = await cvGroupLassoSql(source, spec, { ...common, ...grid, nFolds, rowKey: cv.rowKey });
    res = cvRes;
    index = (o.rule ?? 'min') === '1se' ? cvRes.index1se : cvRes.indexMin;
    selection = 'cv';
  }
  const fits = res.fits;
  const first = fits[0];
  const groups = res.groups;
  const names = o.featureNames === undefined ? [...first.columnNames] : [...o.featureNames];
  if (names.length !== first.columnNames.length) throw new ValueError(fn, `featureNames has ${names.length} names for the design's ${first.columnNames.length} columns`);
  const tol = o.tol ?? 1e-8;
  const n = first.n;
  const p = first.coef.length;
  const certificates: PathCertificate[] = fits.map((f) => ({
    objective: f.objective, dualityGap: f.dualityGap, relativeGap: f.relativeGap, kktViolation: f.kktViolation, converged: f.converged,
    status: !f.converged ? 'not converged' : f.relativeGap <= tol ? 'converged' : 'at rounding level', gapFloor: f.gapFloor ?? 0,
  }));
  const pathOf = (coefs: Float64Array[]): PathResult => {
    const norms = coefs.map((c) => Float64Array.from({ length: groups.nGroups }, (_, g) => nrm2Indexed(c, groups.indices, groups.ptr[g], groups.ptr[g + 1])));
    return {
      lambdas: res.lambdas, coefs, intercept: Float64Array.from(fits, (f) => f.intercept), intercepts: fits.map((f) => Float64Array.of(f.intercept)),
      activeGroups: norms.map((ns) => [...ns.keys()].filter((g) => ns[g] > 0)), groupNorms: norms, certificates, groupNames: groups.names,
      lambdaMax: res.lambdaMax, groups, loss, penalty: 'groupLasso', nTasks: 1, nSamples: n, nFeatures: p, fitIntercept,
      iterations: fits.map((f) => f.iterations), screening: fits.map(() => ({ kept: groups.nGroups, violations: 0 })), tol, status: 'complete',
    };
  };
  const path = pathOf(fits.map((f) => f.coef));
  // The fitted scale (what the certificates are about): the standardized coefficients, and the
  // intercept of the centred columns, b̃ = b + Σ m_j w_j.
  const st = res.standardization;
  const standardizedPath = st
    ? { ...pathOf(fits.map((f) => f.standardizedCoef!)), intercept: new Float64Array(0), intercepts: [] as Float64Array[] }
    : path;
  if (st) {
    standardizedPath.intercepts = fits.map((f) => {
      let b = f.intercept;
      for (let j = 0; j < p; j++) b += st.means[j] * f.coef[j];
      return Float64Array.of(b);
    });
    standardizedPath.intercept = Float64Array.from(standardizedPath.intercepts, (b) => b[0]);
  }

  let criteria: CriteriaResult | undefined;
  if (selection === 'criterion') {
    const method = o.df === undefined ? 'auto' : checkChoice(fn, 'df method', o.df, ['auto', 'yuanLin', 'active'] as const);
    const gamma = o.ebicGamma === undefined ? 0.5 : checkNonNegative(fn, 'ebicGamma', o.ebicGamma);
    let lsNorms: Float64Array | null = null;
    if (method !== 'active') {
      const ls = n > p + (fitIntercept ? 1 : 0) ? leastSquares(res.quadratic!) : null;
      if (ls) lsNorms = Float64Array.from({ length: groups.nGroups }, (_, g) => nrm2Indexed(ls, groups.indices, groups.ptr[g], groups.ptr[g + 1]));
      else if (method === 'yuanLin') throw new ValueError(fn, "df: 'yuanLin' needs the unpenalized fit of all groups, but the design is rank-deficient (or n ≤ p); use df: 'active'");
    }
    // Gaussian log-likelihood with σ² profiled out, from each fit's residual sum of squares.
    criteria = criteriaAlongPath({
      lambdas: res.lambdas, coefs: standardizedPath.coefs, groups, weights: groups.weights, lsNorms,
      logLikAt: (k) => -(n / 2) * (Math.log((2 * Math.PI * fits[k].rss!) / n) + 1),
      n, interceptDf: fitIntercept ? 1 : 0, freeShare: 1, ebicGamma: gamma,
    });
    index = criteria.best[o.criterion!];
  }

  const diagnostics: string[] = [];
  if (st && st.constantColumns.length > 0) diagnostics.push(`constant column(s) ${st.constantColumns.map((j) => names[j]).join(', ')}: left unscaled, their coefficients are 0`);
  let cv: CvResult | undefined;
  if (cvRes) {
    const L = res.lambdas.length;
    const cd: string[] = [];
    if (L > 2 && cvRes.indexMin === L - 1) cd.push(`the cross-validation minimum is at the smallest λ of the grid (${res.lambdas[L - 1].toExponential(3)}): the best λ may be smaller; lower lambdaMinRatio or pass smaller lambdas`);
    else if (L > 2 && cvRes.indexMin === 0) cd.push('the cross-validation minimum is at the largest λ of the grid: no group improves the held-out loss over the null model');
    if (cvRes.notConverged > 0) cd.push(`${cvRes.notConverged} fold fit(s) not certified to tol`);
    const fit = fits[cvRes.indexMin];
    cv = {
      status: 'complete', diagnostics: cd, lambdas: res.lambdas, meanLoss: cvRes.meanLoss, seLoss: cvRes.seLoss, foldLoss: cvRes.foldLoss,
      metric: 'mean squared error', lambdaMin: cvRes.lambdaMin, indexMin: cvRes.indexMin, lambda1se: cvRes.lambda1se, index1se: cvRes.index1se,
      foldIds: new Int32Array(0), nFolds: cvRes.nFolds, notConverged: cvRes.notConverged, path: standardizedPath,
      fit: {
        lambda: fit.lambda, coef: standardizedPath.coefs[cvRes.indexMin], intercept: standardizedPath.intercept[cvRes.indexMin],
        activeGroups: fit.activeGroups, activeGroupNames: fit.activeGroupNames, certificate: certificates[cvRes.indexMin],
      },
    };
    diagnostics.push(...cd);
  } else {
    const bad = certificates.filter((c) => !c.converged).length;
    if (bad > 0) diagnostics.push(`${bad} fit(s) of the path not certified to tol`);
  }
  return {
    path, standardizedPath, cv, criteria, diagnostics, groups, featureNames: names, loss, preprocessing: st ? 'standardize' : 'none',
    selection, index, passes: fits[fits.length - 1].passes,
  };
}

/**
 * The unpenalized least-squares coefficients A w = c of the fitted quadratic (Yuan–Lin's
 * reference norms), or null when A is not numerically positive definite (rank-deficient design).
 */
function leastSquares(q: GramQuadratic): Float64Array | null {
  const { p } = q;
  const L = new Float64Array(p * p);
  if (!choleskyFactor(q.A, p, L)) return null;
  // A full-rank factor can still be useless: refuse a pivot far below the largest diagonal entry.
  let maxD = 0, minD = Infinity;
  for (let j = 0; j < p; j++) {
    maxD = Math.max(maxD, L[j + j * p]);
    minD = Math.min(minD, L[j + j * p]);
  }
  if (!(minD > 1e-7 * maxD)) return null;
  const w = Float64Array.from(q.c);
  choleskySolveInPlace(L, p, w);
  return w;
}
