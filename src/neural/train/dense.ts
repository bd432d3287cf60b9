import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../mnist.ts';
import type { ClassifierLoss } from './params.ts';
import type { NetStructure } from './structure.ts';
import { checkNet } from '../check.ts';

/**
 * A chain of Dense layers (an MLP) written out over the flat parameter vector, evaluated in float64
 * here rather than by tfjs: what the stationarity measures and polishing steps of ReLU networks need
 * and tfjs autodiff cannot give — the gradient with chosen ReLU derivatives at chosen (sample, unit)
 * pairs, the gradient of one pre-activation, and the loss with the activation pattern held fixed.
 *
 * Layer l maps a_l (a_0 the flattened input) to z_l = a_l W_l + b_l and a_{l+1} = act_l(z_l); the
 * last layer's output is the logits (linear). Kernels are row-major [fanIn, units] as tfjs stores
 * them, so W_l[j, u] is at kernel + j·units + u.
 */
export type DenseActivation = 'relu' | 'linear' | 'tanh' | 'sigmoid';

export interface DenseLayer {
  readonly kernel: number;
  /** Flat offset of the bias, −1 without one. */
  readonly bias: number;
  readonly fanIn: number;
  readonly units: number;
  readonly activation: DenseActivation;
}

export interface DenseChain {
  readonly inputs: number;
  readonly layers: readonly DenseLayer[];
}

/**
 * The Dense chain `net` computes, or null when it is anything else: layers other than Dense,
 * Activation / ReLU (uncapped) / Dropout / Flatten (Flatten keeps tfjs's row-major order, that of
 * the data), activations other than relu / linear / tanh / sigmoid, BatchNormalization, a Dense
 * applied per position of an image, or logits through an activation.
 */
export function denseChain(net: NetStructure): DenseChain | null {
  checkNet('denseChain', net);
  const layers: { kernel: number; bias: number; fanIn: number; units: number; activation: DenseActivation }[] = [];
  const inShape = net.model.inputs[0].shape.slice(1) as number[];
  const inputs = inShape.reduce((a, b) => a * b, 1);
  let stage = 0;
  for (const layer of net.model.layers) {
    const cls = layer.getClassName();
    const config = layer.getConfig() as { activation?: string; maxValue?: number | null };
    if (cls === 'Dense') {
      stage++;
      const st = net.stages[stage];
      const act = activationOf(config.activation);
      if (!st || st.kind !== 'dense' || act === null || st.bnGamma >= 0 || st.bnBeta >= 0) return null;
      const fanIn = net.stages[stage - 1].units * st.fanPerUnit;
      if (fanIn !== (layers.length === 0 ? inputs : layers[layers.length - 1].units)) return null;
      layers.push({ kernel: st.kernel, bias: st.bias, fanIn, units: st.units, activation: act });
    } else if (cls === 'Activation' || cls === 'ReLU') {
      const act = cls === 'ReLU' ? ((config.maxValue ?? null) === null ? 'relu' : null) : activationOf(config.activation);
      const last = layers[layers.length - 1];
      if (act === null || !last) return null;
      if (act === 'linear') continue;
      if (last.activation === 'linear') last.activation = act;
      else if (!(last.activation === 'relu' && act === 'relu')) return null; // relu∘relu = relu; other compositions are not modelled
    } else if (!(cls === 'Dropout' || cls === 'Flatten' || cls === 'InputLayer')) {
      return null;
    }
  }
  if (layers.length === 0 || stage !== net.stages.length - 1 || layers[layers.length - 1].activation !== 'linear') return null;
  return { inputs, layers };
}

function activationOf(a: string | undefined): DenseActivation | null {
  if (a === undefined || a === null || a === 'linear') return 'linear';
  return a === 'relu' || a === 'tanh' || a === 'sigmoid' ? a : null;
}

/**
 * One forward pass over n samples: z[l] (n × units_l) and a[l + 1] = act(z[l]) (a[0] = the input),
 * and d[l], the activation's derivative at z[l] (the chain rule's factor). `relu[l]`, when given for
 * a ReLU layer, replaces its derivative by those values (in [0, 1], per sample and unit); with
 * `frozen` the output is relu[l] ⊙ z as well: the piece of the network with that pattern, a smooth
 * function that equals the network wherever its signs match the pattern.
 */
