import { DataError } from '../../errors.ts';
import type { Activation, Graph, GraphInput, IrNode, Padding, Weight } from '../ir/graph.ts';
import { validateGraph } from '../ir/graph.ts';
import { encodeWeights, readModelJson, readShards, writeFilesAtomically, type ModelJson } from './files.ts';
import { manifestWeights } from './tfjs-graph.ts';
import { checkGraph, checkMap, checkObject, checkString } from '../check.ts';

/**
 * tfjs LayersModel (`model.json` with a Keras `model_config` topology + weight shards) ↔ IR.
 * Functional and Sequential Keras models of these layers are read: InputLayer, Conv2D,
 * DepthwiseConv2D, Dense, BatchNormalization, ReLU, Activation, LeakyReLU, Add, Multiply,
 * Concatenate, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, ZeroPadding2D, Flatten,
 * Reshape, Dropout (identity at inference). Weights keep Keras' names (`layer/kernel`). The writer
 * keeps the source topology and updates only what a compaction changes (`filters`, `units`), so the
 * stock `tf.loadLayersModel` reads the result.
 */

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}

interface KerasTopology {
  keras_version?: string;
  backend?: string;
  model_config?: { class_name: string; config: { layers: KerasLayer[]; input_layers?: [string, number, number][]; output_layers?: [string, number, number][] } | KerasLayer[] };
  [k: string]: unknown;
}

function activationOf(fn: string, layer: string, a: unknown): Activation | 'softmax' {
  switch (a ?? 'linear') {
    case 'linear': return { kind: 'linear' };
    case 'relu': return { kind: 'relu' };
    case 'relu6': return { kind: 'relu6' };
    case 'elu': return { kind: 'elu' };
    case 'sigmoid': return { kind: 'sigmoid' };
    case 'tanh': return { kind: 'tanh' };
    case 'softmax': return 'softmax';
    default: throw new DataError(fn, `layer '${layer}' uses activation ${String(a)}, which groupsparse cannot represent`);
  }
}

const pair = (v: unknown, dflt: number): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : v === undefined || v === null ? [dflt, dflt] : [Number(v), Number(v)]);

function padding(fn: string, layer: string, p: unknown): Padding {
  if (p === 'same' || p === 'valid') return p;
  throw new DataError(fn, `layer '${layer}' has padding ${String(p)}`);
}

/**
 * The topology's sizes against the weights they describe: `kernel_size` against the kernel's
 * spatial shape, `filters`/`depth_multiplier`/`units` against its last axis. A disagreement means a
 * corrupted or hand-edited file; the weights would be run with a geometry the topology does not
 * state (and the writer would keep the stale field), so it is refused here, naming the layer.
 */
function checkLayerSizes(fn: string, l: KerasLayer, weightsByName: ReadonlyMap<string, Weight>): void {
  const c = l.config;
  const name = c.name;
  const kernelName = l.class_name === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel';
  const k = weightsByName.get(`${name}/${kernelName}`);
  if (k === undefined) return; // reported as a missing weight where it is read
  const shape = `[${k.shape.join(', ')}]`;
  const agree = (field: string, stated: unknown, actual: number): void => {
    if (stated === undefined || stated === null) return;
    if (Number(stated) !== actual) throw new DataError(fn, `layer '${name}' (${l.class_name}) states ${field} ${JSON.stringify(stated)}, but its weight '${name}/${kernelName}' has shape ${shape}`);
  };
  if (l.class_name === 'Dense') {
    if (k.shape.length !== 2) throw new DataError(fn, `layer '${name}' (Dense) has a kernel of shape ${shape}; expected 2 axes [in, units]`);
    agree('units', c.units, k.shape[1]);
    return;
  }
  if (k.shape.length !== 4) throw new DataError(fn, `layer '${name}' (${l.class_name}) has a kernel of shape ${shape}; expected 4 axes [kh, kw, in, out]`);
  if (c.kernel_size !== undefined && c.kernel_size !== null) {
    const ks = c.kernel_size;
    const [kh, kw] = pair(ks, 1);
    const wellFormed = typeof ks === 'number' || (Array.isArray(ks) && ks.length >= 1 && ks.length <= 2 && ks.every((x) => typeof x === 'number'));
    if (!wellFormed || kh !== k.shape[0] || kw !== k.shape[1]) {
      throw new DataError(fn, `layer '${name}' (${l.class_name}) states kernel_size ${JSON.stringify(ks)}, but its weight '${name}/${kernelName}' has shape ${shape} (${k.shape[0]} × ${k.shape[1]})`);
    }
  }
  if (l.class_name === 'Conv2D') agree('filters', c.filters, k.shape[3]);
  else agree('depth_multiplier', c.depth_multiplier, k.shape[3]);
}

