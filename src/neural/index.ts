/**
 * Neural adapter: layer weights → groups (dense rows/columns, conv filters/channels/shapes,
 * attention heads, coupled units of a sequential stack), tfjs weight manifests, proximal training
 * of tfjs LayersModels with group penalties (`train/`), channel selection with least-squares reconstruction, pruning to a FLOP
 * budget, compaction and the kernels used to measure the speed-up.
 */
export {
  sequential, cloneSequential, initializeSequential, layerToSpec, inputShapeOf, convOutSize, poolGeometry,
  shapeSize, LAYER_KINDS,
  type Sequential, type Layer, type LayerSpec, type LayerKind, type Shape3, type DenseLayer, type Conv2dLayer,
  type DepthwiseConv2dLayer, type BatchNormLayer, type ReluLayer, type LeakyReluLayer, type MaxPool2dLayer, type FlattenLayer,
  type DenseLayout, type ConvLayout, type DepthwiseLayout,
} from './layers.ts';
export { forward, forwardAll } from './forward.ts';
export {
  denseGroups, convGroups, attentionHeadGroups, attentionOffsets, coupledGroups, producerLinks, unitMembers, consumerInputs,
  type AdapterOptions, type AttentionSpec, type CoupledGroups, type CoupledGroupOptions, type ProducerLink,
} from './groups.ts';
export { sequentialFlops, unitCosts, keptFlops } from './cost.ts';
export { compactSequential, keptUnits, maskUnits } from './compact.ts';
export { parseWeightsManifest, readWeightsManifest, type ManifestTensor } from './manifest.ts';
export { loadTinyFaceDetector, tinyFaceDetectorPath, TINY_FACE_BLOCKS } from './faceapi.ts';
export {
  channelSelectionData, channelGram, channelLasso, selectChannels, refitChannels, reconstructionError, keptWeights, convWeightMatrix,
  type ChannelData, type ChannelGram, type ChannelSelection,
} from './channels.ts';
export { denseMatmul, csrFromDense, csrMatmul, im2col, type CsrMatrix } from './kernels.ts';
export { loadDigits, trainTestSplit, type ClassificationData } from './digits.ts';

// ---- Runtime, graph IR, model formats, dependency groups (tfjs-based) ----
export { initRuntime, tf, type BackendName, type RuntimeInfo } from './runtime.ts';
export {
  validateGraph, nodeWeights, opCounts, parameterCount,
  type Graph, type IrNode, type IrOp, type Weight, type GraphInput, type Activation, type ActivationKind, type Padding, type SourceFormat,
} from './ir/graph.ts';
export { graphRunner, inferShapes, type GraphRunner } from './ir/execute.ts';
export { readTfjsGraphModel, writeTfjsGraphModel, graphFromTfjsGraphModel, tfjsGraphModelJson, type TfjsGraphImportOptions } from './formats/tfjs-graph.ts';
export { fileIOHandler, loadStockGraphModel, loadStockLayersModel } from './formats/stock.ts';
export { readFaceApiManifest, writeFaceApiManifest, type FaceApiImportOptions } from './formats/faceapi-graph.ts';
export { readModel, writeModel, type ReadModelOptions } from './formats/model.ts';
export {
  dependencyGraph, prunedCost, zeroGroups, compactGraph,
  type DependencyGraph, type DependencyGroup, type WeightSlice,
} from './depgraph.ts';
export { pruneGraph, selectToBudget, normScores, type PruneMethod, type PruneOptions, type PruneResult } from './prune.ts';
export { imageFiles, readImages, type ImageOptions } from './images.ts';
export { measureLatency } from './latency.ts';
export { readTfjsLayersModel, writeTfjsLayersModel, graphFromTfjsLayersModel, tfjsLayersModelJson } from './formats/tfjs-layers.ts';
export { readNsfwjsModel, nsfwjsModelFolder, type NsfwjsModel } from './formats/nsfwjs.ts';
export { onnxModelBytes, writeOnnx } from './formats/onnx.ts';
export { readOnnx, graphFromOnnx, type OnnxImportOptions } from './formats/onnx-read.ts';

// Training and budgets on TensorFlow.js: proximal training with the stated objective and its KKT
// residual, pruning to a FLOP budget, real MNIST.
export * from './train/index.ts';
