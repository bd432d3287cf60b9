import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import { FlatParams, initBackend, netStructure, outgoingIndices, pruneToFlops, structureFlops, trainProximal, type ImageSet, type NetStructure } from '../src/neural/train/index.ts';

// Held out: these two networks, this split, these seeds and budgets were used in no tuning of the
// budget methods (the candidate exponents, the validation split, the fine-tuning schedule were
// chosen on other MLPs of digits and MNIST and a conv net on MNIST). Written before first run.
//
// Tolerance: with the same structure and fine-tuning, changing only the fine-tuning seed moves the
// test accuracy of group-norm ranking by up to 1.1 points (45-37-21 digits MLP at 50 % FLOPs, seeds
// 9–11: 95.1–96.2 %), and where the default lost to it on the tuning networks it lost by at most
// 0.4 points (2 of 540 test digits). A loss beyond 1 point would be a real one.
const TOLERANCE = 0.01;

await initBackend();
const split = trainTestSplit(loadDigits(), 0.3, 13);
const asSet = (s: { x: Float64Array; y: Int32Array; n: number }, shape: number[]): ImageSet => ({ x: Float32Array.from(s.x), y: s.y, n: s.n, shape, classes: 10 });

const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
const nets: Array<{ name: string; shape: number[]; build: () => NetStructure }> = [
  {
    name: 'MLP 64-56-28-28-14-10',
    shape: [64],
    build: () => netStructure(tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [64], units: 56, activation: 'relu', kernelInitializer: init(31) }),
        tfl.layers.dense({ units: 28, activation: 'relu', kernelInitializer: init(32) }),
        tfl.layers.dense({ units: 28, activation: 'relu', kernelInitializer: init(33) }),
        tfl.layers.dense({ units: 14, activation: 'relu', kernelInitializer: init(34) }),
        tfl.layers.dense({ units: 10, kernelInitializer: init(35) }),
      ],
    })),
  },
  {
    name: 'conv 8×8×1 → conv3×3·10 → conv3×3·14 → dense 10',
    shape: [8, 8, 1],
    build: () => netStructure(tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 10, kernelSize: 3, activation: 'relu', kernelInitializer: init(41) }),
        tfl.layers.conv2d({ filters: 14, kernelSize: 3, activation: 'relu', kernelInitializer: init(42) }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10, kernelInitializer: init(43) }),
      ],
    })),
  },
];

for (const spec of nets) {
  describe(`held-out budgets on ${spec.name}`, () => {
    const train = asSet(split.train, spec.shape);
    const test = asSet(split.test, spec.shape);
    const m = spec.build();
    trainProximal(m, train, { lambda: 0, lr: 0.05, momentum: 0.9, batchSize: 32, epochs: 12, seed: 17 });
    const params = new FlatParams(m);
    const dense = Float64Array.from(params.theta);
    for (const budget of [0.25, 0.5]) {
      it(`at ${budget * 100} % FLOPs: within budget, removed weights stay 0, and at least group-norm ranking's accuracy (same fine-tuning) less ${TOLERANCE * 100} point`, () => {
        const settings = { budget, test, fineTuneEpochs: 3, lr: 0.05, batchSize: 32, seed: 23 };
        params.theta.set(dense);
        params.push();
        const norm = pruneToFlops(m, train, { ...settings, method: 'norm' });
        params.theta.set(dense);
        params.push();
        const r = pruneToFlops(m, train, settings);
        expect(r.method).toBe('auto');
        for (const x of [r, norm]) {
          expect(x.flops).toBeLessThanOrEqual(budget * x.flopsFull);
          expect(structureFlops(m, x.kept)).toBe(x.flops);
        }
        params.pull();
        // The pruned structure is the one that computes: every weight reading a removed unit is 0.
        for (let s = 0; s < r.kept.length - 1; s++) for (let u = 0; u < r.kept[s].length; u++) {
          if (!r.kept[s][u]) for (const i of outgoingIndices(m, s, u)) expect(params.theta[i]).toBe(0);
        }
        console.log(`${spec.name} ${budget}: default picked ${r.picked} ${r.structure.join('-')} ${(100 * r.accuracyAfter).toFixed(2)} % vs norm ${norm.structure.join('-')} ${(100 * norm.accuracyAfter).toFixed(2)} %`);
        expect(r.accuracyAfter).toBeGreaterThanOrEqual(norm.accuracyAfter - TOLERANCE);
      });
    }
  });
}
