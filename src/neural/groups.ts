import { GroupError, OptionError, ShapeError, ValueError } from '../errors.ts';
import { makeGroups, type GroupStructure } from '../groups/groups.ts';
import { checkOptions } from '../util/validate.ts';
import {
  convStrides, denseStrides, depthwiseStrides,
  type ConvLayout, type DenseLayout, type Layer, type Sequential,
} from './layers.ts';
import { unitCosts } from './cost.ts';

/**
 * Layer → group adapters. Every function returns a `GroupStructure` over a flat weight vector
 * (one tensor, or a whole `Sequential`'s `params`), ready for `proxGroupLassoInPlace` and the group
 * lasso solvers. Weights not covered by any group are gathered in one trailing group named
 * `'unpenalized'` with d_g = 0, so they are fitted but never shrunk.
 *
 * Penalty weights: d_g = √p_g by default ('sqrt'), 1 ('one'), or explicit.
 */

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

// ---------------------------------------------------------------------------------------------
// Coupled groups over a Sequential

/** A prunable unit: output o of a producer (dense / conv2d) layer that feeds a consumer layer. */
export interface ProducerLink {
  /** Index of the producer layer (dense or conv2d). */
  readonly producer: number;
  /** Index of the next dense / conv2d layer, which reads these outputs. */
  readonly consumer: number;
  /** Channelwise layers in between (activations, batch norm, depthwise, pooling, flatten). */
  readonly between: readonly number[];
  /** Output units of the producer. */
  readonly units: number;
  /** Consumer inputs fed by unit o: o·spread + k (order 'chw') or k·units + o ('hwc'), k < spread. */
  readonly spread: number;
  readonly order: 'chw' | 'hwc';
}

/** Consumer input indices fed by unit o of a link. */
export function consumerInputs(link: ProducerLink, o: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < link.spread; k++) out.push(link.order === 'chw' ? o * link.spread + k : k * link.units + o);
  return out;
}

export function isProducer(l: Layer): l is Extract<Layer, { kind: 'dense' | 'conv2d' }> {
  return l.kind === 'dense' || l.kind === 'conv2d';
}

/**
 * The producer → consumer links of a chain. The last producer's outputs are the network's outputs
 * and are never prunable. A flatten that spreads a channel over H·W features is followed through.
 */
export function producerLinks(model: Sequential): ProducerLink[] {
  const links: ProducerLink[] = [];
  const L = model.layers.length;
  for (let k = 0; k < L; k++) {
    const l = model.layers[k];
    if (!isProducer(l)) continue;
    const between: number[] = [];
    let spread = 1;
    let order: 'chw' | 'hwc' = 'chw';
    let consumer = -1;
    for (let m = k + 1; m < L; m++) {
      const lm = model.layers[m];
      if (isProducer(lm)) {
        consumer = m;
        break;
      }
      if (lm.kind === 'flatten') {
        const [, H, W] = model.shapes[m];
        if (H * W > 1) {
          spread = H * W;
          order = lm.order;
        }
      }
      between.push(m);
    }
    if (consumer < 0) break;
    const units = l.kind === 'dense' ? l.outFeatures : l.outChannels;
    links.push({ producer: k, consumer, between, units, spread, order });
  }
  return links;
}

/** Coupled unit groups of a Sequential, with per-group FLOP costs. */
export interface CoupledGroups {
  /** Over `model.params`: groups [0, nUnits) are units; a trailing 'unpenalized' group (d = 0) holds the rest. */
  readonly groups: GroupStructure;
  readonly nUnits: number;
  /** For group g < nUnits: which link (index into `links`) and which unit. */
  readonly unitOf: readonly { readonly link: number; readonly unit: number }[];
  readonly links: readonly ProducerLink[];
  /** FLOPs per sample that removing unit g alone saves (producer row, channelwise layers, consumer inputs). */
  readonly costs: Float64Array;
}

export interface CoupledGroupOptions {
  /** d_g: 'sqrt' (√p_g, default), 'one', 'cost' (d_g = cost_g / mean cost), or explicit values. */
  weights?: 'sqrt' | 'one' | 'cost' | ArrayLike<number>;
  /**
   * 'both' (default): a unit's incoming weights, bias, channelwise entries AND its outgoing weights
   * in the next layer. Consecutive layers' groups then overlap (W₂[o′, o] belongs to unit o of
   * layer 1 and unit o′ of layer 2). 'incoming': everything but the outgoing weights — disjoint
   * groups; a zero group still removes the unit exactly (its activation is 0).
   */
  members?: 'both' | 'incoming';
}

