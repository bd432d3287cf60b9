import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitGroupLasso, GroupError, makeGroups, Random, ValueError } from '../src/index.ts';
import { loadDigits } from '../src/neural/digits.ts';
import { proxGroupLassoMetricInPlace } from '../src/prox/metric.ts';
import { initBackend, netStructure, trainProximal, unitGroups, type ImageSet, type UnitGroup } from '../src/neural/train/index.ts';

beforeAll(async () => {
  await initBackend();
});

describe('group prox in a diagonal metric', () => {
  it('is group soft-thresholding at τ d_g / δ when D = δ·1', () => {
    const v = new Float64Array([3, 4, 1, 2]);
    const gs = makeGroups([[0, 1], [2, 3]], 4, { weights: 'one' });
    proxGroupLassoMetricInPlace(v, gs, 6, new Float64Array(4).fill(2));
    // The textbook case: threshold 3 → (1.2, 1.6) and (0, 0).
    expect(Array.from(v)).toEqual([expect.closeTo(1.2, 12), expect.closeTo(1.6, 12), 0, 0]);
  });

  it('satisfies the optimality conditions of ½‖u − v‖²_D + τ d_g ‖u‖ for random D', () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 200; trial++) {
      const p = 1 + rng.int(6);
      const v0 = Float64Array.from({ length: p }, () => rng.normal() * 3);
      const D = Float64Array.from({ length: p }, () => Math.exp(rng.normal() * 2));
      const tau = Math.exp(rng.normal());
      const d = Math.sqrt(p);
      const gs = makeGroups([Array.from({ length: p }, (_, i) => i)], p);
      const w = Float64Array.from(v0);
      proxGroupLassoMetricInPlace(w, gs, tau, D);
      const nw = Math.hypot(...w);
      if (nw === 0) {
        // 0 is optimal iff D v lies in the ball of radius τ d_g.
        expect(Math.hypot(...Array.from(v0, (x, i) => D[i] * x))).toBeLessThanOrEqual(tau * d * (1 + 1e-12));
      } else {
        for (let i = 0; i < p; i++) {
          const r = D[i] * (w[i] - v0[i]) + (tau * d * w[i]) / nw;
          expect(Math.abs(r)).toBeLessThan(1e-9 * (1 + D[i] * Math.abs(v0[i])));
        }
      }
    }
  });
});

/** Digits 3 (label 0) vs 8 (label 1), 64 pixel features, groups of 2 × 2 pixel blocks. */
function threesAndEights(): { data: ImageSet; X: number[][]; blocks: number[] } {
  const d = loadDigits();
  const ids: number[] = [];
  for (let i = 0; i < d.n; i++) if (d.y[i] === 3 || d.y[i] === 8) ids.push(i);
  const x = new Float32Array(ids.length * 64);
  const y = new Int32Array(ids.length);
  const X: number[][] = [];
  ids.forEach((i, k) => {
    for (let j = 0; j < 64; j++) x[k * 64 + j] = d.x[i * 64 + j];
    y[k] = d.y[i] === 8 ? 1 : 0;
    X.push(Array.from(x.subarray(k * 64, k * 64 + 64)));
  });
  const blocks = Array.from({ length: 64 }, (_, j) => Math.floor(j / 16) * 4 + Math.floor((j % 8) / 2));
  return { data: { x, y, n: ids.length, shape: [64], classes: 2 }, X, blocks };
}

/** Mean logistic loss + λ Σ_g 2‖w_g‖ evaluated in float64, independently of both solvers. */
function logisticObjective(X: number[][], y: Int32Array, w: ArrayLike<number>, b: number, blocks: number[], lambda: number): number {
  let s = 0;
  for (let k = 0; k < X.length; k++) {
    let e = b;
    for (let j = 0; j < 64; j++) e += X[k][j] * w[j];
    s += Math.max(e, 0) + Math.log1p(Math.exp(-Math.abs(e))) - y[k] * e;
  }
  const sq = new Float64Array(16);
  for (let j = 0; j < 64; j++) sq[blocks[j]] += w[j] ** 2;
  return s / X.length + lambda * sq.reduce((a, q) => a + 2 * Math.sqrt(q), 0);
}

