/**
 * Tightness of the consensus ADMM certificate, against a reference optimum from methods of their
 * own (damped Newton on the smooth restricted problem and reweighted ridge, test/overlap-helpers.ts).
 * The certified gap must bound the true suboptimality from above (weak duality, checked against the
 * reference) and follow it: before dual extrapolation it was 10⁴–10⁷ times looser, after it 20–10³
 * on fast-converging problems, so tight tolerances cost far more iterations than the solution needed.
 */
import { describe, expect, it } from 'vitest';
import { fitOverlappingGroupLasso } from '../src/index.ts';
import {
  makeData, optimumUpperBound, plainObjective, randomOverlapProblem, restrictedNewtonPlain, type Data, type OverlapKind,
} from './overlap-helpers.ts';

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
    it(`${c.name}: gap ≥ suboptimality, and within 10× of it`, () => {
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
        // Under 1e-13·P the suboptimality is rounding and the gap is judged against that.
        const ratio = f.dualityGap / Math.max(sub, 1e-13 * ref);
        expect(ratio).toBeLessThan(10);
      }
    });
  }
});

describe('consensus ADMM on a random family: certified gap ≥ true suboptimality, and within 10× of it', () => {
  // 16 seeds × 4 kinds (well conditioned, correlated 0.95, columns scaled over 10⁴, p > n) × 3
  // tolerances. The suboptimality is P(w) − U with U an upper bound on the optimum from two
  // independent methods (so it is ≤ the true suboptimality: a ratio under 10 is conservative).
  const kinds: OverlapKind[] = ['plain', 'correlated', 'scaled', 'wide'];
  const tols = [1e-4, 1e-6, 1e-8];
  it('every certificate is valid; ≥ 97 % of them within 10× of the suboptimality, median ≤ 1.5', () => {
    const ratios: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      for (const kind of kinds) {
        const { d, groups, lambda } = randomOverlapProblem(seed, kind);
        for (const tol of tols) {
          const f = fitOverlappingGroupLasso(d.X, d.y, { groups, lambda, mode: 'consensus', tol });
          const name = `${kind} seed ${seed} tol ${tol}`;
          expect(f.converged, name).toBe(true);
          const P = plainObjective(d, f.coef, f.intercept, groups, lambda);
          expect(Math.abs(P - f.objective), name).toBeLessThan(1e-12 * P);
          const U = optimumUpperBound(d, groups, lambda, f.coef);
          // Weak duality against points the library never saw, and the gap covers what they show.
          expect(f.dualObjective, name).toBeLessThanOrEqual(U * (1 + 1e-14));
          const sub = P - U;
          expect(f.dualityGap, name).toBeGreaterThanOrEqual(sub - 1e-14 * P);
          ratios.push(f.dualityGap / Math.max(sub, 1e-13 * P));
        }
      }
    }
    ratios.sort((a, b) => a - b);
    const within = ratios.filter((r) => r <= 10).length / ratios.length;
    expect(within).toBeGreaterThanOrEqual(0.97);
    expect(ratios[Math.floor(ratios.length / 2)]).toBeLessThanOrEqual(1.5);
  });
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
