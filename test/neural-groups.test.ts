import { describe, expect, it } from 'vitest';
import { GroupError, OptionError, ShapeError, ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';
import type { GroupStructure } from '../src/index.ts';

// Independent truth: tensors are filled with tags written in the layout's own memory order
// (nested loops, no stride formulas), and each group is checked against the tags it must hold.

function membersOf(gs: GroupStructure, g: number): number[] {
  return Array.from(gs.indices.subarray(gs.ptr[g], gs.ptr[g + 1]));
}

/** Tags of a dense weight in memory order: tag = o·1000 + i. */
function denseTags(F: number, O: number, layout: 'out,in' | 'in,out'): number[] {
  const t: number[] = [];
  if (layout === 'out,in') for (let o = 0; o < O; o++) for (let i = 0; i < F; i++) t.push(o * 1000 + i);
  else for (let i = 0; i < F; i++) for (let o = 0; o < O; o++) t.push(o * 1000 + i);
  return t;
}

/** Tags of a conv weight in memory order: [o, c, i, j]. */
function convTags(O: number, C: number, kh: number, kw: number, layout: 'OIHW' | 'HWIO'): number[][] {
  const t: number[][] = [];
  if (layout === 'OIHW') for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) t.push([o, c, i, j]);
  else for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) t.push([o, c, i, j]);
  return t;
}

describe('denseGroups membership (brute force over both layouts)', () => {
  for (const layout of ['out,in', 'in,out'] as const) {
    it(`layout ${layout}: outputs = neuron columns, inputs = feature rows`, () => {
      const F = 5, O = 3;
      const tags = denseTags(F, O, layout);
      const outG = neural.denseGroups({ inFeatures: F, outFeatures: O, layout }, 'outputs');
      expect(outG.nGroups).toBe(O);
      for (let o = 0; o < O; o++) {
        const want = tags.map((t, k) => (Math.floor(t / 1000) === o ? k : -1)).filter((k) => k >= 0).sort((a, b) => a - b);
        expect(membersOf(outG, o).sort((a, b) => a - b)).toEqual(want);
      }
      const inG = neural.denseGroups({ inFeatures: F, outFeatures: O, layout }, 'inputs');
      expect(inG.nGroups).toBe(F);
      for (let i = 0; i < F; i++) {
        const want = tags.map((t, k) => (t % 1000 === i ? k : -1)).filter((k) => k >= 0).sort((a, b) => a - b);
        expect(membersOf(inG, i).sort((a, b) => a - b)).toEqual(want);
      }
      expect(outG.weights[0]).toBeCloseTo(Math.sqrt(F), 14);
    });
  }
  it('offset into a longer vector leaves the rest in one unpenalized group', () => {
    const gs = neural.denseGroups({ inFeatures: 2, outFeatures: 2, layout: 'out,in' }, 'outputs', { offset: 3, nWeights: 10 });
    expect(gs.nGroups).toBe(3);
    expect(membersOf(gs, 0)).toEqual([3, 4]);
    expect(gs.names[2]).toBe('unpenalized');
    expect(gs.weights[2]).toBe(0);
    expect(membersOf(gs, 2)).toEqual([0, 1, 2, 7, 8, 9]);
  });
  it('refuses a layout mismatch and a wrong weight length', () => {
    expect(() => neural.denseGroups({ inFeatures: 2, outFeatures: 2, layout: 'OIHW' as never }, 'outputs')).toThrow(OptionError);
    expect(() => neural.denseGroups({ inFeatures: 2, outFeatures: 3, layout: 'out,in', weight: new Float64Array(5) }, 'outputs')).toThrow(ShapeError);
    expect(() => neural.denseGroups({ inFeatures: 2, outFeatures: 3, layout: 'out,in' }, 'rows' as never)).toThrow(OptionError);
  });
});

