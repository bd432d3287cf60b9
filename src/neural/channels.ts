import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { DenseMatrix } from '../linalg/dense.ts';
import { choleskyFactorSemidefinite, choleskySolveInPlace, forwardSubstitute } from '../linalg/cholesky.ts';
import { fitGroupLasso } from '../problem/problem.ts';
import { Random } from '../util/random.ts';
import { checkOptions, checkPositiveInt } from '../util/validate.ts';
import { forwardAll } from './forward.ts';
import { convStrides, type Conv2dLayer, type Sequential } from './layers.ts';

/**
 * Layer-wise channel selection with least-squares reconstruction (He, Zhang & Sun 2017).
 *
 * For a conv layer with input patches X (N samples × C·k columns, channel c owning columns
 * c·k … c·k + k − 1, k = kh·kw) and weights W (C·k × O), the output is Y = Σ_c X_c W_c. Channel
 * selection scales each channel's contribution Z_c = X_c W_c by β_c and solves
 *   min_β (1/(2m)) ‖Y − Σ_c β_c Z_c‖²_F + λ Σ_c |β_c|,   m = N·O,
 * a group lasso over the C per-channel coefficients (groups of one, d_c = 1). Channels with β_c = 0
 * are dropped; then the kept weights are refitted by least squares,
 *   W_S = argmin ‖Y − X_S W_S‖²_F  (normal equations X_Sᵀ X_S W_S = X_Sᵀ Y).
 * Everything runs on Gram matrices: G_cd = ⟨Z_c, Z_d⟩ = Σ over block (c, d) of (XᵀX) ∘ (W Wᵀ) and
 * b_c = ⟨Z_c, Y⟩, so memory is O((C·k)²), never O(C·N·O).
 */

/** Patches, targets and weights of one conv layer, all row-major. */
export interface ChannelData {
  /** N × (C·k) input patches, row-major (sample n, column c·k + i·kw + j). */
  readonly X: Float64Array;
  /** N × O layer outputs without bias, row-major. */
  readonly Y: Float64Array;
  /** (C·k) × O weight matrix, row-major. */
  readonly W: Float64Array;
  readonly n: number;
  readonly channels: number;
  /** k = kh·kw columns per channel. */
  readonly k: number;
  readonly outputs: number;
}

/**
 * Sample training data for channel selection from a conv2d layer of a Sequential: run `inputs`
 * (a batch, NCHW) through the stack, take `samplesPerImage` random output positions of layer
 * `layer` per image (all positions if larger than Ho·Wo), and record the k·C input patch (zero
 * padded) and the layer's output without bias there.
 */
export function channelSelectionData(model: Sequential, layer: number, inputs: ArrayLike<number>, options: { samplesPerImage?: number; seed?: number } = {}): ChannelData {
  const fn = 'channelSelectionData';
  checkOptions(fn, options, ['samplesPerImage', 'seed']);
  const l = model.layers[layer];
  if (!l) throw new ShapeError(fn, `layer ${layer} does not exist (the stack has ${model.layers.length})`);
  if (l.kind !== 'conv2d') throw new OptionError(fn, `layer ${layer} (${l.name}) is a ${l.kind} layer; channel selection needs a conv2d layer`);
  // Run the stack only up to the layer's input.
  const prefix = { layers: model.layers.slice(0, layer), shapes: model.shapes.slice(0, layer + 1), params: model.params };
  const x = forwardAll(prefix, inputs, fn)[layer];
  const [C, H, Wd] = model.shapes[layer];
  const [, Ho, Wo] = model.shapes[layer + 1];
  const images = x.length / (C * H * Wd);
  const per = Math.min(checkPositiveInt(fn, 'samplesPerImage', options.samplesPerImage ?? 10), Ho * Wo);
  const rng = new Random(options.seed ?? 1);
  const { kernelH: kh, kernelW: kw, stride, padding: pad } = l;
  const k = kh * kw;
  const O = l.outChannels;
  const n = images * per;
  const X = new Float64Array(n * C * k);
  const W = convWeightMatrix(l);
  let row = 0;
  for (let s = 0; s < images; s++) {
    const pos = Int32Array.from({ length: Ho * Wo }, (_, i) => i);
    rng.shuffle(pos);
    for (let t = 0; t < per; t++) {
      const p = Math.floor(pos[t] / Wo);
      const q = pos[t] % Wo;
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const hh = p * stride - pad + i;
            const ww = q * stride - pad + j;
            const v = hh >= 0 && hh < H && ww >= 0 && ww < Wd ? x[((s * C + c) * H + hh) * Wd + ww] : 0;
            X[row * C * k + c * k + i * kw + j] = v;
          }
        }
      }
      row++;
    }
  }
  const Y = matmulRowMajor(X, W, n, C * k, O);
  return { X, Y, W, n, channels: C, k, outputs: O };
}

