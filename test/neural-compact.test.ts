import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random, ShapeError, ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

/**
 * Independent truth for compaction: a naive forward of the masked network (original shapes, pruned
 * groups zero), written here with plain nested loops, against the compacted network's forward.
 */

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomKeep(rng: Random, cg: neural.CoupledGroups, frac: number): number[][] {
  return cg.links.map((l) => {
    const all = Array.from({ length: l.units }, (_, i) => i);
    rng.shuffle(all);
    return all.slice(0, Math.max(1, Math.round(frac * l.units)));
  });
}

/** Naive dense forward y[o] = b[o] + Σ_i W[o,i] x[i] for one sample, reading W through the layout by hand. */
function naiveDense(l: neural.DenseLayer, x: Float64Array): Float64Array {
  const y = new Float64Array(l.outFeatures);
  for (let o = 0; o < l.outFeatures; o++) {
    let s = l.bias ? l.bias[o] : 0;
    for (let i = 0; i < l.inFeatures; i++) {
      const w = l.layout === 'out,in' ? l.weight[o * l.inFeatures + i] : l.weight[i * l.outFeatures + o];
      s += w * x[i];
    }
    y[o] = s;
  }
  return y;
}

describe('compaction: compacted network = masked network', () => {
  it('MLP in both dense layouts (naive masked forward as the oracle), to 1e-12', () => {
    for (const layout of ['out,in', 'in,out'] as const) {
      const net = neural.initializeSequential(neural.sequential([10], [
        { kind: 'dense', inFeatures: 10, outFeatures: 8, layout, bias: true }, { kind: 'relu' },
        { kind: 'dense', inFeatures: 8, outFeatures: 6, layout, bias: true }, { kind: 'relu' },
        { kind: 'dense', inFeatures: 6, outFeatures: 3, layout, bias: true },
      ]), 1);
      const rng = new Random(2);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.1 * rng.normal();
      const cg = neural.coupledGroups(net);
      const kept = randomKeep(rng, cg, 0.5);
      const masked = neural.maskUnits(net, cg, kept);
      const small = neural.compactSequential(masked, kept, cg.links);
      expect((small.layers[0] as neural.DenseLayer).outFeatures).toBe(4);
      expect((small.layers[2] as neural.DenseLayer).inFeatures).toBe(4);
      expect((small.layers[2] as neural.DenseLayer).outFeatures).toBe(3);
      const x = rng.normals(5 * 10);
      const got = neural.forward(small, x);
      for (let s = 0; s < 5; s++) {
        let h = naiveDense(masked.layers[0] as neural.DenseLayer, x.subarray(s * 10, s * 10 + 10)).map((v) => Math.max(v, 0));
        h = naiveDense(masked.layers[2] as neural.DenseLayer, h).map((v) => Math.max(v, 0));
        const y = naiveDense(masked.layers[4] as neural.DenseLayer, h);
        expect(maxAbsDiff(got.subarray(s * 3, s * 3 + 3), y)).toBeLessThan(1e-12);
      }
      // Zeroing a group removes the unit: masked forward (all layers) agrees too.
      expect(maxAbsDiff(neural.forward(masked, x), got)).toBeLessThan(1e-12);
      // Kept units read back from the zero pattern.
      expect(neural.keptUnits(masked, cg)).toEqual(kept.map((k) => [...k].sort((a, b) => a - b)));
    }
  });

  it('conv stack with batch norm, depthwise, pooling and both flatten orders, to 1e-12', () => {
    for (const order of ['chw', 'hwc'] as const) {
      for (const layout of ['OIHW', 'HWIO'] as const) {
        const rng = new Random(order === 'chw' ? 5 : 6);
        const net = neural.sequential([3, 9, 9], [
          { kind: 'conv2d', inChannels: 3, outChannels: 6, kernelH: 3, padding: 1, layout, bias: true },
          { kind: 'batchnorm', channels: 6, gamma: rng.normals(6), beta: rng.normals(6), mean: rng.normals(6), variance: Array.from({ length: 6 }, () => 0.5 + rng.uniform()) },
          { kind: 'leakyRelu', alpha: 0.1 },
          { kind: 'maxpool2d', size: 2, stride: 2, padding: 'same' },
          { kind: 'depthwise2d', channels: 6, kernelH: 3, padding: 1, layout: order === 'chw' ? 'CHW' : 'HWC', bias: true },
          { kind: 'conv2d', inChannels: 6, outChannels: 5, kernelH: 1, layout, bias: true },
          { kind: 'relu' },
          { kind: 'maxpool2d', size: 2, stride: 1, padding: 'same' },
          { kind: 'flatten', order },
          { kind: 'dense', inFeatures: 5 * 5 * 5, outFeatures: 7, bias: true },
          { kind: 'relu' },
          { kind: 'dense', inFeatures: 7, outFeatures: 4, bias: true },
        ]);
        for (let i = 0; i < net.params.length; i++) net.params[i] = rng.normal() * 0.3;
        for (const members of ['both', 'incoming'] as const) {
          const cg = neural.coupledGroups(net, { members });
          const kept = randomKeep(rng, cg, 0.6);
          const masked = neural.maskUnits(net, cg, kept);
          const small = neural.compactSequential(masked, kept, cg.links);
          const x = rng.normals(3 * 3 * 9 * 9);
          expect(maxAbsDiff(neural.forward(small, x), neural.forward(masked, x))).toBeLessThan(1e-12);
          expect(neural.sequentialFlops(small)).toBe(neural.keptFlops(net, cg.links, kept.map((k) => k.length)));
          expect(small.params.length).toBeLessThan(net.params.length);
        }
      }
    }
  });

  it('the shipped face detector (real weights), a random half of every block pruned, to 1e-12', () => {
    const net = neural.loadTinyFaceDetector({ inputSize: 40 });
    const cg = neural.coupledGroups(net);
    expect(cg.links.length).toBe(6); // conv0 and five pointwise convs feed a next conv
    const rng = new Random(9);
    const kept = randomKeep(rng, cg, 0.5);
    const masked = neural.maskUnits(net, cg, kept);
    const small = neural.compactSequential(masked, kept, cg.links);
    const x = Float64Array.from({ length: 2 * 3 * 40 * 40 }, () => rng.uniform());
    const a = neural.forward(small, x);
    const b = neural.forward(masked, x);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-12 * Math.max(1, ...Array.from(b, Math.abs)));
    expect(neural.sequentialFlops(small)).toBeLessThan(0.5 * neural.sequentialFlops(net));
  });

  it('refuses an emptied layer, out-of-range or repeated units, a wrong number of lists', () => {
    const net = neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 3 }, { kind: 'relu' }, { kind: 'dense', inFeatures: 3, outFeatures: 2 }]);
    expect(() => neural.compactSequential(net, [[]])).toThrow(ValueError);
    expect(() => neural.compactSequential(net, [[0, 3]])).toThrow(ShapeError);
    expect(() => neural.compactSequential(net, [[1, 1]])).toThrow(ValueError);
    expect(() => neural.compactSequential(net, [[0], [1]])).toThrow(ShapeError);
  });
});

