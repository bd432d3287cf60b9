import { ShapeError, ValueError } from '../errors.ts';
import { nrm2Indexed } from '../linalg/blas.ts';
import {
  cloneSequential, convStrides, denseStrides, depthwiseStrides, inputShapeOf, layerToSpec, sequential,
  type Layer, type LayerSpec, type Sequential,
} from './layers.ts';
import { producerLinks, type CoupledGroups, type ProducerLink } from './groups.ts';

/**
 * Compaction: turn a stack whose pruned units are zero into a smaller stack with those units
 * deleted (producer outputs, their batch-norm / depthwise channels, and the consumer's matching
 * inputs). The compacted stack computes the same function with fewer FLOPs; its layers keep the
 * original layouts.
 */

/** Kept unit indices per link: units whose coupled group has ‖w_g‖₂ > 0. */
export function keptUnits(model: Sequential, cg: CoupledGroups): number[][] {
  const kept: number[][] = cg.links.map(() => []);
  for (let g = 0; g < cg.nUnits; g++) {
    const norm = nrm2Indexed(model.params, cg.groups.indices, cg.groups.ptr[g], cg.groups.ptr[g + 1]);
    if (norm > 0) kept[cg.unitOf[g].link].push(cg.unitOf[g].unit);
  }
  return kept;
}

/** A copy of `model` with every unit group not in `kept` set to zero (the masked network). */
export function maskUnits(model: Sequential, cg: CoupledGroups, kept: readonly (readonly number[])[]): Sequential {
  const out = cloneSequential(model);
  const keep = cg.links.map((l, i) => {
    const s = new Uint8Array(l.units);
    for (const u of kept[i]) s[u] = 1;
    return s;
  });
  for (let g = 0; g < cg.nUnits; g++) {
    const { link, unit } = cg.unitOf[g];
    if (keep[link][unit]) continue;
    for (let k = cg.groups.ptr[g]; k < cg.groups.ptr[g + 1]; k++) out.params[cg.groups.indices[k]] = 0;
  }
  return out;
}

function sliceDenseOut(l: Extract<Layer, { kind: 'dense' }>, rows: readonly number[]): LayerSpec {
  const O = rows.length;
  const F = l.inFeatures;
  const { so, si } = denseStrides(l);
  const ns = denseStrides({ inFeatures: F, outFeatures: O, layout: l.layout });
  const w = new Float64Array(O * F);
  rows.forEach((o, r) => {
    for (let i = 0; i < F; i++) w[r * ns.so + i * ns.si] = l.weight[o * so + i * si];
  });
  const bias = l.bias ? Float64Array.from(rows, (o) => l.bias![o]) : false;
  return { kind: 'dense', name: l.name, inFeatures: F, outFeatures: O, layout: l.layout, weight: w, bias };
}

function sliceDenseIn(spec: Extract<LayerSpec, { kind: 'dense' }>, cols: readonly number[]): LayerSpec {
  const F = spec.inFeatures;
  const O = spec.outFeatures;
  const layout = spec.layout ?? 'out,in';
  const { so, si } = denseStrides({ inFeatures: F, outFeatures: O, layout });
  const ns = denseStrides({ inFeatures: cols.length, outFeatures: O, layout });
  const src = spec.weight!;
  const w = new Float64Array(O * cols.length);
  for (let o = 0; o < O; o++) cols.forEach((i, c) => { w[o * ns.so + c * ns.si] = src[o * so + i * si]; });
  return { ...spec, inFeatures: cols.length, weight: w };
}

function sliceConv(spec: Extract<LayerSpec, { kind: 'conv2d' }>, outs: readonly number[] | null, ins: readonly number[] | null): LayerSpec {
  const kh = spec.kernelH;
  const kw = spec.kernelW ?? kh;
  const layout = spec.layout ?? 'OIHW';
  const os = outs ?? Array.from({ length: spec.outChannels }, (_, i) => i);
  const is = ins ?? Array.from({ length: spec.inChannels }, (_, i) => i);
  const s = convStrides({ inChannels: spec.inChannels, outChannels: spec.outChannels, kernelH: kh, kernelW: kw, layout });
  const t = convStrides({ inChannels: is.length, outChannels: os.length, kernelH: kh, kernelW: kw, layout });
  const src = spec.weight!;
  const w = new Float64Array(os.length * is.length * kh * kw);
  os.forEach((o, a) => {
    is.forEach((c, b) => {
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) w[a * t.so + b * t.sc + i * t.sh + j * t.sw] = src[o * s.so + c * s.sc + i * s.sh + j * s.sw];
    });
  });
  const bias = typeof spec.bias === 'object' && outs ? Float64Array.from(os, (o) => (spec.bias as ArrayLike<number>)[o]) : spec.bias;
  return { ...spec, outChannels: os.length, inChannels: is.length, weight: w, bias };
}

