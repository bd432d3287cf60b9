import { ShapeError } from '../errors.ts';
import type { Sequential } from './layers.ts';
import type { ProducerLink } from './groups.ts';

/**
 * FLOP counts per sample, one multiply-add = 2 FLOPs:
 * - dense in → out: 2·in·out (+ out for the bias);
 * - conv2d: Ho·Wo·O·2·C·kh·kw (+ Ho·Wo·O bias);  depthwise: Ho·Wo·C·2·kh·kw (+ Ho·Wo·C);
 * - batch norm (folded to a scale and shift): 2·C·H·W;  ReLU / leaky ReLU: C·H·W;
 * - max pooling: Ho·Wo·C·(k² − 1) comparisons;  flatten: 0.
 * The count is linear in each layer's kept input and output channels, so the cost of a pruned
 * structure is exact from the kept-unit counts alone.
 */

/**
 * FLOPs per sample of `model` when producer layer k keeps `kept.get(k)` of its output units
 * (default all). Equal to the FLOPs of the compacted stack with those counts.
 */
export function sequentialFlops(model: Sequential, kept: ReadonlyMap<number, number> = new Map()): number {
  let flops = 0;
  let ch = model.shapes[0][0];
  model.layers.forEach((l, k) => {
    const [, H, W] = model.shapes[k];
    const [, Ho, Wo] = model.shapes[k + 1];
    switch (l.kind) {
      case 'dense': {
        const out = kept.get(k) ?? l.outFeatures;
        flops += 2 * ch * out + (l.bias ? out : 0);
        ch = out;
        break;
      }
      case 'conv2d': {
        const out = kept.get(k) ?? l.outChannels;
        flops += Ho * Wo * out * (2 * ch * l.kernelH * l.kernelW) + (l.bias ? Ho * Wo * out : 0);
        ch = out;
        break;
      }
      case 'depthwise2d':
        flops += Ho * Wo * ch * 2 * l.kernelH * l.kernelW + (l.bias ? Ho * Wo * ch : 0);
        break;
      case 'batchnorm':
        flops += 2 * ch * H * W;
        break;
      case 'relu':
      case 'leakyRelu':
        flops += ch * H * W;
        break;
      case 'maxpool2d':
        flops += Ho * Wo * ch * (l.size * l.size - 1);
        break;
      case 'flatten':
        ch = ch * H * W;
        break;
    }
  });
  return flops;
}

/**
 * FLOPs per sample that removing one unit of each link saves while everything else is kept
 * (the producer's output row, the channelwise layers' channel, the consumer's inputs): for unit g
 * of link ℓ, cost_g = F(full) − F(full with producer ℓ keeping units − 1). All units of one link
 * cost the same.
 */
export function unitCosts(model: Sequential, links: readonly ProducerLink[]): Float64Array {
  const full = sequentialFlops(model);
  const out: number[] = [];
  for (const link of links) {
    const c = full - sequentialFlops(model, new Map([[link.producer, link.units - 1]]));
    for (let o = 0; o < link.units; o++) out.push(c);
  }
  return Float64Array.from(out);
}

/** FLOPs of the structure that keeps `keptPerLink[i]` units of link i (validated counts). */
export function keptFlops(model: Sequential, links: readonly ProducerLink[], keptPerLink: ArrayLike<number>): number {
  if (keptPerLink.length !== links.length) throw new ShapeError('keptFlops', `${keptPerLink.length} counts for ${links.length} prunable layers`);
  const m = new Map<number, number>();
  links.forEach((l, i) => m.set(l.producer, keptPerLink[i]));
  return sequentialFlops(model, m);
}
