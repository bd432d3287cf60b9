import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, informationCriteria, groupLassoPath, makeFolds, ValueError } from '../src/index.ts';
import { Matrix, solve } from 'ml-matrix';
import { matVec } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

describe('makeFolds', () => {
  it('partitions the rows into near-equal folds, deterministically for a seed', () => {
    for (const [n, K] of [[50, 10], [23, 5], [7, 7], [100, 3]]) {
      const f = makeFolds(n, K, 42);
      const sizes = new Array(K).fill(0);
      for (const v of f) {
        expect(Number.isInteger(v) && v >= 0 && v < K).toBe(true);
        sizes[v]++;
      }
      // Every row is in exactly one fold (one label each) and sizes differ by at most one.
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(Array.from(makeFolds(n, K, 42))).toEqual(Array.from(f));
    }
    expect(Array.from(makeFolds(60, 5, 1))).not.toEqual(Array.from(makeFolds(60, 5, 2)));
  });

  it('stratified folds keep the class ratio in every fold', () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 26 ones, 77 zeros
    const K = 5;
    const f = makeFolds(labels.length, K, 7, labels);
    for (let k = 0; k < K; k++) {
      const rows = labels.filter((_, i) => f[i] === k);
      const ones = rows.filter((v) => v === 1).length;
      // 26 ones over 5 folds: 5 or 6 per fold; zeros 15 or 16.
      expect(ones === 5 || ones === 6).toBe(true);
      expect(Math.abs(rows.length - 103 / 5)).toBeLessThanOrEqual(1);
    }
    expect(() => makeFolds(4, 2, 1, [0, 1, 0.5, 0])).toThrow(/class labels 0, 1, 2, …, got 0.5/);
    expect(() => makeFolds(4, 5, 1)).toThrow(ValueError);
  });
});

describe('cvGroupLasso', () => {
  it('held-out losses match independent fits on each fold, and λ_1se ≥ λ_min', () => {
    const pr = randomProblem(3, 48, [2, 3, 1, 2], 'squared');
    const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, nFolds: 4, seed: 5, nLambda: 12, lambdaMinRatio: 0.01 });
    expect(cv.metric).toBe('mean squared error');
    expect(cv.lambdas.length).toBe(12);
    // The grid comes from the full data.
    expect(cv.lambdas[0]).toBe(groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 12, lambdaMinRatio: 0.01 }).lambdaMax);
    expect(Array.from(cv.foldIds)).toEqual(Array.from(makeFolds(48, 4, 5)));
    for (const f of [0, 3]) {
      const train = pr.X.map((_, i) => i).filter((i) => cv.foldIds[i] !== f);
      const test = pr.X.map((_, i) => i).filter((i) => cv.foldIds[i] === f);
      for (const k of [2, 7, 11]) {
        const fit = fitGroupLasso(train.map((i) => pr.X[i]), train.map((i) => pr.y[i]), { groups: pr.groups, lambda: cv.lambdas[k], tol: 1e-12 });
        const pred = matVec(test.map((i) => pr.X[i]), fit.coef).map((e) => e + fit.intercept);
        const mse = test.reduce((s, i, q) => s + (pr.y[i] - pred[q]) ** 2, 0) / test.length;
        expect(Math.abs(cv.foldLoss[f][k] - mse) / mse).toBeLessThan(1e-6);
      }
    }
    // meanLoss is the row-weighted mean of the fold means; λ_min minimizes it; λ_1se ≥ λ_min.
    for (let k = 0; k < 12; k++) {
      let s = 0;
      for (let f = 0; f < 4; f++) s += cv.foldLoss[f][k] * cv.foldIds.filter((v) => v === f).length;
      expect(cv.meanLoss[k]).toBeCloseTo(s / 48, 12);
      expect(cv.meanLoss[k]).toBeGreaterThanOrEqual(cv.meanLoss[cv.indexMin]);
      expect(cv.seLoss[k]).toBeGreaterThan(0);
    }
    expect(cv.lambda1se).toBeGreaterThanOrEqual(cv.lambdaMin);
    expect(cv.meanLoss[cv.index1se]).toBeLessThanOrEqual(cv.meanLoss[cv.indexMin] + cv.seLoss[cv.indexMin]);
    for (let k = 0; k < cv.index1se; k++) expect(cv.meanLoss[k]).toBeGreaterThan(cv.meanLoss[cv.indexMin] + cv.seLoss[cv.indexMin]);
    // The refit on all data at λ_min is the full path's entry.
    expect(cv.fit.lambda).toBe(cv.lambdaMin);
    expect(cv.fit.coef).toBe(cv.path.coefs[cv.indexMin]);
    expect(cv.fit.certificate.converged).toBe(true);
  });

  it('uses deviance for logistic, stratifies by default, and accepts fold labels', () => {
    const pr = randomProblem(4, 60, [2, 2, 1], 'logistic');
    const cv = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, loss: 'logistic', nFolds: 3, nLambda: 6, lambdaMinRatio: 0.05 });
    expect(cv.metric).toBe('deviance');
    expect(Array.from(cv.foldIds)).toEqual(Array.from(makeFolds(60, 3, 1, pr.y)));
    const f = 1;
    const k = 4;
    const train = pr.X.map((_, i) => i).filter((i) => cv.foldIds[i] !== f);
    const test = pr.X.map((_, i) => i).filter((i) => cv.foldIds[i] === f);
    const fit = fitGroupLasso(train.map((i) => pr.X[i]), train.map((i) => pr.y[i]), { groups: pr.groups, lambda: cv.lambdas[k], loss: 'logistic', tol: 1e-12 });
    const eta = matVec(test.map((i) => pr.X[i]), fit.coef).map((e) => e + fit.intercept);
    const dev = test.reduce((s, i, q) => {
      const pi = 1 / (1 + Math.exp(-eta[q]));
      return s - 2 * (pr.y[i] * Math.log(pi) + (1 - pr.y[i]) * Math.log(1 - pi));
    }, 0) / test.length;
    expect(Math.abs(cv.foldLoss[f][k] - dev) / dev).toBeLessThan(1e-6);
    // Fold labels given by the user (any integers) are used as given.
    const ids = pr.y.map((_, i) => [10, 20, 30][i % 3]);
    const cv2 = cvGroupLasso(pr.X, pr.y, { groups: pr.groups, loss: 'logistic', foldIds: ids, nLambda: 4, lambdaMinRatio: 0.1 });
    expect(cv2.nFolds).toBe(3);
    expect(Array.from(cv2.foldIds)).toEqual(pr.y.map((_, i) => i % 3));
  });

  it('refuses malformed fold designs', () => {
    const pr = randomProblem(1, 20, [2, 2], 'squared');
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, nFolds: 1 })).toThrow(/nFolds/);
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, nFolds: 30 })).toThrow(/larger than the number of rows/);
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, foldIds: [0, 1] })).toThrow(/foldIds has length 2/);
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, foldIds: pr.y.map(() => 0) })).toThrow(/at least 2 folds/);
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, stratify: true })).toThrow(/0\/1 labels/);
    expect(() => cvGroupLasso(pr.X, pr.y, { groups: pr.groups, nfolds: 3 } as never)).toThrow(/did you mean 'nFolds'/);
  });
});

