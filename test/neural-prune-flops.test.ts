import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Random, ValueError } from '../src/index.ts';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import {
  allKept, compactModel, FlatParams, gatherInputs, incomingIndices, initBackend, normOrder, outgoingIndices, iterativePrune, structureFlops, structureParameters, netStructure, pruneToFlops, trainProximal, type ImageSet, type NetStructure,
} from '../src/neural/train/index.ts';

await initBackend();

const split = trainTestSplit(loadDigits(), 0.3, 1);
const asSet = (s: { x: Float64Array; y: Int32Array; n: number }): ImageSet => ({ x: Float32Array.from(s.x), y: s.y, n: s.n, shape: [64], classes: 10 });
const train = asSet(split.train);
const test = asSet(split.test);

function mlp(h1: number, h2: number): NetStructure {
  return netStructure(tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: h1, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: h2, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  }));
}

/** Multiply–adds of the MLP with h0 inputs, h1, h2 hidden units and 10 outputs, written out by hand. */
const mlpFlops = (h0: number, h1: number, h2: number) => 2 * (h0 * h1 + h1 * h2 + h2 * 10) + h1 + h2 + 10;

describe('FLOPs of a kept structure', () => {
  it('match the hand count of a dense chain', () => {
    const net = mlp(48, 24);
    expect(structureFlops(net, allKept(net))).toBe(mlpFlops(64, 48, 24));
    const kept = allKept(net);
    kept[0].fill(0, 0, 10);
    kept[1].fill(0, 0, 7);
    expect(structureFlops(net, kept)).toBe(mlpFlops(54, 41, 24));
    expect(structureParameters(net, kept)).toBe(54 * 41 + 41 + 41 * 24 + 24 + 24 * 10 + 10);
  });
});

