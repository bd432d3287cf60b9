import { describe, expect, it } from 'vitest';
import { fitGroupLasso, GroupLasso, informationCriteria, OptionError, Random, ValueError } from '../src/index.ts';
import { matVec } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** Columns in wildly different units, so standardization matters. */
function scaledProblem(seed: number, n = 50) {
  const pr = randomProblem(seed, n, [2, 3, 1, 2], 'squared');
  const units = [1000, 0.01, 5, 1, 200, 0.5, 3, 0.1];
  const X = pr.X.map((r) => r.map((x, j) => x * units[j] + 7 * j));
  const labels = ['a', 'a', 'b', 'b', 'b', 'c', 'd', 'd'];
  return { X, y: pr.y, labels };
}

function byHandStandardize(X: number[][]): { Xs: number[][]; m: number[]; s: number[] } {
  const n = X.length;
  const p = X[0].length;
  const m = Array.from({ length: p }, (_, j) => X.reduce((a, r) => a + r[j], 0) / n);
  const s = Array.from({ length: p }, (_, j) => Math.sqrt(X.reduce((a, r) => a + (r[j] - m[j]) ** 2, 0) / n));
  return { Xs: X.map((r) => r.map((x, j) => (x - m[j]) / s[j])), m, s };
}

describe('GroupLasso estimator', () => {
  it('standardizes by default and maps back: predictions equal the fit on the standardized design', () => {
    const { X, y, labels } = scaledProblem(1);
    const { Xs, s } = byHandStandardize(X);
    const lambda = 0.05;
    const m = new GroupLasso({ groups: labels, lambda, tol: 1e-12 }).fit(X, y);
    const ref = fitGroupLasso(Xs, y, { groups: labels, lambda, tol: 1e-12 });
    const predRef = matVec(Xs, ref.coef).map((e) => e + ref.intercept);
    const pred = m.predict(X);
    for (let i = 0; i < y.length; i++) expect(Math.abs(pred[i] - predRef[i])).toBeLessThan(1e-8 * (1 + Math.abs(predRef[i])));
    for (let j = 0; j < 8; j++) expect(m.coef[j]).toBeCloseTo(ref.coef[j] / s[j], 8);
    expect(m.lambda).toBe(lambda);
    expect(m.certificate.converged).toBe(true);
    expect(m.selectedGroups().map((g) => g.name)).toEqual(ref.activeGroupNames);
    // The path on the original scale ends at λ, starts at λ_max with nothing selected.
    const path = m.path!;
    expect(path.lambdas[path.lambdas.length - 1]).toBe(lambda);
    expect(path.activeGroups[0]).toEqual([]);
    // Without standardization: the raw problem.
    const raw = new GroupLasso({ groups: labels, lambda: 2, standardize: false, tol: 1e-12 }).fit(X, y);
    const rawRef = fitGroupLasso(X, y, { groups: labels, lambda: 2, tol: 1e-12 });
    expect(Math.abs(raw.certificate.objective - rawRef.objective) / rawRef.objective).toBeLessThan(1e-8);
  });

  it('orthonormalized groups make the fit invariant to a reparametrization inside a group', () => {
    const { X, y, labels } = scaledProblem(2);
    // Mix the three columns of group b by an invertible matrix: same column space, other coding.
    const M = [[1, 2, 0], [0, 1, -1], [3, 0, 1]];
    const X2 = X.map((r) => {
      const b = [r[2], r[3], r[4]];
      const mixed = [0, 1, 2].map((c) => b[0] * M[0][c] + b[1] * M[1][c] + b[2] * M[2][c]);
      return [r[0], r[1], ...mixed, r[5], r[6], r[7]];
    });
    const opts = { groups: labels, lambda: 0.03, orthonormalize: true, tol: 1e-12 };
    const m1 = new GroupLasso(opts).fit(X, y);
    const m2 = new GroupLasso(opts).fit(X2, y);
    const p1 = m1.predict(X);
    const p2 = m2.predict(X2);
    for (let i = 0; i < y.length; i++) expect(Math.abs(p1[i] - p2[i])).toBeLessThan(1e-7 * (1 + Math.abs(p1[i])));
    expect(m1.selectedGroups().map((g) => g.name)).toEqual(m2.selectedGroups().map((g) => g.name));
    // Column scaling alone is not invariant to that mixing (the check above is not vacuous).
    const s1 = new GroupLasso({ ...opts, orthonormalize: false }).fit(X, y).predict(X);
    const s2 = new GroupLasso({ ...opts, orthonormalize: false }).fit(X2, y).predict(X2);
    expect(Math.max(...Array.from(s1, (v, i) => Math.abs(v - s2[i])))).toBeGreaterThan(1e-4);
  });

  it('chooses λ by cross-validation (min or 1se) or by an information criterion', () => {
    const { X, y, labels } = scaledProblem(3, 60);
    const cvm = new GroupLasso({ groups: labels, cv: { nFolds: 5, seed: 2 }, nLambda: 15 }).fit(X, y);
    const cv = cvm.cv!;
    expect(cvm.lambda).toBe(cv.lambdaMin);
    expect(Array.from(cvm.coef)).toEqual(Array.from(cvm.path!.coefs[cv.indexMin]));
    const one = new GroupLasso({ groups: labels, cv: { nFolds: 5, seed: 2 }, rule: '1se', nLambda: 15 }).fit(X, y);
    expect(one.lambda).toBe(cv.lambda1se);
    expect(one.lambda).toBeGreaterThanOrEqual(cvm.lambda);
    const bic = new GroupLasso({ groups: labels, criterion: 'bic', nLambda: 15, standardize: false }).fit(X, y);
    const ic = informationCriteria(bic.path!, X, y);
    expect(bic.lambda).toBe(bic.path!.lambdas[ic.best.bic]);
  });

  it('predicts probabilities for logistic models and scores by deviance explained', () => {
    const pr = randomProblem(6, 80, [2, 2, 3], 'logistic');
    const m = new GroupLasso({ groups: pr.groups, loss: 'logistic', lambda: 0.02 }).fit(pr.X, pr.y);
    const eta = m.predictLinear(pr.X);
    const prob = m.predict(pr.X);
    let dev = 0;
    let dev0 = 0;
    const ybar = pr.y.reduce((a, b) => a + b, 0) / pr.y.length;
    for (let i = 0; i < pr.y.length; i++) {
      expect(prob[i]).toBeCloseTo(1 / (1 + Math.exp(-eta[i])), 14);
      dev -= 2 * (pr.y[i] * Math.log(prob[i]) + (1 - pr.y[i]) * Math.log(1 - prob[i]));
      dev0 -= 2 * (pr.y[i] * Math.log(ybar) + (1 - pr.y[i]) * Math.log(1 - ybar));
    }
    expect(m.score(pr.X, pr.y)).toBeCloseTo(1 - dev / dev0, 10);
    // Squared loss: the score is R².
    const sq = randomProblem(7, 50, [2, 2], 'squared');
    const ms = new GroupLasso({ groups: sq.groups, lambda: 0.1 }).fit(sq.X, sq.y);
    const pred = ms.predict(sq.X);
    const mean = sq.y.reduce((a, b) => a + b, 0) / sq.y.length;
    const r2 = 1 - sq.y.reduce((a, v, i) => a + (v - pred[i]) ** 2, 0) / sq.y.reduce((a, v) => a + (v - mean) ** 2, 0);
    expect(ms.score(sq.X, sq.y)).toBeCloseTo(r2, 12);
  });

  it('round-trips through JSON', () => {
    const { X, y, labels } = scaledProblem(4);
    const names = ['w', 'v', 'u', 't', 's', 'r', 'q', 'o'];
    const m = new GroupLasso({ groups: labels, lambda: 0.05, featureNames: names }).fit(X, y);
    const text = JSON.stringify(m);
    const back = GroupLasso.fromJSON(JSON.parse(text));
    expect(Array.from(back.predict(X))).toEqual(Array.from(m.predict(X)));
    expect(back.selectedGroups()).toEqual(m.selectedGroups());
    expect(back.certificate).toEqual(m.certificate);
    expect(back.lambda).toBe(m.lambda);
    expect(back.featureNames).toEqual(names);
    expect(back.selectedGroups()[0].coefficients[0].feature).toBe('w');
    expect(GroupLasso.fromJSON(text).intercept).toBe(m.intercept);
    expect(() => GroupLasso.fromJSON({ format: 'other' })).toThrow(ValueError);
    expect(() => GroupLasso.fromJSON({ ...JSON.parse(text), coef: [1, 2] })).toThrow(/coef must have 8 entries/);
  });

  it('handles multi-task responses and unpenalized groups on the original scale', () => {
    const r = new Random(9);
    const n = 40;
    const X = Array.from({ length: n }, () => [r.normal() * 10, r.normal(), r.normal(), r.normal() + 5]);
    const Y = X.map((row) => [row[0] / 10 + r.normal() * 0.1, row[3] - 5 + r.normal() * 0.1]);
    const m = new GroupLasso({ groups: ['a', 'a', 'b', 'c'], weights: [Math.SQRT2, 1, 0], lambda: 0.05 }).fit(X, Y);
    expect(m.coef.length).toBe(8);
    expect(m.intercepts.length).toBe(2);
    const sel = m.selectedGroups();
    expect(sel.find((g) => g.name === 'c')!.penalized).toBe(false);
    const pred = m.predictLinear(X);
    // Task 2 is explained by the unpenalized column: slope ≈ 1 on the original scale.
    expect(m.coef[4 + 3]).toBeGreaterThan(0.9);
    expect(pred.length).toBe(2 * n);
  });

  it('refuses misuse with named errors', () => {
    const pr = randomProblem(1, 20, [2, 2], 'squared');
    const m = new GroupLasso({ groups: pr.groups, lambda: 0.1 });
    expect(() => m.predict(pr.X)).toThrow(/not fitted yet/);
    m.fit(pr.X, pr.y);
    expect(() => m.predict(pr.X.map((r) => r.slice(1)))).toThrow(/3 columns, the model was fitted on 4/);
    expect(() => new GroupLasso({ groups: pr.groups, lambda: 0.1, cv: 5 })).toThrow(/give one of lambda, cv or criterion/);
    expect(() => new GroupLasso({ groups: pr.groups, lamda: 0.1 } as never)).toThrow(OptionError);
    expect(() => new GroupLasso({ groups: pr.groups, criterion: 'cic' as never })).toThrow(OptionError);
    expect(() => m.score(pr.X, pr.y.map(() => 1))).toThrow(/null deviance is 0/);
  });
});
