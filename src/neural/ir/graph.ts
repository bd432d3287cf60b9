import { DataError } from '../../errors.ts';
import { callerName } from '../../util/validate.ts';
import { checkAttention } from './attention.ts';
import { checkGraph, checkNode, MAX_INPUT_ENTRIES, MAX_INPUT_SIDE } from '../check.ts';

/**
 * The one graph IR of a network, whatever file it came from. Activations are NHWC (channels last,
 * as tfjs runs them); weights keep tfjs layouts: conv kernels HWIO `[kh, kw, in, out]`, depthwise
 * `[kh, kw, C, multiplier]`, dense `[in, out]`. Importers convert other layouts (ONNX's NCHW/OIHW)
 * once on the way in, exporters once on the way out.
 *
 * A node reads tensors by name and writes one tensor named like the node; weights are referenced
 * by name into `graph.weights`, so a compaction can replace a weight without touching nodes.
 */

/** `gelu` is the exact (erf) form x·Φ(x) = x·(1 + erf(x/√2))/2. */
export type ActivationKind = 'linear' | 'relu' | 'relu6' | 'leakyRelu' | 'prelu' | 'elu' | 'sigmoid' | 'tanh' | 'gelu';

export interface Activation {
  readonly kind: ActivationKind;
  /** leakyRelu slope. */
  readonly alpha?: number;
  /** prelu: name of the per-channel slope weight. */
  readonly alphaWeight?: string;
}

/** Padding of a window op: tfjs 'same' / 'valid', or explicit `[[top, bottom], [left, right]]`. */
export type Padding = 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];

interface NodeBase {
  /** Unique; also the name of the tensor the node writes. */
  readonly name: string;
  readonly inputs: readonly string[];
}

/** What a convolution and a depthwise convolution share. */
interface WindowNode extends NodeBase {
  readonly kernel: string;
  readonly bias?: string;
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly padding: Padding;
  readonly activation: Activation;
}

/** Convolution; `kernel` is HWIO. */
export interface Conv2dNode extends WindowNode {
  readonly op: 'conv2d';
}

/** Depthwise convolution; `kernel` is `[kh, kw, C, multiplier]`. */
export interface DepthwiseNode extends WindowNode {
  readonly op: 'depthwise';
}

export interface DenseNode extends NodeBase {
  readonly op: 'dense';
  /** `[in, out]` kernel. */
  readonly kernel: string;
  readonly bias?: string;
  readonly activation: Activation;
}

/** y = (x − mean)/√(variance + ε)·scale + offset, per channel (last axis). */
export interface BatchNormNode extends NodeBase {
  readonly op: 'batchNorm';
  readonly mean: string;
  readonly variance: string;
  readonly scale?: string;
  readonly offset?: string;
  readonly epsilon: number;
}

/** x ∘ w or x + w with a constant w broadcast against x (per channel when w has C entries). */
export interface ConstBinaryNode extends NodeBase {
  readonly op: 'addConst' | 'mulConst';
  readonly weight: string;
}

/** Element-wise sum / product of same-shaped tensors (residual adds, gates). */
export interface ElementwiseNode extends NodeBase {
  readonly op: 'add' | 'mul';
}

export interface ConcatNode extends NodeBase {
  readonly op: 'concat';
  /** Non-negative axis index. */
  readonly axis: number;
}

export interface PoolNode extends NodeBase {
  readonly op: 'maxPool' | 'avgPool';
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
}

/** Mean over the spatial axes 1, 2. */
export interface GlobalPoolNode extends NodeBase {
  readonly op: 'globalAvgPool';
  readonly keepDims: boolean;
}

export interface PadNode extends NodeBase {
  readonly op: 'pad';
  /** One `[before, after]` per axis. */
  readonly paddings: readonly (readonly [number, number])[];
  readonly value: number;
}

export interface ReshapeNode extends NodeBase {
  readonly op: 'reshape';
  /** Target shape; −1 for the batch axis (and at most one other inferred axis). */
  readonly shape: readonly number[];
}

export interface ActivationNode extends NodeBase {
  readonly op: 'activation';
  readonly activation: Activation;
}

export interface SoftmaxNode extends NodeBase {
  readonly op: 'softmax';
}

// ---- Sequence models: activations [N, S, D] (batch, positions, features) ----

