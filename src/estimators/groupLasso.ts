import { defaultLoss, getLoss, lossNames, sumRowLosses, type LossName } from '../datafits/index.ts';
import { readResponse, resolveIntercept } from '../problem/response.ts';
import { orthonormalizeGroups, standardize, standardizeSparse } from '../data/standardize.ts';
import { ShapeError, ValueError } from '../errors.ts';
import { expandForTasks, makeGroups, type GroupSpec, type GroupStructure, type WeightRule } from '../groups/groups.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { SparseMatrix } from '../linalg/sparse.ts';
import type { LinearOperator } from '../linalg/operator.ts';
import { toOperator, type MatrixInput, type ResponseInput } from '../linalg/input.ts';
import { groupNorms } from '../groups/norms.ts';
import { criteriaOnProblem, type CriteriaResult, type DfMethod } from '../path/criteria.ts';
import { cvOnProblem, type CvResult } from '../path/cv.ts';
import { lambdaGrid, MAX_LAMBDAS, pathOnProblem, type PathCertificate, type PathOptions, type PathResult } from '../path/path.ts';
import { checkChoice, checkNonNegative, checkOptions, checkPositiveInt, checkSizeLimit } from '../util/validate.ts';
import { choosePenalty, problemFromValidated } from '../problem/problem.ts';
import { adaptiveProblem, checkAdaptive, type AdaptiveOptions } from './adaptive.ts';
import { collinearityAffordable, designDiagnostics, explodedGroups } from './diagnostics.ts';

/** Options of {@link GroupLasso}. Give at most one of `lambda`, `cv`, `criterion` (default: cv with 10 folds). */
export interface GroupLassoOptions
  extends Pick<PathOptions, 'loss' | 'ties' | 'penalty' | 'alpha' | 'gamma' | 'tau' | 'fitIntercept' | 'ungrouped' | 'nLambda' | 'lambdaMinRatio' | 'lambdas' | 'tol' | 'maxIter' | 'maxTime' | 'solver' | 'screening'> {
  /**
   * A label per column, lists of member indices, or a GroupStructure (over the columns of X).
   * Required to fit a matrix; left out to fit a SQL source, whose design spec makes the groups.
   */
  groups?: GroupSpec;
  /** A fixed λ (on the scale of the standardized design when `standardize` is on). */
  lambda?: number;
  /** Choose λ by K-fold cross-validation: a fold count, true (10), or the fold design. */
  cv?: number | boolean | {
    nFolds?: number; seed?: number; stratify?: boolean; foldIds?: ArrayLike<number>; workers?: number;
    /** SQL sources: the integer column whose hash gives each row's fold (default the source's row number). */
    rowKey?: string;
  };
  /** With cv: λ_min (default, smallest mean held-out loss) or λ_1se (largest λ within one SE). */
  rule?: 'min' | '1se';
  /** Choose λ by an information criterion along the path. */
  criterion?: 'aic' | 'bic' | 'ebic';
  /** Degrees of freedom for the criterion (default 'auto'; see informationCriteria). */
  df?: DfMethod | 'auto';
  /** EBIC's γ (default 0.5); `gamma` is the nonconvex penalty's. */
  ebicGamma?: number;
  /** Centre (with an intercept) and scale every column before fitting (default true). */
  standardize?: boolean;
  /** Orthonormalize each group (X_gᵀX_g/n = I, as grpreg), instead of per-column scaling (default false). */
  orthonormalize?: boolean;
  /** Group weights d_g (default √p_g, of the fitted group size); 0 = unpenalized group. */
  weights?: ArrayLike<number> | WeightRule;
  /** A name per column of X (default x0, x1, …). */
  featureNames?: readonly string[];
  /**
   * Adaptive group lasso: true, or { power, nFolds, seed }: weights d_g = d⁰_g / ‖w̃_g‖^power from
   * the group lasso chosen by cross-validation on the same design and grid options (nLambda,
   * lambdaMinRatio; see {@link AdaptiveOptions}); groups it sets to zero are left out (infinite
   * weight). Default false.
   */
  adaptive?: boolean | AdaptiveOptions;
  /** Progress of the path / cross-validation: (done, total); returning false stops the fit early (status in the warnings). */
  onProgress?: (done: number, total: number) => boolean | void;
  /** After every iteration of every fit (see PathOptions.onIteration); returning false stops as onProgress does. */
  onIteration?: PathOptions['onIteration'];
  /** SQL sources: called before each pass over the rows (1-based pass number, what it computes). */
  onPass?: (info: { pass: number; what: string }) => void;
}

/** Warm-started fits on the way from λ_max to a fixed λ. */
const FIXED_LAMBDA_STEPS = 5;

const OPTION_KEYS = [
  'groups', 'loss', 'penalty', 'alpha', 'gamma', 'tau', 'lambda', 'cv', 'rule', 'criterion', 'df', 'ebicGamma', 'standardize', 'orthonormalize', 'weights',
  'fitIntercept', 'ungrouped', 'nLambda', 'lambdaMinRatio', 'lambdas', 'tol', 'maxIter', 'maxTime', 'solver', 'screening',
  'featureNames', 'onProgress', 'onIteration', 'onPass', 'ties', 'adaptive',
] as const;

/** Options of `predict` / `predictLinear`. */
export interface PredictOptions {
  /** Predict at this λ of the path instead of the chosen one (interpolated between grid values). */
  lambda?: number;
}

/** One selected group, on the original scale of X. */
export interface SelectedGroup {
  name: string;
  /** Index of the group in `groupNames`. */
  index: number;
  /** ‖w_g‖₂ of the original-scale coefficients (over all tasks). */
  norm: number;
  /** False for groups of weight 0 (always in the model). */
  penalized: boolean;
  /** The group's coefficients (for T tasks, T entries per feature, task after task). */
  coefficients: { feature: string; task: number; value: number }[];
}

/** How the design was transformed before fitting (what `toJSON` records). */
export type Preprocessing = 'none' | 'standardize' | 'orthonormalize';

interface FittedState {
  coef: Float64Array;
  intercepts: Float64Array;
  lambda: number;
  certificate: PathCertificate;
  selection: 'lambda' | 'cv' | 'criterion';
  index: number;
}