export interface DenseForward {
  readonly n: number;
  readonly z: Float64Array[];
  readonly a: (Float64Array | Float32Array)[];
  readonly d: Float64Array[];
}

export function denseForward(
  chain: DenseChain, theta: ArrayLike<number>, x: Float32Array | Float64Array, n: number,
  relu?: readonly (Float64Array | null | undefined)[], frozen = false,
): DenseForward {
  const z: Float64Array[] = [];
  const a: (Float64Array | Float32Array)[] = [x];
  const d: Float64Array[] = [];
  chain.layers.forEach((L, l) => {
    const U = L.units;
    const F = L.fanIn;
    const zl = new Float64Array(n * U);
    const al = a[l];
    for (let s = 0; s < n; s++) {
      const row = s * U;
      if (L.bias >= 0) for (let u = 0; u < U; u++) zl[row + u] = theta[L.bias + u];
      for (let j = 0; j < F; j++) {
        const v = al[s * F + j];
        if (v === 0) continue;
        const w = L.kernel + j * U;
        for (let u = 0; u < U; u++) zl[row + u] += v * theta[w + u];
      }
    }
    const out = new Float64Array(n * U);
    const dl = new Float64Array(n * U);
    const m = relu?.[l];
    for (let i = 0; i < n * U; i++) {
      const v = zl[i];
      switch (L.activation) {
        case 'relu':
          dl[i] = m ? m[i] : v > 0 ? 1 : 0;
          out[i] = m && frozen ? m[i] * v : v > 0 ? v : 0;
          break;
        case 'tanh': { const t = Math.tanh(v); out[i] = t; dl[i] = 1 - t * t; break; }
        case 'sigmoid': { const t = 1 / (1 + Math.exp(-v)); out[i] = t; dl[i] = t * (1 - t); break; }
        default: out[i] = v; dl[i] = 1;
      }
    }
    z.push(zl);
    d.push(dl);
    a.push(out);
  });
  return { n, z, a, d };
}

/** ∂(mean loss)/∂logits of sample s into `out` (length K), and that sample's loss. */
function logitGradient(logits: Float64Array, s: number, K: number, y: number, loss: ClassifierLoss, n: number, out: Float64Array): number {
  if (loss === 'logistic') {
    const v = logits[s];
    const p = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    out[0] = (p - y) / n;
    return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))) - y * v;
  }
  let mx = -Infinity;
  for (let o = 0; o < K; o++) mx = Math.max(mx, logits[s * K + o]);
  let se = 0;
  for (let o = 0; o < K; o++) se += Math.exp(logits[s * K + o] - mx);
  for (let o = 0; o < K; o++) out[o] = (Math.exp(logits[s * K + o] - mx) / se - (o === y ? 1 : 0)) / n;
  return mx + Math.log(se) - logits[s * K + y];
}

/**
 * Backward pass of one sample s (mean-loss scaling 1/n): adds its gradient into `grad` (unless null)
 * and returns ∂F/∂a[l + 1] of that sample for every hidden layer l (`dh[l]`, units_l entries), with
 * the derivatives `d` of `fwd` except where `override(l, u)` returns a value.
 */
export function sampleBackward(
  chain: DenseChain, theta: ArrayLike<number>, fwd: DenseForward, y: number, loss: ClassifierLoss, s: number,
  grad: Float64Array | null, override?: (l: number, u: number) => number | undefined, sign = 1,
): Float64Array[] {
  const Lc = chain.layers.length;
  const dh: Float64Array[] = new Array(Lc - 1);
  const top = chain.layers[Lc - 1];
  let dz = new Float64Array(top.units);
  logitGradient(fwd.z[Lc - 1], s, top.units, y, loss, fwd.n, dz);
  for (let l = Lc - 1; l >= 0; l--) {
    const L = chain.layers[l];
    const U = L.units;
    const F = L.fanIn;
    const al = fwd.a[l];
    if (grad) {
      for (let j = 0; j < F; j++) {
        const v = al[s * F + j];
        if (v === 0) continue;
        const w = L.kernel + j * U;
        for (let u = 0; u < U; u++) grad[w + u] += sign * v * dz[u];
      }
      if (L.bias >= 0) for (let u = 0; u < U; u++) grad[L.bias + u] += sign * dz[u];
    }
    if (l === 0) break;
    const e = new Float64Array(F);
    for (let j = 0; j < F; j++) {
      const w = L.kernel + j * U;
      let v = 0;
      for (let u = 0; u < U; u++) v += theta[w + u] * dz[u];
      e[j] = v;
    }
    dh[l - 1] = e;
    const below = new Float64Array(F);
    const dl = fwd.d[l - 1];
    for (let j = 0; j < F; j++) {
      const o = override?.(l - 1, j);
      below[j] = e[j] * (o === undefined ? dl[s * F + j] : o);
    }
    dz = below;
  }
  return dh;
}

