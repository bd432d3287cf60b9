/**
 * Edge checks for the neural entry points: each is O(1) (a look at the object's shape, never a walk
 * over its weights) so that junk — nothing, NaN, a string, an empty object — is refused with an
 * error naming the public function instead of escaping later as a TypeError deep inside tfjs.
 */
import { statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { isGroupStructure, type GroupStructure } from '../groups/groups.ts';
import { DataError, GroupError, ShapeError, ValueError } from '../errors.ts';
import type { Graph } from './ir/graph.ts';
import type { DependencyGraph } from './depgraph.ts';
import type { NetStructure } from './train/structure.ts';
import type { ImageSet } from './mnist.ts';

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string '${v.slice(0, 40)}'` : typeof v === 'object' ? 'an object of another kind' : `${typeof v} ${String(v)}`;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A graph IR (as returned by readModel and the importers). */
export function checkGraph(fn: string, g: unknown, what = 'the graph'): Graph {
  if (!isObject(g) || !Array.isArray(g.nodes) || !Array.isArray(g.inputs) || !Array.isArray(g.outputs) || !(g.weights instanceof Map)) {
    throw new ValueError(fn, `${what} must be a Graph (from readModel or an importer: { inputs, outputs, nodes, weights }), got ${describe(g)}`);
  }
  return g as unknown as Graph;
}

/** A dependency graph (from dependencyGraph). */
export function checkDependencyGraph(fn: string, dg: unknown): DependencyGraph {
  if (!isObject(dg) || !Array.isArray(dg.groups) || !(dg.shapes instanceof Map) || !(dg.channelIds instanceof Map)) {
    throw new ValueError(fn, `expected a DependencyGraph (from dependencyGraph(graph)), got ${describe(dg)}`);
  }
  checkGraph(fn, dg.graph, 'the dependency graph\'s graph');
  return dg as unknown as DependencyGraph;
}

/** A network structure (from netStructure). */
export function checkNet(fn: string, net: unknown): NetStructure {
  if (!isObject(net) || !Array.isArray(net.stages) || !Array.isArray(net.variables) || typeof net.size !== 'number' || !isObject(net.model)) {
    throw new ValueError(fn, `expected a NetStructure (from netStructure(model)), got ${describe(net)}`);
  }
  return net as unknown as NetStructure;
}

/** A tfjs LayersModel or a NetStructure built from one. */
export function checkModelOrNet(fn: string, model: unknown): void {
  if (isObject(model) && Array.isArray(model.stages)) {
    checkNet(fn, model);
    return;
  }
  if (!isObject(model) || !Array.isArray(model.layers) || typeof model.predict !== 'function') {
    throw new ValueError(fn, `the model must be a tfjs LayersModel (e.g. tf.sequential) or a NetStructure, got ${describe(model)}`);
  }
}

/** A tf.Tensor that has not been disposed. */
export function checkTensor(fn: string, what: string, t: unknown): tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new ValueError(fn, `${what} must be a tf.Tensor, got ${describe(t)}`);
  if (t.isDisposed) throw new ValueError(fn, `${what} has been disposed`);
  return t;
}

/** A non-empty string (a path or a name). */
export function checkString(fn: string, what: string, s: unknown): string {
  if (typeof s !== 'string' || s.length === 0) throw new ValueError(fn, `${what} must be a non-empty string, got ${describe(s)}`);
  return s;
}

/** A byte buffer. */
export function checkBytes(fn: string, what: string, b: unknown): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new ValueError(fn, `${what} must be a Uint8Array of the file's bytes, got ${describe(b)}`);
  return b;
}

/** A plain object argument (a spec, a model JSON). */
export function checkObject(fn: string, what: string, o: unknown): Record<string, unknown> {
  if (!isObject(o)) throw new ValueError(fn, `${what} must be an object, got ${describe(o)}`);
  return o;
}

/**
 * An image set ({ x, y, n, shape, classes }): sizes agree, x and y are typed, and every label is a
 * class index in [0, classes) (one pass over the labels; a label of 5 among 2 classes, or −1, used
 * to train against an all-zero one-hot row without a word).
 */
