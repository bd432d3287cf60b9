import { basename } from 'node:path';
import { DataError, ValueError } from '../../errors.ts';
import type { Activation, Graph, IrNode, Weight } from '../ir/graph.ts';
import { validateGraph } from '../ir/graph.ts';
import { inferShapes } from '../ir/execute.ts';
import { encodeWeights, readJson, readShards, writeFilesAtomically, type ManifestGroupJson } from './files.ts';
import { manifestWeights } from './tfjs-graph.ts';
import { checkGraph, checkInputOptions, checkString } from '../check.ts';
import { checkOptions } from '../../util/validate.ts';

/**
 * face-api.js weight manifests (`*-weights_manifest.json` + shards) ↔ IR. A manifest holds weights
 * only; the architecture is face-api's code, rebuilt here from the weight names with channel counts
 * read from the weight shapes — so a pruned manifest, whose shapes are smaller, reads back too.
 *
 * Tiny Face Detector (face-api `TinyFaceDetector`, separable-conv variant): conv0 3×3 'valid' +
 * bias + leaky ReLU(0.1) → maxpool 2 'same'; conv1…conv5: depthwise 3×3 'same' → pointwise 1×1 +
 * bias + leaky ReLU(0.1) → maxpool 2 'same' (stride 2; stride 1 after conv5); conv8 1×1 + bias.
 * Input NHWC, S × S × 3.
 */

const LEAKY: Activation = { kind: 'leakyRelu', alpha: 0.10000000149011612 };

