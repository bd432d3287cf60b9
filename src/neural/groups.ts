import { GroupError, OptionError, ShapeError, ValueError } from '../errors.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import { checkOptions } from '../util/validate.ts';
import { checkObject } from './check.ts';

/**
 * Layer → group adapters. Every function returns a `GroupStructure` over a flat weight vector
 * (one tensor, or several tensors laid end to end), ready for `proxGroupLassoInPlace` and the group
 * lasso solvers. Weights not covered by any group are gathered in one trailing group named
 * `'unpenalized'` with d_g = 0, so they are fitted but never shrunk.
 *
 * Penalty weights: d_g = √p_g by default ('sqrt'), 1 ('one'), or explicit.
 */

/** Dense weight storage: 'out,in' (PyTorch, W[o, i] row-major) or 'in,out' (tfjs / Keras kernels). */
export type DenseLayout = 'out,in' | 'in,out';
/** Conv weight storage: 'OIHW' (PyTorch, ONNX) or 'HWIO' (tfjs). */
export type ConvLayout = 'OIHW' | 'HWIO';

/** Strides (o, i) of a dense weight: W[o, i] = w[o·so + i·si]. */
function denseStrides(l: { inFeatures: number; outFeatures: number; layout: DenseLayout }): { so: number; si: number } {
  return l.layout === 'out,in' ? { so: l.inFeatures, si: 1 } : { so: 1, si: l.outFeatures };
}

/** Strides (o, c, i, j) of a conv weight: W[o, c, i, j] = w[o·so + c·sc + i·sh + j·sw]. */
function convStrides(l: { inChannels: number; outChannels: number; kernelH: number; kernelW: number; layout: ConvLayout }): { so: number; sc: number; sh: number; sw: number } {
  const { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw } = l;
  return l.layout === 'OIHW'
    ? { so: C * kh * kw, sc: kh * kw, sh: kw, sw: 1 }
    : { so: 1, sc: O, sh: kw * C * O, sw: C * O };
}

export interface AdapterOptions {
  /** Position of the tensor inside a longer vector (default 0). */
  offset?: number;
  /** Length of the whole vector (default offset + tensor size). */
  nWeights?: number;
  /** d_g rule or values (one per structural group). */
  weights?: 'sqrt' | 'one' | ArrayLike<number>;
}

const ADAPTER_KEYS = ['offset', 'nWeights', 'weights'] as const;

/** Member lists → GroupStructure, with the uncovered rest as one weight-0 group. */
function buildGroups(fn: string, lists: number[][], names: string[], nWeights: number, weights: 'sqrt' | 'one' | ArrayLike<number> | undefined, allowOverlap = false): GroupStructure {
  const covered = new Uint8Array(nWeights);
  for (const l of lists) for (const j of l) covered[j] = 1;
  const rest: number[] = [];
  for (let j = 0; j < nWeights; j++) if (!covered[j]) rest.push(j);
  const d: number[] = [];
  if (weights === undefined || weights === 'sqrt' || weights === 'one') {
    for (const l of lists) d.push(weights === 'one' ? 1 : Math.sqrt(l.length));
  } else if (typeof weights === 'string') {
    throw new OptionError(fn, `unknown weight rule '${weights}' (use 'sqrt', 'one' or an array)`);
  } else {
    if (weights.length !== lists.length) throw new ShapeError(fn, `weights has ${weights.length} entries for ${lists.length} groups`);
    for (let g = 0; g < lists.length; g++) d.push(weights[g]);
  }
  if (rest.length > 0) {
    lists = [...lists, rest];
    names = [...names, 'unpenalized'];
    d.push(0);
  }
  return makeGroups(lists, nWeights, { weights: d, names, allowOverlap }, fn);
}

function resolvePlacement(fn: string, size: number, options: AdapterOptions | undefined): { offset: number; nWeights: number } {
  checkOptions(fn, options, ADAPTER_KEYS);
  const offset = options?.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ValueError(fn, `offset must be a whole number ≥ 0, got ${String(offset)}`);
  const nWeights = options?.nWeights ?? offset + size;
  if (!Number.isInteger(nWeights) || nWeights < offset + size) {
    throw new ShapeError(fn, `nWeights (${String(nWeights)}) is smaller than offset + tensor size (${offset + size})`);
  }
  return { offset, nWeights };
}

function checkDims(fn: string, dims: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(dims)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ShapeError(fn, `${k} must be a whole number ≥ 1, got ${String(v)}`);
  }
}

