import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../src/neural/digits.ts';
import { clarkeBand, clarkeResidual, KINK_BAND } from '../src/neural/train/clarke.ts';
import { evaluateObjective, FlatParams, fullBatch, groupStructureOf, initBackend, netStructure, trainProximal, unitGroups, type ImageSet } from '../src/neural/train/index.ts';
import { ValueError } from '../src/errors.ts';

beforeAll(async () => {
  await initBackend();
});

/**
 * The oracle: the full-batch gradient of mean softmax cross-entropy with the ReLU derivative of
 * chosen (sample, unit) pairs set by hand, by tfjs autodiff on the network written out layer by
 * layer, each ReLU a custom-gradient op: forward relu(z), backward dy ⊙ M (M a constant mask: 1
 * where z > 0, the chosen value at the chosen pairs, else 0). Returns the gradient per variable
 * (kernels row-major).
 */
function maskedGradient(model: tfl.LayersModel, data: ImageSet, choice: Map<string, number>): Float64Array[] {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const layers = vars.length / 2;
  const result = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.n, data.x.length / data.n]);
    const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), data.classes);
    // The masks from a forward pass of the unmasked network.
    const masks: tf.Tensor[] = [];
    let a: tf.Tensor = x;
    for (let l = 0; l < layers - 1; l++) {
      const z = tf.add(tf.matMul(a as tf.Tensor2D, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]);
      const zv = z.dataSync();
      const units = z.shape[1] as number;
      const m = new Float32Array(zv.length);
      for (let i = 0; i < zv.length; i++) {
        const c = choice.get(`${l}:${Math.floor(i / units)}:${i % units}`);
        m[i] = c !== undefined ? c : zv[i] > 0 ? 1 : 0;
      }
      masks.push(tf.tensor2d(m, z.shape as [number, number]));
      a = tf.relu(z);
    }
    const { grads } = tf.variableGrads(() => {
      let h: tf.Tensor = x;
      for (let l = 0; l < layers - 1; l++) {
        const mask = masks[l];
        const relu = tf.customGrad(((z: tf.Tensor) => ({ value: tf.relu(z), gradFunc: (dy: tf.Tensor) => tf.mul(dy, mask) })) as unknown as Parameters<typeof tf.customGrad>[0]);
        h = relu(tf.add(tf.matMul(h as tf.Tensor2D, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]));
      }
      const logits = tf.add(tf.matMul(h as tf.Tensor2D, vars[2 * layers - 2] as tf.Tensor2D), vars[2 * layers - 1]);
      return tf.losses.softmaxCrossEntropy(y, logits as tf.Tensor2D) as tf.Scalar;
    }, vars);
    return vars.map((v) => grads[v.name]);
  });
  const out = result.map((t) => Float64Array.from(t.dataSync()));
  tf.dispose(result);
  return out;
}

/**
 * ‖r‖₂² and the max-over-groups KKT distance written out for an MLP with the default groups:
 * one group per input pixel / hidden unit = the row of the next kernel that reads it (d_g = √p_g,
 * every group nonzero in these tests), biases unpenalized.
 */
function residual(model: tfl.LayersModel, grads: Float64Array[], lambda: number): { sq: number; kkt: number } {
  const vals = model.trainableWeights.map((w) => (w.read() as tf.Variable).dataSync());
  let sq = 0;
  let kkt = 0;
  for (let l = 0; l < vals.length; l += 2) {
    const [rows, cols] = model.trainableWeights[l].shape as number[];
    for (let j = 0; j < rows; j++) {
      let n2 = 0;
      for (let u = 0; u < cols; u++) n2 += vals[l][j * cols + u] ** 2;
      const norm = Math.sqrt(n2);
      expect(norm).toBeGreaterThan(0);
      let r2 = 0;
      for (let u = 0; u < cols; u++) r2 += (grads[l][j * cols + u] + (lambda * Math.sqrt(cols) * vals[l][j * cols + u]) / norm) ** 2;
      sq += r2;
      kkt = Math.max(kkt, Math.sqrt(r2));
    }
    for (const g of grads[l + 1]) { sq += g * g; kkt = Math.max(kkt, Math.abs(g)); }
  }
  return { sq, kkt };
}

