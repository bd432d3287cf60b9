import { describe, expect, it } from 'vitest';
import {
  cvGroupLasso, DenseMatrix, fitGroupLasso, groupLassoPath, lambdaMax, OptionError, Random, SparseMatrix, ValueError,
  type LinearOperator,
} from '../src/index.ts';
import { SubsetOperator } from '../src/linalg/subset.ts';
import { matTVec, matVec, naiveCheck, norm } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** Duality gap of the squared-loss group lasso at (w, b), from rows: u = (Xw + b − y)/n scaled into the dual ball. */
function naiveSquaredGap(X: number[][], y: number[], w: ArrayLike<number>, b: number, groups: number[][], weights: number[], lambda: number): number {
  const n = X.length;
  const eta = matVec(X, w).map((e) => e + b);
  const u = eta.map((e, i) => (e - y[i]) / n);
  const g = matTVec(X, u);
  let s = 0;
  groups.forEach((gr, k) => {
    s = Math.max(s, norm(gr.map((j) => g[j])) / weights[k]);
  });
  const theta = s > lambda ? lambda / s : 1;
  const primal = naiveCheck(X, y, w, b, groups, weights, lambda, 'squared', true).objective;
  const dual = -theta * u.reduce((a, ui, i) => a + ui * y[i], 0) - (n / 2) * theta * theta * u.reduce((a, ui) => a + ui * ui, 0);
  return primal - dual;
}