/**
 * Group lasso estimator for tables: standardizes (by default), fits the regularization path
 *   minimize_{w, b} F(X̃w + b) + λ Σ_g d_g ‖w_g‖₂
 * (F = (1/(2n))‖y − X̃w − b‖² for the squared loss, the mean negative log-likelihood for logistic and
 * Poisson; X̃ the standardized design), picks λ (fixed, cross-validation or an information
 * criterion), and reports coefficients on the ORIGINAL scale of X.
 *
 * Preprocessing (what it changes):
 * - `standardize: true` (default): x̃_j = (x_j − m_j)/s_j with the column mean m_j (only with an
 *   intercept) and population standard deviation s_j. The penalty then acts on s_j·w_j, so columns
 *   in different units compete fairly; the fitted model differs from one on raw X. Coefficients
 *   are mapped back (w_j = w̃_j/s_j, b = b̃ − Σ m_j w_j), so predictions on raw X are unchanged by
 *   the mapping. λ is on the standardized scale.
 * - `orthonormalize: true`: per group, X̃_g = (X_g − 1m_gᵀ)T_g with X̃_gᵀX̃_g/n = I (grpreg's
 *   orthogonalize); the penalty acts on ‖X_g w_g‖/√n, invariant to the coding inside a group.
 *   Rank-deficient directions are dropped; d_g defaults to √(rank of the group).
 * - `standardize: false`: X as given.
 * Cross-validation standardizes once on all rows (not per fold), as grpreg's cv.grpreg does.
 *
 * @example
 * const m = new GroupLasso({ groups, cv: 5 }).fit(X, y);
 * m.selectedGroups().map((g) => g.name) // returns the groups kept at λ_min
 */
export class GroupLasso {
  readonly options: Readonly<GroupLassoOptions>;
  private state: FittedState | null = null;
  private groupStructure: GroupStructure | null = null;
  private names: string[] = [];
  private p = 0;
  private T = 1;
  private lossName: LossName = defaultLoss(1);
  private classList: (number | string)[] | undefined;
  private prep: Preprocessing = 'standardize';
  /** The path on the original scale (coefficients, intercepts, norms); certificates are those of the fitted problem. */
  path: PathResult | undefined;
  /**
   * The path as fitted: on the standardized columns (or orthonormalized groups), where the penalty
   * compares groups fairly; what `pathChart(model)` draws by default. Undefined when not fitted
   * here (`fromJSON` keeps only the chosen fit).
   */
  standardizedPath: PathResult | undefined;
  /** Cross-validation result (on the fitted, standardized scale), when λ was chosen by cv. */
  cv: CvResult | undefined;
  /**
   * Warnings from the last fit, in plain sentences (empty when there is nothing to say): constant
   * or collinear columns, (nearly) separable labels, groups whose coefficients exploded, a CV
   * minimum at the edge of the λ grid, fits not certified, a time budget run out.
   */
  diagnostics: string[] = [];
  /** Information criteria along the path, when λ was chosen by a criterion. */
  criteria: CriteriaResult | undefined;
  /**
   * With `adaptive`: the weight d_g of each fitted group (Infinity: left out by the initial fit,
   * fixed at zero; 0: unpenalized), on the groups of the fitted design.
   */
  adaptiveWeights: Float64Array | undefined;
  private fitNotes: string[] = [];
  private separation: string[] = [];