describe('convex case: a linear logistic layer trained by proximal steps reaches the group-lasso optimum', () => {
  // K = 2 classes against fitGroupLasso's logistic solver (one logit, labels 0/1).
  const { data, X, blocks } = threesAndEights();
  const lambda = 0.02;
  const fit = fitGroupLasso(X, Array.from(data.y), { groups: blocks, loss: 'logistic', lambda, tol: 1e-12 });
  const setup = () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [64], units: 1, kernelInitializer: 'zeros' })] });
    const net = netStructure(model);
    const groups: UnitGroup[] = Array.from({ length: 16 }, (_, g) => ({
      name: `block${g}`, stage: 0, unit: g,
      indices: Int32Array.from(blocks.flatMap((l, j) => (l === g ? [net.stages[1].kernel + j] : []))),
    }));
    return { model, net, groups };
  };

  it('full-batch proximal heavy ball: same objective to 1e-6, same groups, KKT residual ≈ 0', () => {
    const { model, groups } = setup();
    const r = trainProximal(model, data, { lambda, groups, loss: 'logistic', lr: 2, momentum: 0.5, batchSize: data.n, epochs: 600, evalEvery: 600 });
    const w = model.trainableWeights[0].read().dataSync();
    const b = model.trainableWeights[1].read().dataSync()[0];
    const ours = logisticObjective(X, data.y, w, b, blocks, lambda);
    const theirs = logisticObjective(X, data.y, fit.coef, fit.intercept, blocks, lambda);
    expect(fit.converged).toBe(true);
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(1e-6);
    expect(Math.abs(r.objective - theirs) / theirs).toBeLessThan(1e-6);
    for (let j = 0; j < 64; j++) expect(Math.abs(w[j] - fit.coef[j])).toBeLessThan(1e-5);
    const active = Array.from(r.groupNorms, (nrm, g) => (nrm > 0 ? g : -1)).filter((g) => g >= 0);
    expect(active).toEqual(fit.activeGroups);
    expect(r.kkt).toBeLessThan(1e-6);
  });

  it('Adam with the prox in its metric approaches the same optimum (λ keeps its meaning)', () => {
    const { model, groups } = setup();
    const r = trainProximal(model, data, { lambda, groups, loss: 'logistic', optimizer: 'adam', lr: 0.01, batchSize: data.n, epochs: 800, evalEvery: 200 });
    const theirs = logisticObjective(X, data.y, fit.coef, fit.intercept, blocks, lambda);
    expect((r.objective - theirs) / theirs).toBeLessThan(1e-3);
    expect(r.objective).toBeGreaterThan(theirs * (1 - 1e-6)); // the optimum cannot be beaten
    expect(r.activeGroups).toBe(fit.activeGroups.length);
    // The residual shrinks along the run.
    expect(r.history[r.history.length - 1].kkt).toBeLessThan(r.history[0].kkt / 5);
  });
});

/** Digits 3, 5, 8 (labels 0, 1, 2), 64 pixel features. */
function threeClasses(): { data: ImageSet; X: number[][] } {
  const d = loadDigits();
  const code = new Map([[3, 0], [5, 1], [8, 2]]);
  const ids: number[] = [];
  for (let i = 0; i < d.n; i++) if (code.has(d.y[i])) ids.push(i);
  const x = new Float32Array(ids.length * 64);
  const y = new Int32Array(ids.length);
  const X: number[][] = [];
  ids.forEach((i, k) => {
    for (let j = 0; j < 64; j++) x[k * 64 + j] = d.x[i * 64 + j];
    y[k] = code.get(d.y[i])!;
    X.push(Array.from(x.subarray(k * 64, k * 64 + 64)));
  });
  return { data: { x, y, n: ids.length, shape: [64], classes: 3 }, X };
}

/** Mean softmax cross-entropy + λ Σ_g d ‖W_g‖ (W_g: the K weights of the block's pixels), in float64, by hand. */
function softmaxObjective(X: number[][], y: Int32Array, W: (j: number, k: number) => number, b: ArrayLike<number>, blocks: number[], lambda: number, d: number): number {
  const K = 3;
  let s = 0;
  for (let i = 0; i < X.length; i++) {
    const e = Array.from({ length: K }, (_, k) => { let v = b[k]; for (let j = 0; j < 64; j++) v += X[i][j] * W(j, k); return v; });
    const m = Math.max(...e);
    s += m + Math.log(e.reduce((a, v) => a + Math.exp(v - m), 0)) - e[y[i]];
  }
  const sq = new Float64Array(16);
  for (let j = 0; j < 64; j++) for (let k = 0; k < K; k++) sq[blocks[j]] += W(j, k) ** 2;
  return s / X.length + lambda * d * sq.reduce((a, q) => a + Math.sqrt(q), 0);
}