/** The (C·k) × O row-major matrix W[c·k + i·kw + j, o] = weight(o, c, i, j) of a conv layer. */
export function convWeightMatrix(l: Conv2dLayer): Float64Array {
  const { so, sc, sh, sw } = convStrides(l);
  const k = l.kernelH * l.kernelW;
  const O = l.outChannels;
  const W = new Float64Array(l.inChannels * k * O);
  for (let c = 0; c < l.inChannels; c++) for (let i = 0; i < l.kernelH; i++) for (let j = 0; j < l.kernelW; j++) for (let o = 0; o < O; o++) {
    W[(c * k + i * l.kernelW + j) * O + o] = l.weight[o * so + c * sc + i * sh + j * sw];
  }
  return W;
}

function matmulRowMajor(A: Float64Array, B: Float64Array, n: number, p: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < p; t++) {
      const a = A[i * p + t];
      if (a === 0) continue;
      const bo = t * m;
      const co = i * m;
      for (let j = 0; j < m; j++) C[co + j] += a * B[bo + j];
    }
  }
  return C;
}

/** AᵀB for row-major A (n × p), B (n × m) → p × m. */
function crossprod(A: Float64Array, B: Float64Array, n: number, p: number, m: number): Float64Array {
  const C = new Float64Array(p * m);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < p; a++) {
      const v = A[i * p + a];
      if (v === 0) continue;
      const co = a * m;
      const bo = i * m;
      for (let j = 0; j < m; j++) C[co + j] += v * B[bo + j];
    }
  }
  return C;
}

/** Gram form of the β problem: G (C × C), b (C), ‖Y‖², plus XᵀX and XᵀY for the refit. */
export interface ChannelGram {
  readonly G: Float64Array;
  readonly b: Float64Array;
  readonly yy: number;
  readonly XtX: Float64Array;
  readonly XtY: Float64Array;
  /** m = N·O, the number of scalar residuals. */
  readonly m: number;
}

export function channelGram(d: ChannelData): ChannelGram {
  const { X, Y, W, n, channels: C, k, outputs: O } = d;
  const p = C * k;
  const XtX = crossprod(X, X, n, p, p);
  const XtY = crossprod(X, Y, n, p, O);
  // Q = W Wᵀ (p × p)
  const Q = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b2 = a; b2 < p; b2++) {
    let s = 0;
    for (let o = 0; o < O; o++) s += W[a * O + o] * W[b2 * O + o];
    Q[a * p + b2] = s;
    Q[b2 * p + a] = s;
  }
  const G = new Float64Array(C * C);
  for (let c = 0; c < C; c++) for (let e = 0; e < C; e++) {
    let s = 0;
    for (let t = 0; t < k; t++) for (let u = 0; u < k; u++) s += XtX[(c * k + t) * p + e * k + u] * Q[(e * k + u) * p + c * k + t];
    G[c * C + e] = s;
  }
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let t = 0; t < k; t++) for (let o = 0; o < O; o++) s += XtY[(c * k + t) * O + o] * W[(c * k + t) * O + o];
    b[c] = s;
  }
  let yy = 0;
  for (let i = 0; i < Y.length; i++) yy += Y[i] * Y[i];
  return { G, b, yy, XtX, XtY, m: n * O };
}