/** Inbound layer names of a functional layer (first call only: shared layers are refused). */
function inbound(fn: string, l: KerasLayer): string[] {
  const nodes = l.inbound_nodes ?? [];
  if (nodes.length === 0) return [];
  if (nodes.length > 1) throw new DataError(fn, `layer '${l.config.name}' is called ${nodes.length} times (shared layers are not supported)`);
  const n = nodes[0] as unknown;
  if (Array.isArray(n)) return n.map((x) => String((x as unknown[])[0]));
  const args = (n as { args?: { config?: { keras_history?: unknown[] } }[] }).args ?? [];
  return args.map((a) => String(a.config?.keras_history?.[0]));
}

export function graphFromTfjsLayersModel(json: ModelJson, weightsByName: ReadonlyMap<string, Weight>): Graph {
  checkObject('graphFromTfjsLayersModel', 'the model JSON', json);
  checkMap('graphFromTfjsLayersModel', 'weightsByName', weightsByName);
  // The topology is untrusted JSON walked field by field: a field of the wrong type anywhere (a
  // corrupted file) surfaces as a TypeError, which is the file's fault and is reported as such.
  try {
    return layersGraph(json, weightsByName);
  } catch (e) {
    if (e instanceof TypeError) throw new DataError('readTfjsLayersModel', `model.json has a malformed Keras topology (${e.message})`);
    throw e;
  }
}