/** A 2-3-3 ReLU MLP on four samples whose first-layer pre-activations are exactly 0 (dyadic values) at four (sample, unit) pairs. */
function kinkedNet(shift = 0): { model: tfl.LayersModel; data: ImageSet; kinks: string[] } {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 3, activation: 'relu' }), tfl.layers.dense({ units: 3 })] });
  model.setWeights([
    tf.tensor2d([[0.5, -1, 0.25], [-0.25, 0.5, 0.25]]),
    tf.tensor1d([0 + shift, 1.5 + shift, -0.5 + shift]),
    tf.tensor2d([[0.3, -0.2, 0.1], [-0.4, 0.25, 0.5], [0.2, 0.6, -0.3]]),
    tf.tensor1d([0.1, -0.1, 0]),
  ]);
  const data: ImageSet = { x: Float32Array.from([1, 2, 2, 1, 1, -1, 0.5, 1.5]), y: Int32Array.from([0, 1, 2, 1]), n: 4, shape: [2], classes: 3 };
  // z = x·w + b: sample 0 unit 0: 0.5 − 0.5 = 0; sample 1 unit 1: −2 + 0.5 + 1.5 = 0; sample 2 unit 1: −1 − 0.5 + 1.5 = 0; sample 3 unit 2: 0.125 + 0.375 − 0.5 = 0.
  return { model, data, kinks: ['0:0:0', '0:1:1', '0:2:1', '0:3:2'] };
}

