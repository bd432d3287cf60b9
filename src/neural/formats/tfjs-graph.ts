import { DataError } from '../../errors.ts';
import type { Activation, Graph, GraphInput, IrNode, Padding, Weight } from '../ir/graph.ts';
import { validateGraph } from '../ir/graph.ts';
import { inferShapes } from '../ir/execute.ts';
import { parseWeightsManifest } from '../manifest.ts';
import { encodeWeights, readModelJson, readShards, writeFilesAtomically, type ModelJson } from './files.ts';
import { checkGraph, checkInputOptions, checkMap, checkObject, checkString } from '../check.ts';
import { checkOptions } from '../../util/validate.ts';

/**
 * tfjs GraphModel (`model.json` with a GraphDef `modelTopology.node[]` + weight shards) ↔ IR.
 * Each TF op is mapped to one IR node (a `_FusedConv2D` with BiasAdd + Relu is one conv2d node);
 * `Identity` nodes are aliases; constants become weights. An op with no IR node is refused with
 * its name and node.
 */

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
  device?: string;
}

interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  tensor?: unknown;
}

const decodeS = (s: string): string => atob(s);
const encodeS = (s: string): string => btoa(s);

function attrS(n: TfNode, k: string): string | undefined {
  const a = n.attr?.[k];
  return a?.s !== undefined ? decodeS(a.s) : undefined;
}
function attrInts(n: TfNode, k: string): number[] | undefined {
  const a = n.attr?.[k];
  return a?.list?.i?.map((v) => Number(v));
}
function attrStrings(n: TfNode, k: string): string[] {
  return (n.attr?.[k]?.list?.s ?? []).map(decodeS);
}
function attrF(n: TfNode, k: string): number | undefined {
  const a = n.attr?.[k];
  return a?.f !== undefined ? Number(a.f) : undefined;
}
function attrB(n: TfNode, k: string): boolean | undefined {
  return n.attr?.[k]?.b;
}

/** Strip `:0` output suffixes; refuse other output slots (multi-output ops are not in the IR). */
function ref(fn: string, node: string, s: string): string {
  if (s.startsWith('^')) return '';
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m) return s;
  if (m[2] !== '0') throw new DataError(fn, `node '${node}' reads output ${m[2]} of '${m[1]}'; only single-output ops are supported`);
  return m[1];
}

export interface TfjsGraphImportOptions {
  /** Input shape when the model's placeholder has unknown spatial sizes, e.g. [1, 224, 224, 3]. */
  readonly inputShape?: readonly number[];
  /** Side S filling unknown spatial sizes of a 4-d placeholder (S × S). */
  readonly inputSize?: number;
}

/**
 * Convert parsed `model.json` + its decoded weights to the IR.
 */
