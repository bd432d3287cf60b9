import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { GroupSparseError, Random } from '../src/index.ts';
import { loadDigits, trainTestSplit } from '../src/neural/digits.ts';
import { accuracy, FlatParams, frozenMask, initBackend, netStructure, pruneToFlops, splitValidation, trainProximal, type ImageSet } from '../src/neural/train/index.ts';

await initBackend();

const split = trainTestSplit(loadDigits(), 0.3, 5);
const asSet = (s: { x: Float64Array; y: Int32Array; n: number }): ImageSet => ({ x: Float32Array.from(s.x), y: s.y, n: s.n, shape: [64], classes: 10 });
const train = asSet(split.train);
const test = asSet(split.test);

describe('splitValidation', () => {
  const classCounts = (y: Int32Array) => { const c = new Array(10).fill(0); for (const v of y) c[v]++; return c; };

  it('is disjoint, covers every sample once, keeps the rows with their labels, and has ⌈fraction·n⌉ validation samples', () => {
    for (const fraction of [0.1, 0.25, 0.5]) {
      const { fit, validation } = splitValidation(train.x, train.y, fraction, 3);
      expect(validation.y.length).toBe(Math.ceil(fraction * train.n));
      expect(fit.y.length + validation.y.length).toBe(train.n);
      const seen = new Uint8Array(train.n);
      for (const part of [fit, validation]) {
        part.indices.forEach((i, k) => {
          seen[i]++;
          expect(part.y[k]).toBe(train.y[i]);
          expect(Array.from(part.x.subarray(64 * k, 64 * (k + 1)))).toEqual(Array.from(train.x.subarray(64 * i, 64 * (i + 1))));
        });
      }
      expect(seen.every((v) => v === 1)).toBe(true);
    }
  });

  it('is stratified: each class gives its share to the validation part, up to one sample', () => {
    const fraction = 0.25;
    const { validation } = splitValidation(train.x, train.y, fraction, 4);
    const all = classCounts(train.y);
    const held = classCounts(validation.y);
    for (let c = 0; c < 10; c++) expect(Math.abs(held[c] - fraction * all[c])).toBeLessThan(1);
  });

  it('is reproducible by seed, and another seed draws other samples', () => {
    const a = splitValidation(train.x, train.y, 0.2, 9);
    const b = splitValidation(train.x, train.y, 0.2, 9);
    const c = splitValidation(train.x, train.y, 0.2, 10);
    expect(Array.from(a.validation.indices)).toEqual(Array.from(b.validation.indices));
    expect(Array.from(a.validation.x)).toEqual(Array.from(b.validation.x));
    expect(Array.from(a.validation.indices)).not.toEqual(Array.from(c.validation.indices));
  });

  it('keeps the array kind of x (Float64Array in, Float64Array out)', () => {
    const r = splitValidation(split.train.x, split.train.y, 0.3, 1);
    expect(r.fit.x).toBeInstanceOf(Float64Array);
    expect(r.validation.x.length).toBe(64 * r.validation.y.length);
  });

  it('refuses junk naming itself', () => {
    const bad: unknown[][] = [[], [train.x, [1, 2], 0.2], [train.x, train.y, 0.6], [train.x, train.y, 0], [train.x, train.y, NaN],
      [new Float32Array(5), new Int32Array(2), 0.5], [new Float32Array(1), new Int32Array(1), 0.5], [train.x, train.y, 0.2, 'x']];
    for (const args of bad) {
      let err: unknown;
      try { (splitValidation as (...a: unknown[]) => unknown)(...args); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(GroupSparseError);
      expect((err as GroupSparseError).message).toMatch(/^splitValidation: /);
    }
  });
});

describe("pruneToFlops 'auto' selects on training data only", () => {
  const net = netStructure(tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [64], units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  }));
  trainProximal(net, train, { lambda: 0, epochs: 6, lr: 0.05, seed: 2 });
  const params = new FlatParams(net);
  const dense = Float64Array.from(params.theta);
  const restore = () => { params.theta.set(dense); params.push(); };
  const settings = { budget: 0.35, selectEpochs: 1, fineTuneEpochs: 0, lr: 0.05, seed: 4 };

  it('a test set of garbage (noise images, shuffled labels) yields the same choice and the same scores as the real one', () => {
    const rng = new Random(8);
    const garbage: ImageSet = {
      ...test,
      x: Float32Array.from(test.x, () => 16 * rng.uniform()),
      y: rng.shuffle(Int32Array.from(test.y, (v) => (v + 3) % 10)) as Int32Array,
    };
    restore();
    const real = pruneToFlops(net, train, { ...settings, test });
    restore();
    const junk = pruneToFlops(net, train, { ...settings, test: garbage });
    restore();
    const none = pruneToFlops(net, train, settings);
    expect(real.selection.length).toBe(5);
    for (const r of [junk, none]) {
      expect(r.picked).toBe(real.picked);
      expect(r.structure).toEqual(real.structure);
      expect(r.selection).toEqual(real.selection);
    }
    // The test set is read for the report alone: the garbage one scores near chance.
    expect(junk.accuracyBefore).toBeLessThan(0.3);
    expect(real.accuracyBefore).toBeGreaterThan(0.5);
  });

  it('explicit validation samples score the candidates: with no screening epochs, each score is the cut structure\'s accuracy on them', () => {
    const { validation } = splitValidation(train.x, train.y, 0.3, 6);
    restore();
    const r = pruneToFlops(net, train, { ...settings, selectEpochs: 0, validation: { x: validation.x, y: validation.y } });
    const vset: ImageSet = { x: validation.x, y: validation.y, n: validation.y.length, shape: [64], classes: 10 };
    for (const s of r.selection) {
      // Cut the candidate's structure by hand from the dense weights and measure it.
      restore();
      const cost = s.candidate.startsWith('cost');
      const again = pruneToFlops(net, train, {
        budget: settings.budget, method: cost ? 'cost' : 'norm', exponent: cost ? Number(s.candidate.slice(5, -1)) : undefined,
        normScope: s.candidate === 'norm(layer)' ? 'layer' : undefined, fineTuneEpochs: 0,
      });
      expect(again.structure).toEqual(s.structure);
      restore();
      const frozen = frozenMask(net, again.kept);
      for (let i = 0; i < frozen.length; i++) if (frozen[i]) params.theta[i] = 0;
      params.push();
      expect(s.validationAccuracy).toBeCloseTo(accuracy(net, vset, 'softmax'), 12);
    }
  });

  it('refuses a validation fraction above one half and validation labels outside the classes', () => {
    restore();
    expect(() => pruneToFlops(net, train, { ...settings, validation: 0.75 })).toThrow(/^pruneToFlops: validation must be a fraction in \(0, 0.5\]/);
    expect(() => pruneToFlops(net, train, { ...settings, validation: { x: train.x, y: new Int32Array(train.n).fill(12) } })).toThrow(/^pruneToFlops: validation: label 12/);
  });
});
