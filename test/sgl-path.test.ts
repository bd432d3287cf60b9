import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitSparseGroupLasso, GroupLasso, groupLassoPath, lambdaMax } from '../src/index.ts';
import { matTVec, matVec, norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/**
 * Naive sparse-group KKT at w = 0 for the squared loss with intercept: every group must have
 * ‖S(X_gᵀ(y − ȳ)/n, λα)‖₂ ≤ λ(1 − α)d_g; returns the largest excess over groups.
 */
function zeroExcess(X: number[][], y: number[], groups: number[][], lambda: number, alpha: number): number {
  const n = X.length;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const z = matTVec(X, y.map((v) => (v - ym) / n));
  let worst = -Infinity;
  for (const g of groups) {
    const st = norm(g.map((j) => Math.max(Math.abs(z[j]) - lambda * alpha, 0)));
    worst = Math.max(worst, st - lambda * (1 - alpha) * Math.sqrt(g.length));
  }
  return worst;
}

/** (1/(2n))‖y − Xw − b‖² + λ[α‖w‖₁ + (1 − α)Σ√p_g‖w_g‖], written here. */
function sglObjective(X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], lambda: number, alpha: number): number {
  const r = matVec(X, w).map((e, i) => y[i] - e - b);
  let pen = 0;
  for (const g of groups) pen += alpha * g.reduce((s, j) => s + Math.abs(w[j]), 0) + (1 - alpha) * Math.sqrt(g.length) * norm(g.map((j) => w[j]));
  return r.reduce((s, v) => s + v * v, 0) / (2 * X.length) + lambda * pen;
}

describe('sparse-group lasso paths', () => {
  for (const alpha of [0.05, 0.5, 0.95]) {
    it(`α = ${alpha}: λ_max is where w = 0 stops being optimal (naive KKT), and the path agrees with FISTA fits`, () => {
      const pr = randomProblem(40 + Math.round(alpha * 100), 60, [3, 1, 4, 2, 5], 'squared');
      const lmax = lambdaMax(pr.X, pr.y, { groups: pr.groups, alpha });
      expect(Math.abs(zeroExcess(pr.X, pr.y, pr.groups, lmax, alpha))).toBeLessThan(1e-10 * lmax);
      expect(zeroExcess(pr.X, pr.y, pr.groups, 0.999 * lmax, alpha)).toBeGreaterThan(0);
      const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, penalty: 'sparseGroupLasso', alpha, nLambda: 10, tol: 1e-10 });
      expect(Math.abs(path.lambdaMax - lmax)).toBeLessThan(1e-12 * lmax);
      expect(path.activeGroups[0]).toEqual([]);
      expect(path.activeGroups[path.lambdas.length - 1].length).toBeGreaterThan(1);
      for (let k = 0; k < path.lambdas.length; k++) {
        // A second solver, from zero (no warm start, no strong rule).
        const f = fitSparseGroupLasso(pr.X, pr.y, { groups: pr.groups, alpha, lambda: path.lambdas[k], solver: 'fista', tol: 1e-11, maxIter: 1_000_000 });
        const mine = sglObjective(pr.X, pr.y, path.coefs[k], path.intercept[k], pr.groups, path.lambdas[k], alpha);
        const theirs = sglObjective(pr.X, pr.y, f.coef, f.intercept, pr.groups, path.lambdas[k], alpha);
        expect(Math.abs(mine - path.certificates[k].objective)).toBeLessThan(1e-12 * Math.max(1, mine));
        expect(Math.abs(mine - theirs), `λ #${k}`).toBeLessThan(1e-8 * theirs);
        expect(path.activeGroups[k]).toEqual(f.activeGroups);
      }
    });
  }

  it('cross-validation and the estimator choose λ on a logistic sparse-group path', () => {
    const pr = randomProblem(9, 120, [3, 2, 4, 2, 3], 'logistic');
    const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, loss: 'logistic', penalty: 'sparseGroupLasso', alpha: 0.4, nLambda: 12, nFolds: 4, seed: 5 });
    expect(cv.path.penalty).toBe('sparseGroupLasso');
    expect(cv.notConverged).toBe(0);
    expect(cv.indexMin).toBeGreaterThan(0);
    const f = fitSparseGroupLasso(pr.X, pr.y, { groups: pr.groups, loss: 'logistic', alpha: 0.4, lambda: cv.lambdaMin, solver: 'fista', tol: 1e-10 });
    expect(cv.fit.activeGroups).toEqual(f.activeGroups);
    const m = new GroupLasso({ groups: pr.groups, loss: 'logistic', penalty: 'sparseGroupLasso', alpha: 0.4, standardize: false, lambdas: cv.path.lambdas, cv: { nFolds: 4, seed: 5 } }).fit(pr.X, pr.y);
    expect(m.lambda).toBe(cv.lambdaMin);
  });
});
