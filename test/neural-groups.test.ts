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
