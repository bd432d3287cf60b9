/**
 * Group lasso fits on tables that stay in their database: the design is compiled into SQL
 * (`compileDesign`), the engine computes sufficient statistics in one aggregate pass, and the
 * problem is solved in Gram space (`solveGram`). Memory is O(p²) whatever the number of rows.
 *
 * Squared loss: 1 + (passes of the design: 2, plus one per polynomial degree) passes for a fit, a
 * whole path, or a path with K-fold cross-validation (per-fold sums come from the same pass,
 * GROUP BY a fold label computed from a row key). GLMs: see `glm.ts`.
 */
import { OptionError, ValueError } from '../errors.ts';
import type { FitResult } from '../problem/problem.ts';
import { withWeights, type GroupStructure, type WeightRule } from '../groups/groups.ts';
import { groupNorms } from '../groups/norms.ts';
import { GroupLassoPenalty } from '../penalties/penalties.ts';
import { checkLambdas, lambdaGrid } from '../path/path.ts';
import { gapConverged, nullObjectiveFloor } from '../solvers/certificate.ts';
import { gramLambdaMax, gramLipschitz, solveGram, type GramCertificate, type GramQuadratic } from '../solvers/gram.ts';
import { checkChoice, checkNonNegative, checkOptions, checkPositive, checkPositiveInt } from '../util/validate.ts';
import { compileDesign, type PassListener, type SqlDesign, type SqlDesignSpec } from './design.ts';
import { foldSql } from './folds.ts';
import { runGlm, sqlLoss, sqlLossNames, type GlmRun, type GlmRunOptions, type LossSql } from './glm.ts';
import { runPass } from './design.ts';
import { num } from './sql.ts';
import type { SqlSource } from './source.ts';
import { designSums, interceptOf, quadraticOf, residualSumOfSquares, subtractSums, type DesignSums } from './stats.ts';

/** Progress of a SQL fit: one call before each pass over the rows. */
export interface SqlProgress {
  /** 1-based pass number. */
  pass: number;
  /** What the pass computes. */
  what: string;
}

/** Options shared by the SQL fits. */
export interface SqlFitOptions {
  /** 'squared' (default), 'logistic' (labels 0/1), 'poisson' (counts), or a loss given SQL pieces by registerSqlLoss. */
  loss?: 'squared' | 'logistic' | 'poisson' | (string & {});
  /** Group weights d_g (default √p_g). */
  weights?: ArrayLike<number> | WeightRule;
  /** Fit an unpenalized intercept (default true). */
  fitIntercept?: boolean;
  /**
   * Fit on standardized columns, as the in-memory `standardize` + `GroupLasso` do (default false):
   * x̃_j = (x_j − m_j)/s_j with the column mean (with an intercept) and the population standard
   * deviation, both read off the statistics pass (no extra pass). λ and the certificates are on
   * the standardized scale; `coef` and `intercept` are mapped back to the original one. Squared
   * loss only.
   */
  standardize?: boolean;
  /** Relative duality gap each fit must reach (default 1e-8). */
  tol?: number;
  /** Sweep cap per Gram-space solve (default 100 000); outer steps for GLMs (default 50). */
  maxIter?: number;
  /** Most SUMs per statement (default 1500: PostgreSQL allows 1664 result columns). */
  maxAggregates?: number;
  /** Called before each pass over the rows. */
  onProgress?: (p: SqlProgress) => void;
}

/** Options of {@link fitGroupLasso} on a source. */
export interface SqlSingleFitOptions extends SqlFitOptions {
  lambda: number;
}

/** Options of {@link groupLassoPath} / {@link cvGroupLasso} on a source. */
export interface SqlPathOptions extends SqlFitOptions {
  /** Number of λ values of the default grid (default 100). */
  nLambda?: number;
  /** λ_min/λ_max (default 1e-3 when n > p, else 0.05). */
  lambdaMinRatio?: number;
  /** Explicit λ values. */
  lambdas?: ArrayLike<number>;
}