describe('convex case: a linear softmax layer trained by proximal steps reaches the multinomial group-lasso optimum', () => {
  // Groups: the 2 × 2 pixel blocks, each the 4 pixels' weights into all K = 3 logits (12 entries).
  const { data, X } = threeClasses();
  const blocks = Array.from({ length: 64 }, (_, j) => Math.floor(Math.floor(j / 8) / 2) * 4 + Math.floor((j % 8) / 2));
  const lambda = 0.01;
  const d = Math.sqrt(12);
  const labels = Array.from(data.y);
  const fit = fitGroupLasso(X, labels, { groups: blocks, loss: 'multinomial', lambda, weights: new Array(16).fill(d), tol: 1e-12 });
  const theirs = softmaxObjective(X, data.y, (j, k) => fit.coef[k * 64 + j], fit.intercepts, blocks, lambda, d);

  it('full-batch proximal heavy ball: same objective to 1e-6, same weights and active blocks, KKT residual ≈ 0', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [64], units: 3, kernelInitializer: 'zeros' })] });
    const net = netStructure(model);
    const groups: UnitGroup[] = Array.from({ length: 16 }, (_, g) => ({
      name: `block${g}`, stage: 0, unit: g,
      indices: Int32Array.from(blocks.flatMap((l, j) => (l === g ? [0, 1, 2].map((k) => net.stages[1].kernel + j * 3 + k) : []))),
    }));
    const r = trainProximal(model, data, { lambda, groups, lr: 1, momentum: 0.6, batchSize: data.n, epochs: 1500, evalEvery: 500 });
    const w = model.trainableWeights[0].read().dataSync();
    const b = model.trainableWeights[1].read().dataSync();
    const ours = softmaxObjective(X, data.y, (j, k) => w[j * 3 + k], b, blocks, lambda, d);
    expect(fit.converged).toBe(true);
    const activeFit = Array.from({ length: 16 }, (_, g) => g).filter((g) => blocks.some((l, j) => l === g && [0, 1, 2].some((k) => fit.coef[k * 64 + j] !== 0)));
    expect(activeFit.length).toBeGreaterThan(0); // the case has both kept and dropped blocks
    expect(activeFit.length).toBeLessThan(16);
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(1e-6);
    expect(Math.abs(r.objective - theirs) / theirs).toBeLessThan(1e-6);
    for (let j = 0; j < 64; j++) for (let k = 0; k < 3; k++) expect(Math.abs(w[j * 3 + k] - fit.coef[k * 64 + j])).toBeLessThan(1e-4);
    expect(Array.from(r.groupNorms, (nrm, g) => (nrm > 0 ? g : -1)).filter((g) => g >= 0)).toEqual(activeFit);
    expect(r.kkt).toBeLessThan(1e-5);
    // The reported objective decreased along the run (up to the float32 rounding of the model's
    // forward pass, ~1e-7 relative, once at the optimum).
    for (let k = 1; k < r.history.length; k++) expect(r.history[k].objective).toBeLessThanOrEqual(r.history[k - 1].objective * (1 + 1e-7));
  });
});

