/**
 * Honest ends under pressure: a tolerance below float64 rounding ends at once 'at rounding level'
 * (and the claim is checked by the independent certificate), relative KKT tolerances are
 * invariant to column scaling, maxIter bounds the work of block coordinate descent (inner epochs
 * included), maxTime is honoured by fits, paths and cross-validation.
 */
import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, groupLassoPath, lambdaMax, Random } from '../src/index.ts';
import { checkResult } from './helpers/independent.ts';
import { checkedKktScale, naiveCheck } from './helpers/naive.ts';

function problem(seed: number, n: number, p: number, offset = 0): { X: number[][]; y: number[] } {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => Array.from(rng.normals(p)));
  const y = X.map((r) => offset + r[0] - 0.5 * r[1] + 0.8 * (p > 3 ? r[3] : 0) + 0.3 * rng.normal());
  return { X, y };
}

describe('a tolerance under the rounding floor', () => {
  // A response far from 0 (offset 1e6, noise 0.3): the dual sums terms ~1e12 times the gap's size.
  const { X, y } = problem(1, 400, 6, 1e6);
  const groups = [[0, 1], [2, 3], [4, 5]];
  const lambda = 0.1 * lambdaMax(X, y, { groups });

  // A relative gap of 1e-18 is below one ulp of the objective: only exact arithmetic reaches it.
  it.each(['fista', 'bcd', 'ista'] as const)('%s ends at rounding level, quickly, and the claim checks out', (solver) => {
    const fit = fitGroupLasso(X, y, { groups, lambda, tol: 1e-18, solver, maxIter: 100_000 });
    expect(fit.converged).toBe(true);
    expect(fit.status).toBe('at rounding level');
    // The floor is what float64 can resolve here, far above tol·P.
    expect(fit.roundingFloor.gap).toBeGreaterThan(1e-18 * fit.objective);
    expect(fit.dualityGap).toBeLessThanOrEqual(fit.roundingFloor.gap);
    // "At once": not the stall window of thousands of passes.
    expect(fit.work).toBeLessThan(solver === 'ista' ? 3000 : 500);
    const plain = { X, Y: y.map((v) => [v]), loss: 'squared' as const, groups, weights: groups.map((g) => Math.sqrt(g.length)), lambda, fitIntercept: true };
    expect(checkResult(plain, fit, { tol: 1e-18, stopOn: 'gap' })).toEqual([]);
  });

  it('a reachable tolerance still says converged', () => {
    const fit = fitGroupLasso(X, y, { groups, lambda, tol: 1e-5 });
    expect(fit.status).toBe('converged');
    expect(fit.relativeGap).toBeLessThanOrEqual(1e-5);
  });
});

describe('relative KKT tolerances', () => {
  it("columns ×1e8: stopOn 'kkt' converges and the KKT violation from rows is under tol × the gradient scale", () => {
    const { X, y } = problem(2, 60, 6);
    const Xs = X.map((r) => r.map((v) => v * 1e8));
    const groups = [[0, 1], [2, 3], [4, 5]];
    const lambda = 0.2 * lambdaMax(Xs, y, { groups });
    const lambda1 = 0.2 * lambdaMax(X, y, { groups });
    for (const solver of ['fista', 'bcd'] as const) {
      const fit = fitGroupLasso(Xs, y, { groups, lambda, stopOn: 'kkt', tol: 1e-8, solver, maxIter: 20_000 });
      expect(fit.converged).toBe(true);
      expect(fit.relativeKkt).toBeLessThanOrEqual(1e-8);
      const chk = naiveCheck(Xs, y, fit.coef, fit.intercept, groups, groups.map((g) => Math.sqrt(g.length)), lambda, 'squared', true);
      expect(chk.kkt).toBeLessThanOrEqual(1e-8 * checkedKktScale(fit, Xs, y) * (1 + 1e-6));
      // The same problem in unit columns stops at the same point: the rule is scale-free.
      const unit = fitGroupLasso(X, y, { groups, lambda: lambda1, stopOn: 'kkt', tol: 1e-8, solver, maxIter: 20_000 });
      expect(unit.converged).toBe(true);
      for (let j = 0; j < 6; j++) expect(fit.coef[j] * 1e8).toBeCloseTo(unit.coef[j], 6);
    }
  });
});

describe('maxIter bounds the work, maxTime the time', () => {
  it('block coordinate descent counts its inner epochs (7 × 7 logistic, one column ×1e-6, λ = 1e-6 λ_max)', () => {
    const rng = new Random(3);
    const X = Array.from({ length: 7 }, () => Array.from(rng.normals(7), (v, j) => (j === 0 ? v * 1e-6 : v)));
    const y = [0, 1, 0, 1, 1, 0, 1];
    const groups = [[0, 1], [2, 3], [4, 5, 6]];
    const lambda = 1e-6 * lambdaMax(X, y, { groups, loss: 'logistic' });
    const t0 = performance.now();
    const fit = fitGroupLasso(X, y, { groups, loss: 'logistic', lambda, solver: 'bcd', maxIter: 300, tol: 1e-8 });
    const secs = (performance.now() - t0) / 1000;
    expect(fit.work).toBeLessThanOrEqual(301);
    if (!fit.converged) expect(fit.status).toMatch(/^(max iterations reached|stalled: )/);
    // (A bound on the work is a bound on the time: 300 passes over 7 × 7 take milliseconds; this
    // problem used to take 41–98 s.)
    expect(secs).toBeLessThan(20);
  });

  it('a fit stops at maxTime with an honest status', () => {
    const { X, y } = problem(4, 3000, 40);
    const groups = Array.from({ length: 10 }, (_, g) => [4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3]);
    const lambda = 1e-4 * lambdaMax(X, y, { groups });
    const fit = fitGroupLasso(X, y, { groups, lambda, solver: 'ista', tol: 1e-14, maxIter: 1e7, maxTime: 0.001 });
    expect(fit.converged).toBe(false);
    expect(fit.status).toBe('time limit reached');
    expect(Number.isFinite(fit.objective)).toBe(true);
  });

  it('a path shares one maxTime: the fits after it are not converged, and the path says so', () => {
    const { X, y } = problem(5, 2000, 40);
    const groups = Array.from({ length: 10 }, (_, g) => [4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3]);
    const path = groupLassoPath(X, y, { groups, nLambda: 60, lambdaMinRatio: 1e-6, tol: 1e-12, solver: 'ista', maxTime: 0.05 });
    expect(path.status).toBe('time limit reached');
    expect(path.certificates.length).toBe(60);
    expect(path.certificates.at(-1)!.converged).toBe(false);
    expect(path.certificates[0].converged).toBe(true); // λ_max: w = 0 is certified at once
  });

  it('cross-validation shares one maxTime over all folds and reports it', () => {
    const { X, y } = problem(6, 1500, 40);
    const groups = Array.from({ length: 10 }, (_, g) => [4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3]);
    const cv = cvGroupLasso(X, y, { groups, nFolds: 5, nLambda: 40, lambdaMinRatio: 1e-6, tol: 1e-12, solver: 'ista', maxTime: 0.05 });
    expect(cv.status).toBe('time limit reached');
    expect(cv.diagnostics.join(' ')).toMatch(/maxTime ran out/);
    expect(cv.notConverged).toBeGreaterThan(0);
  });
});
