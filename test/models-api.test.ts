import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CoxLoss } from '../src/datafits/cox.ts';
import { ValueError } from '../src/errors.ts';
import { fitGroupLasso, lambdaMax } from '../src/problem/problem.ts';
import { GroupLasso } from '../src/estimators/groupLasso.ts';
import { cvGroupLasso } from '../src/path/cv.ts';
import { groupLassoPath } from '../src/path/path.ts';

// Written by scripts/survival-fixtures.R with grpreg::grpsurv / cv.grpsurv (veteran, sorted by time).
const fx = JSON.parse(readFileSync(new URL('./fixtures/grpreg/grpsurv-veteran.json', import.meta.url), 'utf8')) as {
  columns: string[]; group: string[]; time: number[]; status: number[]; X: number[][]; lambda: number[];
  beta: number[][]; loss: number[]; fold: number[]; cve: number[]; cvse: number[]; cvEta: number[][];
};
const n = fx.time.length;
const rows = Array.from({ length: n }, (_, i) => fx.X.map((c) => c[i]));
const y = { time: fx.time, status: fx.status };

describe("loss: 'cox' through the public API against grpreg", () => {
  it('groupLassoPath on grpsurv’s λ grid gives grpsurv’s coefficients (strong-rule screening on)', () => {
    const path = groupLassoPath(rows, y, { groups: fx.group, loss: 'cox', lambdas: fx.lambda, tol: 1e-10 });
    expect(path.lambdaMax).toBeCloseTo(fx.lambda[0], 12);
    let worst = 0;
    for (let l = 0; l < fx.lambda.length; l++) {
      expect(path.certificates[l].converged).toBe(true);
      expect(path.intercept[l]).toBe(0);
      for (let j = 0; j < fx.columns.length; j++) worst = Math.max(worst, Math.abs(path.coefs[l][j] - fx.beta[l][j]));
      const refGroups = [...new Set(fx.group.filter((_, j) => fx.beta[l][j] !== 0))];
      expect(path.activeGroups[l].map((g) => path.groupNames[g]).sort()).toEqual(refGroups.sort());
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('the default grid is grpsurv’s: λ_max and λ_min/λ_max = 0.02 over 30 values', () => {
    expect(lambdaMax(rows, y, { groups: fx.group, loss: 'cox' })).toBeCloseTo(fx.lambda[0], 12);
    const path = groupLassoPath(rows, y, { groups: fx.group, loss: 'cox', nLambda: 2, lambdaMinRatio: 0.02, tol: 1e-8 });
    expect(path.lambdas[1]).toBeCloseTo(fx.lambda[29], 12);
  });

  it('cross-validated partial-likelihood deviance of given out-of-fold predictions is cv.grpsurv’s cve', () => {
    const loss = new CoxLoss(fx.time, fx.status);
    const r = new Float64Array(n);
    for (let l = 0; l < fx.lambda.length; l++) {
      const count = loss.rowLosses(Float64Array.from(fx.cvEta[l]), r);
      let s = 0;
      for (let i = 0; i < n; i++) if (r[i] === r[i]) s += r[i];
      expect(s / count).toBeCloseTo(fx.cve[l], 10);
    }
  });

  it('cvGroupLasso runs the Cox CV on the same folds: deviance per event, stratified folds, λ_min', () => {
    const L = 12;
    const cv = cvGroupLasso(rows, y, { groups: fx.group, loss: 'cox', lambdas: fx.lambda.slice(0, L), foldIds: fx.fold, tol: 1e-8 });
    expect(cv.metric).toBe('partial-likelihood deviance');
    // cv.grpsurv re-standardises each fold, so its fold fits are not ours: closeness only.
    for (let l = 0; l < L; l++) expect(Math.abs(cv.meanLoss[l] - fx.cve[l]) / fx.cve[l]).toBeLessThan(0.01);
    // Our deviance along the path, from our own out-of-fold predictions, through the same scoring.
    expect(cv.meanLoss[L - 1]).toBeLessThan(cv.meanLoss[0]);
    expect(cv.notConverged).toBe(0);
    const folds = cvGroupLasso(rows, y, { groups: fx.group, loss: 'cox', nLambda: 3, nFolds: 4, tol: 1e-6 }).foldIds;
    const events = [0, 1, 2, 3].map((f) => fx.status.filter((d, i) => d === 1 && folds[i] === f).length);
    expect(Math.max(...events) - Math.min(...events)).toBeLessThanOrEqual(1);
  });

  it('refuses an intercept, bad survival responses and ties without Cox', () => {
    const g = fx.group;
    expect(() => fitGroupLasso(rows, y, { groups: g, loss: 'cox', lambda: 0.1, fitIntercept: true })).toThrow(/Cox model has no intercept/);
    expect(() => fitGroupLasso(rows, { time: fx.time.map((t, i) => (i === 3 ? 0 : t)), status: fx.status }, { groups: g, loss: 'cox', lambda: 0.1 }))
      .toThrow(/fitGroupLasso: survival times must be finite and > 0, got 0 at row 3/);
    expect(() => fitGroupLasso(rows, { time: fx.time, status: fx.status.map((d) => d + 1) }, { groups: g, loss: 'cox', lambda: 0.1 }))
      .toThrow(/status must be 1 \(event\) or 0 \(censored\), got 2/);
    expect(() => fitGroupLasso(rows, { time: fx.time, status: fx.status.map(() => 0) }, { groups: g, loss: 'cox', lambda: 0.1 })).toThrow(/no events/);
    expect(() => fitGroupLasso(rows, fx.time, { groups: g, loss: 'cox', lambda: 0.1 })).toThrow(/needs y = \{ time, status \} or two columns/);
    expect(() => fitGroupLasso(rows, fx.status, { groups: g, loss: 'logistic', lambda: 0.1, ties: 'efron' })).toThrow(ValueError);
    expect(() => fitGroupLasso(rows, fx.status, { groups: g, loss: 'logistic', lambda: 0.1, ties: 'efron' })).toThrow(/fitGroupLasso: ties is an option of loss 'cox' only/);
    expect(() => new GroupLasso({ groups: g, loss: 'cox', fitIntercept: true, lambda: 0.1 }).fit(rows, y)).toThrow(/GroupLasso.fit: the Cox model has no intercept/);
    // Rows [time, status] (grpreg's two-column y) are accepted too.
    const two = fitGroupLasso(rows, fx.time.map((t, i) => [t, fx.status[i]]), { groups: g, loss: 'cox', lambda: fx.lambda[5], tol: 1e-10 });
    for (let j = 0; j < fx.columns.length; j++) expect(two.coef[j]).toBeCloseTo(fx.beta[5][j], 5);
  });
});

describe("loss: 'multinomial' through the public API", () => {
  // Iris-like synthetic data: 3 string classes separated by the first two of 4 features.
  const m = 90;
  const X = Array.from({ length: m }, (_, i) => [Math.sin(i) + (i % 3), Math.cos(3 * i) - (i % 3 === 1 ? 1 : 0), Math.sin(7 * i), Math.cos(11 * i)]);
  const labels = Array.from({ length: m }, (_, i) => ['setosa', 'versicolor', 'virginica'][i % 3]);

  it('fits W (p × K), one group per feature across classes, with a certified gap; path and CV run', () => {
    const fit = fitGroupLasso(X, labels, { groups: [0, 1, 2, 3], loss: 'multinomial', lambda: 0.05 });
    expect(fit.converged).toBe(true);
    expect(fit.nTasks).toBe(3);
    expect(fit.coef.length).toBe(12);
    expect(fit.intercepts.length).toBe(3);
    expect(fit.activeGroups).toContain(0);
    // A dropped feature is zero in every class.
    for (let g = 0; g < 4; g++) {
      const zero = [0, 1, 2].every((k) => fit.coef[k * 4 + g] === 0);
      expect(zero).toBe(!fit.activeGroups.includes(g));
    }
    const cv = cvGroupLasso(X, labels, { groups: [0, 1, 2, 3], loss: 'multinomial', nLambda: 8, nFolds: 3 });
    expect(cv.metric).toBe('deviance');
    // At λ_max every class gets its training frequency: the deviance is 2·log 3 per row.
    expect(cv.meanLoss[0]).toBeCloseTo(2 * Math.log(3), 1);
    expect(cv.meanLoss[cv.indexMin]).toBeLessThan(cv.meanLoss[0]);
  });

  it('refuses one class and non-categorical labels', () => {
    expect(() => fitGroupLasso(X, labels.map(() => 'a'), { groups: [0, 1, 2, 3], loss: 'multinomial', lambda: 0.1 }))
      .toThrow(/fitGroupLasso: multinomial labels have one class only/);
    expect(() => fitGroupLasso(X, X.map((r) => r[0]), { groups: [0, 1, 2, 3], loss: 'multinomial', lambda: 0.1 }))
      .toThrow(/must be categorical/);
  });
});

describe('sampleWeight through the public API', () => {
  const m = 30;
  const X = Array.from({ length: m }, (_, i) => [Math.sin(i), Math.cos(2 * i), Math.sin(5 * i)]);
  const yv = X.map((r, i) => r[0] - 0.5 * r[1] + 0.1 * Math.cos(9 * i));
  const w = Array.from({ length: m }, (_, i) => (i % 4 === 0 ? 0 : (i % 3) + 1));
  const reps = w.flatMap((c, i) => Array.from({ length: c }, () => i));
  it("weighted fit = repeated rows, with the default solver ('auto' avoids bcd for weights)", () => {
    const a = fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, sampleWeight: w, tol: 1e-11 });
    const b = fitGroupLasso(reps.map((i) => X[i]), reps.map((i) => yv[i]), { groups: [0, 0, 1], lambda: 0.02, tol: 1e-11 });
    expect(a.converged && b.converged).toBe(true);
    expect(a.solver).not.toBe('bcd');
    // A relative gap of 1e-11 pins the coefficients to about √(gap/curvature) ≈ 1e-6.
    for (let j = 0; j < 3; j++) expect(a.coef[j]).toBeCloseTo(b.coef[j], 5);
    expect(a.intercept).toBeCloseTo(b.intercept, 5);
    expect(a.objective).toBeCloseTo(b.objective, 10);
    expect(() => fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, sampleWeight: w, solver: 'bcd' })).toThrow(/does not take sample weights/);
    expect(() => fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, sampleWeight: w.slice(1) })).toThrow(/sampleWeight has length 29, expected 30/);
  });

  it('constant weights at the ends of the float64 range fit like no weights; a non-array is refused', () => {
    // Σw overflowed for 1e308 (every weight normalised to 0) and n/Σw for subnormal weights.
    const plain = fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, tol: 1e-11 });
    for (const c of [1e308, 5e-324]) {
      const r = fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, tol: 1e-11, sampleWeight: new Array(m).fill(c) });
      expect(r.converged).toBe(true);
      for (let j = 0; j < 3; j++) expect(r.coef[j]).toBeCloseTo(plain.coef[j], 5);
      expect(r.intercept).toBeCloseTo(plain.intercept, 5);
    }
    for (const bad of [{}, 'abc', 5]) {
      expect(() => fitGroupLasso(X, yv, { groups: [0, 0, 1], lambda: 0.02, sampleWeight: bad as never })).toThrow(/^fitGroupLasso: sampleWeight must be an array of 30 numbers \(one per row\), got (object|string|number)$/);
    }
  });
});