function tinyFaceDetector(fn: string, w: ReadonlyMap<string, Weight>, size: number): { nodes: IrNode[]; used: string[] } {
  const need = (name: string, rank: number): string => {
    const t = w.get(name);
    if (!t) throw new DataError(fn, `the manifest has no tensor '${name}' (Tiny Face Detector)`);
    if (t.shape.length !== rank) throw new DataError(fn, `tensor '${name}' has rank ${t.shape.length}, expected ${rank}`);
    return name;
  };
  const used: string[] = [];
  const u = (name: string, rank: number): string => {
    used.push(need(name, rank));
    return name;
  };
  const nodes: IrNode[] = [];
  let x = 'input';
  nodes.push({ op: 'conv2d', name: 'conv0', inputs: [x], kernel: u('conv0/filters', 4), bias: u('conv0/bias', 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: LEAKY });
  nodes.push({ op: 'maxPool', name: 'pool0', inputs: ['conv0'], size: [2, 2], strides: [2, 2], padding: 'same' });
  x = 'pool0';
  for (let k = 1; k <= 5; k++) {
    const b = `conv${k}`;
    nodes.push({ op: 'depthwise', name: `${b}/depthwise`, inputs: [x], kernel: u(`${b}/depthwise_filter`, 4), strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'linear' } });
    nodes.push({ op: 'conv2d', name: `${b}/pointwise`, inputs: [`${b}/depthwise`], kernel: u(`${b}/pointwise_filter`, 4), bias: u(`${b}/bias`, 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: LEAKY });
    const s = k === 5 ? 1 : 2;
    nodes.push({ op: 'maxPool', name: `pool${k}`, inputs: [`${b}/pointwise`], size: [2, 2], strides: [s, s], padding: 'same' });
    x = `pool${k}`;
  }
  nodes.push({ op: 'conv2d', name: 'conv8', inputs: [x], kernel: u('conv8/filters', 4), bias: u('conv8/bias', 1), strides: [1, 1], dilations: [1, 1], padding: 'valid', activation: { kind: 'linear' } });
  void size;
  return { nodes, used };
}


const RELU: Activation = { kind: 'relu' };
const RELU6: Activation = { kind: 'relu6' };
const LINEAR: Activation = { kind: 'linear' };

type Take = (name: string, rank: number) => string;

/**
 * SSD MobileNetV1 (face-api `SsdMobilenetv1.forwardInput` after its `x / 127.5 − 1`): MobileNetV1
 * (conv_0 3×3 stride 2 + offset + relu6; 13 × [depthwise 3×3 'same' (stride 2 at 2, 4, 6, 12) →
 * batch norm (ε = 0.001) → relu6 → pointwise 1×1 + offset → relu6]), the prediction layer's eight
 * pointwise convs (3×3 stride 2 at the odd ones), and six box predictors on conv 11, conv 13 and
 * prediction convs 1, 3, 5, 7: box encodings reshaped to [N, −1, 1, 4], class scores to
 * [N, −1, 3], each concatenated along axis 1. The outputs are those two raw tensors (face-api's
 * output layer decodes them against its anchors and runs non-max suppression outside the network).
 */
function ssdMobilenetV1(u: Take, size: number): { nodes: IrNode[]; outputs: string[] } {
  const nodes: IrNode[] = [];
  const pw = (name: string, x: string, prefix: string, stride: number): string => {
    nodes.push({ op: 'conv2d', name, inputs: [x], kernel: u(`${prefix}/weights`, 4), bias: u(`${prefix}/convolution_bn_offset`, 1), strides: [stride, stride], dilations: [1, 1], padding: 'same', activation: RELU6 });
    return name;
  };
  let x = pw('conv_0', 'input', 'MobilenetV1/Conv2d_0_pointwise', 2);
  let side = Math.ceil(size / 2);
  const sides: Record<string, number> = {};
  let conv11 = '';
  for (let k = 1; k <= 13; k++) {
    const s = [2, 4, 6, 12].includes(k) ? 2 : 1;
    const d = `MobilenetV1/Conv2d_${k}_depthwise`;
    nodes.push({ op: 'depthwise', name: `conv_${k}/depthwise`, inputs: [x], kernel: u(`${d}/depthwise_weights`, 4), strides: [s, s], dilations: [1, 1], padding: 'same', activation: LINEAR });
    nodes.push({ op: 'batchNorm', name: `conv_${k}/bn`, inputs: [`conv_${k}/depthwise`], mean: u(`${d}/BatchNorm/moving_mean`, 1), variance: u(`${d}/BatchNorm/moving_variance`, 1), scale: u(`${d}/BatchNorm/gamma`, 1), offset: u(`${d}/BatchNorm/beta`, 1), epsilon: 0.0010000000474974513 });
    nodes.push({ op: 'activation', name: `conv_${k}/relu6`, inputs: [`conv_${k}/bn`], activation: RELU6 });
    side = Math.ceil(side / s);
    x = pw(`conv_${k}`, `conv_${k}/relu6`, `MobilenetV1/Conv2d_${k}_pointwise`, 1);
    if (k === 11) conv11 = x;
    sides[x] = side;
  }
  const conv13 = x;
  const features = [conv11, conv13];
  for (let k = 0; k <= 7; k++) {
    const s = k % 2 === 1 ? 2 : 1;
    side = Math.ceil(side / s);
    x = pw(`prediction/conv_${k}`, x, `Prediction/Conv2d_${k}_pointwise`, s);
    sides[x] = side;
    if (k % 2 === 1) features.push(x);
  }
  const boxes: string[] = [];
  const classes: string[] = [];
  features.forEach((f, k) => {
    const b = `Prediction/BoxPredictor_${k}`;
    const cells = sides[f] * sides[f];
    for (const [part, per, list] of [['BoxEncodingPredictor', 4, boxes], ['ClassPredictor', 3, classes]] as const) {
      const kernel = u(`${b}/${part}/weights`, 4);
      const name = `box_predictor_${k}/${part}`;
      nodes.push({ op: 'conv2d', name, inputs: [f], kernel, bias: u(`${b}/${part}/biases`, 1), strides: [1, 1], dilations: [1, 1], padding: 'same', activation: LINEAR });
      // The anchor count per cell is the conv's output channels over 4 (or 3): read at build time.
      const shapeTail = per === 4 ? [1, 4] : [3];
      nodes.push({ op: 'reshape', name: `${name}/reshape`, inputs: [name], shape: [-1, -2, ...shapeTail] });
      list.push(`${name}/reshape`);
      void cells;
    }
  });
  nodes.push({ op: 'concat', name: 'boxPredictions', inputs: boxes, axis: 1 });
  nodes.push({ op: 'concat', name: 'classPredictions', inputs: classes, axis: 1 });
  return { nodes, outputs: ['boxPredictions', 'classPredictions'] };
}

/**
 * Face recognition net (face-api `FaceRecognitionNet.forwardInput` after its mean-RGB subtraction
 * and `/ 255`; dlib's ResNet-34 variant): conv32_down 7×7 stride 2 'valid' → maxpool 3 stride 2
 * 'valid' → residual blocks [conv 3×3 + bias → scale (·w + b) → relu → conv + scale → + x → relu];
 * the `_down` blocks use a 3×3 stride-2 'valid' first conv and add an average-pooled (2, stride 2)
 * x, zero-padded by one row and column when its side is one larger and by zero channels up to the
 * block's width (face-api's concat of zeros); then the spatial mean and fc (`[256, 128]`, no bias).
 */
function faceRecognition(u: Take, size: number, width: (name: string) => number): { nodes: IrNode[]; outputs: string[] } {
  const nodes: IrNode[] = [];
  const conv = (name: string, x: string, prefix: string, stride: number, padding: 'same' | 'valid', relu: boolean): string => {
    nodes.push({ op: 'conv2d', name: `${name}/conv`, inputs: [x], kernel: u(`${prefix}/conv/filters`, 4), bias: u(`${prefix}/conv/bias`, 1), strides: [stride, stride], dilations: [1, 1], padding, activation: LINEAR });
    nodes.push({ op: 'mulConst', name: `${name}/scale`, inputs: [`${name}/conv`], weight: u(`${prefix}/scale/weights`, 1) });
    nodes.push({ op: 'addConst', name: `${name}/shift`, inputs: [`${name}/scale`], weight: u(`${prefix}/scale/biases`, 1) });
    if (!relu) return `${name}/shift`;
    nodes.push({ op: 'activation', name: `${name}/relu`, inputs: [`${name}/shift`], activation: RELU });
    return `${name}/relu`;
  };
  const valid = (h: number, k: number, s: number): number => Math.floor((h - k) / s) + 1;
  let x = conv('conv32_down', 'input', 'conv32_down', 2, 'valid', true);
  let side = valid(size, 7, 2);
  let channels = width('conv32_down/conv/filters');
  nodes.push({ op: 'maxPool', name: 'pool', inputs: [x], size: [3, 3], strides: [2, 2], padding: 'valid' });
  x = 'pool';
  side = valid(side, 3, 2);
  const residual = (b: string): void => {
    const a = conv(`${b}/conv1`, x, `${b}/conv1`, 1, 'same', true);
    const c = conv(`${b}/conv2`, a, `${b}/conv2`, 1, 'same', false);
    nodes.push({ op: 'add', name: `${b}/add`, inputs: [c, x] });
    nodes.push({ op: 'activation', name: b, inputs: [`${b}/add`], activation: RELU });
    x = b;
  };
  const residualDown = (b: string): void => {
    const a = conv(`${b}/conv1`, x, `${b}/conv1`, 2, 'valid', true);
    let c = conv(`${b}/conv2`, a, `${b}/conv2`, 1, 'same', false);
    const outSide = valid(side, 3, 2);
    const poolSide = valid(side, 2, 2);
    const cOut = width(`${b}/conv2/conv/filters`);
    nodes.push({ op: 'avgPool', name: `${b}/pool`, inputs: [x], size: [2, 2], strides: [2, 2], padding: 'valid' });
    let pooled = `${b}/pool`;
    if (poolSide !== outSide) {
      if (poolSide !== outSide + 1) throw new DataError('readFaceApiManifest', `face recognition block '${b}': pooled side ${poolSide} vs conv side ${outSide} at input size ${size}`);
      nodes.push({ op: 'pad', name: `${b}/pad_hw`, inputs: [c], paddings: [[0, 0], [0, 1], [0, 1], [0, 0]], value: 0 });
      c = `${b}/pad_hw`;
    }
    if (cOut !== channels) {
      if (cOut < channels) throw new DataError('readFaceApiManifest', `face recognition block '${b}' narrows ${channels} → ${cOut} channels`);
      nodes.push({ op: 'pad', name: `${b}/pad_c`, inputs: [pooled], paddings: [[0, 0], [0, 0], [0, 0], [0, cOut - channels]], value: 0 });
      pooled = `${b}/pad_c`;
    }
    nodes.push({ op: 'add', name: `${b}/add`, inputs: [pooled, c] });
    nodes.push({ op: 'activation', name: b, inputs: [`${b}/add`], activation: RELU });
    x = b;
    side = poolSide;
    channels = cOut;
  };
  for (const b of ['conv32_1', 'conv32_2', 'conv32_3']) residual(b);
  residualDown('conv64_down');
  for (const b of ['conv64_1', 'conv64_2', 'conv64_3']) residual(b);
  residualDown('conv128_down');
  for (const b of ['conv128_1', 'conv128_2']) residual(b);
  residualDown('conv256_down');
  for (const b of ['conv256_1', 'conv256_2']) residual(b);
  residualDown('conv256_down_out');
  nodes.push({ op: 'globalAvgPool', name: 'globalAvg', inputs: [x], keepDims: false });
  nodes.push({ op: 'dense', name: 'fc', inputs: ['globalAvg'], kernel: u('fc', 2), activation: LINEAR });
  return { nodes, outputs: ['fc'] };
}

/** Which face-api net a manifest holds, from its weight names. */
type FaceApiNet = 'tinyFaceDetector' | 'ssdMobilenetv1' | 'faceRecognition';

const NETS: { net: FaceApiNet; marks: string[]; size: number; minSize: number }[] = [
  { net: 'tinyFaceDetector', marks: ['conv0/filters', 'conv1/depthwise_filter'], size: 416, minSize: 34 },
  { net: 'ssdMobilenetv1', marks: ['MobilenetV1/Conv2d_0_pointwise/weights', 'Prediction/BoxPredictor_5/ClassPredictor/weights'], size: 512, minSize: 64 },
  { net: 'faceRecognition', marks: ['conv32_down/conv/filters', 'fc'], size: 150, minSize: 150 },
];

/** Weights face-api itself reads though the network does not (kept so face-api can load the file). */
const CARRIED: Record<FaceApiNet, string[]> = { tinyFaceDetector: [], ssdMobilenetv1: ['Output/extra_dim'], faceRecognition: [] };

export interface FaceApiImportOptions {
  /** Input side S (the detector runs on S × S × 3); default 416, face-api's default. */
  readonly inputSize?: number;
}

/**
 * Read a face-api weights manifest and its shards as a graph: the Tiny Face Detector, SSD
 * MobileNetV1 or the face recognition net (recognised from the weight names).
 */
export function readFaceApiManifest(path: string, options: FaceApiImportOptions = {}): Graph {
  const fn = 'readFaceApiManifest';
  checkOptions(fn, options, ['inputSize']);
  checkInputOptions(fn, options);
  const json = readJson(fn, path);
  if (!Array.isArray(json)) throw new DataError(fn, `${path}: a weights manifest must be a JSON array of groups`);
  const manifest = json as ManifestGroupJson[];
  const weights = manifestWeights(fn, manifest, readShards(fn, path, manifest));
  const kind = NETS.find((k) => k.marks.every((m) => weights.has(m)));
  if (!kind) {
    throw new DataError(fn, `${path}: not a Tiny Face Detector, SSD MobileNetV1 or face recognition manifest (none of ${NETS.map((k) => k.marks[0]).join(', ')} with its companions); other face-api nets are not supported`);
  }
  const S = options.inputSize ?? kind.size;
  if (!Number.isInteger(S) || S < kind.minSize) throw new ValueError(fn, `inputSize must be a whole number ≥ ${kind.minSize} for ${kind.net}, got ${String(S)}`);
  const used: string[] = [];
  const u: Take = (name, rank) => {
    const t = weights.get(name);
    if (!t) throw new DataError(fn, `${path}: the manifest has no tensor '${name}' (${kind.net})`);
    if (t.shape.length !== rank) throw new DataError(fn, `${path}: tensor '${name}' has rank ${t.shape.length}, expected ${rank}`);
    used.push(name);
    return name;
  };
  let built: { nodes: IrNode[]; outputs: string[] };
  if (kind.net === 'tinyFaceDetector') {
    const t = tinyFaceDetector(fn, weights, S);
    used.push(...t.used);
    built = { nodes: t.nodes, outputs: ['conv8'] };
  } else if (kind.net === 'ssdMobilenetv1') built = ssdMobilenetV1(u, S);
  else built = faceRecognition(u, S, (name) => weights.get(u(name, 4))!.shape[3]);
  const kept = new Map<string, Weight>();
  for (const k of [...used, ...CARRIED[kind.net].filter((c) => weights.has(c))]) kept.set(k, weights.get(k)!);
  const stem = basename(path).replace(/-weights_manifest\.json$/, '').replace(/\.json$/, '');
  let nodes = built.nodes;
  // Shapes must chain: each convolution's input channels equal what reaches it.
  const channels = new Map<string, number>([['input', 3]]);
  const out = (n: IrNode, c: number): void => void channels.set(n.name, c);
  for (const n of nodes) {
    const c = channels.get(n.inputs[0]);
    if (c === undefined) throw new DataError(fn, `${path}: node '${n.name}' reads '${n.inputs[0]}' before it is defined`);
    if (n.op === 'conv2d' || n.op === 'depthwise') {
      const k = weights.get(n.kernel)!.shape;
      if (k[2] !== c) throw new DataError(fn, `${path}: '${n.kernel}' has ${k[2]} input channels where the previous layer gives ${c} (manifest does not match the ${kind.net} topology)`);
      const co = n.op === 'conv2d' ? k[3] : k[2] * k[3];
      if (n.bias && weights.get(n.bias)!.shape[0] !== co) throw new DataError(fn, `${path}: '${n.bias}' has ${weights.get(n.bias)!.shape[0]} entries for ${co} channels`);
      out(n, co);
    } else if (n.op === 'dense') {
      const k = weights.get(n.kernel)!.shape;
      if (k[0] !== c) throw new DataError(fn, `${path}: '${n.kernel}' has ${k[0]} input rows where the previous layer gives ${c}`);
      out(n, k[1]);
    } else if (n.op === 'batchNorm' || n.op === 'mulConst' || n.op === 'addConst') {
      for (const w of n.op === 'batchNorm' ? [n.mean, n.variance, n.scale!, n.offset!] : [n.weight]) {
        if (weights.get(w)!.data.length !== c) throw new DataError(fn, `${path}: '${w}' has ${weights.get(w)!.data.length} entries for ${c} channels`);
      }
      out(n, c);
    } else if (n.op === 'pad') out(n, c + n.paddings[3][0] + n.paddings[3][1]);
    else if (n.op === 'add') {
      for (const i of n.inputs) if (channels.get(i) !== c) throw new DataError(fn, `${path}: residual add '${n.name}' joins ${c} and ${channels.get(i)} channels`);
      out(n, c);
    } else out(n, c);
  }
  // SSD box predictors: the reshape's −2 is the number of cells × anchors, from the conv widths.
  if (kind.net === 'ssdMobilenetv1') {
    const probe: Graph = { inputs: [{ name: 'input', shape: [-1, S, S, 3] }], outputs: [], nodes: nodes.filter((n) => n.op !== 'reshape' && n.op !== 'concat'), weights: kept, source: { kind: 'faceapi-manifest' } };
    const shapes = inferShapes(probe);
    nodes = nodes.map((n) => {
      if (n.op !== 'reshape') return n;
      const [, h, w, c] = shapes.get(n.inputs[0])!;
      const per = n.shape[n.shape.length - 1];
      return { ...n, shape: n.shape.map((d) => (d === -2 ? (h * w * c) / per : d)) };
    });
  }
  const g: Graph = {
    inputs: [{ name: 'input', shape: [-1, S, S, 3] }], outputs: built.outputs, nodes, weights: kept,
    source: { kind: 'faceapi-manifest', details: { net: kind.net, stem, order: manifest.flatMap((m) => m.weights.map((x) => x.name)) } },
  };
  validateGraph(fn, g);
  return g;
}

/** Write `g` (from `readFaceApiManifest`) as `dir/<stem>-weights_manifest.json` + `dir/<stem>.bin`. */
export function writeFaceApiManifest(g: Graph, dir: string): { files: string[] } {
  checkGraph('writeFaceApiManifest', g);
  checkString('writeFaceApiManifest', 'dir', dir);
  const fn = 'writeFaceApiManifest';
  if (g.source.kind !== 'faceapi-manifest') throw new ValueError(fn, `the graph came from ${g.source.kind}, not a face-api manifest`);
  const d = g.source.details ?? {};
  const stem = (d.stem as string | undefined) ?? 'model';
  const order = ((d.order as string[] | undefined) ?? [...g.weights.keys()]).filter((k) => g.weights.has(k));
  const shard = `${stem}.bin`;
  const { manifest, bytes } = encodeWeights(order.map((name) => ({ name, w: g.weights.get(name)!, dtype: 'float32' as const })), shard);
  return writeFilesAtomically(fn, dir, [
    { name: shard, data: bytes },
    { name: `${stem}-weights_manifest.json`, data: new TextEncoder().encode(JSON.stringify(manifest)) },
  ]);
}