describe('convGroups membership (brute force, OIHW and tfjs HWIO)', () => {
  for (const layout of ['OIHW', 'HWIO'] as const) {
    it(`layout ${layout}: filters, channels and filter shapes`, () => {
      const O = 3, C = 2, kh = 2, kw = 3;
      const tags = convTags(O, C, kh, kw, layout);
      const sel = (pred: (t: number[]) => boolean) => tags.map((t, k) => (pred(t) ? k : -1)).filter((k) => k >= 0).sort((a, b) => a - b);
      const spec = { inChannels: C, outChannels: O, kernelH: kh, kernelW: kw, layout };
      const f = neural.convGroups(spec, 'filters');
      expect(f.nGroups).toBe(O);
      for (let o = 0; o < O; o++) expect(membersOf(f, o).sort((a, b) => a - b)).toEqual(sel((t) => t[0] === o));
      const c = neural.convGroups(spec, 'channels');
      expect(c.nGroups).toBe(C);
      for (let ch = 0; ch < C; ch++) expect(membersOf(c, ch).sort((a, b) => a - b)).toEqual(sel((t) => t[1] === ch));
      const s = neural.convGroups(spec, 'shapes');
      expect(s.nGroups).toBe(C * kh * kw);
      let g = 0;
      for (let ch = 0; ch < C; ch++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        expect(membersOf(s, g++).sort((a, b) => a - b)).toEqual(sel((t) => t[1] === ch && t[2] === i && t[3] === j));
      }
    });
  }
  it('refuses unknown layouts and modes', () => {
    expect(() => neural.convGroups({ inChannels: 1, outChannels: 1, kernelH: 1, kernelW: 1, layout: 'NHWC' as never }, 'filters')).toThrow(OptionError);
    expect(() => neural.convGroups({ inChannels: 1, outChannels: 1, kernelH: 1, kernelW: 1, layout: 'OIHW' }, 'rows' as never)).toThrow(OptionError);
    expect(() => neural.convGroups({ inChannels: 0, outChannels: 1, kernelH: 1, kernelW: 1, layout: 'OIHW' }, 'filters')).toThrow(ShapeError);
  });
});

describe('attentionHeadGroups membership (brute force)', () => {
  for (const layout of ['out,in', 'in,out'] as const) {
    it(`layout ${layout}, with biases: head h = its Q/K/V output units and the matching O inputs`, () => {
      const D = 4, H = 2, dh = 2;
      // Flat vector [Wq, bq, Wk, bk, Wv, bv, Wo, bo], tagged [tensor, out, in].
      const tags: number[][] = [];
      for (let p = 0; p < 3; p++) {
        for (const t of denseTags(D, H * dh, layout)) tags.push([p, Math.floor(t / 1000), t % 1000]);
        for (let u = 0; u < H * dh; u++) tags.push([p + 10, u, -1]);
      }
      for (const t of denseTags(H * dh, D, layout)) tags.push([3, Math.floor(t / 1000), t % 1000]);
      for (let o = 0; o < D; o++) tags.push([13, o, -1]);
      const gs = neural.attentionHeadGroups({ dModel: D, nHeads: H, layout, bias: true });
      expect(gs.nFeatures).toBe(tags.length);
      for (let h = 0; h < H; h++) {
        const inHead = (u: number) => u >= h * dh && u < (h + 1) * dh;
        const want = tags.map((t, k) => {
          const [p, o, i] = t;
          const hit = (p <= 2 && inHead(o)) || (p >= 10 && p <= 12 && inHead(o)) || (p === 3 && inHead(i));
          return hit ? k : -1;
        }).filter((k) => k >= 0).sort((a, b) => a - b);
        expect(membersOf(gs, h).sort((a, b) => a - b)).toEqual(want);
      }
      // bo is the only unpenalized part.
      expect(gs.names[H]).toBe('unpenalized');
      expect(membersOf(gs, H).length).toBe(D);
    });
  }
});

