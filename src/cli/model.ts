import type { Design } from '../data/design.ts';
import { lossNames, type LossName } from '../datafits/index.ts';
import { penaltyNames } from '../penalties/index.ts';
import type { GroupLassoOptions } from '../estimators/groupLasso.ts';
import type { SolverName } from '../problem/problem.ts';
import { solverNames } from '../solvers/registry.ts';
import { MAX_LAMBDAS } from '../path/path.ts';
import type { FlagValues } from './args.ts';
import { CliError } from './errors.ts';
import { choiceFlag, numberFlag } from './values.ts';

/** Flags of the model and of how λ is chosen. */
export const MODEL_FLAGS = {
  loss: { type: 'string', arg: 'squared|logistic|poisson|multinomial|cox', help: 'the loss (default squared; any registered loss)' },
  penalty: { type: 'string', arg: 'grLasso|grMCP|grSCAD|cMCP|gel|sparseGroupLasso', help: "the penalty, grpreg's names (default grLasso)" },
  gamma: { type: 'string', arg: 'G', help: 'concavity of grMCP, cMCP (> 1, default 3) or grSCAD (> 2, default 4)' },
  tau: { type: 'string', arg: 'T', help: 'coupling of gel, in (0, 1] (default 1/3)' },
  alpha: { type: 'string', arg: 'A', help: 'ℓ1 share of sparseGroupLasso, in [0, 1] (default 0.5)' },
  adaptive: { type: 'boolean', help: 'adaptive weights d_g = √p_g/‖w̃_g‖ from a 5-fold cross-validated group lasso (zero groups left out)' },
  ties: { type: 'string', arg: 'breslow|efron', help: 'with --loss cox: tied event times (default breslow, as grpreg)' },
  lambda: { type: 'string', arg: 'V', help: 'a fixed λ (on the standardized scale)' },
  cv: { type: 'string', arg: 'K', help: 'choose λ by K-fold cross-validation (default 10)' },
  criterion: { type: 'string', arg: 'aic|bic|ebic', help: 'choose λ by an information criterion' },
  rule: { type: 'string', arg: 'min|1se', help: 'with --cv: λ_min (default) or λ_1se' },
  seed: { type: 'string', arg: 'N', help: 'fold shuffle seed (default 1)' },
  workers: { type: 'string', arg: 'N', help: 'with --cv: threads fitting folds at once (default: all cores when worth it)' },
  orthonormalize: { type: 'boolean', help: 'orthonormalize each group (grpreg) instead of scaling columns' },
  'no-standardize': { type: 'boolean', help: 'fit on the columns as they are' },
  'n-lambda': { type: 'string', arg: 'N', help: 'number of λ values on the path (default 100)' },
  'lambda-min-ratio': { type: 'string', arg: 'R', help: 'smallest λ as a fraction of λ_max' },
  tol: { type: 'string', arg: 'T', help: 'relative duality gap to certify' },
  'max-iter': { type: 'string', arg: 'N', help: 'work limit per fit (passes over the data)' },
  'max-time': { type: 'string', arg: 'S', help: 'time budget in seconds for the whole fit (path and folds)' },
  screening: { type: 'string', arg: 'strong|none', help: 'screening rule along the path' },
  solver: { type: 'string', arg: 'auto|bcd|fista|ista', help: 'the solver (default auto: bcd where it applies, else fista)' },
} as const;

export type ModelValues = FlagValues<typeof MODEL_FLAGS>;