describe('polishing: minibatch proximal SGD, then full-batch proximal gradient on the stated objective', () => {
  // The convex softmax case again, started from zero weights and trained the way users train
  // (minibatches of 32, cosine steps) for only 10 epochs: that leaves a residual of ~0.5 λd_g.
  const { data, X } = threeClasses();
  const blocks = Array.from({ length: 64 }, (_, j) => Math.floor(Math.floor(j / 8) / 2) * 4 + Math.floor((j % 8) / 2));
  const lambda = 0.01;
  const d = Math.sqrt(12);
  const fit = fitGroupLasso(X, Array.from(data.y), { groups: blocks, loss: 'multinomial', lambda, weights: new Array(16).fill(d), tol: 1e-12 });
  const theirs = softmaxObjective(X, data.y, (j, k) => fit.coef[k * 64 + j], fit.intercepts, blocks, lambda, d);

  it.each([[0, 'gradient'], [10, 'gradient'], [10, 'quasi-newton'], [10, 'newton']] as const)('drives the relative KKT distance from ~0.5 to ≤ 1e-4 and the objective to the group-lasso optimum, never rising (L-BFGS memory %i, %s)', (memory, method) => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [64], units: 3, kernelInitializer: 'zeros' })] });
    const net = netStructure(model);
    const groups: UnitGroup[] = Array.from({ length: 16 }, (_, g) => ({
      name: `block${g}`, stage: 0, unit: g,
      indices: Int32Array.from(blocks.flatMap((l, j) => (l === g ? [0, 1, 2].map((k) => net.stages[1].kernel + j * 3 + k) : []))),
    }));
    const r = trainProximal(model, data, { lambda, groups, lr: 0.05, batchSize: 32, epochs: 10, schedule: 'cosine', polish: 600, polishTol: 1e-4, polishMemory: memory, polishMethod: method });
    const stochastic = r.history.filter((h) => h.phase === 'stochastic');
    const polish = r.history.filter((h) => h.phase === 'polish');
    expect(stochastic.length).toBe(10);
    const before = stochastic[stochastic.length - 1];
    expect(before.kktRelative).toBeGreaterThan(1e-2); // minibatch steps alone stop far from stationarity
    expect(r.polish.status).toBe('converged');
    expect(r.polish.steps).toBe(polish.length);
    expect(r.kktRelative).toBeLessThanOrEqual(1e-4);
    // kktRelative is kkt / (λ·max_g d_g): recomputed here from its definition.
    expect(r.kktRelative).toBeCloseTo(r.kkt / (lambda * d), 12);
    // The point reached is the optimum fitGroupLasso certifies, by an objective evaluated by hand in float64.
    const w = model.trainableWeights[0].read().dataSync();
    const b = model.trainableWeights[1].read().dataSync();
    const ours = softmaxObjective(X, data.y, (j, k) => w[j * 3 + k], b, blocks, lambda, d);
    expect((ours - theirs) / theirs).toBeLessThan(1e-6);
    expect(ours).toBeGreaterThan(theirs * (1 - 1e-7));
    // Monotone: every polishing step stays within float32's resolution of the lowest P so far,
    // and the phase as a whole lowers P.
    let low = before.objective;
    for (const h of polish) {
      expect(h.objective).toBeLessThanOrEqual(low * (1 + 2 ** -24));
      low = Math.min(low, h.objective);
    }
    expect(r.objective).toBeLessThan(before.objective - 1e-3);
  });
});

