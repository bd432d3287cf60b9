import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { DataError } from '../../errors.ts';
import type { Activation, Graph, IrNode, Padding, Weight } from '../ir/graph.ts';
import { validateGraph } from '../ir/graph.ts';
import { inferShapes } from '../ir/execute.ts';
import { permuteWeight } from './onnx.ts';
import { matchOnnxAttention, type AttentionMatch } from './onnx-attention.ts';
import { matchOnnxFused, type FusedMatch } from './onnx-fused.ts';
import { checkAttention } from '../ir/attention.ts';
import { checkBytes, checkInputOptions } from '../check.ts';
import { checkOptions } from '../../util/validate.ts';

// onnx-proto is CommonJS: its named export is reachable through the default import only.
const { onnx } = onnxProto;

/**
 * ONNX (`ModelProto`) → IR. The layout conversion happens here once, as in the writer
 * (`onnx.ts`): 4-d activations NCHW → NHWC, Conv weights OIHW → HWIO, a Conv with
 * `group = C` and one input channel per group → depthwise `[kh, kw, C, m]`, Gemm/MatMul B → dense
 * `[in, out]`, per-channel constants `[C, 1, 1]` → `[C]`.
 *
 * Every ONNX tensor is tracked with its rank and whether its IR twin holds the same elements in
 * the same order ('plain') or is the NHWC form of an NCHW tensor ('nchw'). Ops that care about the
 * order (Conv, pooling, Concat's axis, Flatten, Reshape) read that; a Transpose between the two
 * orders (`[0, 2, 3, 1]` / `[0, 3, 1, 2]`) becomes a change of tag, not a node. Anything outside
 * the supported set is refused naming the op and the node — never imported approximately.
 */

/**
 * 'plain': same elements in the same order as ONNX's tensor; 'nchw': the NHWC form of an ONNX NCHW
 * tensor; 'chw-flat': an N×C×H×W tensor flattened to N × CHW, whose IR twin is the NHWC flatten
 * (order h, w, c) — a following Gemm/MatMul takes it by permuting the rows of its B.
 */
type Layout = 'nchw' | 'plain' | 'chw-flat';

interface Tracked {
  /** IR tensor name. */
  readonly ir: string;
  readonly rank: number;
  readonly layout: Layout;
  /** 'chw-flat': the C, H, W that were flattened. */
  readonly chw?: readonly [number, number, number];
}

export interface OnnxImportOptions {
  /** NHWC input shape when the model's input has symbolic spatial dimensions, e.g. [1, 224, 224, 3]. */
  readonly inputShape?: readonly number[];
}

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