function checkDenseLayout(fn: string, layout: unknown): DenseLayout {
  if (layout !== 'out,in' && layout !== 'in,out') throw new OptionError(fn, `dense layout must be 'out,in' or 'in,out', got '${String(layout)}'`);
  return layout;
}

function checkConvLayout(fn: string, layout: unknown): ConvLayout {
  if (layout !== 'OIHW' && layout !== 'HWIO') throw new OptionError(fn, `conv layout must be 'OIHW' or 'HWIO', got '${String(layout)}'`);
  return layout;
}

/** The layer argument of an adapter must be an object (a missing one used to escape as a TypeError). */
function checkLayer(fn: string, layer: unknown): void {
  if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) {
    throw new ShapeError(fn, `layer must be an object with its dimensions and layout, got ${layer === null ? 'null' : Array.isArray(layer) ? 'an array' : typeof layer}`);
  }
}

/**
 * Groups of a dense weight W (out × in, stored in `layout`):
 * - 'inputs': group i = row i of the input-feature view, {W[o, i] : o} (feature selection: a zero
 *   group means input i is ignored);
 * - 'outputs': group o = {W[o, i] : i} (neuron o's incoming weights).
 * `weight` may be given instead of dims to check its length.
 */
export function denseGroups(
  layer: { inFeatures: number; outFeatures: number; layout: DenseLayout; weight?: ArrayLike<number> },
  by: 'inputs' | 'outputs',
  options?: AdapterOptions,
): GroupStructure {
  const fn = 'denseGroups';
  checkLayer(fn, layer);
  checkDims(fn, { inFeatures: layer.inFeatures, outFeatures: layer.outFeatures });
  const layout = checkDenseLayout(fn, layer.layout);
  const F = layer.inFeatures;
  const O = layer.outFeatures;
  if (layer.weight !== undefined && layer.weight.length !== F * O) {
    throw new ShapeError(fn, `weight has ${layer.weight.length} entries, expected in·out = ${F}·${O} = ${F * O}`);
  }
  const { offset, nWeights } = resolvePlacement(fn, F * O, options);
  const { so, si } = denseStrides({ inFeatures: F, outFeatures: O, layout });
  const lists: number[][] = [];
  const names: string[] = [];
  if (by === 'inputs') {
    for (let i = 0; i < F; i++) {
      const l: number[] = [];
      for (let o = 0; o < O; o++) l.push(offset + o * so + i * si);
      lists.push(l);
      names.push(`in${i}`);
    }
  } else if (by === 'outputs') {
    for (let o = 0; o < O; o++) {
      const l: number[] = [];
      for (let i = 0; i < F; i++) l.push(offset + o * so + i * si);
      lists.push(l);
      names.push(`out${o}`);
    }
  } else {
    throw new OptionError(fn, `by must be 'inputs' or 'outputs', got '${String(by)}'`);
  }
  return buildGroups(fn, lists, names, nWeights, options?.weights);
}

/**
 * Groups of a conv weight W[o, c, i, j] (O filters, C input channels, kh × kw kernel) stored in
 * `layout` ('OIHW' or tfjs 'HWIO'):
 * - 'filters': group o = W[o, :, :, :] (removes output channel o);
 * - 'channels': group c = W[:, c, :, :] (removes input channel c);
 * - 'shapes': group (c, i, j) = W[:, c, i, j], the same kernel position across all filters — a
 *   column of the im2col weight matrix, Wen et al.'s "filter shape" group.
 */
export function convGroups(
  layer: { inChannels: number; outChannels: number; kernelH: number; kernelW: number; layout: ConvLayout; weight?: ArrayLike<number> },
  by: 'filters' | 'channels' | 'shapes',
  options?: AdapterOptions,
): GroupStructure {
  const fn = 'convGroups';
  checkLayer(fn, layer);
  checkDims(fn, { inChannels: layer.inChannels, outChannels: layer.outChannels, kernelH: layer.kernelH, kernelW: layer.kernelW });
  const layout = checkConvLayout(fn, layer.layout);
  const { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw } = layer;
  const size = O * C * kh * kw;
  if (layer.weight !== undefined && layer.weight.length !== size) {
    throw new ShapeError(fn, `weight has ${layer.weight.length} entries, expected O·C·kh·kw = ${size}`);
  }
  const { offset, nWeights } = resolvePlacement(fn, size, options);
  const { so, sc, sh, sw } = convStrides({ ...layer, layout });
  const at = (o: number, c: number, i: number, j: number) => offset + o * so + c * sc + i * sh + j * sw;
  const lists: number[][] = [];
  const names: string[] = [];
  if (by === 'filters') {
    for (let o = 0; o < O; o++) {
      const l: number[] = [];
      for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) l.push(at(o, c, i, j));
      lists.push(l);
      names.push(`filter${o}`);
    }
  } else if (by === 'channels') {
    for (let c = 0; c < C; c++) {
      const l: number[] = [];
      for (let o = 0; o < O; o++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) l.push(at(o, c, i, j));
      lists.push(l);
      names.push(`channel${c}`);
    }
  } else if (by === 'shapes') {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const l: number[] = [];
          for (let o = 0; o < O; o++) l.push(at(o, c, i, j));
          lists.push(l);
          names.push(`shape${c},${i},${j}`);
        }
      }
    }
  } else {
    throw new OptionError(fn, `by must be 'filters', 'channels' or 'shapes', got '${String(by)}'`);
  }
  return buildGroups(fn, lists, names, nWeights, options?.weights);
}

