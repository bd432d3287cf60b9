/**
 * A small transformer encoder as an ONNX file, for the multi-head attention path (no model with
 * attention that the neural tools can read ships in an npm package here, so this one is synthetic:
 * random but fixed weights). Written with onnx-proto node by node in the idioms of PyTorch's
 * exporter — not by groupsparse's writer, so reading it tests the importer against an independent
 * construction. Two post-norm blocks (BERT layout) on x [N, 8, 32]:
 *
 *   a = MHA(x) (4 heads of 8, biases);  h = LayerNorm(x + a);  y = LayerNorm(h + W2·relu(W1·h + b1) + b2)
 *
 * Block 1 writes the exporter's `Add(bias, MatMul)`, a `Div` by √8 and keys transposed by one
 * [0, 2, 3, 1]; block 2 writes `Add(MatMul, bias)`, a `Mul` by 1/√8, keys transposed by
 * [0, 2, 1, 3] then [0, 1, 3, 2], and its head reshapes as Constant nodes with an inferred −1.
 *
 *   npx tsx scripts/synthetic-encoder.ts [OUT]   (default datasets/synthetic/encoder-2x4h.onnx)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const AT = onnx.AttributeProto.AttributeType;

export const ENCODER = { seq: 8, dModel: 32, heads: 4, headDim: 8, ffn: 64, blocks: 2 } as const;

/** Uniform numbers in [lo, hi) from a 32-bit LCG: the same bytes on every machine. */
function rand(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

const tensor = (name: string, dims: number[], data: Float32Array): O.ITensorProto => ({ name, dims, dataType: F, rawData: new Uint8Array(data.buffer.slice(0)) });
const i64 = (name: string, v: number[]): O.ITensorProto => ({ name, dims: [v.length], dataType: I64, int64Data: v });
const node = (opType: string, input: string[], output: string[], attribute: O.IAttributeProto[] = []): O.INodeProto => ({ opType, input, output, attribute, name: `/${output[0]}/${opType}` });
const perm = (v: number[]): O.IAttributeProto => ({ name: 'perm', type: AT.INTS, ints: v });

/** `ModelProto` bytes of the encoder. */
export function encoderOnnxBytes(): Uint8Array {
  const { seq, dModel: D, heads: H, headDim: d, ffn: Fh, blocks } = ENCODER;
  const nodes: O.INodeProto[] = [];
  const inits: O.ITensorProto[] = [];
  let seed = 1;
  const w = (name: string, dims: number[], scale: number): string => {
    inits.push(tensor(name, dims, rand(dims.reduce((a, b) => a * b, 1), seed++, -scale, scale)));
    return name;
  };
  const around = (name: string, dims: number[], centre: number, spread: number): string => {
    inits.push(tensor(name, dims, rand(dims.reduce((a, b) => a * b, 1), seed++, centre - spread, centre + spread)));
    return name;
  };
  let x = 'input';
  const ws = 1 / Math.sqrt(D);
  inits.push(i64('heads_shape', [0, 0, H, d]), i64('merge_shape', [0, 0, H * d]));
  for (let b = 0; b < blocks; b++) {
    const p = `layer${b}`;
    const exporterOrder = b === 0;
    const proj = (what: string): string => {
      const mm = `${p}.${what}.mm`;
      nodes.push(node('MatMul', [x, w(`${p}.attn.${what}.weight`, [D, H * d], ws)], [mm]));
      const bias = w(`${p}.attn.${what}.bias`, [H * d], 0.1);
      const out = `${p}.${what}.proj`;
      nodes.push(node('Add', exporterOrder ? [bias, mm] : [mm, bias], [out]));
      let shape = 'heads_shape';
      if (!exporterOrder) {
        shape = `${p}.${what}.shape`;
        nodes.push({ opType: 'Constant', input: [], output: [shape], name: `/${shape}/Constant`, attribute: [{ name: 'value', type: AT.TENSOR, t: i64('', [0, 0, H, -1]) }] });
      }
      nodes.push(node('Reshape', [out, shape], [`${p}.${what}.split`]));
      return `${p}.${what}.split`;
    };
    const q = proj('q');
    const k = proj('k');
    const v = proj('v');
    nodes.push(node('Transpose', [q], [`${p}.qT`], [perm([0, 2, 1, 3])]));
    if (exporterOrder) nodes.push(node('Transpose', [k], [`${p}.kT`], [perm([0, 2, 3, 1])]));
    else {
      nodes.push(node('Transpose', [k], [`${p}.kH`], [perm([0, 2, 1, 3])]));
      nodes.push(node('Transpose', [`${p}.kH`], [`${p}.kT`], [perm([0, 1, 3, 2])]));
    }
    nodes.push(node('Transpose', [v], [`${p}.vT`], [perm([0, 2, 1, 3])]));
    nodes.push(node('MatMul', [`${p}.qT`, `${p}.kT`], [`${p}.scores`]));
    if (exporterOrder) {
      inits.push(tensor(`${p}.sqrt_d`, [], Float32Array.of(Math.sqrt(d))));
      nodes.push(node('Div', [`${p}.scores`, `${p}.sqrt_d`], [`${p}.scaled`]));
    } else {
      inits.push(tensor(`${p}.inv_sqrt_d`, [], Float32Array.of(1 / Math.sqrt(d))));
      nodes.push(node('Mul', [`${p}.scores`, `${p}.inv_sqrt_d`], [`${p}.scaled`]));
    }
    nodes.push(node('Softmax', [`${p}.scaled`], [`${p}.probs`], [{ name: 'axis', type: AT.INT, i: -1 }]));
    nodes.push(node('MatMul', [`${p}.probs`, `${p}.vT`], [`${p}.ctx`]));
    nodes.push(node('Transpose', [`${p}.ctx`], [`${p}.ctxT`], [perm([0, 2, 1, 3])]));
    nodes.push(node('Reshape', [`${p}.ctxT`, 'merge_shape'], [`${p}.merged`]));
    nodes.push(node('MatMul', [`${p}.merged`, w(`${p}.attn.out.weight`, [H * d, D], 1 / Math.sqrt(H * d))], [`${p}.o.mm`]));
    const ob = w(`${p}.attn.out.bias`, [D], 0.1);
    nodes.push(node('Add', exporterOrder ? [ob, `${p}.o.mm`] : [`${p}.o.mm`, ob], [`${p}.attn`]));
    nodes.push(node('Add', [x, `${p}.attn`], [`${p}.res1`]));
    nodes.push(node('LayerNormalization', [`${p}.res1`, around(`${p}.ln1.weight`, [D], 1, 0.2), w(`${p}.ln1.bias`, [D], 0.1)], [`${p}.ln1`], [{ name: 'axis', type: AT.INT, i: -1 }, { name: 'epsilon', type: AT.FLOAT, f: 1e-5 }]));
    nodes.push(node('MatMul', [`${p}.ln1`, w(`${p}.ffn.fc1.weight`, [D, Fh], ws)], [`${p}.fc1.mm`]));
    nodes.push(node('Add', [w(`${p}.ffn.fc1.bias`, [Fh], 0.1), `${p}.fc1.mm`], [`${p}.fc1`]));
    nodes.push(node('Relu', [`${p}.fc1`], [`${p}.act`]));
    nodes.push(node('MatMul', [`${p}.act`, w(`${p}.ffn.fc2.weight`, [Fh, D], 1 / Math.sqrt(Fh))], [`${p}.fc2.mm`]));
    nodes.push(node('Add', [w(`${p}.ffn.fc2.bias`, [D], 0.1), `${p}.fc2.mm`], [`${p}.fc2`]));
    nodes.push(node('Add', [`${p}.ln1`, `${p}.fc2`], [`${p}.res2`]));
    const out = b === blocks - 1 ? 'output' : `${p}.out`;
    nodes.push(node('LayerNormalization', [`${p}.res2`, around(`${p}.ln2.weight`, [D], 1, 0.2), w(`${p}.ln2.bias`, [D], 0.1)], [out], [{ name: 'axis', type: AT.INT, i: -1 }, { name: 'epsilon', type: AT.FLOAT, f: 1e-5 }]));
    x = out;
  }
  const vi = (name: string): O.IValueInfoProto => ({
    name, type: { tensorType: { elemType: F, shape: { dim: [{ dimParam: 'batch' }, { dimValue: seq }, { dimValue: D }] } } },
  });
  const model: O.IModelProto = {
    irVersion: 8, producerName: 'groupsparse scripts/synthetic-encoder.ts', opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'encoder', node: nodes, initializer: inits, input: [vi('input')], output: [vi('output')] },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export const ENCODER_PATH = 'datasets/synthetic/encoder-2x4h.onnx';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? ENCODER_PATH;
  mkdirSync(dirname(out), { recursive: true });
  const bytes = encoderOnnxBytes();
  writeFileSync(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes)`);
}