describe('kernels', () => {
  it('CSR product equals the dense product; im2col·W equals the conv forward', () => {
    const rng = new Random(4);
    const m = 13, k = 17, n = 9;
    const W = rng.normals(m * k).map((v) => (rng.uniform() < 0.7 ? 0 : v));
    const X = rng.normals(k * n);
    const dense = neural.denseMatmul(W, X, m, k, n);
    const csr = neural.csrMatmul(neural.csrFromDense(W, m, k), X, n);
    // naive triple loop as the oracle
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += W[i * k + t] * X[t * n + j];
      expect(dense[i * n + j]).toBeCloseTo(s, 12);
      expect(csr[i * n + j]).toBeCloseTo(s, 12);
    }
    const net = neural.sequential([3, 6, 5], [{ kind: 'conv2d', inChannels: 3, outChannels: 4, kernelH: 3, padding: 1, layout: 'OIHW', weight: rng.normals(4 * 27) }]);
    const x = rng.normals(2 * 3 * 6 * 5);
    const ref = neural.forward(net, x);
    const cols = neural.im2col(x, 2, 3, 6, 5, 3, 3, 1);
    const y = neural.denseMatmul((net.layers[0] as neural.Conv2dLayer).weight, cols, 4, 27, 2 * 30);
    for (let s = 0; s < 2; s++) for (let o = 0; o < 4; o++) for (let p = 0; p < 30; p++) {
      expect(y[o * 60 + s * 30 + p]).toBeCloseTo(ref[(s * 4 + o) * 30 + p], 12);
    }
  });
});

