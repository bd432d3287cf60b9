/**
 * Refusals of the neural entry points when most of the call is right: a real graph, network or
 * image set with one argument wrong (a shape with NaN, a typo in an option, a missing file, the
 * IR graph where its dependency graph is expected). The junk calls of every export are in
 * badinput-exports.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, GroupError, OptionError, ShapeError, ValueError } from '../src/index.ts';
import { makeGroups } from '../src/index.ts';
import {
  fileIOHandler, gatherInputs, graphFromOnnx, groupNorms, initBackend, loadTinyFaceDetector, lossTensor, measureLatency, netStructure,
  nsfwjsModelFolder, parseWeightsManifest, pruneGraph, readFaceApiManifest, readModel, readTfjsGraphModel, subsetImages, tinyFaceDetectorPath,
  trainProximal, validateGraph, writeModel, type ImageSet,
} from '../src/neural/index.ts';
import { badInputTable, type BadInputRow } from './helpers/badinput.ts';

beforeAll(async () => {
  await initBackend();
});
const files = mkdtempSync(join(tmpdir(), 'gs-badinput-neural-'));
afterAll(() => rmSync(files, { recursive: true, force: true }));

let graph: ReturnType<typeof loadTinyFaceDetector> | undefined;
const g = (): ReturnType<typeof loadTinyFaceDetector> => (graph ??= loadTinyFaceDetector({ inputSize: 40 }));
const model = (): tfl.Sequential => tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 2 })] });
const images: ImageSet = { x: new Float32Array(12), y: new Int32Array(3), n: 3, shape: [4], classes: 2 };
/** Sixteen samples with non-zero inputs and both labels, so a step moves every weight. */
const moving: ImageSet = { x: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + 1)), y: Int32Array.from({ length: 16 }, (_, i) => i % 2), n: 16, shape: [4], classes: 2 };

