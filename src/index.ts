/**
 * groupsparse — group-sparse regression and structured pruning.
 *
 * Conventions used everywhere: squared loss (1/(2n))‖y − Xw − b‖², logistic and Poisson as mean
 * negative log-likelihoods, penalty λ Σ_g d_g‖w_g‖₂ with d_g = √p_g by default, intercept b
 * unpenalized; matrices column-major over one Float64Array.
 *
 * This root entry is browser-safe: nothing here imports a Node built-in or a heavy optional
 * dependency. Node-only parts are in `groupsparse/node` (PNG charts, chart files), rendering in
 * `groupsparse/plot`, networks in `groupsparse/neural`.
 */
export * from './errors.ts';
export { Random } from './util/random.ts';
export type { LinearOperator } from './linalg/operator.ts';
export { DenseMatrix } from './linalg/dense.ts';
export { toOperator, toDense, toVector, toResponse, type MatrixInput, type ResponseInput } from './linalg/input.ts';
export { operatorNormSquared, type PowerIterationOptions } from './linalg/power.ts';
export {
  makeGroups, withWeights, groupSize, expandForTasks, groupsFromRecord, isGroupStructure,
  type GroupStructure, type GroupSpec, type GroupOptions, type WeightRule,
} from './groups/groups.ts';
export { proxGroupLasso, proxL1, proxSparseGroup, projectL2Ball } from './prox/prox.ts';
export { proxGroupLassoInPlace, proxL1InPlace, proxSparseGroupInPlace, projectL2BallInPlace } from './linalg/checked.ts';
export { lossNames, type LossName } from './datafits/index.ts';
export { penaltyNames } from './penalties/index.ts';
export {
  fitGroupLasso, fitSparseGroupLasso, lambdaMax,
  type FitOptions, type FitResult, type ProblemOptions, type SolveOptions, type SolverName, type PenaltyName,
} from './problem/problem.ts';
export { solverNames } from './solvers/registry.ts';
export type { IterationInfo } from './solvers/proximal.ts';
export type { StopRule } from './solvers/driver.ts';
export * from './data/index.ts';
export {
  groupLassoPath, lambdaGrid, type PathOptions, type PathResult, type PathCertificate,
} from './path/path.ts';
export { cvGroupLasso, makeFolds, type CvOptions, type CvResult } from './path/cv.ts';
export { startCvWorkers } from './path/parallel.ts';
export { informationCriteria, type CriteriaOptions, type CriteriaResult, type DfMethod } from './path/criteria.ts';
export {
  GroupLasso, type GroupLassoOptions, type GroupLassoJSON, type SelectedGroup, type Preprocessing, type PredictOptions,
} from './estimators/groupLasso.ts';
// Chart specs are plain JSON builders; rendering lives in 'groupsparse/plot' (Vega) and 'groupsparse/node' (PNG).
export {
  pathChart, cvChart, groupNormChart, sparsityChart, phaseTransitionChart, efficiencyChart, categoricalColors, VEGA_LITE_SCHEMA,
  type VegaLiteSpec, type ChartOptions, type CvChartOptions, type PathChartData, type PathChartOptions, type CvChartData, type GroupNormChartData,
  type SparsityChartData, type PhaseTransitionPoint, type EfficiencyRow,
} from './plot/specs.ts';
export * as signal from './signal/index.ts';
export * from './overlap/index.ts';
export {
  fastOperator, type FastOperatorOptions,
} from './linalg/kernels/fast.ts';
export { wasmSimdAvailable } from './linalg/kernels/wasm.ts';
export { Pipeline, type PipelineJSON, type PipelineFitOptions, type PipelineReadOptions } from './estimators/pipeline.ts';
