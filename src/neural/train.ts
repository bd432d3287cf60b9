import { OptionError, ShapeError, ValueError } from '../errors.ts';
import type { GroupStructure } from '../groups/groups.ts';
import { proxGroupLassoInPlace } from '../prox/prox.ts';
import { Random } from '../util/random.ts';
import { checkChoice, checkNonNegative, checkOptions, checkPositive, checkPositiveInt } from '../util/validate.ts';
import { batchSize, col2imSampleAdd, convMatrix, denseMatrix, im2colSample, layerForward } from './forward.ts';
import { convStrides, denseStrides, poolGeometry, shapeSize, type Layer, type Sequential, type Shape3 } from './layers.ts';

/**
 * Training a Sequential classifier with a group-lasso penalty by proximal stochastic gradient:
 *   minimize  (1/n) Σ_s −log softmax(f(x_s; w))_{y_s}  +  λ Σ_g d_g ‖w_g‖₂
 * Each step takes an SGD (momentum) or Adam step on the mean cross-entropy of a mini-batch, then
 * applies the group prox w ← prox_{τ Σ d_g‖·‖}(w) with τ = lr·λ (group soft-thresholding), which
 * sets whole neuron / filter groups exactly to zero. With overlapping groups (coupled units whose
 * outgoing weights are the next layer's incoming weights) the single-group thresholds are applied
 * one after another, in group order. Backward passes are written out for dense,
 * conv2d, relu, leakyRelu, maxpool2d and flatten; cost per step is about 3× the forward FLOPs.
 */

const TRAINABLE = ['dense', 'conv2d', 'relu', 'leakyRelu', 'maxpool2d', 'flatten'] as const;

export function checkTrainable(model: Sequential, fn: string): void {
  model.layers.forEach((l, k) => {
    if (!(TRAINABLE as readonly string[]).includes(l.kind)) {
      throw new OptionError(fn, `layer ${k} (${l.name}) is a ${l.kind} layer, which has no backward pass here; training supports ${TRAINABLE.join(', ')}`);
    }
  });
}

function checkLabels(fn: string, y: ArrayLike<number>, n: number, classes: number): Int32Array {
  if (y === null || y === undefined || typeof y.length !== 'number') throw new ShapeError(fn, 'labels must be an array');
  if (y.length !== n) throw new ShapeError(fn, `${y.length} labels for ${n} samples`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new ValueError(fn, `label ${i} is ${v}; labels must be integers in [0, ${classes})`);
    out[i] = v;
  }
  return out;
}

/** Work buffers for one batch size (allocated once, reused every step). */
interface Workspace {
  n: number;
  acts: Float64Array[];
  grads: Float64Array[];
  argmax: (Int32Array | null)[];
}

function makeWorkspace(model: Sequential, n: number): Workspace {
  const acts = model.shapes.map((s) => new Float64Array(n * shapeSize(s)));
  const grads = model.shapes.map((s) => new Float64Array(n * shapeSize(s)));
  const argmax = model.layers.map((l, k) => (l.kind === 'maxpool2d' ? new Int32Array(n * shapeSize(model.shapes[k + 1])) : null));
  return { n, acts, grads, argmax };
}

