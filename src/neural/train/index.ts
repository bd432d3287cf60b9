export { initBackend } from './backend.ts';
export {
  netStructure, unitGroups, incomingIndices, outgoingIndices, unitIndices, groupStructureOf, allKept, structureFlops, structureParameters, aliveUnits,
  type NetStructure, type Stage, type UnitGroup, type UnitGroupOptions, type KeptUnits,
} from './structure.ts';
export { FlatParams, accuracy, fullBatch, lossTensor, sampleLossTensor, type ClassifierLoss } from './params.ts';
export { polishProximal, type PolishOptions } from './polish.ts';
export { clarkeResidual, KINK_BAND, type ClarkeResidual } from './clarke.ts';
export { denseChain, type DenseChain, type DenseLayer } from './dense.ts';
export { rescalableUnits, rescaleUnits, type RescalableUnit } from './rescale.ts';
export { trainProximal, evaluateObjective, groupNorms, type ProximalOptions, type TrainProgress, type TrainResult } from './proximal.ts';
export { loadMnist, shiftImages, subsetImages, type ImageSet, type MnistOptions, type ShiftOptions } from '../mnist.ts';
export {
  pruneToFlops, iterativePrune, normOrder, costOrder, removeAlong, frozenMask,
  type BudgetOptions, type BudgetProgress, type BudgetResult, type BudgetCandidate, type CandidateScore, type IterativeOptions, type TrainSettings,
} from './budget.ts';
export { compactModel, gatherInputs } from './shrink.ts';
export { splitValidation, type LabelledPart } from './validation.ts';