/** Flat param indices owned by unit o of a link (producer outputs, channelwise entries, consumer inputs). */
export function unitMembers(model: Sequential, link: ProducerLink, o: number, members: 'both' | 'incoming' = 'both'): number[] {
  const m: number[] = [];
  const p = model.layers[link.producer];
  if (p.kind === 'dense') {
    const { so, si } = denseStrides(p);
    for (let i = 0; i < p.inFeatures; i++) m.push(p.weightOffset + o * so + i * si);
    if (p.bias) m.push(p.biasOffset + o);
  } else if (p.kind === 'conv2d') {
    const { so, sc, sh, sw } = convStrides(p);
    for (let c = 0; c < p.inChannels; c++) for (let i = 0; i < p.kernelH; i++) for (let j = 0; j < p.kernelW; j++) m.push(p.weightOffset + o * so + c * sc + i * sh + j * sw);
    if (p.bias) m.push(p.biasOffset + o);
  }
  let channels = [o];
  for (const b of link.between) {
    const l = model.layers[b];
    if (l.kind === 'flatten') {
      const [, H, W] = model.shapes[b];
      if (H * W > 1) channels = consumerInputs(link, o);
    } else if (l.kind === 'batchnorm') {
      for (const c of channels) m.push(l.gammaOffset + c, l.betaOffset + c);
    } else if (l.kind === 'depthwise2d') {
      const { sc, sh, sw } = depthwiseStrides(l);
      for (const c of channels) {
        for (let i = 0; i < l.kernelH; i++) for (let j = 0; j < l.kernelW; j++) m.push(l.weightOffset + c * sc + i * sh + j * sw);
        if (l.bias) m.push(l.biasOffset + c);
      }
    }
  }
  if (members === 'incoming') return m;
  const q = model.layers[link.consumer];
  const inputs = consumerInputs(link, o);
  if (q.kind === 'dense') {
    const { so, si } = denseStrides(q);
    for (const i of inputs) for (let u = 0; u < q.outFeatures; u++) m.push(q.weightOffset + u * so + i * si);
  } else if (q.kind === 'conv2d') {
    const { so, sc, sh, sw } = convStrides(q);
    for (const c of inputs) for (let u = 0; u < q.outChannels; u++) for (let i = 0; i < q.kernelH; i++) for (let j = 0; j < q.kernelW; j++) m.push(q.weightOffset + u * so + c * sc + i * sh + j * sw);
  }
  return m;
}

/**
 * Coupled groups of a sequential stack: one group per prunable unit (a dense neuron or a conv
 * filter that feeds another dense/conv layer), holding the unit's incoming weights and bias, its
 * batch-norm γ/β and depthwise filter, and (members 'both', the default) its outgoing weights in the
 * next layer (all H·W inputs it feeds through a flatten). Zeroing a group removes the unit exactly:
 * its activation is 0 (ReLU(0) = leaky(0) = 0, γ = β = 0) and no later layer reads it, so
 * `compactSequential` can delete it with no change in outputs. The network's output layer keeps
 * all its outputs. With 'both', groups of consecutive layers overlap; `proxGroupLassoInPlace`
 * then applies the group thresholds one after another (the composition of the single-group proxes,
 * not the exact prox of the overlapping sum), which still zeroes whole groups.
 */
export function coupledGroups(model: Sequential, options: CoupledGroupOptions = {}): CoupledGroups {
  const fn = 'coupledGroups';
  checkOptions(fn, options, ['weights', 'members']);
  const members = options.members ?? 'both';
  if (members !== 'both' && members !== 'incoming') throw new OptionError(fn, `members must be 'both' or 'incoming', got '${String(members)}'`);
  const links = producerLinks(model);
  const lists: number[][] = [];
  const names: string[] = [];
  const unitOf: { link: number; unit: number }[] = [];
  links.forEach((link, li) => {
    for (let o = 0; o < link.units; o++) {
      lists.push(unitMembers(model, link, o, members));
      names.push(`${model.layers[link.producer].name}:${o}`);
      unitOf.push({ link: li, unit: o });
    }
  });
  if (lists.length === 0) throw new GroupError(fn, 'the stack has no prunable unit (it needs a dense/conv layer followed by another)');
  const costs = unitCosts(model, links);
  let w: 'sqrt' | 'one' | ArrayLike<number> | undefined;
  const rule = options.weights;
  if (rule === 'cost') {
    let mean = 0;
    for (const c of costs) mean += c / costs.length;
    w = Array.from(costs, (c) => c / mean);
  } else {
    w = rule;
  }
  const groups = buildGroups(fn, lists, names, model.params.length, w, members === 'both');
  return { groups, nUnits: lists.length, unitOf, links, costs };
}