export function graphFromTfjsGraphModel(json: ModelJson, weightsByName: ReadonlyMap<string, Weight>, options: TfjsGraphImportOptions = {}): Graph {
  checkObject('graphFromTfjsGraphModel', 'the model JSON', json);
  checkMap('graphFromTfjsGraphModel', 'weightsByName', weightsByName);
  const fn = 'readTfjsGraphModel';
  const topo = json.modelTopology as { node?: TfNode[]; library?: unknown; versions?: unknown } | undefined;
  if (!topo || !Array.isArray(topo.node)) throw new DataError(fn, 'model.json has no modelTopology.node list (not a tfjs graph model)');
  const alias = new Map<string, string>();
  const consts = new Map<string, Weight>();
  const weights = new Map<string, Weight>();
  const inputs: GraphInput[] = [];
  const nodes: IrNode[] = [];
  const resolve = (node: string, s: string): string => {
    let r = ref(fn, node, s);
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const data = (node: TfNode): string[] => (node.input ?? []).filter((s) => !s.startsWith('^')).map((s) => resolve(node.name, s));
  const constOf = (node: TfNode, name: string, what: string): Weight => {
    const c = consts.get(name);
    if (!c) throw new DataError(fn, `node '${node.name}' (${node.op}) needs its ${what} '${name}' to be a constant`);
    return c;
  };
  const useWeight = (name: string): string => {
    weights.set(name, consts.get(name)!);
    return name;
  };
  const isConst = (name: string): boolean => consts.has(name);
  const windowPadding = (n: TfNode): Padding => {
    const p = attrS(n, 'padding') ?? 'VALID';
    if (p === 'SAME') return 'same';
    if (p === 'VALID') return 'valid';
    if (p === 'EXPLICIT') {
      const e = attrInts(n, 'explicit_paddings') ?? [];
      if (e.length !== 8) throw new DataError(fn, `node '${n.name}' (${n.op}) has explicit padding of length ${e.length}, expected 8`);
      return [[e[2], e[3]], [e[4], e[5]]];
    }
    throw new DataError(fn, `node '${n.name}' (${n.op}) has padding '${p}'`);
  };
  /**
   * The spatial entries of an NHWC window attribute [1, h, w, 1]. Any other length, or a batch or
   * channel entry other than 1, is a corrupted file: the runtime would stride over samples or
   * channels, which the IR (and tfjs' own kernels) cannot express.
   */
  const hw = (n: TfNode, k: string): [number, number] => {
    const v = attrInts(n, k) ?? [1, 1, 1, 1];
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) {
      throw new DataError(fn, `node '${n.name}' (${n.op}) has ${k} [${v.join(', ')}]; expected [1, height, width, 1] (NHWC)`);
    }
    return [v[1], v[2]];
  };
  const checkNhwc = (n: TfNode): void => {
    const f = attrS(n, 'data_format');
    if (f !== undefined && f !== 'NHWC') throw new DataError(fn, `node '${n.name}' (${n.op}) uses data_format ${f}; only NHWC is supported`);
  };
  /** Activation of a fused op's `fused_ops` after BiasAdd. */
  const fusedActivation = (n: TfNode, ins: string[]): { bias?: string; activation: Activation } => {
    const ops = attrStrings(n, 'fused_ops');
    let k = 0;
    let bias: string | undefined;
    if (ops[0] === 'BiasAdd') {
      bias = useWeight(ins[2]);
      k = 1;
    } else if (ins.length > 2) {
      // A third operand with no BiasAdd to use it: dropping it would change the outputs silently.
      throw new DataError(fn, `node '${n.name}' (${n.op}) reads ${ins.length} inputs but fuses ${ops.length === 0 ? 'nothing' : ops.join(' + ')}; expected BiasAdd first`);
    } else if (ops.length > 0) {
      throw new DataError(fn, `node '${n.name}' (${n.op}) fuses ${ops.join(' + ')}, which is not supported`);
    }
    const a = ops[k];
    let activation: Activation = { kind: 'linear' };
    if (a === undefined) activation = { kind: 'linear' };
    else if (a === 'Relu') activation = { kind: 'relu' };
    else if (a === 'Relu6') activation = { kind: 'relu6' };
    else if (a === 'Elu') activation = { kind: 'elu' };
    else if (a === 'Sigmoid') activation = { kind: 'sigmoid' };
    else if (a === 'LeakyRelu') activation = { kind: 'leakyRelu', alpha: attrF(n, 'leakyrelu_alpha') ?? 0.2 };
    else if (a === 'Prelu') activation = { kind: 'prelu', alphaWeight: useWeight(ins[3]) };
    else throw new DataError(fn, `node '${n.name}' (${n.op}) fuses activation ${a}, which is not supported`);
    if (ops.length > k + 1) throw new DataError(fn, `node '${n.name}' (${n.op}) fuses ${ops.join(' + ')}, which is not supported`);
    return { bias, activation };
  };

  for (const n of topo.node) {
    const ins = data(n);
    switch (n.op) {
      case 'Const': {
        const w = weightsByName.get(n.name);
        if (!w) throw new DataError(fn, `constant '${n.name}' has no entry in the weights manifest`);
        consts.set(n.name, w);
        break;
      }
      case 'Placeholder': {
        const dims = n.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
        let shape = dims ?? [];
        if (options.inputShape) {
          if (dims && (dims.length !== options.inputShape.length || dims.some((d, i) => d >= 0 && i > 0 && d !== options.inputShape![i]))) {
            throw new DataError(fn, `inputShape [${options.inputShape.join(', ')}] does not fit placeholder '${n.name}' [${shape.join(', ')}]`);
          }
          shape = [-1, ...options.inputShape.slice(1)];
        } else if (shape.length > 0) {
          // Unknown spatial sizes (−1) take inputSize when given.
          shape = [-1, ...shape.slice(1).map((d, i) => (d < 0 && options.inputSize && shape.length === 4 && i < 2 ? options.inputSize : d))];
        }
        inputs.push({ name: n.name, shape });
        break;
      }
      case 'Identity': case 'StopGradient': case 'NoOp':
        if (ins.length > 0) alias.set(n.name, ins[0]);
        break;
      case 'Conv2D': case '_FusedConv2D': {
        checkNhwc(n);
        const fa = n.op === '_FusedConv2D' ? fusedActivation(n, ins) : { activation: { kind: 'linear' } as Activation };
        nodes.push({ op: 'conv2d', name: n.name, inputs: [ins[0]], kernel: useWeight(constOf(n, ins[1], 'filter') && ins[1]), ...fa, strides: hw(n, 'strides'), dilations: hw(n, 'dilations'), padding: windowPadding(n) });
        break;
      }
      case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2dNative': {
        checkNhwc(n);
        const fa = n.op === 'FusedDepthwiseConv2dNative' ? fusedActivation(n, ins) : { activation: { kind: 'linear' } as Activation };
        nodes.push({ op: 'depthwise', name: n.name, inputs: [ins[0]], kernel: useWeight(constOf(n, ins[1], 'filter') && ins[1]), ...fa, strides: hw(n, 'strides'), dilations: hw(n, 'dilations'), padding: windowPadding(n) });
        break;
      }
      case 'MatMul': case '_FusedMatMul': {
        if (attrB(n, 'transpose_a') || attrB(n, 'transpose_b')) throw new DataError(fn, `node '${n.name}' (${n.op}) transposes an operand, which is not supported`);
        constOf(n, ins[1], 'weight matrix');
        const fa = n.op === '_FusedMatMul' ? fusedActivation(n, ins) : { activation: { kind: 'linear' } as Activation };
        nodes.push({ op: 'dense', name: n.name, inputs: [ins[0]], kernel: useWeight(ins[1]), ...fa });
        break;
      }
      case 'FusedBatchNorm': case 'FusedBatchNormV3': {
        for (let k = 1; k < 5; k++) constOf(n, ins[k], 'batch-norm parameter');
        nodes.push({ op: 'batchNorm', name: n.name, inputs: [ins[0]], scale: useWeight(ins[1]), offset: useWeight(ins[2]), mean: useWeight(ins[3]), variance: useWeight(ins[4]), epsilon: attrF(n, 'epsilon') ?? 1e-3 });
        break;
      }
      case 'BiasAdd': case 'Add': case 'AddV2': case 'Mul': case 'AddN': {
        const mul = n.op === 'Mul';
        const cIns = ins.filter(isConst);
        const tIns = ins.filter((i) => !isConst(i));
        if (cIns.length === 1 && tIns.length === 1) {
          nodes.push({ op: mul ? 'mulConst' : 'addConst', name: n.name, inputs: tIns, weight: useWeight(cIns[0]) });
        } else if (cIns.length === 0 && tIns.length >= 2) {
          nodes.push({ op: mul ? 'mul' : 'add', name: n.name, inputs: tIns });
        } else {
          throw new DataError(fn, `node '${n.name}' (${n.op}) combines ${tIns.length} tensors and ${cIns.length} constants, which is not supported`);
        }
        break;
      }
      case 'Relu': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'relu' } }); break;
      case 'Relu6': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'relu6' } }); break;
      case 'Elu': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'elu' } }); break;
      case 'Sigmoid': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'sigmoid' } }); break;
      case 'Tanh': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'tanh' } }); break;
      case 'LeakyRelu': nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'leakyRelu', alpha: attrF(n, 'alpha') ?? 0.2 } }); break;
      case 'Prelu':
        constOf(n, ins[1], 'slope');
        nodes.push({ op: 'activation', name: n.name, inputs: [ins[0]], activation: { kind: 'prelu', alphaWeight: useWeight(ins[1]) } });
        break;
      case 'Softmax': nodes.push({ op: 'softmax', name: n.name, inputs: [ins[0]] }); break;
      case 'MaxPool': case 'AvgPool':
        checkNhwc(n);
        nodes.push({ op: n.op === 'MaxPool' ? 'maxPool' : 'avgPool', name: n.name, inputs: [ins[0]], size: hw(n, 'ksize'), strides: hw(n, 'strides'), padding: windowPadding(n) });
        break;
      case 'Mean': {
        const axes = [...constOf(n, ins[1], 'axes').data].map(Number).sort();
        if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) throw new DataError(fn, `node '${n.name}' (Mean) reduces axes [${axes.join(', ')}]; only the spatial mean over [1, 2] is supported`);
        nodes.push({ op: 'globalAvgPool', name: n.name, inputs: [ins[0]], keepDims: attrB(n, 'keep_dims') ?? false });
        break;
      }
      case 'Pad': case 'PadV2': {
        const p = [...constOf(n, ins[1], 'paddings').data];
        const paddings: [number, number][] = [];
        for (let k = 0; k < p.length; k += 2) paddings.push([p[k], p[k + 1]]);
        const value = n.op === 'PadV2' ? constOf(n, ins[2], 'pad value').data[0] : 0;
        nodes.push({ op: 'pad', name: n.name, inputs: [ins[0]], paddings, value });
        break;
      }
      case 'Reshape':
        nodes.push({ op: 'reshape', name: n.name, inputs: [ins[0]], shape: [...constOf(n, ins[1], 'shape').data] });
        break;
      case 'ConcatV2': {
        const axisName = ins[ins.length - 1];
        nodes.push({ op: 'concat', name: n.name, inputs: ins.slice(0, -1), axis: constOf(n, axisName, 'axis').data[0] });
        break;
      }
      default:
        throw new DataError(fn, `node '${n.name}' uses op ${n.op}, which groupsparse cannot represent`);
    }
  }
  // Outputs: the signature's when present, else the sinks (nodes nothing reads).
  const meta = json.userDefinedMetadata as { signature?: { outputs?: Record<string, { name: string }> } } | undefined;
  const sig = (json.signature as typeof meta extends undefined ? never : { outputs?: Record<string, { name: string }> }) ?? meta?.signature;
  let outputNames: string[];
  if (sig?.outputs) {
    outputNames = Object.values(sig.outputs).map((o) => o.name.replace(/:0$/, ''));
  } else {
    const read = new Set<string>();
    for (const n of topo.node) for (const i of n.input ?? []) read.add(ref(fn, n.name, i));
    outputNames = topo.node.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && !read.has(n.name)).map((n) => n.name);
  }
  const outputs = outputNames.map((o) => {
    let r = o;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  });
  if (inputs.length === 0) throw new DataError(fn, 'the graph has no Placeholder input');
  // Validated as read, before batchReshapes runs it for shapes: a corrupted file must be refused
  // before any kernel sees it. Making batch axes free changes no node validation looks at.
  validateGraph(fn, { inputs, outputs, nodes, weights, source: { kind: 'tfjs-graph' } });
  const g: Graph = {
    inputs, outputs, nodes: batchReshapes(inputs, outputs, nodes, weights), weights,
    source: { kind: 'tfjs-graph', details: { outputNames, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, userDefinedMetadata: json.userDefinedMetadata, signature: json.signature, versions: topo.versions } },
  };
  return g;
}

