import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/index.ts';
import onnxProto from 'onnx-proto';
import { initBackend, readModel, writeModel } from '../src/neural/index.ts';
import { graphFromTfjsGraphModel, tfjsGraphModelJson } from '../src/neural/formats/tfjs-graph.ts';
import { graphFromOnnx } from '../src/neural/formats/onnx-read.ts';
import { onnxModelBytes } from '../src/neural/formats/onnx.ts';
import { inferShapes } from '../src/neural/ir/execute.ts';
import { ShapeError } from '../src/index.ts';
import type { Graph, Weight } from '../src/neural/ir/graph.ts';

// A window op with a stride or dilation of 0, a negative explicit pad or an empty pool window is
// refused by every importer, naming the node, instead of reaching the runner.

const W = (shape: number[]): Weight => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
const graph = (conv: object = {}, pool: object = {}): Graph => ({
  inputs: [{ name: 'x', shape: [-1, 8, 8, 3] }], outputs: ['p'],
  nodes: [
    { op: 'conv2d', name: 'c', inputs: ['x'], kernel: 'k', bias: 'b', strides: [1, 1], dilations: [1, 1], padding: 'same', activation: { kind: 'relu' }, ...conv },
    { op: 'maxPool', name: 'p', inputs: ['c'], size: [2, 2], strides: [2, 2], padding: 'valid', ...pool },
  ] as Graph['nodes'],
  weights: new Map([['k', W([3, 3, 3, 4])], ['b', W([4])]]), source: { kind: 'tfjs-graph' },
});

await initBackend();

