import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

// onnx-proto is CommonJS: its named export is reachable through the default import only.
const { onnx } = onnxProto;
import { DataError } from '../../errors.ts';
import type { Activation, AttentionNode, Graph, Padding, Weight } from '../ir/graph.ts';
import { inferShapes } from '../ir/execute.ts';
import { writeFilesAtomically } from './files.ts';
import { checkGraph, checkString } from '../check.ts';

/**
 * IR → ONNX (`ModelProto`, opset 13), for running a graph — pruned or not — in onnxruntime.
 * The layout conversion happens here once: the ONNX model takes and returns NCHW tensors
 * (4-d outputs are NCHW; 2-d and 3-d outputs keep the IR's element order, with a Transpose to
 * NHWC inserted before a reshape of a 4-d tensor); kernels HWIO → OIHW, depthwise
 * `[kh, kw, C, m]` → `[C·m, 1, kh, kw]` with `group = C`, dense `[in, out]` → Gemm B.
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** `w` with its axes permuted (row-major): the one layout conversion both ONNX directions use. */
export function permuteWeight(w: Weight, perm: readonly number[]): Weight {
  const s = w.shape;
  const outShape = perm.map((p) => s[p]);
  const strides = s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = w.data.length;
  const out = new Float32Array(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = w.data[src];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return { shape: outShape, data: out };
}

function floatTensor(name: string, w: Weight): O.ITensorProto {
  return { name, dims: [...w.shape], dataType: FLOAT, rawData: new Uint8Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength)) };
}

function intTensor(name: string, v: readonly number[]): O.ITensorProto {
  const b = new BigInt64Array(v.map((x) => BigInt(x)));
  return { name, dims: [v.length], dataType: INT64, rawData: new Uint8Array(b.buffer) };
}

const attrInts = (name: string, v: readonly number[]): O.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] });
const attrInt = (name: string, v: number): O.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
const attrFloat = (name: string, v: number): O.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });
const attrString = (name: string, v: string): O.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });

/**
 * ONNX nodes of an attention node as the primitive pattern `onnx-attention.ts` reads back: per
 * projection MatMul (+ Add), Reshape to [0, 0, H, d], Transpose; scores MatMul × scale, Softmax;
 * weighted sum MatMul, Transpose, Reshape to [0, 0, H·dv], output MatMul (+ Add).
 */
function attentionNodes(
  n: AttentionNode, weight: (name: string) => string, ints64: (name: string, v: number[]) => string,
  scalar: (name: string, v: number) => string, tmp: (base: string) => string,
): O.INodeProto[] {
  const out: O.INodeProto[] = [];
  const x = n.inputs[0];
  const headed = (w: string, b: string | undefined, width: number, perm: number[], what: string): string => {
    let t = tmp(`${n.name}/${what}`);
    out.push({ opType: 'MatMul', input: [x, weight(w)], output: [t], name: `${n.name}/${what}` });
    if (b) {
      const tb = tmp(`${n.name}/${what}`);
      out.push({ opType: 'Add', input: [t, weight(b)], output: [tb] });
      t = tb;
    }
    const r = tmp(`${n.name}/${what}`);
    out.push({ opType: 'Reshape', input: [t, ints64(`${n.name}/${what}/heads`, [0, 0, n.heads, width])], output: [r] });
    const tr = tmp(`${n.name}/${what}`);
    out.push({ opType: 'Transpose', input: [r], output: [tr], attribute: [attrInts('perm', perm)] });
    return tr;
  };
  const q = headed(n.wq, n.bq, n.headDim, [0, 2, 1, 3], 'q');
  const k = headed(n.wk, n.bk, n.headDim, [0, 2, 3, 1], 'k');
  const v = headed(n.wv, n.bv, n.valueDim, [0, 2, 1, 3], 'v');
  const s = tmp(`${n.name}/scores`);
  const ss = tmp(`${n.name}/scores`);
  const p = tmp(`${n.name}/weights`);
  const c = tmp(`${n.name}/context`);
  const ct = tmp(`${n.name}/context`);
  const cm = tmp(`${n.name}/context`);
  out.push(
    { opType: 'MatMul', input: [q, k], output: [s], name: `${n.name}/scores` },
    { opType: 'Mul', input: [s, scalar(`${n.name}/scale`, n.scale)], output: [ss] },
    { opType: 'Softmax', input: [ss], output: [p], attribute: [attrInt('axis', -1)] },
    { opType: 'MatMul', input: [p, v], output: [c] },
    { opType: 'Transpose', input: [c], output: [ct], attribute: [attrInts('perm', [0, 2, 1, 3])] },
    { opType: 'Reshape', input: [ct, ints64(`${n.name}/merge`, [0, 0, n.heads * n.valueDim])], output: [cm] },
  );
  if (n.bo) {
    const o = tmp(`${n.name}/out`);
    out.push({ opType: 'MatMul', input: [cm, weight(n.wo)], output: [o], name: `${n.name}/out` }, { opType: 'Add', input: [o, weight(n.bo)], output: [n.name], name: n.name });
  } else out.push({ opType: 'MatMul', input: [cm, weight(n.wo)], output: [n.name], name: n.name });
  return out;
}