function layersGraph(json: ModelJson, weightsByName: ReadonlyMap<string, Weight>): Graph {
  const fn = 'readTfjsLayersModel';
  const topo = json.modelTopology as KerasTopology | undefined;
  const mc = topo?.model_config ?? (topo as unknown as KerasTopology['model_config']);
  if (!mc || !('class_name' in mc)) throw new DataError(fn, 'model.json has no Keras model_config');
  const sequential = mc.class_name === 'Sequential';
  const layers: KerasLayer[] = Array.isArray(mc.config) ? mc.config : mc.config.layers;
  const alias = new Map<string, string>();
  const res = (s: string): string => {
    let r = s;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const nodes: IrNode[] = [];
  const inputs: GraphInput[] = [];
  const weights = new Map<string, Weight>();
  const w = (layer: string, name: string): string => {
    const k = `${layer}/${name}`;
    const t = weightsByName.get(k);
    if (!t) throw new DataError(fn, `layer '${layer}' needs weight '${k}', which the weights manifest does not hold`);
    weights.set(k, t);
    return k;
  };
  let prev: string | undefined;
  const layerOf = new Map<string, string>();
  for (const l of layers) {
    const c = l.config;
    const name = c.name;
    const ins = (sequential ? (prev === undefined ? [] : [prev]) : inbound(fn, l)).map(res);
    if (sequential && prev === undefined && l.class_name !== 'InputLayer') {
      const shape = (c.batch_input_shape as (number | null)[] | undefined);
      if (!shape) throw new DataError(fn, `the first layer '${name}' has no batch_input_shape`);
      inputs.push({ name: 'input', shape: shape.map((d) => (d === null ? -1 : d)) });
      ins.push('input');
    }
    const out = (n: IrNode): void => {
      nodes.push(n);
      layerOf.set(n.name, name);
    };
    const linearLayer = (make: (nm: string, act: Activation) => IrNode): void => {
      const a = activationOf(fn, name, c.activation);
      if (a === 'softmax') {
        out(make(`${name}/linear`, { kind: 'linear' }));
        out({ op: 'softmax', name, inputs: [`${name}/linear`] });
      } else out(make(name, a));
    };
    if (l.class_name === 'Conv2D' || l.class_name === 'DepthwiseConv2D' || l.class_name === 'Dense') checkLayerSizes(fn, l, weightsByName);
    switch (l.class_name) {
      case 'InputLayer': {
        const shape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[];
        inputs.push({ name, shape: shape.map((d) => (d === null ? -1 : d)) });
        break;
      }
      case 'Conv2D':
        if (c.data_format && c.data_format !== 'channels_last') throw new DataError(fn, `layer '${name}' is ${String(c.data_format)}; only channels_last is supported`);
        if (Number(c.groups ?? 1) !== 1) throw new DataError(fn, `layer '${name}' is a grouped convolution, which is not supported`);
        linearLayer((nm, act) => ({ op: 'conv2d', name: nm, inputs: ins, kernel: w(name, 'kernel'), bias: c.use_bias === false ? undefined : w(name, 'bias'), strides: pair(c.strides, 1), dilations: pair(c.dilation_rate, 1), padding: padding(fn, name, c.padding), activation: act }));
        break;
      case 'DepthwiseConv2D':
        linearLayer((nm, act) => ({ op: 'depthwise', name: nm, inputs: ins, kernel: w(name, 'depthwise_kernel'), bias: c.use_bias === false ? undefined : w(name, 'bias'), strides: pair(c.strides, 1), dilations: pair(c.dilation_rate, 1), padding: padding(fn, name, c.padding), activation: act }));
        break;
      case 'Dense':
        linearLayer((nm, act) => ({ op: 'dense', name: nm, inputs: ins, kernel: w(name, 'kernel'), bias: c.use_bias === false ? undefined : w(name, 'bias'), activation: act }));
        break;
      case 'BatchNormalization': {
        const axis = Array.isArray(c.axis) ? c.axis[0] : c.axis;
        if (axis !== -1 && axis !== 3 && axis !== undefined) throw new DataError(fn, `layer '${name}' normalises axis ${String(axis)}; only the channel axis is supported`);
        out({ op: 'batchNorm', name, inputs: ins, mean: w(name, 'moving_mean'), variance: w(name, 'moving_variance'), scale: c.scale === false ? undefined : w(name, 'gamma'), offset: c.center === false ? undefined : w(name, 'beta'), epsilon: Number(c.epsilon ?? 1e-3) });
        break;
      }
      case 'ReLU': {
        if (Number(c.threshold ?? 0) !== 0) throw new DataError(fn, `layer '${name}' (ReLU) has a threshold, which is not supported`);
        const mv = c.max_value;
        const slope = Number(c.negative_slope ?? 0);
        let a: Activation;
        if ((mv === null || mv === undefined) && slope === 0) a = { kind: 'relu' };
        else if (Number(mv) === 6 && slope === 0) a = { kind: 'relu6' };
        else if ((mv === null || mv === undefined) && slope > 0) a = { kind: 'leakyRelu', alpha: slope };
        else throw new DataError(fn, `layer '${name}' (ReLU) has max_value ${String(mv)} and slope ${slope}, which are not supported`);
        out({ op: 'activation', name, inputs: ins, activation: a });
        break;
      }
      case 'LeakyReLU': out({ op: 'activation', name, inputs: ins, activation: { kind: 'leakyRelu', alpha: Number(c.alpha ?? 0.3) } }); break;
      case 'Activation': {
        const a = activationOf(fn, name, c.activation);
        out(a === 'softmax' ? { op: 'softmax', name, inputs: ins } : { op: 'activation', name, inputs: ins, activation: a });
        break;
      }
      case 'Add': out({ op: 'add', name, inputs: ins }); break;
      case 'Multiply': out({ op: 'mul', name, inputs: ins }); break;
      case 'Concatenate': {
        const ax = Number(c.axis ?? -1);
        out({ op: 'concat', name, inputs: ins, axis: ax < 0 ? 4 + ax : ax });
        break;
      }
      case 'MaxPooling2D': case 'AveragePooling2D': {
        const size = pair(c.pool_size, 2);
        out({ op: l.class_name === 'MaxPooling2D' ? 'maxPool' : 'avgPool', name, inputs: ins, size, strides: c.strides ? pair(c.strides, 1) : size, padding: padding(fn, name, c.padding) });
        break;
      }
      case 'GlobalAveragePooling2D': out({ op: 'globalAvgPool', name, inputs: ins, keepDims: Boolean(c.keepdims) }); break;
      case 'ZeroPadding2D': {
        const p = c.padding;
        let hw: [[number, number], [number, number]];
        if (typeof p === 'number') hw = [[p, p], [p, p]];
        else if (Array.isArray(p) && typeof p[0] === 'number') hw = [[p[0], p[0]], [Number(p[1]), Number(p[1])]];
        else hw = [pair((p as unknown[])[0], 0), pair((p as unknown[])[1], 0)];
        out({ op: 'pad', name, inputs: ins, paddings: [[0, 0], hw[0], hw[1], [0, 0]], value: 0 });
        break;
      }
      case 'Flatten': out({ op: 'reshape', name, inputs: ins, shape: [-1, -1] }); break;
      case 'Reshape': out({ op: 'reshape', name, inputs: ins, shape: [-1, ...(c.target_shape as number[])] }); break;
      case 'Dropout': case 'SpatialDropout2D': case 'GaussianNoise': case 'GaussianDropout':
        alias.set(name, ins[0]);
        break;
      default:
        throw new DataError(fn, `layer '${name}' is a ${l.class_name}, which groupsparse cannot represent`);
    }
    prev = res(name);
  }
  const outputs = sequential ? [res(prev!)] : ((mc.config as { output_layers?: [string, number, number][] }).output_layers ?? []).map((o) => res(o[0]));
  const g: Graph = { inputs, outputs, nodes, weights, source: { kind: 'tfjs-layers', details: { topology: topo, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, order: [...weightsByName.keys()] } } };
  validateGraph(fn, g);
  return g;
}

export function readTfjsLayersModel(path: string): Graph {
  const fn = 'readTfjsLayersModel';
  const json = readModelJson(fn, path);
  return graphFromTfjsLayersModel(json, manifestWeights(fn, json.weightsManifest, readShards(fn, path, json.weightsManifest)));
}

/** model.json content of `g` (from a layers model) with `filters`/`units` updated to the kernels. */
export function tfjsLayersModelJson(g: Graph): { json: ModelJson; weights: { name: string; w: Weight; dtype: 'float32' }[] } {
  checkGraph('tfjsLayersModelJson', g);
  const fn = 'writeTfjsLayersModel';
  if (g.source.kind !== 'tfjs-layers') throw new DataError(fn, `the graph came from ${g.source.kind}, not a tfjs layers model`);
  const d = g.source.details!;
  const topo = structuredClone(d.topology) as KerasTopology;
  const mc = topo.model_config ?? (topo as unknown as KerasTopology['model_config']);
  const layers: KerasLayer[] = Array.isArray(mc!.config) ? mc!.config : mc!.config.layers;
  for (const l of layers) {
    const name = l.config.name;
    if (l.class_name === 'Conv2D') l.config.filters = g.weights.get(`${name}/kernel`)!.shape[3];
    if (l.class_name === 'Dense') l.config.units = g.weights.get(`${name}/kernel`)!.shape[1];
  }
  const order = (d.order as string[]).filter((k) => g.weights.has(k));
  return {
    json: { format: 'layers-model', generatedBy: (d.generatedBy as string | undefined) ?? 'groupsparse', convertedBy: 'groupsparse', modelTopology: topo, weightsManifest: [] },
    weights: order.map((name) => ({ name, w: g.weights.get(name)!, dtype: 'float32' as const })),
  };
}

export function writeTfjsLayersModel(g: Graph, dir: string): { files: string[] } {
  checkGraph('writeTfjsLayersModel', g);
  checkString('writeTfjsLayersModel', 'dir', dir);
  const { json, weights } = tfjsLayersModelJson(g);
  const { manifest, bytes } = encodeWeights(weights, 'group1-shard1of1.bin');
  json.weightsManifest = manifest;
  return writeFilesAtomically('writeTfjsLayersModel', dir, [
    { name: 'group1-shard1of1.bin', data: bytes },
    { name: 'model.json', data: new TextEncoder().encode(JSON.stringify(json)) },
  ]);
}