/** Options of {@link cvGroupLasso} on a source. */
export interface SqlCvOptions extends SqlPathOptions {
  /** Number of folds (default 5). */
  nFolds?: number;
  /** Integer column the fold label is hashed from (default: the source's row number, e.g. a Parquet file's). */
  rowKey?: string;
}

/** One fit with its certificate (the fields of the in-memory FitResult), and what it cost. */
export interface SqlFitResult extends Pick<FitResult,
  'coef' | 'intercept' | 'lambda' | 'objective' | 'dualObjective' | 'dualityGap' | 'relativeGap' | 'kktViolation' | 'converged' |
  'status' | 'iterations' | 'activeGroups' | 'activeGroupNames' | 'groupNorms' | 'groupNames'> {
  columnNames: readonly string[];
  /** With `standardize`: the coefficients of the standardized columns (the point the certificate is about). */
  standardizedCoef?: Float64Array;
  /** Group label of each column. */
  columnGroups: readonly string[];
  loss: 'squared' | 'logistic' | 'poisson' | (string & {});
  /** Rows used. */
  n: number;
  /** Passes over the rows, design included. */
  passes: number;
  /** Residual sum of squares Σ(y − b − xᵀw)² on the rows fitted (squared loss). */
  rss?: number;
  /** Smallest gap float64 resolves here (a gap under it counts as converged, 'at rounding level'). */
  gapFloor?: number;
}

/** A path on a source. */
export interface SqlPathResult {
  lambdas: Float64Array;
  lambdaMax: number;
  fits: SqlFitResult[];
  design: SqlDesign;
  groups: GroupStructure;
  passes: number;
  /** With `standardize`: the column means and scales used (from all rows). */
  standardization?: SqlStandardization;
  /** The quadratic the path was solved on (standardized with `standardize`; squared loss). */
  quadratic?: GramQuadratic;
}

/** Column means m_j and population standard deviations s_j of the design (what `standardize` computes on X). */
export interface SqlStandardization {
  /** m_j (0 without an intercept, as `standardize` with center: false). */
  means: Float64Array;
  /** s_j (1 for a constant column). */
  scales: Float64Array;
  /** Columns with no variance (left unscaled, s_j = 1). */
  constantColumns: number[];
}

/** Cross-validation on a source. */
export interface SqlCvResult extends SqlPathResult {
  /** Mean held-out squared error per λ over all rows. */
  meanLoss: Float64Array;
  /** Standard error of meanLoss from the spread of the fold means (glmnet's cvsd). */
  seLoss: Float64Array;
  /** Mean held-out loss per fold and λ. */
  foldLoss: Float64Array[];
  /** What `meanLoss` measures (as CvResult.metric): 'mean squared error'. */
  metric: string;
  /** Rows per fold. */
  foldSizes: number[];
  lambdaMin: number;
  indexMin: number;
  lambda1se: number;
  index1se: number;
  nFolds: number;
  /** Fold fits whose certificate is not under tol. */
  notConverged: number;
  /** The fit at λ_min on all rows. */
  fit: SqlFitResult;
}

const COMMON = ['loss', 'weights', 'fitIntercept', 'standardize', 'tol', 'maxIter', 'maxAggregates', 'onProgress'] as const;

interface Prepared {
  /** The loss's name ('squared', or one with SQL pieces registered). */
  loss: string;
  /** The SQL pieces of a GLM loss (proximal Newton), or undefined for the squared loss (Gram space). */
  glm: LossSql | undefined;
  design: SqlDesign;
  groups: GroupStructure;
  fitIntercept: boolean;
  standardize: boolean;
  tol: number;
  maxIter: number | undefined;
  counter: { passes: number };
  onPass: PassListener | undefined;
  maxAggregates: number | undefined;
}