const num = (v: number | { toNumber(): number } | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Float32 data of an initializer or Constant tensor (float, double, int32/int64 accepted). */
function tensorData(fn: string, t: O.ITensorProto): Weight {
  const shape = (t.dims ?? []).map(num);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new DataError(fn, `tensor '${t.name}' has shape [${shape.join(', ')}]; expected whole numbers ≥ 0`);
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const out = new Float32Array(n);
  const type = t.dataType ?? T.UNDEFINED;
  const width = type === T.FLOAT || type === T.INT32 ? 4 : type === T.DOUBLE || type === T.INT64 ? 8 : 0;
  if (width === 0) throw new DataError(fn, `tensor '${t.name}' has data type ${onnx.TensorProto.DataType[type] ?? type}, which is not read (float, double, int32, int64 are)`);
  if (view) {
    if (raw!.length !== n * width) throw new DataError(fn, `tensor '${t.name}' holds ${raw!.length} bytes, its shape [${shape.join(', ')}] needs ${n * width}`);
    for (let i = 0; i < n; i++) {
      out[i] = type === T.FLOAT ? view.getFloat32(4 * i, true) : type === T.DOUBLE ? view.getFloat64(8 * i, true)
        : type === T.INT32 ? view.getInt32(4 * i, true) : Number(view.getBigInt64(8 * i, true));
    }
  } else {
    const src: ArrayLike<number | { toNumber(): number }> = type === T.FLOAT ? t.floatData ?? [] : type === T.DOUBLE ? t.doubleData ?? []
      : type === T.INT32 ? t.int32Data ?? [] : t.int64Data ?? [];
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new DataError(fn, `tensor '${t.name}' is stored in an external file, which is not read`);
    if (src.length !== n) throw new DataError(fn, `tensor '${t.name}' holds ${src.length} values, its shape [${shape.join(', ')}] needs ${n}`);
    for (let i = 0; i < n; i++) out[i] = num(src[i]);
  }
  return { shape, data: out };
}

/** Graph of an ONNX `ModelProto` given as bytes; `label` names it in errors. */
export function graphFromOnnx(bytes: Uint8Array, label = 'model.onnx', options: OnnxImportOptions = {}): Graph {
  checkBytes('graphFromOnnx', 'bytes', bytes);
  checkOptions('graphFromOnnx', options, ['inputShape']);
  checkInputOptions('graphFromOnnx', options);
  const fn = 'readOnnx';
  let model: O.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DataError(fn, `${label} is not an ONNX ModelProto: ${(e as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw new DataError(fn, `${label} holds no graph`);
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opsetVersion = num(opset?.version ?? 13);

  // Names are the graph's wiring: a repeated or empty one would silently rewire it (the later
  // definition wins), and a graph without outputs computes nothing. Checked before any work.
  const unique = (what: string, names: readonly (string | null | undefined)[]): void => {
    const seen = new Set<string>();
    for (const nm of names) {
      if (!nm) throw new DataError(fn, `${label} has ${what} without a name`);
      if (seen.has(nm)) throw new DataError(fn, `${label} has two ${what}s named '${nm}'`);
      seen.add(nm);
    }
  };
  unique('graph input', (graph.input ?? []).map((v) => v.name));
  unique('graph output', (graph.output ?? []).map((v) => v.name));
  unique('initializer', (graph.initializer ?? []).map((t) => t.name));
  if ((graph.output ?? []).length === 0) throw new DataError(fn, `${label} declares no graph output`);

  const consts = new Map<string, Weight>();
  for (const t of graph.initializer ?? []) consts.set(t.name!, tensorData(fn, t));
  const weights = new Map<string, Weight>();
  const nodes: IrNode[] = [];
  const env = new Map<string, Tracked>();
  const derived = new Map<string, string>();
  /** An IR weight made from constant `name` by `make` (made once per name and kind). */
  const weight = (name: string, kind: string, make: (w: Weight) => Weight): string => {
    const key = `${name}\u0000${kind}`;
    const have = derived.get(key);
    if (have) return have;
    let irName = kind === '' ? name : `${name}/${kind}`;
    while (weights.has(irName)) irName += '_';
    weights.set(irName, make(consts.get(name)!));
    derived.set(key, irName);
    return irName;
  };

  // Inputs (an input that is also an initializer is a constant, as older exporters wrote them).
  const inputs: { name: string; shape: number[] }[] = [];
  for (const vi of graph.input ?? []) {
    if (consts.has(vi.name!)) continue;
    const dims = vi.type?.tensorType?.shape?.dim ?? [];
    const s = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : -1));
    let shape: number[];
    if (s.length === 4) {
      shape = [s[0], s[2], s[3], s[1]];
      if (options.inputShape) {
        if (options.inputShape.length !== 4) throw new DataError(fn, `inputShape must have 4 entries (NHWC), got [${options.inputShape.join(', ')}]`);
        shape = shape.map((d, i) => (i > 0 && d < 0 ? options.inputShape![i] : d));
      }
      if (shape.slice(1).some((d) => d < 0)) throw new DataError(fn, `input '${vi.name}' of ${label} has unknown dimensions [${s.join(', ')}] (NCHW): give inputShape`);
    } else shape = s.map((d, i) => (i > 0 && d < 0 ? NaN : d));
    if (shape.some((d) => Number.isNaN(d))) throw new DataError(fn, `input '${vi.name}' of ${label} has an unknown non-batch dimension`);
    shape[0] = -1;
    inputs.push({ name: vi.name!, shape });
    env.set(vi.name!, { ir: vi.name!, rank: s.length, layout: s.length === 4 ? 'nchw' : 'plain' });
  }
  if (inputs.length === 0) throw new DataError(fn, `${label} has no non-constant input`);

  /** Shape of IR tensor `ir` (NHWC for 4-d), by running the graph built so far. */
  const irShape = (ir: string): number[] => {
    const g: Graph = { inputs, outputs: [ir], nodes, weights, source: { kind: 'onnx' } };
    return inferShapes(g).get(ir)!;
  };

  // Multi-head attention blocks, found before the node-by-node import (they span many nodes).
  const constantNodes = new Map<string, O.ITensorProto>();
  for (const nd of graph.node ?? []) {
    const v = (nd.attribute ?? []).find((a) => a.name === 'value')?.t;
    if (nd.opType === 'Constant' && v && nd.output?.[0]) constantNodes.set(nd.output[0], v);
  }
  const lookup = (name: string): Weight | undefined => {
    if (consts.has(name)) return consts.get(name);
    const t = constantNodes.get(name);
    return t ? tensorData(fn, { ...t, name }) : undefined;
  };
  const blocks = matchOnnxAttention(fn, label, graph.node ?? [], lookup, new Set((graph.output ?? []).map((o) => o.name!)), opsetVersion);
  const blockAt = new Map<number, AttentionMatch>(blocks.map((b) => [b.anchor, b]));
  const inBlock = new Set(blocks.flatMap((b) => [...b.nodes]));
  // GELU and layer norm spelled out in primitive ops (exports before opsets 20 / 17).
  const fused = matchOnnxFused(graph.node ?? [], lookup, new Set((graph.output ?? []).map((o) => o.name!)), opsetVersion).filter((f) => ![...f.nodes].some((k) => inBlock.has(k)));
  const fusedAt = new Map<number, FusedMatch>(fused.map((f) => [f.anchor, f]));
  for (const f of fused) for (const k of f.nodes) inBlock.add(k);

  for (const [k, nd] of (graph.node ?? []).entries()) {
    if (inBlock.has(k) && !blockAt.has(k) && !fusedAt.has(k)) continue;
    const op = nd.opType ?? '';
    const name = nd.name || nd.output?.[0] || `node${k}`;
    const where = `node '${name}' (${op})`;
    if (nd.domain && nd.domain !== 'ai.onnx') throw new DataError(fn, `${where} is in operator domain '${nd.domain}', which is not supported`);
    const attr = new Map((nd.attribute ?? []).map((a) => [a.name!, a]));
    const ints = (n: string, dflt: number[]): number[] => (attr.get(n)?.ints ?? dflt).map(num);
    /** A per-axis attribute of a 2-d window op: exactly two entries (a 1-d or 3-d window is not read). */
    const pair = (n: string): number[] => {
      const v = ints(n, [1, 1]);
      if (v.length !== 2) refuse(`${n} [${v.join(', ')}] is not 2-d`);
      return v;
    };
    const int = (n: string, dflt: number): number => (attr.has(n) ? num(attr.get(n)!.i) : dflt);
    const float = (n: string, dflt: number): number => (attr.has(n) ? attr.get(n)!.f ?? dflt : dflt);
    const str = (n: string, dflt: string): string => (attr.has(n) ? new TextDecoder().decode(attr.get(n)!.s ?? new Uint8Array()) : dflt);
    const ins = (nd.input ?? []);
    const out = nd.output?.[0];
    if (!out) throw new DataError(fn, `${where} has no output`);
    const usedOutputs = (nd.output ?? []).slice(1).filter((o) => o !== '');
    const refuse = (why: string): never => {
      throw new DataError(fn, `${where} of ${label}: ${why}`);
    };
    const isConst = (i: string | undefined): boolean => i !== undefined && i !== '' && consts.has(i);
    const need = (i: string | undefined): Tracked => {
      const t = i === undefined ? undefined : env.get(i);
      if (!t) refuse(isConst(i) ? `input '${i}' is a constant where a computed tensor is expected` : `reads '${i}', which no earlier node or input defines`);
      return t!;
    };
    const constant = (i: string | undefined, what: string): Weight => {
      if (!isConst(i)) refuse(`its ${what} must be a constant (initializer or Constant node)`);
      return consts.get(i!)!;
    };
    const emit = (node: IrNode, rank: number, layout: Layout, chw?: readonly [number, number, number]): void => {
      nodes.push(node);
      env.set(out, { ir: node.name, rank, layout, chw });
    };
    /** Ops whose meaning depends on the element order cannot take a flattened NCHW tensor. */
    const ordered = (x: Tracked): Tracked => {
      if (x.layout === 'chw-flat') refuse(`reads '${x.ir}', a flattened N×C×H×W tensor, which only Gemm/MatMul and element-wise activations may follow`);
      return x;
    };
    const alias = (t: Tracked): void => void env.set(out, t);
    const spatial = (x: Tracked): void => {
      if (x.rank !== 4 || x.layout !== 'nchw') refuse(`reads '${x.ir}', which is not an N×C×H×W tensor`);
    };
    const windowPadding = (kh: number, kw: number): Padding => {
      const auto = str('auto_pad', 'NOTSET');
      if (auto === 'VALID') return 'valid';
      if (auto === 'SAME_UPPER') return 'same';
      if (auto === 'SAME_LOWER') refuse('auto_pad SAME_LOWER is not supported');
      if (auto !== 'NOTSET') refuse(`auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, VALID`);
      const p = ints('pads', [0, 0, 0, 0]);
      void kh; void kw;
      if (p.length !== 4) refuse(`pads [${p.join(', ')}] is not 2-d`);
      if (p.every((v) => v === 0)) return 'valid';
      return [[p[0], p[2]], [p[1], p[3]]];
    };
    /** A per-channel or scalar constant as the IR holds it for a tensor `x`. */
    const broadcastConst = (c: string, x: Tracked, kind: string, transform: (v: number) => number): string => {
      const w = consts.get(c)!;
      const s = w.shape;
      const lead = s.length;
      let target: readonly number[];
      if (w.data.length === 1) target = [];
      else if (x.layout === 'nchw' && x.rank === 4) {
        // [C, 1, 1] or [1, C, 1, 1]: per channel.
        const trail = s.slice(-3);
        if (lead < 3 || lead > 4 || (lead === 4 && s[0] !== 1) || trail[1] !== 1 || trail[2] !== 1) refuse(`constant '${c}' of shape [${s.join(', ')}] is not per channel`);
        target = [trail[0]];
      } else {
        if (lead > x.rank) refuse(`constant '${c}' of shape [${s.join(', ')}] has more axes than its operand`);
        target = s;
      }
      return weight(c, `${kind}${target.length}`, (v) => ({ shape: target, data: v.data.map(transform) }));
    };
    const activationNode = (a: Activation, xi: string | undefined): void => {
      const x = need(xi);
      emit({ op: 'activation', name: out, inputs: [x.ir], activation: a }, x.rank, x.layout, x.chw);
    };

    const block = blockAt.get(k);
    if (block) {
      const x = need(block.input);
      if (x.rank !== 3 || x.layout !== 'plain') refuse(`multi-head attention reads '${block.input}', which is not a [batch, positions, features] tensor`);
      const flat = (c: string | undefined): string | undefined => (c === undefined ? undefined : weight(c, 'vec', (v) => ({ shape: [v.data.length], data: v.data })));
      const mat = (c: string): string => weight(c, '', (v) => v);
      const node = {
        op: 'attention', name: out, inputs: [x.ir], heads: block.heads, headDim: block.headDim, valueDim: block.valueDim, scale: block.scale,
        wq: mat(block.wq), wk: mat(block.wk), wv: mat(block.wv), wo: mat(block.wo), bq: flat(block.bq), bk: flat(block.bk), bv: flat(block.bv), bo: flat(block.bo),
      } as const;
      checkAttention(fn, { weights }, node);
      emit(node, 3, 'plain');
      continue;
    }
    const f = fusedAt.get(k);
    if (f?.kind === 'gelu') {
      activationNode({ kind: 'gelu' }, f.input);
      continue;
    }
    if (f?.kind === 'layerNorm') {
      const x = ordered(need(f.input));
      if (x.layout === 'nchw' && x.rank === 4) refuse('normalizing an N×C×H×W tensor over its last axis is not supported');
      const C = irShape(x.ir).at(-1)!;
      const vec = (c: string | undefined, what: string): string | undefined => {
        if (c === undefined) return undefined;
        const w = lookup(c)!;
        if (w.data.length !== C && w.data.length !== 1) refuse(`the layer norm's ${what} '${c}' has ${w.data.length} entries for ${C} features`);
        return weight(c, 'vec', () => ({ shape: [C], data: w.data.length === C ? w.data : new Float32Array(C).fill(w.data[0]) }));
      };
      emit({ op: 'layerNorm', name: out, inputs: [x.ir], scale: vec(f.scale, 'scale'), offset: vec(f.offset, 'offset'), epsilon: f.epsilon! }, x.rank, x.layout);
      continue;
    }
    switch (op) {
      case 'Constant': {
        const v = attr.get('value');
        if (!v?.t) refuse('only a tensor-valued Constant (attribute value) is supported');
        consts.set(out, tensorData(fn, { ...v!.t!, name: out }));
        break;
      }
      case 'Identity': case 'Dropout':
        if (isConst(ins[0])) consts.set(out, consts.get(ins[0])!);
        else alias(need(ins[0]));
        if (usedOutputs.length > 0) refuse('its mask output is not supported');
        break;
      case 'Conv': {
        const x = need(ins[0]);
        spatial(x);
        const wt = constant(ins[1], 'weight');
        if (wt.shape.length !== 4) refuse(`weight '${ins[1]}' has rank ${wt.shape.length}; only 2-d convolutions are supported`);
        const [O, I, kh, kw] = wt.shape;
        const group = int('group', 1);
        const strides = pair('strides');
        const dil = pair('dilations');
        const ks = ints('kernel_shape', [kh, kw]);
        if (ks[0] !== kh || ks[1] !== kw) refuse(`kernel_shape [${ks.join(', ')}] disagrees with the weight's [${kh}, ${kw}]`);
        const common = {
          name: out, inputs: [x.ir], strides: [strides[0], strides[1]] as [number, number], dilations: [dil[0], dil[1]] as [number, number],
          padding: windowPadding(kh, kw), activation: { kind: 'linear' } as Activation,
          bias: ins[2] ? weight(ins[2], '', () => constant(ins[2], 'bias')) : undefined,
        };
        if (group === 1) {
          emit({ op: 'conv2d', ...common, kernel: weight(ins[1], 'hwio', (v) => permuteWeight(v, [2, 3, 1, 0])) }, 4, 'nchw');
        } else if (I === 1 && O % group === 0) {
          const m = O / group;
          // [C·m, 1, kh, kw] is [C, m, kh, kw] in memory; tfjs wants [kh, kw, C, m].
          emit({ op: 'depthwise', ...common, kernel: weight(ins[1], 'dw', (v) => permuteWeight({ shape: [group, m, kh, kw], data: v.data }, [2, 3, 0, 1])) }, 4, 'nchw');
        } else refuse(`a grouped convolution with ${group} groups of ${I} input channels is not supported (only group = 1 and depthwise)`);
        break;
      }
      case 'Gemm': case 'MatMul': {
        const x = need(ins[0]);
        // MatMul of a [batch, positions, features] tensor by a 2-d constant: dense per position.
        const perPosition = op === 'MatMul' && x.rank === 3 && x.layout === 'plain';
        if (x.rank !== 2 && !perPosition) refuse(`reads a rank-${x.rank} tensor; only 2-d ${op}${op === 'MatMul' ? ' and [batch, positions, features] × 2-d' : ''} is supported`);
        const b = constant(ins[1], 'B');
        if (b.shape.length !== 2) refuse(`B '${ins[1]}' has rank ${b.shape.length}`);
        const alpha = op === 'Gemm' ? float('alpha', 1) : 1;
        const beta = op === 'Gemm' ? float('beta', 1) : 1;
        if (op === 'Gemm' && int('transA', 0) !== 0) refuse('transA = 1 is not supported');
        const transB = op === 'Gemm' && int('transB', 0) !== 0;
        const chw = x.layout === 'chw-flat' ? x.chw! : undefined;
        const kernel = weight(ins[1], `dense${transB ? 'T' : ''}${alpha}${chw ? `chw${chw.join('x')}` : ''}`, (v) => {
          let k = transB ? permuteWeight(v, [1, 0]) : v;
          if (chw) {
            // Rows in ONNX's (c, h, w) order → the runtime's (h, w, c) flatten order.
            const [C, H, Wd] = chw;
            if (k.shape[0] !== C * H * Wd) refuse(`B has ${k.shape[0]} rows for a flattened ${C}×${H}×${Wd} input`);
            k = permuteWeight({ shape: [C, H, Wd, k.shape[1]], data: k.data }, [1, 2, 0, 3]);
            k = { shape: [C * H * Wd, k.shape[3]], data: k.data };
          }
          return alpha === 1 ? k : { shape: k.shape, data: k.data.map((e) => e * alpha) };
        });
        const M = transB ? b.shape[0] : b.shape[1];
        let bias: string | undefined;
        if (op === 'Gemm' && ins[2]) {
          const c = constant(ins[2], 'C');
          if (c.data.length !== M || (c.shape.length === 2 && c.shape[0] !== 1)) refuse(`C '${ins[2]}' of shape [${c.shape.join(', ')}] is not one bias per output (${M})`);
          bias = weight(ins[2], `bias${beta}`, (v) => ({ shape: [M], data: v.data.map((e) => e * beta) }));
        }
        emit({ op: 'dense', name: out, inputs: [x.ir], kernel, bias, activation: { kind: 'linear' } }, x.rank, 'plain');
        break;
      }
      case 'BatchNormalization': {
        const x = ordered(need(ins[0]));
        if (usedOutputs.length > 0) refuse('training-mode outputs (running mean / variance) are not supported');
        // The channel axis is ONNX's axis 1: the IR's last axis for NCHW and for 2-d tensors only.
        if (!(x.rank === 4 && x.layout === 'nchw') && x.rank !== 2) refuse(`normalizes a rank-${x.rank} tensor whose channel axis is not the runtime's last`);
        const vec = (i: number, what: string): string => {
          const w = constant(ins[i], what);
          return weight(ins[i], 'vec', () => ({ shape: [w.data.length], data: w.data }));
        };
        emit({ op: 'batchNorm', name: out, inputs: [x.ir], scale: vec(1, 'scale'), offset: vec(2, 'B'), mean: vec(3, 'mean'), variance: vec(4, 'var'), epsilon: float('epsilon', 1e-5) }, x.rank, x.layout);
        break;
      }
      case 'Add': case 'Mul': case 'Sub': case 'Div': {
        if (ins.length !== 2) refuse(`has ${ins.length} inputs`);
        const c0 = isConst(ins[0]);
        const c1 = isConst(ins[1]);
        if (c0 && c1) refuse('both inputs are constants (fold them before import)');
        if (!c0 && !c1) {
          if (op === 'Sub' || op === 'Div') refuse('a difference or quotient of two computed tensors is not supported');
          const a = need(ins[0]);
          const b = need(ins[1]);
          if (a.rank !== b.rank || a.layout !== b.layout || String(a.chw) !== String(b.chw)) refuse('its inputs differ in rank or layout');
          emit({ op: op === 'Add' ? 'add' : 'mul', name: out, inputs: [a.ir, b.ir] }, a.rank, a.layout, a.chw);
          break;
        }
        if ((op === 'Sub' || op === 'Div') && c0) refuse('a constant minus or divided by a tensor is not supported');
        const c = c0 ? ins[0] : ins[1];
        const x0 = need(c0 ? ins[1] : ins[0]);
        // A scalar broadcasts the same in any order; anything else needs the ONNX order.
        const x = consts.get(c)!.data.length === 1 ? x0 : ordered(x0);
        const t = op === 'Sub' ? (v: number) => -v : op === 'Div' ? (v: number) => 1 / v : (v: number) => v;
        const w = broadcastConst(c, x, op === 'Sub' ? 'neg' : op === 'Div' ? 'inv' : 'c', t);
        emit({ op: op === 'Add' || op === 'Sub' ? 'addConst' : 'mulConst', name: out, inputs: [x.ir], weight: w }, x.rank, x.layout, x.chw);
        break;
      }
      case 'Concat': {
        const xs = ins.map((i) => ordered(need(i)));
        const r = xs[0].rank;
        if (xs.some((x) => x.rank !== r || x.layout !== xs[0].layout)) refuse('its inputs differ in rank or layout');
        let axis = int('axis', 1);
        if (axis < 0) axis += r;
        if (xs[0].layout === 'nchw' && r === 4) axis = [0, 3, 1, 2][axis];
        emit({ op: 'concat', name: out, inputs: xs.map((x) => x.ir), axis }, r, xs[0].layout);
        break;
      }
      case 'GlobalAveragePool': {
        const x = need(ins[0]);
        spatial(x);
        emit({ op: 'globalAvgPool', name: out, inputs: [x.ir], keepDims: true }, 4, 'nchw');
        break;
      }
      case 'ReduceMean': {
        const x = need(ins[0]);
        spatial(x);
        const axes = (opsetVersion >= 18 && ins[1] ? Array.from(constant(ins[1], 'axes').data) : ints('axes', [])).map((a) => (a < 0 ? a + 4 : a)).sort();
        if (axes.length !== 2 || axes[0] !== 2 || axes[1] !== 3) refuse(`only a mean over the spatial axes [2, 3] is supported, got [${axes.join(', ')}]`);
        const keep = int('keepdims', 1) !== 0;
        emit({ op: 'globalAvgPool', name: out, inputs: [x.ir], keepDims: keep }, keep ? 4 : 2, keep ? 'nchw' : 'plain');
        break;
      }
      case 'MaxPool': case 'AveragePool': {
        const x = need(ins[0]);
        spatial(x);
        if (usedOutputs.length > 0) refuse('its indices output is not supported');
        if (int('ceil_mode', 0) !== 0) refuse('ceil_mode = 1 is not supported');
        if (ints('dilations', [1, 1]).some((d) => d !== 1)) refuse('dilated pooling is not supported');
        const size = ints('kernel_shape', []);
        if (size.length !== 2) refuse('only 2-d pooling is supported');
        const padding = windowPadding(size[0], size[1]);
        if (op === 'AveragePool' && typeof padding !== 'string' && int('count_include_pad', 0) !== 0) refuse('count_include_pad = 1 with explicit pads is not supported');
        if (op === 'AveragePool' && typeof padding !== 'string') refuse('explicit pads on an average pool are not supported');
        const s = pair('strides');
        emit({ op: op === 'MaxPool' ? 'maxPool' : 'avgPool', name: out, inputs: [x.ir], size: [size[0], size[1]], strides: [s[0], s[1]], padding }, 4, 'nchw');
        break;
      }
      case 'Pad': {
        const x = ordered(need(ins[0]));
        if (str('mode', 'constant') !== 'constant') refuse(`pad mode '${str('mode', 'constant')}' is not supported`);
        const pads = opsetVersion >= 11 ? Array.from(constant(ins[1], 'pads').data) : ints('pads', []);
        const value = opsetVersion >= 11 ? (ins[2] ? constant(ins[2], 'constant_value').data[0] : 0) : float('value', 0);
        if (ins[3]) refuse('the axes input is not supported');
        const r = x.rank;
        if (pads.length !== 2 * r) refuse(`pads has ${pads.length} entries for a rank-${r} tensor`);
        const perAxis = Array.from({ length: r }, (_, a) => [pads[a], pads[a + r]] as [number, number]);
        const order = x.layout === 'nchw' && r === 4 ? [0, 2, 3, 1] : perAxis.map((_, a) => a);
        emit({ op: 'pad', name: out, inputs: [x.ir], paddings: order.map((a) => perAxis[a]), value }, r, x.layout);
        break;
      }
      case 'Transpose': {
        const x = need(ins[0]);
        const perm = ints('perm', []).join(',');
        if (x.rank === 4 && x.layout === 'nchw' && perm === '0,2,3,1') alias({ ...x, layout: 'plain' });
        else if (x.rank === 4 && x.layout === 'plain' && perm === '0,3,1,2') alias({ ...x, layout: 'nchw' });
        else refuse(`perm [${perm}] on a ${x.layout === 'nchw' ? 'N×C×H×W' : 'rank-' + x.rank} tensor is not supported (only NCHW ↔ NHWC)`);
        break;
      }
      case 'Flatten': case 'Reshape': {
        const x = ordered(need(ins[0]));
        let target: number[];
        if (op === 'Flatten') {
          if (int('axis', 1) !== 1) refuse('only axis = 1 is supported');
          target = [-1, -1];
        } else {
          const s = Array.from(constant(ins[1], 'shape').data);
          if (int('allowzero', 0) !== 0) refuse('allowzero = 1 is not supported');
          if (s.some((d, i) => d === 0 && i > 0)) refuse('a 0 (copy) entry past the batch axis is not supported');
          // [0, -1] keeps the batch and flattens the rest: the IR's flatten [-1, -1].
          if (s.length === 2 && s[0] === 0 && s[1] === -1) target = [-1, -1];
          else if (s.length === 2 && s[0] === -1 && s[1] === -1) target = refuse('shape [-1, -1] is not a valid reshape');
          else target = s.map((d, i) => (i === 0 && d === 0 ? -1 : d));
        }
        if (x.layout === 'nchw' && x.rank === 4) {
          // NCHW element order ≠ NHWC order unless the spatial part is 1 × 1; a flatten is taken
          // as the runtime's NHWC flatten, and the Gemm/MatMul after it permutes its rows.
          const s = irShape(x.ir);
          if (s[1] * s[2] !== 1) {
            if (!(target.length === 2 && target[0] === -1 && target[1] === -1)) refuse(`reshapes an N×C×H×W tensor with H × W = ${s[1]} × ${s[2]} > 1 to [${target.join(', ')}], whose element order differs from the NHWC runtime's (only a flatten is supported)`);
            emit({ op: 'reshape', name: out, inputs: [x.ir], shape: target }, 2, 'chw-flat', [s[3], s[1], s[2]]);
            break;
          }
        }
        // A 4-d result holds ONNX's element order: 'plain' (a Transpose [0, 3, 1, 2] after it makes it NCHW).
        const rank = target.length;
        emit({ op: 'reshape', name: out, inputs: [x.ir], shape: target }, rank, 'plain');
        break;
      }
      case 'Relu': activationNode({ kind: 'relu' }, ins[0]); break;
      case 'Sigmoid': activationNode({ kind: 'sigmoid' }, ins[0]); break;
      case 'Tanh': activationNode({ kind: 'tanh' }, ins[0]); break;
      case 'LeakyRelu': activationNode({ kind: 'leakyRelu', alpha: float('alpha', 0.01) }, ins[0]); break;
      case 'Elu':
        if (float('alpha', 1) !== 1) refuse('only alpha = 1 is supported');
        activationNode({ kind: 'elu' }, ins[0]);
        break;
      case 'Clip': {
        const lo = opsetVersion >= 11 ? (ins[1] ? constant(ins[1], 'min').data[0] : -Infinity) : float('min', -3.4028234663852886e38);
        const hi = opsetVersion >= 11 ? (ins[2] ? constant(ins[2], 'max').data[0] : Infinity) : float('max', 3.4028234663852886e38);
        if (lo === 0 && hi === 6) activationNode({ kind: 'relu6' }, ins[0]);
        else if (lo === 0 && hi >= 3.4e38) activationNode({ kind: 'relu' }, ins[0]);
        else refuse(`Clip to [${lo}, ${hi}] is not supported (only [0, 6] and [0, ∞))`);
        break;
      }
      case 'PRelu': {
        const c = constant(ins[1], 'slope');
        const x = c.data.length === 1 ? need(ins[0]) : ordered(need(ins[0]));
        const alphaWeight = weight(ins[1], 'vec', () => ({ shape: [c.data.length], data: c.data }));
        emit({ op: 'activation', name: out, inputs: [x.ir], activation: { kind: 'prelu', alphaWeight } }, x.rank, x.layout, x.chw);
        break;
      }
      case 'Gelu': {
        const approx = str('approximate', 'none');
        if (approx !== 'none') refuse(`approximate = '${approx}' is not supported (only the erf form)`);
        activationNode({ kind: 'gelu' }, ins[0]);
        break;
      }
      case 'LayerNormalization': {
        const x = ordered(need(ins[0]));
        if (x.layout === 'nchw' && x.rank === 4) refuse('normalizing an N×C×H×W tensor is not supported');
        let axis = int('axis', -1);
        if (axis < 0) axis += x.rank;
        if (axis !== x.rank - 1) refuse(`only a layer norm over the last axis is supported (axis ${axis}, rank ${x.rank})`);
        if (usedOutputs.length > 0) refuse('its mean and inverse-deviation outputs are not supported');
        const vec = (i: number, what: string): string | undefined => {
          if (!ins[i]) return undefined;
          const w = constant(ins[i], what);
          return weight(ins[i], 'vec', () => ({ shape: [w.data.length], data: w.data }));
        };
        emit({ op: 'layerNorm', name: out, inputs: [x.ir], scale: vec(1, 'scale'), offset: vec(2, 'bias'), epsilon: float('epsilon', 1e-5) }, x.rank, x.layout);
        break;
      }
      case 'Softmax': {
        const x = ordered(need(ins[0]));
        let axis = int('axis', opsetVersion >= 13 ? -1 : 1);
        if (axis < 0) axis += x.rank;
        // Before opset 13 the axis flattens the trailing axes: the last axis only when it is rank − 1.
        if (axis !== x.rank - 1 || (x.layout === 'nchw' && x.rank === 4)) refuse(`only a softmax over the last axis of a 2-d or channels-last tensor is supported (axis ${axis}, rank ${x.rank})`);
        emit({ op: 'softmax', name: out, inputs: [x.ir] }, x.rank, x.layout);
        break;
      }
      default:
        refuse('this op is not supported');
    }
    if (usedOutputs.length > 0 && !['BatchNormalization', 'Dropout', 'MaxPool'].includes(op)) refuse('only its first output is supported');
  }

  const outputs = (graph.output ?? []).map((o) => {
    const t = env.get(o.name!);
    if (!t) throw new DataError(fn, `output '${o.name}' of ${label} is ${consts.has(o.name!) ? 'a constant' : 'not produced by any node'}`);
    if (t.layout === 'chw-flat') throw new DataError(fn, `output '${o.name}' of ${label} is a flattened N×C×H×W tensor, whose element order the NHWC runtime does not keep`);
    return t.ir;
  });
  const g: Graph = { inputs, outputs, nodes, weights, source: { kind: 'onnx', details: { label, opset: opsetVersion } } };
  validateGraph(fn, g);
  // An output whose IR tensor is an input or an alias of another output would lose its name on export.
  const irNames = new Set(nodes.map((n) => n.name));
  for (const o of outputs) if (!irNames.has(o)) throw new DataError(fn, `output '${o}' of ${label} is an input passed through, which is not supported`);
  return g;
}

/** Read an `.onnx` file as a graph. */
export function readOnnx(path: string, options: OnnxImportOptions = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new DataError('readOnnx', `cannot read ${path}: ${(e as Error).message}`);
  }
  return graphFromOnnx(bytes, path, options);
}