export function checkImageSet(fn: string, set: unknown, what = 'the data'): ImageSet {
  if (!isObject(set) || !(set.x instanceof Float32Array) || !(set.y instanceof Int32Array) || typeof set.n !== 'number' || !Array.isArray(set.shape)) {
    throw new ValueError(fn, `${what} must be an ImageSet { x: Float32Array, y: Int32Array, n, shape, classes } (from loadMnist or readImages), got ${describe(set)}`);
  }
  const s = set as unknown as ImageSet;
  if (s.y.length !== s.n) throw new ShapeError(fn, `${what}: y has ${s.y.length} labels for n = ${s.n}`);
  const per = s.shape.reduce((a, b) => a * b, 1);
  if (s.x.length !== s.n * per) throw new ShapeError(fn, `${what}: x has ${s.x.length} values, expected n × ${s.shape.join('×')} = ${s.n * per}`);
  if (!(typeof s.classes === 'number' && Number.isInteger(s.classes) && s.classes >= 1)) throw new ValueError(fn, `${what}: classes must be a whole number ≥ 1, got ${describe(s.classes)}`);
  for (let i = 0; i < s.y.length; i++) {
    if (s.y[i] < 0 || s.y[i] >= s.classes) throw new ValueError(fn, `${what}: label ${i} is ${s.y[i]}, not a class index in [0, ${s.classes})`);
  }
  return s;
}

/** A plain array of non-negative whole numbers (a shape), read once. */
export function checkShape(fn: string, what: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(fn, `${what} must be an array of whole numbers ≥ 1, got ${Array.isArray(shape) ? `[${shape.map(String).join(', ')}]` : describe(shape)}`);
  }
  return shape as number[];
}

/**
 * Largest side of an image input, and largest number of entries of one input sample, an importer
 * accepts: an inputSize of 1e9 used to pass the importer and fail later as an "Invalid typed array
 * length" RangeError in shape inference.
 */
export const MAX_INPUT_SIDE = 16384;
export const MAX_INPUT_ENTRIES = 2 ** 28;

/**
 * The importers' input options: `inputSize` a whole number in [1, MAX_INPUT_SIDE], `inputShape`
 * an array of whole numbers ≥ 1 (the batch entry may be −1) whose sample has at most
 * MAX_INPUT_ENTRIES entries. Unknown option names are refused by the caller's checkOptions.
 */
export function checkInputOptions(fn: string, options: { inputSize?: unknown; inputShape?: unknown }): void {
  const { inputSize, inputShape } = options;
  if (inputSize !== undefined && !(typeof inputSize === 'number' && Number.isInteger(inputSize) && inputSize >= 1 && inputSize <= MAX_INPUT_SIDE)) {
    throw new ValueError(fn, `inputSize must be a whole number from 1 to ${MAX_INPUT_SIDE}, got ${describe(inputSize)}`);
  }
  if (inputShape === undefined) return;
  const ok = Array.isArray(inputShape) && inputShape.length >= 1 && inputShape.length <= 8 &&
    inputShape.every((d, i) => typeof d === 'number' && Number.isInteger(d) && (d >= 1 || (i === 0 && d === -1)));
  if (!ok) {
    throw new ShapeError(fn, `inputShape must be 1 to 8 whole numbers ≥ 1 (the batch may be −1), got ${Array.isArray(inputShape) ? `[${inputShape.map(String).join(', ')}]` : describe(inputShape)}`);
  }
  const entries = (inputShape as number[]).slice(1).reduce((a, d) => a * d, 1);
  if (entries > MAX_INPUT_ENTRIES) throw new ShapeError(fn, `inputShape [${(inputShape as number[]).join(', ')}] has ${entries.toExponential(2)} entries per sample, above the limit ${MAX_INPUT_ENTRIES}`);
}

/** A graph node ({ op, name, inputs }). */
export function checkNode(fn: string, n: unknown): void {
  if (!isObject(n) || typeof n.op !== 'string' || !Array.isArray(n.inputs)) throw new ValueError(fn, `expected a graph node { op, name, inputs, ... }, got ${describe(n)}`);
}

/** A Set (of group indices). */
export function checkSet(fn: string, what: string, s: unknown): void {
  if (!(s instanceof Set)) throw new ValueError(fn, `${what} must be a Set of group indices, got ${describe(s)}`);
}

/** A Map (weights by name). */
export function checkMap(fn: string, what: string, m: unknown): void {
  if (!(m instanceof Map)) throw new ValueError(fn, `${what} must be a Map, got ${describe(m)}`);
}

/** A tfjs LayersModel. */
export function checkLayersModel(fn: string, model: unknown): void {
  if (!isObject(model) || !Array.isArray(model.layers) || typeof model.predict !== 'function') {
    throw new ValueError(fn, `the model must be a tfjs LayersModel (e.g. tf.sequential), got ${describe(model)}`);
  }
}

/** A non-empty array of non-empty strings (file names), read once. */
export function checkStrings(fn: string, what: string, a: unknown): readonly string[] {
  if (!Array.isArray(a) || a.length === 0) throw new ValueError(fn, `${what} must be a non-empty array of file names, got ${describe(a)}`);
  a.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0) throw new ValueError(fn, `${what}[${i}] must be a non-empty string, got ${describe(s)}`);
  });
  return a as string[];
}