/**
 * Converters write the batch size of the traced model into reshape targets ([1, 512, 1] in
 * BlazeFace, [1, 1404] in facemesh), which pins a model that is otherwise batch-agnostic to batch 1.
 * A target whose leading 1 is the input's batch axis — no other inferred axis, and the trailing
 * dimensions hold exactly one sample of the input (checked on the shapes at batch 1) — gets −1
 * there, the IR's batch axis; at batch 1 nothing changes, and every other reshape is left as read.
 */
function batchReshapes(inputs: readonly GraphInput[], outputs: readonly string[], nodes: IrNode[], weights: ReadonlyMap<string, Weight>): IrNode[] {
  const candidates = nodes.filter((n) => n.op === 'reshape' && n.shape.length >= 2 && n.shape[0] === 1 && n.shape.slice(1).every((d) => d > 0));
  if (candidates.length === 0 || !inputs.every((i) => i.shape.length > 0 && i.shape.slice(1).every((d) => d > 0))) return nodes;
  let shapes: Map<string, number[]>;
  try {
    shapes = inferShapes({ inputs, outputs, nodes, weights, source: { kind: 'tfjs-graph' } });
  } catch {
    return nodes; // the graph does not run as read; validation and the runner report why
  }
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  return nodes.map((n) => {
    if (n.op !== 'reshape' || !candidates.includes(n)) return n;
    const si = shapes.get(n.inputs[0]);
    if (!si || si[0] !== 1 || size(si.slice(1)) !== size(n.shape.slice(1))) return n;
    return { ...n, shape: [-1, ...n.shape.slice(1)] };
  });
}