const rows: BadInputRow[] = [
  { name: 'measureLatency with NaN in the input shape', fn: 'measureLatency', error: ShapeError, message: /^inputShape must be an array of whole numbers ≥ 1, got \[40, NaN, 3\]$/, call: () => measureLatency(g(), [40, NaN, 3]) },
  { name: 'writeModel with a misspelt option', fn: 'writeModel', error: OptionError, message: /^unknown option 'formt' \(did you mean 'format'\?\)/, call: () => writeModel(g(), join(files, 'out'), { formt: 'onnx' } as never) },
  { name: 'writeModel to an empty path', fn: 'writeModel', error: ValueError, message: /^dir must be a non-empty string/, call: () => writeModel(g(), '') },
  { name: 'fileIOHandler on a missing file (refused before loading)', fn: 'fileIOHandler', error: DataError, message: /missing\.json: no such file$/, call: () => fileIOHandler(join(files, 'missing.json')) },
  { name: 'fileIOHandler on a directory', fn: 'fileIOHandler', error: DataError, message: /is not a file$/, call: () => fileIOHandler(files) },
  { name: 'pruneGraph given the IR graph instead of its dependency graph', fn: 'pruneGraph', error: ValueError, message: /^expected a DependencyGraph \(from dependencyGraph\(graph\)\)/, call: () => pruneGraph(g() as never, 0.5) },
  { name: 'validateGraph on a non-graph, in its own name', fn: 'validateGraph', error: ValueError, message: /^the graph must be a Graph/, call: () => validateGraph('readModel', {} as never) },
  { name: 'graphFromOnnx on a plain array', fn: 'graphFromOnnx', error: ValueError, message: /^bytes must be a Uint8Array/, call: () => graphFromOnnx([8, 1] as never) },
  { name: 'nsfwjsModelFolder with an unknown model name', fn: 'nsfwjsModelFolder', error: OptionError, message: /^unknown nsfwjs model 'mobilenet_v3' \(did you mean 'mobilenet_v2'\?\)/, call: () => nsfwjsModelFolder('mobilenet_v3' as never) },
  { name: 'netStructure on a plain object', fn: 'netStructure', error: ValueError, message: /^the model must be a tfjs LayersModel/, call: () => netStructure({ layers: [] } as never) },
  { name: 'trainProximal with Float64Array images', fn: 'trainProximal', error: ValueError, message: /^the data must be an ImageSet \{ x: Float32Array/, call: () => trainProximal(model(), { ...images, x: new Float64Array(12) } as never, { lambda: 0.1 }) },
  { name: 'trainProximal with n disagreeing with x', fn: 'trainProximal', error: ShapeError, message: /^the data: x has 12 values, expected n × 4 = 16$/, call: () => trainProximal(model(), { ...images, n: 4, y: new Int32Array(4) }, { lambda: 0.1 }) },
  { name: 'trainProximal with lr 1e300 (diverges: stopped, named, weights restored)', fn: 'trainProximal', error: ValueError, message: /^the step size diverged at step \d+ \(the minibatch loss (is NaN|grew from [\d.]+ to [\d.e+]+)\): lr = 1e\+300 is too large, try a smaller lr/, call: () => trainProximal(model(), moving, { lambda: 0.01, lr: 1e300, epochs: 3, batchSize: 4 }) },
  { name: 'trainProximal with lr 1e6 (loss grows by orders of magnitude, still finite)', fn: 'trainProximal', error: ValueError, message: /^the step size diverged at step \d+ \(the minibatch loss grew from [\d.]+ to [\d.e+]+\): lr = 1000000 is too large/, call: () => trainProximal(model(), moving, { lambda: 0.01, lr: 1e6, epochs: 3, batchSize: 4 }) },
  { name: 'trainProximal with lr NaN', fn: 'trainProximal', error: ValueError, message: /^lr must be a finite number > 0, got NaN$/, call: () => trainProximal(model(), moving, { lambda: 0.01, lr: NaN }) },
  { name: 'trainProximal with lr 0', fn: 'trainProximal', error: ValueError, message: /^lr must be a finite number > 0, got 0$/, call: () => trainProximal(model(), moving, { lambda: 0.01, lr: 0 }) },
  { name: 'trainProximal with lr Infinity', fn: 'trainProximal', error: ValueError, message: /^lr must be a finite number > 0, got Infinity$/, call: () => trainProximal(model(), moving, { lambda: 0.01, lr: Infinity }) },
  { name: 'trainProximal with a NaN input (blamed on the input, not on lr)', fn: 'trainProximal', error: ValueError, message: /^input value 5 is not finite \(NaN\)$/, call: () => trainProximal(model(), { ...moving, x: moving.x.map((v, i) => (i === 5 ? NaN : v)) }, { lambda: 0.01, lr: 1e300 }) },
  { name: 'trainProximal with a NaN weight in the model (blamed on the weights, not on lr)', fn: 'trainProximal', error: ValueError, message: /^the model's weights hold a non-finite value \(NaN at parameter 1\) before any step$/, call: () => { const m = model(); const [k, b] = m.getWeights(); m.setWeights([tf.tensor(k.dataSync().map((v, i) => (i === 1 ? NaN : v)), k.shape), b]); return trainProximal(m, moving, { lambda: 0.01, lr: 1e-3 }); } },
  { name: 'subsetImages with fewer labels than samples', fn: 'subsetImages', error: ShapeError, message: /^set: y has 2 labels for n = 3$/, call: () => subsetImages({ ...images, y: new Int32Array(2) }, 1) },
  { name: 'lossTensor on a typed array', fn: 'lossTensor', error: ValueError, message: /^logits must be a tf\.Tensor/, call: () => lossTensor(new Float32Array(4) as never, tf.tensor1d([0, 1], 'int32'), 'softmax') },
  { name: 'lossTensor on a disposed tensor', fn: 'lossTensor', error: ValueError, message: /^logits has been disposed$/, call: () => { const t = tf.zeros([2, 2]); t.dispose(); return lossTensor(t, tf.tensor1d([0, 1], 'int32'), 'softmax'); } },
  { name: 'groupNorms with groups over another length', fn: 'groupNorms', error: ShapeError, message: /^the groups index 4 features, the parameters have 3$/, call: () => groupNorms(new Float64Array(3), makeGroups([[0, 1], [2, 3]], 4)) },
  { name: 'groupNorms with a plain array of groups', fn: 'groupNorms', error: GroupError, message: /^expected a GroupStructure/, call: () => groupNorms(new Float64Array(3), [[0, 1], [2]] as never) },
  { name: 'gatherInputs with perSample not a multiple of channels', fn: 'gatherInputs', error: ShapeError, message: /^perSample \(3\) must be a whole multiple of channels \(2\)/, call: () => gatherInputs(new Float32Array(6), 3, 2, Int32Array.of(0)) },
  // Input options of the importers: an absurd size used to pass and fail later as a RangeError
  // ("Invalid typed array length") in shape inference; a junk shape or option name was ignored.
  { name: 'readModel with inputSize 1e9', fn: 'readModel', error: ValueError, message: /^inputSize must be a whole number from 1 to 16384, got number 1000000000$/, call: () => readModel(tinyFaceDetectorPath(), { inputSize: 1e9 }) },
  { name: 'readModel with a junk inputShape', fn: 'readModel', error: ShapeError, message: /^inputShape must be 1 to 8 whole numbers ≥ 1 \(the batch may be −1\), got \[1, -1, a\]$/, call: () => readModel(tinyFaceDetectorPath(), { inputShape: [1, -1, 'a'] as never }) },
  { name: 'readModel with an inputShape of 1e12 entries', fn: 'readModel', error: ShapeError, message: /^inputShape \[1, 1000000, 1000000, 3\] has 3\.00e\+12 entries per sample, above the limit 268435456$/, call: () => readModel(tinyFaceDetectorPath(), { inputShape: [1, 1e6, 1e6, 3] }) },
  { name: 'readModel with a misspelt option', fn: 'readModel', error: OptionError, message: /^unknown option 'inputsize' \(did you mean 'inputSize'\?\)/, call: () => readModel(tinyFaceDetectorPath(), { inputsize: 64 } as never) },
  { name: 'readFaceApiManifest with inputSize 1.5', fn: 'readFaceApiManifest', error: ValueError, message: /^inputSize must be a whole number from 1 to 16384, got number 1\.5$/, call: () => readFaceApiManifest(tinyFaceDetectorPath(), { inputSize: 1.5 }) },
  { name: 'readTfjsGraphModel with a string inputShape', fn: 'readTfjsGraphModel', error: ShapeError, message: /^inputShape must be 1 to 8 whole numbers/, call: () => readTfjsGraphModel('model.json', { inputShape: '1,2' as never }) },
  { name: 'graphFromOnnx with inputShape of zeros', fn: 'graphFromOnnx', error: ShapeError, message: /^inputShape must be 1 to 8 whole numbers/, call: () => graphFromOnnx(new Uint8Array(4), 'x.onnx', { inputShape: [1, 0, 0, 3] }) },
  // Shard bytes that are not bytes used to escape as a DataView RangeError.
  { name: 'parseWeightsManifest with a number as shard', fn: 'parseWeightsManifest', error: DataError, message: /^shards must be one array of Uint8Array \(the bytes of each shard file\) per manifest group$/, call: () => parseWeightsManifest([{ paths: ['a.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }], [[3 as never]]) },
  { name: 'parseWeightsManifest with an object as shard', fn: 'parseWeightsManifest', error: DataError, message: /^shards must be one array of Uint8Array/, call: () => parseWeightsManifest([{ paths: ['a.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }], [[{} as never]]) },
];

badInputTable('neural', rows);

describe('trainProximal on a diverging step size', () => {
  it('puts the weights back as they were at the start', () => {
    const m = model();
    const before = m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(() => trainProximal(m, moving, { lambda: 0.01, lr: 1e300, epochs: 3, batchSize: 4 })).toThrow(/step size diverged/);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
  });
});
