import { OptionError, ShapeError, ValueError } from '../errors.ts';
import { Random } from '../util/random.ts';
import { checkFiniteArray, checkOptions } from '../util/validate.ts';

/**
 * Layer descriptions and the `Sequential` stack the neural adapter works on.
 *
 * Activations are NCHW: a batch of `n` samples of shape [C, H, W] is one Float64Array of length
 * n·C·H·W, sample after sample; a flat feature vector is [F, 1, 1]. Weights keep the memory layout
 * they came in, named explicitly:
 * - dense `'out,in'`: W[o, i] at o·in + i (PyTorch `Linear`); `'in,out'`: W[i, o] at i·out + o (tfjs/Keras);
 * - conv `'OIHW'`: W[o, c, i, j] at ((o·C + c)·kh + i)·kw + j (PyTorch); `'HWIO'`: at ((i·kw + j)·C + c)·O + o (tfjs);
 * - depthwise `'CHW'`: W[c, i, j] at (c·kh + i)·kw + j; `'HWC'`: at (i·kw + j)·C + c (tfjs `[kh, kw, C, 1]`).
 * All trainable tensors of a stack live in one flat `params` vector (each layer holds views into it),
 * so a `GroupStructure` over that vector can be used directly by `proxGroupLassoInPlace`.
 */

export type DenseLayout = 'out,in' | 'in,out';
export type ConvLayout = 'OIHW' | 'HWIO';
export type DepthwiseLayout = 'CHW' | 'HWC';

/** Fully connected layer: y_o = Σ_i W[o, i]·x_i + b_o. */
export interface DenseLayer {
  readonly kind: 'dense';
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly layout: DenseLayout;
  /** View into `params` (in·out entries, in `layout`). */
  weight: Float64Array;
  bias: Float64Array | null;
  weightOffset: number;
  biasOffset: number;
}

/** 2-D convolution (cross-correlation, as in every framework): y[o, p, q] = b_o + Σ_{c,i,j} W[o,c,i,j]·x[c, p·s − pad + i, q·s − pad + j]. */
export interface Conv2dLayer {
  readonly kind: 'conv2d';
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: number;
  /** Zero padding on every side. */
  readonly padding: number;
  readonly layout: ConvLayout;
  weight: Float64Array;
  bias: Float64Array | null;
  weightOffset: number;
  biasOffset: number;
}

/** Depthwise convolution (one filter per channel, multiplier 1): y[c, p, q] = b_c + Σ_{i,j} W[c,i,j]·x[c, p·s − pad + i, q·s − pad + j]. */
export interface DepthwiseConv2dLayer {
  readonly kind: 'depthwise2d';
  readonly name: string;
  readonly channels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: number;
  readonly padding: number;
  readonly layout: DepthwiseLayout;
  weight: Float64Array;
  bias: Float64Array | null;
  weightOffset: number;
  biasOffset: number;
}

/** Inference batch norm: y_c = γ_c (x_c − μ_c)/√(σ²_c + ε) + β_c. γ, β live in `params`; μ, σ² do not. */
export interface BatchNormLayer {
  readonly kind: 'batchnorm';
  readonly name: string;
  readonly channels: number;
  gamma: Float64Array;
  beta: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  readonly epsilon: number;
  gammaOffset: number;
  betaOffset: number;
}

export interface ReluLayer { readonly kind: 'relu'; readonly name: string }
/** max(x, αx) for 0 ≤ α < 1. */
export interface LeakyReluLayer { readonly kind: 'leakyRelu'; readonly name: string; readonly alpha: number }
/** Max pooling; 'same' pads as tfjs does (total pad max((out−1)·s + k − in, 0), the smaller half first). */
export interface MaxPool2dLayer {
  readonly kind: 'maxpool2d';
  readonly name: string;
  readonly size: number;
  readonly stride: number;
  readonly padding: 'valid' | 'same';
}
/** [C, H, W] → [C·H·W, 1, 1]; 'chw' keeps NCHW order (PyTorch), 'hwc' emits (h·W + w)·C + c (tfjs/Keras). */
export interface FlattenLayer { readonly kind: 'flatten'; readonly name: string; readonly order: 'chw' | 'hwc' }