/** GroupLasso options from the model flags; `path` fits the whole path (BIC shown as a hint). */
export function modelOptions(v: ModelValues, design: Design, command: 'fit' | 'path', onProgress?: GroupLassoOptions['onProgress'], onIteration?: GroupLassoOptions['onIteration']): GroupLassoOptions {
  // One target column: the matrix-response name 'multitask' is not offered.
  const loss = choiceFlag<LossName>(v.loss, 'loss', lossNames().filter((l) => l !== 'multitask')) ?? 'squared';
  const penalty = choiceFlag(v.penalty, 'penalty', penaltyNames());
  const gamma = numberFlag(v.gamma, 'gamma', (x) => Number.isFinite(x), 'a number');
  const tau = numberFlag(v.tau, 'tau', (x) => Number.isFinite(x), 'a number');
  const alpha = numberFlag(v.alpha, 'alpha', (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
  const ties = choiceFlag(v.ties, 'ties', ['breslow', 'efron'] as const);
  if (ties !== undefined && loss !== 'cox') throw new CliError('--ties goes with --loss cox');
  const lambda = numberFlag(v.lambda, 'lambda', (x) => x >= 0, 'a number ≥ 0');
  const cv = numberFlag(v.cv, 'cv', (x) => Number.isInteger(x) && x >= 2, 'a whole number ≥ 2');
  const criterion = choiceFlag(v.criterion, 'criterion', ['aic', 'bic', 'ebic'] as const);
  const given = [lambda !== undefined && '--lambda', cv !== undefined && '--cv', criterion !== undefined && '--criterion'].filter(Boolean);
  if (given.length > 1) throw new CliError(`give one of --lambda, --cv, --criterion, not ${given.join(' and ')}`);
  if (command === 'path' && given.length > 0) throw new CliError(`${given[0]} chooses a λ: use it with 'fit' ('path' shows the whole path)`);
  const rule = choiceFlag(v.rule, 'rule', ['min', '1se'] as const);
  if (rule !== undefined && cv === undefined && given.length > 0) throw new CliError('--rule goes with --cv');
  const seed = numberFlag(v.seed, 'seed', (x) => Number.isInteger(x) && x >= 0 && x <= 2 ** 32 - 1, 'a whole number from 0 to 4294967295');
  const workers = numberFlag(v.workers, 'workers', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1');
  if (v.orthonormalize && v['no-standardize']) throw new CliError('--orthonormalize and --no-standardize exclude each other');
  const opts: GroupLassoOptions = {
    groups: design.groups,
    loss,
    penalty,
    gamma,
    tau,
    alpha,
    ties,
    adaptive: v.adaptive ? true : undefined,
    featureNames: design.columnNames,
    standardize: !v['no-standardize'],
    orthonormalize: v.orthonormalize ?? false,
    nLambda: numberFlag(v['n-lambda'], 'n-lambda', (x) => Number.isInteger(x) && x >= 1 && x <= MAX_LAMBDAS, `a whole number from 1 to ${MAX_LAMBDAS}`),
    lambdaMinRatio: numberFlag(v['lambda-min-ratio'], 'lambda-min-ratio', (x) => x > 0 && x < 1, 'a number in (0, 1)'),
    tol: numberFlag(v.tol, 'tol', (x) => x > 0 && x < 1, 'a number in (0, 1)'),
    maxTime: numberFlag(v['max-time'], 'max-time', (x) => x > 0, 'a number of seconds > 0'),
    maxIter: numberFlag(v['max-iter'], 'max-iter', (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1'),
    screening: choiceFlag(v.screening, 'screening', ['strong', 'none'] as const),
    solver: choiceFlag(v.solver, 'solver', ['auto', ...solverNames()] as SolverName[]),
    onProgress,
    onIteration,
  };
  if (command === 'path') {
    // The whole path; BIC along it comes for the price of one unpenalized fit and is shown as a hint.
    opts.criterion = 'bic';
  } else if (lambda !== undefined) opts.lambda = lambda;
  else if (criterion !== undefined) opts.criterion = criterion;
  else {
    opts.cv = { nFolds: cv ?? 10, seed: seed ?? 1, ...(workers !== undefined ? { workers } : {}) };
    if (rule !== undefined) opts.rule = rule;
  }
  for (const k of Object.keys(opts) as (keyof GroupLassoOptions)[]) if (opts[k] === undefined) delete opts[k];
  return opts;
}
