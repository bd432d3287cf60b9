import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import { FlatParams, initBackend, netStructure, pruneToFlops, structureFlops, trainProximal, type ImageSet, type NetStructure } from '../src/neural/train/index.ts';

// A network none of the other tests use (three hidden layers, odd widths), its own split and seeds:
// the properties below are what a user relies on for any chain network and budget.
await initBackend();
const split = trainTestSplit(loadDigits(), 0.25, 7);
const asSet = (s: { x: Float64Array; y: Int32Array; n: number }): ImageSet => ({ x: Float32Array.from(s.x), y: s.y, n: s.n, shape: [64], classes: 10 });
const train = asSet(split.train);
const test = asSet(split.test);

function net(): NetStructure {
  const init = (s: number) => tfl.initializers.heNormal({ seed: s });
  return netStructure(tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 45, activation: 'relu', kernelInitializer: init(11) }),
      tfl.layers.dense({ units: 37, activation: 'relu', kernelInitializer: init(12) }),
      tfl.layers.dense({ units: 21, activation: 'relu', kernelInitializer: init(13) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(14) }),
    ],
  }));
}

describe('proximal training on an unseen network reports an objective that falls to a stationary point', () => {
  it('with the cosine schedule the objective decreases at every evaluation and the KKT residual falls tenfold', () => {
    const m = net();
    const lambda = 2e-3;
    const r = trainProximal(m, train, { lambda, lr: 0.05, momentum: 0.9, batchSize: 32, epochs: 12, evalEvery: 3, seed: 5, schedule: 'cosine' });
    const hist = r.history;
    expect(hist.length).toBe(4);
    for (let k = 1; k < hist.length; k++) expect(hist[k].objective).toBeLessThan(hist[k - 1].objective);
    expect(r.objective).toBeLessThan(Math.log(10)); // better than the all-zero network
    expect(r.kkt).toBeLessThan(hist[0].kkt / 8);
    // Some groups vanished exactly: the penalty acts as a structure selector, not a weight decay.
    expect(r.activeGroups).toBeLessThan(64 + 45 + 37 + 21);
  });
});

describe('budgets on an unseen network: never exceeded, and at least as accurate as group-norm ranking with the same fine-tuning', () => {
  const m = net();
  trainProximal(m, train, { lambda: 0, lr: 0.05, momentum: 0.9, batchSize: 32, epochs: 10, seed: 3 });
  const params = new FlatParams(m);
  const dense = Float64Array.from(params.theta);
  const run = (method: 'cost' | 'path' | 'norm', budget: number) => {
    params.theta.set(dense);
    params.push();
    return pruneToFlops(m, train, { budget, method, test, fineTuneEpochs: 4, lr: 0.05, batchSize: 32, seed: 9 });
  };
  for (const budget of [0.25, 0.5]) {
    it(`at ${budget * 100} % FLOPs the default (candidates screened on a validation split) is within budget and no less accurate than group-norm ranking, same fine-tuning and seed`, () => {
      const norm = run('norm', budget);
      params.theta.set(dense);
      params.push();
      const r = pruneToFlops(m, train, { budget, test, fineTuneEpochs: 4, lr: 0.05, batchSize: 32, seed: 9 });
      expect(r.method).toBe('auto');
      // The structure kept is the candidate with the best validation score (accuracy, then loss).
      const best = [...r.selection].sort((a, b) => b.validationAccuracy - a.validationAccuracy || a.validationLoss - b.validationLoss)[0];
      expect(r.selection.map((c) => c.candidate)).toEqual(['cost(0)', 'cost(0.5)', 'cost(1)', 'norm', 'norm(layer)']);
      expect(r.picked).toBe(best.candidate);
      expect(r.structure).toEqual(best.structure);
      for (const x of [r, norm]) {
        expect(x.flops).toBeLessThanOrEqual(budget * x.flopsFull);
        expect(structureFlops(m, x.kept)).toBe(x.flops);
      }
      // The pruned structure is the one that computes: removed units' outgoing weights stayed 0.
      params.pull();
      for (let s = 0; s < r.kept.length - 1; s++) for (let u = 0; u < r.kept[s].length; u++) {
        if (r.kept[s][u]) continue;
        const next = m.stages[s + 1];
        for (let o = 0; o < next.units; o++) expect(params.theta[next.kernel + u * next.units + o]).toBe(0);
      }
      expect(r.accuracyAfter).toBeGreaterThanOrEqual(norm.accuracyAfter);
    });
  }
});
