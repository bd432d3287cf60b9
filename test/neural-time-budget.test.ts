/**
 * Time budgets of the neural training entries: `maxTime` ends training, pruning to a FLOP budget and
 * iterative pruning at their next step once spent, with an honest status, and the pruned structure
 * still fits its budget. The loops are synchronous, so an AbortSignal.timeout would never fire in them.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/index.ts';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import { allKept, initBackend, iterativePrune, netStructure, pruneToFlops, structureFlops, trainProximal, type ImageSet, type NetStructure } from '../src/neural/train/index.ts';

await initBackend();

const split = trainTestSplit(loadDigits(), 0.3, 1);
const train: ImageSet = { x: Float32Array.from(split.train.x), y: split.train.y, n: split.train.n, shape: [64], classes: 10 };

function mlp(): NetStructure {
  return netStructure(tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  }));
}

describe('maxTime on the neural training entries', () => {
  it('trainProximal stops at the first step past its budget and says so; without one the same run finishes', () => {
    const t0 = performance.now();
    // 1000 epochs of ~20 steps: tens of seconds; the budget is 0.3 s.
    const r = trainProximal(mlp(), train, { lambda: 1e-3, epochs: 1000, batchSize: 64, maxTime: 0.3, polish: 50 });
    const secs = (performance.now() - t0) / 1000;
    expect(r.status).toBe('time limit reached');
    expect(r.polish.status).toBe('none');
    // The objective reported is that of the weights returned (full batch), and finite.
    expect(Number.isFinite(r.objective)).toBe(true);
    expect(r.epoch).toBeLessThan(1000);
    // Far below the full run (which would take over 30 s here); one step and the final evaluation past the budget.
    expect(secs).toBeLessThan(15);
    expect(trainProximal(mlp(), train, { lambda: 1e-3, epochs: 1, maxTime: 600 }).status).toBe('finished');
    expect(() => trainProximal(mlp(), train, { lambda: 0, maxTime: -1 })).toThrow(/^trainProximal: maxTime must be a number of seconds > 0, got -1$/);
    expect(() => trainProximal(mlp(), train, { lambda: 0, maxTime: 'x' as never })).toThrow(ValueError);
  });

  it('pruneToFlops ends with the status and a structure within the FLOP budget; iterativePrune with the rounds done', () => {
    const net = mlp();
    const full = structureFlops(net, allKept(net));
    const p = pruneToFlops(net, train, { budget: 0.5, method: 'path', maxTime: 0.2, fineTuneEpochs: 200 });
    expect(p.status).toBe('time limit reached');
    expect(p.flops).toBeLessThanOrEqual(0.5 * full);
    const it2 = iterativePrune(mlp(), train, { budget: 0.5, steps: 50, epochsPerStep: 20, maxTime: 0.2 });
    expect(it2.status).toBe('time limit reached');
    expect(it2.flops).toBeLessThanOrEqual(full);
    expect(() => pruneToFlops(mlp(), train, { budget: 0.5, maxTime: 0 })).toThrow(/^pruneToFlops: maxTime must be a number of seconds > 0, got 0$/);
    expect(() => iterativePrune(mlp(), train, { budget: 0.5, maxTime: NaN })).toThrow(/^iterativePrune: maxTime must be/);
  });
});