/** Multi-head attention projections: Q, K, V map d_model → h·d_head, O maps h·d_head → d_model. */
export interface AttentionSpec {
  dModel: number;
  nHeads: number;
  /** Per-head width (default dModel / nHeads). */
  headDim?: number;
  /** Layout of all four projection matrices (dense layouts). */
  layout: DenseLayout;
  /** Whether Q, K, V, O carry biases (default false). */
  bias?: boolean;
}

/** Offsets of each tensor in the flat attention vector [Wq, bq?, Wk, bk?, Wv, bv?, Wo, bo?]. */
export function attentionOffsets(spec: AttentionSpec): { wq: number; bq: number; wk: number; bk: number; wv: number; bv: number; wo: number; bo: number; size: number } {
  checkObject('attentionOffsets', 'spec', spec);
  checkDims('attentionOffsets', { dModel: spec.dModel, nHeads: spec.nHeads, headDim: spec.headDim ?? spec.dModel / spec.nHeads });
  const hd = spec.nHeads * (spec.headDim ?? spec.dModel / spec.nHeads);
  const w = spec.dModel * hd;
  const b = spec.bias ? hd : 0;
  const bo = spec.bias ? spec.dModel : 0;
  const wq = 0;
  const wk = w + b;
  const wv = 2 * (w + b);
  const wo = 3 * (w + b);
  return { wq, bq: spec.bias ? w : -1, wk, bk: spec.bias ? wk + w : -1, wv, bv: spec.bias ? wv + w : -1, wo, bo: spec.bias ? wo + w : -1, size: wo + w + bo };
}

/**
 * Head groups of a multi-head attention block over the flat vector [Wq, bq?, Wk, bk?, Wv, bv?, Wo, bo?]
 * (see {@link attentionOffsets}): group h = head h's output rows of Wq, Wk, Wv (units
 * h·d_head … (h+1)·d_head − 1, with their bias entries) and the matching input columns of Wo.
 * Removing a group removes the head entirely. bo stays unpenalized.
 */
export function attentionHeadGroups(spec: AttentionSpec, options?: AdapterOptions): GroupStructure {
  const fn = 'attentionHeadGroups';
  checkObject(fn, 'spec', spec);
  checkOptions(fn, spec, ['dModel', 'nHeads', 'headDim', 'layout', 'bias']);
  const headDim = spec.headDim ?? spec.dModel / spec.nHeads;
  checkDims(fn, { dModel: spec.dModel, nHeads: spec.nHeads, headDim });
  const layout = checkDenseLayout(fn, spec.layout);
  const off = attentionOffsets({ ...spec, headDim });
  const { offset, nWeights } = resolvePlacement(fn, off.size, options);
  const D = spec.dModel;
  const HD = spec.nHeads * headDim;
  const inProj = denseStrides({ inFeatures: D, outFeatures: HD, layout });
  const outProj = denseStrides({ inFeatures: HD, outFeatures: D, layout });
  const lists: number[][] = [];
  const names: string[] = [];
  for (let h = 0; h < spec.nHeads; h++) {
    const l: number[] = [];
    for (const [w, b] of [[off.wq, off.bq], [off.wk, off.bk], [off.wv, off.bv]]) {
      for (let u = h * headDim; u < (h + 1) * headDim; u++) {
        for (let i = 0; i < D; i++) l.push(offset + w + u * inProj.so + i * inProj.si);
        if (b >= 0) l.push(offset + b + u);
      }
    }
    for (let u = h * headDim; u < (h + 1) * headDim; u++) for (let o = 0; o < D; o++) l.push(offset + off.wo + o * outProj.so + u * outProj.si);
    lists.push(l);
    names.push(`head${h}`);
  }
  return buildGroups(fn, lists, names, nWeights, options?.weights);
}