function checkSource(fn: string, source: unknown): asserts source is SqlSource {
  if (source === null || typeof source !== 'object' || typeof (source as SqlSource).query !== 'function') {
    throw new OptionError(fn, 'the source must come from openSource, duckdbSource or postgresSource');
  }
}

async function prepare(fn: string, source: SqlSource, spec: SqlDesignSpec, options: SqlFitOptions): Promise<Prepared> {
  checkSource(fn, source);
  // The squared loss is solved in Gram space from one pass of sums; the others by proximal Newton
  // from the SQL pieces registered for them (registerSqlLoss).
  const loss = checkChoice(fn, 'loss', options.loss ?? 'squared', ['squared', ...sqlLossNames()]);
  const glm = loss === 'squared' ? undefined : sqlLoss(loss);
  const fitIntercept = options.fitIntercept ?? true;
  if (typeof fitIntercept !== 'boolean') throw new ValueError(fn, `fitIntercept must be true or false, got ${String(fitIntercept)}`);
  const standardize = options.standardize ?? false;
  if (typeof standardize !== 'boolean') throw new ValueError(fn, `standardize must be true or false, got ${String(standardize)}`);
  if (standardize && loss !== 'squared') throw new OptionError(fn, `standardize on a SQL source is implemented for the squared loss only (a ${loss} fit would need standardized columns in every Newton pass); standardize the columns in the table, or pass standardize: false`);
  const tol = options.tol === undefined ? 1e-8 : checkPositive(fn, 'tol', options.tol);
  const maxIter = options.maxIter === undefined ? undefined : checkPositiveInt(fn, 'maxIter', options.maxIter);
  const maxAggregates = options.maxAggregates === undefined ? undefined : checkPositiveInt(fn, 'maxAggregates', options.maxAggregates);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new ValueError(fn, 'onProgress must be a function');
  const counter = { passes: 0 };
  const onPass: PassListener | undefined = options.onProgress;
  const design = await compileDesign(source, spec, onPass, fn);
  counter.passes = design.passes;
  const groups = options.weights === undefined ? design.groupStructure : withWeights(design.groupStructure, options.weights, fn);
  return { loss, glm, design, groups, fitIntercept, standardize, tol, maxIter, counter, onPass, maxAggregates };
}

/**
 * Means and population standard deviations from the sums, as `standardize` computes them from
 * the rows: m_j = Σx_j/n (with an intercept, else 0) and s_j² = Σ(x_j − m_j)²/n, which is the
 * diagonal of the quadratic `quadraticOf` builds (centred with an intercept, raw without) over n.
 * A column is constant when s_j is under 1e-14 of its mean's size (`standardize`'s rule, with
 * |m_j| for the largest entry, which it equals on a constant column), or when its centred sum of
 * squares is below the rounding of the raw one.
 */
export function standardizationOf(s: DesignSums, q: GramQuadratic, design: SqlDesign, fitIntercept: boolean): SqlStandardization {
  const { p } = s;
  const means = new Float64Array(p);
  const scales = new Float64Array(p).fill(1);
  const constantColumns: number[] = [];
  for (let j = 0; j < p; j++) {
    const m = s.sx[j] / s.sw + design.shifts[j];
    if (fitIntercept) means[j] = m;
    const ss = Math.max(q.A[j * p + j], 0);
    const sd = Math.sqrt(ss / q.n);
    if (sd <= 1e-14 * Math.max(Math.abs(m), Number.MIN_VALUE) || ss <= 64 * Number.EPSILON * Math.abs(s.G[j * p + j])) {
      constantColumns.push(j);
    } else scales[j] = sd;
  }
  return { means, scales, constantColumns };
}