describe('groupLassoPath', () => {
  it('strong-rule screening gives the same path as fitting every group (random problems)', () => {
    for (const [seed, loss] of [[1, 'squared'], [2, 'squared'], [3, 'squared'], [4, 'logistic']] as const) {
      const sizes = [3, 1, 4, 2, 2, 5, 1, 3, 2, 2];
      const pr = randomProblem(seed, 60, sizes, loss);
      const opts = { groups: pr.groups, loss, nLambda: 25, lambdaMinRatio: loss === 'logistic' ? 0.05 : 0.01 };
      const a = groupLassoPath(pr.X, pr.y, { ...opts, screening: 'strong' });
      const b = groupLassoPath(pr.X, pr.y, { ...opts, screening: 'none' });
      expect(Array.from(a.lambdas)).toEqual(Array.from(b.lambdas));
      // Strong rules did discard something (otherwise this compares a path with itself).
      expect(a.screening.some((s) => s.kept < pr.groups.length)).toBe(true);
      for (let k = 0; k < a.lambdas.length; k++) {
        expect(a.activeGroups[k], `seed ${seed}, λ #${k}`).toEqual(b.activeGroups[k]);
        const oa = a.certificates[k].objective;
        const ob = b.certificates[k].objective;
        expect(Math.abs(oa - ob) / ob, `seed ${seed}, λ #${k}`).toBeLessThan(1e-9);
        expect(a.certificates[k].converged && b.certificates[k].converged).toBe(true);
      }
    }
  });

  it('puts back a group the strong rule wrongly discards (KKT check on the full problem)', () => {
    // Strongly correlated columns (a shared factor) make the strong rule fail now and then; this
    // seed is one where it does, at one λ of the grid.
    const r = new Random(67);
    const n = 20;
    const p = 12;
    const z = r.normals(n);
    const X = Array.from({ length: n }, (_, i) => Array.from({ length: p }, () => r.normal() + 2 * z[i]));
    const y = X.map((row) => row[0] - row[2] + row[5] * 0.5 + r.normal());
    const groups = Array.from({ length: p }, (_, j) => Math.floor(j / 2));
    const weights = Array(6).fill(Math.SQRT2);
    const lists = [0, 1, 2, 3, 4, 5].map((g) => [2 * g, 2 * g + 1]);
    const opts = { groups, nLambda: 20, lambdaMinRatio: 0.01 };
    const path = groupLassoPath(X, y, { ...opts, screening: 'strong' });
    const full = groupLassoPath(X, y, { ...opts, screening: 'none' });
    expect(path.screening.reduce((a, s) => a + s.violations, 0)).toBeGreaterThan(0);
    // 'auto' (the default) fits this small design by group descent along the path, to the same path.
    const auto = groupLassoPath(X, y, opts);
    for (let k = 0; k < path.lambdas.length; k++) {
      expect(path.activeGroups[k]).toEqual(full.activeGroups[k]);
      expect(auto.activeGroups[k]).toEqual(full.activeGroups[k]);
      expect(Math.abs(path.certificates[k].objective - full.certificates[k].objective) / full.certificates[k].objective).toBeLessThan(1e-9);
      // Both are certified: each objective is within its own duality gap of the optimum.
      const [a, b] = [auto.certificates[k], full.certificates[k]];
      expect(Math.abs(a.objective - b.objective)).toBeLessThanOrEqual(Math.max(a.dualityGap, b.dualityGap) + 1e-15 * b.objective);
      // Every zero group satisfies its optimality condition ‖∇_g‖ ≤ λd_g, checked from the rows.
      const c = naiveCheck(X, y, path.coefs[k], path.intercept[k], lists, weights, path.lambdas[k], 'squared', true);
      expect(c.zeroGroupExcess).toBeLessThan(1e-9);
      expect(naiveSquaredGap(X, y, path.coefs[k], path.intercept[k], lists, weights, path.lambdas[k])).toBeLessThan(1e-8 * c.objective);
    }
  });

  it('reports certificates that an independent computation from the rows confirms', () => {
    const pr = randomProblem(7, 40, [2, 3, 1, 2, 4], 'squared');
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 15, lambdaMinRatio: 0.01 });
    for (let k = 0; k < path.lambdas.length; k++) {
      const lam = path.lambdas[k];
      const c = naiveCheck(pr.X, pr.y, path.coefs[k], path.intercept[k], pr.groups, pr.weights, lam, 'squared', true);
      const cert = path.certificates[k];
      expect(Math.abs(c.objective - cert.objective) / c.objective).toBeLessThan(1e-12);
      const gap = naiveSquaredGap(pr.X, pr.y, path.coefs[k], path.intercept[k], pr.groups, pr.weights, lam);
      expect(Math.abs(gap - cert.dualityGap)).toBeLessThan(1e-12 * c.objective + 1e-15);
      expect(cert.converged).toBe(true);
      expect(gap).toBeLessThanOrEqual(1e-8 * c.objective + 1e-15);
      // KKT from the rows (the excess of zero groups is ≤ 0 up to rounding).
      expect(c.zeroGroupExcess).toBeLessThan(1e-10);
      expect(Math.abs(c.kkt - cert.kktViolation)).toBeLessThan(1e-9);
    }
    // Logistic: objective and KKT from the rows.
    const pl = randomProblem(8, 60, [2, 3, 1, 2], 'logistic');
    const lp = groupLassoPath(pl.X, pl.y, { groups: pl.groups, loss: 'logistic', nLambda: 10, lambdaMinRatio: 0.05 });
    for (let k = 0; k < lp.lambdas.length; k++) {
      const c = naiveCheck(pl.X, pl.y, lp.coefs[k], lp.intercept[k], pl.groups, pl.weights, lp.lambdas[k], 'logistic', true);
      expect(Math.abs(c.objective - lp.certificates[k].objective) / c.objective).toBeLessThan(1e-12);
      expect(Math.abs(c.kkt - lp.certificates[k].kktViolation)).toBeLessThan(1e-9);
      expect(c.zeroGroupExcess).toBeLessThan(1e-9);
      expect(lp.certificates[k].converged).toBe(true);
    }
  });

  it("reproduces grpreg's noiseless test (orthonormal groups: λ_max = 2, closed-form shrinkage at λ = 1)", () => {
    // X = rbind(diag(8), −diag(8))·√8, groups of 4, β = (−1 ×4, 2 ×4): X_gᵀX_g/n = I, so
    // w_g = (1 − λ√4/‖β_g‖)₊ β_g; grpreg expects nvars 4 at λ = 1.999999, (0, 1 ×4) at λ = 1, β at λ = 0.
    const X = [...Array(16).keys()].map((i) => [...Array(8).keys()].map((j) => (i % 8 === j ? (i < 8 ? 1 : -1) * Math.sqrt(8) : 0)));
    const beta = [-1, -1, -1, -1, 2, 2, 2, 2];
    const y = matVec(X, beta);
    const groups = [0, 0, 0, 0, 1, 1, 1, 1];
    const path = groupLassoPath(X, y, { groups, lambdas: [2, 1.999999, 1, 0], tol: 1e-12 });
    expect(path.lambdaMax).toBeCloseTo(2, 12);
    expect(path.activeGroups[0]).toEqual([]);
    expect(path.activeGroups[1]).toEqual([1]);
    const expected = [[0, 0, 0, 0, 0, 0, 0, 0], null, [0, 0, 0, 0, 1, 1, 1, 1], beta];
    for (const k of [0, 2, 3]) {
      // ‖w − w*‖² ≤ 2·gap (strong convexity 1 here), so 1e-12 gaps leave ~1e-6 in w.
      for (let j = 0; j < 8; j++) expect(path.coefs[k][j]).toBeCloseTo(expected[k]![j], 5);
      expect(path.intercept[k]).toBeCloseTo(0, 10);
    }
  });

  it('starts at λ_max with every group zero, and λ just below it activates a group', () => {
    const pr = randomProblem(5, 30, [2, 2, 3], 'squared');
    const lmax = lambdaMax(pr.X, pr.y, { groups: pr.groups });
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 5 });
    expect(path.lambdaMax).toBe(lmax);
    expect(path.lambdas[0]).toBe(lmax);
    expect(path.activeGroups[0]).toEqual([]);
    expect(Array.from(path.coefs[0]).every((v) => v === 0)).toBe(true);
    // The intercept alone: ȳ.
    expect(path.intercept[0]).toBeCloseTo(pr.y.reduce((a, b) => a + b, 0) / pr.y.length, 12);
    const below = groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdas: [0.98 * lmax] });
    expect(below.activeGroups[0].length).toBeGreaterThan(0);
    // The default grid: log-spaced, last = λ_max · 1e-3 (n > p).
    const g = groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 4 });
    expect(g.lambdas[3] / g.lambdas[0]).toBeCloseTo(1e-3, 12);
    expect(g.lambdas[1] / g.lambdas[0]).toBeCloseTo(0.1, 12);
  });

  it('sorts user λ decreasingly and matches independent single fits', () => {
    const pr = randomProblem(9, 40, [3, 2, 2, 1], 'squared');
    const lmax = lambdaMax(pr.X, pr.y, { groups: pr.groups });
    const user = [0.1 * lmax, 0.5 * lmax, 1.5 * lmax, 0.02 * lmax];
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdas: user });
    expect(Array.from(path.lambdas)).toEqual([...user].sort((a, b) => b - a));
    expect(path.activeGroups[0]).toEqual([]); // λ above λ_max
    for (let k = 0; k < user.length; k++) {
      const f = fitGroupLasso(pr.X, pr.y, { groups: pr.groups, lambda: path.lambdas[k], tol: 1e-12, maxIter: 200_000 });
      expect(Math.abs(f.objective - path.certificates[k].objective) / f.objective).toBeLessThan(1e-8);
      expect(path.activeGroups[k]).toEqual(f.activeGroups);
    }
  });

  it('runs on a matrix-free operator (no column access) like on the dense matrix', () => {
    const pr = randomProblem(13, 30, [2, 3, 2, 1], 'squared');
    const D = DenseMatrix.fromRows(pr.X);
    const free: LinearOperator = { rows: D.rows, cols: D.cols, apply: (x, o) => D.apply(x, o), applyTranspose: (y, o) => D.applyTranspose(y, o) };
    const a = groupLassoPath(D, pr.y, { groups: pr.groups, nLambda: 8, lambdaMinRatio: 0.05 });
    const b = groupLassoPath(free, pr.y, { groups: pr.groups, nLambda: 8, lambdaMinRatio: 0.05 });
    for (let k = 0; k < 8; k++) {
      expect(b.activeGroups[k]).toEqual(a.activeGroups[k]);
      expect(Math.abs(a.certificates[k].objective - b.certificates[k].objective) / a.certificates[k].objective).toBeLessThan(1e-9);
    }
  });

  it('gives the same path and CV on a sparse matrix (column and row subsets as views)', () => {
    const pr = randomProblem(17, 40, [2, 3, 2, 1], 'squared');
    const D = DenseMatrix.fromRows(pr.X.map((r) => r.map((x) => (Math.abs(x) < 0.6 ? 0 : x))));
    const S = SparseMatrix.fromDense(D);
    const a = groupLassoPath(D, pr.y, { groups: pr.groups, nLambda: 8, lambdaMinRatio: 0.05 });
    const b = groupLassoPath(S, pr.y, { groups: pr.groups, nLambda: 8, lambdaMinRatio: 0.05 });
    for (let k = 0; k < 8; k++) {
      expect(b.activeGroups[k]).toEqual(a.activeGroups[k]);
      expect(Math.abs(a.certificates[k].objective - b.certificates[k].objective) / a.certificates[k].objective).toBeLessThan(1e-9);
    }
    // Two certified routes agree to what their tolerance allows: held-out losses move with the
    // coefficients, which a relative gap of tol fixes only to about √tol (near λ_max, where a group
    // enters, a gap of 1e-10 left them 5e-7 apart).
    const ca = cvGroupLasso(D, pr.y, { groups: pr.groups, nFolds: 3, nLambda: 5, lambdaMinRatio: 0.05, tol: 1e-12 });
    const cb = cvGroupLasso(S, pr.y, { groups: pr.groups, nFolds: 3, nLambda: 5, lambdaMinRatio: 0.05, tol: 1e-12 });
    for (let k = 0; k < 5; k++) expect(Math.abs(ca.meanLoss[k] - cb.meanLoss[k]) / ca.meanLoss[k]).toBeLessThan(1e-7);
  });

  it('SubsetOperator equals the selected dense columns', () => {
    const r = new Random(3);
    const D = new DenseMatrix(5, 6, r.normals(30));
    const cols = [4, 1, 5];
    const S = new SubsetOperator(D, cols);
    const E = D.selectColumns(cols);
    const x = Float64Array.of(0.5, -1, 2);
    const o1 = new Float64Array(5);
    const o2 = new Float64Array(5);
    S.apply(x, o1);
    E.apply(x, o2);
    for (let i = 0; i < 5; i++) expect(o1[i]).toBeCloseTo(o2[i], 14);
    const y = r.normals(5);
    const t1 = new Float64Array(3);
    const t2 = new Float64Array(3);
    S.applyTranspose(y, t1);
    E.applyTranspose(y, t2);
    for (let k = 0; k < 3; k++) expect(t1[k]).toBeCloseTo(t2[k], 14);
    expect(S.columns!.normSq(2)).toBeCloseTo(E.columns.normSq(2), 14);
  });

  it('handles multi-task responses and unpenalized groups', () => {
    const pr = randomProblem(21, 40, [2, 2, 3], 'squared');
    const Y = pr.X.map((row, i) => [pr.y[i], row[0] - row[4] + 0.1 * i / 40]);
    const path = groupLassoPath(pr.X, Y, { groups: pr.groups, nLambda: 6, lambdaMinRatio: 0.05 });
    expect(path.nTasks).toBe(2);
    expect(path.coefs[3].length).toBe(14);
    expect(path.certificates.every((c) => c.converged)).toBe(true);
    // An unpenalized group (weight 0) is in every model, λ_max included.
    const w = groupLassoPath(pr.X, pr.y, { groups: pr.groups, weights: [0, Math.SQRT2, Math.sqrt(3)], nLambda: 4 });
    expect(w.activeGroups.every((a) => a.includes(0))).toBe(true);
    expect(w.certificates.every((c) => c.converged)).toBe(true);
  });

  it('refuses bad options with named errors', () => {
    const pr = randomProblem(1, 20, [2, 2], 'squared');
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLamda: 5 } as never)).toThrow(OptionError);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdas: [0.1, NaN] })).toThrow(/lambdas\[1\]/);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdas: [] })).toThrow(ValueError);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdas: [0.1], nLambda: 3 })).toThrow(/either lambdas/);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, lambdaMinRatio: 2 })).toThrow(/lambdaMinRatio/);
    expect(() => groupLassoPath(pr.X, pr.y, { groups: pr.groups, screening: 'safe' as never })).toThrow(OptionError);
    expect(() => groupLassoPath(pr.X, pr.y.map(() => 3), { groups: pr.groups })).toThrow(/λ_max is 0/);
  });
});
