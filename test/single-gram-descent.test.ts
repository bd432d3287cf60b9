import { describe, expect, it } from 'vitest';
import { DenseMatrix, fitGroupLasso, lambdaMax } from '../src/index.ts';
import { orthonormalizeGroups } from '../src/data/standardize.ts';
import { naiveCheck } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

// A single least-squares fit on a small tall design with default options runs group descent on
// the Gram matrix. Every answer is checked against what the fit itself does not compute: the
// objective recomputed from the rows, FISTA run to 1e-12, and the explicit working-set BCD.
describe('single small least-squares fits (group descent on the Gram matrix)', () => {
  const cases: { name: string; seed: number; n: number; sizes: number[]; ortho?: boolean; fitIntercept?: boolean }[] = [
    { name: 'tall', seed: 11, n: 60, sizes: [3, 2, 4, 1, 2] },
    { name: 'orthonormal groups', seed: 12, n: 90, sizes: [3, 2, 4, 1, 2, 3], ortho: true },
    { name: 'no intercept', seed: 13, n: 40, sizes: [2, 2, 3, 1] },
    { name: 'square', seed: 14, n: 12, sizes: [3, 3, 3, 3], fitIntercept: true },
  ];
  for (const c of cases) {
    it(`certified at tol and at the optimum of two other solvers (${c.name})`, () => {
      const pr = randomProblem(c.seed, c.n, c.sizes);
      let X = DenseMatrix.fromRows(pr.X);
      if (c.ortho) X = orthonormalizeGroups(X, c.sizes.flatMap((s, g) => new Array<number>(s).fill(g))).X;
      const rows = Array.from({ length: X.rows }, (_, i) => Array.from({ length: X.cols }, (_, j) => X.get(i, j)));
      const fitIntercept = c.name === 'no intercept' ? false : true;
      const weights = pr.groups.map((g) => Math.sqrt(g.length));
      const lmax = lambdaMax(X, pr.y, { groups: pr.groups, fitIntercept });
      for (const frac of [0.9, 0.3, 0.05, 0.005]) {
        const lambda = frac * lmax;
        for (const tol of [1e-6, 1e-9]) {
          const f = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda, tol, fitIntercept });
          expect(f.converged).toBe(true);
          expect(f.status).toBe('converged');
          expect(f.relativeGap).toBeLessThanOrEqual(tol);
          const chk = naiveCheck(rows, pr.y, f.coef, f.intercept, pr.groups, weights, lambda, 'squared', fitIntercept);
          expect(Math.abs(chk.objective - f.objective) / chk.objective).toBeLessThan(1e-12);
          const ref = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda, tol: 1e-12, solver: 'fista', maxIter: 500_000, fitIntercept });
          expect(ref.converged).toBe(true);
          // The certified gap bounds the suboptimality against the reference's optimum.
          expect((chk.objective - ref.objective) / ref.objective).toBeLessThanOrEqual(f.relativeGap + 1e-12);
          expect(f.activeGroups).toEqual(ref.activeGroups);
          const bcd = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda, tol: 1e-12, solver: 'bcd', fitIntercept });
          expect(bcd.converged).toBe(true);
          expect((chk.objective - bcd.objective) / bcd.objective).toBeLessThanOrEqual(f.relativeGap + 1e-12);
          // The reported dual value is a valid lower bound on both references' optimum.
          expect(f.dualObjective).toBeLessThanOrEqual(Math.min(ref.objective, bcd.objective) * (1 + 1e-12));
        }
      }
      // At and above λ_max: w = 0 exactly, converged.
      const z = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda: lmax * 1.0000001, tol: 1e-8, fitIntercept });
      expect(z.converged).toBe(true);
      expect(z.activeGroups).toEqual([]);
    });
  }

  it('reaches tolerances near the rounding floor (where the Gram-space gradient alone stalls)', () => {
    for (const seed of [31, 32, 33]) {
      const pr = randomProblem(seed, 120, [3, 3, 2, 4, 1, 3, 2]);
      const lmax = lambdaMax(pr.X, pr.y, { groups: pr.groups });
      for (const frac of [0.3, 0.05, 0.005]) {
        const f = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda: frac * lmax, tol: 1e-13, maxIter: 1_000_000 });
        expect(f.converged).toBe(true);
        expect(f.relativeGap <= 1e-13 || (f.status === 'at rounding level' && f.dualityGap <= f.roundingFloor.gap)).toBe(true);
      }
    }
  });

  it('stops at the work cap and at the time limit with converged: false and the reason', () => {
    const pr = randomProblem(21, 80, [4, 4, 4, 4, 4, 4]);
    const lambda = 0.01 * lambdaMax(pr.X, pr.y, { groups: pr.groups });
    const capped = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda, tol: 1e-12, maxIter: 1 });
    expect(capped.converged).toBe(false);
    expect(capped.status).toBe('max iterations reached');
    expect(capped.relativeGap).toBeGreaterThan(1e-12);
    const late = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda, tol: 1e-12, maxTime: 1e-9 });
    expect(late.converged).toBe(false);
    expect(late.status).toBe('time limit reached');
    // Both still report the certificate of the point they return.
    const rows = pr.X;
    const chk = naiveCheck(rows, pr.y, capped.coef, capped.intercept, pr.groups, pr.groups.map((g) => Math.sqrt(g.length)), lambda, 'squared', true);
    expect(Math.abs(chk.objective - capped.objective) / chk.objective).toBeLessThan(1e-12);
  });
});