/** Least-squares form of the Gram problem: X̃ = Lᵀ (G = L Lᵀ), ỹ = L⁻¹ b, so ‖ỹ − X̃β‖² = βᵀGβ − 2bᵀβ + const. */
const reduced = new WeakMap<ChannelGram, { X: DenseMatrix; y: Float64Array }>();

function reducedProblem(gram: ChannelGram): { X: DenseMatrix; y: Float64Array } {
  const hit = reduced.get(gram);
  if (hit) return hit;
  const C = gram.b.length;
  // G is symmetric: its row-major storage is its column-major one; L comes out column-major.
  const L = new Float64Array(C * C);
  choleskyFactorSemidefinite(gram.G, C, L, 'channelLasso');
  const X = new DenseMatrix(C, C);
  for (let i = 0; i < C; i++) for (let j = 0; j <= i; j++) X.set(j, i, L[i + j * C]); // X̃[j, i] = L[i, j]
  const y = Float64Array.from(gram.b);
  forwardSubstitute(L, C, y);
  const out = { X, y };
  reduced.set(gram, out);
  return out;
}

/**
 * The group-lasso call of channel selection: minimize over β
 *   (1/(2m)) (βᵀGβ − 2bᵀβ + ‖Y‖²) + λ Σ_c |β_c|
 * (groups of one channel coefficient, d_c = 1). method 'fitGroupLasso' (default) hands the
 * equivalent C-row least-squares problem (1/(2C))‖ỹ − X̃β‖² + (λm/C) Σ_c |β_c| (X̃ᵀX̃ = G, X̃ᵀỹ = b,
 * see {@link reducedProblem}) to the core solver, which certifies it by its duality gap; method 'cd'
 * runs cyclic coordinate descent on the Gram form directly, β_c ← S(b_c − Σ_{e≠c} G_ce β_e, mλ)/G_cc
 * (a second, independent solver). A tiny ridge (relative 1e-12 on the diagonal, larger only when
 * that does not factor) keeps the Cholesky factor defined when channels are collinear.
 */
export function channelLasso(
  gram: ChannelGram, lambda: number,
  options: { warm?: Float64Array; tol?: number; maxIter?: number; method?: 'fitGroupLasso' | 'cd' } = {},
): { beta: Float64Array; iterations: number; converged: boolean } {
  const method = options.method ?? 'fitGroupLasso';
  const C = gram.b.length;
  if (method === 'fitGroupLasso') {
    const { X, y } = reducedProblem(gram);
    const groups = Array.from({ length: C }, (_, c) => [c]);
    const fit = fitGroupLasso(X, y, {
      groups, weights: 'one', lambda: (lambda * gram.m) / C, fitIntercept: false,
      tol: options.tol ?? 1e-10, maxIter: options.maxIter ?? 100_000,
      warmStart: options.warm ? { coef: options.warm } : undefined,
    });
    return { beta: fit.coef, iterations: fit.iterations, converged: fit.converged };
  }
  if (method !== 'cd') throw new OptionError('channelLasso', `method must be 'fitGroupLasso' or 'cd', got '${String(method)}'`);
  const { G, b, m } = gram;
  const beta = options.warm ? Float64Array.from(options.warm) : new Float64Array(C);
  const t = m * lambda;
  const tol = (options.tol ?? 1e-10) * Math.sqrt(gram.yy);
  const maxIter = options.maxIter ?? 10_000;
  // r_c = b_c − (Gβ)_c kept up to date.
  const r = Float64Array.from(b);
  for (let c = 0; c < C; c++) if (beta[c] !== 0) for (let e = 0; e < C; e++) r[e] -= G[e * C + c] * beta[c];
  for (let it = 1; it <= maxIter; it++) {
    let maxDelta = 0;
    for (let c = 0; c < C; c++) {
      const gcc = G[c * C + c];
      if (gcc <= 0) continue;
      const z = r[c] + gcc * beta[c];
      const nb = z > t ? (z - t) / gcc : z < -t ? (z + t) / gcc : 0;
      const delta = nb - beta[c];
      if (delta !== 0) {
        for (let e = 0; e < C; e++) r[e] -= G[e * C + c] * delta;
        beta[c] = nb;
        const dd = Math.abs(delta) * Math.sqrt(gcc);
        if (dd > maxDelta) maxDelta = dd;
      }
    }
    if (maxDelta <= tol) return { beta, iterations: it, converged: true };
  }
  return { beta, iterations: maxIter, converged: false };
}