describe('pruning to a FLOP budget', () => {
  const net = mlp(64, 32);
  trainProximal(net, train, { lambda: 0, epochs: 8, lr: 0.05 });
  const params = new FlatParams(net);
  const dense = Float64Array.from(params.theta);
  const restore = () => {
    params.theta.set(dense);
    params.push();
  };

  it('never exceeds the budget, whatever the budget (no training: the structure alone)', () => {
    const rng = new Random(3);
    for (let t = 0; t < 12; t++) {
      const budget = 0.02 + 0.98 * rng.uniform();
      for (const method of ['cost', 'norm'] as const) {
        restore();
        const r = pruneToFlops(net, train, { budget, method, fineTuneEpochs: 0 });
        expect(r.flops).toBeLessThanOrEqual(budget * r.flopsFull);
        expect(r.flops).toBe(structureFlops(net, r.kept));
        // Tight along the order: putting back the last unit removed breaks the budget.
        if (r.removed.length > 0) {
          const [s, u] = r.removed[r.removed.length - 1];
          expect(r.kept[s][u]).toBe(0);
          r.kept[s][u] = 1;
          expect(structureFlops(net, r.kept)).toBeGreaterThan(budget * r.flopsFull);
        }
      }
    }
  });

  it('the kept set shrinks monotonically as the budget falls (the price rises)', () => {
    let prev: Uint8Array[] | null = null;
    let prevPrice = 0;
    for (const budget of [0.9, 0.7, 0.5, 0.3, 0.15]) {
      restore();
      const r = pruneToFlops(net, train, { budget, method: 'cost', fineTuneEpochs: 0 });
      expect(r.price!).toBeGreaterThanOrEqual(prevPrice);
      prevPrice = r.price!;
      if (prev) for (let s = 0; s < prev.length; s++) for (let u = 0; u < prev[s].length; u++) expect(r.kept[s][u]).toBeLessThanOrEqual(prev[s][u]);
      prev = r.kept;
    }
  });

  for (const budget of [0.25, 0.5]) {
    it(`at ${budget * 100} % FLOPs the cost-weighted price is at least as accurate as group-norm ranking with the same fine-tuning`, () => {
      const out: Record<string, number> = {};
      for (const method of ['cost', 'norm'] as const) {
        restore();
        const r = pruneToFlops(net, train, { budget, method, test, fineTuneEpochs: 3, lr: 0.05 });
        expect(r.flops).toBeLessThanOrEqual(budget * r.flopsFull);
        // The pruned weights stayed at zero through fine-tuning: the network computes with the structure.
        params.pull();
        for (let s = 0; s < r.kept.length - 1; s++) {
          for (let u = 0; u < r.kept[s].length; u++) {
            if (r.kept[s][u]) continue;
            const next = net.stages[s + 1];
            for (let o = 0; o < next.units; o++) expect(params.theta[next.kernel + u * next.units + o]).toBe(0);
          }
        }
        out[method] = r.accuracyAfter;
      }
      expect(out.cost).toBeGreaterThanOrEqual(out.norm);
    });
  }

  it('iterative prune → fine-tune reports each round and ends within the budget', () => {
    restore();
    const rounds: number[] = [];
    const full = structureFlops(net, allKept(net));
    const r = iterativePrune(net, train, {
      budget: 0.3, steps: 3, epochsPerStep: 1, test,
      onProgress: (p) => {
        rounds.push(p.flops);
        // Every round's structure fits that round's target, the targets falling geometrically to the budget.
        expect(p.target).toBeCloseTo(0.3 ** (p.step / 3), 12);
        expect(p.flops).toBeLessThanOrEqual(p.target * full);
      },
    });
    expect(rounds.length).toBe(3);
    for (let k = 1; k < rounds.length; k++) expect(rounds[k]).toBeLessThan(rounds[k - 1]);
    expect(r.flops).toBeLessThanOrEqual(0.3 * r.flopsFull);
    expect(r.flops).toBe(structureFlops(net, r.kept));
    expect(r.accuracyAfter).toBeGreaterThan(0.5);
  });

  it('iterative pruning with the group penalty during fine-tuning stays within budget and can be stopped', () => {
    restore();
    const full = structureFlops(net, allKept(net));
    const seen: number[] = [];
    const r = iterativePrune(net, train, { budget: 0.4, steps: 4, epochsPerStep: 1, lambda: 1e-3, onProgress: (p) => { seen.push(p.step); expect(p.flops).toBeLessThanOrEqual(p.target * full); return p.step < 2; } });
    expect(seen).toEqual([1, 2]);
    expect(r.status).toBe('stopped by callback');
    // Stopped after round 2 of 4: within that round's target 0.4^(1/2), not yet the budget.
    expect(r.flops).toBeLessThanOrEqual(0.4 ** 0.5 * full);
    expect(r.flops).toBe(structureFlops(net, r.kept));
  });

  it("'auto' keeps the candidate with the best validation score, and with no screening epochs scores the cut structures as they are", () => {
    restore();
    const r = pruneToFlops(net, train, { budget: 0.4, candidates: [{ method: 'norm' }, { method: 'cost', exponent: 1 }], selectEpochs: 0, fineTuneEpochs: 0 });
    expect(r.selection.map((c) => c.candidate)).toEqual(['norm', 'cost(1)']);
    const best = r.selection[0].validationAccuracy >= r.selection[1].validationAccuracy ? r.selection[0] : r.selection[1];
    expect(r.picked).toBe(best.candidate);
    expect(r.structure).toEqual(best.structure);
    expect(r.flops).toBeLessThanOrEqual(0.4 * r.flopsFull);
    // Each candidate's structure is what its own method keeps.
    for (const [c, method] of [[0, { method: 'norm' as const }], [1, { method: 'cost' as const, exponent: 1 }]] as const) {
      restore();
      expect(pruneToFlops(net, train, { budget: 0.4, ...method, fineTuneEpochs: 0 }).structure).toEqual(r.selection[c].structure);
    }
  });

  it("norm ranking per stage ('layer') takes each unit's norm over its stage's mean, and is one of 'auto''s default candidates", () => {
    restore();
    params.pull();
    const theta = params.theta;
    // A naive oracle: each unit's incoming + outgoing weights summed here, then over its stage's mean.
    const rows: { s: number; u: number; v: number }[] = [];
    for (let s = 0; s < net.stages.length - 1; s++) {
      const norms = Array.from({ length: net.stages[s].units }, (_, u) => Math.hypot(...[...incomingIndices(net, s, u), ...outgoingIndices(net, s, u)].map((i) => theta[i])));
      const mean = norms.reduce((a, b) => a + b, 0) / norms.length;
      norms.forEach((v, u) => rows.push({ s, u, v: v / mean }));
    }
    const want = rows.sort((a, b) => a.v - b.v).map((r) => [r.s, r.u]);
    expect(normOrder(net, theta, 'layer')).toEqual(want);
    // Raw norms differ in scale from stage to stage, so the global order is another one.
    expect(normOrder(net, theta, 'global')).not.toEqual(want);
    const r = pruneToFlops(net, train, { budget: 0.3, method: 'norm', normScope: 'layer', fineTuneEpochs: 0 });
    expect(r.flops).toBeLessThanOrEqual(0.3 * r.flopsFull);
    expect(r.picked).toBe('norm(layer)');
    restore();
    const auto = pruneToFlops(net, train, { budget: 0.3, selectEpochs: 0, fineTuneEpochs: 0 });
    expect(auto.selection.map((c) => c.candidate)).toEqual(['cost(0)', 'cost(0.5)', 'cost(1)', 'norm', 'norm(layer)']);
    expect(() => pruneToFlops(net, train, { budget: 0.5, method: 'norm', normScope: 'stage' as never })).toThrow(/^pruneToFlops: the norm scope must be 'global' or 'layer', got stage$/);
    expect(() => normOrder(net, theta, 'x' as never)).toThrow(/^normOrder: the norm scope/);
  });

  it('refuses a budget below the smallest network and a budget outside (0, 1]', () => {
    expect(() => pruneToFlops(net, train, { budget: 1e-4 })).toThrow(/pruneToFlops: budget .* below the smallest network/);
    expect(() => pruneToFlops(net, train, { budget: 1.5 })).toThrow(ValueError);
    expect(() => pruneToFlops(net, train, { budget: 0.5, validation: 0.6 })).toThrow(/pruneToFlops: validation must be a fraction in \(0, 0.5\]/);
    expect(() => pruneToFlops(net, train, { budget: 0.5, validation: { x: new Float32Array(3), y: new Int32Array(2) } })).toThrow(/pruneToFlops: validation: x has 3 values/);
    expect(() => pruneToFlops(net, train, { budget: 0.5, candidates: [] })).toThrow(/pruneToFlops: candidates must be a non-empty array/);
    expect(() => pruneToFlops(net, train, { budget: 0.5, method: 'cost', exponent: -1 })).toThrow(/pruneToFlops: the cost exponent/);
  });
});