  constructor(options: GroupLassoOptions) {
    const fn = 'GroupLasso';
    if (options === undefined || options === null || typeof options !== 'object') throw new ValueError(fn, 'options with at least `groups` are required');
    checkOptions(fn, options, OPTION_KEYS);
    const modes = (['lambda', 'cv', 'criterion'] as const).filter((k) => options[k] !== undefined && options[k] !== false);
    if (modes.length > 1) throw new ValueError(fn, `give one of lambda, cv or criterion, not ${modes.join(' and ')}`);
    if (options.lambda !== undefined && options.lambdas !== undefined) throw new ValueError(fn, 'lambdas is the grid for cv or criterion; with a fixed lambda leave it out');
    if (options.cv === false && modes.length === 0) throw new ValueError(fn, 'cv: false needs lambda or criterion to choose λ');
    if (options.lambda !== undefined) checkNonNegative(fn, 'lambda', options.lambda);
    if (options.criterion !== undefined) checkChoice(fn, 'criterion', options.criterion, ['aic', 'bic', 'ebic'] as const);
    if (options.rule !== undefined) checkChoice(fn, 'rule', options.rule, ['min', '1se'] as const);
    // The rule picks λ on the CV curve; with a fixed λ or a criterion it would be ignored silently.
    if (options.rule !== undefined && (options.lambda !== undefined || options.criterion !== undefined || options.cv === false)) {
      throw new ValueError(fn, `rule chooses λ on the cross-validation curve: use it with cv, not with ${options.lambda !== undefined ? 'lambda' : options.criterion !== undefined ? 'criterion' : 'cv: false'}`);
    }
    if (options.standardize !== undefined && typeof options.standardize !== 'boolean') throw new ValueError(fn, 'standardize must be true or false');
    if (options.orthonormalize !== undefined && typeof options.orthonormalize !== 'boolean') throw new ValueError(fn, 'orthonormalize must be true or false');
    // Checked here, before any work: these used to be refused by the function that first used
    // them (cvGroupLasso, informationCriteria) after the whole path.
    if (typeof options.cv === 'number' && !(Number.isInteger(options.cv) && options.cv >= 2)) {
      throw new ValueError(fn, `cv must be a whole number of folds ≥ 2 (or true, or { nFolds, seed, stratify, foldIds }), got ${options.cv}`);
    }
    if (options.cv !== undefined && typeof options.cv !== 'number' && typeof options.cv !== 'boolean' && (typeof options.cv !== 'object' || options.cv === null)) {
      throw new ValueError(fn, `cv must be a fold count, true, or { nFolds, seed, stratify, foldIds }, got ${options.cv === null ? 'null' : typeof options.cv}`);
    }
    if (options.ebicGamma !== undefined) {
      if (typeof options.ebicGamma !== 'number' || !(options.ebicGamma >= 0 && options.ebicGamma <= 1)) throw new ValueError(fn, `ebicGamma must be a number in [0, 1], got ${String(options.ebicGamma)}`);
      if (options.criterion !== 'ebic') throw new ValueError(fn, "ebicGamma is EBIC's parameter: use it with criterion: 'ebic'");
    }
    if (options.df !== undefined && options.criterion === undefined) throw new ValueError(fn, 'df is used by the information criteria: use it with criterion');
    if (options.onPass !== undefined && typeof options.onPass !== 'function') throw new ValueError(fn, `onPass must be a function ({ pass, what }) => void, got ${options.onPass === null ? 'null' : typeof options.onPass}`);
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new ValueError(fn, `onProgress must be a function (done, total) => void, got ${options.onProgress === null ? 'null' : typeof options.onProgress}`);
    }
    if (options.onIteration !== undefined && typeof options.onIteration !== 'function') {
      throw new ValueError(fn, `onIteration must be a function (info) => void, got ${options.onIteration === null ? 'null' : typeof options.onIteration}`);
    }
    if (options.maxTime !== undefined && (typeof options.maxTime !== 'number' || !(options.maxTime > 0))) {
      throw new ValueError(fn, `maxTime must be a number of seconds > 0, got ${String(options.maxTime)}`);
    }
    checkAdaptive(fn, options.adaptive);
    this.options = { ...options };
  }

  /** Whether `fit` (or `fromJSON`) has run. */
  get fitted(): boolean {
    return this.state !== null;
  }

  private need(fn: string): FittedState {
    if (!this.state) throw new ValueError(fn, 'the model is not fitted yet: call fit(X, y) first');
    return this.state;
  }

  /** Coefficients on the original scale of X (length p, or p·T column-major). */
  get coef(): Float64Array {
    return this.need('GroupLasso.coef').coef;
  }

  /** Intercept (first task) on the original scale. */
  get intercept(): number {
    return this.need('GroupLasso.intercept').intercepts[0];
  }

  /** Intercepts per task. */
  get intercepts(): Float64Array {
    return this.need('GroupLasso.intercepts').intercepts;
  }

  /** The λ of the model (on the fitted, standardized scale). */
  get lambda(): number {
    return this.need('GroupLasso.lambda').lambda;
  }

  /** The certificate of the chosen fit (duality gap and KKT violation of the problem solved). */
  get certificate(): PathCertificate {
    return this.need('GroupLasso.certificate').certificate;
  }

  /** Group names, in group order. */
  get groupNames(): readonly string[] {
    this.need('GroupLasso.groupNames');
    return this.groupStructure!.names;
  }

  get featureNames(): readonly string[] {
    this.need('GroupLasso.featureNames');
    return this.names;
  }

  get loss(): LossName {
    return this.lossName;
  }

  /** Class labels, in the order of the columns of `coef` (multinomial only). */
  get classes(): (number | string)[] | undefined {
    return this.classList ? [...this.classList] : undefined;
  }

  /**
   * Fit on a design X (n × p) and response y; returns this. y: numbers (n, or n × T for
   * multitask), class labels (multinomial), or `{ time, status }` (Cox). `sampleWeight`: one
   * weight ≥ 0 per row, normalised to mean 1 (integer weights act as repeated rows).
   */
  fit(X: MatrixInput, y: ResponseInput, sampleWeight?: ArrayLike<number>): this;
  /**
   * Fit on a table in a database (a source from `groupsparse/sql`: `openSource('data.parquet')`,
   * `duckdbSource`, `postgresSource`) with the design `spec` (as `buildDesign` takes it); resolves
   * to this. The rows stay in the engine: the path, cross-validation (folds by a hash of the row
   * key) and information criteria come from sufficient statistics, standardized as the in-memory
   * fit standardizes. Squared loss in full; logistic and Poisson with a fixed `lambda` and
   * `standardize: false`. `seLoss` of the cross-validation is the spread of the fold means
   * (glmnet's cvsd): the per-row spread needs a second pass. `cv.foldIds` is empty (the labels
   * live in SQL: `foldOfKey`).
   */
  fit(source: import('../sources/source.ts').SqlSource, spec: import('../sources/design.ts').SqlDesignSpec): Promise<this>;
  fit(X: MatrixInput | import('../sources/source.ts').SqlSource, y: ResponseInput | import('../sources/design.ts').SqlDesignSpec, sampleWeight?: ArrayLike<number>): this | Promise<this> {
    if (isSource(X)) return this.fitSource(X, y as import('../sources/design.ts').SqlDesignSpec, sampleWeight);
    return this.fitMatrix(X as MatrixInput, y as ResponseInput, sampleWeight);
  }

  private async fitSource(source: import('../sources/source.ts').SqlSource, spec: import('../sources/design.ts').SqlDesignSpec, sampleWeight: unknown): Promise<this> {
    const fn = 'GroupLasso.fit';
    if (sampleWeight !== undefined) throw new ValueError(fn, 'sample weights are not available on a SQL source');
    // Registered by `groupsparse/sql` when it is loaded (a source can only come from there): the
    // core never imports the SQL sources, so bundles of `groupsparse` carry no database driver.
    if (!sourceFitter) throw new ValueError(fn, 'fitting a SQL source needs groupsparse/sql loaded (openSource, duckdbSource, postgresSource)');
    const m = await sourceFitter(source, spec, this.options, fn);
    this.path = m.path;
    this.standardizedPath = m.standardizedPath;
    this.cv = m.cv;
    this.criteria = m.criteria;
    this.diagnostics = m.diagnostics;
    this.groupStructure = m.groups;
    this.names = m.featureNames;
    this.p = m.path.nFeatures;
    this.T = 1;
    this.lossName = m.loss;
    this.classList = undefined;
    this.prep = m.preprocessing;
    this.state = {
      coef: m.path.coefs[m.index], intercepts: m.path.intercepts[m.index], lambda: m.path.lambdas[m.index],
      certificate: m.path.certificates[m.index], selection: m.selection, index: m.index,
    };
    return this;
  }

  private fitMatrix(X: MatrixInput, y: ResponseInput, sampleWeight?: ArrayLike<number>): this {
    const fn = 'GroupLasso.fit';
    const o = this.options;
    if (o.groups === undefined) throw new ValueError(fn, 'options.groups is required to fit a matrix (only a SQL source takes its groups from a design spec)');
    if (o.onPass !== undefined) throw new ValueError(fn, 'onPass reports passes over a SQL source; for a matrix use onProgress');
    const op = toOperator(X, fn);
    const n = op.rows;
    const p = op.cols;
    if (n < 2) throw new ShapeError(fn, `X has ${n} row; at least 2 samples are needed`);
    const loss0: LossName = o.loss === undefined ? defaultLoss(1) : checkChoice(fn, 'loss', o.loss, lossNames());
    // The response is read (and validated) by its loss; T is the number of columns of W.
    const read = readResponse(loss0, y, n, { sampleWeight, lossOptions: { ties: o.ties } }, fn);
    const T = read.datafit.T;
    const loss: LossName = o.loss === undefined ? defaultLoss(T) : loss0;
    const classes = read.classes;
    const fitIntercept = resolveIntercept(fn, loss, o.fitIntercept);
    const penalty = choosePenalty(fn, o);
    if (o.ungrouped !== undefined) checkChoice(fn, 'ungrouped mode', o.ungrouped, ['error', 'unpenalized'] as const);
    const orig = makeGroups(o.groups, p, { weights: o.weights, ungrouped: o.ungrouped }, fn);
    const featureNames = o.featureNames === undefined ? Array.from({ length: p }, (_, j) => `x${j}`) : [...o.featureNames];
    if (featureNames.length !== p) throw new ShapeError(fn, `featureNames has ${featureNames.length} names for ${p} columns`);
    {
      // Names key the summary, predictions from records and the saved model: two columns of one name
      // could not be told apart.
      const seen = new Map<string, number>();
      featureNames.forEach((nm, j) => {
        if (typeof nm !== 'string' || nm === '') throw new ValueError(fn, `featureNames[${j}] must be a non-empty string, got ${typeof nm === 'string' ? "''" : String(nm)}`);
        const k = seen.get(nm);
        if (k !== undefined) throw new ValueError(fn, `featureNames[${j}] repeats '${nm}' (also featureNames[${k}]); give each column its own name`);
        seen.set(nm, j);
      });
    }
    const orthonormalize = o.orthonormalize ?? false;
    const doStandardize = !orthonormalize && (o.standardize ?? true);
    const datafit = read.datafit;

    // A sparse design with an intercept is scaled but not centred (centring fills its dummy
    // columns); its intercepts are moved to the centred scale once the fits are done. A constant
    // nonzero column, which centring would zero, takes the dense route.
    let sparseRoute = doStandardize && fitIntercept && op instanceof SparseMatrix ? standardizeSparse(op) : undefined;
    if (sparseRoute && op instanceof SparseMatrix && sparseRoute.constantColumns.some((j) => op.colPtr[j + 1] > op.colPtr[j])) sparseRoute = undefined;
    // Design actually fitted, its groups, and the map of its coefficients back to X's scale.
    let Xfit: LinearOperator = op;
    let constantCols: number[] = [];
    let groupsFit: GroupStructure = orig;
    let back: (c: Float64Array, b: Float64Array) => { coef: Float64Array; intercepts: Float64Array };
    const perTask = (pFit: number, f: (c: Float64Array, b: number) => { coef: Float64Array; intercept: number }) =>
      (c: Float64Array, b: Float64Array) => {
        const coef = new Float64Array(p * T);
        const intercepts = new Float64Array(T);
        for (let t = 0; t < T; t++) {
          const r = f(c.subarray(t * pFit, (t + 1) * pFit), b[t]);
          coef.set(r.coef, t * p);
          intercepts[t] = r.intercept;
        }
        return { coef, intercepts };
      };
    if (orthonormalize) {
      const on = orthonormalizeGroups(op, orig, { center: fitIntercept });
      Xfit = on.X;
      const lists: number[][] = [];
      const names: string[] = [];
      const weights: number[] = [];
      const userWeights = o.weights !== undefined && typeof o.weights !== 'string';
      for (let g = 0; g < orig.nGroups; g++) {
        const cols: number[] = [];
        for (let c = 0; c < on.groupOfColumn.length; c++) if (on.groupOfColumn[c] === g) cols.push(c);
        if (cols.length === 0) continue;
        lists.push(cols);
        names.push(orig.names[g]);
        // Unpenalized groups stay unpenalized; otherwise √(rank) unless the user gave weights.
        weights.push(!(orig.weights[g] > 0) ? 0 : userWeights ? orig.weights[g] : o.weights === 'one' ? 1 : Math.sqrt(cols.length));
      }
      groupsFit = makeGroups(lists, on.X.cols, { weights, names }, fn);
      back = perTask(on.X.cols, (c, b) => on.backTransform(c, b));
    } else if (doStandardize && sparseRoute) {
      Xfit = sparseRoute.X;
      constantCols = sparseRoute.constantColumns;
      back = perTask(p, (c, b) => sparseRoute.unscale(c, b));
    } else if (doStandardize) {
      const dense = op instanceof DenseMatrix ? op : denseFrom(op);
      const s = standardize(dense, { center: fitIntercept, scale: true });
      Xfit = s.X;
      constantCols = s.constantColumns;
      back = perTask(p, (c, b) => s.unscale(c, b));
    } else {
      back = (c, b) => ({ coef: c.slice(), intercepts: b.slice() });
    }

    const diagnostics: string[] = [];
    // What the data say about the design, apart from the warnings about the fit itself.
    const notes: string[] = [];
    let separation: string[] = [];
    if (doStandardize && Xfit instanceof DenseMatrix) notes.push(...designDiagnostics(Xfit, featureNames, constantCols));
    else if (sparseRoute) notes.push(...designDiagnostics(collinearityAffordable(n, p) ? standardize(denseFrom(op), { center: true, scale: true }).X : null, featureNames, constantCols));
    diagnostics.push(...notes);
    let prob = problemFromValidated({ X: Xfit, datafit, groups: groupsFit, fitIntercept, penalty }, fn);
    // The whole fit (path, or cross-validation with its folds) shares one time budget.
    const common = { tol: o.tol, maxIter: o.maxIter, maxTime: o.maxTime, solver: o.solver, screening: o.screening, onProgress: o.onProgress, onIteration: o.onIteration };
    const adaptiveOpts = checkAdaptive(fn, o.adaptive);
    const adaptive = adaptiveOpts ? adaptiveProblem(Xfit, prob, adaptiveOpts, {
      tol: o.tol, maxIter: o.maxIter, maxTime: o.maxTime, solver: o.solver, nLambda: o.nLambda, lambdaMinRatio: o.lambdaMinRatio,
    }, fn) : undefined;
    this.adaptiveWeights = adaptive?.weights;
    if (adaptive) prob = adaptive.problem;
    const grid = o.lambdas !== undefined ? { lambdas: o.lambdas } : { nLambda: o.nLambda, lambdaMinRatio: o.lambdaMinRatio };
    let path: PathResult;
    let index: number;
    let selection: FittedState['selection'];
    this.cv = undefined;
    this.criteria = undefined;
    if (o.lambda !== undefined) {
      // A handful of warm-started fits from λ_max down to λ, log-spaced and ending exactly at λ:
      // each start is close to its solution, so this costs a few single fits (walking the whole
      // default grid down to λ cost up to 70 fits). With nLambda given, that grid as before.
      const lam = o.lambda;
      const lmax = prob.lambdaMax();
      let lambdas: number[];
      if (!(lmax > lam)) lambdas = [lam];
      else if (o.nLambda !== undefined || o.lambdaMinRatio !== undefined) {
        const nL = o.nLambda === undefined ? 100 : checkSizeLimit(fn, 'nLambda', checkPositiveInt(fn, 'nLambda', o.nLambda), MAX_LAMBDAS, 'each λ is a fit and keeps its coefficients');
        const ratio = o.lambdaMinRatio ?? (n > p ? 1e-3 : 0.05);
        lambdas = [...Array.from(lambdaGrid(lmax, nL, ratio)).filter((v) => v > lam), lam];
      } else {
        // λ_max first (w = 0 there, no work), as every path of this library starts.
        const steps = lam > 0 ? FIXED_LAMBDA_STEPS : 1;
        lambdas = Array.from({ length: steps + 1 }, (_, k) => lmax * (lam / lmax) ** (k / steps));
        lambdas[steps] = lam;
      }
      path = pathOnProblem(prob, { ...common, lambdas }, fn);
      if (adaptive) path = adaptive.expandPath(path);
      index = path.lambdas.length - 1;
      selection = 'lambda';
    } else if (o.criterion !== undefined) {
      path = pathOnProblem(prob, { ...common, ...grid }, fn);
      const ic = criteriaOnProblem(path, prob, { df: o.df, ebicGamma: o.ebicGamma }, fn);
      if (adaptive) path = adaptive.expandPath(path);
      this.criteria = ic;
      index = ic.best[o.criterion];
      selection = 'criterion';
    } else {
      const cvOpt = o.cv === undefined || o.cv === true ? {} : typeof o.cv === 'number' ? { nFolds: o.cv } : o.cv;
      if (typeof cvOpt !== 'object' || cvOpt === null) throw new ValueError(fn, 'cv must be a fold count, true, or { nFolds, seed, stratify, foldIds }');
      checkOptions(fn, cvOpt, ['nFolds', 'seed', 'stratify', 'foldIds', 'workers']);
      const cvRun = cvOnProblem(prob, { ...common, ...grid, ...cvOpt, nFolds: cvOpt.nFolds ?? (cvOpt.foldIds ? undefined : Math.min(10, n)) }, fn);
      const cv = adaptive ? adaptive.expandCv(cvRun) : cvRun;
      this.cv = cv;
      path = cv.path;
      index = (o.rule ?? 'min') === '1se' ? cv.index1se : cv.indexMin;
      selection = 'cv';
    }

    // Map the whole path back to the original scale and groups.
    const K = path.lambdas.length;
    if (K > 0) {
      // The loss's own warnings at the least penalized fit (separated labels, ...): warnings of the model.
      const pFit = Xfit.cols;
      const eta = new Float64Array(n * T);
      const b = path.intercepts[K - 1];
      for (let t = 0; t < T; t++) {
        const e = eta.subarray(t * n, (t + 1) * n);
        Xfit.apply(path.coefs[K - 1].subarray(t * pFit, (t + 1) * pFit), e);
        for (let i = 0; i < n; i++) e[i] += b[t];
      }
      separation = datafit.fitDiagnostics(eta);
      diagnostics.push(...separation);
    }
    if (sparseRoute) {
      // Fitted on X S⁻¹ (uncentred): standardize's intercepts, for the path and what shares it.
      const pFit = Xfit.cols;
      const centred = (c: Float64Array, b: Float64Array): void => {
        for (let t = 0; t < T; t++) b[t] = sparseRoute.centredIntercept(c.subarray(t * pFit, (t + 1) * pFit), b[t]);
      };
      for (let k = 0; k < K; k++) {
        centred(path.coefs[k], path.intercepts[k]);
        path.intercept[k] = path.intercepts[k][0];
      }
      if (this.cv) this.cv.fit.intercept = this.cv.path.intercept[this.cv.indexMin];
    }
    if ((doStandardize || orthonormalize) && index < K) {
      const exploded = explodedGroups(path.groupNorms[index], path.groupNames, datafit.explosionLimit());
      notes.push(...exploded);
      diagnostics.push(...exploded);
    }
    if (this.cv) diagnostics.push(...this.cv.diagnostics);
    else {
      const bad = path.certificates.filter((c) => !c.converged).length;
      if (bad > 0) diagnostics.push(`${bad} fit(s) of the path not certified to tol`);
      if (path.status === 'time limit reached') diagnostics.push('maxTime ran out: the fits after it are not converged');
      if (path.status === 'stopped by callback') diagnostics.push('stopped by the onProgress callback: the fits after it are not converged');
    }
    this.diagnostics = diagnostics;
    this.fitNotes = notes;
    this.separation = separation;
    const orig_: PathResult = {
      ...path, coefs: [], intercept: new Float64Array(K), intercepts: [], activeGroups: [], groupNorms: [],
      groupNames: orig.names, groups: orig, nFeatures: p,
    };
    const ogs = expandForTasks(orig, T);
    for (let k = 0; k < K; k++) {
      const r = back(path.coefs[k], path.intercepts[k]);
      orig_.coefs.push(r.coef);
      orig_.intercept[k] = r.intercepts[0];
      orig_.intercepts.push(r.intercepts);
      const { norms, active: act } = groupNorms(r.coef, ogs);
      orig_.groupNorms.push(norms);
      orig_.activeGroups.push(act);
    }
    this.path = orig_;
    this.standardizedPath = path;
    this.groupStructure = orig;
    this.names = featureNames;
    this.p = p;
    this.T = T;
    this.lossName = loss;
    this.classList = classes;
    this.prep = orthonormalize ? 'orthonormalize' : doStandardize ? 'standardize' : 'none';
    this.state = {
      coef: orig_.coefs[index], intercepts: orig_.intercepts[index], lambda: path.lambdas[index],
      certificate: path.certificates[index], selection, index,
    };
    return this;
  }

  /** Linear predictor η = X w + b on the original scale (length n, or n·T column-major). */
  predictLinear(X: MatrixInput, options: PredictOptions = {}): Float64Array {
    const fn = 'GroupLasso.predictLinear';
    const s = this.need(fn);
    checkOptions(fn, options, ['lambda']);
    const { coef, intercepts } = options.lambda === undefined ? s : this.coefAt(fn, options.lambda);
    const op = toOperator(X, fn);
    if (op.cols !== this.p) throw new ShapeError(fn, `X has ${op.cols} columns, the model was fitted on ${this.p}`);
    const n = op.rows;
    const out = new Float64Array(n * this.T);
    for (let t = 0; t < this.T; t++) {
      const o = out.subarray(t * n, (t + 1) * n);
      op.apply(coef.subarray(t * this.p, (t + 1) * this.p), o);
      for (let i = 0; i < n; i++) o[i] += intercepts[t];
    }
    return out;
  }

  /**
   * Coefficients (original scale) at any λ in the path's range: a grid value's fit itself, between
   * two grid values the linear interpolation in λ of their fits (grpreg's and glmnet's
   * `predict(fit, lambda = )`; the path is piecewise smooth, so this is an approximation between
   * grid points, exact on them).
   */
  coefAt(fn: string, lambda: number): { coef: Float64Array; intercepts: Float64Array } {
    const path = this.path;
    if (path === undefined) throw new ValueError(fn, 'predictions at another λ need the path (this model was restored by fromJSON)');
    const L = path.lambdas;
    const K = L.length;
    if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw new ValueError(fn, `lambda must be a finite number ≥ 0, got ${String(lambda)}`);
    if (lambda > L[0] * (1 + 1e-12) || lambda < L[K - 1] * (1 - 1e-12)) {
      throw new ValueError(fn, `lambda ${lambda} is outside the fitted path [${L[K - 1]}, ${L[0]}]; refit with a grid that covers it`);
    }
    let k = 0;
    while (k < K - 1 && L[k + 1] >= lambda) k++;
    if (L[k] === lambda || k === K - 1) return { coef: path.coefs[k], intercepts: path.intercepts[k] };
    const a = (L[k] - lambda) / (L[k] - L[k + 1]); // weight of the smaller λ
    const mix = (u: Float64Array, v: Float64Array) => u.map((x, j) => (1 - a) * x + a * v[j]);
    return { coef: mix(path.coefs[k], path.coefs[k + 1]), intercepts: mix(path.intercepts[k], path.intercepts[k + 1]) };
  }

  /**
   * Predictions on the response scale: the mean Xw + b (squared, multitask), the probability
   * σ(η) (logistic), the mean e^η (Poisson), the relative risk e^η (Cox, grpreg's
   * type = "risk"), or the class probabilities softmax(η) (multinomial: n × K column-major, class
   * k in column k of {@link classes}).
   */
  predict(X: MatrixInput, options: PredictOptions = {}): Float64Array {
    const eta = this.predictLinear(X, options);
    const out = new Float64Array(eta.length);
    getLoss(this.lossName)!.inverseLink(eta, out, this.T);
    return out;
  }

  /** The most probable class of each row (multinomial). */
  predictClass(X: MatrixInput): (number | string)[] {
    const fn = 'GroupLasso.predictClass';
    this.need(fn);
    if (!this.classList) throw new ValueError(fn, `predictClass needs a multinomial model (a loss of class labels), this one has loss '${this.lossName}'`);
    const eta = this.predictLinear(X);
    const K = this.T;
    const n = eta.length / K;
    return Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (eta[k * n + i] > eta[best * n + i]) best = k;
      return this.classList![best];
    });
  }

  /**
   * Fraction of deviance explained, D² = 1 − D(model)/D(null) on (X, y), with D the summed
   * held-out loss of cross-validation (squared error: D² is R²; logistic and Poisson: deviance)
   * and the null model the constant ȳ of the given y.
   */
  score(X: MatrixInput, y: ResponseInput): number {
    const fn = 'GroupLasso.score';
    this.need(fn);
    const eta = this.predictLinear(X);
    const n = eta.length / this.T;
    // The loss reads and checks the scoring response (labels 0/1, counts ≥ 0, `{ time, status }`,
    // class labels coded with the model's classes, …).
    const df = readResponse(this.lossName, y, n, { classes: this.classList, lossOptions: { ties: this.options.ties } }, fn).datafit;
    if (df.T !== this.T) throw new ShapeError(fn, `y has ${df.T} column(s), the model ${this.T}`);
    const dev0 = df.nullDeviance();
    if (!(dev0 > 0)) throw new ValueError(fn, 'y is constant: the null deviance is 0, so the fraction explained is undefined');
    return 1 - sumRowLosses(df, eta) / dev0;
  }

  /** The groups in the model (‖w_g‖ > 0), with their original-scale norms and coefficients. */
  selectedGroups(): SelectedGroup[] {
    const s = this.need('GroupLasso.selectedGroups');
    const gs = this.groupStructure!;
    const out: SelectedGroup[] = [];
    for (let g = 0; g < gs.nGroups; g++) {
      const coefficients: SelectedGroup['coefficients'] = [];
      let ss = 0;
      for (let t = 0; t < this.T; t++) {
        for (let q = gs.ptr[g]; q < gs.ptr[g + 1]; q++) {
          const j = gs.indices[q];
          const v = s.coef[t * this.p + j];
          ss += v * v;
          coefficients.push({ feature: this.names[j], task: t, value: v });
        }
      }
      if (ss > 0) out.push({ name: gs.names[g], index: g, norm: Math.sqrt(ss), penalized: gs.weights[g] > 0, coefficients });
    }
    return out;
  }

  /**
   * What a user should know about this fit before trusting it, in plain sentences (empty when
   * there is nothing to say): λ chosen at an end of the grid (the best λ may lie outside it),
   * (nearly) separable labels (logistic), fits along the path or in the folds that are not
   * certified (with the λ values), a time budget run out. {@link notes} has the rest of what
   * `diagnostics` says (constant or collinear columns, exploded groups).
   */
  get warnings(): string[] {
    const s = this.need('GroupLasso.warnings');
    const out: string[] = [];
    const path = this.standardizedPath ?? this.path;
    const K = path?.lambdas.length ?? 0;
    if (K > 2 && s.selection !== 'lambda') {
      const how = s.selection === 'cv' ? 'cross-validation' : `the ${this.options.criterion?.toUpperCase()} criterion`;
      if (s.index === 0) out.push(`${how} chose the largest λ of the grid (no group selected): the data may carry no signal these groups can explain`);
      if (s.index === K - 1) out.push(`${how} chose the smallest λ of the grid: a smaller λ may do better; lower lambdaMinRatio to extend the grid`);
    }
    out.push(...this.separation);
    if (path) {
      const bad = path.certificates.map((c, k) => (c.converged ? -1 : k)).filter((k) => k >= 0);
      if (bad.length > 0) {
        const at = bad.slice(0, 5).map((k) => path.lambdas[k].toPrecision(4)).join(', ');
        out.push(`${bad.length} of ${K} fits along the path are not certified to tol ${path.tol} (at λ = ${at}${bad.length > 5 ? ', …' : ''}); raise maxIter or maxTime, or loosen tol`);
      }
      if (path.status === 'time limit reached' || this.cv?.status === 'time limit reached') out.push('maxTime ran out: the fits after it are not converged');
    }
    if (this.cv && this.cv.notConverged > 0) out.push(`${this.cv.notConverged} fold fit(s) of the cross-validation are not certified to tol: the CV curve may be off`);
    if (!s.certificate.converged) out.push(`the chosen fit is not certified (relative gap ${s.certificate.relativeGap.toExponential(2)})`);
    return out;
  }

  /** What the data say about the design, apart from {@link warnings}: constant or collinear columns, exploded groups. */
  get notes(): string[] {
    this.need('GroupLasso.notes');
    return [...this.fitNotes];
  }

  /** A readable account of the fit: how λ was chosen, the selected groups by norm, the certificate, warnings. */
  summary(): string {
    if (this.state === null) {
      const how = this.options.lambda !== undefined ? `λ = ${this.options.lambda}` : this.options.criterion ?? 'cross-validation';
      return `GroupLasso (not fitted; λ by ${how})`;
    }
    const s = this.state;
    const f = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? Number(x.toPrecision(4)).toString() : x.toExponential(3));
    const gs = this.groupStructure!;
    const prep = this.prep === 'orthonormalize' ? 'groups orthonormalized' : this.prep === 'standardize' ? 'columns standardized' : 'columns as given';
    const lines = [`GroupLasso (${this.lossName} loss): ${this.p} columns in ${gs.nGroups} groups, ${prep}`];
    if (s.selection === 'cv' && this.cv) {
      const k = this.cv.lambdas.indexOf(s.lambda);
      lines.push(`λ = ${f(s.lambda)} by ${this.cv.nFolds}-fold cross-validation (${this.options.rule === '1se' ? 'λ_1se' : 'λ_min'}); ` +
        `${this.cv.metric} ${f(this.cv.meanLoss[k])} ± ${f(this.cv.seLoss[k])}`);
    } else if (s.selection === 'criterion') {
      lines.push(`λ = ${f(s.lambda)} by ${this.options.criterion?.toUpperCase()}`);
    } else lines.push(`λ = ${f(s.lambda)} (given)`);
    const sel = this.selectedGroups().sort((a, b) => b.norm - a.norm);
    lines.push(`selected ${sel.filter((g) => g.penalized).length} of ${gs.weights.filter((w) => w > 0).length} penalized groups (original scale):`);
    const w = Math.max(5, ...sel.map((g) => g.name.length));
    for (const g of sel.slice(0, 30)) {
      const cs = g.coefficients.slice(0, 6).map((c) => `${c.feature}=${f(c.value)}`).join(' ');
      lines.push(`  ${g.name.padEnd(w)}  ‖w‖ ${f(g.norm).padStart(9)}  ${cs}${g.coefficients.length > 6 ? ' …' : ''}${g.penalized ? '' : ' (unpenalized)'}`);
    }
    if (sel.length > 30) lines.push(`  … and ${sel.length - 30} more`);
    const none = gs.names.filter((_, g) => !sel.some((x) => x.index === g));
    if (none.length) lines.push(`not selected (${none.length}): ${none.slice(0, 20).join(', ')}${none.length > 20 ? ', …' : ''}`);
    const c = s.certificate;
    lines.push(`intercept ${f(s.intercepts[0])}; certificate: relative gap ${c.relativeGap.toExponential(2)}, KKT ${c.kktViolation.toExponential(2)}, ${c.converged ? 'converged' : 'NOT converged'}`);
    for (const warning of this.warnings) lines.push(`warning: ${warning}`);
    for (const note of this.fitNotes) lines.push(`note: ${note}`);
    return lines.join('\n');
  }

  /** The summary, so that string interpolation and `console.log` show something readable. */
  toString(): string {
    return this.summary();
  }

  /** Node's console.log / util.inspect show the summary instead of the internals. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.summary();
  }

  /** Deno's console.log likewise. */
  [Symbol.for('Deno.customInspect')](): string {
    return this.summary();
  }

  /** A plain-JSON snapshot of the fitted model (enough to predict, score and list selected groups). */
  toJSON(): GroupLassoJSON {
    const s = this.need('GroupLasso.toJSON');
    const gs = this.groupStructure!;
    const o = this.options;
    return {
      format: 'groupsparse.GroupLasso',
      version: 1,
      classes: this.classList ? [...this.classList] : undefined,
      options: {
        loss: this.lossName, ties: o.ties, lambda: o.lambda, criterion: o.criterion, rule: o.rule,
        cv: typeof o.cv === 'object' ? { nFolds: o.cv.nFolds, seed: o.cv.seed, stratify: o.cv.stratify } : o.cv,
        standardize: o.standardize, orthonormalize: o.orthonormalize, fitIntercept: o.fitIntercept,
        screening: o.screening, tol: o.tol,
      },
      preprocessing: this.prep,
      nFeatures: this.p,
      nTasks: this.T,
      featureNames: [...this.names],
      groups: { names: [...gs.names], ptr: Array.from(gs.ptr), indices: Array.from(gs.indices), weights: Array.from(gs.weights) },
      lambda: s.lambda,
      selection: s.selection,
      coef: Array.from(s.coef),
      intercepts: Array.from(s.intercepts),
      certificate: { ...s.certificate },
      path: this.path ? {
        lambdas: Array.from(this.path.lambdas),
        activeGroups: this.path.activeGroups.map((a) => [...a]),
        certificates: this.path.certificates.map((c) => ({ ...c })),
        index: s.index,
      } : undefined,
    };
  }

  /** Rebuild a fitted model from {@link GroupLasso.toJSON} output (paths are not restored). */
  static fromJSON(json: unknown): GroupLasso {
    const fn = 'GroupLasso.fromJSON';
    let j: GroupLassoJSON;
    try {
      j = (typeof json === 'string' ? JSON.parse(json) : json) as GroupLassoJSON;
    } catch (e) {
      throw new ValueError(fn, `not JSON: ${(e as Error).message}`);
    }
    if (!j || typeof j !== 'object' || j.format !== 'groupsparse.GroupLasso') throw new ValueError(fn, 'not a GroupLasso JSON snapshot (format field missing or wrong)');
    if (j.version !== 1) throw new ValueError(fn, `unsupported snapshot version ${String(j.version)}`);
    const p = j.nFeatures;
    const T = j.nTasks;
    if (!Number.isInteger(p) || p < 1 || !Number.isInteger(T) || T < 1) throw new ValueError(fn, 'nFeatures and nTasks must be whole numbers ≥ 1');
    if (!Array.isArray(j.coef) || j.coef.length !== p * T) throw new ShapeError(fn, `coef must have ${p * T} entries`);
    if (!Array.isArray(j.intercepts) || j.intercepts.length !== T) throw new ShapeError(fn, `intercepts must have ${T} entries`);
    for (const v of [...j.coef, ...j.intercepts]) if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(fn, 'coef and intercepts must be finite numbers');
    if (j.options === null || typeof j.options !== 'object') throw new ValueError(fn, 'options are missing');
    checkChoice(fn, 'loss', j.options.loss, lossNames());
    checkChoice(fn, 'preprocessing', j.preprocessing, ['none', 'standardize', 'orthonormalize'] as const);
    checkChoice(fn, 'selection', j.selection, ['lambda', 'cv', 'criterion'] as const);
    if (typeof j.lambda !== 'number' || !(j.lambda >= 0)) throw new ValueError(fn, `lambda must be a number ≥ 0, got ${String(j.lambda)}`);
    if (!Array.isArray(j.featureNames) || j.featureNames.length !== p || j.featureNames.some((s) => typeof s !== 'string')) {
      throw new ShapeError(fn, `featureNames must list ${p} names`);
    }
    const g = j.groups;
    if (!g || typeof g !== 'object' || !Array.isArray(g.names) || !Array.isArray(g.ptr) || !Array.isArray(g.indices) || !Array.isArray(g.weights)) {
      throw new ValueError(fn, 'groups must be { names, ptr, indices, weights } arrays');
    }
    if (g.ptr.length !== g.names.length + 1 || g.ptr.some((v, k) => !Number.isInteger(v) || v < 0 || v > g.indices.length || (k > 0 && v < g.ptr[k - 1]))) {
      throw new ValueError(fn, 'groups.ptr must be non-decreasing offsets into groups.indices, one more than there are groups');
    }
    if (j.certificate === null || typeof j.certificate !== 'object') throw new ValueError(fn, 'the certificate is missing');
    // A corrupted certificate used to be restored as it was ('converged: x' in the summary).
    const cert = j.certificate as unknown as Record<string, unknown>;
    for (const k of ['objective', 'dualityGap', 'relativeGap', 'kktViolation'] as const) {
      // null is how JSON writes NaN (the gap of a nonconvex penalty).
      if (!(cert[k] === null || typeof cert[k] === 'number')) throw new ValueError(fn, `certificate.${k} must be a number, got ${JSON.stringify(cert[k])}`);
    }
    checkChoice(fn, 'certificate.status', cert.status, ['converged', 'at rounding level', 'not converged'] as const);
    if (cert.converged !== (cert.status !== 'not converged')) {
      throw new ValueError(fn, `certificate.converged (${JSON.stringify(cert.converged)}) does not match its status '${String(cert.status)}'`);
    }
    if (j.path !== undefined && (j.path === null || typeof j.path !== 'object' || !Number.isInteger(j.path.index) || j.path.index < 0)) {
      throw new ValueError(fn, 'path.index must be a whole number ≥ 0');
    }
    const gs = makeGroups(
      j.groups.ptr.slice(0, -1).map((start, g) => j.groups.indices.slice(start, j.groups.ptr[g + 1])),
      p, { weights: j.groups.weights, names: j.groups.names, ungrouped: 'error' }, fn,
    );
    const m = new GroupLasso({ groups: gs, loss: j.options.loss, ties: j.options.ties });
    if (getLoss(j.options.loss ?? defaultLoss(T))?.categorical && (!Array.isArray(j.classes) || j.classes.length !== T)) throw new ShapeError(fn, `a snapshot of loss '${j.options.loss}' needs ${T} class labels`);
    m.classList = j.classes ? [...j.classes] : undefined;
    m.groupStructure = gs;
    m.names = [...j.featureNames];
    m.p = p;
    m.T = T;
    m.lossName = j.options.loss;
    m.prep = j.preprocessing;
    m.state = {
      coef: Float64Array.from(j.coef), intercepts: Float64Array.from(j.intercepts), lambda: j.lambda,
      certificate: { ...j.certificate }, selection: j.selection, index: j.path?.index ?? 0,
    };
    return m;
  }
}

