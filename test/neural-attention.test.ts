import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { DataError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';
import { ENCODER, ENCODER_PATH, encoderOnnxBytes } from '../scripts/synthetic-encoder.ts';

const { onnx } = onnxProto;
const { tf } = neural;
const root = fileURLToPath(new URL('..', import.meta.url));
const { seq: S, dModel: D, heads: H, headDim: d, ffn: FF } = ENCODER;
const BATCH = 3;

let dir: string;
let bytes: Uint8Array;
let x: Float32Array;
beforeAll(async () => {
  await neural.initRuntime();
  dir = mkdtempSync(join(tmpdir(), 'gs-attn-'));
  bytes = new Uint8Array(readFileSync(join(root, ENCODER_PATH)));
  x = Float32Array.from({ length: BATCH * S * D }, (_, i) => Math.sin(0.37 * i) + 0.3 * Math.cos(1.9 * i));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a − b| / max |b|. */
function relDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

async function ortRun(model: Uint8Array): Promise<Float32Array> {
  const sess = await ort.InferenceSession.create(model);
  const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [BATCH, S, D]) });
  const out = res[sess.outputNames[0]].data as Float32Array;
  await sess.release();
  return out;
}

function irRun(g: neural.Graph): Float32Array {
  const r = neural.graphRunner(g);
  const t = tf.tensor(x, [BATCH, S, D]);
  const [y] = r.run([t]);
  const out = y.dataSync() as Float32Array;
  tf.dispose([t, y]);
  r.dispose();
  return out;
}

/** The original file with entries of its initializers zeroed by the test itself (row-major). */
function zeroInOnnx(src: Uint8Array, cuts: { init: string; axis: 0 | 1; from: number; count: number }[]): Uint8Array {
  const m = onnx.ModelProto.decode(src);
  for (const c of cuts) {
    const t = m.graph!.initializer!.find((i) => i.name === c.init)!;
    expect(t, c.init).toBeDefined();
    const dims = t.dims!.map(Number);
    const data = new Float32Array(t.rawData!.slice().buffer);
    const cols = dims.length === 2 ? dims[1] : 1;
    const rows = dims[0];
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) {
      const idx = dims.length === 1 ? r : c.axis === 0 ? r : k;
      if (idx >= c.from && idx < c.from + c.count) data[r * cols + k] = 0;
    }
    t.rawData = new Uint8Array(data.buffer);
  }
  return onnx.ModelProto.encode(m).finish();
}