/** Weights of a manifest as float32 IR weights. */
export function manifestWeights(fn: string, manifest: unknown, shards: readonly (readonly Uint8Array[])[]): Map<string, Weight> {
  const m = parseWeightsManifest(manifest, shards);
  const out = new Map<string, Weight>();
  for (const [k, t] of m) out.set(k, { shape: t.shape, data: Float32Array.from(t.data) });
  void fn;
  return out;
}

/** Read a tfjs graph model folder's `model.json` (and its shards, next to it). */
export function readTfjsGraphModel(path: string, options: TfjsGraphImportOptions = {}): Graph {
  const fn = 'readTfjsGraphModel';
  checkOptions(fn, options, ['inputShape', 'inputSize']);
  checkInputOptions(fn, options);
  const json = readModelJson(fn, path);
  const shards = readShards(fn, path, json.weightsManifest);
  return graphFromTfjsGraphModel(json, manifestWeights(fn, json.weightsManifest, shards), options);
}

// ---------------------------------------------------------------- export

const sAttr = (s: string): TfAttr => ({ s: encodeS(s) });
const iList = (v: readonly number[]): TfAttr => ({ list: { i: v.map(String) } });
const dtFloat: TfAttr = { type: 'DT_FLOAT' };

function constNode(name: string, w: Weight, dtype: 'DT_FLOAT' | 'DT_INT32' = 'DT_FLOAT'): TfNode {
  return {
    name, op: 'Const',
    attr: { value: { tensor: { dtype, tensorShape: { dim: w.shape.map((d) => ({ size: String(d) })) } } }, dtype: { type: dtype } },
  };
}