/**
 * Multi-head self-attention on x [N, S, D]: for each head h, Q_h = x·Wq[:, h] + bq[h] (and K_h, V_h
 * likewise), A_h = softmax(scale · Q_h K_hᵀ) over the keys, and y = Σ_h (A_h V_h)·Wo[h, :] + bo.
 * Head h owns columns h·headDim … (h+1)·headDim − 1 of `wq` and `wk` (`[D, heads·headDim]`), columns
 * h·valueDim … of `wv` (`[D, heads·valueDim]`) and the same rows of `wo` (`[heads·valueDim, Dout]`):
 * removing a head removes exactly those slices (see `ir/attention.ts`).
 */
export interface AttentionNode extends NodeBase {
  readonly op: 'attention';
  readonly heads: number;
  readonly headDim: number;
  readonly valueDim: number;
  /** Multiplies the scores before the softmax (1/√headDim in the usual form). */
  readonly scale: number;
  readonly wq: string;
  readonly wk: string;
  readonly wv: string;
  readonly wo: string;
  readonly bq?: string;
  readonly bk?: string;
  readonly bv?: string;
  readonly bo?: string;
}

/** y = (x − mean)/√(variance + ε)·scale + offset with mean and variance over the last axis. */
export interface LayerNormNode extends NodeBase {
  readonly op: 'layerNorm';
  readonly scale?: string;
  readonly offset?: string;
  readonly epsilon: number;
}

export type IrNode =
  | Conv2dNode | DepthwiseNode | DenseNode | BatchNormNode | ConstBinaryNode | ElementwiseNode | ConcatNode
  | PoolNode | GlobalPoolNode | PadNode | ReshapeNode | ActivationNode | SoftmaxNode | AttentionNode | LayerNormNode;

export type IrOp = IrNode['op'];

export interface Weight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface GraphInput {
  readonly name: string;
  /** With −1 for the batch axis. */
  readonly shape: readonly number[];
}

/** What the importer needs to write the file back in the same format. */
export interface SourceFormat {
  readonly kind: 'tfjs-graph' | 'tfjs-layers' | 'faceapi-manifest' | 'onnx';
  /** Free-form details the exporter of that kind reads (original names, versions...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface Graph {
  readonly inputs: readonly GraphInput[];
  /** Names of the tensors the model returns, in order. */
  readonly outputs: readonly string[];
  /** Topologically ordered. */
  readonly nodes: readonly IrNode[];
  readonly weights: ReadonlyMap<string, Weight>;
  readonly source: SourceFormat;
}

/** Weight names a node references, with their role. */
export function nodeWeights(n: IrNode): { role: string; name: string }[] {
  checkNode('nodeWeights', n);
  const out: { role: string; name: string }[] = [];
  const add = (role: string, name: string | undefined): void => {
    if (name !== undefined) out.push({ role, name });
  };
  switch (n.op) {
    case 'conv2d': case 'depthwise': case 'dense':
      add('kernel', n.kernel); add('bias', n.bias); add('alpha', n.activation.alphaWeight); break;
    case 'batchNorm':
      add('mean', n.mean); add('variance', n.variance); add('scale', n.scale); add('offset', n.offset); break;
    case 'addConst': case 'mulConst':
      add('weight', n.weight); break;
    case 'activation':
      add('alpha', n.activation.alphaWeight); break;
    case 'attention':
      add('wq', n.wq); add('bq', n.bq); add('wk', n.wk); add('bk', n.bk); add('wv', n.wv); add('bv', n.bv); add('wo', n.wo); add('bo', n.bo); break;
    case 'layerNorm':
      add('scale', n.scale); add('offset', n.offset); break;
    default:
      break;
  }
  return out;
}

/**
 * Check that names are unique, every input is defined before use, every weight exists, outputs
 * exist. Throws DataError naming the node, in the name `fn` of the caller.
 */