describe('coupledGroups of a Sequential', () => {
  // conv(OIHW) → batchnorm → relu → pool → depthwise → conv(HWIO) → leaky → flatten(hwc) → dense(in,out) → relu → dense
  const specs = (): neural.LayerSpec[] => [
    { kind: 'conv2d', inChannels: 2, outChannels: 3, kernelH: 3, padding: 1, layout: 'OIHW', bias: true },
    { kind: 'batchnorm', channels: 3 },
    { kind: 'relu' },
    { kind: 'maxpool2d', size: 2 },
    { kind: 'depthwise2d', channels: 3, kernelH: 3, padding: 1, layout: 'HWC', bias: true },
    { kind: 'conv2d', inChannels: 3, outChannels: 4, kernelH: 2, layout: 'HWIO', bias: true },
    { kind: 'leakyRelu', alpha: 0.2 },
    { kind: 'flatten', order: 'hwc' },
    { kind: 'dense', inFeatures: 4 * 2 * 2, outFeatures: 5, layout: 'in,out', bias: true },
    { kind: 'relu' },
    { kind: 'dense', inFeatures: 5, outFeatures: 3, layout: 'out,in', bias: true },
  ];

  it('each unit group holds exactly its incoming, channelwise and outgoing entries (tags)', () => {
    const net = neural.sequential([2, 6, 6], specs());
    // Tag every parameter with [layerIndex, role, a, b] by filling tensors in memory order.
    const tag: number[][] = new Array(net.params.length);
    net.layers.forEach((l, k) => {
      if (l.kind === 'conv2d') {
        convTags(l.outChannels, l.inChannels, l.kernelH, l.kernelW, l.layout).forEach((t, m) => { tag[l.weightOffset + m] = [k, 0, t[0], t[1]]; });
        if (l.bias) for (let o = 0; o < l.outChannels; o++) tag[l.biasOffset + o] = [k, 1, o, -1];
      } else if (l.kind === 'dense') {
        denseTags(l.inFeatures, l.outFeatures, l.layout).forEach((t, m) => { tag[l.weightOffset + m] = [k, 0, Math.floor(t / 1000), t % 1000]; });
        if (l.bias) for (let o = 0; o < l.outFeatures; o++) tag[l.biasOffset + o] = [k, 1, o, -1];
      } else if (l.kind === 'batchnorm') {
        for (let c = 0; c < l.channels; c++) {
          tag[l.gammaOffset + c] = [k, 2, c, -1];
          tag[l.betaOffset + c] = [k, 3, c, -1];
        }
      } else if (l.kind === 'depthwise2d') {
        // HWC memory order: i, j, c
        let m = 0;
        for (let i = 0; i < l.kernelH; i++) for (let j = 0; j < l.kernelW; j++) for (let c = 0; c < l.channels; c++) tag[l.weightOffset + m++] = [k, 4, c, -1];
        if (l.bias) for (let c = 0; c < l.channels; c++) tag[l.biasOffset + c] = [k, 5, c, -1];
      }
    });
    expect(tag.every((t) => t !== undefined)).toBe(true);
    const cg = neural.coupledGroups(net);
    expect(cg.nUnits).toBe(3 + 4 + 5);
    expect(cg.groups.overlapping).toBe(true);
    for (let g = 0; g < cg.nUnits; g++) {
      const { link, unit } = cg.unitOf[g];
      const L = cg.links[link];
      const belongs = (t: number[]): boolean => {
        const [k, role, a, b] = t;
        if (k === L.producer) return a === unit; // weight row or bias of unit
        if (L.between.includes(k)) return a === unit && role >= 2;
        if (k === L.consumer && role === 0) {
          if (L.spread === 1) return b === unit;
          return b % 4 === unit; // hwc flatten of 4 channels: input feature (p·2 + q)·4 + c
        }
        return false;
      };
      const want = tag.map((t, m) => (belongs(t) ? m : -1)).filter((m) => m >= 0).sort((a, b) => a - b);
      expect(membersOf(cg.groups, g).sort((a, b) => a - b)).toEqual(want);
    }
    // The output layer's weights and bias are the unpenalized rest, plus nothing else.
    const rest = membersOf(cg.groups, cg.nUnits);
    expect(cg.groups.weights[cg.nUnits]).toBe(0);
    const restWant = tag.map((t, m) => (t[0] === 10 && t[1] === 1 ? m : -1)).filter((m) => m >= 0);
    expect(rest.sort((a, b) => a - b)).toEqual(restWant);
  });

  it("members 'incoming' gives disjoint groups without the next layer's weights", () => {
    const net = neural.sequential([2, 6, 6], specs());
    const both = neural.coupledGroups(net);
    const inc = neural.coupledGroups(net, { members: 'incoming' });
    expect(inc.groups.overlapping).toBe(false);
    const l0 = net.layers[0] as neural.Conv2dLayer;
    // unit 0 of conv0: 2·3·3 weights + bias + γ + β + 9 depthwise + 1 depthwise bias
    expect(inc.groups.ptr[1] - inc.groups.ptr[0]).toBe(l0.inChannels * 9 + 1 + 2 + 9 + 1);
    // 'both' adds the next conv's 4·2·2 weights reading channel 0
    expect(both.groups.ptr[1] - both.groups.ptr[0]).toBe(inc.groups.ptr[1] - inc.groups.ptr[0] + 4 * 2 * 2);
  });

  it('costs: removing one unit saves exactly what the compacted network saves', () => {
    const net = neural.sequential([2, 6, 6], specs());
    const cg = neural.coupledGroups(net);
    const full = neural.sequentialFlops(net);
    for (let li = 0; li < cg.links.length; li++) {
      const kept = cg.links.map((l, i) => Array.from({ length: l.units - (i === li ? 1 : 0) }, (_, u) => u));
      const small = neural.compactSequential(net, kept, cg.links);
      const g = cg.unitOf.findIndex((u) => u.link === li);
      expect(full - neural.sequentialFlops(small)).toBe(cg.costs[g]);
    }
    // FLOPs of the first conv by hand: 6·6 outputs × 3 filters × 2·(2·3·3) + bias 6·6·3
    const c0 = 36 * 3 * 2 * 18 + 36 * 3;
    const only = neural.sequential([2, 6, 6], [specs()[0]]);
    expect(neural.sequentialFlops(only)).toBe(c0);
  });

  it('cost weights are proportional to the cost', () => {
    const net = neural.sequential([2, 6, 6], specs());
    const cg = neural.coupledGroups(net, { weights: 'cost' });
    for (let g = 1; g < cg.nUnits; g++) {
      expect(cg.groups.weights[g] / cg.groups.weights[0]).toBeCloseTo(cg.costs[g] / cg.costs[0], 12);
    }
  });

  it('refuses a stack with nothing to prune and unknown options', () => {
    const one = neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 2 }]);
    expect(() => neural.coupledGroups(one)).toThrow(GroupError);
    const net = neural.sequential([2, 6, 6], specs());
    expect(() => neural.coupledGroups(net, { wieghts: 'one' } as never)).toThrow(OptionError);
    expect(() => neural.coupledGroups(net, { members: 'outgoing' as never })).toThrow(OptionError);
  });
});