/** ‖y_c − X_c w‖² = wᵀAw − 2cᵀw + e from the quadratic (clamped at 0 against rounding). */
function quadraticRss(q: GramQuadratic, w: Float64Array): number {
  const { p, A, c } = q;
  let wAw = 0, cw = 0;
  for (let a = 0; a < p; a++) {
    if (w[a] === 0) continue;
    cw += c[a] * w[a];
    let t = 0;
    for (let b = 0; b < p; b++) t += A[a * p + b] * w[b];
    wAw += w[a] * t;
  }
  return Math.max(wAw - 2 * cw + q.e, 0);
}

/** The quadratic of the standardized columns: A_ab/(s_a s_b), c_a/s_a (centring is already in A and c). */
function scaledQuadratic(q: GramQuadratic, st: SqlStandardization | undefined): GramQuadratic {
  if (!st) return q;
  const { p } = q;
  const sc = st.scales;
  const A = new Float64Array(p * p);
  const c = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    c[a] = q.c[a] / sc[a];
    for (let b = 0; b < p; b++) A[a * p + b] = q.A[a * p + b] / (sc[a] * sc[b]);
  }
  return { p, A, c, e: q.e, n: q.n };
}

function makeResult(pr: Prepared, q: GramQuadratic, sums: DesignSums, lambda: number, run: { w: Float64Array; certificate: GramCertificate; iterations: number; status: string }, st?: SqlStandardization): SqlFitResult {
  const { design, groups } = pr;
  const c = run.certificate;
  const gapFloor = nullObjectiveFloor(q.e / (2 * q.n), c.primal);
  const converged = gapConverged(c.gap, c.primal, gapFloor, pr.tol);
  // Back to the original scale: w_j = w̃_j/s_j; the intercept is then the one that goes with w.
  const coef = st ? run.w.map((v, j) => v / st.scales[j]) : run.w;
  const intercept = pr.fitIntercept ? interceptOf(sums, coef, design.shifts, design.yShift) : 0;
  const { norms, active } = groupNorms(coef, groups);
  return {
    coef, ...(st ? { standardizedCoef: run.w } : {}), intercept, lambda, objective: c.primal, dualObjective: c.dual, dualityGap: c.gap, relativeGap: c.relativeGap,
    kktViolation: c.kktViolation, converged, status: converged ? 'converged' : run.status === 'converged' ? 'not certified' : run.status,
    iterations: run.iterations, activeGroups: active, activeGroupNames: active.map((g) => groups.names[g]), groupNorms: norms,
    groupNames: groups.names, columnNames: design.columnNames, columnGroups: design.groups, loss: 'squared', n: design.n, passes: pr.counter.passes,
    gapFloor, rss: quadraticRss(q, run.w),
  };
}

/**
 * Group lasso on a table in a database, squared loss:
 *   minimize_{w, b} (1/(2n))‖y − Xw − b‖² + λ Σ_g d_g ‖w_g‖₂,
 * X the design of `spec` (as `buildDesign` codes it), computed inside the engine. One pass of
 * sums (after the design's own passes), then an exact solve in Gram space with the same duality
 * gap certificate as the in-memory fit.
 *
 * @example
 * const src = await openSource('data.parquet');
 * const fit = await fitGroupLassoSql(src, { target: 'y', columns: [{ type: 'categorical', column: 'g' }] }, { lambda: 0.1 });
 * fit.converged // returns true
 */
export async function fitGroupLassoSql(source: SqlSource, spec: SqlDesignSpec, options: SqlSingleFitOptions): Promise<SqlFitResult> {
  const fn = 'fitGroupLasso';
  if (options === null || typeof options !== 'object') throw new ValueError(fn, 'options { lambda } are required');
  checkOptions(fn, options, ['lambda', ...COMMON]);
  const lambda = checkNonNegative(fn, 'lambda', options.lambda);
  const pr = await prepare(fn, source, spec, options);
  if (pr.glm) return glmResult(pr, lambda, await runGlm(source, pr.design, pr.groups, pr.glm, lambda, glmOptions(pr), fn, pr.counter, pr.onPass));
  const sums = (await designSums(source, pr.design, { maxAggregates: pr.maxAggregates }, fn, pr.counter, pr.onPass)).total;
  const q0 = quadraticOf(sums, sums.count, pr.fitIntercept, pr.design.shifts, pr.design.yShift);
  const st = pr.standardize ? standardizationOf(sums, q0, pr.design, pr.fitIntercept) : undefined;
  const q = scaledQuadratic(q0, st);
  const run = solveGram(q, pr.groups, lambda, { tol: 0.1 * pr.tol, maxIter: pr.maxIter });
  return makeResult(pr, q, sums, lambda, run, st);
}