function sliceChannelwise(spec: LayerSpec, channels: readonly number[]): LayerSpec {
  const pick = (a: ArrayLike<number> | undefined) => (a === undefined ? undefined : Float64Array.from(channels, (c) => a[c]));
  if (spec.kind === 'batchnorm') {
    return { ...spec, channels: channels.length, gamma: pick(spec.gamma), beta: pick(spec.beta), mean: pick(spec.mean), variance: pick(spec.variance) };
  }
  if (spec.kind === 'depthwise2d') {
    const kh = spec.kernelH;
    const kw = spec.kernelW ?? kh;
    const layout = spec.layout ?? 'CHW';
    const s = depthwiseStrides({ channels: spec.channels, kernelH: kh, kernelW: kw, layout });
    const t = depthwiseStrides({ channels: channels.length, kernelH: kh, kernelW: kw, layout });
    const w = new Float64Array(channels.length * kh * kw);
    channels.forEach((c, b) => {
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) w[b * t.sc + i * t.sh + j * t.sw] = spec.weight![c * s.sc + i * s.sh + j * s.sw];
    });
    const bias = typeof spec.bias === 'object' ? pick(spec.bias) : spec.bias;
    return { ...spec, channels: channels.length, weight: w, bias };
  }
  return spec;
}

/**
 * Delete units from a stack. `kept[i]` lists the units (any order; they are sorted) that link
 * i of `producerLinks(model)` keeps; every other unit is removed from its producer, from the
 * channelwise layers after it and from the consumer's inputs (all H·W inputs it feeds through a
 * flatten). If the removed units' groups are zero in `model`, the result computes exactly the same
 * outputs (up to summation order) with sequentialFlops(result) = keptFlops(model, …).
 * A link must keep at least one unit.
 */
export function compactSequential(model: Sequential, kept: readonly (readonly number[])[], links: readonly ProducerLink[] = producerLinks(model)): Sequential {
  const fn = 'compactSequential';
  if (!Array.isArray(kept) || kept.length !== links.length) {
    throw new ShapeError(fn, `kept has ${Array.isArray(kept) ? kept.length : 'no'} entries for ${links.length} prunable layers`);
  }
  const specs = model.layers.map(layerToSpec);
  links.forEach((link, li) => {
    const units = [...kept[li]].sort((a, b) => a - b);
    if (units.length === 0) throw new ValueError(fn, `layer ${model.layers[link.producer].name} would keep no unit; the network would be cut in two`);
    const seen = new Set<number>();
    for (const u of units) {
      if (!Number.isInteger(u) || u < 0 || u >= link.units) throw new ShapeError(fn, `unit ${u} is out of range for layer ${model.layers[link.producer].name} (${link.units} units)`);
      if (seen.has(u)) throw new ValueError(fn, `unit ${u} of layer ${model.layers[link.producer].name} is listed twice`);
      seen.add(u);
    }
    // Producer outputs (a producer may also be the consumer of the previous link: its inputs were
    // already sliced in `specs`, so slice from the spec, not the layer).
    const p = specs[link.producer];
    if (p.kind === 'dense') {
      const l = sequentialDenseFromSpec(p);
      specs[link.producer] = sliceDenseOut(l, units);
    } else if (p.kind === 'conv2d') {
      specs[link.producer] = sliceConv(p, units, null);
    }
    // Consumer inputs, in the order the compacted activation presents them.
    const orderedInputs = link.spread > 1 ? orderAfterFlatten(link, units) : units;
    let channels = units;
    for (const b of link.between) {
      const l = model.layers[b];
      if (l.kind === 'flatten') {
        const [, H, W] = model.shapes[b];
        if (H * W > 1) channels = orderedInputs;
      } else {
        specs[b] = sliceChannelwise(specs[b], channels);
      }
    }
    const q = specs[link.consumer];
    if (q.kind === 'dense') specs[link.consumer] = sliceDenseIn(q, orderedInputs);
    else if (q.kind === 'conv2d') specs[link.consumer] = sliceConv(q, null, orderedInputs);
  });
  const shape = inputShapeOf(model);
  return sequential(shape, specs, fn);
}

/** Consumer input indices in the order a flatten of the kept channels emits them. */
function orderAfterFlatten(link: ProducerLink, units: readonly number[]): number[] {
  const out: number[] = [];
  if (link.order === 'chw') {
    for (const u of units) for (let k = 0; k < link.spread; k++) out.push(u * link.spread + k);
  } else {
    for (let k = 0; k < link.spread; k++) for (const u of units) out.push(k * link.units + u);
  }
  return out;
}

/** A dense spec as a layer-like record for slicing (weights already materialized). */
function sequentialDenseFromSpec(p: Extract<LayerSpec, { kind: 'dense' }>): Extract<Layer, { kind: 'dense' }> {
  return {
    kind: 'dense', name: p.name ?? 'dense', inFeatures: p.inFeatures, outFeatures: p.outFeatures, layout: p.layout ?? 'out,in',
    weight: Float64Array.from(p.weight!), bias: typeof p.bias === 'object' ? Float64Array.from(p.bias) : null, weightOffset: 0, biasOffset: -1,
  };
}