/**
 * The directional derivative of every pre-activation along v (forward mode, the derivatives of
 * `fwd` held): ż_l = ȧ_l W_l + a_l V_l + v_{b_l}, ȧ_{l+1} = d_l ⊙ ż_l, ȧ_0 = 0.
 */
export function denseDirectional(chain: DenseChain, theta: ArrayLike<number>, fwd: DenseForward, v: ArrayLike<number>): Float64Array[] {
  const n = fwd.n;
  const out: Float64Array[] = [];
  let adot: Float64Array | null = null;
  chain.layers.forEach((L, l) => {
    const U = L.units;
    const F = L.fanIn;
    const zl = new Float64Array(n * U);
    const al = fwd.a[l];
    for (let s = 0; s < n; s++) {
      const row = s * U;
      if (L.bias >= 0) for (let u = 0; u < U; u++) zl[row + u] = v[L.bias + u];
      for (let j = 0; j < F; j++) {
        const a = al[s * F + j];
        const ad = adot ? adot[s * F + j] : 0;
        if (a === 0 && ad === 0) continue;
        const w = L.kernel + j * U;
        for (let u = 0; u < U; u++) zl[row + u] += a * v[w + u] + ad * theta[w + u];
      }
    }
    out.push(zl);
    const dl = fwd.d[l];
    const next = new Float64Array(n * U);
    for (let i = 0; i < n * U; i++) next[i] = dl[i] * zl[i];
    adot = next;
  });
  return out;
}

/** Mean loss of the logits of `fwd` (float64). */
export function denseLoss(chain: DenseChain, fwd: DenseForward, data: ImageSet, loss: ClassifierLoss): number {
  const Lc = chain.layers.length;
  const K = chain.layers[Lc - 1].units;
  const scratch = new Float64Array(K);
  let total = 0;
  for (let s = 0; s < fwd.n; s++) total += logitGradient(fwd.z[Lc - 1], s, K, data.y[s], loss, fwd.n, scratch);
  return total / fwd.n;
}

/** Mean loss and its gradient over all n samples (float64), with the derivatives of `fwd`. */
export function denseGradient(chain: DenseChain, theta: ArrayLike<number>, fwd: DenseForward, data: ImageSet, loss: ClassifierLoss, size: number): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(size);
  const Lc = chain.layers.length;
  const K = chain.layers[Lc - 1].units;
  const scratch = new Float64Array(K);
  let total = 0;
  for (let s = 0; s < fwd.n; s++) {
    total += logitGradient(fwd.z[Lc - 1], s, K, data.y[s], loss, fwd.n, scratch);
    sampleBackward(chain, theta, fwd, data.y[s], loss, s, grad);
  }
  return { loss: total / fwd.n, grad };
}

/**
 * ∇θ z_l[s, u], the gradient of one pre-activation (the derivatives of `fwd` below layer l), as
 * sparse (index, value) lists: unit u's incoming kernel column and bias at layer l, then everything
 * below that reaches it.
 */