function grid(fn: string, options: SqlPathOptions, lmax: number, n: number, p: number): Float64Array {
  if (options.lambdas !== undefined) {
    if (options.nLambda !== undefined || options.lambdaMinRatio !== undefined) throw new ValueError(fn, 'give either lambdas or nLambda/lambdaMinRatio, not both');
    return checkLambdas(fn, options.lambdas);
  }
  const nLambda = options.nLambda === undefined ? 100 : checkPositiveInt(fn, 'nLambda', options.nLambda);
  const ratio = options.lambdaMinRatio === undefined ? (n > p ? 1e-3 : 0.05) : checkPositive(fn, 'lambdaMinRatio', options.lambdaMinRatio);
  if (ratio >= 1) throw new ValueError(fn, `lambdaMinRatio must be < 1, got ${ratio}`);
  if (!(lmax > 0)) throw new ValueError(fn, 'λ_max is 0: no penalized group is correlated with the response (constant response?); pass lambdas explicitly');
  return lambdaGrid(lmax, nLambda, ratio);
}

/** The warm-started path on one quadratic. */
function pathOn(fn: string, pr: Prepared, q: GramQuadratic, sums: DesignSums, lambdas: Float64Array, st?: SqlStandardization): SqlFitResult[] {
  const L = gramLipschitz(q, pr.groups);
  let w: Float64Array = new Float64Array(q.p);
  const out: SqlFitResult[] = [];
  for (const lam of lambdas) {
    const run = solveGram(q, pr.groups, lam, { w0: w, tol: 0.1 * pr.tol, maxIter: pr.maxIter }, L);
    out.push(makeResult(pr, q, sums, lam, run, st));
    w = run.w;
  }
  return out;
}

/**
 * The group lasso path on a table in a database (squared loss; objective as
 * {@link fitGroupLassoSql}): one pass of sums, then every λ solved in Gram space, warm-started.
 */
export async function groupLassoPathSql(source: SqlSource, spec: SqlDesignSpec, options: SqlPathOptions = {}): Promise<SqlPathResult> {
  const fn = 'groupLassoPath';
  checkOptions(fn, options, ['nLambda', 'lambdaMinRatio', 'lambdas', ...COMMON]);
  const pr = await prepare(fn, source, spec, options);
  if (pr.glm) return glmPath(fn, source, pr, options);
  const sums = (await designSums(source, pr.design, { maxAggregates: pr.maxAggregates }, fn, pr.counter, pr.onPass)).total;
  const q0 = quadraticOf(sums, sums.count, pr.fitIntercept, pr.design.shifts, pr.design.yShift);
  const st = pr.standardize ? standardizationOf(sums, q0, pr.design, pr.fitIntercept) : undefined;
  const q = scaledQuadratic(q0, st);
  const lmax = gramLambdaMax(q, pr.groups);
  const lambdas = grid(fn, options, lmax, q.n, q.p);
  const fits = pathOn(fn, pr, q, sums, lambdas, st);
  return { lambdas, lambdaMax: lmax, fits, design: pr.design, groups: pr.groups, passes: pr.counter.passes, quadratic: q, ...(st ? { standardization: st } : {}) };
}

