/** Overlapping groups: latent group lasso by implicit duplication, plain overlapping norm by consensus ADMM. */
export { LatentDesign, LatentDecomposition, latentGroupStructure } from './latent.ts';
export { certifyOverlap, type LinearSolverName } from './consensus.ts';
export {
  fitOverlappingGroupLasso, type OverlapFitOptions, type OverlapFitResult, type OverlapMode, type AdmmStats, type AdmmProgress,
} from './fit.ts';