describe('multi-head attention (synthetic ONNX encoder)', () => {
  it('the shipped file is what scripts/synthetic-encoder.ts writes', () => {
    expect(Buffer.from(encoderOnnxBytes()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('imports as two attention nodes that run like onnxruntime; the re-export is identical', async () => {
    const truth = await ortRun(bytes);
    const g = neural.graphFromOnnx(bytes);
    expect(neural.opCounts(g)).toEqual({ attention: 2, add: 4, layerNorm: 4, dense: 4, addConst: 4, activation: 2 });
    const att = g.nodes.filter((n) => n.op === 'attention');
    for (const n of att) expect(n).toMatchObject({ heads: H, headDim: d, valueDim: d });
    // Block 0 divides by √d, block 1 multiplies by 1/√d.
    for (const n of att) expect((n as { scale: number }).scale).toBeCloseTo(1 / Math.sqrt(d), 6);
    expect(relDiff(irRun(g), truth)).toBeLessThanOrEqual(1e-5);
    const again = neural.onnxModelBytes(g);
    expect(relDiff(await ortRun(again), truth)).toBeLessThanOrEqual(1e-5);
    // The writer's pattern is read back as attention again, with the same parameters.
    const g2 = neural.graphFromOnnx(again);
    expect(neural.opCounts(g2)).toEqual(neural.opCounts(g));
    expect(neural.parameterCount(g2)).toBe(neural.parameterCount(g));
  });

  it('dependency groups: one per head and per feed-forward unit, costs by hand', () => {
    const dg = neural.dependencyGraph(neural.graphFromOnnx(bytes));
    const heads = dg.groups.filter((q) => q.head);
    expect(heads.map((q) => q.label)).toEqual([0, 1].flatMap((b) => Array.from({ length: H }, (_, h) => `layer${b}.attn:head${h}`)));
    // Model width D is tied to the graph input and the layer norms: only the 64 hidden units per block.
    expect(dg.groups.length - heads.length).toBe(2 * FF);
    // One head: Wq, Wk, Wv columns (3·D·d) + biases (3·d) + Wo rows (d·D).
    const headParams = 3 * D * d + 3 * d + d * D;
    // Per position: projections 2·D·3d + 3d bias adds, output 2·d·D; per position pair: 2d + 2d + 4.
    const headFlops = S * (2 * D * 3 * d + 3 * d + 2 * d * D) + S * S * (2 * d + 2 * d + 4);
    for (const q of heads) {
      expect(q.params).toBe(headParams);
      expect(q.flops).toBe(headFlops);
      expect(neural.prunedCost(dg, new Set([q.id])).flops).toBe(dg.flops - headFlops);
    }
    expect(dg.params).toBe(neural.parameterCount(dg.graph));
  });

  it('removing a head in the compacted, exported model ≡ zeroing its slices in the original file (onnxruntime)', async () => {
    const dg = neural.dependencyGraph(neural.graphFromOnnx(bytes));
    const truth = await ortRun(bytes);
    for (const b of [0, 1]) for (const h of [0, H - 1]) {
      const p = `layer${b}.attn`;
      const q = dg.groups.find((z) => z.label === `${p}:head${h}`)!;
      // Zeroed independently of the group's slice list: head h's columns and rows by name.
      const zeroed = zeroInOnnx(bytes, [
        ...['q', 'k', 'v'].map((w) => ({ init: `${p}.${w}.weight`, axis: 1 as const, from: h * d, count: d })),
        ...['q', 'k', 'v'].map((w) => ({ init: `${p}.${w}.bias`, axis: 0 as const, from: h * d, count: d })),
        { init: `${p}.out.weight`, axis: 0, from: h * d, count: d },
      ]);
      const want = await ortRun(zeroed);
      expect(relDiff(want, truth), 'the head matters').toBeGreaterThan(1e-3);
      const compact = neural.compactGraph(dg, new Set([q.id]));
      const att = compact.nodes.find((n) => n.name === dg.graph.nodes.find((m) => m.op === 'attention' && m.name.startsWith(`layer${b}.`))!.name)!;
      expect((att as { heads: number }).heads).toBe(H - 1);
      const file = neural.onnxModelBytes(compact);
      expect(file.length).toBeLessThan(bytes.length);
      expect(relDiff(await ortRun(file), want)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('every group, and mixed sets of heads and units, zeroed ≡ removed in the exported model (onnxruntime)', async () => {
    const dg = neural.dependencyGraph(neural.graphFromOnnx(bytes));
    // Every head alone; the hidden units in 8 disjoint batches that cover them all; three of four
    // heads of block 0 with one of block 1 and every other hidden unit.
    const units = dg.groups.filter((q) => !q.head).map((q) => q.id);
    const sets: number[][] = [...dg.groups.filter((q) => q.head).map((q) => [q.id]), ...Array.from({ length: 8 }, (_, b) => units.filter((_, i) => i % 8 === b))];
    const heads0 = dg.headGroups.get(dg.graph.nodes.find((n) => n.op === 'attention')!.name)!;
    const heads1 = [...dg.headGroups.values()][1];
    sets.push([...heads0.slice(0, 3), heads1[2], ...dg.groups.filter((q) => !q.head && q.id % 2 === 0).map((q) => q.id)]);
    for (const s of sets) {
      const zero = await ortRun(neural.onnxModelBytes(neural.zeroGroups(dg, s)));
      const cut = await ortRun(neural.onnxModelBytes(neural.compactGraph(dg, new Set(s))));
      expect(relDiff(cut, zero), dg.groups[s[0]].label).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('pruning to 50 % FLOPs by norm keeps a head per attention node and writes a valid smaller model', async () => {
    const dg = neural.dependencyGraph(neural.graphFromOnnx(bytes));
    const res = neural.pruneGraph(dg, 0.5, { method: 'norm' });
    expect(res.flopsAfter).toBeLessThanOrEqual(0.5 * res.flopsBefore);
    const removedHeads = [...res.removed].filter((gi) => dg.groups[gi].head).length;
    expect(removedHeads).toBeGreaterThan(0);
    for (const n of res.graph.nodes) if (n.op === 'attention') expect(n.heads).toBeGreaterThanOrEqual(1);
    neural.writeModel(res.graph, join(dir, 'pruned'));
    const file = new Uint8Array(readFileSync(join(dir, 'pruned', 'model.onnx')));
    const back = neural.dependencyGraph(neural.readOnnx(join(dir, 'pruned', 'model.onnx')));
    expect(back.flops).toBe(res.flopsAfter);
    expect(back.params).toBe(res.paramsAfter);
    const zero = await ortRun(neural.onnxModelBytes(neural.zeroGroups(dg, res.removed)));
    expect(relDiff(await ortRun(file), zero)).toBeLessThanOrEqual(1e-5);
    // A budget that would need the last head of a node gone is refused.
    expect(() => neural.selectToBudget(dg, new Float64Array(dg.groups.length), 0.01)).toThrow(/below the smallest network/);
  });

  it('a scale on the queries and keys (scaled-dot-product exports) reads as the same attention', async () => {
    const m = onnx.ModelProto.decode(bytes);
    const g = m.graph!;
    const at = (out: string): number => g.node!.findIndex((n) => n.output![0] === out);
    // Block 0: Div(scores, √d) becomes Mul(Q, d^-1/4) and Mul(Kᵀ, d^-1/4), the same function.
    g.initializer!.push({ name: 'quarter', dims: [], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [d ** -0.25] });
    g.node![at('layer0.scores')].input = ['layer0.qS', 'layer0.kS'];
    g.node![at('layer0.probs')].input = ['layer0.scores'];
    g.node!.splice(at('layer0.scaled'), 1);
    g.node!.splice(at('layer0.scores'), 0,
      { opType: 'Mul', name: 'q_scale', input: ['layer0.qT', 'quarter'], output: ['layer0.qS'] },
      { opType: 'Mul', name: 'k_scale', input: ['quarter', 'layer0.kT'], output: ['layer0.kS'] });
    const edited = onnx.ModelProto.encode(m).finish();
    const truth = await ortRun(bytes);
    expect(relDiff(await ortRun(edited), truth)).toBeLessThanOrEqual(1e-5);
    const ge = neural.graphFromOnnx(edited);
    expect(neural.opCounts(ge).attention).toBe(2);
    expect((ge.nodes.find((n) => n.op === 'attention') as { scale: number }).scale).toBeCloseTo(1 / Math.sqrt(d), 6);
    expect(relDiff(irRun(ge), truth)).toBeLessThanOrEqual(1e-5);
  });

  it('channels into and out of an attention node are groups too (no layer norm between): zeroed ≡ removed', async () => {
    // dense 6 → 12 per position → attention (3 heads of 4, values of 2, output 10) → dense 10 → 5.
    const r = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
    const weights = new Map<string, neural.Weight>([
      ['w1', { shape: [6, 12], data: r(72, 1) }], ['b1', { shape: [12], data: r(12, 2) }],
      ['wq', { shape: [12, 12], data: r(144, 3) }], ['wk', { shape: [12, 12], data: r(144, 4) }], ['wv', { shape: [12, 6], data: r(72, 5) }],
      ['bq', { shape: [12], data: r(12, 6) }], ['wo', { shape: [6, 10], data: r(60, 7) }], ['bo', { shape: [10], data: r(10, 8) }],
      ['w2', { shape: [10, 5], data: r(50, 9) }],
    ]);
    const g: neural.Graph = {
      inputs: [{ name: 'x', shape: [-1, 4, 6] }], outputs: ['y'], weights, source: { kind: 'onnx' },
      nodes: [
        { op: 'dense', name: 'h', inputs: ['x'], kernel: 'w1', bias: 'b1', activation: { kind: 'relu' } },
        { op: 'attention', name: 'att', inputs: ['h'], heads: 3, headDim: 4, valueDim: 2, scale: 0.5, wq: 'wq', wk: 'wk', wv: 'wv', wo: 'wo', bq: 'bq', bo: 'bo' },
        { op: 'dense', name: 'y', inputs: ['att'], kernel: 'w2', activation: { kind: 'linear' } },
      ],
    };
    neural.validateGraph('test', g);
    const dg = neural.dependencyGraph(g);
    // 12 channels of h, 10 of att, 3 heads.
    expect(dg.groups.map((q) => q.label.replace(/:\d+$/, ''))).toEqual([...Array(12).fill('h'), ...Array(10).fill('att'), 'att:head0', 'att:head1', 'att:head2']);
    const xin = Float32Array.from({ length: 2 * 4 * 6 }, (_, i) => Math.cos(0.7 * i));
    const ort1 = async (gr: neural.Graph): Promise<Float32Array> => {
      const sess = await ort.InferenceSession.create(neural.onnxModelBytes(gr));
      const res = await sess.run({ x: new ort.Tensor('float32', xin, [2, 4, 6]) });
      await sess.release();
      return res.y.data as Float32Array;
    };
    for (const set of [[0], [5, 13], [12, 20, 23], [1, 2, 3, 14, 15, 22, 24], [11, 21, 22]]) {
      const cost = neural.prunedCost(dg, new Set(set));
      const cut = neural.compactGraph(dg, new Set(set));
      expect(neural.dependencyGraph(cut).flops, String(set)).toBe(cost.flops);
      expect(neural.parameterCount(cut)).toBe(cost.params);
      expect(relDiff(await ort1(cut), await ort1(neural.zeroGroups(dg, set))), String(set)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('unsupported attention variants are refused naming the node', () => {
    const edit = (f: (g: O.IGraphProto) => void): Uint8Array => {
      const m = onnx.ModelProto.decode(bytes);
      f(m.graph!);
      return onnx.ModelProto.encode(m).finish();
    };
    const at = (g: O.IGraphProto, out: string): number => g.node!.findIndex((n) => n.output![0] === out);
    // A mask added to the scores.
    const masked = edit((g) => {
      g.initializer!.push({ name: 'mask', dims: [1, 1, S, S], dataType: onnx.TensorProto.DataType.FLOAT, floatData: new Array(S * S).fill(0) });
      const sm = g.node![at(g, 'layer0.probs')];
      sm.input = ['layer0.masked'];
      g.node!.splice(at(g, 'layer0.probs'), 0, { opType: 'Add', name: 'mask_add', input: ['layer0.scaled', 'mask'], output: ['layer0.masked'] });
    });
    expect(() => neural.graphFromOnnx(masked)).toThrow(DataError);
    expect(() => neural.graphFromOnnx(masked)).toThrow(/node 'mask_add' \(Add\).*no masks.*multi-head attention around softmax/);
    // Keys and values from another tensor than the queries (cross-attention).
    const cross = edit((g) => {
      g.node!.splice(0, 0, { opType: 'Relu', name: 'other', input: ['input'], output: ['other'] });
      g.node![at(g, 'layer0.k.mm')].input![0] = 'other';
    });
    expect(() => neural.graphFromOnnx(cross)).toThrow(/only self-attention/);
    // An intermediate read outside the block.
    const leak = edit((g) => {
      g.node!.push({ opType: 'Relu', name: 'peek', input: ['layer1.probs'], output: ['peek'] });
      g.output!.push({ ...g.output![0], name: 'peek' });
    });
    expect(() => neural.graphFromOnnx(leak)).toThrow(/layer1\.probs/);
    // Head split by a shape computed at run time.
    const dynamic = edit((g) => {
      g.node!.splice(0, 0, { opType: 'Shape', name: 'dyn_shape', input: ['input'], output: ['dyn'] });
      g.node![at(g, 'layer0.q.split')].input![1] = 'dyn';
    });
    expect(() => neural.graphFromOnnx(dynamic)).toThrow(/computed at run time/);
    // An attention node whose heads do not split its weights is refused by the graph check.
    const good = neural.graphFromOnnx(bytes);
    const bad = { ...good, nodes: good.nodes.map((n) => (n.op === 'attention' ? { ...n, heads: 3 } : n)) };
    expect(() => neural.validateGraph('test', bad)).toThrow(/attention node 'layer0\.attn'.*Wq .* expected \[32, 24\] for 3 heads of 8/);
    // The tfjs graph writer does not write attention: it says so instead of dropping the node.
    const g = neural.graphFromOnnx(bytes);
    expect(() => neural.tfjsGraphModelJson({ ...g, source: { kind: 'tfjs-graph' } })).toThrow(/attention.*not written to tfjs graph models/);
  });
});

describe('groupsparse inspect / prune on the encoder', () => {
  const cli = join(root, 'src', 'cli', 'index.ts');
  const runCli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr });
    });
  });

  it('inspect lists the head groups; prune --flops 0.5 --method norm writes a smaller ONNX model', async () => {
    const r = await runCli(['inspect', ENCODER_PATH, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { flops: number; groups: { label: string; head?: { node: string; index: number } }[] };
    expect(j.groups.filter((q) => q.head).map((q) => q.label)).toEqual([0, 1].flatMap((b) => Array.from({ length: H }, (_, h) => `layer${b}.attn:head${h}`)));
    const out = join(dir, 'cli');
    const p = await runCli(['prune', ENCODER_PATH, '--flops', '0.5', '--method', 'norm', '--out', out, '--quiet']);
    expect(p.code, p.stderr).toBe(0);
    const m = /FLOPs per sample: ([\d,]+) → ([\d,]+)/.exec(p.stdout)!;
    const [before, after] = [m[1], m[2]].map((s) => Number(s.replace(/,/g, '')));
    expect(before).toBe(j.flops);
    expect(after).toBeLessThanOrEqual(0.5 * before);
    const sess = await ort.InferenceSession.create(join(out, 'model.onnx'));
    const y = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [BATCH, S, D]) });
    expect(y[sess.outputNames[0]].dims).toEqual([BATCH, S, D]);
    await sess.release();
  }, 120_000);
});
