import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../src/neural/digits.ts';
import { CompactLbfgs } from '../src/neural/train/quasinewton.ts';
import { FlatParams, groupStructureOf, initBackend, netStructure, polishProximal, trainProximal, unitGroups, type ImageSet, type TrainProgress, type TrainResult } from '../src/neural/train/index.ts';
import { OptionError } from '../src/errors.ts';

beforeAll(async () => {
  await initBackend();
});

/**
 * P and its KKT distance for the MLP 64-H-10, recomputed here from the definition: the loss and its
 * gradient by tfjs autodiff on the whole set in one batch (tf.losses.softmaxCrossEntropy, not the
 * library's loss), the groups written out by hand — input pixel j: row j of the first kernel (H
 * weights), hidden unit u: row u of the second kernel (10 weights), d_g = √p_g; biases unpenalized.
 */
function recompute(model: tfl.LayersModel, data: ImageSet, lambda: number): { objective: number; kkt: number } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const [k1, b1, k2, b2] = vars;
  const H = k1.shape[1] as number;
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.n, 64]);
    const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), 10);
    return tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor2D) as tf.Scalar, vars);
  });
  const F = value.dataSync()[0];
  const w1 = k1.dataSync();
  const w2 = k2.dataSync();
  const g1 = grads[k1.name].dataSync();
  const g2 = grads[k2.name].dataSync();
  let penalty = 0;
  let kkt = 0;
  const group = (w: ArrayLike<number>, g: ArrayLike<number>, start: number, len: number) => {
    const d = Math.sqrt(len);
    let n2 = 0;
    let gg = 0;
    for (let i = start; i < start + len; i++) { n2 += w[i] * w[i]; gg += g[i] * g[i]; }
    const norm = Math.sqrt(n2);
    penalty += d * norm;
    let dist = Math.max(0, Math.sqrt(gg) - lambda * d);
    if (norm > 0) {
      let r2 = 0;
      for (let i = start; i < start + len; i++) r2 += (g[i] + (lambda * d * w[i]) / norm) ** 2;
      dist = Math.sqrt(r2);
    }
    kkt = Math.max(kkt, dist);
  };
  for (let j = 0; j < 64; j++) group(w1, g1, j * H, H);
  for (let u = 0; u < H; u++) group(w2, g2, u * 10, 10);
  for (const b of [b1, b2]) for (const v of grads[b.name].dataSync()) kkt = Math.max(kkt, Math.abs(v));
  tf.dispose([value, grads]);
  return { objective: F + lambda * penalty, kkt };
}

describe('Newton polishing on a smooth nonconvex network (tanh MLP 64-8-10 on 600 digits)', () => {
  const d = loadDigits();
  const n = 600;
  const data: ImageSet = { x: Float32Array.from(d.x.subarray(0, n * 64)), y: d.y.subarray(0, n), n, shape: [64], classes: 10 };
  const lambda = 5e-3;
  const mlp = () => tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 8, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }),
    ],
  });
  let model: tfl.LayersModel;
  // A record in the middle of the polish, checked against the model as it stood then.
  let middle: { p: TrainProgress; again: ReturnType<typeof recompute> } | null = null;
  let r: TrainResult;
  let polish: TrainProgress[];
  let start: TrainProgress;
  beforeAll(() => {
    model = mlp();
    r = trainProximal(model, data, {
      lambda, epochs: 10, lr: 0.05, momentum: 0.9, schedule: 'cosine', polish: 5000, polishTol: 1e-4, polishMethod: 'newton',
      onProgress: (p) => {
        if (p.phase === 'polish' && p.steps % 50 === 0 && middle === null) middle = { p, again: recompute(model, data, lambda) };
      },
    });
    polish = r.history.filter((h) => h.phase === 'polish');
    start = r.history.filter((h) => h.phase === 'stochastic').at(-1)!;
  }, 300_000);

  it('reports the objective and KKT distance that tfjs gradients give, during and after the polish', () => {
    const end = recompute(model, data, lambda);
    console.log(`reported kkt ${r.kkt.toExponential(3)} (relative ${r.kktRelative.toExponential(2)}), recomputed ${end.kkt.toExponential(3)}; P ${r.objective} vs ${end.objective}`);
    expect(middle).not.toBeNull();
    for (const [p, again] of [[r as TrainProgress, end], [middle!.p, middle!.again]] as const) {
      expect(Math.abs(again.objective - p.objective) / p.objective).toBeLessThan(1e-6);
      // Two float32 gradients of the same point, summed in a different order: they agree to ~1e-7.
      expect(Math.abs(again.kkt - p.kkt)).toBeLessThan(2e-7 + 0.01 * p.kkt);
    }
    // kktRelative divides by λ·max_g d_g = λ√10 here (the hidden units' groups are the largest).
    expect(r.kktRelative).toBeCloseTo(r.kkt / (lambda * Math.sqrt(10)), 12);
  });

  it('reaches a relative KKT distance ≤ 1e-4 (converged), P never above its running minimum', () => {
    console.log(`${polish.length} polishing steps, ${r.polish.evaluations} evaluations: P ${start.objective.toFixed(6)} → ${r.objective.toFixed(6)}, kktRelative ${start.kktRelative.toExponential(2)} → ${r.kktRelative.toExponential(2)}`);
    expect(start.kktRelative).toBeGreaterThan(1e-2);
    expect(r.polish.status).toBe('converged');
    expect(r.kktRelative).toBeLessThanOrEqual(1e-4);
    expect(recompute(model, data, lambda).kkt / (lambda * Math.sqrt(10))).toBeLessThan(1.5e-4);
    let low = start.objective;
    for (const h of polish) {
      expect(h.objective).toBeLessThanOrEqual(low * (1 + 2 ** -24));
      low = Math.min(low, h.objective);
    }
    expect(r.objective).toBeLessThan(start.objective - 1e-3);
  });
});