describe('the GroupLasso estimator with the new losses', () => {
  it('Cox: the fit at a given λ is grpsurv’s; predict is the relative risk; BIC and D² work', () => {
    const l = 8;
    const m = new GroupLasso({ groups: fx.group, loss: 'cox', lambda: fx.lambda[l], standardize: false, tol: 1e-10 }).fit(rows, y);
    expect(m.intercept).toBe(0);
    for (let j = 0; j < fx.columns.length; j++) expect(m.coef[j]).toBeCloseTo(fx.beta[l][j], 5);
    const eta = m.predictLinear(rows);
    const risk = m.predict(rows);
    for (let i = 0; i < n; i += 17) expect(risk[i]).toBeCloseTo(Math.exp(eta[i]), 12);
    const d2 = m.score(rows, y);
    expect(d2).toBeGreaterThan(0);
    expect(d2).toBeLessThan(1);
    const bic = new GroupLasso({ groups: fx.group, loss: 'cox', criterion: 'bic', nLambda: 15, tol: 1e-7 }).fit(rows, y);
    expect(bic.criteria!.dfMethod).toBe('yuanLin');
    expect(bic.selectedGroups().length).toBeGreaterThan(0);
  });

  it('multinomial: probabilities, classes, a JSON round trip, and D²', () => {
    const mm = 90;
    const X = Array.from({ length: mm }, (_, i) => [Math.sin(i) + (i % 3), Math.cos(3 * i) - (i % 3 === 1 ? 1 : 0), Math.sin(7 * i)]);
    const labels = Array.from({ length: mm }, (_, i) => ['a', 'b', 'c'][i % 3]);
    const m = new GroupLasso({ groups: [0, 1, 2], loss: 'multinomial', cv: 3, nLambda: 20, lambdaMinRatio: 0.02 }).fit(X, labels);
    expect(m.classes).toEqual(['a', 'b', 'c']);
    const P = m.predict(X);
    for (let i = 0; i < mm; i++) expect(P[i] + P[mm + i] + P[2 * mm + i]).toBeCloseTo(1, 12);
    const cls = m.predictClass(X);
    const acc = cls.filter((c, i) => c === labels[i]).length / mm;
    expect(acc).toBeGreaterThan(0.6);
    const back = GroupLasso.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.predictClass(X)).toEqual(cls);
    expect(m.score(X, labels)).toBeGreaterThan(0.2);
    expect(() => m.score(X, labels.map((c) => (c === 'a' ? 'z' : c)))).toThrow(/label 'z' at row 0 is not a class of the model/);
    expect(() => new GroupLasso({ groups: [0, 1, 2], lambda: 0.1 }).fit(X, X.map((r) => r[0])).predictClass(X)).toThrow(/needs a multinomial model/);
  });

  it('fit(X, y, sampleWeight) equals the fit of repeated rows', () => {
    const mm = 30;
    const X = Array.from({ length: mm }, (_, i) => [Math.sin(i), Math.cos(2 * i), Math.sin(5 * i)]);
    const yv = X.map((r, i) => (r[0] - 0.5 * r[1] + 0.3 * Math.cos(9 * i) > 0 ? 1 : 0));
    const w = Array.from({ length: mm }, (_, i) => (i % 4 === 0 ? 0 : (i % 3) + 1));
    const reps = w.flatMap((c, i) => Array.from({ length: c }, () => i));
    const opts = { groups: [0, 0, 1], loss: 'logistic' as const, lambda: 0.01, standardize: false, tol: 1e-11 };
    const a = new GroupLasso(opts).fit(X, yv, w);
    const b = new GroupLasso(opts).fit(reps.map((i) => X[i]), reps.map((i) => yv[i]));
    for (let j = 0; j < 3; j++) expect(a.coef[j]).toBeCloseTo(b.coef[j], 5);
    expect(a.intercept).toBeCloseTo(b.intercept, 5);
  });
});