export type Layer =
  | DenseLayer | Conv2dLayer | DepthwiseConv2dLayer | BatchNormLayer
  | ReluLayer | LeakyReluLayer | MaxPool2dLayer | FlattenLayer;
export type LayerKind = Layer['kind'];
export const LAYER_KINDS: readonly LayerKind[] = ['dense', 'conv2d', 'depthwise2d', 'batchnorm', 'relu', 'leakyRelu', 'maxpool2d', 'flatten'];

/** Activation shape [C, H, W] (a feature vector is [F, 1, 1]). */
export type Shape3 = readonly [number, number, number];

/** A chain of layers over one flat parameter vector. `shapes[k]` is the input shape of layer k; `shapes[L]` the output. */
export interface Sequential {
  readonly layers: readonly Layer[];
  readonly shapes: readonly Shape3[];
  readonly params: Float64Array;
}

/** Layer spec as users write it (weights copied into the stack's `params`). */
export type LayerSpec =
  | { kind: 'dense'; name?: string; inFeatures: number; outFeatures: number; layout?: DenseLayout; weight?: ArrayLike<number>; bias?: ArrayLike<number> | boolean }
  | { kind: 'conv2d'; name?: string; inChannels: number; outChannels: number; kernelH: number; kernelW?: number; stride?: number; padding?: number; layout?: ConvLayout; weight?: ArrayLike<number>; bias?: ArrayLike<number> | boolean }
  | { kind: 'depthwise2d'; name?: string; channels: number; kernelH: number; kernelW?: number; stride?: number; padding?: number; layout?: DepthwiseLayout; weight?: ArrayLike<number>; bias?: ArrayLike<number> | boolean }
  | { kind: 'batchnorm'; name?: string; channels: number; gamma?: ArrayLike<number>; beta?: ArrayLike<number>; mean?: ArrayLike<number>; variance?: ArrayLike<number>; epsilon?: number }
  | { kind: 'relu'; name?: string }
  | { kind: 'leakyRelu'; name?: string; alpha?: number }
  | { kind: 'maxpool2d'; name?: string; size: number; stride?: number; padding?: 'valid' | 'same' }
  | { kind: 'flatten'; name?: string; order?: 'chw' | 'hwc' };

const SPEC_KEYS: Record<LayerKind, readonly string[]> = {
  dense: ['kind', 'name', 'inFeatures', 'outFeatures', 'layout', 'weight', 'bias'],
  conv2d: ['kind', 'name', 'inChannels', 'outChannels', 'kernelH', 'kernelW', 'stride', 'padding', 'layout', 'weight', 'bias'],
  depthwise2d: ['kind', 'name', 'channels', 'kernelH', 'kernelW', 'stride', 'padding', 'layout', 'weight', 'bias'],
  batchnorm: ['kind', 'name', 'channels', 'gamma', 'beta', 'mean', 'variance', 'epsilon'],
  relu: ['kind', 'name'],
  leakyRelu: ['kind', 'name', 'alpha'],
  maxpool2d: ['kind', 'name', 'size', 'stride', 'padding'],
  flatten: ['kind', 'name', 'order'],
};

