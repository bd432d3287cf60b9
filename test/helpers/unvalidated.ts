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
  'groupsparse/neural.aliveUnits',
  'groupsparse/neural.allKept',
  'groupsparse/neural.attentionHeadGroups',
  'groupsparse/neural.attentionOffsets',
  'groupsparse/neural.channelGram',
  'groupsparse/neural.channelLasso',
  'groupsparse/neural.channelSelectionData',
  'groupsparse/neural.cloneSequential',
  'groupsparse/neural.compactGraph',
  'groupsparse/neural.compactModel',
  'groupsparse/neural.compactSequential',
  'groupsparse/neural.consumerInputs',
  'groupsparse/neural.convOutSize',
  'groupsparse/neural.convWeightMatrix',
  'groupsparse/neural.costOrder',
  'groupsparse/neural.coupledGroups',
  'groupsparse/neural.csrFromDense',
  'groupsparse/neural.csrMatmul',
  'groupsparse/neural.denseMatmul',
  'groupsparse/neural.dependencyGraph',
  'groupsparse/neural.evaluateObjective',
  'groupsparse/neural.fileIOHandler',
  'groupsparse/neural.forward',
  'groupsparse/neural.forwardAll',
  'groupsparse/neural.frozenMask',
  'groupsparse/neural.fullBatch',
  'groupsparse/neural.gatherInputs',
  'groupsparse/neural.graphFromOnnx',
  'groupsparse/neural.graphFromTfjsGraphModel',
  'groupsparse/neural.graphFromTfjsLayersModel',
  'groupsparse/neural.graphRunner',
  'groupsparse/neural.groupNorms',
  'groupsparse/neural.groupStructureOf',
  'groupsparse/neural.im2col',
  'groupsparse/neural.incomingIndices',
  'groupsparse/neural.inferShapes',
  'groupsparse/neural.initBackend',
  'groupsparse/neural.initializeSequential',
  'groupsparse/neural.inputShapeOf',
  'groupsparse/neural.iterativePrune',
  'groupsparse/neural.keptFlops',
  'groupsparse/neural.keptUnits',
  'groupsparse/neural.keptWeights',
  'groupsparse/neural.layerToSpec',
  'groupsparse/neural.loadDigits',
  'groupsparse/neural.loadMnist',
  'groupsparse/neural.loadStockGraphModel',
  'groupsparse/neural.loadStockLayersModel',
  'groupsparse/neural.loadTinyFaceDetector',
  'groupsparse/neural.lossTensor',
  'groupsparse/neural.maskUnits',
  'groupsparse/neural.measureLatency',
  'groupsparse/neural.netStructure',
  'groupsparse/neural.nodeWeights',
  'groupsparse/neural.normOrder',
  'groupsparse/neural.normScores',
  'groupsparse/neural.nsfwjsModelFolder',
  'groupsparse/neural.onnxModelBytes',
  'groupsparse/neural.opCounts',
  'groupsparse/neural.outgoingIndices',
  'groupsparse/neural.parameterCount',
  'groupsparse/neural.poolGeometry',
  'groupsparse/neural.producerLinks',
  'groupsparse/neural.pruneGraph',
  'groupsparse/neural.pruneToFlops',
  'groupsparse/neural.prunedCost',
  'groupsparse/neural.readImages',
  'groupsparse/neural.readNsfwjsModel',
  'groupsparse/neural.reconstructionError',
  'groupsparse/neural.refitChannels',
  'groupsparse/neural.removeAlong',
  'groupsparse/neural.selectChannels',
  'groupsparse/neural.sequential',
  'groupsparse/neural.sequentialFlops',
  'groupsparse/neural.shapeSize',
  'groupsparse/neural.structureFlops',
  'groupsparse/neural.structureParameters',
  'groupsparse/neural.subsetImages',
  'groupsparse/neural.tfjsGraphModelJson',
  'groupsparse/neural.tfjsLayersModelJson',
  'groupsparse/neural.tinyFaceDetectorPath',
  'groupsparse/neural.trainProximal',
  'groupsparse/neural.trainTestSplit',
  'groupsparse/neural.unitCosts',
  'groupsparse/neural.unitGroups',
  'groupsparse/neural.unitIndices',
  'groupsparse/neural.unitMembers',
  'groupsparse/neural.validateGraph',
  'groupsparse/neural.writeFaceApiManifest',
  'groupsparse/neural.writeModel',
  'groupsparse/neural.writeOnnx',
  'groupsparse/neural.writeTfjsGraphModel',
  'groupsparse/neural.writeTfjsLayersModel',
  'groupsparse/neural.zeroGroups',
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
