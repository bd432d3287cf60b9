/**
 * Public exports that do not yet refuse junk arguments with their own GroupSparseError (see
 * test/badinput-exports.test.ts, which keeps this list true: an export that starts validating must
 * leave it, and a new export cannot join it without a change here). Mostly the extension kit's
 * low-level pieces (contexts, certificates, BLAS) and the neural adapters.
 */
export const UNVALIDATED = new Set<string>([
  // Empty options ({}) rightly give the default estimator.
  'groupsparse.GroupLasso',
  // A bare identifier ('junk') is a valid expression: compiling it rightly succeeds.
  'groupsparse.compileExpression',
  // Takes no arguments: ignoring them is right.
  'groupsparse.expressionEngineLoaded',
  // A predicate: answering false for junk is its job.
  'groupsparse.isGroupStructure',
  // A predicate: answering false for junk is its job.
  'groupsparse.isNumericColumn',
  // Takes no arguments: ignoring them is right.
  'groupsparse.loadExpressionEngine',
  // Takes no arguments: ignoring them is right.
  'groupsparse.lossNames',
  // Empty flags ({}) rightly give an empty specification.
  'groupsparse.parseColumnSpecs',
  // Returns NaN for a string not written as a number ('junk'): that is its contract.
  'groupsparse.parseNumber',
  // Takes no arguments: ignoring them is right.
  'groupsparse.penaltyNames',
  // Takes no arguments: ignoring them is right.
  'groupsparse.solverNames',
  // Takes no arguments: ignoring them is right.
  'groupsparse.wasmSimdAvailable',
  // Options are optional: an empty object ({}) is a valid call and rightly loads.
  'groupsparse/neural.loadMnist',
  // Options are optional: an empty object ({}) is a valid call and rightly loads.
  'groupsparse/neural.loadTinyFaceDetector',
  // Options are optional: an empty object ({}) is a valid call and rightly loads.
  'groupsparse/neural.tinyFaceDetectorPath',
  // The first argument is the caller's name for messages: any string ('junk') is taken as one.
  'groupsparse/solvers.checkSolveOptions',
  // The first argument is the caller's name for messages: any string ('junk') is taken as one.
  'groupsparse/solvers.choosePenalty',
  // A lookup: undefined for a name that is not registered ('junk') is its answer.
  'groupsparse/solvers.getLoss',
  // A lookup: undefined for a name that is not registered ('junk') is its answer.
  'groupsparse/solvers.getPenalty',
  // A lookup: undefined for a name that is not registered ('junk') is its answer.
  'groupsparse/solvers.getSolver',
  // A lookup: undefined for a name that is not registered ('junk') is its answer.
  'groupsparse/solvers.getSolverFactory',
  // Defined for every finite x: log1pExp(-1) rightly answers (NaN and non-numbers are refused).
  'groupsparse/solvers.log1pExp',
  // Takes no arguments: ignoring them is right.
  'groupsparse/solvers.lossNames',
  // Takes no arguments: ignoring them is right.
  'groupsparse/solvers.penaltyNames',
  // Any pair of numbers is valid (a gap rounded below 0, an objective below 0): (-1, -1) rightly answers.
  'groupsparse/solvers.relativeGap',
  // Defined for every finite x: sigmoid(-1) rightly answers (NaN and non-numbers are refused).
  'groupsparse/solvers.sigmoid',
  // Takes no arguments: ignoring them is right.
  'groupsparse/solvers.solverNames',
]);