describe('nonconvex: an MLP on digits', () => {
  const d = loadDigits();
  const data: ImageSet = { x: Float32Array.from(d.x), y: d.y, n: d.n, shape: [64], classes: 10 };
  const mlp = () => {
    return tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [64], units: 24, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
        tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
  };

  it('the stated objective decreases and beats the all-zero network, which scores log 10', () => {
    const model = mlp();
    const seen: number[] = [];
    const r = trainProximal(model, data, { lambda: 2e-3, epochs: 6, lr: 0.05, momentum: 0.9, onProgress: (p) => void seen.push(p.objective) });
    expect(seen.length).toBe(6);
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThan(seen[k - 1] * 1.02);
    expect(seen[seen.length - 1]).toBeLessThan(seen[0]);
    // All weights 0 → uniform logits → cross-entropy log 10 and no penalty.
    expect(r.objective).toBeLessThan(Math.log(10) / 2);
    expect(r.trainAccuracy).toBeGreaterThan(0.9);
    expect(r.activeGroups).toBeLessThan(64 + 24); // some input pixels (the blank borders) are pruned
    expect(r.status).toBe('finished');
  });

  it('polishing lowers the objective at every step and the residual below where the minibatch phase left it', () => {
    const model = mlp();
    const r = trainProximal(model, data, { lambda: 2e-3, epochs: 4, lr: 0.05, momentum: 0.9, schedule: 'cosine', polish: 40 });
    const stochastic = r.history.filter((h) => h.phase === 'stochastic');
    const polish = r.history.filter((h) => h.phase === 'polish');
    expect(polish.length).toBe(r.polish.steps);
    expect(polish.length).toBeGreaterThan(0);
    let low = stochastic[stochastic.length - 1].objective;
    for (const h of polish) {
      expect(h.objective).toBeLessThanOrEqual(low * (1 + 2 ** -24));
      low = Math.min(low, h.objective);
    }
    expect(r.objective).toBeLessThan(stochastic[stochastic.length - 1].objective);
    expect(Math.min(...polish.map((h) => h.kkt))).toBeLessThan(stochastic[stochastic.length - 1].kkt);
    // The result describes the model as it stands: re-evaluated from its weights, same objective.
    const again = trainProximal(model, data, { lambda: 2e-3, epochs: 1, lr: 1e-12, momentum: 0 });
    expect(Math.abs(again.history[0].objective - r.objective)).toBeLessThan(1e-5);
  });

  it('at a λ above the price of every group the network goes to zero, and that is stationary', () => {
    const model = mlp();
    const r = trainProximal(model, data, { lambda: 0.5, epochs: 4, lr: 0.05 });
    expect(r.activeGroups).toBe(0);
    expect(r.loss).toBeCloseTo(Math.log(10), 1);
  });

  it('stops on the callback and on the signal, and says so', () => {
    const r1 = trainProximal(mlp(), data, { lambda: 1e-3, epochs: 5, onProgress: (p) => p.epoch < 2 });
    expect(r1.status).toBe('stopped by callback');
    expect(r1.history.length).toBe(2);
    const ac = new AbortController();
    ac.abort();
    const r2 = trainProximal(mlp(), data, { lambda: 1e-3, epochs: 5, signal: ac.signal });
    expect(r2.status).toBe('stopped by signal');
    expect(r2.steps).toBe(0);
  });

  it('refuses overlapping groups, a bad λ, an unknown schedule and labels outside the classes', () => {
    const model = mlp();
    const net = netStructure(model);
    const g = unitGroups(net);
    expect(() => trainProximal(model, data, { lambda: 1e-3, groups: [...g, { ...g[0], name: 'again' }] })).toThrow(GroupError);
    expect(() => trainProximal(model, data, { lambda: -1 })).toThrow(/trainProximal: lambda/);
    expect(() => trainProximal(model, data, { lambda: 0, schedule: 'linear' as 'cosine' })).toThrow(/trainProximal: schedule must be 'constant' or 'cosine'/);
    expect(() => trainProximal(model, { ...data, y: Int32Array.from(data.y, (v) => v + 1) }, { lambda: 0 })).toThrow(ValueError);
  });
});