export function validateGraph(fn: string, g: Graph): void {
  // The caller names itself in `fn`; when `g` is not even a Graph, validateGraph itself was
  // misused, so the error is in its own name.
  checkGraph('validateGraph', g);
  fn = callerName(fn, 'validateGraph');
  if (g.outputs.length === 0) throw new DataError(fn, 'the graph has no outputs');
  const defined = new Set<string>();
  for (const i of g.inputs) {
    if (defined.has(i.name)) throw new DataError(fn, `two graph inputs are named '${i.name}'`);
    checkInputShape(fn, i);
    defined.add(i.name);
  }
  if (new Set(g.outputs).size !== g.outputs.length) throw new DataError(fn, `an output is listed twice (${g.outputs.join(', ')})`);
  for (const n of g.nodes) {
    if (defined.has(n.name)) throw new DataError(fn, `node '${n.name}' (${n.op}) reuses a tensor name`);
    for (const i of n.inputs) {
      if (!defined.has(i)) throw new DataError(fn, `node '${n.name}' (${n.op}) reads '${i}', which no earlier node or input defines`);
    }
    for (const w of nodeWeights(n)) {
      if (!g.weights.has(w.name)) throw new DataError(fn, `node '${n.name}' (${n.op}) references weight '${w.name}' (${w.role}), which the weights do not hold`);
    }
    if (n.op === 'attention') checkAttention(fn, g, n);
    checkWindow(fn, g, n);
    checkScalars(fn, g, n);
    if (n.op === 'pad') checkPaddings(fn, n);
    defined.add(n.name);
  }
  for (const o of g.outputs) if (!defined.has(o)) throw new DataError(fn, `output '${o}' is not produced by any node`);
}

/**
 * An input's shape as a file states it: whole numbers ≥ 1, or −1 where unknown, and at most
 * MAX_INPUT_ENTRIES entries per sample. A side of −6 was read as "unknown" and one of 10⁶ failed in
 * shape inference as a RangeError ("Invalid typed array length").
 */
function checkInputShape(fn: string, i: GraphInput): void {
  const s = i.shape;
  if (!Array.isArray(s) || s.length < 1 || s.length > 8 || !s.every((d) => Number.isInteger(d) && (d >= 1 || d === -1))) {
    throw new DataError(fn, `input '${i.name}' has shape [${Array.isArray(s) ? s.join(', ') : String(s)}]; expected 1 to 8 whole numbers ≥ 1 (−1 where unknown)`);
  }
  const entries = s.slice(1).reduce((a, d) => a * Math.abs(d), 1);
  if (entries > MAX_INPUT_ENTRIES) throw new DataError(fn, `input '${i.name}' has shape [${s.join(', ')}]: ${entries.toExponential(2)} entries per sample, above the limit ${MAX_INPUT_ENTRIES}`);
}

/**
 * The numbers a node carries besides its weights: a normalisation's ε finite and ≥ 0 (with every
 * variance + ε > 0), a leaky slope, attention scale and pad value that are numbers. A corrupted
 * file's ε of −1 or "abc" used to be read and turn every output into NaN.
 */
/**
 * Most entries a pad node may add on one side of an axis. Real networks pad by a few pixels or
 * channels; a corrupted int32 paddings constant (a flipped byte of a weight shard) read 1.8·10⁹,
 * which the WASM kernels met by writing out of bounds or running for minutes.
 */
export const MAX_PAD = 1024;

export function checkPaddings(fn: string, n: IrNode & { op: 'pad' }): void {
  for (let a = 0; a < n.paddings.length; a++) {
    for (const v of n.paddings[a]) {
      if (!(Number.isInteger(v) && v >= 0 && v <= MAX_PAD)) {
        throw new DataError(fn, `node '${n.name}' (pad) pads axis ${a} by ${String(v)}; expected whole numbers from 0 to ${MAX_PAD}`);
      }
    }
  }
}

function checkScalars(fn: string, g: Graph, n: IrNode): void {
  const where = `node '${n.name}' (${n.op})`;
  // Weights: a NaN anywhere, or an infinity in a layer's parameters (a constant operand may hold
  // −∞ on purpose, as a mask), would run through every forward pass and pruning score silently.
  // The tfjs manifests are checked as they are decoded; this covers every importer.
  for (const r of nodeWeights(n)) {
    const w = g.weights.get(r.name);
    if (w === undefined) continue;
    const constant = n.op === 'addConst' || n.op === 'mulConst';
    for (let k = 0; k < w.data.length; k++) {
      const v = w.data[k];
      if (Number.isNaN(v) || (!constant && !Number.isFinite(v))) throw new DataError(fn, `${where}: weight '${r.name}' (${r.role}) holds ${v} at index ${k}; the model file is corrupted`);
    }
  }
  if (n.op === 'batchNorm' || n.op === 'layerNorm') {
    if (!(typeof n.epsilon === 'number' && Number.isFinite(n.epsilon) && n.epsilon >= 0)) throw new DataError(fn, `${where} has epsilon ${String(n.epsilon)}; expected a finite number ≥ 0`);
  }
  if (n.op === 'batchNorm') {
    const v = g.weights.get(n.variance);
    if (v !== undefined) {
      for (let k = 0; k < v.data.length; k++) {
        if (!(v.data[k] + n.epsilon > 0)) throw new DataError(fn, `${where} has variance ${v.data[k]} at channel ${k} with epsilon ${n.epsilon}: the normalisation divides by √(variance + ε), which must be positive`);
      }
    }
  }
  if ('activation' in n && n.activation !== undefined && n.activation.kind === 'leakyRelu') {
    const a = n.activation.alpha;
    if (!(typeof a === 'number' && Number.isFinite(a))) throw new DataError(fn, `${where} has a leaky ReLU slope ${String(a)}; expected a finite number`);
  }
  if (n.op === 'attention' && !(typeof n.scale === 'number' && Number.isFinite(n.scale))) throw new DataError(fn, `${where} has scale ${String(n.scale)}; expected a finite number`);
  if (n.op === 'pad' && (typeof n.value !== 'number' || Number.isNaN(n.value))) throw new DataError(fn, `${where} pads with ${String(n.value)}; expected a number`);
}