/** A classification data set { x, y, n } (from loadDigits), checked in O(1). */
export function checkClassificationData(fn: string, d: unknown): void {
  if (!isObject(d) || typeof d.n !== 'number' || !Number.isInteger(d.n) || d.n < 1 || !ArrayBuffer.isView(d.x) || !(d.y instanceof Int32Array)) {
    throw new ValueError(fn, `expected a data set { x, y: Int32Array, n, ... } (from loadDigits), got ${describe(d)}`);
  }
  const x = d.x as unknown as { length: number };
  if (d.y.length !== d.n || x.length % d.n !== 0) throw new ShapeError(fn, `the data set has ${x.length} values and ${d.y.length} labels for n = ${d.n}`);
}

/** An existing regular file, checked before any work (a lazy loader would fail only when used). */
export function checkFile(fn: string, path: string): void {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new DataError(fn, `${path}: no such file`);
  }
  if (!isFile) throw new DataError(fn, `${path} is not a file`);
}

/** Flat parameters of a network (a FlatParams: its theta vector and the net it views). */
export function checkParams(fn: string, p: unknown): void {
  if (!isObject(p) || !(p.theta instanceof Float64Array) || typeof p.push !== 'function' || !isObject(p.net)) {
    throw new ValueError(fn, `expected a FlatParams (new FlatParams(netStructure(model))), got ${describe(p)}`);
  }
}

/** A group structure (from makeGroups, unitGroups/groupStructureOf). */
export function checkGroups(fn: string, gs: unknown, nFeatures?: number): GroupStructure {
  if (!isGroupStructure(gs)) throw new GroupError(fn, `expected a GroupStructure (from makeGroups or groupStructureOf), got ${describe(gs)}`);
  if (nFeatures !== undefined && gs.nFeatures !== nFeatures) throw new ShapeError(fn, `the groups index ${gs.nFeatures} features, the parameters have ${nFeatures}`);
  return gs;
}

/** A typed array of the given kind. */
export function checkTyped(fn: string, what: string, a: unknown, kind: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor): void {
  if (!(a instanceof kind)) throw new ValueError(fn, `${what} must be a ${kind.name}, got ${describe(a)}`);
}

/** The penalty level λ: a finite number ≥ 0. */
export function checkLambda(fn: string, lambda: unknown): number {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw new ValueError(fn, `lambda must be a finite number ≥ 0, got ${String(lambda)}`);
  return lambda;
}

/**
 * Watches a training run for a step size that diverged: the minibatch loss non-finite or grown
 * by more than `GROWTH` over the first one (floored at 1, the scale of a classifier's loss at a
 * random start, so a fine-tuned model's tiny loss rising to O(1) is not taken for divergence),
 * or a parameter non-finite. The inputs were checked finite at the edge and the starting weights
 * are checked here, so a non-finite loss later can only come from the steps. On divergence the
 * weights are put back as they were at the start (a model full of 1e300 or NaN is of no use) and
 * the error names the step size.
 */
export class DivergenceWatch {
  /** A classifier loss 10⁴ times its start means logits 10⁴ apart: the iterates ran away. */
  static readonly GROWTH = 1e4;
  private readonly start: Float64Array;
  private ref = NaN;

  constructor(
    private readonly fn: string,
    private readonly lr: number,
    private readonly params: { theta: Float64Array; push(): void },
  ) {
    const theta = params.theta;
    for (let i = 0; i < theta.length; i++) {
      if (!Number.isFinite(theta[i])) throw new ValueError(fn, `the model's weights hold a non-finite value (${theta[i]} at parameter ${i}) before any step`);
    }
    this.start = Float64Array.from(theta);
  }

  /** After step `step` (1-based), whose minibatch loss (at the weights before the step) was `loss`. */
  step(step: number, loss: number): void {
    if (Number.isNaN(this.ref) && Number.isFinite(loss)) this.ref = loss;
    const limit = DivergenceWatch.GROWTH * Math.max(this.ref, 1);
    let why = '';
    if (!Number.isFinite(loss)) why = `the minibatch loss is ${loss}`;
    else if (loss > limit) why = `the minibatch loss grew from ${this.ref.toPrecision(3)} to ${loss.toPrecision(3)}`;
    else {
      const theta = this.params.theta;
      for (let i = 0; i < theta.length; i++) {
        if (!Number.isFinite(theta[i])) {
          why = `parameter ${i} became ${theta[i]}`;
          break;
        }
      }
    }
    if (!why) return;
    this.params.theta.set(this.start);
    this.params.push();
    throw new ValueError(this.fn, `the step size diverged at step ${step} (${why}): lr = ${this.lr} is too large, try a smaller lr (e.g. ${(this.lr / 10).toPrecision(2)}); the model's weights were restored to their starting values`);
  }
}