describe('the conv kernel gradient on the wasm backend', () => {
  it('equals Σ_patches x · R, written out in loops, for valid and strided same padding', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe('wasm');
    for (const [pad, s] of [['valid', 1], ['same', 2]] as const) {
      const [B, H, W, C, k, O] = [2, 7, 6, 3, 3, 4];
      const xv = Float32Array.from({ length: B * H * W * C }, (_, i) => Math.sin(0.7 * i));
      const wv = Float32Array.from({ length: k * k * C * O }, (_, i) => Math.cos(0.3 * i));
      const x = tf.tensor(xv, [B, H, W, C]) as import('@tensorflow/tfjs-core').Tensor4D;
      const w = tf.variable(tf.tensor(wv, [k, k, C, O]));
      const Ho = pad === 'valid' ? H - k + 1 : Math.ceil(H / s);
      const Wo = pad === 'valid' ? W - k + 1 : Math.ceil(W / s);
      const R = Float32Array.from({ length: B * Ho * Wo * O }, (_, i) => Math.sin(1.3 * i + 1));
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.conv2d(x, w as unknown as import('@tensorflow/tfjs-core').Tensor4D, s, pad), tf.tensor(R, [B, Ho, Wo, O]))) as import('@tensorflow/tfjs-core').Scalar, [w]);
      const got = grads[w.name].dataSync();
      // TF 'same' padding: total = max((Ho − 1)·s + k − H, 0), top = ⌊total / 2⌋.
      const top = pad === 'valid' ? 0 : Math.floor(Math.max((Ho - 1) * s + k - H, 0) / 2);
      const left = pad === 'valid' ? 0 : Math.floor(Math.max((Wo - 1) * s + k - W, 0) / 2);
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) {
        let want = 0;
        for (let b = 0; b < B; b++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
          const iy = oy * s - top + ky, ix = ox * s - left + kx;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          want += xv[((b * H + iy) * W + ix) * C + c] * R[((b * Ho + oy) * Wo + ox) * O + o];
        }
        expect(got[((ky * k + kx) * C + c) * O + o]).toBeCloseTo(want, 3);
      }
    }
  });

  it('the input gradient equals Σ dY · W scattered back to the patch positions, for valid and strided same padding', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    for (const [pad, s] of [['valid', 1], ['same', 2]] as const) {
      const [B, H, W, C, k, O] = [2, 7, 6, 3, 3, 4];
      const xv = Float32Array.from({ length: B * H * W * C }, (_, i) => Math.sin(0.7 * i));
      const wv = Float32Array.from({ length: k * k * C * O }, (_, i) => Math.cos(0.3 * i));
      const x = tf.variable(tf.tensor(xv, [B, H, W, C]));
      const w = tf.tensor(wv, [k, k, C, O]) as import('@tensorflow/tfjs-core').Tensor4D;
      const Ho = pad === 'valid' ? H - k + 1 : Math.ceil(H / s);
      const Wo = pad === 'valid' ? W - k + 1 : Math.ceil(W / s);
      const R = Float32Array.from({ length: B * Ho * Wo * O }, (_, i) => Math.sin(1.3 * i + 1));
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.conv2d(x as unknown as import('@tensorflow/tfjs-core').Tensor4D, w, s, pad), tf.tensor(R, [B, Ho, Wo, O]))) as import('@tensorflow/tfjs-core').Scalar, [x]);
      const got = grads[x.name].dataSync();
      const top = pad === 'valid' ? 0 : Math.floor(Math.max((Ho - 1) * s + k - H, 0) / 2);
      const left = pad === 'valid' ? 0 : Math.floor(Math.max((Wo - 1) * s + k - W, 0) / 2);
      const want = new Float64Array(B * H * W * C);
      for (let b = 0; b < B; b++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const iy = oy * s - top + ky, ix = ox * s - left + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) want[((b * H + iy) * W + ix) * C + c] += wv[((ky * k + kx) * C + c) * O + o] * R[((b * Ho + oy) * Wo + ox) * O + o];
      }
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 3);
      x.dispose();
    }
  });

  it('matMul with transposed operands (the wrapped kernel) equals the product written out in loops', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const [m, kk, n] = [5, 7, 3];
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const av = Float32Array.from({ length: m * kk }, (_, i) => Math.sin(0.9 * i + 0.2));
      const bv = Float32Array.from({ length: kk * n }, (_, i) => Math.cos(0.4 * i));
      // Stored transposed when the flag is set: a is [kk, m] for ta, b is [n, kk] for tb.
      const a = tf.tensor2d(av, ta ? [kk, m] : [m, kk]);
      const b = tf.tensor2d(bv, tb ? [n, kk] : [kk, n]);
      const got = tf.matMul(a, b, ta, tb).dataSync();
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let want = 0;
        for (let l = 0; l < kk; l++) want += (ta ? av[l * m + i] : av[i * kk + l]) * (tb ? bv[j * kk + l] : bv[l * n + j]);
        expect(got[i * n + j]).toBeCloseTo(want, 5);
      }
      tf.dispose([a, b]);
    }
    // Batched, with a broadcast batch axis.
    const a3 = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i % 5 - 2), [2, 4, 3]);
    const b2 = tf.tensor3d(Float32Array.from({ length: 4 * 2 }, (_, i) => i - 3), [1, 2, 4]);
    const got3 = tf.matMul(a3, b2, true, true).dataSync();
    const av3 = a3.dataSync(), bv2 = b2.dataSync();
    for (let q = 0; q < 2; q++) for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
      let want = 0;
      for (let l = 0; l < 4; l++) want += av3[q * 12 + l * 3 + i] * bv2[j * 4 + l];
      expect(got3[(q * 3 + i) * 2 + j]).toBeCloseTo(want, 5);
    }
    tf.dispose([a3, b2]);
  });
});