describe('polishProximal settings', () => {
  it('refuses an unknown method, naming the function and the choices', () => {
    const d = loadDigits();
    const data: ImageSet = { x: Float32Array.from(d.x.subarray(0, 20 * 64)), y: d.y.subarray(0, 20), n: 20, shape: [64], classes: 10 };
    const net = netStructure(tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [64], units: 10 })] }));
    const gs = groupStructureOf(net, unitGroups(net));
    const options = { maxSteps: 1, tol: 1e-4, kktScale: 1, step: 0.1, epoch: 0, steps: 0, method: 'bfgs' as 'newton' };
    expect(() => polishProximal(new FlatParams(net), gs, data, 'softmax', 1e-3, options)).toThrow(OptionError);
    expect(() => polishProximal(new FlatParams(net), gs, data, 'softmax', 1e-3, options)).toThrow(/^polishProximal: method must be 'gradient', 'quasi-newton' or 'newton'/);
  });
});

describe('the compact L-BFGS matrix', () => {
  it('satisfies the secant condition B s = y for the newest pair and is symmetric positive definite', () => {
    const n = 12;
    // Pairs from a fixed SPD quadratic: y = A s.
    const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 + i : 0.3 / (1 + Math.abs(i - j)))));
    const B = new CompactLbfgs(4);
    const mult = (v: Float64Array) => Float64Array.from(A, (row) => row.reduce((s, a, j) => s + a * v[j], 0));
    let last: [Float64Array, Float64Array] | null = null;
    for (let k = 0; k < 6; k++) {
      const s = Float64Array.from({ length: n }, (_, i) => Math.sin(1 + k * 3.1 + i * 0.7));
      const y = mult(s);
      expect(B.push(s, y)).toBe(true);
      last = [s, y];
    }
    expect(B.size).toBe(4);
    const Bs = new Float64Array(n);
    B.times(last![0], Bs);
    for (let i = 0; i < n; i++) expect(Bs[i]).toBeCloseTo(last![1][i], 9);
    // Symmetric: uᵀBv = vᵀBu; positive: vᵀBv > 0.
    const u = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * i + 1));
    const Bu = new Float64Array(n);
    const Bv = new Float64Array(n);
    B.times(u, Bu);
    B.times(v, Bv);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    expect(Math.abs(dot(u, Bv) - dot(v, Bu))).toBeLessThan(1e-9 * Math.sqrt(dot(Bu, Bu) * dot(v, v)));
    expect(dot(v, Bv)).toBeGreaterThan(0);
    // A pair without positive curvature is refused.
    expect(B.push(Float64Array.from({ length: n }, () => 1), Float64Array.from({ length: n }, () => -1))).toBe(false);
  });
});
