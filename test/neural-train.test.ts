import { describe, expect, it } from 'vitest';
import { OptionError, Random, ShapeError, ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

/** Central finite differences of the loss at a sample of parameters vs the analytic gradient. */
function checkGradient(net: neural.Sequential, x: Float64Array, y: number[], picks: number, seed: number): number {
  const { grad } = neural.lossAndGradient(net, x, y);
  const rng = new Random(seed);
  let worst = 0;
  const h = 1e-5;
  for (let t = 0; t < picks; t++) {
    const j = rng.int(net.params.length);
    const old = net.params[j];
    net.params[j] = old + h;
    const lp = neural.lossAndGradient(net, x, y).loss;
    net.params[j] = old - h;
    const lm = neural.lossAndGradient(net, x, y).loss;
    net.params[j] = old;
    const fd = (lp - lm) / (2 * h);
    const err = Math.abs(fd - grad[j]) / Math.max(1e-4, Math.abs(fd) + Math.abs(grad[j]));
    worst = Math.max(worst, err);
  }
  return worst;
}

describe('gradients match finite differences', () => {
  for (const layout of ['out,in', 'in,out'] as const) {
    it(`dense + ReLU + softmax cross-entropy, layout ${layout}`, () => {
      const net = neural.initializeSequential(neural.sequential([6], [
        { kind: 'dense', inFeatures: 6, outFeatures: 5, layout, bias: true }, { kind: 'relu' },
        { kind: 'dense', inFeatures: 5, outFeatures: 4, layout, bias: true }, { kind: 'leakyRelu', alpha: 0.1 },
        { kind: 'dense', inFeatures: 4, outFeatures: 3, layout, bias: true },
      ]), 3);
      const rng = new Random(5);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.05 * rng.normal(); // non-zero biases
      const x = rng.normals(4 * 6);
      expect(checkGradient(net, x, [0, 2, 1, 2], 60, 7)).toBeLessThan(1e-6);
    });
  }
  for (const layout of ['OIHW', 'HWIO'] as const) {
    it(`conv2d (stride 1 and 2, padding) + ReLU + maxpool + flatten + dense, layout ${layout}`, () => {
      for (const order of ['chw', 'hwc'] as const) {
        const net = neural.initializeSequential(neural.sequential([2, 7, 7], [
          { kind: 'conv2d', inChannels: 2, outChannels: 3, kernelH: 3, padding: 1, layout, bias: true }, { kind: 'relu' },
          { kind: 'maxpool2d', size: 2, stride: 2, padding: 'same' },
          { kind: 'conv2d', inChannels: 3, outChannels: 4, kernelH: 2, kernelW: 3, stride: 2, padding: 1, layout, bias: true }, { kind: 'leakyRelu', alpha: 0.2 },
          { kind: 'flatten', order },
          { kind: 'dense', inFeatures: 4 * 3 * 2, outFeatures: 3, bias: true },
        ]), 11);
        const rng = new Random(13);
        for (let i = 0; i < net.params.length; i++) net.params[i] += 0.05 * rng.normal();
        const x = rng.normals(3 * 2 * 7 * 7);
        expect(checkGradient(net, x, [1, 0, 2], 80, 17)).toBeLessThan(1e-6);
      }
    });
  }
  it('refuses layers without a backward pass and bad labels', () => {
    const bn = neural.sequential([2, 3, 3], [{ kind: 'batchnorm', channels: 2 }, { kind: 'flatten' }, { kind: 'dense', inFeatures: 18, outFeatures: 2 }]);
    expect(() => neural.lossAndGradient(bn, new Float64Array(18), [0])).toThrow(OptionError);
    const d = neural.sequential([2], [{ kind: 'dense', inFeatures: 2, outFeatures: 2 }]);
    expect(() => neural.lossAndGradient(d, [1, 2], [2])).toThrow(ValueError);
    expect(() => neural.lossAndGradient(d, [1, 2, 3], [0])).toThrow(ShapeError);
    expect(() => neural.lossAndGradient(d, [1, 2], [0, 1])).toThrow(ShapeError);
  });
});

describe('proximal training on the shipped digits', () => {
  const digits = neural.loadDigits();
  it('loads 1797 images of 8×8 with labels 0–9', () => {
    expect(digits.n).toBe(1797);
    expect(digits.x.length).toBe(1797 * 64);
    expect(Math.max(...digits.y)).toBe(9);
    expect(Math.max(...digits.x)).toBe(1);
  });

  it('plain training learns; a large λ removes every hidden neuron; zero groups are exactly zero', () => {
    const { train, test } = neural.trainTestSplit(digits, 0.3, 2);
    const sub = { x: train.x.subarray(0, 600 * 64), y: train.y.subarray(0, 600) };
    const make = () => neural.initializeSequential(neural.sequential([64], [
      { kind: 'dense', inFeatures: 64, outFeatures: 16, bias: true }, { kind: 'relu' },
      { kind: 'dense', inFeatures: 16, outFeatures: 10, bias: true },
    ]), 4);
    const net = make();
    const before = neural.evaluateClassifier(net, test.x, test.y);
    const { losses } = neural.trainSequential(net, sub.x, sub.y, { epochs: 8, lr: 0.01, seed: 3 });
    const after = neural.evaluateClassifier(net, test.x, test.y);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(after.accuracy).toBeGreaterThan(0.85);
    expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.5);

    const cg = neural.coupledGroups(net);
    const moderate = neural.cloneSequential(net);
    neural.trainSequential(moderate, sub.x, sub.y, { epochs: 6, lr: 0.01, seed: 3, lambda: 1.5, groups: cg.groups });
    const kept = neural.keptUnits(moderate, cg);
    expect(kept[0].length).toBeLessThan(16);
    // A pruned unit's whole group is exactly zero, a kept one is not.
    for (let g = 0; g < cg.nUnits; g++) {
      let s = 0;
      for (let k = cg.groups.ptr[g]; k < cg.groups.ptr[g + 1]; k++) s += Math.abs(moderate.params[cg.groups.indices[k]]);
      expect(s === 0).toBe(!kept[0].includes(cg.unitOf[g].unit));
    }

    const huge = neural.cloneSequential(net);
    neural.trainSequential(huge, sub.x, sub.y, { epochs: 2, lr: 0.01, seed: 3, lambda: 1e4, groups: cg.groups });
    expect(neural.keptUnits(huge, cg)[0].length).toBe(0);
  });

  it('refuses λ > 0 without groups, mismatched groups and unknown options', () => {
    const net = neural.sequential([64], [{ kind: 'dense', inFeatures: 64, outFeatures: 10 }]);
    const x = digits.x.subarray(0, 64 * 10);
    const y = digits.y.subarray(0, 10);
    expect(() => neural.trainSequential(net, x, y, { lambda: 1 })).toThrow(ValueError);
    const other = neural.coupledGroups(neural.sequential([4], [{ kind: 'dense', inFeatures: 4, outFeatures: 3 }, { kind: 'dense', inFeatures: 3, outFeatures: 2 }]));
    expect(() => neural.trainSequential(net, x, y, { lambda: 1, groups: other.groups })).toThrow(ShapeError);
    expect(() => neural.trainSequential(net, x, y, { epoch: 3 } as never)).toThrow(OptionError);
  });
});