function paddingAttrs(p: Padding): Record<string, TfAttr> {
  if (p === 'same') return { padding: sAttr('SAME'), explicit_paddings: { list: {} } };
  if (p === 'valid') return { padding: sAttr('VALID'), explicit_paddings: { list: {} } };
  return { padding: sAttr('EXPLICIT'), explicit_paddings: iList([0, 0, p[0][0], p[0][1], p[1][0], p[1][1], 0, 0]) };
}

const TF_ACT: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyRelu: 'LeakyRelu', prelu: 'Prelu', tanh: 'Tanh' };

/**
 * The GraphDef JSON and weight list of `g` (float32 for float weights, int32 for shape-like
 * constants the exporter creates).
 */
export function tfjsGraphModelJson(g: Graph): { json: ModelJson; weights: { name: string; w: Weight; dtype: 'float32' | 'int32' }[] } {
  checkGraph('tfjsGraphModelJson', g);
  const nodes: TfNode[] = [];
  const weights: { name: string; w: Weight; dtype: 'float32' | 'int32' }[] = [];
  const emitted = new Set<string>();
  const cst = (name: string, w: Weight, dtype: 'float32' | 'int32' = 'float32'): string => {
    if (emitted.has(name)) return name;
    emitted.add(name);
    nodes.push(constNode(name, w, dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32'));
    weights.push({ name, w, dtype });
    return name;
  };
  const W = (name: string): string => cst(name, g.weights.get(name)!);
  const ints = (name: string, v: readonly number[], shape: readonly number[] = [v.length]): string => cst(name, { shape, data: Float32Array.from(v) }, 'int32');
  for (const i of g.inputs) {
    nodes.push({ name: i.name, op: 'Placeholder', attr: { dtype: dtFloat, shape: { shape: { dim: i.shape.map((d) => ({ size: String(d) })) } } } });
  }
  /**
   * A conv/depthwise/matmul with optional bias and activation: the fused op when tfjs can fuse it
   * (BiasAdd then one of its activations), else the plain op and separate nodes after it.
   */
  const linear = (n: { name: string; inputs: readonly string[]; kernel: string; bias?: string; activation: Activation }, plainOp: string, fusedOp: string, base: Record<string, TfAttr>): void => {
    const a = n.activation;
    const k = W(n.kernel);
    const fusable = n.bias !== undefined && a.kind !== 'tanh' && a.kind !== 'gelu';
    if (fusable) {
      const ops = ['BiasAdd'];
      const extra = [W(n.bias!)];
      if (a.kind !== 'linear') ops.push(TF_ACT[a.kind]);
      if (a.kind === 'prelu') extra.push(W(a.alphaWeight!));
      const attr: Record<string, TfAttr> = { ...base, fused_ops: { list: { s: ops.map(encodeS) } }, num_args: { i: String(extra.length) }, epsilon: { f: 0 } };
      if (a.kind === 'leakyRelu') attr.leakyrelu_alpha = { f: a.alpha ?? 0.2 };
      nodes.push({ name: n.name, op: fusedOp, input: [n.inputs[0], k, ...extra], attr });
      return;
    }
    const last = a.kind === 'linear' ? n.name : `${n.name}/linear`;
    const pre = n.bias ? `${n.name}/raw` : last;
    nodes.push({ name: pre, op: plainOp, input: [n.inputs[0], k], attr: base });
    if (n.bias) nodes.push({ name: last, op: 'BiasAdd', input: [pre, W(n.bias)], attr: { T: dtFloat, data_format: sAttr('NHWC') } });
    if (a.kind !== 'linear') activationNode(n.name, last, a);
  };
  const activationNode = (name: string, input: string, a: Activation): void => {
    if (!(a.kind in TF_ACT) && a.kind !== 'linear') throw new DataError('writeTfjsGraphModel', `node '${name}' uses activation ${a.kind}, which is not written to tfjs graph models; export to ONNX instead`);
    if (a.kind === 'linear') nodes.push({ name, op: 'Identity', input: [input], attr: { T: dtFloat } });
    else if (a.kind === 'prelu') nodes.push({ name, op: 'Prelu', input: [input, W(a.alphaWeight!)], attr: { T: dtFloat } });
    else nodes.push({ name, op: TF_ACT[a.kind], input: [input], attr: { T: dtFloat, ...(a.kind === 'leakyRelu' ? { alpha: { f: a.alpha ?? 0.2 } } : {}) } });
  };
  for (const n of g.nodes) {
    switch (n.op) {
      case 'conv2d': case 'depthwise': {
        const base = { T: dtFloat, data_format: sAttr('NHWC'), strides: iList([1, n.strides[0], n.strides[1], 1]), dilations: iList([1, n.dilations[0], n.dilations[1], 1]), ...paddingAttrs(n.padding) };
        if (n.op === 'conv2d') linear(n, 'Conv2D', '_FusedConv2D', base);
        else linear(n, 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', base);
        break;
      }
      case 'dense':
        linear(n, 'MatMul', '_FusedMatMul', { T: dtFloat, transpose_a: { b: false }, transpose_b: { b: false } });
        break;
      case 'batchNorm': {
        const C = g.weights.get(n.mean)!.data.length;
        const scale = n.scale ? W(n.scale) : cst(`${n.name}/ones`, { shape: [C], data: new Float32Array(C).fill(1) });
        const offset = n.offset ? W(n.offset) : cst(`${n.name}/zeros`, { shape: [C], data: new Float32Array(C) });
        nodes.push({ name: n.name, op: 'FusedBatchNormV3', input: [n.inputs[0], scale, offset, W(n.mean), W(n.variance)], attr: { T: dtFloat, U: dtFloat, epsilon: { f: n.epsilon }, data_format: sAttr('NHWC'), is_training: { b: false } } });
        break;
      }
      case 'addConst': nodes.push({ name: n.name, op: 'AddV2', input: [n.inputs[0], W(n.weight)], attr: { T: dtFloat } }); break;
      case 'mulConst': nodes.push({ name: n.name, op: 'Mul', input: [n.inputs[0], W(n.weight)], attr: { T: dtFloat } }); break;
      case 'add': nodes.push({ name: n.name, op: n.inputs.length === 2 ? 'AddV2' : 'AddN', input: [...n.inputs], attr: { T: dtFloat, ...(n.inputs.length > 2 ? { N: { i: String(n.inputs.length) } } : {}) } }); break;
      case 'mul': {
        if (n.inputs.length !== 2) throw new DataError('writeTfjsGraphModel', `node '${n.name}' multiplies ${n.inputs.length} tensors; only 2 are supported`);
        nodes.push({ name: n.name, op: 'Mul', input: [...n.inputs], attr: { T: dtFloat } });
        break;
      }
      case 'concat':
        nodes.push({ name: n.name, op: 'ConcatV2', input: [...n.inputs, ints(`${n.name}/axis`, [n.axis], [])], attr: { T: dtFloat, N: { i: String(n.inputs.length) }, Tidx: { type: 'DT_INT32' } } });
        break;
      case 'maxPool': case 'avgPool': {
        if (typeof n.padding !== 'string') throw new DataError('writeTfjsGraphModel', `node '${n.name}' (${n.op}) has explicit padding, which tfjs pooling cannot read`);
        nodes.push({ name: n.name, op: n.op === 'maxPool' ? 'MaxPool' : 'AvgPool', input: [n.inputs[0]], attr: { T: dtFloat, data_format: sAttr('NHWC'), ksize: iList([1, n.size[0], n.size[1], 1]), strides: iList([1, n.strides[0], n.strides[1], 1]), padding: sAttr(n.padding.toUpperCase()) } });
        break;
      }
      case 'globalAvgPool':
        nodes.push({ name: n.name, op: 'Mean', input: [n.inputs[0], ints(`${n.name}/axes`, [1, 2])], attr: { T: dtFloat, Tidx: { type: 'DT_INT32' }, keep_dims: { b: n.keepDims } } });
        break;
      case 'pad': {
        const flat = n.paddings.flatMap((p) => [p[0], p[1]]);
        if (n.value === 0) nodes.push({ name: n.name, op: 'Pad', input: [n.inputs[0], ints(`${n.name}/paddings`, flat, [n.paddings.length, 2])], attr: { T: dtFloat, Tpaddings: { type: 'DT_INT32' } } });
        else nodes.push({ name: n.name, op: 'PadV2', input: [n.inputs[0], ints(`${n.name}/paddings`, flat, [n.paddings.length, 2]), cst(`${n.name}/value`, { shape: [], data: Float32Array.of(n.value) })], attr: { T: dtFloat, Tpaddings: { type: 'DT_INT32' } } });
        break;
      }
      case 'reshape':
        nodes.push({ name: n.name, op: 'Reshape', input: [n.inputs[0], ints(`${n.name}/shape`, n.shape)], attr: { T: dtFloat, Tshape: { type: 'DT_INT32' } } });
        break;
      case 'activation': activationNode(n.name, n.inputs[0], n.activation); break;
      case 'softmax': nodes.push({ name: n.name, op: 'Softmax', input: [n.inputs[0]], attr: { T: dtFloat } }); break;
      default: throw new DataError('writeTfjsGraphModel', `node '${n.name}' (${n.op}) is not written to tfjs graph models; export to ONNX instead`);
    }
  }
  // Output names as the source had them (Identity nodes), so callers keep addressing them.
  const d = g.source.kind === 'tfjs-graph' ? g.source.details ?? {} : {};
  const outputNames = (d.outputNames as string[] | undefined) ?? g.outputs;
  g.outputs.forEach((o, k) => {
    const name = outputNames[k] ?? o;
    if (name !== o) nodes.push({ name, op: 'Identity', input: [o], attr: { T: dtFloat } });
  });
  const json: ModelJson = {
    format: 'graph-model',
    generatedBy: (d.generatedBy as string | undefined) ?? 'groupsparse',
    convertedBy: 'groupsparse',
    modelTopology: { node: nodes, library: {}, versions: d.versions ?? {} },
    weightsManifest: [],
  };
  if (d.userDefinedMetadata !== undefined) json.userDefinedMetadata = d.userDefinedMetadata;
  if (d.signature !== undefined) json.signature = d.signature;
  return { json, weights };
}

/**
 * Write `g` as a tfjs graph model: `dir/model.json` + `dir/group1-shard1of1.bin`, both written to
 * temporary files first and renamed into place only when complete.
 */
export function writeTfjsGraphModel(g: Graph, dir: string): { files: string[] } {
  checkGraph('writeTfjsGraphModel', g);
  checkString('writeTfjsGraphModel', 'dir', dir);
  const { json, weights } = tfjsGraphModelJson(g);
  const { manifest, bytes } = encodeWeights(weights, 'group1-shard1of1.bin');
  json.weightsManifest = manifest;
  return writeFilesAtomically('writeTfjsGraphModel', dir, [
    { name: 'group1-shard1of1.bin', data: bytes },
    { name: 'model.json', data: new TextEncoder().encode(JSON.stringify(json)) },
  ]);
}