/** Backward through one layer: given dy (output gradient), accumulate parameter gradients into `g` and write dx. */
function layerBackward(layer: Layer, inS: Shape3, outS: Shape3, x: Float64Array, dy: Float64Array, n: number, dx: Float64Array | null, g: Float64Array, argmax: Int32Array | null): void {
  const inSize = shapeSize(inS);
  const outSize = shapeSize(outS);
  switch (layer.kind) {
    case 'dense': {
      const F = layer.inFeatures;
      const O = layer.outFeatures;
      const w = denseMatrix(layer);
      // Gradient of the out × in matrix, scattered into the layout once per batch.
      const gw = new Float64Array(O * F);
      if (dx) dx.fill(0, 0, n * F);
      for (let s = 0; s < n; s++) {
        const xo = s * F;
        for (let o = 0; o < O; o++) {
          const d = dy[s * O + o];
          if (d === 0) continue;
          if (layer.bias) g[layer.biasOffset + o] += d;
          const wo = o * F;
          for (let i = 0; i < F; i++) gw[wo + i] += d * x[xo + i];
          if (dx) for (let i = 0; i < F; i++) dx[xo + i] += d * w[wo + i];
        }
      }
      const { so, si } = denseStrides(layer);
      const base = layer.weightOffset;
      for (let o = 0; o < O; o++) for (let i = 0; i < F; i++) g[base + o * so + i * si] += gw[o * F + i];
      return;
    }
    case 'conv2d': {
      const [C, H, W] = inS;
      const [O, Ho, Wo] = outS;
      const { kernelH: kh, kernelW: kw, stride, padding: pad } = layer;
      const K = C * kh * kw;
      const P = Ho * Wo;
      const wm = convMatrix(layer);
      const cols = new Float64Array(K * P);
      const dcols = dx ? new Float64Array(K * P) : null;
      const gw = new Float64Array(O * K);
      if (dx) dx.fill(0, 0, n * inSize);
      for (let s = 0; s < n; s++) {
        im2colSample(x, s * inSize, C, H, W, kh, kw, stride, pad, Ho, Wo, cols);
        const ys = s * outSize;
        if (dcols) dcols.fill(0);
        for (let o = 0; o < O; o++) {
          const yo = ys + o * P;
          if (layer.bias) {
            let sb = 0;
            for (let q = 0; q < P; q++) sb += dy[yo + q];
            g[layer.biasOffset + o] += sb;
          }
          for (let t = 0; t < K; t++) {
            const co = t * P;
            let acc = 0;
            for (let q = 0; q < P; q++) acc += dy[yo + q] * cols[co + q];
            gw[o * K + t] += acc;
            if (dcols) {
              const a = wm[o * K + t];
              if (a !== 0) for (let q = 0; q < P; q++) dcols[co + q] += a * dy[yo + q];
            }
          }
        }
        if (dx && dcols) col2imSampleAdd(dcols, dx, s * inSize, C, H, W, kh, kw, stride, pad, Ho, Wo);
      }
      const { so, sc, sh, sw } = convStrides(layer);
      const base = layer.weightOffset;
      for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        g[base + o * so + c * sc + i * sh + j * sw] += gw[o * K + (c * kh + i) * kw + j];
      }
      return;
    }
    case 'relu': {
      if (!dx) return;
      const m = n * inSize;
      for (let k = 0; k < m; k++) dx[k] = x[k] > 0 ? dy[k] : 0;
      return;
    }
    case 'leakyRelu': {
      if (!dx) return;
      const m = n * inSize;
      for (let k = 0; k < m; k++) dx[k] = x[k] > 0 ? dy[k] : layer.alpha * dy[k];
      return;
    }
    case 'maxpool2d': {
      if (!dx) return;
      dx.fill(0, 0, n * inSize);
      const m = n * outSize;
      for (let k = 0; k < m; k++) {
        const a = argmax![k];
        if (a >= 0) dx[a] += dy[k];
      }
      return;
    }
    case 'flatten': {
      if (!dx) return;
      if (layer.order === 'chw') {
        dx.set(dy.subarray(0, n * inSize));
        return;
      }
      const [C, H, W] = inS;
      const hw = H * W;
      for (let s = 0; s < n; s++) {
        const b = s * inSize;
        for (let c = 0; c < C; c++) for (let k = 0; k < hw; k++) dx[b + c * hw + k] = dy[b + k * C + c];
      }
      return;
    }
    default:
      throw new OptionError('backward', `layer ${layer.name} (${layer.kind}) has no backward pass`);
  }
}

/** Mean softmax cross-entropy of logits z (n × K) against labels; writes dz = (softmax − onehot)/n. */
function softmaxCrossEntropy(z: Float64Array, y: Int32Array, n: number, K: number, dz: Float64Array | null): number {
  let loss = 0;
  for (let s = 0; s < n; s++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (z[s * K + k] > m) m = z[s * K + k];
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(z[s * K + k] - m);
    const lse = m + Math.log(sum);
    loss += lse - z[s * K + y[s]];
    if (dz) {
      for (let k = 0; k < K; k++) dz[s * K + k] = Math.exp(z[s * K + k] - lse) / n;
      dz[s * K + y[s]] -= 1 / n;
    }
  }
  return loss / n;
}