/**
 * Solve the SPD system A x = B (A p × p, B p × m, row-major) by Cholesky; a tiny ridge (the
 * library's semidefinite policy) guards rank deficiency.
 */
export function choleskySolve(A: Float64Array, B: Float64Array, p: number, m: number): Float64Array {
  // A is symmetric: its row-major storage is its column-major one.
  const L = new Float64Array(p * p);
  choleskyFactorSemidefinite(A, p, L, 'choleskySolve');
  const col = new Float64Array(p);
  const X = new Float64Array(p * m);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < p; i++) col[i] = B[i * m + c];
    choleskySolveInPlace(L, p, col);
    for (let i = 0; i < p; i++) X[i * m + c] = col[i];
  }
  return X;
}

/**
 * Least-squares refit of the weights of kept channels S: W_S = (X_SᵀX_S)⁻¹ X_SᵀY, returned as a
 * (|S|·k) × O row-major matrix (rows in the order of `channels`).
 */
export function refitChannels(d: ChannelData, gram: ChannelGram, channels: readonly number[]): Float64Array {
  const { k, outputs: O, channels: C } = d;
  const p = C * k;
  const cols: number[] = [];
  for (const c of channels) for (let t = 0; t < k; t++) cols.push(c * k + t);
  const q = cols.length;
  const A = new Float64Array(q * q);
  const B = new Float64Array(q * O);
  for (let a = 0; a < q; a++) {
    for (let e = 0; e < q; e++) A[a * q + e] = gram.XtX[cols[a] * p + cols[e]];
    for (let o = 0; o < O; o++) B[a * O + o] = gram.XtY[cols[a] * O + o];
  }
  return choleskySolve(A, B, q, O);
}

/**
 * Relative reconstruction error ‖Y − Ŷ‖²_F / ‖Y‖²_F with Ŷ = X_S W_S (W_S: (|S|·k) × O row-major,
 * rows in the order of `channels`), computed directly from the samples.
 */
export function reconstructionError(d: ChannelData, channels: readonly number[], WS: Float64Array): number {
  const { X, Y, n, k, outputs: O, channels: C } = d;
  const p = C * k;
  const r = Float64Array.from(Y);
  channels.forEach((c, a) => {
    for (let t = 0; t < k; t++) {
      const wrow = (a * k + t) * O;
      for (let i = 0; i < n; i++) {
        const v = X[i * p + c * k + t];
        if (v === 0) continue;
        for (let o = 0; o < O; o++) r[i * O + o] -= v * WS[wrow + o];
      }
    }
  });
  let num = 0;
  let den = 0;
  for (let i = 0; i < r.length; i++) {
    num += r[i] * r[i];
    den += Y[i] * Y[i];
  }
  return den > 0 ? num / den : 0;
}

/** Rows of W for `channels` (the kept weights unchanged), optionally scaled per channel. */
export function keptWeights(d: ChannelData, channels: readonly number[], scale?: ArrayLike<number>): Float64Array {
  const { W, k, outputs: O } = d;
  const out = new Float64Array(channels.length * k * O);
  channels.forEach((c, a) => {
    const s = scale ? scale[c] : 1;
    for (let t = 0; t < k; t++) for (let o = 0; o < O; o++) out[(a * k + t) * O + o] = s * W[(c * k + t) * O + o];
  });
  return out;
}