describe('unit slices of a conv net (LeNet-shaped)', () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), biasInitializer: 'ones' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }), biasInitializer: 'ones' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }),
    ],
  });
  const net = netStructure(model);
  const x = Float32Array.from({ length: 3 * 12 * 12 * 2 }, (_, i) => Math.sin(i));
  const data: ImageSet = { x, y: new Int32Array(3), n: 3, shape: [12, 12, 2], classes: 5 };
  const predict = (): number[] => {
    const input = tf.tensor(data.x, [3, 12, 12, 2]);
    const out = model.predict(input) as tf.Tensor;
    const v = Array.from(out.dataSync());
    tf.dispose([input, out]);
    return v;
  };

  it('FLOPs match a hand count (conv 12×12×2 → 10×10×4, pool, conv → 3×3×3, dense 27 → 5)', () => {
    expect(structureFlops(net, allKept(net))).toBe(2 * 100 * 9 * 2 * 4 + 100 * 4 + 2 * 9 * 9 * 4 * 3 + 9 * 3 + 2 * 27 * 5 + 5);
  });

  it('zeroing a unit\'s outgoing slice cuts every path from that unit to the output', () => {
    const params = new FlatParams(net);
    const base = Float64Array.from(params.theta);
    for (const [s, u] of [[1, 2], [2, 1], [0, 1]] as const) {
      params.theta.set(base);
      for (const i of outgoingIndices(net, s, u)) params.theta[i] = 0;
      params.push();
      const before = predict();
      if (s > 0) {
        for (const i of incomingIndices(net, s, u)) params.theta[i] += 0.7; // change the unit itself
      } else {
        for (let i = u; i < data.x.length; i += 2) data.x[i] += 1; // change input channel u
      }
      params.push();
      const after = predict();
      for (let k = 0; k < before.length; k++) expect(after[k]).toBeCloseTo(before[k], 5);
      // …while changing a kept unit does change the output (the check can fail).
      params.theta.set(base);
      for (const i of outgoingIndices(net, s, u)) params.theta[i] = 0;
      for (const i of incomingIndices(net, 1, (u + 1) % 4)) params.theta[i] += 0.7;
      params.push();
      expect(Math.max(...predict().map((v, k) => Math.abs(v - before[k])))).toBeGreaterThan(1e-3);
      if (s === 0) for (let i = u; i < data.x.length; i += 2) data.x[i] -= 1;
    }
  });
});

describe('compaction of a pruned chain', () => {
  it('the compacted tfjs model computes what the masked one computes (conv, pool, flatten, BN, dense; an input channel removed)', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [10, 10, 3], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }), biasInitializer: 'ones' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 8, kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }), biasInitializer: 'ones' }),
        tfl.layers.batchNormalization({ movingMeanInitializer: tfl.initializers.constant({ value: 0.3 }), movingVarianceInitializer: tfl.initializers.constant({ value: 2 }) }),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }) }),
      ],
    });
    const net = netStructure(model);
    const kept = allKept(net);
    kept[0][1] = 0;
    kept[1][0] = kept[1][4] = 0;
    kept[2][2] = kept[2][3] = kept[2][7] = 0;
    const params = new FlatParams(net);
    const { frozenMask } = { frozenMask: (k: typeof kept) => { const m = new Uint8Array(net.size); for (let s = 0; s < k.length - 1; s++) for (let u = 0; u < k[s].length; u++) if (!k[s][u]) for (const i of outgoingIndices(net, s, u)) m[i] = 1; return m; } };
    const mask = frozenMask(kept);
    for (let i = 0; i < mask.length; i++) if (mask[i]) params.theta[i] = 0;
    params.push();
    const n = 5;
    const x = Float32Array.from({ length: n * 300 }, (_, i) => Math.cos(0.37 * i));
    const a = model.predict(tf.tensor(x, [n, 10, 10, 3])) as tf.Tensor;
    const { model: small, inputIndex } = compactModel(net, kept);
    expect(Array.from(inputIndex!)).toEqual([0, 2]);
    const b = small.predict(tf.tensor(gatherInputs(x, 300, 3, inputIndex!), [n, 10, 10, 2])) as tf.Tensor;
    const av = a.dataSync(), bv = b.dataSync();
    expect(bv.length).toBe(av.length);
    const scale = Math.max(...Array.from(av, Math.abs));
    for (let i = 0; i < av.length; i++) expect(Math.abs(av[i] - bv[i])).toBeLessThan(1e-5 * scale);
    expect(structureParameters(netStructure(small), allKept(netStructure(small)))).toBe(structureParameters(net, kept));
  });
});