function runBatch(model: Sequential, ws: Workspace, xb: Float64Array, yb: Int32Array, n: number, grad: Float64Array | null): number {
  ws.acts[0].set(xb.subarray(0, n * shapeSize(model.shapes[0])));
  const L = model.layers.length;
  for (let k = 0; k < L; k++) layerForward(model.layers[k], model.shapes[k], model.shapes[k + 1], ws.acts[k], n, ws.acts[k + 1], ws.argmax[k] ?? undefined);
  const K = shapeSize(model.shapes[L]);
  const loss = softmaxCrossEntropy(ws.acts[L], yb, n, K, grad ? ws.grads[L] : null);
  if (!grad) return loss;
  for (let k = L - 1; k >= 0; k--) {
    layerBackward(model.layers[k], model.shapes[k], model.shapes[k + 1], ws.acts[k], ws.grads[k + 1], n, k > 0 ? ws.grads[k] : null, grad, ws.argmax[k]);
  }
  return loss;
}

/**
 * Mean softmax cross-entropy (1/n) Σ_s −log softmax(f(x_s))_{y_s} and its gradient with respect to
 * `model.params` (same indexing). x: n samples NCHW-flattened; y: integer labels in [0, K).
 */
export function lossAndGradient(model: Sequential, x: ArrayLike<number>, y: ArrayLike<number>): { loss: number; grad: Float64Array } {
  const fn = 'lossAndGradient';
  checkTrainable(model, fn);
  const n = batchSize(model, x, fn);
  const labels = checkLabels(fn, y, n, shapeSize(model.shapes[model.shapes.length - 1]));
  const ws = makeWorkspace(model, n);
  const grad = new Float64Array(model.params.length);
  const loss = runBatch(model, ws, Float64Array.from(x), labels, n, grad);
  return { loss, grad };
}

/** Mean cross-entropy and accuracy of a classifier on a data set (evaluated in chunks). */
export function evaluateClassifier(model: Sequential, x: ArrayLike<number>, y: ArrayLike<number>): { loss: number; accuracy: number } {
  const fn = 'evaluateClassifier';
  const n = batchSize(model, x, fn);
  const K = shapeSize(model.shapes[model.shapes.length - 1]);
  const labels = checkLabels(fn, y, n, K);
  const d = shapeSize(model.shapes[0]);
  const chunk = Math.min(n, 256);
  const ws = makeWorkspace(model, chunk);
  const xf = x instanceof Float64Array ? x : Float64Array.from(x);
  let loss = 0;
  let correct = 0;
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const m = Math.min(chunk, n - s0);
    ws.acts[0].set(xf.subarray(s0 * d, (s0 + m) * d));
    const L = model.layers.length;
    for (let k = 0; k < L; k++) layerForward(model.layers[k], model.shapes[k], model.shapes[k + 1], ws.acts[k], m, ws.acts[k + 1]);
    const z = ws.acts[L];
    loss += softmaxCrossEntropy(z, labels.subarray(s0, s0 + m), m, K, null) * m;
    for (let s = 0; s < m; s++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (z[s * K + k] > z[s * K + best]) best = k;
      if (best === labels[s0 + s]) correct++;
    }
  }
  return { loss: loss / n, accuracy: correct / n };
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Step size (default 0.01 for Adam, 0.1 for SGD). */
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Penalty level λ ≥ 0 (default 0: plain training). */
  lambda?: number;
  /** Groups over `model.params` that the prox acts on (required when λ > 0). */
  groups?: GroupStructure;
  seed?: number;
  /** Parameter indices held at exactly zero after every step (a fixed pruning mask). */
  frozenZero?: ArrayLike<number>;
  /** Called after each epoch with the epoch's mean training loss (without penalty). */
  onEpoch?: (epoch: number, loss: number) => void;
}

const TRAIN_KEYS = ['epochs', 'batchSize', 'lr', 'optimizer', 'momentum', 'lambda', 'groups', 'seed', 'frozenZero', 'onEpoch'] as const;

/**
 * Proximal mini-batch training in place (the model's `params` are updated). Objective:
 * (1/n) Σ CE + λ Σ_g d_g ‖w_g‖₂ with d_g from `groups.weights`; after every optimizer step the group
 * prox with τ = lr·λ is applied. Shuffling is seeded. Returns the per-epoch mean training loss.
 */