/** Output size of a sliding window: ⌊(n + 2·pad − k)/s⌋ + 1. */
export function convOutSize(n: number, k: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

/** tfjs pooling geometry: output size and leading pad for 'valid' / 'same'. */
export function poolGeometry(n: number, k: number, s: number, padding: 'valid' | 'same'): { out: number; padBefore: number } {
  if (padding === 'valid') return { out: Math.floor((n - k) / s) + 1, padBefore: 0 };
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Strides (o, i) of a dense weight: W[o, i] = w[o·so + i·si]. */
export function denseStrides(l: { inFeatures: number; outFeatures: number; layout: DenseLayout }): { so: number; si: number } {
  return l.layout === 'out,in' ? { so: l.inFeatures, si: 1 } : { so: 1, si: l.outFeatures };
}

/** Strides (o, c, i, j) of a conv weight: W[o, c, i, j] = w[o·so + c·sc + i·sh + j·sw]. */
export function convStrides(l: { inChannels: number; outChannels: number; kernelH: number; kernelW: number; layout: ConvLayout }): { so: number; sc: number; sh: number; sw: number } {
  const { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw } = l;
  return l.layout === 'OIHW'
    ? { so: C * kh * kw, sc: kh * kw, sh: kw, sw: 1 }
    : { so: 1, sc: O, sh: kw * C * O, sw: C * O };
}

/** Strides (c, i, j) of a depthwise weight. */
export function depthwiseStrides(l: { channels: number; kernelH: number; kernelW: number; layout: DepthwiseLayout }): { sc: number; sh: number; sw: number } {
  const { channels: C, kernelH: kh, kernelW: kw } = l;
  return l.layout === 'CHW' ? { sc: kh * kw, sh: kw, sw: 1 } : { sc: 1, sh: kw * C, sw: C };
}

function posInt(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ValueError(fn, `${what} must be a whole number ≥ 1, got ${String(v)}`);
  return v;
}

function nonNegInt(fn: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(fn, `${what} must be a whole number ≥ 0, got ${String(v)}`);
  return v;
}

function copyInto(fn: string, what: string, dst: Float64Array, src: ArrayLike<number> | undefined): void {
  if (src === undefined) return;
  if (src === null || typeof src.length !== 'number') throw new ShapeError(fn, `${what} must be an array of numbers`);
  if (src.length !== dst.length) throw new ShapeError(fn, `${what} has ${src.length} entries, expected ${dst.length}`);
  checkFiniteArray(fn, what, src);
  dst.set(src);
}

function checkLayout<T extends string>(fn: string, what: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new OptionError(fn, `${what} layout '${String(v)}' is not supported; expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

/**
 * Build a `Sequential` from layer specs, inferring every activation shape from `inputShape`
 * ([C, H, W], or [F] for a feature vector) and copying the given weights into one flat `params`
 * vector. Missing weights are zero (see {@link initializeSequential}); `bias: true` adds a zero
 * bias. Shape mismatches between consecutive layers, unknown layer kinds and unknown layouts throw.
 *
 * @example
 * const net = sequential([64], [
 *   { kind: 'dense', inFeatures: 64, outFeatures: 32, bias: true }, { kind: 'relu' },
 *   { kind: 'dense', inFeatures: 32, outFeatures: 10, bias: true },
 * ]); // net.params.length === 64·32 + 32 + 32·10 + 10
 */
export function sequential(inputShape: readonly number[], specs: readonly LayerSpec[], fn = 'sequential'): Sequential {
  if (!Array.isArray(inputShape) || (inputShape.length !== 1 && inputShape.length !== 3)) {
    throw new ShapeError(fn, 'inputShape must be [features] or [channels, height, width]');
  }
  for (const d of inputShape) posInt(fn, 'inputShape entry', d);
  if (!Array.isArray(specs) || specs.length === 0) throw new ValueError(fn, 'a Sequential needs at least one layer');
  let shape: Shape3 = inputShape.length === 1 ? [inputShape[0], 1, 1] : [inputShape[0], inputShape[1], inputShape[2]];
  const shapes: Shape3[] = [shape];
  // First pass: validate, infer shapes, count parameters.
  let nParams = 0;
  const sizes: number[][] = [];
  specs.forEach((spec, k) => {
    const where = `layer ${k}${spec && (spec as { name?: string }).name ? ` (${(spec as { name?: string }).name})` : ''}`;
    if (spec === null || typeof spec !== 'object') throw new ValueError(fn, `${where} is not a layer spec`);
    const kind = (spec as { kind?: unknown }).kind as LayerKind;
    if (!LAYER_KINDS.includes(kind)) {
      throw new OptionError(fn, `${where}: unknown layer type '${String(kind)}'; expected one of ${LAYER_KINDS.join(', ')}`);
    }
    checkOptions(`${fn} (${where})`, spec, SPEC_KEYS[kind]);
    const [C, H, W] = shape;
    switch (spec.kind) {
      case 'dense': {
        const fi = posInt(fn, `${where} inFeatures`, spec.inFeatures);
        const fo = posInt(fn, `${where} outFeatures`, spec.outFeatures);
        checkLayout(fn, `${where} dense`, spec.layout, ['out,in', 'in,out'] as const, 'out,in');
        if (H !== 1 || W !== 1) throw new ShapeError(fn, `${where}: dense layer gets a [${C}, ${H}, ${W}] activation; add a flatten layer first`);
        if (C !== fi) throw new ShapeError(fn, `${where}: dense layer expects ${fi} input features but the previous layer gives ${C}`);
        const hasBias = spec.bias !== undefined && spec.bias !== false;
        sizes.push([fi * fo, hasBias ? fo : 0]);
        shape = [fo, 1, 1];
        break;
      }
      case 'conv2d': {
        const ci = posInt(fn, `${where} inChannels`, spec.inChannels);
        const co = posInt(fn, `${where} outChannels`, spec.outChannels);
        const kh = posInt(fn, `${where} kernelH`, spec.kernelH);
        const kw = posInt(fn, `${where} kernelW`, spec.kernelW ?? spec.kernelH);
        const s = posInt(fn, `${where} stride`, spec.stride ?? 1);
        const p = nonNegInt(fn, `${where} padding`, spec.padding ?? 0);
        checkLayout(fn, `${where} conv`, spec.layout, ['OIHW', 'HWIO'] as const, 'OIHW');
        if (C !== ci) throw new ShapeError(fn, `${where}: conv2d expects ${ci} input channels but the previous layer gives ${C}`);
        const ho = convOutSize(H, kh, s, p);
        const wo = convOutSize(W, kw, s, p);
        if (ho < 1 || wo < 1) throw new ShapeError(fn, `${where}: kernel ${kh}×${kw} does not fit a ${H}×${W} input with padding ${p}`);
        const hasBias = spec.bias !== undefined && spec.bias !== false;
        sizes.push([co * ci * kh * kw, hasBias ? co : 0]);
        shape = [co, ho, wo];
        break;
      }
      case 'depthwise2d': {
        const c = posInt(fn, `${where} channels`, spec.channels);
        const kh = posInt(fn, `${where} kernelH`, spec.kernelH);
        const kw = posInt(fn, `${where} kernelW`, spec.kernelW ?? spec.kernelH);
        const s = posInt(fn, `${where} stride`, spec.stride ?? 1);
        const p = nonNegInt(fn, `${where} padding`, spec.padding ?? 0);
        checkLayout(fn, `${where} depthwise`, spec.layout, ['CHW', 'HWC'] as const, 'CHW');
        if (C !== c) throw new ShapeError(fn, `${where}: depthwise2d expects ${c} channels but the previous layer gives ${C}`);
        const ho = convOutSize(H, kh, s, p);
        const wo = convOutSize(W, kw, s, p);
        if (ho < 1 || wo < 1) throw new ShapeError(fn, `${where}: kernel ${kh}×${kw} does not fit a ${H}×${W} input`);
        const hasBias = spec.bias !== undefined && spec.bias !== false;
        sizes.push([c * kh * kw, hasBias ? c : 0]);
        shape = [c, ho, wo];
        break;
      }
      case 'batchnorm': {
        const c = posInt(fn, `${where} channels`, spec.channels);
        if (C !== c) throw new ShapeError(fn, `${where}: batchnorm expects ${c} channels but the previous layer gives ${C}`);
        const eps = spec.epsilon ?? 1e-3;
        if (typeof eps !== 'number' || !(eps > 0)) throw new ValueError(fn, `${where}: epsilon must be > 0`);
        sizes.push([c, c]);
        break;
      }
      case 'relu':
        sizes.push([]);
        break;
      case 'leakyRelu': {
        const a = spec.alpha ?? 0.1;
        if (typeof a !== 'number' || !(a >= 0 && a < 1)) throw new ValueError(fn, `${where}: alpha must be in [0, 1), got ${String(a)}`);
        sizes.push([]);
        break;
      }
      case 'maxpool2d': {
        const k = posInt(fn, `${where} size`, spec.size);
        const s = posInt(fn, `${where} stride`, spec.stride ?? k);
        const pad = spec.padding ?? 'valid';
        if (pad !== 'valid' && pad !== 'same') throw new OptionError(fn, `${where}: padding must be 'valid' or 'same'`);
        const gh = poolGeometry(H, k, s, pad);
        const gw = poolGeometry(W, k, s, pad);
        if (gh.out < 1 || gw.out < 1) throw new ShapeError(fn, `${where}: pool ${k}×${k} does not fit a ${H}×${W} input`);
        sizes.push([]);
        shape = [C, gh.out, gw.out];
        break;
      }
      case 'flatten': {
        const order = spec.order ?? 'chw';
        if (order !== 'chw' && order !== 'hwc') throw new OptionError(fn, `${where}: flatten order must be 'chw' or 'hwc'`);
        sizes.push([]);
        shape = [C * H * W, 1, 1];
        break;
      }
    }
    for (const s of sizes[k]) nParams += s;
    shapes.push(shape);
  });
  const params = new Float64Array(nParams);
  // Second pass: build layers with views into params and copy given values.
  let off = 0;
  const view = (n: number): [Float64Array, number] => {
    const v = params.subarray(off, off + n);
    const o = off;
    off += n;
    return [v, o];
  };
  const layers: Layer[] = specs.map((spec, k): Layer => {
    const name = spec.name ?? `${spec.kind}${k}`;
    const where = `${fn} (layer ${k}, ${name})`;
    switch (spec.kind) {
      case 'dense': {
        const [w, wo] = view(sizes[k][0]);
        copyInto(where, 'weight', w, spec.weight);
        let bias: Float64Array | null = null;
        let bo = -1;
        if (sizes[k][1] > 0) {
          [bias, bo] = view(sizes[k][1]);
          if (typeof spec.bias === 'object') copyInto(where, 'bias', bias, spec.bias);
        }
        return { kind: 'dense', name, inFeatures: spec.inFeatures, outFeatures: spec.outFeatures, layout: spec.layout ?? 'out,in', weight: w, bias, weightOffset: wo, biasOffset: bo };
      }
      case 'conv2d': {
        const [w, wo] = view(sizes[k][0]);
        copyInto(where, 'weight', w, spec.weight);
        let bias: Float64Array | null = null;
        let bo = -1;
        if (sizes[k][1] > 0) {
          [bias, bo] = view(sizes[k][1]);
          if (typeof spec.bias === 'object') copyInto(where, 'bias', bias, spec.bias);
        }
        return {
          kind: 'conv2d', name, inChannels: spec.inChannels, outChannels: spec.outChannels, kernelH: spec.kernelH,
          kernelW: spec.kernelW ?? spec.kernelH, stride: spec.stride ?? 1, padding: spec.padding ?? 0, layout: spec.layout ?? 'OIHW',
          weight: w, bias, weightOffset: wo, biasOffset: bo,
        };
      }
      case 'depthwise2d': {
        const [w, wo] = view(sizes[k][0]);
        copyInto(where, 'weight', w, spec.weight);
        let bias: Float64Array | null = null;
        let bo = -1;
        if (sizes[k][1] > 0) {
          [bias, bo] = view(sizes[k][1]);
          if (typeof spec.bias === 'object') copyInto(where, 'bias', bias, spec.bias);
        }
        return {
          kind: 'depthwise2d', name, channels: spec.channels, kernelH: spec.kernelH, kernelW: spec.kernelW ?? spec.kernelH,
          stride: spec.stride ?? 1, padding: spec.padding ?? 0, layout: spec.layout ?? 'CHW', weight: w, bias, weightOffset: wo, biasOffset: bo,
        };
      }
      case 'batchnorm': {
        const c = spec.channels;
        const [g, go] = view(c);
        const [b, bo] = view(c);
        if (spec.gamma !== undefined) copyInto(where, 'gamma', g, spec.gamma);
        else g.fill(1);
        copyInto(where, 'beta', b, spec.beta);
        const mean = new Float64Array(c);
        const variance = new Float64Array(c).fill(1);
        copyInto(where, 'mean', mean, spec.mean);
        copyInto(where, 'variance', variance, spec.variance);
        for (let i = 0; i < c; i++) if (variance[i] < 0) throw new ValueError(where, `variance[${i}] is negative`);
        return { kind: 'batchnorm', name, channels: c, gamma: g, beta: b, mean, variance, epsilon: spec.epsilon ?? 1e-3, gammaOffset: go, betaOffset: bo };
      }
      case 'relu':
        return { kind: 'relu', name };
      case 'leakyRelu':
        return { kind: 'leakyRelu', name, alpha: spec.alpha ?? 0.1 };
      case 'maxpool2d':
        return { kind: 'maxpool2d', name, size: spec.size, stride: spec.stride ?? spec.size, padding: spec.padding ?? 'valid' };
      case 'flatten':
        return { kind: 'flatten', name, order: spec.order ?? 'chw' };
      default:
        throw new OptionError(fn, `unknown layer type '${String((spec as { kind: unknown }).kind)}'`);
    }
  });
  return { layers, shapes, params };
}

/** The spec that rebuilds `layer` (weights copied out of the stack). */
export function layerToSpec(layer: Layer): LayerSpec {
  switch (layer.kind) {
    case 'dense':
      return { kind: 'dense', name: layer.name, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, layout: layer.layout, weight: layer.weight.slice(), bias: layer.bias ? layer.bias.slice() : false };
    case 'conv2d':
      return {
        kind: 'conv2d', name: layer.name, inChannels: layer.inChannels, outChannels: layer.outChannels, kernelH: layer.kernelH, kernelW: layer.kernelW,
        stride: layer.stride, padding: layer.padding, layout: layer.layout, weight: layer.weight.slice(), bias: layer.bias ? layer.bias.slice() : false,
      };
    case 'depthwise2d':
      return {
        kind: 'depthwise2d', name: layer.name, channels: layer.channels, kernelH: layer.kernelH, kernelW: layer.kernelW, stride: layer.stride,
        padding: layer.padding, layout: layer.layout, weight: layer.weight.slice(), bias: layer.bias ? layer.bias.slice() : false,
      };
    case 'batchnorm':
      return { kind: 'batchnorm', name: layer.name, channels: layer.channels, gamma: layer.gamma.slice(), beta: layer.beta.slice(), mean: layer.mean.slice(), variance: layer.variance.slice(), epsilon: layer.epsilon };
    case 'relu':
      return { kind: 'relu', name: layer.name };
    case 'leakyRelu':
      return { kind: 'leakyRelu', name: layer.name, alpha: layer.alpha };
    case 'maxpool2d':
      return { kind: 'maxpool2d', name: layer.name, size: layer.size, stride: layer.stride, padding: layer.padding };
    case 'flatten':
      return { kind: 'flatten', name: layer.name, order: layer.order };
  }
}

/** Input shape argument that rebuilds `model` ([F] for a feature vector). */
export function inputShapeOf(model: Sequential): number[] {
  const s = model.shapes[0];
  return s[1] === 1 && s[2] === 1 && model.layers[0].kind === 'dense' ? [s[0]] : [s[0], s[1], s[2]];
}

/** A deep copy (own `params`). */
export function cloneSequential(model: Sequential): Sequential {
  return sequential(inputShapeOf(model), model.layers.map(layerToSpec), 'cloneSequential');
}

/**
 * He (Kaiming) initialisation: W ~ N(0, 2/fan_in), biases 0, batch-norm γ = 1, β = 0. Seeded.
 * Scaling: fan_in = in (dense), C·kh·kw (conv), kh·kw (depthwise).
 */
export function initializeSequential(model: Sequential, seed = 1): Sequential {
  const rng = new Random(seed);
  for (const l of model.layers) {
    if (l.kind === 'dense' || l.kind === 'conv2d' || l.kind === 'depthwise2d') {
      const fanIn = l.kind === 'dense' ? l.inFeatures : l.kind === 'conv2d' ? l.inChannels * l.kernelH * l.kernelW : l.kernelH * l.kernelW;
      const sd = Math.sqrt(2 / fanIn);
      for (let i = 0; i < l.weight.length; i++) l.weight[i] = sd * rng.normal();
      if (l.bias) l.bias.fill(0);
    } else if (l.kind === 'batchnorm') {
      l.gamma.fill(1);
      l.beta.fill(0);
    }
  }
  return model;
}

/** Number of values in one sample of shape s. */
export function shapeSize(s: Shape3): number {
  return s[0] * s[1] * s[2];
}
