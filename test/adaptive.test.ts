import { describe, expect, it } from 'vitest';
import { cvGroupLasso, fitGroupLasso, GroupLasso, Random } from '../src/index.ts';
import { norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** Columns centred and divided by their population sd, written here (what the estimator fits on). */
function standardizeRows(X: number[][]): number[][] {
  const n = X.length;
  const p = X[0].length;
  const m = Array.from({ length: p }, (_, j) => X.reduce((s, r) => s + r[j], 0) / n);
  const sd = Array.from({ length: p }, (_, j) => Math.sqrt(X.reduce((s, r) => s + (r[j] - m[j]) ** 2, 0) / n));
  return X.map((r) => r.map((v, j) => (v - m[j]) / sd[j]));
}

/** 10 groups of 1–4 columns, two of them active, noise sd 1.5 (logistic: labels from the same η). */
function sparseProblem(seed: number, loss: 'squared' | 'logistic') {
  const rng = new Random(seed);
  const sizes = [3, 2, 2, 3, 1, 2, 4, 2, 3, 2];
  const groups: number[][] = [];
  let c = 0;
  for (const s of sizes) groups.push(Array.from({ length: s }, () => c++));
  const n = 120;
  const X = Array.from({ length: n }, () => Array.from(rng.normals(c)));
  const beta = new Array<number>(c).fill(0);
  for (const g of [0, 3]) for (const j of groups[g]) beta[j] = 1;
  const eta = X.map((r) => r.reduce((s, x, j) => s + x * beta[j], 0));
  const y = loss === 'squared' ? eta.map((e) => e + 1.5 * rng.normal()) : eta.map((e) => (rng.uniform() < 1 / (1 + Math.exp(-e)) ? 1 : 0));
  return { X, y, groups };
}

describe('adaptive group lasso', () => {
  for (const loss of ['squared', 'logistic'] as const) {
    it(`${loss}: the path is the group lasso refitted with explicit weights √p_g/‖w̃_g‖ from a cross-validated initial fit, zero groups left out`, () => {
      // Many null groups and a noisy response, so that the initial fit drops some and keeps others.
      const pr = sparseProblem(loss === 'squared' ? 31 : 32, loss);
      const m = new GroupLasso({ groups: pr.groups, loss, adaptive: true, criterion: 'bic', nLambda: 15, tol: 1e-10 }).fit(pr.X, pr.y);
      // The independent construction: the initial fit through the plain functions on a design
      // standardized here, the weights and the left-out groups computed here, then fits at each λ.
      const Z = standardizeRows(pr.X);
      const init = cvGroupLasso(Z, pr.y, { groups: pr.groups, loss, nFolds: 5, seed: 1, nLambda: 15, tol: 1e-10 });
      const w0 = init.path.coefs[init.indexMin];
      const norms = pr.groups.map((g) => norm(g.map((j) => w0[j])));
      const kept = pr.groups.map((_, g) => g).filter((g) => norms[g] > 0);
      const dropped = pr.groups.map((_, g) => g).filter((g) => norms[g] === 0);
      expect(kept.length).toBeGreaterThan(0);
      expect(dropped.length, 'the initial fit leaves some group out').toBeGreaterThan(0);
      const weights = kept.map((g) => Math.sqrt(pr.groups[g].length) / norms[g]);
      const cols = kept.flatMap((g) => pr.groups[g]);
      const lists: number[][] = [];
      let c = 0;
      for (const g of kept) lists.push(pr.groups[g].map(() => c++));
      const Zk = Z.map((r) => cols.map((j) => r[j]));
      // Weights as the model reports them: Infinity for left-out groups.
      for (const g of dropped) expect(m.adaptiveWeights![g]).toBe(Infinity);
      kept.forEach((g, q) => expect(Math.abs(m.adaptiveWeights![g] - weights[q])).toBeLessThan(1e-6 * weights[q]));
      const sp = m.standardizedPath!;
      expect(sp.lambdas.length).toBe(15);
      for (let k = 0; k < sp.lambdas.length; k++) {
        const f = fitGroupLasso(Zk, pr.y, { groups: lists, loss, weights, lambda: sp.lambdas[k], tol: 1e-12 });
        for (const g of dropped) for (const j of pr.groups[g]) expect(sp.coefs[k][j]).toBe(0);
        cols.forEach((j, q) => expect(Math.abs(sp.coefs[k][j] - f.coef[q]), `λ #${k} column ${j}`).toBeLessThan(1e-5));
        expect(Math.abs(sp.certificates[k].objective - f.objective)).toBeLessThan(1e-8 * Math.max(1, f.objective));
      }
      // Original-scale coefficients of left-out groups are zero too, and predictions work.
      for (const g of dropped) for (const j of pr.groups[g]) expect(m.coef[j]).toBe(0);
      expect(m.predict(pr.X).length).toBe(pr.X.length);
    });
  }

  it('less bias than the group lasso on the strong groups: the adaptive fit is closer to least squares on them', () => {
    const pr = randomProblem(7, 300, [2, 2, 2, 2, 2, 2], 'squared');
    const opts = { groups: pr.groups, cv: { nFolds: 5, seed: 3 } };
    const plain = new GroupLasso(opts).fit(pr.X, pr.y);
    const ad = new GroupLasso({ ...opts, adaptive: { power: 1, nFolds: 5, seed: 3 } }).fit(pr.X, pr.y);
    const ols = new GroupLasso({ groups: pr.groups, lambda: 0 }).fit(pr.X, pr.y);
    const strong = [0, 2, 4].flatMap((g) => pr.groups[g]);
    const dist = (a: Float64Array) => norm(strong.map((j) => a[j] - ols.coef[j]));
    expect(dist(ad.coef)).toBeLessThan(0.5 * dist(plain.coef));
    // The null groups (odd) are all out of the adaptive model.
    for (const g of [1, 3, 5]) expect(norm(pr.groups[g].map((j) => ad.coef[j]))).toBe(0);
  });

  it('refuses bad adaptive options, and an initial fit that keeps no group', () => {
    const pr = randomProblem(3, 60, [2, 3], 'squared');
    expect(() => new GroupLasso({ groups: pr.groups, adaptive: { power: 0 } })).toThrow(/GroupLasso: adaptive.power must be a finite number > 0, got 0/);
    expect(() => new GroupLasso({ groups: pr.groups, adaptive: { nFolds: 1 } })).toThrow(/adaptive.nFolds must be at least 2/);
    expect(() => new GroupLasso({ groups: pr.groups, adaptive: { folds: 3 } as never })).toThrow(/folds/);
    expect(() => new GroupLasso({ groups: pr.groups, adaptive: 'yes' as never })).toThrow(/adaptive must be true, false or/);
    // y unrelated to X: cross-validation picks λ_max, where every group is zero.
    const rng = new Random(9);
    const X = Array.from({ length: 40 }, () => Array.from(rng.normals(4)));
    const y = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const init = cvGroupLasso(standardizeRows(X), y, { groups: [0, 0, 1, 1], nFolds: 5, seed: 1 });
    expect(init.indexMin, 'this case must have an empty initial model').toBe(0);
    expect(() => new GroupLasso({ groups: [0, 0, 1, 1], adaptive: true, lambda: 0.1 }).fit(X, y)).toThrow(/initial fit of the adaptive weights selected no group/);
  });
});