export function trainSequential(model: Sequential, x: ArrayLike<number>, y: ArrayLike<number>, options: TrainOptions = {}): { losses: number[] } {
  const fn = 'trainSequential';
  checkOptions(fn, options, TRAIN_KEYS);
  checkTrainable(model, fn);
  const n = batchSize(model, x, fn);
  const K = shapeSize(model.shapes[model.shapes.length - 1]);
  const labels = checkLabels(fn, y, n, K);
  const epochs = checkPositiveInt(fn, 'epochs', options.epochs ?? 10);
  const bs = Math.min(checkPositiveInt(fn, 'batchSize', options.batchSize ?? 32), n);
  const opt = checkChoice(fn, 'optimizer', options.optimizer ?? 'adam', ['adam', 'sgd'] as const);
  const lr = checkPositive(fn, 'lr', options.lr ?? (opt === 'adam' ? 0.01 : 0.1));
  const momentum = checkNonNegative(fn, 'momentum', options.momentum ?? 0.9);
  if (momentum >= 1) throw new ValueError(fn, `momentum must be < 1, got ${momentum}`);
  const lambda = checkNonNegative(fn, 'lambda', options.lambda ?? 0);
  const gs = options.groups;
  if (lambda > 0 && !gs) throw new ValueError(fn, 'lambda > 0 needs groups (e.g. coupledGroups(model).groups)');
  if (gs && gs.nFeatures !== model.params.length) {
    throw new ShapeError(fn, `groups cover ${gs.nFeatures} weights but the model has ${model.params.length} parameters`);
  }
  const rng = new Random(options.seed ?? 1);
  let frozen: Int32Array | null = null;
  if (options.frozenZero !== undefined) {
    frozen = Int32Array.from(options.frozenZero);
    for (const i of frozen) if (i < 0 || i >= model.params.length) throw new ShapeError(fn, `frozenZero index ${i} is out of range`);
    for (const i of frozen) model.params[i] = 0;
  }
  const d = shapeSize(model.shapes[0]);
  const xf = x instanceof Float64Array ? x : Float64Array.from(x);
  const p = model.params;
  const P = p.length;
  const grad = new Float64Array(P);
  const m1 = new Float64Array(P);
  const m2 = opt === 'adam' ? new Float64Array(P) : null;
  const ws = makeWorkspace(model, bs);
  const xb = new Float64Array(bs * d);
  const yb = new Int32Array(bs);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const b1 = 0.9;
  const b2 = 0.999;
  let t = 0;
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    let total = 0;
    for (let s0 = 0; s0 < n; s0 += bs) {
      const m = Math.min(bs, n - s0);
      for (let s = 0; s < m; s++) {
        const idx = order[s0 + s];
        xb.set(xf.subarray(idx * d, (idx + 1) * d), s * d);
        yb[s] = labels[idx];
      }
      grad.fill(0);
      const loss = runBatch(model, m === bs ? ws : makeWorkspace(model, m), xb, yb, m, grad);
      if (!Number.isFinite(loss)) throw new ValueError(fn, `the training loss became ${loss} at epoch ${e}; lower lr`);
      total += loss * m;
      t++;
      if (m2) {
        const c1 = 1 - Math.pow(b1, t);
        const c2 = 1 - Math.pow(b2, t);
        for (let i = 0; i < P; i++) {
          const gi = grad[i];
          m1[i] = b1 * m1[i] + (1 - b1) * gi;
          m2[i] = b2 * m2[i] + (1 - b2) * gi * gi;
          p[i] -= (lr * (m1[i] / c1)) / (Math.sqrt(m2[i] / c2) + 1e-8);
        }
      } else {
        for (let i = 0; i < P; i++) {
          m1[i] = momentum * m1[i] + grad[i];
          p[i] -= lr * m1[i];
        }
      }
      if (lambda > 0 && gs) proxGroupLassoInPlace(p, p, gs, lr * lambda);
      if (frozen) for (let i = 0; i < frozen.length; i++) p[frozen[i]] = 0;
    }
    losses.push(total / n);
    options.onEpoch?.(e, total / n);
  }
  return { losses };
}