describe('the generalized (Clarke) KKT residual', () => {
  const lambda = 0.01;

  it('equals the minimum over ReLU′ ∈ [0, 1] at the kinks, found by enumerating the faces of the box', () => {
    const { model, data, kinks } = kinkedNet();
    const net = netStructure(model);
    const gs = groupStructureOf(net, unitGroups(net));
    const params = new FlatParams(net);
    const grad = fullBatch(params, data, 'softmax', true).grad!;
    const c = clarkeResidual(params, gs, data, 'softmax', lambda, undefined, grad, { band: 0 })!;
    expect(c.pairs).toBe(4);
    expect(c.where.map((p) => `${p.layer}:${p.sample}:${p.unit}`)).toEqual(kinks);
    expect(c.linear).toBe(true);
    // With one hidden layer the gradient is affine in the choices: g(σ) = g(0) + Σ σ_k (g(e_k) − g(0)).
    const flat = (gr: Float64Array[]) => Float64Array.from(gr.flatMap((a) => Array.from(a)));
    const at = (sigma: number[]) => maskedGradient(model, data, new Map(kinks.map((k, i) => [k, sigma[i]])));
    const g0 = flat(at([0, 0, 0, 0]));
    const cols = kinks.map((_, k) => { const e = [0, 0, 0, 0]; e[k] = 1; const gk = flat(at(e)); return gk.map((v, i) => v - g0[i]); });
    // The residual is affine in g (every group is nonzero): r(σ) = r0 + Σ σ_k c_k, so ‖r‖² is a
    // quadratic in σ; its minimum over [0, 1]^4 lies inside one face, where it is the face's
    // unconstrained minimum: enumerate the 3^4 faces (each σ_k at 0, at 1 or free).
    const split = (v: Float64Array) => { const out: Float64Array[] = []; let o = 0; for (const w of model.trainableWeights) { const size = (w.shape as number[]).reduce((a, b) => a * b, 1); out.push(v.subarray(o, o + size)); o += size; } return out; };
    const r0 = residual(model, split(g0), lambda);
    // r0 vector: the residual entries themselves (gradient + λ d_g θ_g/‖θ_g‖ on kernels, gradient on biases).
    const offsets = new Float64Array(g0.length);
    {
      const vals = model.trainableWeights.map((w) => (w.read() as tf.Variable).dataSync());
      let o = 0;
      for (let l = 0; l < vals.length; l++) {
        const shape = model.trainableWeights[l].shape as number[];
        if (shape.length === 2) {
          const [rows, cc] = shape;
          for (let j = 0; j < rows; j++) {
            let n2 = 0;
            for (let u = 0; u < cc; u++) n2 += vals[l][j * cc + u] ** 2;
            for (let u = 0; u < cc; u++) offsets[o + j * cc + u] = (lambda * Math.sqrt(cc) * vals[l][j * cc + u]) / Math.sqrt(n2);
          }
        }
        o += vals[l].length;
      }
    }
    const rvec = (sigma: number[]) => g0.map((v, i) => v + offsets[i] + sigma.reduce((s, sk, k) => s + sk * cols[k][i], 0));
    const sqOf = (sigma: number[]) => rvec(sigma).reduce((s, v) => s + v * v, 0);
    expect(sqOf([0, 0, 0, 0])).toBeCloseTo(r0.sq, 12);
    let best = { sq: Infinity, sigma: [0, 0, 0, 0] };
    for (let code = 0; code < 81; code++) {
      const state = [0, 1, 2, 3].map((k) => Math.floor(code / 3 ** k) % 3); // 0: at 0, 1: at 1, 2: free
      const free = state.flatMap((s, k) => (s === 2 ? [k] : []));
      const fixed: number[] = state.map((s) => (s === 1 ? 1 : 0));
      const base = rvec(fixed);
      // Normal equations over the free coordinates: (CᵀC) t = −Cᵀ base.
      const m = free.length;
      const A = free.map((a) => free.map((b) => cols[a].reduce((s, v, i) => s + v * cols[b][i], 0)));
      const rhs = free.map((a) => -cols[a].reduce((s, v, i) => s + v * base[i], 0));
      // Gaussian elimination (m ≤ 4).
      for (let p = 0; p < m; p++) {
        for (let q = p + 1; q < m; q++) { const f = A[q][p] / A[p][p]; for (let k = p; k < m; k++) A[q][k] -= f * A[p][k]; rhs[q] -= f * rhs[p]; }
      }
      const t = new Array(m).fill(0);
      for (let p = m - 1; p >= 0; p--) { let v = rhs[p]; for (let k = p + 1; k < m; k++) v -= A[p][k] * t[k]; t[p] = v / A[p][p]; }
      if (!t.every((v) => Number.isFinite(v) && v >= -1e-12 && v <= 1 + 1e-12)) continue;
      const sigma = fixed.slice();
      free.forEach((k, i) => { sigma[k] = Math.min(1, Math.max(0, t[i])); });
      const sq = sqOf(sigma);
      if (sq < best.sq) best = { sq, sigma };
    }
    console.log(`‖r‖ one-sided ${Math.sqrt(r0.sq).toExponential(4)}, minimum over the box ${Math.sqrt(best.sq).toExponential(4)} at σ = ${best.sigma.map((v) => v.toFixed(4)).join(', ')}; reported ${c.norm.toExponential(4)} (lower bound ${c.normLower.toExponential(4)}) at ${Array.from(c.sigma, (v) => v.toFixed(4)).join(', ')}`);
    expect(best.sq).toBeLessThan(0.9 * r0.sq); // the kinks carry part of the residual here
    expect(c.normPlain).toBeCloseTo(Math.sqrt(r0.sq), 6);
    expect(Math.abs(c.norm - Math.sqrt(best.sq))).toBeLessThan(1e-6 * c.normPlain);
    expect(c.normLower).toBeLessThanOrEqual(c.norm);
    expect(c.normLower).toBeGreaterThan(Math.sqrt(best.sq) * (1 - 1e-5));
    for (let k = 0; k < 4; k++) expect(Math.abs(c.sigma[k] - best.sigma[k])).toBeLessThan(1e-4);
    // The reported max-over-groups distance is the one at the chosen derivatives (or the plain one, if lower).
    const atBest = residual(model, split(flat(at(Array.from(c.sigma)))), lambda);
    expect(c.kkt).toBeCloseTo(Math.min(atBest.kkt, r0.kkt), 6);
    expect(c.plain).toBeCloseTo(r0.kkt, 6);
    expect(c.kkt).toBeLessThanOrEqual(c.plain);
  });

  it('equals the plain residual when no pre-activation lies in the band, and widens with the band', () => {
    const { model, data } = kinkedNet(0.01); // every kink moved 0.01 away
    const net = netStructure(model);
    const gs = groupStructureOf(net, unitGroups(net));
    const params = new FlatParams(net);
    const grad = fullBatch(params, data, 'softmax', true).grad!;
    const narrow = clarkeResidual(params, gs, data, 'softmax', lambda, undefined, grad, { band: 1e-4 })!;
    expect(narrow.pairs).toBe(0);
    expect(narrow.kkt).toBe(narrow.plain);
    const p = evaluateObjective(params, gs, data, 'softmax', lambda, undefined, 0, 0, undefined, 1e-4);
    expect(p.kinkPairs).toBe(0);
    expect(p.kktClarke).toBe(p.kkt);
    expect(p.kktClarkeRelative).toBe(p.kktRelative);
    // |z| = 0.01 ≤ δ‖(x, 1)‖ once δ ≥ 0.01 / √(1 + 1 + 1) for the nearest: the pairs enter the band.
    const wide = clarkeResidual(params, gs, data, 'softmax', lambda, undefined, grad, { band: 0.01 })!;
    expect(wide.pairs).toBe(4);
    expect(wide.kkt).toBeLessThan(wide.plain);
    expect(() => clarkeResidual(params, gs, data, 'softmax', lambda, undefined, grad, { band: -1 })).toThrow(ValueError);
    expect(() => clarkeResidual(params, gs, data, 'softmax', lambda, undefined, grad, { band: -1 })).toThrow(/^clarkeResidual: band must be/);
  });

  it('is reported by default on small networks only; a band asks for it, false turns it off', () => {
    const { model, data } = kinkedNet(0.01);
    const net = netStructure(model);
    const gs = groupStructureOf(net, unitGroups(net));
    const params = new FlatParams(net);
    expect(evaluateObjective(params, gs, data, 'softmax', lambda, undefined).kktClarke).toBeDefined();
    expect(evaluateObjective(params, gs, data, 'softmax', lambda, undefined, 0, 0, undefined, false).kktClarke).toBeUndefined();
    // The policy by size (parameters × samples), on stand-ins of the sizes it compares.
    const small = { theta: { length: 1000 } } as unknown as FlatParams;
    const large = { theta: { length: 392_510 } } as unknown as FlatParams; // 784-500-300-10
    expect(clarkeBand('f', undefined, small, 1797)).toBe(KINK_BAND);
    expect(clarkeBand('f', undefined, large, 8004)).toBeNull();
    expect(clarkeBand('f', 1e-3, large, 8004)).toBe(1e-3);
    expect(clarkeBand('f', false, small, 10)).toBeNull();
    expect(() => clarkeBand('f', -1, small, 10)).toThrow(/^f: kinkBand must be/);
    expect(() => trainProximal(model, data, { lambda, epochs: 1, kinkBand: Number.NaN })).toThrow(/^trainProximal: kinkBand must be/);
  });

  it('is at most the plain residual on a trained two-hidden-layer MLP and is the KKT distance of the gradient with the derivatives it chose', () => {
    const d = loadDigits();
    const n = 200;
    const data: ImageSet = { x: Float32Array.from(d.x.subarray(0, n * 64)), y: d.y.subarray(0, n), n, shape: [64], classes: 10 };
    const model = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [64], units: 6, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      tfl.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
    ] });
    const net = netStructure(model);
    const gs = groupStructureOf(net, unitGroups(net));
    const lam = 1e-4; // small: every group stays nonzero (the oracle's groups are all nonzero)
    trainProximal(net, data, { lambda: lam, epochs: 3, lr: 0.05 });
    const params = new FlatParams(net);
    const grad = fullBatch(params, data, 'softmax', true).grad!;
    const c = clarkeResidual(params, gs, data, 'softmax', lam, undefined, grad, { band: 0.05 })!;
    console.log(`${c.pairs} pairs in the band (δ = 0.05), linear ${c.linear}: kkt ${c.plain.toExponential(3)} → ${c.kkt.toExponential(3)}, ‖r‖ ${c.normPlain.toExponential(3)} → ${c.norm.toExponential(3)}`);
    expect(c.pairs).toBeGreaterThan(10);
    expect(new Set(c.where.map((p) => p.layer)).size).toBe(2);
    expect(c.kkt).toBeLessThanOrEqual(c.plain);
    expect(c.kkt).toBeLessThan(0.95 * c.plain);
    const chosen = new Map(c.where.map((p, k) => [`${p.layer}:${p.sample}:${p.unit}`, c.sigma[k]]));
    const oracle = residual(model, maskedGradient(model, data, chosen), lam);
    const plain = residual(model, maskedGradient(model, data, new Map()), lam);
    expect(c.plain).toBeCloseTo(plain.kkt, 6);
    expect(Math.abs(c.kkt - oracle.kkt)).toBeLessThan(1e-6 + 1e-4 * c.kkt);
  });
});