/**
 * A window op's geometry: strides, dilations and pool sizes are positive whole numbers, explicit
 * padding non-negative whole numbers, and a (depthwise) convolution's kernel is 4-D with positive
 * sizes. A file with a stride of 0 would otherwise be read and fail only in the runner, far from
 * the node that is wrong.
 */
function checkWindow(fn: string, g: Graph, n: IrNode): void {
  if (n.op !== 'conv2d' && n.op !== 'depthwise' && n.op !== 'maxPool' && n.op !== 'avgPool') return;
  const where = `node '${n.name}' (${n.op})`;
  const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map((x) => (Array.isArray(x) ? show(x) : String(x))).join(', ')}]` : String(v));
  const positive = (what: string, v: readonly number[] | undefined): void => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1)) {
      throw new DataError(fn, `${where} has ${what} ${show(v)}; expected two whole numbers ≥ 1`);
    }
    // No window can exceed the largest input side: a corrupted 10⁹ used to reach the runtime and
    // fail there as "memory access out of bounds".
    if (v.some((x) => x > MAX_INPUT_SIDE)) throw new DataError(fn, `${where} has ${what} ${show(v)}, above the largest input side ${MAX_INPUT_SIDE}`);
  };
  positive('strides', n.strides);
  if (n.op === 'conv2d' || n.op === 'depthwise') positive('dilations', n.dilations);
  else positive('window size', n.size);
  const p = n.padding;
  if (typeof p !== 'string') {
    const flat = Array.isArray(p) && p.length === 2 ? p.flat() : [];
    if (flat.length !== 4 || !flat.every((x) => Number.isInteger(x) && x >= 0)) throw new DataError(fn, `${where} has explicit padding ${show(p)}; expected [[top, bottom], [left, right]] of whole numbers ≥ 0`);
  } else if (p !== 'same' && p !== 'valid') {
    throw new DataError(fn, `${where} has padding '${String(p)}'; expected 'same', 'valid' or explicit sizes`);
  }
  if (n.op === 'conv2d' || n.op === 'depthwise') {
    const k = g.weights.get(n.kernel);
    if (k !== undefined && (k.shape.length !== 4 || !k.shape.every((x) => Number.isInteger(x) && x >= 1))) {
      throw new DataError(fn, `${where} has a kernel of shape [${k.shape.join(', ')}]; expected 4 positive sizes [kh, kw, in, out]`);
    }
    const b = n.bias === undefined ? undefined : g.weights.get(n.bias);
    const outputs = k === undefined ? undefined : n.op === 'conv2d' ? k.shape[3] : k.shape[2] * k.shape[3];
    if (b !== undefined && outputs !== undefined && b.data.length !== outputs) {
      throw new DataError(fn, `${where} has a bias of ${b.data.length} entries for ${outputs} output channels`);
    }
  }
}

/** Number of distinct ops by kind, for `inspect`. */
export function opCounts(g: Graph): Record<string, number> {
  checkGraph('opCounts', g);
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

/** Total number of parameters (entries of every referenced weight, counted once). */
export function parameterCount(g: Graph): number {
  checkGraph('parameterCount', g);
  const seen = new Set<string>();
  let p = 0;
  for (const n of g.nodes) {
    for (const w of nodeWeights(n)) {
      if (seen.has(w.name)) continue;
      seen.add(w.name);
      p += g.weights.get(w.name)!.data.length;
    }
  }
  return p;
}
