/**
 * Budget pruning on networks of several shapes: the default `pruneToFlops` ('auto': candidates
 * screened on a validation split carved from the training data) against group-norm ranking with
 * the same fine-tuning (3 cosine epochs, same seed), raw (global) and per stage (each norm over its
 * stage's mean), at 25 / 50 / 75 % of the FLOPs; test accuracy
 * on each set's own held-out test part, the candidate picked, and every structure within budget.
 *
 *   npm run bench neural-budgets                                  # digits MLPs (2 seeds) + an MNIST MLP
 *   BUDGET_NETS=conv npm run bench neural-budgets                 # the MNIST conv net (minutes)
 *   BUDGET_NETS=d128,d96_48 BUDGET_SEEDS=1,2,3 npm run bench neural-budgets
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import { FlatParams, initBackend, loadMnist, netStructure, pruneToFlops, subsetImages, trainProximal, type ImageSet } from '../src/neural/train/index.ts';

type Net = { name: string; data: () => { train: ImageSet; test: ImageSet }; build: (seed: number) => tfl.LayersModel; epochs: number };

const asSet = (s: { x: Float64Array; y: Int32Array; n: number }): ImageSet => ({ x: Float32Array.from(s.x), y: s.y, n: s.n, shape: [64], classes: 10 });
const mlp = (inputs: number, widths: number[], seed: number) => tfl.sequential({
  layers: [
    ...widths.map((w, i) => tfl.layers.dense({ ...(i === 0 ? { inputShape: [inputs] } : {}), units: w, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: seed * 100 + i }) })),
    tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 100 + 99 }) }),
  ],
});
const digits = (split: number) => () => {
  const d = trainTestSplit(loadDigits(), 0.3, split);
  return { train: asSet(d.train), test: asSet(d.test) };
};
const NETS: Record<string, Net> = {
  d40_20: { name: 'digits 64-40-20-10', data: digits(2), build: (s) => mlp(64, [40, 20], s), epochs: 15 },
  d96_48: { name: 'digits 64-96-48-10', data: digits(3), build: (s) => mlp(64, [96, 48], s), epochs: 15 },
  d32x3: { name: 'digits 64-32-32-32-10', data: digits(4), build: (s) => mlp(64, [32, 32, 32], s), epochs: 15 },
  d128: { name: 'digits 64-128-10', data: digits(5), build: (s) => mlp(64, [128], s), epochs: 15 },
  m100_50: {
    name: 'MNIST (3 000 training images) 784-100-50-10', epochs: 5, build: (s) => mlp(784, [100, 50], s),
    data: () => { const m = loadMnist({ layout: 'flat' }); return { train: subsetImages(m.train, 3000, 1), test: m.test }; },
  },
  conv: {
    name: 'MNIST (2 500 training images) conv5×5·6 – pool – conv5×5·12 – pool – dense 32 – 10', epochs: 4,
    data: () => { const m = loadMnist(); return { train: subsetImages(m.train, 2500, 1), test: m.test }; },
    build: (s) => tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: s }) }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 12, kernelSize: 5, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: s + 1 }) }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: s + 2 }) }),
        tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: s + 3 }) }),
      ],
    }),
  },
};

export async function main(): Promise<void> {
  await initBackend();
  const which = (process.env.BUDGET_NETS ?? 'd40_20,d96_48,d32x3,d128,m100_50').split(',');
  const seeds = (process.env.BUDGET_SEEDS ?? '1,2').split(',').map(Number);
  console.log('| network | seed | budget | group-norm ranking | per-stage norm ranking | default (auto) | picked | auto − norm | auto − per-stage norm |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const diffs: number[] = [];
  const diffsLayer: number[] = [];
  for (const key of which) {
    const spec = NETS[key];
    if (!spec) throw new Error(`neural-budgets: unknown network '${key}' (${Object.keys(NETS).join(', ')})`);
    const { train, test } = spec.data();
    for (const seed of key === 'm100_50' || key === 'conv' ? seeds.slice(0, 1) : seeds) {
      const net = netStructure(spec.build(seed));
      trainProximal(net, train, { lambda: 0, epochs: spec.epochs, lr: 0.05, seed });
      const params = new FlatParams(net);
      const dense = Float64Array.from(params.theta);
      for (const budget of [0.25, 0.5, 0.75]) {
        const out = ([['norm', 'global'], ['norm', 'layer'], ['auto', undefined]] as const).map(([method, normScope]) => {
          params.theta.set(dense);
          params.push();
          const r = pruneToFlops(net, train, { budget, method, normScope, test, fineTuneEpochs: 3, lr: 0.05, seed: seed + 10 });
          if (r.flops > budget * r.flopsFull) throw new Error(`neural-budgets: ${method} exceeded the budget`);
          return r;
        });
        const d = out[2].accuracyAfter - out[0].accuracyAfter;
        const dl = out[2].accuracyAfter - out[1].accuracyAfter;
        diffs.push(d);
        diffsLayer.push(dl);
        const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
        console.log(`| ${spec.name} | ${seed} | ${budget * 100} % | ${pct(out[0].accuracyAfter)} (${out[0].structure.join('-')}) | ${pct(out[1].accuracyAfter)} (${out[1].structure.join('-')}) | ${pct(out[2].accuracyAfter)} (${out[2].structure.join('-')}) | ${out[2].picked} | ${(100 * d).toFixed(2)} | ${(100 * dl).toFixed(2)} |`);
      }
    }
  }
  for (const [name, ds] of [['norm', diffs], ['per-stage norm', diffsLayer]] as const) {
    ds.sort((a, b) => a - b);
    console.log(`\nauto − ${name} over ${ds.length} cases: worst ${(100 * ds[0]).toFixed(2)} points, median ${(100 * ds[Math.floor(ds.length / 2)]).toFixed(2)}, best ${(100 * ds[ds.length - 1]).toFixed(2)}.`);
  }
}
