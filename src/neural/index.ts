/**
 * Neural part, on TensorFlow.js: layer weights → groups (dense rows/columns, conv
 * filters/channels/shapes, attention heads), the graph IR with its importers and exporters (tfjs
 * graph and layers models, face-api manifests, ONNX), dependency groups (DepGraph) with their
 * costs, pruning to a FLOP budget (group-norm ranking, channel selection with least-squares
 * reconstruction) and compaction, and proximal training of tfjs LayersModels (`train/`). Every
 * forward pass runs in the tfjs runtime.
 */
export {
  denseGroups, convGroups, attentionHeadGroups, attentionOffsets,
  type AdapterOptions, type AttentionSpec, type DenseLayout, type ConvLayout,
} from './groups.ts';
export { parseWeightsManifest, readWeightsManifest, type ManifestTensor } from './manifest.ts';
export { loadTinyFaceDetector, tinyFaceDetectorPath } from './faceapi.ts';
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
export { measureLatency, latencyStats, peakForwardBytes, type LatencyOptions, type LatencyStats } from './latency.ts';
export { classifierFidelity, type ClassifierFidelity, type ClassifierFidelityOptions } from './fidelity.ts';
export { readTfjsLayersModel, writeTfjsLayersModel, graphFromTfjsLayersModel, tfjsLayersModelJson } from './formats/tfjs-layers.ts';
export { readNsfwjsModel, nsfwjsModelFolder, nsfwjsClasses, type NsfwjsModel } from './formats/nsfwjs.ts';
export { onnxModelBytes, writeOnnx } from './formats/onnx.ts';
export { readOnnx, graphFromOnnx, type OnnxImportOptions } from './formats/onnx-read.ts';

// Training and budgets on TensorFlow.js: proximal training with the stated objective and its KKT
// residual, pruning to a FLOP budget, real MNIST.
export * from './train/index.ts';