export function preactivationGradient(chain: DenseChain, theta: ArrayLike<number>, fwd: DenseForward, s: number, l: number, u: number): { idx: number[]; val: number[] } {
  const idx: number[] = [];
  const val: number[] = [];
  let dz = new Float64Array(chain.layers[l].units);
  dz[u] = 1;
  for (let k = l; k >= 0; k--) {
    const L = chain.layers[k];
    const U = L.units;
    const F = L.fanIn;
    const al = fwd.a[k];
    for (let j = 0; j < F; j++) {
      const v = al[s * F + j];
      if (v === 0) continue;
      for (let q = 0; q < U; q++) if (dz[q] !== 0) { idx.push(L.kernel + j * U + q); val.push(v * dz[q]); }
    }
    if (L.bias >= 0) for (let q = 0; q < U; q++) if (dz[q] !== 0) { idx.push(L.bias + q); val.push(dz[q]); }
    if (k === 0) break;
    const below = new Float64Array(F);
    const dl = fwd.d[k - 1];
    for (let j = 0; j < F; j++) {
      const w = L.kernel + j * U;
      let v = 0;
      for (let q = 0; q < U; q++) v += theta[w + q] * dz[q];
      below[j] = v * dl[s * F + j];
    }
    dz = below;
  }
  return { idx, val };
}

/**
 * The forward pass as tfjs computes it: z[l] = a[l]·W_l + b_l by the fused matMul tfjs-layers' Dense
 * runs (its activation applied to that same float32 result, as Dense does), a[l + 1] the float32
 * activations, d[l] the derivative tfjs's autodiff takes (for ReLU 1 where z > 0, else 0: its
 * gradient is step(z) with step(0) = 0), so that a pre-activation rounded to either side of 0 is
 * attributed the derivative the reported gradient was computed with. Cheaper than `denseForward`
 * on large layers (tfjs's kernels), and it is what the reported gradient saw.
 */
export function tfjsForward(net: NetStructure, chain: DenseChain, data: ImageSet, chunk = 2000): DenseForward {
  const Lc = chain.layers.length;
  const n = data.n;
  const z = chain.layers.map((L) => new Float64Array(n * L.units));
  const a: (Float64Array | Float32Array)[] = [data.x, ...chain.layers.map((L) => new Float32Array(n * L.units))];
  const per = data.x.length / n;
  const dense = net.model.layers.filter((layer) => layer.getClassName() === 'Dense');
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    // The arrays are collected outside the tidy: a tidy walks what it returns, typed arrays element by element.
    const outs = { pre: [] as Float32Array[], post: [] as Float32Array[] };
    tf.tidy(() => {
      let t: tf.Tensor2D = tf.tensor2d(data.x.subarray(start * per, (start + m) * per), [m, per]);
      const { pre, post } = outs;
      chain.layers.forEach((L, l) => {
        const layer = dense[l];
        const kernel = layer.weights.find((w) => w.name.endsWith('/kernel'))!.read() as tf.Tensor2D;
        const bias = layer.weights.find((w) => w.name.endsWith('/bias'))?.read();
        // Dense's own kernel (fused matMul + bias); its ReLU is applied to this same float32 result.
        const zt = tf.fused.matMul({ a: t, b: kernel, bias, activation: 'linear' });
        const at = L.activation === 'relu' ? tf.relu(zt) : L.activation === 'tanh' ? tf.tanh(zt) : L.activation === 'sigmoid' ? tf.sigmoid(zt) : zt;
        pre[l] = zt.dataSync() as Float32Array;
        post[l] = at.dataSync() as Float32Array;
        t = at as tf.Tensor2D;
      });
    });
    for (let l = 0; l < Lc; l++) {
      const U = chain.layers[l].units;
      z[l].set(outs.pre[l], start * U);
      (a[l + 1] as Float32Array).set(outs.post[l], start * U);
    }
  }
  const d = chain.layers.map((L, l) => {
    const out = new Float64Array(n * L.units);
    const al = a[l + 1];
    for (let i = 0; i < out.length; i++) {
      const v = al[i];
      out[i] = L.activation === 'relu' ? (v > 0 ? 1 : 0) : L.activation === 'tanh' ? 1 - v * v : L.activation === 'sigmoid' ? v * (1 - v) : 1;
    }
    return out;
  });
  // The logits are read by the backward pass from z of the last layer: take tfjs's own output.
  z[Lc - 1] = Float64Array.from(a[Lc]);
  return { n, z, a, d };
}
