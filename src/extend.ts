/**
 * groupsparse/solvers — the extension kit: what a new loss, penalty or solver is written against.
 *
 * - A loss implements {@link Datafit} and registers a {@link LossSpec} with {@link registerLoss}.
 * - A penalty implements {@link Penalty} and registers a {@link PenaltySpec} with {@link registerPenalty}.
 * - A solver is an {@link IterativeSolver} over a {@link ProblemContext}, registered with
 *   {@link registerSolver}; {@link drive} runs it to its certificate ({@link certify}).
 * Once registered, a name is accepted by every fitting function, the path, cross-validation,
 * information criteria, the estimator and the CLI.
 */
export {
  SquaredLoss, LogisticLoss, PoissonLoss, makeDatafit, registerLoss, lossNames, getLoss,
  type Datafit, type LossName, type LossSpec,
} from './datafits/datafits.ts';
export {
  subsetResponse, devianceAtNull, sumRowLosses, defaultLoss, type ReadResponse, type ResponseOptions,
} from './datafits/datafit.ts';
export type { GroupStructure } from './groups/groups.ts';
export {
  GroupLassoPenalty, SparseGroupLassoPenalty, registerPenalty, penaltyNames, getPenalty,
  type Penalty, type PenaltySpec, type PenaltyParams,
} from './penalties/penalties.ts';
export { GroupMcpPenalty, GroupScadPenalty } from './penalties/nonconvex.ts';
export { CompositeMcpPenalty, GroupExpLassoPenalty } from './penalties/bilevel.ts';
import './penalties/index.ts';
import './datafits/index.ts';
// The hot kernels with O(1) argument checks; the solvers call the unchecked ones.
export {
  groupSoftThresholdBlock, softThresholdBlock, groupNorms, sigmoid, log1pExp, logGamma, relativeGap, gapConverged, sparseGroupDualNorm,
} from './linalg/checked.ts';
export { ProblemContext, evaluate, evaluateFromEta0, newPoint, type PointBuffers } from './solvers/problem.ts';
export { UnpenalizedSolver } from './solvers/unpenalized.ts';
export {
  certify, dualValue, kktViolation, certificateMeets, type Certificate,
} from './solvers/certificate.ts';
export { Ista, Fista, estimateLipschitz, type IterativeSolver, type IterationInfo, type ProximalOptions } from './solvers/proximal.ts';
export { drive, type DriveOptions, type DriveResult, type StopRule } from './solvers/driver.ts';
export {
  registerSolver, getSolverFactory, getSolver, solverNames, chooseSolver,
  type SolverFactory, type SolverTraits, type SolverEntry,
} from './solvers/registry.ts';
export { BlockCoordinateDescent } from './solvers/bcd.ts';
export {
  prepareProblem, PreparedProblem, choosePenalty, checkSolveOptions,
  type PenaltyChoice, type CheckedSolveOptions, type SolveRun,
} from './problem/problem.ts';
export { dot, nrm2, axpy } from './linalg/checked.ts';
export type { LinearOperator, ColumnAccess } from './linalg/operator.ts';
export { materializeColumn } from './linalg/operator.ts';
export { FastDense, type KernelBackend, type KernelWorkspace } from './linalg/kernels/fast.ts';