describe('compaction property (fast-check, stacks and keep sets built by construction)', () => {
  it('for any small conv → dense stack and any non-empty keep sets: compacted = masked, FLOPs = kept count formula', () => {
    const arch = fc.record({
      c0: fc.integer({ min: 1, max: 3 }),
      c1: fc.integer({ min: 1, max: 4 }),
      c2: fc.integer({ min: 1, max: 4 }),
      h: fc.integer({ min: 1, max: 5 }),
      conv: fc.constantFrom('OIHW' as const, 'HWIO' as const),
      dense: fc.constantFrom('out,in' as const, 'in,out' as const),
      order: fc.constantFrom('chw' as const, 'hwc' as const),
      members: fc.constantFrom('both' as const, 'incoming' as const),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(fc.property(arch, fc.array(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { minLength: 3, maxLength: 3 }), (a, masks) => {
      const rng = new Random(a.seed);
      const net = neural.sequential([a.c0, 5, 5], [
        { kind: 'conv2d', inChannels: a.c0, outChannels: a.c1, kernelH: 3, padding: 1, layout: a.conv, bias: true },
        { kind: 'relu' },
        { kind: 'conv2d', inChannels: a.c1, outChannels: a.c2, kernelH: 2, stride: 2, layout: a.conv, bias: true },
        { kind: 'leakyRelu', alpha: 0.1 },
        { kind: 'flatten', order: a.order },
        { kind: 'dense', inFeatures: a.c2 * 4, outFeatures: a.h, layout: a.dense, bias: true },
        { kind: 'relu' },
        { kind: 'dense', inFeatures: a.h, outFeatures: 2, layout: a.dense, bias: true },
      ]);
      for (let i = 0; i < net.params.length; i++) net.params[i] = rng.normal();
      const cg = neural.coupledGroups(net, { members: a.members });
      // keep set of link i: the units whose mask bit is set, or unit 0 if none is
      const kept = cg.links.map((l, i) => {
        const k = Array.from({ length: l.units }, (_, u) => u).filter((u) => masks[i][u]);
        return k.length > 0 ? k : [0];
      });
      const masked = neural.maskUnits(net, cg, kept);
      const small = neural.compactSequential(masked, kept, cg.links);
      const x = rng.normals(2 * a.c0 * 25);
      expect(maxAbsDiff(neural.forward(small, x), neural.forward(masked, x))).toBeLessThan(1e-12);
      const [k1, k2, kh] = kept.map((k) => k.length);
      // FLOPs by hand: conv 3×3 pad 1 on 5×5, relu, conv 2×2 stride 2 → 2×2, leaky, dense, relu, dense
      const want = 25 * k1 * 2 * a.c0 * 9 + 25 * k1 + 25 * k1 + 4 * k2 * 2 * k1 * 4 + 4 * k2 + 4 * k2 + 2 * (k2 * 4) * kh + kh + kh + 2 * kh * 2 + 2;
      expect(neural.sequentialFlops(small)).toBe(want);
    }), { numRuns: 30 });
  });
});