export interface ChannelSelection {
  /** Kept input channels, ascending. */
  readonly channels: number[];
  /** Coefficients β at the chosen λ (zero for dropped channels). */
  readonly beta: Float64Array;
  /** λ (in the 1/(2m) scaling) that selects `channels`. */
  readonly lambda: number;
  /** λ_max = max_c |b_c| / m: the smallest λ with every β_c = 0. */
  readonly lambdaMax: number;
  /** Refitted weights ((|S|·k) × O, row-major). */
  readonly weight: Float64Array;
  /** ‖Y − X_S W_S‖² / ‖Y‖² after the least-squares refit. */
  readonly relError: number;
  /** ‖Y − Σ β_c X_c W_c‖² / ‖Y‖² before the refit. */
  readonly relErrorLasso: number;
  /** Whether the lasso solve at the returned λ met its tolerance. */
  readonly converged: boolean;
}

/**
 * Choose at most `keep` input channels by the β-lasso and refit their weights (He et al. 2017).
 * λ is found by bisection on log λ in (0, λ_max]: the smallest λ tried whose solution has at most
 * `keep` non-zero β_c (warm-started along the way). If the lasso path jumps over `keep`, fewer
 * channels are kept — never more.
 *
 * @example
 * const sel = selectChannels(channelSelectionData(net, 16, images), { keep: 64 });
 * sel.channels.length <= 64 // returns true
 */
export function selectChannels(d: ChannelData, options: { keep: number; gram?: ChannelGram; bisections?: number; method?: 'fitGroupLasso' | 'cd' }): ChannelSelection {
  const fn = 'selectChannels';
  checkOptions(fn, options, ['keep', 'gram', 'bisections', 'method']);
  const method = options.method ?? 'fitGroupLasso';
  const C = d.channels;
  const keep = checkPositiveInt(fn, 'keep', options.keep);
  if (keep > C) throw new ValueError(fn, `keep (${keep}) is larger than the number of channels (${C})`);
  if (d.X.length !== d.n * C * d.k || d.Y.length !== d.n * d.outputs || d.W.length !== C * d.k * d.outputs) {
    throw new ShapeError(fn, 'X, Y and W do not match n, channels, k and outputs');
  }
  const gram = options.gram ?? channelGram(d);
  let lmax = 0;
  for (let c = 0; c < C; c++) lmax = Math.max(lmax, Math.abs(gram.b[c]));
  lmax /= gram.m;
  const nnz = (b: Float64Array) => b.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);
  let beta: Float64Array;
  let lambda: number;
  let converged = true;
  if (keep === C) {
    lambda = 0;
    beta = new Float64Array(C).fill(1);
  } else {
    // Feasible side hi (≤ keep non-zeros), infeasible side lo.
    let hi = lmax;
    let convHi = true;
    let betaHi: Float64Array = new Float64Array(C);
    let lo = lmax;
    let warm: Float64Array = new Float64Array(C);
    for (let t = 0; t < 60; t++) {
      lo /= 2;
      const r = channelLasso(gram, lo, { warm, method });
      warm = r.beta;
      if (nnz(r.beta) > keep) break;
      hi = lo;
      betaHi = r.beta;
      convHi = r.converged;
    }
    const iters = options.bisections ?? 40;
    for (let t = 0; t < iters && hi / lo > 1 + 1e-9; t++) {
      const mid = Math.sqrt(lo * hi);
      const r = channelLasso(gram, mid, { warm: betaHi, method });
      if (nnz(r.beta) > keep) lo = mid;
      else {
        hi = mid;
        betaHi = r.beta;
        convHi = r.converged;
        if (nnz(r.beta) === keep) break;
      }
    }
    lambda = hi;
    beta = betaHi;
    converged = convHi;
  }
  const channels: number[] = [];
  for (let c = 0; c < C; c++) if (beta[c] !== 0) channels.push(c);
  const weight = channels.length > 0 ? refitChannels(d, gram, channels) : new Float64Array(0);
  const relError = reconstructionError(d, channels, weight);
  const relErrorLasso = reconstructionError(d, channels, keptWeights(d, channels, beta));
  return { channels, beta, lambda, lambdaMax: lmax, weight, relError, relErrorLasso, converged };
}
