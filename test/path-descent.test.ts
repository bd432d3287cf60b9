import { describe, expect, it } from 'vitest';
import { DenseMatrix, fitGroupLasso, groupLassoPath, lambdaMax, wasmSimdAvailable, type LinearOperator } from '../src/index.ts';
import { orthonormalizeGroups } from '../src/data/standardize.ts';
import { prepareProblem } from '../src/problem/problem.ts';
import { descentPath } from '../src/path/descent.ts';
import { certify, certifyBuffers } from '../src/solvers/certificate.ts';
import { ShapeError } from '../src/errors.ts';
import { naiveCheck } from './helpers/naive.ts';
import { randomProblem } from './helpers/problems.ts';

/** Rows of a column-major dense matrix. */
function rowsOf(X: DenseMatrix): number[][] {
  return Array.from({ length: X.rows }, (_, i) => Array.from({ length: X.cols }, (_, j) => X.get(i, j)));
}

describe('group descent along the path (squared loss, dense columns)', () => {
  it('serves the squared loss on stored columns, and nothing it was not written for', () => {
    const pr = randomProblem(1, 30, [2, 3, 1]);
    const ctxOf = (X: unknown, y: number[], o: Record<string, unknown> = {}) => prepareProblem(X as never, y, { groups: pr.groups, ...o }).context(0.1);
    expect(descentPath(ctxOf(pr.X, pr.y))).not.toBeNull();
    expect(descentPath(ctxOf(pr.X, pr.y, { fitIntercept: false }))).not.toBeNull();
    const labels = pr.y.map((v) => (v > 0.5 ? 1 : 0));
    expect(descentPath(ctxOf(pr.X, labels, { loss: 'logistic' }))).toBeNull();
    expect(descentPath(ctxOf(pr.X, pr.y, { sampleWeight: pr.y.map((_, i) => 1 + (i % 2)) }))).toBeNull();
    const D = DenseMatrix.fromRows(pr.X);
    const free: LinearOperator = { rows: D.rows, cols: D.cols, apply: (x, o) => D.apply(x, o), applyTranspose: (y, o) => D.applyTranspose(y, o) };
    expect(descentPath(ctxOf(free, pr.y))).toBeNull();
    // An unpenalized group (weight 0) is the general route's.
    expect(descentPath(ctxOf(pr.X, pr.y, { weights: [0, 1, 1] }))).toBeNull();
  });

  // Tall designs take the Gram-space block steps, the wide one the residual updates; the
  // orthonormal one is grpreg's case (exact closed-form block minimizers).
  const cases: { name: string; seed: number; n: number; sizes: number[]; ortho?: boolean; fitIntercept?: boolean }[] = [
    { name: 'tall', seed: 3, n: 60, sizes: [3, 2, 4, 1, 2] },
    { name: 'tall, orthonormal groups', seed: 4, n: 80, sizes: [3, 2, 4, 1, 2], ortho: true },
    { name: 'tall, no intercept', seed: 5, n: 50, sizes: [2, 2, 3], fitIntercept: false },
    { name: 'wide', seed: 6, n: 20, sizes: [4, 5, 3, 6, 4, 3, 5] },
  ];
  for (const c of cases) {
    it(`certifies every λ and matches a tight independent fit (${c.name})`, () => {
      const pr = randomProblem(c.seed, c.n, c.sizes);
      let X = DenseMatrix.fromRows(pr.X);
      if (c.ortho) X = orthonormalizeGroups(X, c.sizes.flatMap((s, g) => new Array<number>(s).fill(g))).X;
      const fitIntercept = c.fitIntercept ?? true;
      const tol = 1e-7;
      const path = groupLassoPath(X, pr.y, { groups: pr.groups, nLambda: 25, lambdaMinRatio: 0.01, tol, fitIntercept });
      const rows = rowsOf(X);
      const weights = pr.groups.map((g) => Math.sqrt(g.length));
      for (let k = 0; k < path.lambdas.length; k++) {
        const cert = path.certificates[k];
        expect(cert.converged).toBe(true);
        expect(cert.relativeGap).toBeLessThanOrEqual(tol);
        // The objective recomputed from rows at the returned point, and its suboptimality against
        // FISTA run to 1e-12 (the certified gap bounds it).
        const chk = naiveCheck(rows, pr.y, path.coefs[k], path.intercept[k], pr.groups, weights, path.lambdas[k], 'squared', fitIntercept);
        expect(Math.abs(chk.objective - cert.objective) / chk.objective).toBeLessThan(1e-12);
        const ref = fitGroupLasso(X, pr.y, { groups: pr.groups, lambda: path.lambdas[k], tol: 1e-12, solver: 'fista', maxIter: 500_000, fitIntercept });
        expect(ref.converged).toBe(true);
        expect((chk.objective - ref.objective) / ref.objective).toBeLessThanOrEqual(tol + 1e-12);
        expect(path.activeGroups[k]).toEqual(ref.activeGroups);
      }
      // λ_max: w = 0 exactly.
      expect(path.lambdas[0]).toBeCloseTo(lambdaMax(X, pr.y, { groups: pr.groups, fitIntercept }), 12);
      expect(path.activeGroups[0]).toEqual([]);
    });
  }

  it('certify fills given buffers with exactly what it computes in fresh ones, and refuses foreign ones', () => {
    const pr = randomProblem(9, 40, [3, 2, 2]);
    const prob = prepareProblem(pr.X, pr.y, { groups: pr.groups });
    const ctx = prob.context(0.05);
    const w = Float64Array.from({ length: 7 }, (_, j) => (j < 3 ? 0.2 * (j + 1) : 0));
    const fresh = certify(ctx, w);
    const bufs = certifyBuffers(ctx);
    const again = certify(ctx, w, -Infinity, bufs);
    expect(again.point).toBe(bufs.point);
    for (const key of ['primal', 'dual', 'gap', 'kktViolation', 'gapFloor', 'kktFloor'] as const) expect(Object.is(again[key], fresh[key])).toBe(true);
    expect(Array.from(again.point.grad)).toEqual(Array.from(fresh.point.grad));
    const other = certifyBuffers(prepareProblem(pr.X.slice(0, 30), pr.y.slice(0, 30), { groups: pr.groups }).context(0.05));
    expect(() => certify(ctx, w, -Infinity, other)).toThrow(ShapeError);
    expect(() => certify(ctx, w, -Infinity, null as never)).toThrow(/certify: buffers/);
  });

  it('leaves a group of constant columns (no effect beside the intercept) at zero, certified', () => {
    const pr = randomProblem(10, 40, [2, 3, 2]);
    const X = pr.X.map((r) => [...r, 3, -1]);
    const groups = [...pr.groups, [7, 8]];
    const path = groupLassoPath(X, pr.y, { groups, nLambda: 12, lambdaMinRatio: 0.01, tol: 1e-9 });
    const rows = X;
    const weights = groups.map((g) => Math.sqrt(g.length));
    for (let k = 0; k < path.lambdas.length; k++) {
      expect(path.certificates[k].converged).toBe(true);
      expect(path.coefs[k][7]).toBe(0);
      expect(path.coefs[k][8]).toBe(0);
      const chk = naiveCheck(rows, pr.y, path.coefs[k], path.intercept[k], groups, weights, path.lambdas[k], 'squared', true);
      expect(Math.abs(chk.objective - path.certificates[k].objective) / chk.objective).toBeLessThan(1e-12);
    }
  });

  it('reports every epoch to onIteration, and stops the path when it returns false', () => {
    const pr = randomProblem(11, 50, [3, 2, 4, 1]);
    const seen: { k: number; it: number; gap: number }[] = [];
    const path = groupLassoPath(pr.X, pr.y, {
      groups: pr.groups, nLambda: 10, lambdaMinRatio: 0.01,
      onIteration: (i) => {
        seen.push({ k: i.lambdaIndex, it: i.iteration, gap: i.relativeGap });
        expect(i.nLambda).toBe(10);
        return !(i.lambdaIndex === 5 && i.iteration === 1);
      },
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s, q) => q === 0 || s.k >= seen[q - 1].k)).toBe(true);
    expect(seen.some((s) => Number.isFinite(s.gap) && s.gap >= 0)).toBe(true);
    expect(path.status).toBe('stopped by callback');
    expect(path.certificates.slice(6).every((c) => !c.converged || c.relativeGap <= 1e-8)).toBe(true);
    expect(Math.max(...seen.map((s) => s.k))).toBe(5);
  });

  it('marks fits cut short by maxIter as not converged, never certified on its own bookkeeping', () => {
    const pr = randomProblem(8, 60, [3, 2, 4, 1, 2]);
    const tol = 1e-10;
    const path = groupLassoPath(pr.X, pr.y, { groups: pr.groups, nLambda: 10, lambdaMinRatio: 0.01, tol, maxIter: 1 });
    let cut = 0;
    for (const c of path.certificates) {
      if (c.converged) expect(c.relativeGap <= tol || c.status === 'at rounding level').toBe(true);
      else {
        cut++;
        expect(c.relativeGap).toBeGreaterThan(tol);
      }
    }
    expect(cut).toBeGreaterThan(0);
  });

  it('takes wide designs past the small-design size on the WebAssembly kernels: certified, and the general route\'s optimum', () => {
    // n·p = 100 · 2100 > 200 000: formerly the general route's; residual updates on the kernels now.
    const sizes = Array.from({ length: 300 }, () => 7);
    const pr = randomProblem(8, 100, sizes);
    const X = DenseMatrix.fromRows(pr.X);
    const ctx = prepareProblem(X, pr.y, { groups: pr.groups }).context(0.1);
    expect(descentPath(ctx, false) !== null).toBe(wasmSimdAvailable());
    // A tall design of that size keeps the general route (a Gram matrix would cost n·p²/2).
    const tall = randomProblem(9, 2100, [50, 50]);
    expect(descentPath(prepareProblem(tall.X, tall.y, { groups: tall.groups }).context(0.1), false)).toBeNull();
    const tol = 1e-7;
    const opts = { groups: pr.groups, nLambda: 30, lambdaMinRatio: 0.05, tol };
    const path = groupLassoPath(X, pr.y, opts);
    // The general route: an explicit screening rule.
    const general = groupLassoPath(X, pr.y, { ...opts, screening: 'strong' });
    const rows = rowsOf(X);
    const weights = pr.groups.map((g) => Math.sqrt(g.length));
    for (let k = 0; k < path.lambdas.length; k++) {
      const a = path.certificates[k], b = general.certificates[k];
      expect(a.converged && b.converged).toBe(true);
      expect(a.relativeGap).toBeLessThanOrEqual(tol);
      // The objective recomputed from rows, and both routes' optima within their certified gaps.
      const chk = naiveCheck(rows, pr.y, path.coefs[k], path.intercept[k], pr.groups, weights, path.lambdas[k], 'squared', true);
      expect(Math.abs(chk.objective - a.objective) / chk.objective).toBeLessThan(1e-12);
      expect(Math.abs(a.objective - b.objective)).toBeLessThanOrEqual(a.dualityGap + b.dualityGap + 1e-14 * a.objective);
    }
    expect(path.activeGroups[path.lambdas.length - 1].length).toBeGreaterThan(5);
  });
});