describe('sequential construction refuses bad input', () => {
  it('shape mismatches, unknown layer types, unknown layouts, bad weights', () => {
    expect(() => neural.sequential([64], [{ kind: 'dense', inFeatures: 60, outFeatures: 2 }])).toThrow(ShapeError);
    expect(() => neural.sequential([1, 8, 8], [{ kind: 'dense', inFeatures: 64, outFeatures: 2 }])).toThrow(/flatten/);
    expect(() => neural.sequential([3, 8, 8], [{ kind: 'conv2d', inChannels: 1, outChannels: 2, kernelH: 3 }])).toThrow(ShapeError);
    expect(() => neural.sequential([3, 8, 8], [{ kind: 'lstm' } as never])).toThrow(/unknown layer type 'lstm'/);
    expect(() => neural.sequential([3, 8, 8], [{ kind: 'conv2d', inChannels: 3, outChannels: 2, kernelH: 3, layout: 'NCHW' as never }])).toThrow(OptionError);
    expect(() => neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 2, weight: [1, 2, 3] }])).toThrow(ShapeError);
    expect(() => neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 1, weight: [1, 2, NaN, 3] }])).toThrow(ValueError);
    expect(() => neural.sequential([3, 2, 2], [{ kind: 'conv2d', inChannels: 3, outChannels: 2, kernelH: 3 }])).toThrow(/does not fit/);
    expect(() => neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 2, biass: true } as never])).toThrow(OptionError);
  });
});