/**
 * K-fold cross-validation of the path on a table in a database (squared loss). Fold labels are a
 * hash of an integer row key computed in SQL ({@link foldSql}); one pass gives the sums of every
 * fold, a fold's training statistics are the totals minus its own, and its held-out squared error
 * comes from its own sums — no row is read twice.
 */
export async function cvGroupLassoSql(source: SqlSource, spec: SqlDesignSpec, options: SqlCvOptions = {}): Promise<SqlCvResult> {
  const fn = 'cvGroupLasso';
  checkSource(fn, source);
  checkOptions(fn, options, ['nFolds', 'rowKey', 'nLambda', 'lambdaMinRatio', 'lambdas', ...COMMON]);
  const K = options.nFolds === undefined ? 5 : checkPositiveInt(fn, 'nFolds', options.nFolds);
  if (K < 2) throw new ValueError(fn, `nFolds must be ≥ 2, got ${K}`);
  const rowKey = options.rowKey ?? source.defaultRowKey;
  if (rowKey === undefined) throw new OptionError(fn, `cross-validation on ${source.description} needs an integer row key column to hash into folds (option rowKey, CLI --row-key)`);
  if ((options.loss ?? 'squared') !== 'squared') throw new OptionError(fn, `cross-validation on a SQL source is implemented for the squared loss only (a ${options.loss} path costs several passes per λ and fold); use groupLassoPath`);
  const pr = await prepare(fn, source, spec, options);
  const cols = await source.columns();
  const keyCol = cols.find((c) => c.name === rowKey);
  if (!keyCol) throw new OptionError(fn, `row key '${rowKey}' is not a column of ${source.description}`);
  if (keyCol.kind !== 'numeric') throw new OptionError(fn, `row key '${rowKey}' must be an integer column, it has type ${keyCol.type}`);
  const res = await designSums(source, pr.design, { fold: foldSql(rowKey, K), nFolds: K, maxAggregates: pr.maxAggregates, what: `statistics of all rows and ${K} folds` }, fn, pr.counter, pr.onPass);
  const { design } = pr;
  const total = res.total;
  const folds = res.folds!;
  folds.forEach((f, k) => {
    if (f.count === 0) throw new ValueError(fn, `fold ${k + 1} of ${K} has no rows (${total.count} rows)`);
    if (total.count - f.count < 2) throw new ValueError(fn, `fold ${k + 1} leaves fewer than 2 rows to train on`);
  });
  const q0 = quadraticOf(total, total.count, pr.fitIntercept, design.shifts, design.yShift);
  // Standardized once on all rows, not per fold (as the in-memory cross-validation and grpreg's cv.grpreg).
  const st = pr.standardize ? standardizationOf(total, q0, design, pr.fitIntercept) : undefined;
  const q = scaledQuadratic(q0, st);
  const lmax = gramLambdaMax(q, pr.groups);
  const lambdas = grid(fn, options, lmax, q.n, q.p);
  const fits = pathOn(fn, pr, q, total, lambdas, st);
  const nL = lambdas.length;
  const foldLoss: Float64Array[] = [];
  const sse = new Float64Array(nL);
  let notConverged = 0;
  for (let k = 0; k < K; k++) {
    const train = subtractSums(total, folds[k]);
    const qk = scaledQuadratic(quadraticOf(train, train.count, pr.fitIntercept, design.shifts, design.yShift), st);
    const fk = pathOn(fn, pr, qk, train, lambdas, st);
    const lossK = new Float64Array(nL);
    fk.forEach((f, j) => {
      if (!f.converged) notConverged++;
      const r = residualSumOfSquares(folds[k], f.coef, f.intercept, design.shifts, design.yShift);
      lossK[j] = r / folds[k].count;
      sse[j] += r;
    });
    foldLoss.push(lossK);
  }
  const n = total.count;
  const meanLoss = sse.map((s) => s / n);
  const seLoss = new Float64Array(nL);
  for (let j = 0; j < nL; j++) {
    let v = 0;
    for (let k = 0; k < K; k++) v += folds[k].count * (foldLoss[k][j] - meanLoss[j]) ** 2;
    seLoss[j] = Math.sqrt(v / n / (K - 1));
  }
  let indexMin = 0;
  for (let j = 1; j < nL; j++) if (meanLoss[j] < meanLoss[indexMin]) indexMin = j;
  let index1se = indexMin;
  for (let j = 0; j <= indexMin; j++) {
    if (meanLoss[j] <= meanLoss[indexMin] + seLoss[indexMin]) {
      index1se = j;
      break;
    }
  }
  return {
    lambdas, lambdaMax: lmax, fits, design, groups: pr.groups, passes: pr.counter.passes, quadratic: q, ...(st ? { standardization: st } : {}),
    meanLoss, seLoss, foldLoss, metric: 'mean squared error', foldSizes: folds.map((f) => f.count), lambdaMin: lambdas[indexMin], indexMin,
    lambda1se: lambdas[index1se], index1se, nFolds: K, notConverged, fit: fits[indexMin],
  };
}

