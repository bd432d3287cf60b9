/**
 * Signal recovery: matrix-free sensing operators (partial Fourier / DCT, circular convolution,
 * Gaussian, compositions) and block-, joint- and complex-sparse recovery problems.
 */
export {
  partialFourier, partialDCT, convolution, gaussian, PartialFourierOperator, PartialDCTOperator, ConvolutionOperator,
  type RowSpec, type PartialFourierOptions, type GaussianOptions,
} from './operators.ts';
export {
  SignalOperator, normSquared, compose, adjoint, scaled, blockDiagonal, restrictColumns,
  ComposedOperator, AdjointOperator, ScaledOperator, BlockDiagonalOperator, RestrictedOperator,
} from '../linalg/combinators.ts';
export {
  blockSparseRecovery, jointSparseRecovery, complexSparseRecovery, denoiseMultitone,
  type RecoveryOptions, type RecoveryResult, type DebiasReport, type JointRecoveryResult, type ComplexRecoveryResult,
  type MultitoneOptions, type MultitoneResult,
} from './recovery.ts';
export {
  randomBlockSparse, phaseTransition, formatPhaseTable,
  type BlockSparseSignal, type PhaseTransitionOptions, type PhaseTransitionRow,
} from './experiments.ts';