/** `ModelProto` bytes of `g` (NCHW input of the graph's spatial size, symbolic batch `N`). */
export function onnxModelBytes(g: Graph): Uint8Array {
  checkGraph('onnxModelBytes', g);
  const fn = 'writeOnnx';
  const shapes = inferShapes(g);
  const nodes: O.INodeProto[] = [];
  const inits: O.ITensorProto[] = [];
  let uid = 0;
  const tmp = (base: string): string => `${base}/__${uid++}`;
  // ONNX keeps initializers and node outputs in one namespace: a weight named like a tensor
  // (face-api's dense weight 'fc' feeding node 'fc') is renamed.
  const tensorNames = new Set([...g.inputs.map((i) => i.name), ...g.nodes.map((n) => n.name)]);
  const renamed = new Map<string, string>();
  const init = (name: string, make: () => O.ITensorProto): string => {
    let out = renamed.get(name);
    if (out === undefined) {
      out = name;
      while (tensorNames.has(out)) out += '/weight';
      renamed.set(name, out);
      inits.push({ ...make(), name: out });
    }
    return out;
  };
  const W = (name: string): Weight => g.weights.get(name)!;
  const rank = (t: string): number => shapes.get(t)!.length;
  const windowAttrs = (p: Padding, kh: number, kw: number): O.IAttributeProto[] => {
    if (p === 'valid') return [attrInts('pads', [0, 0, 0, 0])];
    if (p === 'same') return [attrString('auto_pad', 'SAME_UPPER')];
    void kh; void kw;
    return [attrInts('pads', [p[0][0], p[1][0], p[0][1], p[1][1]])];
  };
  const activation = (input: string, output: string, a: Activation, channels: number): void => {
    switch (a.kind) {
      case 'linear': nodes.push({ opType: 'Identity', input: [input], output: [output] }); break;
      case 'relu': nodes.push({ opType: 'Relu', input: [input], output: [output] }); break;
      case 'relu6': {
        const lo = init('__zero', () => floatTensor('__zero', { shape: [], data: Float32Array.of(0) }));
        const hi = init('__six', () => floatTensor('__six', { shape: [], data: Float32Array.of(6) }));
        nodes.push({ opType: 'Clip', input: [input, lo, hi], output: [output] });
        break;
      }
      case 'leakyRelu': nodes.push({ opType: 'LeakyRelu', input: [input], output: [output], attribute: [attrFloat('alpha', a.alpha ?? 0.2)] }); break;
      case 'elu': nodes.push({ opType: 'Elu', input: [input], output: [output], attribute: [attrFloat('alpha', 1)] }); break;
      case 'sigmoid': nodes.push({ opType: 'Sigmoid', input: [input], output: [output] }); break;
      case 'tanh': nodes.push({ opType: 'Tanh', input: [input], output: [output] }); break;
      case 'gelu': {
        // The erf form (the Gelu op needs opset 20): x · 0.5 · (1 + erf(x / √2)), as onnx-fused.ts reads it.
        const s = [tmp(output), tmp(output), tmp(output), tmp(output)];
        const c = (name: string, v: number): string => init(name, () => floatTensor(name, { shape: [], data: Float32Array.of(v) }));
        nodes.push(
          { opType: 'Div', input: [input, c('__sqrt2', Math.SQRT2)], output: [s[0]] },
          { opType: 'Erf', input: [s[0]], output: [s[1]] },
          { opType: 'Add', input: [s[1], c('__one', 1)], output: [s[2]] },
          { opType: 'Mul', input: [input, s[2]], output: [s[3]] },
          { opType: 'Mul', input: [s[3], c('__half', 0.5)], output: [output] },
        );
        break;
      }
      case 'prelu': {
        const s = W(a.alphaWeight!);
        const name = `${a.alphaWeight!}/nchw`;
        const slope = init(name, () => floatTensor(name, s.data.length === channels && rank(output) === 4 ? { shape: [channels, 1, 1], data: s.data } : s));
        nodes.push({ opType: 'PRelu', input: [input, slope], output: [output] });
        break;
      }
    }
  };
  const perChannel = (name: string, w: Weight, t: string): string => {
    const r = rank(t);
    const C = shapes.get(t)![r - 1];
    const key = `${name}/nchw`;
    if (r === 4 && w.data.length === C && C > 1) return init(key, () => floatTensor(key, { shape: [C, 1, 1], data: w.data }));
    if (r === 4 && w.data.length > 1) throw new DataError(fn, `constant '${name}' of shape [${w.shape.join(', ')}] does not broadcast per channel`);
    return init(name, () => floatTensor(name, w));
  };
  for (const n of g.nodes) {
    const x = n.inputs[0];
    switch (n.op) {
      case 'conv2d': case 'depthwise': {
        const k = W(n.kernel);
        const C = k.shape[2];
        const kname = `${n.kernel}/oihw`;
        const kinit = init(kname, () => floatTensor(kname, n.op === 'conv2d' ? permuteWeight(k, [3, 2, 0, 1]) : (() => {
          const p = permuteWeight(k, [2, 3, 0, 1]); // [C, m, kh, kw] = [C·m, 1, kh, kw] in memory
          return { shape: [C * k.shape[3], 1, k.shape[0], k.shape[1]], data: p.data };
        })()));
        const ins = [x, kinit, ...(n.bias ? [init(n.bias, () => floatTensor(n.bias!, W(n.bias!)))] : [])];
        const pre = n.activation.kind === 'linear' ? n.name : tmp(n.name);
        nodes.push({
          opType: 'Conv', input: ins, output: [pre], name: n.name,
          attribute: [attrInts('kernel_shape', [k.shape[0], k.shape[1]]), attrInts('strides', [...n.strides]), attrInts('dilations', [...n.dilations]), attrInt('group', n.op === 'depthwise' ? C : 1), ...windowAttrs(n.padding, k.shape[0], k.shape[1])],
        });
        if (pre !== n.name) activation(pre, n.name, n.activation, shapes.get(n.name)![3]);
        break;
      }
      case 'dense': {
        if (rank(x) === 3) {
          // Per position of a [batch, positions, features] tensor: MatMul (Gemm is 2-d only) + bias.
          const mmOut = n.bias || n.activation.kind !== 'linear' ? tmp(n.name) : n.name;
          nodes.push({ opType: 'MatMul', input: [x, init(n.kernel, () => floatTensor(n.kernel, W(n.kernel)))], output: [mmOut], name: n.name });
          let acc = mmOut;
          if (n.bias) {
            acc = n.activation.kind === 'linear' ? n.name : tmp(n.name);
            nodes.push({ opType: 'Add', input: [mmOut, init(n.bias, () => floatTensor(n.bias!, W(n.bias!)))], output: [acc] });
          }
          if (acc !== n.name) activation(acc, n.name, n.activation, shapes.get(n.name)![2]);
          break;
        }
        if (rank(x) !== 2) throw new DataError(fn, `dense node '${n.name}' reads a rank-${rank(x)} tensor`);
        const ins = [x, init(n.kernel, () => floatTensor(n.kernel, W(n.kernel)))];
        if (n.bias) ins.push(init(n.bias, () => floatTensor(n.bias!, W(n.bias!))));
        const pre = n.activation.kind === 'linear' ? n.name : tmp(n.name);
        nodes.push({ opType: 'Gemm', input: ins, output: [pre], name: n.name });
        if (pre !== n.name) activation(pre, n.name, n.activation, shapes.get(n.name)![1]);
        break;
      }
      case 'batchNorm': {
        const C = W(n.mean).data.length;
        const scale = n.scale ? init(n.scale, () => floatTensor(n.scale!, W(n.scale!))) : init(`${n.name}/ones`, () => floatTensor(`${n.name}/ones`, { shape: [C], data: new Float32Array(C).fill(1) }));
        const offset = n.offset ? init(n.offset, () => floatTensor(n.offset!, W(n.offset!))) : init(`${n.name}/zeros`, () => floatTensor(`${n.name}/zeros`, { shape: [C], data: new Float32Array(C) }));
        if (rank(x) !== 4) throw new DataError(fn, `batch norm '${n.name}' on a rank-${rank(x)} tensor is not exported`);
        nodes.push({ opType: 'BatchNormalization', input: [x, scale, offset, init(n.mean, () => floatTensor(n.mean, W(n.mean))), init(n.variance, () => floatTensor(n.variance, W(n.variance)))], output: [n.name], name: n.name, attribute: [attrFloat('epsilon', n.epsilon)] });
        break;
      }
      case 'addConst': case 'mulConst':
        nodes.push({ opType: n.op === 'addConst' ? 'Add' : 'Mul', input: [x, perChannel(n.weight, W(n.weight), x)], output: [n.name], name: n.name });
        break;
      case 'add': case 'mul': {
        let acc = n.inputs[0];
        n.inputs.slice(1).forEach((b, k) => {
          const out = k === n.inputs.length - 2 ? n.name : tmp(n.name);
          nodes.push({ opType: n.op === 'add' ? 'Add' : 'Mul', input: [acc, b], output: [out] });
          acc = out;
        });
        break;
      }
      case 'concat': {
        const r = rank(n.name);
        const axis = r === 4 ? [0, 2, 3, 1][n.axis] : n.axis;
        nodes.push({ opType: 'Concat', input: [...n.inputs], output: [n.name], name: n.name, attribute: [attrInt('axis', axis)] });
        break;
      }
      case 'maxPool': case 'avgPool':
        nodes.push({ opType: n.op === 'maxPool' ? 'MaxPool' : 'AveragePool', input: [x], output: [n.name], name: n.name, attribute: [attrInts('kernel_shape', [...n.size]), attrInts('strides', [...n.strides]), ...windowAttrs(n.padding, n.size[0], n.size[1])] });
        break;
      case 'globalAvgPool':
        if (n.keepDims) nodes.push({ opType: 'GlobalAveragePool', input: [x], output: [n.name], name: n.name });
        else {
          const t = tmp(n.name);
          nodes.push({ opType: 'GlobalAveragePool', input: [x], output: [t], name: n.name });
          nodes.push({ opType: 'Flatten', input: [t], output: [n.name], attribute: [attrInt('axis', 1)] });
        }
        break;
      case 'pad': {
        const p = n.paddings;
        const r = p.length;
        const order = r === 4 ? [0, 3, 1, 2] : p.map((_, i) => i);
        const pads = [...order.map((a) => p[a][0]), ...order.map((a) => p[a][1])];
        const pname = init(`${n.name}/pads`, () => intTensor(`${n.name}/pads`, pads));
        const vname = init(`${n.name}/value`, () => floatTensor(`${n.name}/value`, { shape: [], data: Float32Array.of(n.value) }));
        nodes.push({ opType: 'Pad', input: [x, pname, vname], output: [n.name], name: n.name });
        break;
      }
      case 'reshape': {
        let src = x;
        if (rank(x) === 4) {
          src = tmp(n.name);
          nodes.push({ opType: 'Transpose', input: [x], output: [src], attribute: [attrInts('perm', [0, 2, 3, 1])] });
        }
        const target = shapes.get(n.name)!;
        const shape = n.shape.length === 2 && n.shape[0] === -1 && n.shape[1] === -1 ? [0, -1] : n.shape.map((d, i) => (i === 0 && d === -1 ? 0 : d));
        void target;
        let out = n.name;
        const back = rank(n.name) === 4;
        if (back) out = tmp(n.name);
        nodes.push({ opType: 'Reshape', input: [src, init(`${n.name}/shape`, () => intTensor(`${n.name}/shape`, shape))], output: [out], name: n.name });
        if (back) nodes.push({ opType: 'Transpose', input: [out], output: [n.name], attribute: [attrInts('perm', [0, 3, 1, 2])] });
        break;
      }
      case 'activation': activation(x, n.name, n.activation, shapes.get(n.name)![rank(n.name) - 1]); break;
      case 'attention':
        nodes.push(...attentionNodes(n, (w) => init(w, () => floatTensor(w, W(w))), (base, v) => init(base, () => intTensor(base, v)),
          (base, v) => init(base, () => floatTensor(base, { shape: [], data: Float32Array.of(v) })), tmp));
        break;
      case 'layerNorm': {
        const C = shapes.get(n.name)![rank(n.name) - 1];
        const scale = n.scale ? init(n.scale, () => floatTensor(n.scale!, W(n.scale!))) : init(`${n.name}/ones`, () => floatTensor(`${n.name}/ones`, { shape: [C], data: new Float32Array(C).fill(1) }));
        const ins = [x, scale, ...(n.offset ? [init(n.offset, () => floatTensor(n.offset!, W(n.offset!)))] : [])];
        nodes.push({ opType: 'LayerNormalization', input: ins, output: [n.name], name: n.name, attribute: [attrInt('axis', -1), attrFloat('epsilon', n.epsilon)] });
        break;
      }
      case 'softmax': {
        const r = rank(x);
        if (r === 4) throw new DataError(fn, `softmax '${n.name}' over a 4-d tensor is not exported`);
        nodes.push({ opType: 'Softmax', input: [x], output: [n.name], name: n.name, attribute: [attrInt('axis', -1)] });
        break;
      }
    }
  }
  const vi = (name: string, shape: readonly number[]): O.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d, i) => (i === 0 ? { dimParam: 'N' } : { dimValue: d })) } } },
  });
  const nchw = (s: readonly number[]): number[] => (s.length === 4 ? [s[0], s[3], s[1], s[2]] : [...s]);
  const model: O.IModelProto = {
    // LayerNormalization exists from opset 17; other graphs keep 13.
    irVersion: 8, producerName: 'groupsparse', opsetImport: [{ domain: '', version: g.nodes.some((n) => n.op === 'layerNorm') ? 17 : 13 }],
    graph: {
      name: 'groupsparse', node: nodes, initializer: inits,
      input: g.inputs.map((i) => vi(i.name, nchw(shapes.get(i.name)!))),
      output: g.outputs.map((o) => vi(o, nchw(shapes.get(o)!))),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Write `g` as `dir/model.onnx` (temporary file renamed into place). */
export function writeOnnx(g: Graph, dir: string): { files: string[] } {
  checkGraph('writeOnnx', g);
  checkString('writeOnnx', 'dir', dir);
  return writeFilesAtomically('writeOnnx', dir, [{ name: 'model.onnx', data: onnxModelBytes(g) }]);
}

