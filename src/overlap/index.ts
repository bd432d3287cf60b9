/** Overlapping groups: latent group lasso by implicit duplication, plain overlapping norm by consensus ADMM. */
export { LatentDesign, LatentDecomposition, latentGroupStructure } from './latent.ts';
export {
  ConsensusAdmm, OverlapStructure, certifyOverlap, overlapContext,
  type AdmmInfo, type AdmmOptions, type LinearSolverName, type OverlapProblem,
} from './consensus.ts';
export {
  fitOverlappingGroupLasso, type OverlapFitOptions, type OverlapFitResult, type OverlapMode, type AdmmStats,
} from './fit.ts';