describe('informationCriteria', () => {
  it('computes the Yuan–Lin degrees of freedom and AIC/BIC/EBIC by hand on a tiny case', () => {
    // n = 8, groups {0, 1} and {2}; the least-squares fit by the normal equations (ml-matrix).
    const X = [[1, 2, 0.5], [2, 1, -1], [0, 1, 2], [3, -1, 0], [1, 0, 1], [2, 2, -2], [0, 3, 1], [1, 1, 0]];
    const y = [3, 2, 1, 4, 2, 5, 1, 2];
    const groups = [[0, 1], [2]];
    const path = groupLassoPath(X, y, { groups, nLambda: 5, lambdaMinRatio: 0.01, tol: 1e-12 });
    const ic = informationCriteria(path, X, y, { ebicGamma: 0.5 });
    expect(ic.dfMethod).toBe('yuanLin');
    const A = new Matrix(X.map((r) => [1, ...r]));
    const ls = solve(A.transpose().mmul(A), A.transpose().mmul(Matrix.columnVector(y))).to1DArray();
    const lsNorm = [Math.hypot(ls[1], ls[2]), Math.abs(ls[3])];
    const n = 8;
    for (let k = 0; k < 5; k++) {
      const w = path.coefs[k];
      const norms = [Math.hypot(w[0], w[1]), Math.abs(w[2])];
      let df = 1; // intercept
      let active = 0;
      norms.forEach((nw, g) => {
        if (nw > 0) {
          active++;
          df += 1 + (nw / lsNorm[g]) * (groups[g].length - 1);
        }
      });
      expect(ic.df[k]).toBeCloseTo(df, 8);
      const pred = matVec(X, w).map((e) => e + path.intercept[k]);
      const rss = y.reduce((s, v, i) => s + (v - pred[i]) ** 2, 0);
      const ll = -(n / 2) * (Math.log((2 * Math.PI * rss) / n) + 1);
      expect(ic.logLik[k]).toBeCloseTo(ll, 9);
      expect(ic.aic[k]).toBeCloseTo(-2 * ll + 2 * df, 8);
      expect(ic.bic[k]).toBeCloseTo(-2 * ll + Math.log(n) * df, 8);
      const choose = [1, 2, 1][active]; // C(2, k)
      expect(ic.ebic[k]).toBeCloseTo(-2 * ll + Math.log(n) * df + 2 * 0.5 * Math.log(choose), 8);
    }
    // At λ_max: only the intercept; at the smallest λ almost the LS fit, so df ≈ 1 + 3.
    expect(ic.df[0]).toBe(1);
    expect(ic.df[4]).toBeGreaterThan(3.5);
    // 'active' counts coefficients.
    const ia = informationCriteria(path, X, y, { df: 'active' });
    expect(ia.df[4]).toBe(4);
    expect(ic.best.bic).toBe(Array.from(ic.bic).indexOf(Math.min(...ic.bic)));
  });

  it("falls back to counting active coefficients when p ≥ n, and refuses 'yuanLin' there", () => {
    const pr = randomProblem(2, 10, [4, 4, 4], 'squared');
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 4 });
    const ic = informationCriteria(path, pr.X, pr.y);
    expect(ic.dfMethod).toBe('active');
    expect(ic.df[0]).toBe(1);
    expect(() => informationCriteria(path, pr.X, pr.y, { df: 'yuanLin' })).toThrow(/use df: 'active'/);
    expect(() => informationCriteria(path, pr.X.slice(1), pr.y.slice(1))).toThrow(/not the one the path was fitted on/);
  });
});