function glmOptions(pr: Prepared, warm?: { w: Float64Array; b: number }): GlmRunOptions {
  return { tol: pr.tol, maxIter: pr.maxIter ?? 50, fitIntercept: pr.fitIntercept, maxAggregates: pr.maxAggregates, warm };
}

function glmResult(pr: Prepared, lambda: number, r: GlmRun): SqlFitResult {
  const { norms, active } = groupNorms(r.w, pr.groups);
  return {
    coef: r.w, intercept: r.b, lambda, objective: r.objective, dualObjective: r.dual, dualityGap: r.gap, relativeGap: r.relativeGap,
    kktViolation: r.kktViolation, converged: r.converged, status: r.status, iterations: r.iterations, activeGroups: active,
    activeGroupNames: active.map((g) => pr.groups.names[g]), groupNorms: norms, groupNames: pr.groups.names,
    columnNames: pr.design.columnNames, columnGroups: pr.design.groups, loss: pr.loss, n: pr.design.n, passes: pr.counter.passes,
  };
}

/**
 * GLM path: λ_max from one pass (the gradient at the intercept-only fit, μ = ȳ, which is exact for
 * both canonical links), then each λ by proximal Newton warm-started from the previous one.
 */
async function glmPath(fn: string, source: SqlSource, pr: Prepared, options: SqlPathOptions): Promise<SqlPathResult> {
  const { design, groups } = pr;
  const p = design.exprs.length;
  if (!pr.fitIntercept) throw new OptionError(fn, `a ${pr.loss} path on a SQL source needs fitIntercept: true (λ_max is taken at the intercept-only fit)`);
  const ybar = design.yShift;
  const sel = design.exprs.map((e) => `SUM(${e} * (${num(ybar)} - ${design.y}))`).join(', ');
  const row = (await runPass(source, `SELECT ${sel} FROM ${source.relation} WHERE ${design.where}`, 'gradient at the intercept-only fit (λ_max)', fn, pr.counter, pr.onPass))[0];
  const g0 = Float64Array.from(row, (v) => Number(v) / design.n);
  const pen = new GroupLassoPenalty(groups, 1);
  let lmax = 0;
  for (let g = 0; g < groups.nGroups; g++) if (pen.isPenalized(g)) lmax = Math.max(lmax, pen.groupDualNorm(g0, g));
  const lambdas = grid(fn, options, lmax, design.n, p);
  const fits: SqlFitResult[] = [];
  let warm: { w: Float64Array; b: number } | undefined;
  for (const lam of lambdas) {
    const r = await runGlm(source, design, groups, pr.glm!, lam, glmOptions(pr, warm), fn, pr.counter, pr.onPass);
    fits.push(glmResult(pr, lam, r));
    warm = { w: r.w, b: r.b };
  }
  return { lambdas, lambdaMax: lmax, fits, design, groups, passes: pr.counter.passes };
}
