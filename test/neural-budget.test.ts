import { describe, expect, it } from 'vitest';
import { OptionError, ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';

describe('pruneToBudget', () => {
  const digits = neural.loadDigits();
  const { train } = neural.trainTestSplit(digits, 0.3, 5);
  const data = { x: train.x.subarray(0, 500 * 64), y: train.y.subarray(0, 500) };
  const net = neural.initializeSequential(neural.sequential([64], [
    { kind: 'dense', inFeatures: 64, outFeatures: 24, bias: true }, { kind: 'relu' },
    { kind: 'dense', inFeatures: 24, outFeatures: 12, bias: true }, { kind: 'relu' },
    { kind: 'dense', inFeatures: 12, outFeatures: 10, bias: true },
  ]), 8);
  neural.trainSequential(net, data.x, data.y, { epochs: 6, lr: 0.01 });
  const total = neural.sequentialFlops(net);

  it('never exceeds the budget; FLOPs of the compacted net match the kept counts', () => {
    for (const frac of [0.6, 0.25]) {
      const B = frac * total;
      const r = neural.pruneToBudget(net, data, { budgetFlops: B, epochs: 2, finetuneEpochs: 1, bisections: 5 });
      expect(r.flops).toBeLessThanOrEqual(B);
      expect(neural.sequentialFlops(r.compact)).toBe(r.flops);
      // Independent count: 2·in·out + out per dense layer with the kept sizes.
      const [h1, h2] = r.kept.map((k) => k.length);
      expect(r.flops).toBe(2 * 64 * h1 + h1 + h1 + 2 * h1 * h2 + h2 + h2 + 2 * h2 * 10 + 10);
      expect(r.structure.map((s) => s.kept)).toEqual([h1, h2]);
      expect(r.totalFlops).toBe(total);
      expect(r.price).toBeGreaterThan(0);
      expect(r.history.length).toBeGreaterThan(1);
      // Every infeasible price in the history is below the returned feasible one (bisection side).
      if (r.method === 'bisection') {
        for (const h of r.history) if (h.feasible && h.lambda < r.price) expect(h.flops).toBeLessThanOrEqual(B);
      }
      // The masked net and the compacted net agree.
      const x = data.x.subarray(0, 20 * 64);
      const a = neural.forward(r.masked, x);
      const b = neural.forward(r.compact, x);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-12);
      expect(r.accuracy).toBeGreaterThan(0.3);
    }
  });

  it('a budget at the smallest usable structure keeps one unit per layer (greedy repair if the price path empties a layer)', () => {
    const floor = neural.minimalFlops(net);
    const r = neural.pruneToBudget(net, data, { budgetFlops: floor, epochs: 1, finetuneEpochs: 1, bisections: 3 });
    expect(r.flops).toBeLessThanOrEqual(floor);
    expect(r.kept.map((k) => k.length)).toEqual([1, 1]);
    expect(neural.sequentialFlops(r.compact)).toBe(r.flops);
  });

  it('the whole budget keeps everything at price 0', () => {
    const r = neural.pruneToBudget(net, data, { budgetFlops: total, finetuneEpochs: 0 });
    expect(r.price).toBe(0);
    expect(r.flops).toBe(total);
    expect(r.method).toBe('none');
  });

  it('refuses budgets ≤ 0, non-finite, above the total or below the smallest structure', () => {
    expect(() => neural.pruneToBudget(net, data, { budgetFlops: 0 })).toThrow(ValueError);
    expect(() => neural.pruneToBudget(net, data, { budgetFlops: -5 })).toThrow(/must be > 0/);
    expect(() => neural.pruneToBudget(net, data, { budgetFlops: NaN })).toThrow(ValueError);
    expect(() => neural.pruneToBudget(net, data, { budgetFlops: total + 1 })).toThrow(/exceeds the model's total cost/);
    const floor = neural.minimalFlops(net);
    expect(floor).toBe(2 * 64 + 1 + 1 + 2 + 1 + 1 + 20 + 10);
    expect(() => neural.pruneToBudget(net, data, { budgetFlops: floor - 1 })).toThrow(/below the smallest usable structure/);
    expect(() => neural.pruneToBudget(net, data, { budget: 100 } as never)).toThrow(OptionError);
  });
});