/** The JSON form of a fitted {@link GroupLasso}. */
export interface GroupLassoJSON {
  format: 'groupsparse.GroupLasso';
  version: 1;
  /** Class labels (multinomial). */
  classes?: (number | string)[];
  options: {
    loss: LossName; ties?: 'breslow' | 'efron'; lambda?: number; criterion?: string; rule?: string;
    cv?: number | boolean | { nFolds?: number; seed?: number; stratify?: boolean };
    standardize?: boolean; orthonormalize?: boolean; fitIntercept?: boolean; screening?: string; tol?: number;
  };
  preprocessing: Preprocessing;
  nFeatures: number;
  nTasks: number;
  featureNames: string[];
  groups: { names: string[]; ptr: number[]; indices: number[]; weights: number[] };
  lambda: number;
  selection: 'lambda' | 'cv' | 'criterion';
  coef: number[];
  intercepts: number[];
  certificate: PathCertificate;
  path?: { lambdas: number[]; activeGroups: number[][]; certificates: PathCertificate[]; index: number };
}

type SourceFitter = (
  source: import('../sources/source.ts').SqlSource, spec: import('../sources/design.ts').SqlDesignSpec, options: GroupLassoOptions, fn: string,
) => Promise<import('../sources/estimator.ts').SourceModel>;
let sourceFitter: SourceFitter | undefined;

/** How `GroupLasso.fit(source, spec)` fits: set by `groupsparse/sql` when it loads. */
export function registerSourceFitter(f: SourceFitter): void {
  sourceFitter = f;
}

/** A SQL source (`groupsparse/sql`) rather than a matrix: an object that runs statements. */
function isSource(x: unknown): x is import('../sources/source.ts').SqlSource {
  return x !== null && typeof x === 'object' && typeof (x as { query?: unknown }).query === 'function' && typeof (x as { relation?: unknown }).relation === 'string';
}

/** Dense copy of an operator (standardizing needs the entries). */
function denseFrom(op: LinearOperator): DenseMatrix {
  const m = new DenseMatrix(op.rows, op.cols);
  const e = new Float64Array(op.cols);
  for (let j = 0; j < op.cols; j++) {
    if (op.columns) op.columns.axpy(j, 1, m.column(j));
    else {
      e.fill(0);
      e[j] = 1;
      op.apply(e, m.column(j));
      e[j] = 0;
    }
  }
  return m;
}