describe('window geometry at import', () => {
  const { json, weights } = tfjsGraphModelJson(graph());
  const wmap = new Map(weights.map((w) => [w.name, w.w]));
  type TfNode = { op: string; attr: Record<string, unknown> };
  const edited = (op: RegExp, attr: string, value: unknown) => {
    const j = structuredClone(json) as unknown as { modelTopology: { node: TfNode[] } };
    j.modelTopology.node.find((n) => op.test(n.op))!.attr[attr] = value;
    return j as unknown as typeof json;
  };
  const ints = (v: number[]) => ({ list: { i: v.map(String) } });

  it.each([
    [/Conv/, 'strides', ints([1, 0, 1, 1]), /^readTfjsGraphModel: node 'c' \(conv2d\) has strides \[0, 1\]/],
    [/Conv/, 'strides', ints([1, -2, -2, 1]), /^readTfjsGraphModel: node 'c' \(conv2d\) has strides \[-2, -2\]/],
    [/Conv/, 'dilations', ints([1, 1, 0, 1]), /^readTfjsGraphModel: node 'c' \(conv2d\) has dilations \[1, 0\]/],
    [/Pool/, 'strides', ints([1, 0, 0, 1]), /^readTfjsGraphModel: node 'p' \(maxPool\) has strides \[0, 0\]/],
    [/Pool/, 'ksize', ints([1, 0, 2, 1]), /^readTfjsGraphModel: node 'p' \(maxPool\) has window size \[0, 2\]/],
  ])('tfjs graph: %s %s is refused', (op, attr, value, message) => {
    expect(() => graphFromTfjsGraphModel(json, wmap)).not.toThrow();
    expect(() => graphFromTfjsGraphModel(edited(op, attr, value), wmap)).toThrow(DataError);
    expect(() => graphFromTfjsGraphModel(edited(op, attr, value), wmap)).toThrow(message);
  });

  it('tfjs graph: a negative explicit pad is refused', () => {
    const j = edited(/Conv/, 'padding', { s: Buffer.from('EXPLICIT').toString('base64') }) as unknown as { modelTopology: { node: TfNode[] } };
    j.modelTopology.node.find((n) => /Conv/.test(n.op))!.attr.explicit_paddings = ints([0, 0, -1, 1, 1, 1, 0, 0]);
    expect(() => graphFromTfjsGraphModel(j as unknown as typeof json, wmap)).toThrow(/^readTfjsGraphModel: node 'c' \(conv2d\) has explicit padding \[\[-1, 1\], \[1, 1\]\]/);
  });

  it('tfjs layers: a zero stride or dilation is refused naming the layer', () => {
    const fx = fileURLToPath(new URL('./fixtures/layers-small/', import.meta.url));
    const base = JSON.parse(readFileSync(join(fx, 'model.json'), 'utf8'));
    const variant = (key: string, value: unknown): string => {
      const d = mkdtempSync(join(tmpdir(), 'gs-window-'));
      const j = structuredClone(base);
      j.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Conv2D').config[key] = value;
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
      copyFileSync(join(fx, 'weights.bin'), join(d, 'weights.bin'));
      return join(d, 'model.json');
    };
    expect(() => readModel(variant('strides', [1, 1]))).not.toThrow();
    expect(() => readModel(variant('strides', [0, 0]))).toThrow(/^readTfjsLayersModel: node 'c1' \(conv2d\) has strides \[0, 0\]/);
    expect(() => readModel(variant('dilation_rate', [0, 1]))).toThrow(/^readTfjsLayersModel: node 'c1' \(conv2d\) has dilations \[0, 1\]/);
    expect(() => readModel(variant('strides', 'x'))).toThrow(/^readTfjsLayersModel: node 'c1' \(conv2d\) has strides \[NaN, NaN\]/);
  });

  it('ONNX: a zero stride or dilation is refused naming the node', () => {
    const ok = onnxModelBytes({ ...graph(), source: { kind: 'onnx' } });
    expect(() => graphFromOnnx(ok)).not.toThrow();
    const { ModelProto } = onnxProto.onnx;
    const edited = (op: string, attr: string, ints: number[]): Uint8Array => {
      const m = ModelProto.decode(ok);
      const a = m.graph!.node!.find((n) => n.opType === op)!.attribute!.find((x) => x.name === attr)!;
      a.ints = ints;
      return ModelProto.encode(m).finish();
    };
    expect(() => graphFromOnnx(edited('Conv', 'strides', [0, 1]))).toThrow(DataError);
    expect(() => graphFromOnnx(edited('Conv', 'strides', [0, 1]))).toThrow(/^readOnnx: node '[^']*' \(conv2d\) has strides \[0, 1\]/);
    expect(() => graphFromOnnx(edited('Conv', 'dilations', [1, 0]))).toThrow(/^readOnnx: node '[^']*' \(conv2d\) has dilations \[1, 0\]/);
    expect(() => graphFromOnnx(edited('MaxPool', 'strides', [0, 2]))).toThrow(/^readOnnx: node '[^']*' \(maxPool\) has strides \[0, 2\]/);
  });

  it('a window larger than its (padded) input is refused naming the node; one that just fits gives a 1 × 1 output', () => {
    // The WASM kernels read out of bounds on an empty output (a raw RuntimeError) instead of failing.
    const big = { ...graph(), nodes: graph({ padding: 'valid' }).nodes.slice(0, 1), outputs: ['c'], weights: new Map([['k', W([9, 9, 3, 4])], ['b', W([4])]]) } as Graph;
    expect(() => inferShapes(big)).toThrow(ShapeError);
    expect(() => inferShapes(big)).toThrow(/^graphRunner: node 'c' \(conv2d\): its window spans 9 rows \(size 9, dilation 1\) but its input has 8: the output would be empty$/);
    const dilated = { ...big, nodes: [{ ...big.nodes[0], dilations: [1, 5] }], weights: graph().weights } as Graph;
    expect(() => inferShapes(dilated)).toThrow(/^graphRunner: node 'c' \(conv2d\): its window spans 11 columns \(size 3, dilation 5\) but its input has 8/);
    // (8 + 1 − 9)/1 + 1 = 1 output row and column.
    const fits = { ...big, nodes: [{ ...big.nodes[0], padding: [[1, 0], [0, 1]] }] } as Graph;
    expect(inferShapes(fits).get('c')).toEqual([1, 1, 1, 4]);
    const pool = { ...graph({}, { size: [9, 2] }) } as Graph;
    expect(() => inferShapes(pool)).toThrow(/^graphRunner: node 'p' \(maxPool\): its window spans 9 rows \(size 9, dilation 1\) but its input has 8/);
  });

  it('ONNX: a negative dimension, an unknown auto_pad, a 3-d stride and a bias of the wrong length are refused', () => {
    const { ModelProto } = onnxProto.onnx;
    const ok = onnxModelBytes({ ...graph(), source: { kind: 'onnx' } });
    type M = ReturnType<typeof ModelProto.decode>;
    const read = (edit: (m: M) => void) => () => {
      const m = ModelProto.decode(ok);
      edit(m);
      return graphFromOnnx(ModelProto.encode(m).finish());
    };
    const conv = (m: M) => m.graph!.node!.find((n) => n.opType === 'Conv')!;
    const kernel = (m: M) => m.graph!.initializer!.find((t) => t.dims!.length === 4)!;
    const bias = (m: M) => m.graph!.initializer!.find((t) => t.dims!.length === 1)!;
    // It used to escape as a RangeError (a typed array of negative length).
    expect(read((m) => { kernel(m).dims = [4, -3, 3, 3]; })).toThrow(/^readOnnx: tensor '[^']*' has shape \[4, -3, 3, 3\]; expected whole numbers ≥ 0$/);
    expect(read((m) => {
      const c = conv(m);
      c.attribute = c.attribute!.filter((a) => a.name !== 'auto_pad');
      c.attribute.push({ name: 'auto_pad', type: onnxProto.onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('WEIRD') });
    })).toThrow(/^readOnnx: node 'c' \(Conv\) of model\.onnx: auto_pad 'WEIRD' is not one of NOTSET, SAME_UPPER, VALID$/);
    expect(read((m) => { conv(m).attribute!.find((a) => a.name === 'strides')!.ints = [1, 1, 1]; })).toThrow(/^readOnnx: node 'c' \(Conv\) of model\.onnx: strides \[1, 1, 1\] is not 2-d$/);
    expect(read((m) => { const b = bias(m); b.dims = [5]; b.rawData = new Uint8Array(20); })).toThrow(/^readOnnx: node '[^']*' \(conv2d\) has a bias of 5 entries for 4 output channels$/);
  });

  it('writing a model under /proc ends at once with a DataError (recursive mkdir never returned there)', () => {
    const g = { ...graph(), source: { kind: 'onnx' } } as Graph;
    expect(() => writeModel(g, '/proc/groupsparse-no/such')).toThrow(DataError);
    expect(() => writeModel(g, '/proc/groupsparse-no/such')).toThrow(/cannot create folder \/proc\/groupsparse-no\/such: /);
    const dir = join(mkdtempSync(join(tmpdir(), 'gs-write-')), 'a', 'b');
    expect(writeModel(g, dir).files.map((f) => f.slice(dir.length + 1))).toEqual(['model.onnx']);
  });
});
