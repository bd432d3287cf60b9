/**
 * Tightness of the consensus ADMM certificate, against a reference optimum from a method of its own
 * (damped Newton on the smooth restricted problem, test/overlap-helpers.ts). The certified gap must
 * bound the true suboptimality from above (weak duality, checked against the reference) and follow
 * it: before dual extrapolation it was 10⁴–10⁷ times looser, so tight tolerances cost far more
 * iterations than the solution needed.
 */
import { describe, expect, it } from 'vitest';
import { fitOverlappingGroupLasso } from '../src/index.ts';
import { makeData, plainObjective, restrictedNewtonPlain, type Data } from './overlap-helpers.ts';

interface Case { name: string; d: Data; groups: number[][]; lambda: number }
const cases: Case[] = [
  { name: 'chain of 5 groups, n = 50, p = 8', d: makeData(11, 50, [1, -1, 1, 0, 0, 0.7, 0, 0]), groups: [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0], [1, 5]], lambda: 0.1 },
  {
    name: 'p > n (12 × 20), 6 overlapping groups', d: makeData(12, 12, [1, -1, 1, 0, 0, 0.7, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0]),
    groups: [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9, 10], [10, 11, 12, 13, 14, 0], [14, 15, 16, 17, 18, 19], [19, 2, 9]], lambda: 0.05,
  },
  {
    name: 'ring of 6 groups of 4, n = 200', d: makeData(13, 200, [1, -1, 1, 0, 0, 0.7, 0, 0, 0.2, 0, 0.1, 0]),
    groups: [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9], [8, 9, 10, 11], [10, 11, 0, 1]], lambda: 0.02,
  },
  {
    name: 'groups at zero (λ large), n = 60', d: makeData(14, 60, [1, -1, 0, 0, 0, 0, 0, 0.3]),
    groups: [[0, 1], [1, 2, 3], [3, 4, 5], [5, 6, 7], [7, 0]], lambda: 0.15,
  },
];

function reference(c: Case): number {
  const rough = fitOverlappingGroupLasso(c.d.X, c.d.y, { groups: c.groups, lambda: c.lambda, mode: 'consensus', tol: 1e-6 });
  const zero = c.groups.map((_, g) => g).filter((g) => rough.groupNorms[g] === 0);
  return restrictedNewtonPlain(c.d, c.groups, c.lambda, zero, rough.coef).objective;
}

describe('consensus ADMM: the certified gap tracks the true suboptimality', () => {
  for (const c of cases) {
    it(`${c.name}: gap ≥ suboptimality, and within 10³ of it (10 where ADMM converges slowly)`, () => {
      const ref = reference(c);
      for (const tol of [1e-4, 1e-6, 1e-8]) {
        const f = fitOverlappingGroupLasso(c.d.X, c.d.y, { groups: c.groups, lambda: c.lambda, mode: 'consensus', tol });
        expect(f.converged).toBe(true);
        const P = plainObjective(c.d, f.coef, f.intercept, c.groups, c.lambda);
        expect(Math.abs(P - f.objective)).toBeLessThan(1e-13 * P);
        // The reference is a restricted optimum (≥ the true one): P − ref ≤ the suboptimality.
        const sub = P - ref;
        expect(f.dualObjective).toBeLessThanOrEqual(ref + 1e-15 * ref);
        expect(f.dualityGap).toBeGreaterThanOrEqual(sub - 1e-15 * ref);
        const ratio = f.dualityGap / Math.max(sub, 1e-15 * ref);
        expect(ratio).toBeLessThan(c.name.startsWith('p > n') ? 10 : 1e3);
      }
    });
  }
});

describe('fitOverlappingGroupLasso: progress, stopping, time budget', () => {
  const c = cases[1];
  const base = { groups: c.groups, lambda: c.lambda };
  it('consensus: the callback sees each iteration and stops the run by returning false', () => {
    const seen: number[] = [];
    const f = fitOverlappingGroupLasso(c.d.X, c.d.y, {
      ...base, mode: 'consensus', tol: 1e-12,
      callback: (info) => {
        seen.push(info.iteration);
        return info.iteration < 7;
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(f.converged).toBe(false);
    expect(f.status).toBe('stopped by callback');
    expect(f.iterations).toBe(7);
    // Honest certificate of the point returned.
    expect(f.dualityGap).toBeGreaterThan(0);
    expect(Math.abs(plainObjective(c.d, f.coef, f.intercept, c.groups, c.lambda) - f.objective)).toBeLessThan(1e-12);
  });
  it('latent: the callback reaches the core solver', () => {
    let calls = 0;
    const f = fitOverlappingGroupLasso(c.d.X, c.d.y, { ...base, tol: 1e-12, callback: () => ++calls < 3 });
    expect(calls).toBe(3);
    expect(f.status).toBe('stopped by callback');
  });
  it('maxTime ends both modes with time limit reached (an unreachable tolerance otherwise runs on)', () => {
    for (const mode of ['latent', 'consensus'] as const) {
      const t0 = performance.now();
      // A callback that burns time, so the budget is what ends the run.
      const f = fitOverlappingGroupLasso(c.d.X, c.d.y, {
        ...base, mode, tol: 1e-15, maxIter: 1e7, maxTime: 0.05,
        callback: () => {
          const until = performance.now() + 30;
          while (performance.now() < until);
        },
      });
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(f.status).toBe('time limit reached');
      expect(f.converged).toBe(false);
    }
  });
  it('bad callback and maxTime are refused by name', () => {
    expect(() => fitOverlappingGroupLasso(c.d.X, c.d.y, { ...base, mode: 'consensus', callback: 'x' as never })).toThrow(/fitOverlappingGroupLasso: callback must be a function/);
    expect(() => fitOverlappingGroupLasso(c.d.X, c.d.y, { ...base, mode: 'consensus', maxTime: -1 })).toThrow(/fitOverlappingGroupLasso: maxTime/);
    expect(() => fitOverlappingGroupLasso(c.d.X, c.d.y, { ...base, maxTime: NaN })).toThrow(/fitOverlappingGroupLasso: maxTime/);
  });
});
